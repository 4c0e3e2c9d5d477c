//! The metadata source the sensor asks: lookups run on a worker thread (a single-threaded
//! tokio runtime, one task per container, every request bounded by the configured
//! timeout), so detection never waits on a runtime longer than the bounded wait the
//! caller chooses. Each container is asked for once; the answers come back on a channel.
//!
//! A socket that is absent, refuses, fails or hangs makes the lookup fail (the container's
//! fields stay missing) and is logged once, when it starts failing (and again once it
//! answers again); the counters say how many lookups failed or timed out.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::cgroup::Layout;
use crate::config::{Api, Config, Socket};
use crate::cri::CriClient;
use crate::docker::DockerClient;
use crate::meta::{ContainerMeta, Engine};

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A runtime described the container.
    Found(Box<ContainerMeta>),
    /// Every runtime that answered said it has no such container.
    Unknown,
    /// No runtime could be asked: absent, failing or hanging sockets (the reasons).
    Failed(String),
}

/// The answer about one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The full id asked for.
    pub full_id: String,
    /// The engine its cgroup suggests (the type of a failed lookup).
    pub layout_engine: Engine,
    /// What was found.
    pub outcome: Outcome,
}

/// The counters of a [`MetadataSource`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Lookups started (one per container).
    pub lookups: u64,
    /// Lookups a runtime answered with the container's metadata.
    pub found: u64,
    /// Lookups that failed (no socket could answer), timeouts included.
    pub failures: u64,
    /// Requests to a socket that ran over the request timeout.
    pub timeouts: u64,
    /// Events processed before their container's answer came (the bounded wait ran out).
    pub late: u64,
}

#[derive(Debug, Default)]
struct Counters {
    lookups: AtomicU64,
    found: AtomicU64,
    failures: AtomicU64,
    timeouts: AtomicU64,
}

/// Bound of lookups in flight; a container seen beyond it gets no lookup (counted as a
/// failure), so a burst of containers cannot grow the queue without limit.
pub const MAX_IN_FLIGHT: usize = 1024;

/// Delays (ms) before asking again about a container no runtime knows yet.
const UNKNOWN_RETRIES: [u64; 4] = [50, 200, 500, 1000];

struct Request {
    full_id: String,
    layout: Layout,
}

/// The metadata source. See the [module documentation](self).
pub struct MetadataSource {
    requests: Option<tokio::sync::mpsc::UnboundedSender<Request>>,
    answers: mpsc::Receiver<Answer>,
    /// Answers received while waiting for another container.
    ready: Vec<Answer>,
    /// Asked and not answered yet.
    in_flight: HashSet<String>,
    /// Asked (answered or not); a container is asked for once until forgotten.
    asked: HashSet<String>,
    counters: Arc<Counters>,
    late: u64,
    wait: Duration,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MetadataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataSource")
            .field("in_flight", &self.in_flight.len())
            .field("asked", &self.asked.len())
            .field("stats", &self.stats())
            .finish()
    }
}

impl MetadataSource {
    /// Starts the worker for `config`'s sockets. Prints one line naming the sockets that
    /// exist now (runtimes started later are found at their first lookup).
    pub fn start(config: Config) -> std::io::Result<MetadataSource> {
        let (req_tx, req_rx) = tokio::sync::mpsc::unbounded_channel();
        let (ans_tx, ans_rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let present: Vec<String> = config
            .sockets
            .iter()
            .filter(|s| s.path.exists())
            .map(|s| format!("{} ({})", s.path.display(), api_name(s.api)))
            .collect();
        eprintln!(
            "falcoc: container metadata from {}",
            if present.is_empty() {
                "no runtime socket yet (container fields stay <NA> until one appears)".to_string()
            } else {
                present.join(", ")
            }
        );
        let wait = config.lookup_wait;
        let worker_counters = counters.clone();
        let worker = std::thread::Builder::new()
            .name("falcoc-containers".into())
            .spawn(move || worker(config, req_rx, ans_tx, worker_counters))?;
        Ok(MetadataSource {
            requests: Some(req_tx),
            answers: ans_rx,
            ready: Vec::new(),
            in_flight: HashSet::new(),
            asked: HashSet::new(),
            counters,
            late: 0,
            wait,
            worker: Some(worker),
        })
    }

    /// Asks for the metadata of container `full_id` (its cgroup `layout` says which
    /// runtime to ask first) unless it was asked already; true if a lookup started.
    pub fn request(&mut self, full_id: &str, layout: Layout) -> bool {
        if self.asked.contains(full_id) {
            return false;
        }
        self.asked.insert(full_id.to_string());
        self.counters.lookups.fetch_add(1, Ordering::Relaxed);
        if self.in_flight.len() >= MAX_IN_FLIGHT {
            self.counters.failures.fetch_add(1, Ordering::Relaxed);
            self.ready.push(Answer {
                full_id: full_id.to_string(),
                layout_engine: layout_engine(layout),
                outcome: Outcome::Failed(format!("over {MAX_IN_FLIGHT} lookups in flight")),
            });
            return true;
        }
        let sent = self.requests.as_ref().is_some_and(|r| {
            r.send(Request {
                full_id: full_id.to_string(),
                layout,
            })
            .is_ok()
        });
        if sent {
            self.in_flight.insert(full_id.to_string());
        } else {
            self.counters.failures.fetch_add(1, Ordering::Relaxed);
            self.ready.push(Answer {
                full_id: full_id.to_string(),
                layout_engine: layout_engine(layout),
                outcome: Outcome::Failed("the lookup worker stopped".into()),
            });
        }
        true
    }

    /// Whether `full_id`'s lookup is still running.
    pub fn is_pending(&self, full_id: &str) -> bool {
        self.in_flight.contains(full_id)
    }

    /// Waits up to the configured bounded wait for the answer about `full_id`, keeping
    /// the answers about other containers for [`drain`](Self::drain). `None` (counted as
    /// late) if it did not come in time or was never asked.
    pub fn wait(&mut self, full_id: &str) -> Option<Answer> {
        let deadline = Instant::now() + self.wait;
        self.wait_until(full_id, deadline)
    }

    /// The configured bounded wait.
    pub fn bounded_wait(&self) -> Duration {
        self.wait
    }

    /// [`wait`](Self::wait) with an explicit deadline (several containers waited for
    /// within one bounded wait).
    pub fn wait_until(&mut self, full_id: &str, deadline: Instant) -> Option<Answer> {
        if let Some(i) = self.ready.iter().position(|a| a.full_id == full_id) {
            return Some(self.ready.swap_remove(i));
        }
        if !self.in_flight.contains(full_id) {
            return None;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.answers.recv_timeout(left) {
                Ok(a) => {
                    self.in_flight.remove(&a.full_id);
                    if a.full_id == full_id {
                        return Some(a);
                    }
                    self.ready.push(a);
                }
                Err(_) => {
                    self.late += 1;
                    return None;
                }
            }
        }
    }

    /// The answers that have come (never blocks).
    pub fn drain(&mut self) -> Vec<Answer> {
        while let Ok(a) = self.answers.try_recv() {
            self.in_flight.remove(&a.full_id);
            self.ready.push(a);
        }
        std::mem::take(&mut self.ready)
    }

    /// Forgets `full_id` (its container is gone): a container with that id later is
    /// asked for again.
    pub fn forget(&mut self, full_id: &str) {
        self.asked.remove(full_id);
    }

    /// How many containers are remembered as asked.
    pub fn known(&self) -> usize {
        self.asked.len()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        Stats {
            lookups: self.counters.lookups.load(Ordering::Relaxed),
            found: self.counters.found.load(Ordering::Relaxed),
            failures: self.counters.failures.load(Ordering::Relaxed),
            timeouts: self.counters.timeouts.load(Ordering::Relaxed),
            late: self.late,
        }
    }
}

impl Drop for MetadataSource {
    fn drop(&mut self) {
        // Closing the channel ends the worker; its runtime drops lookups in flight.
        self.requests = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Cri => "cri",
        Api::Docker => "docker",
        Api::Podman => "podman",
    }
}

/// The engine a layout suggests (the type a failed lookup reports).
fn layout_engine(layout: Layout) -> Engine {
    match layout {
        Layout::Plain | Layout::Docker => Engine::Docker,
        Layout::CriO => Engine::CriO,
        Layout::Containerd => Engine::Containerd,
        Layout::Podman => Engine::Podman,
    }
}

/// One socket as the worker keeps it.
struct Endpoint {
    socket: Socket,
    cri: Option<CriClient>,
    docker: Option<DockerClient>,
    /// The CRI runtime's engine, from its `Version` answer.
    cri_engine: OnceCell<Engine>,
    /// Failing now (logged once per change).
    down: AtomicBool,
}

impl Endpoint {
    fn new(socket: Socket) -> Endpoint {
        let (cri, docker) = match socket.api {
            Api::Cri => (Some(CriClient::new(&socket.path)), None),
            Api::Docker => (None, Some(DockerClient::new(&socket.path, Engine::Docker))),
            Api::Podman => (None, Some(DockerClient::new(&socket.path, Engine::Podman))),
        };
        Endpoint {
            socket,
            cri,
            docker,
            cri_engine: OnceCell::new(),
            down: AtomicBool::new(false),
        }
    }

    /// Whether this socket's runtime is the first to ask for `layout`.
    fn preferred_for(&self, layout: Layout) -> bool {
        matches!(
            (self.socket.api, layout),
            (Api::Cri, Layout::Containerd | Layout::CriO)
                | (Api::Docker, Layout::Docker)
                | (Api::Podman, Layout::Podman)
        )
    }

    async fn lookup(
        &self,
        id: &str,
        label_max_len: usize,
    ) -> Result<Option<ContainerMeta>, String> {
        if let Some(cri) = &self.cri {
            let engine = self
                .cri_engine
                .get_or_try_init(|| async {
                    cri.version()
                        .await
                        .map(|v| Engine::of_cri_runtime(&v.runtime_name))
                })
                .await
                .map_err(|e| e.to_string())?;
            return cri
                .lookup(id, *engine, label_max_len)
                .await
                .map_err(|e| e.to_string());
        }
        match &self.docker {
            Some(d) => d.lookup(id, label_max_len).await.map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }

    fn mark(&self, failing: bool, why: &str) {
        if self.down.swap(failing, Ordering::Relaxed) != failing {
            if failing {
                eprintln!(
                    "falcoc: container runtime socket {} ({}) failed: {why}; its containers' metadata stays <NA> until it answers",
                    self.socket.path.display(),
                    api_name(self.socket.api)
                );
            } else {
                eprintln!(
                    "falcoc: container runtime socket {} answers again",
                    self.socket.path.display()
                );
            }
        }
    }
}

fn worker(
    config: Config,
    mut requests: tokio::sync::mpsc::UnboundedReceiver<Request>,
    answers: mpsc::Sender<Answer>,
    counters: Arc<Counters>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("falcoc: container metadata disabled: {e}");
            // Every request fails at once.
            while let Some(r) = requests.blocking_recv() {
                counters.failures.fetch_add(1, Ordering::Relaxed);
                let _ = answers.send(Answer {
                    layout_engine: layout_engine(r.layout),
                    full_id: r.full_id,
                    outcome: Outcome::Failed(e.to_string()),
                });
            }
            return;
        }
    };
    rt.block_on(async move {
        let endpoints: Arc<Vec<Endpoint>> =
            Arc::new(config.sockets.iter().cloned().map(Endpoint::new).collect());
        let timeout = config.request_timeout;
        let label_max_len = config.label_max_len;
        while let Some(r) = requests.recv().await {
            let endpoints = endpoints.clone();
            let answers = answers.clone();
            let counters = counters.clone();
            tokio::spawn(async move {
                let mut outcome = lookup(&endpoints, &r, timeout, label_max_len, &counters).await;
                // A container's first process can run before its runtime records it (a
                // pod sandbox is stored once its task runs): ask again a few times.
                for delay in UNKNOWN_RETRIES {
                    if outcome != Outcome::Unknown {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    outcome = lookup(&endpoints, &r, timeout, label_max_len, &counters).await;
                }
                match &outcome {
                    Outcome::Found(_) => counters.found.fetch_add(1, Ordering::Relaxed),
                    Outcome::Failed(_) => counters.failures.fetch_add(1, Ordering::Relaxed),
                    Outcome::Unknown => 0,
                };
                let _ = answers.send(Answer {
                    layout_engine: layout_engine(r.layout),
                    full_id: r.full_id,
                    outcome,
                });
            });
        }
    });
    rt.shutdown_background();
}

/// Asks the sockets in order (the layout's own runtime first) until one knows the
/// container.
async fn lookup(
    endpoints: &[Endpoint],
    r: &Request,
    timeout: Duration,
    label_max_len: usize,
    counters: &Counters,
) -> Outcome {
    let mut order: Vec<&Endpoint> = endpoints
        .iter()
        .filter(|e| e.preferred_for(r.layout))
        .collect();
    order.extend(endpoints.iter().filter(|e| !e.preferred_for(r.layout)));
    let mut errors = Vec::new();
    let mut answered = false;
    for e in order {
        if !e.socket.path.exists() {
            continue;
        }
        match tokio::time::timeout(timeout, e.lookup(&r.full_id, label_max_len)).await {
            Ok(Ok(Some(meta))) => {
                e.mark(false, "");
                return Outcome::Found(Box::new(meta));
            }
            Ok(Ok(None)) => {
                e.mark(false, "");
                answered = true;
            }
            Ok(Err(why)) => {
                e.mark(true, &why);
                errors.push(why);
            }
            Err(_) => {
                counters.timeouts.fetch_add(1, Ordering::Relaxed);
                let why = format!(
                    "{}: no answer within {} ms",
                    e.socket.path.display(),
                    timeout.as_millis()
                );
                e.mark(true, &why);
                errors.push(why);
            }
        }
    }
    if answered {
        Outcome::Unknown
    } else if errors.is_empty() {
        Outcome::Failed("no container runtime socket is present".into())
    } else {
        Outcome::Failed(errors.join("; "))
    }
}
