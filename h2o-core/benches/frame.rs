//! Frame codec benchmarks: header parse, DATA decode, mixed small frames decode, encode.

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use h2o_core::frame::*;

fn small_frames() -> Vec<Frame> {
    let s = StreamId::new;
    vec![
        Settings {
            max_concurrent_streams: Some(100),
            initial_window_size: Some(1 << 20),
            ..Settings::default()
        }
        .into(),
        Settings::ack().into(),
        WindowUpdate {
            stream_id: s(0),
            increment: 1 << 20,
        }
        .into(),
        Headers {
            stream_id: s(1),
            end_stream: false,
            end_headers: true,
            priority: None,
            fragment: Bytes::from_static(&[
                0x88, 0x5f, 0x8b, 0x1d, 0x75, 0xd0, 0x62, 0x0d, 0x26, 0x3d, 0x4c,
            ]),
        }
        .into(),
        Data::new(s(1), Bytes::from_static(&[b'x'; 64]), false).into(),
        Ping {
            ack: true,
            payload: *b"pingpong",
        }
        .into(),
        WindowUpdate {
            stream_id: s(1),
            increment: 65_535,
        }
        .into(),
        Data::new(s(1), Bytes::from_static(&[b'y'; 16]), true).into(),
        RstStream {
            stream_id: s(3),
            code: ErrorCode::Cancel,
        }
        .into(),
        GoAway {
            last_stream_id: s(3),
            code: ErrorCode::NoError,
            debug_data: Bytes::new(),
        }
        .into(),
    ]
}

fn bench(c: &mut Criterion) {
    let raw: [u8; 9] = [0x00, 0x40, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01];
    c.bench_function("header_parse", |b| {
        b.iter(|| FrameHeader::parse(black_box(&raw)))
    });

    let mut data_wire = BytesMut::new();
    Data::new(StreamId::new(1), Bytes::from(vec![0xab; 16_384]), false).encode(&mut data_wire);
    let data_wire = data_wire.freeze();
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    g.bench_function("data_16k", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&data_wire[..]),
            |buf| FrameDecoder::new().decode(black_box(buf)).unwrap(),
            BatchSize::SmallInput,
        )
    });

    let frames = small_frames();
    let mut mixed = BytesMut::new();
    for f in &frames {
        f.encode(&mut mixed);
    }
    let mixed = mixed.freeze();
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("mixed_10_small", |b| {
        b.iter_batched_ref(
            || BytesMut::from(&mixed[..]),
            |buf| {
                let mut dec = FrameDecoder::new();
                let mut n = 0;
                while let Some(f) = dec.decode(buf).unwrap() {
                    black_box(&f);
                    n += 1;
                }
                n
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("encode");
    let mut out = BytesMut::with_capacity(64 * 1024);
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("mixed_10_small", |b| {
        b.iter(|| {
            out.clear();
            for f in black_box(&frames) {
                f.encode(&mut out);
            }
        })
    });
    let block = vec![0x82u8; 40_000];
    g.throughput(Throughput::Elements(1));
    g.bench_function("header_block_40k", |b| {
        b.iter(|| {
            out.clear();
            encode_header_block(
                StreamId::new(1),
                black_box(&block),
                true,
                None,
                16_384,
                &mut out,
            );
        })
    });
    g.bench_function("data_head", |b| {
        b.iter(|| {
            out.clear();
            encode_data_head(
                black_box(StreamId::new(1)),
                black_box(16_384),
                false,
                &mut out,
            );
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
