//! The loader cases of `../shared/corpus/loader-cases`: every case's inputs load with the
//! errors and warnings Falco 0.42.1 gave them (`../shared/golden/loader-cases`), and the
//! compiled conditions the cases assert come out exactly.

use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_schema::fields::PluginProfile;
mod common;

use common::{describe_doc, golden_keys, json_files, our_keys, shared};
use serde_json::Value;
use std::path::Path;

/// Cases where falcoc deliberately follows Falco 0.44 instead of 0.42.1: operators with
/// modifiers (`startswith oneof`) in exception `comps`, accepted like the modifiers in
/// conditions (docs/compat.md). Falco 0.42.1 rejects them; the cases' own expectations
/// (Falco 0.44 engine tests) accept them, which `engine_steps.rs` checks.
const FOLLOWS_FALCO_0_44: &[&str] = &[
    "falco-engine/test_rule_loader/exceptions_modifier_op_all_three_modifiers",
    "falco-engine/test_rule_loader/exceptions_modifier_op_comp_whitespace_normalized",
    "falco-engine/test_rule_loader/exceptions_modifier_op_endswith_anyof",
    "falco-engine/test_rule_loader/exceptions_modifier_op_eq_oneof",
    "falco-engine/test_rule_loader/exceptions_modifier_op_icontains_oneof",
    "falco-engine/test_rule_loader/exceptions_modifier_op_scalar_value_parenthesised",
];

fn profile(plugins: &Value) -> PluginProfile {
    let names: Vec<&str> = plugins
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .map(|p| p.split('@').next().unwrap_or(p))
        .collect();
    if names.is_empty() {
        return PluginProfile::none();
    }
    PluginProfile::from_names(&names).unwrap_or_else(|_| PluginProfile::all())
}

#[test]
fn loader_cases_match_falco() {
    let Some(shared) = shared() else {
        eprintln!("note: ../shared not found; skipped");
        return;
    };
    let root = shared.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = Vec::new();
    json_files(&shared.join("golden/loader-cases"), &mut files);
    files.sort();
    let (mut checked, mut compiled_checked) = (0, 0);
    let mut failures = Vec::new();
    for f in files {
        let Ok(doc) = std::fs::read_to_string(&f).map(|t| serde_json::from_str::<Value>(&t)) else {
            continue;
        };
        let Ok(doc) = doc else { continue };
        let Some(results) = doc["validate_json"]["result"]["falco_load_results"].as_array() else {
            continue;
        };
        let names: Vec<String> = doc["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if names.is_empty() {
            continue;
        }
        let contents: Vec<Vec<u8>> = names
            .iter()
            .map(|n| std::fs::read(root.join(n)).unwrap_or_default())
            .collect();
        let inputs: Vec<Input> = names
            .iter()
            .zip(&contents)
            .map(|(n, b)| Input { name: n, bytes: b })
            .collect();
        let loaded_plugins: Vec<(String, String)> = doc["plugins_loaded"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
            .map(|p| match p.split_once('@') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                // Without a version: the plugin Falco loaded, whose table we carry.
                None => (
                    p.to_string(),
                    falcoc_schema::fields::plugin(p)
                        .map_or("0.0.0", |x| x.version)
                        .to_string(),
                ),
            })
            .collect();
        let opts = LoadOptions {
            profile: profile(&doc["plugins_loaded"]),
            mode: Mode::Falco,
            loaded_plugins: Some(loaded_plugins),
            ..LoadOptions::default()
        };
        let loaded = load(&inputs, &opts);
        checked += 1;
        let case = doc["case"].as_str().unwrap_or("?");
        if FOLLOWS_FALCO_0_44.contains(&case) {
            continue;
        }
        for (i, g) in results.iter().enumerate() {
            let Some(ours) = loaded.results.get(i) else {
                continue;
            };
            let (we, ww) = (golden_keys(&g["errors"]), golden_keys(&g["warnings"]));
            let (oe, ow) = (our_keys(&ours.errors), our_keys(&ours.warnings));
            if we != oe || ww != ow {
                let msg = ours
                    .errors
                    .first()
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                let gmsg = g["errors"][0]["message"].as_str().unwrap_or("");
                failures.push(format!(
                    "{case} file {i}: errors want {we:?} got {oe:?}; warnings want {ww:?} got {ow:?}; ours: {msg:?}; falco: {gmsg:?}"
                ));
            }
        }
        // Compiled conditions as Falco's describe printed them.
        let describe = describe_doc(&shared, &doc["describe"]["falco_describe_results"]);
        if let Some(rules) = describe["rules"].as_array() {
            for r in rules {
                let name = r["info"]["name"].as_str().unwrap_or("");
                let Some(want) = r["details"]["condition_compiled"].as_str() else {
                    continue;
                };
                compiled_checked += 1;
                match loaded.rules.iter().find(|x| x.name == name) {
                    Some(x) if x.compiled_condition == want => {}
                    Some(x) => failures.push(format!(
                        "{case} rule {name}: compiled {:?}, want {want:?}",
                        x.compiled_condition
                    )),
                    None => failures.push(format!("{case} rule {name}: not compiled")),
                }
            }
        }
    }
    eprintln!(
        "loader cases: {checked} validated, {compiled_checked} compiled conditions, {} differences",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
