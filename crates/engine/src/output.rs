//! A rule's alert output, compiled once when the engine is built: the rule `output` with
//! the matching `append_output` formats appended (outputs.md §10), its text pieces, the
//! keys of `output_fields`, and the `append_output` extra fields.

use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::ir::Operand;
use falcoc_compiler::output::{compile_output, compile_rule_output, CompiledOutput, OutputPiece};
use falcoc_schema::fields::{FieldFlags, PluginProfile, ResolvedField};
use serde_json::Value;

use super::EventFields;
use falcoc_config::{AppendOutput, ExtraField};

/// The text Falco renders for a missing value.
pub const NA: &str = "<NA>";

/// A compiled rule output, ready to render for an event.
#[derive(Debug, Clone)]
pub(crate) struct RuleFormat {
    /// The full output text after appending (what `falco -L` shows as `output`).
    pub text: String,
    pieces: Vec<OutputPiece>,
    /// `output_fields` keys of the tokens and the field whose typed value goes there.
    keys: Vec<(String, ResolvedField)>,
    /// `append_output` extra fields.
    extra: Vec<(String, Extra)>,
}

#[derive(Debug, Clone)]
enum Extra {
    /// A field name: its typed JSON value.
    Raw(Option<ResolvedField>),
    /// A format: the rendered text.
    Formatted(Vec<OutputPiece>),
}

/// Whether an `append_output` entry applies to `rule` (Falco's `rule_loader_compiler`:
/// empty source and rule match all, every tag must be on the rule).
fn entry_matches(entry: &AppendOutput, rule: &CompiledRule) -> bool {
    let m = &entry.match_;
    if m.source
        .as_deref()
        .is_some_and(|s| !s.is_empty() && s != rule.source)
    {
        return false;
    }
    if m.rule
        .as_deref()
        .is_some_and(|r| !r.is_empty() && r != rule.name)
    {
        return false;
    }
    m.tags.iter().all(|t| rule.tags.contains(t))
}

/// The formats `suggested_output` adds for `source`: `name_with_underscores=%name` for
/// every field a loaded plugin marks as suggested, in plugin and field order
/// (Falco's `add_suggested_output`).
pub(crate) fn suggested_formats(profile: &PluginProfile, source: &str) -> Vec<String> {
    let mut v = Vec::new();
    for class in profile.classes(source).unwrap_or_default() {
        for f in &class.fields {
            if f.flags.contains(FieldFlags::FORMAT_SUGGESTED) {
                v.push(format!("{}=%{}", f.name.replace('.', "_"), f.name));
            }
        }
    }
    v
}

impl RuleFormat {
    /// Compiles the output of `rule` with the `append_output` entries that match it.
    /// Errors are Falco's `LOAD_ERR_COMPILE_OUTPUT` messages.
    pub fn new(
        rule: &CompiledRule,
        append: &[AppendOutput],
        profile: &PluginProfile,
    ) -> Result<RuleFormat, String> {
        let mut formats = Vec::new();
        let mut extra_fields: Vec<&ExtraField> = Vec::new();
        for entry in append.iter().filter(|e| entry_matches(e, rule)) {
            if let Some(f) = entry.extra_output.as_deref().filter(|f| !f.is_empty()) {
                formats.push(f.to_string());
            }
            if entry.suggested_output {
                formats.extend(suggested_formats(profile, &rule.source));
            }
            extra_fields.extend(entry.extra_fields.iter());
        }
        let (text, compiled) = if formats.is_empty() {
            (rule.output.text.clone(), rule.output.compiled.clone())
        } else {
            let mut text = rule.output.text.clone();
            for f in &formats {
                text.push(' ');
                text.push_str(f);
            }
            let out = compile_rule_output(&text, &rule.source, profile).map_err(|e| e.message)?;
            (out.text, out.compiled)
        };
        let keys = output_keys(&compiled);
        let mut extra: Vec<(String, Extra)> = Vec::new();
        for ef in extra_fields {
            let (key, value) = match ef {
                ExtraField::Raw(name) => {
                    let c = compile_output(&format!("%{name}"), &rule.source, profile)
                        .map_err(|e| e.message)?;
                    let field = c.pieces.iter().find_map(|p| match p {
                        OutputPiece::Field { operand, .. } => operand.base_field().cloned(),
                        OutputPiece::Literal(_) => None,
                    });
                    (name.clone(), Extra::Raw(field))
                }
                ExtraField::Formatted { key, format } => {
                    let c = compile_output(format, &rule.source, profile).map_err(|e| e.message)?;
                    (key.clone(), Extra::Formatted(c.pieces))
                }
            };
            // Falco keeps extra fields in a map: a later entry replaces an earlier one.
            extra.retain(|(k, _)| *k != key);
            extra.push((key, value));
        }
        Ok(RuleFormat {
            text,
            pieces: compiled.pieces,
            keys,
            extra,
        })
    }

    /// Every field the output and its extra fields read.
    pub fn fields_used(&self) -> impl Iterator<Item = &ResolvedField> + '_ {
        let pieces = self
            .pieces
            .iter()
            .chain(self.extra.iter().flat_map(|(_, e)| match e {
                Extra::Formatted(p) => p.iter(),
                Extra::Raw(_) => [].iter(),
            }));
        let tokens = pieces.filter_map(|p| match p {
            OutputPiece::Field { operand, .. } => operand.base_field(),
            OutputPiece::Literal(_) => None,
        });
        let raw = self.extra.iter().filter_map(|(_, e)| match e {
            Extra::Raw(f) => f.as_ref(),
            Extra::Formatted(_) => None,
        });
        tokens.chain(raw)
    }

    /// The rendered message (rule output without the time/priority prefix).
    pub fn message<S: EventFields + ?Sized>(&self, src: &mut S) -> String {
        render(&self.pieces, src)
    }

    /// The `output_fields` entries: every token's untransformed field with its typed
    /// value (`null` when missing), then the extra fields.
    pub fn fields<S: EventFields + ?Sized>(&self, src: &mut S) -> Vec<(String, Value)> {
        let mut out = Vec::with_capacity(self.keys.len() + self.extra.len());
        for (k, f) in &self.keys {
            out.push((k.clone(), src.json_field(f)));
        }
        for (k, e) in &self.extra {
            let v = match e {
                Extra::Raw(Some(f)) => src.json_field(f),
                Extra::Raw(None) => Value::Null,
                Extra::Formatted(p) => Value::String(render(p, src)),
            };
            out.push((k.clone(), v));
        }
        out
    }
}

/// The `output_fields` keys of a compiled format: for each token, the untransformed key
/// (transformed keys are left out, as Falco 0.42.1 does), with the field it names.
fn output_keys(c: &CompiledOutput) -> Vec<(String, ResolvedField)> {
    let mut names = c.fields.iter().filter(|f| !f.transformed);
    let mut keys = Vec::new();
    for p in &c.pieces {
        let OutputPiece::Field { operand, .. } = p else {
            continue;
        };
        let Some(name) = names.next() else {
            break;
        };
        if let Some(f) = operand.base_field() {
            keys.push((name.name.clone(), f.clone()));
        }
    }
    keys
}

/// Renders format pieces: literal text, each field's display text (`<NA>` when missing),
/// padded with blanks or cut to the token's width (in bytes, as libsinsp does).
pub(crate) fn render<S: EventFields + ?Sized>(pieces: &[OutputPiece], src: &mut S) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            OutputPiece::Literal(s) => out.push_str(s),
            OutputPiece::Field { operand, width } => {
                let v = display(src, operand);
                let w = *width as usize;
                if w == 0 {
                    out.push_str(&v);
                } else if v.len() <= w {
                    out.push_str(&v);
                    out.extend(std::iter::repeat_n(' ', w - v.len()));
                } else {
                    let mut b = v.into_bytes();
                    b.truncate(w);
                    out.push_str(&String::from_utf8_lossy(&b));
                }
            }
        }
    }
    out
}

fn display<S: EventFields + ?Sized>(src: &mut S, op: &Operand) -> String {
    src.display_operand(op).unwrap_or_else(|| NA.to_string())
}
