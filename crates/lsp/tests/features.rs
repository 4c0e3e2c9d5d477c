//! The server's features through its message handler: the rule set from a `falco.yaml`,
//! quick fixes for every "did you mean" lint, lone files.

use falcoc_lsp::server::Server;
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::path::Path;

fn uri_of(p: &Path) -> String {
    falcoc_lsp::uri::from_path(p).unwrap().as_str().to_string()
}

fn server(root: Option<&Path>, options: Value) -> Server {
    let params: lsp_types::InitializeParams = serde_json::from_value(json!({
        "processId": null, "rootUri": root.map(uri_of), "capabilities": {},
        "initializationOptions": options,
    }))
    .unwrap();
    Server::new(&params)
}

fn published(out: &[Message], uri: &str) -> Option<Vec<Value>> {
    out.iter().rev().find_map(|m| match m {
        Message::Notification(n)
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri =>
        {
            Some(
                n.params["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        _ => None,
    })
}

fn open(s: &mut Server, uri: &str, text: &str) -> Vec<Message> {
    let mut out = s.handle(Message::Notification(Notification::new(
        "textDocument/didOpen".to_string(),
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    )));
    out.extend(s.flush());
    out
}

fn result(s: &mut Server, method: &str, params: Value) -> Value {
    let out = s.handle(Message::Request(Request::new(
        RequestId::from(7),
        method.to_string(),
        params,
    )));
    let r = out
        .iter()
        .find_map(|m| match m {
            Message::Response(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    match r.response_result {
        Ok(v) => v,
        Err(e) => panic!("{method}: {e:?}"),
    }
}

fn pos(text: &str, needle: &str, delta: usize) -> Value {
    let at = text.find(needle).unwrap() + delta;
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": text[start..at].encode_utf16().count()})
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("falcoc-lsp-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn falco_yaml_names_the_rule_set_in_order() {
    let dir = temp_dir("falco-yaml");
    std::fs::create_dir_all(dir.join("rules.d")).unwrap();
    let a = "- macro: base_macro\n  condition: evt.type = open\n";
    let b = "- rule: Uses base\n  desc: d\n  condition: base_macro and proc.name = cat\n  \
             output: \"o %proc.name\"\n  priority: INFO\n";
    std::fs::write(dir.join("a.yaml"), a).unwrap();
    std::fs::write(dir.join("rules.d/b.yaml"), b).unwrap();
    std::fs::write(
        dir.join("falco.yaml"),
        "rules_files:\n  - a.yaml\n  - rules.d\nstdout_output:\n  enabled: true\n",
    )
    .unwrap();
    let mut s = server(Some(&dir), Value::Null);
    let at_start = s.flush();
    let (ua, ub) = (
        uri_of(&dir.join("a.yaml")),
        uri_of(&dir.join("rules.d/b.yaml")),
    );
    // Both files, not open, read from disk, loaded in order: the macro is defined for b
    // (after a.yaml alone it is unused, as Falco and `falcoc lint` report).
    let codes: Vec<Value> = published(&at_start, &ua)
        .unwrap()
        .iter()
        .map(|d| d["code"].clone())
        .collect();
    assert_eq!(codes, [json!("LOAD_UNUSED_MACRO")]);
    assert_eq!(published(&at_start, &ub), Some(Vec::new()));
    let out = open(&mut s, &ub, b);
    assert_eq!(published(&out, &ub), Some(Vec::new()));
    let d = result(
        &mut s,
        "textDocument/definition",
        json!({"textDocument": {"uri": ub}, "position": pos(b, "base_macro", 2)}),
    );
    assert_eq!(d[0]["uri"], ua);
    assert_eq!(
        d[0]["range"],
        json!({"start": {"line": 0, "character": 9}, "end": {"line": 0, "character": 19}})
    );
    // Removing the macro from a.yaml (open in the editor) breaks b.yaml.
    let out = open(&mut s, &ua, "- list: other\n  items: []\n");
    let errors = published(&out, &ub).unwrap();
    assert!(
        errors.iter().any(|d| d["code"] == "LOAD_ERR_VALIDATE"
            && d["message"].as_str().unwrap().contains("base_macro")),
        "{errors:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quick_fixes_for_every_did_you_mean_lint() {
    let text = "- list: shell_binaries\n  items: [bash, sh]\n\n\
                - macro: spawned_process\n  condition: evt.type = execve\n\n\
                - rule: Typos\n  desc: d\n  \
                condition: spawnd_process and proc.nme in (shell_binarie)\n  \
                output: \"o %proc.name\"\n  priorty: WARNING\n  priority: WARNING\n";
    let uri = "file:///tmp/typos.yaml";
    let mut s = server(None, Value::Null);
    let out = open(&mut s, uri, text);
    let d = published(&out, uri).unwrap();
    let codes: Vec<&str> = d.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"FC008"), "{codes:?}");
    let all = json!({"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}});
    let actions = result(
        &mut s,
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": all, "context": {"diagnostics": []}}),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Replace `priorty` with `priority`"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Replace `shell_binarie` with `shell_binaries`"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Replace `spawnd_process` with `spawned_process`"),
        "{titles:?}"
    );
    let key_fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Replace `priorty` with `priority`")
        .unwrap();
    assert_eq!(
        key_fix["edit"]["changes"][uri][0]["range"],
        json!({"start": pos(text, "priorty", 0), "end": pos(text, "priorty", 7)})
    );
    // A range elsewhere offers nothing.
    let none = result(
        &mut s,
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": pos(text, "bash", 0), "end": pos(text, "bash", 0)},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(none, json!([]));
}

#[test]
fn lone_files_and_closing() {
    let uri = "file:///tmp/lone.yaml";
    let mut s = server(None, Value::Null);
    let out = open(&mut s, uri, "- macro: m\n  condition: evt.type = open\n");
    let d = published(&out, uri).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["code"], "LOAD_UNUSED_MACRO");
    assert_eq!(
        d[0]["range"],
        json!({"start": {"line": 0, "character": 2}, "end": {"line": 0, "character": 7}})
    );
    s.handle(Message::Notification(Notification::new(
        "textDocument/didClose".to_string(),
        json!({"textDocument": {"uri": uri}}),
    )));
    // Its diagnostics are cleared.
    assert_eq!(published(&s.flush(), uri), Some(Vec::new()));
}

#[test]
fn configuration_change_makes_a_rule_set() {
    let dir = temp_dir("config-change");
    let a = "- macro: base_macro\n  condition: evt.type = open\n";
    let b = "- rule: Uses base\n  desc: d\n  condition: base_macro and proc.name = cat\n  \
             output: \"o %proc.name\"\n  priority: INFO\n";
    std::fs::write(dir.join("a.yaml"), a).unwrap();
    std::fs::write(dir.join("b.yaml"), b).unwrap();
    let ub = uri_of(&dir.join("b.yaml"));
    let mut s = server(Some(&dir), Value::Null);
    // Alone, b.yaml uses an undefined macro.
    let out = open(&mut s, &ub, b);
    let d = published(&out, &ub).unwrap();
    assert!(d.iter().any(|d| d["code"] == "LOAD_ERR_VALIDATE"), "{d:?}");
    s.handle(Message::Notification(Notification::new(
        "workspace/didChangeConfiguration".to_string(),
        json!({"settings": {"falco": {"rulesFiles": ["a.yaml", "b.yaml"]}}}),
    )));
    let out = s.flush();
    assert_eq!(published(&out, &ub), Some(Vec::new()));
    let ua = uri_of(&dir.join("a.yaml"));
    assert!(published(&out, &ua).is_some());
    let _ = std::fs::remove_dir_all(&dir);
}
