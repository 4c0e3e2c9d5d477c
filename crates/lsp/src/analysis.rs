//! One load of a rule set, as `falcoc lint` does it (all-problems mode, falcoc's lints at
//! their default levels), and what the editor features look up in it.

use crate::symbols::Symbols;
use crate::text::LineIndex;
use falcoc_compiler::load::{load_read, read_inputs, Input, LoadOptions, Loaded, Mode};
use falcoc_compiler::result::LoadMessage;
use falcoc_lang::rulefile::{Item, ReadResult};
use falcoc_lang::Span;
use falcoc_lints::{self as lints, Finding, Level, LintConfig};
use falcoc_schema::fields::PluginProfile;
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri,
};
use std::collections::HashSet;

/// A loaded rule set.
#[derive(Debug)]
pub struct Analysis {
    /// The files, in load order.
    pub uris: Vec<Uri>,
    /// The load (files as read, Falco's results, compiled rules, the collection).
    pub loaded: Loaded,
    /// falcoc's lint findings.
    pub findings: Vec<Finding>,
    /// The plugin profile the files were loaded with.
    pub profile: PluginProfile,
    /// Line indexes of the files' texts.
    pub lines: Vec<LineIndex>,
    /// Where macros, lists and rules are named.
    pub symbols: Symbols,
    /// A problem with the settings (an unknown plugin name), for the client's log.
    pub note: Option<String>,
}

impl Analysis {
    /// Loads `files` (URI, display name, text) in order with the plugins `plugins` names
    /// (as `falcoc lint --plugins`).
    pub fn new(files: &[(Uri, String, String)], plugins: &str) -> Analysis {
        let inputs: Vec<Input> = files
            .iter()
            .map(|(_, name, text)| Input {
                name,
                bytes: text.as_bytes(),
            })
            .collect();
        let read = read_inputs(&inputs);
        let (profile, note) = match falcoc_compiler::load::profile_for(plugins, &read) {
            Ok(p) => (p, None),
            Err(e) => (
                falcoc_compiler::load::auto_profile_of(&read),
                Some(format!("falcoc lsp: plugins: {e}")),
            ),
        };
        let loaded = load_read(
            read,
            &LoadOptions {
                profile: profile.clone(),
                mode: Mode::AllProblems,
                ..LoadOptions::default()
            },
        );
        let findings = lints::run(&loaded, &LintConfig::new());
        let lines = loaded
            .files
            .iter()
            .map(|f| LineIndex::new(&f.text))
            .collect();
        let symbols = Symbols::build(&loaded.files);
        Analysis {
            uris: files.iter().map(|(u, _, _)| u.clone()).collect(),
            loaded,
            findings,
            profile,
            lines,
            symbols,
            note,
        }
    }

    /// The index of the file with this URI.
    pub fn file_of(&self, uri: &Uri) -> Option<usize> {
        self.uris.iter().position(|u| u.as_str() == uri.as_str())
    }

    /// The file as read.
    pub fn file(&self, file: usize) -> Option<&ReadResult> {
        self.loaded.files.get(file)
    }

    /// The LSP location of `span` in file `file`.
    pub fn location(&self, file: usize, span: Span) -> Option<Location> {
        let f = self.loaded.files.get(file)?;
        let range = self
            .lines
            .get(file)?
            .range(&f.text, span.start as usize, span.end as usize);
        Some(Location::new(self.uris.get(file)?.clone(), range))
    }

    /// `name:line:col` (1-based) of byte `offset` of file `file`.
    pub fn describe(&self, file: usize, offset: usize) -> String {
        match self.loaded.files.get(file) {
            Some(f) => {
                let (l, c) = f.line_col(offset);
                format!("{}:{l}:{c}", f.name)
            }
            None => String::new(),
        }
    }

    /// The top-level item of file `file` that holds byte `offset`.
    pub fn item_at(&self, file: usize, offset: usize) -> Option<(usize, &Item)> {
        let f = self.loaded.files.get(file)?;
        f.items.iter().enumerate().find(|(_, i)| {
            let s = i.span();
            (s.start as usize) <= offset && offset <= s.end as usize
        })
    }

    /// The diagnostics of every file, in file order: Falco's load messages (each once,
    /// as `falcoc lint` prints them) and falcoc's lint findings, each at its exact span.
    pub fn diagnostics(&self) -> Vec<Vec<Diagnostic>> {
        let mut out: Vec<Vec<Diagnostic>> = vec![Vec::new(); self.uris.len()];
        let mut seen = HashSet::new();
        for (ri, r) in self.loaded.results.iter().enumerate() {
            for m in r.errors.iter().chain(&r.warnings) {
                let (file, span) = m.span.unwrap_or((ri, Span::new(0, 0)));
                let key = (m.code, m.message.clone(), file, span);
                if !seen.insert(key) {
                    continue;
                }
                if let Some(d) = self.load_diagnostic(m, file, span) {
                    if let Some(v) = out.get_mut(file) {
                        v.push(d);
                    }
                }
            }
        }
        for f in &self.findings {
            if let Some(d) = self.finding_diagnostic(f) {
                if let Some(v) = out.get_mut(f.file) {
                    v.push(d);
                }
            }
        }
        out
    }

    fn range(&self, file: usize, span: Span) -> Option<lsp_types::Range> {
        let f = self.loaded.files.get(file)?;
        Some(
            self.lines
                .get(file)?
                .range(&f.text, span.start as usize, span.end as usize),
        )
    }

    fn load_diagnostic(&self, m: &LoadMessage, file: usize, span: Span) -> Option<Diagnostic> {
        let mut message = m.message.clone();
        let named: Vec<String> = m
            .locations
            .iter()
            .filter(|l| {
                !l.item_name.is_empty()
                    && !matches!(
                        l.item_type.as_str(),
                        "value for" | "condition expression" | "overrides"
                    )
            })
            .map(|l| format!("{} '{}'", l.item_type, l.item_name))
            .collect();
        if !named.is_empty() {
            message.push_str(&format!("\nin {}", named.join(", ")));
        }
        Some(Diagnostic {
            range: self.range(file, span)?,
            severity: Some(if m.code.is_error() {
                DiagnosticSeverity::ERROR
            } else {
                DiagnosticSeverity::WARNING
            }),
            code: Some(NumberOrString::String(m.code.as_str().to_string())),
            source: Some("falcoc".to_string()),
            message,
            ..Diagnostic::default()
        })
    }

    fn finding_diagnostic(&self, f: &Finding) -> Option<Diagnostic> {
        let mut message = f.message.clone();
        for n in &f.notes {
            message.push('\n');
            message.push_str(n);
        }
        let related: Vec<DiagnosticRelatedInformation> = f
            .secondary
            .iter()
            .filter_map(|l| {
                Some(DiagnosticRelatedInformation {
                    location: self.location(l.file, l.span)?,
                    message: if l.message.is_empty() {
                        "here".to_string()
                    } else {
                        l.message.clone()
                    },
                })
            })
            .collect();
        Some(Diagnostic {
            range: self.range(f.file, f.span)?,
            severity: Some(if f.level == Level::Deny {
                DiagnosticSeverity::ERROR
            } else {
                DiagnosticSeverity::WARNING
            }),
            code: Some(NumberOrString::String(f.code.to_string())),
            source: Some("falcoc".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Diagnostic::default()
        })
    }
}
