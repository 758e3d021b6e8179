//! A request on its way to (or between) connections, and the recycled box that carries it.
#![allow(unsafe_code)] // The one exception to the crate's deny(unsafe_code): see `SubBox`.

use std::alloc::{self, Layout};
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::OriginKey;
use crate::client::sink::{EventSink, RequestCtl, ResponseEvent};
use crate::error::Error;
use crate::request::RequestHead;

/// Body of a submission as the connection task sees it.
pub(crate) enum SubmitBody {
    Empty,
    Full(bytes::Bytes),
    Stream(mpsc::Receiver<bytes::Bytes>),
}

/// A request on its way to (or between) connections. The sink is its last, unsized field,
/// so a request and its sink share one allocation (a [`SubBox`]).
pub(crate) struct Submission<S: ?Sized + EventSink = dyn EventSink> {
    pub origin: OriginKey,
    pub head: RequestHead,
    pub body: SubmitBody,
    pub ctl: Arc<RequestCtl>,
    /// Transparent retries used so far.
    pub attempts: u8,
    /// Deadlines, resolved against the client's defaults.
    pub timeouts: crate::client::Timeouts,
    /// When the caller submitted it: the latency histogram, and the zero of its deadlines
    /// (`timeouts`), so retries on another connection keep the original ones.
    pub start: std::time::Instant,
    pub sink: S,
}

/// Owns a [`Submission`] like `Box<Submission<dyn EventSink>>`, but its memory is
/// recycled: freed blocks wait in a small free list per layout for the next submission
/// with the same sink type.
///
/// Why: a submission is allocated by the thread that submits and freed by the runtime
/// thread when the request ends. When those differ (C poll mode, a caller's own threads),
/// glibc's malloc misses its thread caches on both sides and takes arena locks, ~300
/// instructions a request; the free list costs two uncontended lock pairs. It also takes
/// one allocation per request off the steady state.
pub(crate) struct SubBox(NonNull<Submission>);

// SAFETY: a SubBox owns its Submission exclusively, as a Box does, and a Submission is Send
// (`EventSink: Send`; every other field is Send).
unsafe impl Send for SubBox {}

impl SubBox {
    /// Moves `sub` into a recycled or new block.
    pub fn new<S: EventSink>(sub: Submission<S>) -> SubBox {
        let layout = Layout::new::<Submission<S>>();
        let block = FREE.take(layout).unwrap_or_else(|| {
            // SAFETY: `layout` has a non-zero size (a Submission has non-zero-sized fields).
            let p = unsafe { alloc::alloc(layout) };
            NonNull::new(p).unwrap_or_else(|| alloc::handle_alloc_error(layout))
        });
        let typed = block.cast::<Submission<S>>();
        // SAFETY: `block` was allocated with exactly `Layout::new::<Submission<S>>()` (size
        // and alignment), is not in use (fresh, or taken off the free list), and is written
        // once before it is read.
        unsafe { typed.as_ptr().write(sub) };
        let unsized_ptr: NonNull<Submission> = typed;
        SubBox(unsized_ptr)
    }

    /// Delivers a terminal error to the caller.
    ///
    /// A sink may resubmit from inside its error callback, and an immediate failure (client
    /// closed, circuit open) would call a sink again from inside that submit: unbounded
    /// recursion. So failures raised while one is being delivered on this thread are queued
    /// and delivered, in order, by the outermost call (a trampoline).
    pub fn fail(self, error: Error) {
        type Queue = std::collections::VecDeque<(SubBox, Error)>;
        thread_local! {
            static DELIVERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
            static PENDING: std::cell::RefCell<Queue> =
                const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
        }
        if DELIVERING.with(|d| d.replace(true)) {
            PENDING.with(|p| p.borrow_mut().push_back((self, error)));
            return;
        }
        let mut next = Some((self, error));
        while let Some((mut sub, error)) = next {
            sub.sink.on_event(ResponseEvent::Error(error));
            drop(sub);
            next = PENDING.with(|p| p.borrow_mut().pop_front());
        }
        DELIVERING.with(|d| d.set(false));
    }
}

impl Deref for SubBox {
    type Target = Submission;
    fn deref(&self) -> &Submission {
        // SAFETY: the pointer is to a live Submission this box owns (written in `new`,
        // dropped only in `drop`).
        unsafe { self.0.as_ref() }
    }
}

impl DerefMut for SubBox {
    fn deref_mut(&mut self) -> &mut Submission {
        // SAFETY: as in `deref`; `&mut self` makes the access exclusive.
        unsafe { self.0.as_mut() }
    }
}

impl Drop for SubBox {
    fn drop(&mut self) {
        let layout = Layout::for_value::<Submission>(self);
        // SAFETY: the value is live and owned by this box; it is dropped exactly once, here.
        unsafe { std::ptr::drop_in_place(self.0.as_ptr()) };
        if let Some(block) = FREE.put(layout, self.0.cast()) {
            // SAFETY: every block was allocated by `alloc::alloc` with the layout of the
            // submission it held (`new`), which is `layout`.
            unsafe { alloc::dealloc(block.as_ptr(), layout) };
        }
    }
}

/// Blocks kept per layout: enough for the requests of a busy client in flight.
const KEEP_PER_LAYOUT: usize = 1024;
/// Distinct layouts kept (one per sink type in use: the C sink, the Rust API's, closures).
const MAX_LAYOUTS: usize = 8;

/// Free blocks of submission memory, by layout.
struct FreeList(Mutex<Vec<(Layout, Vec<Block>)>>);

/// An unused block of memory, owned by the free list.
struct Block(NonNull<u8>);

// SAFETY: a free block is plain memory that no one references; whoever holds it owns it.
unsafe impl Send for Block {}

static FREE: FreeList = FreeList(Mutex::new(Vec::new()));

impl FreeList {
    fn take(&self, layout: Layout) -> Option<NonNull<u8>> {
        let mut lists = self.0.lock();
        let (_, blocks) = lists.iter_mut().find(|(l, _)| *l == layout)?;
        blocks.pop().map(|b| b.0)
    }

    /// Keeps `block`, or hands it back when the free list for `layout` is full.
    fn put(&self, layout: Layout, block: NonNull<u8>) -> Option<NonNull<u8>> {
        let mut lists = self.0.lock();
        let i = match lists.iter().position(|(l, _)| *l == layout) {
            Some(i) => i,
            None if lists.len() < MAX_LAYOUTS => {
                lists.push((layout, Vec::new()));
                lists.len() - 1
            }
            None => return Some(block),
        };
        let blocks = &mut lists[i].1;
        if blocks.len() >= KEEP_PER_LAYOUT {
            return Some(block);
        }
        blocks.push(Block(block));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::sink::Consumed;
    use crate::client::Request;
    use crate::request::Method;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops, so the test can see each value dropped exactly once.
    /// (`N` gives each test a layout of its own: tests run in parallel on one free list.)
    struct CountingSink<const N: usize>(Arc<AtomicUsize>, [u64; N]);

    impl<const N: usize> EventSink for CountingSink<N> {
        fn on_event(&mut self, _: ResponseEvent) -> Consumed {
            Consumed::Now
        }
    }

    impl<const N: usize> Drop for CountingSink<N> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn submission<const N: usize>(
        drops: &Arc<AtomicUsize>,
        tag: u64,
    ) -> Submission<CountingSink<N>> {
        let req = Request::new(Method::GET, "http://127.0.0.1/").unwrap();
        Submission {
            origin: OriginKey::of(&req.url, 0),
            head: req.head,
            body: SubmitBody::Empty,
            ctl: Arc::new(RequestCtl {
                id: crate::proto::RequestId(tag),
                route: Mutex::new(None),
                ended: Default::default(),
            }),
            attempts: 0,
            timeouts: Default::default(),
            start: std::time::Instant::now(),
            sink: CountingSink(drops.clone(), [tag; N]),
        }
    }

    #[test]
    fn blocks_are_reused_and_every_value_dropped_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let a = SubBox::new(submission::<29>(&drops, 1));
        let addr = a.0.as_ptr().cast::<u8>();
        drop(a);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        // Another thread's free and this thread's allocation meet in the free list.
        let b = std::thread::spawn({
            let drops = drops.clone();
            move || SubBox::new(submission::<29>(&drops, 2))
        })
        .join()
        .unwrap();
        assert_eq!(b.ctl.id.0, 2);
        let c = SubBox::new(submission::<29>(&drops, 3));
        assert_eq!(c.ctl.id.0, 3);
        // The freed block went to one of the two (LIFO; no other test uses this layout).
        let reused = [b.0.as_ptr().cast::<u8>(), c.0.as_ptr().cast::<u8>()].contains(&addr);
        assert!(reused, "the freed block was not reused");
        drop((b, c));
        assert_eq!(drops.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_full_free_list_gives_blocks_back_to_the_allocator() {
        let drops = Arc::new(AtomicUsize::new(0));
        let many: Vec<SubBox> = (0..KEEP_PER_LAYOUT as u64 + 10)
            .map(|i| SubBox::new(submission::<31>(&drops, i)))
            .collect();
        drop(many);
        assert_eq!(drops.load(Ordering::Relaxed), KEEP_PER_LAYOUT + 10);
        let layout = Layout::new::<Submission<CountingSink<31>>>();
        let kept = FREE
            .0
            .lock()
            .iter()
            .find(|(l, _)| *l == layout)
            .map_or(0, |(_, b)| b.len());
        assert!(kept <= KEEP_PER_LAYOUT, "kept {kept}");
    }
}
