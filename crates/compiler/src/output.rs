//! The output format compiler (outputs.md §2, rules-file.md §5 steps 2–3), as Falco 0.42.1
//! (libs 0.22.2 `sinsp_evt_formatter::set_format`) does it.
//!
//! A format is literal text with `%` field tokens: `%`, optional width digits, optional
//! transformers, field. There is no escape for `%`, no `%(field)` form and no braces: the
//! token ends where the field name (with the class's own argument syntax, e.g.
//! `proc.aname[2]`, `evt.arg.flags`, `ka.req.pod.containers.image[0]`) ends. A transformer
//! is written as its name directly followed by `(`, with no blank (`%toupper(proc.name)`,
//! `%basename(tolower(proc.exepath))`); each needs its `)` right after the field.
//! Fields are resolved for the rule's source with the formatter's messages
//! (`invalid formatting token <rest of the format>`, `<rest> is filter only and cannot be
//! used as a display field`, …). Falco always renders in tolerant mode: one leading `*`
//! is dropped, and missing values render as `<NA>`.
//!
//! [`compile_rule_output`] adds the rule-level steps of Falco 0.42.1: `%container.info`
//! removed with a `LOAD_DEPRECATED_ITEM` warning, and the deprecated-field warning
//! (`usage of deprecated field 'evt.dir' has been detected in the rule output`).

use falcoc_lang::condition::ast::TransformerKind;
use falcoc_lang::Span;

use crate::check::{apply_transformer, is_unknown_filter_error, CheckWarning, DEPRECATED_FIELDS};
use crate::ir::{Operand, OperandKind};
use crate::result::Code;
use falcoc_schema::fields::{ClassKind, FieldFlags, PluginProfile};

/// One piece of a compiled format.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputPiece {
    /// Text copied verbatim.
    Literal(String),
    /// A field (possibly under transformers) rendered as text.
    Field {
        /// The extraction; spans are byte offsets in the format given to the compiler.
        operand: Operand,
        /// `%12proc.name`: pad with blanks or truncate to this many bytes; 0 = as is.
        width: u32,
    },
}

/// A key of the format's field map (what `falco -L` lists as `output_fields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputField {
    /// The token as written: `proc.aname[2]`, or `toupper(proc.name)` for the transformed
    /// key.
    pub name: String,
    /// Whether this is the transformed key of a token with transformers. Falco lists both
    /// keys in `-L` `output_fields` but leaves transformed keys out of alert
    /// `output_fields`.
    pub transformed: bool,
}

/// A compiled output format.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledOutput {
    /// Literal text and fields, in order.
    pub pieces: Vec<OutputPiece>,
    /// The field keys in token order (duplicates kept): for a token with transformers,
    /// the untransformed field key then the transformed one.
    pub fields: Vec<OutputField>,
}

impl CompiledOutput {
    /// The names of [`fields`](Self::fields), as `falco -L` prints `output_fields`.
    pub fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }
}

/// Why a format does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputError {
    /// The formatter's message, verbatim.
    pub message: String,
    /// Whether `skip-if-unknown-filter` downgrades it (`invalid formatting token`,
    /// `nonexistent field`, `unknown event type`).
    pub unknown_filter: bool,
    /// Where, in the format text given to the compiler.
    pub span: Span,
    /// Warnings already emitted for the rule before the error (the `%container.info`
    /// deprecation), which Falco reports too.
    pub warnings: Vec<CheckWarning>,
}

impl std::fmt::Display for OutputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OutputError {}

/// The transformers the 0.42.1 formatter recognises, in the order it tries them.
const FORMAT_TRANSFORMERS: [TransformerKind; 5] = [
    TransformerKind::ToLower,
    TransformerKind::ToUpper,
    TransformerKind::B64,
    TransformerKind::Basename,
    TransformerKind::Len,
];

/// `%container.info`, removed from rule outputs since Falco 0.41.
pub const CONTAINER_INFO: &str = "%container.info";

/// The `LOAD_DEPRECATED_ITEM` message for `%container.info` (rules-file.md §5).
pub const CONTAINER_INFO_MESSAGE: &str = "%container.info is deprecated and no more useful, \
     and will be dropped by Falco 1.0.0. The container plugin will automatically add required \
     fields to the output message.";

/// Compiles a format for `source` (see the module documentation). The spans in the
/// result and in errors are byte offsets in `format`.
pub fn compile_output(
    format: &str,
    source: &str,
    profile: &PluginProfile,
) -> Result<CompiledOutput, OutputError> {
    compile_format(format, source, profile).map_err(|(message, span)| OutputError {
        unknown_filter: is_unknown_filter_error(&message),
        message,
        span,
        warnings: Vec::new(),
    })
}

/// A rule output after Falco's rule-level processing.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutput {
    /// The text Falco keeps (`falco -L` `output_compiled`): the given output with every
    /// `%container.info` removed.
    pub text: String,
    /// The compiled format of [`text`](Self::text).
    pub compiled: CompiledOutput,
    /// `LOAD_DEPRECATED_ITEM` warnings, in Falco's order: `%container.info` first, then
    /// deprecated fields found in the text.
    pub warnings: Vec<CheckWarning>,
}

/// Falco 0.42.1's rule-output steps (rules-file.md §5 steps 2–3) for `output`, which the
/// caller has already extended with the matching `append_output` formats
/// (`output + " " + format` each):
/// 1. every `%container.info` is removed, with one `LOAD_DEPRECATED_ITEM` warning;
/// 2. the result is compiled ([`compile_output`]; error = `LOAD_ERR_COMPILE_OUTPUT`);
/// 3. for each deprecated field whose name occurs anywhere in the text (a plain substring
///    search, as Falco does), `LOAD_DEPRECATED_ITEM` `usage of deprecated field '<f>' has
///    been detected in the rule output`.
///
/// Spans refer to [`RuleOutput::text`] (the text after removal).
pub fn compile_rule_output(
    output: &str,
    source: &str,
    profile: &PluginProfile,
) -> Result<RuleOutput, OutputError> {
    let mut warnings = Vec::new();
    let text = if output.contains(CONTAINER_INFO) {
        warnings.push(CheckWarning {
            code: Code::LoadDeprecatedItem,
            message: CONTAINER_INFO_MESSAGE.to_string(),
            span: Span::new(0, output.len()),
            deprecated_field: None,
        });
        output.replace(CONTAINER_INFO, "")
    } else {
        output.to_string()
    };
    let compiled = match compile_format(&text, source, profile) {
        Ok(c) => c,
        Err((message, span)) => {
            return Err(OutputError {
                unknown_filter: is_unknown_filter_error(&message),
                message,
                span,
                warnings,
            })
        }
    };
    warnings.extend(deprecated_in_output(&text));
    Ok(RuleOutput {
        text,
        compiled,
        warnings,
    })
}

/// Falco's `check_deprecated_fields_in_output`: one warning per deprecated field whose
/// name occurs anywhere in `format`.
pub fn deprecated_in_output(format: &str) -> Vec<CheckWarning> {
    DEPRECATED_FIELDS
        .iter()
        .filter_map(|(name, _)| {
            let at = format.find(name)?;
            Some(CheckWarning {
                code: Code::LoadDeprecatedItem,
                message: format!(
                    "usage of deprecated field '{name}' has been detected in the rule output"
                ),
                span: Span::new(at, at + name.len()),
                deprecated_field: Some(name.to_string()),
            })
        })
        .collect()
}

/// `sscanf("%d")` on a run of digits, stored into libsinsp's `uint32_t` token length.
fn scan_width(digits: &[u8]) -> u32 {
    let v = digits.iter().fold(0i64, |acc, d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    v as i32 as u32
}

/// libsinsp 0.22.2 `sinsp_evt_formatter::set_format`. Errors carry the message and a
/// span in `format`.
fn compile_format(
    format: &str,
    source: &str,
    profile: &PluginProfile,
) -> Result<CompiledOutput, (String, Span)> {
    if format.is_empty() {
        return Err(("empty formatting token".to_string(), Span::new(0, 0)));
    }
    // Tolerant mode: a leading `*` is not part of the text.
    let skip = usize::from(format.starts_with('*'));
    let lfmt = &format[skip..];
    let b = lfmt.as_bytes();
    let len = b.len();
    let at = |i: usize, j: usize| Span::new(skip + i, skip + j);
    let mut pieces = Vec::new();
    let mut fields = Vec::new();
    let mut last = 0usize;
    let mut j = 0usize;
    while j < len {
        if b[j] != b'%' {
            j += 1;
            continue;
        }
        let pct = j;
        if last != j {
            pieces.push(OutputPiece::Literal(lfmt[last..j].to_string()));
        }
        if j == len - 1 {
            return Err((
                "invalid formatting syntax: formatting cannot end with a %".to_string(),
                at(j, len),
            ));
        }
        let mut width = 0u32;
        if b[j + 1].is_ascii_digit() {
            let end = b[j + 1..]
                .iter()
                .position(|c| !c.is_ascii_digit())
                .map_or(len, |p| j + 1 + p);
            width = scan_width(&b[j + 1..end]);
            loop {
                if j == len - 1 {
                    return Err((
                        "invalid formatting syntax: formatting cannot end with a number"
                            .to_string(),
                        at(pct, len),
                    ));
                } else if b[j + 1].is_ascii_digit() {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        // Transformer names, each directly followed by `(`.
        let tstart = j + 1;
        let mut msize = 0usize;
        let mut transformers: Vec<(TransformerKind, usize)> = Vec::new();
        loop {
            let prev = msize;
            for tr in FORMAT_TRANSFORMERS {
                let name = tr.as_str().as_bytes();
                let here = tstart + msize;
                if j + 1 + name.len() + 1 < len
                    && b.get(here + name.len()) == Some(&b'(')
                    && b[here..].starts_with(name)
                {
                    transformers.push((tr, here));
                    msize += name.len() + 1;
                    j += name.len() + 1;
                }
            }
            if prev == msize {
                break;
            }
        }
        // The field.
        let fstart = j + 1;
        let rest = lfmt.get(fstart..).unwrap_or("");
        let (field, fsize) = match profile.lookup_prefix(source, rest) {
            Ok(Some(found)) => found,
            Ok(None) => {
                return Err((
                    format!("invalid formatting token {rest}"),
                    at(fstart.min(len), len),
                ))
            }
            Err(e) => return Err((e.message, at(fstart.min(len), len))),
        };
        // Only the classes that defer to the base name parser check display-ability
        // (`evt.around` has its own parser and is accepted).
        let custom_parse =
            field.class.kind == ClassKind::SyscallEvent && field.field_name() == "evt.around";
        if field.flags().contains(FieldFlags::FILTER_ONLY) && !custom_parse {
            return Err((
                format!("{rest} is filter only and cannot be used as a display field"),
                at(fstart, fstart + fsize),
            ));
        }
        let fspan = at(fstart, fstart + fsize);
        j += fsize;
        fields.push(OutputField {
            name: lfmt[fstart..fstart + fsize].to_string(),
            transformed: false,
        });
        let mut operand = Operand {
            ty: field.ty,
            is_list: field.is_list(),
            kind: OperandKind::Field(field),
            span: fspan,
        };
        if !transformers.is_empty() {
            for (tr, start) in transformers.iter().rev() {
                operand =
                    apply_transformer(*tr, operand, at(*start, j + 2)).map_err(|m| (m, fspan))?;
                if j + 1 >= len || b[j + 1] != b')' {
                    return Err((
                        format!("missing closing transformer parenthesis: {}", &lfmt[j..]),
                        at(j, len),
                    ));
                }
                j += 1;
                msize += 1;
            }
            fields.push(OutputField {
                name: lfmt[tstart..tstart + fsize + msize].to_string(),
                transformed: true,
            });
        }
        pieces.push(OutputPiece::Field { operand, width });
        last = j + 1;
        j += 1;
    }
    if last < len {
        pieces.push(OutputPiece::Literal(lfmt[last..].to_string()));
    }
    Ok(CompiledOutput { pieces, fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(f: &str) -> Result<CompiledOutput, String> {
        compile_output(f, "syscall", &PluginProfile::all()).map_err(|e| e.message)
    }

    #[test]
    fn tokens() {
        let c = compile("user=%user.name gp=%proc.aname[2] %12proc.pid%proc.ppid)")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.field_names(),
            vec!["user.name", "proc.aname[2]", "proc.pid", "proc.ppid"]
        );
        assert_eq!(c.pieces.len(), 8);
        assert!(matches!(&c.pieces[5], OutputPiece::Field { width: 12, .. }));
        assert_eq!(c.pieces[7], OutputPiece::Literal(")".into()));
    }

    #[test]
    fn errors() {
        assert_eq!(
            compile("x %not_a_real_field y"),
            Err("invalid formatting token not_a_real_field y".into())
        );
        assert_eq!(
            compile("a %"),
            Err("invalid formatting syntax: formatting cannot end with a %".into())
        );
        assert_eq!(
            compile("a %12"),
            Err("invalid formatting syntax: formatting cannot end with a number".into())
        );
        assert_eq!(
            compile("100%% x"),
            Err("invalid formatting token % x".into())
        );
        assert_eq!(
            compile("ip=%fd.ip x"),
            Err("fd.ip x is filter only and cannot be used as a display field".into())
        );
        assert_eq!(
            compile("%tolower(proc.pid)"),
            Err(
                "can't add field transformer: type 'INT64' is not supported by 'tolower' \
                 transformer applied on field 'proc.pid'"
                    .into()
            )
        );
        assert_eq!(
            compile("%tolower(proc.name x"),
            Err("missing closing transformer parenthesis: e x".into())
        );
    }

    #[test]
    fn transformers() {
        let c = compile("%toupper(basename(proc.exepath)) %evt.around[1]")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.field_names(),
            vec![
                "proc.exepath",
                "toupper(basename(proc.exepath))",
                "evt.around[1]"
            ]
        );
    }

    #[test]
    fn rule_output() {
        let r = compile_rule_output(
            "shell (%container.info dir=%evt.dir)",
            "syscall",
            &PluginProfile::all(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.text, "shell ( dir=%evt.dir)");
        assert_eq!(r.warnings.len(), 2);
        assert_eq!(r.warnings[0].message, CONTAINER_INFO_MESSAGE);
        assert_eq!(
            r.warnings[1].message,
            "usage of deprecated field 'evt.dir' has been detected in the rule output"
        );
    }

    #[test]
    fn leading_star() {
        let c = compile("*%proc.name").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.pieces.len(), 1);
    }
}
