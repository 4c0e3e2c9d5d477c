//! falcoc's embedded webserver: the Kubernetes API server's audit webhook posts audit
//! events to it; they go through the rule engine (the `k8s_audit` rules) and the alerts
//! through the same outputs as syscall alerts. As Falco's, it also answers the health
//! check endpoint.
//!
//! Configured from `falco.yaml`'s `webserver` block ([`WebserverConfig::from_config`]):
//! `enabled`, `listen_address`, `listen_port`, `k8s_audit_endpoint`,
//! `k8s_healthz_endpoint`, `ssl_enabled`, `ssl_certificate` (one PEM file with the
//! private key and the certificate chain, as Falco's).
//!
//! # Requests
//!
//! | request | answer |
//! |---|---|
//! | `GET` (any method) on the health endpoint | `200 {"status": "ok"}` |
//! | `POST` on the audit endpoint, `Content-Type: application/json`, an `Event`, an `EventList` or an array of them | `200 {"accepted": N, "rejected": M, "errors": […]}` once the events are queued for the engine |
//! | another method on the audit endpoint | `405` |
//! | another content type | `415` |
//! | a body larger than [`WebserverConfig::max_body_bytes`] (by `Content-Length` or while reading) | `413` |
//! | a body not complete within [`WebserverConfig::body_timeout`] | `408` |
//! | headers not complete within [`WebserverConfig::header_timeout`] (also an idle connection) | connection closed |
//! | invalid JSON, not audit events, or no event with a readable `stageTimestamp` | `400` with the located reason |
//! | the engine queue still full after [`WebserverConfig::body_timeout`] | `503` |
//! | any other path | `404` |
//!
//! # Threads
//!
//! One thread runs the HTTP side (a single-threaded tokio runtime: every connection is
//! a task, so a slow client never holds up another; at most
//! [`WebserverConfig::max_connections`] at once). Decoding (JSON parsing) happens in the
//! request task (on tokio's blocking pool for bodies over 256 KiB); the decoded events go through a bounded queue to one engine thread,
//! which owns the [`Engine`] and calls the alert callback. [`WebserverHandle`] stops
//! both (on [`WebserverHandle::shutdown`] or drop).

#![warn(missing_docs)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use falcoc_config::Webserver;
use falcoc_engine::Alert;
use falcoc_engine::Engine;
use falcoc_k8saudit::{self as k8saudit, AuditEvent, FieldOptions, PayloadError};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_rustls::TlsAcceptor;

/// The k8saudit plugin's default `webhookMaxBatchSize`: the largest body accepted.
pub const DEFAULT_MAX_BODY_BYTES: usize = 12 * 1024 * 1024;

/// Bodies larger than this are decoded on tokio's blocking pool instead of the HTTP
/// thread.
const BLOCKING_DECODE_BYTES: usize = 256 * 1024;

/// Settings of the webserver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebserverConfig {
    /// Address and port to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Path of the audit webhook (`k8s_audit_endpoint`, default `/k8s-audit`).
    pub audit_endpoint: String,
    /// Path of the health check (`k8s_healthz_endpoint`, default `/healthz`).
    pub healthz_endpoint: String,
    /// Serve TLS with this PEM file (private key and certificate chain), when set.
    pub ssl_certificate: Option<PathBuf>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Time a client has to send the request headers (also the idle time allowed
    /// between requests on a kept-alive connection, and for the TLS handshake).
    pub header_timeout: Duration,
    /// Time a client has to send the whole body once the headers are in.
    pub body_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Batches of events queued for the engine.
    pub queue_batches: usize,
}

impl Default for WebserverConfig {
    fn default() -> WebserverConfig {
        WebserverConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 8765)),
            audit_endpoint: "/k8s-audit".into(),
            healthz_endpoint: "/healthz".into(),
            ssl_certificate: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 256,
            queue_batches: 1024,
        }
    }
}

impl WebserverConfig {
    /// The settings of `falco.yaml`'s `webserver` block (timeouts and limits keep their
    /// defaults). Fails on a port above 65535, an address that is not an IP address, or
    /// an endpoint that does not start with `/`.
    pub fn from_config(ws: &Webserver) -> Result<WebserverConfig, String> {
        let port = u16::try_from(ws.listen_port)
            .map_err(|_| format!("webserver.listen_port {} is not a port", ws.listen_port))?;
        let ip: std::net::IpAddr = ws.listen_address.parse().map_err(|_| {
            format!(
                "webserver.listen_address \"{}\" is not a valid IP address",
                ws.listen_address
            )
        })?;
        for (key, path) in [
            ("k8s_audit_endpoint", &ws.k8s_audit_endpoint),
            ("k8s_healthz_endpoint", &ws.k8s_healthz_endpoint),
        ] {
            if !path.starts_with('/') {
                return Err(format!(
                    "webserver.{key} \"{path}\" must be a path starting with '/'"
                ));
            }
        }
        Ok(WebserverConfig {
            listen: SocketAddr::new(ip, port),
            audit_endpoint: ws.k8s_audit_endpoint.clone(),
            healthz_endpoint: ws.k8s_healthz_endpoint.clone(),
            ssl_certificate: ws.ssl_enabled.then(|| PathBuf::from(&ws.ssl_certificate)),
            ..WebserverConfig::default()
        })
    }
}

/// What runs the events: the engine (built for the `k8s_audit` source), its field
/// settings, and where alerts go.
pub struct Pipeline {
    /// The rule engine (`EngineOptions::source` = `k8s_audit`).
    pub engine: Engine,
    /// Time zone and host name of the fields.
    pub fields: FieldOptions,
    /// Called with each alert, on the engine thread.
    pub emit: Arc<dyn Fn(Alert) + Send + Sync>,
}

/// Counters of a running webserver.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests answered.
    pub requests: AtomicU64,
    /// Requests answered with a 4xx or 5xx status.
    pub rejected_requests: AtomicU64,
    /// Events queued for the engine.
    pub events_accepted: AtomicU64,
    /// Events of accepted payloads that were rejected (no `stageTimestamp`, …).
    pub events_rejected: AtomicU64,
    /// Events the engine has run.
    pub events_processed: AtomicU64,
    /// Alerts emitted.
    pub alerts: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests answered.
    pub requests: u64,
    /// Requests answered with a 4xx or 5xx status.
    pub rejected_requests: u64,
    /// Events queued for the engine.
    pub events_accepted: u64,
    /// Events of accepted payloads that were rejected.
    pub events_rejected: u64,
    /// Events the engine has run.
    pub events_processed: u64,
    /// Alerts emitted.
    pub alerts: u64,
}

impl Stats {
    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: g(&self.requests),
            rejected_requests: g(&self.rejected_requests),
            events_accepted: g(&self.events_accepted),
            events_rejected: g(&self.events_rejected),
            events_processed: g(&self.events_processed),
            alerts: g(&self.alerts),
        }
    }
}

/// A running webserver; stops it on [`shutdown`](Self::shutdown) or drop (queued events
/// are still run through the engine first).
pub struct WebserverHandle {
    addr: SocketAddr,
    tls: bool,
    stats: Arc<Stats>,
    stop: Option<oneshot::Sender<()>>,
    http: Option<JoinHandle<()>>,
    engine: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WebserverHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebserverHandle")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .finish()
    }
}

impl WebserverHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it serves TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Stops accepting, closes the connections, runs the queued events and waits for
    /// both threads.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.http.take() {
            let _ = t.join();
        }
        if let Some(t) = self.engine.take() {
            let _ = t.join();
        }
    }
}

impl Drop for WebserverHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Reads the TLS settings from a PEM file holding the private key and the certificate
/// chain.
pub fn tls_config(pem: &std::path::Path) -> Result<rustls::ServerConfig, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let where_ = pem.display();
    let bytes = std::fs::read(pem).map_err(|e| format!("ssl_certificate {where_}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("ssl_certificate {where_}: bad certificate PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "ssl_certificate {where_}: no certificate in the file"
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| format!("ssl_certificate {where_}: no usable private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("ssl_certificate {where_}: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Binds the listening socket and starts the HTTP and engine threads.
pub fn start(config: WebserverConfig, pipeline: Pipeline) -> Result<WebserverHandle, String> {
    let tls = match &config.ssl_certificate {
        Some(p) => Some(TlsAcceptor::from(Arc::new(tls_config(p)?))),
        None => None,
    };
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| format!("webserver: cannot listen on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("webserver: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("webserver: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("webserver: cannot start the runtime: {e}"))?;
    let stats = Arc::new(Stats::default());
    let (tx, rx) = mpsc::channel::<Vec<AuditEvent>>(config.queue_batches.max(1));
    let engine = spawn_engine(pipeline, rx, Arc::clone(&stats))?;
    let (stop_tx, stop_rx) = oneshot::channel();
    let shared = Arc::new(Shared {
        config,
        queue: tx,
        stats: Arc::clone(&stats),
    });
    let is_tls = tls.is_some();
    let http = std::thread::Builder::new()
        .name("falcoc-webserver".into())
        .spawn(move || runtime.block_on(serve(listener, tls, shared, stop_rx)))
        .map_err(|e| format!("webserver: cannot start a thread: {e}"))?;
    Ok(WebserverHandle {
        addr,
        tls: is_tls,
        stats,
        stop: Some(stop_tx),
        http: Some(http),
        engine: Some(engine),
    })
}

fn spawn_engine(
    pipeline: Pipeline,
    mut rx: mpsc::Receiver<Vec<AuditEvent>>,
    stats: Arc<Stats>,
) -> Result<JoinHandle<()>, String> {
    let Pipeline {
        mut engine,
        fields,
        emit,
    } = pipeline;
    std::thread::Builder::new()
        .name("falcoc-k8s-engine".into())
        .spawn(move || {
            let mut num = 0u64;
            while let Some(batch) = rx.blocking_recv() {
                for ev in &batch {
                    num += 1;
                    for alert in k8saudit::evaluate(&mut engine, ev, num, &fields) {
                        stats.alerts.fetch_add(1, Ordering::Relaxed);
                        emit(alert);
                    }
                }
                stats
                    .events_processed
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
        })
        .map_err(|e| format!("webserver: cannot start a thread: {e}"))
}

struct Shared {
    config: WebserverConfig,
    queue: mpsc::Sender<Vec<AuditEvent>>,
    stats: Arc<Stats>,
}

async fn serve(
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("webserver: {e}");
            return;
        }
    };
    let permits = Arc::new(Semaphore::new(shared.config.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            _ = &mut stop => return,
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            _ = &mut stop => return,
            a = listener.accept() => match a {
                Ok((s, _)) => s,
                // Out of descriptors and the like: try again shortly.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        tokio::spawn(async move {
            let header_timeout = shared.config.header_timeout;
            match tls {
                Some(acceptor) => {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(header_timeout, acceptor.accept(stream)).await
                    {
                        serve_connection(s, shared).await;
                    }
                }
                None => serve_connection(stream, shared).await,
            }
            drop(permit);
        });
    }
}

async fn serve_connection<S>(io: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service_shared = Arc::clone(&shared);
    let service = service_fn(move |req| {
        let shared = Arc::clone(&service_shared);
        async move { Ok::<_, Infallible>(handle(req, &shared).await) }
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// A JSON answer.
fn answer(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut text = body.to_string();
    text.push('\n');
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error(status: StatusCode, message: impl Into<String>) -> Response<Full<Bytes>> {
    answer(status, serde_json::json!({ "error": message.into() }))
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let r = route(req, shared).await;
    shared.stats.requests.fetch_add(1, Ordering::Relaxed);
    if r.status().is_client_error() || r.status().is_server_error() {
        shared
            .stats
            .rejected_requests
            .fetch_add(1, Ordering::Relaxed);
    }
    r
}

async fn route(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let config = &shared.config;
    let path = req.uri().path();
    if path == config.healthz_endpoint {
        return answer(StatusCode::OK, serde_json::json!({ "status": "ok" }));
    }
    if path != config.audit_endpoint {
        return error(StatusCode::NOT_FOUND, format!("no such endpoint: {path}"));
    }
    if req.method() != Method::POST {
        let mut r = error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} method not allowed; POST audit events", req.method()),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"));
    if !json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "wrong content type: audit events must be sent as application/json",
        );
    }
    let max = config.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max);
    }
    let body = Limited::new(req.into_body(), max);
    let bytes = match tokio::time::timeout(config.body_timeout, body.collect()).await {
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body was not received within {} s",
                    config.body_timeout.as_secs()
                ),
            )
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return too_large(max),
        Ok(Err(e)) => return error(StatusCode::BAD_REQUEST, format!("bad request body: {e}")),
        Ok(Ok(c)) => c.to_bytes(),
    };
    let text = match String::from_utf8(bytes.to_vec()) {
        Ok(t) => t,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body is not UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        }
    };
    // Large bodies are parsed off the HTTP thread, so other connections go on.
    let decoded = if text.len() > BLOCKING_DECODE_BYTES {
        match tokio::task::spawn_blocking(move || k8saudit::decode_payload(text)).await {
            Ok(d) => d,
            Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "decoding failed"),
        }
    } else {
        k8saudit::decode_payload(text)
    };
    let decoded = match decoded {
        Ok(d) => d,
        Err(PayloadError::Json(e)) => return error(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e @ PayloadError::NotAudit(_)) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let mut events = Vec::with_capacity(decoded.len());
    let mut errors = Vec::new();
    for d in decoded {
        match d {
            Ok(ev) => events.push(ev),
            Err(e) => errors.push(e),
        }
    }
    let (accepted, rejected) = (events.len(), errors.len());
    if events.is_empty() {
        let reason = if errors.is_empty() {
            "no audit event in the payload".to_string()
        } else {
            errors
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        };
        return error(StatusCode::BAD_REQUEST, reason);
    }
    match tokio::time::timeout(config.body_timeout, shared.queue.send(events)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => return error(StatusCode::SERVICE_UNAVAILABLE, "the engine has stopped"),
        Err(_) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the engine is busy; retry later",
            )
        }
    }
    let stats = &shared.stats;
    stats
        .events_accepted
        .fetch_add(accepted as u64, Ordering::Relaxed);
    stats
        .events_rejected
        .fetch_add(rejected as u64, Ordering::Relaxed);
    errors.truncate(10);
    answer(
        StatusCode::OK,
        serde_json::json!({ "accepted": accepted, "rejected": rejected, "errors": errors }),
    )
}

fn too_large(max: usize) -> Response<Full<Bytes>> {
    let mut r = error(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {max} bytes"),
    );
    // Do not read the rest of a body we refused.
    r.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    r
}
