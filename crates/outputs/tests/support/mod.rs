//! Helpers of the output tests: time limits, temporary directories, configurations and
//! alerts, the golden alert lines of `shared`, and HTTP(S) receivers on 127.0.0.1.

#![allow(dead_code)]

use falcoc_compiler::priority::Priority;
use falcoc_config::Config;
use falcoc_engine::time::parse_json_time;
use falcoc_engine::Alert;
use falcoc_outputs::{FormatOptions, Outputs, OutputsOptions};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Runs `f` on its own thread and fails if it takes longer than `limit`.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
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
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
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

    pub fn path(&self, name: &str) -> PathBuf {
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
pub struct SharedBuf(pub Arc<Mutex<Vec<u8>>>);

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
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

pub fn config(yaml: &str) -> Config {
    match Config::from_yaml("test.yaml", yaml) {
        Ok((c, _)) => c,
        Err(e) => panic!("{e:#?}"),
    }
}

pub fn options(stdout: Option<SharedBuf>) -> OutputsOptions {
    OutputsOptions {
        stdout: stdout.map(|b| Box::new(b) as Box<dyn Write + Send>),
        ..OutputsOptions::default()
    }
}

/// Some alerts of every priority, from the spec's example.
pub fn alerts(n: usize) -> Vec<Alert> {
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
pub fn compact(line: &str) -> String {
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

pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/golden")
}

pub fn golden_alert_lines() -> Vec<(PathBuf, String)> {
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

pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn read_request(stream: impl Read) -> Option<Request> {
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
pub fn http_server(status: u16) -> (u16, mpsc::Receiver<Request>) {
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

/// What a [`keep_alive_server`] connection does after its first answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AfterFirst {
    /// Answers every further request on the connection.
    KeepAnswering,
    /// Reads the next request and closes the connection without answering (a server
    /// whose idle timeout closed a kept-alive connection as the client reused it).
    CloseOnNext,
}

/// A server answering `200` without `Connection: close` (HTTP/1.1 keeps the connection
/// open), one thread per connection; the requests are sent to the returned receiver and
/// the connections accepted are counted.
pub fn keep_alive_server(after: AfterFirst) -> (u16, mpsc::Receiver<Request>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&connections);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
                let mut answered = 0;
                while let Some(req) = read_request(&s) {
                    if answered > 0 && after == AfterFirst::CloseOnNext {
                        return;
                    }
                    if s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .is_err()
                        || tx.send(req).is_err()
                    {
                        return;
                    }
                    answered += 1;
                }
            });
        }
    });
    (port, rx, connections)
}

/// What falcosidekick needs of a request (its `mainHandler`): a POST whose body decodes
/// as a Falco payload with a non-empty output, a known priority, a rule, an RFC 3339
/// time and an output_fields object.
pub fn assert_falcosidekick_payload(req: &Request) -> Value {
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

/// Emits `n` alerts from another thread and fails if that does not finish quickly: the
/// caller must never wait for a channel.
pub fn emit_all(o: Outputs, n: usize) -> Outputs {
    let list = alerts(8);
    within(Duration::from_secs(20), move || {
        for i in 0..n {
            o.emit(&list[i % 8]);
        }
        o
    })
}

/// A server that answers the first request `500` and holds every later connection
/// without answering; it reports each connection (after answering the first).
pub fn fail_then_hang_server() -> (u16, mpsc::Receiver<usize>) {
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
pub fn wait_for(o: &Outputs, cond: impl Fn(&falcoc_outputs::OutputsStats) -> bool) {
    while !cond(&o.stats()) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A CA, a server certificate it signed for `localhost` and 127.0.0.1 and a client
/// certificate it signed (PEM files in a temporary directory), an unrelated CA, and the
/// server's TLS configurations.
pub struct Pki {
    pub dir: TempDir,
    pub server_config: Arc<rustls::ServerConfig>,
    /// The same, requiring a client certificate signed by the CA.
    pub mtls_server_config: Arc<rustls::ServerConfig>,
}

pub fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub fn test_ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
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
    pub fn new(tag: &str) -> Pki {
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

    pub fn path(&self, name: &str) -> String {
        self.dir.path(name).display().to_string()
    }
}

/// An HTTPS server on 127.0.0.1 answering 200 to every request; the requests are sent to
/// the returned receiver, and the TLS errors (handshakes that failed) are counted.
pub fn https_server(
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
pub fn https_alerts(
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

pub fn file_program_stdout(keep_alive: bool, json: bool) {
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
