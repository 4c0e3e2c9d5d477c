//! Field extraction over the current event and the [`State`]: the [`FieldSource`] of the
//! condition VM, and the display and JSON renderings of fields used by `-p` formats and
//! alert outputs.
//!
//! Every syscall-source field of the compiler's registry resolves to a [`Field`]; the
//! values follow libsinsp's filterchecks (libs e5c53d64 for the fields sysdig 0.29 has,
//! newer libs for the others, the container plugin 0.4.1 for `container.*`/`k8s.*`):
//!
//! * `evt.*`: number, times, type and direction, category, arguments as text
//!   (`evt.arg.NAME`, `evt.arg[N]`, `evt.args`, resolved fds, errno and flag names) and
//!   raw (`evt.rawarg.NAME`), return value, `evt.is_open_*`, buffers, counters;
//! * `proc.*`/`thread.*`: identity, program, arguments, environment, working directory,
//!   parent and ancestors (indexed, or every ancestor for unindexed fields in conditions:
//!   [`FieldMode::Ancestors`]), session, tty, namespaces, cgroups, capabilities;
//! * `user.*`/`group.*` from the capture's user list;
//! * `fd.*`: number, type, name, directory, both endpoints with client/server and
//!   local/remote roles ([`FieldMode::Endpoints`] for the role-less fields), protocol,
//!   and libsinsp's fallback names of failed opens/accepts/connects;
//! * `fs.path.*`, `container.*`, `k8s.pod.*`/`k8s.ns.name` (from container labels).
//!
//! Missing values follow conditions.md §13: `false` from [`FieldSource::extract`],
//! `None` from [`Extractor::display`] (`<NA>` in text), `null` in JSON.

mod container_fields;
mod evt_fields;
mod fd_fields;
mod field;
mod proc_fields;
pub mod render;

pub use field::{Anc, AncOf, Field};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use falcoc_codegen::{FieldDesc, FieldId, FieldMode, Tables, ValueRef};
use falcoc_compiler::ir::{Operand, OperandKind};
use falcoc_schema::fields::{FieldArg, FieldType, PrintFormat, ResolvedField};
use serde_json::Value;

use falcoc_engine::time::{time_text, TimeZone};
use falcoc_engine::values::{json_values, render_values};
use falcoc_engine::vm::{transform, FieldSource, Values};
use falcoc_engine::EventFields;
use falcoc_scap::{EventRef, FdType};
use falcoc_state::evtable::{
    self, EC_IO_BASE, EC_MEMORY, EF_CREATES_FD, EF_READS_FROM_FD, EF_USES_FD, EF_WAITS,
    EF_WRITES_TO_FD,
};
use falcoc_state::fd;
pub use falcoc_state::LibsVersion;
use falcoc_state::{Category, State, Thread, ThreadRef};

use render::{ParamText, RenderOptions};

/// Settings of the extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractOptions {
    /// The libsinsp whose filterchecks extraction follows where versions differ (see
    /// [`LibsVersion`]).
    pub libs: LibsVersion,
    /// The zone of `evt.time`, `evt.datetime` (libsinsp: the local time).
    pub timezone: TimeZone,
    /// Buffer rendering.
    pub render: RenderOptions,
}

impl Default for ExtractOptions {
    fn default() -> ExtractOptions {
        ExtractOptions {
            libs: LibsVersion::Sysdig2022,
            timezone: TimeZone::UTC,
            render: RenderOptions::default(),
        }
    }
}

/// The fields of a rule set's [`Tables`], resolved once.
#[derive(Debug, Clone, Default)]
pub struct FieldPlan {
    fields: Vec<Field>,
}

impl FieldPlan {
    /// Resolves every field of `tables`.
    pub fn new(tables: &Tables) -> FieldPlan {
        FieldPlan {
            fields: tables
                .fields
                .iter()
                .map(|d| Field::resolve(&d.field, d.mode))
                .collect(),
        }
    }

    /// The field with id `id`.
    pub fn get(&self, id: FieldId) -> Option<&Field> {
        self.fields.get(id.0 as usize)
    }
}

/// Field extraction for one event: implements [`FieldSource`] for the VM and renders
/// fields as text ([`display`](Self::display)) and JSON ([`json`](Self::json)).
pub struct Extractor<'a, 'e> {
    state: &'a mut State,
    evt: &'a EventRef<'e>,
    plan: Option<&'a FieldPlan>,
    opts: ExtractOptions,
    scratch: Values,
    /// A parameter-text buffer that outlives the event (see [`Extractor::with_text`]).
    text: Option<&'a mut ParamText>,
    /// The event's fd as the `fd.*` fields find it: resolved on the first of them (the
    /// state does not change while an event's fields are extracted).
    fd_slot: Option<Option<FdSlot>>,
}

/// Where the `fd.*` fields of an event find its fd.
#[derive(Clone, Copy, Debug)]
struct FdSlot {
    /// The event's thread.
    tid: i64,
    /// The fd number and the thread whose table holds it, when the table has it.
    found: Option<(i64, i64)>,
    /// [`Extractor::fd_param_022`] of the event.
    last: Option<i64>,
}

impl std::fmt::Debug for Extractor<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("event", &self.evt.num)
            .finish_non_exhaustive()
    }
}

impl<'a, 'e> Extractor<'a, 'e> {
    /// An extractor for `evt`, which [`State::process`] has just processed.
    pub fn new(state: &'a mut State, evt: &'a EventRef<'e>, opts: ExtractOptions) -> Self {
        Extractor {
            state,
            evt,
            plan: None,
            opts,
            scratch: Values::new(),
            text: None,
            fd_slot: None,
        }
    }

    /// Renders parameters as text into `buf` (reused from event to event, so paths and
    /// error codes read by the rules allocate nothing once it has grown).
    pub fn with_text(mut self, buf: &'a mut ParamText) -> Self {
        self.text = Some(buf);
        self
    }

    /// Uses the pre-resolved fields of a rule set (faster [`FieldSource::extract`]).
    pub fn with_plan(mut self, plan: &'a FieldPlan) -> Self {
        self.plan = Some(plan);
        self
    }

    /// The state.
    pub fn state(&mut self) -> &mut State {
        self.state
    }

    /// The event.
    pub fn event(&self) -> &EventRef<'e> {
        self.evt
    }

    fn desc(&self) -> Option<&'static evtable::EventDesc> {
        evtable::event(self.evt.code)
    }

    fn eflags(&self) -> u32 {
        let flags = self.desc().map_or(0, |d| d.flags);
        if self.fd_param_022().is_some() {
            flags | EF_USES_FD
        } else {
            flags
        }
    }

    /// libs 0.22 ([`LibsVersion::Falco042`]): the fd parameter of an exit event the 0.22
    /// table flags `EF_USES_FD` and the 2022 table does not (`unlinkat`'s dirfd…), when
    /// the event carries it. Such an event's fd is that one (`m_lastevent_fd`).
    fn fd_param_022(&self) -> Option<i64> {
        if self.opts.libs != LibsVersion::Falco042 {
            return None;
        }
        let i = evtable::fd_location_022(self.evt.code)?;
        let p = falcoc_schema::events::event(self.evt.code)?.params.get(i)?;
        if p.ty != FieldType::Fd {
            return None;
        }
        let raw = self.evt.param(i)?.raw();
        (raw.len() == 8).then(|| falcoc_state::parse_int(raw))
    }

    fn is_exit(&self) -> bool {
        self.desc()
            .is_some_and(|d| d.direction == falcoc_schema::events::Direction::Exit)
    }

    fn thread_ref(&self) -> Option<ThreadRef> {
        self.state.event_thread_ref(self.evt.tid)
    }

    fn thread(&self) -> Option<&Thread> {
        self.state.thread_of(self.thread_ref()?)
    }

    /// The main thread of the event's thread (libsinsp `get_main_thread`).
    fn main_ref(&mut self) -> Option<ThreadRef> {
        match self.thread_ref()? {
            ThreadRef::ContainerEvent => Some(ThreadRef::ContainerEvent),
            ThreadRef::Table(tid) => self.state.main_thread(tid).map(ThreadRef::Table),
        }
    }

    fn th(&self, r: ThreadRef) -> Option<&Thread> {
        self.state.thread_of(r)
    }

    /// The parent (by ptid) of a thread, if in the table.
    fn parent_of(&self, r: ThreadRef) -> Option<ThreadRef> {
        let p = self.th(r)?.ptid;
        self.state.thread(p).map(|_| ThreadRef::Table(p))
    }

    /// The parent of the event's thread itself (`proc.pname` uses the thread's ptid).
    fn parent(&self) -> Option<&Thread> {
        let p = self.thread()?.ptid;
        self.state.thread(p)
    }

    /// `get_param_value_raw(name)` on the 2022 parameter names.
    fn param_by_name(&self, name: &str) -> Option<&'a [u8]> {
        let i = self.desc()?.param_index(name)?;
        self.evt.param(i).map(|p| p.raw())
    }

    /// `f` of parameter `i` as text (see [`render::param_text`]); `None` if the event
    /// has no such parameter.
    fn with_param_text<R>(&mut self, i: usize, f: impl FnOnce(&ParamText) -> R) -> Option<R> {
        let opts = self.opts.render;
        self.with_text_buffer(|state, evt, buf| {
            render::param_text_into(state, evt, i, &opts, buf).then(|| f(buf))
        })
    }

    /// `f` with the state, the event and the text buffer of [`with_text`](Self::with_text)
    /// (a new one without it).
    fn with_text_buffer<R>(
        &mut self,
        f: impl FnOnce(&mut State, &EventRef<'e>, &mut ParamText) -> R,
    ) -> R {
        match self.text.take() {
            Some(buf) => {
                let r = f(self.state, self.evt, buf);
                self.text = Some(buf);
                r
            }
            None => f(self.state, self.evt, &mut ParamText::default()),
        }
    }

    /// `extract_fd`: the thread and fd of an fd event (the fd may be unknown).
    fn fd_ctx(&mut self) -> Option<(i64, Option<i64>)> {
        if self.eflags() & (EF_CREATES_FD | EF_USES_FD | evtable::EF_DESTROYS_FD) == 0 {
            return None;
        }
        let ThreadRef::Table(tid) = self.thread_ref()? else {
            return None;
        };
        let mut fdn = self.state.current().fd;
        if let Some(l) = self.fd_param_022().filter(|_| fdn.is_none()) {
            self.state.thread(tid)?;
            return Some((tid, self.state.fd(tid, l).map(|_| l)));
        }
        if fdn.is_none() {
            let l = self.state.thread(tid)?.lastevent_fd;
            if l != -1 && self.state.fd(tid, l).is_some() {
                fdn = Some(l);
            }
        }
        Some((tid, fdn))
    }

    /// The event's [`FdSlot`] (`None` for an event without an fd or a table thread),
    /// resolved once per event.
    fn fd_slot(&mut self) -> Option<FdSlot> {
        if let Some(slot) = self.fd_slot {
            return slot;
        }
        let slot = self.fd_ctx().map(|(tid, fdn)| {
            let found = fdn.and_then(|n| {
                let owner = self.state.fd_table_owner(tid)?;
                self.state.fd_in_table_of(owner, n).map(|_| (n, owner))
            });
            FdSlot {
                tid,
                found,
                last: self.fd_param_022(),
            }
        });
        self.fd_slot = Some(slot);
        slot
    }

    /// `extract_fdname_from_creator`: the name of a failed fd-creating exit event.
    /// `f` of it, `None` when there is none.
    fn fdname_from_creator<R>(&mut self, f: impl FnOnce(&str) -> R) -> Option<R> {
        if !self.is_exit() {
            return None;
        }
        match self.evt.code {
            3 | 27 | 247 | 57 | 249 | 59 | 23 => self.with_param_text(1, |t| f(t.best_str())),
            103 => None,
            307 | 327 => self.with_text_buffer(|state, evt, buf| {
                state
                    .openat_failed_path_into(evt, &mut buf.raw)
                    .then(|| f(&buf.raw))
            }),
            _ => Some(f("")),
        }
    }

    fn is_local_v4(&self, a: [u8; 4]) -> bool {
        self.state.is_local_v4(a, self.thread())
    }

    fn is_local_v6(&self, a: [u8; 16]) -> bool {
        self.state.is_local_v6(a, self.thread())
    }

    /// Extracts `field` into `out`. `display`: the rendering for outputs (unindexed
    /// ancestors missing, buffers as text).
    pub fn get(&mut self, field: &Field, display: bool, out: &mut Values) -> bool {
        use Field as F;
        let evt = self.evt;
        let ts = evt.ts;
        match field {
            F::EvtNum => out.push_u64(evt.num),
            F::EvtTime => out.push_str(&time_text(ts, self.opts.timezone, false, true)),
            F::EvtTimeS => out.push_str(&time_text(ts, self.opts.timezone, false, false)),
            F::EvtDatetime => out.push_str(&time_text(ts, self.opts.timezone, true, true)),
            F::EvtDatetimeS => out.push_str(&time_text(ts, self.opts.timezone, true, false)),
            F::EvtTimeIso8601 => out.push_str(&falcoc_engine::time::iso8601_time(ts)),
            F::EvtRawTime => out.push_u64(ts),
            F::EvtRawTimeS => out.push_u64(ts / 1_000_000_000),
            F::EvtRawTimeNs => out.push_u64(ts % 1_000_000_000),
            F::EvtRelTime | F::EvtRelTimeS | F::EvtRelTimeNs => {
                let rel = ts.wrapping_sub(self.state.first_event_ts());
                out.push_u64(match field {
                    F::EvtRelTime => rel,
                    F::EvtRelTimeS => rel / 1_000_000_000,
                    _ => rel % 1_000_000_000,
                });
            }
            F::EvtSource => out.push_str("syscall"),
            F::EvtIsAsync => out.push_bool(false),
            F::EvtHostname => match self.state.machine() {
                Some(m) => out.push_str(&m.hostname),
                None => return false,
            },
            F::EvtLatency(part) => {
                let internal = self
                    .desc()
                    .is_some_and(|d| d.category & evtable::EC_INTERNAL != 0);
                let lat = match self.thread() {
                    Some(_) if internal => return false,
                    Some(t) => t.latency,
                    None => 0,
                };
                out.push_u64(match part {
                    0 => lat,
                    1 => lat / 1_000_000_000,
                    _ => lat % 1_000_000_000,
                });
            }
            F::EvtLatencyHuman => {
                let lat = self.thread().map_or(0, |t| t.latency);
                out.push_str(&human_time(lat));
            }
            F::EvtDeltaTime(_) => out.push_u64(0),
            F::EvtDir => out.push_str(if self.is_exit() { "<" } else { ">" }),
            F::EvtType => out.push_str(self.type_name()),
            F::EvtTypeIs(id, by_name) => {
                let code = evt.code as u32;
                let is = code == *id || (*by_name && code == id + 1);
                out.push_u64(is as u64);
            }
            F::SyscallType => {
                let d = self.desc();
                let flags = d.map_or(0, |d| d.flags);
                // libsinsp tests EC_INTERNAL against the flags (a bug kept as is).
                if evt.code == 152
                    || flags & (evtable::EC_INTERNAL | evtable::EF_SKIPPARSERESET) != 0
                {
                    return false;
                }
                out.push_str(self.type_name());
            }
            F::EvtCategory => {
                let c = self.category();
                out.push_str(c);
            }
            F::EvtCpu => out.push_i64(evt.cpu as i16 as i64),
            F::EvtArgs => {
                if evt.code <= 1 {
                    out.push_str("");
                } else {
                    let mut s = String::new();
                    let n = self.desc().map_or(0, |d| d.params.len()).min(evt.nparams());
                    for i in 0..n {
                        let name = self.desc().map_or("", |d| d.params[i].name);
                        self.with_param_text(i, |t| {
                            s.push_str(name);
                            s.push('=');
                            s.push_str(&t.raw);
                            if !t.resolved.is_empty() {
                                s.push('(');
                                s.push_str(&t.resolved);
                                s.push(')');
                            }
                            s.push(' ');
                        });
                    }
                    out.push_str(&s);
                }
            }
            F::EvtArgIndex(i) => {
                if *i < 0 || *i as usize >= evt.nparams() {
                    return false;
                }
                if render::push_param_best(evt, *i as usize, out) {
                    return true;
                }
                if self
                    .with_param_text(*i as usize, |t| push_cstr(out, t.best_str()))
                    .is_none()
                {
                    return false;
                }
            }
            F::EvtArgName(name) => {
                let Some(i) = self.desc().and_then(|d| d.param_index(name)) else {
                    return false;
                };
                if i >= evt.nparams() {
                    return false;
                }
                if render::push_param_best(evt, i, out) {
                    return true;
                }
                if self
                    .with_param_text(i, |t| push_cstr(out, t.best_str()))
                    .is_none()
                {
                    return false;
                }
            }
            F::EvtRawArg(name) => {
                let Some(raw) = self.param_by_name(name) else {
                    return false;
                };
                let ty = self
                    .desc()
                    .and_then(|d| d.param_index(name).map(|i| d.params[i].ty))
                    .unwrap_or(FieldType::Bytebuf);
                if display {
                    let opts = self.opts.render;
                    let i = self.desc().and_then(|d| d.param_index(name)).unwrap_or(0);
                    match render::param_text(self.state, evt, i, &opts) {
                        Some(t) => out.push_str(&t.raw),
                        None => return false,
                    }
                } else {
                    push_raw_param(out, ty, raw);
                }
            }
            F::EvtBuffer => {
                let Some(raw) = self.param_by_name("data") else {
                    return false;
                };
                if display {
                    out.push_str(&render::buffer_dots(raw, self.opts.render.max_buffer_len));
                } else {
                    out.push_bytes(raw);
                }
            }
            F::EvtBuflen(which) => return self.buflen(*which, out),
            F::EvtRes => {
                let (raw, name) = match self.res_param() {
                    Some(x) => x,
                    None => return false,
                };
                let v = falcoc_state::parse_int(raw);
                if v >= 0 {
                    out.push_str("SUCCESS");
                } else {
                    let i = self.desc().and_then(|d| d.param_index(name)).unwrap_or(0);
                    if self
                        .with_param_text(i, |t| out.push_str(t.best_str()))
                        .is_none()
                    {
                        return false;
                    }
                }
            }
            F::EvtRawRes => match self.res_param() {
                Some((raw, _)) => out.push_i64(falcoc_state::parse_int(raw)),
                None => return false,
            },
            F::EvtFailed => {
                let failed = self
                    .res_param()
                    .is_some_and(|(raw, _)| falcoc_state::parse_int(raw) < 0);
                out.push_bool(failed);
            }
            F::EvtIsIo(which) => {
                let f = self.eflags();
                out.push_bool(match which {
                    0 => f & (EF_READS_FROM_FD | EF_WRITES_TO_FD) != 0,
                    1 => f & EF_READS_FROM_FD != 0,
                    _ => f & EF_WRITES_TO_FD != 0,
                });
            }
            F::EvtIoDir => {
                let f = self.eflags();
                if f & EF_WRITES_TO_FD != 0 {
                    out.push_str("write");
                } else if f & EF_READS_FROM_FD != 0 {
                    out.push_str("read");
                } else {
                    return false;
                }
            }
            F::EvtIsWait => out.push_bool(self.eflags() & EF_WAITS != 0),
            F::EvtWaitLatency => {
                if self.eflags() & EF_WAITS == 0 || !self.is_exit() {
                    return false;
                }
                out.push_u64(self.thread().map_or(0, |t| t.latency));
            }
            F::EvtIsSyslog => {
                let is = self.eflags() & EF_WRITES_TO_FD != 0
                    && self
                        .state
                        .event_fd()
                        .is_some_and(|f| f.name.contains("/dev/log"));
                out.push_bool(is);
            }
            F::EvtCount => out.push_u64(1),
            F::EvtCountError(which) => return self.count_error(*which, out),
            F::EvtCountExit => {
                if !self.is_exit() {
                    return false;
                }
                out.push_u64(1);
            }
            F::EvtCountProcinfo | F::EvtCountThreadinfo => {
                if evt.code != falcoc_state::PPME_PROCINFO_E {
                    return false;
                }
                if matches!(field, F::EvtCountProcinfo)
                    && !self.thread().is_some_and(Thread::is_main_thread)
                {
                    return false;
                }
                out.push_u64(1);
            }
            F::EvtAbspath(which) => return self.abspath(*which, out),
            F::EvtIsOpen(which) => out.push_bool(self.is_open(*which)),
            F::Ancestor(of, anc) => return self.ancestor(*of, *anc, display, out),
            F::UserUid
            | F::UserName
            | F::UserHomedir
            | F::UserShell
            | F::UserLoginUid
            | F::UserLoginName
            | F::GroupGid
            | F::GroupName => return self.user_field(field, out),
            F::FdNum
            | F::FdType
            | F::FdTypeChar
            | F::FdName
            | F::FdNameRaw
            | F::FdDirectory
            | F::FdFilename
            | F::FdContainerName
            | F::FdContainerDirectory
            | F::FdIp
            | F::FdPort
            | F::FdProto
            | F::FdNet
            | F::FdCip
            | F::FdSip
            | F::FdLip
            | F::FdRip
            | F::FdIpName(_)
            | F::FdCport
            | F::FdSport
            | F::FdLport
            | F::FdRport
            | F::FdCproto
            | F::FdSproto
            | F::FdLproto
            | F::FdRproto
            | F::FdL4proto
            | F::FdSockFamily
            | F::FdIsServer
            | F::FdUid
            | F::FdConnected
            | F::FdNameChanged
            | F::FdDev(_)
            | F::FdIno => {
                if !display
                    || !matches!(
                        field,
                        F::FdName | F::FdContainerName | F::FdDirectory | F::FdFilename
                    )
                {
                    return self.fd_field(field, out);
                }
                // libsinsp sanitizes these names when rendering them.
                let mut v = Values::new();
                if !self.fd_field(field, &mut v) {
                    return false;
                }
                match v.first() {
                    Some(ValueRef::Bytes(b)) => {
                        let s: Vec<u8> = b
                            .iter()
                            .copied()
                            .filter(|&c| !falcoc_state::paths::is_invalid_char(c))
                            .collect();
                        out.push_bytes(&s);
                    }
                    Some(other) => out.push(other),
                    None => {}
                }
            }
            F::FsPath(which, raw) => return self.fs_path(*which, *raw, out),
            F::ContainerId
            | F::ContainerFullId
            | F::ContainerName
            | F::ContainerImage
            | F::ContainerImageId
            | F::ContainerImageRepository
            | F::ContainerImageTag
            | F::ContainerImageDigest
            | F::ContainerType
            | F::ContainerPrivileged
            | F::ContainerMounts
            | F::ContainerMount(_)
            | F::ContainerMountAttr(..)
            | F::ContainerProbe(_)
            | F::ContainerIp
            | F::ContainerLabel(_)
            | F::ContainerLabels
            | F::ContainerStartTs
            | F::ContainerDuration
            | F::K8sPodName
            | F::K8sNsName
            | F::K8sPodId
            | F::K8sPodLabel(_)
            | F::K8sPodLabels
            | F::K8sPodSandboxId(_)
            | F::K8sPodIp
            | F::ContainerHostNs(_) => return self.container_field(field, out),
            F::UtilCnt => out.push_u64(evt.num),
            F::Unsupported => return false,
            _ => return self.proc_field(field, out),
        }
        true
    }

    /// A field's values, extracted into the extractor's scratch buffer.
    fn extract_scratch(&mut self, field: &Field, display: bool) -> Option<Values> {
        let mut v = std::mem::take(&mut self.scratch);
        v.clear();
        if self.get(field, display, &mut v) {
            Some(v)
        } else {
            self.scratch = v;
            None
        }
    }

    /// The text form of `field` as sysdig and Falco print it in outputs; `None` when the
    /// field is missing (printed `<NA>`).
    pub fn display(&mut self, field: &ResolvedField) -> Option<String> {
        let f = Field::resolve(field, FieldMode::Plain);
        self.display_field(&f, field.ty, field.field.format)
    }

    /// [`display`](Self::display) for a resolved [`Field`] of type `ty`.
    pub fn display_field(
        &mut self,
        f: &Field,
        ty: FieldType,
        format: PrintFormat,
    ) -> Option<String> {
        let vals = self.extract_scratch(f, true)?;
        let s = render_values(&vals, ty, format);
        self.scratch = vals;
        s
    }

    /// The JSON value of `field` as Falco puts it in `output_fields`: numbers for
    /// decimal numeric fields, booleans, strings, the integer ns timestamp for
    /// `evt.time*`, arrays for list fields, `null` when missing.
    pub fn json(&mut self, field: &ResolvedField) -> Value {
        let f = Field::resolve(field, FieldMode::Plain);
        if matches!(f, Field::EvtTime | Field::EvtTimeIso8601) {
            return Value::from(self.evt.ts);
        }
        let Some(vals) = self.extract_scratch(&f, true) else {
            return Value::Null;
        };
        let v = json_values(&vals, field.ty, field.field.format, field.is_list());
        self.scratch = vals;
        v
    }

    /// Evaluates an output operand (a field or transformers over fields) into `out`.
    pub fn eval_operand(&mut self, op: &Operand, out: &mut Values) -> bool {
        transform::eval_operand(op, out, &mut |leaf, out| match &leaf.kind {
            OperandKind::Field(rf) => {
                let f = Field::resolve(rf, FieldMode::Plain);
                self.get(&f, true, out)
            }
            OperandKind::Literal(s) => {
                out.push_str(s);
                true
            }
            _ => false,
        })
    }

    /// The text of an output operand (`None` when missing).
    pub fn display_operand(&mut self, op: &Operand) -> Option<String> {
        if let OperandKind::Field(rf) = &op.kind {
            return self.display(rf);
        }
        let mut v = Values::new();
        if !self.eval_operand(op, &mut v) {
            return None;
        }
        render_values(&v, op.ty, PrintFormat::Dec)
    }
}

impl FieldSource for Extractor<'_, '_> {
    fn extract(&mut self, id: FieldId, field: &FieldDesc, out: &mut Values) -> bool {
        let plan = self.plan;
        match plan.and_then(|p| p.get(id)) {
            Some(f) => self.get(f, false, out),
            None => {
                let f = Field::resolve(&field.field, field.mode);
                self.get(&f, false, out)
            }
        }
    }
}

/// Pushes a string as libsinsp extracts it: up to the first NUL.
fn push_cstr(out: &mut Values, s: &str) {
    match s.find('\0') {
        Some(n) => out.push_str(&s[..n]),
        None => out.push_str(s),
    }
}

/// Pushes a raw parameter with its type (`evt.rawarg.NAME`).
fn push_raw_param(out: &mut Values, ty: FieldType, raw: &[u8]) {
    use FieldType as T;
    match ty {
        T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::Errno | T::Fd | T::Pid => {
            out.push_i64(falcoc_state::parse_int(raw))
        }
        T::Charbuf | T::Fspath | T::FsRelPath => out.push_bytes(falcoc_state::parse_cstr(raw)),
        T::Bytebuf | T::Sockaddr | T::Socktuple | T::Fdlist | T::Dyn => out.push_bytes(raw),
        T::Bool => out.push_bool(falcoc_state::parse_uint(raw) != 0),
        T::Double => out.push_f64(f64::from_bits(falcoc_state::parse_uint(raw))),
        T::Ipv4Addr if raw.len() == 4 => {
            out.push_ip(IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])))
        }
        _ => out.push_u64(falcoc_state::parse_uint(raw)),
    }
}

/// `tostring_nice` of a duration in ns (`evt.latency.human`).
fn human_time(ns: u64) -> String {
    let v = ns as f64;
    if ns >= 1_000_000_000 {
        format!("{:.2}s", v / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.2}ms", v / 1e6)
    } else if ns >= 1_000 {
        format!("{:.2}us", v / 1e3)
    } else {
        format!("{ns}ns")
    }
}

impl EventFields for Extractor<'_, '_> {
    fn display_operand(&mut self, operand: &Operand) -> Option<String> {
        Extractor::display_operand(self, operand)
    }

    fn json_field(&mut self, field: &ResolvedField) -> Value {
        Extractor::json(self, field)
    }
}
