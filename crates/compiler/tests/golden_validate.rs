//! Every rule file (and multi-file combination) of `../shared/golden/validate` loads with
//! the errors and warnings real Falco 0.42.1 gave it: the same codes on the same items.

use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
mod common;

use common::{describe_doc, golden_keys, golden_profile, json_files, our_keys, shared, Key};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn run_profile(dir: &str) -> (usize, Vec<String>) {
    let Some(shared) = shared() else {
        eprintln!("note: ../shared not found; skipped");
        return (0, Vec::new());
    };
    let root = shared.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = Vec::new();
    json_files(&shared.join("golden/validate").join(dir), &mut files);
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let names: Vec<String> = doc["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let contents: Vec<Vec<u8>> = names
            .iter()
            .map(|n| std::fs::read(root.join(n)).unwrap_or_default())
            .collect();
        let inputs: Vec<Input> = names
            .iter()
            .zip(&contents)
            .map(|(n, b)| Input { name: n, bytes: b })
            .collect();
        let opts = LoadOptions {
            profile: golden_profile(doc["profile"].as_str().unwrap_or("all")),
            mode: Mode::Falco,
            ..LoadOptions::default()
        };
        let loaded = load(&inputs, &opts);
        let Some(results) = doc["json_mode"]["result"]["falco_load_results"].as_array() else {
            // Falco printed no JSON: a fatal error outside the load results. The one we
            // model is the plugin requirement check.
            let stderr = doc["json_mode"]["stderr"].as_str().unwrap_or("");
            if let Some(at) = stderr.find("Plugin requirement not satisfied") {
                checked += 1;
                let want = stderr[at..].lines().next().unwrap_or("");
                let ours: Vec<&str> = loaded
                    .results
                    .iter()
                    .flat_map(|r| r.errors.iter().map(|e| e.message.as_str()))
                    .collect();
                if !ours.contains(&want) {
                    failures.push(format!("{}: want {want:?}, got {ours:?}", f.display()));
                }
            }
            continue;
        };
        checked += 1;
        let describe = describe_doc(&shared, &doc["describe"]["falco_describe_results"]);
        for r in describe["rules"].as_array().into_iter().flatten() {
            let name = r["info"]["name"].as_str().unwrap_or("");
            let Some(want) = r["details"]["condition_compiled"].as_str() else {
                continue;
            };
            match loaded.rules.iter().find(|x| x.name == name) {
                Some(x) if x.compiled_condition == want => {}
                Some(x) => failures.push(format!(
                    "{}: rule {name}: compiled {:?}, want {want:?}",
                    f.display(),
                    x.compiled_condition
                )),
                None => failures.push(format!("{}: rule {name} not compiled", f.display())),
            }
        }
        for (i, g) in results.iter().enumerate() {
            let Some(ours) = loaded.results.get(i) else {
                failures.push(format!("{}: no result for file {i}", f.display()));
                continue;
            };
            for (kind, errors) in [("errors", true), ("warnings", false)] {
                let want = golden_keys(&g[kind]);
                let got = our_keys(if errors { &ours.errors } else { &ours.warnings });
                if want != got {
                    let mut wc: BTreeMap<&Key, i32> = BTreeMap::new();
                    for k in &want {
                        *wc.entry(k).or_default() += 1;
                    }
                    for k in &got {
                        *wc.entry(k).or_default() -= 1;
                    }
                    let diff: Vec<String> = wc
                        .iter()
                        .filter(|(_, n)| **n != 0)
                        .take(6)
                        .map(|(k, n)| {
                            format!("{}{:?}", if *n > 0 { "missing " } else { "extra " }, k)
                        })
                        .collect();
                    let first_err = ours
                        .errors
                        .first()
                        .map(|e| e.message.clone())
                        .unwrap_or_default();
                    failures.push(format!(
                        "{} [{}] {kind}: {} (ours first error: {first_err})",
                        f.strip_prefix(&shared).unwrap_or(&f).display(),
                        g["name"].as_str().unwrap_or(""),
                        diff.join("; ")
                    ));
                }
            }
        }
    }
    (checked, failures)
}

#[test]
fn golden_validate_all_plugins() {
    let (n, failures) = run_profile("plugins-all");
    eprintln!(
        "plugins-all: {n} validations, {} differences",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_validate_container_only() {
    let (n, failures) = run_profile("plugins-container-only");
    eprintln!(
        "plugins-container-only: {n} validations, {} differences",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
