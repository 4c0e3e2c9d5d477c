//! Tests of the scap writer: metadata and events written, then read back with the reader
//! (plain and gzip), must be what was written — on hand-picked values, on random ones
//! (proptest), and on every capture of `shared/captures` copied through the writer.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use falcoc_scap::{
    self as scap, block, Block, Event, FdDetails, FdInfo, FdList, FdType, GroupInfo, InterfaceList,
    Ipv4Interface, Ipv6Interface, MachineInfo, Metadata, ProcessInfo, Reader, SectionHeader,
    UserInfo, UserList, Writer,
};
use falcoc_schema::events::{event, EventFlags, PPM_EVENT_MAX};
use proptest::prelude::*;

/// The section header every writer writes.
fn written_section() -> SectionHeader {
    SectionHeader {
        major: 1,
        minor: 2,
        section_length: u64::MAX,
        options: Vec::new(),
    }
}

/// What identifies an event in a file (not its number, offset or block type).
fn key(e: &Event) -> (u64, i64, u16, u16, u32, Vec<Vec<u8>>) {
    let params = (0..e.nparams())
        .map(|i| e.raw_param(i).unwrap_or_default().to_vec())
        .collect();
    (e.ts, e.tid, e.cpu, e.code, e.flags, params)
}

fn write_all(meta: &Metadata, events: &[Event]) -> Vec<u8> {
    let mut w = Writer::new(Vec::new()).expect("write to a vector");
    w.write_metadata(meta).expect("metadata");
    for e in events {
        w.write_event(&e.as_event_ref()).expect("event");
    }
    assert_eq!(w.events_written(), events.len() as u64);
    let bytes_written = w.bytes_written();
    let out = w.into_inner().expect("flush");
    assert_eq!(out.len() as u64, bytes_written);
    out
}

fn read_all(bytes: &[u8]) -> (Metadata, Vec<Event>) {
    let mut r = Reader::new(bytes).expect("reader");
    let meta = r.read_metadata().expect("metadata reads back").clone();
    let events: Vec<Event> = (&mut r).map(|e| e.expect("event reads back")).collect();
    assert_eq!(r.stats().unknown_blocks, 0);
    assert_eq!(r.stats().skipped_events, 0);
    (meta, events)
}

fn expected(meta: &Metadata) -> Metadata {
    Metadata {
        section: Some(written_section()),
        ..meta.clone()
    }
}

fn sample_process(tid: i64) -> ProcessInfo {
    let mut p = ProcessInfo::empty(9);
    p.tid = tid;
    p.pid = tid;
    p.ptid = 1;
    p.sid = 7;
    p.vpgid = 8;
    p.pgid = 9;
    p.comm = "cat".into();
    p.exe = "cat".into();
    p.exepath = "/usr/bin/cat".into();
    p.args = vec!["/etc/shadow".into(), "".into(), "x y".into()];
    p.cwd = "/root".into();
    p.fdlimit = 1024;
    p.flags = 0x10;
    p.uid = 1000;
    p.gid = 1000;
    p.vmsize_kb = 1;
    p.vmrss_kb = 2;
    p.vmswap_kb = 3;
    p.pfmajor = 4;
    p.pfminor = 5;
    p.env = vec!["HOME=/root".into(), "TERM=xterm".into()];
    p.vtid = 100;
    p.vpid = 100;
    p.cgroups = vec!["cpu=/user.slice".into()];
    p.root = "/".into();
    p.pidns_init_start_ts = 123_456;
    p.tty = 34816;
    p.loginuid = 1000;
    p.exe_writable = true;
    p.cap_inheritable = 1;
    p.cap_permitted = 2;
    p.cap_effective = 3;
    p.exe_upper_layer = true;
    p.exe_ino = 77;
    p.exe_ino_ctime = 78;
    p.exe_ino_mtime = 79;
    p.exe_from_memfd = true;
    p.exe_lower_layer = true;
    p
}

fn sample_metadata() -> Metadata {
    let fds = vec![
        FdInfo {
            fd: 0,
            ino: 5,
            ty: FdType::FileV2,
            details: FdDetails::File {
                open_flags: 3,
                name: "/dev/pts/0".into(),
                dev: 0x88,
            },
        },
        FdInfo {
            fd: 3,
            ino: 6,
            ty: FdType::Ipv4Sock,
            details: FdDetails::Ipv4Socket {
                sip: Ipv4Addr::new(10, 0, 0, 5),
                dip: Ipv4Addr::new(1, 2, 3, 4),
                sport: 40000,
                dport: 443,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 4,
            ino: 7,
            ty: FdType::Ipv6Sock,
            details: FdDetails::Ipv6Socket {
                sip: Ipv6Addr::LOCALHOST,
                dip: "2001:db8::1".parse().expect("address"),
                sport: 1,
                dport: 2,
                l4proto: 3,
            },
        },
        FdInfo {
            fd: 5,
            ino: 8,
            ty: FdType::Ipv4ServSock,
            details: FdDetails::Ipv4Server {
                ip: Ipv4Addr::UNSPECIFIED,
                port: 80,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 6,
            ino: 9,
            ty: FdType::Ipv6ServSock,
            details: FdDetails::Ipv6Server {
                ip: Ipv6Addr::UNSPECIFIED,
                port: 8080,
                l4proto: 2,
            },
        },
        FdInfo {
            fd: 7,
            ino: 10,
            ty: FdType::UnixSock,
            details: FdDetails::Unix {
                source: 0xffff_8880_0000_0001,
                dest: 0,
                name: "/run/systemd/journal/stdout".into(),
            },
        },
        FdInfo {
            fd: 8,
            ino: 11,
            ty: FdType::Directory,
            details: FdDetails::Named { name: "/".into() },
        },
        FdInfo {
            fd: 9,
            ino: 12,
            ty: FdType::Unknown,
            details: FdDetails::None,
        },
    ];
    Metadata {
        section: None,
        machine: Some(MachineInfo {
            num_cpus: 2,
            memory_size_bytes: 8 << 30,
            max_pid: 4_194_304,
            hostname: "capture-host".into(),
            boot_ts_epoch: 1_700_000_000_000_000_000,
            flags: 1,
            reserved: [0, 5],
        }),
        processes: vec![
            sample_process(100),
            sample_process(101),
            ProcessInfo::empty(9),
        ],
        fds: vec![
            FdList {
                version: 2,
                tid: 100,
                fds,
            },
            FdList {
                version: 2,
                tid: 101,
                fds: Vec::new(),
            },
        ],
        interfaces: Some(InterfaceList {
            v4: vec![Ipv4Interface {
                name: "eth0".into(),
                addr: Ipv4Addr::new(10, 0, 0, 5),
                netmask: Ipv4Addr::new(255, 255, 255, 0),
                bcast: Ipv4Addr::new(10, 0, 0, 255),
                linkspeed: 1000,
            }],
            v6: vec![Ipv6Interface {
                name: "lo".into(),
                addr: Ipv6Addr::LOCALHOST,
                netmask: Ipv6Addr::from(u128::MAX),
                bcast: Ipv6Addr::UNSPECIFIED,
                linkspeed: 0,
            }],
        }),
        users: Some(UserList {
            users: vec![UserInfo {
                uid: 0,
                gid: 0,
                name: "root".into(),
                homedir: "/root".into(),
                shell: "/bin/bash".into(),
            }],
            groups: vec![GroupInfo {
                gid: 27,
                name: "sudo".into(),
            }],
        }),
    }
}

/// openat enter and exit (codes 306/307) of `cat /etc/shadow`, and a procexit.
fn sample_events() -> Vec<Event> {
    let name = b"/etc/shadow\0";
    let fd = 3i64.to_le_bytes();
    let dirfd = (-100i64).to_le_bytes();
    let flags = 1u32.to_le_bytes();
    let mode = 0u32.to_le_bytes();
    let dev = 0u32.to_le_bytes();
    let ino = 42u64.to_le_bytes();
    let enter = Event::from_params(306, 1, 1_000, 100, &[&dirfd, name, &flags, &mode])
        .expect("openat enter");
    let mut exit = Event::from_params(
        307,
        2,
        2_000,
        100,
        &[&fd, &dirfd, name, &flags, &mode, &dev, &ino],
    )
    .expect("openat exit");
    exit.cpu = 1;
    exit.flags = 0x2;
    let status = 0i64.to_le_bytes();
    let procexit = Event::from_params(186, 3, 3_000, 100, &[&status]).expect("procexit");
    vec![enter, exit, procexit]
}

#[test]
fn metadata_and_events_round_trip() {
    let meta = sample_metadata();
    let events = sample_events();
    let bytes = write_all(&meta, &events);
    let (back, back_events) = read_all(&bytes);
    assert_eq!(back, expected(&meta));
    assert_eq!(
        back_events.iter().map(key).collect::<Vec<_>>(),
        events.iter().map(key).collect::<Vec<_>>()
    );
    // Numbers as libsinsp counts them; block types by flags.
    assert_eq!(
        back_events.iter().map(|e| e.num).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        back_events.iter().map(|e| e.block_type).collect::<Vec<_>>(),
        [block::EV_V2, block::EVF_V2, block::EV_V2]
    );
    assert_eq!(back_events[1].name(), "openat");
    assert_eq!(back_events[1].return_value(), Some(3));
}

#[test]
fn blocks_are_framed_and_in_order() {
    let bytes = write_all(&sample_metadata(), &sample_events());
    // Walk the framing by hand: lengths multiple of 4, trailer equals header.
    let mut pos = 0;
    let mut types = Vec::new();
    while pos < bytes.len() {
        let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        let (ty, len) = (u32_at(pos), u32_at(pos + 4) as usize);
        assert_eq!(len % 4, 0, "block at {pos} is not padded");
        assert_eq!(u32_at(pos + len - 4) as usize, len, "trailer at {pos}");
        types.push(ty);
        pos += len;
    }
    assert_eq!(pos, bytes.len());
    assert_eq!(
        types,
        [
            block::SHB,
            block::MI,
            block::IL_V2,
            block::UL_V2,
            block::PL_V9,
            block::FDL_V2,
            block::FDL_V2,
            block::EV_V2,
            block::EVF_V2,
            block::EV_V2
        ]
    );
    // The machine info body is libscap's 180 bytes.
    assert_eq!(
        u32::from_le_bytes(bytes[32..36].try_into().expect("4 bytes")),
        180 + 12
    );
}

#[test]
fn gzip_file_round_trips() {
    let dir = std::env::temp_dir().join(format!("falcoc-writer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let meta = sample_metadata();
    let events = sample_events();
    for name in ["c.scap", "c.scap.gz"] {
        let path = dir.join(name);
        let mut w = scap::create(&path).expect("create");
        w.write_metadata(&meta).expect("metadata");
        for e in &events {
            w.write_event(&e.as_event_ref()).expect("event");
        }
        w.close().expect("close");
        let raw = std::fs::read(&path).expect("read back");
        assert_eq!(raw.starts_with(&[0x1f, 0x8b]), name.ends_with(".gz"));
        let mut r = scap::open(&path).expect("open");
        assert_eq!(r.read_metadata().expect("metadata"), &expected(&meta));
        let back: Vec<Event> = (&mut r).map(|e| e.expect("event")).collect();
        assert_eq!(
            back.iter().map(key).collect::<Vec<_>>(),
            events.iter().map(key).collect::<Vec<_>>()
        );
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn unwritable_path_is_an_io_error() {
    let err = scap::create("/nonexistent-dir/x.scap").expect_err("no such directory");
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

/// A sink that fails after `left` bytes.
struct Failing {
    left: usize,
}

impl Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn sink_errors_are_returned_not_panics() {
    let meta = sample_metadata();
    let events = sample_events();
    let full = write_all(&meta, &events).len();
    for left in [0, 10, 100, 1000, full - 1] {
        let result = Writer::new(Failing { left }).and_then(|mut w| {
            w.write_metadata(&meta)?;
            for e in &events {
                w.write_event(&e.as_event_ref())?;
            }
            Ok(())
        });
        let err = result.expect_err("the sink fails");
        assert_eq!(err.to_string(), "disk full");
    }
}

#[test]
fn large_payload_events_get_wide_lengths_and_large_blocks() {
    // A parameter over 64 KiB only fits an event type with large payloads (u32 lengths);
    // its block is an `EV_V2_LARGE`, as libscap writes it.
    let large = (0..PPM_EVENT_MAX as u16)
        .find(|&c| event(c).is_some_and(|i| i.flags.has(EventFlags::LARGE_PAYLOAD)))
        .expect("a large-payload event type");
    let big = vec![b'x'; 70_000];
    let e = Event::from_params(large, 1, 1, 1, &[&big]).expect("large payload event");
    let bytes = write_all(&Metadata::default(), std::slice::from_ref(&e));
    let (_, back) = read_all(&bytes);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].block_type, block::EV_V2_LARGE);
    assert_eq!(back[0].raw_param(0).map(<[u8]>::len), Some(70_000));
}

#[test]
fn shared_captures_copy_through_the_writer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("note: {} is absent; skipping", dir.display());
        return;
    };
    let mut names: Vec<_> = rd
        .filter_map(|d| d.ok().map(|d| d.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "scap")
                && p.metadata().is_ok_and(|m| m.len() < 3_000_000)
        })
        .collect();
    names.sort();
    let mut compared = 0;
    for path in names {
        let mut r = scap::open(&path).expect("open");
        let mut meta = Metadata::default();
        let mut events = Vec::new();
        let mut failed = false;
        while let Some(b) = r.next_block() {
            match b {
                Ok(Block::MachineInfo(m)) => meta.machine = Some(m),
                Ok(Block::ProcessList(p)) => meta.processes.extend(p),
                Ok(Block::FdList(f)) => meta.fds.push(f),
                Ok(Block::InterfaceList(i)) => meta.interfaces = Some(i),
                Ok(Block::UserList(u)) => meta.users = Some(u),
                Ok(Block::Event(e)) => events.push(e),
                Ok(_) => {}
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            continue;
        }
        let bytes = write_all(&meta, &events);
        let (back, back_events) = read_all(&bytes);
        // Older block versions read back as the version written, with the same fields.
        let norm = |m: &Metadata| {
            let mut m = expected(m);
            for p in &mut m.processes {
                p.version = 9;
            }
            for f in &mut m.fds {
                f.version = 2;
            }
            m
        };
        assert_eq!(back, norm(&meta), "{}", path.display());
        assert_eq!(
            back_events.iter().map(key).collect::<Vec<_>>(),
            events.iter().map(key).collect::<Vec<_>>(),
            "{}",
            path.display()
        );
        compared += 1;
    }
    // Every capture but the two large gzip ones (which the size filter leaves out).
    assert!(compared >= 15, "only {compared} captures compared");
}

// ---------------------------------------------------------------------------------------
// Random round trips

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/._ =-]{0,24}"
}

fn item() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/._ =-]{1,12}"
}

fn process() -> impl Strategy<Value = ProcessInfo> {
    (
        (
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
        ),
        (
            text(),
            text(),
            text(),
            prop::collection::vec(item(), 0..4),
            text(),
        ),
        (any::<u64>(), any::<u32>(), any::<u32>(), any::<u32>()),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
        ),
        (
            prop::collection::vec(item(), 0..4),
            any::<i64>(),
            any::<i64>(),
            prop::collection::vec(item(), 0..3),
            text(),
        ),
        (any::<u64>(), any::<u32>(), any::<u32>(), any::<[bool; 4]>()),
        (any::<[u64; 3]>(), any::<[u64; 3]>()),
    )
        .prop_map(|(ids, strs, a, mem, ns, tail, caps)| {
            let mut p = ProcessInfo::empty(9);
            (p.tid, p.pid, p.ptid, p.sid, p.vpgid, p.pgid) = ids;
            (p.comm, p.exe, p.exepath, p.args, p.cwd) = strs;
            (p.fdlimit, p.flags, p.uid, p.gid) = a;
            (p.vmsize_kb, p.vmrss_kb, p.vmswap_kb, p.pfmajor, p.pfminor) = mem;
            (p.env, p.vtid, p.vpid, p.cgroups, p.root) = ns;
            let flags;
            (p.pidns_init_start_ts, p.tty, p.loginuid, flags) = tail;
            [
                p.exe_writable,
                p.exe_upper_layer,
                p.exe_from_memfd,
                p.exe_lower_layer,
            ] = flags;
            [p.cap_inheritable, p.cap_permitted, p.cap_effective] = caps.0;
            [p.exe_ino, p.exe_ino_ctime, p.exe_ino_mtime] = caps.1;
            p
        })
}

fn fd() -> impl Strategy<Value = FdInfo> {
    let v4 = any::<[u8; 4]>().prop_map(Ipv4Addr::from);
    let v6 = any::<[u8; 16]>().prop_map(Ipv6Addr::from);
    let details = prop_oneof![
        (any::<u32>(), text(), any::<u32>()).prop_map(|(open_flags, name, dev)| (
            FdType::FileV2,
            FdDetails::File {
                open_flags,
                name,
                dev
            }
        )),
        text().prop_map(|name| (FdType::File, FdDetails::Named { name })),
        text().prop_map(|name| (FdType::Fifo, FdDetails::Named { name })),
        (
            v4.clone(),
            v4.clone(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>()
        )
            .prop_map(|(sip, dip, sport, dport, l4proto)| (
                FdType::Ipv4Sock,
                FdDetails::Ipv4Socket {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto
                }
            )),
        (
            v6.clone(),
            v6.clone(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>()
        )
            .prop_map(|(sip, dip, sport, dport, l4proto)| (
                FdType::Ipv6Sock,
                FdDetails::Ipv6Socket {
                    sip,
                    dip,
                    sport,
                    dport,
                    l4proto
                }
            )),
        (v4, any::<u16>(), any::<u8>()).prop_map(|(ip, port, l4proto)| (
            FdType::Ipv4ServSock,
            FdDetails::Ipv4Server { ip, port, l4proto }
        )),
        (v6, any::<u16>(), any::<u8>()).prop_map(|(ip, port, l4proto)| (
            FdType::Ipv6ServSock,
            FdDetails::Ipv6Server { ip, port, l4proto }
        )),
        (any::<u64>(), any::<u64>(), text()).prop_map(|(source, dest, name)| (
            FdType::UnixSock,
            FdDetails::Unix { source, dest, name }
        )),
        Just((FdType::Unknown, FdDetails::None)),
    ];
    (any::<i64>(), any::<u64>(), details).prop_map(|(fd, ino, (ty, details))| FdInfo {
        fd,
        ino,
        ty,
        details,
    })
}

fn metadata() -> impl Strategy<Value = Metadata> {
    let machine = prop::option::of(
        (
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            "[a-z0-9.-]{0,127}",
            any::<u64>(),
            any::<u64>(),
            any::<[u64; 2]>(),
        )
            .prop_map(
                |(num_cpus, mem, max_pid, hostname, boot, flags, reserved)| MachineInfo {
                    num_cpus,
                    memory_size_bytes: mem,
                    max_pid,
                    hostname,
                    boot_ts_epoch: boot,
                    flags,
                    reserved,
                },
            ),
    );
    let fdlists = prop::collection::vec(
        (any::<i64>(), prop::collection::vec(fd(), 0..5)).prop_map(|(tid, fds)| FdList {
            version: 2,
            tid,
            fds,
        }),
        0..4,
    );
    let ifaces = prop::option::of(
        (
            prop::collection::vec(
                (
                    item(),
                    any::<[u8; 4]>(),
                    any::<[u8; 4]>(),
                    any::<[u8; 4]>(),
                    any::<u64>(),
                )
                    .prop_map(|(name, a, m, b, linkspeed)| Ipv4Interface {
                        name,
                        addr: a.into(),
                        netmask: m.into(),
                        bcast: b.into(),
                        linkspeed,
                    }),
                0..3,
            ),
            prop::collection::vec(
                (item(), any::<[u8; 16]>(), any::<[u8; 16]>(), any::<u64>()).prop_map(
                    |(name, a, m, linkspeed)| Ipv6Interface {
                        name,
                        addr: a.into(),
                        netmask: m.into(),
                        bcast: Ipv6Addr::UNSPECIFIED,
                        linkspeed,
                    },
                ),
                0..3,
            ),
        )
            .prop_map(|(v4, v6)| InterfaceList { v4, v6 }),
    );
    let users = prop::option::of(
        (
            prop::collection::vec(
                (any::<u32>(), any::<u32>(), text(), text(), text()).prop_map(
                    |(uid, gid, name, homedir, shell)| UserInfo {
                        uid,
                        gid,
                        name,
                        homedir,
                        shell,
                    },
                ),
                0..4,
            ),
            prop::collection::vec(
                (any::<u32>(), text()).prop_map(|(gid, name)| GroupInfo { gid, name }),
                0..4,
            ),
        )
            .prop_map(|(users, groups)| UserList { users, groups }),
    );
    (
        machine,
        prop::collection::vec(process(), 0..4),
        fdlists,
        ifaces,
        users,
    )
        .prop_map(|(machine, processes, fds, interfaces, users)| Metadata {
            section: None,
            machine,
            processes,
            fds,
            interfaces,
            users,
        })
}

/// Event codes of the table (names other than the `NA` placeholders).
fn codes() -> Vec<u16> {
    (0..PPM_EVENT_MAX as u16)
        .filter(|&c| event(c).is_some_and(|i| i.name != "NA"))
        .collect()
}

fn random_event() -> impl Strategy<Value = Event> {
    let codes = codes();
    (
        prop::sample::select(codes),
        any::<u64>(),
        any::<i64>(),
        any::<u16>(),
        prop_oneof![Just(0u32), any::<u32>()],
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..12),
    )
        .prop_map(|(code, ts, tid, cpu, flags, params)| {
            let n = event(code).map_or(0, |i| i.params.len());
            let refs: Vec<&[u8]> = params.iter().take(n).map(Vec::as_slice).collect();
            let mut e = Event::from_params(code, 0, ts, tid, &refs).expect("fits the table");
            e.cpu = cpu;
            e.flags = flags;
            e
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_captures_round_trip(
        meta in metadata(),
        events in prop::collection::vec(random_event(), 0..20),
    ) {
        let bytes = write_all(&meta, &events);
        let (back, back_events) = read_all(&bytes);
        prop_assert_eq!(back, expected(&meta));
        prop_assert_eq!(
            back_events.iter().map(key).collect::<Vec<_>>(),
            events.iter().map(key).collect::<Vec<_>>()
        );
    }
}

#[test]
fn legacy_fd_types_write_newer_types_as_unsupported() {
    let newer = [
        FdType::Bpf,
        FdType::Userfaultfd,
        FdType::Iouring,
        FdType::Memfd,
        FdType::Pidfd,
    ];
    let fds: Vec<FdInfo> = newer
        .iter()
        .enumerate()
        .map(|(i, &ty)| FdInfo {
            fd: i as i64,
            ino: 1,
            ty,
            details: FdDetails::Named {
                name: format!("anon_inode:{i}"),
            },
        })
        .chain([FdInfo {
            fd: 9,
            ino: 2,
            ty: FdType::FileV2,
            details: FdDetails::File {
                open_flags: 1,
                name: "/etc/passwd".into(),
                dev: 3,
            },
        }])
        .collect();
    let list = FdList {
        version: 2,
        tid: 1,
        fds: fds.clone(),
    };
    for legacy in [false, true] {
        let opts = scap::WriterOptions {
            legacy_fd_types: legacy,
        };
        let mut w = Writer::with_options(Vec::new(), opts).expect("writer");
        w.write_fd_list(&list).expect("fd list");
        let bytes = w.into_inner().expect("flush");
        let (meta, _) = read_all(&bytes);
        let back = &meta.fds[0].fds;
        assert_eq!(back.len(), fds.len());
        for (b, f) in back.iter().zip(&fds) {
            assert_eq!(b.fd, f.fd);
            assert_eq!(b.name(), f.name(), "names are kept");
            let want = if legacy && newer.contains(&f.ty) {
                FdType::Unsupported
            } else {
                f.ty
            };
            assert_eq!(b.ty, want, "legacy={legacy}");
        }
    }
}
