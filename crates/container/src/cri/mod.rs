//! The Kubernetes CRI over a unix socket (gRPC, `tonic`): the container lookup the
//! sensor makes (`ListContainers` → `ContainerStatus` → `PodSandboxStatus`, mapped as the
//! container plugin's CRI engine maps them), and the calls a kubelet makes to run a pod
//! (`RunPodSandbox`, `CreateContainer`, `StartContainer`, `ExecSync`, …), which the tests
//! use to drive a real runtime.

pub mod proto;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint};

use crate::image;
use crate::meta::{ContainerMeta, Engine, Mount, POD_NAME, POD_NAMESPACE, POD_UID, SANDBOX_ID};

/// A CRI error: the call and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriError(pub String);

impl std::fmt::Display for CriError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CriError {}

/// A CRI client on one socket. Cheap to clone (one HTTP/2 connection, made on first use
/// and remade after a failure).
#[derive(Debug, Clone)]
pub struct CriClient {
    channel: Channel,
    path: PathBuf,
}

impl CriClient {
    /// A client for the socket at `path` (nothing is connected yet). Must be called
    /// inside a tokio runtime.
    pub fn new(path: &Path) -> CriClient {
        let p = path.to_path_buf();
        // The URI is required by the HTTP/2 layer and ignored by the connector.
        let channel = Endpoint::from_static("http://localhost").connect_with_connector_lazy(
            tower::service_fn(move |_: http::Uri| {
                let p = p.clone();
                async move { UnixStream::connect(p).await.map(TokioIo::new) }
            }),
        );
        CriClient {
            channel,
            path: path.to_path_buf(),
        }
    }

    /// The socket.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn call<Req, Resp>(&self, method: &'static str, req: Req) -> Result<Resp, CriError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        grpc.ready()
            .await
            .map_err(|e| CriError(format!("{}: {e}", self.path.display())))?;
        let path = http::uri::PathAndQuery::try_from(method)
            .map_err(|e| CriError(format!("{method}: {e}")))?;
        grpc.unary(
            tonic::Request::new(req),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await
        .map(tonic::Response::into_inner)
        .map_err(|s| {
            let name = method.rsplit('/').next().unwrap_or(method);
            CriError(format!(
                "{} {name}: {} ({:?})",
                self.path.display(),
                s.message(),
                s.code()
            ))
        })
    }

    /// `Version`.
    pub async fn version(&self) -> Result<proto::VersionResponse, CriError> {
        self.call(
            "/runtime.v1.RuntimeService/Version",
            proto::VersionRequest {
                version: "v1".into(),
            },
        )
        .await
    }

    /// The metadata of the container whose id is or starts with `id`: `None` if this
    /// runtime has no such container or sandbox. `engine` is the type to report
    /// (from [`Engine::of_cri_runtime`]); `label_max_len` drops longer label values.
    pub async fn lookup(
        &self,
        id: &str,
        engine: Engine,
        label_max_len: usize,
    ) -> Result<Option<ContainerMeta>, CriError> {
        let list: proto::ListContainersResponse = self
            .call(
                "/runtime.v1.RuntimeService/ListContainers",
                proto::ListContainersRequest {
                    filter: Some(proto::ContainerFilter {
                        id: id.to_string(),
                        ..Default::default()
                    }),
                },
            )
            .await?;
        let Some(found) = list.containers.into_iter().next() else {
            // A pod sandbox's own processes (the pause container).
            return self.lookup_sandbox(id, engine, label_max_len).await;
        };
        let status: proto::ContainerStatusResponse = match self
            .call(
                "/runtime.v1.RuntimeService/ContainerStatus",
                proto::ContainerStatusRequest {
                    container_id: found.id.clone(),
                    verbose: true,
                },
            )
            .await
        {
            Ok(s) => s,
            // Gone between the two calls.
            Err(e) if e.0.contains("NotFound") => return Ok(None),
            Err(e) => return Err(e),
        };
        let sandbox = if found.pod_sandbox_id.is_empty() {
            None
        } else {
            self.call::<_, proto::PodSandboxStatusResponse>(
                "/runtime.v1.RuntimeService/PodSandboxStatus",
                proto::PodSandboxStatusRequest {
                    pod_sandbox_id: found.pod_sandbox_id.clone(),
                    verbose: false,
                },
            )
            .await
            .ok()
            .and_then(|r| r.status)
        };
        let Some(s) = status.status else {
            return Ok(None);
        };
        let mut meta = container_meta(&s, &status.info, sandbox.as_ref(), engine, label_max_len);
        if meta.pod_sandbox_id.is_empty() {
            meta.pod_sandbox_id = found.pod_sandbox_id;
        }
        if meta.image_digest.is_empty() && !meta.image.is_empty() {
            meta.image_digest = self.image_digest(&meta.image, &meta.image_repo).await;
        }
        Ok(Some(meta))
    }

    /// `ImageStatus`: the runtime's record of `image` (a reference or an id).
    pub async fn image_status(&self, image: &str) -> Result<Option<proto::Image>, CriError> {
        let r: proto::ImageStatusResponse = self
            .call(
                "/runtime.v1.ImageService/ImageStatus",
                proto::ImageStatusRequest {
                    image: Some(proto::ImageSpec {
                        image: image.to_string(),
                        ..Default::default()
                    }),
                    verbose: false,
                },
            )
            .await?;
        Ok(r.image)
    }

    /// A repository digest of `image` from `ImageStatus` (empty when the runtime has none).
    async fn image_digest(&self, image: &str, repo: &str) -> String {
        let Ok(Some(img)) = self.image_status(image).await else {
            return String::new();
        };
        img.repo_digests
            .iter()
            .find(|d| d.starts_with(&format!("{repo}@")))
            .or(img.repo_digests.first())
            .and_then(|d| d.split_once('@'))
            .map(|(_, d)| d.to_string())
            .unwrap_or_default()
    }

    async fn lookup_sandbox(
        &self,
        id: &str,
        engine: Engine,
        label_max_len: usize,
    ) -> Result<Option<ContainerMeta>, CriError> {
        let r: proto::PodSandboxStatusResponse = match self
            .call(
                "/runtime.v1.RuntimeService/PodSandboxStatus",
                proto::PodSandboxStatusRequest {
                    pod_sandbox_id: id.to_string(),
                    verbose: false,
                },
            )
            .await
        {
            Ok(r) => r,
            Err(e) if e.0.contains("NotFound") => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(s) = r.status else {
            return Ok(None);
        };
        let mut meta = ContainerMeta::new(&s.id, engine);
        meta.is_pod_sandbox = true;
        meta.created_time = s.created_at / 1_000_000_000;
        apply_sandbox(&mut meta, &s, label_max_len);
        meta.name = s
            .metadata
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_default();
        Ok(Some(meta))
    }

    /// `RunPodSandbox`: the sandbox id.
    pub async fn run_pod_sandbox(
        &self,
        config: proto::PodSandboxConfig,
    ) -> Result<String, CriError> {
        let r: proto::RunPodSandboxResponse = self
            .call(
                "/runtime.v1.RuntimeService/RunPodSandbox",
                proto::RunPodSandboxRequest {
                    config: Some(config),
                    runtime_handler: String::new(),
                },
            )
            .await?;
        Ok(r.pod_sandbox_id)
    }

    /// `CreateContainer` in a sandbox: the container id.
    pub async fn create_container(
        &self,
        pod_sandbox_id: &str,
        config: proto::ContainerConfig,
        sandbox_config: proto::PodSandboxConfig,
    ) -> Result<String, CriError> {
        let r: proto::CreateContainerResponse = self
            .call(
                "/runtime.v1.RuntimeService/CreateContainer",
                proto::CreateContainerRequest {
                    pod_sandbox_id: pod_sandbox_id.to_string(),
                    config: Some(config),
                    sandbox_config: Some(sandbox_config),
                },
            )
            .await?;
        Ok(r.container_id)
    }

    /// `StartContainer`.
    pub async fn start_container(&self, id: &str) -> Result<(), CriError> {
        self.call::<_, proto::StartContainerResponse>(
            "/runtime.v1.RuntimeService/StartContainer",
            proto::StartContainerRequest {
                container_id: id.to_string(),
            },
        )
        .await
        .map(drop)
    }

    /// `ExecSync`: runs `cmd` in the container (bounded by `timeout_s`).
    pub async fn exec_sync(
        &self,
        id: &str,
        cmd: &[&str],
        timeout_s: i64,
    ) -> Result<proto::ExecSyncResponse, CriError> {
        self.call(
            "/runtime.v1.RuntimeService/ExecSync",
            proto::ExecSyncRequest {
                container_id: id.to_string(),
                cmd: cmd.iter().map(|s| s.to_string()).collect(),
                timeout: timeout_s,
            },
        )
        .await
    }

    /// `StopPodSandbox` then `RemovePodSandbox` (its containers go with it).
    pub async fn remove_pod_sandbox(&self, id: &str) -> Result<(), CriError> {
        self.call::<_, proto::StopPodSandboxResponse>(
            "/runtime.v1.RuntimeService/StopPodSandbox",
            proto::StopPodSandboxRequest {
                pod_sandbox_id: id.to_string(),
            },
        )
        .await?;
        self.call::<_, proto::RemovePodSandboxResponse>(
            "/runtime.v1.RuntimeService/RemovePodSandbox",
            proto::RemovePodSandboxRequest {
                pod_sandbox_id: id.to_string(),
            },
        )
        .await
        .map(drop)
    }
}

/// The pod sandbox's part of a container's metadata: the `io.kubernetes.pod.*` and
/// sandbox id labels, the sandbox's labels, its IP and host namespaces.
fn apply_sandbox(meta: &mut ContainerMeta, s: &proto::PodSandboxStatus, label_max_len: usize) {
    meta.pod_sandbox_id = s.id.clone();
    meta.labels.insert(SANDBOX_ID.into(), s.id.clone());
    if let Some(m) = &s.metadata {
        meta.labels.insert(POD_UID.into(), m.uid.clone());
        meta.labels.insert(POD_NAME.into(), m.name.clone());
        meta.labels
            .insert(POD_NAMESPACE.into(), m.namespace.clone());
    }
    meta.pod_sandbox_labels = bounded_labels(&s.labels, label_max_len);
    if let Some(n) = &s.network {
        meta.ip = n.ip.clone();
    }
    if let Some(o) = s
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .and_then(|n| n.options.as_ref())
    {
        meta.host_network = o.network == proto::NAMESPACE_NODE;
        meta.host_pid = o.pid == proto::NAMESPACE_NODE;
        meta.host_ipc = o.ipc == proto::NAMESPACE_NODE;
    }
}

fn bounded_labels(
    labels: &std::collections::HashMap<String, String>,
    max: usize,
) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(_, v)| v.len() <= max)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A CRI container's status (and its verbose `info` JSON, and its sandbox) as metadata,
/// mapped as the container plugin maps them.
pub fn container_meta(
    s: &proto::ContainerStatus,
    info: &std::collections::HashMap<String, String>,
    sandbox: Option<&proto::PodSandboxStatus>,
    engine: Engine,
    label_max_len: usize,
) -> ContainerMeta {
    let info: Value = info
        .get("info")
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    let mut meta = ContainerMeta::new(&s.id, engine);
    meta.name = s
        .metadata
        .as_ref()
        .map(|m| m.name.clone())
        .unwrap_or_default();
    meta.created_time = s.created_at / 1_000_000_000;
    meta.labels = bounded_labels(&s.labels, label_max_len);
    if let Some(sb) = sandbox {
        apply_sandbox(&mut meta, sb, label_max_len);
    }
    // Privileged: the runtime spec's security context, then the config's, then `privileged`.
    let privileged = |v: &Value| {
        v.pointer("/linux/security_context/privileged")
            .and_then(Value::as_bool)
    };
    meta.privileged = info
        .get("runtimeSpec")
        .and_then(privileged)
        .or_else(|| info.get("config").and_then(privileged))
        .or_else(|| info.get("privileged").and_then(Value::as_bool))
        .unwrap_or(false);
    for m in &s.mounts {
        meta.mounts.push(Mount {
            source: m.host_path.clone(),
            dest: m.container_path.clone(),
            mode: String::new(),
            rdwr: !m.readonly,
            propagation: match m.propagation {
                0 => "private",
                1 => "rslave",
                2 => "rshared",
                _ => "unknown",
            }
            .to_string(),
        });
    }
    // The image: the spec's reference unless it is an id; `image_ref` is either
    // `repo@sha256:…` (then the digest) or `sha256:…`.
    let mut name = s
        .image
        .as_ref()
        .map(|i| i.image.clone())
        .unwrap_or_default();
    let image_ref = s.image_ref.as_str();
    if let Some(i) = image_ref.find("sha256:") {
        if i == 0 {
            meta.image_digest = image_ref.to_string();
        } else if image_ref.as_bytes()[i - 1] == b'@' {
            meta.image_digest = image_ref[i..].to_string();
        }
    }
    if name.is_empty() || name.starts_with("sha256") {
        let annotations = info.pointer("/runtimeSpec/annotations");
        for key in [
            "io.kubernetes.cri.image-name",
            "io.kubernetes.cri-o.Image",
            "io.kubernetes.cri-o.ImageName",
        ] {
            if let Some(v) = annotations.and_then(|a| a.get(key)).and_then(Value::as_str) {
                name = v.to_string();
                break;
            }
        }
    }
    let parts = image::split(&name);
    meta.image_repo = parts.repository;
    meta.image_tag = parts.tag;
    if !parts.digest.is_empty() && meta.image_digest.is_empty() {
        meta.image_digest = parts.digest;
    }
    meta.image = name;
    let config_image = info
        .pointer("/config/image/image")
        .and_then(Value::as_str)
        .unwrap_or("");
    // kubelet creates containers from the image id (`sha256:…`).
    meta.image_id = if config_image.starts_with("sha256:") {
        image::bare_id(config_image).to_string()
    } else if !s.image_id.is_empty() {
        image::bare_id(&s.image_id).to_string()
    } else if image_ref.starts_with("sha256:") {
        image::bare_id(image_ref).to_string()
    } else {
        String::new()
    };
    meta
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn status_mapping() {
        let id = "c".repeat(64);
        let s = proto::ContainerStatus {
            id: id.clone(),
            metadata: Some(proto::ContainerMetadata {
                name: "nginx".into(),
                attempt: 0,
            }),
            created_at: 1_700_000_000_123_456_789,
            image: Some(proto::ImageSpec {
                image: "docker.io/library/nginx:1.25".into(),
                ..Default::default()
            }),
            image_ref: "docker.io/library/nginx@sha256:feed".into(),
            labels: HashMap::from([
                ("io.kubernetes.container.name".into(), "nginx".into()),
                ("long".into(), "x".repeat(200)),
            ]),
            mounts: vec![proto::Mount {
                container_path: "/etc/hosts".into(),
                host_path: "/var/lib/kubelet/pods/1/etc-hosts".into(),
                readonly: true,
                propagation: 1,
                ..Default::default()
            }],
            ..Default::default()
        };
        let info = HashMap::from([(
            "info".to_string(),
            r#"{"config":{"image":{"image":"sha256:abcd"},"linux":{"security_context":{"privileged":true}}}}"#
                .to_string(),
        )]);
        let sandbox = proto::PodSandboxStatus {
            id: "s".repeat(64),
            metadata: Some(proto::PodSandboxMetadata {
                name: "web-7d4b9".into(),
                uid: "uid-1".into(),
                namespace: "prod".into(),
                attempt: 0,
            }),
            labels: HashMap::from([("app".into(), "web".into())]),
            linux: Some(proto::LinuxPodSandboxStatus {
                namespaces: Some(proto::Namespace {
                    options: Some(proto::NamespaceOption {
                        network: 2,
                        pid: 0,
                        ipc: 0,
                    }),
                }),
            }),
            ..Default::default()
        };
        let m = container_meta(&s, &info, Some(&sandbox), Engine::Containerd, 100);
        assert_eq!(m.id(), "cccccccccccc");
        assert_eq!(m.name, "nginx");
        assert_eq!(m.image, "docker.io/library/nginx:1.25");
        assert_eq!(m.image_repo, "docker.io/library/nginx");
        assert_eq!(m.image_tag, "1.25");
        assert_eq!(m.image_digest, "sha256:feed");
        assert_eq!(m.image_id, "abcd");
        assert!(m.privileged);
        assert_eq!(m.created_time, 1_700_000_000);
        assert_eq!(m.pod_name(), Some("web-7d4b9"));
        assert_eq!(m.pod_namespace(), Some("prod"));
        assert_eq!(m.labels.get(POD_UID).map(String::as_str), Some("uid-1"));
        assert!(!m.labels.contains_key("long"));
        assert_eq!(
            m.pod_sandbox_labels.get("app").map(String::as_str),
            Some("web")
        );
        assert!(m.host_network && !m.host_pid);
        assert_eq!(m.mounts[0].propagation, "rslave");
        assert!(!m.mounts[0].rdwr);
    }
}

/// A blocking CRI client (its own single-threaded runtime), for tools and tests that
/// drive a runtime as a kubelet does.
#[derive(Debug)]
pub struct BlockingCri {
    rt: tokio::runtime::Runtime,
    client: CriClient,
}

impl BlockingCri {
    /// A client for the socket at `path`.
    pub fn new(path: &Path) -> std::io::Result<BlockingCri> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = {
            let _guard = rt.enter();
            CriClient::new(path)
        };
        Ok(BlockingCri { rt, client })
    }

    /// Runs one call of the async client, bounded by `timeout`.
    pub fn call<'a, T, F>(
        &'a self,
        timeout: std::time::Duration,
        f: impl FnOnce(&'a CriClient) -> F,
    ) -> Result<T, CriError>
    where
        F: std::future::Future<Output = Result<T, CriError>> + 'a,
    {
        self.rt.block_on(async {
            tokio::time::timeout(timeout, f(&self.client))
                .await
                .unwrap_or_else(|_| Err(CriError(format!("no answer within {timeout:?}"))))
        })
    }
}
