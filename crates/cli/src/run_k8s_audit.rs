//! The Kubernetes audit source of `falcoc run`: when `falco.yaml` enables the
//! `webserver` and a `source: k8s_audit` rule is loaded, [`start`] builds an engine for
//! that source and starts the webserver ([`falcoc_webserver`]), whose alerts go to the
//! given callback (the run's outputs).

use std::sync::Arc;

use falcoc_compiler::compile::CompiledRule;
use falcoc_config::Config;
use falcoc_engine::time::TimeZone;
use falcoc_engine::{Alert, Engine, EngineOptions};
use falcoc_k8saudit::{FieldOptions, K8S_AUDIT_SOURCE};
use falcoc_webserver::{Pipeline, WebserverConfig, WebserverHandle};

/// Starts the audit webserver for `rules` (all loaded rules; only the `k8s_audit` ones
/// run) with the engine settings `options` (its source is set to `k8s_audit`), times of
/// fields in `timezone`. `None`
/// when `webserver.enabled` is false or no `k8s_audit` rule is loaded. The handle stops
/// the server on drop or [`WebserverHandle::shutdown`]; drop it before closing the
/// outputs `emit` delivers to.
pub fn start(
    config: &Config,
    rules: Vec<CompiledRule>,
    options: EngineOptions,
    timezone: TimeZone,
    emit: Arc<dyn Fn(Alert) + Send + Sync>,
) -> Result<Option<WebserverHandle>, String> {
    if !config.webserver.enabled || !rules.iter().any(|r| r.source == K8S_AUDIT_SOURCE) {
        return Ok(None);
    }
    let ws = WebserverConfig::from_config(&config.webserver)?;
    let fields = FieldOptions {
        timezone,
        hostname: options.hostname.clone(),
    };
    let options = EngineOptions {
        source: K8S_AUDIT_SOURCE.to_string(),
        ..options
    };
    let engine = Engine::new(rules, options).map_err(|e| e.to_string())?;
    let handle = falcoc_webserver::start(
        ws,
        Pipeline {
            engine,
            fields,
            emit,
        },
    )?;
    eprintln!(
        "falcoc run: k8s audit webserver listening on {}://{}{}",
        if handle.is_tls() { "https" } else { "http" },
        handle.local_addr(),
        config.webserver.k8s_audit_endpoint
    );
    Ok(Some(handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use falcoc_compiler::load::{load, Input, LoadOptions};
    use falcoc_schema::fields::PluginProfile;
    use std::io::{Read, Write};
    use std::sync::Mutex;

    const RULES: &[u8] = br#"
- rule: any audit event
  desc: d
  condition: ka.verb exists
  output: "verb=%ka.verb"
  priority: NOTICE
  source: k8s_audit
- rule: shell
  desc: d
  condition: evt.type = execve and proc.name = bash
  output: shell
  priority: WARNING
"#;

    fn rules(text: &[u8]) -> (Vec<CompiledRule>, EngineOptions) {
        let profile = PluginProfile::from_names(&["container", "k8saudit", "json"]).expect("ok");
        let loaded = load(
            &[Input {
                name: "r.yaml",
                bytes: text,
            }],
            &LoadOptions {
                profile: profile.clone(),
                ..LoadOptions::default()
            },
        );
        assert!(!loaded.has_errors());
        let options = EngineOptions {
            profile,
            ..EngineOptions::default()
        };
        (loaded.rules, options)
    }

    fn config(yaml: &str) -> Config {
        Config::from_yaml("falco.yaml", yaml).expect("config").0
    }

    #[test]
    fn none_when_disabled_or_without_audit_rules() {
        let (r, o) = rules(RULES);
        let off = config("webserver:\n  enabled: false\n");
        assert!(start(&off, r, o, TimeZone::UTC, Arc::new(|_| {})).is_ok_and(|h| h.is_none()));
        let syscall_only = b"- rule: shell\n  desc: d\n  condition: evt.type = execve\n  output: shell\n  priority: WARNING\n";
        let (r, o) = rules(syscall_only);
        let on =
            config("webserver:\n  enabled: true\n  listen_port: 0\n  listen_address: 127.0.0.1\n");
        assert!(start(&on, r, o, TimeZone::UTC, Arc::new(|_| {})).is_ok_and(|h| h.is_none()));
    }

    #[test]
    fn serves_audit_events_into_the_callback() {
        let (r, o) = rules(RULES);
        let on =
            config("webserver:\n  enabled: true\n  listen_port: 0\n  listen_address: 127.0.0.1\n");
        let got: Arc<Mutex<Vec<Alert>>> = Arc::default();
        let sink = Arc::clone(&got);
        let handle = start(
            &on,
            r,
            o,
            TimeZone::UTC,
            Arc::new(move |a| sink.lock().expect("lock").push(a)),
        )
        .expect("starts")
        .expect("enabled");
        let body = r#"{"kind":"Event","auditID":"1","verb":"get","stageTimestamp":"2020-01-01T00:00:00Z"}"#;
        let mut s = std::net::TcpStream::connect(handle.local_addr()).expect("connect");
        let req = format!(
            "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).expect("write");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        handle.shutdown();
        let got = got.lock().expect("lock");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].message, "verb=get");
    }

    #[test]
    fn bad_webserver_settings_are_errors() {
        let (r, o) = rules(RULES);
        let bad = config("webserver:\n  enabled: true\n  listen_port: 70000\n");
        assert!(
            start(&bad, r, o, TimeZone::UTC, Arc::new(|_| {})).is_err_and(|e| e.contains("70000"))
        );
    }
}
