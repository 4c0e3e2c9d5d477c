//! How soon `falcoc lsp` publishes diagnostics after an edit of the newest
//! `falco_rules.yaml`, against a baseline measured in the same run: the work of a full
//! `falcoc lint` of the same files (read, load in all-problems mode, falcoc's lints), in
//! process.
//!
//! * `lsp_diagnostics/lint_baseline`: `load` + `lints::run` of falco_rules.yaml and a local
//!   override file (what `falcoc lint` does between reading the files and printing);
//! * `lsp_diagnostics/edit_to_diagnostics`: the real server (`falcoc_lsp::serve`) on an
//!   in-memory connection, both files in its rule set, falco_rules.yaml open: one
//!   `didChange` of falco_rules.yaml (a character inserted or removed in a condition,
//!   alternately), until the `publishDiagnostics` of the last file of the set arrives.
//!
//! Target: edit_to_diagnostics ≤ 50 ms. Run: `cargo bench -p falcoc-benches --bench
//! lsp_diagnostics -- --warm-up-time 1 --measurement-time 5`. Without `../shared` there is
//! nothing to measure: it says so.

use criterion::{criterion_group, criterion_main, Criterion};
use falcoc_benches::{corpus_root, newest};
use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_lints::{self as lints, LintConfig};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::Path;

const LOCAL: &str = "- list: shell_binaries\n  items: [fish]\n  override:\n    items: append\n\n\
- macro: my_shell_spawn\n  condition: spawned_process and proc.name in (shell_binaries)\n\n\
- rule: Local shell spawned\n  desc: a shell was spawned\n  condition: my_shell_spawn and container\n  \
output: \"shell (user=%user.name cmd=%proc.cmdline)\"\n  priority: WARNING\n";

fn file_uri(p: &Path) -> String {
    let mut s = "file://".to_string();
    for b in p.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn notify(c: &Connection, method: &str, params: Value) {
    let _ = c.sender.send(Message::Notification(Notification::new(
        method.to_string(),
        params,
    )));
}

/// Waits for the `publishDiagnostics` of `uri`; returns how many diagnostics it has.
fn wait_diagnostics(c: &Connection, uri: &str) -> usize {
    while let Ok(m) = c.receiver.recv() {
        if let Message::Notification(n) = m {
            if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                return n.params["diagnostics"].as_array().map_or(0, Vec::len);
            }
        }
    }
    panic!("the server stopped");
}

fn bench(c: &mut Criterion) {
    let Some(dir) = newest(&corpus_root(), "falco-rules-") else {
        eprintln!("note: ../shared corpus not found; lsp_diagnostics has nothing to measure");
        return;
    };
    let upstream = std::fs::canonicalize(dir.join("falco_rules.yaml")).expect("falco_rules.yaml");
    let upstream_text = std::fs::read_to_string(&upstream).expect("read falco_rules.yaml");
    let tmp = std::env::temp_dir().join(format!("falcoc-bench-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let local = tmp.join("local_rules.yaml");
    std::fs::write(&local, LOCAL).expect("write local rules");

    let mut g = c.benchmark_group("lsp_diagnostics");

    let names = [upstream.display().to_string(), local.display().to_string()];
    let inputs = [
        Input {
            name: &names[0],
            bytes: upstream_text.as_bytes(),
        },
        Input {
            name: &names[1],
            bytes: LOCAL.as_bytes(),
        },
    ];
    let opts = LoadOptions {
        mode: Mode::AllProblems,
        profile: falcoc_compiler::load::auto_profile(&inputs),
        ..LoadOptions::default()
    };
    // `falcoc lint` never frees its load (it exits), and the server frees a replaced load
    // only after publishing: neither time includes freeing.
    g.bench_function("lint_baseline", |b| {
        b.iter_with_large_drop(|| {
            let loaded = load(&inputs, &opts);
            black_box(lints::run(&loaded, &LintConfig::new()));
            loaded
        })
    });

    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || falcoc_lsp::serve(&server));
    let up_uri = file_uri(&upstream);
    let local_uri = file_uri(&local);
    let _ = client.sender.send(Message::Request(Request::new(
        RequestId::from(1),
        "initialize".to_string(),
        json!({"processId": null, "rootUri": file_uri(&tmp), "capabilities": {},
               "initializationOptions": {"rulesFiles": [upstream.to_string_lossy(), "local_rules.yaml"]}}),
    )));
    let _ = client.receiver.recv();
    notify(&client, "initialized", json!({}));
    notify(
        &client,
        "textDocument/didOpen",
        json!({"textDocument": {"uri": up_uri, "languageId": "yaml", "version": 1, "text": upstream_text}}),
    );
    // The first load (at start) and the one after didOpen.
    wait_diagnostics(&client, &local_uri);
    wait_diagnostics(&client, &local_uri);
    // The edit: a blank inserted after `(evt.type in (execve, execveat)` and removed again.
    let at = upstream_text
        .find("execveat))")
        .map(|i| i + "execveat".len())
        .expect("spawned_process in falco_rules.yaml");
    let line = upstream_text[..at].matches('\n').count();
    let col = at - upstream_text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut version = 1;
    let mut inserted = false;
    g.bench_function("edit_to_diagnostics", |b| {
        b.iter(|| {
            version += 1;
            let (end, text) = if inserted { (col + 1, "") } else { (col, " ") };
            inserted = !inserted;
            notify(
                &client,
                "textDocument/didChange",
                json!({"textDocument": {"uri": up_uri, "version": version},
                       "contentChanges": [{"range": {"start": {"line": line, "character": col},
                                                     "end": {"line": line, "character": end}},
                                           "text": text}]}),
            );
            black_box(wait_diagnostics(&client, &local_uri))
        })
    });
    g.finish();

    let _ = client.sender.send(Message::Request(Request::new(
        RequestId::from(2),
        "shutdown".to_string(),
        Value::Null,
    )));
    let _ = client.receiver.recv();
    notify(&client, "exit", Value::Null);
    drop(client);
    let _ = thread.join();
    let _ = std::fs::remove_dir_all(&tmp);
}

criterion_group!(benches, bench);
criterion_main!(benches);
