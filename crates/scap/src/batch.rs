//! Events of a [`Reader`](super::Reader) in batches, so that reading and decoding can run
//! on one thread and the consumer (state, rules) on another: a batch either owns the
//! reader's window with the events decoded in it ([`Reader::next_batch`](super::Reader::next_batch),
//! no copy), or copies of events ([`EventBatch::push`]).

use falcoc_schema::events::EventInfo;

use super::event::{EventRef, Header};

/// Where one event of a batch lives in the batch's buffers.
#[derive(Debug, Clone, Copy)]
struct Slot {
    header: Header,
    info: &'static EventInfo,
    values: (u32, u32),
    bounds: (u32, u32),
}

/// A batch of events that owns their bytes. Clearing keeps the buffers, so a batch reused
/// for the next events allocates nothing once it has grown.
#[derive(Debug, Default)]
pub struct EventBatch {
    slots: Vec<Slot>,
    /// The bytes the events' values lie in (a reader's window, or copied values).
    values: Vec<u8>,
    pub(crate) bounds: Vec<u32>,
}

impl EventBatch {
    /// An empty batch.
    pub fn new() -> EventBatch {
        EventBatch::default()
    }

    /// Removes every event (keeps the capacity).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.values.clear();
        self.bounds.clear();
    }

    /// Adds an event decoded in the window the batch is about to take over: its values
    /// are `window[values.0..values.1]`, its boundaries `self.bounds[first..]`. `false`
    /// (nothing added) when an offset passes 4 GiB.
    #[inline]
    pub(crate) fn push_slot(
        &mut self,
        header: Header,
        info: &'static EventInfo,
        values: (usize, usize),
        first: usize,
    ) -> bool {
        let (Ok(v0), Ok(v1), Ok(b0), Ok(b1)) = (
            u32::try_from(values.0),
            u32::try_from(values.1),
            u32::try_from(first),
            u32::try_from(self.bounds.len()),
        ) else {
            return false;
        };
        self.slots.push(Slot {
            header,
            info,
            values: (v0, v1),
            bounds: (b0, b1),
        });
        true
    }

    /// Takes the byte buffer out (for the reader to reuse).
    pub(crate) fn take_data(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.values)
    }

    /// Gives the batch the window its events were decoded in.
    pub(crate) fn set_data(&mut self, data: Vec<u8>) {
        self.values = data;
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there is no event.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes of the buffer the events' values lie in (copied values, or a whole reader
    /// window).
    pub fn value_bytes(&self) -> usize {
        self.values.len()
    }

    /// Appends a copy of `e`. Returns `false` (and appends nothing) when the batch would
    /// pass 4 GiB of values or boundaries.
    pub fn push(&mut self, e: &EventRef<'_>) -> bool {
        let (Ok(v0), Ok(b0)) = (
            u32::try_from(self.values.len()),
            u32::try_from(self.bounds.len()),
        ) else {
            return false;
        };
        let (Some(v1), Some(b1)) = (
            u32::try_from(e.values.len())
                .ok()
                .and_then(|n| v0.checked_add(n)),
            u32::try_from(e.bounds.len())
                .ok()
                .and_then(|n| b0.checked_add(n)),
        ) else {
            return false;
        };
        self.values.extend_from_slice(e.values);
        self.bounds.extend_from_slice(e.bounds);
        self.slots.push(Slot {
            header: Header {
                num: e.num,
                offset: e.offset,
                block_type: e.block_type,
                ts: e.ts,
                tid: e.tid,
                cpu: e.cpu,
                code: e.code,
                flags: e.flags,
            },
            info: e.info,
            values: (v0, v1),
            bounds: (b0, b1),
        });
        true
    }

    /// The event at `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<EventRef<'_>> {
        let s = self.slots.get(i)?;
        let values = self.values.get(s.values.0 as usize..s.values.1 as usize)?;
        let bounds = self.bounds.get(s.bounds.0 as usize..s.bounds.1 as usize)?;
        Some(EventRef::new(s.header, s.info, values, bounds))
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl Iterator<Item = EventRef<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reader;

    #[test]
    fn a_batch_gives_back_the_events_it_copied() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/captures/synth_small.scap");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("note: {} missing", path.display());
            return;
        };
        let mut direct = Vec::new();
        let mut r = Reader::new(&bytes[..]).unwrap();
        while let Some(Ok(e)) = r.next_event_ref() {
            direct.push(e.to_event());
        }
        assert!(direct.len() > 1000);
        let mut batch = EventBatch::new();
        let mut copied = Vec::new();
        let mut r = Reader::new(&bytes[..]).unwrap();
        while let Some(Ok(e)) = r.next_event_ref() {
            assert!(batch.push(&e));
            if batch.len() == 100 {
                copied.extend(batch.iter().map(|e| e.to_event()));
                batch.clear();
            }
        }
        copied.extend(batch.iter().map(|e| e.to_event()));
        assert_eq!(direct, copied);
    }
}
