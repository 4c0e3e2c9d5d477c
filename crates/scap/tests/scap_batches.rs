//! Tests of [`Reader::next_batch`]: batches that take the reader's window over give the
//! same events, metadata and statistics as [`Reader::next_event_ref`], whatever the sizes
//! of the underlying reads.

use falcoc_scap::{self as scap, Event, EventBatch, Reader};

mod support;
use support::*;

fn events_one_by_one(bytes: &[u8]) -> Vec<Event> {
    let mut r = Reader::new(bytes).expect("reader");
    let mut out = Vec::new();
    while let Some(e) = r.next_event_ref() {
        out.push(e.expect("event").to_event());
    }
    out
}

#[test]
fn batches_equal_single_events() {
    let Some(dir) = captures_dir() else { return };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("captures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            (n.ends_with(".scap") || n.ends_with(".scap.gz")) && !n.contains("synth_1")
        })
        .collect();
    names.sort();
    assert!(names.len() > 5);
    for path in names {
        let bytes = uncompressed(&path);
        let want = events_one_by_one(&bytes);
        let (got, err) = drain_batches(&bytes[..]);
        assert!(err.is_none(), "{}: {err:?}", path.display());
        assert_eq!(got, want, "{}", path.display());
        if bytes.len() < 1 << 19 {
            // Reads of 1 to 7 bytes on small captures, up to 4093 on the others.
            let max = if bytes.len() < 1 << 16 { 7 } else { 4093 };
            let slow = Trickle {
                data: &bytes,
                max,
                next: 0,
            };
            let (got, err) = drain_batches(slow);
            assert!(err.is_none(), "{}: {err:?}", path.display());
            assert_eq!(got, want, "{} (trickled)", path.display());
        }
        // Metadata and counters agree too.
        let mut a = Reader::new(&bytes[..]).expect("reader");
        while a.next_event_ref().is_some() {}
        let mut b = Reader::new(&bytes[..]).expect("reader");
        let mut batch = EventBatch::new();
        loop {
            b.next_batch(&mut batch).expect("batch");
            if batch.is_empty() {
                break;
            }
        }
        assert_eq!(a.metadata(), b.metadata(), "{}", path.display());
        assert_eq!(a.stats(), b.stats(), "{}", path.display());
        assert_eq!(a.position(), b.position(), "{}", path.display());
        assert_eq!(b.position(), bytes.len() as u64);
    }
}

#[test]
fn a_batch_spans_many_events_and_reuses_buffers() {
    let Some(path) = capture("synth_attack.scap") else {
        return;
    };
    let bytes = uncompressed(&path);
    let mut r = scap::Reader::new(&bytes[..]).expect("reader");
    r.read_metadata().expect("metadata");
    let mut spare = EventBatch::new();
    let mut batch = EventBatch::new();
    let mut sizes = Vec::new();
    let mut last = 0;
    loop {
        r.next_batch(&mut batch).expect("batch");
        if batch.is_empty() {
            break;
        }
        for e in batch.iter() {
            assert_eq!(e.num, last + 1);
            last = e.num;
        }
        sizes.push(batch.len());
        std::mem::swap(&mut batch, &mut spare);
    }
    assert!(sizes.len() > 1, "{sizes:?}");
    assert!(
        sizes[0] > 100,
        "a batch holds a window's worth of events: {sizes:?}"
    );
}
