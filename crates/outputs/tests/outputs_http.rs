//! The `http_output` channel against real receivers on 127.0.0.1: plain HTTP
//! (falcosidekick JSON, text, hung, refusing and failing endpoints, closing) and HTTPS
//! with certificates made in the test (CA, insecure, mTLS, unusable files). Every test
//! that involves a thread or a socket runs under a time limit.

use falcoc_engine::Alert;
use falcoc_outputs::{text_line, AbandonReason, FormatOptions, Outputs, OutputsOptions};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

mod support;
use support::*;

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

/// Sends `list` one at a time (each written before the next) to an `http_output`
/// configured with `yaml_keys` (YAML flow entries); the report at close.
fn one_at_a_time(yaml_keys: &str, list: &[Alert]) -> falcoc_outputs::CloseReport {
    let c = config(&format!(
        "json_output: true\nhttp_output: {{enabled: true, {yaml_keys}}}\n"
    ));
    let (mut o, w) = Outputs::new(&c, OutputsOptions::default()).unwrap();
    assert!(w.is_empty(), "{w:?}");
    for a in list {
        o.emit(a);
        wait_for(&o, |s| {
            s.channel("http")
                .is_some_and(|h| h.pending == 0 && h.offered == h.sent + h.failed + h.dropped)
        });
    }
    o.flush_and_close(Duration::from_secs(20))
}

#[test]
fn http_keeps_the_connection_open_between_alerts() {
    within(Duration::from_secs(60), || {
        let (port, rx, connections) = keep_alive_server(AfterFirst::KeepAnswering);
        let list = alerts(10);
        let report = one_at_a_time(&format!("url: \"http://127.0.0.1:{port}/k\""), &list);
        let h = report.stats.channel("http").unwrap();
        assert_eq!((h.sent, h.failed, h.dropped), (10, 0, 0), "{h:?}");
        for a in &list {
            let req = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(req.path, "/k");
            let v = assert_falcosidekick_payload(&req);
            assert_eq!(v["rule"], a.rule.as_str());
        }
        // One connection for all ten requests, as Falco's libcurl handle reuses its own.
        assert_eq!(connections.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn http_retries_once_when_the_server_closed_the_kept_connection() {
    within(Duration::from_secs(60), || {
        // Every connection answers once, then closes when it is reused: each later
        // request finds its connection closed and is sent again on a new one.
        let (port, rx, connections) = keep_alive_server(AfterFirst::CloseOnNext);
        let report = one_at_a_time(
            &format!("url: \"http://127.0.0.1:{port}/\", max_consecutive_timeouts: 0"),
            &alerts(6),
        );
        let h = report.stats.channel("http").unwrap();
        assert_eq!((h.sent, h.failed, h.dropped), (6, 0, 0), "{h:?}");
        assert_eq!(rx.try_iter().count(), 6);
        assert_eq!(connections.load(Ordering::SeqCst), 6);
    });
}

#[test]
fn server_that_closes_without_answering_fails_without_retry() {
    within(Duration::from_secs(60), || {
        // Reads each request and closes: the first attempt fails, and a connection that
        // never answered is not retried.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let acc = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                acc.fetch_add(1, Ordering::SeqCst);
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = read_request(&s);
            }
        });
        let report = one_at_a_time(
            &format!("url: \"http://127.0.0.1:{port}/\", max_consecutive_timeouts: 0"),
            &alerts(3),
        );
        let h = report.stats.channel("http").unwrap();
        assert_eq!((h.sent, h.failed), (0, 3), "{h:?}");
        let e = h.last_error.clone().unwrap_or_default();
        assert!(
            e.starts_with(&format!("HTTP request to 127.0.0.1:{port} failed: ")),
            "{e}"
        );
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn refused_and_timed_out_requests_name_the_endpoint_and_the_cause() {
    within(Duration::from_secs(60), || {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let report = one_at_a_time(&format!("url: \"http://127.0.0.1:{port}/\""), &alerts(1));
        let h = report.stats.channel("http").unwrap();
        assert_eq!((h.sent, h.failed), (0, 1), "{h:?}");
        assert_eq!(
            h.last_error.as_deref(),
            Some(
                format!(
                    "HTTP request to 127.0.0.1:{port} failed: Connection refused (os error 111)"
                )
                .as_str()
            )
        );
        // A server that accepts and never answers: the request times out waiting for the
        // response, is retried twice (max_consecutive_timeouts), then fails.
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
            "json_output: true\noutput_timeout: 100\nhttp_output: {{enabled: true, url: \"http://127.0.0.1:{port}/\", max_consecutive_timeouts: 2}}\n"
        ));
        let (mut o, _) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        o.emit(&alerts(1)[0]);
        wait_for(&o, |s| s.channel("http").is_some_and(|h| h.failed == 1));
        let h = o.stats().channel("http").unwrap().clone();
        assert_eq!(
            h.last_error.as_deref(),
            Some(
                format!("HTTP request to 127.0.0.1:{port} failed: timed out (receive response)")
                    .as_str()
            )
        );
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        o.flush_and_close(Duration::from_secs(5));
    });
}

#[test]
fn redirects_are_not_followed() {
    within(Duration::from_secs(30), || {
        // libcurl follows no redirect unless told to (Falco does not): a 3xx is an answer
        // other than 2xx.
        let (port, rx) = http_server(302);
        let report = one_at_a_time(&format!("url: \"http://127.0.0.1:{port}/\""), &alerts(1));
        let h = report.stats.channel("http").unwrap();
        assert_eq!((h.sent, h.failed), (0, 1), "{h:?}");
        assert_eq!(h.last_error.as_deref(), Some("HTTP status 302"));
        assert_eq!(rx.try_iter().count(), 1);
    });
}

#[test]
fn https_endpoint_that_never_handshakes_times_out_connecting() {
    within(Duration::from_secs(60), || {
        // Accepts TCP connections and never answers the TLS handshake: the handshake is
        // part of connecting, bounded by output_timeout.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming().flatten() {
                held.push(s);
            }
        });
        let c = config(&format!(
            "json_output: true\noutput_timeout: 100\nhttp_output: {{enabled: true, url: \"https://127.0.0.1:{port}/\", insecure: true, max_consecutive_timeouts: 0}}\n"
        ));
        let (mut o, w) = Outputs::new(&c, OutputsOptions::default()).unwrap();
        assert!(w.is_empty(), "{w:?}");
        o.emit(&alerts(1)[0]);
        wait_for(&o, |s| s.channel("http").is_some_and(|h| h.failed == 1));
        let h = o.stats().channel("http").unwrap().clone();
        assert_eq!(
            h.last_error.as_deref(),
            Some(format!("HTTP request to 127.0.0.1:{port} failed: timed out (connect)").as_str())
        );
        o.flush_and_close(Duration::from_secs(5));
    });
}

#[test]
fn https_mtls_key_of_another_certificate_is_refused_at_start() {
    let pki = Pki::new("https-mtls-wrong-key");
    std::fs::write(
        pki.dir.path("other.key"),
        rcgen::KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    std::fs::write(pki.dir.path("no-key.pem"), "no key here\n").unwrap();
    for (key, expected) in [
        ("other.key", "client_cert/client_key: "),
        ("no-key.pem", "client_key "),
    ] {
        let c = config(&format!(
            "stdout_output: {{enabled: true}}\nhttp_output: {{enabled: true, url: \"https://127.0.0.1:1/\", ca_cert: \"{}\", mtls: true, client_cert: \"{}\", client_key: \"{}\"}}\n",
            pki.path("ca.pem"),
            pki.path("client.crt"),
            pki.path(key)
        ));
        let (mut o, w) = Outputs::new(&c, options(Some(SharedBuf::default()))).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("http output: "), "{w:?}");
        assert!(w[0].contains(expected), "{key}: {w:?}");
        assert!(w[0].ends_with("; the http output is disabled"), "{w:?}");
        assert_eq!(o.stats().channels.len(), 1);
        o.flush_and_close(Duration::from_secs(5));
    }
}
