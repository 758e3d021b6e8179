//! # h2o-core
//!
//! The Rust core of h2o, an HTTP/2 client library. The layers, bottom up:
//!
//! - [`frame`]: RFC 9113 frame codec (parse, validate, serialize; zero-copy payloads).
//! - [`hpack`]: RFC 7541 header compression (encoder, decoder, Huffman, dynamic table).
//!
//! Protocol logic never touches a socket or a clock: bytes and events in, bytes and
//! events out, so it can be tested and fuzzed in memory.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod frame;
pub mod hpack;
