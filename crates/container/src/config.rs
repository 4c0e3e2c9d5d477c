//! Which runtime sockets to ask and how long to wait, from the container plugin's
//! `init_config` (`falco.yaml`: `plugins: [{name: container, init_config: {…}}]`).
//!
//! The plugin's keys: `engines.<engine>.{enabled, sockets}` for `docker`, `podman`,
//! `containerd`, `cri` (`lxc`, `libvirt_lxc`, `bpm` are accepted and need no socket),
//! `engine_timeout` (seconds; here the bound of each request), `label_max_len`. falcoc
//! adds `lookup_wait_ms`: how long the first event of a new container waits for its
//! metadata before it is processed without it.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// The API a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Kubernetes CRI (gRPC): containerd, CRI-O.
    Cri,
    /// Docker's REST API.
    Docker,
    /// Podman's docker-compatible REST API.
    Podman,
}

/// One socket to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// What it speaks.
    pub api: Api,
    /// Its path.
    pub path: PathBuf,
}

/// The metadata source's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Sockets, asked in this order (a container's cgroup layout moves its own
    /// runtime's sockets first).
    pub sockets: Vec<Socket>,
    /// Bound of one request to one socket (connect and answer).
    pub request_timeout: Duration,
    /// How long the first event of a new container waits for its metadata.
    pub lookup_wait: Duration,
    /// Labels with longer values are dropped.
    pub label_max_len: usize,
}

/// Docker's default socket.
pub const DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Podman's default (root) socket.
pub const PODMAN_SOCKET: &str = "/run/podman/podman.sock";
/// The CRI sockets tried by default (containerd, CRI-O, k3s, containerd seen from a
/// container that mounts the host's `/run/containerd` as `/run/host-containerd`).
pub const CRI_SOCKETS: [&str; 4] = [
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/host-containerd/containerd.sock",
];

/// Default `engine_timeout`: the container plugin's 10 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `lookup_wait_ms`.
pub const DEFAULT_LOOKUP_WAIT: Duration = Duration::from_millis(200);
/// Upper bound of `lookup_wait_ms` (a new container never holds events longer).
pub const MAX_LOOKUP_WAIT: Duration = Duration::from_secs(10);
/// Default `label_max_len`: the container plugin's.
pub const DEFAULT_LABEL_MAX_LEN: usize = 100;

impl Default for Config {
    /// Every engine on its default sockets, as the container plugin starts.
    fn default() -> Config {
        let mut sockets = vec![
            Socket {
                api: Api::Docker,
                path: DOCKER_SOCKET.into(),
            },
            Socket {
                api: Api::Podman,
                path: PODMAN_SOCKET.into(),
            },
        ];
        sockets.extend(CRI_SOCKETS.iter().map(|p| Socket {
            api: Api::Cri,
            path: p.into(),
        }));
        Config {
            sockets,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            lookup_wait: DEFAULT_LOOKUP_WAIT,
            label_max_len: DEFAULT_LABEL_MAX_LEN,
        }
    }
}

impl Config {
    /// The configuration an `init_config` value describes (an object, or a string of
    /// JSON as Falco also accepts); unset keys keep their defaults. Errors name the key.
    pub fn from_init_config(init: &Value) -> Result<Config, String> {
        let parsed;
        let init = match init {
            Value::String(s) if s.trim().is_empty() => &Value::Null,
            Value::String(s) => {
                parsed = serde_json::from_str::<Value>(s)
                    .map_err(|e| format!("init_config: not JSON: {e}"))?;
                &parsed
            }
            v => v,
        };
        let mut config = Config::default();
        let obj = match init {
            Value::Null => return Ok(config),
            Value::Object(o) => o,
            _ => return Err("init_config: expected a map".into()),
        };
        if let Some(v) = obj.get("engine_timeout") {
            let secs = v
                .as_u64()
                .ok_or("init_config.engine_timeout: expected a number of seconds")?;
            // 0 disables the plugin's timeout; a request here still needs a bound, so it
            // becomes a day (detection never waits on it either way).
            config.request_timeout = Duration::from_secs(if secs == 0 { 86_400 } else { secs });
        }
        if let Some(v) = obj.get("lookup_wait_ms") {
            let ms = v
                .as_u64()
                .ok_or("init_config.lookup_wait_ms: expected a number of milliseconds")?;
            let wait = Duration::from_millis(ms);
            if wait > MAX_LOOKUP_WAIT {
                return Err(format!(
                    "init_config.lookup_wait_ms: {ms} is over the bound of {} ms",
                    MAX_LOOKUP_WAIT.as_millis()
                ));
            }
            config.lookup_wait = wait;
        }
        if let Some(v) = obj.get("label_max_len") {
            config.label_max_len = v
                .as_u64()
                .ok_or("init_config.label_max_len: expected a number")?
                as usize;
        }
        let Some(engines) = obj.get("engines") else {
            return Ok(config);
        };
        let engines = engines
            .as_object()
            .ok_or("init_config.engines: expected a map")?;
        let defaults = Config::default().sockets;
        let mut sockets: Vec<Socket> = Vec::new();
        // The order of the defaults: docker, podman, then the CRI sockets.
        for (name, api) in [
            ("docker", Api::Docker),
            ("podman", Api::Podman),
            ("cri", Api::Cri),
            ("containerd", Api::Cri),
        ] {
            let Some(engine) = engines.get(name) else {
                // Not mentioned: its defaults stay (the plugin enables every engine).
                if name != "containerd" {
                    sockets.extend(defaults.iter().filter(|s| s.api == api).cloned());
                }
                continue;
            };
            let key = |k: &str| format!("init_config.engines.{name}.{k}");
            let engine = engine
                .as_object()
                .ok_or_else(|| format!("init_config.engines.{name}: expected a map"))?;
            if let Some(enabled) = engine.get("enabled") {
                if !enabled
                    .as_bool()
                    .ok_or_else(|| format!("{}: expected true or false", key("enabled")))?
                {
                    continue;
                }
            }
            match engine.get("sockets") {
                Some(Value::Array(list)) => {
                    for s in list {
                        let p = s
                            .as_str()
                            .ok_or_else(|| format!("{}: expected paths", key("sockets")))?;
                        let socket = Socket {
                            api,
                            path: p.into(),
                        };
                        if !sockets.contains(&socket) {
                            sockets.push(socket);
                        }
                    }
                }
                Some(_) => return Err(format!("{}: expected a list of paths", key("sockets"))),
                None if name != "containerd" => {
                    for s in defaults.iter().filter(|s| s.api == api) {
                        if !sockets.contains(s) {
                            sockets.push(s.clone());
                        }
                    }
                }
                None => {}
            }
        }
        for name in engines.keys() {
            if ![
                "docker",
                "podman",
                "cri",
                "containerd",
                "lxc",
                "libvirt_lxc",
                "bpm",
            ]
            .contains(&name.as_str())
            {
                return Err(format!("init_config.engines.{name}: unknown engine"));
            }
        }
        config.sockets = sockets;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_keys() {
        let d = Config::from_init_config(&Value::Null).unwrap();
        assert_eq!(d, Config::default());
        assert_eq!(d.sockets.len(), 6);
        let c = Config::from_init_config(&json!({
            "engine_timeout": 2,
            "lookup_wait_ms": 50,
            "label_max_len": 10,
            "engines": {
                "docker": {"enabled": false},
                "podman": {"enabled": true, "sockets": ["/p.sock"]},
                "cri": {"enabled": true, "sockets": ["/c.sock"]},
                "containerd": {"enabled": true, "sockets": ["/c.sock", "/d.sock"]},
                "lxc": {"enabled": false}
            }
        }))
        .unwrap();
        assert_eq!(c.request_timeout, Duration::from_secs(2));
        assert_eq!(c.lookup_wait, Duration::from_millis(50));
        assert_eq!(c.label_max_len, 10);
        let paths: Vec<_> = c.sockets.iter().map(|s| (s.api, s.path.clone())).collect();
        assert_eq!(
            paths,
            vec![
                (Api::Podman, "/p.sock".into()),
                (Api::Cri, "/c.sock".into()),
                (Api::Cri, "/d.sock".into()),
            ]
        );
        let s =
            Config::from_init_config(&json!(r#"{"engines":{"cri":{"sockets":["/x"]}}}"#)).unwrap();
        assert!(s.sockets.contains(&Socket {
            api: Api::Cri,
            path: "/x".into()
        }));
        assert!(s.sockets.iter().any(|s| s.api == Api::Docker));
    }

    #[test]
    fn errors_name_the_key() {
        for (v, want) in [
            (json!({"engine_timeout": "x"}), "init_config.engine_timeout"),
            (json!({"lookup_wait_ms": 60000}), "over the bound"),
            (
                json!({"engines": {"cri": {"sockets": "/a"}}}),
                "engines.cri.sockets",
            ),
            (
                json!({"engines": {"rkt": {}}}),
                "engines.rkt: unknown engine",
            ),
            (json!([1]), "expected a map"),
            (json!("{"), "not JSON"),
        ] {
            let e = Config::from_init_config(&v).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }
}
