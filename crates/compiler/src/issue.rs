//! Problems found while loading, before they are turned into [`LoadMessage`]s: a code, a
//! message and the context chain as byte offsets (files are only known to the loader).
//!
//! [`LoadMessage`]: crate::result::LoadMessage

use crate::result::Code;
use falcoc_lang::span::ParserPos;
use falcoc_lang::Span;

/// One step of a context chain: an item type, a name and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// `rule`, `macro`, `list`, `value for`, `rule condition`, `exception` …
    pub item_type: &'static str,
    /// The item's name, or the key for `value for`, or empty.
    pub item_name: String,
    /// Byte offset in the file.
    pub offset: usize,
}

impl Loc {
    /// A new location.
    pub fn new(item_type: &'static str, item_name: impl Into<String>, offset: usize) -> Loc {
        Loc {
            item_type,
            item_name: item_name.into(),
            offset,
        }
    }
}

/// The `condition expression` pseudo-location Falco adds for condition problems: the
/// condition text and the parser position inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondExpr {
    /// The condition text Falco names the location after (exception-extended, before list
    /// substitution).
    pub text: String,
    /// The text the parser saw (after list substitution), for the snippet.
    pub parsed: String,
    /// The parser position.
    pub pos: ParserPos,
}

/// A problem with its context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Falco's code.
    pub code: Code,
    /// Falco's message.
    pub message: String,
    /// File index.
    pub file: usize,
    /// Context chain below `rules content`, outermost first.
    pub locs: Vec<Loc>,
    /// The condition-expression location, when there is one.
    pub cond_expr: Option<Box<CondExpr>>,
    /// The exact place, for located diagnostics.
    pub span: Option<(usize, Span)>,
    /// For deprecated-field warnings.
    pub deprecated_field: Option<String>,
}

impl Issue {
    /// A new issue in file `file` with the given chain.
    pub fn new(code: Code, message: impl Into<String>, file: usize, locs: Vec<Loc>) -> Issue {
        Issue {
            code,
            message: message.into(),
            file,
            locs,
            cond_expr: None,
            span: None,
            deprecated_field: None,
        }
    }

    /// Sets the exact span (in file `self.file`).
    pub fn at(mut self, span: Span) -> Issue {
        self.span = Some((self.file, span));
        self
    }
}
