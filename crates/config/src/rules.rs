//! What decides which rules run and what their alerts hold: `rules` (enable/disable
//! selections), `rule_matching` and `append_output`.

use super::*;

/// `rule_matching`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// `first`: only the first matching rule (in load order) alerts.
    #[default]
    First,
    /// `all`: every matching rule alerts.
    All,
}

impl<'de> Deserialize<'de> for RuleMatching {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "first" => Ok(RuleMatching::First),
            "all" => Ok(RuleMatching::All),
            _ => Err(serde::de::Error::custom(format!(
                "Unknown rule matching strategy \"{s}\"--must be one of first, all"
            ))),
        }
    }
}

/// Whether a rule selection enables or disables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionOp {
    /// `- enable: ...`
    Enable,
    /// `- disable: ...`
    Disable,
}

/// One entry of `rules`: `- enable: {rule: NAME}` / `- disable: {tag: TAG}` (names may
/// use `*` wildcards; rules-file.md §12).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSelection")]
pub struct RuleSelection {
    /// Enable or disable.
    pub op: SelectionOp,
    /// `rule` pattern, if given.
    pub rule: Option<String>,
    /// `tag` pattern, if given.
    pub tag: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSelection {
    enable: Option<Able>,
    disable: Option<Able>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Able {
    rule: Option<String>,
    tag: Option<String>,
}

impl TryFrom<RawSelection> for RuleSelection {
    type Error = String;

    fn try_from(raw: RawSelection) -> Result<RuleSelection, String> {
        // Falco reads `enable` first.
        let (op, able) = match (raw.enable, raw.disable) {
            (Some(a), _) => (SelectionOp::Enable, a),
            (None, Some(a)) => (SelectionOp::Disable, a),
            (None, None) => {
                return Err(
                    "a rule selection needs `enable:` or `disable:` with a `rule` or a `tag`"
                        .into(),
                )
            }
        };
        let rule = able.rule.filter(|s| !s.is_empty());
        let tag = able.tag.filter(|s| !s.is_empty());
        if rule.is_none() && tag.is_none() {
            return Err("a rule selection needs a non-empty `rule` or `tag`".into());
        }
        Ok(RuleSelection { op, rule, tag })
    }
}

/// `append_output[].match`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct AppendMatch {
    /// `source` (empty: all).
    pub source: Option<String>,
    /// `tags`: all must be on the rule.
    pub tags: Vec<String>,
    /// `rule` (empty: all).
    pub rule: Option<String>,
}

/// One entry of `append_output[].extra_fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtraField {
    /// A plain field name (`proc.pid`): the typed value under that key.
    Raw(String),
    /// `{key: "<format>"}`: the rendered format string under `key`.
    Formatted {
        /// The output field key.
        key: String,
        /// The format.
        format: String,
    },
}

impl<'de> Deserialize<'de> for ExtraField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::String(s) => Ok(ExtraField::Raw(s)),
            serde_json::Value::Number(n) => Ok(ExtraField::Raw(n.to_string())),
            serde_json::Value::Object(m) if m.len() == 1 => {
                let (k, v) = m
                    .into_iter()
                    .next()
                    .ok_or_else(|| serde::de::Error::custom("an extra field must have one key"))?;
                let format = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                Ok(ExtraField::Formatted { key: k, format })
            }
            _ => Err(serde::de::Error::custom(
                "an extra field is a field name or a one-entry mapping `{key: \"<format>\"}`",
            )),
        }
    }
}

impl ExtraField {
    /// The output field key.
    pub fn key(&self) -> &str {
        match self {
            ExtraField::Raw(k) => k,
            ExtraField::Formatted { key, .. } => key,
        }
    }
}

/// One entry of `append_output` (outputs.md §9, §10).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct AppendOutput {
    /// `match`.
    #[serde(rename = "match")]
    pub match_: AppendMatch,
    /// `extra_output`: appended to matching outputs with a space.
    pub extra_output: Option<String>,
    /// `extra_fields`: added to `output_fields` only.
    pub extra_fields: Vec<ExtraField>,
    /// `suggested_output` (false): add the fields plugins suggest.
    pub suggested_output: bool,
}
