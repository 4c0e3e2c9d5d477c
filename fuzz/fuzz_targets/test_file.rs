//! Fuzzes the test-file reader of `falcoc test`: any bytes read to a test file or to
//! located diagnostics (every label inside the text); the hand-written events of a file
//! that reads are synthesized and go through a process/fd state without panicking.
//! As in the `rules_file` target, panics inside `libyaml-safer` (which the YAML reader
//! catches and reports) are let through to the reader; the reader must then report an
//! error. Every other panic aborts as a crash.

#![no_main]

use falcoc_ruletest::model::Input;
use falcoc_ruletest::read_test_file;
use falcoc_ruletest::synth::synthesize;
use falcoc_state::{State, StateOptions};
use libfuzzer_sys::fuzz_target;
use std::cell::Cell;

thread_local! {
    /// Set when `libyaml-safer` panicked while reading the current input.
    static PARSER_PANICKED: Cell<bool> = const { Cell::new(false) };
}

fn install_panic_filter() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("libyaml-safer"))
        {
            PARSER_PANICKED.with(|p| p.set(true));
        } else {
            aborting(info);
        }
    }));
}

fuzz_target!(init: install_panic_filter(), |data: &[u8]| {
    PARSER_PANICKED.with(|p| p.set(false));
    let read = read_test_file("fuzz.yaml", data);
    if PARSER_PANICKED.with(Cell::get) {
        assert!(!read.diagnostics.is_empty(), "the YAML parser panicked but no error was reported");
    }
    for d in &read.diagnostics {
        if let Some(l) = &d.primary {
            assert!(l.span.start as usize <= data.len(), "label beyond the input: {d:?}");
        }
    }
    let Some(file) = read.file else {
        assert!(!read.diagnostics.is_empty(), "no file and no diagnostic");
        return;
    };
    for case in &file.cases {
        if let Input::Events(specs) = &case.input {
            let syn = synthesize(specs);
            let mut state = State::new(StateOptions::default());
            state.set_metadata(syn.metadata);
            for e in &syn.events {
                state.process(&e.as_event_ref());
            }
        }
    }
});
