//! Rule unit tests for falcoc (`falcoc test`, `falcoc explain`).
//!
//! A **test file** (YAML, see `docs/testing.md`) names rule files to load and cases;
//! each case gives events — syscall events written by hand, a capture, or Kubernetes
//! audit events — and expects alerts by rule name (count, priority, `output_fields`)
//! or silence (`no_alert`).
//!
//! * [`reader`] — the test file → [`model::TestFile`], through the span-keeping YAML
//!   reader of `falcoc-lang`; every problem is a located [`Diagnostic`]
//!   (`FT001`…`FT009`).
//! * [`synth`] — hand-written events → capture metadata and libscap events, so they go
//!   through the same state and engine as a replayed capture ([`params`] encodes their
//!   parameters).
//! * [`run`] — loading the rules, running each case on a fresh engine, collecting
//!   alerts; [`expect`] — checking them and the expected-vs-actual diff.
//! * [`explain`] — a rule's expanded condition evaluated on one event, node by node,
//!   with the field values each check read and the clause that failed.
//! * [`report`] — `cargo test`-like text, JSON and JUnit XML.
//!
//! [`Diagnostic`]: falcoc_lang::Diagnostic

pub mod expect;
pub mod explain;
pub mod model;
pub mod params;
pub mod reader;
pub mod report;
pub mod run;
pub mod synth;

pub use reader::read_test_file;
pub use run::{run_file, FileReport, RunOptions};
