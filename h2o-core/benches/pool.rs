//! Connection acquisition from a warm pool: the cost of choosing the connection for a
//! request (lock, origin lookup, least-loaded choice), measured against a live connection
//! to a minimal local HTTP/2 peer. Goal: well under 1 µs.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use h2o_core::{Client, Url};

/// A peer that sends an empty SETTINGS and a SETTINGS ACK, then only reads.
fn peer() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0]);
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    port
}

fn acquisition(c: &mut Criterion) {
    let port = peer();
    let client = Client::new().unwrap();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    client.preconnect(&url.to_string(), 1).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let id = client.acquire_connection(&url).unwrap();
    c.bench_function("pool acquire (warm, 1 connection)", |b| {
        b.iter(|| {
            let got = client.acquire_connection(&url).unwrap();
            debug_assert_eq!(got, id);
            got
        })
    });
    let mut cfg = h2o_core::Config::default();
    cfg.pool.max_connections_per_origin = 8;
    let client8 = Client::with_config(cfg).unwrap();
    client8.preconnect(&url.to_string(), 8).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    c.bench_function("pool acquire (warm, 8 connections)", |b| {
        b.iter(|| client8.acquire_connection(&url).unwrap())
    });
}

criterion_group!(benches, acquisition);
criterion_main!(benches);
