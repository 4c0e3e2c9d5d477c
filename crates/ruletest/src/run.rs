//! Running a test file: its rule files loaded once (in order, with the file's `options`
//! over the shipped `falco.yaml`), then each case on a fresh engine and state: its
//! events, the alerts they raise, the expectations checked, and for a failing case an
//! explanation of each rule that did not behave.

use std::path::{Path, PathBuf};

use falcoc_compiler::compile::CompiledRule;
use falcoc_compiler::load::{auto_profile_of, load_read, read_inputs, Input, LoadOptions, Mode};
use falcoc_config::Config;
use falcoc_engine::time::TimeZone;
use falcoc_engine::{Alert, Engine, EngineOptions, SHIPPED_CONFIG};
use falcoc_k8saudit::{self as k8saudit, AuditEvent, AuditFields, FieldOptions};
use falcoc_lang::diagnostic::{Diagnostic, SourceFile};
use falcoc_lang::Span;
use falcoc_scap as scap;
use falcoc_schema::fields::PluginProfile;
use falcoc_state::{State, StateOptions};
use falcoc_syscall::extract::{ExtractOptions, Extractor};
use falcoc_syscall::{replay, SyscallEngine, SyscallOptions};
use serde_json::Value;

use crate::expect::{check_case, Verdict};
use crate::explain::{self, Explanation};
use crate::model::{Case, EventSpec, Input as CaseInput, K8sInput, TestFile};
use crate::reader::{read_test_file, E_FILE};
use crate::synth::{synthesize, HOSTNAME};

/// An alert as a test sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenAlert {
    /// The rule.
    pub rule: String,
    /// Its priority.
    pub priority: falcoc_compiler::priority::Priority,
    /// `output_fields`.
    pub output_fields: serde_json::Map<String, Value>,
    /// The index of the event (of the case's hand-written or audit events) that raised
    /// it; `None` for captures.
    pub event: Option<usize>,
}

impl SeenAlert {
    fn of(a: Alert, event: Option<usize>) -> SeenAlert {
        SeenAlert {
            rule: a.rule,
            priority: a.priority,
            output_fields: a.output_fields.into_iter().collect(),
            event,
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The case name.
    pub name: String,
    /// 1-based line and column of the case in the test file.
    pub line: usize,
    /// See [`line`](Self::line).
    pub column: usize,
    /// The verdict: problems (empty when it passed) and the alert diff.
    pub verdict: Verdict,
    /// Every alert raised, in event order.
    pub alerts: Vec<SeenAlert>,
    /// For a failing case: explanations of the rules that did not behave (rendered).
    pub explanations: Vec<String>,
    /// Time spent on the case.
    pub elapsed: std::time::Duration,
}

impl CaseReport {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.verdict.problems.is_empty()
    }
}

/// The result of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The test file as given.
    pub name: String,
    /// The test file's text (for rendering `errors`).
    pub source: SourceFile,
    /// Errors that stopped the file (bad test file, rule files that do not load).
    pub errors: Vec<Diagnostic>,
    /// The cases, in file order.
    pub cases: Vec<CaseReport>,
}

/// How to run tests.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only cases whose name contains this text.
    pub filter: Option<String>,
}

/// The rules of a test file, loaded, and the engine settings of its cases.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The compiled rules.
    pub rules: Vec<CompiledRule>,
    /// The engine settings (the test file's options; deterministic host name, UTC).
    pub options: EngineOptions,
}

impl Suite {
    /// A new engine for `source`.
    pub fn engine(&self, source: &str) -> Result<Engine, String> {
        let mut o = self.options.clone();
        o.source = source.to_string();
        Engine::new(self.rules.clone(), o).map_err(|e| e.to_string())
    }

    /// A new engine for syscall events (extraction in UTC).
    pub fn syscall_engine(&self) -> Result<SyscallEngine, String> {
        let engine = self.engine(falcoc_schema::fields::SYSCALL_SOURCE)?;
        Ok(SyscallEngine::from_engine(
            engine,
            SyscallOptions {
                extract: extract_options(),
                ..SyscallOptions::default()
            },
        ))
    }

    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

fn located(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(E_FILE, message).with_primary(0, span, "")
}

/// Resolves `p` against the directory of the test file.
pub fn relative(test_file: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    test_file.parent().unwrap_or(Path::new(".")).join(p)
}

/// Loads the rule files of `file` with its options. Errors are located at the entry.
pub fn load_suite(path: &Path, file: &TestFile) -> Result<Suite, Vec<Diagnostic>> {
    let mut contents = Vec::new();
    let mut errors = Vec::new();
    for r in &file.rules {
        let p = relative(path, &r.value);
        match std::fs::read(&p) {
            Ok(b) => contents.push((p.display().to_string(), b, r.span)),
            Err(e) => errors.push(located(
                r.span,
                format!("cannot read rule file {}: {e}", p.display()),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let inputs: Vec<Input> = contents
        .iter()
        .map(|(n, b, _)| Input { name: n, bytes: b })
        .collect();
    let read = read_inputs(&inputs);
    let k8s = file
        .cases
        .iter()
        .any(|c| matches!(c.input, CaseInput::K8sAudit(_)));
    let spec = file.plugins.as_ref().map_or("auto", |p| p.value.as_str());
    let profile = match spec {
        "auto" => {
            let auto = auto_profile_of(&read);
            let mut names: Vec<&str> = auto.plugins().iter().map(|p| p.name).collect();
            if k8s {
                if !names.iter().any(|n| n.starts_with("k8saudit")) {
                    names.push("k8saudit");
                }
                if !names.contains(&"json") {
                    names.push("json");
                }
            }
            PluginProfile::from_names(&names).unwrap_or(auto)
        }
        "all" => PluginProfile::all(),
        "container" => PluginProfile::container_only(),
        "none" => PluginProfile::none(),
        list => {
            let names: Vec<&str> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            match PluginProfile::from_names(&names) {
                Ok(p) => p,
                Err(e) => {
                    let span = file.plugins.as_ref().map_or(Span::new(0, 0), |p| p.span);
                    return Err(vec![located(span, format!("`plugins`: {e}"))]);
                }
            }
        }
    };
    let loaded = load_read(
        read,
        &LoadOptions {
            profile: profile.clone(),
            mode: Mode::Falco,
            ..LoadOptions::default()
        },
    );
    if loaded.has_errors() {
        for (i, res) in loaded.results.iter().enumerate() {
            for e in &res.errors {
                let span = contents.get(i).map_or(Span::new(0, 0), |c| c.2);
                let at = e
                    .locations
                    .last()
                    .map(|l| {
                        format!(
                            " ({}:{}:{})",
                            l.position.name, l.position.line, l.position.column
                        )
                    })
                    .unwrap_or_default();
                errors.push(
                    located(
                        span,
                        format!("rule file {} does not load: {}{at}", res.name, e.message),
                    )
                    .with_note(format!("`falcoc lint {}` shows the problem", res.name)),
                );
            }
        }
        return Err(errors);
    }
    let (config, _) = match Config::from_yaml("(default falco.yaml)", SHIPPED_CONFIG) {
        Ok(c) => c,
        Err(_) => {
            return Err(vec![Diagnostic::error(
                E_FILE,
                "the shipped configuration does not load",
            )])
        }
    };
    let mut config = config;
    for o in &file.options {
        if let Err(diags) = config.apply_override(&o.value) {
            let msg = diags
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "invalid option".to_string());
            errors.push(
                Diagnostic::error(
                    crate::reader::E_VALUE,
                    format!("option `{}`: {msg}", o.value),
                )
                .with_primary(0, o.span, ""),
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut options = EngineOptions::from_config(&config);
    options.hostname = HOSTNAME.to_string();
    options.profile = profile;
    Ok(Suite {
        rules: loaded.rules,
        options,
    })
}

/// Reads and runs the test file at `path`.
pub fn run_file(path: &Path, opts: &RunOptions) -> FileReport {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return FileReport {
                source: SourceFile::new(name.clone(), String::new()),
                errors: vec![Diagnostic::error(
                    E_FILE,
                    format!("cannot read {name}: {e}"),
                )],
                name,
                cases: Vec::new(),
            }
        }
    };
    let read = read_test_file(&name, &bytes);
    let mut report = FileReport {
        name: name.clone(),
        source: read.source,
        errors: read.diagnostics,
        cases: Vec::new(),
    };
    let Some(file) = read.file else {
        return report;
    };
    let suite = match load_suite(path, &file) {
        Ok(s) => s,
        Err(e) => {
            report.errors = e;
            return report;
        }
    };
    report.errors = check_inputs(path, &file);
    if !report.errors.is_empty() {
        return report;
    }
    for case in &file.cases {
        if opts
            .filter
            .as_ref()
            .is_some_and(|f| !case.name.contains(f.as_str()))
        {
            continue;
        }
        let start = std::time::Instant::now();
        let (line, column) = report.source.line_col(case.span.start as usize);
        let mut cr = match run_case(path, &suite, case) {
            Ok(r) => r,
            Err(msg) => CaseReport {
                name: case.name.clone(),
                line,
                column,
                verdict: Verdict {
                    problems: vec![msg],
                    diff: Vec::new(),
                },
                alerts: Vec::new(),
                explanations: Vec::new(),
                elapsed: Default::default(),
            },
        };
        cr.line = line;
        cr.column = column;
        cr.elapsed = start.elapsed();
        report.cases.push(cr);
    }
    report
}

/// Located errors for the inputs of `file` that cannot be read: missing captures and
/// audit files, audit events that do not decode.
pub fn check_inputs(path: &Path, file: &TestFile) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for case in &file.cases {
        match &case.input {
            CaseInput::Capture(p) => {
                let f = relative(path, &p.value);
                if !f.is_file() {
                    errors.push(located(p.span, format!("no capture file {}", f.display())));
                }
            }
            CaseInput::K8sAudit(K8sInput::File(p)) => {
                if let Err(e) = audit_events(path, &K8sInput::File(p.clone())) {
                    errors.push(located(p.span, e));
                }
            }
            CaseInput::K8sAudit(K8sInput::Inline(items)) => {
                for it in items {
                    if let Err(e) = audit_events(path, &K8sInput::Inline(vec![it.clone()])) {
                        errors.push(located(it.span, e.replace("inline audit event 1: ", "")));
                    }
                }
            }
            CaseInput::Events(_) => {}
        }
    }
    errors
}

/// Runs one case of a loaded suite.
pub fn run_case(path: &Path, suite: &Suite, case: &Case) -> Result<CaseReport, String> {
    let source = case.input.source();
    let alerts = match &case.input {
        CaseInput::Events(specs) => {
            run_events(&mut suite.syscall_engine()?, specs, &case.dns, None).0
        }
        CaseInput::Capture(p) => {
            let file = relative(path, &p.value);
            let mut reader =
                scap::open(&file).map_err(|e| format!("capture {}: {e}", file.display()))?;
            let mut out = Vec::new();
            let mut engine = suite.syscall_engine()?;
            let summary = replay(&mut engine, &mut reader, StateOptions::default(), |a| {
                out.push(SeenAlert::of(a, None))
            });
            if let Some(e) = summary.error {
                return Err(format!("capture {}: {e}", file.display()));
            }
            out
        }
        CaseInput::K8sAudit(k) => {
            let events = audit_events(path, k)?;
            run_audit(&mut suite.engine(source)?, &events, None).0
        }
    };
    let known: Vec<&str> = suite.rules.iter().map(|r| r.name.as_str()).collect();
    let verdict = check_case(case, &alerts, &known, &|r| {
        suite.rule(r).map(|r| r.source == source).unwrap_or(false)
    });
    let mut explanations = Vec::new();
    if !verdict.problems.is_empty() {
        for (rule, event) in culprits(case, &alerts, suite) {
            if let Some(text) = explain_case_event(path, suite, case, &rule, event) {
                explanations.push(text);
            }
        }
    }
    Ok(CaseReport {
        name: case.name.clone(),
        line: 0,
        column: 0,
        verdict,
        alerts,
        explanations,
        elapsed: Default::default(),
    })
}

/// The rules of a failing case worth explaining, each with the event to explain it on:
/// an expected rule that did not fire (on the last event whose type it can match), a
/// rule that fired but should not have (on the first event it fired on).
fn culprits(case: &Case, alerts: &[SeenAlert], suite: &Suite) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    if matches!(case.input, CaseInput::Capture(_)) {
        return out;
    }
    for e in &case.expect {
        let fired = alerts.iter().any(|a| a.rule == e.rule.value);
        if fired {
            continue;
        }
        let Some(rule) = suite.rule(&e.rule.value) else {
            continue;
        };
        let at = match &case.input {
            CaseInput::Events(specs) => specs
                .iter()
                .rposition(|s| rule.event_codes.as_ref().is_none_or(|c| c.contains(s.code)))
                .unwrap_or(specs.len().saturating_sub(1)),
            _ => usize::MAX,
        };
        out.push((e.rule.value.clone(), at));
    }
    for r in &case.no_alert {
        if let Some(a) = alerts.iter().find(|a| a.rule == r.value) {
            if let Some(ev) = a.event {
                out.push((r.value.clone(), ev));
            }
        }
    }
    out
}

/// Runs hand-written events through a state and `engine`; returns the alerts and, when
/// `explain` names a rule and an event index, the explanation of that rule on the
/// (exit) event of that spec.
pub fn run_events(
    engine: &mut SyscallEngine,
    specs: &[EventSpec],
    dns: &[(String, Vec<std::net::IpAddr>)],
    explain: Option<(&CompiledRule, usize)>,
) -> (Vec<SeenAlert>, Option<Explanation>) {
    let syn = synthesize(specs);
    let mut state = State::new(StateOptions {
        libs: engine.libs(),
        ..StateOptions::default()
    });
    state.set_metadata(syn.metadata);
    state.set_host_names(dns.to_vec());
    let mut out = Vec::new();
    let mut alerts = Vec::new();
    let mut explanation = None;
    let opts = extract_options();
    for (k, evt) in syn.events.iter().enumerate() {
        let r = evt.as_event_ref();
        let origin = syn.origin.get(k).copied().flatten();
        let p = state.process(&r);
        if let (Some((rule, at)), Some(o)) = (explain, origin) {
            // The last event of the spec (the exit, or the enter alone).
            let last = syn.origin.get(k + 1).copied().flatten() != Some(o);
            if o == at && last {
                let mut ex = Extractor::new(&mut state, &r, opts);
                explanation = Some(explain::explain(rule, &mut ex));
            }
        }
        if p.filtered_out {
            continue;
        }
        engine.evaluate_into(&mut state, &r, &mut alerts);
        out.extend(alerts.drain(..).map(|a| SeenAlert::of(a, origin)));
    }
    (out, explanation)
}

/// The field extraction settings of explanations: the engine's defaults, UTC.
fn extract_options() -> ExtractOptions {
    let mut o = SyscallOptions::default().extract;
    o.timezone = TimeZone::UTC;
    o
}

/// The audit events of a case.
pub fn audit_events(path: &Path, k: &K8sInput) -> Result<Vec<AuditEvent>, String> {
    let mut out = Vec::new();
    let texts: Vec<(String, String)> = match k {
        K8sInput::File(p) => {
            let file = relative(path, &p.value);
            let t = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            vec![(file.display().to_string(), t)]
        }
        K8sInput::Inline(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("inline audit event {}", i + 1), v.value.to_string()))
            .collect(),
    };
    for (what, text) in texts {
        let decoded = k8saudit::read_file(text).map_err(|e| format!("{what}: {e}"))?;
        for ev in decoded {
            out.push(ev.map_err(|e| format!("{what}: {e}"))?);
        }
    }
    Ok(out)
}

/// Runs audit events through `engine` (source `k8s_audit`); with `explain`, the
/// explanation of that rule on that event.
pub fn run_audit(
    engine: &mut Engine,
    events: &[AuditEvent],
    explain: Option<(&CompiledRule, usize)>,
) -> (Vec<SeenAlert>, Option<Explanation>) {
    let opts = FieldOptions {
        timezone: TimeZone::UTC,
        hostname: HOSTNAME.to_string(),
    };
    let mut out = Vec::new();
    let mut explanation = None;
    let last = events.len().saturating_sub(1);
    for (i, ev) in events.iter().enumerate() {
        let num = i as u64 + 1;
        if let Some((rule, at)) = explain {
            if at == i || (at == usize::MAX && i == last) {
                let mut f = AuditFields::new(ev, num, &opts);
                explanation = Some(explain::explain(rule, &mut f));
            }
        }
        for a in k8saudit::evaluate(engine, ev, num, &opts) {
            out.push(SeenAlert::of(a, Some(i)));
        }
    }
    (out, explanation)
}

/// The rendered explanation of `rule` on event `event` of `case` (hand-written or audit
/// events), with a header naming the event.
pub fn explain_case_event(
    path: &Path,
    suite: &Suite,
    case: &Case,
    rule: &str,
    event: usize,
) -> Option<String> {
    let r = suite.rule(rule)?;
    let (head, ex) = match &case.input {
        CaseInput::Events(specs) => {
            let spec = specs.get(event)?;
            let mut engine = suite.syscall_engine().ok()?;
            let (_, ex) = run_events(&mut engine, specs, &case.dns, Some((r, event)));
            (
                format!(
                    "event {} ({} {} by {})",
                    event + 1,
                    spec.evt_type,
                    if spec.enter_only { ">" } else { "<" },
                    spec.process.name
                ),
                ex?,
            )
        }
        CaseInput::K8sAudit(k) => {
            let events = audit_events(path, k).ok()?;
            let shown = if event == usize::MAX {
                events.len()
            } else {
                event + 1
            };
            let mut engine = suite.engine(case.input.source()).ok()?;
            let (_, ex) = run_audit(&mut engine, &events, Some((r, event)));
            (format!("audit event {shown}"), ex?)
        }
        CaseInput::Capture(_) => return None,
    };
    Some(format!("explain on {head}: {}", explain::render(&ex)))
}

/// Explains `rule` on event number `evt_num` (`evt.num`, from 1) of a capture: the
/// events before it go through the state, as in a replay.
pub fn explain_capture(
    rule: &CompiledRule,
    reader: &mut scap::Reader<'_>,
    evt_num: u64,
) -> Result<Explanation, String> {
    let mut state = State::new(StateOptions {
        libs: extract_options().libs,
        ..StateOptions::default()
    });
    reader.read_metadata().map_err(|e| e.to_string())?;
    state.set_metadata(reader.take_metadata());
    let opts = extract_options();
    while let Some(next) = reader.next_event_ref() {
        let evt = next.map_err(|e| e.to_string())?;
        state.process(&evt);
        if evt.num == evt_num {
            let mut ex = Extractor::new(&mut state, &evt, opts);
            return Ok(explain::explain(rule, &mut ex));
        }
    }
    Err(format!("the capture has no event number {evt_num}"))
}
