//! The diagnostic type shared by every stage, and its rendering.
//!
//! A [`Diagnostic`] is plain data: a stable code (Falco's `LOAD_*` codes or falcoc's own
//! `FC…` codes), a severity, a message, a primary label, secondary labels and notes.
//! Labels point at byte spans of a [`SourceFile`]; rendering uses `codespan-reporting`.

use crate::span::Span;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Extra information attached to a run.
    Note,
    /// The input loads, but something is likely wrong.
    Warning,
    /// The input does not load.
    Error,
}

impl Severity {
    /// Lower-case name: `error`, `warning`, `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A labelled span in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Index of the file in the caller's list of [`SourceFile`]s.
    pub file: usize,
    /// Byte span in that file.
    pub span: Span,
    /// Text shown beside the span (may be empty).
    pub message: String,
}

impl Label {
    /// A label on `span` of file `file`.
    pub fn new(file: usize, span: Span, message: impl Into<String>) -> Label {
        Label {
            file,
            span,
            message: message.into(),
        }
    }
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `LOAD_ERR_COMPILE_CONDITION` or `FC001`.
    pub code: &'static str,
    /// Error, warning or note.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// Where the problem is; `None` for problems without a location (e.g. unreadable file).
    pub primary: Option<Label>,
    /// Related places.
    pub secondary: Vec<Label>,
    /// Free-form notes and hints.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A new error with the given code and message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }

    /// A new warning with the given code and message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message)
    }

    /// A new diagnostic.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Sets the primary label.
    pub fn with_primary(mut self, file: usize, span: Span, message: impl Into<String>) -> Self {
        self.primary = Some(Label::new(file, span, message));
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, file: usize, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(file, span, message));
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A named source text that diagnostics can point into.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name shown to the user (usually the path as given).
    pub name: String,
    /// The text (invalid UTF-8 is replaced before it gets here).
    pub text: String,
}

impl SourceFile {
    /// A new source file.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and 1-based column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders diagnostics the way rustc does, into `out`.
///
/// Spans are clamped to their file, so a diagnostic never makes rendering fail.
pub fn render<W: term::WriteStyle + ?Sized>(
    out: &mut W,
    files: &[SourceFile],
    diagnostics: &[Diagnostic],
) -> Result<(), codespan_reporting::files::Error> {
    let mut db = SimpleFiles::new();
    for f in files {
        db.add(f.name.as_str(), f.text.as_str());
    }
    let config = term::Config::default();
    for d in diagnostics {
        let cd = to_codespan(files, d);
        term::emit_to_write_style(out, &config, &db, &cd)?;
    }
    Ok(())
}

/// Renders diagnostics without colour into a `String`.
pub fn render_to_string(files: &[SourceFile], diagnostics: &[Diagnostic]) -> String {
    let mut db = SimpleFiles::new();
    for f in files {
        db.add(f.name.as_str(), f.text.as_str());
    }
    let config = term::Config::default();
    let mut out = String::new();
    for d in diagnostics {
        // Spans are clamped in `to_codespan`, so emitting into memory cannot fail.
        let _ = term::emit_to_string(&mut out, &config, &db, &to_codespan(files, d));
    }
    out
}

fn to_codespan(files: &[SourceFile], d: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
        Severity::Note => cs::Severity::Note,
    };
    let clamp = |l: &Label| -> Option<(usize, std::ops::Range<usize>)> {
        let f = files.get(l.file)?;
        let len = f.text.len();
        let mut s = (l.span.start as usize).min(len);
        let mut e = (l.span.end as usize).min(len).max(s);
        s = floor_char_boundary(&f.text, s);
        while e < len && !f.text.is_char_boundary(e) {
            e += 1;
        }
        Some((l.file, s..e))
    };
    let mut labels = Vec::new();
    if let Some(p) = &d.primary {
        if let Some((f, r)) = clamp(p) {
            labels.push(cs::Label::primary(f, r).with_message(p.message.clone()));
        }
    }
    for s in &d.secondary {
        if let Some((f, r)) = clamp(s) {
            labels.push(cs::Label::secondary(f, r).with_message(s.message.clone()));
        }
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(d.notes.clone())
}
