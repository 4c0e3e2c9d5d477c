//! The webserver on 127.0.0.1: the `falco-testing-k8saudit` loader cases posted to it give
//! exactly their expected detections; bad requests (invalid JSON, a 100 MB body, a wrong
//! content type, slow clients, an event without any field) get a 4xx or are cut off,
//! without holding up other clients; with `ssl_enabled` it serves TLS with the
//! configured (self-signed) certificate.

#[path = "../../k8saudit/tests/support/k8saudit_cases.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_compiler::priority::Priority;
use falcoc_config::Config;
use falcoc_engine::Alert;
use falcoc_engine::{Engine, EngineOptions};
use falcoc_k8saudit::{FieldOptions, K8S_AUDIT_SOURCE};
use falcoc_schema::fields::PluginProfile;
use falcoc_webserver::{start, Pipeline, WebserverConfig, WebserverHandle};
use support::{cases, check, shared};

/// A safety net so a broken server fails the test instead of hanging it; not a speed
/// assertion.
const IO_LIMIT: Duration = Duration::from_secs(60);

const EVENT: &str = r#"{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"create","stageTimestamp":"2020-01-01T00:00:00Z","objectRef":{"resource":"configmaps","namespace":"default","name":"c"},"user":{"username":"u"},"responseStatus":{"code":201}}"#;

const RULES: &[u8] = br#"
- rule: configmap created
  desc: d
  condition: ka.verb = create and ka.target.resource = configmaps
  output: "configmap %ka.target.name created by %ka.user.name"
  priority: NOTICE
  source: k8s_audit
"#;

fn engine(files: &[(String, Vec<u8>)]) -> Engine {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let profile = PluginProfile::from_names(&["container", "k8saudit", "json"]).expect("plugins");
    let loaded = load(
        &inputs,
        &LoadOptions {
            profile: profile.clone(),
            mode: Mode::Falco,
            ..LoadOptions::default()
        },
    );
    assert!(!loaded.has_errors(), "rules load");
    let options = EngineOptions {
        source: K8S_AUDIT_SOURCE.into(),
        profile,
        hostname: "test".into(),
        ..EngineOptions::default()
    };
    Engine::new(loaded.rules, options).expect("engine")
}

type Collected = Arc<Mutex<Vec<Alert>>>;

fn server(config: WebserverConfig, engine: Engine) -> (WebserverHandle, Collected) {
    let alerts: Collected = Arc::default();
    let sink = Arc::clone(&alerts);
    let pipeline = Pipeline {
        engine,
        fields: FieldOptions {
            hostname: "test".into(),
            ..FieldOptions::default()
        },
        emit: Arc::new(move |a| sink.lock().expect("alerts lock").push(a)),
    };
    let handle = start(config, pipeline).expect("server starts");
    (handle, alerts)
}

fn local() -> WebserverConfig {
    WebserverConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..WebserverConfig::default()
    }
}

fn simple_server(config: WebserverConfig) -> (WebserverHandle, Collected) {
    server(config, engine(&[("rules.yaml".into(), RULES.to_vec())]))
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(IO_LIMIT)).expect("timeout");
    s.set_write_timeout(Some(IO_LIMIT)).expect("timeout");
    s
}

/// The status code and body of a raw HTTP exchange (the request closes the connection).
fn exchange<S: Read + Write>(s: &mut S, raw: &[u8]) -> (u16, String) {
    // The server may answer (and close) before it has read everything.
    let _ = s.write_all(raw);
    let _ = s.flush();
    read_response(s)
}

fn read_response<S: Read>(s: &mut S) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn post(addr: SocketAddr, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(&mut connect(addr), raw.as_bytes())
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    exchange(&mut connect(addr), raw.as_bytes())
}

#[test]
fn loader_cases_through_the_webserver() {
    let Some(shared) = shared() else {
        eprintln!("note: ../shared not found; skipped");
        return;
    };
    let cases = cases(&shared);
    assert_eq!(cases.len(), 46);
    let mut failures = Vec::new();
    for case in &cases {
        let files: Vec<(String, Vec<u8>)> = case
            .inputs
            .iter()
            .map(|p| (p.display().to_string(), std::fs::read(p).expect("rules")))
            .collect();
        let (handle, alerts) = server(local(), engine(&files));
        let addr = handle.local_addr();
        let text = std::fs::read_to_string(&case.capture).expect("capture");
        // One POST per line, as the API server's webhook batches arrive.
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (status, body) = post(addr, "/k8s-audit", "application/json", line);
            assert_eq!(status, 200, "{}: {body}", case.id);
        }
        // Shutting down runs every queued event through the engine.
        handle.shutdown();
        let got: Vec<(String, Priority)> = alerts
            .lock()
            .expect("alerts")
            .iter()
            .map(|a| (a.rule.clone(), a.priority))
            .collect();
        let problems = check(case, &got);
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.id, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn good_requests_and_alert_content() {
    let (handle, alerts) = simple_server(local());
    let addr = handle.local_addr();
    assert_eq!(get(addr, "/healthz"), (200, "{\"status\":\"ok\"}\n".into()));
    let list =
        format!(r#"{{"kind":"EventList","items":[{EVENT},{{"kind":"Event","auditID":"2"}}]}}"#);
    let (status, body) = post(addr, "/k8s-audit", "application/json; charset=utf-8", &list);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json answer");
    assert_eq!(v["accepted"], 1);
    assert_eq!(v["rejected"], 1);
    assert_eq!(v["errors"][0], ".items[1]: missing stageTimestamp");
    // Keep-alive: two requests on one connection.
    let mut s = connect(addr);
    let one = format!(
        "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{EVENT}",
        EVENT.len()
    );
    let two = one.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n");
    let (status, _) = exchange(&mut s, format!("{one}{two}").as_bytes());
    assert_eq!(status, 200);
    handle.shutdown();
    let alerts = alerts.lock().expect("alerts");
    assert_eq!(alerts.len(), 3);
    assert_eq!(alerts[0].message, "configmap c created by u");
    assert_eq!(alerts[0].priority, Priority::Notice);
    assert_eq!(alerts[0].source, "k8s_audit");
}

#[test]
fn bad_requests_get_4xx() {
    let (handle, alerts) = simple_server(local());
    let addr = handle.local_addr();
    let (status, body) = post(
        addr,
        "/k8s-audit",
        "application/json",
        "{\"kind\": \"Event\",",
    );
    assert_eq!(status, 400);
    assert!(
        body.contains("invalid JSON at byte 17: expected a string key"),
        "{body}"
    );
    let (status, body) = post(addr, "/k8s-audit", "text/plain", EVENT);
    assert_eq!(status, 415, "{body}");
    let (status, _) = post(addr, "/k8s-audit", "", EVENT);
    assert_eq!(status, 415);
    // An event missing every field, and objects that are not audit events.
    let (status, body) = post(
        addr,
        "/k8s-audit",
        "application/json",
        "{\"kind\":\"Event\"}",
    );
    assert_eq!(status, 400);
    assert!(body.contains("missing stageTimestamp"), "{body}");
    let (status, body) = post(addr, "/k8s-audit", "application/json", "{}");
    assert_eq!(status, 400);
    assert!(body.contains("not a Kubernetes audit Event"), "{body}");
    let (status, _) = post(addr, "/k8s-audit", "application/json", "[]");
    assert_eq!(status, 400);
    let (status, _) = get(addr, "/k8s-audit");
    assert_eq!(status, 405);
    let (status, _) = get(addr, "/nope");
    assert_eq!(status, 404);
    // Not UTF-8.
    let raw = b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\n\"\xff\"";
    assert_eq!(exchange(&mut connect(addr), raw).0, 400);
    // Malformed HTTP.
    assert_eq!(exchange(&mut connect(addr), b"HELLO\r\n\r\n").0, 400);
    handle.shutdown();
    assert!(alerts.lock().expect("alerts").is_empty());
}

#[test]
fn oversized_bodies_get_413() {
    let (handle, _) = simple_server(local());
    let addr = handle.local_addr();
    // Declared 100 MB: refused from the headers, the body is never read.
    let raw = "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n[";
    let (status, body) = exchange(&mut connect(addr), raw.as_bytes());
    assert_eq!(status, 413, "{body}");
    // A chunked body that grows past the limit while it is read: 100 MB are offered,
    // the server stops at the limit.
    let mut s = connect(addr);
    let head = "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let _ = s.write_all(head.as_bytes());
    let chunk = vec![b' '; 1 << 20];
    let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
    frame.extend_from_slice(&chunk);
    frame.extend_from_slice(b"\r\n");
    for _ in 0..100 {
        if s.write_all(&frame).is_err() {
            break;
        }
    }
    let (status, _) = read_response(&mut s);
    assert_eq!(status, 413);
    // The server still serves.
    assert_eq!(get(addr, "/healthz").0, 200);
    handle.shutdown();
}

#[test]
fn slow_clients_are_cut_off_without_stalling_others() {
    let config = WebserverConfig {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        ..local()
    };
    let (handle, alerts) = simple_server(config);
    let addr = handle.local_addr();
    // Headers that never end.
    let mut slow_headers = connect(addr);
    let _ = slow_headers.write_all(b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\n");
    // A connection that sends nothing.
    let mut idle = connect(addr);
    // A body that never completes.
    let mut slow_body = connect(addr);
    let _ = slow_body.write_all(
        b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"kind\":",
    );
    // Meanwhile other clients are served.
    let (status, _) = post(addr, "/k8s-audit", "application/json", EVENT);
    assert_eq!(status, 200);
    assert_eq!(get(addr, "/healthz").0, 200);
    // The slow ones are cut off: a timeout answer or a closed connection, not a hang.
    let (status, body) = read_response(&mut slow_body);
    assert_eq!(status, 408, "{body}");
    let (status, _) = read_response(&mut slow_headers);
    assert!(status == 0 || status == 408, "{status}");
    let mut rest = Vec::new();
    let n = idle.read_to_end(&mut rest).expect("idle connection closed");
    assert!(n == 0 || String::from_utf8_lossy(&rest).contains(" 408 "));
    handle.shutdown();
    assert_eq!(alerts.lock().expect("alerts").len(), 1);
}

/// A self-signed certificate for 127.0.0.1 and its key, in one PEM file (Falco's format).
fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".into()])
        .expect("certificate");
    let pem = format!("{}{}", ck.signing_key.serialize_pem(), ck.cert.pem());
    let path = dir.join("falco.pem");
    std::fs::write(&path, pem).expect("write pem");
    (path, ck.cert.der().to_vec())
}

#[test]
fn tls_with_the_configured_certificate() {
    let dir = std::env::temp_dir().join(format!("falcoc-ws-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (pem, der) = self_signed(&dir);
    let config = WebserverConfig {
        ssl_certificate: Some(pem),
        ..local()
    };
    let (handle, alerts) = simple_server(config);
    assert!(handle.is_tls());
    let addr = handle.local_addr();

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(der))
        .expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let conn = rustls::ClientConnection::new(Arc::new(client), name).expect("client");
    let mut tls = rustls::StreamOwned::new(conn, connect(addr));
    let raw = format!(
        "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{EVENT}",
        EVENT.len()
    );
    let (status, body) = exchange(&mut tls, raw.as_bytes());
    assert_eq!(status, 200, "{body}");
    // Plain HTTP on the TLS port gets no HTTP answer.
    assert_eq!(get(addr, "/healthz").0, 0);
    handle.shutdown();
    assert_eq!(alerts.lock().expect("alerts").len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn configuration_from_falco_yaml() {
    let text = "webserver:\n  enabled: true\n  listen_port: 9876\n  listen_address: 127.0.0.1\n  k8s_audit_endpoint: /audit\n  ssl_enabled: true\n  ssl_certificate: /etc/falco/x.pem\n";
    let (config, _) = Config::from_yaml("falco.yaml", text).expect("config");
    let ws = WebserverConfig::from_config(&config.webserver).expect("webserver config");
    assert_eq!(ws.listen, SocketAddr::from(([127, 0, 0, 1], 9876)));
    assert_eq!(ws.audit_endpoint, "/audit");
    assert_eq!(ws.healthz_endpoint, "/healthz");
    assert_eq!(
        ws.ssl_certificate.as_deref(),
        Some(std::path::Path::new("/etc/falco/x.pem"))
    );
    let mut bad = config.webserver.clone();
    bad.listen_port = 70000;
    assert!(WebserverConfig::from_config(&bad).is_err_and(|e| e.contains("70000")));
    let mut bad = config.webserver.clone();
    bad.k8s_audit_endpoint = "audit".into();
    assert!(WebserverConfig::from_config(&bad).is_err());
    // A missing certificate file is a clear error at start.
    let pipeline = Pipeline {
        engine: engine(&[("rules.yaml".into(), RULES.to_vec())]),
        fields: FieldOptions::default(),
        emit: Arc::new(|_| {}),
    };
    let err = start(
        WebserverConfig {
            ssl_certificate: Some("/nonexistent/falco.pem".into()),
            ..local()
        },
        pipeline,
    )
    .expect_err("no certificate");
    assert!(err.contains("/nonexistent/falco.pem"), "{err}");
}

#[test]
fn large_batches_are_decoded_off_the_http_thread() {
    let (handle, alerts) = simple_server(local());
    let addr = handle.local_addr();
    // ~1 500 events, over the 256 KiB threshold.
    let items = vec![EVENT; 1500].join(",");
    let list = format!(r#"{{"kind":"EventList","items":[{items}]}}"#);
    assert!(list.len() > 256 * 1024);
    let (status, body) = post(addr, "/k8s-audit", "application/json", &list);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"accepted\":1500"), "{body}");
    let broken = format!("{}]", &list[..list.len() - 2]);
    let (status, body) = post(addr, "/k8s-audit", "application/json", &broken);
    assert_eq!(status, 400, "{body}");
    handle.shutdown();
    assert_eq!(alerts.lock().expect("alerts").len(), 1500);
}
