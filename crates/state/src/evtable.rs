//! The event table libsinsp's state engine and parameter rendering work from.
//!
//! Event codes below 336 use the table of falcosecurity/libs e5c53d64 (the libs of sysdig
//! 0.29, whose answers are the reference of `shared/captures`): its categories, its
//! `EF_*` flags (which decide whether an event has an fd, e.g. `mmap` does not use one
//! there), its parameter types (e.g. `ptrace`'s `request` is a bit-flag set) and its
//! flag-name tables. Newer codes fall back to the libs 0.22.2 table of
//! [`falcoc_schema::events`]. Data: `event_table_2022.tsv` next to this file.

use std::collections::HashMap;
use std::sync::LazyLock;

use falcoc_schema::events::{self, Direction};
use falcoc_schema::fields::{FieldType, PrintFormat};

/// `EF_CREATES_FD`.
pub const EF_CREATES_FD: u32 = 1 << 0;
/// `EF_DESTROYS_FD`.
pub const EF_DESTROYS_FD: u32 = 1 << 1;
/// `EF_USES_FD`.
pub const EF_USES_FD: u32 = 1 << 2;
/// `EF_READS_FROM_FD`.
pub const EF_READS_FROM_FD: u32 = 1 << 3;
/// `EF_WRITES_TO_FD`.
pub const EF_WRITES_TO_FD: u32 = 1 << 4;
/// `EF_MODIFIES_STATE`.
pub const EF_MODIFIES_STATE: u32 = 1 << 5;
/// `EF_WAITS`.
pub const EF_WAITS: u32 = 1 << 7;
/// `EF_SKIPPARSERESET`.
pub const EF_SKIPPARSERESET: u32 = 1 << 8;

/// `EC_INTERNAL`.
pub const EC_INTERNAL: u32 = 1 << 8;
/// The I/O categories (`EC_IO_READ`, `EC_IO_WRITE`, `EC_IO_OTHER`) share this bit.
pub const EC_IO_BASE: u32 = 32;
/// `EC_MEMORY`.
pub const EC_MEMORY: u32 = 5;

/// Exit events that libs 0.22.2 flags `EF_USES_FD` and the 2022 table does not, with the
/// position of their fd parameter in the current layout (libscap's
/// `get_exit_event_fd_location`): `sendmmsg`, `recvmmsg`, `mmap`, `mmap2`, `symlinkat`,
/// `unlinkat`, `mkdirat`, `fchmodat`, `fchmod`.
const USES_FD_SINCE_2022: [(u16, usize); 9] = [
    (51, 1),
    (55, 1),
    (161, 8),
    (163, 8),
    (181, 2),
    (303, 1),
    (305, 1),
    (313, 1),
    (317, 1),
];

/// For an exit event that uses an fd in libs 0.22.2 but not in the 2022 table: the
/// position of its fd parameter (which older layouts may lack, e.g. `mmap`'s).
pub fn fd_location_022(code: u16) -> Option<usize> {
    USES_FD_SINCE_2022
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, i)| *i)
}

/// One parameter of an event, as the 2022 table describes it.
#[derive(Debug, Clone)]
pub struct ParamDesc {
    /// Name (`evt.arg.NAME`).
    pub name: &'static str,
    /// Type.
    pub ty: FieldType,
    /// Print format.
    pub format: PrintFormat,
    /// The name table of a flag or enum parameter.
    pub names: Option<&'static [(&'static str, u32)]>,
    /// For an `FSRELPATH`: the index of the dirfd parameter it is relative to.
    pub dirfd: Option<usize>,
}

/// One event code.
#[derive(Debug, Clone)]
pub struct EventDesc {
    /// Code.
    pub code: u16,
    /// Name (`evt.type`).
    pub name: &'static str,
    /// Enter or exit.
    pub direction: Direction,
    /// Category, without the newer `EC_SYSCALL`/`EC_TRACEPOINT`/… bits.
    pub category: u32,
    /// `EF_*` flags.
    pub flags: u32,
    /// Parameters.
    pub params: Vec<ParamDesc>,
}

impl EventDesc {
    /// Whether the event has one of `flags`.
    pub fn has(&self, flags: u32) -> bool {
        self.flags & flags != 0
    }

    /// Index of the parameter named `name`.
    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

struct Table {
    events: Vec<EventDesc>,
    syscalls: HashMap<u16, (u32, &'static str)>,
    /// The flag tables by name, kept so that every leaked table stays referenced (also
    /// those no parameter names).
    _flags: HashMap<&'static str, &'static [(&'static str, u32)]>,
}

fn parse_param(
    s: &'static str,
    tables: &HashMap<&'static str, &'static [(&'static str, u32)]>,
) -> Option<ParamDesc> {
    let mut it = s.split(':');
    let name = it.next()?;
    let ty = FieldType::from_name(it.next()?)?;
    let format = PrintFormat::from_name(it.next()?)?;
    let (mut names, mut dirfd) = (None, None);
    if let Some(extra) = it.next() {
        if let Some(i) = extra.strip_prefix('@') {
            dirfd = i.parse().ok();
        } else {
            names = tables.get(extra).copied();
        }
    }
    Some(ParamDesc {
        name,
        ty,
        format,
        names,
        dirfd,
    })
}

/// Converts the newer table's category bits to the 2022 numbering (drops `EC_SYSCALL`,
/// `EC_TRACEPOINT`, `EC_PLUGIN`, `EC_METAEVENT`; keeps `EC_INTERNAL`).
fn legacy_category(c: u32) -> u32 {
    c & 0x1ff
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let data: &'static str = include_str!("event_table_2022.tsv");
    let mut tables: HashMap<&'static str, &'static [(&'static str, u32)]> = HashMap::new();
    let mut rows: HashMap<u16, EventDesc> = HashMap::new();
    let mut syscalls = HashMap::new();
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&'static str> = line.split('\t').collect();
        match f.first().copied() {
            Some("T") if f.len() == 3 => {
                let items: Vec<(&'static str, u32)> = f[2]
                    .split(',')
                    .filter_map(|kv| {
                        let (k, v) = kv.split_once('=')?;
                        Some((k, v.parse().ok()?))
                    })
                    .collect();
                tables.insert(f[1], Box::leak(items.into_boxed_slice()));
            }
            Some("E") if f.len() == 5 => {
                let (Ok(code), Ok(category)) = (f[1].parse::<u16>(), f[2].parse::<u32>()) else {
                    continue;
                };
                let flags = u32::from_str_radix(f[3].trim_start_matches("0x"), 16).unwrap_or(0);
                let params = if f[4].is_empty() {
                    Vec::new()
                } else {
                    f[4].split(',')
                        .filter_map(|p| parse_param(p, &tables))
                        .collect()
                };
                let (name, direction) = events::event(code)
                    .map(|e| (e.name, e.direction))
                    .unwrap_or(("NA", Direction::Enter));
                rows.insert(
                    code,
                    EventDesc {
                        code,
                        name,
                        direction,
                        category,
                        flags,
                        params,
                    },
                );
            }
            Some("S") if f.len() == 4 => {
                if let (Ok(code), Ok(cat)) = (f[1].parse::<u16>(), f[2].parse::<u32>()) {
                    syscalls.insert(code, (cat, f[3]));
                }
            }
            _ => {}
        }
    }
    let mut events_out = Vec::with_capacity(events::PPM_EVENT_MAX);
    for code in 0..events::PPM_EVENT_MAX as u16 {
        if let Some(e) = rows.remove(&code) {
            events_out.push(e);
            continue;
        }
        let desc = match events::event(code) {
            Some(e) => EventDesc {
                code,
                name: e.name,
                direction: e.direction,
                category: legacy_category(e.category.0),
                flags: e.flags.0 & 0x1ff,
                params: e
                    .params
                    .iter()
                    .map(|p| ParamDesc {
                        name: p.name,
                        ty: p.ty,
                        format: p.format,
                        names: None,
                        dirfd: None,
                    })
                    .collect(),
            },
            None => EventDesc {
                code,
                name: "NA",
                direction: if code % 2 == 0 {
                    Direction::Enter
                } else {
                    Direction::Exit
                },
                category: 0,
                flags: 0,
                params: Vec::new(),
            },
        };
        events_out.push(desc);
    }
    Table {
        events: events_out,
        syscalls,
        _flags: tables,
    }
});

/// The description of event `code`.
pub fn event(code: u16) -> Option<&'static EventDesc> {
    TABLE.events.get(code as usize)
}

/// Category and name of syscall `id` (generic events), from the 2022 syscall table, else
/// the newer names of [`falcoc_schema::events::syscall_name`] with category "other".
pub fn syscall(id: u16) -> (u32, &'static str) {
    if let Some(&(c, n)) = TABLE.syscalls.get(&id) {
        return (c, n);
    }
    if id == 0 {
        return (1, "<unknown>");
    }
    match events::syscall_name(id) {
        Some(n) if !n.is_empty() => (1, n),
        _ => (1, "<unknown>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads() {
        let open_x = event(3).unwrap();
        assert_eq!(open_x.name, "open");
        assert_eq!(open_x.flags & EF_CREATES_FD, EF_CREATES_FD);
        let flags = &open_x.params[2];
        assert_eq!(flags.ty, FieldType::Flags32);
        assert!(flags
            .names
            .unwrap()
            .iter()
            .any(|&(n, v)| n == "O_TRUNC" && v == 256));
        assert_eq!(event(307).unwrap().params[2].dirfd, Some(1));
        // mmap does not use an fd in the 2022 table.
        assert_eq!(event(161).unwrap().flags & EF_USES_FD, 0);
        // unlinkat's exit uses its dirfd in libs 0.22.2 only.
        assert_eq!(event(303).unwrap().flags & EF_USES_FD, 0);
        assert_eq!(fd_location_022(303), Some(1));
        let e = events::event(303).unwrap();
        assert_eq!(e.flags.0 & EF_USES_FD, EF_USES_FD);
        assert_eq!(e.params[1].name, "dirfd");
        // Newer codes come from the libs 0.22.2 table.
        assert_eq!(event(366).unwrap().name, "dup");
        assert_eq!(syscall(139).1, "madvise");
    }
}
