//! Docker's REST API, and podman's docker-compatible one, over a unix socket
//! (HTTP/1.1, `hyper`): `GET /containers/{id}/json` and `GET /images/{id}/json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::UnixStream;

use crate::image;
use crate::meta::{ContainerMeta, Engine, Mount, PortMapping};

/// Bound of an answer's body (an inspect answer is a few KiB).
const MAX_BODY: usize = 4 << 20;

/// A docker-API error: the socket and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerError(pub String);

impl std::fmt::Display for DockerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DockerError {}

/// A client of one docker-API socket (one connection per request).
#[derive(Debug, Clone)]
pub struct DockerClient {
    path: PathBuf,
    engine: Engine,
}

impl DockerClient {
    /// A client for `path`, reporting containers as `engine` (docker or podman).
    pub fn new(path: &Path, engine: Engine) -> DockerClient {
        DockerClient {
            path: path.to_path_buf(),
            engine,
        }
    }

    /// The socket.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `GET uri`: the status and the JSON body (`Null` when empty).
    async fn get(&self, uri: &str) -> Result<(u16, Value), DockerError> {
        let err = |what: &str, e: &dyn std::fmt::Display| {
            DockerError(format!("{} {what}: {e}", self.path.display()))
        };
        let stream = UnixStream::connect(&self.path)
            .await
            .map_err(|e| err("connect", &e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| err("handshake", &e))?;
        let conn = tokio::spawn(conn);
        let req = http::Request::get(uri)
            .header("Host", "docker")
            .header("Accept", "application/json")
            .body(Empty::<bytes::Bytes>::new())
            .map_err(|e| err("request", &e))?;
        let resp = sender.send_request(req).await.map_err(|e| err(uri, &e))?;
        let status = resp.status().as_u16();
        let body = Limited::new(resp.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| err(uri, &e))?
            .to_bytes();
        drop(sender);
        conn.abort();
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).map_err(|e| err(uri, &e))?
        };
        Ok((status, json))
    }

    /// The metadata of container `id` (full id or prefix): `None` if the runtime has no
    /// such container.
    pub async fn lookup(
        &self,
        id: &str,
        label_max_len: usize,
    ) -> Result<Option<ContainerMeta>, DockerError> {
        if !id.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let (status, v) = self.get(&format!("/containers/{id}/json")).await?;
        match status {
            200 => {}
            404 => return Ok(None),
            s => {
                let msg = v.get("message").and_then(Value::as_str).unwrap_or("");
                return Err(DockerError(format!(
                    "{} /containers/{id}/json: status {s} {msg}",
                    self.path.display()
                )));
            }
        }
        let mut meta = inspect_meta(&v, self.engine, label_max_len);
        if meta.image_digest.is_empty() {
            let image_id = v.get("Image").and_then(Value::as_str).unwrap_or("");
            if !image_id.is_empty()
                && image_id
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b':')
            {
                if let Ok((200, img)) = self.get(&format!("/images/{image_id}/json")).await {
                    meta.image_digest = repo_digest(&img, &meta.image_repo);
                }
            }
        }
        Ok(Some(meta))
    }
}

/// The digest of the image's `RepoDigests` entry for `repo` (else the first one).
fn repo_digest(img: &Value, repo: &str) -> String {
    let digests: Vec<&str> = img
        .get("RepoDigests")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    digests
        .iter()
        .find(|d| d.starts_with(&format!("{repo}@")))
        .or(digests.first())
        .and_then(|d| d.split_once('@'))
        .map(|(_, d)| d.to_string())
        .unwrap_or_default()
}

/// A `/containers/{id}/json` answer as metadata.
pub fn inspect_meta(v: &Value, engine: Engine, label_max_len: usize) -> ContainerMeta {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut meta = ContainerMeta::new(&s("/Id"), engine);
    meta.name = s("/Name").trim_start_matches('/').to_string();
    let reference = s("/Config/Image");
    let parts = image::split(&reference);
    meta.image_repo = parts.repository;
    meta.image_tag = parts.tag;
    meta.image_digest = parts.digest;
    meta.image = reference;
    meta.image_id = image::bare_id(&s("/Image")).to_string();
    meta.privileged = v
        .pointer("/HostConfig/Privileged")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    meta.host_network = s("/HostConfig/NetworkMode") == "host";
    meta.host_pid = s("/HostConfig/PidMode") == "host";
    meta.host_ipc = s("/HostConfig/IpcMode") == "host";
    meta.created_time = rfc3339_seconds(&s("/Created")).unwrap_or(0);
    meta.ip = s("/NetworkSettings/IPAddress");
    if let Some(Value::Object(labels)) = v.pointer("/Config/Labels") {
        meta.labels = labels
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .filter(|(_, v)| v.len() <= label_max_len)
            .collect::<BTreeMap<_, _>>();
    }
    if let Some(Value::Array(mounts)) = v.get("Mounts") {
        for m in mounts {
            let ms = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            meta.mounts.push(Mount {
                source: ms("Source"),
                dest: ms("Destination"),
                mode: ms("Mode"),
                rdwr: m.get("RW").and_then(Value::as_bool).unwrap_or(false),
                propagation: ms("Propagation"),
            });
        }
    }
    if let Some(Value::Object(ports)) = v.pointer("/NetworkSettings/Ports") {
        for (spec, bindings) in ports {
            let Some(container_port) = spec.split('/').next().and_then(|p| p.parse().ok()) else {
                continue;
            };
            for b in bindings.as_array().into_iter().flatten() {
                let host_port = b
                    .get("HostPort")
                    .and_then(Value::as_str)
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                meta.ports.push(PortMapping {
                    container_port,
                    host_port,
                    host_ip: b
                        .get("HostIp")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                });
            }
        }
    }
    meta
}

/// Seconds since the epoch of an RFC 3339 time (`2024-01-02T03:04:05.678Z`, an offset
/// allowed); `None` if it is not one.
pub fn rfc3339_seconds(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let o = oh * 3600 + om * 60;
            if rest.starts_with('-') {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    // Days from the civil date (proleptic Gregorian).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_seconds("2024-02-29T12:00:00.123456789Z"),
            Some(1_709_208_000)
        );
        assert_eq!(
            rfc3339_seconds("2024-02-29T14:00:00+02:00"),
            Some(1_709_208_000)
        );
        assert_eq!(rfc3339_seconds("yesterday"), None);
        assert_eq!(rfc3339_seconds("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn inspect_mapping() {
        let v = json!({
            "Id": "a".repeat(64),
            "Name": "/epic_cray",
            "Created": "2024-02-29T12:00:00Z",
            "Image": "sha256:beef",
            "Config": {"Image": "nginx:latest", "Labels": {"io.kubernetes.pod.name": "p", "big": "x".repeat(300)}},
            "HostConfig": {"Privileged": true, "NetworkMode": "host"},
            "Mounts": [{"Source": "/a", "Destination": "/b", "Mode": "ro", "RW": false, "Propagation": "rprivate"}],
            "NetworkSettings": {"IPAddress": "172.17.0.2", "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "53/udp": null}}
        });
        let m = inspect_meta(&v, Engine::Docker, 100);
        assert_eq!(m.name, "epic_cray");
        assert_eq!(m.image_repo, "nginx");
        assert_eq!(m.image_tag, "latest");
        assert_eq!(m.image_id, "beef");
        assert!(m.privileged && m.host_network);
        assert_eq!(m.created_time, 1_709_208_000);
        assert_eq!(m.pod_name(), Some("p"));
        assert!(!m.labels.contains_key("big"));
        assert_eq!(m.mounts[0].mode, "ro");
        assert_eq!(
            m.ports,
            vec![PortMapping {
                container_port: 80,
                host_port: 8080,
                host_ip: "0.0.0.0".into()
            }]
        );
        assert_eq!(
            repo_digest(
                &json!({"RepoDigests": ["x@sha256:1", "nginx@sha256:2"]}),
                "nginx"
            ),
            "sha256:2"
        );
    }
}
