//! Malformed input: every error kind, and HPACK-bomb protection.

use bytes::{BufMut, Bytes, BytesMut};
use h2o_core::hpack::{Decoder, DecoderError, Encoder, Header};

fn decode(decoder: &mut Decoder, wire: &[u8], limit: usize) -> Result<Vec<Header>, DecoderError> {
    let mut out = Vec::new();
    decoder
        .decode(&Bytes::copy_from_slice(wire), limit, |h| out.push(h))
        .map(|_| out)
}

fn err(wire: &[u8]) -> DecoderError {
    decode(&mut Decoder::new(4096), wire, usize::MAX).unwrap_err()
}

#[test]
fn invalid_index() {
    assert_eq!(err(&[0x80]), DecoderError::InvalidIndex(0));
    assert_eq!(err(&[0xbe]), DecoderError::InvalidIndex(62)); // empty dynamic table
    assert_eq!(err(&[0xff, 0x00]), DecoderError::InvalidIndex(127));
    // Literal with an indexed name beyond the tables (incremental, without, never).
    assert_eq!(err(&[0x7e, 0x00]), DecoderError::InvalidIndex(62));
    assert_eq!(err(&[0x0f, 0x2f, 0x00]), DecoderError::InvalidIndex(62));
    assert_eq!(err(&[0x1f, 0x2f, 0x00]), DecoderError::InvalidIndex(62));
    // One entry in the table: 62 is fine, 63 is not.
    let mut d = Decoder::new(4096);
    decode(&mut d, b"\x40\x01a\x01b", usize::MAX).unwrap();
    assert_eq!(decode(&mut d, &[0xbe], usize::MAX).unwrap()[0].value, "b");
    assert_eq!(
        decode(&mut d, &[0xbf], usize::MAX).unwrap_err(),
        DecoderError::InvalidIndex(63)
    );
}

#[test]
fn integer_overflow() {
    assert_eq!(
        err(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
        DecoderError::IntegerOverflow
    );
    assert_eq!(
        err(&[0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
        DecoderError::IntegerOverflow
    );
    // String length overflow.
    assert_eq!(
        err(&[0x40, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x7f]),
        DecoderError::IntegerOverflow
    );
    // Size update overflow.
    assert_eq!(
        err(&[0x3f, 0xff, 0xff, 0xff, 0xff, 0x7f]),
        DecoderError::IntegerOverflow
    );
}

#[test]
fn truncated() {
    assert_eq!(err(&[0xff]), DecoderError::Truncated); // integer continues past the end
    assert_eq!(err(&[0x40]), DecoderError::Truncated); // no name
    assert_eq!(err(&[0x40, 0x01, b'a']), DecoderError::Truncated); // no value
    assert_eq!(err(&[0x41]), DecoderError::Truncated);
    assert_eq!(err(&[0x41, 0x03, b'a', b'b']), DecoderError::Truncated); // value cut short
    assert_eq!(err(&[0x00, 0x01]), DecoderError::Truncated);
    // Declared length larger than the whole block.
    assert_eq!(err(&[0x41, 0x7f, 0x10, b'a']), DecoderError::StringTooLong);

    // Every strict prefix of a valid block either decodes (cut between fields) or errors.
    let mut enc = Encoder::new();
    let mut block = BytesMut::new();
    enc.encode(
        [
            (&b":method"[..], &b"GET"[..]),
            (b":path", b"/a/b/c?d=e"),
            (
                b"user-agent",
                b"h2o/0.1 (a long enough value to be Huffman coded)",
            ),
            (b"x-custom", b"\x00\x01\xff binary"),
        ],
        &mut block,
    );
    for cut in 0..block.len() {
        let r = decode(&mut Decoder::new(4096), &block[..cut], usize::MAX);
        if let Err(e) = r {
            assert!(
                matches!(e, DecoderError::Truncated | DecoderError::StringTooLong),
                "cut {cut}: {e}"
            );
        }
    }
}

#[test]
fn huffman_errors() {
    // EOS (30 ones) inside a Huffman value.
    assert_eq!(
        err(&[0x41, 0x84, 0xff, 0xff, 0xff, 0xfc]),
        DecoderError::HuffmanEos
    );
    // In a name too, and in a never-indexed literal.
    assert_eq!(
        err(&[0x10, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]),
        DecoderError::HuffmanEos
    );
    // Padding not all ones: '0' = 00000 followed by 000.
    assert_eq!(err(&[0x41, 0x81, 0x00]), DecoderError::InvalidPadding);
    // Padding longer than 7 bits: 'a' (00011) then 11 ones.
    assert_eq!(err(&[0x41, 0x82, 0x1f, 0xff]), DecoderError::InvalidPadding);
    // A lone byte of ones.
    assert_eq!(err(&[0x01, 0x81, 0xff]), DecoderError::InvalidPadding);
    // Valid: 'a' then 111.
    assert_eq!(
        decode(&mut Decoder::new(4096), &[0x41, 0x81, 0x1f], usize::MAX).unwrap()[0].value,
        "a"
    );
}

#[test]
fn size_updates() {
    // Above the advertised limit.
    assert_eq!(
        err(&[0x3f, 0xe2, 0x1f]),
        DecoderError::TableSizeUpdateTooLarge(4097)
    );
    assert_eq!(
        err(&[0x3f, 0xe2, 0x1f]).to_string(),
        "dynamic table size update 4097 above the limit"
    );
    decode(&mut Decoder::new(4096), &[0x3f, 0xe1, 0x1f], usize::MAX).unwrap(); // exactly 4096
                                                                               // After a field.
    assert_eq!(err(&[0x82, 0x20]), DecoderError::TableSizeUpdateNotAtStart);
    // Two updates at the start are fine (RFC 7541 §4.2).
    let mut d = Decoder::new(4096);
    decode(&mut d, &[0x20, 0x3f, 0xe1, 0x1f, 0x82], usize::MAX).unwrap();

    // Lowering our limit requires an update at the start of the next block.
    let mut d = Decoder::new(4096);
    decode(&mut d, b"\x40\x01a\x01b", usize::MAX).unwrap();
    d.set_max_table_size(100);
    assert_eq!(
        decode(&mut d, &[0x82], usize::MAX).unwrap_err(),
        DecoderError::TableSizeUpdateMissing
    );
    let mut d = Decoder::new(4096);
    d.set_max_table_size(100);
    assert_eq!(
        decode(&mut d, &[0x3f, 0x46], usize::MAX).unwrap_err(),
        DecoderError::TableSizeUpdateTooLarge(101)
    );
    let mut d = Decoder::new(4096);
    d.set_max_table_size(100);
    decode(&mut d, &[0x3f, 0x45, 0x82], usize::MAX).unwrap(); // 100
    decode(&mut d, &[0x82], usize::MAX).unwrap(); // no longer required

    // Size update to 0 evicts everything.
    let mut d = Decoder::new(4096);
    decode(&mut d, b"\x40\x01a\x01b", usize::MAX).unwrap();
    decode(&mut d, &[0x20], usize::MAX).unwrap();
    assert_eq!(d.dynamic_table_len(), 0);
    assert_eq!(err(&[0x20, 0xbe]), DecoderError::InvalidIndex(62));

    // The encoder signals a changed peer limit (min then final) at the start of the next block.
    let mut e = Encoder::new();
    e.set_max_table_size(0);
    e.set_max_table_size(1000);
    let mut b = BytesMut::new();
    e.encode([(&b"a"[..], &b"b"[..])], &mut b);
    assert_eq!(&b[..4], &[0x20, 0x3f, 0xc9, 0x07]);
    let mut d = Decoder::new(4096);
    d.set_max_table_size(0);
    d.set_max_table_size(1000);
    assert_eq!(decode(&mut d, &b, usize::MAX).unwrap()[0].name, "a");
}

/// A block that references one big dynamic entry thousands of times.
#[test]
fn hpack_bomb_is_rejected_without_copying() {
    let mut d = Decoder::new(4096);
    let mut first = BytesMut::new();
    first.put_slice(&[0x40, 0x01, b'x', 0x7f]);
    first.put_slice(&[0xa1, 0x1e]); // 127 + 0x21 + (0x1e << 7) = 4000
    first.put_slice(&[b'v'; 4000]);
    let entry = decode(&mut d, &first, usize::MAX).unwrap();
    assert_eq!(entry[0].value.len(), 4000);
    assert_eq!(d.dynamic_table_size(), 4033);

    // 16 KiB block: 16384 references = 66 MB of headers if materialized; then one more field
    // that must still enter the table.
    let mut bomb = BytesMut::new();
    bomb.put_slice(&[0xbe; 16384]);
    bomb.put_slice(b"\x40\x01y\x01z");
    let bomb = bomb.freeze();
    let limit = 64 * 1024;
    let mut emitted = Vec::new();
    let start = std::time::Instant::now();
    let r = d.decode(&bomb, limit, |h| emitted.push(h));
    assert_eq!(r, Err(DecoderError::HeaderListTooLarge));
    // Only what fits the limit was emitted, and every emitted value shares the table's bytes.
    assert!(emitted.len() <= limit / 4033, "{}", emitted.len());
    assert!(emitted
        .iter()
        .all(|h| h.value.as_ptr() == emitted[0].value.as_ptr()));
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    // The table stayed in sync: "y: z" was added after the limit was hit.
    let next = decode(&mut d, &[0xbe, 0xbf], usize::MAX).unwrap();
    assert_eq!(
        (&next[0].name[..], &next[0].value[..]),
        (&b"y"[..], &b"z"[..])
    );
    assert_eq!(next[1].value.len(), 4000);
}

#[test]
fn list_limit_accounting() {
    // :method GET = 7 + 3 + 32 = 42.
    let mut d = Decoder::new(4096);
    assert_eq!(d.decode(&Bytes::from_static(&[0x82]), 42, |_| {}), Ok(42));
    assert_eq!(
        d.decode(&Bytes::from_static(&[0x82]), 41, |_| {}),
        Err(DecoderError::HeaderListTooLarge)
    );
    // Over-limit literals of every kind are skipped but validated.
    assert_eq!(
        d.decode(&Bytes::from_static(&[0x82, 0x01, 0x81, 0x00]), 41, |_| {}),
        Err(DecoderError::InvalidPadding)
    );
    assert_eq!(
        d.decode(&Bytes::from_static(&[0x82, 0x41, 0x81, 0x00]), 41, |_| {}),
        Err(DecoderError::InvalidPadding)
    );
    // A never-indexed literal is flagged.
    let h = decode(&mut d, b"\x10\x01a\x01b", usize::MAX).unwrap();
    assert!(h[0].never_index);
}

#[test]
fn zero_copy() {
    let block = Bytes::from_static(b"\x82\x40\x03abc\x03def\x04\x03ghi");
    let mut d = Decoder::new(4096);
    let mut out = Vec::new();
    d.decode(&block, usize::MAX, |h| out.push(h)).unwrap();
    let range = block.as_ptr_range();
    assert!(range.contains(&out[1].name.as_ptr()) && range.contains(&out[1].value.as_ptr()));
    assert!(range.contains(&out[2].value.as_ptr()));
    assert_eq!(out[2].name, ":path");
    // Dynamic hits share the table entry's bytes.
    let mut again = Vec::new();
    d.decode(&Bytes::from_static(&[0xbe]), usize::MAX, |h| again.push(h))
        .unwrap();
    assert_eq!(again[0].value.as_ptr(), out[1].value.as_ptr());
}
