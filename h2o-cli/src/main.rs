//! `h2o`: fetch URLs over HTTP/2 (`h2o get`) and measure a server and this client
//! (`h2o bench`), built on the h2o library.

mod args;
mod bench;
mod get;
mod log;

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  h2o get [-X METHOD] [-H 'name: value']... [-d DATA|@FILE] [-v] [--log FILTER] [--stats] [--cacert F] [--insecure] URL...
      Fetch URLs concurrently on one connection per origin; bodies go to stdout in URL
      order. -v prints every frame sent and received on stderr (like nghttp -v; credentials
      and cookies redacted) and each response's status and headers. --log FILTER (or
      H2O_LOG) prints the library's log events, e.g. --log debug,h2o::proto=trace.
  h2o bench [-n N] [-m M] [-c C] [-t T] [-d DATA|@FILE] [--log FILTER] [--stats] [--cacert F] [--insecure] URL
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
