//! HPACK decoder fuzz target.
//!
//! Input layout: byte 0 picks the table size and list limit; the rest is split into header
//! blocks, each prefixed by one length byte. All blocks go through one `Decoder` (so dynamic
//! table state carries over). Every successfully decoded list is re-encoded with our `Encoder`
//! and decoded again by a second decoder, which must return the same fields.
#![no_main]

use bytes::{Bytes, BytesMut};
use h2o_core::hpack::{Decoder, DecoderError, Encoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&config, mut rest)) = data.split_first() else { return };
    let table = [0usize, 64, 256, 4096][usize::from(config & 3)];
    let limit = [16usize, 200, 4096, usize::MAX][usize::from((config >> 2) & 3)];

    let mut decoder = Decoder::new(table);
    let mut encoder = Encoder::new();
    let mut check = Decoder::new(4096);
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (block, tail) = tail.split_at(len);
        rest = tail;

        let mut fields = Vec::new();
        match decoder.decode(&Bytes::copy_from_slice(block), limit, |h| fields.push(h)) {
            Ok(size) => {
                let expected: usize = fields.iter().map(|h| h.name.len() + h.value.len() + 32).sum();
                assert_eq!(size, expected);
                assert!(size <= limit);
            }
            Err(DecoderError::HeaderListTooLarge) => {
                let emitted: usize = fields.iter().map(|h| h.name.len() + h.value.len() + 32).sum();
                assert!(emitted <= limit);
                continue;
            }
            // A compression error ends the connection: the decoder is not used again.
            Err(_) => return,
        }

        let mut wire = BytesMut::new();
        encoder.encode(fields.iter().map(|h| (&h.name[..], &h.value[..])), &mut wire);
        let mut again = Vec::new();
        check.decode(&wire.freeze(), usize::MAX, |h| again.push(h)).expect("re-encoded block must decode");
        assert_eq!(again.len(), fields.len());
        for (a, b) in again.iter().zip(&fields) {
            assert_eq!((&a.name, &a.value), (&b.name, &b.value));
        }
    }
});
