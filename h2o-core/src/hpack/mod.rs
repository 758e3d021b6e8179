//! RFC 7541 HPACK header compression.
//!
//! - [`Decoder`]: decodes header blocks (static + dynamic table, Huffman, size updates) with
//!   header-list size limiting that keeps the dynamic table in sync (HPACK-bomb safe) and
//!   rejects every malformed input with a [`DecoderError`].
//! - [`Encoder`]: encodes header lists with incremental indexing for repeatable fields,
//!   never-indexed literals for sensitive ones and Huffman coding only where it is shorter.
//!
//! Decoded fields are zero-copy where possible: static-table names and values are
//! `Bytes::from_static`, raw literals are slices of the block, dynamic-table hits are `Bytes`
//! clones.
//!
//! The static table and the Huffman tables are generated from the RFC text by
//! `gen_tables.py` (in this folder).
#![forbid(unsafe_code)]

mod decoder;
mod encoder;
mod huffman;
mod integer;
mod static_table;
mod table;

use bytes::Bytes;

pub use decoder::{Decoder, DecoderError};
pub use encoder::Encoder;
#[doc(hidden)]
pub use encoder::{HuffmanMode, IndexMode};

/// A decoded header field.
///
/// Zero-copy where possible (static-table names are `Bytes::from_static`; raw literals slice the
/// block). `never_index` is set for fields received as never-indexed literals (RFC 7541 §6.2.3):
/// an intermediary must re-encode them the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The field name (lowercase on a conforming HTTP/2 connection; not validated here).
    pub name: Bytes,
    /// The field value (not validated here).
    pub value: Bytes,
    /// Received as a never-indexed literal.
    pub never_index: bool,
}

/// Whether the encoder sends this field as a never-indexed literal (RFC 7541 §7.1.3): the
/// frame trace redacts such values.
pub(crate) fn encoder_never_indexes(name: &[u8], value: &[u8]) -> bool {
    encoder::is_sensitive(name, value)
}
