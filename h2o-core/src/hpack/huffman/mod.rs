//! RFC 7541 §5.2 / Appendix B Huffman coding.
//!
//! Decoding is table driven: a 4-bit state machine (`table::DECODE`, generated from the RFC
//! text by `gen_tables.py`) consumes one nibble per step and emits at most one symbol per step
//! (the shortest code is 5 bits). Encoding packs codes into a 64-bit accumulator.

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

/// Appends the decoding of `src` to `dst`.
pub(crate) fn decode(src: &[u8], dst: &mut BytesMut) -> Result<(), DecoderError> {
    let start = dst.len();
    // At most one symbol per nibble, so two output bytes per input byte bound the output.
    dst.resize(start + src.len() * 2, 0);
    let out = &mut dst[start..];
    let mut n = 0usize;
    let mut state = 0usize;
    for &b in src {
        let (next, sym, flags) = DECODE[state][usize::from(b >> 4)];
        if flags != 0 {
            if flags & FLAG_FAIL != 0 {
                return Err(DecoderError::HuffmanEos);
            }
            out[n] = sym;
            n += 1;
        }
        let (next, sym, flags) = DECODE[usize::from(next)][usize::from(b & 0x0f)];
        if flags != 0 {
            if flags & FLAG_FAIL != 0 {
                return Err(DecoderError::HuffmanEos);
            }
            out[n] = sym;
            n += 1;
        }
        state = usize::from(next);
    }
    dst.truncate(start + n);
    if ACCEPT[state] {
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
