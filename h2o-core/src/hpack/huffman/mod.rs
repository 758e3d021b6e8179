//! RFC 7541 §5.2 / Appendix B Huffman coding.
//!
//! Decoding is table driven. The fast path looks the next 12 input bits up in [`FAST`] (built at
//! compile time from the RFC code table), which yields one or two whole symbols; codes longer
//! than 12 bits (rare: control and non-ASCII bytes) are decoded with the canonical-code limits
//! in [`LONG`] (the RFC code is canonical, which a test checks). `table::DECODE`, a 4-bit state
//! machine generated from the RFC text by `gen_tables.py`, validates and measures strings
//! without producing them (and cross-checks the fast decoder in tests). Encoding packs codes
//! into a 64-bit accumulator.

mod table;

use bytes::{BufMut, BytesMut};

use super::DecoderError;
use table::{ACCEPT, DECODE, ENCODE, FLAG_FAIL, FLAG_SYM};

/// Length in bytes of the Huffman encoding of `src` (padding included).
#[inline]
pub(crate) fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src
        .iter()
        .map(|&b| usize::from(ENCODE[usize::from(b)].1))
        .sum();
    bits.div_ceil(8)
}

/// Appends the Huffman encoding of `src` to `dst`, padded with the EOS prefix (all ones).
pub(crate) fn encode(src: &[u8], dst: &mut BytesMut) {
    let mut acc: u64 = 0;
    let mut bits: u32 = 0;
    for &b in src {
        let (code, len) = ENCODE[usize::from(b)];
        acc = (acc << len) | u64::from(code);
        bits += u32::from(len);
        if bits >= 32 {
            bits -= 32;
            dst.put_u32((acc >> bits) as u32);
        }
    }
    while bits >= 8 {
        bits -= 8;
        dst.put_u8((acc >> bits) as u8);
    }
    if bits > 0 {
        dst.put_u8(((acc << (8 - bits)) as u8) | (0xffu8 >> bits));
    }
}

/// [`FAST`] entry: bits 0..8 first symbol, 8..16 second symbol, 16..21 bits used by the first,
/// 21..26 bits used by both, 26..28 number of whole symbols in the 12-bit window (0: the next
/// code is longer than 12 bits).
static FAST: [u32; 1 << FAST_BITS] = build_fast();
const FAST_BITS: u32 = 12;

const fn build_fast() -> [u32; 1 << FAST_BITS] {
    let mut t = [0u32; 1 << FAST_BITS];
    let fb = FAST_BITS as usize;
    // Windows starting with one whole code.
    let mut a = 0;
    while a < 256 {
        let (code, len) = ENCODE[a];
        let len = len as usize;
        if len <= fb {
            let base = (code as usize) << (fb - len);
            let mut i = 0;
            while i < 1 << (fb - len) {
                t[base + i] = a as u32 | (len as u32) << 16 | (len as u32) << 21 | 1 << 26;
                i += 1;
            }
        }
        a += 1;
    }
    // Windows starting with two whole codes.
    let mut a = 0;
    while a < 256 {
        let (c1, l1) = ENCODE[a];
        let l1 = l1 as usize;
        if l1 + 5 <= fb {
            let mut b = 0;
            while b < 256 {
                let (c2, l2) = ENCODE[b];
                let l2 = l2 as usize;
                if l1 + l2 <= fb {
                    let rem = fb - l1 - l2;
                    let base = ((c1 as usize) << (fb - l1)) | ((c2 as usize) << rem);
                    let mut i = 0;
                    while i < 1 << rem {
                        t[base + i] = a as u32
                            | (b as u32) << 8
                            | (l1 as u32) << 16
                            | ((l1 + l2) as u32) << 21
                            | 2 << 26;
                        i += 1;
                    }
                }
                b += 1;
            }
        }
        a += 1;
    }
    t
}

/// Canonical decoding of long codes: symbols sorted by (length, symbol), and per length `L`
/// (index `L`) the first code and the offset of its first symbol in the sorted list.
struct Long {
    sorted: [u16; 257],
    first_code: [u32; 31],
    count: [u32; 31],
    offset: [u32; 31],
}

static LONG: Long = build_long();

const fn build_long() -> Long {
    let mut l = Long {
        sorted: [0; 257],
        first_code: [0; 31],
        count: [0; 31],
        offset: [0; 31],
    };
    let mut n = 0;
    let mut len = 1;
    while len <= 30 {
        l.offset[len] = n as u32;
        let mut sym = 0;
        while sym < 257 {
            if ENCODE[sym].1 as usize == len {
                if l.count[len] == 0 {
                    l.first_code[len] = ENCODE[sym].0;
                }
                l.sorted[n] = sym as u16;
                l.count[len] += 1;
                n += 1;
            }
            sym += 1;
        }
        len += 1;
    }
    l
}

/// Appends the decoding of `src` to `dst`.
pub(crate) fn decode(src: &[u8], dst: &mut BytesMut) -> Result<(), DecoderError> {
    let start = dst.len();
    // The shortest code is 5 bits: 8/5 symbols per input byte at most; 2 per byte bounds it
    // with room for the second symbol slot written on every fast step.
    dst.resize(start + src.len() * 2 + 2, 0);
    let out = &mut dst[start..];
    let mut n = 0usize;
    // Left-aligned bit accumulator holding `bits` valid bits.
    let mut acc: u64 = 0;
    let mut bits: u32 = 0;
    let mut pos = 0usize;
    let result = loop {
        if bits <= 56 {
            if let Some(chunk) = src.get(pos..pos + 8) {
                // Refill with 8 bytes at once; the whole bytes that fit count as consumed. The
                // bits of the next, partial byte land below the valid bits and are ORed again,
                // identically, by the next refill.
                let mut w = [0u8; 8];
                w.copy_from_slice(chunk);
                acc |= u64::from_be_bytes(w) >> bits;
                let k = (64 - bits) / 8;
                pos += k as usize;
                bits += 8 * k;
            } else {
                while bits <= 56 {
                    match src.get(pos) {
                        Some(&b) => {
                            acc |= u64::from(b) << (56 - bits);
                            bits += 8;
                            pos += 1;
                        }
                        None => break,
                    }
                }
            }
        }
        if bits == 0 {
            break Ok(());
        }
        // Missing bits (only at the end) read as ones, like EOS padding.
        let window = if bits >= 64 {
            acc
        } else {
            acc | (u64::MAX >> bits)
        };
        let e = FAST[(window >> (64 - FAST_BITS)) as usize];
        let count = e >> 26;
        if count != 0 {
            let used_all = (e >> 21) & 0x1f;
            if used_all <= bits {
                if let Some(slot) = out.get_mut(n..n + 2) {
                    slot[0] = e as u8;
                    slot[1] = (e >> 8) as u8;
                }
                n += count as usize;
                acc <<= used_all;
                bits -= used_all;
                continue;
            }
            let used1 = (e >> 16) & 0x1f;
            if used1 <= bits {
                if let Some(slot) = out.get_mut(n) {
                    *slot = e as u8;
                }
                n += 1;
                acc <<= used1;
                bits -= used1;
                continue;
            }
            break padding(acc, bits);
        }
        // A code longer than 12 bits: find its length from the canonical limits.
        let w = (window >> 32) as u32;
        let mut len = FAST_BITS as usize + 1;
        let sym = loop {
            let code = w >> (32 - len);
            let k = code.wrapping_sub(LONG.first_code[len]);
            if k < LONG.count[len] {
                break LONG.sorted[(LONG.offset[len] + k) as usize];
            }
            len += 1;
            if len > 30 {
                // Unreachable: the code is complete, every 30-bit window has a code.
                break u16::MAX;
            }
        };
        if sym == u16::MAX {
            break Err(DecoderError::InvalidHuffman);
        }
        if len as u32 > bits {
            break padding(acc, bits);
        }
        if sym == 256 {
            break Err(DecoderError::HuffmanEos);
        }
        if let Some(slot) = out.get_mut(n) {
            *slot = sym as u8;
        }
        n += 1;
        acc <<= len;
        bits -= len as u32;
    };
    match result {
        Ok(()) => {
            dst.truncate(start + n);
            Ok(())
        }
        Err(e) => {
            dst.truncate(start);
            Err(e)
        }
    }
}

/// The `bits` left over at the end (too few for the code they start) must be EOS padding:
/// at most 7 bits, all ones.
#[inline]
fn padding(acc: u64, bits: u32) -> Result<(), DecoderError> {
    if bits == 0 {
        return Ok(());
    }
    if bits <= 7 && (acc >> (64 - bits)) == (1u64 << bits) - 1 {
        Ok(())
    } else {
        Err(DecoderError::InvalidPadding)
    }
}

/// Checks that `src` is a valid Huffman string without producing output.
#[inline]
pub(crate) fn validate(src: &[u8]) -> Result<(), DecoderError> {
    decoded_len(src).map(|_| ())
}

/// Validates `src` and returns the length of its decoding, without producing output.
pub(crate) fn decoded_len(src: &[u8]) -> Result<usize, DecoderError> {
    let mut state = 0usize;
    let mut n = 0usize;
    for &b in src {
        let (next, _, flags) = DECODE[state][usize::from(b >> 4)];
        let (next, _, flags2) = DECODE[usize::from(next)][usize::from(b & 0x0f)];
        if (flags | flags2) & FLAG_FAIL != 0 {
            return Err(DecoderError::HuffmanEos);
        }
        n += usize::from(flags & FLAG_SYM) + usize::from(flags2 & FLAG_SYM);
        state = usize::from(next);
    }
    if ACCEPT[state] {
        Ok(n)
    } else {
        Err(DecoderError::InvalidPadding)
    }
}

const _: () = assert!(FLAG_SYM == 1 && FLAG_FAIL == 2);

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &[u8]) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode(s, &mut b);
        assert_eq!(b.len(), encoded_len(s));
        b.to_vec()
    }

    fn dec(s: &[u8]) -> Result<Vec<u8>, DecoderError> {
        let mut b = BytesMut::new();
        decode(s, &mut b)?;
        assert_eq!(decoded_len(s)?, b.len());
        Ok(b.to_vec())
    }

    #[test]
    fn rfc_examples() {
        // RFC 7541 C.4.1 / C.6.1 strings.
        let cases: &[(&[u8], &str)] = &[
            (b"www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"),
            (b"no-cache", "a8eb10649cbf"),
            (b"custom-key", "25a849e95ba97d7f"),
            (b"custom-value", "25a849e95bb8e8b4bf"),
            (b"302", "6402"),
            (b"private", "aec3771a4b"),
            (
                b"Mon, 21 Oct 2013 20:13:21 GMT",
                "d07abe941054d444a8200595040b8166e082a62d1bff",
            ),
            (
                b"https://www.example.com",
                "9d29ad171863c78f0b97c8e9ae82ae43d3",
            ),
        ];
        for (plain, hex) in cases {
            let wire: Vec<u8> = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            assert_eq!(enc(plain), wire);
            assert_eq!(dec(&wire).unwrap(), plain.to_vec());
        }
    }

    #[test]
    fn every_symbol_round_trips() {
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(dec(&enc(&all)).unwrap(), all);
        for b in 0..=255u8 {
            assert_eq!(dec(&enc(&[b])).unwrap(), vec![b]);
        }
        assert_eq!(dec(&[]).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn code_is_canonical() {
        // Long-code decoding relies on it: by (length, symbol), codes are consecutive.
        let mut order: Vec<usize> = (0..257).collect();
        order.sort_by_key(|&s| (ENCODE[s].1, s));
        let mut code = 0u32;
        let mut prev = ENCODE[order[0]].1;
        for s in order {
            let (c, l) = ENCODE[s];
            code <<= l - prev;
            prev = l;
            assert_eq!(c, code, "symbol {s}");
            code += 1;
        }
    }

    #[test]
    fn fast_and_nibble_decoders_agree() {
        // Pseudo-random inputs (xorshift) of every length: both decoders agree on the result.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..300 {
            for _ in 0..20 {
                let v: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        // Bias toward all-ones bytes to reach long codes, EOS and padding.
                        if x % 3 == 0 {
                            0xff
                        } else {
                            x as u8
                        }
                    })
                    .collect();
                let mut b = BytesMut::new();
                let fast = decode(&v, &mut b).map(|_| b.len());
                assert_eq!(fast, decoded_len(&v), "{v:02x?}");
            }
        }
        // Every pair of symbols.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(dec(&enc(&[a, b, a])).unwrap(), [a, b, a]);
            }
        }
    }

    #[test]
    fn code_table_matches_rfc_spot_checks() {
        assert_eq!(ENCODE[b'/' as usize], (0x18, 6));
        assert_eq!(ENCODE[b'0' as usize], (0x0, 5));
        assert_eq!(ENCODE[0], (0x1ff8, 13));
        assert_eq!(ENCODE[255], (0x3ffffee, 26));
        assert_eq!(ENCODE[256], (0x3fffffff, 30));
    }

    #[test]
    fn errors() {
        // EOS (30 ones) inside a string.
        assert_eq!(
            dec(&[0xff, 0xff, 0xff, 0xfc]),
            Err(DecoderError::HuffmanEos)
        );
        // Padding longer than 7 bits: a whole byte of ones after a symbol ending on a boundary.
        let mut v = enc(b"0000000"); // 35 bits -> 5 bytes, 5 bits padding
        assert_eq!(dec(&v).unwrap(), b"0000000");
        v.push(0xff);
        assert_eq!(dec(&v), Err(DecoderError::InvalidPadding));
        // Padding not all ones: '0' is 00000; "0" + 3 zero bits.
        assert_eq!(dec(&[0x00]), Err(DecoderError::InvalidPadding));
        // Padding of 8 ones alone.
        assert_eq!(dec(&[0xff]), Err(DecoderError::InvalidPadding));
        // "a" = 00011, then padding 101 (not all ones).
        assert_eq!(dec(&[0b0001_1101]), Err(DecoderError::InvalidPadding));
        assert_eq!(dec(&[0b0001_1111]).unwrap(), b"a");
    }
}
