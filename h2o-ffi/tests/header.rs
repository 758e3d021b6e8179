//! The committed header agrees with the crate: its version macro is the crate version, and
//! every exported function is declared (and documented) in it. (`make header-check` diffs
//! the whole file when cbindgen is installed.)

use std::path::Path;

fn header() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/h2o.h");
    std::fs::read_to_string(path).expect("include/h2o.h exists")
}

#[test]
fn version_macro_matches_crate() {
    let want = format!(
        "#define H2O_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(header().contains(&want), "include/h2o.h lacks {want}");
}

#[test]
fn every_export_is_declared_with_a_doc_comment() {
    let h = header();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut n = 0;
    for entry in std::fs::read_dir(src).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("pub extern \"C\" fn ") else {
                continue;
            };
            let name = rest.split('(').next().unwrap();
            let lines: Vec<&str> = h.lines().collect();
            let at = lines
                .iter()
                .position(|l| {
                    // Declarations start at column 0; doc comment lines with " *" or "/**".
                    !l.starts_with([' ', '/', '#']) && l.contains(&format!("{name}("))
                })
                .unwrap_or_else(|| panic!("{name} is not declared in include/h2o.h"));
            assert!(
                at > 0 && lines[at - 1].trim_end().ends_with("*/"),
                "{name} has no doc comment in include/h2o.h"
            );
            n += 1;
        }
    }
    assert!(n >= 40, "found only {n} exports");
}

#[test]
fn every_export_is_exercised_by_the_c_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Every C test program (test_h2o.c, test_log.c, ...) counts.
    let mut c_tests = String::new();
    for entry in std::fs::read_dir(root.join("tests/c")).expect("tests/c") {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.starts_with("test_") && n.ends_with(".c")
        }) {
            c_tests.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    let src = root.join("h2o-ffi/src");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("pub extern \"C\" fn ") {
                let name = rest.split('(').next().unwrap();
                if !c_tests.contains(&format!("{name}(")) {
                    missing.push(name.to_owned());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not called by the C tests (tests/c/test_*.c): {missing:?}"
    );
}
