//! The `http_output` channel: one HTTP/1.1 POST per alert through a [`ureq`] agent, over
//! TLS (`rustls` with the `ring` provider) for `https://` URLs. The agent keeps the
//! connection open between alerts when the server allows it (as Falco's libcurl handle
//! does), follows no redirect and uses no proxy.
//!
//! As in Falco: `Content-Type: application/json` with `json_output`, else `text/plain`;
//! `User-Agent` from `user_agent`; a URL written in quotes is unquoted; a request that
//! times out is retried up to `max_consecutive_timeouts` more times; `echo` prints the
//! response body to stdout. Unlike libcurl (no timeout by default) each phase of a
//! request (connecting with the TLS handshake, sending the request, receiving the
//! response, receiving its body) is bounded by `output_timeout`, and an answer other than
//! 2xx counts as a failure in the channel's counters (Falco only logs transport errors).
//!
//! TLS follows Falco's libcurl options ([`tls_config`]): `insecure` skips the server's
//! certificate and host name checks; otherwise the server is verified against the
//! certificates of `ca_cert`, else of `ca_bundle` (PEM files), else of every file in the
//! `ca_path` directory (default `/etc/ssl/certs`, the system's trust store); `mtls`
//! presents `client_cert` and `client_key` (PEM). These files are read, and the client
//! key checked against its certificate, when the channel starts.

use super::Sink;
use falcoc_compiler::priority::Priority;
use falcoc_config::HttpOutput;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};

/// Response bodies are read (and echoed) up to this many bytes.
const MAX_RESPONSE: u64 = 1 << 20;

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

impl HttpTarget {
    /// The URL as ureq sends it (scheme, the `Host:` value, path and query).
    fn uri(&self) -> Result<ureq::http::Uri, String> {
        let scheme = if self.tls { "https" } else { "http" };
        let url = format!("{scheme}://{}{}", self.host_header, self.path);
        url.parse().map_err(|e| format!("{url}: {e}"))
    }
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

/// The trust anchors of `http_output`: the certificates of `ca_cert`, else of
/// `ca_bundle`, else of the files in the `ca_path` directory (unreadable or non-PEM files
/// there are skipped, as libcurl's hashed-directory lookup ignores them). Only
/// certificates rustls can use as anchors are kept; none is an error.
fn trust_anchors(h: &HttpOutput) -> Result<Vec<CertificateDer<'static>>, String> {
    let file = [&h.ca_cert, &h.ca_bundle]
        .into_iter()
        .find(|p| !p.is_empty());
    let (certs, none) = if let Some(file) = file {
        (
            pem_certs(Path::new(file))?,
            format!("{file}: no usable CA certificate"),
        )
    } else {
        let dir = Path::new(&h.ca_path);
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("ca_path {}: {e}", dir.display()))?;
        let mut certs = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                certs.extend(pem_certs(&path).unwrap_or_default());
            }
        }
        (
            certs,
            format!(
                "ca_path {}: no CA certificate found in the directory",
                dir.display()
            ),
        )
    };
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs.iter().cloned());
    if added == 0 {
        return Err(none);
    }
    Ok(certs)
}

/// The `mtls` identity: the certificate chain of `client_cert` and the key of
/// `client_key`, checked to belong together (rustls refuses a key that does not match its
/// certificate; ureq would only find out, and panic, at the first connection).
fn client_identity(h: &HttpOutput) -> Result<ClientCert, String> {
    let chain = pem_certs(Path::new(&h.client_cert)).map_err(|e| format!("client_cert {e}"))?;
    let pem =
        std::fs::read(&h.client_key).map_err(|e| format!("client_key {}: {e}", h.client_key))?;
    let key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| format!("client_key {}: {e}", h.client_key))?;
    ClientConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(RootCertStore::empty())
        .with_client_auth_cert(chain.clone(), key)
        .map_err(|e| format!("client_cert/client_key: {e}"))?;
    // The same PEM key again, read by ureq (which names its key kinds privately).
    let key =
        PrivateKey::from_pem(&pem).map_err(|e| format!("client_key {}: {e}", h.client_key))?;
    let chain: Vec<Certificate<'static>> = chain
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    Ok(ClientCert::new_with_certs(&chain, key))
}

/// rustls' `ring` provider (aws-lc-rs, rustls' default, needs cmake to build).
fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS configuration of `http_output` (see the module docs), with the files read and
/// checked. Errors name the file or directory at fault.
pub(crate) fn tls_config(h: &HttpOutput) -> Result<TlsConfig, String> {
    let builder = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(ring());
    let builder = if h.insecure {
        builder.disable_verification(true)
    } else {
        let anchors = trust_anchors(h)?;
        builder.root_certs(RootCerts::from(
            anchors
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
        ))
    };
    let builder = match h.mtls {
        true => builder.client_cert(Some(client_identity(h)?)),
        false => builder,
    };
    Ok(builder.build())
}

/// The HTTP channel.
pub(crate) struct HttpSink {
    /// The client: timeouts, `User-Agent`, TLS, and the open connection.
    agent: ureq::Agent,
    /// The URL, parsed.
    target: HttpTarget,
    /// The URL as ureq takes it.
    uri: ureq::http::Uri,
    content_type: &'static str,
    max_consecutive_timeouts: u8,
    echo: bool,
    /// The last request was answered: the agent may hold its connection open.
    connection_kept: bool,
}

impl HttpSink {
    /// The channel of `h`; `timeout` (`None`: wait forever) bounds each phase of a
    /// request. Errors (an unusable URL or TLS file) start with `http output:`.
    pub(crate) fn new(
        h: &HttpOutput,
        json_output: bool,
        timeout: Option<Duration>,
    ) -> Result<HttpSink, String> {
        let target = parse_url(&h.url)?;
        let uri = target.uri().map_err(|e| format!("http output: {e}"))?;
        let tls = match target.tls {
            true => tls_config(h).map_err(|e| format!("http output: {e}"))?,
            // Never used (no redirects are followed); no built-in root list either way.
            false => TlsConfig::builder()
                .unversioned_rustls_crypto_provider(ring())
                .root_certs(RootCerts::from([]))
                .build(),
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .user_agent(h.user_agent.as_str())
            .accept("*/*")
            .timeout_connect(timeout)
            .timeout_send_request(timeout)
            .timeout_send_body(timeout)
            .timeout_recv_response(timeout)
            .timeout_recv_body(timeout)
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .tls_config(tls)
            .build();
        Ok(HttpSink {
            agent: config.new_agent(),
            target,
            uri,
            content_type: if json_output {
                "application/json"
            } else {
                "text/plain"
            },
            max_consecutive_timeouts: h.max_consecutive_timeouts,
            echo: h.echo,
            connection_kept: false,
        })
    }

    /// One POST; the status code and (up to [`MAX_RESPONSE`] bytes of) the body. A body
    /// within that bound is read to its end, which lets the agent reuse the connection.
    fn post_once(&self, body: &str) -> Result<(u16, Vec<u8>), ureq::Error> {
        let response = self
            .agent
            .post(self.uri.clone())
            .header("Content-Type", self.content_type)
            .send(body.as_bytes())?;
        let status = response.status().as_u16();
        let mut answer = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_RESPONSE)
            .read_to_end(&mut answer)
            .map_err(ureq::Error::from)?;
        Ok((status, answer))
    }
}

fn is_timeout(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ),
        _ => false,
    }
}

/// The server closed the connection before answering: what a kept-alive connection the
/// server has meanwhile closed gives (libcurl then retries on a new connection).
fn is_closed_early(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(e) if matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    ))
}

/// What a failed request reports after `HTTP request to HOST:PORT failed: `: the system's
/// message for I/O errors (`Connection refused (os error 111)`), rustls' for TLS errors
/// (`invalid peer certificate: UnknownIssuer`), the phase for timeouts.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(e) => e.to_string(),
        ureq::Error::Rustls(e) => e.to_string(),
        ureq::Error::Timeout(phase) => format!("timed out ({phase})"),
        e => e.to_string(),
    }
}

impl Sink for HttpSink {
    fn write(&mut self, msg: &str, _priority: Priority, _more: bool) -> Result<(), String> {
        let mut timeouts = 0u8;
        let result = loop {
            let reused = std::mem::replace(&mut self.connection_kept, false);
            match self.post_once(msg) {
                Err(e) if is_timeout(&e) && timeouts < self.max_consecutive_timeouts => {
                    timeouts += 1;
                    continue;
                }
                // Once, on a new connection (that one is not reused).
                Err(e) if reused && is_closed_early(&e) => continue,
                r => break r,
            }
        };
        self.connection_kept = result.is_ok();
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
                "HTTP request to {}:{} failed: {}",
                self.target.host,
                self.target.port,
                describe(&e)
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
    fn uris() {
        let uri = |url: &str| parse_url(url).unwrap().uri().unwrap().to_string();
        assert_eq!(
            uri("\"http://127.0.0.1/a/b?x=1#frag\""),
            "http://127.0.0.1/a/b?x=1"
        );
        assert_eq!(uri("HTTP://[::1]:8080/p"), "http://[::1]:8080/p");
        assert_eq!(
            uri("https://sidekick.example:443"),
            "https://sidekick.example/"
        );
        assert_eq!(uri("https://h:8443/x"), "https://h:8443/x");
        // What http::Uri refuses is refused when the channel starts.
        let bad = parse_url("http://h/a b").unwrap().uri().unwrap_err();
        assert!(bad.starts_with("http://h/a b: "), "{bad}");
        let h = HttpOutput {
            url: "http://h/a b".into(),
            ..HttpOutput::default()
        };
        let e = HttpSink::new(&h, true, None).err().unwrap();
        assert!(e.starts_with("http output: http://h/a b"), "{e}");
    }

    #[test]
    fn system_trust_store() {
        // The default `ca_path` is the system's trust store, when the machine has one.
        let h = HttpOutput::default();
        assert_eq!(h.ca_path, "/etc/ssl/certs");
        if std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").is_file() {
            let roots = trust_anchors(&h).unwrap();
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
    fn timeouts_are_retried_other_errors_not() {
        let timeout = ureq::Error::Timeout(ureq::Timeout::RecvResponse);
        assert!(is_timeout(&timeout));
        assert_eq!(describe(&timeout), "timed out (receive response)");
        let refused = ureq::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert!(!is_timeout(&refused));
        assert!(
            describe(&refused).contains("refused"),
            "{}",
            describe(&refused)
        );
        assert!(is_timeout(&ureq::Error::Io(io::ErrorKind::TimedOut.into())));
    }
}
