//! Syntax checks of a whole rules file: what can be found without loading it —
//! YAML errors (from the reader) and the syntax of every macro and rule condition.
//!
//! Unlike Falco, which stops at the first error, this reports the first syntax error of
//! *every* condition, each located at its exact byte in the file.

use crate::condition::parse;
use crate::diagnostic::Diagnostic;
use crate::rulefile::{ItemKind, Node, ReadResult};

/// The code of condition syntax errors (Falco's).
pub const COMPILE_CONDITION: &str = "LOAD_ERR_COMPILE_CONDITION";

/// Diagnostics for every condition of `file` that does not parse, labelled with file
/// index `file_index`. YAML errors are in `file.diagnostics` already.
pub fn check_conditions(file: &ReadResult, file_index: usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in &file.items {
        let kind = match item.kind {
            ItemKind::Macro => "macro",
            ItemKind::Rule => "rule",
            _ => continue,
        };
        let Some(Node::Scalar(cond)) = item.get("condition") else {
            continue;
        };
        if let Err(e) = parse(cond.value()) {
            let span = cond.source_span(e.offset..e.offset + 1);
            let name = item.name_str().unwrap_or("");
            out.push(
                Diagnostic::error(COMPILE_CONDITION, e.message.clone())
                    .with_primary(file_index, span, "")
                    .with_note(format!("in {kind} '{name}'")),
            );
        }
    }
    out
}
