//! The syslog, program, file and stdout channels, and the `Outputs` facade (no output,
//! bad URL, rate limit, time zone of the text prefix, emit after close). Every test
//! that involves a thread or a socket runs under a time limit.

use falcoc_config::Config;
use falcoc_engine::ratelimit::FakeClock;
use falcoc_engine::time::TimeZone;
use falcoc_engine::Alert;
use falcoc_outputs::{syslog_pri, text_line, FormatOptions, Outputs, OutputsError, OutputsOptions};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod support;
use support::*;

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
