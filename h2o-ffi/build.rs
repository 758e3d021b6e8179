//! Link settings of the C library: the SONAME of the installed file.
//!
//! No version script is needed for the export list: rustc already exports only the
//! `#[no_mangle] pub extern "C"` functions from a cdylib (all `h2o_*`), and
//! `make c-symbols` checks that with `nm -D --defined-only`.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        // The installed file is libh2o-client.so.0 (see README.md, "Installed names").
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libh2o-client.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
