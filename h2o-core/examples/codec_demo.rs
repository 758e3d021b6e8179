//! Placeholder demo until the codec lands.
fn main() {
    println!("h2o-core {}", env!("CARGO_PKG_VERSION"));
}
