//! `make conformance`: runs the hostile-server catalogue against the real client over
//! loopback and prints the table. Optional argument: a name substring or a group name.
//! Exits 1 if any scenario fails.

fn main() {
    let filter = std::env::args().nth(1);
    let results = h2o_e2e::conformance::run_all(filter.as_deref());
    print!("{}", h2o_e2e::conformance::table(&results));
    if results.iter().any(|r| !r.pass) {
        std::process::exit(1);
    }
}
