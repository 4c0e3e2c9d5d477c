//! Helpers shared by the golden tests: where `../shared` is, walking folders, reading
//! Falco's describe documents, and comparing load results by (code, item type, item name).

#![allow(dead_code)]

use falcoc_compiler::result::LoadMessage;
use falcoc_schema::fields::PluginProfile;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `../shared` beside the checkout, when present.
pub fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    p.is_dir().then_some(p)
}

/// Every `.json` file below `dir`.
pub fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
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

/// Loads a `{"$ref": "describe/<sha>.json.gz"}` describe document.
pub fn describe_doc(shared: &Path, r: &Value) -> Value {
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

/// What identifies a message: code, and the type and name of the item it is about.
pub type Key = (String, String, String);

/// Keys of Falco's JSON messages, sorted.
pub fn golden_keys(list: &Value) -> Vec<Key> {
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

/// Keys of our messages, sorted.
pub fn our_keys(list: &[LoadMessage]) -> Vec<Key> {
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

/// The plugins of a golden validation's `profile` (`all`, `container`, or `all-<k8saudit
/// variant>`).
pub fn golden_profile(name: &str) -> PluginProfile {
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
