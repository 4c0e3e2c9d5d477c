//! The test-file reader: YAML (through the span-keeping reader of
//! [`falcoc_lang::rulefile`]) → [`TestFile`], or located [`Diagnostic`]s.
//!
//! It checks the shape of every key (`docs/testing.md` lists them): unknown keys, wrong
//! node kinds, missing required keys, values that do not parse (priorities, integers,
//! flags, addresses, event types and their parameters, against the libscap event table),
//! a case with two inputs or none, and a case that expects nothing (a test that cannot
//! fail). All problems of a file are reported, each at its node. No I/O: paths are
//! checked by the runner.

use falcoc_compiler::priority::Priority;
use falcoc_lang::diagnostic::{Diagnostic, SourceFile};
use falcoc_lang::rulefile::{parse_yaml, Mapping, Node, ScalarStyle};
use falcoc_lang::Span;
use falcoc_schema::events::{events, Direction};
use falcoc_state::evtable;
use serde_json::Value;

use crate::model::*;
use crate::params;

/// The YAML does not parse.
pub const E_YAML: &str = "FT001";
/// A node of the wrong kind (a scalar where a mapping is needed, …).
pub const E_SHAPE: &str = "FT002";
/// A key the format does not have.
pub const E_UNKNOWN_KEY: &str = "FT003";
/// A required key is missing.
pub const E_MISSING_KEY: &str = "FT004";
/// A value that does not parse (priority, integer, flag, address, event type…).
pub const E_VALUE: &str = "FT005";
/// A case with no input or several.
pub const E_INPUT: &str = "FT006";
/// A case that expects nothing.
pub const E_NOTHING_EXPECTED: &str = "FT007";
/// A file the test names cannot be read, or does not load.
pub const E_FILE: &str = "FT008";
/// Two cases with the same name.
pub const E_DUPLICATE_CASE: &str = "FT009";

/// What reading a test file gives: the model if there was no error, and every problem.
#[derive(Debug)]
pub struct ReadTestFile {
    /// The test file, when it has no error.
    pub file: Option<TestFile>,
    /// The text, for rendering diagnostics.
    pub source: SourceFile,
    /// The problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a test file (`name` is only recorded). Never panics.
pub fn read_test_file(name: &str, bytes: &[u8]) -> ReadTestFile {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut r = Reader::default();
    let file = match std::str::from_utf8(bytes) {
        Err(e) => {
            let at = e.valid_up_to();
            r.error(
                E_YAML,
                Span::new(at, at + 1),
                format!("the test file is not UTF-8 (byte {at})"),
            );
            None
        }
        Ok(_) if u32::try_from(bytes.len()).is_err() => {
            r.diags
                .push(Diagnostic::error(E_YAML, "the test file is too large"));
            None
        }
        Ok(text) => r.file(name, text),
    };
    let file = if r.diags.is_empty() { file } else { None };
    ReadTestFile {
        file,
        source: SourceFile::new(name, text),
        diagnostics: r.diags,
    }
}

#[derive(Default)]
struct Reader {
    diags: Vec<Diagnostic>,
}

const FILE_KEYS: &[&str] = &["rules", "options", "plugins", "tests"];
const CASE_KEYS: &[&str] = &[
    "name",
    "events",
    "capture",
    "k8s_audit",
    "expect",
    "no_alert",
    "dns",
];
const EXPECT_KEYS: &[&str] = &["rule", "count", "priority", "output_fields"];
const EVENT_KEYS: &[&str] = &["process", "evt.type", "evt.dir", "args", "res", "fd"];
const PROCESS_KEYS: &[&str] = &[
    "pid",
    "name",
    "exe",
    "exepath",
    "args",
    "cwd",
    "env",
    "uid",
    "gid",
    "user",
    "loginuid",
    "tty",
    "sid",
    "parent",
    "container",
    "fds",
];
const CONTAINER_KEYS: &[&str] = &["id", "name", "image", "privileged", "labels", "ip"];
const FD_KEYS: &[&str] = &["num", "type", "name", "flags", "tuple", "proto"];

/// Bounds: a parent chain deeper than this is an error (the state walks ancestors).
pub const MAX_PARENT_DEPTH: usize = 64;

impl Reader {
    fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(code, message).with_primary(0, span, ""));
    }

    fn file(&mut self, name: &str, text: &str) -> Option<TestFile> {
        let (docs, err) = parse_yaml(text);
        if let Some(mut d) = err {
            d.code = E_YAML;
            self.diags.push(d);
            return None;
        }
        let mut docs = docs.into_iter().filter(|d| !d.is_null());
        let Some(root) = docs.next() else {
            self.error(
                E_SHAPE,
                Span::new(0, 0),
                "the test file is empty: expected a mapping with `rules` and `tests`",
            );
            return None;
        };
        if let Some(extra) = docs.next() {
            self.error(E_SHAPE, extra.span(), "a test file holds one YAML document");
        }
        let map = self.mapping(&root, "the test file")?;
        self.keys(map, FILE_KEYS, "test file");
        let rules = match map.get("rules") {
            Some(n) => self.strings(n, "`rules`"),
            None => {
                self.error(
                    E_MISSING_KEY,
                    map.span,
                    "missing key `rules` (the rule files to load)",
                );
                Vec::new()
            }
        };
        let options = map
            .get("options")
            .map(|n| self.strings(n, "`options`"))
            .unwrap_or_default();
        for o in &options {
            if !o.value.contains('=') {
                self.error(
                    E_VALUE,
                    o.span,
                    format!("option `{}` is not `key=value`", o.value),
                );
            }
        }
        let plugins = map.get("plugins").and_then(|n| self.string(n, "`plugins`"));
        let mut cases = Vec::new();
        match map.get("tests") {
            None => self.error(E_MISSING_KEY, map.span, "missing key `tests` (the cases)"),
            Some(n) => match self.sequence(n, "`tests`") {
                Some([]) => self.error(E_SHAPE, n.span(), "`tests` has no case"),
                Some(items) => {
                    for item in items {
                        if let Some(c) = self.case(item) {
                            cases.push(c);
                        }
                    }
                }
                None => {}
            },
        }
        let mut seen: Vec<&str> = Vec::new();
        let mut dups = Vec::new();
        for c in &cases {
            if seen.contains(&c.name.as_str()) {
                dups.push((c.span, c.name.clone()));
            }
            seen.push(&c.name);
        }
        for (span, n) in dups {
            self.error(
                E_DUPLICATE_CASE,
                span,
                format!("a case named `{n}` is already defined"),
            );
        }
        Some(TestFile {
            name: name.to_string(),
            rules,
            options,
            plugins,
            cases,
        })
    }

    // ----- shape helpers -----

    fn mapping<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n Mapping> {
        match n {
            Node::Mapping(m) => Some(m),
            other => {
                self.error(
                    E_SHAPE,
                    other.span(),
                    format!("{what} must be a mapping, not {}", other.kind_name()),
                );
                None
            }
        }
    }

    fn sequence<'n>(&mut self, n: &'n Node, what: &str) -> Option<&'n [Node]> {
        match n {
            Node::Sequence(s) => Some(&s.items),
            other => {
                self.error(
                    E_SHAPE,
                    other.span(),
                    format!("{what} must be a sequence, not {}", other.kind_name()),
                );
                None
            }
        }
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<Spanned<String>> {
        match n {
            Node::Scalar(s) => Some(Spanned {
                value: s.value().to_string(),
                span: s.span(),
            }),
            other => {
                self.error(
                    E_SHAPE,
                    other.span(),
                    format!("{what} must be a string, not {}", other.kind_name()),
                );
                None
            }
        }
    }

    /// One string or a sequence of strings.
    fn strings(&mut self, n: &Node, what: &str) -> Vec<Spanned<String>> {
        match n {
            Node::Sequence(s) => s
                .items
                .iter()
                .filter_map(|i| self.string(i, &format!("an item of {what}")))
                .collect(),
            _ => self.string(n, what).into_iter().collect(),
        }
    }

    fn int(&mut self, n: &Node, what: &str) -> Option<i64> {
        let s = self.string(n, what)?;
        match params::parse_int(&s.value) {
            Some(v) => Some(v),
            None => {
                self.error(
                    E_VALUE,
                    s.span,
                    format!("{what} must be an integer, not `{}`", s.value),
                );
                None
            }
        }
    }

    fn uint<T: TryFrom<i64>>(&mut self, n: &Node, what: &str) -> Option<T> {
        let v = self.int(n, what)?;
        match T::try_from(v) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(E_VALUE, n.span(), format!("{what} is out of range: {v}"));
                None
            }
        }
    }

    fn bool(&mut self, n: &Node, what: &str) -> Option<bool> {
        let s = self.string(n, what)?;
        match s.value.as_str() {
            "true" | "True" | "TRUE" | "yes" => Some(true),
            "false" | "False" | "FALSE" | "no" => Some(false),
            v => {
                self.error(
                    E_VALUE,
                    s.span,
                    format!("{what} must be true or false, not `{v}`"),
                );
                None
            }
        }
    }

    fn keys(&mut self, m: &Mapping, known: &[&str], what: &str) {
        for e in &m.entries {
            match e.key_str() {
                Some(k) if known.contains(&k) => {}
                Some(k) => self.error(
                    E_UNKNOWN_KEY,
                    e.key.span(),
                    format!(
                        "unknown key `{k}` in a {what} (known: {})",
                        known.join(", ")
                    ),
                ),
                None => self.error(E_SHAPE, e.key.span(), "keys must be strings"),
            }
        }
        for (_, dup) in m.duplicates() {
            self.error(
                E_UNKNOWN_KEY,
                dup.key.span(),
                format!("key `{}` is given twice", dup.key_str().unwrap_or("")),
            );
        }
    }

    // ----- cases -----

    fn case(&mut self, n: &Node) -> Option<Case> {
        let m = self.mapping(n, "a case")?;
        self.keys(m, CASE_KEYS, "case");
        let name = match m.get("name") {
            Some(n) => self.string(n, "`name`").map(|s| s.value),
            None => {
                self.error(E_MISSING_KEY, m.span, "a case needs a `name`");
                None
            }
        };
        let inputs: Vec<&str> = ["events", "capture", "k8s_audit"]
            .into_iter()
            .filter(|k| m.contains_key(k))
            .collect();
        let input = match inputs.as_slice() {
            [] => {
                self.error(
                    E_INPUT,
                    m.span,
                    "a case needs one input: `events`, `capture` or `k8s_audit`",
                );
                None
            }
            [k] => self.input(m, k),
            [_, second, ..] => {
                let span = m.get_entry(second).map_or(m.span, |e| e.key.span());
                self.error(
                    E_INPUT,
                    span,
                    format!(
                        "a case has one input; `{}` and `{second}` are both given",
                        inputs[0]
                    ),
                );
                None
            }
        };
        let expect = match m.get("expect") {
            None => Vec::new(),
            Some(n) => match n {
                Node::Null(_) => Vec::new(),
                _ => self
                    .sequence(n, "`expect`")
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| self.expect(i))
                    .collect(),
            },
        };
        let no_alert = match m.get("no_alert") {
            None | Some(Node::Null(_)) => Vec::new(),
            Some(n @ Node::Sequence(_)) => self.strings(n, "`no_alert`"),
            Some(n) => {
                self.error(
                    E_SHAPE,
                    n.span(),
                    "`no_alert` must be a sequence of rule names",
                );
                Vec::new()
            }
        };
        let mut dns = Vec::new();
        if let Some(d) = m.get("dns") {
            if let Some(dm) = self.mapping(d, "`dns`") {
                for e in &dm.entries {
                    let Some(host) = e.key_str() else {
                        self.error(E_SHAPE, e.key.span(), "host names must be strings");
                        continue;
                    };
                    let mut addrs = Vec::new();
                    for a in self.strings(&e.value, "the addresses of a host") {
                        match a.value.parse::<std::net::IpAddr>() {
                            Ok(ip) => addrs.push(ip),
                            Err(_) => self.error(
                                E_VALUE,
                                a.span,
                                format!("`{}` is not an IP address", a.value),
                            ),
                        }
                    }
                    dns.push((host.to_string(), addrs));
                }
            }
        }
        if expect.is_empty() && no_alert.is_empty() {
            self.error(
                E_NOTHING_EXPECTED,
                m.span,
                "the case expects nothing: give `expect` (alerts) or `no_alert` (silent rules)",
            );
        }
        Some(Case {
            name: name?,
            span: m.span,
            input: input?,
            expect,
            no_alert,
            dns,
        })
    }

    fn input(&mut self, m: &Mapping, key: &str) -> Option<Input> {
        let n = m.get(key)?;
        match key {
            "capture" => self.string(n, "`capture`").map(Input::Capture),
            "k8s_audit" => match n {
                Node::Scalar(_) => self
                    .string(n, "`k8s_audit`")
                    .map(|s| Input::K8sAudit(K8sInput::File(s))),
                Node::Mapping(_) => Some(Input::K8sAudit(K8sInput::Inline(vec![Spanned {
                    value: json(n),
                    span: n.span(),
                }]))),
                Node::Sequence(s) if !s.items.is_empty() => {
                    let mut out = Vec::new();
                    for i in &s.items {
                        if self.mapping(i, "an audit event").is_some() {
                            out.push(Spanned {
                                value: json(i),
                                span: i.span(),
                            });
                        }
                    }
                    Some(Input::K8sAudit(K8sInput::Inline(out)))
                }
                other => {
                    self.error(
                        E_SHAPE,
                        other.span(),
                        "`k8s_audit` is a JSON file name, an audit event or a sequence of them",
                    );
                    None
                }
            },
            _ => {
                let items = self.sequence(n, "`events`")?;
                if items.is_empty() {
                    self.error(E_SHAPE, n.span(), "`events` has no event");
                    return None;
                }
                let evs: Vec<EventSpec> = items.iter().filter_map(|i| self.event(i)).collect();
                (evs.len() == items.len()).then_some(Input::Events(evs))
            }
        }
    }

    fn expect(&mut self, n: &Node) -> Option<Expect> {
        // `- Rule name` is short for `- rule: Rule name`.
        if let Node::Scalar(_) = n {
            return Some(Expect {
                rule: self.string(n, "a rule name")?,
                count: None,
                priority: None,
                output_fields: Vec::new(),
            });
        }
        let m = self.mapping(n, "an expected alert")?;
        self.keys(m, EXPECT_KEYS, "expected alert");
        let rule = match m.get("rule") {
            Some(r) => self.string(r, "`rule`"),
            None => {
                self.error(E_MISSING_KEY, m.span, "an expected alert needs a `rule`");
                None
            }
        };
        let count = m.get("count").and_then(|c| self.uint::<u64>(c, "`count`"));
        let priority = m.get("priority").and_then(|p| {
            let s = self.string(p, "`priority`")?;
            let pr = Priority::parse(&s.value);
            if pr.is_none() {
                self.error(
                    E_VALUE,
                    s.span,
                    format!(
                        "unknown priority `{}` (EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL, DEBUG)",
                        s.value
                    ),
                );
            }
            pr
        });
        let mut output_fields = Vec::new();
        if let Some(f) = m.get("output_fields") {
            if let Some(fm) = self.mapping(f, "`output_fields`") {
                for e in &fm.entries {
                    let Some(k) = e.key_str() else {
                        self.error(E_SHAPE, e.key.span(), "field names must be strings");
                        continue;
                    };
                    match &e.value {
                        Node::Mapping(_) | Node::Sequence(_) => self.error(
                            E_SHAPE,
                            e.value.span(),
                            format!("the value of `{k}` must be a scalar"),
                        ),
                        v => output_fields.push((k.to_string(), json(v))),
                    }
                }
            }
        }
        Some(Expect {
            rule: rule?,
            count,
            priority,
            output_fields,
        })
    }

    // ----- events -----

    fn event(&mut self, n: &Node) -> Option<EventSpec> {
        let m = self.mapping(n, "an event")?;
        self.keys(m, EVENT_KEYS, "event");
        let process = match m.get("process") {
            Some(p) => self.process(p, 0),
            None => {
                self.error(E_MISSING_KEY, m.span, "an event needs a `process`");
                None
            }
        };
        let enter_only = match m.get("evt.dir") {
            None => false,
            Some(d) => match self.string(d, "`evt.dir`") {
                Some(s) if s.value == ">" => true,
                Some(s) if s.value == "<" => false,
                Some(s) => {
                    self.error(E_VALUE, s.span, "`evt.dir` is `>` (enter) or `<` (exit)");
                    false
                }
                None => false,
            },
        };
        let Some(ty) = m.get("evt.type") else {
            self.error(E_MISSING_KEY, m.span, "an event needs an `evt.type`");
            return None;
        };
        let ty = self.string(ty, "`evt.type`")?;
        let dir = if enter_only {
            Direction::Enter
        } else {
            Direction::Exit
        };
        let Some(info) = events()
            .iter()
            .filter(|e| {
                e.name == ty.value && e.direction == dir && !e.is_unused() && !e.is_old_version()
            })
            .max_by_key(|e| e.code)
        else {
            self.error(
                E_VALUE,
                ty.span,
                format!(
                    "`{}` is not an event type of the libscap event table",
                    ty.value
                ),
            );
            return None;
        };
        let desc = evtable::event(info.code);
        let mut args = Vec::new();
        if let Some(a) = m.get("args") {
            if let Some(am) = self.mapping(a, "`args`") {
                for e in &am.entries {
                    let Some(k) = e.key_str() else {
                        self.error(E_SHAPE, e.key.span(), "parameter names must be strings");
                        continue;
                    };
                    if let Some(v) = self.param(info.code, k, e.key.span(), &e.value, desc) {
                        args.push(v);
                    }
                }
            }
        }
        if let Some(r) = m.get("res") {
            if let Some(v) = self.param(info.code, "res", r.span(), r, desc) {
                args.push(v);
            }
        }
        let fd = m.get("fd").and_then(|f| self.fd(f));
        Some(EventSpec {
            span: m.span,
            process: process?,
            code: info.code,
            evt_type: ty.value,
            enter_only,
            args,
            fd,
        })
    }

    fn param(
        &mut self,
        code: u16,
        name: &str,
        key_span: Span,
        value: &Node,
        desc: Option<&evtable::EventDesc>,
    ) -> Option<(usize, Vec<u8>)> {
        let info = falcoc_schema::events::event(code)?;
        let Some(i) = info.params.iter().position(|p| p.name == name) else {
            let names: Vec<&str> = info.params.iter().map(|p| p.name).collect();
            self.error(
                E_VALUE,
                key_span,
                format!(
                    "`{}` has no parameter `{name}` (its parameters: {})",
                    info.name,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            );
            return None;
        };
        let ty = info.params[i].ty;
        let table = desc.and_then(|d| d.params.get(i)).and_then(|p| p.names);
        let res = match value {
            Node::Sequence(s) => {
                let mut items = Vec::new();
                for it in &s.items {
                    items.push(self.string(it, "a list item")?.value);
                }
                params::encode(ty, table, None, Some(&items))
            }
            Node::Scalar(s) => params::encode(ty, table, Some(s.value()), None),
            Node::Null(_) => params::encode(ty, table, Some(""), None),
            Node::Mapping(_) => Err("a parameter value is a scalar or a list".to_string()),
        };
        match res {
            Ok(b) => Some((i, b)),
            Err(e) => {
                self.error(E_VALUE, value.span(), format!("parameter `{name}`: {e}"));
                None
            }
        }
    }

    fn process(&mut self, n: &Node, depth: usize) -> Option<ProcessSpec> {
        if depth > MAX_PARENT_DEPTH {
            self.error(
                E_VALUE,
                n.span(),
                format!("the parent chain is deeper than {MAX_PARENT_DEPTH} processes"),
            );
            return None;
        }
        let m = self.mapping(n, "a process")?;
        self.keys(m, PROCESS_KEYS, "process");
        let mut p = ProcessSpec::default();
        let mut ok = true;
        match m.get("name") {
            Some(v) => match self.string(v, "`name`") {
                Some(s) if !s.value.is_empty() => p.name = s.value,
                Some(s) => {
                    self.error(E_VALUE, s.span, "a process name cannot be empty");
                    ok = false;
                }
                None => ok = false,
            },
            None => {
                self.error(E_MISSING_KEY, m.span, "a process needs a `name`");
                ok = false;
            }
        }
        for e in &m.entries {
            let v = &e.value;
            let good = match e.key_str().unwrap_or("") {
                "pid" => match self.int(v, "`pid`") {
                    Some(x) if x > 0 && x < 1 << 31 => {
                        p.pid = Some(x);
                        true
                    }
                    Some(x) => {
                        self.error(E_VALUE, v.span(), format!("`pid` {x} is not a process id"));
                        false
                    }
                    None => false,
                },
                "exe" => self
                    .string(v, "`exe`")
                    .map(|s| p.exe = Some(s.value))
                    .is_some(),
                "exepath" => self
                    .string(v, "`exepath`")
                    .map(|s| p.exepath = Some(s.value))
                    .is_some(),
                "cwd" => self
                    .string(v, "`cwd`")
                    .map(|s| p.cwd = Some(s.value))
                    .is_some(),
                "user" => self
                    .string(v, "`user`")
                    .map(|s| p.user = Some(s.value))
                    .is_some(),
                "args" => {
                    p.args = self
                        .strings(v, "`args`")
                        .into_iter()
                        .map(|s| s.value)
                        .collect();
                    true
                }
                "env" => {
                    p.env = self
                        .strings(v, "`env`")
                        .into_iter()
                        .map(|s| s.value)
                        .collect();
                    true
                }
                "uid" => self.uint::<u32>(v, "`uid`").map(|x| p.uid = x).is_some(),
                "gid" => self.uint::<u32>(v, "`gid`").map(|x| p.gid = x).is_some(),
                "tty" => self.uint::<u32>(v, "`tty`").map(|x| p.tty = x).is_some(),
                "loginuid" => self
                    .int(v, "`loginuid`")
                    .map(|x| p.loginuid = Some(x))
                    .is_some(),
                "sid" => self.int(v, "`sid`").map(|x| p.sid = Some(x)).is_some(),
                "parent" => match self.process(v, depth + 1) {
                    Some(pp) => {
                        p.parent = Some(Box::new(pp));
                        true
                    }
                    None => false,
                },
                "container" => match self.container(v) {
                    Some(c) => {
                        p.container = Some(c);
                        true
                    }
                    None => false,
                },
                "fds" => match self.sequence(v, "`fds`") {
                    Some(items) => {
                        for i in items {
                            if let Some(fd) = self.fd(i) {
                                p.fds.push(fd);
                            } else {
                                ok = false;
                            }
                        }
                        true
                    }
                    None => false,
                },
                _ => true,
            };
            ok &= good;
        }
        ok.then_some(p)
    }

    fn container(&mut self, n: &Node) -> Option<ContainerSpec> {
        if let Node::Scalar(_) = n {
            let s = self.string(n, "`container`")?;
            return self.container_id(&s).map(|id| ContainerSpec {
                id,
                ..ContainerSpec::default()
            });
        }
        let m = self.mapping(n, "`container`")?;
        self.keys(m, CONTAINER_KEYS, "container");
        let mut c = ContainerSpec::default();
        let Some(id) = m.get("id") else {
            self.error(E_MISSING_KEY, m.span, "a container needs an `id`");
            return None;
        };
        let id = self.string(id, "`id`")?;
        c.id = self.container_id(&id)?;
        if let Some(v) = m.get("name") {
            c.name = self.string(v, "`name`")?.value;
        }
        if let Some(v) = m.get("image") {
            c.image = self.string(v, "`image`")?.value;
        }
        if let Some(v) = m.get("privileged") {
            c.privileged = self.bool(v, "`privileged`")?;
        }
        if let Some(v) = m.get("ip") {
            let s = self.string(v, "`ip`")?;
            if s.value.parse::<std::net::Ipv4Addr>().is_err() {
                self.error(
                    E_VALUE,
                    s.span,
                    format!("`{}` is not an IPv4 address", s.value),
                );
                return None;
            }
            c.ip = Some(s.value);
        }
        if let Some(v) = m.get("labels") {
            let lm = self.mapping(v, "`labels`")?;
            for e in &lm.entries {
                let k = e.key_str().unwrap_or("").to_string();
                let v = self.string(&e.value, "a label value")?.value;
                c.labels.push((k, v));
            }
        }
        Some(c)
    }

    fn container_id(&mut self, s: &Spanned<String>) -> Option<String> {
        let id = s.value.as_str();
        if id.len() < 12 || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.error(
                E_VALUE,
                s.span,
                format!("container id `{id}`: expected 12 to 64 hex digits"),
            );
            return None;
        }
        Some(id.to_ascii_lowercase())
    }

    fn fd(&mut self, n: &Node) -> Option<FdSpec> {
        let m = self.mapping(n, "an fd")?;
        self.keys(m, FD_KEYS, "fd");
        let num = match m.get("num") {
            Some(v) => self.int(v, "`num`")?,
            None => 3,
        };
        if !(0..=1 << 20).contains(&num) {
            self.error(
                E_VALUE,
                m.get("num").map_or(m.span, Node::span),
                "an fd number is 0 to 1048576",
            );
            return None;
        }
        let ty = match m.get("type") {
            Some(v) => self.string(v, "`type`")?,
            None => Spanned {
                value: "file".to_string(),
                span: m.span,
            },
        };
        let name = match m.get("name") {
            Some(v) => Some(self.string(v, "`name`")?.value),
            None => None,
        };
        let kind = match ty.value.as_str() {
            "file" | "directory" | "unix" => {
                let Some(name) = name else {
                    self.error(
                        E_MISSING_KEY,
                        m.span,
                        format!("a {} fd needs a `name`", ty.value),
                    );
                    return None;
                };
                match ty.value.as_str() {
                    "file" => {
                        let flags = match m.get("flags") {
                            Some(f) => {
                                let table = open_flag_names();
                                let s = self.strings(f, "`flags`");
                                let names: Vec<&str> = s.iter().map(|x| x.value.as_str()).collect();
                                match params::parse_flags(
                                    &names,
                                    table,
                                    falcoc_schema::fields::FieldType::Flags32,
                                ) {
                                    Ok(v) => v as u32,
                                    Err(e) => {
                                        self.error(E_VALUE, f.span(), format!("`flags`: {e}"));
                                        return None;
                                    }
                                }
                            }
                            None => 1,
                        };
                        FdKind::File { name, flags }
                    }
                    "directory" => FdKind::Directory { name },
                    _ => FdKind::Unix { name },
                }
            }
            "ipv4" => {
                let (sip, sport, dip, dport) = match m.get("tuple") {
                    Some(t) => {
                        let s = self.string(t, "`tuple`")?;
                        match params::v4_tuple(&s.value) {
                            Ok(t) => t,
                            Err(e) => {
                                self.error(E_VALUE, s.span, e);
                                return None;
                            }
                        }
                    }
                    None => (
                        std::net::Ipv4Addr::UNSPECIFIED,
                        0,
                        std::net::Ipv4Addr::UNSPECIFIED,
                        0,
                    ),
                };
                let proto = match m.get("proto").map(|p| self.string(p, "`proto`")) {
                    None => 2,
                    Some(Some(s)) if s.value == "tcp" => 2,
                    Some(Some(s)) if s.value == "udp" => 3,
                    Some(Some(s)) => {
                        self.error(E_VALUE, s.span, "`proto` is tcp or udp");
                        return None;
                    }
                    Some(None) => return None,
                };
                FdKind::Ipv4 {
                    sip,
                    sport,
                    dip,
                    dport,
                    proto,
                }
            }
            other => {
                self.error(
                    E_VALUE,
                    ty.span,
                    format!("fd type `{other}`: expected file, directory, ipv4 or unix"),
                );
                return None;
            }
        };
        Some(FdSpec { num, kind })
    }
}

/// The names of `PPM_O_*` open flags (those of `openat`'s `flags`).
pub fn open_flag_names() -> Option<&'static [(&'static str, u32)]> {
    let code = events()
        .iter()
        .filter(|e| e.name == "openat" && e.direction == Direction::Exit && !e.is_old_version())
        .max_by_key(|e| e.code)?
        .code;
    let desc = evtable::event(code)?;
    let i = desc.param_index("flags")?;
    desc.params.get(i)?.names
}

/// A YAML node as JSON: plain scalars that read as numbers, booleans or null become
/// those; quoted scalars stay strings; `<<` merge keys merge (explicit keys win).
pub fn json(n: &Node) -> Value {
    match n {
        Node::Null(_) => Value::Null,
        Node::Scalar(s) => {
            let v = s.value();
            if s.style() == ScalarStyle::Plain {
                match v {
                    "true" => return Value::Bool(true),
                    "false" => return Value::Bool(false),
                    "null" | "~" => return Value::Null,
                    _ => {}
                }
                if let Ok(i) = v.parse::<i64>() {
                    return Value::from(i);
                }
                if v.contains(['.', 'e', 'E']) && !v.starts_with('.') {
                    if let Ok(f) = v.parse::<f64>() {
                        if f.is_finite() {
                            return Value::from(f);
                        }
                    }
                }
            }
            Value::String(v.to_string())
        }
        Node::Sequence(s) => Value::Array(s.items.iter().map(json).collect()),
        Node::Mapping(m) => {
            // `<<: *anchor` merges the anchored mapping(s); explicit keys win.
            let mut out = serde_json::Map::new();
            for e in m.entries.iter().filter(|e| e.key_str() != Some("<<")) {
                out.insert(e.key_str().unwrap_or("").to_string(), json(&e.value));
            }
            for e in m.entries.iter().filter(|e| e.key_str() == Some("<<")) {
                let merged: Vec<&Node> = match &e.value {
                    Node::Sequence(s) => s.items.iter().collect(),
                    v => vec![v],
                };
                for n in merged {
                    if let Value::Object(o) = json(n) {
                        for (k, v) in o {
                            out.entry(k).or_insert(v);
                        }
                    }
                }
            }
            Value::Object(out)
        }
    }
}
