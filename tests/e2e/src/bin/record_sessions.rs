//! Records real HTTP/2 sessions for the fuzz seed corpora: the client talks to a real server
//! (the hyper test server, nghttpd, nginx, h2o) through a recording TCP proxy, and the
//! server-to-client bytes become seeds for `frame_decode` (the byte stream) and `connection`
//! (the same bytes as raw-chunk ops, with as many submitted requests as the session had), and
//! the raw sessions go to `h2o-core/tests/fixtures/sessions/` for the in-memory chaos tests.
//!
//! `cargo run -p h2o-e2e --bin record_sessions [FUZZ_CORPUS_DIR]` (default `fuzz/corpus`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use h2o_core::client::{block_on, Request};
use h2o_core::Client;
use h2o_testsupport::{Mode, RealServer, ServerKind, TestServer};

/// Seeds stay small: the fuzzer mutates prefixes of sessions anyway.
const MAX_FRAME_SEED: usize = 48 << 10;
const MAX_CONN_SEED: usize = 24 << 10;

/// Proxies one connection to `upstream`, recording the server's bytes.
fn record(upstream: SocketAddr, paths: &[&str]) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let rec = recorded.clone();
    let proxy = std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(upstream).unwrap();
        let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let up = std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_in, &mut s_out);
            let _ = s_out.shutdown(Shutdown::Write);
        });
        let (mut s_in, mut c_out) = (server, client);
        let mut buf = [0u8; 16 << 10];
        loop {
            match s_in.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    rec.lock().unwrap().extend_from_slice(&buf[..n]);
                    if c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = c_out.shutdown(Shutdown::Both);
        let _ = up.join();
    });
    let client = Client::new().unwrap();
    let futs: Vec<_> = paths
        .iter()
        .map(|p| client.send(Request::get(&format!("http://127.0.0.1:{port}{p}")).unwrap()))
        .collect();
    for f in futs {
        let r = block_on(async {
            let mut r = f.await?;
            while r.chunk().await?.is_some() {}
            Ok::<_, h2o_core::Error>(r.status())
        });
        eprintln!("  {r:?}");
    }
    std::thread::sleep(Duration::from_millis(200));
    client.close();
    let _ = proxy.join();
    let v = recorded.lock().unwrap().clone();
    v
}

fn write_seeds(dir: &Path, name: &str, requests: usize, bytes: &[u8]) {
    // The raw session for the in-memory chaos tests (h2o-core/tests/proto_chaos_bytes.rs):
    // `<name>.<requests>.bin`, server bytes only.
    let fixtures = dir.join("../../h2o-core/tests/fixtures/sessions");
    std::fs::create_dir_all(&fixtures).unwrap();
    let raw = &bytes[..bytes.len().min(MAX_FRAME_SEED)];
    std::fs::write(fixtures.join(format!("{name}.{requests}.bin")), raw).unwrap();
    // frame_decode: control byte (chunk size 64, default max frame size), then the stream.
    let mut f = vec![0x3f];
    f.extend_from_slice(&bytes[..bytes.len().min(MAX_FRAME_SEED)]);
    std::fs::write(dir.join("frame_decode").join(format!("session-{name}")), f).unwrap();
    // connection: mode 0x80 (no synthetic preface) with `requests` submitted, then raw ops.
    let mut c = vec![0x80 | (requests.clamp(1, 4) - 1) as u8];
    for chunk in bytes[..bytes.len().min(MAX_CONN_SEED)].chunks(255) {
        c.push(0);
        c.push(chunk.len() as u8);
        c.extend_from_slice(chunk);
    }
    let cdir = dir.join("connection");
    std::fs::create_dir_all(&cdir).unwrap();
    std::fs::write(cdir.join(format!("session-{name}")), c).unwrap();
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    let ts = TestServer::start();
    let mut sessions: Vec<(String, usize, Vec<u8>)> = Vec::new();
    let sets: &[(&str, &[&str])] = &[
        ("hello", &["/hello"]),
        ("mixed", &["/hello", "/bytes/20000", "/status/404"]),
        (
            "statuses",
            &["/status/204", "/status/304", "/bytes/0", "/delay/10"],
        ),
    ];
    for (name, paths) in sets {
        eprintln!("testserver {name}");
        let b = record(ts.addr(), paths);
        sessions.push((format!("testserver-{name}"), paths.len(), b));
    }
    for kind in [ServerKind::Nghttpd, ServerKind::Nginx, ServerKind::H2o] {
        eprintln!("{}", kind.name());
        let server = RealServer::start(kind, Mode::H2c);
        let paths = ["/13b", "/0b", "/missing"];
        let b = record(server.addr(), &paths);
        sessions.push((kind.name().to_string(), paths.len(), b));
    }
    for (name, n, bytes) in &sessions {
        eprintln!("{name}: {} server bytes", bytes.len());
        write_seeds(&dir, name, *n, bytes);
    }
}
