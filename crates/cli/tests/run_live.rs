//! The live sensor end to end: `falcoc run` with the eBPF probe attached, real actions
//! on this machine, and the JSON alerts they raise.
//!
//! These tests need root (or CAP_BPF + CAP_PERFMON) and kernel BTF. Without them they
//! are skipped with a message — except under CI (`CI=true`), where a machine that
//! cannot run the probe is a failure.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

mod live;
use live::{ebpf_available, falcoc};

/// How long an alert may take to arrive after its action (the issue's bound).
const ALERT_BUDGET: Duration = Duration::from_secs(1);

/// A running `falcoc run` whose stdout lines (JSON alerts) arrive on a channel.
struct Sensor {
    child: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

impl Sensor {
    fn start(args: &[&str]) -> Sensor {
        let mut child = Command::new(falcoc())
            .arg("run")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("falcoc starts");
        let lines = live::lines(child.stdout.take().expect("stdout"));
        let stderr = live::lines(child.stderr.take().expect("stderr"));
        let sensor = Sensor {
            child,
            lines,
            stderr,
        };
        sensor.wait_ready();
        sensor
    }

    /// Waits for the "probe attached" line (loading takes well under the bound).
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match self.stderr.recv_timeout(Duration::from_millis(100)) {
                Ok(l) if l.contains("probe attached") => return,
                Ok(l) => seen.push(l),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        panic!("falcoc run did not attach the probe:\n{}", seen.join("\n"));
    }

    /// The alerts that arrive within `budget`.
    fn alerts_within(&self, budget: Duration) -> Vec<Value> {
        let deadline = Instant::now() + budget;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return out;
            }
            match self.lines.recv_timeout(left) {
                Ok(l) => out.push(serde_json::from_str(&l).expect("a JSON alert per line")),
                Err(_) => return out,
            }
        }
    }

    /// The first alert of `rule` within the budget, and every alert that came with it.
    fn expect_alert(&self, rule: &str) -> (Value, Vec<Value>) {
        let deadline = Instant::now() + ALERT_BUDGET;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(l) = self.lines.recv_timeout(left) else {
                break;
            };
            let v: Value = serde_json::from_str(&l).expect("a JSON alert per line");
            if v["rule"] == rule {
                return (v, seen);
            }
            seen.push(v);
        }
        let stderr: Vec<String> = self.stderr.try_iter().collect();
        panic!(
            "no alert of rule {rule:?} within {ALERT_BUDGET:?}; other alerts: {seen:?}; stderr: {}",
            stderr.join("\n")
        );
    }

    /// Stops it with SIGTERM and returns its exit status and the rest of its stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("falcoc exits");
        let mut rest = Vec::new();
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            rest.push(l);
        }
        (status.code(), rest.join("\n"))
    }
}

/// A test that fails does not leave its sensor attached.
impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(cmd: &str, args: &[&str]) {
    let st = Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{cmd} runs: {e}"));
    assert!(st.success(), "{cmd} {args:?} failed");
}

/// This test process's command name (`proc.pname` of what it spawns).
fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .expect("comm")
        .trim()
        .to_string()
}

fn field<'a>(alert: &'a Value, name: &str) -> &'a Value {
    &alert["output_fields"][name]
}

#[test]
fn seed_actions_raise_one_alert_each_and_nothing_else() {
    if !ebpf_available() {
        return;
    }
    let _serial = live::exclusive();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let target = format!("/etc/falcoc-live-test-{}", std::process::id());
    let dir = live::temp_dir("seed");
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"
- macro: spawned_process
  condition: (evt.type in (execve, execveat) and evt.dir=< and evt.arg.res=0)
- rule: Terminal shell
  desc: a shell with a controlling terminal
  condition: spawned_process and proc.name = bash and proc.tty != 0 and proc.cmdline contains falcoc-tty-marker
  output: "Terminal shell (user=%user.name proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline tty=%proc.tty)"
  priority: NOTICE
- rule: Read sensitive file
  desc: /etc/shadow opened for reading
  condition: evt.type in (open, openat, openat2) and evt.dir=< and evt.is_open_read=true and fd.name = /etc/shadow
  output: "Sensitive file read (user=%user.name proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline file=%fd.name)"
  priority: WARNING
- rule: Write below etc
  desc: a file below /etc opened for writing
  condition: evt.type in (open, openat, openat2, creat) and evt.dir=< and evt.is_open_write=true and fd.name startswith /etc/falcoc-live-test-
  output: "File below /etc opened for writing (user=%user.name proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline file=%fd.name)"
  priority: ERROR
- rule: Outbound connection to test port
  desc: a connection to the test listener
  condition: evt.type = connect and evt.dir=< and fd.sport = {port}
  output: "Outbound connection (user=%user.name proc=%proc.name parent=%proc.pname cmdline=%proc.cmdline connection=%fd.name sip=%fd.sip sport=%fd.sport)"
  priority: CRITICAL
"#
        ),
    )
    .expect("rules written");
    let rules_arg = rules.to_string_lossy().into_owned();
    let sensor = Sensor::start(&["-r", &rules_arg, "--json", "--stats-interval", "0"]);
    let me = own_comm();

    // Unrelated activity first: nothing may match.
    run("cat", &["/etc/hostname"]);
    run("ls", &["/etc"]);
    run("bash", &["-c", "true"]);
    let noise = sensor.alerts_within(Duration::from_millis(300));
    assert!(
        noise.is_empty(),
        "unrelated activity raised alerts: {noise:?}"
    );

    // A shell with a terminal: `script` gives its command a pty; sh execs bash.
    let st = Command::new("script")
        .args([
            "-q",
            "-c",
            "exec bash -c 'exit 0' falcoc-tty-marker",
            "/dev/null",
        ])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("script runs");
    assert!(st.success());
    let (a, others) = sensor.expect_alert("Terminal shell");
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(field(&a, "proc.name"), "bash");
    assert_eq!(field(&a, "proc.pname"), "script");
    assert_eq!(
        field(&a, "proc.cmdline"),
        "bash -c exit 0 falcoc-tty-marker"
    );
    assert_eq!(field(&a, "user.name"), "root");
    assert_ne!(field(&a, "proc.tty"), 0);
    assert_eq!(a["priority"], "Notice");

    // A read of /etc/shadow.
    run("cat", &["/etc/shadow"]);
    let (a, others) = sensor.expect_alert("Read sensitive file");
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(field(&a, "proc.name"), "cat");
    assert_eq!(field(&a, "proc.pname"), me.as_str());
    assert_eq!(field(&a, "proc.cmdline"), "cat /etc/shadow");
    assert_eq!(field(&a, "user.name"), "root");
    assert_eq!(field(&a, "fd.name"), "/etc/shadow");

    // A write below /etc.
    run("touch", &[&target]);
    let (a, others) = sensor.expect_alert("Write below etc");
    let _ = std::fs::remove_file(&target);
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(field(&a, "proc.name"), "touch");
    assert_eq!(field(&a, "proc.pname"), me.as_str());
    assert_eq!(
        field(&a, "proc.cmdline"),
        format!("touch {target}").as_str()
    );
    assert_eq!(field(&a, "fd.name"), target.as_str());

    // An outbound connection to the listener's port.
    let script = format!("exec 3<>/dev/tcp/127.0.0.1/{port}");
    run("bash", &["-c", &script]);
    let (a, others) = sensor.expect_alert("Outbound connection to test port");
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(field(&a, "proc.name"), "bash");
    assert_eq!(field(&a, "proc.pname"), me.as_str());
    assert_eq!(field(&a, "fd.sip"), "127.0.0.1");
    assert_eq!(field(&a, "fd.sport"), port);
    let conn = field(&a, "fd.name")
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(conn.ends_with(&format!("->127.0.0.1:{port}")), "{conn}");
    drop(listener);

    // Nothing else arrives, and the sensor stops cleanly on SIGTERM.
    let late = sensor.alerts_within(Duration::from_millis(300));
    assert!(late.is_empty(), "unexpected alerts: {late:?}");
    let (code, stderr) = sensor.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("Syscall event drop monitoring"), "{stderr}");
}

/// The newest upstream rules load and run live: every event type they use is traced.
#[test]
fn newest_upstream_rules_run_live() {
    if !ebpf_available() {
        return;
    }
    let _serial = live::exclusive();
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/rules/falcosecurity-rules");
    let files = [
        "falco-rules-5.1.0/falco_rules.yaml",
        "falco-incubating-rules-6.0.1/falco-incubating_rules.yaml",
        "falco-sandbox-rules-6.1.0/falco-sandbox_rules.yaml",
    ];
    let mut args: Vec<String> = Vec::new();
    for f in files {
        args.push("-r".into());
        args.push(shared.join(f).to_string_lossy().into_owned());
    }
    // Every rule enabled; alerts to a file (nothing on stdout).
    let dir = live::temp_dir("newest");
    let config = dir.join("falco.yaml");
    std::fs::write(
        &config,
        format!(
            "rules:\n  - enable:\n      rule: \"*\"\nstdout_output:\n  enabled: false\nfile_output:\n  enabled: true\n  filename: {}\n",
            dir.join("alerts.txt").display()
        ),
    )
    .expect("config written");
    args.extend(["--stats-interval", "0", "-c"].map(String::from));
    args.push(config.to_string_lossy().into_owned());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let sensor = Sensor::start(&refs);
    run("cat", &["/etc/hostname"]);
    let (code, stderr) = sensor.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert!(!stderr.contains("does not deliver"), "{stderr}");
}

/// A burst larger than the ring buffer: the kernel counts the drops, the drop monitor
/// logs them and raises Falco's internal alert, and the sensor keeps detecting.
#[test]
fn a_burst_beyond_the_ring_buffer_is_counted_and_acted_on() {
    if !ebpf_available() {
        return;
    }
    let _serial = live::exclusive();
    let dir = live::temp_dir("burst");
    let rules = dir.join("marker.yaml");
    std::fs::write(
        &rules,
        r#"
- rule: Marker read
  desc: the marker file is read
  condition: evt.type in (open, openat, openat2) and evt.dir=< and fd.name = /etc/hostname and proc.name = cat
  output: "marker read (proc=%proc.name file=%fd.name)"
  priority: INFO
"#,
    )
    .expect("rules written");
    let config = dir.join("falco.yaml");
    std::fs::write(
        &config,
        "json_output: true\nstdout_output:\n  enabled: true\nsyscall_event_drops:\n  actions: [log, alert]\n  threshold: 0\n  rate: 10\n  max_burst: 10\n",
    )
    .expect("config written");
    let (rules_arg, config_arg) = (
        rules.to_string_lossy().into_owned(),
        config.to_string_lossy().into_owned(),
    );
    // A 16 KiB ring buffer holds about a hundred records.
    let sensor = Sensor::start(&[
        "-c",
        &config_arg,
        "-r",
        &rules_arg,
        "--ring-buffer-kb",
        "16",
        "--stats-interval",
        "0",
    ]);
    // Several threads opening /dev/null as fast as they can outrun the reader.
    let mut drop_alert = None;
    for _ in 0..5 {
        let storm: Vec<_> = (0..3)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..30_000 {
                        drop(std::fs::File::open("/dev/null"));
                    }
                })
            })
            .collect();
        for t in storm {
            t.join().expect("storm thread");
        }
        // The monitor checks once a second.
        let alerts = sensor.alerts_within(Duration::from_millis(2500));
        drop_alert = alerts
            .into_iter()
            .find(|a| a["rule"] == "Falco internal: syscall event drop");
        if drop_alert.is_some() {
            break;
        }
    }
    let a = drop_alert.expect("a drop alert after the bursts");
    assert_eq!(a["priority"], "Debug");
    assert_eq!(a["source"], "internal");
    let n_drops: u64 = field(&a, "n_drops")
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("n_drops is a number in a string");
    assert!(n_drops > 0);

    // Still detecting (the tiny ring buffer may drop this machine's other activity
    // too, so the marker is retried).
    let mut marker = None;
    for _ in 0..20 {
        run("cat", &["/etc/hostname"]);
        marker = sensor
            .alerts_within(Duration::from_millis(500))
            .into_iter()
            .find(|a| a["rule"] == "Marker read");
        if marker.is_some() {
            break;
        }
    }
    let m = marker.expect("the sensor still raises alerts after the bursts");
    assert_eq!(field(&m, "fd.name"), "/etc/hostname");
    let (code, stderr) = sensor.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("system calls dropped in last second"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("event drop detected: 0 occurrences"),
        "{stderr}"
    );
}

/// Without CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN the sensor says what it lacks and exits 2.
#[test]
fn missing_capabilities_are_named() {
    if !ebpf_available() {
        return;
    }
    let _serial = live::exclusive();
    let dir = live::temp_dir("caps");
    let rules = dir.join("caps.yaml");
    std::fs::write(
        &rules,
        "- rule: x\n  desc: x\n  condition: evt.type = openat\n  output: x\n  priority: INFO\n",
    )
    .expect("rules written");
    // setpriv drops the capabilities from the bounding set before exec.
    let out = Command::new("setpriv")
        .args(["--inh-caps=-all", "--bounding-set=-bpf,-perfmon,-sys_admin"])
        .arg(falcoc())
        .args(["run", "-r"])
        .arg(&rules)
        .args(["--duration", "1"])
        .output()
        .expect("setpriv runs (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CAP_BPF and CAP_PERFMON"), "{stderr}");
}
