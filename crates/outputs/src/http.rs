//! The `http_output` channel: one HTTP/1.1 POST per alert, written over a plain
//! `TcpStream`, or over TLS (`rustls` with the `ring` provider) for `https://` URLs. No
//! client crate: a request with `Content-Length` and `Connection: close` and a status
//! line to read are all falcosidekick needs, and this keeps the build small.
//!
//! As in Falco: `Content-Type: application/json` with `json_output`, else `text/plain`;
//! `User-Agent` from `user_agent`; a URL written in quotes is unquoted; a request that
//! times out is retried up to `max_consecutive_timeouts` more times; `echo` prints the
//! response body to stdout. Unlike libcurl (no timeout by default) every connect, write
//! and read is bounded by `output_timeout`, and an answer other than 2xx counts as a
//! failure in the channel's counters (Falco only logs transport errors).
//!
//! TLS follows Falco's libcurl options ([`tls_config`]): `insecure` skips the server's
//! certificate and host name checks; otherwise the server is verified against the
//! certificates of `ca_cert`, else of `ca_bundle` (PEM files), else of every file in the
//! `ca_path` directory (default `/etc/ssl/certs`, the system's trust store); `mtls`
//! presents `client_cert` and `client_key` (PEM).

use super::Sink;
use falcoc_compiler::priority::Priority;
use falcoc_config::HttpOutput;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Responses are read up to this many bytes.
const MAX_RESPONSE: usize = 1 << 20;

/// Where to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpTarget {
    /// `https://`.
    pub tls: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
    /// The `Host:` header value.
    pub host_header: String,
}

/// Removes surrounding quotes from a URL and decodes backslash escapes inside them, as
/// Falco does before handing the URL to libcurl.
fn unquote(url: &str) -> String {
    let b = url.as_bytes();
    let quoted = b.len() >= 2
        && ((b[0] == b'"' && b[b.len() - 1] == b'"') || (b[0] == b'\'' && b[b.len() - 1] == b'\''));
    if !quoted {
        return url.to_string();
    }
    let inner = &url[1..url.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses `http[s]://host[:port][/path]`.
pub(crate) fn parse_url(raw: &str) -> Result<HttpTarget, String> {
    let url = unquote(raw.trim());
    let (tls, rest) = if let Some(r) = strip_prefix_ci(&url, "http://") {
        (false, r)
    } else if let Some(r) = strip_prefix_ci(&url, "https://") {
        (true, r)
    } else {
        return Err(format!(
            "http output: {url}: the URL must start with http:// or https://"
        ));
    };
    let default_port = if tls { 443 } else { 80 };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or("/");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    if authority.contains('@') {
        return Err(format!(
            "http output: {url}: user names in URLs are not supported"
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or_else(|| format!("http output: {url}: unterminated IPv6 address"))?;
        let port = match &v6[end + 1..] {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("http output: {url}: bad port"))?,
            ),
        };
        (v6[..end].to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(format!("http output: {url}: no host"));
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("http output: {url}: bad port `{p}`"))?,
    };
    let host_header = if port == default_port {
        authority
            .trim_end_matches(&format!(":{default_port}"))
            .trim_end_matches(':')
            .to_string()
    } else {
        authority.to_string()
    };
    Ok(HttpTarget {
        tls,
        host,
        port,
        path,
        host_header,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// Reads every PEM certificate of `path`.
fn pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{}: no PEM certificate in the file",
            path.display()
        ));
    }
    Ok(certs)
}

/// The trust store of `http_output`: `ca_cert`, else `ca_bundle`, else every
/// certificate in the files of the `ca_path` directory (unreadable or non-PEM files
/// there are skipped, as libcurl's hashed-directory lookup ignores them).
fn root_store(h: &HttpOutput) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let file = [&h.ca_cert, &h.ca_bundle]
        .into_iter()
        .find(|p| !p.is_empty());
    if let Some(file) = file {
        let (added, _) = roots.add_parsable_certificates(pem_certs(Path::new(file))?);
        if added == 0 {
            return Err(format!("{file}: no usable CA certificate"));
        }
        return Ok(roots);
    }
    let dir = Path::new(&h.ca_path);
    let entries = std::fs::read_dir(dir).map_err(|e| format!("ca_path {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        if let Ok(certs) = pem_certs(&path) {
            roots.add_parsable_certificates(certs);
        }
    }
    if roots.is_empty() {
        return Err(format!(
            "ca_path {}: no CA certificate found in the directory",
            dir.display()
        ));
    }
    Ok(roots)
}

/// Accepts any server certificate and host name (`insecure: true`, libcurl's
/// `CURLOPT_SSL_VERIFYPEER`/`VERIFYHOST` = 0); the handshake signatures are still
/// checked, so the session is encrypted with the key the server showed.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS client configuration of `http_output` (see the module docs). Errors name the
/// file or directory at fault.
pub(crate) fn tls_config(h: &HttpOutput) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = if h.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        builder.with_root_certificates(root_store(h)?)
    };
    let config = if h.mtls {
        let chain = pem_certs(Path::new(&h.client_cert)).map_err(|e| format!("client_cert {e}"))?;
        let key = PrivateKeyDer::from_pem_file(&h.client_key)
            .map_err(|e| format!("client_key {}: {e}", h.client_key))?;
        builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("client_cert/client_key: {e}"))?
    } else {
        builder.with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// The HTTP channel.
pub(crate) struct HttpSink {
    pub target: HttpTarget,
    /// The TLS configuration, for `https://` targets.
    pub tls: Option<Arc<ClientConfig>>,
    pub user_agent: String,
    pub content_type: &'static str,
    /// Connect, write and read timeout (`None`: wait forever).
    pub timeout: Option<Duration>,
    pub max_consecutive_timeouts: u8,
    pub echo: bool,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

impl HttpSink {
    fn connect(&self) -> io::Result<TcpStream> {
        let addrs = (self.target.host.as_str(), self.target.port).to_socket_addrs()?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "host name resolved to no address");
        for addr in addrs {
            let r = match self.timeout {
                Some(t) => TcpStream::connect_timeout(&addr, t),
                None => TcpStream::connect(addr),
            };
            match r {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// One POST; the status code and body.
    fn post_once(&self, body: &str) -> io::Result<(u16, Vec<u8>)> {
        let s = self.connect()?;
        s.set_read_timeout(self.timeout)?;
        s.set_write_timeout(self.timeout)?;
        let _ = s.set_nodelay(true);
        let req = self.request(body);
        match (&self.tls, self.target.tls) {
            (Some(config), true) => {
                let name = ServerName::try_from(self.target.host.clone())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let conn =
                    ClientConnection::new(Arc::clone(config), name).map_err(io::Error::other)?;
                exchange(rustls::StreamOwned::new(conn, s), &req)
            }
            (None, true) => Err(io::Error::other("no TLS configuration")),
            (_, false) => exchange(s, &req),
        }
    }

    /// The request bytes.
    fn request(&self, body: &str) -> Vec<u8> {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.target.path,
            self.target.host_header,
            self.user_agent,
            self.content_type,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body.as_bytes());
        req
    }
}

/// Writes `req` and reads the answer: the status code and body.
fn exchange(mut s: impl Read + Write, req: &[u8]) -> io::Result<(u16, Vec<u8>)> {
    s.write_all(req)?;
    s.flush()?;
    let mut resp = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = match s.read(&mut buf) {
            Ok(n) => n,
            // A TLS server that closes without `close_notify` after its answer.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !resp.is_empty() => 0,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        resp.extend_from_slice(&buf[..n]);
        if resp.len() >= MAX_RESPONSE || response_complete(&resp) {
            break;
        }
    }
    let status = parse_status(&resp).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "no HTTP status line in the response",
        )
    })?;
    let body = match find_header_end(&resp) {
        Some(i) => resp[i..].to_vec(),
        None => Vec::new(),
    };
    Ok((status, body))
}

fn find_header_end(resp: &[u8]) -> Option<usize> {
    resp.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// True once the headers and `Content-Length` bytes of body have arrived (without
/// `Content-Length` the server closes the connection).
fn response_complete(resp: &[u8]) -> bool {
    let Some(end) = find_header_end(resp) else {
        return false;
    };
    let head = String::from_utf8_lossy(&resp[..end]);
    for line in head.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                if let Ok(n) = v.trim().parse::<usize>() {
                    return resp.len() - end >= n;
                }
            }
        }
    }
    false
}

fn parse_status(resp: &[u8]) -> Option<u16> {
    let line_end = resp.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&resp[..line_end]).ok()?;
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    parts.next()?.parse().ok()
}

impl Sink for HttpSink {
    fn write(&mut self, msg: &str, _priority: Priority) -> Result<(), String> {
        let mut calls = 0u32;
        let result = loop {
            calls += 1;
            match self.post_once(msg) {
                Err(e) if is_timeout(&e) && calls <= u32::from(self.max_consecutive_timeouts) => {
                    continue
                }
                r => break r,
            }
        };
        match result {
            Ok((status, body)) => {
                if self.echo {
                    let mut out = io::stdout().lock();
                    let _ = out.write_all(&body);
                    let _ = out.flush();
                }
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("HTTP status {status}"))
                }
            }
            Err(e) => Err(format!(
                "HTTP request to {}:{} failed: {e}",
                self.target.host, self.target.port
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("http://falcosidekick:2801").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("falcosidekick", 2801, "/")
        );
        assert_eq!(t.host_header, "falcosidekick:2801");
        let t = parse_url("\"http://127.0.0.1/a/b?x=1\"").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 80, "/a/b?x=1")
        );
        assert_eq!(t.host_header, "127.0.0.1");
        let t = parse_url("http://[::1]:8080/p").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 8080, "/p")
        );
        let t = parse_url("https://sidekick.example").unwrap();
        assert_eq!(
            (t.tls, t.port, t.host_header.as_str()),
            (true, 443, "sidekick.example")
        );
        let t = parse_url("https://127.0.0.1:8443/x").unwrap();
        assert_eq!(
            (t.tls, t.port, t.host_header.as_str()),
            (true, 8443, "127.0.0.1:8443")
        );
        assert!(!parse_url("http://x").unwrap().tls);
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://x:99999").is_err());
        assert!(parse_url("http://").is_err());
    }

    #[test]
    fn system_trust_store() {
        // The default `ca_path` is the system's trust store, when the machine has one.
        let h = HttpOutput::default();
        assert_eq!(h.ca_path, "/etc/ssl/certs");
        if std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").is_file() {
            let roots = root_store(&h).unwrap();
            assert!(roots.len() > 10, "{}", roots.len());
            assert!(tls_config(&h).is_ok());
        }
        let h = HttpOutput {
            ca_path: "/nonexistent/certs".into(),
            ..HttpOutput::default()
        };
        assert!(tls_config(&h).is_err());
        // insecure needs no trust store.
        let h = HttpOutput {
            insecure: true,
            ..h
        };
        assert!(tls_config(&h).is_ok());
    }

    #[test]
    fn responses() {
        assert_eq!(parse_status(b"HTTP/1.1 500 Internal\r\n"), Some(500));
        assert_eq!(parse_status(b"garbage\r\n"), None);
        assert!(response_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        ));
        assert!(!response_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"
        ));
    }
}
