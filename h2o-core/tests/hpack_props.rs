//! Property tests: encoder/decoder round trips over arbitrary header lists and table sizes, and
//! arbitrary bytes never panic the decoder.

use bytes::{Bytes, BytesMut};
use h2o_core::hpack::{Decoder, Encoder};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Static-table names and common ones (exercise name references and full matches).
        prop::sample::select(vec![
            ":method",
            ":path",
            ":authority",
            ":scheme",
            ":status",
            "accept-encoding",
            "cookie",
            "set-cookie",
            "authorization",
            "content-length",
            "user-agent",
            "x-custom",
            "age",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        "[a-z0-9-]{1,12}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..20),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "GET",
            "/",
            "http",
            "https",
            "200",
            "gzip, deflate",
            "0",
            ""
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..300),
    ]
}

fn block() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    // Small vocabulary repeated within and across blocks to get dynamic-table hits.
    prop::collection::vec((name(), value()), 0..12)
}

#[derive(Debug, Clone)]
enum Step {
    Block(Vec<(Vec<u8>, Vec<u8>)>),
    /// Peer changes SETTINGS_HEADER_TABLE_SIZE (the decoder side advertises it).
    TableSize(usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            6 => block().prop_map(Step::Block),
            1 => prop_oneof![0usize..200, 0usize..70_000].prop_map(Step::TableSize),
        ],
        1..16,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(steps in steps(), repeat in 1usize..3) {
        let mut enc = Encoder::new();
        let mut dec = Decoder::new(4096);
        for step in &steps {
            match step {
                Step::TableSize(size) => {
                    enc.set_max_table_size(*size);
                    dec.set_max_table_size(*size);
                }
                Step::Block(headers) => {
                    for _ in 0..repeat {
                        let mut dst = BytesMut::new();
                        enc.encode(headers.iter().map(|(n, v)| (&n[..], &v[..])), &mut dst);
                        let mut got = Vec::new();
                        dec.decode(&dst.freeze(), usize::MAX, |h| got.push((h.name.to_vec(), h.value.to_vec())))
                            .map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
                        prop_assert_eq!(&got, headers);
                        prop_assert_eq!(enc.dynamic_table_size(), dec.dynamic_table_size());
                        prop_assert_eq!(enc.dynamic_table_len(), dec.dynamic_table_len());
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        blocks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..6),
        table in prop_oneof![Just(0usize), Just(64usize), Just(4096usize)],
        limit in prop_oneof![Just(0usize), Just(100usize), Just(usize::MAX)],
    ) {
        let mut dec = Decoder::new(table);
        for b in blocks {
            let _ = dec.decode(&Bytes::from(b), limit, |_| {});
        }
    }

    #[test]
    fn mutated_valid_blocks_never_panic(
        headers in block(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        limit in prop_oneof![Just(50usize), Just(usize::MAX)],
    ) {
        let mut enc = Encoder::new();
        let mut dst = BytesMut::new();
        enc.encode(headers.iter().map(|(n, v)| (&n[..], &v[..])), &mut dst);
        enc.encode(headers.iter().map(|(n, v)| (&n[..], &v[..])), &mut dst);
        if !dst.is_empty() {
            for (i, x) in flips {
                let i = i.index(dst.len());
                dst[i] ^= x;
            }
        }
        let mut dec = Decoder::new(4096);
        let wire = dst.freeze();
        let _ = dec.decode(&wire, limit, |_| {});
        let _ = dec.decode(&wire, limit, |_| {});
    }
}
