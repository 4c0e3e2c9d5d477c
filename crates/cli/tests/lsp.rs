//! `falcoc lsp` driven over stdio with real LSP JSON-RPC messages, on the newest
//! falcosecurity `falco_rules.yaml` (from `../shared`) plus a local override file.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The newest falco_rules.yaml of the corpus.
fn newest_falco_rules() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/rules/falcosecurity-rules");
    let mut best: Option<(Vec<u64>, PathBuf)> = None;
    for e in std::fs::read_dir(&dir).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(v) = name.strip_prefix("falco-rules-") else {
            continue;
        };
        let Ok(version) = v
            .split('.')
            .map(str::parse::<u64>)
            .collect::<Result<Vec<_>, _>>()
        else {
            continue;
        };
        let file = e.path().join("falco_rules.yaml");
        if file.is_file() && best.as_ref().is_none_or(|(b, _)| version > *b) {
            best = Some((version, file));
        }
    }
    best.and_then(|(_, p)| std::fs::canonicalize(p).ok())
}

fn file_uri(p: &Path) -> String {
    let mut s = "file://".to_string();
    for b in p.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// A running `falcoc lsp` and the messages it sent.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    notifications: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_falcoc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn falcoc lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.expect("Content-Length header")];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let v: Value = serde_json::from_slice(&body).expect("JSON body");
                if tx.send(v).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming: rx,
            next_id: 1,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn recv(&mut self) -> Value {
        match self.incoming.recv_timeout(Duration::from_secs(60)) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in 60 s"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server exited"),
        }
    }

    /// Sends a request and returns its response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                return v;
            }
            self.notifications.push(v);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The next `publishDiagnostics` for `uri` (already received ones first).
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_for = |v: &Value| {
            v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri
        };
        if let Some(i) = self.notifications.iter().position(is_for) {
            let v = self.notifications.remove(i);
            return v["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let v = self.recv();
            if is_for(&v) {
                return v["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.notifications.push(v);
        }
        panic!("no diagnostics for {uri}");
    }

    fn drop_pending_diagnostics(&mut self) {
        self.notifications
            .retain(|v| v["method"] != "textDocument/publishDiagnostics");
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "falcoc lsp exited with {status}");
    }
}

fn initialize(client: &mut Client, root: &Path, options: Value) -> Value {
    let r = client.result(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(root),
            "capabilities": {},
            "initializationOptions": options,
        }),
    );
    client.notify("initialized", json!({}));
    r
}

fn open(client: &mut Client, uri: &str, text: &str) {
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
}

fn pos(text: &str, needle: &str, delta: usize) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        + delta;
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..at].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

const LOCAL: &str = r#"# Local additions to falco_rules.yaml — ünïcödé in a comment.
- list: shell_binaries
  items: [fish]
  override:
    items: append

- macro: my_shell_spawn
  condition: spawned_process and proc.name in (shell_binaries)

- rule: Local shell spawned
  desc: a shell was spawned (local rule)
  condition: my_shell_spawn and not user.name in (known_admins)
  output: "Shell spawned (user=%user.name command=%proc.cmdline)"
  priority: WARNING

- list: known_admins
  items: [root, admin]

- rule: Terminal shell in container
  enabled: false
  override:
    enabled: replace
"#;

struct Fixture {
    dir: PathBuf,
    upstream: PathBuf,
    local: PathBuf,
}

fn fixture(tag: &str) -> Option<Fixture> {
    let Some(upstream) = newest_falco_rules() else {
        eprintln!("note: ../shared corpus not found; skipping");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("falcoc-lsp-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = dir.join("local_rules.yaml");
    std::fs::write(&local, LOCAL).unwrap();
    Some(Fixture {
        dir,
        upstream,
        local,
    })
}

#[test]
fn drives_the_server_over_stdio() {
    let Some(fx) = fixture("main") else { return };
    let upstream_text = std::fs::read_to_string(&fx.upstream).unwrap();
    let up_uri = file_uri(&fx.upstream);
    let local_uri = file_uri(&fx.local);
    let mut c = Client::start();
    let init = initialize(
        &mut c,
        &fx.dir,
        json!({"rulesFiles": [fx.upstream.to_str().unwrap(), "local_rules.yaml"]}),
    );
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"], json!(2));
    assert_eq!(caps["hoverProvider"], json!(true));
    assert_eq!(caps["renameProvider"]["prepareProvider"], json!(true));
    assert_eq!(init["serverInfo"]["name"], "falcoc-lsp");

    // The configured set is loaded at start: both files, as `falcoc lint` sees them.
    let up_diags = c.diagnostics(&up_uri);
    let local_diags = c.diagnostics(&local_uri);
    assert_eq!(codes(&local_diags), Vec::<String>::new());
    assert_eq!(
        as_lint(&up_diags, &local_diags),
        lint_sarif(&fx.upstream, LOCAL)
    );

    open(&mut c, &local_uri, LOCAL);
    open(&mut c, &up_uri, &upstream_text);
    assert!(c.diagnostics(&local_uri).is_empty());

    // Hover: a field, a macro (with its definition in the other file), a list with its
    // append, a rule's expanded condition.
    let h = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "proc.name in", 2)}),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(v.contains("`proc.name`") && v.contains("`CHARBUF`"), "{v}");
    assert!(v.contains("process name"), "{v}");
    let h = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "spawned_process and", 3)}),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(v.contains("**macro** `spawned_process`"), "{v}");
    assert!(v.contains("evt.type in (execve, execveat)"), "{v}");
    assert!(v.contains("falco_rules.yaml:85:3"), "{v}");
    let h = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "shell_binaries)\n", 0)}),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("9 item(s): `[ash, bash, csh, ksh, sh, tcsh, zsh, dash, fish]`"),
        "{v}"
    );
    assert!(
        v.contains("overridden at") && v.contains("local_rules.yaml:2:3"),
        "{v}"
    );
    let h = c.result(
        "textDocument/hover",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "Local shell spawned", 4)}),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(v.contains("priority `WARNING`"), "{v}");
    assert!(
        v.contains(
            "((evt.type in (execve, execveat) and proc.name in (ash, bash, csh, ksh, sh, tcsh, \
             zsh, dash, fish)) and not user.name in (root, admin))"
        ),
        "{v}"
    );

    // Definition across files: the macro in falco_rules.yaml, line 85 (0-based 84).
    let d = c.result(
        "textDocument/definition",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "spawned_process", 1)}),
    );
    assert_eq!(d.as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d[0]["uri"], up_uri);
    assert_eq!(
        d[0]["range"],
        json!({"start": {"line": 84, "character": 9}, "end": {"line": 84, "character": 24}})
    );
    // A list used before its definition in the same file.
    let d = c.result(
        "textDocument/definition",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "known_admins)", 0)}),
    );
    assert_eq!(d[0]["uri"], local_uri);
    assert_eq!(d[0]["range"]["start"], pos(LOCAL, "known_admins\n", 0));

    // References of shell_binaries: its definition, the override, every use.
    let r = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": up_uri}, "position": pos(&upstream_text, "- list: shell_binaries", 8),
               "context": {"includeDeclaration": true}}),
    );
    let refs = r.as_array().unwrap();
    let upstream_uses = word_count(&upstream_text, "shell_binaries");
    assert_eq!(refs.len(), upstream_uses + 2, "{r}");
    let local_refs: Vec<&Value> = refs.iter().filter(|l| l["uri"] == local_uri).collect();
    assert_eq!(
        local_refs[0]["range"]["start"],
        pos(LOCAL, "shell_binaries\n", 0)
    );
    assert_eq!(
        local_refs[1]["range"]["start"],
        pos(LOCAL, "shell_binaries)\n", 0)
    );
    let r = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": up_uri}, "position": pos(&upstream_text, "- list: shell_binaries", 8),
               "context": {"includeDeclaration": false}}),
    );
    assert_eq!(r.as_array().unwrap().len(), upstream_uses + 1);
    // A rule's references: its definition and the local `enabled: false`.
    let r = c.result(
        "textDocument/references",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "Terminal shell", 0),
               "context": {"includeDeclaration": true}}),
    );
    let uris: Vec<&Value> = r.as_array().unwrap().iter().map(|l| &l["uri"]).collect();
    assert_eq!(uris, [&json!(up_uri), &json!(local_uri)]);

    // Rename a macro of falco_rules.yaml: every file.
    let p = c.result(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "spawned_process", 0)}),
    );
    assert_eq!(p["placeholder"], "spawned_process");
    let e = c.result(
        "textDocument/rename",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "spawned_process", 0),
               "newName": "process_spawned"}),
    );
    let up_edits = e["changes"][&up_uri].as_array().unwrap();
    assert_eq!(
        up_edits.len(),
        word_count(&upstream_text, "spawned_process")
    );
    assert!(up_edits.iter().all(|t| t["newText"] == "process_spawned"));
    assert_eq!(e["changes"][&local_uri].as_array().unwrap().len(), 1);
    let bad = c.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "spawned_process", 0),
               "newName": "shell_procs"}),
    );
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{bad}"
    );
    let bad = c.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": local_uri}, "position": pos(LOCAL, "Local shell", 0),
               "newName": "x"}),
    );
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only macros and lists"));

    // An edit with a misspelt field: the same code and span as `falcoc lint`, then a quick
    // fix. The edit is incremental (UTF-16 positions: see crates/lsp/tests/robustness.rs).
    c.drop_pending_diagnostics();
    let at = pos(LOCAL, "not user.name", 4);
    let end = pos(LOCAL, "not user.name", 13);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": local_uri, "version": 2},
               "contentChanges": [{"range": {"start": at, "end": end}, "text": "user.nme"}]}),
    );
    let edited = LOCAL.replacen("not user.name", "not user.nme", 1);
    let diags = c.diagnostics(&local_uri);
    let cs = codes(&diags);
    assert!(
        cs.contains(&"LOAD_ERR_COMPILE_CONDITION".to_string()),
        "{diags:?}"
    );
    let fc001 = diags
        .iter()
        .find(|d| d["code"] == "FC001")
        .unwrap_or_else(|| panic!("{diags:?}"));
    let start = pos(&edited, "user.nme", 0);
    let end = pos(&edited, "user.nme", 8);
    assert_eq!(fc001["range"], json!({"start": start, "end": end}));
    assert!(fc001["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `user.name`?"));
    // The same codes at the same places as `falcoc lint` (SARIF regions, 1-based).
    let up_diags = c.diagnostics(&up_uri);
    assert_eq!(
        as_lint(&up_diags, &diags),
        lint_sarif(&fx.upstream, &edited)
    );

    let actions = c.result(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": local_uri}, "range": {"start": start, "end": start},
               "context": {"diagnostics": [fc001]}}),
    );
    let a = &actions.as_array().unwrap()[0];
    assert_eq!(a["kind"], "quickfix");
    assert_eq!(a["title"], "Replace `user.nme` with `user.name`");
    assert_eq!(
        a["edit"]["changes"][&local_uri],
        json!([{"range": {"start": start, "end": end}, "newText": "user.name"}])
    );
    assert_eq!(a["diagnostics"][0]["code"], "FC001");

    // Completion: fields after `and `, operators for a string field, list names in
    // `in (`, priorities, rule keys.
    let edited2 = edited.replacen(
        "condition: my_shell_spawn and",
        "condition: my_shell_spawn and proc.na",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": local_uri, "version": 3},
               "contentChanges": [{"text": edited2}]}),
    );
    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&edited2, "proc.na", 7)}),
    );
    let fields = labels(&items);
    assert!(fields.contains(&"proc.name".to_string()), "{fields:?}");
    assert!(!fields.contains(&"fd.name".to_string()));
    let name = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "proc.name")
        .unwrap();
    assert_eq!(name["detail"], "CHARBUF");
    assert_eq!(
        name["textEdit"]["range"],
        json!({"start": pos(&edited2, "proc.na", 0), "end": pos(&edited2, "proc.na", 7)})
    );

    let op_text = LOCAL.replacen(
        "condition: my_shell_spawn and not",
        "condition: my_shell_spawn and proc.pid  and not",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": local_uri, "version": 4},
               "contentChanges": [{"text": op_text}]}),
    );
    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&op_text, "proc.pid ", 9)}),
    );
    let ops = labels(&items);
    assert!(
        ops.contains(&"<=".to_string()) && ops.contains(&"in".to_string()),
        "{ops:?}"
    );
    assert!(!ops.contains(&"contains".to_string()), "{ops:?}");
    assert!(ops.contains(&"exists".to_string()));

    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&op_text, "(shell_binaries)", 1)}),
    );
    let lists = labels(&items);
    assert!(lists.contains(&"shell_binaries".to_string()));
    assert!(lists.contains(&"known_admins".to_string()));
    assert!(!lists.contains(&"proc.name".to_string()));

    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&op_text, "WARNING", 2)}),
    );
    assert_eq!(
        labels(&items),
        [
            "EMERGENCY",
            "ALERT",
            "CRITICAL",
            "ERROR",
            "WARNING",
            "NOTICE",
            "INFORMATIONAL",
            "DEBUG"
        ]
    );
    // Macros visible in a rule's condition, fields too.
    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&op_text, "my_shell_spawn and", 19)}),
    );
    let l = labels(&items);
    assert!(
        l.contains(&"spawned_process".to_string()) && l.contains(&"my_shell_spawn".to_string())
    );
    assert!(l.contains(&"not".to_string()));
    // A macro body sees only the macros defined before it.
    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&op_text, "condition: spawned_process", 11)}),
    );
    let l = labels(&items);
    assert!(l.contains(&"spawned_process".to_string()));
    assert!(!l.contains(&"my_shell_spawn".to_string()));

    let keys_text = LOCAL.replacen("  priority: WARNING\n", "  priority: WARNING\n  ta\n", 1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": local_uri, "version": 5},
               "contentChanges": [{"text": keys_text}]}),
    );
    let items = c.result(
        "textDocument/completion",
        json!({"textDocument": {"uri": local_uri}, "position": pos(&keys_text, "  ta\n", 4)}),
    );
    let keys = labels(&items);
    assert!(keys.contains(&"tags".to_string()) && keys.contains(&"exceptions".to_string()));
    assert!(keys.contains(&"skip-if-unknown-filter".to_string()));

    c.shutdown();
    let _ = std::fs::remove_dir_all(&fx.dir);
}

/// Occurrences of `word` not inside a longer identifier.
fn word_count(text: &str, word: &str) -> usize {
    let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(word)
        .filter(|(i, _)| {
            !is_ident(text[..*i].chars().next_back())
                && !is_ident(text[i + word.len()..].chars().next())
        })
        .count()
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

/// (code, file name, range) of the diagnostics of both files, sorted.
fn as_lint(upstream: &[Value], local: &[Value]) -> Vec<(String, String, Value)> {
    let mut ours: Vec<(String, String, Value)> = Vec::new();
    for (name, ds) in [("falco_rules.yaml", upstream), ("local_rules.yaml", local)] {
        for d in ds {
            let code = d["code"].as_str().unwrap().to_string();
            ours.push((code, name.to_string(), d["range"].clone()));
        }
    }
    ours.sort_by_key(|o| format!("{o:?}"));
    ours
}

/// `falcoc lint --format sarif` of `upstream` and a local file with `local_text`:
/// (code, file name, LSP range) of every result.
fn lint_sarif(upstream: &Path, local_text: &str) -> Vec<(String, String, Value)> {
    let dir = std::env::temp_dir().join(format!("falcoc-lsp-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = dir.join("local_rules.yaml");
    std::fs::write(&local, local_text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .args(["lint", "--format", "sarif"])
        .arg(upstream)
        .arg(&local)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let texts = [
        std::fs::read_to_string(upstream).unwrap(),
        local_text.to_string(),
    ];
    let mut v: Vec<(String, String, Value)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let name = loc["artifactLocation"]["uri"].as_str().unwrap();
            let (file, text) = if name.ends_with("local_rules.yaml") {
                ("local_rules.yaml", &texts[1])
            } else {
                ("falco_rules.yaml", &texts[0])
            };
            let reg = &loc["region"];
            let at = |l: &Value, c: &Value| {
                // 1-based line and character column → LSP (0-based, UTF-16).
                let line = l.as_u64().unwrap() as usize - 1;
                let line_text = text.split('\n').nth(line).unwrap_or("");
                let col: usize = line_text
                    .chars()
                    .take(c.as_u64().unwrap() as usize - 1)
                    .map(char::len_utf16)
                    .sum();
                json!({"line": line, "character": col})
            };
            (
                r["ruleId"].as_str().unwrap().to_string(),
                file.to_string(),
                json!({"start": at(&reg["startLine"], &reg["startColumn"]),
                       "end": at(&reg["endLine"], &reg["endColumn"])}),
            )
        })
        .collect();
    v.sort_by_key(|o| format!("{o:?}"));
    v
}

#[test]
fn malformed_framing_exits_with_a_message() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Content-Length: 5\r\n\r\nhello")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("malformed LSP payload"), "{err}");
}
