//! `h2o-testsupport`: servers for h2o's tests.
//!
//! * [`RealServer`]: nginx, the h2o server, nghttpd or apache2, in h2c (prior knowledge) or TLS
//!   mode, started from `tests/servers/serve.sh` on a free 127.0.0.1 port and killed on drop.
//!   They serve a static docroot (see `tests/servers/make-docroot.sh`): `/0b`, `/13b` and `/hello`
//!   (`Hello, world!`), `/1m` and `/100m` (byte i = i % 251), plus, where the server can, the
//!   interop endpoints `/204`, `/bigheaders`, `/upload` and `/put/NAME` (tests/servers/README.md).
//!   [`RealServer::graceful_reload`] signals a graceful reload.
//! * [`TestServer`]: the in-process hyper server of `h2o-testserver` (dynamic endpoints:
//!   `/echo`, `/sha256`, `/delay/MS`, `/status/CODE`, `/trailers`, `/headers/N`, `/bytes/N`, ...).
//!
//! TLS servers use a certificate for `127.0.0.1` and `localhost` signed by the test CA at
//! [`ca_path`]; the other certificates of `tests/servers/gen-certs.sh` are in [`certs_dir`].
//!
//! Docroot and certificates are made once per machine in [`assets_dir`]. A missing server binary
//! is a panic ("nginx not installed: run make deps"): tests fail, they never skip.

use std::fmt;
use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use h2o_testserver::{pattern, pattern_byte, Options as TestServerOptions, HELLO};

/// How long [`RealServer::start`] waits for the port to accept connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A real HTTP/2 server from the system packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// nginx (`listen ... http2`), 128 concurrent streams, keepalive_requests 1000000.
    Nginx,
    /// The h2o HTTP server (always advertises 100 concurrent streams).
    H2o,
    /// nghttpd from nghttp2 (100 concurrent streams).
    Nghttpd,
    /// apache2 with mpm_event and mod_http2 (`H2MaxSessionStreams 128`).
    Apache2,
}

impl ServerKind {
    /// Every kind.
    pub const ALL: [ServerKind; 4] = [
        ServerKind::Nginx,
        ServerKind::H2o,
        ServerKind::Nghttpd,
        ServerKind::Apache2,
    ];

    /// The signal that makes the server's master reload gracefully (new workers take new
    /// connections, old ones say GOAWAY and finish their in-flight streams), or `None`: nginx
    /// `SIGHUP`, apache2 `SIGUSR1` (graceful restart), h2o `SIGHUP` (its `start_server` master
    /// starts new workers and sends the old ones `SIGTERM`, a graceful shutdown); nghttpd has
    /// no reload.
    pub fn graceful_reload_signal(self) -> Option<libc::c_int> {
        match self {
            ServerKind::Nginx | ServerKind::H2o => Some(libc::SIGHUP),
            ServerKind::Apache2 => Some(libc::SIGUSR1),
            ServerKind::Nghttpd => None,
        }
    }

    /// The signal that makes the server's master stop gracefully (GOAWAY, finish in-flight
    /// streams, exit), or `None`: nginx `SIGQUIT`, apache2 `SIGWINCH` (graceful-stop), h2o
    /// `SIGTERM` (`start_server` passes it to the worker, which shuts down gracefully); nghttpd
    /// just exits on any signal.
    pub fn graceful_stop_signal(self) -> Option<libc::c_int> {
        match self {
            ServerKind::Nginx => Some(libc::SIGQUIT),
            ServerKind::H2o => Some(libc::SIGTERM),
            ServerKind::Apache2 => Some(libc::SIGWINCH),
            ServerKind::Nghttpd => None,
        }
    }

    /// The name `serve.sh` takes, which is also the binary's name.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Nginx => "nginx",
            ServerKind::H2o => "h2o",
            ServerKind::Nghttpd => "nghttpd",
            ServerKind::Apache2 => "apache2",
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Cleartext HTTP/2 with prior knowledge, or TLS with ALPN `h2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// h2c, prior knowledge (no Upgrade).
    H2c,
    /// TLS, ALPN `h2`, certificate from the test CA.
    Tls,
}

impl Mode {
    /// Both modes.
    pub const ALL: [Mode; 2] = [Mode::H2c, Mode::Tls];

    /// `h2c` or `tls`, as `serve.sh` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Mode::H2c => "h2c",
            Mode::Tls => "tls",
        }
    }

    /// `http` or `https`.
    pub fn scheme(self) -> &'static str {
        match self {
            Mode::H2c => "http",
            Mode::Tls => "https",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The repository's root (where the workspace Cargo.toml is).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// `tests/servers`, with serve.sh, make-docroot.sh and gen-certs.sh.
pub fn servers_dir() -> PathBuf {
    repo_root().join("tests/servers")
}

/// Where the shared docroot (`www/`, 100 MiB) and certificates (`certs/`) live: `$H2O_TEST_ASSETS`,
/// or `h2o-test-assets` in the system temp dir (world-readable, so that server workers that drop
/// privileges can read it).
pub fn assets_dir() -> PathBuf {
    match std::env::var_os("H2O_TEST_ASSETS") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join("h2o-test-assets"),
    }
}

fn run_script(script: &str, dir: &Path) {
    let path = servers_dir().join(script);
    let out = Command::new(&path)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{} {} failed ({}):\n{}{}",
        path.display(),
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The shared docroot, made on first use (`make-docroot.sh`).
pub fn docroot() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = assets_dir().join("www");
        fs::create_dir_all(assets_dir()).expect("create assets dir");
        world_readable(&assets_dir());
        run_script("make-docroot.sh", &dir);
        dir
    })
    .clone()
}

/// The shared test PKI, made on first use (`gen-certs.sh`).
pub fn certs_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = assets_dir().join("certs");
        run_script("gen-certs.sh", &dir);
        dir
    })
    .clone()
}

/// The test CA certificate (PEM) that signs every TLS server's certificate.
pub fn ca_path() -> PathBuf {
    certs_dir().join("ca.pem")
}

/// `PATH` plus the sbin folders (nginx, apache2 and nghttpd live in /usr/sbin).
fn search_path() -> String {
    let mut path = std::env::var("PATH").unwrap_or_default();
    for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin"] {
        if !path.split(':').any(|p| p == extra) {
            if !path.is_empty() {
                path.push(':');
            }
            path.push_str(extra);
        }
    }
    path
}

fn installed(binary: &str, path: &str) -> bool {
    path.split(':')
        .any(|dir| Path::new(dir).join(binary).is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn unique_workdir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir()
        .join("h2o-realserver")
        .join(format!("{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create workdir");
    // Workers that drop privileges (apache2's www-data) must traverse it whatever the umask.
    world_readable(dir.parent().expect("parent"));
    world_readable(&dir);
    dir
}

fn world_readable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o755));
}

/// The last `max` bytes of a file, lossily decoded ("" if missing).
fn tail(path: &Path, max: u64) -> String {
    let mut buf = Vec::new();
    if let Ok(mut f) = fs::File::open(path) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len > max {
            use std::io::Seek;
            let _ = f.seek(std::io::SeekFrom::Start(len - max));
        }
        let _ = f.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A real server process (and its workers) serving the shared docroot on 127.0.0.1.
///
/// Dropping it kills its whole process group and removes its workdir (kept when the thread is
/// panicking, or when `H2O_KEEP_WORKDIR` is set, for post-mortems).
pub struct RealServer {
    kind: ServerKind,
    mode: Mode,
    port: u16,
    child: Child,
    workdir: PathBuf,
    keep_workdir: bool,
}

impl RealServer {
    /// Starts `kind` in `mode` and returns once its port accepts TCP connections.
    ///
    /// Panics if the server is not installed, exits, or is not accepting within [`START_TIMEOUT`]
    /// (the panic message carries its logs).
    pub fn start(kind: ServerKind, mode: Mode) -> RealServer {
        let path = search_path();
        if !installed(kind.name(), &path) {
            panic!("{kind} not installed: run make deps");
        }
        let docroot = docroot();
        let certs = certs_dir();
        // A port picked by binding :0 can be taken by someone else before the server binds it:
        // try again with a new port when that happens.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let workdir = unique_workdir(&format!("{kind}-{mode}"));
            std::os::unix::fs::symlink(&docroot, workdir.join("www")).expect("symlink docroot");
            let port = free_port();
            let log = fs::File::create(workdir.join("serve.log")).expect("serve.log");
            let child = Command::new(servers_dir().join("serve.sh"))
                .args([kind.name(), mode.name(), &port.to_string()])
                .arg(&workdir)
                .env("PATH", &path)
                .env("CERTS_DIR", &certs)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("dup log"))
                .stderr(log)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot spawn serve.sh: {e}"));
            let mut server = RealServer {
                kind,
                mode,
                port,
                child,
                workdir,
                keep_workdir: false,
            };
            match server.wait_ready() {
                Ok(()) => return server,
                Err(why) => {
                    let logs = server.logs();
                    let retry = attempt < 3 && logs.contains("in use");
                    if retry {
                        drop(server);
                        continue;
                    }
                    let workdir = server.workdir.clone();
                    server.keep_workdir = true;
                    drop(server);
                    panic!(
                        "{kind} {mode}: {why} (workdir {})\n{logs}",
                        workdir.display()
                    );
                }
            }
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = self.addr();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Err(format!("exited before accepting connections ({status})"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "port {} not accepting after {START_TIMEOUT:?}",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Which server this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// h2c or TLS.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `http://127.0.0.1:PORT/path` or `https://...`; `path` should start with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{}", self.mode.scheme(), self.port, path)
    }

    /// The CA certificate (PEM) to trust for TLS.
    pub fn ca_path(&self) -> PathBuf {
        ca_path()
    }

    /// The server's (master) pid, which is also its process group id (for h2o, which runs in
    /// master mode, the pid of its `start_server` master).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the server's master process (not to its workers), e.g. `libc::SIGHUP`.
    /// See [`ServerKind::graceful_reload_signal`].
    pub fn signal(&self, signal: libc::c_int) -> std::io::Result<()> {
        // SAFETY: a plain syscall on the process this struct started (and has not reaped).
        if unsafe { libc::kill(self.child.id() as libc::pid_t, signal) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Sends the kind's graceful reload signal to the master; `false` if the kind has none.
    pub fn graceful_reload(&self) -> std::io::Result<bool> {
        match self.kind.graceful_reload_signal() {
            Some(sig) => self.signal(sig).map(|()| true),
            None => Ok(false),
        }
    }

    /// Stops the server (its whole process group) and starts it again on the same port and
    /// workdir (logs are appended), returning once the port accepts connections again.
    /// `down_for` is how long it stays stopped.
    pub fn restart(&mut self, down_for: Duration) {
        self.stop_group();
        std::thread::sleep(down_for);
        let log = fs::OpenOptions::new()
            .append(true)
            .open(self.workdir.join("serve.log"))
            .expect("serve.log");
        self.child = Command::new(servers_dir().join("serve.sh"))
            .args([self.kind.name(), self.mode.name(), &self.port.to_string()])
            .arg(&self.workdir)
            .env("PATH", search_path())
            .env("CERTS_DIR", certs_dir())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot respawn serve.sh: {e}"));
        if let Err(why) = self.wait_ready() {
            panic!("{} restart: {why}\n{}", self.kind, self.logs());
        }
    }

    fn stop_group(&mut self) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: plain syscalls on the process group this struct created.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    // SAFETY: as above.
                    unsafe { libc::kill(-pgid, libc::SIGKILL) };
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        // Workers that outlived their master. (Killed helpers become zombies of PID 1 until it
        // reaps them, which can be late here: h2o's `annotate-backtrace-symbols` perl does.)
        let deadline = Instant::now() + Duration::from_secs(2);
        while process_group_alive(self.child.id()) && Instant::now() < deadline {
            // SAFETY: as above.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends the kind's graceful stop signal to the master; `false` if the kind has none.
    pub fn graceful_stop(&self) -> std::io::Result<bool> {
        match self.kind.graceful_stop_signal() {
            Some(sig) => self.signal(sig).map(|()| true),
            None => Ok(false),
        }
    }

    /// Whether the server's master process is still running (reaps it if it exited).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The folder with its config, logs and `www` (a symlink to the shared docroot).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The tail of its output and its error log.
    pub fn logs(&self) -> String {
        format!(
            "--- serve.log ---\n{}\n--- error.log ---\n{}",
            tail(&self.workdir.join("serve.log"), 4096),
            tail(&self.workdir.join("error.log"), 4096)
        )
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        self.stop_group();
        if !self.keep_workdir
            && !std::thread::panicking()
            && std::env::var_os("H2O_KEEP_WORKDIR").is_none()
        {
            let _ = fs::remove_dir_all(&self.workdir);
        }
    }
}

/// Whether any non-zombie process of process group `pgid` exists (scans `/proc`).
pub fn process_group_alive(pgid: u32) -> bool {
    let Ok(entries) = fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|e| {
        let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // pid (comm) state ppid pgrp ...: comm may contain spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            return false;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|f| f.parse::<u32>().ok());
        pgrp == Some(pgid) && state != Some("Z")
    })
}

/// The in-process hyper test server (`h2o-testserver`), h2c or TLS, on 127.0.0.1; stopped on drop.
pub struct TestServer {
    handle: h2o_testserver::ServerHandle,
    mode: Mode,
}

impl TestServer {
    /// h2c prior knowledge, default options.
    pub fn start() -> TestServer {
        TestServer::with_options(Mode::H2c, TestServerOptions::default())
    }

    /// TLS (ALPN h2) with the test CA's `server.pem` (127.0.0.1, localhost).
    pub fn start_tls() -> TestServer {
        TestServer::with_options(Mode::Tls, TestServerOptions::default())
    }

    /// `mode` with `opts`; in TLS mode `opts.tls` defaults to the test CA's `server.pem`.
    pub fn with_options(mode: Mode, mut opts: TestServerOptions) -> TestServer {
        match mode {
            Mode::H2c => opts.tls = None,
            Mode::Tls => {
                if opts.tls.is_none() {
                    let certs = certs_dir();
                    opts.tls = Some(h2o_testserver::TlsFiles {
                        cert: certs.join("server.pem"),
                        key: certs.join("server.key"),
                    });
                }
            }
        }
        let handle = h2o_testserver::spawn(opts).expect("start h2o-testserver");
        TestServer { handle, mode }
    }

    /// h2c or TLS.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.handle.addr().port()
    }

    /// `http://127.0.0.1:PORT/path` or `https://...`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.mode.scheme(), self.handle.addr(), path)
    }

    /// The CA certificate (PEM) to trust in TLS mode.
    pub fn ca_path(&self) -> PathBuf {
        ca_path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_binaries_on_the_search_path() {
        let path = search_path();
        assert!(path.split(':').any(|p| p == "/usr/sbin"));
        assert!(installed("sh", &path));
        assert!(!installed("no-such-http2-server", &path));
    }

    #[test]
    fn urls_and_names() {
        assert_eq!(ServerKind::Apache2.to_string(), "apache2");
        assert_eq!(Mode::Tls.scheme(), "https");
        assert!(servers_dir().join("serve.sh").is_file());
    }
}
