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
