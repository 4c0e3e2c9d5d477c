//! Load test of the Kubernetes audit webserver on loopback: clients POST `EventList`
//! batches of real audit events (the 47 files of `../shared/corpus/captures/k8s_audit`,
//! cycled) to a falcoc webserver running the falco-testing `k8s_audit_rules.yaml`
//! (the rules of `deploy/kubernetes/rules` without `../shared`); every alert is rendered
//! as Falco's JSON line. Reports the sustained events/s (first request to the last event
//! through the engine) and the latency of each POST (request written → answer read).
//!
//! Bounded in count and time: `K8S_BENCH_EVENTS` events (default 200 000) in batches of
//! `K8S_BENCH_BATCH` (default 100) over `K8S_BENCH_CLIENTS` keep-alive connections
//! (default 4), stopping early after `K8S_BENCH_SECONDS` (default 60).
//!
//! ```sh
//! cargo bench -p falcoc-benches --bench k8s_audit_webserver --no-run
//! taskset -c 0 cargo bench -p falcoc-benches --bench k8s_audit_webserver   # one core
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use falcoc_compiler::load::{load, Input, LoadOptions, Mode};
use falcoc_engine::{Engine, EngineOptions};
use falcoc_k8saudit::{FieldOptions, K8S_AUDIT_SOURCE};
use falcoc_outputs::{format_alert, FormatOptions};
use falcoc_schema::fields::PluginProfile;
use falcoc_webserver::{start, Pipeline, WebserverConfig};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The rule files and the audit events (one JSON object per entry).
fn inputs() -> (Vec<PathBuf>, Vec<String>) {
    let shared = root().join("../shared/corpus");
    let rules = shared.join("loader-cases/files/falco-testing/k8s_audit_rules.yaml");
    let caps = shared.join("captures/k8s_audit");
    if !rules.is_file() || !caps.is_dir() {
        let fallback = r#"{"kind":"Event","auditID":"1","stage":"ResponseComplete","verb":"create","stageTimestamp":"2020-01-01T00:00:00Z","objectRef":{"resource":"pods","namespace":"default"},"user":{"username":"u"},"responseStatus":{"code":201},"requestObject":{"spec":{"containers":[{"image":"nginx","securityContext":{"privileged":true}}]}}}"#;
        return (
            vec![root().join("deploy/kubernetes/rules/k8s_audit_rules.yaml")],
            vec![fallback.to_string()],
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&caps)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let mut events = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        events.extend(
            text.lines()
                // Audit events only (the corpus also holds a malformed one).
                .filter(|l| l.contains("\"stageTimestamp\""))
                .map(str::to_string),
        );
    }
    (vec![rules], events)
}

fn engine(rules: &[PathBuf]) -> Engine {
    let texts: Vec<(String, Vec<u8>)> = rules
        .iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(p).unwrap_or_default(),
            )
        })
        .collect();
    let inputs: Vec<Input> = texts
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let profile = PluginProfile::from_names(&["container", "k8saudit", "json"])
        .unwrap_or_else(|_| PluginProfile::all());
    let loaded = load(
        &inputs,
        &LoadOptions {
            profile: profile.clone(),
            mode: Mode::Falco,
            ..LoadOptions::default()
        },
    );
    assert!(!loaded.has_errors(), "the rules load");
    let options = EngineOptions {
        source: K8S_AUDIT_SOURCE.into(),
        profile,
        ..EngineOptions::default()
    };
    Engine::new(loaded.rules, options).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads one HTTP response (status line, headers, `Content-Length` body); its status.
fn read_response(r: &mut BufReader<TcpStream>) -> Option<u16> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status = line.split(' ').nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(status)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs a tiny smoke version.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let total = if smoke {
        2_000
    } else {
        env_usize("K8S_BENCH_EVENTS", 200_000)
    };
    let batch = env_usize("K8S_BENCH_BATCH", 100).max(1);
    let clients = env_usize("K8S_BENCH_CLIENTS", 4).max(1);
    let limit = Duration::from_secs(env_usize("K8S_BENCH_SECONDS", 60) as u64);

    let (rules, events) = inputs();
    let engine = engine(&rules);
    let rendered = Arc::new(AtomicU64::new(0));
    let sink = Arc::clone(&rendered);
    let format = FormatOptions {
        json_output: true,
        ..FormatOptions::default()
    };
    let pipeline = Pipeline {
        engine,
        fields: FieldOptions::default(),
        emit: Arc::new(move |alert| {
            let line = format_alert(&alert, &format);
            sink.fetch_add(line.len() as u64, Ordering::Relaxed);
        }),
    };
    let config = WebserverConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        queue_batches: 64,
        ..WebserverConfig::default()
    };
    let handle = start(config, pipeline).unwrap_or_else(|e| panic!("{e}"));
    let addr = handle.local_addr();

    // The request bodies: EventLists of `batch` events, cycling through the corpus.
    let bodies: Vec<Arc<Vec<u8>>> = (0..events.len().max(1))
        .map(|start| {
            let items: Vec<&str> = (0..batch)
                .map(|k| events[(start + k) % events.len()].as_str())
                .collect();
            let body = format!(
                r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{}]}}"#,
                items.join(",")
            );
            let head = format!(
                "POST /k8s-audit HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            Arc::new([head.into_bytes(), body.into_bytes()].concat())
        })
        .collect();
    let posts = total.div_ceil(batch);
    let started = Instant::now();
    let deadline = started + limit;
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let bodies = bodies.clone();
            std::thread::spawn(move || {
                let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
                let _ = stream.set_nodelay(true);
                let mut writer = stream.try_clone().unwrap_or_else(|e| panic!("{e}"));
                let mut reader = BufReader::new(stream);
                let mut latencies = Vec::new();
                let mut i = c;
                while i < posts && Instant::now() < deadline {
                    let body = &bodies[i % bodies.len()];
                    let t = Instant::now();
                    writer.write_all(body).unwrap_or_else(|e| panic!("{e}"));
                    let status = read_response(&mut reader);
                    latencies.push(t.elapsed());
                    assert_eq!(status, Some(200), "POST answered");
                    i += clients;
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap_or_default())
        .collect();
    // Wait until the engine has run every accepted event.
    while handle.stats().events_processed < handle.stats().events_accepted
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = started.elapsed();
    let stats = handle.stats();
    handle.shutdown();
    latencies.sort();
    let rate = stats.events_processed as f64 / elapsed.as_secs_f64();
    println!(
        "k8s_audit_webserver: {} events in {} POSTs of {batch} over {clients} connections, {} rules file(s), {} distinct events",
        stats.events_processed,
        latencies.len(),
        rules.len(),
        events.len()
    );
    println!(
        "  sustained: {rate:.0} events/s ({:.2} s); alerts: {} ({} bytes of JSON)",
        elapsed.as_secs_f64(),
        stats.alerts,
        rendered.load(Ordering::Relaxed)
    );
    println!(
        "  latency per POST: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&latencies, 1.0).as_secs_f64() * 1e3
    );
    assert_eq!(stats.rejected_requests, 0, "no request refused");
}
