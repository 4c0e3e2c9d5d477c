//! Fuzzes the rule-file reader: arbitrary bytes must never make
//! [`read_rules_file`] panic, every span it returns must lie within the text, every
//! offset of a condition scalar must map back into the file, and positions,
//! diagnostics rendering and the condition parser must cope with whatever it returns.
//!
//! The reader catches panics of its YAML parser (`libyaml-safer`) and reports them as
//! YAML errors (see `rulefile/compose.rs`), but libfuzzer-sys's panic hook aborts the
//! process before any `catch_unwind` runs. The `init` hook below therefore lets panics
//! raised inside `libyaml-safer` unwind to the reader (noting each panic location once on
//! stderr) and checks that the reader then reports an error; every other panic still
//! aborts as a crash. `regressions/rules_file-libyaml-safer-scan_tag-panic.yaml` is such
//! an input (`[!,`: "TODO: What is expected here?" in `scan_tag`).

#![no_main]

use falcoc_lang::condition::parse;
use falcoc_lang::diagnostic::render_to_string;
use falcoc_lang::rulefile::{read_rules_file, Node, Scalar};
use falcoc_lang::Span;
use libfuzzer_sys::fuzz_target;
use std::cell::Cell;
use std::collections::HashSet;
use std::sync::Mutex;

thread_local! {
    /// Set when `libyaml-safer` panicked while reading the current input.
    static PARSER_PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// Panic locations inside `libyaml-safer` already reported.
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn install_panic_filter() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location();
        if !location.is_some_and(|l| l.file().contains("libyaml-safer")) {
            aborting(info);
            return;
        }
        PARSER_PANICKED.with(|p| p.set(true));
        let at = location.map(ToString::to_string).unwrap_or_default();
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if seen.get_or_insert_with(HashSet::new).insert(at.clone()) {
            eprintln!("note: libyaml-safer panicked at {at} (caught by the reader): {info}");
        }
    }));
}

fuzz_target!(init: install_panic_filter(), |data: &[u8]| {
    PARSER_PANICKED.with(|p| p.set(false));
    let r = read_rules_file("fuzz.yaml", data);
    if PARSER_PANICKED.with(Cell::get) {
        assert!(
            r.has_errors(),
            "the YAML parser panicked but the reader reported no error"
        );
    }
    let len = r.text.len();
    let within = |s: Span, what: &str| {
        assert!(
            s.start <= s.end && s.end as usize <= len,
            "{what} span {s:?} outside the text (length {len})"
        );
    };
    for item in &r.items {
        within(item.span(), "item");
        within(item.key_span, "item key");
        let _ = r.mark(item.key_span.start as usize);
        let _ = r.line_col(item.key_span.end as usize);
        for entry in &item.map.entries {
            within(entry.key.span(), "key");
            within(entry.value.span(), "value");
        }
        if let Some(s) = item.get("condition").and_then(Node::as_scalar) {
            check_condition(s, len);
        }
    }
    let _ = render_to_string(&[r.source_file()], &r.diagnostics);
});

/// Maps every offset of a condition back to the file, and parses the condition.
fn check_condition(s: &Scalar, len: usize) {
    let value = s.value();
    let content = s.content_span();
    assert!(
        content.start <= content.end && content.end as usize <= len,
        "content span {content:?} outside the text (length {len})"
    );
    for i in (0..=value.len()).filter(|&i| value.is_char_boundary(i)) {
        let o = s.source_offset(i);
        assert!(
            o <= len,
            "value offset {i} maps to {o}, past the text (length {len})"
        );
    }
    if let Err(e) = parse(value) {
        let span = s.source_span(e.offset..e.offset + 1);
        assert!(
            span.end as usize <= len,
            "error span {span:?} outside the text (length {len})"
        );
    }
}
