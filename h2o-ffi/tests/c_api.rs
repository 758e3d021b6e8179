//! The C API driven from Rust against the in-process hyper test server: callbacks, poll
//! mode, and close with requests in flight (each completes exactly once). The full suite
//! is C (`tests/c/test_h2o.c`, `make c-test`); this keeps `cargo test -p h2o-ffi` honest.

use std::ffi::{c_int, c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use h2o::*;
use h2o_testsupport::TestServer;

#[derive(Default)]
struct Seen {
    status: AtomicUsize,
    bytes: AtomicUsize,
    completes: AtomicUsize,
    result: AtomicUsize,
}

unsafe extern "C" fn on_head(ud: *mut c_void, status: u16, _h: *const h2o_header_t, _n: usize) {
    // SAFETY: `ud` is the &Seen passed to h2o_request_set_callbacks, alive for the test.
    let seen = unsafe { &*(ud as *const Seen) };
    seen.status.store(status as usize, Ordering::SeqCst);
}

unsafe extern "C" fn on_data(ud: *mut c_void, _d: *const u8, len: usize) -> c_int {
    // SAFETY: as above.
    let seen = unsafe { &*(ud as *const Seen) };
    seen.bytes.fetch_add(len, Ordering::SeqCst);
    H2O_DATA_CONTINUE
}

unsafe extern "C" fn on_complete(ud: *mut c_void, r: h2o_result, _e: *const h2o_error_t) {
    // SAFETY: as above.
    let seen = unsafe { &*(ud as *const Seen) };
    seen.result.store(r as usize, Ordering::SeqCst);
    seen.completes.fetch_add(1, Ordering::SeqCst);
}

const CALLBACKS: h2o_callbacks_t = h2o_callbacks_t {
    on_informational: None,
    on_head: Some(on_head),
    on_data: Some(on_data),
    on_trailers: None,
    on_complete: Some(on_complete),
};

fn submit(client: *mut h2o_client_t, url: &str, seen: Option<&Seen>) -> u64 {
    let url = CString::new(url).unwrap();
    let mut req = std::ptr::null_mut();
    assert_eq!(
        h2o_request_new(c"GET".as_ptr(), url.as_ptr(), &mut req),
        h2o_result::Ok
    );
    if let Some(seen) = seen {
        let ud = seen as *const Seen as *mut c_void;
        assert_eq!(
            h2o_request_set_callbacks(req, &CALLBACKS, ud),
            h2o_result::Ok
        );
    }
    let mut id = 0;
    assert_eq!(h2o_client_submit(client, req, &mut id), h2o_result::Ok);
    h2o_request_free(req);
    id
}

fn wait_until(what: impl Fn() -> bool) {
    let end = Instant::now() + Duration::from_secs(20);
    while !what() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(what(), "timed out");
}

#[test]
fn callbacks_get() {
    let server = TestServer::start();
    let mut client = std::ptr::null_mut();
    assert_eq!(
        h2o_client_new(std::ptr::null(), &mut client),
        h2o_result::Ok
    );
    let seen = Seen::default();
    submit(client, &server.url("/bytes/100000"), Some(&seen));
    wait_until(|| seen.completes.load(Ordering::SeqCst) == 1);
    assert_eq!(seen.result.load(Ordering::SeqCst), h2o_result::Ok as usize);
    assert_eq!(seen.status.load(Ordering::SeqCst), 200);
    assert_eq!(seen.bytes.load(Ordering::SeqCst), 100_000);
    h2o_client_free(client);
    assert_eq!(seen.completes.load(Ordering::SeqCst), 1);
}

#[test]
fn poll_mode_get() {
    let server = TestServer::start();
    let mut client = std::ptr::null_mut();
    assert_eq!(
        h2o_client_new(std::ptr::null(), &mut client),
        h2o_result::Ok
    );
    let id = submit(client, &server.url("/hello"), None);
    let mut events: Vec<h2o_event_t> = Vec::with_capacity(8);
    let (mut body, mut done) = (0, false);
    let end = Instant::now() + Duration::from_secs(20);
    while !done && Instant::now() < end {
        let mut n = 0;
        let r = h2o_client_poll(client, events.as_mut_ptr(), 8, 100, &mut n);
        assert_eq!(r, h2o_result::Ok);
        // SAFETY: poll initialised the first `n` events.
        unsafe { events.set_len(n) };
        for ev in events.iter_mut() {
            assert_eq!(ev.request_id, id);
            match ev.kind {
                h2o_event_kind::Data => body += ev.data_len,
                h2o_event_kind::Complete => {
                    assert_eq!(ev.result, h2o_result::Ok);
                    done = true;
                }
                _ => {}
            }
            assert_eq!(h2o_event_release(ev), h2o_result::Ok);
        }
        events.clear();
    }
    assert!(done);
    assert_eq!(body, 13);
    h2o_client_free(client);
}

#[test]
fn close_completes_each_request_once() {
    let server = TestServer::start();
    let mut client = std::ptr::null_mut();
    assert_eq!(
        h2o_client_new(std::ptr::null(), &mut client),
        h2o_result::Ok
    );
    let seen: Vec<Seen> = (0..300).map(|_| Seen::default()).collect();
    for s in &seen {
        submit(client, &server.url("/delay/30000"), Some(s));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(h2o_client_close(client), h2o_result::Ok);
    for s in &seen {
        assert_eq!(s.completes.load(Ordering::SeqCst), 1);
        assert_eq!(
            s.result.load(Ordering::SeqCst),
            h2o_result::Cancelled as usize
        );
    }
    let mut req = std::ptr::null_mut();
    let url = CString::new(server.url("/hello")).unwrap();
    assert_eq!(
        h2o_request_new(c"GET".as_ptr(), url.as_ptr(), &mut req),
        h2o_result::Ok
    );
    assert_eq!(
        h2o_client_submit(client, req, std::ptr::null_mut()),
        h2o_result::UseAfterClose
    );
    h2o_request_free(req);
    h2o_client_free(client);
}
