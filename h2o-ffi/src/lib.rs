//! C ABI of h2o (`libh2o`). The full API lands with the C ABI issue; for now it
//! exports the version query so the library and header pipeline exist end to end.

use std::ffi::c_char;

/// The library version as a NUL-terminated static string, e.g. `"0.1.0"`.
///
/// Thread: any. The pointer is valid for the life of the process; do not free it.
///
/// ```c
/// printf("h2o %s\n", h2o_version());
/// ```
#[no_mangle]
pub extern "C" fn h2o_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
