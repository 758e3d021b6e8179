//! Fuzz the frame decoder: arbitrary bytes, fed in chunks, must never panic; chunking must not
//! change what is decoded; everything decoded must re-encode and decode to the same frames.
//!
//! Input layout: the first byte picks the chunk size (low 6 bits, 1..=64) and whether a
//! larger SETTINGS_MAX_FRAME_SIZE is in force (high bit); the rest is the byte stream.
#![no_main]

use bytes::BytesMut;
use h2o_core::frame::{Frame, FrameDecoder, FrameError};
use libfuzzer_sys::fuzz_target;

/// What one `decode` call produced (Ok(None) ends a round, a connection error ends it all).
#[derive(Debug, PartialEq)]
enum Event {
    Frame(Frame),
    StreamError(FrameError),
    ConnectionError(FrameError),
}

fn decoder(big: bool) -> FrameDecoder {
    let mut dec = FrameDecoder::new();
    if big {
        dec.set_max_frame_size(1 << 20);
    }
    dec
}

/// Decodes whatever is complete in `buf`; returns false once a connection error happened.
fn drain(dec: &mut FrameDecoder, buf: &mut BytesMut, events: &mut Vec<Event>) -> bool {
    loop {
        let before = buf.len();
        match dec.decode(buf) {
            Ok(Some(f)) => {
                assert!(buf.len() < before);
                events.push(Event::Frame(f));
            }
            Ok(None) => {
                assert_eq!(buf.len(), before, "Ok(None) must not consume");
                return true;
            }
            Err(e) if e.is_connection_error() => {
                events.push(Event::ConnectionError(e));
                return false;
            }
            Err(e) => {
                assert!(buf.len() < before, "stream errors consume the frame");
                events.push(Event::StreamError(e));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, data)) = data.split_first() else {
        return;
    };
    let chunk = (ctl & 0x3f) as usize + 1;
    let big = ctl & 0x80 != 0;

    // Chunked feed.
    let mut dec = decoder(big);
    let mut buf = BytesMut::new();
    let mut chunked = Vec::new();
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        if !drain(&mut dec, &mut buf, &mut chunked) {
            break;
        }
    }

    // Whole buffer at once: same events.
    let mut whole = Vec::new();
    drain(&mut decoder(big), &mut BytesMut::from(data), &mut whole);
    assert_eq!(chunked, whole, "chunking changed the decoded events");

    // Re-encode every decoded frame and decode again.
    let frames: Vec<&Frame> = chunked
        .iter()
        .filter_map(|e| match e {
            Event::Frame(f) => Some(f),
            _ => None,
        })
        .collect();
    let mut wire = BytesMut::new();
    for f in &frames {
        f.encode(&mut wire);
    }
    let mut dec = decoder(big);
    for f in frames {
        let again = dec.decode(&mut wire).expect("re-encoded frame must be valid");
        assert_eq!(again.as_ref(), Some(f));
    }
    assert!(wire.is_empty());
});
