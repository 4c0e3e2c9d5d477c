//! Fuzzes the language server's handling of documents and edits: the input is a document
//! and a sequence of edits (segments separated by `0xff` bytes: the first is the document,
//! each further one an edit whose first two bytes say where and how much to delete, and
//! whose rest is inserted). After opening and after every edit the server must publish
//! diagnostics whose ranges lie inside the document, and answer hover, completion,
//! definition, references and code actions at a position taken from the input.
//!
//! As in `rules_file`, panics raised inside `libyaml-safer` are let through to the reader
//! (which catches them and reports a YAML error); every other panic aborts as a crash.

#![no_main]

use falcoc_lsp::server::Server;
use libfuzzer_sys::fuzz_target;
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};

const URI: &str = "file:///fuzz/rules.yaml";

fn install_panic_filter() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info
            .location()
            .is_some_and(|l| l.file().contains("libyaml-safer"))
        {
            aborting(info);
        }
    }));
}

fn position(text: &str, at: usize) -> Value {
    let before = &text[..at];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": before[start..].encode_utf16().count()})
}

/// The character boundary nearest below `frac`/256 of the text.
fn boundary(text: &str, frac: u8) -> usize {
    let mut at = text.len() * usize::from(frac) / 256;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn check_published(out: &[Message], text: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    let published = out.iter().any(|m| {
        matches!(m, Message::Notification(n) if n.method == "textDocument/publishDiagnostics")
    });
    assert!(published, "no diagnostics published");
    for m in out {
        let Message::Notification(n) = m else { continue };
        if n.method != "textDocument/publishDiagnostics" {
            continue;
        }
        for d in n.params["diagnostics"].as_array().into_iter().flatten() {
            for end in ["start", "end"] {
                let line = d["range"][end]["line"].as_u64().unwrap_or(u64::MAX) as usize;
                let ch = d["range"][end]["character"].as_u64().unwrap_or(u64::MAX) as usize;
                assert!(line < lines.len(), "{d} outside the text");
                assert!(ch <= lines[line].encode_utf16().count(), "{d} past its line");
            }
        }
    }
}

fuzz_target!(init: install_panic_filter(), |data: &[u8]| {
    let mut segments = data.split(|b| *b == 0xff);
    let mut text = String::from_utf8_lossy(segments.next().unwrap_or_default()).into_owned();
    let params: lsp_types::InitializeParams =
        serde_json::from_value(json!({"processId": null, "capabilities": {}})).unwrap();
    let mut server = Server::new(&params);
    let mut out = server.handle(Message::Notification(Notification::new(
        "textDocument/didOpen".to_string(),
        json!({"textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": text}}),
    )));
    out.extend(server.flush());
    check_published(&out, &text);
    let mut id = 0;
    for (version, seg) in segments.take(16).enumerate() {
        let (Some(&at), Some(&del)) = (seg.first(), seg.get(1)) else {
            continue;
        };
        let insert = String::from_utf8_lossy(&seg[2..]).into_owned();
        let start = boundary(&text, at);
        let mut end = (start + usize::from(del % 32)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let change = json!({"range": {"start": position(&text, start), "end": position(&text, end)},
                            "text": insert});
        text.replace_range(start..end, &insert);
        server.handle(Message::Notification(Notification::new(
            "textDocument/didChange".to_string(),
            json!({"textDocument": {"uri": URI, "version": version + 2}, "contentChanges": [change]}),
        )));
        let out = server.flush();
        check_published(&out, &text);
        let probe = position(&text, boundary(&text, del));
        for method in [
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
            "textDocument/references",
            "textDocument/codeAction",
        ] {
            id += 1;
            let params = json!({
                "textDocument": {"uri": URI}, "position": probe,
                "context": {"includeDeclaration": true, "diagnostics": []},
                "range": {"start": probe, "end": probe},
            });
            let answers = server.handle(Message::Request(Request::new(
                RequestId::from(id),
                method.to_string(),
                params,
            )));
            let responses = answers
                .iter()
                .filter(|m| matches!(m, Message::Response(r) if r.id == RequestId::from(id)))
                .count();
            assert_eq!(responses, 1, "{method}: one answer");
        }
    }
});
