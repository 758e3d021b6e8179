//! Fuzz the C API's request builder (h2o-ffi/src/request.rs) with arbitrary bytes: methods,
//! URLs and header names/values with invalid UTF-8, interior NULs, CR/LF, NULL pointers; a
//! sequence of builder calls in any order. Every call must return one of its documented
//! result codes (never panic: libfuzzer aborts on a panic even inside `catch_unwind`), a
//! failed `h2o_request_new` must leave `*out` untouched, and every error must leave a
//! readable message in `h2o_last_error_message()`.
//!
//! Input: the first two length-prefixed byte strings are the method and URL (a leading 0xff
//! length means NULL); then ops of one tag byte and their arguments.
#![no_main]

use std::ffi::{c_char, CStr};

use h2o::*;
use libfuzzer_sys::fuzz_target;

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    /// A length-prefixed string; `None` inside means "pass NULL".
    fn string(&mut self) -> Option<Option<&'a [u8]>> {
        let n = self.byte()?;
        if n == 0xff {
            return Some(None);
        }
        let n = (n as usize).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(Some(a))
    }
}

/// NUL-terminated copy (an interior NUL truncates, as it would in C).
fn cstring(b: Option<&[u8]>) -> Option<Vec<u8>> {
    b.map(|b| {
        let mut v = b.to_vec();
        v.push(0);
        v
    })
}

fn ptr(v: &Option<Vec<u8>>) -> *const c_char {
    v.as_ref().map_or(std::ptr::null(), |v| v.as_ptr() as *const c_char)
}

fn check(r: h2o_result, allowed: &[h2o_result], what: &str) {
    assert!(allowed.contains(&r), "{what}: unexpected {r:?}");
    if r != h2o_result::Ok {
        let msg = h2o_last_error_message();
        assert!(!msg.is_null(), "{what}: no error message");
        // SAFETY: the library returns a NUL-terminated string valid until the next call
        // on this thread.
        let msg = unsafe { CStr::from_ptr(msg) };
        assert!(!msg.to_bytes().is_empty(), "{what}: empty error message for {r:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    use h2o_result::*;
    let mut input = Input(data);
    let (Some(method), Some(url)) = (input.string(), input.string()) else {
        return;
    };
    let (method, url) = (cstring(method), cstring(url));
    let mut req: *mut h2o_request_t = std::ptr::null_mut();
    let r = h2o_request_new(ptr(&method), ptr(&url), &mut req);
    check(
        r,
        &[Ok, NullArgument, InvalidUtf8, InvalidUrl, InvalidArgument],
        "h2o_request_new",
    );
    if r != Ok {
        assert!(req.is_null(), "failed h2o_request_new wrote *out");
        // Whatever else is called on NULL must be a NullArgument error.
        check(h2o_request_set_lane(req, 1), &[NullArgument], "set_lane(NULL)");
        h2o_request_free(req);
        return;
    }
    assert!(!req.is_null());
    let mut ops = 0;
    while let Some(tag) = input.byte() {
        ops += 1;
        if ops > 256 {
            break;
        }
        match tag % 9 {
            0 | 1 => {
                let (Some(name), Some(value)) = (input.string(), input.string()) else { break };
                let name_ptr = name.map_or(std::ptr::null(), |n| n.as_ptr());
                let (value_ptr, value_len) = match value {
                    Some(v) => (v.as_ptr(), v.len()),
                    // NULL with a length only when the tag says so (the documented misuse).
                    None => (std::ptr::null(), if tag & 0x80 != 0 { 3 } else { 0 }),
                };
                let r = h2o_request_add_header(
                    req,
                    name_ptr,
                    name.map_or(0, |n| n.len()),
                    value_ptr,
                    value_len,
                );
                check(r, &[Ok, NullArgument, InvalidUtf8, InvalidArgument], "add_header");
                if r == Ok {
                    let n = name.unwrap();
                    assert!(!n.is_empty() && std::str::from_utf8(n).is_ok());
                    let v = value.unwrap_or(&[]);
                    assert!(!v.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n'));
                }
            }
            2 => {
                let Some(body) = input.string() else { break };
                let (p, n) = match body {
                    Some(b) => (b.as_ptr(), b.len()),
                    None => (std::ptr::null(), if tag & 0x80 != 0 { 5 } else { 0 }),
                };
                check(
                    h2o_request_set_body(req, p, n),
                    &[Ok, NullArgument, InvalidState],
                    "set_body",
                );
            }
            3 => check(h2o_request_set_body_stream(req), &[Ok, InvalidState], "set_body_stream"),
            4 => {
                let Some(u) = input.byte() else { break };
                let r = h2o_request_set_priority(req, u % 10, u & 0x80 != 0);
                check(r, &[Ok, InvalidArgument], "set_priority");
                assert_eq!(r == Ok, u % 10 <= 7);
            }
            5 => {
                let Some(l) = input.byte() else { break };
                check(h2o_request_set_lane(req, l as u32), &[Ok], "set_lane");
                check(
                    h2o_request_set_userdata(req, l as usize as *mut std::ffi::c_void),
                    &[Ok],
                    "set_userdata",
                );
            }
            6 => {
                let mut id = 0u64;
                check(h2o_request_id(req, &mut id), &[InvalidState], "request_id");
                check(h2o_request_id(req, std::ptr::null_mut()), &[NullArgument], "request_id(NULL)");
            }
            7 => {
                // Body calls before submission: always InvalidState (never block).
                let Some(b) = input.string() else { break };
                let b = b.unwrap_or(b"x");
                check(h2o_request_try_write(req, b.as_ptr(), b.len()), &[Ok, InvalidState], "try_write");
                check(h2o_request_write(req, b.as_ptr(), b.len()), &[Ok, InvalidState], "write");
                check(h2o_request_finish(req), &[InvalidState], "finish");
            }
            _ => {
                // NULL request handles.
                check(
                    h2o_request_add_header(std::ptr::null_mut(), b"a".as_ptr(), 1, b"b".as_ptr(), 1),
                    &[NullArgument],
                    "add_header(NULL)",
                );
                check(h2o_request_set_body_stream(std::ptr::null_mut()), &[NullArgument], "set_body_stream(NULL)");
            }
        }
    }
    h2o_request_free(req);
});
