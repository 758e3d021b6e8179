//! HPACK encoder (RFC 7541 §6) with a compression-oriented indexing policy.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use bytes::{BufMut, BytesMut};

use super::static_table::{self, STATIC_TABLE};
use super::table::entry_size;
use super::{huffman, integer};

/// Default dynamic table size (RFC 7541 / RFC 9113 SETTINGS_HEADER_TABLE_SIZE default).
const DEFAULT_TABLE_SIZE: usize = 4096;
/// We never use a larger table than this, whatever the peer allows (memory bound).
const MAX_ENCODER_TABLE_SIZE: usize = 64 * 1024;

/// Huffman choice for string literals (test knob).
#[doc(hidden)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HuffmanMode {
    /// Huffman only when strictly shorter (the default).
    Auto,
    /// Always Huffman.
    Always,
    /// Never Huffman.
    Never,
}

/// Representation choice for fields without a full table match (test knob).
#[doc(hidden)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IndexMode {
    /// The encoder's policy (the default).
    Auto,
    /// Literal with incremental indexing for every field.
    Always,
    /// Literal without indexing for every field.
    Never,
    /// Never-indexed literal for every field.
    NeverIndexed,
}

/// One dynamic table entry: name and value in one allocation plus their hashes.
#[derive(Debug)]
struct Entry {
    data: Box<[u8]>,
    name_len: usize,
    name_hash: u64,
    field_hash: u64,
}

impl Entry {
    #[inline]
    fn name(&self) -> &[u8] {
        &self.data[..self.name_len]
    }
    #[inline]
    fn value(&self) -> &[u8] {
        &self.data[self.name_len..]
    }
    #[inline]
    fn size(&self) -> usize {
        self.data.len() + 32
    }
}

/// Identity hasher for keys that already are well-mixed 64-bit hashes.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type IdMap = HashMap<u64, u64, BuildHasherDefault<IdHasher>>;

const K: u64 = 0x517c_c1b7_2722_0a95;

/// Fast non-cryptographic hash of a byte string (collisions only cost compression: every hit is
/// verified against the stored entry).
#[inline]
fn hash_bytes(mut h: u64, s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    h = (h.rotate_left(5) ^ s.len() as u64).wrapping_mul(K);
    // Final avalanche so both low and high bits are usable by the hash map.
    h ^= h >> 31;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 29)
}

/// An HPACK encoder: one per connection; header blocks must be sent in the order encoded.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use h2o_core::hpack::{Decoder, Encoder};
///
/// let mut encoder = Encoder::new();
/// let mut block = BytesMut::new();
/// let headers: [(&[u8], &[u8]); 4] = [
///     (b":method", b"GET"),
///     (b":scheme", b"https"),
///     (b":path", b"/"),
///     (b":authority", b"example.com"),
/// ];
/// encoder.encode(headers, &mut block);
/// assert_eq!(&block[..3], &[0x82, 0x87, 0x84]); // static table hits
///
/// // The same request again is four one-byte indexed fields.
/// let first_len = block.len();
/// encoder.encode(headers, &mut block);
/// assert_eq!(block.len() - first_len, 4);
///
/// let mut decoder = Decoder::new(4096);
/// let mut fields = Vec::new();
/// decoder.decode(&Bytes::from(block.split_to(first_len).freeze()), 65536, |h| fields.push(h)).unwrap();
/// assert_eq!(fields[3].value, "example.com");
/// ```
#[derive(Debug)]
pub struct Encoder {
    /// Newest first.
    entries: VecDeque<Entry>,
    size: usize,
    max_size: usize,
    /// Number of entries ever inserted; entry at position `i` has id `inserted - 1 - i`.
    inserted: u64,
    by_field: IdMap,
    by_name: IdMap,
    /// Pending size updates: (smallest since the last block, final).
    pending: Option<(usize, usize)>,
    huffman: HuffmanMode,
    indexing: IndexMode,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

/// How a field is written when it is not a full table match.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Literal {
    Incremental,
    WithoutIndexing,
    NeverIndexed,
}

impl Encoder {
    /// An encoder with the default 4096-byte dynamic table.
    pub fn new() -> Self {
        Encoder {
            entries: VecDeque::new(),
            size: 0,
            max_size: DEFAULT_TABLE_SIZE,
            inserted: 0,
            by_field: IdMap::default(),
            by_name: IdMap::default(),
            pending: None,
            huffman: HuffmanMode::Auto,
            indexing: IndexMode::Auto,
        }
    }

    /// Test knob: an encoder whose table starts at `size` without signaling it (both sides
    /// assumed to start there, as in RFC 7541 Appendix C.5/C.6).
    #[doc(hidden)]
    pub fn with_initial_table_size(size: usize) -> Self {
        Encoder {
            max_size: size,
            ..Self::new()
        }
    }

    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE. The table used is that size capped at
    /// 64 KiB; a dynamic table size update is emitted at the start of the next block (preceded
    /// by the smallest size seen since the last block, if smaller, per RFC 7541 §4.2).
    pub fn set_max_table_size(&mut self, size: usize) {
        let size = size.min(MAX_ENCODER_TABLE_SIZE);
        match &mut self.pending {
            Some((min, last)) => {
                *min = (*min).min(size);
                *last = size;
            }
            None if size != self.max_size => self.pending = Some((size, size)),
            None => {}
        }
    }

    /// The current size of the dynamic table (RFC 7541 §4.1 accounting).
    pub fn dynamic_table_size(&self) -> usize {
        self.size
    }

    /// The number of entries in the dynamic table.
    pub fn dynamic_table_len(&self) -> usize {
        self.entries.len()
    }

    /// Test knob: Huffman policy for string literals.
    #[doc(hidden)]
    pub fn set_huffman_mode(&mut self, mode: HuffmanMode) {
        self.huffman = mode;
    }

    /// Test knob: representation for fields without a full table match.
    #[doc(hidden)]
    pub fn set_index_mode(&mut self, mode: IndexMode) {
        self.indexing = mode;
    }

    /// Encodes one header block into `dst` (appended).
    ///
    /// Policy: full matches in the static or dynamic table are indexed; other fields are
    /// literals with incremental indexing when they are worth keeping (repeatable, small enough
    /// not to flush the table), without indexing otherwise, and never-indexed for sensitive
    /// fields (authorization, proxy-authorization, set-cookie, short or secret-looking cookies).
    /// String literals use Huffman coding only when it is shorter. Names are expected in
    /// lowercase (HTTP/2 requires it); they are encoded as given.
    pub fn encode<'a, I: IntoIterator<Item = (&'a [u8], &'a [u8])>>(
        &mut self,
        headers: I,
        dst: &mut BytesMut,
    ) {
        self.flush_size_update(dst);
        for (name, value) in headers {
            self.encode_field(name, value, dst);
        }
    }

    fn flush_size_update(&mut self, dst: &mut BytesMut) {
        if let Some((min, last)) = self.pending.take() {
            if min < last {
                integer::encode(min, 5, 0x20, dst);
                self.set_size(min);
            }
            integer::encode(last, 5, 0x20, dst);
            self.set_size(last);
        }
    }

    fn set_size(&mut self, size: usize) {
        self.max_size = size;
        self.evict_to(size);
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            let Some(e) = self.entries.pop_back() else {
                self.size = 0;
                break;
            };
            self.size -= e.size();
            // The evicted entry is the oldest: id = inserted - 1 - len (after pop).
            let id = self.inserted - 1 - self.entries.len() as u64;
            if self.by_field.get(&e.field_hash) == Some(&id) {
                self.by_field.remove(&e.field_hash);
            }
            if self.by_name.get(&e.name_hash) == Some(&id) {
                self.by_name.remove(&e.name_hash);
            }
        }
    }

    /// Wire index (62..) of the dynamic entry with this id, if still present.
    #[inline]
    fn entry_by_id(&self, id: u64) -> Option<(usize, &Entry)> {
        let pos = usize::try_from(self.inserted - 1 - id).ok()?;
        self.entries
            .get(pos)
            .map(|e| (pos + STATIC_TABLE.len() + 1, e))
    }

    #[inline]
    fn encode_field(&mut self, name: &[u8], value: &[u8], dst: &mut BytesMut) {
        // Static table.
        let static_name = static_table::name_index(name);
        if let Some(first) = static_name {
            for i in first..first + static_table::name_run(first) {
                if STATIC_TABLE[i - 1].1 == value {
                    integer::encode(i, 7, 0x80, dst);
                    return;
                }
            }
        }
        // Dynamic table.
        // Static names get a constant seed instead of a hash of the name (the same name always
        // gets the same seed, so lookups stay consistent).
        let name_hash = match static_name {
            Some(i) => (i as u64).wrapping_mul(K),
            None => hash_bytes(0, name),
        };
        let field_hash = hash_bytes(name_hash, value);
        if !self.entries.is_empty() {
            if let Some(&id) = self.by_field.get(&field_hash) {
                if let Some((idx, e)) = self.entry_by_id(id) {
                    if e.name() == name && e.value() == value {
                        integer::encode(idx, 7, 0x80, dst);
                        return;
                    }
                }
            }
        }
        let name_idx = match static_name {
            Some(i) => i,
            None => self
                .by_name
                .get(&name_hash)
                .and_then(|&id| self.entry_by_id(id))
                .filter(|(_, e)| e.name() == name)
                .map_or(0, |(idx, _)| idx),
        };
        let literal = match self.indexing {
            IndexMode::Auto => self.choose(name, value),
            IndexMode::Always => Literal::Incremental,
            IndexMode::Never => Literal::WithoutIndexing,
            IndexMode::NeverIndexed => Literal::NeverIndexed,
        };
        let (flags, prefix) = match literal {
            Literal::Incremental => (0x40, 6),
            Literal::WithoutIndexing => (0x00, 4),
            Literal::NeverIndexed => (0x10, 4),
        };
        integer::encode(name_idx, prefix, flags, dst);
        if name_idx == 0 {
            self.put_string(name, dst);
        }
        self.put_string(value, dst);
        if literal == Literal::Incremental {
            self.insert(name, value, name_hash, field_hash);
        }
    }

    /// The literal representation for a field without a full match.
    #[inline]
    fn choose(&self, name: &[u8], value: &[u8]) -> Literal {
        if is_sensitive(name, value) {
            return Literal::NeverIndexed;
        }
        let size = entry_size(name.len(), value.len());
        // A field that would evict most of the table costs more than it can save.
        if size > self.max_size / 4 * 3 {
            return Literal::WithoutIndexing;
        }
        if unique_per_message(name, value) {
            return Literal::WithoutIndexing;
        }
        Literal::Incremental
    }

    fn insert(&mut self, name: &[u8], value: &[u8], name_hash: u64, field_hash: u64) {
        let size = entry_size(name.len(), value.len());
        if size > self.max_size {
            self.evict_to(0);
            return;
        }
        self.evict_to(self.max_size - size);
        let mut data = Vec::with_capacity(name.len() + value.len());
        data.extend_from_slice(name);
        data.extend_from_slice(value);
        let id = self.inserted;
        self.inserted += 1;
        self.entries.push_front(Entry {
            data: data.into_boxed_slice(),
            name_len: name.len(),
            name_hash,
            field_hash,
        });
        self.size += size;
        self.by_field.insert(field_hash, id);
        self.by_name.insert(name_hash, id);
    }

    #[inline]
    fn put_string(&self, s: &[u8], dst: &mut BytesMut) {
        if self.huffman == HuffmanMode::Auto && s.len() < 127 {
            // Single pass: Huffman-encode after a one-byte length placeholder (a Huffman string
            // shorter than `s` also has a one-byte length), then keep whichever is shorter.
            let start = dst.len();
            dst.put_u8(0);
            huffman::encode(s, dst);
            let huff_len = dst.len() - start - 1;
            if huff_len < s.len() {
                dst[start] = 0x80 | huff_len as u8;
            } else {
                dst.truncate(start);
                dst.put_u8(s.len() as u8);
                dst.put_slice(s);
            }
            return;
        }
        let huff_len = match self.huffman {
            HuffmanMode::Never => usize::MAX,
            HuffmanMode::Always => huffman::encoded_len(s),
            HuffmanMode::Auto => {
                let l = huffman::encoded_len(s);
                if l < s.len() {
                    l
                } else {
                    usize::MAX
                }
            }
        };
        if huff_len != usize::MAX {
            integer::encode(huff_len, 7, 0x80, dst);
            dst.reserve(huff_len);
            huffman::encode(s, dst);
        } else {
            integer::encode(s.len(), 7, 0x00, dst);
            dst.put_slice(s);
        }
    }
}

/// Fields whose values are usually unique per request/response: indexing them would only push
/// repeatable fields out of the table.
#[inline]
fn unique_per_message(name: &[u8], value: &[u8]) -> bool {
    match name {
        // "0" is common and repeats; other lengths and ages rarely do.
        b"content-length" | b"age" => value != b"0",
        // Short paths without a query ("/", "/favicon.ico", API endpoints) repeat; long ones and
        // query strings mostly do not.
        b":path" => value.len() > 20 || value.contains(&b'?'),
        _ => false,
    }
}

/// Fields that must not enter a compression context (RFC 7541 §7.1.3).
#[inline]
pub(crate) fn is_sensitive(name: &[u8], value: &[u8]) -> bool {
    match name {
        b"authorization" | b"proxy-authorization" | b"set-cookie" => true,
        b"cookie" => value.len() < 20 || secret_looking_cookie(value),
        _ => false,
    }
}

/// A cookie crumb whose name suggests a credential and whose value is short enough to guess.
fn secret_looking_cookie(value: &[u8]) -> bool {
    const WORDS: [&[u8]; 4] = [b"pass", b"pwd", b"secret", b"pin"];
    value.split(|&b| b == b';').any(|crumb| {
        let crumb = crumb.trim_ascii();
        let (n, v) = match crumb.iter().position(|&b| b == b'=') {
            Some(p) => (&crumb[..p], &crumb[p + 1..]),
            None => return false,
        };
        v.len() < 16
            && WORDS.iter().any(|w| {
                n.len() >= w.len() && n.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w))
            })
    })
}
