//! hpack-test-case corpus: decode every implementation's stories, round-trip raw-data through
//! our encoder, and compare our compression with nghttp2's.
//!
//! The corpus root is `$H2O_HPACK_CORPUS` when set (any folder of `*/story_*.json`), else the
//! vendored `tests/fixtures/hpack-test-case`.

use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use h2o_core::hpack::{Decoder, Encoder};
use serde_json::Value;

struct Case {
    header_table_size: Option<usize>,
    wire: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
}

fn corpus_root() -> PathBuf {
    match std::env::var_os("H2O_HPACK_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hpack-test-case"),
    }
}

fn load_story(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases = json["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no cases", path.display()));
    cases
        .iter()
        .map(|c| Case {
            header_table_size: c
                .get("header_table_size")
                .and_then(Value::as_u64)
                .map(|v| v as usize),
            wire: c
                .get("wire")
                .and_then(Value::as_str)
                .map(|w| hex::decode(w).expect("wire hex")),
            headers: c["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .flat_map(|h| h.as_object().expect("header object").iter())
                .map(|(k, v)| {
                    (
                        k.as_bytes().to_vec(),
                        v.as_str().expect("value").as_bytes().to_vec(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// `(folder name, sorted story paths)` for every folder with stories.
fn folders(root: &Path) -> Vec<(String, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut stories: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                n.starts_with("story_") && n.ends_with(".json")
            })
            .collect();
        stories.sort();
        if !stories.is_empty() {
            out.push((
                d.file_name().unwrap().to_string_lossy().into_owned(),
                stories,
            ));
        }
    }
    out
}

fn decode_all(decoder: &mut Decoder, wire: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut got = Vec::new();
    decoder
        .decode(&Bytes::copy_from_slice(wire), usize::MAX, |h| {
            got.push((h.name.to_vec(), h.value.to_vec()))
        })
        .expect("decode");
    got
}

#[test]
fn decode_every_story() {
    let root = corpus_root();
    let (mut stories, mut cases, mut fields) = (0usize, 0usize, 0usize);
    for (folder, paths) in folders(&root) {
        if folder == "raw-data" {
            continue;
        }
        for path in paths {
            let mut decoder = Decoder::new(4096);
            for (i, case) in load_story(&path).iter().enumerate() {
                if let Some(size) = case.header_table_size {
                    decoder.set_max_table_size(size);
                }
                let Some(wire) = &case.wire else { continue };
                let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decode_all(&mut decoder, wire)
                }))
                .unwrap_or_else(|_| panic!("{} case {i}: decode failed", path.display()));
                assert_eq!(got, case.headers, "{} case {i}", path.display());
                cases += 1;
                fields += got.len();
            }
            stories += 1;
        }
    }
    println!(
        "hpack corpus: decoded {stories} stories, {cases} cases, {fields} fields from {}",
        root.display()
    );
    assert!(stories > 0, "no stories under {}", root.display());
}

/// Our encoder's wire for every case of a raw-data story (one encoder per story).
fn encode_story(cases: &[Case]) -> Vec<Bytes> {
    let mut encoder = Encoder::new();
    cases
        .iter()
        .map(|c| {
            let mut dst = BytesMut::new();
            encoder.encode(c.headers.iter().map(|(n, v)| (&n[..], &v[..])), &mut dst);
            dst.freeze()
        })
        .collect()
}

#[test]
fn round_trip_raw_data() {
    let root = corpus_root();
    let Some((_, paths)) = folders(&root).into_iter().find(|(f, _)| f == "raw-data") else {
        println!("hpack corpus: no raw-data folder under {}", root.display());
        return;
    };
    let (mut stories, mut cases) = (0usize, 0usize);
    for path in paths {
        let story = load_story(&path);
        let wires = encode_story(&story);
        let mut decoder = Decoder::new(4096);
        for (i, (case, wire)) in story.iter().zip(&wires).enumerate() {
            let mut got = Vec::new();
            decoder
                .decode(wire, usize::MAX, |h| {
                    got.push((h.name.to_vec(), h.value.to_vec()))
                })
                .unwrap_or_else(|e| panic!("{} case {i}: {e}", path.display()));
            assert_eq!(got, case.headers, "{} case {i}", path.display());
            cases += 1;
        }
        stories += 1;
    }
    println!("hpack corpus: round-tripped {stories} raw-data stories, {cases} cases");
}

#[test]
fn compression_not_worse_than_nghttp2() {
    let root = corpus_root();
    let all = folders(&root);
    let (Some((_, raw)), Some((_, ng))) = (
        all.iter().find(|(f, _)| f == "raw-data"),
        all.iter().find(|(f, _)| f == "nghttp2"),
    ) else {
        println!("hpack corpus: raw-data or nghttp2 folder missing; skipped");
        return;
    };
    let (mut ours, mut theirs, mut plain, mut cases) = (0usize, 0usize, 0usize, 0usize);
    for raw_path in raw {
        let Some(ng_path) = ng.iter().find(|p| p.file_name() == raw_path.file_name()) else {
            continue;
        };
        let story = load_story(raw_path);
        let ng_story = load_story(ng_path);
        assert_eq!(story.len(), ng_story.len(), "{}", raw_path.display());
        for (c, n) in story.iter().zip(&ng_story) {
            assert_eq!(
                c.headers,
                n.headers,
                "{}: stories differ",
                raw_path.display()
            );
            theirs += n.wire.as_ref().expect("nghttp2 wire").len();
            plain += c
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum::<usize>();
            cases += 1;
        }
        ours += encode_story(&story).iter().map(Bytes::len).sum::<usize>();
    }
    println!(
        "hpack compression over {cases} cases: ours {ours} bytes, nghttp2 {theirs} bytes ({:.2}%), plain {plain}",
        100.0 * ours as f64 / theirs.max(1) as f64
    );
    assert!(
        ours <= theirs,
        "our encoder ({ours} bytes) is worse than nghttp2 ({theirs} bytes)"
    );
}
