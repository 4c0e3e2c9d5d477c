//! `falcoc run --disable-source syscall` with the `webserver` of `falco.yaml` enabled: the
//! `falco-testing-k8saudit` loader cases, their audit events posted to the running
//! process on 127.0.0.1, give exactly their expected detections (by rule and priority)
//! on its JSON stdout.

#[path = "../../k8saudit/tests/support/k8saudit_cases.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use falcoc_compiler::priority::Priority;
use serde_json::Value;
use support::{cases, check, shared, Case};

/// A safety net against a hung process, not a speed assertion.
const LIMIT: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn http(addr: SocketAddr, raw: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(LIMIT)).ok()?;
    s.write_all(raw.as_bytes()).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text))
}

fn post(addr: SocketAddr, body: &str) -> Option<(u16, String)> {
    http(
        addr,
        &format!(
            "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Starts `falcoc run` for the case and waits until its webserver answers.
fn start(case: &Case, config: &Path, addr: SocketAddr) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_falcoc"));
    cmd.args(["run", "-c"])
        .arg(config)
        .args([
            "--disable-source",
            "syscall",
            "--plugins",
            "container,k8saudit,json",
        ])
        .args(["--stats-interval", "0", "--json"]);
    for r in &case.inputs {
        cmd.arg("-r").arg(r);
    }
    let mut child = cmd
        .env("FALCO_HOSTNAME", "test")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("falcoc run starts");
    let deadline = Instant::now() + LIMIT;
    loop {
        let health = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if http(addr, health).is_some_and(|(s, _)| s == 200) {
            return child;
        }
        if let Ok(Some(st)) = child.try_wait() {
            let mut err = String::new();
            if let Some(e) = child.stderr.as_mut() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("{}: falcoc run exited ({st}): {err}", case.id);
        }
        assert!(
            Instant::now() < deadline,
            "{}: the webserver never answered",
            case.id
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops it with SIGINT; its stdout and stderr.
fn stop(child: Child) -> (Option<i32>, String, String) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("falcoc run exits");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn alerts(stdout: &str) -> Vec<(String, Priority)> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let p = Priority::parse(&v["priority"].as_str()?.to_lowercase())?;
            Some((v["rule"].as_str()?.to_string(), p))
        })
        .collect()
}

#[test]
fn loader_cases_posted_to_falcoc_run() {
    let Some(shared) = shared() else {
        eprintln!("note: ../shared not found; skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("falcoc-run-k8s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cases = cases(&shared);
    assert_eq!(cases.len(), 46);
    let mut failures = Vec::new();
    for case in &cases {
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let config = dir.join("falco.yaml");
        let yaml = format!(
            "json_output: true\nstdout_output:\n  enabled: true\nwebserver:\n  enabled: true\n  listen_address: 127.0.0.1\n  listen_port: {port}\n"
        );
        std::fs::write(&config, yaml).expect("config");
        let child = start(case, &config, addr);
        let text = std::fs::read_to_string(&case.capture).expect("capture");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let answer = post(addr, line);
            assert_eq!(
                answer.as_ref().map(|a| a.0),
                Some(200),
                "{}: {answer:?}",
                case.id
            );
        }
        let (code, stdout, stderr) = stop(child);
        assert_eq!(code, Some(0), "{}: {stderr}", case.id);
        let problems = check(case, &alerts(&stdout));
        if !problems.is_empty() {
            failures.push(format!("{}: {}", case.id, problems.join("; ")));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
