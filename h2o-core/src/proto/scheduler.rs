//! The DATA write scheduler: RFC 9218 urgency buckets. Within a bucket, a non-incremental
//! stream keeps the slot until its buffered data or window runs out (sequential delivery);
//! incremental streams take turns frame by frame (round robin). With RFC 7540 weights on,
//! streams in a bucket take turns of `weight / 16` frames (weighted round robin).

use std::collections::VecDeque;

use crate::frame::StreamId;
use crate::request::Priority;

#[derive(Default)]
pub(crate) struct Scheduler {
    buckets: [VecDeque<StreamId>; 8],
    len: usize,
}

impl Scheduler {
    /// Queues a stream that has data and window to send.
    pub fn push(&mut self, id: StreamId, prio: Priority) {
        self.buckets[prio.urgency.min(7) as usize].push_back(id);
        self.len += 1;
    }

    /// Puts a stream back after it sent a frame and can send more. `turn` counts the frames
    /// it sent in its current turn (weighted mode only).
    pub fn requeue_weighted(&mut self, id: StreamId, prio: Priority, turn: &mut u16) {
        let quantum = (prio.weight / 16).max(1);
        *turn += 1;
        let bucket = &mut self.buckets[prio.urgency.min(7) as usize];
        if *turn < quantum {
            bucket.push_front(id);
        } else {
            *turn = 0;
            bucket.push_back(id);
        }
        self.len += 1;
    }

    /// Puts a stream back after it sent a frame and can send more.
    pub fn requeue(&mut self, id: StreamId, prio: Priority) {
        let bucket = &mut self.buckets[prio.urgency.min(7) as usize];
        if prio.incremental {
            bucket.push_back(id);
        } else {
            bucket.push_front(id);
        }
        self.len += 1;
    }

    /// The next stream to send from: the most urgent bucket first.
    pub fn pop(&mut self) -> Option<StreamId> {
        if self.len == 0 {
            return None;
        }
        let id = self.buckets.iter_mut().find_map(|b| b.pop_front())?;
        self.len -= 1;
        Some(id)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_then_incremental_round_robin() {
        let mut s = Scheduler::default();
        let inc = Priority::new(3, true);
        s.push(StreamId::new(1), inc);
        s.push(StreamId::new(3), inc);
        s.push(StreamId::new(5), Priority::new(0, false));
        assert_eq!(s.pop(), Some(StreamId::new(5)));
        let a = s.pop().unwrap();
        s.requeue(a, inc);
        assert_eq!(s.pop(), Some(StreamId::new(3)));
        assert_eq!(s.pop(), Some(StreamId::new(1)));
        assert_eq!(s.pop(), None);
        assert!(s.is_empty());
    }

    #[test]
    fn weights_share_frames_proportionally() {
        let mut s = Scheduler::default();
        let heavy = Priority::default().with_weight(64);
        let light = Priority::default().with_weight(16);
        let (a, b) = (StreamId::new(1), StreamId::new(3));
        let (mut ta, mut tb) = (0u16, 0u16);
        s.push(a, heavy);
        s.push(b, light);
        let mut sent = (0, 0);
        for _ in 0..50 {
            let id = s.pop().unwrap();
            if id == a {
                sent.0 += 1;
                s.requeue_weighted(a, heavy, &mut ta);
            } else {
                sent.1 += 1;
                s.requeue_weighted(b, light, &mut tb);
            }
        }
        assert_eq!(sent, (40, 10));
    }

    #[test]
    fn non_incremental_keeps_its_turn() {
        let mut s = Scheduler::default();
        let seq = Priority::default();
        s.push(StreamId::new(1), seq);
        s.push(StreamId::new(3), seq);
        let a = s.pop().unwrap();
        s.requeue(a, seq);
        assert_eq!(s.pop(), Some(StreamId::new(1)));
    }
}
