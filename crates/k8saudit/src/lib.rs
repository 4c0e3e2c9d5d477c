//! The `k8s_audit` event source: Kubernetes API-server audit events, as the webhook
//! backend posts them (a single `Event`, an `EventList`, or a JSON array of either) or as
//! a log file holds them (one payload per line), and the `ka.*` / `jevt.*` / `json.*`
//! fields of fields.md §7 over them.
//!
//! * [`decode_payload`] parses one payload **once** into a [`json::Doc`] shared by its
//!   events; each [`AuditEvent`] is a node of it with the event time (`stageTimestamp`,
//!   RFC 3339). An event without a readable `stageTimestamp` is rejected, as the k8saudit
//!   plugin drops it.
//! * [`AuditFields`] extracts fields of one event for the engine ([`EventFields`]):
//!   the k8saudit plugin's fields (its extraction rules: a string value as is, any other
//!   JSON value as compact JSON; list fields with list semantics; `[N]` selects one
//!   container, volume or role rule), the json plugin's `json.*` and `jevt.*` aliases
//!   (`jevt.value[/json/pointer]`, RFC 6901), and the generic `evt.*` fields. A value
//!   that is absent is **missing** (the check is false; `<NA>` in text, `null` in JSON),
//!   as with the plugins (not the `<NA>` string of Falco ≤ 0.31); an event without
//!   `auditID` has no `ka.*` field at all. Deliberate differences are in docs/compat.md.
//! * [`evaluate`] runs an [`Engine`] built for the `k8s_audit` source on one event;
//!   [`read_file`] reads a file of payloads (`falcoc replay --source k8s_audit`).
//!
//! ```
//! use falcoc_schema::fields::PluginProfile;
//! use falcoc_compiler::{load, Input, LoadOptions};
//! use falcoc_engine::{Engine, EngineOptions};
//! use falcoc_k8saudit::{decode_payload, evaluate, FieldOptions, K8S_AUDIT_SOURCE};
//!
//! let rules = br#"
//! - rule: Secret read
//!   desc: a secret was read
//!   condition: ka.verb = get and ka.target.resource = secrets
//!   output: "secret read (user=%ka.user.name secret=%ka.target.name)"
//!   priority: WARNING
//!   source: k8s_audit
//! "#;
//! let profile = PluginProfile::from_names(&["k8saudit", "json"]).expect("known plugins");
//! let load_options = LoadOptions { profile: profile.clone(), ..LoadOptions::default() };
//! let loaded = load(&[Input { name: "rules.yaml", bytes: rules }], &load_options);
//! assert!(!loaded.has_errors());
//! let options = EngineOptions {
//!     source: K8S_AUDIT_SOURCE.into(),
//!     profile,
//!     ..EngineOptions::default()
//! };
//! let mut engine = Engine::new(loaded.rules, options).expect("outputs compile");
//!
//! let payload = r#"{"kind": "Event", "auditID": "1", "verb": "get",
//!     "user": {"username": "alice"},
//!     "objectRef": {"resource": "secrets", "namespace": "db", "name": "password"},
//!     "stageTimestamp": "2024-01-15T10:00:00.000000Z"}"#;
//! let events = decode_payload(payload.to_string()).expect("a JSON payload");
//! let event = events[0].as_ref().expect("an audit event");
//! let alerts = evaluate(&mut engine, event, 1, &FieldOptions::default());
//! assert_eq!(alerts[0].message, "secret read (user=alice secret=password)");
//! ```

#![warn(missing_docs)]

pub mod json;

use std::borrow::Cow;
use std::sync::Arc;

use falcoc_codegen::{FieldDesc, FieldId};
use falcoc_compiler::ir::{Operand, OperandKind};
use falcoc_schema::events::PPME_PLUGINEVENT_E;
use falcoc_schema::fields::{FieldArg, PrintFormat, ResolvedField};
use serde_json::Value;

use falcoc_engine::time::{days_from_civil, TimeZone};
use falcoc_engine::time::{iso8601_time, time_text};
use falcoc_engine::values::{json_values, render_values};
use falcoc_engine::vm::{transform, FieldSource, Values};
use falcoc_engine::Alert;
use falcoc_engine::{Engine, EventFields};
use json::{Doc, JsonError, Kind, NodeId};

/// The event source name of Kubernetes audit events (the k8saudit plugin's source).
pub const K8S_AUDIT_SOURCE: &str = "k8s_audit";

/// The plugin name reported by `evt.pluginname`.
pub const PLUGIN_NAME: &str = "k8saudit";

/// One audit event: a node of a decoded payload and its time.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    doc: Arc<Doc>,
    node: NodeId,
    ts: u64,
}

impl AuditEvent {
    /// The event time (`stageTimestamp`) in ns since the epoch.
    pub fn ts(&self) -> u64 {
        self.ts
    }

    /// The event as compact JSON (what `jevt.obj` and `evt.plugininfo` show).
    pub fn to_json(&self) -> String {
        self.doc.compact(self.node)
    }

    /// The document and node of the event.
    pub fn node(&self) -> (&Doc, NodeId) {
        (&self.doc, self.node)
    }
}

/// Why a payload is not audit events at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Not valid JSON.
    Json(JsonError),
    /// Valid JSON that is not an `Event`, an `EventList` or an array of them.
    NotAudit(String),
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::Json(e) => e.fmt(f),
            PayloadError::NotAudit(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for PayloadError {}

/// The events of a payload: each decoded event, or why the item at that position was
/// rejected (`items[3]: missing stageTimestamp`).
pub type Decoded = Vec<Result<AuditEvent, String>>;

/// Decodes a payload (an audit `Event`, an `EventList`, or a JSON array of either).
pub fn decode_payload(text: String) -> Result<Decoded, PayloadError> {
    let doc = Arc::new(Doc::parse(text).map_err(PayloadError::Json)?);
    let mut out = Vec::new();
    collect(&doc, doc.root(), "", &mut out, true)?;
    Ok(out)
}

/// The `kind` of an object node.
fn kind_of(doc: &Doc, n: NodeId) -> Option<Cow<'_, str>> {
    doc.get(n, "kind").and_then(|k| doc.str(k))
}

fn collect(
    doc: &Arc<Doc>,
    n: NodeId,
    at: &str,
    out: &mut Decoded,
    top: bool,
) -> Result<(), PayloadError> {
    let not_audit = |what: &str| {
        let place = if at.is_empty() { "payload" } else { at };
        format!("{place}: {what}")
    };
    if let Some(items) = doc.array(n) {
        for (i, &item) in items.iter().enumerate() {
            collect(doc, item, &format!("{at}[{i}]"), out, top)?;
        }
        return Ok(());
    }
    let kind = kind_of(doc, n);
    match kind.as_deref() {
        Some("EventList") => match doc.get(n, "items").and_then(|i| doc.array(i)) {
            Some(items) => {
                for (i, &item) in items.iter().enumerate() {
                    out.push(single(doc, item, &format!("{at}.items[{i}]")));
                }
                Ok(())
            }
            None => Err(PayloadError::NotAudit(not_audit(
                "an EventList without an items array",
            ))),
        },
        Some("Event") => {
            out.push(single(doc, n, at));
            Ok(())
        }
        _ if top && at.is_empty() => Err(PayloadError::NotAudit(not_audit(
            "not a Kubernetes audit Event or EventList (no \"kind\": \"Event\" or \"EventList\")",
        ))),
        _ => {
            out.push(Err(not_audit(
                "not a Kubernetes audit Event (no \"kind\": \"Event\")",
            )));
            Ok(())
        }
    }
}

fn single(doc: &Arc<Doc>, n: NodeId, at: &str) -> Result<AuditEvent, String> {
    let place = if at.is_empty() { "event" } else { at };
    let Some(ts) = doc.get(n, "stageTimestamp") else {
        return Err(format!("{place}: missing stageTimestamp"));
    };
    let Some(text) = doc.str(ts) else {
        return Err(format!("{place}: stageTimestamp is not a string"));
    };
    let ts = parse_rfc3339(&text)
        .ok_or_else(|| format!("{place}: stageTimestamp {text:?} is not an RFC 3339 time"))?;
    Ok(AuditEvent {
        doc: Arc::clone(doc),
        node: n,
        ts,
    })
}

/// Parses an RFC 3339 time (`2018-10-25T17:36:11.686139Z`, `…+02:00`) to ns since the
/// epoch (`None` when malformed or before 1970).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = b.get(r)?;
        if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(t).ok()?.parse().ok()
    };
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        for k in 0..9 {
            let digit = if start + k < i {
                i64::from(b[start + k] - b'0')
            } else {
                0
            };
            nanos = nanos * 10 + digit;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(c @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            let o = oh * 3600 + om * 60;
            if *c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(nanos as u64)
}

/// Reads a file of audit payloads: the whole file as one JSON value (an `Event`, an
/// `EventList`, an array), or else one payload per non-empty line (the k8saudit
/// plugin's file format). A line that is not a payload is an error entry naming the
/// line (1-based), and the other lines still count; a single-payload file that does not
/// parse is an error.
pub fn read_file(text: String) -> Result<Decoded, String> {
    let whole = match decode_payload(text.clone()) {
        Ok(events) => return Ok(events),
        Err(e) => e,
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() <= 1 {
        return Err(whole.to_string());
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match decode_payload(line.to_string()) {
            Ok(events) => out.extend(
                events
                    .into_iter()
                    .map(|e| e.map_err(|m| format!("line {}: {m}", n + 1))),
            ),
            Err(e) => out.push(Err(format!("line {}: {e}", n + 1))),
        }
    }
    Ok(out)
}

/// Settings of field extraction that come from the engine's configuration.
#[derive(Debug, Clone)]
pub struct FieldOptions {
    /// The zone of `evt.time` and `evt.datetime`.
    pub timezone: TimeZone,
    /// `evt.hostname`.
    pub hostname: String,
}

impl Default for FieldOptions {
    fn default() -> FieldOptions {
        FieldOptions {
            timezone: TimeZone::UTC,
            hostname: falcoc_engine::hostname_from_env(),
        }
    }
}

/// Field extraction over one [`AuditEvent`]: the engine's [`EventFields`].
#[derive(Debug)]
pub struct AuditFields<'a> {
    ev: &'a AuditEvent,
    num: u64,
    opts: &'a FieldOptions,
}

impl<'a> AuditFields<'a> {
    /// Fields of `ev`, the `num`-th event of the stream (`evt.num`, from 1).
    pub fn new(ev: &'a AuditEvent, num: u64, opts: &'a FieldOptions) -> AuditFields<'a> {
        AuditFields { ev, num, opts }
    }

    /// Extracts a resolved field into `out` (`false` when missing).
    pub fn field(&self, f: &ResolvedField, out: &mut Values) -> bool {
        let ok = self.extract_named(f.field.name, &f.arg, out);
        ok && !out.is_empty()
    }

    fn extract_named(&self, name: &str, arg: &FieldArg, out: &mut Values) -> bool {
        let doc = &*self.ev.doc;
        let ev = self.ev.node;
        if let Some(rest) = name.strip_prefix("evt.") {
            return self.generic(rest, out);
        }
        if let Some(rest) = name
            .strip_prefix("jevt.")
            .or_else(|| name.strip_prefix("json."))
        {
            return match rest {
                "value" => {
                    let Some(ptr) = arg_text(arg) else {
                        return false;
                    };
                    match json_pointer(doc, ev, ptr) {
                        Some(n) => push(out, &doc.text_of(n)),
                        None => false,
                    }
                }
                "obj" => push(out, &self.ev.to_json()),
                "rawtime" => push(out, &self.ev.ts.to_string()),
                _ => false,
            };
        }
        // The k8saudit plugin ignores JSON objects that are not audit events.
        if doc.get(ev, "auditID").is_none() {
            return false;
        }
        ka_field(doc, ev, name, arg, out)
    }

    fn generic(&self, rest: &str, out: &mut Values) -> bool {
        let ts = self.ev.ts;
        let tz = self.opts.timezone;
        match rest {
            "num" => out.push_u64(self.num),
            "time" | "outputtime" => out.push_str(&time_text(ts, tz, false, true)),
            "time.s" => out.push_str(&time_text(ts, tz, false, false)),
            "time.iso8601" => out.push_str(&iso8601_time(ts)),
            "datetime" => out.push_str(&time_text(ts, tz, true, true)),
            "datetime.s" => out.push_str(&time_text(ts, tz, true, false)),
            "rawtime" => out.push_u64(ts),
            "rawtime.s" => out.push_u64(ts / 1_000_000_000),
            "rawtime.ns" => out.push_u64(ts % 1_000_000_000),
            "pluginname" => out.push_str(PLUGIN_NAME),
            "plugininfo" => return push(out, &self.ev.to_json()),
            "source" => out.push_str(K8S_AUDIT_SOURCE),
            "is_async" => out.push_bool(false),
            "hostname" => return push(out, &self.opts.hostname),
            _ => return false,
        }
        true
    }

    fn eval_operand(&self, op: &Operand, out: &mut Values) -> bool {
        transform::eval_operand(op, out, &mut |leaf, out| match &leaf.kind {
            OperandKind::Field(rf) => self.field(rf, out),
            OperandKind::Literal(s) => push(out, s),
            _ => false,
        })
    }
}

/// Pushes a string as libsinsp stores it (up to the first NUL).
fn push(out: &mut Values, s: &str) -> bool {
    out.push_str(s.split('\0').next().unwrap_or_default());
    true
}

fn arg_text(arg: &FieldArg) -> Option<&str> {
    match arg {
        FieldArg::Plugin { text, .. } | FieldArg::Key(text) => Some(text),
        _ => None,
    }
}

/// The `[N]` index of a plugin field, when given.
fn arg_index(arg: &FieldArg) -> Option<usize> {
    match arg {
        FieldArg::Plugin { index, .. } => index.and_then(|i| usize::try_from(i).ok()),
        FieldArg::Index(i) => usize::try_from(*i).ok(),
        _ => None,
    }
}

/// Resolves an RFC 6901 JSON pointer (`""` is the whole event; `~1` is `/`, `~0` is `~`).
pub fn json_pointer(doc: &Doc, root: NodeId, ptr: &str) -> Option<NodeId> {
    if ptr.is_empty() {
        return Some(root);
    }
    let rest = ptr.strip_prefix('/')?;
    let mut at = root;
    for token in rest.split('/') {
        let key = token.replace("~1", "/").replace("~0", "~");
        at = match doc.kind(at) {
            Kind::Object { .. } => doc.get(at, &key)?,
            Kind::Array { .. } => {
                if key.len() > 1 && key.starts_with('0') {
                    return None;
                }
                let i: usize = key.parse().ok()?;
                *doc.array(at)?.get(i)?
            }
            _ => return None,
        };
    }
    Some(at)
}

/// The values under a path of keys where each array met on the way fans out (or, with
/// an index, selects that element): the k8saudit plugin's walk over containers,
/// volumes and role rules. An element without the rest of the path gives `None`.
/// `None` overall when the path is absent before the first array.
fn walk(doc: &Doc, n: NodeId, index: Option<usize>, keys: &[&str]) -> Option<Vec<Option<NodeId>>> {
    let mut at = n;
    for (i, k) in keys.iter().enumerate() {
        if let Some(items) = doc.array(at) {
            match index {
                None => {
                    let mut res = Vec::new();
                    for &e in items {
                        match walk(doc, e, None, &keys[i..]) {
                            Some(v) => res.extend(v),
                            None => res.push(None),
                        }
                    }
                    return Some(res);
                }
                Some(ix) => at = *items.get(ix)?,
            }
        }
        if !k.is_empty() {
            at = doc.get(at, k)?;
        }
    }
    Some(vec![Some(at)])
}

/// Pushes every present value's text; `true` when the walk found the path.
fn push_texts(doc: &Doc, vals: Option<Vec<Option<NodeId>>>, out: &mut Values) -> bool {
    let Some(vals) = vals else {
        return false;
    };
    for n in vals.into_iter().flatten() {
        push(out, &doc.text_of(n));
    }
    true
}

/// A single value under `keys` (its text), or the elements of the array there for list
/// fields.
fn keys_value(doc: &Doc, ev: NodeId, keys: &[&str], list: bool, out: &mut Values) -> bool {
    let Some(n) = doc.path(ev, keys) else {
        return false;
    };
    if list {
        let Some(items) = doc.array(n) else {
            return false;
        };
        for &e in items {
            push(out, &doc.text_of(e));
        }
        return true;
    }
    push(out, &doc.text_of(n))
}

/// The repository part of an image (`nginx:1.2` → `nginx`, `img@sha256:…` → `img`).
fn repository(image: &str) -> &str {
    let no_tag = image.split(':').next().unwrap_or(image);
    no_tag.split('@').next().unwrap_or(no_tag)
}

/// Container-list fields, for `containers`, `initContainers` and
/// `ephemeralContainers`.
fn container_field(
    doc: &Doc,
    ev: NodeId,
    list: &str,
    what: &str,
    index: Option<usize>,
    out: &mut Values,
) -> bool {
    let base = ["requestObject", "spec", list];
    let path = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let sc = |k: &'static str| path(&["securityContext", k]);
    match what {
        "image" | "image.repository" => {
            // Every container must have an image, else the field is missing.
            let Some(vals) = walk(doc, ev, index, &path(&["image"])) else {
                return false;
            };
            let mut texts = Vec::with_capacity(vals.len());
            for v in vals {
                let Some(n) = v else {
                    return false;
                };
                texts.push(doc.text_of(n));
            }
            for t in texts {
                if what == "image" {
                    push(out, &t);
                } else {
                    push(out, repository(&t));
                }
            }
            true
        }
        "name" | "command" | "args" => {
            let key = match what {
                "name" => "name",
                "command" => "command",
                _ => "args",
            };
            push_texts(doc, walk(doc, ev, index, &path(&[key])), out)
        }
        "privileged" => push_texts(doc, walk(doc, ev, index, &sc("privileged")), out),
        "allow_privilege_escalation" => push_texts(
            doc,
            walk(doc, ev, index, &sc("allowPrivilegeEscalation")),
            out,
        ),
        "read_only_fs" => push_texts(
            doc,
            walk(doc, ev, index, &sc("readOnlyRootFilesystem")),
            out,
        ),
        "run_as_user" => push_texts(doc, walk(doc, ev, index, &sc("runAsUser")), out),
        "run_as_group" => push_texts(doc, walk(doc, ev, index, &sc("runAsGroup")), out),
        "proc_mount" => push_texts(doc, walk(doc, ev, index, &sc("procMount")), out),
        "add_capabilities" => push_texts(
            doc,
            walk(
                doc,
                ev,
                index,
                &path(&["securityContext", "capabilities", "add"]),
            ),
            out,
        ),
        "eff_run_as_user" | "eff_run_as_group" => {
            let key = if what == "eff_run_as_user" {
                "runAsUser"
            } else {
                "runAsGroup"
            };
            let pod = doc
                .path(ev, &["requestObject", "spec", "securityContext", key])
                .map_or(Cow::Borrowed("0"), |n| doc.text_of(n));
            let Some(vals) = walk(doc, ev, index, &sc(key)) else {
                return false;
            };
            for v in vals {
                match v {
                    Some(n) => push(out, &doc.text_of(n)),
                    None => push(out, &pod),
                };
            }
            true
        }
        "host_port" => {
            let Some(vals) = walk(doc, ev, index, &path(&["ports"])) else {
                return false;
            };
            for ports in vals.into_iter().flatten() {
                let Some(items) = doc.array(ports) else {
                    return false;
                };
                for &p in items {
                    if let Some(n) = doc
                        .get(p, "hostPort")
                        .or_else(|| doc.get(p, "containerPort"))
                    {
                        push(out, &doc.text_of(n));
                    }
                }
            }
            true
        }
        _ => false,
    }
}

/// Percent-decoding of a URI query component (`+` is a space).
fn query_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let h = b.get(i + 1..i + 3)?;
                let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
                out.push(v);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The `ka.*` fields of the k8saudit plugin.
fn ka_field(doc: &Doc, ev: NodeId, name: &str, arg: &FieldArg, out: &mut Values) -> bool {
    let Some(rest) = name.strip_prefix("ka.") else {
        return false;
    };
    let index = arg_index(arg);
    let keys = |k: &[&str], out: &mut Values| keys_value(doc, ev, k, false, out);
    let list = |k: &[&str], out: &mut Values| keys_value(doc, ev, k, true, out);
    for (prefix, container_list) in [
        ("req.pod.containers.", "containers"),
        ("req.pod.initContainers.", "initContainers"),
        ("req.pod.ephemeralContainers.", "ephemeralContainers"),
    ] {
        if let Some(what) = rest.strip_prefix(prefix) {
            return container_field(doc, ev, container_list, what, index, out);
        }
    }
    match rest {
        "auditid" => keys(&["auditID"], out),
        "stage" => keys(&["stage"], out),
        "auth.decision" => keys(&["annotations", "authorization.k8s.io/decision"], out),
        "auth.reason" => keys(&["annotations", "authorization.k8s.io/reason"], out),
        "auth.openshift.decision" => keys(
            &["annotations", "authentication.openshift.io/decision"],
            out,
        ),
        "auth.openshift.username" => keys(
            &["annotations", "authentication.openshift.io/username"],
            out,
        ),
        "validations.admission.policy.failure" => keys(
            &[
                "annotations",
                "validation.policy.admission.k8s.io/validation_failure",
            ],
            out,
        ),
        "security.pod.violations" => keys(
            &["annotations", "pod-security.kubernetes.io/audit-violations"],
            out,
        ),
        "user.name" => keys(&["user", "username"], out),
        "user.groups" => list(&["user", "groups"], out),
        "impuser.name" => keys(&["impersonatedUser", "username"], out),
        "verb" => keys(&["verb"], out),
        "uri" => keys(&["requestURI"], out),
        "uri.param" => {
            let (Some(key), Some(uri)) = (
                arg_text(arg),
                doc.get(ev, "requestURI").map(|n| doc.text_of(n)),
            ) else {
                return false;
            };
            let query = uri.split_once('?').map_or("", |(_, q)| q);
            let query = query.split('#').next().unwrap_or_default();
            for pair in query.split(['&', ';']) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                if query_unescape(k).as_deref() == Some(key) {
                    return match query_unescape(v) {
                        Some(v) => push(out, &v),
                        None => false,
                    };
                }
            }
            false
        }
        "target.name" | "req.configmap.name" => keys(&["objectRef", "name"], out),
        "target.namespace" => keys(&["objectRef", "namespace"], out),
        "target.resource" => keys(&["objectRef", "resource"], out),
        "target.subresource" => keys(&["objectRef", "subresource"], out),
        "target.pod.name" => {
            let resource = doc
                .path(ev, &["objectRef", "resource"])
                .and_then(|n| doc.str(n));
            if resource.as_deref() != Some("pods") {
                return false;
            }
            keys(&["objectRef", "name"], out)
        }
        "req.binding.subjects" => list(&["requestObject", "subjects"], out),
        "req.binding.subjects.user_names"
        | "req.binding.subjects.serviceaccount_names"
        | "req.binding.subjects.serviceaccount_ns_names"
        | "req.binding.subjects.group_names" => {
            let Some(subjects) = doc
                .path(ev, &["requestObject", "subjects"])
                .and_then(|n| doc.array(n))
            else {
                return false;
            };
            let want = match rest.rsplit('.').next() {
                Some("user_names") => "User",
                Some("group_names") => "Group",
                _ => "ServiceAccount",
            };
            for &s in subjects {
                let kind = doc.get(s, "kind").and_then(|k| doc.str(k));
                if kind.as_deref() != Some(want) {
                    continue;
                }
                let Some(name) = doc.get(s, "name").map(|n| doc.text_of(n)) else {
                    continue;
                };
                if rest.ends_with("serviceaccount_ns_names") {
                    let ns = doc.get(s, "namespace").map(|n| doc.text_of(n));
                    push(out, &format!("{}:{name}", ns.as_deref().unwrap_or("")));
                } else {
                    push(out, &name);
                }
            }
            true
        }
        "req.binding.role" => keys(&["requestObject", "roleRef", "name"], out),
        "req.binding.subject.has_name" => push(out, "true"),
        "req.configmap.obj" => keys(&["requestObject", "data"], out),
        "req.container.image" | "req.container.image.repository" => {
            let mut v = Values::new();
            let what = if rest.ends_with("repository") {
                "image.repository"
            } else {
                "image"
            };
            if !container_field(doc, ev, "containers", what, Some(0), &mut v) {
                return false;
            }
            match v.first() {
                Some(x) => {
                    out.push(x);
                    true
                }
                None => false,
            }
        }
        "req.pod.host_ipc" => keys(&["requestObject", "spec", "hostIPC"], out),
        "req.pod.host_network" | "req.container.host_network" => {
            keys(&["requestObject", "spec", "hostNetwork"], out)
        }
        "req.pod.host_pid" => keys(&["requestObject", "spec", "hostPID"], out),
        "req.container.privileged" => {
            let Some(vals) = walk(
                doc,
                ev,
                None,
                &[
                    "requestObject",
                    "spec",
                    "containers",
                    "securityContext",
                    "privileged",
                ],
            ) else {
                return false;
            };
            let any = vals
                .into_iter()
                .flatten()
                .any(|n| doc.kind(n) == Kind::Bool(true));
            push(out, if any { "true" } else { "false" })
        }
        "req.pod.run_as_user" => keys(
            &["requestObject", "spec", "securityContext", "runAsUser"],
            out,
        ),
        "req.pod.run_as_group" => keys(
            &["requestObject", "spec", "securityContext", "runAsGroup"],
            out,
        ),
        "req.pod.fs_group" => keys(
            &["requestObject", "spec", "securityContext", "fsGroup"],
            out,
        ),
        "req.pod.supplemental_groups" => list(
            &[
                "requestObject",
                "spec",
                "securityContext",
                "supplementalGroups",
            ],
            out,
        ),
        "req.role.rules" => list(&["requestObject", "rules"], out),
        "req.role.rules.apiGroups"
        | "req.role.rules.nonResourceURLs"
        | "req.role.rules.verbs"
        | "req.role.rules.resources" => {
            let key = rest.rsplit('.').next().unwrap_or_default();
            let Some(vals) = walk(doc, ev, index, &["requestObject", "rules", key]) else {
                return false;
            };
            for n in vals.into_iter().flatten() {
                for &e in doc.array(n).unwrap_or_default() {
                    push(out, &doc.text_of(e));
                }
            }
            true
        }
        "req.service.type" => keys(&["requestObject", "spec", "type"], out),
        "req.service.ports" => push_texts(
            doc,
            walk(doc, ev, index, &["requestObject", "spec", "ports"]),
            out,
        ),
        "req.volume.hostpath" => {
            let Some(pattern) = arg_text(arg) else {
                return false;
            };
            let Some(vals) = walk(
                doc,
                ev,
                None,
                &["requestObject", "spec", "volumes", "hostPath", "path"],
            ) else {
                return false;
            };
            let hit = vals.into_iter().flatten().any(|n| {
                let path = doc.text_of(n);
                match pattern.strip_suffix('*') {
                    Some(prefix) => path.starts_with(prefix),
                    None => path == pattern,
                }
            });
            push(out, if hit { "true" } else { "false" })
        }
        "req.pod.volumes.hostpath" => push_texts(
            doc,
            walk(
                doc,
                ev,
                index,
                &["requestObject", "spec", "volumes", "hostPath", "path"],
            ),
            out,
        ),
        "req.pod.volumes.flexvolume_driver" => push_texts(
            doc,
            walk(
                doc,
                ev,
                index,
                &["requestObject", "spec", "volumes", "flexVolume", "driver"],
            ),
            out,
        ),
        "req.pod.volumes.volume_type" => {
            let Some(vals) = walk(doc, ev, index, &["requestObject", "spec", "volumes", ""]) else {
                return false;
            };
            for n in vals.into_iter().flatten() {
                for (k, _) in doc.members(n) {
                    if k != "name" {
                        push(out, &k);
                    }
                }
            }
            true
        }
        "resp.name" => keys(&["responseObject", "metadata", "name"], out),
        "response.code" => keys(&["responseStatus", "code"], out),
        "response.reason" => keys(&["responseStatus", "reason"], out),
        "useragent" => keys(&["userAgent"], out),
        "sourceips" => {
            let Some(items) = doc.get(ev, "sourceIPs").and_then(|n| doc.array(n)) else {
                return false;
            };
            let items: Vec<NodeId> = match index {
                Some(i) => items.get(i).copied().into_iter().collect(),
                None => items.to_vec(),
            };
            for e in items {
                push(out, &doc.text_of(e));
            }
            true
        }
        _ => false,
    }
}

impl FieldSource for AuditFields<'_> {
    fn extract(&mut self, _id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
        self.field(&field.field, out)
    }
}

impl EventFields for AuditFields<'_> {
    fn display_operand(&mut self, operand: &Operand) -> Option<String> {
        let mut v = Values::new();
        if !self.eval_operand(operand, &mut v) || v.is_empty() {
            return None;
        }
        if operand.is_list {
            let parts: Vec<String> = v
                .iter()
                .map(|x| {
                    let mut t = Vec::new();
                    transform::c_text(x, &mut t);
                    String::from_utf8_lossy(&t).into_owned()
                })
                .collect();
            return Some(format!("({})", parts.join(",")));
        }
        let format = operand
            .base_field()
            .map_or(PrintFormat::Na, |f| f.field.format);
        render_values(&v, operand.ty, format)
    }

    fn json_field(&mut self, field: &ResolvedField) -> Value {
        if matches!(field.field.name, "evt.time" | "evt.time.iso8601") {
            return Value::from(self.ev.ts);
        }
        let mut v = Values::new();
        if !self.field(field, &mut v) {
            return Value::Null;
        }
        json_values(&v, field.ty, field.field.format, field.is_list())
    }
}

/// Runs `engine` (built with [`EngineOptions::source`](falcoc_engine::EngineOptions)
/// `k8s_audit`) on `ev`, the `num`-th event of its stream.
pub fn evaluate(engine: &mut Engine, ev: &AuditEvent, num: u64, opts: &FieldOptions) -> Vec<Alert> {
    let mut fields = AuditFields::new(ev, num, opts);
    engine.evaluate_fields(PPME_PLUGINEVENT_E, ev.ts, &mut fields)
}

#[cfg(test)]
mod tests;
