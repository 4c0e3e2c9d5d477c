//! The checks after decoding: Falco's consistency rules between keys, deprecated keys,
//! and hints, each located at its key or value.

use super::*;

/// Falco's checks after reading (configuration.cpp `load_yaml`), and deprecation warnings.
pub(crate) fn check(
    config: &mut Config,
    doc: &Value,
    overrides: &[String],
    name: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let key_loc = |path: &str| doc.entry_path(path).map(|e| e.key_loc);
    let val_loc = |path: &str| doc.get_path(path).map(Value::loc);
    let mut error = |msg: String, loc: Option<Loc>| {
        diags.push(to_diagnostic(INVALID, true, msg, loc, overrides));
    };
    let file_error = |what: &str| format!("Error reading config file ({name}): {what}");
    let mut later = Vec::new();

    // rules_file / rules_files.
    if let Some(old) = config.rules_file_deprecated.take() {
        if doc.entry("rules_files").is_some() {
            error(
                file_error("both 'rules_files' and 'rules_file' keys set"),
                key_loc("rules_file"),
            );
        } else {
            config.rules_files = old;
        }
    }

    if config.file_output.enabled && config.file_output.filename.is_empty() {
        error(
            file_error("file output enabled but no filename in configuration block"),
            key_loc("file_output.enabled"),
        );
    }
    if config.program_output.enabled && config.program_output.program.is_empty() {
        error(
            file_error("program output enabled but no program in configuration block"),
            key_loc("program_output.enabled"),
        );
    }
    if config.http_output.enabled && config.http_output.url.is_empty() {
        error(
            file_error("http output enabled but no url in configuration block"),
            key_loc("http_output.enabled"),
        );
    }
    let acts = &config.syscall_event_drops.actions;
    if acts.contains(&DropAction::Ignore) {
        for bad in [DropAction::Log, DropAction::Alert] {
            if acts.contains(&bad) {
                let n = if bad == DropAction::Log {
                    "log"
                } else {
                    "alert"
                };
                error(
                    file_error(&format!(
                        "syscall event drop action \"{n}\" does not make sense with the \"ignore\" action"
                    )),
                    val_loc("syscall_event_drops.actions"),
                );
            }
        }
    }
    let t = config.syscall_event_drops.threshold;
    if !(0.0..=1.0).contains(&t) {
        error(
            file_error("syscall event drops threshold must be a double in the range [0, 1]"),
            val_loc("syscall_event_drops.threshold"),
        );
    }
    if config.syscall_event_timeouts.max_consecutives == 0 {
        error(
            file_error(
                "the maximum consecutive timeouts without an event must be an unsigned integer > 0",
            ),
            val_loc("syscall_event_timeouts.max_consecutives"),
        );
    }
    if config
        .webserver
        .listen_address
        .parse::<std::net::IpAddr>()
        .is_err()
    {
        error(
            file_error(&format!(
                "webserver listen address \"{}\" is not a valid IP address",
                config.webserver.listen_address
            )),
            val_loc("webserver.listen_address"),
        );
    }
    match config.engine.kind {
        EngineKind::Replay if config.engine.replay.capture_file.is_empty() => error(
            file_error("engine.kind is 'replay' but no engine.replay.capture_file specified."),
            val_loc("engine.kind"),
        ),
        EngineKind::Gvisor if config.engine.gvisor.config.is_empty() => error(
            file_error("engine.kind is 'gvisor' but no engine.gvisor.config specified."),
            val_loc("engine.kind"),
        ),
        _ => {}
    }
    for (i, p) in config.plugins.iter().enumerate() {
        let loc = doc.get_path("plugins").and_then(|v| match v {
            Value::Seq { items, .. } => items.get(i).map(Value::loc),
            _ => None,
        });
        if p.name.is_empty() || p.library_path.is_empty() {
            error(
                file_error(
                    "could not load plugins config: a plugin needs a `name` and a `library_path`",
                ),
                loc,
            );
        }
    }
    for (i, a) in config.append_output.iter().enumerate() {
        let loc = doc.get_path("append_output").and_then(|v| match v {
            Value::Seq { items, .. } => items.get(i).map(Value::loc),
            _ => None,
        });
        let mut seen: Vec<&str> = Vec::new();
        for f in &a.extra_fields {
            if seen.contains(&f.key()) {
                error(
                    format!(
                        "append_output[{i}].extra_fields: the key `{}` is defined twice",
                        f.key()
                    ),
                    loc,
                );
            }
            seen.push(f.key());
        }
        if a.match_.rule.as_deref().is_some_and(|r| !r.is_empty()) && !a.match_.tags.is_empty() {
            later.push(to_diagnostic(
                INVALID_WARNING,
                false,
                format!(
                    "An append_output entry specifies both a rule ({}) and a list of tags ({}). \
                     This means that output will be appended only to the {} rule and only if it \
                     has all the tags: {}.",
                    a.match_.rule.as_deref().unwrap_or_default(),
                    a.match_.tags.join(", "),
                    a.match_.rule.as_deref().unwrap_or_default(),
                    a.match_.tags.join(", ")
                ),
                loc,
                overrides,
            ));
        }
    }

    if config.http_output.enabled && !config.json_output {
        later.push(to_diagnostic(
            INVALID_WARNING,
            false,
            "http_output posts text/plain bodies because json_output is false; falcosidekick \
             and most webhooks expect JSON alerts (json_output: true)"
                .to_string(),
            key_loc("http_output.enabled"),
            overrides,
        ));
    }
    if config.program_output.enabled
        && !config.json_output
        && config.program_output.program.contains("jq ")
    {
        later.push(to_diagnostic(
            INVALID_WARNING,
            false,
            "program_output pipes text alert lines into `jq`, which expects JSON \
             (json_output is false)"
                .to_string(),
            val_loc("program_output.program"),
            overrides,
        ));
    }
    diags.append(&mut later);

    // Warnings.
    let mut warn = |msg: &str, loc: Option<Loc>| {
        diags.push(to_diagnostic(
            DEPRECATED,
            false,
            msg.to_string(),
            loc,
            overrides,
        ));
    };
    if doc.entry("rules_file").is_some() && doc.entry("rules_files").is_none() {
        warn(
            "Using deprecated config key 'rules_file' (singular form). Please use new 'rules_files' config key (plural form).",
            key_loc("rules_file"),
        );
    }
    if doc.entry("rule_files").is_some() {
        warn(
            "`rule_files` is not read by Falco (did you mean `rules_files`?)",
            key_loc("rule_files"),
        );
    }
    if doc.entry("outputs").is_some() {
        warn(
            "'outputs.rate' and 'outputs.max_burst' were removed in Falco 0.37 (Falco ignores them); falcoc applies the rate limit as Falco 0.33-0.36 did when rate > 0",
            key_loc("outputs"),
        );
    }
    if doc.entry_path("webserver.k8s_audit_endpoint").is_some() {
        warn(
            "'webserver.k8s_audit_endpoint' is only used by Falco <= 0.31 (later: the k8saudit plugin's open_params)",
            key_loc("webserver.k8s_audit_endpoint"),
        );
    }
    if config.grpc.enabled {
        warn(
            "the gRPC output was removed in Falco 0.44; falcoc parses but does not serve it",
            key_loc("grpc.enabled"),
        );
    }
}
