//! `h2o-testserver [--listen 127.0.0.1:PORT] [--tls CERT KEY] [--max-concurrent-streams N]`
//!
//! Prints exactly one line, `listening on 127.0.0.1:PORT`, once bound, then serves until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use h2o_testserver::{serve, Options, TlsFiles};

const USAGE: &str =
    "usage: h2o-testserver [--listen 127.0.0.1:PORT] [--tls CERT KEY] [--max-concurrent-streams N]";

fn parse() -> Result<(String, Options), String> {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut opts = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--listen" => listen = value("--listen")?,
            "--tls" => {
                let cert = PathBuf::from(value("--tls")?);
                let key = PathBuf::from(value("--tls")?);
                opts.tls = Some(TlsFiles { cert, key });
            }
            "--max-concurrent-streams" => {
                let n = value("--max-concurrent-streams")?;
                opts.max_concurrent_streams =
                    Some(n.parse().map_err(|_| format!("bad number {n}"))?);
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((listen, opts))
}

fn main() -> ExitCode {
    let (listen, opts) = match parse() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("h2o-testserver: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        let addr = listener.local_addr()?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        out.flush()?;
        drop(out);
        serve(listener, opts).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("h2o-testserver: {e}");
            ExitCode::FAILURE
        }
    }
}
