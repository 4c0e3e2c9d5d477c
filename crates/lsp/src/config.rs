//! Which files make the rule set, and in which order: the client's `initializationOptions`
//! (`rulesFiles`), else the `rules_files` of a `falco.yaml` (named by `falcoConfig`, or at
//! the workspace root). Without either, every open file is a rule set of its own.

use falcoc_lang::rulefile::{parse_yaml, Node};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The server's settings, as the client sends them in `initializationOptions` (all
/// optional):
///
/// ```json
/// { "rulesFiles": ["/etc/falco/falco_rules.yaml", "rules.d"],
///   "falcoConfig": "/etc/falco/falco.yaml",
///   "plugins": "auto" }
/// ```
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// The rule files in load order (a directory stands for its `.yaml`/`.yml` files in
    /// name order, as Falco reads it); relative paths are relative to the workspace root.
    pub rules_files: Option<Vec<String>>,
    /// A `falco.yaml` whose `rules_files` give the set when `rulesFiles` is not set.
    pub falco_config: Option<String>,
    /// The plugins whose fields are known, as `falcoc lint --plugins` takes them:
    /// `auto` (default), `all`, `container`, `none` or a comma-separated list.
    pub plugins: Option<String>,
}

impl Settings {
    /// Reads the settings from `initializationOptions` (unknown keys are ignored; a
    /// malformed value gives the defaults and a message for the client's log).
    pub fn from_json(value: Option<&serde_json::Value>) -> (Settings, Option<String>) {
        match value {
            None | Some(serde_json::Value::Null) => (Settings::default(), None),
            Some(v) => match Settings::deserialize(v) {
                Ok(s) => (s, None),
                Err(e) => (
                    Settings::default(),
                    Some(format!("falcoc lsp: ignoring initializationOptions: {e}")),
                ),
            },
        }
    }

    /// The plugin specification (`auto` when not set).
    pub fn plugins(&self) -> &str {
        self.plugins.as_deref().unwrap_or("auto")
    }

    /// The configured rule files in load order (empty: no configured set), with messages
    /// about what could not be read.
    pub fn rule_files(&self, root: Option<&Path>) -> (Vec<PathBuf>, Vec<String>) {
        let mut notes = Vec::new();
        let absolute = |p: &str, base: Option<&Path>| -> PathBuf {
            let p = Path::new(p);
            match base {
                Some(b) if p.is_relative() => b.join(p),
                _ => p.to_path_buf(),
            }
        };
        let (entries, base): (Vec<String>, Option<PathBuf>) = if let Some(files) = &self.rules_files
        {
            (files.clone(), root.map(Path::to_path_buf))
        } else {
            let config = match (&self.falco_config, root) {
                (Some(c), _) => Some(absolute(c, root)),
                (None, Some(r)) if r.join("falco.yaml").is_file() => Some(r.join("falco.yaml")),
                _ => None,
            };
            let Some(config) = config else {
                return (Vec::new(), notes);
            };
            match std::fs::read_to_string(&config) {
                Ok(text) => match falco_yaml_rules_files(&text) {
                    Ok(files) => (files, config.parent().map(Path::to_path_buf)),
                    Err(e) => {
                        notes.push(format!("{}: {e}", config.display()));
                        return (Vec::new(), notes);
                    }
                },
                Err(e) => {
                    notes.push(format!("cannot read {}: {e}", config.display()));
                    return (Vec::new(), notes);
                }
            }
        };
        let mut files = Vec::new();
        for e in entries {
            let p = absolute(&e, base.as_deref());
            if p.is_dir() {
                match std::fs::read_dir(&p) {
                    Ok(dir) => {
                        let mut inside: Vec<PathBuf> = dir
                            .filter_map(|d| d.ok().map(|d| d.path()))
                            .filter(|f| {
                                f.is_file()
                                    && f.extension().is_some_and(|x| x == "yaml" || x == "yml")
                            })
                            .collect();
                        inside.sort();
                        files.extend(inside);
                    }
                    Err(err) => notes.push(format!("cannot read {}: {err}", p.display())),
                }
            } else {
                files.push(p);
            }
        }
        (files, notes)
    }
}

/// The `rules_files` (or the older `rules_file`) entries of a `falco.yaml` text.
pub fn falco_yaml_rules_files(text: &str) -> Result<Vec<String>, String> {
    let (docs, error) = parse_yaml(text);
    if let Some(e) = error {
        return Err(e.message);
    }
    let Some(map) = docs.first().and_then(Node::as_mapping) else {
        return Ok(Vec::new());
    };
    let Some(node) = map.get("rules_files").or_else(|| map.get("rules_file")) else {
        return Ok(Vec::new());
    };
    Ok(match node {
        Node::Scalar(s) => vec![s.value().to_string()],
        Node::Sequence(seq) => seq
            .items
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        _ => return Err("`rules_files` is not a list of paths".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_yaml_lists_rule_files_in_order() {
        let text = "rules_files:\n  - /etc/falco/falco_rules.yaml\n  - local.yaml\nfoo: 1\n";
        assert_eq!(
            falco_yaml_rules_files(text).unwrap(),
            ["/etc/falco/falco_rules.yaml", "local.yaml"]
        );
        assert_eq!(
            falco_yaml_rules_files("rules_file: a.yaml").unwrap(),
            ["a.yaml"]
        );
        assert!(falco_yaml_rules_files("rules_files: {a: 1}").is_err());
        assert!(falco_yaml_rules_files("[").is_err());
    }

    #[test]
    fn settings_from_initialization_options() {
        let v = serde_json::json!({"rulesFiles": ["a.yaml"], "plugins": "all", "other": 1});
        let (s, note) = Settings::from_json(Some(&v));
        assert_eq!(note, None);
        assert_eq!(s.rules_files.as_deref(), Some(&["a.yaml".to_string()][..]));
        assert_eq!(s.plugins(), "all");
        let (s, note) = Settings::from_json(Some(&serde_json::json!({"rulesFiles": 3})));
        assert_eq!(s, Settings::default());
        assert!(note.is_some());
    }
}
