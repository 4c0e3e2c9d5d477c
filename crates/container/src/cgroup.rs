//! A container's full id from a thread's cgroup paths, for the runc-based runtimes, and
//! which runtime's layout it was (the engine to ask first).

/// The runtime a cgroup layout belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `/<id>` at the end of a path: docker or a CRI runtime with the cgroupfs driver
    /// (`/docker/<id>`, `/kubepods/besteffort/pod<uid>/<id>`).
    Plain,
    /// `docker-<id>.scope` (docker, systemd driver).
    Docker,
    /// `crio-<id>.scope` (CRI-O).
    CriO,
    /// `cri-containerd-<id>.scope` or `:cri-containerd:<id>` (containerd).
    Containerd,
    /// `libpod-<id>.scope` or `libpod-<id>` (podman).
    Podman,
}

/// The layouts: prefix + 64 hex digits + suffix at the end of a cgroup path, in
/// libsinsp's order.
const LAYOUTS: [(&str, &str, Layout); 7] = [
    ("/", "", Layout::Plain),
    ("/docker-", ".scope", Layout::Docker),
    ("/crio-", ".scope", Layout::CriO),
    ("/cri-containerd-", ".scope", Layout::Containerd),
    (":cri-containerd:", "", Layout::Containerd),
    ("/libpod-", ".scope", Layout::Podman),
    ("/libpod-", "", Layout::Podman),
];

/// The full container id and its layout if `path` ends with one of the layouts.
pub fn container_of_path(path: &str) -> Option<(&str, Layout)> {
    for (prefix, suffix, layout) in LAYOUTS {
        let Some(rest) = path.strip_suffix(suffix) else {
            continue;
        };
        let Some(start) = rest.rfind(prefix).map(|i| i + prefix.len()) else {
            continue;
        };
        let id = &rest[start..];
        if id.len() == 64 && id.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Some((id, layout));
        }
    }
    None
}

/// The container of a thread whose cgroups are `(subsystem, path)` pairs: the first
/// path that matches a layout, layouts tried in order.
pub fn container_of_cgroups(cgroups: &[(String, String)]) -> Option<(String, Layout)> {
    cgroups
        .iter()
        .find_map(|(_, p)| container_of_path(p))
        .map(|(id, l)| (id.to_string(), l))
}

/// The `(subsystem, path)` pairs of a `/proc/PID/cgroup` file's text
/// (`hierarchy:subsystems:path` lines; cgroup v2's line has no subsystem).
pub fn parse_proc_cgroup(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.splitn(3, ':');
            let _hierarchy = it.next()?;
            let subsystems = it.next()?;
            let path = it.next()?;
            Some((subsystems.to_string(), path.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3ad7b26ded6d8e7e23da7a9ad8d7c5f4a1e5c0b9f4d1e6a2b7c8d9e0f1a2b3c4";

    #[test]
    fn layouts() {
        let cases = [
            (format!("/docker/{ID}"), Layout::Plain),
            (format!("/kubepods/besteffort/pod1234/{ID}"), Layout::Plain),
            (format!("/system.slice/docker-{ID}.scope"), Layout::Docker),
            (
                format!("/kubepods.slice/kubepods-pod1.slice/crio-{ID}.scope"),
                Layout::CriO,
            ),
            (
                format!("/kubepods.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope"),
                Layout::Containerd,
            ),
            (
                format!("/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:{ID}"),
                Layout::Containerd,
            ),
            (format!("/machine.slice/libpod-{ID}.scope"), Layout::Podman),
            (format!("/libpod_parent/libpod-{ID}"), Layout::Podman),
        ];
        for (path, layout) in cases {
            assert_eq!(container_of_path(&path), Some((ID, layout)), "{path}");
        }
        assert_eq!(container_of_path("/user.slice"), None);
        assert_eq!(container_of_path("/docker/abc"), None);
        assert_eq!(container_of_path(&format!("/docker/{ID}0")), None);
        assert_eq!(container_of_path(&format!("/docker-{ID}.scope/x")), None);
    }

    #[test]
    fn proc_cgroup_file() {
        let text = format!("12:cpu,cpuacct:/kubepods/pod1/{ID}\n0::/\n");
        let cg = parse_proc_cgroup(&text);
        assert_eq!(cg.len(), 2);
        assert_eq!(cg[0].0, "cpu,cpuacct");
        assert_eq!(
            container_of_cgroups(&cg),
            Some((ID.to_string(), Layout::Plain))
        );
        assert_eq!(container_of_cgroups(&parse_proc_cgroup("0::/\n")), None);
    }
}
