//! HPACK throughput: h2o-core versus h2 0.4.20's HPACK on the same input in the same run.
//!
//! - decode: every case of the hpack-test-case `nghttp2` folder (one decoder per story).
//! - encode: every case of the `raw-data` folder (one encoder per story).
//!
//! h2 keeps its `hpack` module private even with the `unstable` feature, so its source is
//! vendored in `hpack_h2/` (MIT) and compiled here unchanged in substance.
//!
//! ```sh
//! cargo bench -p h2o-core --bench hpack -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::io::Cursor;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use http::header::{HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde_json::Value;

#[path = "hpack_h2/mod.rs"]
#[allow(warnings, clippy::all, clippy::pedantic, missing_docs)]
mod hpack;

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn corpus_root() -> PathBuf {
    std::env::var_os("H2O_HPACK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hpack-test-case")
        })
}

fn load_folder(dir: &Path) -> Vec<Vec<(Fields, Option<Bytes>)>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("story_")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let json: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            json["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let fields = c["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|h| h.as_object().unwrap().iter())
                        .map(|(k, v)| {
                            (
                                k.as_bytes().to_vec(),
                                v.as_str().unwrap().as_bytes().to_vec(),
                            )
                        })
                        .collect();
                    let wire = c
                        .get("wire")
                        .and_then(Value::as_str)
                        .map(|w| Bytes::from(hex::decode(w).unwrap()));
                    (fields, wire)
                })
                .collect()
        })
        .collect()
}

fn h2_decode_story(wires: &[Bytes]) -> Result<usize, hpack::DecoderError> {
    let mut dec = hpack::Decoder::new(4096);
    let mut n = 0;
    for w in wires {
        let mut buf = BytesMut::from(&w[..]);
        dec.decode(&mut Cursor::new(&mut buf), |h| {
            black_box(&h);
            n += 1;
            ControlFlow::Continue(())
        })?;
    }
    Ok(n)
}

fn h2o_decode_story(wires: &[Bytes]) -> usize {
    let mut dec = h2o_core::hpack::Decoder::new(4096);
    let mut n = 0;
    for w in wires {
        dec.decode(w, usize::MAX, |h| {
            black_box(&h);
            n += 1;
        })
        .unwrap();
    }
    n
}

/// h2's encoder input for one field, or None if h2's types reject it.
fn h2_header(name: &[u8], value: &[u8]) -> Option<hpack::Header<Option<HeaderName>>> {
    let s = || hpack::BytesStr::try_from(Bytes::copy_from_slice(value)).ok();
    Some(match name {
        b":method" => hpack::Header::Method(Method::from_bytes(value).ok()?),
        b":scheme" => hpack::Header::Scheme(s()?),
        b":path" => hpack::Header::Path(s()?),
        b":authority" => hpack::Header::Authority(s()?),
        b":status" => hpack::Header::Status(StatusCode::from_bytes(value).ok()?),
        _ => hpack::Header::Field {
            name: Some(HeaderName::from_bytes(name).ok()?),
            value: HeaderValue::from_bytes(value).ok()?,
        },
    })
}

fn bench(c: &mut Criterion) {
    let root = corpus_root();

    // Decode: nghttp2 folder; keep the stories both decoders accept.
    let stories: Vec<Vec<Bytes>> = load_folder(&root.join("nghttp2"))
        .into_iter()
        .map(|s| s.into_iter().filter_map(|(_, w)| w).collect::<Vec<_>>())
        .filter(|wires| h2_decode_story(wires).is_ok())
        .collect();
    let wire_bytes: usize = stories.iter().flatten().map(Bytes::len).sum();
    let fields: usize = stories.iter().map(|s| h2o_decode_story(s)).sum();
    assert_eq!(
        fields,
        stories
            .iter()
            .map(|s| h2_decode_story(s).unwrap())
            .sum::<usize>()
    );
    eprintln!(
        "decode input: {} stories, {wire_bytes} wire bytes, {fields} fields",
        stories.len()
    );
    let mut g = c.benchmark_group("hpack_decode");
    g.throughput(Throughput::Bytes(wire_bytes as u64));
    g.bench_function("h2o", |b| {
        b.iter(|| stories.iter().map(|s| h2o_decode_story(s)).sum::<usize>())
    });
    g.bench_function("h2", |b| {
        b.iter(|| {
            stories
                .iter()
                .map(|s| h2_decode_story(s).unwrap())
                .sum::<usize>()
        })
    });
    g.finish();

    // Encode: raw-data folder; keep the stories h2's header types accept.
    let raw: Vec<Vec<Fields>> = load_folder(&root.join("raw-data"))
        .into_iter()
        .map(|s| s.into_iter().map(|(f, _)| f).collect::<Vec<_>>())
        .filter(|s| s.iter().flatten().all(|(n, v)| h2_header(n, v).is_some()))
        .collect();
    let h2_input: Vec<Vec<Vec<hpack::Header<Option<HeaderName>>>>> = raw
        .iter()
        .map(|s| {
            s.iter()
                .map(|case| case.iter().map(|(n, v)| h2_header(n, v).unwrap()).collect())
                .collect()
        })
        .collect();
    let plain: usize = raw
        .iter()
        .flatten()
        .flatten()
        .map(|(n, v)| n.len() + v.len())
        .sum();
    eprintln!(
        "encode input: {} stories, {plain} bytes of names and values",
        raw.len()
    );
    let mut dst = BytesMut::with_capacity(64 * 1024);
    let mut g = c.benchmark_group("hpack_encode");
    g.throughput(Throughput::Bytes(plain as u64));
    g.bench_function("h2o", |b| {
        b.iter(|| {
            let mut total = 0;
            for story in &raw {
                let mut enc = h2o_core::hpack::Encoder::new();
                for case in story {
                    dst.clear();
                    enc.encode(case.iter().map(|(n, v)| (&n[..], &v[..])), &mut dst);
                    total += dst.len();
                }
            }
            total
        })
    });
    g.bench_function("h2", |b| {
        b.iter_batched(
            || h2_input.clone(),
            |input| {
                let mut total = 0;
                for story in input {
                    let mut enc = hpack::Encoder::new(4096, 0);
                    for case in story {
                        dst.clear();
                        enc.encode(case, &mut dst);
                        total += dst.len();
                    }
                }
                total
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
