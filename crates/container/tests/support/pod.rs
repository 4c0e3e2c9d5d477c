//! A pod on the test machine's real CRI runtime, made as a kubelet makes one: a sandbox
//! with the pod's metadata, labels and cgroup parent, then a container with kubelet's
//! `io.kubernetes.*` labels. The runtime is the one `scripts/container-runtime start`
//! runs; its socket is `FALCOC_CRI_SOCKET` (default below). Included by the tests of
//! several crates (`#[path]`), so it uses only `falcoc_container` and std.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use falcoc_container::cri::{proto, BlockingCri};

/// The socket `scripts/container-runtime` uses by default.
pub const DEFAULT_SOCKET: &str = "/run/falcoc-containerd/containerd.sock";
/// The image it imports (busybox, `/etc/shadow` included).
pub const IMAGE: &str = "localhost/falcoc/busybox:1.35";
/// Its repository.
pub const IMAGE_REPOSITORY: &str = "localhost/falcoc/busybox";

const CALL: Duration = Duration::from_secs(60);

/// The runtime's socket if it is there. Without it the test is skipped with a message —
/// except under CI (`CI=true`), where `.ci/run` starts the runtime, so it is a failure.
pub fn socket_or_skip(test: &str) -> Option<PathBuf> {
    let path = PathBuf::from(
        std::env::var("FALCOC_CRI_SOCKET").unwrap_or_else(|_| DEFAULT_SOCKET.to_string()),
    );
    if path.exists() && nix_root() {
        return Some(path);
    }
    let why = format!(
        "{test}: no CRI runtime at {} (as root: scripts/container-runtime install && scripts/container-runtime start)",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
    None
}

fn nix_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A running pod with one container; removed (sandbox and container) on drop.
pub struct Pod {
    cri: BlockingCri,
    /// Full sandbox id.
    pub sandbox_id: String,
    /// Full container id.
    pub container_id: String,
    /// Pod name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Pod uid.
    pub uid: String,
    /// Container name.
    pub container_name: String,
}

/// A name like a Deployment's pod: `<base>-<replicaset hash>-<5 chars>`.
pub fn pod_name(base: &str) -> String {
    let n = (std::process::id() as u64 * 2_654_435_761)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(0);
    let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
    let s: String = (0..15)
        .map(|i| alphabet[((n >> (i * 4)) % alphabet.len() as u64) as usize] as char)
        .collect();
    format!("{base}-{}-{}", &s[..10], &s[10..])
}

impl Pod {
    /// Runs pod `name` in `namespace` with container `container` of [`IMAGE`] running
    /// `command` (`tty`: with a terminal, as `kubectl run -it` asks).
    pub fn run(
        socket: &std::path::Path,
        name: &str,
        namespace: &str,
        container: &str,
        command: &[&str],
        tty: bool,
    ) -> Result<Pod, String> {
        let cri = BlockingCri::new(socket).map_err(|e| e.to_string())?;
        let uid = format!(
            "{:08x}-7c1e-4b1a-9f3e-{:012x}",
            std::process::id(),
            name.len() as u64 * 0x1f1f_1f1f
        );
        let log_dir = format!("/tmp/falcoc-pods/{namespace}_{name}_{uid}");
        std::fs::create_dir_all(&log_dir).map_err(|e| e.to_string())?;
        let k8s_labels = HashMap::from([
            ("io.kubernetes.pod.name".to_string(), name.to_string()),
            (
                "io.kubernetes.pod.namespace".to_string(),
                namespace.to_string(),
            ),
            ("io.kubernetes.pod.uid".to_string(), uid.clone()),
        ]);
        // Host network (no CNI on the test machine); pid and ipc as kubelet's defaults.
        let namespaces = proto::NamespaceOption {
            network: proto::NAMESPACE_NODE,
            pid: 1,
            ipc: 0,
        };
        let mut sandbox_labels = k8s_labels.clone();
        sandbox_labels.insert("app".into(), "falcoc-test".into());
        let sandbox = proto::PodSandboxConfig {
            metadata: Some(proto::PodSandboxMetadata {
                name: name.to_string(),
                uid: uid.clone(),
                namespace: namespace.to_string(),
                attempt: 0,
            }),
            // With the host network kubelet sets no hostname (no UTS namespace of its own).
            hostname: String::new(),
            log_directory: log_dir,
            labels: sandbox_labels,
            annotations: HashMap::from([(
                "kubernetes.io/config.source".to_string(),
                "api".to_string(),
            )]),
            linux: Some(proto::LinuxPodSandboxConfig {
                cgroup_parent: format!("/kubepods/besteffort/pod{uid}"),
                security_context: Some(proto::LinuxSandboxSecurityContext {
                    namespace_options: Some(namespaces.clone()),
                    privileged: false,
                }),
            }),
        };
        // kubelet resolves the image to its id and creates the container from that.
        let image_id = cri
            .call(CALL, |c| c.image_status(IMAGE))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("image {IMAGE} is not on the runtime"))?
            .id;
        let sandbox_id = cri
            .call(CALL, |c| c.run_pod_sandbox(sandbox.clone()))
            .map_err(|e| e.to_string())?;
        let mut labels = k8s_labels;
        labels.insert("io.kubernetes.container.name".into(), container.to_string());
        let config = proto::ContainerConfig {
            metadata: Some(proto::ContainerMetadata {
                name: container.to_string(),
                attempt: 0,
            }),
            image: Some(proto::ImageSpec {
                image: image_id,
                ..Default::default()
            }),
            command: command.iter().map(|s| s.to_string()).collect(),
            labels,
            annotations: HashMap::from([(
                "io.kubernetes.container.restartCount".to_string(),
                "0".to_string(),
            )]),
            log_path: format!("{container}/0.log"),
            stdin: tty,
            tty,
            linux: Some(proto::LinuxContainerConfig {
                security_context: Some(proto::LinuxContainerSecurityContext {
                    privileged: false,
                    namespace_options: Some(namespaces),
                }),
            }),
            ..Default::default()
        };
        let mut pod = Pod {
            cri,
            sandbox_id,
            container_id: String::new(),
            name: name.to_string(),
            namespace: namespace.to_string(),
            uid,
            container_name: container.to_string(),
        };
        let sid = pod.sandbox_id.clone();
        pod.container_id = pod
            .cri
            .call(CALL, |c| c.create_container(&sid, config, sandbox))
            .map_err(|e| e.to_string())?;
        let cid = pod.container_id.clone();
        pod.cri
            .call(CALL, |c| c.start_container(&cid))
            .map_err(|e| e.to_string())?;
        Ok(pod)
    }

    /// Runs `cmd` in the container (`ExecSync`): exit code and stdout.
    pub fn exec(&self, cmd: &[&str]) -> Result<(i32, String), String> {
        let r = self
            .cri
            .call(CALL, |c| c.exec_sync(&self.container_id, cmd, 30))
            .map_err(|e| e.to_string())?;
        Ok((r.exit_code, String::from_utf8_lossy(&r.stdout).into_owned()))
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        let id = self.sandbox_id.clone();
        if let Err(e) = self.cri.call(CALL, |c| c.remove_pod_sandbox(&id)) {
            eprintln!("pod {}: not removed: {e}", self.name);
        }
    }
}
