//! What a runtime says about one container, and its rendering as the payload of a
//! libscap container JSON event (`{"container": {…}}`, the form libsinsp's container
//! engines and the container plugin's async events carry, and what captures store).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// The runtime that answered, as libsinsp's `sinsp_container_type` codes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Docker's API (`CT_DOCKER`).
    Docker,
    /// Podman's docker-compatible API (`CT_PODMAN`).
    Podman,
    /// A CRI runtime that is neither containerd nor CRI-O (`CT_CRI`).
    Cri,
    /// containerd, through its CRI plugin (`CT_CONTAINERD`).
    Containerd,
    /// CRI-O (`CT_CRIO`).
    CriO,
}

impl Engine {
    /// The `sinsp_container_type` code (`container.type` prints its name).
    pub fn code(self) -> u32 {
        match self {
            Engine::Docker => 0,
            Engine::Cri => 5,
            Engine::Containerd => 6,
            Engine::CriO => 7,
            Engine::Podman => 10,
        }
    }

    /// The CRI engine a runtime's `Version` answer names (`runtime_name`).
    pub fn of_cri_runtime(runtime_name: &str) -> Engine {
        match runtime_name {
            "containerd" => Engine::Containerd,
            "cri-o" => Engine::CriO,
            _ => Engine::Cri,
        }
    }
}

/// A mount of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    /// Host path.
    pub source: String,
    /// Path in the container.
    pub dest: String,
    /// Mode (docker's `Mode`; empty for CRI).
    pub mode: String,
    /// Read-write.
    pub rdwr: bool,
    /// Propagation (`rprivate`, `rslave`, …).
    pub propagation: String,
}

/// A published port (docker/podman `NetworkSettings.Ports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    /// Port in the container.
    pub container_port: u16,
    /// Port on the host.
    pub host_port: u16,
    /// Host address (empty: every address).
    pub host_ip: String,
}

/// Container metadata from a runtime (libsinsp's `sinsp_container_info`, the fields
/// falcoc keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerMeta {
    /// Full id (64 hex digits).
    pub full_id: String,
    /// The engine that answered.
    pub engine: Engine,
    /// Name (`container.name`): docker's name without its `/`, CRI's metadata name.
    pub name: String,
    /// Image reference as the runtime reports it (`container.image`).
    pub image: String,
    /// Image id (hex, without `sha256:`).
    pub image_id: String,
    /// Repository: the reference without tag and digest.
    pub image_repo: String,
    /// Tag.
    pub image_tag: String,
    /// Digest (`sha256:…`).
    pub image_digest: String,
    /// Privileged.
    pub privileged: bool,
    /// A Kubernetes pod sandbox (the pause container).
    pub is_pod_sandbox: bool,
    /// Creation time, seconds since the epoch.
    pub created_time: i64,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// Published ports.
    pub ports: Vec<PortMapping>,
    /// Primary IPv4 address (empty: none).
    pub ip: String,
    /// Labels; for CRI containers with `io.kubernetes.pod.{name,namespace,uid}` and
    /// `io.kubernetes.sandbox.id` set from the pod sandbox, as the container plugin does.
    pub labels: BTreeMap<String, String>,
    /// The pod sandbox's full id (CRI).
    pub pod_sandbox_id: String,
    /// The pod sandbox's labels (`k8s.pod.label*`).
    pub pod_sandbox_labels: BTreeMap<String, String>,
    /// Host network, pid and ipc namespaces.
    pub host_network: bool,
    /// Host pid namespace.
    pub host_pid: bool,
    /// Host ipc namespace.
    pub host_ipc: bool,
}

impl ContainerMeta {
    /// An empty record for `full_id` answered by `engine`.
    pub fn new(full_id: &str, engine: Engine) -> ContainerMeta {
        ContainerMeta {
            full_id: full_id.to_string(),
            engine,
            name: String::new(),
            image: String::new(),
            image_id: String::new(),
            image_repo: String::new(),
            image_tag: String::new(),
            image_digest: String::new(),
            privileged: false,
            is_pod_sandbox: false,
            created_time: 0,
            mounts: Vec::new(),
            ports: Vec::new(),
            ip: String::new(),
            labels: BTreeMap::new(),
            pod_sandbox_id: String::new(),
            pod_sandbox_labels: BTreeMap::new(),
            host_network: false,
            host_pid: false,
            host_ipc: false,
        }
    }

    /// The 12-character id (`container.id`).
    pub fn id(&self) -> &str {
        short_id(&self.full_id)
    }

    /// `k8s.pod.name`, from the labels.
    pub fn pod_name(&self) -> Option<&str> {
        self.labels.get(POD_NAME).map(String::as_str)
    }

    /// `k8s.ns.name`, from the labels.
    pub fn pod_namespace(&self) -> Option<&str> {
        self.labels.get(POD_NAMESPACE).map(String::as_str)
    }

    /// The payload of a container JSON event describing this container (lookup state
    /// `SUCCESSFUL`), with the keys libsinsp writes.
    pub fn to_event_json(&self) -> String {
        let mounts: Vec<Value> = self
            .mounts
            .iter()
            .map(|m| {
                json!({
                    "Source": m.source,
                    "Destination": m.dest,
                    "Mode": m.mode,
                    "RW": m.rdwr,
                    "Propagation": m.propagation,
                })
            })
            .collect();
        let ports: Vec<Value> = self
            .ports
            .iter()
            .map(|p| {
                json!({
                    "ContainerPort": p.container_port,
                    "HostPort": p.host_port,
                    "HostIp": p.host_ip,
                })
            })
            .collect();
        let labels: Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let pod_labels: Map<String, Value> = self
            .pod_sandbox_labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        json!({"container": {
            "id": self.id(),
            "full_id": self.full_id,
            "type": self.engine.code(),
            "name": self.name,
            "image": self.image,
            "imageid": self.image_id,
            "imagerepo": self.image_repo,
            "imagetag": self.image_tag,
            "imagedigest": self.image_digest,
            "privileged": self.privileged,
            "is_pod_sandbox": self.is_pod_sandbox,
            "lookup_state": LOOKUP_SUCCESSFUL,
            "created_time": self.created_time,
            "Mounts": mounts,
            "port_mappings": ports,
            "ip": self.ip,
            "labels": labels,
            "pod_sandbox_id": self.pod_sandbox_id,
            "pod_sandbox_labels": pod_labels,
            "host_network": self.host_network,
            "host_pid": self.host_pid,
            "host_ipc": self.host_ipc,
        }})
        .to_string()
    }
}

/// The payload of a container JSON event for a container no runtime could describe
/// (lookup state `FAILED`): its id and the engine its cgroup suggests, nothing else, so
/// every other field reads as missing.
pub fn failed_event_json(full_id: &str, engine: Engine) -> String {
    json!({"container": {
        "id": short_id(full_id),
        "full_id": full_id,
        "type": engine.code(),
        "lookup_state": LOOKUP_FAILED,
    }})
    .to_string()
}

/// `sinsp_container_lookup_state::SUCCESSFUL`.
const LOOKUP_SUCCESSFUL: u32 = 1;
/// `sinsp_container_lookup_state::FAILED`.
const LOOKUP_FAILED: u32 = 2;

/// The label kubelet sets to the pod's name.
pub const POD_NAME: &str = "io.kubernetes.pod.name";
/// The label kubelet sets to the pod's namespace.
pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The label kubelet sets to the pod's uid.
pub const POD_UID: &str = "io.kubernetes.pod.uid";
/// The label the container plugin sets to the pod sandbox id.
pub const SANDBOX_ID: &str = "io.kubernetes.sandbox.id";

/// The first 12 characters of an id (all of it when shorter).
pub fn short_id(full_id: &str) -> &str {
    full_id.get(..12).unwrap_or(full_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_json_has_libsinsp_keys() {
        let mut m = ContainerMeta::new(&"ab".repeat(32), Engine::Containerd);
        m.name = "app".into();
        m.labels.insert(POD_NAME.into(), "web-1".into());
        m.mounts.push(Mount {
            source: "/a".into(),
            dest: "/b".into(),
            mode: String::new(),
            rdwr: true,
            propagation: "rprivate".into(),
        });
        let v: Value = serde_json::from_str(&m.to_event_json()).unwrap();
        let c = &v["container"];
        assert_eq!(c["id"], "abababababab");
        assert_eq!(c["type"], 6);
        assert_eq!(c["lookup_state"], 1);
        assert_eq!(c["labels"][POD_NAME], "web-1");
        assert_eq!(c["Mounts"][0]["Destination"], "/b");
        assert_eq!(m.pod_name(), Some("web-1"));
        let f: Value = serde_json::from_str(&failed_event_json("abc", Engine::Docker)).unwrap();
        assert_eq!(f["container"]["lookup_state"], 2);
        assert_eq!(f["container"]["id"], "abc");
    }
}
