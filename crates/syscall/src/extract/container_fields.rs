//! The `container.*` and `k8s.*` fields: the container of the event's thread (from the
//! container events) and the Kubernetes pod its labels name.

use super::*;

impl<'a, 'e> Extractor<'a, 'e> {
    pub(super) fn container_info(&self) -> Option<(&Thread, Option<&falcoc_state::Container>)> {
        let t = self.thread()?;
        let c = self.state.container(&t.container_id);
        Some((t, c))
    }

    pub(super) fn container_field(&mut self, field: &Field, out: &mut Values) -> bool {
        use Field as F;
        let ts = self.evt.ts;
        let Some((t, c)) = self.container_info() else {
            return false;
        };
        let host = t.container_id.is_empty();
        match field {
            F::ContainerId => {
                out.push_str(if host { "host" } else { &t.container_id });
                return true;
            }
            F::ContainerName => {
                if host {
                    out.push_str("host");
                    return true;
                }
                return match c {
                    Some(c) if !c.name.is_empty() => {
                        out.push_str(&c.name);
                        true
                    }
                    _ => false,
                };
            }
            F::ContainerType => {
                if host {
                    out.push_str("host");
                    return true;
                }
                return match c.and_then(|c| c.type_name()) {
                    Some(n) => {
                        out.push_str(n);
                        true
                    }
                    None => false,
                };
            }
            F::ContainerImageRepository | F::ContainerImageTag if host => {
                out.push_str("");
                return true;
            }
            _ => {}
        }
        if host {
            return false;
        }
        let Some(c) = c else {
            return false;
        };
        let non_empty = |s: &str, out: &mut Values| {
            if s.is_empty() {
                false
            } else {
                out.push_str(s);
                true
            }
        };
        match field {
            F::ContainerFullId => non_empty(&c.full_id, out),
            F::ContainerImage => non_empty(&c.image, out),
            F::ContainerImageId => non_empty(&c.image_id, out),
            F::ContainerImageRepository => non_empty(&c.image_repo, out),
            F::ContainerImageTag => non_empty(&c.image_tag, out),
            F::ContainerImageDigest => non_empty(&c.image_digest, out),
            F::ContainerPrivileged => {
                out.push_bool(c.privileged);
                true
            }
            F::ContainerMounts => {
                let s: Vec<String> = c.mounts.iter().map(|m| m.render()).collect();
                out.push_str(&s.join(","));
                true
            }
            F::ContainerMount(arg) => {
                let m = match arg.parse::<usize>() {
                    Ok(i) => c.mounts.get(i),
                    Err(_) => c.mount_by_source(arg),
                };
                match m {
                    Some(m) => out.push_str(&m.render()),
                    None => out.push_str("none"),
                }
                true
            }
            F::ContainerMountAttr(k, arg) => {
                let m = match arg.parse::<usize>() {
                    Ok(i) => c.mounts.get(i),
                    Err(_) if *k == 0 => c.mount_by_dest(arg),
                    Err(_) => c.mount_by_source(arg),
                };
                let Some(m) = m else {
                    return false;
                };
                match k {
                    0 => out.push_str(&m.source),
                    1 => out.push_str(&m.dest),
                    2 => out.push_str(&m.mode),
                    3 => out.push_str(if m.rdwr { "true" } else { "false" }),
                    _ => out.push_str(&m.propagation),
                }
                true
            }
            F::ContainerProbe(k) => {
                let kind = match k {
                    0 => falcoc_state::container::ProbeKind::Healthcheck,
                    1 => falcoc_state::container::ProbeKind::Liveness,
                    _ => falcoc_state::container::ProbeKind::Readiness,
                };
                match c.probes.iter().find(|p| p.kind == kind) {
                    Some(p) => {
                        let mut s = p.exe.clone();
                        for a in &p.args {
                            s.push(' ');
                            s.push_str(a);
                        }
                        out.push_str(&s);
                    }
                    None => out.push_str("NONE"),
                }
                true
            }
            F::ContainerIp => {
                if c.ip == 0 {
                    return false;
                }
                out.push_str(&Ipv4Addr::from(c.ip).to_string());
                true
            }
            F::ContainerLabel(k) => match c.labels.get(k) {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::ContainerLabels => {
                let s: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                out.push_str(&s.join(", "));
                true
            }
            F::ContainerStartTs => {
                if c.created_time <= 0 {
                    return false;
                }
                out.push_u64(c.created_time as u64 * 1_000_000_000);
                true
            }
            F::ContainerDuration => {
                if c.created_time <= 0 {
                    return false;
                }
                out.push_u64(ts.saturating_sub(c.created_time as u64 * 1_000_000_000));
                true
            }
            F::K8sPodName => match c.labels.get("io.kubernetes.pod.name") {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::K8sNsName => match c.labels.get("io.kubernetes.pod.namespace") {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            F::K8sPodId => match c.labels.get("io.kubernetes.pod.uid") {
                Some(v) => {
                    out.push_str(v);
                    true
                }
                None => false,
            },
            // The pod sandbox's labels when the runtime gave them (the container plugin's
            // CRI engine), else the container's (libsinsp, older captures).
            F::K8sPodLabel(k) => {
                if !c.labels.contains_key("io.kubernetes.pod.name") {
                    return false;
                }
                let labels = if c.pod_sandbox_labels.is_empty() {
                    &c.labels
                } else {
                    &c.pod_sandbox_labels
                };
                match labels.get(k) {
                    Some(v) => {
                        out.push_str(v);
                        true
                    }
                    None => false,
                }
            }
            F::K8sPodLabels => {
                if !c.labels.contains_key("io.kubernetes.pod.name") {
                    return false;
                }
                let labels = if c.pod_sandbox_labels.is_empty() {
                    &c.labels
                } else {
                    &c.pod_sandbox_labels
                };
                let s: Vec<String> = labels
                    .iter()
                    .filter(|(k, _)| !k.starts_with("io.kubernetes."))
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect();
                out.push_str(&s.join(","));
                true
            }
            F::K8sPodSandboxId(full) => {
                if c.pod_sandbox_id.is_empty() {
                    return false;
                }
                let id = &c.pod_sandbox_id;
                out.push_str(if *full {
                    id
                } else {
                    id.get(..12).unwrap_or(id)
                });
                true
            }
            F::K8sPodIp => {
                if c.ip == 0 || !c.labels.contains_key("io.kubernetes.pod.name") {
                    return false;
                }
                out.push_str(&Ipv4Addr::from(c.ip).to_string());
                true
            }
            F::ContainerHostNs(i) => {
                out.push_bool(c.host_ns[usize::from(*i).min(2)]);
                true
            }
            _ => false,
        }
    }
}
