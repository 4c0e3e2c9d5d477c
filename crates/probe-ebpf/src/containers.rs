//! Container metadata in the live event stream: a container is seen when an event's
//! `cgroups` parameter (clone and execve exits) or a thread of the `/proc` scan names a
//! container id not seen before; its metadata is then asked of the runtimes
//! ([`MetadataSource`]) and becomes a libscap container JSON event (code 324) placed
//! *before* that event — what libsinsp's container engines emit, what a capture stores,
//! and what the state turns into the `container.*`/`k8s.*` fields. A lookup that takes
//! longer than the bounded wait lets the event go on without metadata; its container
//! event follows when the answer comes ([`Containers::late`]).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use falcoc_container::cgroup::{self, Layout};
use falcoc_container::meta::failed_event_json;
use falcoc_container::{Answer, Config, MetadataSource, Outcome, Stats};
use falcoc_scap::{Event, EventRef, Metadata};
use falcoc_state::State;

/// `PPME_CONTAINER_JSON_2_E`: the container JSON event with a 32-bit length.
pub const CONTAINER_JSON_2_E: u16 = 324;

/// A container is forgotten once no thread of the state belongs to it for this long.
pub const EVICT_AFTER: Duration = Duration::from_secs(30);

/// One container seen.
#[derive(Debug)]
struct Seen {
    full_id: String,
    /// When it was seen first, or last found to have a thread.
    alive: Instant,
}

/// The containers of the live stream. See the [module documentation](self).
#[derive(Debug)]
pub struct Containers {
    source: MetadataSource,
    /// By event code: the index of its `cgroups` parameter.
    cgroups_param: Vec<Option<u8>>,
    /// Seen containers by short id.
    seen: HashMap<String, Seen>,
    /// The time of the last event seen (for the container events made late).
    last_ts: u64,
    evicted: u64,
}

impl Containers {
    /// Starts the metadata source for `config`.
    pub fn start(config: Config) -> std::io::Result<Containers> {
        let cgroups_param = falcoc_schema::events::events()
            .iter()
            .map(|e| {
                e.params
                    .iter()
                    .position(|p| p.name == "cgroups")
                    .and_then(|i| u8::try_from(i).ok())
            })
            .collect();
        Ok(Containers {
            source: MetadataSource::start(config)?,
            cgroups_param,
            seen: HashMap::new(),
            last_ts: 0,
            evicted: 0,
        })
    }

    /// The containers of the `/proc` scan: every lookup is started, then waited for
    /// together within one bounded wait; their events go to `out` (to be processed
    /// before the first event).
    pub fn at_start(&mut self, meta: &Metadata, ts: u64, out: &mut Vec<Event>) {
        self.last_ts = ts;
        let mut new = Vec::new();
        for p in &meta.processes {
            let pairs: Vec<(String, String)> = p
                .cgroups
                .iter()
                .filter_map(|c| c.split_once('='))
                .map(|(s, path)| (s.to_string(), path.to_string()))
                .collect();
            if let Some((full, layout)) = cgroup::container_of_cgroups(&pairs) {
                if self.see(&full, layout) {
                    new.push(full);
                }
            }
        }
        let deadline = Instant::now() + self.source.bounded_wait();
        for full in new {
            if let Some(a) = self.source.wait_until(&full, deadline) {
                push_answer(&a, ts, out);
            }
        }
    }

    /// Before `evt` is processed: the events of the containers its cgroups name for the
    /// first time (after the bounded wait for each).
    #[inline]
    pub fn before(&mut self, evt: &EventRef<'_>, out: &mut Vec<Event>) {
        self.last_ts = evt.ts;
        let Some(Some(i)) = self.cgroups_param.get(evt.code as usize) else {
            return;
        };
        let Some(raw) = evt.raw_param(*i as usize) else {
            return;
        };
        let Some((full, layout)) = container_of_raw_cgroups(raw) else {
            return;
        };
        if self.seen.contains_key(cgroup_short(full)) {
            return;
        }
        let full = full.to_string();
        self.see(&full, layout);
        if let Some(a) = self.source.wait(&full) {
            push_answer(&a, evt.ts, out);
        }
    }

    /// Records a container; true if it is new (its lookup started).
    fn see(&mut self, full: &str, layout: Layout) -> bool {
        let short = cgroup_short(full);
        if self.seen.contains_key(short) {
            return false;
        }
        self.seen.insert(
            short.to_string(),
            Seen {
                full_id: full.to_string(),
                alive: Instant::now(),
            },
        );
        self.source.request(full, layout)
    }

    /// The events of answers that came after their bounded wait (never blocks).
    pub fn late(&mut self, out: &mut Vec<Event>) {
        for a in self.source.drain() {
            push_answer(&a, self.last_ts, out);
        }
    }

    /// Forgets the containers that no thread of `state` has belonged to for
    /// [`EVICT_AFTER`], and removes them from the state's table (a container with the
    /// same id later is looked up again); returns how many. Call it now and then (every
    /// few seconds).
    pub fn sweep(&mut self, state: &mut State) -> usize {
        let now = Instant::now();
        let live: HashSet<&str> = state
            .threads()
            .map(|t| t.container_id.as_str())
            .filter(|c| !c.is_empty())
            .collect();
        let mut gone = Vec::new();
        for (short, s) in &mut self.seen {
            if live.contains(short.as_str()) {
                s.alive = now;
            } else if now.duration_since(s.alive) >= EVICT_AFTER
                && !self.source.is_pending(&s.full_id)
            {
                gone.push(short.clone());
            }
        }
        for short in &gone {
            if let Some(s) = self.seen.remove(short) {
                self.source.forget(&s.full_id);
            }
            state.remove_container(short);
        }
        self.evicted += gone.len() as u64;
        gone.len()
    }

    /// The lookup counters.
    pub fn stats(&self) -> Stats {
        self.source.stats()
    }

    /// Containers known now, and evicted so far.
    pub fn counts(&self) -> (usize, u64) {
        (self.seen.len(), self.evicted)
    }
}

fn cgroup_short(full: &str) -> &str {
    full.get(..12).unwrap_or(full)
}

/// The container of a `cgroups` parameter (NUL-separated `subsystem=path` items).
fn container_of_raw_cgroups(raw: &[u8]) -> Option<(&str, Layout)> {
    raw.split(|b| *b == 0)
        .filter_map(|item| std::str::from_utf8(item).ok())
        .filter_map(|item| item.split_once('=').map(|(_, p)| p))
        .find_map(cgroup::container_of_path)
}

/// The container JSON event of an answer: the metadata found, else a failed lookup.
fn push_answer(a: &Answer, ts: u64, out: &mut Vec<Event>) {
    let json = match &a.outcome {
        Outcome::Found(m) => m.to_event_json(),
        Outcome::Unknown | Outcome::Failed(_) => failed_event_json(&a.full_id, a.layout_engine),
    };
    if let Some(e) = container_event(&json, ts) {
        out.push(e);
    }
}

/// A container JSON event (code 324) carrying `json`.
pub fn container_event(json: &str, ts: u64) -> Option<Event> {
    let mut payload = Vec::with_capacity(json.len() + 1);
    payload.extend_from_slice(json.as_bytes());
    payload.push(0);
    Event::from_params(CONTAINER_JSON_2_E, 0, ts, -1, &[&payload])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_cgroups() {
        let id = "ab".repeat(32);
        let raw = format!("cpuset=/\0cpu=/kubepods/besteffort/pod1/{id}\0memory=/x\0");
        assert_eq!(
            container_of_raw_cgroups(raw.as_bytes()),
            Some((id.as_str(), Layout::Plain))
        );
        assert_eq!(container_of_raw_cgroups(b"cpu=/\0memory=/user.slice"), None);
        assert_eq!(container_of_raw_cgroups(b""), None);
    }

    #[test]
    fn gone_containers_are_evicted() {
        use falcoc_container::config::{Api, Socket};
        use falcoc_state::StateOptions;
        let mut c = Containers::start(Config {
            sockets: vec![Socket {
                api: Api::Cri,
                path: "/nonexistent/falcoc/cri.sock".into(),
            }],
            ..Config::default()
        })
        .expect("source");
        let full = "ab".repeat(32);
        assert!(c.see(&full, Layout::Plain));
        let mut events = Vec::new();
        let answer = c
            .source
            .wait(&full)
            .expect("an absent socket answers at once");
        push_answer(&answer, 1, &mut events);
        let mut state = State::new(StateOptions::default());
        for e in &events {
            state.process(&e.as_event_ref());
        }
        assert!(state.container("abababababab").is_some());
        // Seen recently: kept even without threads.
        assert_eq!(c.sweep(&mut state), 0);
        // No thread for longer than the bound: forgotten and removed.
        if let Some(s) = c.seen.get_mut("abababababab") {
            s.alive = Instant::now()
                .checked_sub(EVICT_AFTER + Duration::from_secs(1))
                .expect("uptime");
        }
        assert_eq!(c.sweep(&mut state), 1);
        assert!(state.container("abababababab").is_none());
        assert_eq!(c.counts(), (0, 1));
        assert!(
            c.see(&full, Layout::Plain),
            "asked again once it comes back"
        );
    }

    #[test]
    fn container_events_carry_the_json() {
        let e = container_event(r#"{"container":{"id":"abc"}}"#, 7).expect("event");
        let r = e.as_event_ref();
        assert_eq!((r.code, r.ts, r.tid), (CONTAINER_JSON_2_E, 7, -1));
        assert_eq!(
            r.raw_param(0),
            Some(&b"{\"container\":{\"id\":\"abc\"}}\0"[..])
        );
    }
}
