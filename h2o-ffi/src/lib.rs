//! C ABI of h2o (`libh2o-client`): opaque handles (`h2o_config_t`, `h2o_client_t`,
//! `h2o_request_t`), one result enum (`h2o_result`) with stable numbers, delivery by
//! callbacks on the library's thread or by a poll queue, panics caught at every export.
//! The header `include/h2o.h` is generated from this crate by cbindgen (see
//! `cbindgen.toml`); README.md describes the threading model and installed names.

// Exports are called from C, where every call is "unsafe": pointer validity is the
// caller's documented contract (checked for NULL, never for liveness), as in rustls-ffi.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod panic;
mod registry;

pub mod client;
pub mod config;
pub mod introspect;
pub mod log;
pub mod request;
pub mod result;

use std::ffi::c_char;

pub use client::*;
pub use config::*;
pub use introspect::*;
pub use log::*;
pub use request::*;
pub use result::*;

/// The library version as a NUL-terminated static string, e.g. `"0.1.0"`.
///
/// Thread: any. The pointer is valid for the life of the process; do not free it.
///
/// ```c
/// printf("h2o %s\n", h2o_version());
/// ```
#[no_mangle]
pub extern "C" fn h2o_version() -> *const c_char {
    panic::ffi_boundary!(concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}
