//! The boundary every export goes through: a Rust panic never unwinds into C. A caught
//! panic turns into `H2O_RESULT_PANIC` (or a harmless default for functions that return
//! something else) and the last-error message says so.

use std::ffi::c_char;

use crate::result::h2o_result;

/// The value an export returns when its body panicked.
pub(crate) trait PanicDefault {
    fn panic_value() -> Self;
}

impl PanicDefault for h2o_result {
    fn panic_value() -> Self {
        h2o_result::Panic
    }
}

impl PanicDefault for () {
    fn panic_value() -> Self {}
}

impl PanicDefault for *const c_char {
    fn panic_value() -> Self {
        c"(panic inside libh2o)".as_ptr()
    }
}

impl PanicDefault for bool {
    fn panic_value() -> Self {
        false
    }
}

/// Runs `$body` (an expression producing the export's return value) with panics caught.
macro_rules! ffi_boundary {
    ($body:expr) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => {
                $crate::result::set_last_error(
                    "a panic inside libh2o was caught at the C boundary",
                );
                <_ as $crate::panic::PanicDefault>::panic_value()
            }
        }
    }};
}

/// Early-returns `H2O_RESULT_NULL_ARGUMENT` when a pointer argument is NULL.
macro_rules! check_null {
    ($($p:ident),+) => {
        $(
            if $p.is_null() {
                $crate::result::set_last_error(concat!("argument `", stringify!($p), "` is NULL"));
                return $crate::result::h2o_result::NullArgument;
            }
        )+
    };
}

/// Early-returns the error of a `Result<T, h2o_result>`.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

pub(crate) use {check_null, ffi_boundary, tri};

#[cfg(test)]
mod tests {
    use super::*;

    fn exported_that_panics(x: u32) -> h2o_result {
        ffi_boundary!({
            if x > 0 {
                panic!("boom");
            }
            h2o_result::Ok
        })
    }

    fn exported_str_that_panics() -> *const c_char {
        ffi_boundary!(panic!("boom"))
    }

    #[test]
    fn panics_become_results() {
        assert_eq!(exported_that_panics(0), h2o_result::Ok);
        assert_eq!(exported_that_panics(1), h2o_result::Panic);
        // SAFETY: h2o_last_error_message returns a valid NUL-terminated string.
        let msg = unsafe { std::ffi::CStr::from_ptr(crate::result::h2o_last_error_message()) };
        assert!(msg.to_str().unwrap().contains("panic"));
        assert!(!exported_str_that_panics().is_null());
    }
}
