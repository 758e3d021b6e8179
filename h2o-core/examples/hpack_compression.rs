//! Compression figure: our HPACK encoder over every raw-data story of the hpack-test-case
//! corpus versus the nghttp2 folder's wire bytes for the same stories (same cases).
//!
//! ```sh
//! cargo run -p h2o-core --example hpack_compression [CORPUS_DIR] [--dump OUT_DIR]
//! ```
//! `CORPUS_DIR` defaults to `$H2O_HPACK_CORPUS`, else the vendored fixtures. `--dump` writes our
//! encoding of each story in the corpus format (`OUT_DIR/story_NN.json`), for interop checks.

use std::path::{Path, PathBuf};

use bytes::BytesMut;
use h2o_core::hpack::Encoder;
use serde_json::{json, Value};

type Fields = Vec<(String, String)>;

fn load(path: &Path) -> Vec<(Fields, Option<String>)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("json");
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let headers = c["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .flat_map(|h| h.as_object().expect("object").iter())
                .map(|(k, v)| (k.clone(), v.as_str().expect("value").to_owned()))
                .collect();
            (
                headers,
                c.get("wire").and_then(Value::as_str).map(str::to_owned),
            )
        })
        .collect()
}

fn stories(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("story_")
        })
        .collect();
    v.sort();
    v
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let mut dump = None;
    while let Some(a) = args.next() {
        if a == "--dump" {
            dump = args.next().map(PathBuf::from);
        } else {
            root = Some(PathBuf::from(a));
        }
    }
    let root = root
        .or_else(|| std::env::var_os("H2O_HPACK_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hpack-test-case")
        });
    if let Some(d) = &dump {
        std::fs::create_dir_all(d).expect("create dump dir");
    }
    let (mut ours, mut theirs, mut plain, mut cases, mut n) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    for raw in stories(&root.join("raw-data")) {
        let ng = root.join("nghttp2").join(raw.file_name().unwrap());
        let story = load(&raw);
        let ng_story = if ng.exists() { load(&ng) } else { Vec::new() };
        let mut encoder = Encoder::new();
        let mut out_cases = Vec::new();
        for (i, (headers, _)) in story.iter().enumerate() {
            let mut dst = BytesMut::new();
            encoder.encode(
                headers.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
                &mut dst,
            );
            if let Some((ng_headers, Some(wire))) = ng_story.get(i) {
                assert_eq!(ng_headers, headers, "{}: case {i} differs", ng.display());
                theirs += wire.len() / 2;
                ours += dst.len();
                plain += headers
                    .iter()
                    .map(|(k, v)| k.len() + v.len() + 2)
                    .sum::<usize>();
                cases += 1;
            }
            if dump.is_some() {
                let hs: Vec<Value> = headers.iter().map(|(k, v)| json!({ k: v })).collect();
                let wire: String = dst.iter().map(|b| format!("{b:02x}")).collect();
                out_cases.push(json!({ "seqno": i, "wire": wire, "headers": hs }));
            }
        }
        if let Some(d) = &dump {
            let doc = json!({ "description": "Encoded by h2o-core's HPACK encoder.", "cases": out_cases });
            std::fs::write(
                d.join(raw.file_name().unwrap()),
                serde_json::to_string_pretty(&doc).unwrap(),
            )
            .expect("write story");
        }
        n += 1;
    }
    println!("stories: {n}, cases compared: {cases}");
    println!("plain header bytes (name: value CRLF-less): {plain}");
    println!("nghttp2 wire bytes: {theirs}");
    println!(
        "h2o     wire bytes: {ours} ({:.2}% of nghttp2, {:.2}% of plain)",
        100.0 * ours as f64 / theirs.max(1) as f64,
        100.0 * ours as f64 / plain.max(1) as f64
    );
}
