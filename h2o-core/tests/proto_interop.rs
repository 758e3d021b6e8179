//! The sans-IO connection against a real, strict HTTP/2 server (the `h2` crate) over an
//! in-memory pipe: preface, SETTINGS, HPACK, flow control in both directions and many
//! concurrent streams, with the server enforcing the RFC on everything we send.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2o_core::proto::{Connection, Event, ProtoConfig, RequestId};
use h2o_core::{Method, RequestHead, Url};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

async fn serve(io: DuplexStream) {
    let mut builder = h2::server::Builder::new();
    builder
        .max_concurrent_streams(8)
        .initial_window_size(30_000);
    let mut conn = builder.handshake::<_, Bytes>(io).await.unwrap();
    while let Some(req) = conn.accept().await {
        let (req, mut respond) = req.unwrap();
        tokio::spawn(async move {
            let path = req.uri().path().to_owned();
            let mut body = req.into_body();
            let mut received = 0usize;
            while let Some(chunk) = body.data().await {
                let chunk = chunk.unwrap();
                received += chunk.len();
                // A slow reader: credit comes back in small steps.
                tokio::task::yield_now().await;
                body.flow_control().release_capacity(chunk.len()).unwrap();
            }
            let size: usize = path.trim_start_matches("/size/").parse().unwrap_or(0);
            let resp = http::Response::builder()
                .status(200)
                .header("x-received", received.to_string())
                .body(())
                .unwrap();
            let mut send = respond.send_response(resp, false).unwrap();
            let payload = Bytes::from(vec![b'z'; size]);
            send.reserve_capacity(size);
            send.send_data(payload, false).unwrap();
            let mut trailers = http::HeaderMap::new();
            trailers.insert("x-done", "1".parse().unwrap());
            send.send_trailers(trailers).unwrap();
        });
    }
}

struct Outcome {
    status: u16,
    received_header: String,
    body: usize,
    trailers: bool,
}

#[tokio::test]
async fn against_h2_server() {
    let (mut client_io, server_io) = tokio::io::duplex(64 << 10);
    let server = tokio::spawn(serve(server_io));

    let cfg = ProtoConfig {
        initial_window_size: 65_535,
        connection_window_size: 1 << 20,
        ..ProtoConfig::default()
    };
    let start = Instant::now();
    let mut conn = Connection::new(cfg, start);
    // Wait for the server's SETTINGS: opening 30 streams under the assumed limit of 100
    // would (legitimately) get the ones above its limit of 8 refused.
    let mut buf = vec![0u8; 32 << 10];
    while !conn.has_peer_settings() {
        let out = conn.poll_transmit().to_vec();
        client_io.write_all(&out).await.unwrap();
        conn.advance_transmit(out.len());
        let n = client_io.read(&mut buf).await.unwrap();
        conn.recv(&buf[..n], Instant::now());
    }
    let url = |p: &str| Url::parse(&format!("http://localhost{p}")).unwrap();
    let mut expected: HashMap<RequestId, (usize, usize)> = HashMap::new();
    for i in 0..30u64 {
        let size = [0usize, 10, 100_000, 300_000][(i % 4) as usize];
        let upload = [0usize, 200_000, 5][(i % 3) as usize];
        let id = RequestId(i);
        if upload == 0 {
            let head = RequestHead::new(Method::GET, &url(&format!("/size/{size}")));
            conn.submit(id, head, None, true);
        } else {
            let head = RequestHead::new(Method::POST, &url(&format!("/size/{size}")));
            conn.submit(id, head, Some(Bytes::from(vec![b'u'; upload])), true);
        }
        expected.insert(id, (size, upload));
    }

    let mut outcomes: HashMap<RequestId, Outcome> = HashMap::new();
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while done < expected.len() {
        assert!(Instant::now() < deadline, "timed out with {done} done");
        let out = conn.poll_transmit().to_vec();
        if !out.is_empty() {
            client_io.write_all(&out).await.unwrap();
            conn.advance_transmit(out.len());
        }
        match tokio::time::timeout(Duration::from_millis(5), client_io.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("server closed the connection"),
            Ok(Ok(n)) => conn.recv(&buf[..n], Instant::now()),
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => {}
        }
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Head {
                    id,
                    status,
                    headers,
                } => {
                    let o = Outcome {
                        status,
                        received_header: headers.get_str("x-received").unwrap().to_owned(),
                        body: 0,
                        trailers: false,
                    };
                    assert!(outcomes.insert(id, o).is_none());
                }
                Event::Data { id, data } => {
                    outcomes.get_mut(&id).unwrap().body += data.len();
                    assert!(data.iter().all(|b| *b == b'z'));
                    conn.release(id, data.len());
                }
                Event::Trailers { id, headers } => {
                    assert_eq!(headers.get("x-done"), Some(&b"1"[..]));
                    outcomes.get_mut(&id).unwrap().trailers = true;
                }
                Event::Done { .. } => done += 1,
                Event::Failed { id, error } => panic!("{id:?} failed: {error}"),
                Event::Informational { .. } | Event::SendReady { .. } => {}
            }
        }
        assert!(!conn.is_closed(), "closed: {:?}", conn.close_error());
    }
    for (id, (size, upload)) in &expected {
        let o = &outcomes[id];
        assert_eq!(o.status, 200);
        assert_eq!(o.body, *size, "{id:?}");
        assert_eq!(o.received_header, upload.to_string(), "{id:?}");
        assert!(o.trailers);
    }
    assert!(conn.peer_settings().max_concurrent_streams == 8);

    // Graceful close: our GOAWAY reaches the server, which then ends the connection.
    conn.close();
    let out = conn.poll_transmit().to_vec();
    client_io.write_all(&out).await.unwrap();
    conn.advance_transmit(out.len());
    drop(client_io);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server did not finish")
        .unwrap();
}
