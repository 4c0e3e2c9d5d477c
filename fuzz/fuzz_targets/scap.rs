//! Fuzzes the scap capture reader: arbitrary bytes (plain, or gzip when they start with
//! `1f 8b`) must read to the end or to one error, without panicking or looping; errors of
//! plain input lie within it; events are numbered 1, 2, 3…; after an error nothing more is
//! returned; every typed view of every parameter copes with whatever bytes it holds; the
//! batches of `Reader::next_batch` give the same events and error as single events.

#![no_main]

use falcoc_scap::{Block, EventBatch, Reader, ReaderOptions};
use libfuzzer_sys::fuzz_target;

/// Small enough that a gzip bomb cannot exhaust memory; ample for the fuzzer's inputs.
const MAX_BLOCK: u32 = 1 << 22;
/// Bounds the work on highly compressible gzip input.
const MAX_BLOCKS: usize = 200_000;

fuzz_target!(|data: &[u8]| {
    let opts = ReaderOptions {
        max_block_len: MAX_BLOCK,
        ..ReaderOptions::default()
    };
    let Ok(mut r) = Reader::with_options(data, opts) else {
        return;
    };
    let compressed = r.is_compressed();
    let mut blocks = 0usize;
    let mut last_num = 0u64;
    while let Some(b) = r.next_block() {
        blocks += 1;
        if blocks > MAX_BLOCKS {
            return;
        }
        match b {
            Ok(Block::Event(e)) => {
                assert_eq!(e.num, last_num + 1, "events are numbered consecutively");
                last_num = e.num;
                for p in e.params().iter() {
                    let _ = p.value();
                    let _ = p.as_int();
                    let _ = p.as_errno();
                    let _ = p.as_str_lossy();
                    let _ = p.as_sockaddr();
                    let _ = p.as_socktuple();
                    let _ = p.as_fdlist().map(|l| l.iter().count());
                    let _ = p.as_str_list().count();
                    let _ = p.as_dyn();
                }
                let _ = e.return_value();
                let _ = e.param_by_name("fd");
            }
            Ok(_) => {}
            Err(e) => {
                if !compressed {
                    assert!(
                        e.offset() <= data.len() as u64,
                        "error offset {} beyond input length {}: {e}",
                        e.offset(),
                        data.len()
                    );
                }
                let _ = e.to_string();
                assert!(r.next_block().is_none(), "nothing after an error");
                assert!(r.is_done());
            }
        }
    }
    assert!(
        compressed || blocks <= data.len() / 12 + 1,
        "more blocks than bytes allow"
    );
    assert_eq!(r.stats().events, last_num);
    if compressed {
        return;
    }
    // The same input through single events and through batches.
    let (Ok(mut one), Ok(mut batched)) = (
        Reader::with_options(data, opts),
        Reader::with_options(data, opts),
    ) else {
        return;
    };
    let mut single = Vec::new();
    let mut single_err = None;
    while let Some(e) = one.next_event_ref() {
        match e {
            Ok(e) => single.push(e.to_event()),
            Err(e) => single_err = Some(e),
        }
    }
    let mut batch = EventBatch::new();
    let mut from_batches = Vec::new();
    let batch_err = loop {
        let res = batched.next_batch(&mut batch);
        from_batches.extend(batch.iter().map(|e| e.to_event()));
        match res {
            Err(e) => break Some(e),
            Ok(()) if batch.is_empty() => break None,
            Ok(()) => {}
        }
    };
    assert_eq!(single, from_batches, "batches give the single events");
    assert_eq!(single_err, batch_err, "batches stop at the same error");
});
