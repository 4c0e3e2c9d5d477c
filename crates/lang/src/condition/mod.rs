//! The Falco condition language.
//!
//! [`parse`] turns a condition into a typed [`ast::Expr`] exactly as libsinsp's parser does
//! (Falco 0.42 grammar plus the 0.44 additions: operator modifiers, `join`/`concat`/
//! `getopt`, literal and list transformer arguments). Errors carry libsinsp's message and
//! position. [`print::as_string`] prints the canonical form Falco shows as
//! `condition_compiled`; [`json::to_json`] gives the AST in the corpus vector format.

pub mod ast;
mod build;
pub mod escape;
pub mod json;
pub mod lexer;
pub mod print;

#[allow(clippy::all, missing_docs, unused_parens)]
mod grammar {
    lalrpop_util::lalrpop_mod!(pub inner, "/condition/grammar.rs");
}

use crate::span::{ParserPos, Span};
pub use ast::Expr;

/// A syntax error in a condition, as libsinsp reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// libsinsp's message, e.g. `expected a ')' token`.
    pub message: String,
    /// 0-based byte offset in the condition where the parser stopped.
    pub offset: usize,
}

impl ParseError {
    /// The libsinsp-style line/column of the error in `condition`.
    pub fn pos(&self, condition: &str) -> ParserPos {
        ParserPos::of(condition, self.offset)
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parses a condition.
pub fn parse(condition: &str) -> Result<Expr, ParseError> {
    let lexer = lexer::Lexer::new(condition);
    match grammar::inner::ConditionParser::new().parse(lexer) {
        Ok(mut e) => {
            // The top-level chain starts at 0, unless the whole condition is one group.
            let first_token = condition
                .bytes()
                .position(|b| !matches!(b, b' ' | b'\t' | 0x08 | b'\r' | b'\n'))
                .unwrap_or(0);
            if e.span.start as usize == first_token {
                build::set_chain_start(&mut e, 0);
            }
            Ok(e)
        }
        Err(e) => Err(grammar_error(e, condition.len())),
    }
}

fn grammar_error(
    e: lalrpop_util::ParseError<usize, lexer::Tok, ParseError>,
    len: usize,
) -> ParseError {
    use lalrpop_util::ParseError as P;
    // The lexer validates the token order, so only its own errors should reach here;
    // anything else still becomes a located error rather than a panic.
    match e {
        P::User { error } => error,
        P::InvalidToken { location } => ParseError {
            message: "invalid token".into(),
            offset: location,
        },
        P::UnrecognizedEof { .. } => ParseError {
            message: "unexpected end of condition".into(),
            offset: len,
        },
        P::UnrecognizedToken {
            token: (start, _, _),
            ..
        }
        | P::ExtraToken {
            token: (start, _, _),
        } => ParseError {
            message: "unexpected token".into(),
            offset: start,
        },
    }
}

/// The span of the whole condition text.
pub fn whole(condition: &str) -> Span {
    Span::new(0, condition.len())
}
