//! `h2o get`: every URL is submitted at once (one connection per origin, streams
//! multiplexed), then bodies are written to stdout in the order the URLs were given.

use std::io::Write;

use h2o_core::client::block_on;
use h2o_core::{Client, Config};

pub fn run(args: &[String]) -> Result<(), String> {
    let opts = super::args::parse(args, |_, _| Ok(false))?;
    super::log::init(opts.verbose, opts.log.as_deref())?;
    // Settings: defaults < H2O_CONFIG file < H2O_<SETTING> variables < command-line flags.
    let mut cfg = Config::load().map_err(|e| e.to_string())?;
    opts.apply_tls(&mut cfg)?;
    let client = Client::with_config(cfg).map_err(|e| e.to_string())?;
    let pending: Vec<_> = opts
        .urls
        .iter()
        .map(|u| opts.request(u).map(|r| client.send(r)))
        .collect::<Result<_, _>>()?;
    let mut failed = 0;
    let stdout = std::io::stdout();
    for (url, fut) in opts.urls.iter().zip(pending) {
        let outcome = block_on(async {
            let mut resp = fut.await?;
            let body = resp.bytes().await?;
            Ok::<_, h2o_core::Error>((resp, body))
        });
        match outcome {
            Ok((resp, body)) => {
                if opts.verbose {
                    eprintln!("< {url}\n< :status: {}", resp.status());
                    for (n, v) in resp.headers().iter() {
                        eprintln!(
                            "< {}: {}",
                            String::from_utf8_lossy(n),
                            String::from_utf8_lossy(v)
                        );
                    }
                    if let Some(t) = resp.trailers() {
                        for (n, v) in t.iter() {
                            eprintln!(
                                "< (trailer) {}: {}",
                                String::from_utf8_lossy(n),
                                String::from_utf8_lossy(v)
                            );
                        }
                    }
                }
                let mut out = stdout.lock();
                out.write_all(&body)
                    .and_then(|_| out.flush())
                    .map_err(|e| format!("writing to stdout: {e}"))?;
                if opts.verbose && !body.ends_with(b"\n") {
                    eprintln!();
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("h2o: {url}: {e}");
            }
        }
    }
    if opts.stats {
        eprintln!("{}", client.metrics().to_json());
    }
    client.close();
    if failed > 0 {
        return Err(format!("{failed} of {} requests failed", opts.urls.len()));
    }
    Ok(())
}
