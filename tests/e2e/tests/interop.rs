//! The interop matrix (issue #4): the client against nginx, the h2o server, nghttpd and apache2
//! (Debian packages run by `tests/servers/serve.sh`), each in h2c (prior knowledge) and TLS
//! (ALPN h2) mode. Every combination runs the same [`exercise`]:
//!
//! * GET of 0 B, 13 B, 1 MiB and 100 MiB, checked byte for byte against the pattern and by
//!   SHA-256 (100 MiB: byte-exact only, hashing it in debug builds costs seconds);
//! * HEAD; 304 for a conditional GET (If-Modified-Since, and If-None-Match where the server
//!   sends an ETag); 204; 64 KiB of response headers;
//! * uploads: a 1 MiB POST in one buffer and a 3 MiB POST streamed through `BodySender`,
//!   checked by the server's own length and SHA-1 where it can compute them, plus (nginx) a
//!   streamed WebDAV PUT read back with GET;
//! * 1000 concurrent requests on one connection (10x the servers' stream limits), and 300
//!   concurrent 1 MiB downloads (streams that stay open, beyond the limit);
//! * a graceful reload of the server (GOAWAY to the old connection) in the middle of 2000
//!   requests with 100 in flight: every request must succeed;
//! * a graceful stop in the middle of a run: no request the server accepted may fail, the rest
//!   fail as unprocessed (nothing listens any more).
//!
//! What a server cannot do is skipped for that server only, with the reason in [`Caps`].
//! The TLS tests need the client's TLS support (`h2o_core::Config::tls`): they are behind this
//! crate's `tls` feature (`cargo test -p h2o-e2e --features tls --test interop`).

use std::time::{Duration, Instant};

use bytes::Bytes;
use h2o_core::client::{block_on, Request};
use h2o_core::{Client, Error, Method};
use h2o_e2e::interop::{
    connections_to, established_connections_to, pattern_bytes, run_bounded_until, sha1_hex,
    PatternCheck,
};
use h2o_e2e::{fetch, hex, pattern_sha256};
use h2o_testsupport::{Mode, RealServer, ServerKind};
use sha2::{Digest, Sha256};

const HELLO: &[u8] = b"Hello, world!";

/// How a server takes a POST body (`/upload` in serve.sh).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Upload {
    /// Reads it and answers `len=N sha1=HEX` (h2o: mruby, apache2: mod_lua).
    Digest,
    /// nginx (`return 200 "ok"`): answers 200 before reading the body, then RST_STREAM
    /// NO_ERROR (RFC 9113 §8.1): the response must reach the caller intact.
    EarlyResponse,
    /// nghttpd: no handlers; a POST to a static file reads the body and serves the file.
    StaticFile,
}

/// What each server can be asked for.
#[derive(Clone, Copy, Debug)]
struct Caps {
    /// `/204` (nghttpd only serves files).
    no_content: bool,
    /// `/bigheaders` (nghttpd cannot add response headers).
    big_headers: bool,
    /// Sends an ETag for static files (nghttpd: Last-Modified only).
    etag: bool,
    upload: Upload,
    /// `/upload` reads a body sent without content-length (apache2's mod_lua `r:requestbody`
    /// reads nothing then: it answers `len=0`, same with `nghttp --no-content-length`).
    upload_without_length: bool,
    /// WebDAV PUT to `/put/NAME` (nginx `dav_methods PUT`, apache2 mod_dav).
    put: bool,
    /// Graceful reload by signal (nghttpd has none).
    reload: bool,
    /// At a graceful restart, the server (apache2 2.4 mod_http2) sends GOAWAY(NO_ERROR,
    /// 2^31-1), then GOAWAY with last-stream-id N and an invalid error code 0xfffffc7a
    /// (nghttp2's NGHTTP2_ERR_CALLBACK_FAILURE, debug "The user callback function failed"),
    /// REFUSED_STREAM for streams above N, and closes the connection without answering some
    /// streams at or below N: those fail with `Io`, processed `Maybe` (seen with a frame spy).
    reload_abandons_streams: bool,
    /// At a graceful stop the server's listening socket outlives its HTTP/2 worker: h2o in
    /// master mode (`start_server` owns the socket and exits only once the old worker has
    /// drained). The kernel completes the handshake of the client's new connection, the client
    /// sends SETTINGS and its requests, no byte ever comes back, and the connection is reset
    /// when the master exits: those requests fail with `Io` ("Connection reset by peer"),
    /// processed `Maybe` (seen with a frame spy).
    stop_leaves_listener_open: bool,
}

fn caps(kind: ServerKind) -> Caps {
    match kind {
        ServerKind::Nginx => Caps {
            no_content: true,
            big_headers: true,
            etag: true,
            upload: Upload::EarlyResponse,
            upload_without_length: true,
            put: true,
            reload: true,
            reload_abandons_streams: false,
            stop_leaves_listener_open: false,
        },
        ServerKind::H2o => Caps {
            no_content: true,
            big_headers: true,
            etag: true,
            upload: Upload::Digest,
            upload_without_length: true,
            put: false,
            reload: true,
            reload_abandons_streams: false,
            stop_leaves_listener_open: true,
        },
        ServerKind::Nghttpd => Caps {
            no_content: false,
            big_headers: false,
            etag: false,
            upload: Upload::StaticFile,
            upload_without_length: true,
            put: false,
            reload: false,
            reload_abandons_streams: false,
            stop_leaves_listener_open: false,
        },
        ServerKind::Apache2 => Caps {
            no_content: true,
            big_headers: true,
            etag: true,
            upload: Upload::Digest,
            upload_without_length: false,
            put: true,
            reload: true,
            reload_abandons_streams: true,
            stop_leaves_listener_open: false,
        },
    }
}

struct Combo {
    kind: ServerKind,
    mode: Mode,
    caps: Caps,
    server: RealServer,
    client: Client,
}

impl Combo {
    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Panics with the step, the error and the server's logs.
    fn fail(&self, step: &str, why: impl std::fmt::Display) -> ! {
        panic!(
            "{} {} {step}: {why}\n{}",
            self.kind,
            self.mode,
            self.server.logs()
        )
    }

    fn ok<T>(&self, step: &str, r: h2o_core::Result<T>) -> T {
        r.unwrap_or_else(|e| self.fail(step, describe(&e)))
    }

    fn check(&self, step: &str, ok: bool, why: impl std::fmt::Display) {
        if !ok {
            self.fail(step, why)
        }
    }

    fn step(&self, name: &str, started: Instant) {
        eprintln!(
            "{} {} {name}: ok ({} ms)",
            self.kind,
            self.mode,
            started.elapsed().as_millis()
        );
    }
}

/// [`run_bounded_until`] with a 30 s stall watchdog: requests the client never finishes fail
/// the step.
fn run<T, F, M, D>(c: &Combo, step: &str, limit: usize, make: M, on_done: D) -> usize
where
    F: std::future::Future<Output = T>,
    M: FnMut(usize) -> Option<F>,
    D: FnMut(usize, T, usize),
{
    let watchdog = Duration::from_secs(30);
    run_bounded_until(limit, watchdog, make, on_done).unwrap_or_else(|stuck| {
        c.fail(
            step,
            format!(
                "CLIENT BUG? {} requests never finished (nothing finished for {watchdog:?}): #{:?}",
                stuck.len(),
                &stuck[..stuck.len().min(20)]
            ),
        )
    })
}

fn describe(e: &Error) -> String {
    format!(
        "{e} [kind {:?}, code {:?}, origin {:?}, scope {:?}, processed {:?}]",
        e.kind(),
        e.code(),
        e.origin(),
        e.scope(),
        e.processed()
    )
}

fn client_for(server: &RealServer) -> Client {
    match server.mode() {
        Mode::H2c => Client::new().expect("client"),
        Mode::Tls => tls_client(server),
    }
}

#[cfg(feature = "tls")]
fn tls_client(server: &RealServer) -> Client {
    let mut cfg = h2o_core::Config::default();
    cfg.tls.ca_file = Some(server.ca_path());
    Client::with_config(cfg).expect("TLS client")
}

#[cfg(not(feature = "tls"))]
fn tls_client(_: &RealServer) -> Client {
    unreachable!("the TLS interop tests need the `tls` feature")
}

fn exercise(kind: ServerKind, mode: Mode) {
    let t0 = Instant::now();
    let server = RealServer::start(kind, mode);
    let client = client_for(&server);
    let mut c = Combo {
        kind,
        mode,
        caps: caps(kind),
        server,
        client,
    };
    downloads(&c);
    head(&c);
    not_modified(&c);
    no_content(&c);
    big_headers(&c);
    uploads(&c);
    many_streams(&c);
    long_streams_beyond_limit(&c);
    graceful_reload(&c);
    graceful_stop(&mut c);
    c.client.close();
    eprintln!("{kind} {mode}: all ok in {} ms", t0.elapsed().as_millis());
}

/// GET 0 B, 13 B, 1 MiB, 100 MiB: status, content-length, bytes.
fn downloads(c: &Combo) {
    let t = Instant::now();
    for (path, len) in [
        ("/0b", 0u64),
        ("/13b", 13),
        ("/1m", 1 << 20),
        ("/100m", 100 << 20),
    ] {
        let step = format!("GET {path}");
        let (status, content_length, check, sha) = c.ok(
            &step,
            block_on(async {
                let mut resp = c.client.send(Request::get(&c.url(path))?).await?;
                let cl = resp.headers().get_str("content-length").map(str::to_owned);
                let mut check = PatternCheck::new();
                let mut sha = (len <= 1 << 20).then(Sha256::new);
                while let Some(chunk) = resp.chunk().await? {
                    check.update(&chunk);
                    if let Some(h) = sha.as_mut() {
                        h.update(&chunk);
                    }
                }
                Ok((resp.status(), cl, check, sha.map(|h| hex(&h.finalize()))))
            }),
        );
        c.check(&step, status == 200, format!("status {status}"));
        c.check(&step, check.len() == len, format!("{} bytes", check.len()));
        c.check(
            &step,
            content_length.as_deref() == Some(&len.to_string()),
            format!("content-length {content_length:?}"),
        );
        if path == "/13b" {
            c.check(
                &step,
                sha.as_deref() == Some(&*hex(&Sha256::digest(HELLO))),
                "not Hello, world!",
            );
        } else {
            c.check(
                &step,
                check.first_mismatch().is_none(),
                format!("differs from the pattern at {:?}", check.first_mismatch()),
            );
            if let Some(sha) = sha {
                c.check(&step, sha == pattern_sha256(len), "sha256 differs");
            }
        }
    }
    c.step("GET 0b/13b/1m/100m", t);
}

fn head(c: &Combo) {
    let t = Instant::now();
    let f = c.ok(
        "HEAD /1m",
        fetch(
            &c.client,
            Request::new(Method::HEAD, &c.url("/1m")).unwrap(),
        ),
    );
    c.check("HEAD /1m", f.status == 200, format!("status {}", f.status));
    c.check("HEAD /1m", f.len == 0, format!("{} body bytes", f.len));
    let cl = f.response.headers().get_str("content-length");
    c.check(
        "HEAD /1m",
        cl == Some("1048576"),
        format!("content-length {cl:?}"),
    );
    c.step("HEAD", t);
}

/// 304 for If-Modified-Since (every server) and If-None-Match (servers with ETags).
fn not_modified(c: &Combo) {
    let t = Instant::now();
    let f = c.ok(
        "GET /13b",
        fetch(&c.client, Request::get(&c.url("/13b")).unwrap()),
    );
    let headers = f.response.headers();
    let last_modified = headers.get_str("last-modified").map(str::to_owned);
    let etag = headers.get_str("etag").map(str::to_owned);
    let last_modified =
        last_modified.unwrap_or_else(|| c.fail("GET /13b", "no last-modified header"));
    let mut conditions = vec![("if-modified-since", last_modified)];
    match (etag, c.caps.etag) {
        (Some(etag), true) => conditions.push(("if-none-match", etag)),
        (None, true) => c.fail("GET /13b", "no etag header"),
        (_, false) => {}
    }
    for (name, value) in conditions {
        let step = format!("GET /13b {name}: {value}");
        let req = Request::get(&c.url("/13b")).unwrap().header(name, value);
        let f = c.ok(&step, fetch(&c.client, req));
        c.check(&step, f.status == 304, format!("status {}", f.status));
        c.check(&step, f.len == 0, format!("{} body bytes", f.len));
    }
    c.step("304", t);
}

fn no_content(c: &Combo) {
    if !c.caps.no_content {
        eprintln!("{} {}: 204 skipped (static files only)", c.kind, c.mode);
        return;
    }
    let t = Instant::now();
    let f = c.ok(
        "GET /204",
        fetch(&c.client, Request::get(&c.url("/204")).unwrap()),
    );
    c.check("GET /204", f.status == 204, format!("status {}", f.status));
    c.check("GET /204", f.len == 0, format!("{} body bytes", f.len));
    c.step("204", t);
}

/// 64 response headers of 1000 bytes each (~66 KB of header list, CONTINUATION frames).
fn big_headers(c: &Combo) {
    if !c.caps.big_headers {
        eprintln!(
            "{} {}: 64 KiB response headers skipped (cannot add headers)",
            c.kind, c.mode
        );
        return;
    }
    let t = Instant::now();
    let step = "GET /bigheaders";
    let (status, headers, body) = c.ok(
        step,
        block_on(async {
            let mut resp = c.client.send(Request::get(&c.url("/bigheaders"))?).await?;
            let body = resp.bytes().await?;
            Ok((resp.status(), resp.headers().clone(), body))
        }),
    );
    c.check(step, status == 200, format!("status {status}"));
    c.check(step, &body[..] == HELLO, format!("body {body:?}"));
    let value = "v".repeat(1000);
    for i in 0..64 {
        let name = format!("x-big-{i:02}");
        let got: Vec<&[u8]> = headers.get_all(name.as_str()).collect();
        c.check(
            step,
            got == [value.as_bytes()],
            format!(
                "{name}: {} values, lengths {:?}",
                got.len(),
                got.iter().map(|v| v.len()).collect::<Vec<_>>()
            ),
        );
    }
    let total: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
    c.check(
        step,
        total >= 64 << 10,
        format!("only {total} bytes of headers"),
    );
    c.step("64 KiB response headers", t);
}

/// `len` bytes of pattern starting at a 7-byte offset (not the download pattern's phase).
fn upload_body(len: usize) -> Bytes {
    let mut v = pattern_bytes(len + 7);
    v.drain(..7);
    Bytes::from(v)
}

/// Checks a POST's response against what the server's upload handler says.
fn check_upload_response(c: &Combo, step: &str, sent: &Bytes, status: u16, body: &[u8]) {
    c.check(
        step,
        status == 200,
        format!("status {status}: {:?}", String::from_utf8_lossy(body)),
    );
    let want: Vec<u8> = match c.caps.upload {
        Upload::Digest => format!("len={} sha1={}", sent.len(), sha1_hex(sent)).into_bytes(),
        Upload::EarlyResponse => b"ok".to_vec(),
        Upload::StaticFile => HELLO.to_vec(),
    };
    c.check(
        step,
        body == want,
        format!(
            "answered {:?}, want {:?}",
            String::from_utf8_lossy(body),
            String::from_utf8_lossy(&want)
        ),
    );
}

fn upload_path(c: &Combo) -> &'static str {
    match c.caps.upload {
        Upload::StaticFile => "/13b",
        Upload::Digest | Upload::EarlyResponse => "/upload",
    }
}

/// Sends `req` with `body` streamed from another thread in uneven chunks; returns the status,
/// the response body and what the sender saw.
fn streamed(
    c: &Combo,
    step: &str,
    req: Request,
    body: Bytes,
) -> (u16, Bytes, h2o_core::Result<()>) {
    let (req, mut tx) = req.body_stream();
    let resp = c.client.send(req);
    let sender = std::thread::spawn(move || {
        block_on(async move {
            let sizes = [1usize, 100, 16_384, 65_536, 1000, 70_000, 16_383, 262_144];
            let (mut off, mut i) = (0, 0);
            while off < body.len() {
                let n = sizes[i % sizes.len()].min(body.len() - off);
                tx.send(body.slice(off..off + n)).await?;
                off += n;
                i += 1;
            }
            tx.finish();
            Ok(())
        })
    });
    let (status, got) = c.ok(
        step,
        block_on(async {
            let mut resp = resp.await?;
            let got = resp.bytes().await?;
            Ok((resp.status(), got))
        }),
    );
    let sent = sender.join().expect("sender thread");
    (status, got, sent)
}

fn uploads(c: &Combo) {
    let t = Instant::now();
    let path = upload_path(c);
    // 1 MiB in one buffer (content-length set).
    let body = upload_body(1 << 20);
    let step = format!("POST {path} 1 MiB");
    let f = c.ok(
        &step,
        block_on(async {
            let mut resp = c
                .client
                .send(Request::post(&c.url(path))?.body(body.clone()))
                .await?;
            let got = resp.bytes().await?;
            Ok((resp.status(), got))
        }),
    );
    check_upload_response(c, &step, &body, f.0, &f.1);

    // 3 MiB + 5 streamed, with and without content-length.
    for with_length in [true, false] {
        let body = upload_body((3 << 20) + 5);
        let step = format!(
            "POST {path} 3 MiB streamed, {} content-length",
            if with_length { "with" } else { "without" }
        );
        if !with_length && !c.caps.upload_without_length {
            eprintln!(
                "{} {}: {step} skipped (mod_lua reads no body without content-length)",
                c.kind, c.mode
            );
            continue;
        }
        let mut req = Request::post(&c.url(path)).unwrap();
        if with_length {
            req = req.header("content-length", body.len().to_string());
        }
        let (status, got, sent) = streamed(c, &step, req, body.clone());
        check_upload_response(c, &step, &body, status, &got);
        match (c.caps.upload, sent) {
            (_, Ok(())) => {}
            // The server answered without reading: the rest of the body has nowhere to go.
            (Upload::EarlyResponse, Err(e)) if e.kind() == h2o_core::ErrorKind::Cancelled => {}
            (_, Err(e)) => c.fail(&step, format!("body sender: {}", describe(&e))),
        }
    }

    if c.caps.put {
        // WebDAV PUT, streamed with and without a content-length, then read back.
        for (name, with_length) in [("with-length", true), ("without-length", false)] {
            let body = upload_body((2 << 20) + 3);
            let path = format!("/put/{name}");
            let step = format!("PUT {path} streamed");
            let mut req = Request::new(Method::PUT, &c.url(&path)).unwrap();
            if with_length {
                req = req.header("content-length", body.len().to_string());
            }
            let (status, got, sent) = streamed(c, &step, req, body.clone());
            c.check(
                &step,
                status == 201 || status == 204,
                format!("status {status}: {:?}", String::from_utf8_lossy(&got)),
            );
            if let Err(e) = sent {
                c.fail(&step, format!("body sender: {}", describe(&e)));
            }
            let step = format!("GET {path}");
            let f = c.ok(
                &step,
                fetch(&c.client, Request::get(&c.url(&path)).unwrap()),
            );
            c.check(
                &step,
                f.status == 200 && f.len == body.len() as u64,
                format!("status {}, {} bytes", f.status, f.len),
            );
            c.check(
                &step,
                f.sha256 == hex(&Sha256::digest(&body)),
                "stored body differs from the upload",
            );
        }
    }
    c.step("uploads", t);
}

/// 1000 requests in flight at once (the servers allow 100 or 128 streams): all complete, on
/// one connection.
fn many_streams(c: &Combo) {
    let t = Instant::now();
    let step = "1000 concurrent GET /13b";
    let url = c.url("/13b");
    let mut failures = Vec::new();
    run(
        c,
        step,
        1000,
        |i| {
            let client = c.client.clone();
            let url = url.clone();
            (i < 1000).then_some(async move {
                let mut resp = client.send(Request::get(&url)?).await?;
                let body = resp.bytes().await?;
                Ok::<_, Error>((resp.status(), body))
            })
        },
        |i, out, _| match out {
            Ok((200, body)) if &body[..] == HELLO => {}
            Ok((status, body)) => failures.push(format!("#{i}: {status} {body:?}")),
            Err(e) => failures.push(format!("#{i}: {}", describe(&e))),
        },
    );
    c.check(
        step,
        failures.is_empty(),
        format!(
            "{} failed: {:?}",
            failures.len(),
            &failures[..failures.len().min(10)]
        ),
    );
    let conns = established_connections_to(c.server.port());
    c.check(
        step,
        conns == 1,
        format!("{conns} connections to the server"),
    );
    c.step(step, t);
}

/// 300 concurrent 1 MiB downloads: streams stay open long enough that the server's limit is
/// really reached (and flow control shares one connection's window).
fn long_streams_beyond_limit(c: &Combo) {
    let t = Instant::now();
    let step = "300 concurrent GET /1m";
    let url = c.url("/1m");
    let mut failures = Vec::new();
    run(
        c,
        step,
        300,
        |i| {
            let client = c.client.clone();
            let url = url.clone();
            (i < 300).then_some(async move {
                let mut resp = client.send(Request::get(&url)?).await?;
                let mut check = PatternCheck::new();
                while let Some(chunk) = resp.chunk().await? {
                    check.update(&chunk);
                }
                Ok::<_, Error>((resp.status(), check))
            })
        },
        |i, out, _| match out {
            Ok((200, check)) if check.len() == 1 << 20 && check.first_mismatch().is_none() => {}
            Ok((status, check)) => failures.push(format!(
                "#{i}: {status}, {} bytes, mismatch at {:?}",
                check.len(),
                check.first_mismatch()
            )),
            Err(e) => failures.push(format!("#{i}: {}", describe(&e))),
        },
    );
    c.check(
        step,
        failures.is_empty(),
        format!(
            "{} failed: {:?}",
            failures.len(),
            &failures[..failures.len().min(10)]
        ),
    );
    c.step(step, t);
}

/// Requests (every 10th a 1 MiB body) with 100 in flight while the server reloads gracefully
/// twice: after 500 have finished, and again once 1300 have finished and the first reload had
/// 1.2 s to take effect (h2o's `start_server` starts the new worker and waits 1 s before it
/// stops the old one). Requests keep coming until 2000 are done and the last reload is 1.5 s
/// old. Each reload must move the client to a new connection (GOAWAY on the old one);
/// requests the old connection did not process are retried without the caller noticing.
/// Every request must succeed, except on servers that break the GOAWAY promise (see
/// [`Caps::reload_abandons_streams`]).
fn graceful_reload(c: &Combo) {
    if !c.caps.reload {
        eprintln!(
            "{} {}: graceful reload skipped (the server has none)",
            c.kind, c.mode
        );
        return;
    }
    let t = Instant::now();
    let step = "requests across 2 graceful reloads";
    let port = c.server.port();
    let (small, large) = (c.url("/13b"), c.url("/1m"));
    let mut errors: Vec<(usize, Error)> = Vec::new();
    let mut bad_responses = Vec::new();
    // (finished when signalled, when, the client's connections then)
    let reloads: std::cell::RefCell<Vec<(usize, Instant, Vec<u16>)>> = Default::default();
    let ran = run(
        c,
        step,
        100,
        |i| {
            let last = reloads.borrow().last().map(|r| r.1);
            let quiet = last.is_some_and(|at| at.elapsed() > Duration::from_millis(1500));
            if i >= 2000 && reloads.borrow().len() == 2 && quiet || i >= 50_000 {
                return None;
            }
            let client = c.client.clone();
            let url = if i % 10 == 0 {
                large.clone()
            } else {
                small.clone()
            };
            Some(async move {
                let mut resp = client.send(Request::get(&url)?).await?;
                let mut check = PatternCheck::new();
                let mut body = Vec::new();
                while let Some(chunk) = resp.chunk().await? {
                    if i % 10 == 0 {
                        check.update(&chunk);
                    } else {
                        body.extend_from_slice(&chunk);
                    }
                }
                let ok = if i % 10 == 0 {
                    check.len() == 1 << 20 && check.first_mismatch().is_none()
                } else {
                    body == HELLO
                };
                Ok::<_, Error>((resp.status(), ok))
            })
        },
        |i, out, finished| {
            match out {
                Ok((200, true)) => {}
                Ok((status, _)) => {
                    bad_responses.push(format!("#{i}: status {status} or wrong body"))
                }
                Err(e) => errors.push((i, e)),
            }
            let mut reloads = reloads.borrow_mut();
            let due = match reloads.last() {
                None => finished >= 500,
                Some((_, at, _)) => {
                    reloads.len() == 1
                        && finished >= 1300
                        && at.elapsed() > Duration::from_millis(1200)
                }
            };
            if due {
                let conns = connections_to(port);
                match c.server.graceful_reload() {
                    Ok(true) => reloads.push((finished, Instant::now(), conns)),
                    Ok(false) => unreachable!(),
                    Err(e) => c.fail(step, format!("cannot signal the server: {e}")),
                }
            }
        },
    );
    let reloads = reloads.into_inner();
    let now = connections_to(port);
    c.check(
        step,
        reloads.len() == 2,
        format!(
            "reloads at {:?}",
            reloads.iter().map(|r| r.0).collect::<Vec<_>>()
        ),
    );
    // Each reload replaced the connection: the one in use when it was signalled is gone.
    let mut used = vec![];
    for (finished, _, before) in &reloads {
        c.check(
            step,
            !before.is_empty(),
            format!("no connection at the reload after {finished}"),
        );
        used.extend(before.iter().copied());
    }
    c.check(
        step,
        reloads[0].2 != reloads[1].2 && now.iter().all(|p| !used.contains(p)),
        format!(
            "the client stayed on its connections (local ports at the reloads {:?}, {:?}; now {now:?})",
            reloads[0].2, reloads[1].2
        ),
    );
    c.check(step, bad_responses.is_empty(), format!("{bad_responses:?}"));
    let describe_all = |errors: &[(usize, Error)]| {
        errors
            .iter()
            .take(20)
            .map(|(i, e)| format!("#{i}: {}", describe(e)))
            .collect::<Vec<_>>()
    };
    // A request the server provably did not process must never fail: it is retried.
    let unprocessed: Vec<_> = errors
        .iter()
        .filter(|(_, e)| e.processed() == h2o_core::Processed::No)
        .cloned()
        .collect();
    c.check(
        step,
        unprocessed.is_empty(),
        format!(
            "{} unprocessed requests of {ran} reached the caller: {:?}",
            unprocessed.len(),
            describe_all(&unprocessed)
        ),
    );
    if c.caps.reload_abandons_streams {
        // Tolerated: streams the server accepted (at or below GOAWAY's last-stream-id) and then
        // dropped by closing the connection, which the client cannot know were not processed.
        // At most what was in flight at the two reloads.
        let abandoned = errors.iter().all(|(_, e)| {
            e.kind() == h2o_core::ErrorKind::Io && e.processed() == h2o_core::Processed::Maybe
        });
        c.check(
            step,
            abandoned && errors.len() <= 200,
            format!(
                "{} of {ran} failed: {:?}",
                errors.len(),
                describe_all(&errors)
            ),
        );
        if !errors.is_empty() {
            eprintln!(
                "{} {}: {} of {ran} requests dropped by the server at its reloads (tolerated: {:?})",
                c.kind,
                c.mode,
                errors.len(),
                describe_all(&errors[..1])
            );
        }
    } else {
        c.check(
            step,
            errors.is_empty(),
            format!(
                "{} of {ran} failed: {:?}",
                errors.len(),
                describe_all(&errors)
            ),
        );
    }
    let f = c.ok(
        "GET /13b after reloads",
        fetch(&c.client, Request::get(&small).unwrap()),
    );
    c.check(
        "GET /13b after reloads",
        f.status == 200 && f.len == 13,
        format!("{} {} bytes", f.status, f.len),
    );
    c.step(&format!("{ran} {step}"), t);
}

/// Requests with 100 in flight while the server stops gracefully (after 300 have finished):
/// what the server accepted completes; what it did not is retried and then fails with
/// `processed: No` (typically `Connect`, nothing listens any more). No request the server
/// accepted may be lost, and the server must exit. Ends the combination's server.
fn graceful_stop(c: &mut Combo) {
    if c.kind.graceful_stop_signal().is_none() {
        eprintln!(
            "{} {}: graceful stop skipped (the server has none)",
            c.kind, c.mode
        );
        return;
    }
    let t = Instant::now();
    let step = "requests across a graceful stop";
    let (small, large) = (c.url("/13b"), c.url("/1m"));
    let mut errors: Vec<(usize, Error)> = Vec::new();
    let mut bad_responses = Vec::new();
    let mut ok_after = 0;
    // When the stop was signalled, and how many requests had started then.
    let stopped: std::cell::Cell<Option<(Instant, usize)>> = Default::default();
    let started = std::cell::Cell::new(0usize);
    let ran = run(
        c,
        step,
        100,
        |i| {
            // Stop a little after the signal: 800 ms, or 500 more requests (once nothing
            // listens they fail fast; storms of refusals are the business of
            // `refused_connections_lose_no_request`).
            let late = stopped
                .get()
                .is_some_and(|(at, n)| at.elapsed() > Duration::from_millis(800) || i > n + 500);
            if late || i >= 50_000 {
                return None;
            }
            started.set(i + 1);
            let client = c.client.clone();
            let url = if i % 10 == 0 {
                large.clone()
            } else {
                small.clone()
            };
            Some(async move {
                let mut resp = client.send(Request::get(&url)?).await?;
                let mut check = PatternCheck::new();
                let mut body = Vec::new();
                while let Some(chunk) = resp.chunk().await? {
                    if i % 10 == 0 {
                        check.update(&chunk);
                    } else {
                        body.extend_from_slice(&chunk);
                    }
                }
                let ok = if i % 10 == 0 {
                    check.len() == 1 << 20 && check.first_mismatch().is_none()
                } else {
                    body == HELLO
                };
                Ok::<_, Error>((resp.status(), ok))
            })
        },
        |i, out, finished| {
            match out {
                Ok((200, true)) => {
                    if stopped.get().is_some() {
                        ok_after += 1
                    }
                }
                Ok((status, _)) => {
                    bad_responses.push(format!("#{i}: status {status} or wrong body"))
                }
                Err(e) => errors.push((i, e)),
            }
            if finished == 300 {
                match c.server.graceful_stop() {
                    Ok(true) => stopped.set(Some((Instant::now(), started.get()))),
                    Ok(false) => unreachable!(),
                    Err(e) => c.fail(step, format!("cannot signal the server: {e}")),
                }
            }
        },
    );
    c.check(step, stopped.get().is_some(), "never signalled");
    c.check(step, bad_responses.is_empty(), format!("{bad_responses:?}"));
    let describe_all = |errors: &[&(usize, Error)]| {
        errors
            .iter()
            .take(20)
            .map(|(i, e)| format!("#{i}: {}", describe(e)))
            .collect::<Vec<_>>()
    };
    let maybe: Vec<_> = errors
        .iter()
        .filter(|(_, e)| e.processed() != h2o_core::Processed::No)
        .collect();
    let mut kinds: Vec<_> = errors.iter().map(|(_, e)| e.kind()).collect();
    kinds.sort_by_key(|k| k.code());
    kinds.dedup();
    if c.caps.reload_abandons_streams || c.caps.stop_leaves_listener_open {
        // Tolerated (see the caps): at most two connections' worth of requests.
        let io_only = maybe
            .iter()
            .all(|(_, e)| e.kind() == h2o_core::ErrorKind::Io);
        c.check(
            step,
            io_only && maybe.len() <= 200,
            format!(
                "{} of {ran} possibly processed requests failed: {:?}",
                maybe.len(),
                describe_all(&maybe)
            ),
        );
        if !maybe.is_empty() {
            eprintln!(
                "{} {}: {} of {ran} requests dropped by the server at its graceful stop (tolerated)",
                c.kind,
                c.mode,
                maybe.len()
            );
        }
    } else {
        c.check(
            step,
            maybe.is_empty(),
            format!(
                "{} of {ran} requests the server may have processed failed: {:?}",
                maybe.len(),
                describe_all(&maybe)
            ),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.server.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let running = c.server.is_running();
    c.check(step, !running, "the server did not exit within 10 s");
    c.step(
        &format!(
            "{ran} {step} ({ok_after} ok after the signal, {} failed unprocessed: {kinds:?})",
            errors.len()
        ),
        t,
    );
}

#[test]
fn nginx_h2c() {
    exercise(ServerKind::Nginx, Mode::H2c);
}

#[test]
fn h2o_h2c() {
    exercise(ServerKind::H2o, Mode::H2c);
}

#[test]
fn nghttpd_h2c() {
    exercise(ServerKind::Nghttpd, Mode::H2c);
}

#[test]
fn apache2_h2c() {
    exercise(ServerKind::Apache2, Mode::H2c);
}

/// TLS (ALPN h2) with the test CA: needs the client's TLS support (`--features tls`).
#[cfg(feature = "tls")]
mod tls {
    use super::*;

    #[test]
    fn nginx_tls() {
        exercise(ServerKind::Nginx, Mode::Tls);
    }

    #[test]
    fn h2o_tls() {
        exercise(ServerKind::H2o, Mode::Tls);
    }

    #[test]
    fn nghttpd_tls() {
        exercise(ServerKind::Nghttpd, Mode::Tls);
    }

    #[test]
    fn apache2_tls() {
        exercise(ServerKind::Apache2, Mode::Tls);
    }
}

/// What the graceful-stop step runs into once nothing listens: tens of thousands of requests
/// whose connections are refused, 100 in flight. Every one must end with an error (`Connect`,
/// unprocessed); none may be lost.
///
/// CLIENT BUG (fails intermittently, about 1 request in 10-20k): a request is lost, no terminal
/// event ever, the runtime idle. `run_connection`'s connect-failure path (and `Driver::finish`)
/// drained the command queue with `rx.close(); while let Ok(cmd) = rx.try_recv()` (fixed: now
/// `recv().await`), but tokio's
/// `try_recv` returns `Empty`, not `Disconnected`, while a concurrent `Pool::dispatch` send
/// has been counted but not yet pushed (tokio 1.54 `chan.rs` `try_recv`): the drain stops,
/// the submission lands afterwards and is dropped with the receiver, without `fail()`.
#[test]
fn refused_connections_lose_no_request() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/13b");
    // No retries: connect failures otherwise wait out the circuit breaker's backoff, which
    // this test's stall watchdog would mistake for lost requests.
    let client = Client::with_config(h2o_core::Config {
        max_retries: 0,
        ..h2o_core::Config::default()
    })
    .unwrap();
    let mut other = Vec::new();
    let result = run_bounded_until(
        100,
        Duration::from_secs(5),
        |i| {
            let client = client.clone();
            let url = url.clone();
            (i < 200_000).then_some(async move {
                client.send(Request::get(&url)?).await.map(|r| r.status())
            })
        },
        |i, out, _| match out {
            Err(e) if e.kind() == h2o_core::ErrorKind::Connect => {}
            other_out => other.push(format!("#{i}: {other_out:?}")),
        },
    );
    client.close();
    assert!(other.is_empty(), "{:?}", &other[..other.len().min(10)]);
    if let Err(stuck) = result {
        panic!(
            "CLIENT BUG: {} of 200000 refused requests never finished: #{:?}",
            stuck.len(),
            &stuck[..stuck.len().min(20)]
        );
    }
}
