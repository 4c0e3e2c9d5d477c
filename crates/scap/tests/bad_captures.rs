//! `fixtures/bad/captures/`: malformed captures each give a clear, located error (or, for
//! an unknown block type, a counted skip) and never a panic.

use falcoc_scap::{self as scap, ScapError};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/bad/captures")
        .join(name)
}

/// Reads a capture to its end: (events read, the error that stopped it, unknown blocks).
fn read_all(name: &str) -> (usize, Option<ScapError>, u64) {
    let mut reader = match scap::open(fixture(name)) {
        Ok(r) => r,
        Err(e) => return (0, Some(e), 0),
    };
    let mut events = 0;
    let mut error = None;
    for item in reader.by_ref() {
        match item {
            Ok(_) => events += 1,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    (events, error, reader.stats().unknown_blocks)
}

#[test]
fn truncated_capture_keeps_what_was_read() {
    let (events, error, _) = read_all("truncated.scap");
    let e = error.unwrap_or_else(|| panic!("no error for a truncated capture"));
    assert_eq!(e.offset(), 5003, "{e}");
    assert!(events == 0 || e.message().contains("trunc") || !e.message().is_empty());
}

#[test]
fn zero_length_capture() {
    let (events, error, _) = read_all("zero_length.scap");
    assert_eq!(events, 0);
    let e = error.unwrap_or_else(|| panic!("no error for an empty file"));
    assert_eq!(e.offset(), 0, "{e}");
}

#[test]
fn corrupt_gzip() {
    let (_, error, _) = read_all("corrupt_gzip.scap");
    assert!(error.is_some(), "corrupt gzip read without error");
}

#[test]
fn absurd_parameter_length() {
    let (_, error, _) = read_all("absurd_param_length.scap");
    let e = error.unwrap_or_else(|| panic!("no error for an absurd parameter length"));
    assert!(e.offset() >= 83_548, "{e}");
}

#[test]
fn absurd_block_length_does_not_allocate_it() {
    let (_, error, _) = read_all("absurd_block_length.scap");
    assert!(error.is_some(), "a 4 GiB block length read without error");
}

#[test]
fn unknown_block_type_is_skipped_and_counted() {
    let (events, error, unknown) = read_all("unknown_block.scap");
    assert_eq!(unknown, 1);
    assert!(error.is_none(), "{error:?}");
    // The rest of the capture reads as usual (falco-cat_write has 345 event blocks).
    assert_eq!(events, 345);
}
