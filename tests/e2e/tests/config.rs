//! Client-wide defaults from `Config` reaching the wire.

use std::sync::{Arc, Mutex};

use h2o_core::client::Request;
use h2o_core::frame::Frame;
use h2o_core::hpack::Decoder;
use h2o_core::{Client, Config, Priority};
use h2o_e2e::raw::RawServer;

#[test]
fn default_priority_applies_to_requests_without_one() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let server = RawServer::start(move |mut c| {
        c.handshake();
        let mut dec = Decoder::new(4096);
        let mut got = 0;
        while got < 3 {
            let Some(f) = c.read_frame() else { break };
            if let Frame::Headers(h) = f {
                let mut prio = None;
                dec.decode(&h.fragment, 1 << 20, |hd| {
                    if &hd.name[..] == b"priority" {
                        prio = Some(String::from_utf8_lossy(&hd.value).into_owned());
                    }
                })
                .unwrap();
                s2.lock().unwrap().push(prio);
                c.respond(h.stream_id.value(), b"ok");
                got += 1;
            }
        }
    });
    let cfg =
        Config::from_json_str(r#"{"default_urgency": 1, "default_incremental": true}"#).unwrap();
    let client = Client::with_config(cfg).unwrap();
    let url = server.url("/");
    let run = |req: Request| {
        h2o_core::client::block_on(async {
            let mut r = client.send(req).await.unwrap();
            r.bytes().await.unwrap();
        })
    };
    // No priority: the client's default.
    run(Request::get(&url).unwrap());
    // An explicit priority wins, even the RFC default.
    run(Request::get(&url)
        .unwrap()
        .priority(Priority::new(5, false)));
    run(Request::get(&url).unwrap().priority(Priority::default()));
    client.close();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![Some("u=1, i".to_owned()), Some("u=5".to_owned()), None]
    );
}

/// Buffer sizes at the bottom of their ranges (1 KiB socket reads, 1-byte request body
/// buffer, 1-byte write batches) still move whole bodies both ways, and a JSON config
/// reaches the wire.
#[test]
fn smallest_buffer_sizes_still_transfer_whole_bodies() {
    use h2o_e2e::{fetch, get, pattern_sha256};
    use h2o_testsupport::TestServer;
    let server = TestServer::start();
    let cfg = Config::from_json_str(
        r#"{"read_buffer_size": 1024, "send_buffer_size": 1, "write_high_water": 1}"#,
    )
    .unwrap();
    assert_eq!(cfg.proto.read_buffer_size, 1024);
    let client = Client::with_config(cfg).unwrap();
    let len = 3 << 20;
    let f = get(&client, &server.url(&format!("/bytes/{len}"))).unwrap();
    assert_eq!((f.status, f.len), (200, len));
    assert_eq!(f.sha256, pattern_sha256(len));
    let body = vec![7u8; 300_000];
    let f = fetch(
        &client,
        Request::post(&server.url("/echo"))
            .unwrap()
            .body(body.clone()),
    )
    .unwrap();
    assert_eq!(f.len, body.len() as u64);
    client.close();
}
