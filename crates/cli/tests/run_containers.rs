//! `falcoc run` against a real container runtime: a Kubernetes-style pod (sandbox and
//! container made over the CRI as kubelet makes them, on the containerd that
//! `scripts/container-runtime start` runs) with an interactive shell and a read of
//! `/etc/shadow` in it; the newest default falco_rules must raise their alerts with the
//! container's and the pod's fields. Then the same with the runtime's socket hanging or
//! absent: the alerts still come, those fields are missing, and the failures are counted.
//!
//! Needs root, kernel BTF and the runtime (skipped with a message without them, a
//! failure under `CI=true`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

mod live;
use live::{ebpf_available, falcoc};

#[path = "../../container/tests/support/pod.rs"]
mod pod;

/// Starting a pod (sandbox, container, exec) takes a runtime a second or two.
const ALERT_BUDGET: Duration = Duration::from_secs(20);

/// The newest default falco_rules of the corpus.
fn default_rules() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/rules/falcosecurity-rules");
    let mut dirs: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(&root)
        .expect("the rules corpus in ../shared")
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let version = name.strip_prefix("falco-rules-")?;
            let v: Option<Vec<u32>> = version.split('.').map(|n| n.parse().ok()).collect();
            Some((v?, e.path()))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .expect("a falco-rules release")
        .1
        .join("falco_rules.yaml")
}

/// A `falco.yaml` whose container plugin entry asks only `socket` (CRI), and whose
/// syscall alerts carry the container and pod fields.
fn write_config(dir: &Path, socket: &Path, wait_ms: u64, timeout_s: u64) -> PathBuf {
    let path = dir.join("falco.yaml");
    std::fs::write(
        &path,
        format!(
            r#"json_output: true
stdout_output:
  enabled: true
plugins:
  - name: container
    library_path: libcontainer.so
    init_config:
      engine_timeout: {timeout_s}
      lookup_wait_ms: {wait_ms}
      engines:
        docker: {{enabled: false}}
        podman: {{enabled: false}}
        containerd: {{enabled: false}}
        cri:
          enabled: true
          sockets: ["{}"]
append_output:
  - match:
      source: syscall
    extra_fields:
      - container.id
      - container.name
      - container.image.repository
      - container.type
      - k8s.pod.name
      - k8s.ns.name
      - k8s.pod.label[app]
      - k8s.pod.sandbox_id
      - container.host_network
"#,
            socket.display()
        ),
    )
    .expect("config written");
    path
}

/// A running `falcoc run` whose stdout lines (JSON alerts) arrive on a channel.
struct Sensor {
    child: Child,
    lines: Receiver<String>,
    stderr: Receiver<String>,
}

impl Sensor {
    fn start(config: &Path, rules: &Path) -> Sensor {
        let mut child = Command::new(falcoc())
            .arg("run")
            .arg("-c")
            .arg(config)
            .arg("-r")
            .arg(rules)
            .args(["--stats-interval", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("falcoc starts");
        let lines = live::lines(child.stdout.take().expect("stdout"));
        let stderr = live::lines(child.stderr.take().expect("stderr"));
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match stderr.recv_timeout(Duration::from_millis(100)) {
                Ok(l) if l.contains("probe attached") => {
                    return Sensor {
                        child,
                        lines,
                        stderr,
                    }
                }
                Ok(l) => seen.push(l),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("falcoc run did not attach the probe:\n{}", seen.join("\n"));
    }

    /// The first alert of `rule` whose container is `container_id`.
    fn expect_alert(&self, rule: &str, container_id: &str) -> Value {
        let deadline = Instant::now() + ALERT_BUDGET;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(l) = self.lines.recv_timeout(left) else {
                break;
            };
            let v: Value = serde_json::from_str(&l).expect("a JSON alert per line");
            if v["rule"] == rule && v["output_fields"]["container.id"] == container_id {
                return v;
            }
            seen.push(if v["rule"] == rule {
                v["output_fields"].clone()
            } else {
                v["rule"].clone()
            });
        }
        let stderr: Vec<String> = self.stderr.try_iter().collect();
        panic!(
            "no alert of rule {rule:?} in container {container_id} within {ALERT_BUDGET:?}; other alerts: {seen:?}; stderr: {}",
            stderr.join("\n")
        );
    }

    /// Stops it with SIGTERM: its exit status and the rest of its stderr.
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

impl Drop for Sensor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn field<'a>(alert: &'a Value, name: &str) -> &'a Value {
    &alert["output_fields"][name]
}

/// Runs pod `name` with an interactive shell (`kubectl run -it … -- sh`), then reads
/// `/etc/shadow` in it (`kubectl exec … -- cat /etc/shadow`); returns the pod and both
/// alerts.
fn shell_and_shadow(
    sensor: &Sensor,
    socket: &Path,
    name: &str,
    ns: &str,
) -> (pod::Pod, Value, Value) {
    let p = pod::Pod::run(socket, name, ns, "shell", &["/bin/sh"], true).expect("pod runs");
    let id = &p.container_id[..12];
    let shell = sensor.expect_alert("Terminal shell in container", id);
    // `cat` holds on (it reads a FIFO after the file) so that it is still there when the
    // sensor converts its exec: the probe takes an exec's cgroups from /proc (see
    // docs/compat.md), and a process gone by then is not known to be in the container.
    let (code, out) = p
        .exec(&[
            "sh",
            "-c",
            "mkfifo /tmp/hold; { sleep 1; echo > /tmp/hold; } & cat /etc/shadow /tmp/hold",
        ])
        .expect("exec");
    assert_eq!(code, 0);
    assert!(out.starts_with("root:"), "{out}");
    let shadow = sensor.expect_alert("Read sensitive file untrusted", id);
    (p, shell, shadow)
}

#[test]
fn pod_alerts_carry_the_container_and_pod_fields() {
    if !ebpf_available() {
        return;
    }
    let Some(socket) = pod::socket_or_skip("pod_alerts_carry_the_container_and_pod_fields") else {
        return;
    };
    let _serial = live::exclusive();
    let dir = live::temp_dir("pod");
    let config = write_config(&dir, &socket, 2000, 10);
    let sensor = Sensor::start(&config, &default_rules());
    let name = pod::pod_name("frontend");
    let (p, shell, shadow) = shell_and_shadow(&sensor, &socket, &name, "payments");
    for alert in [&shell, &shadow] {
        assert_eq!(
            field(alert, "container.id"),
            &p.container_id[..12],
            "{alert}"
        );
        assert_eq!(field(alert, "container.name"), "shell", "{alert}");
        assert_eq!(
            field(alert, "container.image.repository"),
            pod::IMAGE_REPOSITORY,
            "{alert}"
        );
        assert_eq!(field(alert, "container.type"), "containerd", "{alert}");
        assert_eq!(field(alert, "k8s.pod.name"), name.as_str(), "{alert}");
        assert_eq!(field(alert, "k8s.ns.name"), "payments", "{alert}");
        assert_eq!(field(alert, "k8s.pod.label[app]"), "falcoc-test", "{alert}");
        assert_eq!(
            field(alert, "k8s.pod.sandbox_id"),
            &p.sandbox_id[..12],
            "{alert}"
        );
        assert_eq!(field(alert, "container.host_network"), true, "{alert}");
    }
    assert_eq!(field(&shell, "proc.name"), "sh");
    assert_eq!(field(&shadow, "fd.name"), "/etc/shadow");
    drop(p);
    let (code, stderr) = sensor.stop();
    assert_eq!(code, Some(0), "{stderr}");
    // The sandbox's pause process and the shell's container: both described.
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Containers:"))
        .unwrap_or_else(|| panic!("no containers summary: {stderr}"));
    assert!(line.contains("2 lookups, 2 found, 0 failed"), "{line}");
}

#[test]
fn a_hanging_or_absent_runtime_socket_leaves_the_fields_missing() {
    if !ebpf_available() {
        return;
    }
    let Some(socket) =
        pod::socket_or_skip("a_hanging_or_absent_runtime_socket_leaves_the_fields_missing")
    else {
        return;
    };
    let _serial = live::exclusive();
    let dir = live::temp_dir("hang");
    // A socket that accepts and never answers.
    let hanging = dir.join("hanging.sock");
    let _ = std::fs::remove_file(&hanging);
    let listener = std::os::unix::net::UnixListener::bind(&hanging).expect("bind");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });
    for (tag, sock) in [
        ("hanging", hanging.clone()),
        ("absent", dir.join("absent.sock")),
    ] {
        let config = write_config(&dir, &sock, 100, 1);
        let sensor = Sensor::start(&config, &default_rules());
        let name = pod::pod_name(tag);
        let (p, shell, shadow) = shell_and_shadow(&sensor, &socket, &name, "default");
        for alert in [&shell, &shadow] {
            assert_eq!(
                field(alert, "container.id"),
                &p.container_id[..12],
                "{alert}"
            );
            assert_eq!(
                field(alert, "container.name"),
                &Value::Null,
                "{tag}: {alert}"
            );
            assert_eq!(field(alert, "k8s.pod.name"), &Value::Null, "{tag}: {alert}");
            assert_eq!(field(alert, "k8s.ns.name"), &Value::Null, "{tag}: {alert}");
        }
        drop(p);
        let (code, stderr) = sensor.stop();
        assert_eq!(code, Some(0), "{stderr}");
        let line = stderr
            .lines()
            .find(|l| l.starts_with("Containers:"))
            .unwrap_or_else(|| panic!("no containers summary: {stderr}"));
        assert!(
            line.contains("2 lookups, 0 found, 2 failed"),
            "{tag}: {line}\n{stderr}"
        );
        if tag == "hanging" {
            assert!(line.contains("2 timed out"), "{line}");
            assert!(stderr.contains("no answer within 1000 ms"), "{stderr}");
        } else {
            assert!(line.contains("0 timed out"), "{line}");
        }
    }
}

#[test]
fn a_capture_of_a_pod_replays_with_the_same_container_fields() {
    if !ebpf_available() {
        return;
    }
    let Some(socket) =
        pod::socket_or_skip("a_capture_of_a_pod_replays_with_the_same_container_fields")
    else {
        return;
    };
    let _serial = live::exclusive();
    let dir = live::temp_dir("podcap");
    let config = write_config(&dir, &socket, 2000, 10);
    let file = dir.join("pod.scap");
    let rules = default_rules();
    let mut capture = Command::new(falcoc())
        .arg("capture")
        .arg("-w")
        .arg(&file)
        .arg("-c")
        .arg(&config)
        .arg("-r")
        .arg(&rules)
        .stderr(Stdio::piped())
        .spawn()
        .expect("falcoc capture starts");
    let stderr = live::lines(capture.stderr.take().expect("stderr"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match stderr.recv_timeout(Duration::from_millis(100)) {
            Ok(l) if l.contains("probe attached") => break,
            _ => {}
        }
    }
    let name = pod::pod_name("billing");
    let p = pod::Pod::run(&socket, &name, "finance", "shell", &["/bin/sh"], true).expect("pod");
    // Let the shell start; then read the file (the FIFO keeps `cat` there, see above).
    std::thread::sleep(Duration::from_millis(500));
    let (code, _) = p
        .exec(&[
            "sh",
            "-c",
            "mkfifo /tmp/hold; { sleep 1; echo > /tmp/hold; } & cat /etc/shadow /tmp/hold",
        ])
        .expect("exec");
    assert_eq!(code, 0);
    let id = p.container_id[..12].to_string();
    drop(p);
    let _ = Command::new("kill")
        .args(["-TERM", &capture.id().to_string()])
        .status();
    let status = capture.wait().expect("capture exits");
    assert!(status.success(), "capture failed");

    let out = Command::new(falcoc())
        .arg("replay")
        .arg("-c")
        .arg(&config)
        .arg("-r")
        .arg(&rules)
        .arg(&file)
        .output()
        .expect("replay runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &Value| v["output_fields"]["container.id"] == id.as_str())
        .collect();
    for rule in [
        "Terminal shell in container",
        "Read sensitive file untrusted",
    ] {
        let a = alerts
            .iter()
            .find(|a| a["rule"] == rule)
            .unwrap_or_else(|| panic!("replay: no {rule:?} in container {id}: {alerts:?}"));
        assert_eq!(field(a, "container.name"), "shell", "{a}");
        assert_eq!(
            field(a, "container.image.repository"),
            pod::IMAGE_REPOSITORY,
            "{a}"
        );
        assert_eq!(field(a, "k8s.pod.name"), name.as_str(), "{a}");
        assert_eq!(field(a, "k8s.ns.name"), "finance", "{a}");
    }
}
