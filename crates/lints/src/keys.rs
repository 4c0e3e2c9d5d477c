//! FC008 `unknown-key` and FC009 `duplicate-key`.

use super::similar::distance;
use super::{is_update, Cx, Hit};
use falcoc_lang::rulefile::{Item, ItemKind, Mapping, Node};

/// Keys of a `list` item (rules-file.md §2.3).
const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];
/// Keys of a `macro` item (§2.4).
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
/// Keys of a `rule` item (§2.5).
const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "tags",
    "exceptions",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    "append",
    "override",
];
/// Keys of an exception (§6.1).
const EXCEPTION_KEYS: &[&str] = &["name", "fields", "comps", "values"];
/// Keys of a `required_plugin_versions` entry (§2.2).
const PLUGIN_KEYS: &[&str] = &["name", "version", "alternatives"];
/// Keys of a plugin alternative (§2.2).
const ALTERNATIVE_KEYS: &[&str] = &["name", "version"];

/// The keys Falco accepts on an item of `kind` (empty for unknown items).
pub(crate) fn item_keys(kind: ItemKind) -> &'static [&'static str] {
    match kind {
        ItemKind::List => LIST_KEYS,
        ItemKind::Macro => MACRO_KEYS,
        ItemKind::Rule => RULE_KEYS,
        ItemKind::RequiredEngineVersion => &["required_engine_version"],
        ItemKind::RequiredPluginVersions => &["required_plugin_versions"],
        ItemKind::Unknown => &[],
    }
}

/// The keys Falco accepts on an exception of a rule.
pub(crate) fn exception_keys() -> &'static [&'static str] {
    EXCEPTION_KEYS
}

/// The mappings of an item whose keys we check: (what, mapping, accepted keys).
fn mappings(item: &Item) -> Vec<(&'static str, &Mapping, &'static [&'static str])> {
    let mut v: Vec<(&'static str, &Mapping, &'static [&'static str])> = Vec::new();
    match item.kind {
        ItemKind::List => v.push(("list", &item.map, LIST_KEYS)),
        ItemKind::Macro => v.push(("macro", &item.map, MACRO_KEYS)),
        ItemKind::Rule => {
            v.push(("rule", &item.map, RULE_KEYS));
            if let Some(seq) = item.get("exceptions").and_then(Node::as_sequence) {
                for ex in &seq.items {
                    if let Some(m) = ex.as_mapping() {
                        v.push(("exception", m, EXCEPTION_KEYS));
                    }
                }
            }
        }
        ItemKind::RequiredEngineVersion => v.push((
            "required_engine_version item",
            &item.map,
            &["required_engine_version"],
        )),
        ItemKind::RequiredPluginVersions => {
            v.push((
                "required_plugin_versions item",
                &item.map,
                &["required_plugin_versions"],
            ));
            if let Some(seq) = item
                .get("required_plugin_versions")
                .and_then(Node::as_sequence)
            {
                for entry in &seq.items {
                    let Some(m) = entry.as_mapping() else {
                        continue;
                    };
                    v.push(("plugin requirement", m, PLUGIN_KEYS));
                    if let Some(alts) = m.get("alternatives").and_then(Node::as_sequence) {
                        for a in alts.items.iter().filter_map(Node::as_mapping) {
                            v.push(("plugin alternative", a, ALTERNATIVE_KEYS));
                        }
                    }
                }
            }
        }
        ItemKind::Unknown => {}
    }
    v
}

pub(crate) fn fc008(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    for (fi, item) in cx.items() {
        let update = is_update(item);
        for (what, map, accepted) in mappings(item) {
            for e in &map.entries {
                let Some(key) = e.key.as_str() else { continue };
                if accepted.contains(&key) {
                    continue;
                }
                let mut hit = Hit::new(
                    fi,
                    e.key.span(),
                    format!("unknown key `{key}` on {}", article(what)),
                );
                if let Some(s) = closest(key, accepted) {
                    hit = hit.note(format!("did you mean `{s}`?"));
                }
                hit = hit.note(
                    "Falco 0.42 ignores unknown keys silently (0.44 warns LOAD_UNKNOWN_KEY), so this key has no effect",
                );
                if update && what != "exception" {
                    hit = hit.note(format!(
                        "this item changes an existing {what}; a misspelt key means the intended change is lost"
                    ));
                }
                out.push(hit);
            }
        }
    }
}

fn article(what: &str) -> String {
    let vowel = what.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {what}", if vowel { "an" } else { "a" })
}

/// The accepted key closest to `key` (distance ≤ 2, or ≤ 1 for short keys).
fn closest(key: &str, accepted: &[&'static str]) -> Option<&'static str> {
    let max = if key.chars().count() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &'static str)> = None;
    for a in accepted {
        if let Some(d) = distance(key, a, max) {
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, a));
            }
        }
    }
    best.map(|(_, a)| a)
}

pub(crate) fn fc009(cx: &Cx<'_>, out: &mut Vec<Hit>) {
    for (fi, item) in cx.items() {
        let mut maps: Vec<(&'static str, &Mapping)> =
            mappings(item).into_iter().map(|(w, m, _)| (w, m)).collect();
        if item.kind == ItemKind::Unknown {
            maps.push(("item", &item.map));
        }
        if let Some(m) = item.get("override").and_then(Node::as_mapping) {
            maps.push(("override", m));
        }
        for (what, map) in maps {
            for (first, dup) in map.duplicates() {
                let key = dup.key.as_str().unwrap_or_default();
                let first_span = first.key.span();
                out.push(
                    Hit::new(
                        fi,
                        dup.key.span(),
                        format!("duplicate key `{key}` in {}", article(what)),
                    )
                    .note(format!(
                        "Falco reads only the first `{key}:` ({}); this one is ignored",
                        cx.pos(fi, first_span.start)
                    ))
                    .secondary(fi, first_span, "Falco reads this one"),
                );
            }
        }
    }
}
