//! The connection's open streams, by stream id.
//!
//! A slab (a `Vec` of slots with a free list) plus a small id → slot index, instead of one
//! hash map holding the streams themselves: a hash map keeps at most 7/8 of its buckets
//! full and doubles, so just past a power-of-two boundary (1000 streams need 2048 buckets)
//! it holds twice the stream structs it needs. Here the big structs sit in a `Vec` that is
//! full up to its length, and only the 8-byte index entries pay the hash map's slack: about
//! 140 bytes less per in-flight stream at 1000 streams (issue 3's memory goal).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::IdHasher;
use crate::frame::StreamId;

/// Open streams by id. Iteration order is unspecified (slot order).
pub(super) struct StreamTable<V> {
    slots: Vec<Option<(StreamId, V)>>,
    /// Indices of empty slots in `slots`, reused before the `Vec` grows.
    free: Vec<u32>,
    index: HashMap<StreamId, u32, BuildHasherDefault<IdHasher>>,
}

impl<V> Default for StreamTable<V> {
    fn default() -> Self {
        StreamTable {
            slots: Vec::new(),
            free: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<V> StreamTable<V> {
    #[inline]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    #[inline]
    pub fn get(&self, sid: &StreamId) -> Option<&V> {
        let i = *self.index.get(sid)? as usize;
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    #[inline]
    pub fn get_mut(&mut self, sid: &StreamId) -> Option<&mut V> {
        let i = *self.index.get(sid)? as usize;
        self.slots[i].as_mut().map(|(_, v)| v)
    }

    /// Inserts the stream `sid`, which must not be in the table (stream ids are never
    /// reused).
    #[inline] // lets the caller build the entry in place (entries are a few hundred bytes)
    pub fn insert(&mut self, sid: StreamId, v: V) {
        debug_assert!(
            !self.index.contains_key(&sid),
            "stream {sid:?} inserted twice"
        );
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some((sid, v));
                i
            }
            None => {
                // Stream ids are 31-bit and a connection holds far fewer streams than that.
                let i = u32::try_from(self.slots.len()).expect("fewer than 2^32 open streams");
                self.slots.push(Some((sid, v)));
                i
            }
        };
        self.index.insert(sid, i);
    }

    pub fn remove(&mut self, sid: &StreamId) -> Option<V> {
        let i = self.index.remove(sid)?;
        let (_, v) = self.slots[i as usize].take()?;
        if i as usize + 1 == self.slots.len() {
            self.slots.pop();
        } else {
            self.free.push(i);
        }
        Some(v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&StreamId, &V)> {
        self.slots.iter().flatten().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&StreamId, &mut V)> {
        self.slots.iter_mut().flatten().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &StreamId> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.iter_mut().map(|(_, v)| v)
    }

    /// Removes every stream, returning them (in slot order).
    pub fn drain(&mut self) -> Vec<(StreamId, V)> {
        self.index.clear();
        self.free.clear();
        self.slots.drain(..).flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(n: u32) -> StreamId {
        StreamId::new(n)
    }

    #[test]
    fn insert_get_remove_reuses_slots() {
        let mut t = StreamTable::default();
        for n in (1..200).step_by(2) {
            t.insert(sid(n), n * 10);
        }
        assert_eq!(t.len(), 100);
        assert_eq!(t.get(&sid(7)), Some(&70));
        assert_eq!(t.remove(&sid(7)), Some(70));
        assert_eq!(t.get(&sid(7)), None);
        assert_eq!(t.remove(&sid(7)), None);
        let slots = t.slots.len();
        t.insert(sid(201), 2010);
        assert_eq!(t.slots.len(), slots, "the freed slot is reused");
        assert_eq!(t.get(&sid(201)), Some(&2010));
        *t.get_mut(&sid(201)).unwrap() += 1;
        assert_eq!(t.get(&sid(201)), Some(&2011));
        let mut keys: Vec<u32> = t.keys().map(|k| k.value()).collect();
        keys.sort_unstable();
        assert_eq!(keys.len(), 100);
        assert!(!keys.contains(&7) && keys.contains(&201));
        assert_eq!(t.values().count(), 100);
        for v in t.values_mut() {
            *v = 1;
        }
        assert!(t.iter().all(|(_, &v)| v == 1));
        let all = t.drain();
        assert_eq!(all.len(), 100);
        assert!(t.is_empty() && t.get(&sid(201)).is_none());
    }

    #[test]
    fn removing_the_last_slot_shrinks_instead_of_freeing() {
        let mut t = StreamTable::default();
        t.insert(sid(1), ());
        t.insert(sid(3), ());
        t.remove(&sid(3));
        assert_eq!((t.slots.len(), t.free.len()), (1, 0));
        t.remove(&sid(1));
        assert_eq!((t.slots.len(), t.free.len()), (0, 0));
    }
}
