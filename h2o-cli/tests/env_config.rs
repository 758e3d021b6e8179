//! The CLI reads its settings from H2O_CONFIG and H2O_<SETTING> (docs/CONFIG.md).

use std::process::Command;

fn h2o() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_h2o"));
    c.env_remove("H2O_CONFIG");
    c
}

#[test]
fn bad_env_setting_is_reported_before_any_request() {
    // Port 9 (discard) on localhost: never reached, the settings fail first.
    let out = h2o()
        .args(["get", "http://127.0.0.1:9/"])
        .env("H2O_MAX_FRAME_SIZE", "100")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("H2O_MAX_FRAME_SIZE"), "{err}");
    assert!(err.contains("16384..=16777215"), "{err}");

    let out = h2o()
        .args(["bench", "-n", "1", "http://127.0.0.1:9/"])
        .env("H2O_POOL_IDLE_TIMEOUT", "5")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("did you mean \"pool_idle_timeout_ms\""),
        "{err}"
    );
}

#[test]
fn config_file_is_read() {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("h2o-cli-config-{}.json", std::process::id()));
    std::fs::write(&path, r#"{"runtime_threads": "two"}"#).unwrap();
    let out = h2o()
        .args(["get", "http://127.0.0.1:9/"])
        .env("H2O_CONFIG", &path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("\"runtime_threads\""), "{err}");
}
