//! `falcoc replay` delivering alerts through the output channels of a `falco.yaml`: file
//! and program outputs receive the same lines as stdout; a hung or failing HTTP endpoint
//! on 127.0.0.1 (hanging, answering 500, or refusing) neither stalls the replay nor
//! loses the stdout alerts, and its failures and drops are reported on stderr. Temporary files and loopback only; every server
//! thread and every run is bounded in time.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The generous bound of one replay (the replay takes well under a second).
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// Server threads stop by themselves after this long, whatever happens to the test.
const SERVER_LIMIT: Duration = Duration::from_secs(90);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "falcoc-replay-outputs-{tag}-{}-{}",
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

/// Runs `falcoc replay` of the bundled example with `extra` arguments, killing it (and
/// failing) after [`RUN_LIMIT`].
fn replay(extra: &[&str]) -> Output {
    replay_env(extra, &[])
}

/// [`replay`] with environment variables set.
fn replay_env(extra: &[&str], env: &[(&str, &str)]) -> Output {
    let out = run_replay(extra, env, "examples/rules/demo_rules.yaml");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `falcoc replay -r RULES` of the bundled capture, killing it (and failing) after
/// [`RUN_LIMIT`]; any exit code.
fn run_replay(extra: &[&str], env: &[(&str, &str)], rules: &str) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_falcoc"))
        .current_dir(root())
        .envs(env.iter().copied())
        .arg("replay")
        .args(extra)
        .args(["-r", rules, "examples/captures/web-01-attack.scap.gz"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run falcoc");
    let pid = child.id();
    let (tx, rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if rx.recv_timeout(RUN_LIMIT).is_err() {
            // Still running: kill that process (only it, by its id).
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            return true;
        }
        false
    });
    let out = child.wait_with_output().expect("wait for falcoc");
    let _ = tx.send(());
    let killed = watchdog.join().unwrap_or(false);
    assert!(!killed, "falcoc replay ran longer than {RUN_LIMIT:?}");
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The counter line of channel `name` on stderr: (sent, failed, dropped).
fn counters(stderr: &str, name: &str) -> Option<(u64, u64, u64)> {
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name}: sent ")))?;
    let rest = line.trim_start().strip_prefix(name)?.strip_prefix(": ")?;
    let mut nums = rest
        .split([',', ';', '('])
        .take(3)
        .map(|part| part.split_whitespace().nth(1).and_then(|n| n.parse().ok()));
    Some((nums.next()??, nums.next()??, nums.next()??))
}

fn write_config(dir: &TempDir, yaml: &str) -> PathBuf {
    let p = dir.path("falco.yaml");
    std::fs::write(&p, yaml).expect("write falco.yaml");
    p
}

/// Waits up to 10 s for `path` to hold `lines` lines (the program output's `cat` may
/// finish after falcoc closed its stdin).
fn read_lines_eventually(path: &Path, lines: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let t = std::fs::read_to_string(path).unwrap_or_default();
        if t.lines().count() >= lines || Instant::now() > deadline {
            return t;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn file_and_program_outputs_hold_the_stdout_lines() {
    let dir = TempDir::new("fileprog");
    let file_out = dir.path("alerts.txt");
    let prog_out = dir.path("program.txt");
    let yaml = format!(
        "stdout_output:\n  enabled: true\nfile_output:\n  enabled: true\n  keep_alive: false\n  filename: {}\nprogram_output:\n  enabled: true\n  keep_alive: true\n  program: \"cat >> {}\"\n",
        file_out.display(),
        prog_out.display()
    );
    let config = write_config(&dir, &yaml);
    let config = config.to_string_lossy();
    for json in [false, true] {
        let _ = std::fs::remove_file(&file_out);
        let _ = std::fs::remove_file(&prog_out);
        let mut args = vec!["-c", config.as_ref()];
        if json {
            args.push("--json");
        }
        let out = replay(&args);
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert_eq!(stdout.lines().count(), 11, "{stdout}\n{stderr}");
        if json {
            assert!(stdout.lines().all(|l| l.starts_with('{')), "{stdout}");
        }
        let file_text = std::fs::read_to_string(&file_out).unwrap_or_default();
        assert_eq!(file_text, stdout, "file output (json: {json})");
        let prog_text = read_lines_eventually(&prog_out, 11);
        assert_eq!(prog_text, stdout, "program output (json: {json})");
        assert_eq!(counters(&stderr, "stdout"), Some((11, 0, 0)), "{stderr}");
        assert_eq!(counters(&stderr, "file"), Some((11, 0, 0)), "{stderr}");
        assert_eq!(counters(&stderr, "program"), Some((11, 0, 0)), "{stderr}");
    }
}

#[test]
fn without_config_only_stdout_and_no_counters() {
    let out = replay(&[]);
    assert_eq!(text(&out.stdout).lines().count(), 11);
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("Outputs ("), "{stderr}");
}

/// What the test server does with a connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Accepts and never answers (holds the connection until stopped).
    Hang,
    /// Reads the request and answers `500`.
    Fail,
    /// Refuses connections (nothing listens on the port).
    Refuse,
    /// Answers `200` with the body `echo!\n` to every request, keeping the connection.
    Echo,
}

/// An HTTP endpoint on 127.0.0.1 for one test; stops when dropped or after
/// [`SERVER_LIMIT`].
struct Server {
    url: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    fn start(behaviour: Behaviour) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local addr").port();
        if let Behaviour::Refuse = behaviour {
            // Closing the listener leaves the port refusing connections.
            drop(listener);
            return Server {
                url: format!("http://127.0.0.1:{port}/"),
                stop: Arc::new(AtomicBool::new(true)),
                handle: None,
            };
        }
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + SERVER_LIMIT;
            let mut held: Vec<TcpStream> = Vec::new();
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((conn, _)) => match behaviour {
                        Behaviour::Hang => held.push(conn),
                        Behaviour::Fail => answer_500(conn),
                        Behaviour::Echo => answer_echo(conn),
                        Behaviour::Refuse => {}
                    },
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            url: format!("http://127.0.0.1:{port}/"),
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Reads the requests of a connection (headers and `Content-Length` body, bounded, as
/// falcoc sends them: one at a time) and answers each `200` with the body `echo!\n`.
fn answer_echo(mut conn: TcpStream) {
    use std::io::Write;
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
        let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&req[..end]).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if req.len() >= end + 4 + len {
            req.drain(..end + 4 + len);
            if conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\necho!\n")
                .is_err()
            {
                return;
            }
        }
    }
}

/// Reads one request (headers and `Content-Length` body, bounded) and answers 500.
fn answer_500(mut conn: TcpStream) {
    use std::io::Write;
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
        if let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&req[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if req.len() >= end + 4 + len {
                break;
            }
        }
        if req.len() > 1 << 20 {
            break;
        }
    }
    let _ = conn.write_all(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
    );
}

/// A configuration with stdout and an http output to `url`; each request that times out
/// (after 300 ms) is retried `retries` times.
fn http_config(dir: &TempDir, url: &str, retries: u8) -> PathBuf {
    write_config(
        dir,
        &format!(
            "json_output: true\noutput_timeout: 300\nstdout_output:\n  enabled: true\nhttp_output:\n  enabled: true\n  url: {url}\n  max_consecutive_timeouts: {retries}\n"
        ),
    )
}

/// Replays the example with http output to a server that misbehaves as `behaviour`:
/// every alert still reaches stdout and none reaches http. Returns stderr and the http
/// counters (sent, failed, dropped).
fn replay_with_broken_http(behaviour: Behaviour, name: &str) -> (String, (u64, u64, u64)) {
    let server = Server::start(behaviour);
    let dir = TempDir::new(name);
    // For the hung endpoint: one alert holds the channel for 256 × 300 ms, so at the end
    // it is stuck, not yet failed.
    let retries = if let Behaviour::Hang = behaviour {
        255
    } else {
        0
    };
    let config = http_config(&dir, &server.url, retries);
    let out = replay(&["-c", &config.to_string_lossy()]);
    drop(server);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(stdout.lines().count(), 11, "{stdout}\n{stderr}");
    assert_eq!(counters(&stderr, "stdout"), Some((11, 0, 0)), "{stderr}");
    let http = counters(&stderr, "http").unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(http.0, 0, "{stderr}");
    assert_eq!(http.1 + http.2, 11, "{stderr}");
    (stderr, http)
}

#[test]
fn hung_http_endpoint_does_not_stall_the_replay() {
    let (stderr, (_, failed, dropped)) = replay_with_broken_http(Behaviour::Hang, "hang");
    // The first request is still waiting for an answer: nothing failed, everything is
    // dropped, and the channel was given up as stuck (one alert held for output_timeout).
    assert_eq!((failed, dropped), (0, 11), "{stderr}");
    assert!(
        stderr.contains("(one alert pending for 300 ms; abandoned)"),
        "{stderr}"
    );
}

#[test]
fn failing_http_endpoint_is_reported() {
    let (stderr, (_, failed, _)) = replay_with_broken_http(Behaviour::Fail, "fail");
    assert!(failed > 0, "{stderr}");
    assert!(stderr.contains("HTTP status 500"), "{stderr}");
}

#[test]
fn refusing_http_endpoint_is_reported() {
    let (stderr, (_, failed, _)) = replay_with_broken_http(Behaviour::Refuse, "refuse");
    assert!(failed > 0, "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn http_echo_prints_the_response_bodies() {
    // http_output alone, with echo: the response bodies are falcoc's stdout.
    let server = Server::start(Behaviour::Echo);
    let dir = TempDir::new("echo");
    let config = write_config(
        &dir,
        &format!(
            "json_output: true\nhttp_output:\n  enabled: true\n  url: {}\n  echo: true\n",
            server.url
        ),
    );
    let out = replay(&["-c", &config.to_string_lossy()]);
    drop(server);
    let stderr = text(&out.stderr);
    assert_eq!(text(&out.stdout), "echo!\n".repeat(11), "{stderr}");
    assert_eq!(counters(&stderr, "http"), Some((11, 0, 0)), "{stderr}");
}

/// The text lines' time follows `TZ`, as Falco's `%evt.time` (local time): a fixed POSIX
/// offset shifts it, and a zone of the time zone database gives the same lines as its
/// POSIX rule.
#[test]
fn text_time_follows_tz() {
    let lines = |tz: &str| -> Vec<String> {
        let out = replay_env(&[], &[("TZ", tz)]);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("warning"), "TZ={tz}: {stderr}");
        text(&out.stdout).lines().map(str::to_string).collect()
    };
    /// Seconds of the day of a text line's `HH:MM:SS` prefix.
    fn seconds(line: &str) -> i64 {
        let hms: Vec<i64> = line[..8].split(':').map(|p| p.parse().unwrap()).collect();
        hms[0] * 3600 + hms[1] * 60 + hms[2]
    }
    let utc = lines("UTC");
    let india = lines("<+0530>-5:30");
    assert_eq!(utc.len(), 11);
    assert_eq!(india.len(), 11);
    for (u, i) in utc.iter().zip(&india) {
        assert_eq!(
            (seconds(u) + 5 * 3600 + 1800) % 86_400,
            seconds(i),
            "{u}\n{i}"
        );
        assert_eq!(u[8..], i[8..]);
    }
    if Path::new("/usr/share/zoneinfo/America/New_York").is_file() {
        assert_eq!(lines("America/New_York"), lines("EST5EDT,M3.2.0,M11.1.0"));
        assert_ne!(lines("America/New_York"), utc);
    }
    // An unknown zone: a warning, and UTC.
    let out = replay_env(&[], &[("TZ", "Nowhere/Atlantis")]);
    assert!(
        text(&out.stderr).contains("warning: TZ=\"Nowhere/Atlantis\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), utc);
}

/// A bad `falco.yaml` (a value of the wrong type, an output enabled without its required
/// key), an unreadable configuration or rules file: exit 2, with the message located in
/// the file (line and column) or naming the file.
#[test]
fn bad_configuration_exits_2_with_a_location() {
    let dir = TempDir::new("badconfig");
    let rules = "examples/rules/demo_rules.yaml";
    let cases = [
        (
            "stdout_output: {enabled: true}\noutput_timeout: soon\n",
            ":2:17",
            "output_timeout: expected an unsigned 32-bit integer, found `soon`",
        ),
        (
            "stdout_output: {enabled: true}\nhttp_output: {enabled: true}\n",
            ":2:15",
            "http output enabled but no url in configuration block",
        ),
        (
            "stdout_output:\n  enabled: yes please\n",
            ":2:12",
            "stdout_output.enabled",
        ),
    ];
    for (yaml, location, message) in cases {
        let config = write_config(&dir, yaml);
        let config = config.to_string_lossy();
        let out = run_replay(&["-c", config.as_ref()], &[], rules);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{yaml}: {stderr}");
        assert!(
            stderr.contains(&format!("{config}{location}")),
            "{yaml}: {stderr}"
        );
        assert!(stderr.contains(message), "{yaml}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let missing = dir.path("missing.yaml");
    let missing = missing.to_string_lossy();
    let out = run_replay(&["-c", missing.as_ref()], &[], rules);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("cannot read {missing}")),
        "{}",
        text(&out.stderr)
    );
    // A rule file that cannot be read is Falco's fatal error (exit 1).
    let out = run_replay(&[], &[], "no/such/rules.yaml");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Could not open file no/such/rules.yaml for reading"),
        "{}",
        text(&out.stderr)
    );
}
