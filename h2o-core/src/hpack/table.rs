//! The decoder's dynamic table (RFC 7541 §2.3.2, §4).

use std::collections::VecDeque;

use bytes::Bytes;

/// RFC 7541 §4.1: the size of an entry is name length + value length + 32.
#[inline]
pub(crate) fn entry_size(name_len: usize, value_len: usize) -> usize {
    name_len.saturating_add(value_len).saturating_add(32)
}

/// A dynamic table entry. `vetted`: the caller's per-field checks passed when it was added
/// (see `Decoder::decode_vetted`), so an indexed reference need not repeat them.
#[derive(Debug)]
pub(crate) struct Entry {
    pub name: Bytes,
    pub value: Bytes,
    pub vetted: bool,
}

/// A FIFO of header fields, newest first, with RFC size accounting and eviction.
#[derive(Debug)]
pub(crate) struct DynamicTable {
    entries: VecDeque<Entry>,
    size: usize,
    max_size: usize,
}

impl DynamicTable {
    pub(crate) fn new(max_size: usize) -> Self {
        DynamicTable {
            entries: VecDeque::new(),
            size: 0,
            max_size,
        }
    }

    /// Entry `i` counted from the newest (0-based; wire index minus 62).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn max_size(&self) -> usize {
        self.max_size
    }

    /// Changes the maximum size, evicting as needed (RFC 7541 §4.3).
    pub(crate) fn set_max_size(&mut self, max_size: usize) {
        self.max_size = max_size;
        self.evict_to(max_size);
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            match self.entries.pop_back() {
                Some(e) => self.size -= entry_size(e.name.len(), e.value.len()),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }

    /// Whether an entry of this size would fit at all (otherwise adding it empties the table).
    #[inline]
    pub(crate) fn fits(&self, size: usize) -> bool {
        size <= self.max_size
    }

    /// Adds an entry (RFC 7541 §4.4): evicts until it fits; an entry larger than the maximum
    /// size empties the table and is not added.
    pub(crate) fn insert(&mut self, name: Bytes, value: Bytes, vetted: bool) {
        let size = entry_size(name.len(), value.len());
        if size > self.max_size {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.max_size - size);
        self.size += size;
        self.entries.push_front(Entry {
            name,
            value,
            vetted,
        });
    }

    /// Empties the table without changing its maximum size (for an entry too large to add).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.size = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_and_accounting() {
        let mut t = DynamicTable::new(100);
        t.insert(Bytes::from_static(b"a"), Bytes::from_static(b"1"), false); // 34
        t.insert(Bytes::from_static(b"b"), Bytes::from_static(b"2"), false); // 68
        assert_eq!(t.size(), 68);
        t.insert(Bytes::from_static(b"c"), Bytes::from_static(b"3"), false); // evicts a
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(0).unwrap().name, "c");
        assert_eq!(t.get(1).unwrap().name, "b");
        t.set_max_size(40);
        assert_eq!(t.len(), 1);
        t.insert(Bytes::from(vec![b'x'; 10]), Bytes::new(), false); // 42 > 40: empties
        assert_eq!(t.len(), 0);
        assert_eq!(t.size(), 0);
        assert!(t.fits(40));
        t.set_max_size(0);
        assert_eq!(t.max_size(), 0);
        t.clear();
    }
}
