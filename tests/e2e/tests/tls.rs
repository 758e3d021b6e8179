//! `https://`: the client against the hyper test server over TLS with the test PKI
//! (`tests/servers/gen-certs.sh`), certificate failures (unknown CA, expired, wrong host name,
//! pins, revocation), mutual TLS and ALPN refusal against small rustls servers made here,
//! and the handshake timeout. Every TLS failure is `ErrorKind::Tls` (or `TlsHandshakeTimeout`)
//! with `Processed::No`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2o_core::client::block_on;
use h2o_core::client::config::TlsConfig;
use h2o_core::{Client, Config, Error, ErrorKind, Processed, Request};
use h2o_e2e::{get, pattern_sha256};
use h2o_testserver::TlsFiles;
use h2o_testsupport::{certs_dir, Mode, TestServer, TestServerOptions};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;

fn cert(name: &str) -> PathBuf {
    certs_dir().join(format!("{name}.pem"))
}

fn key(name: &str) -> PathBuf {
    certs_dir().join(format!("{name}.key"))
}

/// A client trusting the test CA (in addition to the system roots).
fn trusting(edit: impl FnOnce(&mut TlsConfig)) -> Client {
    let mut cfg = Config::default();
    cfg.tls.ca_file = Some(cert("ca"));
    edit(&mut cfg.tls);
    Client::with_config(cfg).unwrap()
}

/// The hyper test server over TLS with the certificate `name`.
fn server_with(name: &str) -> TestServer {
    TestServer::with_options(
        Mode::Tls,
        TestServerOptions {
            tls: Some(TlsFiles {
                cert: cert(name),
                key: key(name),
            }),
            ..TestServerOptions::default()
        },
    )
}

/// GET `url` expecting a TLS-stage failure of `kind`; returns the error.
fn fails(client: &Client, url: &str, kind: ErrorKind) -> Error {
    let e = get(client, url).expect_err("the request should fail");
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.processed(), Processed::No, "{e}");
    e
}

fn assert_msg(e: &Error, needle: &str) {
    assert!(e.message().contains(needle), "{needle:?} not in: {e}");
}

#[test]
fn get_over_tls_from_the_test_server() {
    let server = TestServer::start_tls();
    let client = trusting(|_| {});
    let f = get(&client, &server.url("/hello")).unwrap();
    assert_eq!(f.status, 200);
    assert_eq!(f.len, 13);
    assert_eq!(
        f.sha256,
        h2o_e2e::hex(&<sha2::Sha256 as sha2::Digest>::digest(b"Hello, world!"))
    );
    let f = get(&client, &server.url("/bytes/1048576")).unwrap();
    assert_eq!((f.status, f.len), (200, 1 << 20));
    assert_eq!(f.sha256, pattern_sha256(1 << 20));
    // Many streams at once on the one TLS connection.
    let futs: Vec<_> = (0..200)
        .map(|_| client.send(Request::get(&server.url("/hello")).unwrap()))
        .collect();
    for f in futs {
        let body = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(&body[..], b"Hello, world!");
    }
    // By host name: SNI `localhost`, DNS SAN.
    let f = get(
        &client,
        &format!("https://localhost:{}/hello", server.port()),
    )
    .unwrap();
    assert_eq!(f.status, 200);
    client.close();
}

/// Large uploads over TLS, several at once, arrive whole.
#[test]
fn uploads_over_tls_arrive_whole() {
    let server = TestServer::start_tls();
    let client = trusting(|_| {});
    let body: Vec<u8> = (0..8u32 << 20).map(|i| (i % 253) as u8).collect();
    let want = h2o_e2e::hex(&<sha2::Sha256 as sha2::Digest>::digest(&body));
    let futs: Vec<_> = (0..4)
        .map(|_| {
            let req = Request::post(&server.url("/sha256"))
                .unwrap()
                .body(body.clone());
            client.send(req)
        })
        .collect();
    for f in futs {
        let got = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        let expect = format!("{{\"len\":{},\"sha256\":\"{want}\"}}", body.len());
        assert_eq!(String::from_utf8_lossy(&got), expect);
    }
    client.close();
}

/// More requests than the server's stream limit: the rest queue and go out as streams
/// finish, in small writes after the big first one. (Records left in rustls' buffer used to
/// stall such a connection; that reproduces against the OpenSSL-based real servers, see
/// tls_real_servers.rs, not reliably here.)
#[test]
fn queued_requests_over_tls_complete() {
    let server = TestServer::with_options(
        Mode::Tls,
        TestServerOptions {
            max_concurrent_streams: Some(100),
            ..TestServerOptions::default()
        },
    );
    let client = trusting(|_| {});
    let started = Instant::now();
    let futs: Vec<_> = (0..1000)
        .map(|_| client.send(Request::get(&server.url("/hello")).unwrap()))
        .collect();
    for f in futs {
        let body = block_on(async { f.await.unwrap().bytes().await.unwrap() });
        assert_eq!(&body[..], b"Hello, world!");
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    client.close();
}

#[test]
fn unknown_ca_is_refused() {
    // Signed by another CA.
    let server = server_with("untrusted");
    let e = fails(&trusting(|_| {}), &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "unknown CA");
    // The test CA is not in the system store.
    let server = TestServer::start_tls();
    let e = fails(
        &Client::new().unwrap(),
        &server.url("/hello"),
        ErrorKind::Tls,
    );
    assert_msg(&e, "unknown CA");
}

#[test]
fn expired_certificate_is_refused() {
    let server = server_with("expired");
    let e = fails(&trusting(|_| {}), &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "expired");
}

#[test]
fn wrong_host_name_is_refused() {
    let server = server_with("wronghost");
    let client = trusting(|_| {});
    let e = fails(
        &client,
        &format!("https://localhost:{}/hello", server.port()),
        ErrorKind::Tls,
    );
    assert_msg(&e, "wrong host name");
    // An IP literal needs an IP SAN.
    let e = fails(&client, &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "wrong host name");
}

#[test]
fn danger_accept_invalid_certs_accepts_them() {
    let client = Client::with_config({
        let mut cfg = Config::default();
        cfg.tls.danger_accept_invalid_certs = true;
        cfg
    })
    .unwrap();
    for name in ["untrusted", "expired", "wronghost"] {
        let server = server_with(name);
        let f = get(&client, &server.url("/hello")).unwrap();
        assert_eq!(f.status, 200, "{name}");
    }
}

/// The SPKI pin of a PEM certificate, computed by openssl (independently of the client).
fn openssl_pin(cert: &Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | base64",
        )
        .arg("sh")
        .arg(cert)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn pins_match_and_mismatch() {
    let server = TestServer::start_tls();
    let good = TlsConfig::parse_pin(&openssl_pin(&cert("server"))).unwrap();
    let other =
        TlsConfig::parse_pin(&format!("sha256//{}", openssl_pin(&cert("untrusted")))).unwrap();
    assert_ne!(good, other);

    let client = trusting(|t| t.pins = vec![other, good]);
    assert_eq!(get(&client, &server.url("/hello")).unwrap().status, 200);

    let client = trusting(|t| t.pins = vec![other]);
    let e = fails(&client, &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "pin mismatch");
    assert_msg(&e, &openssl_pin(&cert("server")));

    // Pins hold even when certificate checks are off.
    let client = Client::with_config({
        let mut cfg = Config::default();
        cfg.tls.danger_accept_invalid_certs = true;
        cfg.tls.pins = vec![other];
        cfg
    })
    .unwrap();
    let e = fails(&client, &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "pin mismatch");
}

/// CRLs of the test CA made with `openssl ca` in a fresh directory: one revoking nothing
/// and one revoking `server.pem` (by serial).
fn make_crls(dir: &Path) -> (PathBuf, PathBuf) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::write(dir.join("db/index.txt"), "").unwrap();
    std::fs::write(dir.join("db/crlnumber"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        format!(
            "[ca]\ndefault_ca = c\n[c]\ndatabase = db/index.txt\ncrlnumber = db/crlnumber\n\
             default_md = sha256\ndefault_crl_days = 30\ncertificate = {}\nprivate_key = {}\n",
            cert("ca").display(),
            key("ca").display()
        ),
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-gencrl",
        "-out",
        "empty.crl",
    ]);
    let server = cert("server");
    openssl(&[
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-revoke",
        server.to_str().unwrap(),
    ]);
    openssl(&[
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-gencrl",
        "-out",
        "revoked.crl",
    ]);
    (dir.join("empty.crl"), dir.join("revoked.crl"))
}

#[test]
fn revoked_certificate_is_refused() {
    let dir = std::env::temp_dir().join(format!("h2o-tls-crl-{}", std::process::id()));
    let (empty, revoked) = make_crls(&dir);
    let server = TestServer::start_tls();

    let client = trusting(|t| t.crl_files = vec![empty.clone()]);
    assert_eq!(get(&client, &server.url("/hello")).unwrap().status, 200);

    let client = trusting(|t| t.crl_files = vec![revoked]);
    let e = fails(&client, &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "revoked");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_tls_files_fail_client_creation() {
    let mut cfg = Config::default();
    cfg.tls.ca_file = Some("/nonexistent/ca.pem".into());
    let Err(e) = Client::with_config(cfg) else {
        panic!("must fail")
    };
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_msg(&e, "tls_ca_file");
    let mut cfg = Config::default();
    cfg.tls.client_cert = Some(cert("client"));
    cfg.tls.client_key = Some(cert("client")); // a certificate is not a key
    let Err(e) = Client::with_config(cfg) else {
        panic!("must fail")
    };
    assert_msg(&e, "tls_client_key");
}

/// A small rustls server on its own thread, serving `Hello, world!` over HTTP/2 with hyper
/// on connections that negotiated `h2` (others are held open briefly, then dropped).
struct CustomServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CustomServer {
    fn start(config: rustls::ServerConfig) -> CustomServer {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let serve = async {
                    loop {
                        let (tcp, _) = listener.accept().await.unwrap();
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
                                tokio::time::sleep(Duration::from_millis(500)).await;
                                return;
                            }
                            let service = hyper::service::service_fn(|_req| async {
                                Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                    http_body_util::Full::new(Bytes::from_static(b"Hello, world!")),
                                ))
                            });
                            let _ = hyper::server::conn::http2::Builder::new(
                                hyper_util::rt::TokioExecutor::new(),
                            )
                            .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                            .await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                }
            });
        });
        CustomServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
}

impl Drop for CustomServer {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_cert() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let chain = CertificateDer::pem_file_iter(cert("server"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (chain, PrivateKeyDer::from_pem_file(key("server")).unwrap())
}

/// A server requiring a client certificate signed by the test CA.
fn mtls_server(versions: &[&'static rustls::SupportedProtocolVersion]) -> CustomServer {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(cert("ca")).unwrap())
        .unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .unwrap();
    let (chain, key) = server_cert();
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    CustomServer::start(config)
}

#[test]
fn mutual_tls_accepted_and_refused() {
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let server = mtls_server(versions);
        let with_cert = trusting(|t| {
            t.client_cert = Some(cert("client"));
            t.client_key = Some(key("client"));
        });
        let f = get(&with_cert, &server.url("/hello")).unwrap();
        assert_eq!((f.status, f.len), (200, 13), "{versions:?}");

        // With TLS 1.3 the refusal comes after the client finished its handshake: the
        // connect stage waits for it, so it is a TLS error, not an I/O error on a request.
        let e = fails(&trusting(|_| {}), &server.url("/hello"), ErrorKind::Tls);
        assert_msg(&e, "requires a client certificate");

        // A certificate from another CA.
        let wrong = trusting(|t| {
            t.client_cert = Some(cert("untrusted"));
            t.client_key = Some(key("untrusted"));
        });
        let e = fails(&wrong, &server.url("/hello"), ErrorKind::Tls);
        assert_msg(&e, "refused the client certificate");
    }
}

fn alpn_server(protocols: &[&[u8]]) -> CustomServer {
    let (chain, key) = server_cert();
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
    CustomServer::start(config)
}

#[test]
fn server_without_h2_alpn_is_refused() {
    let client = trusting(|_| {});
    // Offers only http/1.1 (rustls refuses the handshake: no common protocol).
    let server = alpn_server(&[b"http/1.1"]);
    let e = fails(&client, &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "did not negotiate HTTP/2 (ALPN");
    // Ignores ALPN altogether (the handshake succeeds without a protocol).
    let server = alpn_server(&[]);
    let e = fails(&client, &server.url("/hello"), ErrorKind::Tls);
    assert_msg(&e, "did not negotiate HTTP/2 (ALPN");
    // And the same server offering h2 is fine.
    let server = alpn_server(&[b"http/1.1", b"h2"]);
    assert_eq!(get(&client, &server.url("/hello")).unwrap().status, 200);
}

#[test]
fn handshake_timeout() {
    // Accepts TCP and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = trusting(|t| t.handshake_timeout = Duration::from_millis(300));
    let started = Instant::now();
    let e = fails(
        &client,
        &format!("https://127.0.0.1:{port}/hello"),
        ErrorKind::TlsHandshakeTimeout,
    );
    assert_msg(&e, "TLS handshake timed out");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(listener);
}
