//! RFC 7541 Appendix C examples, byte for byte, in both directions.

use bytes::{Bytes, BytesMut};
use h2o_core::hpack::{Decoder, Encoder, Header, HuffmanMode, IndexMode};

/// (wire hex, field, representation knob, never-indexed flag, table size after).
type C2Case = (
    &'static str,
    (&'static str, &'static str),
    IndexMode,
    bool,
    usize,
);
/// (header list, wire hex, table size after, entries after).
type Step = (
    &'static [(&'static str, &'static str)],
    &'static str,
    usize,
    usize,
);

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn decode(decoder: &mut Decoder, wire: &[u8]) -> Vec<Header> {
    let mut out = Vec::new();
    decoder
        .decode(&Bytes::copy_from_slice(wire), usize::MAX, |h| out.push(h))
        .unwrap();
    out
}

fn pairs(hs: &[Header]) -> Vec<(&[u8], &[u8])> {
    hs.iter().map(|h| (&h.name[..], &h.value[..])).collect()
}

fn encode(encoder: &mut Encoder, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    encoder.encode(
        headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
        &mut dst,
    );
    dst.to_vec()
}

fn as_bytes<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a [u8], &'a [u8])> {
    headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect()
}

#[test]
fn c2_field_representations() {
    // C.2.1 Literal Header Field with Indexing.
    let cases: [C2Case; 4] = [
        (
            "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
            ("custom-key", "custom-header"),
            IndexMode::Always,
            false,
            55,
        ),
        // C.2.2 Literal Header Field without Indexing.
        (
            "040c2f73616d706c652f70617468",
            (":path", "/sample/path"),
            IndexMode::Never,
            false,
            0,
        ),
        // C.2.3 Literal Header Field Never Indexed.
        (
            "100870617373776f726406736563726574",
            ("password", "secret"),
            IndexMode::NeverIndexed,
            true,
            0,
        ),
        // C.2.4 Indexed Header Field.
        ("82", (":method", "GET"), IndexMode::Auto, false, 0),
    ];
    for (wire, (name, value), mode, never, table_size) in cases {
        let wire = unhex(wire);
        let mut decoder = Decoder::new(4096);
        let got = decode(&mut decoder, &wire);
        assert_eq!(
            got,
            vec![Header {
                name: Bytes::from(name.as_bytes().to_vec()),
                value: Bytes::from(value.as_bytes().to_vec()),
                never_index: never
            }]
        );
        assert_eq!(decoder.dynamic_table_size(), table_size);

        let mut encoder = Encoder::new();
        encoder.set_index_mode(mode);
        encoder.set_huffman_mode(HuffmanMode::Never);
        assert_eq!(encode(&mut encoder, &[(name, value)]), wire, "{name}");
        assert_eq!(encoder.dynamic_table_size(), table_size);
    }
}

const REQ1: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const REQ2: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQ3: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];

const RESP1: &[(&str, &str)] = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP2: &[(&str, &str)] = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP3: &[(&str, &str)] = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ("location", "https://www.example.com"),
    ("content-encoding", "gzip"),
    (
        "set-cookie",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    ),
];

/// Runs a sequence of blocks through a fresh decoder and a fresh encoder.
fn run(table: usize, huffman: HuffmanMode, index: IndexMode, steps: &[Step]) {
    let mut decoder = Decoder::new(table);
    let mut encoder = Encoder::with_initial_table_size(table);
    encoder.set_huffman_mode(huffman);
    encoder.set_index_mode(index);
    for (i, (headers, wire, size, len)) in steps.iter().enumerate() {
        let wire = unhex(wire);
        let got = decode(&mut decoder, &wire);
        assert_eq!(pairs(&got), as_bytes(headers), "decode step {i}");
        assert!(got.iter().all(|h| !h.never_index));
        assert_eq!(
            decoder.dynamic_table_size(),
            *size,
            "decoder table size step {i}"
        );
        assert_eq!(
            decoder.dynamic_table_len(),
            *len,
            "decoder table len step {i}"
        );
        assert_eq!(
            hex::encode(encode(&mut encoder, headers)),
            hex::encode(&wire),
            "encode step {i}"
        );
        assert_eq!(
            encoder.dynamic_table_size(),
            *size,
            "encoder table size step {i}"
        );
        assert_eq!(
            encoder.dynamic_table_len(),
            *len,
            "encoder table len step {i}"
        );
    }
}

#[test]
fn c3_requests_without_huffman() {
    run(
        4096,
        HuffmanMode::Never,
        IndexMode::Auto,
        &[
            (REQ1, "828684410f7777772e6578616d706c652e636f6d", 57, 1),
            (REQ2, "828684be58086e6f2d6361636865", 110, 2),
            (
                REQ3,
                "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
                164,
                3,
            ),
        ],
    );
}

#[test]
fn c4_requests_with_huffman() {
    run(
        4096,
        HuffmanMode::Auto,
        IndexMode::Auto,
        &[
            (REQ1, "828684418cf1e3c2e5f23a6ba0ab90f4ff", 57, 1),
            (REQ2, "828684be5886a8eb10649cbf", 110, 2),
            (
                REQ3,
                "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
                164,
                3,
            ),
        ],
    );
}

#[test]
fn c5_responses_without_huffman() {
    run(
        256,
        HuffmanMode::Never,
        IndexMode::Always,
        &[
            (
                RESP1,
                "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
                222,
                4,
            ),
            (RESP2, "4803333037c1c0bf", 222, 4),
            (
                RESP3,
                "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
                215,
                3,
            ),
        ],
    );
}

#[test]
fn c6_responses_with_huffman() {
    run(
        256,
        HuffmanMode::Always,
        IndexMode::Always,
        &[
            (
                RESP1,
                "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
                222,
                4,
            ),
            (RESP2, "4883640effc1c0bf", 222, 4),
            (
                RESP3,
                "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
                215,
                3,
            ),
        ],
    );
}

#[test]
fn c6_auto_policy_round_trips() {
    // Our default policy on the C.6 responses: decodable, set-cookie sent never-indexed.
    let mut encoder = Encoder::with_initial_table_size(256);
    let mut decoder = Decoder::new(256);
    for headers in [RESP1, RESP2, RESP3] {
        let wire = encode(&mut encoder, headers);
        let got = decode(&mut decoder, &wire);
        assert_eq!(pairs(&got), as_bytes(headers));
        for h in &got {
            assert_eq!(h.never_index, h.name == "set-cookie", "{:?}", h.name);
        }
    }
    assert_eq!(encoder.dynamic_table_size(), decoder.dynamic_table_size());
}
