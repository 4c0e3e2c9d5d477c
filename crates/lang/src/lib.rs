//! The Falco rules language front-end.
//!
//! * [`condition`]: the condition language — a modal `logos` lexer, a `lalrpop` grammar,
//!   a typed AST whose every node carries a [`Span`], canonical printing and escaping.
//! * [`rulefile`]: the span-keeping reader that turns a rules YAML file into items
//!   (rules, macros, lists, version requirements, unknown items) with the position of
//!   every key and value, including positions *inside* condition scalars.
//! * [`syntax`]: syntax checks of a whole file (YAML and every condition).
//! * [`diagnostic`]: the one diagnostic type shared by every stage, rendered with
//!   `codespan-reporting`.
//!
//! This crate performs no I/O: it takes text and returns data.

pub mod condition;
pub mod diagnostic;
pub mod rulefile;
pub mod span;
pub mod syntax;

pub use diagnostic::{Diagnostic, Label, Severity, SourceFile};
pub use span::Span;
