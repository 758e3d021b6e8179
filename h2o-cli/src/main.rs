//! `h2o`: fetch URLs over HTTP/2 (`h2o get`) and measure a server and this client
//! (`h2o bench`), built on the h2o library.

mod args;
mod bench;
mod get;

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  h2o get [-X METHOD] [-H 'name: value']... [-d DATA|@FILE] [-v] [--stats] [--cacert F] [--insecure] URL...
      Fetch URLs concurrently on one connection per origin; bodies go to stdout in URL
      order, status and headers to stderr with -v.
  h2o bench [-n N] [-m M] [-c C] [-t T] [-d DATA|@FILE] [--stats] [--cacert F] [--insecure] URL
      N requests (default 10000), M concurrent streams per connection (default 100),
      C connections (default 1), T runtime threads (default 1). Prints req/s, MB/s,
      latency percentiles and a final JSON line.
  --stats prints the client's metrics snapshot (JSON: latency histogram, requests, bytes,
      errors by kind, flow-control stalls, HPACK, pool) to stderr at the end.
  h2o --version
Settings come from H2O_CONFIG (a JSON file) and H2O_<SETTING> variables, e.g.
H2O_INITIAL_WINDOW_SIZE=65535 (docs/CONFIG.md); command-line flags override them.";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match argv.first().map(String::as_str) {
        Some("get") => get::run(&argv[1..]),
        Some("bench") => bench::run(&argv[1..]),
        Some("--version" | "-V") => {
            println!("h2o {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("missing or unknown command\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("h2o: {msg}");
            ExitCode::FAILURE
        }
    }
}
