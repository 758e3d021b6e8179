//! The hostile-server catalogue (tests/e2e/src/catalogue.rs) as a test: every scenario runs
//! against the real client over loopback and must pass; flood scenarios stay under a stated
//! peak-RSS bound. `cargo test -p h2o-e2e --test conformance -- --nocapture` prints the table.

use h2o_e2e::conformance::{run_all, table, Group};

/// Peak RSS of the whole test process (client and scripted server) during any flood.
const FLOOD_RSS_BOUND: u64 = 128 << 20;
/// Growth of the process RSS during one flood (the script's own bytes included: the largest
/// flood script is 3.9 MB).
const FLOOD_GROWTH_BOUND: u64 = 32 << 20;

#[test]
fn catalogue_passes() {
    let results = run_all(std::env::var("CONFORMANCE_FILTER").ok().as_deref());
    println!("{}", table(&results));
    assert!(results.len() >= 60 || std::env::var("CONFORMANCE_FILTER").is_ok());
    let failed: Vec<_> = results.iter().filter(|r| !r.pass).map(|r| r.name).collect();
    assert!(failed.is_empty(), "failing scenarios: {failed:?}");
    for r in results.iter().filter(|r| r.group == Group::Flood) {
        assert!(
            r.peak_rss < FLOOD_RSS_BOUND,
            "{}: peak RSS {} MB",
            r.name,
            r.peak_rss >> 20
        );
        assert!(
            r.rss_growth < FLOOD_GROWTH_BOUND,
            "{}: RSS grew {} MB",
            r.name,
            r.rss_growth >> 20
        );
    }
}

/// The C API's tests get each scenario's client config as JSON (`hostile_server`, the
/// settings that differ from the defaults): every one must read back into the same config,
/// or the C run would test something else than the Rust run.
#[test]
fn every_scenario_config_round_trips_through_json() {
    for s in h2o_e2e::catalogue::catalogue() {
        let cfg = h2o_e2e::conformance::scenario_config(&s);
        let json = cfg.to_json_changes().to_string();
        let back = h2o_core::Config::from_json_str(&json)
            .unwrap_or_else(|e| panic!("{}: {json} is rejected: {e}", s.name));
        assert_eq!(back, cfg, "{}: {json} does not round-trip", s.name);
    }
}
