//! Container and Kubernetes metadata for falcoc's live sensor.
//!
//! The kernel side gives a thread's cgroups; [`cgroup`] finds the container's full id
//! and the runtime whose layout it is. A [`MetadataSource`] asks the runtimes over their
//! local sockets — the Kubernetes CRI ([`cri`], containerd and CRI-O) and the docker API
//! ([`docker`], docker and podman) — on a worker thread, and hands back a
//! [`ContainerMeta`] per container, which [`ContainerMeta::to_event_json`] renders as the
//! payload of a libscap container JSON event: the sensor feeds that event to its state
//! (so `container.*` and `k8s.*` fields resolve) and to the captures it writes (so a
//! replay resolves them the same way). [`Config`] reads the container plugin's
//! `init_config` keys.

pub mod cgroup;
pub mod config;
pub mod cri;
pub mod docker;
pub mod image;
pub mod meta;
pub mod source;

pub use config::{Api, Config, Socket};
pub use meta::{ContainerMeta, Engine};
pub use source::{Answer, MetadataSource, Outcome, Stats};
