//! Containers: the metadata of container events (`container` JSON events, codes 272 and
//! 324, and the older fixed-parameter `container` event 228) and the container id of a
//! thread derived from its cgroups, as libsinsp's container engines compute it.

use std::collections::BTreeMap;

use serde_json::Value;

/// Container runtime type (`sinsp_container_type`).
pub const CT_DOCKER: u32 = 0;

/// Lookup state `SUCCESSFUL` (`sinsp_container_lookup_state`).
pub const LOOKUP_SUCCESSFUL: u32 = 1;
/// Lookup state `FAILED`.
pub const LOOKUP_FAILED: u32 = 2;

/// A mount of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    /// Host path.
    pub source: String,
    /// Path in the container.
    pub dest: String,
    /// Mode.
    pub mode: String,
    /// Read-write.
    pub rdwr: bool,
    /// Propagation.
    pub propagation: String,
}

impl Mount {
    /// `source:dest:mode:rdwr:propagation`, as `container.mount*` print it.
    pub fn render(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source, self.dest, self.mode, self.rdwr, self.propagation
        )
    }
}

/// A health probe command of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthProbe {
    /// `Healthcheck`, `LivenessProbe` or `ReadinessProbe`.
    pub kind: ProbeKind,
    /// Executable.
    pub exe: String,
    /// Arguments.
    pub args: Vec<String>,
}

/// Kinds of health probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// Docker health check.
    Healthcheck,
    /// Kubernetes liveness probe.
    Liveness,
    /// Kubernetes readiness probe.
    Readiness,
}

/// What is known about a container (libsinsp `sinsp_container_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Short (12-character) id.
    pub id: String,
    /// Full id.
    pub full_id: String,
    /// Runtime type code.
    pub ty: u32,
    /// Name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Image id.
    pub image_id: String,
    /// Image repository.
    pub image_repo: String,
    /// Image tag.
    pub image_tag: String,
    /// Image digest.
    pub image_digest: String,
    /// Privileged.
    pub privileged: bool,
    /// A Kubernetes pod sandbox.
    pub is_pod_sandbox: bool,
    /// Lookup state.
    pub lookup_state: u32,
    /// Creation time (seconds).
    pub created_time: i64,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// Health probes.
    pub probes: Vec<HealthProbe>,
    /// IPv4 address (host order; 0 = none).
    pub ip: u32,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The pod sandbox's full id (CRI; the container plugin's `pod_sandbox_id`).
    pub pod_sandbox_id: String,
    /// The pod sandbox's labels (CRI; `pod_sandbox_labels`).
    pub pod_sandbox_labels: BTreeMap<String, String>,
    /// Host network, pid and ipc namespaces (`host_network`, `host_pid`, `host_ipc`).
    pub host_ns: [bool; 3],
}

impl Container {
    /// An empty container record with this id and type (what an engine stores when it
    /// sees a container id it has no metadata for).
    pub fn empty(id: &str, ty: u32) -> Container {
        Container {
            id: id.to_string(),
            full_id: String::new(),
            ty,
            name: String::new(),
            image: String::new(),
            image_id: String::new(),
            image_repo: String::new(),
            image_tag: String::new(),
            image_digest: String::new(),
            privileged: false,
            is_pod_sandbox: false,
            lookup_state: LOOKUP_SUCCESSFUL,
            created_time: 0,
            mounts: Vec::new(),
            probes: Vec::new(),
            ip: 0,
            labels: BTreeMap::new(),
            pod_sandbox_id: String::new(),
            pod_sandbox_labels: BTreeMap::new(),
            host_ns: [false; 3],
        }
    }

    /// Whether the metadata lookup succeeded.
    pub fn is_successful(&self) -> bool {
        self.lookup_state == LOOKUP_SUCCESSFUL
    }

    /// `container.type`.
    pub fn type_name(&self) -> Option<&'static str> {
        Some(match self.ty {
            0 => "docker",
            1 => "lxc",
            2 => "libvirt-lxc",
            3 => "mesos",
            4 => "rkt",
            5 => "cri",
            6 => "containerd",
            7 => "cri-o",
            8 => "bpm",
            9 => "static",
            10 => "podman",
            _ => return None,
        })
    }

    /// The first mount whose source matches the glob `pattern`.
    pub fn mount_by_source(&self, pattern: &str) -> Option<&Mount> {
        let g = falcoc_codegen::Glob::new(pattern.as_bytes(), false);
        self.mounts.iter().find(|m| g.matches(m.source.as_bytes()))
    }

    /// The first mount whose destination matches the glob `pattern`.
    pub fn mount_by_dest(&self, pattern: &str) -> Option<&Mount> {
        let g = falcoc_codegen::Glob::new(pattern.as_bytes(), false);
        self.mounts.iter().find(|m| g.matches(m.dest.as_bytes()))
    }

    /// Parses the payload of a container JSON event (`{"container": {…}}`), as
    /// `parse_container_json_evt` does; `None` if it is not JSON. `from_capture`: a
    /// `STARTED` lookup state becomes `FAILED` (no lookup can finish in a capture).
    pub fn from_json(json: &[u8], from_capture: bool) -> Option<Container> {
        let root: Value = serde_json::from_slice(json).ok()?;
        let c = root.get("container").unwrap_or(&Value::Null);
        let s = |k: &str| -> String {
            match c.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::Bool(b)) => b.to_string(),
                _ => String::new(),
            }
        };
        let b = |k: &str| match c.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            _ => false,
        };
        let u = |k: &str| c.get(k).and_then(Value::as_u64);
        let mut out = Container::empty(&s("id"), u("type").unwrap_or(0) as u32);
        out.full_id = s("full_id");
        out.name = s("name");
        out.image = s("image");
        out.image_id = s("imageid");
        out.image_repo = s("imagerepo");
        out.image_tag = s("imagetag");
        out.image_digest = s("imagedigest");
        out.privileged = b("privileged");
        out.is_pod_sandbox = b("is_pod_sandbox");
        if let Some(state) = u("lookup_state") {
            out.lookup_state = match state {
                0 if from_capture => LOOKUP_FAILED,
                0..=2 => state as u32,
                _ => LOOKUP_SUCCESSFUL,
            };
        }
        out.created_time = c.get("created_time").and_then(Value::as_i64).unwrap_or(0);
        if let Some(Value::Array(mounts)) = c.get("Mounts") {
            for m in mounts {
                let ms = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                out.mounts.push(Mount {
                    source: ms("Source"),
                    dest: ms("Destination"),
                    mode: ms("Mode"),
                    rdwr: m.get("RW").and_then(Value::as_bool).unwrap_or(false),
                    propagation: ms("Propagation"),
                });
            }
        }
        for (key, kind) in [
            ("Healthcheck", ProbeKind::Healthcheck),
            ("LivenessProbe", ProbeKind::Liveness),
            ("ReadinessProbe", ProbeKind::Readiness),
        ] {
            let Some(p) = c.get(key).filter(|p| p.is_object()) else {
                continue;
            };
            let Some(exe) = p.get("exe").and_then(Value::as_str) else {
                continue;
            };
            let args = p
                .get("args")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            out.probes.push(HealthProbe {
                kind,
                exe: exe.to_string(),
                args,
            });
        }
        if let Some(ip) = c.get("ip").and_then(Value::as_str) {
            out.ip = ip.parse::<std::net::Ipv4Addr>().map(u32::from).unwrap_or(0);
        }
        let labels_of = |key: &str| -> BTreeMap<String, String> {
            let Some(Value::Object(labels)) = c.get(key) else {
                return BTreeMap::new();
            };
            labels
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        };
        out.labels = labels_of("labels");
        out.pod_sandbox_labels = labels_of("pod_sandbox_labels");
        out.pod_sandbox_id = s("pod_sandbox_id");
        out.host_ns = [b("host_network"), b("host_pid"), b("host_ipc")];
        Some(out)
    }
}

/// The cgroup layouts of the runc-based engines (docker, podman, CRI-O, containerd):
/// `prefix` + 64 hex digits + `suffix` at the end of a cgroup path.
const RUNC_LAYOUTS: [(&str, &str); 6] = [
    ("/", ""),
    ("/docker-", ".scope"),
    ("/crio-", ".scope"),
    ("/cri-containerd-", ".scope"),
    (":cri-containerd:", ""),
    ("/libpod-", ".scope"),
];

/// `match_one_container_id`: the 12-character id if `cgroup` ends with
/// `prefix<64 hex>suffix`.
fn match_runc<'a>(cgroup: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    let end = rfind(cgroup.as_bytes(), suffix.as_bytes())?;
    // The 64 bytes before `end` must be the id: most paths fail here, before the search
    // for the prefix.
    let hex = cgroup.as_bytes().get(end.checked_sub(64)?..end)?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let start = rfind(cgroup.as_bytes(), prefix.as_bytes())? + prefix.len();
    if end < start || end - start != 64 {
        return None;
    }
    let id = cgroup.get(start..end)?;
    id.bytes().all(|c| c.is_ascii_hexdigit()).then(|| &id[..12])
}

/// `str::rfind` for these short needles: the start of the last occurrence of `needle`
/// (`hay.len()` for an empty one), without building a searcher per call.
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some(&first) = needle.first() else {
        return Some(hay.len());
    };
    let mut end = hay.len();
    while let Some(i) = hay.get(..end)?.iter().rposition(|&c| c == first) {
        if hay.get(i..).is_some_and(|rest| rest.starts_with(needle)) {
            return Some(i);
        }
        end = i;
    }
    None
}

/// The container a thread belongs to according to its cgroups (`subsystem`, `path`):
/// the runc layouts (docker first, as libsinsp tries its engines), then LXC (`/lxc/<name>`)
/// and libvirt-lxc (`/machine.slice/machine-lxc\x2d<name>.scope`, `/libvirt_lxc/<name>`).
/// Returns the id and the engine type.
pub fn container_of_cgroups(cgroups: &[(String, String)]) -> Option<(String, u32)> {
    container_id_in_cgroups(cgroups).map(|(id, ty)| (id.to_string(), ty))
}

/// [`container_of_cgroups`], borrowing the id from the cgroup path.
pub fn container_id_in_cgroups(cgroups: &[(String, String)]) -> Option<(&str, u32)> {
    for (i, (prefix, suffix)) in RUNC_LAYOUTS.iter().enumerate() {
        for (_, path) in cgroups {
            if let Some(id) = match_runc(path, prefix, suffix) {
                // `/` and `/docker-…scope` are docker's; podman's libpod; the rest CRI.
                let ty = match i {
                    0 | 1 => CT_DOCKER,
                    5 => 10,
                    _ => 5,
                };
                return Some((id, ty));
            }
        }
    }
    for (_, path) in cgroups {
        if let Some(rest) = path.strip_prefix("/lxc/") {
            let id = rest.split('/').next().unwrap_or("");
            if !id.is_empty() {
                return Some((id, 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cg(p: &str) -> Vec<(String, String)> {
        vec![("cpu".to_string(), p.to_string())]
    }

    #[test]
    fn cgroup_ids() {
        let id = "3ad7b26ded6d8e7e23da7a9ad8d7c5f4a1e5c0b9f4d1e6a2b7c8d9e0f1a2b3c4";
        assert_eq!(
            container_of_cgroups(&cg(&format!("/docker/{id}"))),
            Some(("3ad7b26ded6d".to_string(), CT_DOCKER))
        );
        assert_eq!(
            container_of_cgroups(&cg(&format!("/system.slice/docker-{id}.scope"))).map(|c| c.0),
            Some("3ad7b26ded6d".to_string())
        );
        assert_eq!(container_of_cgroups(&cg("/user.slice")), None);
        assert_eq!(container_of_cgroups(&cg("/docker/abc")), None);
    }

    #[test]
    fn json_payload() {
        let c = Container::from_json(
            br#"{"container":{"id":"9dbcbd0c435f","name":"epic_cray","image":"nginx:latest","imagerepo":"nginx","privileged":true,"type":0,"ip":"172.17.0.2","lookup_state":0,"Mounts":[{"Source":"/a","Destination":"/b","Mode":"ro","RW":false,"Propagation":"rprivate"}],"labels":{"io.kubernetes.pod.name":"p"}}}"#,
            true,
        )
        .unwrap();
        assert_eq!(c.name, "epic_cray");
        assert!(c.privileged);
        assert!(!c.is_successful());
        assert_eq!(
            c.mount_by_dest("/b").map(Mount::render).as_deref(),
            Some("/a:/b:ro:false:rprivate")
        );
        assert_eq!(c.ip, u32::from(std::net::Ipv4Addr::new(172, 17, 0, 2)));
        assert!(Container::from_json(b"{", true).is_none());
        let cri = Container::from_json(
            br#"{"container":{"id":"abc","pod_sandbox_id":"0123456789abcdef","pod_sandbox_labels":{"app":"web"},"host_network":true,"host_pid":false}}"#,
            false,
        )
        .unwrap();
        assert_eq!(cri.pod_sandbox_id, "0123456789abcdef");
        assert_eq!(
            cri.pod_sandbox_labels.get("app").map(String::as_str),
            Some("web")
        );
        assert_eq!(cri.host_ns, [true, false, false]);
    }
}
