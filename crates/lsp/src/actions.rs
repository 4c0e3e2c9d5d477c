//! `textDocument/codeAction`: quick fixes for the lints that suggest a spelling ("did you
//! mean `X`?": FC001 unknown fields and macros, FC002 list names, FC008 keys).

use crate::analysis::Analysis;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, NumberOrString, Range, TextEdit,
    WorkspaceEdit,
};
use std::collections::HashMap;

/// The suggestion of a "did you mean" note: `did you mean `X`?`, `did you mean macro `X`?`,
/// `did you mean list `X`?`.
pub fn suggestion(note: &str) -> Option<&str> {
    let rest = note.strip_prefix("did you mean ")?;
    let rest = rest
        .strip_prefix("macro ")
        .or_else(|| rest.strip_prefix("list "))
        .unwrap_or(rest);
    let inner = rest.strip_prefix('`')?.strip_suffix("`?")?;
    (!inner.is_empty() && !inner.contains('`')).then_some(inner)
}

/// The quick fixes for the findings of file `file` whose span meets bytes `start..end`.
pub fn quick_fixes(
    a: &Analysis,
    file: usize,
    start: usize,
    end: usize,
) -> Vec<CodeActionOrCommand> {
    let Some(f) = a.file(file) else {
        return Vec::new();
    };
    let diagnostics = a.diagnostics();
    let mut out = Vec::new();
    for finding in &a.findings {
        let (s, e) = (finding.span.start as usize, finding.span.end as usize);
        if finding.file != file || e < start || s > end {
            continue;
        }
        let Some(replacement) = finding.notes.iter().find_map(|n| suggestion(n)) else {
            continue;
        };
        let Some(current) = f.text.get(s..e) else {
            continue;
        };
        // A suggestion `name[arg]` for a finding on `name` alone keeps the argument as is.
        let replacement = match replacement.find('[') {
            Some(i) if !current.contains('[') => &replacement[..i],
            _ => replacement,
        };
        if current == replacement {
            continue;
        }
        let Some(range) = a.location(file, finding.span).map(|l| l.range) else {
            continue;
        };
        let diagnostic = matching_diagnostic(&diagnostics, file, range, finding.code);
        // lsp-types keys WorkspaceEdit by Uri; a Uri never changes once built.
        #[allow(clippy::mutable_key_type)]
        let mut changes = HashMap::new();
        changes.insert(
            a.uris[file].clone(),
            vec![TextEdit::new(range, replacement.to_string())],
        );
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Replace `{current}` with `{replacement}`"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: diagnostic.map(|d| vec![d]),
            edit: Some(WorkspaceEdit {
                changes: Some(changes),
                ..WorkspaceEdit::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    out
}

fn matching_diagnostic(
    all: &[Vec<Diagnostic>],
    file: usize,
    range: Range,
    code: &str,
) -> Option<Diagnostic> {
    all.get(file)?
        .iter()
        .find(|d| d.range == range && d.code == Some(NumberOrString::String(code.to_string())))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_of_notes() {
        assert_eq!(suggestion("did you mean `proc.name`?"), Some("proc.name"));
        assert_eq!(
            suggestion("did you mean macro `spawned_process`?"),
            Some("spawned_process")
        );
        assert_eq!(
            suggestion("did you mean list `shell_binaries`?"),
            Some("shell_binaries")
        );
        assert_eq!(suggestion("did you mean `or`, or `in (…)`?"), None);
        assert_eq!(suggestion("`x` is a list, not a macro"), None);
    }
}
