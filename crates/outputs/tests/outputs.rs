//! Alert formatting against Falco 0.42.1's golden alerts, and the output channels with
//! real receivers on 127.0.0.1 and in temporary directories. Every test that involves a
//! thread or a socket runs under a time limit.

use falcoc_compiler::priority::Priority;
use falcoc_config::Config;
use falcoc_engine::ratelimit::FakeClock;
use falcoc_engine::time::{parse_json_time, TimeZone};
use falcoc_engine::Alert;
use falcoc_outputs::{
    json_alert, parse_json_alert, syslog_pri, text_line, AbandonReason, FormatOptions, Outputs,
    OutputsError, OutputsOptions,
};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Helpers

/// Runs `f` on its own thread and fails if it takes longer than `limit`.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test body panicked"),
    }
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "falcoc-outputs-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `Write` into shared memory (the stdout channel of a test).
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn config(yaml: &str) -> Config {
    match Config::from_yaml("test.yaml", yaml) {
        Ok((c, _)) => c,
        Err(e) => panic!("{e:#?}"),
    }
}

fn options(stdout: Option<SharedBuf>) -> OutputsOptions {
    OutputsOptions {
        stdout: stdout.map(|b| Box::new(b) as Box<dyn Write + Send>),
        ..OutputsOptions::default()
    }
}

/// Some alerts of every priority, from the spec's example.
fn alerts(n: usize) -> Vec<Alert> {
    (0..n)
        .map(|i| Alert {
            rule: format!("Rule {i}"),
            priority: Priority::ALL[i % 8],
            time_ns: 1_705_312_800_000_380_323 + i as u64 * 1_000_001,
            message: format!("Shell spawned (user=root pid={i} quote=\" tab=\t)"),
            output_fields: vec![
                ("proc.pid".into(), Value::from(i)),
                ("user.name".into(), Value::from("root")),
                ("fd.name".into(), Value::Null),
            ],
            tags: vec!["shell".into(), "mitre_execution".into()],
            source: "syscall".into(),
            hostname: "example-host".into(),
        })
        .collect()
}

/// Python's `json.dumps` separators (`", "`, `": "`) back to compact JSON.
fn compact(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let (mut in_str, mut esc, mut skip_space) = (false, false, false);
    for c in line.chars() {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if skip_space && c == ' ' {
            skip_space = false;
            continue;
        }
        skip_space = c == ',' || c == ':';
        if c == '"' {
            in_str = true;
        }
        out.push(c);
    }
    out
}

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/golden")
}

fn golden_alert_lines() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(shared().join("replay")) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = dirs
        .flatten()
        .map(|d| d.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let text = if name.ends_with(".alerts.jsonl") {
                std::fs::read_to_string(&f).unwrap()
            } else if name.ends_with(".alerts.jsonl.gz") {
                let mut s = String::new();
                flate2::read::GzDecoder::new(std::fs::File::open(&f).unwrap())
                    .read_to_string(&mut s)
                    .unwrap();
                s
            } else {
                continue;
            };
            out.extend(text.lines().map(|l| (f.clone(), l.to_string())));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Formatting against the golden alerts

/// Every golden alert (34 474 lines of Falco 0.42.1 JSON): parse into an [`Alert`],
/// format again, byte-identical to Falco's compact JSON. The golden files were written
/// with Python's separators; `compact` undoes only that.
#[test]
fn golden_replay_alerts_round_trip() {
    let lines = golden_alert_lines();
    if lines.is_empty() {
        eprintln!("skipped: ../shared/golden/replay not found");
        return;
    }
    let mut n = 0;
    for (file, line) in &lines {
        let falco = compact(line);
        let (alert, layout) =
            parse_json_alert(&falco).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(alert.hostname, "oracle");
        let mut opts = layout.options();
        assert_eq!(json_alert(&alert, &opts), falco, "{}", file.display());
        // The `output` property is the text line (TZ=UTC in the golden runs).
        let v: Value = serde_json::from_str(&falco).unwrap();
        opts.json_output = false;
        assert_eq!(
            Some(text_line(&alert, &opts).as_str()),
            v["output"].as_str()
        );
        // Tags sorted, `evt.time` the integer time, `time` with nanoseconds and Z.
        assert_eq!(v["output_fields"]["evt.time"].as_u64(), Some(alert.time_ns));
        assert_eq!(
            parse_json_time(v["time"].as_str().unwrap()),
            Some(alert.time_ns)
        );
        n += 1;
    }
    assert!(n >= 34_000, "only {n} golden alerts");
}

/// The loader-case replays include runs with `json_include_output_property=false` and
/// `json_include_tags_property=false`: the same round trip (the alerts are stored as JSON
/// values there, so Falco's bytes are re-created with sorted keys, as nlohmann prints).
#[test]
fn golden_loader_case_alerts_round_trip() {
    let root = shared().join("loader-cases");
    let mut stack = vec![root];
    let mut n = 0;
    let mut layouts = std::collections::BTreeSet::new();
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let Some(alerts) = v.pointer("/replay/alerts").and_then(Value::as_array) else {
                continue;
            };
            for a in alerts {
                let falco = serde_json::to_string(a).unwrap();
                let (alert, layout) = parse_json_alert(&falco).unwrap();
                assert_eq!(
                    json_alert(&alert, &layout.options()),
                    falco,
                    "{}",
                    p.display()
                );
                layouts.insert((layout.output, layout.tags));
                n += 1;
            }
        }
    }
    if n == 0 {
        eprintln!("skipped: ../shared/golden/loader-cases not found");
        return;
    }
    assert!(n >= 100, "{n}");
    assert_eq!(
        layouts.len(),
        4,
        "all four output/tags combinations: {layouts:?}"
    );
}

// ---------------------------------------------------------------------------------------
// HTTP receivers

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: impl Read) -> Option<Request> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())?;
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// A server answering `status` to every request; the requests are sent to the returned
/// receiver.
fn http_server(status: u16) -> (u16, mpsc::Receiver<Request>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            if let Some(req) = read_request(&s) {
                let reason = if status == 200 {
                    "OK"
                } else {
                    "Internal Server Error"
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} {reason}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
                if tx.send(req).is_err() {
                    return;
                }
            }
        }
    });
    (port, rx)
}

/// What falcosidekick needs of a request (its `mainHandler`): a POST whose body decodes
/// as a Falco payload with a non-empty output, a known priority, a rule, an RFC 3339
/// time and an output_fields object.
fn assert_falcosidekick_payload(req: &Request) -> Value {
    assert_eq!(req.method, "POST");
    assert_eq!(req.header("Content-Type"), Some("application/json"));
    assert_eq!(req.header("User-Agent"), Some("falcosecurity/falco"));
    let v: Value = serde_json::from_str(&req.body).expect("JSON body");
    assert!(!v["output"].as_str().unwrap_or_default().is_empty());
    assert!(Priority::parse(v["priority"].as_str().unwrap()).is_some());
    assert!(!v["rule"].as_str().unwrap_or_default().is_empty());
    assert!(parse_json_time(v["time"].as_str().unwrap()).is_some());
    assert!(v["output_fields"].is_object());
    assert!(!v["source"].as_str().unwrap_or_default().is_empty());
    v
}

#[test]
fn http_receiver_gets_falcosidekick_json() {
    within(Duration::from_secs(30), || {
        let (port, rx) = http_server(200);
        let c = config(&format!(
            "json_output: true\nstdout_output: {{enabled: true}}\nhttp_output:\n  enabled: true\n  url: \"http://127.0.0.1:{port}/falco\"\n"
        ));
        let out = SharedBuf::default();
        let (mut o, w) = Outputs::new(&c, options(Some(out.clone()))).unwrap();
        assert!(w.is_empty());
        let list = alerts(20);
        for a in &list {
            o.emit(a);
        }
        let internal = Alert::syscall_event_drop(
            1_705_312_801_000_000_000,
            "example-host",
            &[("n_evts", 10), ("n_drops", 2)],
            true,
        );
        o.emit(&internal);
        let report = o.flush_and_close(Duration::from_secs(20));
        assert!(report.abandoned.is_empty(), "{:?}", report.abandoned);
        let http = report.stats.channel("http").unwrap();
        assert_eq!(
            (
                http.offered,
                http.sent,
                http.failed,
                http.dropped,
                http.pending
            ),
            (21, 21, 0, 0, 0)
        );
        let stdout_lines: Vec<String> = out.text().lines().map(str::to_string).collect();
        assert_eq!(stdout_lines.len(), 21);
        for (i, line) in stdout_lines.iter().enumerate() {
            let req = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(req.path, "/falco");
            let v = assert_falcosidekick_payload(&req);
            assert_eq!(&req.body, line, "the same bytes on every channel");
            if i < 20 {
                assert_eq!(v["rule"], list[i].rule.as_str());
                assert_eq!(v["tags"], serde_json::json!(["mitre_execution", "shell"]));
            } else {
                assert_eq!(v["source"], "internal");
                assert_eq!(v["output_fields"]["ebpf_enabled"], "1");
            }
        }
    });
}

#[test]
fn http_text_output_is_text_plain() {
    within(Duration::from_secs(30), || {
        let (port, rx) = http_server(200);
        let c = config(&format!(
            "http_output: {{enabled: true, url: \"http://127.0.0.1:{port}\", user_agent: ua/1}}\n"
        ));
        let (mut o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        let a = &alerts(1)[0];
        o.emit(a);
        o.flush_and_close(Duration::from_secs(20));
        let req = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(req.path, "/");
        assert_eq!(req.header("Content-Type"), Some("text/plain"));
        assert_eq!(req.header("User-Agent"), Some("ua/1"));
        assert_eq!(req.body, text_line(a, &FormatOptions::default()));
    });
}

/// Emits `n` alerts from another thread and fails if that does not finish quickly: the
/// caller must never wait for a channel.
fn emit_all(o: Outputs, n: usize) -> Outputs {
    let list = alerts(8);
    within(Duration::from_secs(20), move || {
        for i in 0..n {
            o.emit(&list[i % 8]);
        }
        o
    })
}

#[test]
fn hung_http_endpoint_never_blocks_the_caller() {
    within(Duration::from_secs(60), || {
        // Accepts connections and never reads or answers.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let acc = Arc::clone(&accepted);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                acc.fetch_add(1, Ordering::SeqCst);
                held.push(s);
            }
        });
        let c = config(&format!(
            "json_output: true\noutput_timeout: 200\noutputs_queue: {{capacity: 4}}\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}\", max_consecutive_timeouts: 0}}\n"
        ));
        let (o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        let mut o = emit_all(o, 1000);
        let s = o.stats();
        let h = s.channel("http").unwrap().clone();
        assert_eq!(s.emitted, 1000);
        assert_eq!(h.offered, 1000);
        assert_eq!(h.sent, 0);
        assert!(h.pending <= 5, "{h:?}");
        assert!(h.dropped >= 1000 - 5 - h.failed, "{h:?}");
        // At close the channel is failing (a request timed out) or stuck (one request
        // 200 ms old): it is given up at once, whatever the wait allowed, and what it
        // still queued is dropped.
        let report = o.flush_and_close(Duration::from_secs(30));
        let a = report
            .abandoned("http")
            .expect("the hung channel is given up");
        assert!(
            matches!(a.reason, AbandonReason::Failing | AbandonReason::Stuck),
            "{a:?}"
        );
        let h = report.stats.channel("http").unwrap();
        assert_eq!(h.sent + h.failed + h.dropped + h.pending, 1000, "{h:?}");
        assert!(h.pending <= 1, "{h:?}");
        // At most the queue (4) and the request in flight were taken at any time, each
        // waiting 200 ms for its timeout: nearly everything was dropped.
        assert!(h.dropped >= 500, "{h:?}");
        // A failure, if one was recorded before close, is the timeout.
        assert!(
            h.last_error.as_deref().is_none_or(|e| e.contains("failed")),
            "{h:?}"
        );
        assert!(accepted.load(Ordering::SeqCst) >= 1);
    });
}

#[test]
fn hung_http_endpoint_is_abandoned_at_close() {
    within(Duration::from_secs(60), || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
            }
        });
        let c = config(&format!(
            "json_output: true\noutput_timeout: 5000\noutputs_queue: {{capacity: 200}}\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}\", max_consecutive_timeouts: 0}}\nstdout_output: {{enabled: true}}\n"
        ));
        let out = SharedBuf::default();
        let (o, _) = Outputs::new(&c, options(Some(out.clone()))).unwrap();
        let mut o = emit_all(o, 100);
        // Nothing failed yet and the first request is younger than output_timeout
        // (5 s): the channel gets the whole wait, then is given up.
        let report = o.flush_and_close(Duration::from_millis(300));
        let a = report
            .abandoned("http")
            .expect("the hung channel is given up");
        assert_eq!(a.reason, AbandonReason::Timeout);
        assert_eq!(report.abandoned.len(), 1, "{:?}", report.abandoned);
        let h = report.stats.channel("http").unwrap();
        assert_eq!(h.sent + h.failed + h.dropped + h.pending, 100, "{h:?}");
        // The queued alerts are dropped at once; the one in flight stays pending.
        assert_eq!(h.pending, 1, "{h:?}");
        assert_eq!(h.dropped, a.discarded, "{h:?}");
        assert_eq!(h.dropped, 99, "{h:?}");
        // The stdout channel is not held up by the http one.
        let s = report.stats.channel("stdout").unwrap();
        assert_eq!((s.sent, s.dropped), (100, 0));
        assert_eq!(out.text().lines().count(), 100);
    });
}

#[test]
fn refusing_http_endpoint_counts_failures() {
    within(Duration::from_secs(60), || {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let c = config(&format!(
            "json_output: true\noutputs_queue: {{capacity: 16}}\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}\"}}\n"
        ));
        let (o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        let mut o = emit_all(o, 1000);
        let report = o.flush_and_close(Duration::from_secs(30));
        // Given up as failing, unless it had already written everything.
        if let Some(a) = report.abandoned("http") {
            assert_eq!(a.reason, AbandonReason::Failing);
        }
        let h = report.stats.channel("http").unwrap();
        assert_eq!(h.sent, 0);
        assert!(h.failed >= 1, "{h:?}");
        assert_eq!(h.failed + h.dropped + h.pending, 1000, "{h:?}");
        assert!(h.pending <= 1, "{h:?}");
        assert!(
            h.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("refused"),
            "{h:?}"
        );
    });
}

#[test]
fn http_500_counts_failures() {
    within(Duration::from_secs(60), || {
        let (port, rx) = http_server(500);
        let c = config(&format!(
            "json_output: true\noutputs_queue: {{capacity: 16}}\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}\"}}\n"
        ));
        let (o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        let mut o = emit_all(o, 1000);
        let report = o.flush_and_close(Duration::from_secs(30));
        if let Some(a) = report.abandoned("http") {
            assert_eq!(a.reason, AbandonReason::Failing);
        }
        let h = report.stats.channel("http").unwrap();
        assert_eq!(h.sent, 0);
        assert!(h.failed >= 1, "{h:?}");
        assert_eq!(h.failed + h.dropped + h.pending, 1000, "{h:?}");
        assert!(h.pending <= 1, "{h:?}");
        assert_eq!(h.last_error.as_deref(), Some("HTTP status 500"));
        // The server reports each request after answering it: wait for the stragglers.
        let mut received = rx.try_iter().count() as u64;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while received < h.failed && std::time::Instant::now() < deadline {
            if rx.recv_timeout(Duration::from_millis(100)).is_ok() {
                received += 1;
            }
        }
        assert!(
            (h.failed..=h.failed + h.pending).contains(&received),
            "{received} {h:?}"
        );
    });
}

/// A server that answers the first request `500` and holds every later connection
/// without answering; it reports each connection (after answering the first).
fn fail_then_hang_server() -> (u16, mpsc::Receiver<usize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (n, s) in l.incoming().enumerate() {
            let Ok(mut s) = s else { return };
            if n == 0 {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                if read_request(&s).is_some() {
                    let _ = write!(
                        s,
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                }
                drop(s);
            } else {
                held.push(s);
            }
            if tx.send(n).is_err() {
                return;
            }
        }
    });
    (port, rx)
}

/// Waits (bounded by the caller's `within`) until `cond` holds of the stats.
fn wait_for(o: &Outputs, cond: impl Fn(&falcoc_outputs::OutputsStats) -> bool) {
    while !cond(&o.stats()) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn failing_channel_is_given_up_at_close_and_its_queue_dropped() {
    within(Duration::from_secs(60), || {
        let (port, rx) = fail_then_hang_server();
        // output_timeout 20 s: the held request is not stuck within this test.
        let c = config(&format!(
            "json_output: true\noutput_timeout: 20000\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}\", max_consecutive_timeouts: 0}}\nstdout_output: {{enabled: true}}\n"
        ));
        let out = SharedBuf::default();
        let (mut o, _) = Outputs::new(&c, options(Some(out.clone()))).unwrap();
        let list = alerts(10);
        o.emit(&list[0]);
        assert_eq!(rx.recv().unwrap(), 0);
        wait_for(&o, |s| s.channel("http").is_some_and(|h| h.failed == 1));
        for a in &list[1..] {
            o.emit(a);
        }
        // The second request is in flight (held by the server), eight are queued.
        assert_eq!(rx.recv().unwrap(), 1);
        // The wait allowed is long, but the channel is failing: it is given up at once.
        let report = o.flush_and_close(Duration::from_secs(40));
        assert_eq!(report.abandoned.len(), 1, "{:?}", report.abandoned);
        let a = report.abandoned("http").unwrap();
        assert_eq!(a.reason, AbandonReason::Failing);
        assert_eq!(a.discarded, 8);
        let h = report.stats.channel("http").unwrap();
        assert_eq!(
            (h.offered, h.sent, h.failed, h.dropped, h.pending),
            (10, 0, 1, 8, 1)
        );
        assert_eq!(h.last_error.as_deref(), Some("HTTP status 500"));
        // The healthy stdout channel delivered everything.
        let s = report.stats.channel("stdout").unwrap();
        assert_eq!((s.sent, s.dropped, s.pending), (10, 0, 0));
        assert_eq!(out.text().lines().count(), 10);
    });
}

#[test]
fn stuck_channel_is_given_up_at_close() {
    within(Duration::from_secs(60), || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
                let _ = tx.send(());
            }
        });
        // Each request times out after 100 ms and is retried 255 times: one alert holds
        // the channel for ~25 s without a failure being recorded.
        let c = config(&format!(
            "json_output: true\noutput_timeout: 100\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}\", max_consecutive_timeouts: 255}}\n"
        ));
        let (mut o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        let list = alerts(5);
        for a in &list {
            o.emit(a);
        }
        // Wait for the second connection: by then the first alert has been in flight for
        // at least one timeout (100 ms), so the channel counts as stuck.
        rx.recv().unwrap();
        rx.recv().unwrap();
        let report = o.flush_and_close(Duration::from_secs(40));
        let a = report.abandoned("http").expect("given up");
        assert_eq!(a.reason, AbandonReason::Stuck);
        assert_eq!(a.discarded, 4);
        let h = report.stats.channel("http").unwrap();
        assert_eq!(
            (h.offered, h.sent, h.failed, h.dropped, h.pending),
            (5, 0, 0, 4, 1)
        );
    });
}

// ---------------------------------------------------------------------------------------
// HTTPS receivers (TLS with certificates made in the test)

/// A CA, a server certificate it signed for `localhost` and 127.0.0.1 and a client
/// certificate it signed (PEM files in a temporary directory), an unrelated CA, and the
/// server's TLS configurations.
struct Pki {
    dir: TempDir,
    server_config: Arc<rustls::ServerConfig>,
    /// The same, requiring a client certificate signed by the CA.
    mtls_server_config: Arc<rustls::ServerConfig>,
}

fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn test_ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

impl Pki {
    fn new(tag: &str) -> Pki {
        use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
        let dir = TempDir::new(tag);
        let ca = test_ca("falcoc test CA");
        let other = test_ca("some other CA");
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_cert =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap()
                .signed_by(&server_key, &ca)
                .unwrap();
        let client_key = rcgen::KeyPair::generate().unwrap();
        let mut client_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "falco");
        let client_cert = client_params.signed_by(&client_key, &ca).unwrap();
        std::fs::write(dir.path("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path("other-ca.pem"), other.pem()).unwrap();
        std::fs::write(dir.path("client.crt"), client_cert.pem()).unwrap();
        std::fs::write(dir.path("client.key"), client_key.serialize_pem()).unwrap();
        let chain = vec![server_cert.der().clone()];
        let key = || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let server_config = rustls::ServerConfig::builder_with_provider(ring())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key())
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.der().clone()).unwrap();
        let client_verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), ring())
                .build()
                .unwrap();
        let mtls_server_config = rustls::ServerConfig::builder_with_provider(ring())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(client_verifier)
            .with_single_cert(chain, key())
            .unwrap();
        Pki {
            dir,
            server_config: Arc::new(server_config),
            mtls_server_config: Arc::new(mtls_server_config),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path(name).display().to_string()
    }
}

/// An HTTPS server on 127.0.0.1 answering 200 to every request; the requests are sent to
/// the returned receiver, and the TLS errors (handshakes that failed) are counted.
fn https_server(
    tls: Arc<rustls::ServerConfig>,
) -> (u16, mpsc::Receiver<Request>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let failures = Arc::new(AtomicUsize::new(0));
    let f = Arc::clone(&failures);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
            let Ok(conn) = rustls::ServerConnection::new(Arc::clone(&tls)) else {
                return;
            };
            let mut stream = rustls::StreamOwned::new(conn, s);
            match read_request(&mut stream) {
                Some(req) => {
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                    if tx.send(req).is_err() {
                        return;
                    }
                }
                None => {
                    f.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    });
    (port, rx, failures)
}

/// Sends `n` alerts to an https `http_output` configured with `tls_keys` (YAML flow
/// entries) at `port`; the channel's counters at close.
fn https_alerts(
    port: u16,
    host: &str,
    tls_keys: &str,
    n: usize,
) -> (falcoc_outputs::ChannelStats, Vec<String>) {
    let c = config(&format!(
        "json_output: true\noutput_timeout: 10000\nhttp_output: {{enabled: true, url: \"https://{host}:{port}/falco\", max_consecutive_timeouts: 0{tls_keys}}}\n"
    ));
    let (mut o, warnings) = Outputs::new(&c, OutputsOptions::default()).unwrap();
    // One at a time, each written before the next (a failing channel is given up at
    // close, so this makes every alert reach the server).
    for a in &alerts(n) {
        o.emit(a);
        wait_for(&o, |s| {
            s.channel("http")
                .is_some_and(|h| h.pending == 0 && h.offered == h.sent + h.failed + h.dropped)
        });
    }
    let report = o.flush_and_close(Duration::from_secs(30));
    (report.stats.channel("http").unwrap().clone(), warnings)
}

#[test]
fn https_receiver_gets_falcosidekick_json() {
    within(Duration::from_secs(60), || {
        let pki = Pki::new("https-ok");
        let (port, rx, _) = https_server(Arc::clone(&pki.server_config));
        // ca_cert (by IP address, and by host name).
        for host in ["127.0.0.1", "localhost"] {
            let keys = format!(", ca_cert: \"{}\"", pki.path("ca.pem"));
            let (h, w) = https_alerts(port, host, &keys, 3);
            assert!(w.is_empty(), "{w:?}");
            assert_eq!((h.sent, h.failed, h.dropped), (3, 0, 0), "{h:?}");
            for _ in 0..3 {
                let req = rx.recv().unwrap();
                assert_eq!(req.path, "/falco");
                let expected_host = format!("{host}:{port}");
                assert_eq!(req.header("Host"), Some(expected_host.as_str()));
                assert_falcosidekick_payload(&req);
            }
        }
        // ca_bundle (several certificates in one file), and ca_path (a directory).
        let bundle = pki.dir.path("bundle.pem");
        let both = std::fs::read_to_string(pki.dir.path("other-ca.pem")).unwrap()
            + &std::fs::read_to_string(pki.dir.path("ca.pem")).unwrap();
        std::fs::write(&bundle, both).unwrap();
        let keys = format!(", ca_bundle: \"{}\"", bundle.display());
        let (h, _) = https_alerts(port, "127.0.0.1", &keys, 2);
        assert_eq!((h.sent, h.failed), (2, 0), "{h:?}");
        let ca_dir = pki.dir.path("certs");
        std::fs::create_dir_all(&ca_dir).unwrap();
        std::fs::copy(pki.dir.path("ca.pem"), ca_dir.join("ca.crt")).unwrap();
        std::fs::write(ca_dir.join("README"), "not a certificate\n").unwrap();
        let keys = format!(", ca_path: \"{}\"", ca_dir.display());
        let (h, _) = https_alerts(port, "127.0.0.1", &keys, 2);
        assert_eq!((h.sent, h.failed), (2, 0), "{h:?}");
        for _ in 0..4 {
            assert_falcosidekick_payload(&rx.recv().unwrap());
        }
    });
}

#[test]
fn https_wrong_ca_fails_and_insecure_accepts() {
    within(Duration::from_secs(60), || {
        let pki = Pki::new("https-wrong-ca");
        let (port, rx, tls_failures) = https_server(Arc::clone(&pki.server_config));
        let wrong = format!(", ca_cert: \"{}\"", pki.path("other-ca.pem"));
        let (h, _) = https_alerts(port, "127.0.0.1", &wrong, 3);
        assert_eq!(
            (h.sent, h.failed, h.dropped, h.pending),
            (0, 3, 0, 0),
            "{h:?}"
        );
        let e = h.last_error.unwrap_or_default();
        assert!(e.contains("certificate"), "{e}");
        // insecure: true accepts the server whatever the CA.
        let (h, _) = https_alerts(port, "127.0.0.1", &format!("{wrong}, insecure: true"), 2);
        assert_eq!((h.sent, h.failed), (2, 0), "{h:?}");
        for _ in 0..2 {
            assert_falcosidekick_payload(&rx.recv().unwrap());
        }
        assert!(rx.try_recv().is_err());
        assert_eq!(tls_failures.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn https_mtls_presents_the_client_certificate() {
    within(Duration::from_secs(60), || {
        let pki = Pki::new("https-mtls");
        let (port, rx, _) = https_server(Arc::clone(&pki.mtls_server_config));
        let ca = format!(", ca_cert: \"{}\"", pki.path("ca.pem"));
        // Without a client certificate the server refuses.
        let (h, _) = https_alerts(port, "127.0.0.1", &ca, 1);
        assert_eq!((h.sent, h.failed), (0, 1), "{h:?}");
        let keys = format!(
            "{ca}, mtls: true, client_cert: \"{}\", client_key: \"{}\"",
            pki.path("client.crt"),
            pki.path("client.key")
        );
        let (h, w) = https_alerts(port, "127.0.0.1", &keys, 2);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((h.sent, h.failed), (2, 0), "{h:?}");
        for _ in 0..2 {
            assert_falcosidekick_payload(&rx.recv().unwrap());
        }
    });
}

#[test]
fn https_with_unusable_tls_files_is_skipped_with_a_warning() {
    let dir = TempDir::new("https-bad");
    std::fs::write(dir.path("empty.pem"), "no certificate here\n").unwrap();
    let cases = [
        (
            format!("ca_cert: \"{}\"", dir.path("missing.pem").display()),
            "missing.pem",
        ),
        (
            format!("ca_bundle: \"{}\"", dir.path("empty.pem").display()),
            "no PEM certificate",
        ),
        (
            format!("ca_path: \"{}\"", dir.path("nowhere").display()),
            "ca_path",
        ),
        (
            format!(
                "insecure: true, mtls: true, client_cert: \"{}\"",
                dir.path("missing.crt").display()
            ),
            "client_cert",
        ),
    ];
    for (keys, expected) in cases {
        let c = config(&format!(
            "stdout_output: {{enabled: true}}\nhttp_output: {{enabled: true, url: \"https://127.0.0.1:1/\", {keys}}}\n"
        ));
        let (mut o, w) = Outputs::new(&c, options(Some(SharedBuf::default()))).unwrap();
        assert_eq!(w.len(), 1, "{keys}: {w:?}");
        assert!(w[0].contains(expected), "{keys}: {w:?}");
        assert!(w[0].contains("the http output is disabled"), "{w:?}");
        assert_eq!(o.stats().channels.len(), 1);
        o.flush_and_close(Duration::from_secs(5));
    }
}

// ---------------------------------------------------------------------------------------
// syslog, program, file

#[test]
fn syslog_datagrams_carry_the_priority() {
    within(Duration::from_secs(30), || {
        let dir = TempDir::new("syslog");
        let sock_path = dir.path("log.sock");
        let sock = UnixDatagram::bind(&sock_path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let c = config("syslog_output: {enabled: true}\n");
        let opts = OutputsOptions {
            syslog_socket: sock_path.clone(),
            ..OutputsOptions::default()
        };
        let (mut o, _) = Outputs::new(&c, opts).unwrap();
        let list = alerts(8);
        for a in &list {
            o.emit(a);
        }
        let report = o.flush_and_close(Duration::from_secs(10));
        assert_eq!(report.stats.channel("syslog").unwrap().sent, 8);
        let mut buf = vec![0u8; 65_536];
        for a in &list {
            let n = sock.recv(&mut buf).unwrap();
            let msg = std::str::from_utf8(&buf[..n]).unwrap();
            let pri = format!("<{}>", syslog_pri(a.priority));
            assert_eq!(syslog_pri(a.priority), 8 + a.priority.level());
            assert!(msg.starts_with(&pri), "{msg}");
            // `<PRI>Mmm dd HH:MM:SS falco: <text line>`, no newline.
            let rest = &msg[pri.len()..];
            assert_eq!(rest.as_bytes()[15], b' ', "{msg}");
            assert_eq!(
                &rest[16..],
                format!("falco: {}", text_line(a, &FormatOptions::default()))
            );
        }
    });
}

#[test]
fn syslog_without_a_listener_fails_quietly() {
    within(Duration::from_secs(30), || {
        let dir = TempDir::new("nosyslog");
        let c = config("syslog_output: {enabled: true}\n");
        let opts = OutputsOptions {
            syslog_socket: dir.path("missing.sock"),
            ..OutputsOptions::default()
        };
        let (mut o, _) = Outputs::new(&c, opts).unwrap();
        o.emit(&alerts(1)[0]);
        let r = o.flush_and_close(Duration::from_secs(10));
        let s = r.stats.channel("syslog").unwrap();
        assert_eq!((s.sent, s.failed), (0, 1));
    });
}

fn file_program_stdout(keep_alive: bool, json: bool) {
    let dir = TempDir::new("files");
    let via_program = dir.path("program.txt");
    let via_file = dir.path("file.txt");
    let c = config(&format!(
        "json_output: {json}\nstdout_output: {{enabled: true}}\nfile_output: {{enabled: true, keep_alive: {keep_alive}, filename: {}}}\nprogram_output: {{enabled: true, keep_alive: {keep_alive}, program: \"cat >> {}\"}}\n",
        via_file.display(),
        via_program.display()
    ));
    let out = SharedBuf::default();
    let (mut o, _) = Outputs::new(&c, options(Some(out.clone()))).unwrap();
    let list = alerts(25);
    for a in &list {
        o.emit(a);
    }
    let report = o.flush_and_close(Duration::from_secs(30));
    assert!(report.abandoned.is_empty(), "{:?}", report.abandoned);
    for name in ["file", "stdout", "program"] {
        let s = report.stats.channel(name).unwrap();
        assert_eq!((s.sent, s.failed, s.dropped), (25, 0, 0), "{s:?}");
    }
    let stdout = out.text();
    let opts = FormatOptions {
        json_output: json,
        ..FormatOptions::default()
    };
    let expected: String = list
        .iter()
        .map(|a| falcoc_outputs::format_alert(a, &opts) + "\n")
        .collect();
    assert_eq!(stdout, expected);
    assert_eq!(std::fs::read_to_string(&via_file).unwrap(), stdout);
    assert_eq!(std::fs::read_to_string(&via_program).unwrap(), stdout);
}

#[test]
fn file_program_and_stdout_agree() {
    within(Duration::from_secs(60), || {
        file_program_stdout(false, false);
        file_program_stdout(true, true);
    });
}

#[test]
fn file_output_appends_and_reopens() {
    within(Duration::from_secs(30), || {
        let dir = TempDir::new("reopen");
        let f = dir.path("events.txt");
        std::fs::write(&f, "existing\n").unwrap();
        let c = config(&format!(
            "file_output: {{enabled: true, keep_alive: true, filename: {}}}\n",
            f.display()
        ));
        let (mut o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        let list = alerts(2);
        o.emit(&list[0]);
        // Rotate the file, as logrotate would, then ask for a reopen (SIGUSR1).
        let rotated = dir.path("events.txt.1");
        std::thread::sleep(Duration::from_millis(200));
        std::fs::rename(&f, &rotated).unwrap();
        o.reopen();
        o.emit(&list[1]);
        o.flush_and_close(Duration::from_secs(10));
        let opts = FormatOptions::default();
        assert_eq!(
            std::fs::read_to_string(&rotated).unwrap(),
            format!("existing\n{}\n", text_line(&list[0], &opts))
        );
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            format!("{}\n", text_line(&list[1], &opts))
        );
    });
}

#[test]
fn failing_program_is_counted() {
    within(Duration::from_secs(30), || {
        let c = config("program_output: {enabled: true, program: \"cat > /dev/null; exit 3\"}\n");
        let (mut o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        o.emit(&alerts(1)[0]);
        let r = o.flush_and_close(Duration::from_secs(10));
        let s = r.stats.channel("program").unwrap();
        assert_eq!((s.sent, s.failed), (0, 1));
        assert!(
            s.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("exit status: 3"),
            "{s:?}"
        );
    });
}

// ---------------------------------------------------------------------------------------
// Facade

#[test]
fn no_output_and_bad_url() {
    let c = Config::default();
    assert_eq!(
        Outputs::new(&c, OutputsOptions::default()).err(),
        Some(OutputsError::NoOutput)
    );
    assert_eq!(
        OutputsError::NoOutput.to_string(),
        "No output configured, please make sure at least one output is configured and enabled."
    );
    // An http output that cannot start (here: a URL that is not http or https) is
    // skipped with a warning; with no other channel, nothing runs.
    let c = config("http_output: {enabled: true, url: \"ftp://example.invalid\"}\n");
    assert_eq!(
        Outputs::new(&c, OutputsOptions::default()).err(),
        Some(OutputsError::NoOutput)
    );
    let c = config("http_output: {enabled: true, url: \"ftp://example.invalid\"}\nstdout_output: {enabled: true}\n");
    let (mut o, w) = Outputs::new(&c, options(Some(SharedBuf::default()))).unwrap();
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("must start with http:// or https://"),
        "{w:?}"
    );
    assert_eq!(o.stats().channels.len(), 1);
    o.flush_and_close(Duration::from_secs(5));
}

#[test]
fn outputs_rate_limits_rule_alerts() {
    within(Duration::from_secs(30), || {
        let c = config("stdout_output: {enabled: true}\noutputs: {rate: 1, max_burst: 3}\n");
        let clock = FakeClock::new(1_000_000_000);
        let out = SharedBuf::default();
        let opts = OutputsOptions {
            clock: Arc::new(clock.clone()),
            ..options(Some(out.clone()))
        };
        let (mut o, _) = Outputs::new(&c, opts).unwrap();
        let list = alerts(8);
        for a in &list[..5] {
            o.emit(a);
        }
        assert_eq!(o.stats().rate_limited, 2);
        clock.advance(1_000_000_000);
        o.emit(&list[5]);
        o.emit(&list[6]);
        // Internal alerts are never limited.
        o.emit(&Alert::syscall_event_drop(1, "h", &[("n_drops", 1)], false));
        let r = o.flush_and_close(Duration::from_secs(10));
        assert_eq!((r.stats.emitted, r.stats.rate_limited), (8, 3));
        assert_eq!(r.stats.channel("stdout").unwrap().sent, 5);
        assert_eq!(out.text().lines().count(), 5);
    });
}

#[test]
fn timezone_applies_to_the_text_prefix() {
    let c = config("stdout_output: {enabled: true}\n");
    let out = SharedBuf::default();
    let opts = OutputsOptions {
        timezone: TimeZone::from_tz(Some("EST5")).unwrap(),
        ..options(Some(out.clone()))
    };
    let (mut o, _) = Outputs::new(&c, opts).unwrap();
    o.emit(&alerts(1)[0]);
    o.flush_and_close(Duration::from_secs(10));
    assert!(
        out.text().starts_with("05:00:00.000380323: Emergency "),
        "{}",
        out.text()
    );
}

#[test]
fn emit_after_close_counts_drops() {
    let c = config("stdout_output: {enabled: true}\n");
    let (mut o, _) = Outputs::new(&c, options(Some(SharedBuf::default()))).unwrap();
    o.flush_and_close(Duration::from_secs(5));
    o.emit(&alerts(1)[0]);
    let s = o.stats();
    assert_eq!(s.channel("stdout").unwrap().dropped, 1);
}

#[test]
fn compact_undoes_python_separators_only() {
    assert_eq!(
        compact(r#"{"a": "x, y: z", "b": [1, 2], "c": "q\": "}"#),
        r#"{"a":"x, y: z","b":[1,2],"c":"q\": "}"#
    );
    let _ = Path::new("/");
}
