//! The alert channels and the servers: `outputs`/`outputs_queue`, `stdout_output`,
//! `syslog_output`, `file_output`, `program_output`, `http_output`, `grpc`, `webserver`.

use super::*;

/// `outputs_queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct OutputsQueue {
    /// `capacity` (0 = unbounded in Falco; falcoc bounds each channel's queue, see
    /// `outputs`).
    pub capacity: u64,
}

/// `outputs.rate` / `outputs.max_burst`: the alert token bucket of Falco 0.26–0.36
/// (outputs.md §7), removed in 0.37. Falco 0.33–0.36 defaults, `rate: 0` = disabled;
/// falcoc applies the bucket when `rate > 0` (and warns that Falco ≥ 0.37 ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OutputsRate {
    /// Tokens per second (0: no rate limiting).
    pub rate: u32,
    /// Bucket size (1000).
    pub max_burst: u32,
}

impl Default for OutputsRate {
    fn default() -> OutputsRate {
        OutputsRate {
            rate: 0,
            max_burst: 1000,
        }
    }
}

/// A section with only `enabled` (`stdout_output`, `syslog_output`, `grpc_output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct Enabled {
    /// `enabled`.
    pub enabled: bool,
}

/// `file_output`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct FileOutput {
    /// `enabled` (false).
    pub enabled: bool,
    /// `keep_alive` (false: the file is opened and closed for every alert).
    pub keep_alive: bool,
    /// `filename` (required when enabled).
    pub filename: String,
}

/// `program_output`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ProgramOutput {
    /// `enabled` (false).
    pub enabled: bool,
    /// `keep_alive` (false: one process per alert).
    pub keep_alive: bool,
    /// `program` (required when enabled), run with `sh -c`.
    pub program: String,
}

/// `http_output`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HttpOutput {
    /// `enabled` (false).
    pub enabled: bool,
    /// `url` (required when enabled).
    pub url: String,
    /// `user_agent` (`falcosecurity/falco`).
    pub user_agent: String,
    /// `insecure` (false).
    pub insecure: bool,
    /// `ca_cert` ("").
    pub ca_cert: String,
    /// `ca_bundle` ("").
    pub ca_bundle: String,
    /// `ca_path` (`/etc/ssl/certs`).
    pub ca_path: String,
    /// `mtls` (false).
    pub mtls: bool,
    /// `client_cert` (`/etc/ssl/certs/client.crt`).
    pub client_cert: String,
    /// `client_key` (`/etc/ssl/certs/client.key`).
    pub client_key: String,
    /// `echo` (false): print response bodies to stdout.
    pub echo: bool,
    /// `compress_uploads` (false).
    pub compress_uploads: bool,
    /// `keep_alive` (false): TCP keep-alive.
    pub keep_alive: bool,
    /// `max_consecutive_timeouts` (5): retries after a timeout.
    pub max_consecutive_timeouts: u8,
}

impl Default for HttpOutput {
    fn default() -> HttpOutput {
        HttpOutput {
            enabled: false,
            url: String::new(),
            user_agent: "falcosecurity/falco".into(),
            insecure: false,
            ca_cert: String::new(),
            ca_bundle: String::new(),
            ca_path: "/etc/ssl/certs".into(),
            mtls: false,
            client_cert: "/etc/ssl/certs/client.crt".into(),
            client_key: "/etc/ssl/certs/client.key".into(),
            echo: false,
            compress_uploads: false,
            keep_alive: false,
            max_consecutive_timeouts: 5,
        }
    }
}

/// `grpc` (Falco ≤ 0.43).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Grpc {
    /// `enabled` (false).
    pub enabled: bool,
    /// `bind_address` (`0.0.0.0:5060` in code, `unix:///run/falco/falco.sock` shipped).
    pub bind_address: String,
    /// `threadiness` (0 = number of CPUs).
    pub threadiness: u32,
    /// `private_key`.
    pub private_key: String,
    /// `cert_chain`.
    pub cert_chain: String,
    /// `root_certs`.
    pub root_certs: String,
}

impl Default for Grpc {
    fn default() -> Grpc {
        Grpc {
            enabled: false,
            bind_address: "0.0.0.0:5060".into(),
            threadiness: 0,
            private_key: "/etc/falco/certs/server.key".into(),
            cert_chain: "/etc/falco/certs/server.crt".into(),
            root_certs: "/etc/falco/certs/ca.crt".into(),
        }
    }
}

/// `webserver` (parsed only).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Webserver {
    /// `enabled` (false).
    pub enabled: bool,
    /// `threadiness` (0 = number of CPUs).
    pub threadiness: u32,
    /// `listen_port` (8765).
    pub listen_port: u32,
    /// `listen_address` (`0.0.0.0`; must be an IP address).
    pub listen_address: String,
    /// `k8s_healthz_endpoint` (`/healthz`).
    pub k8s_healthz_endpoint: String,
    /// `k8s_audit_endpoint` (`/k8s-audit`; Falco ≤ 0.31 only).
    pub k8s_audit_endpoint: String,
    /// `ssl_enabled` (false).
    pub ssl_enabled: bool,
    /// `ssl_certificate` (`/etc/falco/falco.pem`).
    pub ssl_certificate: String,
    /// `prometheus_metrics_enabled` (false).
    pub prometheus_metrics_enabled: bool,
}

impl Default for Webserver {
    fn default() -> Webserver {
        Webserver {
            enabled: false,
            threadiness: 0,
            listen_port: 8765,
            listen_address: "0.0.0.0".into(),
            k8s_healthz_endpoint: "/healthz".into(),
            k8s_audit_endpoint: "/k8s-audit".into(),
            ssl_enabled: false,
            ssl_certificate: "/etc/falco/falco.pem".into(),
            prometheus_metrics_enabled: false,
        }
    }
}
