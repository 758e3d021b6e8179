//! Proves the harness: each of the 8 real server/mode combinations, and the in-process test
//! server in both modes, answers `/13b` (or `/hello`) over HTTP/2, fetched with hyper's HTTP/2
//! client (TLS through tokio-rustls, trusting only the test CA, ALPN h2).

use std::sync::Arc;

use bytes::Bytes;
use h2o_testsupport::{pattern, process_group_alive, Mode, RealServer, ServerKind, TestServer};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http2;
use hyper::{Request, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls;

/// GETs each path on one HTTP/2 connection; returns (status, body) per path.
async fn get_all(
    addr: std::net::SocketAddr,
    mode: Mode,
    ca: &std::path::Path,
    paths: &[&str],
) -> Vec<(u16, Bytes)> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut send = match mode {
        Mode::H2c => {
            let (send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .unwrap();
            tokio::spawn(conn);
            send
        }
        Mode::Tls => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca).unwrap() {
                roots.add(cert.unwrap()).unwrap();
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec()];
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let tls = connector.connect(name, tcp).await.unwrap();
            assert_eq!(
                tls.get_ref().1.alpn_protocol(),
                Some(&b"h2"[..]),
                "ALPN must pick h2"
            );
            let (send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .unwrap();
            tokio::spawn(conn);
            send
        }
    };
    let mut out = Vec::new();
    for path in paths {
        let req = Request::get(format!("{}://{addr}{path}", mode.scheme()))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = send.send_request(req).await.unwrap();
        assert_eq!(res.version(), Version::HTTP_2);
        let status = res.status().as_u16();
        out.push((status, res.into_body().collect().await.unwrap().to_bytes()));
    }
    out
}

fn check_real(kind: ServerKind, mode: Mode) {
    let server = RealServer::start(kind, mode);
    assert!(server.url("/13b").starts_with(mode.scheme()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = rt.block_on(get_all(
        server.addr(),
        mode,
        &server.ca_path(),
        &["/13b", "/0b", "/1m"],
    ));
    assert_eq!(
        got[0],
        (200, Bytes::from_static(b"Hello, world!")),
        "{kind} {mode} /13b"
    );
    assert_eq!(got[1], (200, Bytes::new()), "{kind} {mode} /0b");
    assert_eq!(got[2].0, 200, "{kind} {mode} /1m");
    assert!(
        got[2].1 == pattern(0, 1 << 20),
        "{kind} {mode} /1m: wrong content"
    );
    let pid = server.pid();
    drop(server);
    assert!(
        !process_group_alive(pid),
        "{kind} {mode}: process group {pid} survived drop"
    );
}

macro_rules! real {
    ($($name:ident: $kind:ident $mode:ident;)*) => {$(
        #[test]
        fn $name() {
            check_real(ServerKind::$kind, Mode::$mode);
        }
    )*};
}

real! {
    nginx_h2c: Nginx H2c;
    nginx_tls: Nginx Tls;
    h2o_h2c: H2o H2c;
    h2o_tls: H2o Tls;
    nghttpd_h2c: Nghttpd H2c;
    nghttpd_tls: Nghttpd Tls;
    apache2_h2c: Apache2 H2c;
    apache2_tls: Apache2 Tls;
}

#[test]
fn testserver_h2c_and_tls() {
    for server in [TestServer::start(), TestServer::start_tls()] {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let got = rt.block_on(get_all(
            server.addr(),
            server.mode(),
            &server.ca_path(),
            &["/hello", "/bytes/70000", "/status/418"],
        ));
        assert_eq!(got[0], (200, Bytes::from_static(b"Hello, world!")));
        assert_eq!(got[1], (200, Bytes::from(pattern(0, 70_000))));
        assert_eq!(got[2].0, 418);
    }
}
