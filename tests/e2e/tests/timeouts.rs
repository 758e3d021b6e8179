//! Stalled servers end each request with the configured timeout error, never a hang.

use std::time::{Duration, Instant};

use h2o_core::client::Request;
use h2o_core::frame::{Frame, Ping};
use h2o_core::{Client, Config, ErrorKind};
use h2o_e2e::raw::RawServer;
use h2o_e2e::{fetch, get};

fn client(f: impl FnOnce(&mut Config)) -> Client {
    let mut cfg = Config::default();
    f(&mut cfg);
    Client::with_config(cfg).unwrap()
}

fn hold(conn: &mut h2o_e2e::raw::RawConn) {
    // Keep the socket open (reading) until the client gives up.
    while conn.read_frame().is_some() {}
}

#[test]
fn server_that_never_sends_settings_gives_settings_timeout() {
    let server = RawServer::start(|mut c| {
        c.read_preface();
        hold(&mut c);
    });
    let client = client(|c| c.settings_timeout = Duration::from_millis(300));
    let t0 = Instant::now();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SettingsTimeout, "{e}");
    assert!(t0.elapsed() < Duration::from_secs(5));
}

#[test]
fn server_that_never_answers_gives_headers_timeout() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        hold(&mut c);
    });
    let client = client(|c| c.headers_timeout = Some(Duration::from_millis(300)));
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HeadersTimeout, "{e}");
    // Per-request override of the client default.
    let req = Request::get(&server.url("/"))
        .unwrap()
        .headers_timeout(Duration::from_millis(100));
    let t0 = Instant::now();
    let e = fetch(&client, req).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HeadersTimeout);
    assert!(
        t0.elapsed() < Duration::from_millis(290),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn server_that_stops_mid_body_gives_idle_timeout() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        c.read_until(|f| matches!(f, Frame::Headers(_)));
        let head = c.headers(1, &[(":status", "200"), ("content-length", "100")], false);
        c.send_raw(&head);
        let mut data = bytes::BytesMut::new();
        h2o_core::frame::encode_data_head(h2o_core::frame::StreamId::new(1), 10, false, &mut data);
        data.extend_from_slice(&[b'x'; 10]);
        // Half a frame header: the server stops mid-frame.
        data.extend_from_slice(&[0, 0, 90, 0]);
        c.send_raw(&data);
        hold(&mut c);
    });
    let client = client(|c| c.idle_timeout = Some(Duration::from_millis(300)));
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IdleTimeout, "{e}");
}

#[test]
fn server_that_trickles_gives_request_timeout() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        c.read_until(|f| matches!(f, Frame::Headers(_)));
        let head = c.headers(1, &[(":status", "200")], false);
        c.send_raw(&head);
        // One DATA byte every 50 ms, forever: never idle, never done.
        for _ in 0..200 {
            let mut data = bytes::BytesMut::new();
            h2o_core::frame::encode_data_head(
                h2o_core::frame::StreamId::new(1),
                1,
                false,
                &mut data,
            );
            data.extend_from_slice(b"x");
            c.send_raw(&data);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let client = client(|c| {
        c.idle_timeout = Some(Duration::from_millis(300));
        c.request_timeout = Some(Duration::from_millis(600));
    });
    let t0 = Instant::now();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RequestTimeout, "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3));
}

#[test]
fn unanswered_ping_marks_the_connection_dead() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        // Reads everything, answers nothing (not even PING).
        hold(&mut c);
    });
    let client = client(|c| {
        c.keepalive_interval = Some(Duration::from_millis(100));
        c.ping_timeout = Duration::from_millis(200);
    });
    let t0 = Instant::now();
    let e = get(&client, &server.url("/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PingTimeout, "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3));
}

#[test]
fn keepalive_ping_is_answered_and_the_request_completes() {
    let server = RawServer::start(|mut c| {
        c.handshake();
        // Answer one PING, then respond after a delay longer than the keepalive interval.
        let ping = c.read_until(|f| matches!(f, Frame::Ping(p) if !p.ack));
        if let Some(Frame::Ping(p)) = ping {
            c.send(&[Frame::Ping(Ping {
                ack: true,
                payload: p.payload,
            })]);
        }
        let head = c.headers(1, &[(":status", "200")], true);
        c.send_raw(&head);
        hold(&mut c);
    });
    let client = client(|c| {
        c.keepalive_interval = Some(Duration::from_millis(50));
        c.ping_timeout = Duration::from_secs(5);
    });
    let f = get(&client, &server.url("/")).unwrap();
    assert_eq!(f.status, 200);
}

#[test]
fn zero_timeouts_are_rejected_with_the_setting_named() {
    let cfg = Config {
        connect_timeout: Duration::ZERO,
        ..Config::default()
    };
    let e = Client::with_config(cfg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("connect_timeout"), "{e}");
}

#[test]
fn connect_to_a_full_accept_queue_gives_connect_timeout() {
    use socket2::{Domain, Socket, Type};
    // A listener that never accepts, with a backlog of 0: once its queue is full, Linux
    // drops further SYNs, so a new connect hangs until our deadline.
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    sock.bind(
        &"127.0.0.1:0"
            .parse::<std::net::SocketAddr>()
            .unwrap()
            .into(),
    )
    .unwrap();
    sock.listen(0).unwrap();
    let addr = sock.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        let _ = s.connect(&addr.into());
        fillers.push(s);
    }
    std::thread::sleep(Duration::from_millis(100));
    let client = client(|c| c.connect_timeout = Duration::from_millis(300));
    let t0 = Instant::now();
    let e = get(&client, &format!("http://{addr}/")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectTimeout, "{e}");
    assert!(e.is_unprocessed());
    assert!(t0.elapsed() < Duration::from_secs(3));
}
