//! Configuration from files and the process environment, and the generated docs table.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use h2o_core::client::settings::{self, ConfigLoader};
use h2o_core::Config;

const BEGIN: &str = "<!-- settings:begin -->\n";
const END: &str = "<!-- settings:end -->";

fn docs_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/CONFIG.md")
}

/// `docs/CONFIG.md` holds exactly the table the registry generates. `UPDATE_DOCS=1`
/// rewrites it (`make docs`).
#[test]
fn docs_table_is_current() {
    let path = docs_path();
    let text = std::fs::read_to_string(&path).expect("docs/CONFIG.md");
    let start = text.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = text.find(END).expect("end marker");
    let table = settings::markdown_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let new = format!("{}{}{}", &text[..start], table, &text[end..]);
        std::fs::write(&path, new).expect("write docs/CONFIG.md");
        return;
    }
    assert!(
        text[start..end] == table,
        "docs/CONFIG.md is stale: run `make docs`"
    );
    for s in settings::SETTINGS {
        assert!(text.contains(&format!("| `{}` |", s.key)), "{}", s.key);
    }
}

/// A JSON file under the target directory, overridden by a variable.
#[test]
fn file_then_env_precedence() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("h2o-config-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"runtime_threads": 3, "max_retries": 1, "pool": {"idle_timeout_ms": 5000}}"#,
    )
    .unwrap();
    let cfg = ConfigLoader::new(Config::default())
        .env_vars([
            ("H2O_CONFIG", path.to_str().unwrap()),
            ("H2O_MAX_RETRIES", "7"),
        ])
        .load()
        .unwrap();
    assert_eq!(cfg.runtime_threads, 3);
    assert_eq!(cfg.max_retries, 7);
    assert_eq!(cfg.pool.idle_timeout, Some(Duration::from_secs(5)));
    // A bad file names the file and the key.
    std::fs::write(&path, r#"{"max_retries": "many"}"#).unwrap();
    let e = ConfigLoader::new(Config::default())
        .file(&path)
        .env_vars([("H2O_UNRELATED", "x")])
        .load()
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("config file {}", path.display())),
        "{msg}"
    );
    assert!(msg.contains("\"max_retries\""), "{msg}");
    std::fs::remove_file(&path).unwrap();
}

/// `Config::from_env` reads the real process environment: run in a child process so the
/// variables do not leak into other tests.
#[test]
fn from_env_reads_the_process_environment() {
    if std::env::var_os("H2O_CONFIG_TEST_CHILD").is_some() {
        let cfg = Config::from_env().unwrap();
        assert_eq!(cfg.runtime_threads, 2); // file
        assert_eq!(cfg.proto.initial_window_size, 65_535); // env over file
        assert_eq!(cfg.keepalive_interval, None); // env
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("h2o-env-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"runtime_threads": 2, "initial_window_size": 1000}"#,
    )
    .unwrap();
    let run = |extra: &[(&str, &str)]| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "from_env_reads_the_process_environment",
            "--nocapture",
        ])
        .env("H2O_CONFIG_TEST_CHILD", "1")
        .env("H2O_CONFIG", &path)
        .env("H2O_INITIAL_WINDOW_SIZE", "65535")
        .env("H2O_KEEPALIVE_INTERVAL_MS", "off");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A typo in a variable fails the load (the child's assertion panics on the error).
    let out = run(&[("H2O_INITIAL_WINDOW_SIZ", "1")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("H2O_INITIAL_WINDOW_SIZ")
            || String::from_utf8_lossy(&out.stderr).contains("H2O_INITIAL_WINDOW_SIZ")
    );
    std::fs::remove_file(&path).unwrap();
}

/// Every setting has the C function the docs table names, declared in include/h2o.h.
#[test]
fn every_setting_has_its_c_setter_in_the_header() {
    let header =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/h2o.h"))
            .expect("include/h2o.h");
    for s in settings::SETTINGS {
        let name = settings::c_setter(s).trim_matches('`').to_owned();
        assert!(
            header.contains(&format!(" {name}(struct h2o_config_t *config")),
            "{} has no {name} in include/h2o.h",
            s.key
        );
    }
}
