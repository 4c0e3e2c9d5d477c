//! Filtering and printing syscall events, as `sysdig -r CAPTURE -p FORMAT FILTER` does
//! (what `falcoc events` runs over a capture).
//!
//! * [`Filter`]: a condition (with the macros and lists of loaded rule files) compiled to
//!   bytecode and evaluated by the [`Vm`] on every event after the state update, as
//!   sysdig's display filter and Falco's rules are.
//! * [`Format`]: a `-p` format (`%evt.num %proc.name …`, widths, transformers). Without a
//!   leading `*` an event lacking a field of the format is not printed (sysdig);
//!   with it, missing fields print `<NA>`.
//!
//! Events are numbered like sysdig 0.29 when the [`State`] is given
//! [`SYSDIG_EVENT_LIMIT`].

use falcoc_codegen::{compile_cond, Program};
use falcoc_compiler::check::check_condition;
use falcoc_compiler::collector::Collection;
use falcoc_compiler::compile::compile_condition;
use falcoc_compiler::output::{compile_output, OutputPiece};
use falcoc_schema::fields::{PluginProfile, SYSCALL_SOURCE};

use crate::extract::{ExtractOptions, Extractor, FieldPlan};
use falcoc_engine::vm::Vm;
use falcoc_scap::EventRef;
use falcoc_state::State;

/// The size of sysdig 0.29's event table: event types at or above it are skipped without
/// a number, so `evt.num` matches the reference outputs.
pub const SYSDIG_EVENT_LIMIT: u16 = 336;

/// A filter that does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// Falco's / libsinsp's message.
    pub message: String,
    /// Byte offset in the filter text, when known.
    pub offset: Option<usize>,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A compiled filter condition.
#[derive(Debug)]
pub struct Filter {
    program: Program,
    plan: FieldPlan,
    vm: Vm,
}

impl Filter {
    /// Compiles `text` as a syscall condition, with the lists and macros of `rules`.
    pub fn compile(
        text: &str,
        rules: &Collection,
        profile: &PluginProfile,
    ) -> Result<Filter, FilterError> {
        let plain = rules.lists.is_empty() && rules.macros.is_empty();
        let expanded = match compile_condition(rules, text, profile) {
            Ok(c) => c.expanded,
            Err(message) => {
                // Without lists and macros the text is the condition: locate the error.
                let offset = if plain {
                    match falcoc_lang::condition::parse(text) {
                        Err(e) => Some(e.offset),
                        Ok(ast) => check_condition(&ast, SYSCALL_SOURCE, profile)
                            .err()
                            .map(|e| e.span.start as usize),
                    }
                } else {
                    None
                };
                return Err(FilterError { message, offset });
            }
        };
        let checked =
            check_condition(&expanded, SYSCALL_SOURCE, profile).map_err(|e| FilterError {
                message: e.message,
                offset: None,
            })?;
        let program = compile_cond(&checked.cond);
        let plan = FieldPlan::new(&program.tables);
        let vm = Vm::new(&program.tables);
        Ok(Filter { program, plan, vm })
    }

    /// Whether the current event (already processed by `state`) matches.
    pub fn matches(&mut self, state: &mut State, evt: &EventRef<'_>, opts: ExtractOptions) -> bool {
        self.vm.next_event();
        let mut ex = Extractor::new(state, evt, opts).with_plan(&self.plan);
        self.vm.eval_program(&self.program, &mut ex)
    }
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Field {
        operand: falcoc_compiler::ir::Operand,
        width: u32,
    },
}

/// A compiled `-p` output format.
#[derive(Debug, Clone)]
pub struct Format {
    pieces: Vec<Piece>,
    tolerant: bool,
}

impl Format {
    /// Compiles a format (fields of the syscall source, with `profile`'s plugins).
    pub fn compile(format: &str, profile: &PluginProfile) -> Result<Format, String> {
        let tolerant = format.starts_with('*');
        let body = format.strip_prefix('*').unwrap_or(format);
        let compiled = compile_output(body, SYSCALL_SOURCE, profile).map_err(|e| e.message)?;
        let pieces = compiled
            .pieces
            .into_iter()
            .map(|p| match p {
                OutputPiece::Literal(s) => Piece::Text(s),
                OutputPiece::Field { operand, width } => Piece::Field { operand, width },
            })
            .collect();
        Ok(Format { pieces, tolerant })
    }

    /// Renders the current event; `None` when a field is missing and the format is not
    /// tolerant.
    pub fn render(&self, ex: &mut Extractor<'_, '_>) -> Option<String> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(s) => out.push_str(s),
                Piece::Field { operand, width } => {
                    let v = match ex.display_operand(operand) {
                        Some(v) => v,
                        None if self.tolerant => "<NA>".to_string(),
                        None => return None,
                    };
                    if *width > 0 {
                        let mut b = v.into_bytes();
                        b.resize(*width as usize, b' ');
                        out.push_str(&String::from_utf8_lossy(&b));
                    } else {
                        out.push_str(&v);
                    }
                }
            }
        }
        Some(out)
    }
}
