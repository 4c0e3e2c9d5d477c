//! Alert delivery (outputs.md §3–§7): formatting and the output channels.
//!
//! * `falcoc_engine::Alert` — an alert ready for formatting; [`format_alert`] turns it into Falco's
//!   text line or JSON object ([`format`](mod@format) has the details,
//!   [`parse_json_alert`] reads Falco's JSON back).
//! * [`Outputs`] — the channels of a [`Config`]: file, stdout, syslog, program and http
//!   (in Falco's order). An alert is formatted **once** by [`Outputs::emit`] on the
//!   caller's thread, then offered to every channel.
//!
//! # Threads, queues and counters
//!
//! Each channel runs on its own thread behind its own bounded queue (Falco has one
//! worker thread for all channels; one thread per channel keeps a hung HTTP endpoint from
//! delaying the file or stdout). [`Outputs::emit`] never blocks: it uses `try_send`, and
//! when a channel's queue is full the alert is dropped **for that channel** and counted.
//! Per channel, [`ChannelStats`] counts the alerts `offered`, `sent`, `failed` (the
//! channel reported an error: connection refused, HTTP status other than 2xx, program
//! could not start or exited non-zero, …), `dropped` (queue full, or discarded after
//! [`Outputs::flush_and_close`] gave up on the channel), and `pending` (still queued or
//! being written), with `offered = sent + failed + dropped + pending`.
//!
//! The stdout channel, and the file and program channels with `keep_alive`, take up to
//! 256 queued alerts at a time and, unless `buffered_outputs`, flush once after the
//! last of them (one `write(2)` per burst rather than per alert); between bursts their
//! thread pauses 0.25 ms so that a stream of alerts never wakes it once per alert. The
//! alerts of a burst count as `pending` until written.
//!
//! The queue capacity is `outputs_queue.capacity`; 0 (Falco: unbounded) means
//! [`DEFAULT_QUEUE_CAPACITY`], and larger values are capped at [`MAX_QUEUE_CAPACITY`] (the
//! queue's memory is allocated up front).
//!
//! # Closing
//!
//! [`Outputs::flush_and_close`] closes the queues and lets each channel write what it
//! holds, but waits only for channels that are delivering. A channel is **given up**
//! ([`Abandoned`]) as soon as one of these holds:
//!
//! * it is **failing**: its last write failed (refused, timed out, answered other than
//!   2xx, program exited non-zero, …) — [`AbandonReason::Failing`];
//! * it is **stuck**: one alert has been in its hands for `output_timeout` or longer
//!   (a hung endpoint; the first request of a short run reaches this when it is
//!   `output_timeout` old) — [`AbandonReason::Stuck`];
//! * the wait given to `flush_and_close` is over — [`AbandonReason::Timeout`].
//!
//! A healthy channel (last write succeeded, current write younger than
//! `output_timeout`) gets the whole wait to drain. When a channel is given up, the alerts
//! still in its queue are counted as `dropped` at once; the alert being written, if
//! any, stays `pending` (its thread is left to finish or time out on its own).
//!
//! # Rate limit
//!
//! With `outputs.rate > 0` (Falco 0.26–0.36; removed in 0.37) rule alerts go through the
//! token bucket of `falcoc_engine::ratelimit` (one token per alert, wall clock); rejected alerts
//! are counted in [`OutputsStats::rate_limited`]. Internal alerts are never limited.
//!
//! ```
//! use falcoc_compiler::priority::Priority;
//! use falcoc_engine::Alert;
//! use falcoc_outputs::{format_alert, FormatOptions};
//!
//! let alert = Alert {
//!     rule: "Shell started".into(),
//!     priority: Priority::Warning,
//!     time_ns: 1_705_312_800_000_380_323,
//!     message: "shell started (user=root)".into(),
//!     output_fields: vec![("user.name".into(), "root".into())],
//!     tags: vec!["shell".into()],
//!     source: "syscall".into(),
//!     hostname: "example-host".into(),
//! };
//! let text = format_alert(&alert, &FormatOptions::default());
//! assert_eq!(text, "10:00:00.000380323: Warning shell started (user=root)");
//! let json = FormatOptions { json_output: true, ..FormatOptions::default() };
//! let line = format_alert(&alert, &json);
//! assert!(line.contains(r#""output_fields":{"evt.time":1705312800000380323,"user.name":"root"}"#));
//! assert!(line.contains(r#""time":"2024-01-15T10:00:00.000380323Z""#));
//! ```

#![warn(missing_docs)]

pub mod format;
mod http;
mod sinks;

pub use format::{
    format_alert, json_alert, parse_json_alert, text_line, FormatOptions, JsonLayout,
};
pub use sinks::{syslog_line, syslog_pri, LOG_USER};

use falcoc_compiler::priority::Priority;
use falcoc_config::Config;
use falcoc_engine::ratelimit::{Clock, SystemClock, TokenBucket};
use falcoc_engine::time::TimeZone;
use falcoc_engine::Alert;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Queue capacity per channel when `outputs_queue.capacity` is 0.
pub const DEFAULT_QUEUE_CAPACITY: usize = 65_536;
/// The largest queue capacity per channel.
pub const MAX_QUEUE_CAPACITY: usize = 1 << 20;

/// The most alerts a channel's thread takes from its queue at once ([`Sink::burst_max`]).
pub(crate) const BURST_MAX: usize = 256;
/// How long a channel's thread waits after a burst before it looks at its queue again:
/// while alerts keep coming, the emitting thread then never has to wake it (a `futex`
/// call per alert otherwise), at the cost of at most this much delay.
const BURST_PAUSE: Duration = Duration::from_micros(250);

/// Waits for the next message of `rx`, then takes those already queued behind it (up to
/// `max` in all) into `burst`. False when the queue is closed and empty.
fn take_burst(rx: &Receiver<Msg>, burst: &mut Vec<Msg>, max: usize) -> bool {
    let first = match rx.try_recv() {
        Ok(m) => m,
        Err(mpsc::TryRecvError::Empty) => match rx.recv() {
            Ok(m) => m,
            Err(_) => return false,
        },
        Err(mpsc::TryRecvError::Disconnected) => return false,
    };
    burst.push(first);
    while burst.len() < max {
        match rx.try_recv() {
            Ok(m) => burst.push(m),
            Err(_) => break,
        }
    }
    true
}

/// One output channel's writer, run on the channel's thread.
pub(crate) trait Sink: Send {
    /// Writes one formatted alert. `more`: another alert of the same burst follows at
    /// once, so an unbuffered sink may leave its flush to the burst's last alert.
    fn write(&mut self, msg: &str, priority: Priority, more: bool) -> Result<(), String>;
    /// How many queued alerts the channel's thread may take at once: more than 1 only
    /// for sinks whose writes are cheap and gain from one flush per burst.
    fn burst_max(&self) -> usize {
        1
    }
    /// Reopens files (SIGUSR1).
    fn reopen(&mut self) {}
    /// Flushes and releases resources at the end.
    fn close(&mut self) {}
}

enum Msg {
    Alert { text: Arc<str>, priority: Priority },
    Reopen,
}

#[derive(Default)]
struct Counters {
    offered: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    last_error: Mutex<Option<String>>,
    /// The last write failed.
    failing: AtomicBool,
    /// When the alert being written was taken (ns since the channel's `epoch`, plus 1);
    /// 0 when idle.
    busy_since: AtomicU64,
}

/// The counters of one channel (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStats {
    /// `file`, `stdout`, `syslog`, `program` or `http`.
    pub name: &'static str,
    /// Alerts given to the channel.
    pub offered: u64,
    /// Alerts written successfully.
    pub sent: u64,
    /// Alerts the channel failed to write.
    pub failed: u64,
    /// Alerts dropped: queue full, or discarded after the channel was abandoned.
    pub dropped: u64,
    /// Alerts queued or being written.
    pub pending: u64,
    /// The last error the channel reported.
    pub last_error: Option<String>,
}

/// Counters of all channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputsStats {
    /// Alerts passed to [`Outputs::emit`].
    pub emitted: u64,
    /// Rule alerts rejected by the `outputs.rate` token bucket.
    pub rate_limited: u64,
    /// Per channel, in Falco's order.
    pub channels: Vec<ChannelStats>,
}

impl OutputsStats {
    /// The stats of channel `name`.
    pub fn channel(&self, name: &str) -> Option<&ChannelStats> {
        self.channels.iter().find(|c| c.name == name)
    }
}

/// Why [`Outputs::flush_and_close`] gave up on a channel (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbandonReason {
    /// Its last write had failed.
    Failing,
    /// One alert had been in its hands for `output_timeout` or longer.
    Stuck,
    /// It was still delivering when the wait was over.
    Timeout,
}

/// A channel [`Outputs::flush_and_close`] gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abandoned {
    /// The channel's name.
    pub name: &'static str,
    /// Why.
    pub reason: AbandonReason,
    /// How many queued alerts were dropped when it was given up.
    pub discarded: u64,
}

/// What [`Outputs::flush_and_close`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReport {
    /// The counters at the end.
    pub stats: OutputsStats,
    /// The channels given up on, in Falco's channel order.
    pub abandoned: Vec<Abandoned>,
}

impl CloseReport {
    /// How channel `name` was given up on, if it was.
    pub fn abandoned(&self, name: &str) -> Option<&Abandoned> {
        self.abandoned.iter().find(|a| a.name == name)
    }
}

struct Channel {
    name: &'static str,
    tx: Option<SyncSender<Msg>>,
    /// Shared with the channel's thread, so that closing can empty the queue.
    rx: Arc<Mutex<Receiver<Msg>>>,
    counters: Arc<Counters>,
    abandon: Arc<AtomicBool>,
    epoch: Instant,
    done: Receiver<()>,
    handle: Option<JoinHandle<()>>,
}

/// Nanoseconds since `epoch`, plus 1 (so that 0 can mean "idle").
fn busy_mark(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos())
        .unwrap_or(u64::MAX - 1)
        .saturating_add(1)
}

impl Channel {
    fn start(
        name: &'static str,
        mut sink: Box<dyn Sink>,
        capacity: usize,
    ) -> std::io::Result<Channel> {
        let (tx, rx) = mpsc::sync_channel::<Msg>(capacity);
        let rx = Arc::new(Mutex::new(rx));
        let (done_tx, done) = mpsc::channel::<()>();
        let counters = Arc::new(Counters::default());
        let abandon = Arc::new(AtomicBool::new(false));
        let epoch = Instant::now();
        let (c, a, r) = (Arc::clone(&counters), Arc::clone(&abandon), Arc::clone(&rx));
        let handle = std::thread::Builder::new()
            .name(format!("falcoc-output-{name}"))
            .spawn(move || {
                let burst_max = sink.burst_max().clamp(1, BURST_MAX);
                let mut burst: Vec<Msg> = Vec::with_capacity(burst_max);
                loop {
                    // The lock is held only while taking messages; closing takes it
                    // between two bursts to empty the queue.
                    let taken = {
                        let rx = match r.lock() {
                            Ok(rx) => rx,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                        take_burst(&rx, &mut burst, burst_max)
                    };
                    if !taken {
                        break;
                    }
                    // The burst's last alert flushes (a reopen after it does not write).
                    let last = burst
                        .iter()
                        .rposition(|m| matches!(m, Msg::Alert { .. }))
                        .unwrap_or(0);
                    for (i, msg) in burst.drain(..).enumerate() {
                        match msg {
                            Msg::Alert { text, priority } => {
                                if a.load(Ordering::SeqCst) {
                                    c.dropped.fetch_add(1, Ordering::SeqCst);
                                    continue;
                                }
                                c.busy_since.store(busy_mark(epoch), Ordering::SeqCst);
                                let result = sink.write(&text, priority, i < last);
                                match result {
                                    Ok(()) => {
                                        c.failing.store(false, Ordering::SeqCst);
                                        c.sent.fetch_add(1, Ordering::SeqCst);
                                    }
                                    Err(e) => {
                                        if let Ok(mut l) = c.last_error.lock() {
                                            *l = Some(e);
                                        }
                                        c.failing.store(true, Ordering::SeqCst);
                                        c.failed.fetch_add(1, Ordering::SeqCst);
                                    }
                                }
                                c.busy_since.store(0, Ordering::SeqCst);
                            }
                            Msg::Reopen => sink.reopen(),
                        }
                    }
                    if burst_max > 1 {
                        // Let the next alerts gather instead of waking this thread for each.
                        std::thread::sleep(BURST_PAUSE);
                    }
                }
                if !a.load(Ordering::SeqCst) {
                    sink.close();
                }
                let _ = done_tx.send(());
            })?;
        Ok(Channel {
            name,
            tx: Some(tx),
            rx,
            counters,
            abandon,
            epoch,
            done,
            handle: Some(handle),
        })
    }

    /// Why the channel should be given up on now, if it should: its last write failed,
    /// or its current write is `stuck_after` old (`None`: never stuck).
    fn unhealthy(&self, stuck_after: Option<Duration>) -> Option<AbandonReason> {
        if self.counters.failing.load(Ordering::SeqCst) {
            return Some(AbandonReason::Failing);
        }
        let since = self.counters.busy_since.load(Ordering::SeqCst);
        let limit = stuck_after?;
        let limit = u64::try_from(limit.as_nanos()).unwrap_or(u64::MAX);
        (since != 0 && busy_mark(self.epoch).saturating_sub(since) >= limit)
            .then_some(AbandonReason::Stuck)
    }

    /// Gives up on the channel: later alerts its thread takes are dropped, and the queue
    /// is emptied now (its alerts counted as dropped). Returns how many were dropped.
    fn give_up(&mut self) -> u64 {
        self.abandon.store(true, Ordering::SeqCst);
        self.handle = None;
        let rx = match self.rx.lock() {
            Ok(rx) => rx,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut n = 0;
        while let Ok(msg) = rx.try_recv() {
            if let Msg::Alert { .. } = msg {
                self.counters.dropped.fetch_add(1, Ordering::SeqCst);
                n += 1;
            }
        }
        n
    }

    fn offer(&self, text: &Arc<str>, priority: Priority) {
        self.counters.offered.fetch_add(1, Ordering::SeqCst);
        let msg = Msg::Alert {
            text: Arc::clone(text),
            priority,
        };
        let ok = match &self.tx {
            Some(tx) => match tx.try_send(msg) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        };
        if !ok {
            self.counters.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn stats(&self) -> ChannelStats {
        let c = &self.counters;
        let sent = c.sent.load(Ordering::SeqCst);
        let failed = c.failed.load(Ordering::SeqCst);
        let dropped = c.dropped.load(Ordering::SeqCst);
        let offered = c.offered.load(Ordering::SeqCst);
        ChannelStats {
            name: self.name,
            offered,
            sent,
            failed,
            dropped,
            pending: offered.saturating_sub(sent + failed + dropped),
            last_error: c.last_error.lock().ok().and_then(|l| l.clone()),
        }
    }
}

/// Settings of [`Outputs`] that are not in `falco.yaml`.
pub struct OutputsOptions {
    /// The time zone of the text prefix and of syslog time stamps (UTC by default).
    pub timezone: TimeZone,
    /// Where `stdout_output` writes (the process's stdout by default).
    pub stdout: Option<Box<dyn Write + Send>>,
    /// The syslog socket (`/dev/log`).
    pub syslog_socket: PathBuf,
    /// The syslog tag (`falco`, the program name glibc uses for Falco).
    pub syslog_tag: String,
    /// Overrides the per-channel queue capacity of the configuration.
    pub queue_capacity: Option<usize>,
    /// The clock of the `outputs.rate` bucket (the wall clock by default).
    pub clock: Arc<dyn Clock + Send + Sync>,
}

impl Default for OutputsOptions {
    fn default() -> OutputsOptions {
        OutputsOptions {
            timezone: TimeZone::UTC,
            stdout: None,
            syslog_socket: PathBuf::from("/dev/log"),
            syslog_tag: "falco".to_string(),
            queue_capacity: None,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Why [`Outputs::new`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputsError {
    /// No channel is enabled (or every enabled channel failed to start).
    NoOutput,
}

impl std::fmt::Display for OutputsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputsError::NoOutput => f.write_str(
                "No output configured, please make sure at least one output is configured and enabled.",
            ),
        }
    }
}

impl std::error::Error for OutputsError {}

/// The output channels of a configuration.
pub struct Outputs {
    format: FormatOptions,
    channels: Vec<Channel>,
    bucket: Option<Mutex<TokenBucket<Arc<dyn Clock + Send + Sync>>>>,
    emitted: AtomicU64,
    rate_limited: AtomicU64,
    /// `output_timeout`: how long dropping an [`Outputs`] waits for its channels, and how
    /// long one write may take before the channel counts as stuck at close (0: never).
    close_timeout: Duration,
}

impl Outputs {
    /// Starts the enabled channels of `config`. A channel that cannot start (e.g. an
    /// unusable URL or TLS file) is skipped with a warning, as Falco logs and skips it; if no
    /// channel runs, [`OutputsError::NoOutput`] (Falco refuses to start).
    pub fn new(
        config: &Config,
        mut options: OutputsOptions,
    ) -> Result<(Outputs, Vec<String>), OutputsError> {
        let capacity = match options.queue_capacity {
            Some(c) => c,
            None => match config.outputs_queue.capacity {
                0 => DEFAULT_QUEUE_CAPACITY,
                c => usize::try_from(c).unwrap_or(MAX_QUEUE_CAPACITY),
            },
        }
        .clamp(1, MAX_QUEUE_CAPACITY);
        let buffered = config.buffered_outputs;
        let mut warnings = Vec::new();
        let mut sinks: Vec<(&'static str, Box<dyn Sink>)> = Vec::new();
        if config.file_output.enabled {
            sinks.push((
                "file",
                Box::new(sinks::FileSink {
                    path: PathBuf::from(&config.file_output.filename),
                    keep_alive: config.file_output.keep_alive,
                    buffered,
                    file: None,
                }),
            ));
        }
        if config.stdout_output.enabled {
            let out: Box<dyn Write + Send> = options
                .stdout
                .take()
                .unwrap_or_else(|| Box::new(std::io::stdout()));
            sinks.push(("stdout", Box::new(sinks::StdoutSink::new(out, buffered))));
        }
        if config.syslog_output.enabled {
            sinks.push((
                "syslog",
                Box::new(sinks::SyslogSink {
                    socket_path: options.syslog_socket.clone(),
                    tag: options.syslog_tag.clone(),
                    timezone: options.timezone,
                    socket: None,
                }),
            ));
        }
        if config.program_output.enabled {
            sinks.push((
                "program",
                Box::new(sinks::ProgramSink {
                    program: config.program_output.program.clone(),
                    keep_alive: config.program_output.keep_alive,
                    buffered,
                    child: None,
                }),
            ));
        }
        if config.http_output.enabled {
            let timeout = match config.output_timeout {
                0 => None,
                ms => Some(Duration::from_millis(u64::from(ms))),
            };
            match http::HttpSink::new(&config.http_output, config.json_output, timeout) {
                Ok(sink) => sinks.push(("http", Box::new(sink))),
                Err(e) => warnings.push(format!("{e}; the http output is disabled")),
            }
        }
        let mut channels = Vec::new();
        for (name, sink) in sinks {
            match Channel::start(name, sink, capacity) {
                Ok(c) => channels.push(c),
                Err(e) => warnings.push(format!("could not start the {name} output: {e}")),
            }
        }
        if channels.is_empty() {
            return Err(OutputsError::NoOutput);
        }
        let bucket = (config.outputs.rate > 0).then(|| {
            Mutex::new(TokenBucket::new(
                Arc::clone(&options.clock),
                f64::from(config.outputs.rate),
                f64::from(config.outputs.max_burst),
                0,
            ))
        });
        Ok((
            Outputs {
                format: FormatOptions::from_config(config, options.timezone),
                channels,
                bucket,
                emitted: AtomicU64::new(0),
                rate_limited: AtomicU64::new(0),
                close_timeout: Duration::from_millis(u64::from(config.output_timeout)),
            },
            warnings,
        ))
    }

    /// The formatting options in use.
    pub fn format_options(&self) -> &FormatOptions {
        &self.format
    }

    /// Formats `alert` and offers it to every channel; never blocks (see the module docs).
    pub fn emit(&self, alert: &Alert) {
        self.emitted.fetch_add(1, Ordering::SeqCst);
        if !alert.is_internal() {
            if let Some(b) = &self.bucket {
                let ok = b.lock().map(|mut b| b.claim()).unwrap_or(true);
                if !ok {
                    self.rate_limited.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
        }
        let text: Arc<str> = format_alert(alert, &self.format).into();
        for c in &self.channels {
            c.offer(&text, alert.priority);
        }
    }

    /// Asks the channels to reopen their files (Falco's SIGUSR1); non-blocking.
    pub fn reopen(&self) {
        for c in &self.channels {
            if let Some(tx) = &c.tx {
                let _ = tx.try_send(Msg::Reopen);
            }
        }
    }

    /// The counters now.
    pub fn stats(&self) -> OutputsStats {
        OutputsStats {
            emitted: self.emitted.load(Ordering::SeqCst),
            rate_limited: self.rate_limited.load(Ordering::SeqCst),
            channels: self.channels.iter().map(Channel::stats).collect(),
        }
    }

    /// Closes the queues and waits up to `timeout` for the channels to write what they
    /// hold, giving up at once on channels that are failing or stuck (see the module
    /// docs); the others are given up when `timeout` is over. Later [`Outputs::emit`]
    /// calls count their alerts as dropped.
    pub fn flush_and_close(&mut self, timeout: Duration) -> CloseReport {
        for c in &mut self.channels {
            c.tx = None;
        }
        let stuck_after = (!self.close_timeout.is_zero()).then_some(self.close_timeout);
        let deadline = Instant::now() + timeout;
        let mut open: Vec<usize> = (0..self.channels.len()).collect();
        let mut abandoned = Vec::new();
        while !open.is_empty() {
            let now = Instant::now();
            open.retain(|&i| {
                let c = &mut self.channels[i];
                match c.done.try_recv() {
                    Ok(()) | Err(mpsc::TryRecvError::Disconnected) => {
                        if let Some(h) = c.handle.take() {
                            let _ = h.join();
                        }
                        return false;
                    }
                    Err(mpsc::TryRecvError::Empty) => {}
                }
                let reason = c
                    .unhealthy(stuck_after)
                    .or_else(|| (now >= deadline).then_some(AbandonReason::Timeout));
                match reason {
                    Some(reason) => {
                        let discarded = c.give_up();
                        abandoned.push((
                            i,
                            Abandoned {
                                name: c.name,
                                reason,
                                discarded,
                            },
                        ));
                        false
                    }
                    None => true,
                }
            });
            if let Some(&first) = open.first() {
                // Wake up when a channel finishes, or after a short slice to look at the
                // health of the others again.
                let slice = deadline
                    .saturating_duration_since(Instant::now())
                    .min(CLOSE_POLL);
                if let Ok(()) = self.channels[first].done.recv_timeout(slice) {
                    if let Some(h) = self.channels[first].handle.take() {
                        let _ = h.join();
                    }
                    open.remove(0);
                }
            }
        }
        abandoned.sort_by_key(|(i, _)| *i);
        CloseReport {
            stats: self.stats(),
            abandoned: abandoned.into_iter().map(|(_, a)| a).collect(),
        }
    }
}

/// How often [`Outputs::flush_and_close`] looks at the channels' health while waiting.
const CLOSE_POLL: Duration = Duration::from_millis(5);

/// Dropping [`Outputs`] without [`Outputs::flush_and_close`] closes it, waiting up to
/// `output_timeout` (2 s when it is 0).
impl Drop for Outputs {
    fn drop(&mut self) {
        if self.channels.iter().any(|c| c.tx.is_some()) {
            let wait = match self.close_timeout {
                t if t.is_zero() => Duration::from_secs(2),
                t => t,
            };
            let _ = self.flush_and_close(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(text: &str) -> Msg {
        Msg::Alert {
            text: Arc::from(text),
            priority: Priority::Warning,
        }
    }

    fn texts(burst: &[Msg]) -> Vec<&str> {
        burst
            .iter()
            .map(|m| match m {
                Msg::Alert { text, .. } => &**text,
                Msg::Reopen => "reopen",
            })
            .collect()
    }

    #[test]
    fn a_burst_takes_what_is_queued_up_to_its_limit_in_order() {
        let (tx, rx) = mpsc::sync_channel::<Msg>(16);
        for t in ["a", "b", "c", "d", "e"] {
            assert!(tx.try_send(alert(t)).is_ok());
        }
        let mut burst = Vec::new();
        assert!(take_burst(&rx, &mut burst, 3));
        assert_eq!(texts(&burst), ["a", "b", "c"]);
        burst.clear();
        assert!(take_burst(&rx, &mut burst, 3));
        assert_eq!(texts(&burst), ["d", "e"]);
        burst.clear();
        drop(tx);
        assert!(!take_burst(&rx, &mut burst, 3));
        assert!(burst.is_empty());
    }
}
