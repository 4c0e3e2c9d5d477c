//! Go to definition, find references and rename, for macros, lists and rules across the
//! files of a rule set (appends and overrides included).

use crate::analysis::Analysis;
use crate::symbols::{Occurrence, Role, SymbolKind};
use lsp_types::{Location, TextEdit, Uri, WorkspaceEdit};
use std::collections::HashMap;

/// The definitions of the name at byte `offset` of file `file`: every item that defines
/// it, or when none does (an append-only name), every item that updates it.
pub fn definition(a: &Analysis, file: usize, offset: usize) -> Vec<Location> {
    let Some(o) = a.symbols.at(file, offset) else {
        return Vec::new();
    };
    let defs: Vec<&Occurrence> = a
        .symbols
        .of(o.kind, &o.name)
        .filter(|d| d.role == Role::Definition)
        .collect();
    let defs = if defs.is_empty() {
        a.symbols
            .of(o.kind, &o.name)
            .filter(|d| d.role == Role::Update)
            .collect()
    } else {
        defs
    };
    defs.into_iter()
        .filter_map(|d| a.location(d.file, d.span))
        .collect()
}

/// Every occurrence of the name at byte `offset` of file `file` (definitions only with
/// `include_declaration`; appends and overrides always).
pub fn references(
    a: &Analysis,
    file: usize,
    offset: usize,
    include_declaration: bool,
) -> Vec<Location> {
    let Some(o) = a.symbols.at(file, offset) else {
        return Vec::new();
    };
    a.symbols
        .of(o.kind, &o.name)
        .filter(|r| include_declaration || r.role != Role::Definition)
        .filter_map(|r| a.location(r.file, r.span))
        .collect()
}

/// Why a rename cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameError(pub String);

/// The macro or list at byte `offset` of file `file`, when it can be renamed: its
/// occurrence under the cursor.
pub fn prepare_rename(
    a: &Analysis,
    file: usize,
    offset: usize,
) -> Result<&Occurrence, RenameError> {
    let Some(o) = a.symbols.at(file, offset) else {
        return Err(RenameError(
            "no macro or list name at this position".to_string(),
        ));
    };
    if o.kind == SymbolKind::Rule {
        return Err(RenameError(
            "only macros and lists can be renamed (a rule's name is how other rule files and \
             outputs refer to it)"
                .to_string(),
        ));
    }
    Ok(o)
}

/// Renames the macro or list at byte `offset` of file `file` to `new_name` everywhere in
/// the rule set: definitions, appends, overrides and uses.
pub fn rename(
    a: &Analysis,
    file: usize,
    offset: usize,
    new_name: &str,
) -> Result<WorkspaceEdit, RenameError> {
    let o = prepare_rename(a, file, offset)?;
    if !is_identifier(new_name) {
        return Err(RenameError(format!(
            "`{new_name}` is not a valid {} name (letters, digits and `_`, not starting \
             with a digit)",
            o.kind.as_str()
        )));
    }
    let taken = match o.kind {
        SymbolKind::Macro => a.loaded.collection.macro_(new_name).is_some(),
        _ => a.loaded.collection.list(new_name).is_some(),
    };
    if taken && new_name != o.name {
        return Err(RenameError(format!(
            "a {} named `{new_name}` already exists",
            o.kind.as_str()
        )));
    }
    // lsp-types keys WorkspaceEdit by Uri; a Uri never changes once built.
    #[allow(clippy::mutable_key_type)]
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for r in a.symbols.of(o.kind, &o.name) {
        if let Some(loc) = a.location(r.file, r.span) {
            changes
                .entry(loc.uri)
                .or_default()
                .push(TextEdit::new(loc.range, new_name.to_string()));
        }
    }
    Ok(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })
}

/// A macro or list name that needs no quoting anywhere: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
