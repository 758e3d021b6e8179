//! # h2o-core
//!
//! The Rust core of h2o, an HTTP/2 client library. The layers, bottom up:
//!
//! - [`frame`]: RFC 9113 frame codec (parse, validate, serialize; zero-copy payloads).
//! - [`hpack`]: RFC 7541 header compression (encoder, decoder, Huffman, dynamic table).
//! - [`proto`]: the sans-IO connection state machine (streams, flow control, scheduler).
//! - `transport`: the tokio I/O driver, one task per connection on the library's threads.
//! - `pool`: per-origin connection routing, retry of unprocessed requests.
//! - [`client`]: the public [`Client`], its async API and the event-sink layer front ends use.
//!
//! Protocol logic never touches a socket or a clock: bytes and events in, bytes and
//! events out, so it can be tested and fuzzed in memory.
//!
//! No `unsafe` code, with one exception: `pool/submission.rs`, a free list that recycles
//! the memory of submitted requests (it must drop and reuse `dyn` values in place). The
//! protocol layers that parse untrusted bytes (`frame`, `hpack`, `proto`) forbid it.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod client;
pub mod error;
pub mod frame;
pub mod headers;
pub mod hpack;
pub mod log;
pub(crate) mod pool;
pub mod proto;
pub mod request;
pub mod trace;
pub(crate) mod transport;

pub use client::{Client, Config, Request, Response};
pub use error::{Error, ErrorKind, Origin, Processed, Result, Scope};
pub use headers::Headers;
pub use request::{Host, Method, Priority, RequestHead, Scheme, Url};
