//! h2 0.4.20's HPACK implementation (src/hpack), vendored unmodified except for: test modules
//! removed, the `frame::Error` conversion removed, and `:protocol` built through the public
//! `h2::ext::Protocol` API. h2 keeps this module private (even with its `unstable` feature), so
//! the benchmark compiles its source to compare against it in the same run.
//! Copyright (c) 2017 h2 authors, MIT license (see LICENSE in this folder).

mod decoder;
mod encoder;
pub(crate) mod header;
pub(crate) mod huffman;
mod table;

pub use self::decoder::{Decoder, DecoderError, NeedMore};
pub use self::encoder::Encoder;
pub use self::header::{BytesStr, Header};
