//! The falcoc compiler: loads rule files in order, resolves `append`/`override` chains,
//! macros, lists and exceptions, checks every field against the field classes, computes
//! the event types each rule can match, and produces a checked rule set (and later,
//! bytecode) for the runtime. It performs no I/O: callers hand it file contents.

pub mod check;
pub mod collector;
pub mod compile;
pub mod decl;
pub mod events;
pub mod exceptions;
pub mod fields;
pub mod ir;
pub mod issue;
pub mod lists;
pub mod load;
pub mod macros;
pub mod output;
pub mod priority;
pub mod reader;
pub mod result;
pub mod text;
pub mod version;
