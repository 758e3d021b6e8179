//! In-flight requests by id, for `h2o_client_cancel` and `h2o_client_resume`.
//!
//! Ids are the core's sequential request ids, so a table indexed by an id's low bits puts
//! the requests in flight in distinct slots, and an insert or remove is one index and one
//! compare (a general hash map costs several times that, on every request). An id whose
//! slot is taken (the older request stayed in flight while a table's worth of newer ones
//! went by) goes to a small map beside it. The table doubles when half full.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use h2o_core::proto::IdHasher;

const FIRST_SLOTS: usize = 256;

pub(crate) struct Registry<T> {
    /// Power-of-two length (or empty until the first insert).
    slots: Vec<Option<(u64, T)>>,
    collided: HashMap<u64, T, BuildHasherDefault<IdHasher>>,
    len: usize,
}

impl<T> Registry<T> {
    pub(crate) fn new() -> Registry<T> {
        Registry {
            slots: Vec::new(),
            collided: HashMap::default(),
            len: 0,
        }
    }

    fn slot(&self, id: u64) -> usize {
        id as usize & (self.slots.len() - 1)
    }

    /// Adds `id` (not already present: ids are unique).
    pub(crate) fn insert(&mut self, id: u64, value: T) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.len += 1;
        self.place(id, value);
    }

    /// Puts `id` in its slot, or beside the table when an older id holds the slot.
    fn place(&mut self, id: u64, value: T) {
        let i = self.slot(id);
        if self.slots[i].is_none() {
            self.slots[i] = Some((id, value));
        } else {
            self.collided.insert(id, value);
        }
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        if self.slots.is_empty() {
            return None;
        }
        match &self.slots[self.slot(id)] {
            Some((k, v)) if *k == id => Some(v),
            _ => self.collided.get(&id),
        }
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        if self.slots.is_empty() {
            return None;
        }
        let i = self.slot(id);
        let found = match &self.slots[i] {
            Some((k, _)) if *k == id => self.slots[i].take().map(|(_, v)| v),
            _ => self.collided.remove(&id),
        };
        if found.is_some() {
            self.len -= 1;
        }
        found
    }

    /// Removes and returns every entry.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut out: Vec<T> = self
            .slots
            .iter_mut()
            .filter_map(|s| s.take())
            .map(|(_, v)| v)
            .collect();
        out.extend(self.collided.drain().map(|(_, v)| v));
        self.len = 0;
        out
    }

    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(FIRST_SLOTS);
        let old = std::mem::replace(&mut self.slots, (0..n).map(|_| None).collect());
        let collided = std::mem::take(&mut self.collided);
        for (id, v) in old.into_iter().flatten().chain(collided) {
            self.place(id, v);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random inserts (sequential ids, like the core's) and removes, some requests kept
    /// for a long time, checked against a map after every step.
    #[test]
    fn matches_a_map() {
        let mut reg = Registry::new();
        let mut model = std::collections::BTreeMap::new();
        let mut next = 1u64;
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut rand = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..200_000 {
            let r = rand();
            if r % 100 < 52 || model.is_empty() {
                reg.insert(next, next * 10);
                model.insert(next, next * 10);
                next += 1;
            } else {
                // Mostly the oldest requests end first; some ids are asked for twice.
                let id = if r % 7 == 0 {
                    next - 1 - (rand() % next.min(5000))
                } else {
                    *model.keys().next().unwrap()
                };
                assert_eq!(reg.remove(id), model.remove(&id), "remove {id}");
                assert_eq!(reg.remove(id), None);
            }
            let probe = rand() % next;
            assert_eq!(reg.get(probe), model.get(&probe), "get {probe}");
            assert_eq!(reg.len(), model.len());
        }
        let mut left = reg.drain();
        let mut want: Vec<u64> = model.into_values().collect();
        left.sort_unstable();
        want.sort_unstable();
        assert_eq!(left, want);
        assert_eq!(reg.get(1), None);
    }

    #[test]
    fn a_long_lived_request_shares_its_slot() {
        let mut reg = Registry::new();
        reg.insert(1, "long");
        for id in 2..10_000u64 {
            reg.insert(id, "short");
            assert_eq!(reg.remove(id), Some("short"));
        }
        assert_eq!(reg.slots.len(), FIRST_SLOTS, "no growth for one old entry");
        assert_eq!(reg.get(1), Some(&"long"));
        assert_eq!(reg.remove(1), Some("long"));
        assert_eq!(reg.len(), 0);
    }

    #[test]
    fn empty_registry_finds_nothing() {
        let mut reg: Registry<u8> = Registry::new();
        assert_eq!(reg.get(0), None);
        assert_eq!(reg.remove(7), None);
        assert!(reg.drain().is_empty());
    }
}
