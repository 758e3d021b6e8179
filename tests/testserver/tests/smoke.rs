//! The test server's own smoke test: start it in-process, fetch a few endpoints with hyper's
//! HTTP/2 client (h2c prior knowledge).

use bytes::Bytes;
use h2o_testserver::{pattern, spawn, Options};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper::{Method, Request};
use hyper_util::rt::{TokioExecutor, TokioIo};

struct Fetched {
    status: u16,
    headers: hyper::HeaderMap,
    body: Bytes,
    trailers: Option<hyper::HeaderMap>,
}

async fn fetch(addr: std::net::SocketAddr, method: Method, path: &str, body: Bytes) -> Fetched {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .body(Full::new(body))
        .unwrap();
    let res = send.send_request(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let collected = res.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned();
    Fetched {
        status,
        headers,
        body: collected.to_bytes(),
        trailers,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints() {
    let server = spawn(Options::default()).unwrap();
    let addr = server.addr();

    let r = fetch(addr, Method::GET, "/hello", Bytes::new()).await;
    assert_eq!((r.status, &r.body[..]), (200, &b"Hello, world!"[..]));

    let r = fetch(addr, Method::GET, "/bytes/100000", Bytes::new()).await;
    assert_eq!(r.headers["content-length"], "100000");
    assert_eq!(r.body, pattern(0, 100_000));

    let r = fetch(addr, Method::HEAD, "/bytes/100000", Bytes::new()).await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert_eq!(r.headers["content-length"], "100000");

    let payload = Bytes::from(pattern(7, 70_000));
    let r = fetch(addr, Method::POST, "/echo", payload.clone()).await;
    assert_eq!(r.body, payload);
    assert_eq!(r.trailers.unwrap()["x-received-bytes"], "70000");

    let r = fetch(addr, Method::POST, "/sha256", Bytes::from_static(b"abc")).await;
    assert_eq!(
        std::str::from_utf8(&r.body).unwrap(),
        r#"{"len":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}"#
    );

    let r = fetch(addr, Method::GET, "/trailers", Bytes::new()).await;
    let t = r.trailers.unwrap();
    assert_eq!(&r.body[..], b"hello");
    assert_eq!(t["x-trailer"], "done");
    assert_eq!(t["grpc-status"], "0");

    let r = fetch(addr, Method::GET, "/status/204", Bytes::new()).await;
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = fetch(addr, Method::GET, "/status/503", Bytes::new()).await;
    assert_eq!(r.status, 503);

    let r = fetch(addr, Method::GET, "/headers/3000", Bytes::new()).await;
    let extra: usize = r
        .headers
        .iter()
        .filter(|(n, _)| n.as_str().starts_with("x-h-"))
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    assert_eq!(extra, 3000);

    let t0 = std::time::Instant::now();
    let r = fetch(addr, Method::GET, "/delay/200", Bytes::new()).await;
    assert!(t0.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(r.body.len(), 13);

    let r = fetch(addr, Method::GET, "/nope", Bytes::new()).await;
    assert_eq!(r.status, 404);
}
