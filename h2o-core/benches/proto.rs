//! Micro-benchmarks of the sans-IO connection (`h2o_core::proto::Connection`) against a
//! scripted peer built from the frame codec and the HPACK encoder: no sockets, no runtime.
//!
//! - `roundtrip/get_13b`: per request, submit → HEADERS encoded into the write buffer →
//!   the server's recorded response (HEADERS in nghttpd's shape, then a 13-byte DATA with
//!   END_STREAM) fed back → events drained (Head, Data, Done) and the body released. In
//!   batches of 100 concurrent requests (the server's MAX_CONCURRENT_STREAMS), steady
//!   state: the HPACK tables are warm, the response is a replay whose stream ids are
//!   patched in place.
//! - `upload/*`: 100 streams × 64 KiB request bodies drained by `poll_transmit`: the DATA
//!   scheduler's pick, flow-control accounting and framing, for sequential (default
//!   priority) and incremental (round-robin) streams.
//!
//! `cargo bench -p h2o-core --bench proto`

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use h2o_core::frame::{
    encode_header_block, Data, Frame, Settings, StreamId, WindowUpdate, MAX_WINDOW_SIZE,
};
use h2o_core::hpack::Encoder;
use h2o_core::proto::{Connection, Event, ProtoConfig, RequestId};
use h2o_core::{Method, Priority, RequestHead, Url};

const BATCH: u32 = 100;

/// What nghttpd answers to `GET /13b` (see `nghttp -nv`).
const RESPONSE_FIELDS: [(&[u8], &[u8]); 6] = [
    (b":status", b"200"),
    (b"server", b"nghttpd nghttp2/1.52.0"),
    (b"cache-control", b"max-age=3600"),
    (b"date", b"Wed, 25 Nov 2026 22:17:50 GMT"),
    (b"content-length", b"13"),
    (b"last-modified", b"Wed, 25 Nov 2026 21:47:59 GMT"),
];

/// A server's replies to `BATCH` requests on consecutive client stream ids, with the
/// offsets of every stream-id field so that the batch can be replayed for other ids.
struct Replay {
    bytes: BytesMut,
    /// (offset of the 4-byte stream id, index of the request in the batch)
    ids: Vec<(usize, u32)>,
}

impl Replay {
    fn record(enc: &mut Encoder, first_sid: u32, body: &'static [u8], status_only: bool) -> Replay {
        let mut bytes = BytesMut::new();
        let mut ids = Vec::new();
        let mut block = BytesMut::new();
        for k in 0..BATCH {
            let sid = StreamId::new(first_sid + 2 * k);
            block.clear();
            if status_only {
                enc.encode([(&b":status"[..], &b"200"[..])], &mut block);
            } else {
                enc.encode(RESPONSE_FIELDS, &mut block);
            }
            ids.push((bytes.len() + 5, k));
            encode_header_block(sid, &block, status_only, None, 16_384, &mut bytes);
            if !status_only {
                ids.push((bytes.len() + 5, k));
                Frame::Data(Data::new(sid, Bytes::from_static(body), true)).encode(&mut bytes);
            }
        }
        Replay { bytes, ids }
    }

    /// Rewrites the stream ids for a batch starting at `first_sid`.
    fn patch(&mut self, first_sid: u32) {
        for &(off, k) in &self.ids {
            let sid = first_sid + 2 * k;
            self.bytes[off..off + 4].copy_from_slice(&sid.to_be_bytes());
        }
    }
}

/// A connection past the handshake: the server's SETTINGS (and `extra` frames) fed, our
/// preface written out.
fn handshaken(settings: Settings, extra: &[Frame]) -> Connection {
    let now = Instant::now();
    let mut conn = Connection::new(ProtoConfig::default(), now);
    let mut buf = BytesMut::new();
    Frame::Settings(settings).encode(&mut buf);
    Frame::Settings(Settings::ack()).encode(&mut buf);
    for f in extra {
        f.encode(&mut buf);
    }
    conn.recv(&buf, now);
    drain_writes(&mut conn);
    conn
}

fn drain_writes(conn: &mut Connection) -> usize {
    let mut total = 0;
    loop {
        let n = conn.poll_transmit().len();
        if n == 0 {
            return total;
        }
        total += n;
        conn.advance_transmit(n);
    }
}

/// Drives GET round trips in batches of `BATCH`; `next_req` and `next_sid` carry on.
struct GetBench {
    conn: Connection,
    head: RequestHead,
    replay: Replay,
    next_req: u64,
    next_sid: u32,
}

impl GetBench {
    fn new() -> GetBench {
        let mut conn = handshaken(
            Settings {
                max_concurrent_streams: Some(BATCH),
                initial_window_size: Some(65_535),
                ..Settings::default()
            },
            &[],
        );
        let url = Url::parse("http://127.0.0.1:8080/13b").unwrap();
        let head = RequestHead::new(Method::GET, &url);
        // The first batch fills the server's HPACK table (literals); the second, recorded
        // after it, is the steady state (all indexed) that is replayed.
        let mut enc = Encoder::new();
        let first = Replay::record(&mut enc, 1, b"Hello, world!", false);
        let replay = Replay::record(&mut enc, 1 + 2 * BATCH, b"Hello, world!", false);
        let mut b = GetBench {
            conn: Connection::new(ProtoConfig::default(), Instant::now()),
            head,
            replay: first,
            next_req: 1,
            next_sid: 1,
        };
        std::mem::swap(&mut b.conn, &mut conn);
        assert_eq!(b.batch(), BATCH as usize * 3, "first batch");
        b.replay = replay;
        for _ in 0..3 {
            assert_eq!(b.batch(), BATCH as usize * 3, "steady state");
        }
        b
    }

    /// One batch: returns the number of events seen.
    fn batch(&mut self) -> usize {
        let now = Instant::now();
        for _ in 0..BATCH {
            self.conn
                .submit(RequestId(self.next_req), self.head.clone(), None, true);
            self.next_req += 1;
        }
        drain_writes(&mut self.conn);
        self.replay.patch(self.next_sid);
        self.next_sid += 2 * BATCH;
        self.conn
            .read_buffer()
            .extend_from_slice(&self.replay.bytes);
        self.conn.process(now);
        let mut events = 0;
        while let Some(ev) = self.conn.poll_event() {
            events += 1;
            match ev {
                Event::Data { id, data } => self.conn.release(id, data.len()),
                Event::Failed { error, .. } => panic!("request failed: {error}"),
                _ => {}
            }
        }
        drain_writes(&mut self.conn);
        events
    }
}

fn roundtrip(c: &mut Criterion) {
    let mut g = c.benchmark_group("roundtrip");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("get_13b_batch100", |b| {
        let mut bench = GetBench::new();
        b.iter(|| bench.batch());
    });
    g.finish();
}

/// Uploads: `BATCH` streams with a 64 KiB body each, written out through the scheduler;
/// the server's final responses (`:status 200` + END_STREAM) and a connection
/// WINDOW_UPDATE for the bytes sent close the batch.
fn upload(c: &mut Criterion) {
    const BODY: usize = 64 << 10;
    let mut g = c.benchmark_group("upload");
    g.throughput(Throughput::Bytes(BATCH as u64 * BODY as u64));
    for (name, prio) in [
        ("sequential_100x64k", Priority::default()),
        ("incremental_100x64k", Priority::new(3, true)),
    ] {
        g.bench_function(name, |b| {
            let mut conn = handshaken(
                Settings {
                    max_concurrent_streams: Some(BATCH),
                    initial_window_size: Some(MAX_WINDOW_SIZE),
                    ..Settings::default()
                },
                &[Frame::WindowUpdate(WindowUpdate {
                    stream_id: StreamId::ZERO,
                    increment: MAX_WINDOW_SIZE - 65_535,
                })],
            );
            let url = Url::parse("http://127.0.0.1:8080/upload").unwrap();
            let mut head = RequestHead::new(Method::POST, &url);
            head.priority = prio;
            let body = Bytes::from(vec![0x5a; BODY]);
            let mut enc = Encoder::new();
            let mut replay = Replay::record(&mut enc, 1, b"", true);
            let mut refill = BytesMut::new();
            Frame::WindowUpdate(WindowUpdate {
                stream_id: StreamId::ZERO,
                increment: BATCH * BODY as u32,
            })
            .encode(&mut refill);
            let (mut next_req, mut next_sid) = (1u64, 1u32);
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let now = Instant::now();
                    let t = Instant::now();
                    for _ in 0..BATCH {
                        conn.submit(RequestId(next_req), head.clone(), Some(body.clone()), true);
                        next_req += 1;
                    }
                    let written = drain_writes(&mut conn);
                    spent += t.elapsed();
                    assert!(written >= BATCH as usize * BODY, "wrote {written}");
                    // Untimed: the server answers and returns the connection window.
                    replay.patch(next_sid);
                    next_sid += 2 * BATCH;
                    conn.read_buffer().extend_from_slice(&replay.bytes);
                    conn.read_buffer().extend_from_slice(&refill);
                    conn.process(now);
                    let mut done = 0u32;
                    while let Some(ev) = conn.poll_event() {
                        match ev {
                            Event::Done { .. } => done += 1,
                            Event::Failed { error, .. } => panic!("upload failed: {error}"),
                            _ => {}
                        }
                    }
                    assert_eq!(done, BATCH);
                    drain_writes(&mut conn);
                }
                spent
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = roundtrip, upload
}
criterion_main!(benches);
