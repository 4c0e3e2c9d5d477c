//! Every rule file (and multi-file combination) of `../shared/golden/validate` loads with
//! the errors and warnings real Falco 0.42.1 gave it: the same codes on the same items.

use falcoc_compiler::fields::PluginProfile;
use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_compiler::result::FileResult;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.is_dir().then_some(p)
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn profile(name: &str) -> PluginProfile {
    match name {
        "container" => PluginProfile::container_only(),
        "all" => PluginProfile::all(),
        other => {
            let variant = other.strip_prefix("all-").unwrap_or("k8saudit");
            let names = [
                "container",
                variant,
                "cloudtrail",
                "gcpaudit",
                "github",
                "okta",
                "json",
                "dummy",
                "dummy_c",
                "dummy_rs",
            ];
            PluginProfile::from_names(&names).unwrap_or_else(|_| PluginProfile::all())
        }
    }
}

/// (code, item type, item name) of each message, sorted, per kind.
type Key = (String, String, String);

fn golden_keys(list: &Value) -> Vec<Key> {
    let mut v: Vec<Key> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let loc = &m["context"]["locations"][1];
            (
                m["code"].as_str().unwrap_or("").to_string(),
                loc["item_type"].as_str().unwrap_or("").to_string(),
                loc["item_name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn our_keys(r: &FileResult, errors: bool) -> Vec<Key> {
    let list = if errors { &r.errors } else { &r.warnings };
    let mut v: Vec<Key> = list
        .iter()
        .map(|m| {
            let loc = m.locations.get(1);
            (
                m.code.as_str().to_string(),
                loc.map(|l| l.item_type.clone()).unwrap_or_default(),
                loc.map(|l| l.item_name.clone()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Loads a `{"$ref": "describe/<sha>.json.gz"}` describe document.
fn describe_doc(shared: &Path, r: &Value) -> Value {
    use std::io::Read;
    let Some(rel) = r["$ref"].as_str() else {
        return Value::Null;
    };
    let Ok(f) = std::fs::File::open(shared.join("golden").join(rel)) else {
        return Value::Null;
    };
    let mut text = String::new();
    if flate2::read::GzDecoder::new(f)
        .read_to_string(&mut text)
        .is_err()
    {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

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
            profile: profile(doc["profile"].as_str().unwrap_or("all")),
            mode: Mode::Falco,
            ..LoadOptions::default()
        };
        let loaded = load(&inputs, &opts);
        let Some(results) = doc["json_mode"]["result"]["falco_load_results"].as_array() else {
            // Falco printed no JSON: a fatal error outside the load results.
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
                let got = our_keys(ours, errors);
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
