//! HPACK decoder (RFC 7541 §3, §6).

use std::fmt;

use bytes::{Bytes, BytesMut};

use super::static_table::STATIC_TABLE;
use super::table::{entry_size, DynamicTable};
use super::{huffman, integer, Header};

/// Blocks larger than this have the strings they add to the dynamic table copied into their own
/// allocation, so that a small table entry never pins a large block in memory.
const ZERO_COPY_TABLE_BLOCK_LIMIT: usize = 8 * 1024;

/// Why a header block could not be decoded.
///
/// [`DecoderError::HeaderListTooLarge`] is a stream error (the dynamic table is still in sync);
/// every other variant is a connection error of type COMPRESSION_ERROR.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecoderError {
    /// The decoded header list is larger than the `max_list_size` given to
    /// [`Decoder::decode`] (name + value + 32 per field). The block was otherwise valid.
    HeaderListTooLarge,
    /// An index is 0 or beyond the static and dynamic tables.
    InvalidIndex(usize),
    /// An integer does not fit the decoder's limit (2^32 - 1) or has too many continuation bytes.
    IntegerOverflow,
    /// The block ends in the middle of a representation.
    Truncated,
    /// The Huffman data is not a valid code sequence.
    InvalidHuffman,
    /// A Huffman string contains the EOS symbol.
    HuffmanEos,
    /// Huffman padding is longer than 7 bits or not all ones.
    InvalidPadding,
    /// A dynamic table size update exceeds the SETTINGS_HEADER_TABLE_SIZE we advertise.
    TableSizeUpdateTooLarge(usize),
    /// A dynamic table size update follows a header field representation.
    TableSizeUpdateNotAtStart,
    /// We lowered our SETTINGS_HEADER_TABLE_SIZE below the table's size and the first block
    /// after that does not start with a size update within the new limit (RFC 7541 §4.2).
    TableSizeUpdateMissing,
    /// A string literal's declared length is larger than the whole block.
    StringTooLong,
}

impl fmt::Display for DecoderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecoderError::HeaderListTooLarge => f.write_str("header list larger than the limit"),
            DecoderError::InvalidIndex(i) => write!(f, "invalid header table index {i}"),
            DecoderError::IntegerOverflow => f.write_str("integer overflow"),
            DecoderError::Truncated => f.write_str("truncated header block"),
            DecoderError::InvalidHuffman => f.write_str("invalid Huffman code"),
            DecoderError::HuffmanEos => f.write_str("EOS symbol in a Huffman string"),
            DecoderError::InvalidPadding => f.write_str("invalid Huffman padding"),
            DecoderError::TableSizeUpdateTooLarge(s) => {
                write!(f, "dynamic table size update {s} above the limit")
            }
            DecoderError::TableSizeUpdateNotAtStart => {
                f.write_str("dynamic table size update after a header field")
            }
            DecoderError::TableSizeUpdateMissing => {
                f.write_str("required dynamic table size update missing")
            }
            DecoderError::StringTooLong => {
                f.write_str("string literal longer than the header block")
            }
        }
    }
}

impl std::error::Error for DecoderError {}

/// An HPACK decoder: one per connection, fed every header block in the order received.
///
/// ```
/// use bytes::Bytes;
/// use h2o_core::hpack::Decoder;
///
/// let mut decoder = Decoder::new(4096);
/// // RFC 7541 C.3.1: ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"
/// let block = Bytes::from_static(b"\x82\x86\x84\x41\x0fwww.example.com");
/// let mut fields = Vec::new();
/// let size = decoder.decode(&block, 16 * 1024, |h| fields.push(h)).unwrap();
/// assert_eq!(fields.len(), 4);
/// assert_eq!(fields[3].name, ":authority");
/// assert_eq!(fields[3].value, "www.example.com");
/// assert_eq!(size, 4 * 32 + 7 + 3 + 7 + 4 + 5 + 1 + 10 + 15);
/// ```
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// Our advertised SETTINGS_HEADER_TABLE_SIZE: limit for size updates.
    max_allowed: usize,
    /// Smallest limit we advertised since the last block when it forces the peer to send an update.
    required_update: Option<usize>,
    /// Output buffer for Huffman-decoded strings (split off per string).
    buf: BytesMut,
}

/// Reads one string literal at `pos`.
struct Str {
    start: usize,
    end: usize,
    huffman: bool,
}

impl Decoder {
    /// A decoder whose dynamic table may grow to `max_table_size`: the SETTINGS_HEADER_TABLE_SIZE
    /// we advertise (the limit for size updates from the peer). The table starts at that size.
    pub fn new(max_table_size: usize) -> Self {
        Decoder {
            table: DynamicTable::new(max_table_size),
            max_allowed: max_table_size,
            required_update: None,
            buf: BytesMut::new(),
        }
    }

    /// Applies a new SETTINGS_HEADER_TABLE_SIZE of ours (call when the peer acknowledged it).
    /// If it is below the table's current maximum, the peer's next block must start with a
    /// size update within it.
    pub fn set_max_table_size(&mut self, size: usize) {
        self.max_allowed = size;
        if size < self.table.max_size() {
            self.required_update = Some(self.required_update.map_or(size, |r| r.min(size)));
        }
    }

    /// The limit set with [`Decoder::new`] or [`Decoder::set_max_table_size`].
    pub fn max_table_size(&self) -> usize {
        self.max_allowed
    }

    /// The current size of the dynamic table (RFC 7541 §4.1 accounting).
    pub fn dynamic_table_size(&self) -> usize {
        self.table.size()
    }

    /// The number of entries in the dynamic table.
    pub fn dynamic_table_len(&self) -> usize {
        self.table.len()
    }

    /// Decodes one complete header block, calling `emit` per field in order.
    ///
    /// `max_list_size` is the RFC 9113 SETTINGS_MAX_HEADER_LIST_SIZE accounting (name + value +
    /// 32 per field). Once the list exceeds it the decoder keeps decoding, so the dynamic table
    /// stays in sync, but stops emitting and allocating, and returns
    /// `Err(DecoderError::HeaderListTooLarge)` at the end (a stream error). Every other error is
    /// a COMPRESSION_ERROR (a connection error; the decoder must not be used again). Returns the
    /// list size on success.
    ///
    /// Emitted fields share memory with `block` (raw literals), with the table (indexed fields)
    /// or with one per-block Huffman output buffer. Strings added to the dynamic table from
    /// blocks larger than 8 KiB are copied, so a small entry never pins a large block.
    pub fn decode(
        &mut self,
        block: &Bytes,
        max_list_size: usize,
        mut emit: impl FnMut(Header),
    ) -> Result<usize, DecoderError> {
        self.decode_vetted(block, max_list_size, |h, _| {
            emit(h);
            false
        })
    }

    /// [`decode`](Self::decode) for a caller that checks each field (e.g. HTTP's character
    /// rules): `emit(field, vetted)` returns whether the field passed, and that verdict is
    /// stored with a field added to the dynamic table; `vetted` is true when the field is an
    /// indexed reference to such an entry, so the caller may skip checks that depend on the
    /// field alone. Servers send most response fields as indexed references.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use h2o_core::hpack::Decoder;
    /// let mut dec = Decoder::new(4096);
    /// // `x: y` with incremental indexing, then the same field as an indexed reference (62).
    /// let block = Bytes::from_static(&[0x40, 1, b'x', 1, b'y', 0xbe]);
    /// let mut seen = Vec::new();
    /// dec.decode_vetted(&block, 1 << 16, |h, vetted| {
    ///     seen.push(vetted);
    ///     h.value.as_ref() == b"y" // the caller's check
    /// })
    /// .unwrap();
    /// assert_eq!(seen, [false, true]);
    /// ```
    pub fn decode_vetted(
        &mut self,
        block: &Bytes,
        max_list_size: usize,
        mut emit: impl FnMut(Header, bool) -> bool,
    ) -> Result<usize, DecoderError> {
        let data: &[u8] = block;
        let mut pos = 0usize;
        let mut list_size = 0usize;
        let mut over = false;
        let mut at_start = true;
        let copy_entries = data.len() > ZERO_COPY_TABLE_BLOCK_LIMIT;

        while let Some(&first) = data.get(pos) {
            if first & 0x80 != 0 {
                // §6.1 Indexed Header Field.
                self.check_start(&mut at_start)?;
                let idx = integer::decode(data, &mut pos, 7)?;
                let (name, value, vetted) = self.lookup(idx)?;
                list_size = list_size.saturating_add(entry_size(name.len(), value.len()));
                if !over && list_size > max_list_size {
                    over = true;
                }
                if !over {
                    emit(
                        Header {
                            name,
                            value,
                            never_index: false,
                        },
                        vetted,
                    );
                }
            } else if first & 0x40 != 0 {
                // §6.2.1 Literal Header Field with Incremental Indexing.
                self.check_start(&mut at_start)?;
                let name_idx = integer::decode(data, &mut pos, 6)?;
                let name = if name_idx == 0 {
                    Some(read_str(data, &mut pos)?)
                } else {
                    None
                };
                let value = read_str(data, &mut pos)?;
                if over {
                    // Keep the table in sync without emitting: materialize only what is stored.
                    let name_len = match &name {
                        Some(s) => str_len(data, s)?,
                        None => self.lookup_name_len(name_idx)?,
                    };
                    let size = entry_size(name_len, str_len(data, &value)?);
                    if self.table.fits(size) {
                        let n = self.name(block, name_idx, name.as_ref(), copy_entries)?;
                        let v = self.string(block, &value, copy_entries)?;
                        self.table.insert(n, v, false);
                    } else {
                        self.table.clear();
                    }
                } else {
                    let n = self.name(block, name_idx, name.as_ref(), copy_entries)?;
                    let v = self.string(block, &value, copy_entries)?;
                    list_size = list_size.saturating_add(entry_size(n.len(), v.len()));
                    let mut vetted = false;
                    if list_size > max_list_size {
                        over = true;
                    } else {
                        vetted = emit(
                            Header {
                                name: n.clone(),
                                value: v.clone(),
                                never_index: false,
                            },
                            false,
                        );
                    }
                    self.table.insert(n, v, vetted);
                }
            } else if first & 0x20 != 0 {
                // §6.3 Dynamic Table Size Update: only at the start of a block.
                if !at_start {
                    return Err(DecoderError::TableSizeUpdateNotAtStart);
                }
                let size = integer::decode(data, &mut pos, 5)?;
                if size > self.max_allowed {
                    return Err(DecoderError::TableSizeUpdateTooLarge(size));
                }
                if matches!(self.required_update, Some(r) if size <= r) {
                    self.required_update = None;
                }
                self.table.set_max_size(size);
            } else {
                // §6.2.2 without indexing (0000) / §6.2.3 never indexed (0001).
                self.check_start(&mut at_start)?;
                let never_index = first & 0x10 != 0;
                let name_idx = integer::decode(data, &mut pos, 4)?;
                let name = if name_idx == 0 {
                    Some(read_str(data, &mut pos)?)
                } else {
                    None
                };
                let value = read_str(data, &mut pos)?;
                if over {
                    if name.is_none() {
                        self.lookup_name_len(name_idx)?;
                    }
                    validate(data, name.as_ref())?;
                    validate(data, Some(&value))?;
                } else {
                    let n = self.name(block, name_idx, name.as_ref(), false)?;
                    let v = self.string(block, &value, false)?;
                    list_size = list_size.saturating_add(entry_size(n.len(), v.len()));
                    if list_size > max_list_size {
                        over = true;
                    } else {
                        emit(
                            Header {
                                name: n,
                                value: v,
                                never_index,
                            },
                            false,
                        );
                    }
                }
            }
        }
        if at_start {
            self.check_start(&mut at_start)?;
        }
        if over {
            Err(DecoderError::HeaderListTooLarge)
        } else {
            Ok(list_size)
        }
    }

    /// Called before the first field (or at the end of a block without fields).
    #[inline]
    fn check_start(&mut self, at_start: &mut bool) -> Result<(), DecoderError> {
        if *at_start {
            *at_start = false;
            if self.required_update.is_some() {
                return Err(DecoderError::TableSizeUpdateMissing);
            }
        }
        Ok(())
    }

    #[inline]
    fn lookup(&self, idx: usize) -> Result<(Bytes, Bytes, bool), DecoderError> {
        if idx == 0 {
            return Err(DecoderError::InvalidIndex(0));
        }
        if idx <= STATIC_TABLE.len() {
            let (n, v) = STATIC_TABLE[idx - 1];
            return Ok((Bytes::from_static(n), Bytes::from_static(v), false));
        }
        match self.table.get(idx - STATIC_TABLE.len() - 1) {
            Some(e) => Ok((e.name.clone(), e.value.clone(), e.vetted)),
            None => Err(DecoderError::InvalidIndex(idx)),
        }
    }

    #[inline]
    fn lookup_name_len(&self, idx: usize) -> Result<usize, DecoderError> {
        if idx == 0 {
            return Err(DecoderError::InvalidIndex(0));
        }
        if idx <= STATIC_TABLE.len() {
            return Ok(STATIC_TABLE[idx - 1].0.len());
        }
        match self.table.get(idx - STATIC_TABLE.len() - 1) {
            Some(e) => Ok(e.name.len()),
            None => Err(DecoderError::InvalidIndex(idx)),
        }
    }

    #[inline]
    fn name(
        &mut self,
        block: &Bytes,
        idx: usize,
        s: Option<&Str>,
        copy: bool,
    ) -> Result<Bytes, DecoderError> {
        match s {
            Some(s) => self.string(block, s, copy),
            None => self.lookup(idx).map(|(n, _, _)| n),
        }
    }

    #[inline]
    fn string(&mut self, block: &Bytes, s: &Str, copy: bool) -> Result<Bytes, DecoderError> {
        if s.huffman {
            if copy {
                let mut b = BytesMut::new();
                huffman::decode(&block[s.start..s.end], &mut b)?;
                return Ok(b.freeze());
            }
            // Room for this string and the rest of the block's (two output bytes per input
            // byte bound Huffman output), and at least a small arena, so consecutive blocks
            // share one allocation (a value keeps at most ARENA bytes alive).
            const ARENA: usize = 4096;
            let need = (s.end - s.start) * 2 + 2;
            if self.buf.capacity() - self.buf.len() < need {
                self.buf
                    .reserve(((block.len() - s.start) * 2 + 2).max(ARENA));
            }
            huffman::decode(&block[s.start..s.end], &mut self.buf)?;
            Ok(self.buf.split().freeze())
        } else if copy {
            Ok(Bytes::copy_from_slice(&block[s.start..s.end]))
        } else {
            Ok(block.slice(s.start..s.end))
        }
    }
}

/// Parses a string literal header (H bit + length) and skips its bytes.
#[inline]
fn read_str(data: &[u8], pos: &mut usize) -> Result<Str, DecoderError> {
    let first = *data.get(*pos).ok_or(DecoderError::Truncated)?;
    let len = integer::decode(data, pos, 7)?;
    if len > data.len() {
        return Err(DecoderError::StringTooLong);
    }
    let end = pos
        .checked_add(len)
        .filter(|&e| e <= data.len())
        .ok_or(DecoderError::Truncated)?;
    let s = Str {
        start: *pos,
        end,
        huffman: first & 0x80 != 0,
    };
    *pos = end;
    Ok(s)
}

/// Decoded length of a string (Huffman strings are measured and validated without output).
#[inline]
fn str_len(data: &[u8], s: &Str) -> Result<usize, DecoderError> {
    if s.huffman {
        huffman::decoded_len(&data[s.start..s.end])
    } else {
        Ok(s.end - s.start)
    }
}

/// Validates a string without producing it.
#[inline]
fn validate(data: &[u8], s: Option<&Str>) -> Result<(), DecoderError> {
    match s {
        Some(s) if s.huffman => huffman::validate(&data[s.start..s.end]),
        _ => Ok(()),
    }
}
