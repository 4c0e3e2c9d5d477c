//! Malformed documents never break the server: half-typed conditions, invalid YAML, binary
//! garbage and huge files get located diagnostics, and random edit sequences (proptest)
//! keep every answer well-formed and the incrementally edited text equal to the text the
//! edits produce.

use falcoc_lsp::server::Server;
use lsp_server::{Message, Notification, Request, RequestId};
use proptest::prelude::*;
use serde_json::{json, Value};

const URI: &str = "file:///work/rules/test_rules.yaml";

const BASE: &str = r#"- list: shell_binaries
  items: [bash, sh, zsh]

- macro: spawned_process
  condition: evt.type in (execve, execveat)

- macro: shell_procs
  condition: spawned_process and proc.name in (shell_binaries)

# ünïcödé 𝄞 in a comment
- rule: Shell spawned
  desc: a shell
  condition: shell_procs and not user.name = "root"
  output: "shell (user=%user.name cmd=%proc.cmdline)"
  priority: WARNING
"#;

fn server() -> Server {
    let params: lsp_types::InitializeParams = serde_json::from_value(json!({
        "processId": null, "rootUri": null, "capabilities": {}
    }))
    .unwrap();
    Server::new(&params)
}

fn notification(method: &str, params: Value) -> Message {
    Message::Notification(Notification::new(method.to_string(), params))
}

fn open(s: &mut Server, text: &str) -> Vec<Message> {
    let mut out = s.handle(notification(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": text}}),
    ));
    out.extend(s.flush());
    out
}

/// The diagnostics published for [`URI`] in `out` (the last publication).
fn diagnostics(out: &[Message]) -> Option<Vec<Value>> {
    out.iter().rev().find_map(|m| match m {
        Message::Notification(n)
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == URI =>
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

/// LSP position (UTF-16) of byte `at` of `text`, computed independently of the server.
fn position(text: &str, at: usize) -> Value {
    let before = &text[..at];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": before[start..].encode_utf16().count()})
}

/// Asserts every range of `diags` lies inside `text`.
fn assert_ranges_inside(text: &str, diags: &[Value]) {
    let lines: Vec<&str> = text.split('\n').collect();
    for d in diags {
        for end in ["start", "end"] {
            let p = &d["range"][end];
            let line = p["line"].as_u64().unwrap() as usize;
            let ch = p["character"].as_u64().unwrap() as usize;
            assert!(line < lines.len(), "{d} outside the text");
            assert!(
                ch <= lines[line].encode_utf16().count(),
                "{d} past the end of line {line}"
            );
        }
    }
}

fn request(s: &mut Server, id: i32, method: &str, params: Value) -> Value {
    let out = s.handle(Message::Request(Request::new(
        RequestId::from(id),
        method.to_string(),
        params,
    )));
    let responses: Vec<&lsp_server::Response> = out
        .iter()
        .filter_map(|m| match m {
            Message::Response(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(responses.len(), 1, "{method}: one answer");
    let r = responses[0];
    assert_eq!(r.id, RequestId::from(id));
    serde_json::to_value(r).unwrap()
}

#[test]
fn half_typed_condition_is_a_located_compile_error() {
    let text = BASE.replace(
        "condition: shell_procs and not user.name = \"root\"",
        "condition: shell_procs and not user.name =",
    );
    let mut s = server();
    let d = diagnostics(&open(&mut s, &text)).unwrap();
    let e = d
        .iter()
        .find(|d| d["code"] == "LOAD_ERR_COMPILE_CONDITION")
        .unwrap_or_else(|| panic!("{d:?}"));
    assert_eq!(e["severity"], 1);
    let line = text[..text.find("not user.name =").unwrap()]
        .matches('\n')
        .count();
    assert_eq!(e["range"]["start"]["line"], line);
    assert_ranges_inside(&text, &d);
    // Completion and hover still answer there.
    let at = text.find("user.name =").unwrap() + 11;
    let r = request(
        &mut s,
        1,
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": position(&text, at)}),
    );
    assert!(r.get("error").is_none(), "{r}");
    let r = request(
        &mut s,
        2,
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": position(&text, at - 4)}),
    );
    assert!(r["result"]["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("`user.name`"));
}

#[test]
fn invalid_yaml_and_garbage_are_yaml_errors() {
    for text in [
        "- rule: x\n  condition: [unclosed\n  output: y\n",
        "- macro: a\n\tcondition: b\n",
        "\u{0}\u{1}\u{2} binary \u{7f}",
        "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{",
        "- list: x\n  items: *undefined_alias\n",
    ] {
        let mut s = server();
        let d = diagnostics(&open(&mut s, text)).unwrap_or_else(|| panic!("{text:?}"));
        assert!(
            d.iter().any(|d| d["code"] == "LOAD_ERR_YAML_PARSE"),
            "{text:?}: {d:?}"
        );
        assert_ranges_inside(text, &d);
    }
}

#[test]
fn huge_files_are_loaded() {
    // 4 MB of rules, and a 4 MB line of garbage.
    let mut big = String::new();
    let mut i = 0;
    while big.len() < 4_000_000 {
        big.push_str(&format!(
            "- macro: m{i}\n  condition: proc.name = p{i} and evt.type = open\n"
        ));
        i += 1;
    }
    let mut s = server();
    let d = diagnostics(&open(&mut s, &big)).unwrap();
    // Every macro is unused.
    assert_eq!(
        d.iter()
            .filter(|d| d["code"] == "LOAD_UNUSED_MACRO")
            .count(),
        i
    );
    let line = "x".repeat(4_000_000);
    let mut s = server();
    let d = diagnostics(&open(&mut s, &line)).unwrap();
    assert!(!d.is_empty());
    assert_ranges_inside(&line, &d);
}

/// Pieces typed into the document: YAML and condition syntax, multi-byte characters.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("and ".to_string()),
        Just("proc.na".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\n".to_string()),
        Just("\n  ".to_string()),
        Just("- rule: ".to_string()),
        Just("- macro: ".to_string()),
        Just("condition: ".to_string()),
        Just("items: [".to_string()),
        Just(": ".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("é".to_string()),
        Just("𝄞".to_string()),
        Just("%".to_string()),
        Just("shell_procs".to_string()),
        Just(" in (".to_string()),
        Just("\t".to_string()),
        "[a-z_. ]{0,6}",
    ]
}

/// One edit: where (a fraction of the text), how many characters to delete, what to type.
fn edit() -> impl Strategy<Value = (f64, usize, String)> {
    (0.0f64..=1.0, 0usize..12, fragment())
}

/// Applies an edit to `text` at a character boundary; returns the LSP change sent.
fn apply(text: &mut String, (frac, del, insert): &(f64, usize, String)) -> Value {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let ci = ((chars.len() as f64) * frac) as usize;
    let start = chars.get(ci).map_or(text.len(), |c| c.0);
    let end = chars.get(ci + del).map_or(text.len(), |c| c.0);
    let change = json!({"range": {"start": position(text, start), "end": position(text, end)},
                        "text": insert});
    text.replace_range(start..end, insert);
    change
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn edit_sequences_keep_the_server_answering(
        edits in proptest::collection::vec(edit(), 1..10),
        probes in proptest::collection::vec(0.0f64..=1.0, 4),
    ) {
        let mut s = server();
        let mut text = BASE.to_string();
        open(&mut s, &text);
        let mut id = 0;
        for (version, e) in edits.iter().enumerate() {
            let change = apply(&mut text, e);
            s.handle(notification(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": version + 2},
                       "contentChanges": [change]}),
            ));
            let published = s.flush();
            let d = diagnostics(&published).expect("diagnostics after each change");
            assert_ranges_inside(&text, &d);
            for p in &probes {
                let chars: Vec<usize> = text.char_indices().map(|c| c.0).collect();
                let at = chars.get((chars.len() as f64 * p) as usize).copied().unwrap_or(text.len());
                let tdp = json!({"textDocument": {"uri": URI}, "position": position(&text, at)});
                for method in ["textDocument/hover", "textDocument/completion",
                               "textDocument/definition", "textDocument/prepareRename"] {
                    id += 1;
                    request(&mut s, id, method, tdp.clone());
                }
                id += 1;
                let mut refs = tdp.clone();
                refs["context"] = json!({"includeDeclaration": true});
                request(&mut s, id, "textDocument/references", refs);
                id += 1;
                let mut ren = tdp.clone();
                ren["newName"] = json!("renamed_x");
                request(&mut s, id, "textDocument/rename", ren);
                id += 1;
                request(&mut s, id, "textDocument/codeAction",
                    json!({"textDocument": {"uri": URI},
                           "range": {"start": position(&text, 0), "end": position(&text, at)},
                           "context": {"diagnostics": []}}));
            }
        }
        // The incrementally edited document is the text the edits produce: a fresh server
        // opened on it publishes the same diagnostics.
        id += 1;
        let end = request(&mut s, id, "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": position(&text, 0)}));
        let _ = end;
        let mut fresh = server();
        let expected = diagnostics(&open(&mut fresh, &text));
        s.handle(notification(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 999},
                   "contentChanges": [{"range": {"start": position(&text, 0), "end": position(&text, 0)},
                                       "text": ""}]}),
        ));
        let again = diagnostics(&s.flush());
        prop_assert_eq!(again, expected);
    }
}
