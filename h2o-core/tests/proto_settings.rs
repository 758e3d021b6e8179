//! SETTINGS (RFC 9113 §6.5) and their effect on HPACK (RFC 7541 §4.2, §6.3) and on frame
//! sizes (§4.2).

mod common;

use common::*;
use h2o_core::frame::{ErrorCode, Settings};
use h2o_core::proto::ProtoConfig;

#[test]
fn server_header_table_size_zero_gets_a_size_update() {
    // RFC 7541 §4.2: after the peer lowers SETTINGS_HEADER_TABLE_SIZE the encoder must
    // start its next block with a dynamic table size update within the new limit.
    let mut p = Pair::new(small_cfg());
    let mut head = get("/a");
    head.headers.append("x-custom", "some value");
    let a = p.submit(head.clone(), None, true);
    p.read();
    p.send(Settings {
        header_table_size: Some(0),
        ..Settings::default()
    });
    // The peer's decoder now insists on the update (TableSizeUpdateMissing otherwise).
    p.peer.hdec.set_max_table_size(0);
    p.expect(&[F::SettingsAck]);
    let b = p.submit(head, None, true);
    let frames = p.read();
    assert!(
        matches!(&frames[..], [F::Headers { sid: 3, .. }]),
        "{frames:?}"
    );
    assert_eq!(p.peer.hdec.dynamic_table_len(), 0);
    p.send(Settings::ack());
    p.complete(1, a);
    p.complete(3, b);
}

#[test]
fn encoder_table_size_caps_the_dynamic_table() {
    // ProtoConfig::encoder_table_size bounds our encoder's table whatever the server
    // allows, including the default 4096 it allows without saying so.
    let cfg = ProtoConfig {
        encoder_table_size: 0,
        ..small_cfg()
    };
    let mut p = Pair::ready(cfg, server_settings());
    for i in 0..3u32 {
        let mut head = get("/a");
        head.headers.append("x-custom", format!("value {i}"));
        head.headers.append("user-agent", "h2o-test");
        let id = p.submit(head, None, true);
        p.read();
        assert_eq!(p.peer.hdec.dynamic_table_len(), 0, "request {i}");
        p.complete(1 + 2 * i, id);
    }
}

#[test]
fn encoder_table_size_caps_a_larger_server_table() {
    let cfg = ProtoConfig {
        encoder_table_size: 0,
        ..small_cfg()
    };
    let mut p = Pair::ready(
        cfg,
        Settings {
            header_table_size: Some(65_536),
            ..Settings::default()
        },
    );
    p.peer.hdec = h2o_core::hpack::Decoder::new(65_536);
    let mut head = get("/a");
    head.headers.append("user-agent", "h2o-test");
    let id = p.submit(head, None, true);
    p.read();
    assert_eq!(p.peer.hdec.dynamic_table_len(), 0);
    p.complete(1, id);
}

#[test]
fn enable_push_one_from_server_is_protocol_error() {
    // §6.5.2: a client MUST treat SETTINGS_ENABLE_PUSH = 1 as PROTOCOL_ERROR.
    let mut p = Pair::new(small_cfg());
    p.read();
    p.send(Settings {
        enable_push: Some(true),
        ..Settings::default()
    });
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
    assert!(p.conn.is_closed());
}

#[test]
fn enable_push_zero_from_server_is_fine() {
    let mut p = Pair::ready(
        small_cfg(),
        Settings {
            enable_push: Some(false),
            ..Settings::default()
        },
    );
    let id = p.submit_get("/");
    p.read();
    p.complete(1, id);
}

#[test]
fn initial_window_size_too_large_is_flow_control_error() {
    // §6.5.2: INITIAL_WINDOW_SIZE above 2^31-1 is FLOW_CONTROL_ERROR.
    let mut p = Pair::new(small_cfg());
    p.read();
    p.send_raw(&[0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 4, 0x80, 0, 0, 0]);
    p.expect(&[goaway(0, ErrorCode::FlowControlError)]);
}

#[test]
fn max_frame_size_out_of_range_is_protocol_error() {
    let mut p = Pair::new(small_cfg());
    p.read();
    p.send_raw(&[0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x3f, 0xff]);
    p.expect(&[goaway(0, ErrorCode::ProtocolError)]);
}

#[test]
fn unknown_settings_are_ignored() {
    // §6.5.2: unsupported identifiers MUST be ignored.
    let mut p = Pair::new(small_cfg());
    p.read();
    p.send_raw(&[0, 0, 6, 0x4, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 7]);
    p.expect(&[F::SettingsAck]);
    assert!(p.conn.has_peer_settings());
    assert!(p.conn.is_accepting());
}

#[test]
fn frame_over_our_max_frame_size_is_frame_size_error() {
    // §4.2: a frame above our SETTINGS_MAX_FRAME_SIZE is FRAME_SIZE_ERROR.
    let mut p = Pair::ready(small_cfg(), server_settings());
    let id = p.submit_get("/");
    p.read();
    p.send_ok(1, false);
    p.send_data(1, bytes_of(16_385), false);
    p.expect(&[goaway(0, ErrorCode::FrameSizeError)]);
    let evs = p.events();
    assert_eq!(evs[0], head_ev(id, 200));
    match &evs[1..] {
        [h2o_core::proto::Event::Failed { error, .. }] => {
            assert_eq!(shape(error), local_conn_protocol(ErrorCode::FrameSizeError))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn larger_max_frame_size_we_advertise_is_accepted() {
    let cfg = ProtoConfig {
        max_frame_size: 65_536,
        ..small_cfg()
    };
    let mut p = Pair::new(cfg.clone());
    let frames = p.read();
    match &frames[0] {
        F::Settings(s) => assert_eq!(s.max_frame_size, Some(65_536)),
        other => panic!("{other:?}"),
    }
    p.send(server_settings());
    p.send(Settings::ack());
    p.read();
    let id = p.submit_get("/");
    p.read();
    p.send_ok(1, false);
    p.send_data(1, bytes_of(40_000), true);
    let evs = p.events();
    assert_eq!(evs.len(), 3);
    assert!(evs[2] == h2o_core::proto::Event::Done { id });
}

#[test]
fn settings_values_apply_in_order() {
    // §6.5.3: values are processed in the order they appear; the last one wins.
    let mut p = Pair::new(small_cfg());
    p.read();
    // MAX_CONCURRENT_STREAMS = 5 then = 1.
    p.send_raw(&[
        0, 0, 12, 0x4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 5, 0, 3, 0, 0, 0, 1,
    ]);
    p.expect(&[F::SettingsAck]);
    assert_eq!(p.conn.peer_settings().max_concurrent_streams, 1);
}
