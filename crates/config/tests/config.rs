//! `falco.yaml` loading: defaults, every section, located errors, warnings, `-o` options.

use falcoc_compiler::priority::Priority;
use falcoc_config::{
    CaptureMode, Config, DropAction, EngineKind, ExtraField, RuleMatching, SelectionOp,
};
use falcoc_lang::{Diagnostic, Severity, SourceFile};

fn load(text: &str) -> (Config, Vec<Diagnostic>) {
    match Config::from_yaml("falco.yaml", text) {
        Ok(r) => r,
        Err(e) => panic!("unexpected errors: {e:#?}"),
    }
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match Config::from_yaml("falco.yaml", text) {
        Ok((_, w)) => panic!("expected errors, got a config (warnings {w:#?})"),
        Err(e) => {
            assert!(e.iter().any(Diagnostic::is_error));
            e.into_iter().filter(Diagnostic::is_error).collect()
        }
    }
}

/// `line:col` (1-based) of a diagnostic's primary label.
fn pos(text: &str, d: &Diagnostic) -> (usize, usize) {
    let l = d.primary.as_ref().expect("a located diagnostic");
    SourceFile::new("falco.yaml", text).line_col(l.span.start as usize)
}

fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

#[test]
fn code_defaults() {
    let (c, w) = load("");
    assert!(w.is_empty(), "{w:#?}");
    assert!(c.rules_files.is_empty());
    assert!(!c.json_output);
    assert!(c.json_include_output_property);
    assert!(!c.json_include_message_property);
    assert!(c.json_include_output_fields_property);
    assert!(c.json_include_tags_property);
    assert!(!c.time_format_iso_8601);
    assert!(!c.buffer_format_base64);
    assert_eq!(c.priority, Priority::Debug);
    assert_eq!(c.rule_matching, RuleMatching::First);
    assert!(!c.buffered_outputs);
    assert_eq!(c.outputs_queue.capacity, 0);
    assert_eq!(c.output_timeout, 2000);
    assert_eq!((c.outputs.rate, c.outputs.max_burst), (0, 1000));
    let d = &c.syscall_event_drops;
    assert!(d.actions.is_empty());
    assert_eq!(d.effective_actions(), vec![DropAction::Ignore]);
    assert_eq!((d.threshold, d.rate, d.max_burst), (0.1, 0.03333, 1.0));
    assert!(!d.simulate_drops);
    assert_eq!(c.syscall_event_timeouts.max_consecutives, 1000);
    assert!(!c.stdout_output.enabled && !c.syslog_output.enabled);
    assert!(
        !c.file_output.enabled && !c.file_output.keep_alive && c.file_output.filename.is_empty()
    );
    assert!(!c.program_output.enabled && !c.program_output.keep_alive);
    let h = &c.http_output;
    assert!(!h.enabled && h.url.is_empty());
    assert_eq!(h.user_agent, "falcosecurity/falco");
    assert_eq!(h.ca_path, "/etc/ssl/certs");
    assert_eq!(h.client_cert, "/etc/ssl/certs/client.crt");
    assert_eq!(h.client_key, "/etc/ssl/certs/client.key");
    assert!(!h.insecure && !h.mtls && !h.echo && !h.compress_uploads && !h.keep_alive);
    assert_eq!(h.max_consecutive_timeouts, 5);
    let ws = &c.webserver;
    assert!(!ws.enabled);
    assert_eq!(
        (ws.listen_port, ws.listen_address.as_str()),
        (8765, "0.0.0.0")
    );
    assert_eq!(ws.k8s_healthz_endpoint, "/healthz");
    assert_eq!(ws.k8s_audit_endpoint, "/k8s-audit");
    assert!(!ws.ssl_enabled);
    assert_eq!(ws.ssl_certificate, "/etc/falco/falco.pem");
    assert!(!c.log_stderr && c.log_syslog);
    assert_eq!(c.log_level, Priority::Informational);
    assert!(c.libs_logger.enabled);
    assert_eq!(c.engine.kind, EngineKind::Kmod);
    assert_eq!(c.capture.mode, CaptureMode::Rules);
    assert_eq!(c.capture.path_prefix, "/tmp/falco");
    assert_eq!(c.capture.default_duration, 5000);
    assert!(
        c.base_syscalls.custom_set.is_empty() && !c.base_syscalls.repair && !c.base_syscalls.all
    );
    assert!(c.rules.is_empty() && c.append_output.is_empty());
    assert!(c.plugins_hostinfo && c.watch_config_files);
    assert!(c.enabled_outputs().is_empty());
}

#[test]
fn fixture_loads() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/config/falco.yaml"
    );
    let text = std::fs::read_to_string(path).expect("fixtures/config/falco.yaml");
    let (c, w) = load(&text);
    assert!(w.iter().all(|d| d.severity == Severity::Warning));
    // The only warnings: text bodies to falcosidekick / text lines into jq.
    assert_eq!(codes(&w), ["CONFIG_WARNING", "CONFIG_WARNING"], "{w:#?}");
    assert_eq!(
        c.rules_files,
        [
            "/etc/falco/falco_rules.yaml",
            "/etc/falco/falco_rules.local.yaml",
            "/etc/falco/rules.d"
        ]
    );
    assert!(!c.json_output);
    assert!(c.http_output.enabled);
    assert_eq!(c.http_output.url, "http://falcosidekick:2801");
    assert!(!c.file_output.enabled);
    assert!(c.program_output.enabled);
    assert_eq!(
        c.program_output.program,
        "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
    );
    assert_eq!(
        c.syscall_event_drops.effective_actions(),
        [DropAction::Log, DropAction::Alert]
    );
    assert_eq!(c.enabled_outputs(), ["stdout", "program", "http"]);
    assert!(c.webserver.enabled);
}

#[test]
fn every_section() {
    let text = r#"
rules_files: [/a.yaml, /b.yaml]
json_output: yes
json_include_output_property: "false"
json_include_message_property: On
json_include_output_fields_property: false
json_include_tags_property: FALSE
time_format_iso_8601: true
buffer_format_base64: true
priority: WARNING
rule_matching: all
buffered_outputs: true
outputs_queue: {capacity: 10}
output_timeout: 150
outputs: {rate: 2, max_burst: 20}
syscall_event_drops:
  actions: [log, exit]
  threshold: 0.5
  rate: 1
  max_burst: 3
  simulate_drops: true
syscall_event_timeouts: {max_consecutives: 7}
stdout_output: {enabled: true}
syslog_output: {enabled: true}
file_output: {enabled: true, keep_alive: true, filename: /tmp/e.txt}
program_output: {enabled: true, keep_alive: true, program: cat}
http_output:
  enabled: true
  url: "http://127.0.0.1:2801/"
  user_agent: ua
  insecure: true
  ca_cert: /c
  ca_bundle: /b
  ca_path: /p
  mtls: true
  client_cert: /cc
  client_key: /ck
  echo: true
  compress_uploads: true
  keep_alive: true
  max_consecutive_timeouts: 0
webserver:
  enabled: true
  threadiness: 2
  listen_port: 9000
  listen_address: "::1"
  k8s_healthz_endpoint: /h
  ssl_enabled: true
  ssl_certificate: /s.pem
  prometheus_metrics_enabled: true
log_stderr: true
log_syslog: false
log_level: debug
libs_logger: {enabled: false, severity: error}
engine: {kind: replay, replay: {capture_file: /x.scap}, modern_ebpf: {cpus_for_each_buffer: 4}}
capture: {enabled: true, mode: all_rules, default_duration: 10}
load_plugins: [container]
plugins:
  - name: container
    library_path: libcontainer.so
    init_config: {label_max_len: 100, with_size: false}
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: ""
    open_params: "http://:9765/k8s-audit"
base_syscalls: {custom_set: [clone, "!kill"], repair: true, all: false}
rules:
  - disable: {rule: "*"}
  - enable: {tag: network}
  - enable:
      rule: Shell spawned
append_output:
  - match: {source: syscall, tags: [a, b]}
    extra_output: "on %evt.type"
    extra_fields: [proc.pid, {cmd: "%proc.cmdline"}]
  - suggested_output: true
static_fields: {env: prod}
metrics: {enabled: true, interval: 1h, output_rule: true}
falco_libs: {thread_table_size: 10, snaplen: 80}
config_files: [/etc/falco/config.d, {path: /x, strategy: override}]
watch_config_files: false
plugins_hostinfo: false
"#;
    let (c, w) = load(text);
    // Only the deprecation of outputs.rate.
    assert_eq!(codes(&w), ["CONFIG_DEPRECATED"], "{w:#?}");
    assert_eq!(c.rules_files, ["/a.yaml", "/b.yaml"]);
    assert!(c.json_output && !c.json_include_output_property && c.json_include_message_property);
    assert!(!c.json_include_output_fields_property && !c.json_include_tags_property);
    assert!(c.time_format_iso_8601 && c.buffer_format_base64 && c.buffered_outputs);
    assert_eq!(c.priority, Priority::Warning);
    assert_eq!(c.rule_matching, RuleMatching::All);
    assert_eq!(c.outputs_queue.capacity, 10);
    assert_eq!(c.output_timeout, 150);
    assert_eq!((c.outputs.rate, c.outputs.max_burst), (2, 20));
    let d = &c.syscall_event_drops;
    assert_eq!(d.effective_actions(), [DropAction::Log, DropAction::Exit]);
    assert_eq!(
        (d.threshold, d.rate, d.max_burst, d.simulate_drops),
        (0.5, 1.0, 3.0, true)
    );
    assert_eq!(c.syscall_event_timeouts.max_consecutives, 7);
    assert_eq!(
        c.enabled_outputs(),
        ["file", "stdout", "syslog", "program", "http"]
    );
    assert!(c.file_output.keep_alive && c.program_output.keep_alive);
    let h = &c.http_output;
    assert_eq!(
        (
            h.user_agent.as_str(),
            h.ca_cert.as_str(),
            h.ca_bundle.as_str(),
            h.ca_path.as_str()
        ),
        ("ua", "/c", "/b", "/p")
    );
    assert!(h.insecure && h.mtls && h.echo && h.compress_uploads && h.keep_alive);
    assert_eq!(
        (h.client_cert.as_str(), h.client_key.as_str()),
        ("/cc", "/ck")
    );
    assert_eq!(h.max_consecutive_timeouts, 0);
    assert_eq!(c.webserver.listen_port, 9000);
    assert_eq!(c.webserver.listen_address, "::1");
    assert!(c.webserver.ssl_enabled && c.webserver.prometheus_metrics_enabled);
    assert!(c.log_stderr && !c.log_syslog);
    assert_eq!(c.log_level, Priority::Debug);
    assert_eq!(c.libs_logger.severity, Priority::Error);
    assert_eq!(c.engine.kind, EngineKind::Replay);
    assert_eq!(c.engine.replay.capture_file, "/x.scap");
    assert_eq!(c.engine.modern_ebpf.cpus_for_each_buffer, 4);
    assert_eq!(c.capture.mode, CaptureMode::AllRules);
    assert_eq!(c.plugins.len(), 2);
    assert_eq!(
        c.plugins[0].init_config,
        Some(serde_json::json!({"label_max_len": 100, "with_size": false}))
    );
    assert_eq!(
        c.plugins[1].open_params.as_deref(),
        Some("http://:9765/k8s-audit")
    );
    assert_eq!(c.base_syscalls.custom_set, ["clone", "!kill"]);
    assert_eq!(c.rules.len(), 3);
    assert_eq!(c.rules[0].op, SelectionOp::Disable);
    assert_eq!(c.rules[0].rule.as_deref(), Some("*"));
    assert_eq!(c.rules[1].op, SelectionOp::Enable);
    assert_eq!(c.rules[1].tag.as_deref(), Some("network"));
    assert_eq!(c.rules[2].rule.as_deref(), Some("Shell spawned"));
    let a = &c.append_output[0];
    assert_eq!(a.match_.source.as_deref(), Some("syscall"));
    assert_eq!(a.match_.tags, ["a", "b"]);
    assert_eq!(a.extra_output.as_deref(), Some("on %evt.type"));
    assert_eq!(
        a.extra_fields,
        [
            ExtraField::Raw("proc.pid".into()),
            ExtraField::Formatted {
                key: "cmd".into(),
                format: "%proc.cmdline".into()
            }
        ]
    );
    assert!(c.append_output[1].suggested_output);
    assert_eq!(c.static_fields.get("env").map(String::as_str), Some("prod"));
    assert_eq!(c.metrics.interval, "1h");
    assert_eq!(c.falco_libs.snaplen, 80);
    assert_eq!(c.config_files.len(), 2);
    assert!(!c.watch_config_files && !c.plugins_hostinfo);
}

#[test]
fn rules_file_singular_and_both() {
    let (c, w) = load("rules_file: /etc/falco/falco_rules.yaml\n");
    assert_eq!(c.rules_files, ["/etc/falco/falco_rules.yaml"]);
    assert_eq!(codes(&w), ["CONFIG_DEPRECATED"]);
    assert!(w[0].message.contains("deprecated config key 'rules_file'"));

    let text = "rules_files: [/a]\nrules_file: [/b]\n";
    let e = errors(text);
    assert_eq!(codes(&e), ["CONFIG_INVALID"]);
    assert!(
        e[0].message.contains(
            "Error reading config file (falco.yaml): both 'rules_files' and 'rules_file' keys set"
        ),
        "{}",
        e[0].message
    );
    assert_eq!(pos(text, &e[0]), (2, 1));
}

#[test]
fn wrong_values_are_located() {
    let text = "json_output: maybe\nhttp_output:\n  enabled: true\n  url: http://x\n  max_consecutive_timeouts: 300\npriority: loud\nsyscall_event_drops:\n  actions: [log, panic]\n";
    let e = errors(text);
    let msgs: Vec<(String, (usize, usize))> = e
        .iter()
        .map(|d| (d.message.clone(), pos(text, d)))
        .collect();
    assert_eq!(
        msgs,
        [
            (
                "json_output: expected a boolean (true or false), found `maybe`".to_string(),
                (1, 14)
            ),
            (
                "http_output.max_consecutive_timeouts: expected an integer from 0 to 255, found `300`"
                    .to_string(),
                (5, 29)
            ),
            (
                "priority: Unknown priority \"loud\"--must be one of emergency, alert, critical, error, warning, notice, informational, debug"
                    .to_string(),
                (6, 11)
            ),
            (
                "syscall_event_drops.actions[1]: available actions for syscall event drops are \"ignore\", \"log\", \"alert\", and \"exit\""
                    .to_string(),
                (8, 18)
            ),
        ]
    );
}

#[test]
fn shape_errors() {
    let text = "stdout_output: true\nrules_files: {a: b}\nfile_output: [1]\n";
    let e = errors(text);
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(
        e[0].message,
        "stdout_output: expected a mapping, found a scalar"
    );
    assert_eq!(pos(text, &e[0]), (1, 16));
    assert_eq!(
        e[1].message,
        "file_output: expected a mapping, found a sequence"
    );
    assert_eq!(pos(text, &e[1]), (3, 14));

    // Falco reads no items from a mapping where a list is expected.
    let (c, w) = load("rules_files: {a: b}\n");
    assert!(c.rules_files.is_empty());
    assert_eq!(codes(&w), ["CONFIG_IGNORED_VALUE"]);
    assert_eq!(
        w[0].message,
        "rules_files: a mapping where a sequence is expected is ignored (as Falco does)"
    );

    let e = errors("- a\n- b\n");
    assert!(e[0].message.contains("must be a mapping"));

    let e = errors("a: [\n");
    assert_eq!(codes(&e), ["CONFIG_YAML_PARSE"]);
    assert!(e[0].primary.is_some());
}

#[test]
fn falco_semantic_errors() {
    for (text, msg) in [
        (
            "file_output: {enabled: true}",
            "file output enabled but no filename in configuration block",
        ),
        (
            "program_output: {enabled: true}",
            "program output enabled but no program in configuration block",
        ),
        (
            "http_output: {enabled: true}",
            "http output enabled but no url in configuration block",
        ),
        (
            "syscall_event_drops: {actions: [ignore, log]}",
            "syscall event drop action \"log\" does not make sense with the \"ignore\" action",
        ),
        (
            "syscall_event_drops: {threshold: 2}",
            "syscall event drops threshold must be a double in the range [0, 1]",
        ),
        (
            "syscall_event_timeouts: {max_consecutives: 0}",
            "must be an unsigned integer > 0",
        ),
        (
            "webserver: {listen_address: localhost}",
            "webserver listen address \"localhost\" is not a valid IP address",
        ),
        (
            "engine: {kind: replay}",
            "engine.kind is 'replay' but no engine.replay.capture_file specified.",
        ),
        (
            "engine: {kind: kvm}",
            "engine.kind 'kvm' is not a valid kind.",
        ),
        (
            "rule_matching: some",
            "Unknown rule matching strategy \"some\"--must be one of first, all",
        ),
        (
            "capture: {mode: none}",
            "capture.mode 'none' is not a valid mode.",
        ),
        (
            "rules: [{enable: {}}]",
            "a rule selection needs a non-empty `rule` or `tag`",
        ),
        (
            "rules: [{allow: {rule: x}}]",
            "a rule selection needs `enable:` or `disable:`",
        ),
        (
            "append_output: [{extra_fields: [a, a]}]",
            "the key `a` is defined twice",
        ),
        (
            "append_output: [{extra_fields: [[x]]}]",
            "an extra field is a field name or a one-entry mapping",
        ),
    ] {
        let e = errors(text);
        assert!(
            e.iter()
                .any(|d| d.message.contains(msg) && d.primary.is_some()),
            "{text}: {e:#?}"
        );
    }
}

#[test]
fn warnings() {
    let text = "json_outptu: true\nhttp_output:\n  enabled: false\n  verbose: 1\nstdout_output: {enabled: true}\nstdout_output: {enabled: false}\nwebserver: {k8s_audit_endpoint: /k8s}\nrule_files: [/x]\n";
    let (c, w) = load(text);
    assert!(
        c.stdout_output.enabled,
        "the first of duplicate keys is used"
    );
    let got: Vec<(&str, (usize, usize))> = w.iter().map(|d| (d.code, pos(text, d))).collect();
    assert_eq!(
        got,
        [
            ("CONFIG_UNKNOWN_KEY", (1, 1)),
            ("CONFIG_UNKNOWN_KEY", (4, 3)),
            ("CONFIG_DUPLICATE_KEY", (6, 1)),
            ("CONFIG_DEPRECATED", (7, 13)),
            ("CONFIG_DEPRECATED", (8, 1)),
        ],
        "{w:#?}"
    );
    assert_eq!(w[0].message, "unknown configuration key `json_outptu`");
    assert_eq!(
        w[1].message,
        "unknown configuration key `verbose` (at `http_output.verbose`)"
    );
}

#[test]
fn null_values_keep_defaults_and_scalars_are_lists() {
    let (c, _) =
        load("http_output:\n  user_agent:\n  enabled: ~\nrules_files: /one.yaml\nload_plugins:\n");
    assert_eq!(c.http_output.user_agent, "falcosecurity/falco");
    assert!(!c.http_output.enabled);
    assert_eq!(c.rules_files, ["/one.yaml"]);
}

#[test]
fn env_expansion() {
    let env = |k: &str| match k {
        "SIDEKICK" => Some("http://sidekick:2801".to_string()),
        _ => None,
    };
    let (c, _) = Config::from_yaml_with_env(
        "falco.yaml",
        "http_output: {url: \"${SIDEKICK}\"}\nfile_output: {filename: \"/x/${NOPE}e.txt\"}\nprogram_output: {program: \"echo $${HOME}\"}\n",
        &env,
    )
    .unwrap();
    assert_eq!(c.http_output.url, "http://sidekick:2801");
    assert_eq!(c.file_output.filename, "/x/e.txt");
    assert_eq!(c.program_output.program, "echo ${HOME}");
}

#[test]
fn overrides() {
    let (mut c, _) =
        load("json_output: false\nrules:\n  - enable: {rule: A}\nstdout_output: {enabled: true}\n");
    assert_eq!(c.apply_override("json_output=true"), Ok(vec![]));
    assert!(c.json_output);
    c.apply_override("rules[].disable.rule=*").unwrap();
    c.apply_override("rules[].enable.tag=network").unwrap();
    assert_eq!(c.rules.len(), 3);
    assert_eq!(
        (c.rules[1].op, c.rules[1].rule.as_deref()),
        (SelectionOp::Disable, Some("*"))
    );
    assert_eq!(
        (c.rules[2].op, c.rules[2].tag.as_deref()),
        (SelectionOp::Enable, Some("network"))
    );
    c.apply_override("rules[0].enable.rule=B").unwrap();
    assert_eq!(c.rules[0].rule.as_deref(), Some("B"));
    c.apply_override("append_output[].match.source=syscall")
        .unwrap();
    c.apply_override("append_output[0].extra_output=on %evt.type")
        .unwrap();
    assert_eq!(c.append_output.len(), 1);
    assert_eq!(c.append_output[0].match_.source.as_deref(), Some("syscall"));
    assert_eq!(
        c.append_output[0].extra_output.as_deref(),
        Some("on %evt.type")
    );
    // Falco's harness option: yaml-cpp turns the sequence into a mapping, which then
    // reads as no entries at all.
    let (mut shipped, _) = load("append_output:\n  - suggested_output: true\n");
    assert!(shipped.append_output[0].suggested_output);
    let w = shipped
        .apply_override("append_output.suggested_output=false")
        .unwrap();
    assert_eq!(codes(&w), ["CONFIG_IGNORED_VALUE"]);
    assert!(shipped.append_output.is_empty());
    assert!(shipped.apply_override("append_output=").is_err());
    c.apply_override("http_output={enabled: true, url: \"http://h:1\"}")
        .unwrap();
    assert!(c.http_output.enabled);
    assert_eq!(c.http_output.url, "http://h:1");
    c.apply_override("engine.kind=replay").unwrap_err();
    c.apply_override("engine.replay.capture_file=/c.scap")
        .unwrap();
    c.apply_override("engine.kind=replay").unwrap();
    assert_eq!(c.engine.kind, EngineKind::Replay);
    c.apply_override("rules_files=/etc/falco/only.yaml")
        .unwrap();
    assert_eq!(c.rules_files, ["/etc/falco/only.yaml"]);
    assert_eq!(c.overrides().len(), 10);

    // Errors leave the configuration unchanged.
    let e = c.apply_override("priority=loud").unwrap_err();
    assert!(
        e[0].message
            .starts_with("priority: Unknown priority \"loud\""),
        "{e:#?}"
    );
    assert_eq!(e[0].notes, ["set by the option `-o priority=loud`"]);
    assert_eq!(c.priority, Priority::Debug);
    let e = c.apply_override("no_equals_sign").unwrap_err();
    assert_eq!(
        e[0].message,
        "Error parsing config option \"no_equals_sign\": Must be of the form key=val or key.subkey=val"
    );
    let e = c.apply_override("rules[x].a=1").unwrap_err();
    assert!(
        e[0].message.contains("expected a numeric index, found 'x'"),
        "{e:#?}"
    );
    let e = c.apply_override("json_output.x=1").unwrap_err();
    assert!(
        e[0].message
            .contains("cannot set key `x`: `json_output` is a scalar"),
        "{e:#?}"
    );

    // Warnings that concern the option.
    let w = c.apply_override("stdout_output.colour=1").unwrap();
    assert_eq!(codes(&w), ["CONFIG_UNKNOWN_KEY"]);
}

#[test]
fn overrides_on_defaults() {
    let mut c = Config::default();
    c.apply_override("stdout_output.enabled=true").unwrap();
    c.apply_override("json_output=true").unwrap();
    assert!(c.stdout_output.enabled && c.json_output);
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// No input makes loading panic; errors are always reported as errors.
        #[test]
        fn any_yaml_loads_or_fails_cleanly(
            parts in proptest::collection::vec(
                prop::sample::select(vec![
                    "json_output: ", "true", "maybe", "\n", "  ", "- ", "rules:", "{", "}", "[", "]",
                    ",", "enable: ", "rule: x", "http_output:", "enabled: yes", "url: ", "\"",
                    "'", "${HOME}", "&a ", "*a", "file_output: ", "é", "\t", "0x1F", "-1",
                    "syscall_event_drops:", "actions: [log, ignore]", "threshold: 2", "~",
                ]),
                0..40,
            )
        ) {
            let text: String = parts.concat();
            match Config::from_yaml("f.yaml", &text) {
                Ok((_, w)) => prop_assert!(w.iter().all(|d| !d.is_error())),
                Err(e) => prop_assert!(e.iter().any(Diagnostic::is_error)),
            }
        }

        /// No `-o` option makes applying it panic; a failed option changes nothing.
        #[test]
        fn any_override_applies_or_fails_cleanly(opt in "[a-z_\\[\\]\\.=0-9{}: ,*]{0,30}") {
            let mut c = Config::default();
            let before = format!("{c:?}");
            if c.apply_override(&opt).is_err() {
                prop_assert_eq!(before, format!("{c:?}"));
            }
        }
    }
}
