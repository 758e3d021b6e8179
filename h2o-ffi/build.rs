//! Link settings of the C library: the SONAME and an export list that keeps every
//! symbol except the `h2o_` API local (so the Rust runtime inside never clashes).

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        // The installed file is libh2o-client.so.0 (see README.md, "Installed names").
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libh2o-client.so.0");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={manifest}/h2o.map");
    }
    println!("cargo:rerun-if-changed=h2o.map");
    println!("cargo:rerun-if-changed=build.rs");
}
