//! The test-file model: what [`crate::reader`] builds from a test file's YAML. Every value
//! a later stage may complain about keeps its [`Span`] in the test file.

use falcoc_compiler::priority::Priority;
use falcoc_lang::Span;
use serde_json::Value;

/// A value with the span of the YAML node it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is in the test file.
    pub span: Span,
}

/// One test file: the rule files to load and the cases to run against them.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The file name as given (diagnostics and reports use it).
    pub name: String,
    /// `rules`: rule files, relative to the test file's directory, loaded in order.
    pub rules: Vec<Spanned<String>>,
    /// `options`: `key=value` overrides of the shipped `falco.yaml` (as `-o`).
    pub options: Vec<Spanned<String>>,
    /// `plugins`: the plugin profile (as `--plugins`; default `auto`).
    pub plugins: Option<Spanned<String>>,
    /// `tests`: the cases, in file order.
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// `name`.
    pub name: String,
    /// The span of the case's mapping (reports point at its first line).
    pub span: Span,
    /// Its events.
    pub input: Input,
    /// `expect`: the alerts that must be raised.
    pub expect: Vec<Expect>,
    /// `no_alert`: rules that must stay silent.
    pub no_alert: Vec<Spanned<String>>,
    /// `dns`: what host names resolve to, for the `fd.*.name` fields (falcoc has no
    /// resolver: names are known only from such a table).
    pub dns: Vec<(String, Vec<std::net::IpAddr>)>,
}

/// The events of a case.
#[derive(Debug, Clone)]
pub enum Input {
    /// `events`: syscall events written in the test file.
    Events(Vec<EventSpec>),
    /// `capture`: a `.scap` file (plain or gzip), relative to the test file.
    Capture(Spanned<String>),
    /// `k8s_audit`: Kubernetes audit events.
    K8sAudit(K8sInput),
}

impl Input {
    /// The event source whose rules the case runs.
    pub fn source(&self) -> &'static str {
        match self {
            Input::K8sAudit(_) => "k8s_audit",
            _ => "syscall",
        }
    }
}

/// Where the audit events of a case come from.
#[derive(Debug, Clone)]
pub enum K8sInput {
    /// A JSON file (an `Event`, an `EventList` or one event per line), relative to the
    /// test file.
    File(Spanned<String>),
    /// Events written in the test file (YAML turned into JSON), one payload each.
    Inline(Vec<Spanned<Value>>),
}

/// One expected alert (or group of alerts) of a rule.
#[derive(Debug, Clone)]
pub struct Expect {
    /// `rule`.
    pub rule: Spanned<String>,
    /// `count`: exactly this many alerts (default: at least one).
    pub count: Option<u64>,
    /// `priority`.
    pub priority: Option<Priority>,
    /// `output_fields`: fields every alert of the rule must have with these values
    /// (a string matches a JSON string or the text of a number or boolean; `null`
    /// matches a missing value).
    pub output_fields: Vec<(String, Value)>,
}

/// A syscall event written by hand.
#[derive(Debug, Clone)]
pub struct EventSpec {
    /// The span of the event's mapping.
    pub span: Span,
    /// `process`: the thread that makes the call (and its ancestry).
    pub process: ProcessSpec,
    /// `evt.type` resolved to the newest libscap event of that name and direction.
    pub code: u16,
    /// `evt.type` as written.
    pub evt_type: String,
    /// `evt.dir`: `>` (enter only) or `<` (the default: the enter event, then the exit).
    pub enter_only: bool,
    /// `args` (and `res`): parameter overrides, by index in the event's parameters,
    /// already encoded.
    pub args: Vec<(usize, Vec<u8>)>,
    /// `fd`: an fd the thread holds before the call (the call's `fd` parameter
    /// defaults to it).
    pub fd: Option<FdSpec>,
}

/// A process (its main thread) as the state knows it before the events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessSpec {
    /// `pid` (default: assigned, the same for equal descriptions).
    pub pid: Option<i64>,
    /// `name` (`proc.name`, the kernel's comm).
    pub name: String,
    /// `exe` (`proc.exe`, `argv[0]`; default the name).
    pub exe: Option<String>,
    /// `exepath` (`proc.exepath`; default `/usr/bin/<name>`).
    pub exepath: Option<String>,
    /// `args` (`argv[1..]`).
    pub args: Vec<String>,
    /// `cwd` (default `/`).
    pub cwd: Option<String>,
    /// `env` (`KEY=value` strings).
    pub env: Vec<String>,
    /// `uid`.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `user`: the login name of `uid` (root for 0 by default).
    pub user: Option<String>,
    /// `loginuid` (default: unset, `-1`).
    pub loginuid: Option<i64>,
    /// `tty` (the encoded terminal device; 0: none).
    pub tty: u32,
    /// `sid`, `vpgid`: session and process group (default: unset).
    pub sid: Option<i64>,
    /// `parent`.
    pub parent: Option<Box<ProcessSpec>>,
    /// `container` (default: the host).
    pub container: Option<ContainerSpec>,
    /// `fds`: open fds.
    pub fds: Vec<FdSpec>,
}

/// A container a process runs in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerSpec {
    /// `id`: hex digits (12 are enough: the full id is padded with zeros).
    pub id: String,
    /// `name`.
    pub name: String,
    /// `image` (`repo:tag`).
    pub image: String,
    /// `privileged`.
    pub privileged: bool,
    /// `labels` (e.g. `io.kubernetes.pod.name` for `k8s.pod.name`).
    pub labels: Vec<(String, String)>,
    /// `ip`.
    pub ip: Option<String>,
}

/// An open fd.
#[derive(Debug, Clone, PartialEq)]
pub struct FdSpec {
    /// `num` (default 3).
    pub num: i64,
    /// What it is.
    pub kind: FdKind,
}

/// The kinds of fd a test can describe.
#[derive(Debug, Clone, PartialEq)]
pub enum FdKind {
    /// `type: file` with `name` and `flags` (PPM open flags).
    File {
        /// Path.
        name: String,
        /// `PPM_O_*` flags.
        flags: u32,
    },
    /// `type: directory`.
    Directory {
        /// Path.
        name: String,
    },
    /// `type: ipv4` with a `tuple` `sip:sport->dip:dport` (unconnected: all zero).
    Ipv4 {
        /// Source address.
        sip: std::net::Ipv4Addr,
        /// Source port.
        sport: u16,
        /// Destination address.
        dip: std::net::Ipv4Addr,
        /// Destination port.
        dport: u16,
        /// `scap_l4_proto`: 2 TCP, 3 UDP.
        proto: u8,
    },
    /// `type: unix` with `name`.
    Unix {
        /// Path.
        name: String,
    },
}
