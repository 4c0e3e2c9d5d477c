//! Tests of the scap capture reader on hand-built blocks: every block type and version,
//! event block kinds, parameter counts and typed parameter views.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use falcoc_scap::{
    self as scap, block, Block, Event, FdDetails, FdType, ParamValue, Reader, SockAddr, SockTuple,
};
use falcoc_schema::events::{events, Direction};

mod support;
use support::*;

#[test]
fn process_lists_of_every_version() {
    for (i, &ty) in PL_TYPES.iter().enumerate() {
        let v = i as u8 + 1;
        let body = [proc_entry(v, 100, &[]), proc_entry(v, 101, &[])].concat();
        let bytes = [shb(1, 2), block_bytes(ty, &body)].concat();
        let (blocks, err) = read_all(&bytes);
        assert!(err.is_none(), "v{v}: {err:?}");
        let Block::ProcessList(ps) = &blocks[1] else {
            panic!("v{v}: {:?}", blocks[1])
        };
        assert_eq!(ps.len(), 2, "v{v}");
        let p = &ps[0];
        assert_eq!((p.version, p.tid, p.pid, p.ptid), (v, 100, 100, 1));
        assert_eq!(
            (p.comm.as_str(), p.exe.as_str(), p.cwd.as_str()),
            ("comm", "/bin/exe", "/cwd")
        );
        assert_eq!(p.args, vec!["-a", "b c"]);
        assert_eq!((p.fdlimit, p.flags, p.uid, p.gid), (1024, 5, 1000, 1001));
        assert_eq!(p.sid, if v >= 6 { 77 } else { -1 }, "v{v}");
        assert_eq!(p.vpgid, if v >= 8 { 78 } else { -1 }, "v{v}");
        assert_eq!(p.exepath, if v >= 7 { "/usr/bin/exe" } else { "" }, "v{v}");
        assert_eq!(p.vmsize_kb, if v >= 2 { 10 } else { 0 }, "v{v}");
        assert_eq!(p.pfminor, if v >= 2 { 14 } else { 0 }, "v{v}");
        assert_eq!(p.env.len(), if v >= 3 { 2 } else { 0 }, "v{v}");
        assert_eq!(
            (p.vtid, p.vpid),
            if v >= 4 { (5, 6) } else { (-1, -1) },
            "v{v}"
        );
        assert_eq!(p.cgroups.len(), if v >= 4 { 2 } else { 0 }, "v{v}");
        assert_eq!(p.root, if v >= 5 { "/root" } else { "" }, "v{v}");
        assert_eq!(p.loginuid, u32::MAX);
        assert_eq!(ps[1].tid, 101);
    }
    // The pre-release codes of V1..V3 read like their versions.
    for (ty, v) in [
        (block::PL_V1_INT, 1),
        (block::PL_V2_INT, 2),
        (block::PL_V3_INT, 3),
    ] {
        let bytes = [shb(1, 0), block_bytes(ty, &proc_entry(v, 7, &[]))].concat();
        let (blocks, err) = read_all(&bytes);
        assert!(err.is_none());
        assert!(matches!(&blocks[1], Block::ProcessList(p) if p[0].version == v && p[0].tid == 7));
    }
}

#[test]
fn process_list_v9_appended_fields() {
    // libs < 0.10: loginuid + exe_writable only.
    let mut old = Vec::new();
    old.extend_from_slice(&1000u32.to_le_bytes());
    old.push(1);
    // libs >= 0.10: pidns_init_start_ts, tty, loginuid, exe_writable, 3 capability sets,
    // exe_upper_layer, exe_ino, ctime, mtime, exe_from_memfd, exe_lower_layer, pgid, then a
    // field this reader does not know.
    let mut new = Vec::new();
    new.extend_from_slice(&123u64.to_le_bytes());
    new.extend_from_slice(&34816u32.to_le_bytes());
    new.extend_from_slice(&1001u32.to_le_bytes());
    new.push(1);
    new.extend_from_slice(&0x1u64.to_le_bytes());
    new.extend_from_slice(&0x2u64.to_le_bytes());
    new.extend_from_slice(&0x3u64.to_le_bytes());
    new.push(1);
    new.extend_from_slice(&555u64.to_le_bytes());
    new.extend_from_slice(&666u64.to_le_bytes());
    new.extend_from_slice(&777u64.to_le_bytes());
    new.push(1);
    new.push(1);
    new.extend_from_slice(&4321i64.to_le_bytes());
    new.extend_from_slice(&[0xAB; 12]);
    let body = [
        proc_entry(9, 1, &old),
        proc_entry(9, 2, &new),
        proc_entry(9, 3, &[]),
    ]
    .concat();
    let bytes = [shb(1, 2), block_bytes(block::PL_V9, &body)].concat();
    let (blocks, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    let Block::ProcessList(ps) = &blocks[1] else {
        panic!()
    };
    assert_eq!(ps.len(), 3);
    let (o, n, bare) = (&ps[0], &ps[1], &ps[2]);
    assert_eq!(
        (o.loginuid, o.exe_writable, o.tty, o.pidns_init_start_ts),
        (1000, true, 0, 0)
    );
    assert_eq!(
        (n.pidns_init_start_ts, n.tty, n.loginuid, n.exe_writable),
        (123, 34816, 1001, true)
    );
    assert_eq!(
        (n.cap_inheritable, n.cap_permitted, n.cap_effective),
        (1, 2, 3)
    );
    assert_eq!(
        (
            n.exe_upper_layer,
            n.exe_ino,
            n.exe_ino_ctime,
            n.exe_ino_mtime
        ),
        (true, 555, 666, 777)
    );
    assert_eq!(
        (n.exe_from_memfd, n.exe_lower_layer, n.pgid),
        (true, true, 4321)
    );
    assert_eq!((bare.loginuid, bare.pgid, bare.tid), (u32::MAX, -1, 3));
}

#[test]
fn fd_lists_of_both_versions() {
    let v6a: Ipv6Addr = "2001:db8::1".parse().expect("v6");
    let v6b: Ipv6Addr = "2001:db8::2".parse().expect("v6");
    for v2 in [false, true] {
        let mut body = 42i64.to_le_bytes().to_vec();
        let mut d = Vec::new();
        d.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        d.extend_from_slice(&5555u16.to_le_bytes());
        d.extend_from_slice(&80u16.to_le_bytes());
        d.push(2);
        body.extend(fd_entry(v2, 3, 3, &d));
        let mut d = v6a.octets().to_vec();
        d.extend_from_slice(&v6b.octets());
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&2u16.to_le_bytes());
        d.push(3);
        body.extend(fd_entry(v2, 4, 4, &d));
        let mut d = vec![127, 0, 0, 1];
        d.extend_from_slice(&8080u16.to_le_bytes());
        d.push(2);
        body.extend(fd_entry(v2, 5, 5, &d));
        let mut d = v6a.octets().to_vec();
        d.extend_from_slice(&443u16.to_le_bytes());
        d.push(2);
        body.extend(fd_entry(v2, 6, 6, &d));
        let mut d = 0x1111u64.to_le_bytes().to_vec();
        d.extend_from_slice(&0x2222u64.to_le_bytes());
        d.extend(lstr(b"/run/sock"));
        body.extend(fd_entry(v2, 7, 8, &d));
        let mut d = 0o2u32.to_le_bytes().to_vec();
        d.extend(lstr(b"/etc/passwd"));
        if v2 {
            d.extend_from_slice(&0x801u32.to_le_bytes());
        }
        body.extend(fd_entry(v2, 8, 16, &d));
        body.extend(fd_entry(v2, 9, 2, &lstr(b"/tmp")));
        body.extend(fd_entry(v2, 10, 12, &lstr(b"")));
        if v2 {
            // A type from a newer library, with data only its length lets us skip.
            body.extend(fd_entry(v2, 11, 99, &[1, 2, 3, 4, 5]));
        }
        let ty = if v2 { block::FDL_V2 } else { block::FDL };
        let bytes = [shb(1, 2), block_bytes(ty, &body)].concat();
        let (blocks, err) = read_all(&bytes);
        assert!(err.is_none(), "{err:?}");
        let Block::FdList(list) = &blocks[1] else {
            panic!()
        };
        assert_eq!(list.tid, 42);
        assert_eq!(list.version, if v2 { 2 } else { 1 });
        let f = &list.fds;
        assert_eq!(f.len(), if v2 { 9 } else { 8 });
        assert_eq!(
            f[0].details,
            FdDetails::Ipv4Socket {
                sip: Ipv4Addr::new(10, 0, 0, 1),
                dip: Ipv4Addr::new(10, 0, 0, 2),
                sport: 5555,
                dport: 80,
                l4proto: 2
            }
        );
        assert_eq!(f[0].ino, 99);
        assert_eq!(
            f[1].details,
            FdDetails::Ipv6Socket {
                sip: v6a,
                dip: v6b,
                sport: 1,
                dport: 2,
                l4proto: 3
            }
        );
        assert_eq!(
            f[2].details,
            FdDetails::Ipv4Server {
                ip: Ipv4Addr::LOCALHOST,
                port: 8080,
                l4proto: 2
            }
        );
        assert_eq!(
            f[3].details,
            FdDetails::Ipv6Server {
                ip: v6a,
                port: 443,
                l4proto: 2
            }
        );
        assert_eq!(
            f[4].details,
            FdDetails::Unix {
                source: 0x1111,
                dest: 0x2222,
                name: "/run/sock".into()
            }
        );
        assert_eq!(
            f[5].details,
            FdDetails::File {
                open_flags: 2,
                name: "/etc/passwd".into(),
                dev: if v2 { 0x801 } else { 0 }
            }
        );
        assert_eq!((f[6].ty, f[6].name()), (FdType::Directory, Some("/tmp")));
        assert_eq!((f[7].ty, f[7].name()), (FdType::Eventpoll, Some("")));
        if v2 {
            assert_eq!(
                (f[8].fd, f[8].ty, &f[8].details),
                (11, FdType::Other(99), &FdDetails::None)
            );
        }
    }
}

#[test]
fn interface_and_user_lists_of_both_versions() {
    let v6: Ipv6Addr = "fe80::1".parse().expect("v6");
    let if4 = |linkspeed: bool| {
        let mut e = (if linkspeed { 1u16 } else { 3u16 }).to_le_bytes().to_vec();
        e.extend_from_slice(&4u16.to_le_bytes());
        e.extend_from_slice(&[192, 168, 1, 2, 255, 255, 255, 0, 192, 168, 1, 255]);
        if linkspeed {
            e.extend_from_slice(&1000u64.to_le_bytes());
        }
        e.extend_from_slice(b"eth0");
        e
    };
    let if6 = |linkspeed: bool| {
        let mut e = (if linkspeed { 2u16 } else { 4u16 }).to_le_bytes().to_vec();
        e.extend_from_slice(&2u16.to_le_bytes());
        e.extend_from_slice(&v6.octets());
        e.extend_from_slice(&[0xff; 16]);
        e.extend_from_slice(&[0; 16]);
        if linkspeed {
            e.extend_from_slice(&10u64.to_le_bytes());
        }
        e.extend_from_slice(b"lo");
        e
    };
    let v2 = |mut e: Vec<u8>, extra: usize| {
        e.extend(std::iter::repeat_n(0xEE, extra));
        let mut out = (e.len() as u32).to_le_bytes().to_vec();
        out.extend(e);
        out
    };
    let il1 = [if4(true), if4(false), if6(true), if6(false)].concat();
    let il2 = [
        v2(if4(true), 0),
        v2(if4(false), 3),
        v2(if6(true), 8),
        v2(if6(false), 0),
    ]
    .concat();
    let user = |v2: bool, uid: u32, name: &[u8]| {
        let mut e = vec![0u8];
        e.extend_from_slice(&uid.to_le_bytes());
        e.extend_from_slice(&uid.to_le_bytes());
        e.extend(lstr(name));
        e.extend(lstr(b"/home/x"));
        e.extend(lstr(b"/bin/sh"));
        if v2 {
            e.extend_from_slice(&[7, 7]); // an appended field
            let mut out = ((e.len() + 4) as u32).to_le_bytes().to_vec();
            out.extend(e);
            out
        } else {
            e
        }
    };
    let group = |v2: bool, gid: u32, name: &[u8]| {
        let mut e = vec![1u8];
        e.extend_from_slice(&gid.to_le_bytes());
        e.extend(lstr(name));
        if v2 {
            let mut out = ((e.len() + 4) as u32).to_le_bytes().to_vec();
            out.extend(e);
            out
        } else {
            e
        }
    };
    for v in [1, 2] {
        let (il, ul) = if v == 1 {
            (
                block_bytes(block::IL, &il1),
                block_bytes(
                    block::UL,
                    &[
                        user(false, 0, b"root"),
                        group(false, 27, b"sudo"),
                        user(false, 1000, b"alice"),
                    ]
                    .concat(),
                ),
            )
        } else {
            (
                block_bytes(block::IL_V2, &il2),
                block_bytes(
                    block::UL_V2,
                    &[
                        user(true, 0, b"root"),
                        group(true, 27, b"sudo"),
                        user(true, 1000, b"alice"),
                    ]
                    .concat(),
                ),
            )
        };
        let bytes = [shb(1, 2), il, ul].concat();
        let (blocks, err) = read_all(&bytes);
        assert!(err.is_none(), "v{v}: {err:?}");
        let Block::InterfaceList(il) = &blocks[1] else {
            panic!()
        };
        assert_eq!(il.v4.len(), 2);
        assert_eq!(il.v6.len(), 2);
        assert_eq!(
            (il.v4[0].name.as_str(), il.v4[0].addr, il.v4[0].linkspeed),
            ("eth0", Ipv4Addr::new(192, 168, 1, 2), 1000)
        );
        assert_eq!(
            (il.v4[1].netmask, il.v4[1].bcast, il.v4[1].linkspeed),
            (
                Ipv4Addr::new(255, 255, 255, 0),
                Ipv4Addr::new(192, 168, 1, 255),
                0
            )
        );
        assert_eq!(
            (il.v6[0].name.as_str(), il.v6[0].addr, il.v6[0].linkspeed),
            ("lo", v6, 10)
        );
        assert_eq!(il.v6[1].linkspeed, 0);
        let Block::UserList(ul) = &blocks[2] else {
            panic!()
        };
        assert_eq!(
            ul.users
                .iter()
                .map(|u| (u.uid, u.name.as_str()))
                .collect::<Vec<_>>(),
            vec![(0, "root"), (1000, "alice")]
        );
        assert_eq!(
            (ul.users[1].homedir.as_str(), ul.users[1].shell.as_str()),
            ("/home/x", "/bin/sh")
        );
        assert_eq!((ul.groups[0].gid, ul.groups[0].name.as_str()), (27, "sudo"));
    }
}

#[test]
fn machine_info_and_unknown_blocks() {
    let mut mi = 8u32.to_le_bytes().to_vec();
    mi.extend_from_slice(&(16u64 << 30).to_le_bytes());
    mi.extend_from_slice(&32768u64.to_le_bytes());
    let mut host = [0u8; 128];
    host[..4].copy_from_slice(b"host");
    mi.extend_from_slice(&host);
    mi.extend_from_slice(&7u64.to_le_bytes());
    mi.extend_from_slice(&9u64.to_le_bytes());
    mi.extend_from_slice(&[0; 16]);
    assert_eq!(mi.len(), scap::MACHINE_INFO_LEN);
    let read = code_of("read", Direction::Enter);
    let bytes = [
        shb(1, 2),
        block_bytes(0x7777, &[1, 2, 3]),
        block_bytes(block::MI_INT, &mi),
        ev2(read, &[&3i64.to_le_bytes(), &10u32.to_le_bytes()]),
        block_bytes(0x8888_0000, &[]),
        ev2(read, &[&4i64.to_le_bytes(), &10u32.to_le_bytes()]),
    ]
    .concat();
    let mut r = Reader::new(&bytes[..]).expect("reader");
    let evs: Vec<Event> = r.by_ref().map(|e| e.expect("event")).collect();
    assert_eq!(evs.iter().map(|e| e.num).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(evs[1].param_by_name("fd").and_then(|p| p.as_fd()), Some(4));
    let s = r.stats();
    assert_eq!((s.unknown_blocks, s.blocks, s.event_blocks), (2, 6, 2));
    let m = r.metadata().machine.as_ref().expect("machine");
    assert_eq!(
        (
            m.num_cpus,
            m.hostname.as_str(),
            m.max_pid,
            m.boot_ts_epoch,
            m.flags
        ),
        (8, "host", 32768, 7, 9)
    );
    let (blocks, _) = read_all(&bytes);
    assert!(matches!(
        blocks[1],
        Block::Unknown {
            block_type: 0x7777,
            len: 16
        }
    ));
}

#[test]
fn event_block_kinds() {
    let open_x = code_of("open", Direction::Exit);
    let fd = (-2i64).to_le_bytes();
    let name = b"/etc/hosts\0";
    let flags = 1u32.to_le_bytes();
    let mode = 0o644u32.to_le_bytes();
    let params: [&[u8]; 4] = [&fd, name, &flags, &mode];
    let container = 324u16;
    let json = b"{\"container\":{}}\0";
    let bytes = [
        shb(1, 0),
        event_block(block::EV, 0, None, open_x, &params, true, false),
        event_block(block::EV_INT, 0, None, open_x, &params, true, false),
        event_block(block::EVF, 1, Some(0x5), open_x, &params, true, false),
        event_block(block::EV_V2, 2, None, open_x, &params, false, false),
        event_block(block::EVF_V2, 3, Some(0x6), open_x, &params, false, false),
        event_block(block::EV_V2_LARGE, 4, None, open_x, &params, false, false),
        event_block(
            block::EVF_V2_LARGE,
            5,
            Some(0x7),
            open_x,
            &params,
            false,
            false,
        ),
        // Large-payload events: u32 lengths in version 2, u16 in version 1.
        event_block(block::EV_V2, 6, None, container, &[json], false, true),
        event_block(block::EV, 7, None, container, &[json], true, false),
    ]
    .concat();
    let (blocks, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    let evs = events_of(&blocks);
    assert_eq!(evs.len(), 9);
    for (i, e) in evs.iter().enumerate() {
        assert_eq!(e.num, i as u64 + 1);
        assert_eq!((e.ts, e.tid), (1_700_000_000_000_000_000, 4242));
    }
    for e in &evs[..7] {
        assert_eq!(e.name(), "open");
        assert_eq!(
            e.nparams(),
            4,
            "shorter than the table's 6: {}",
            e.info().params.len()
        );
        assert_eq!(e.return_value(), Some(-2));
        assert_eq!(
            e.param_by_name("name").and_then(|p| p.as_str()),
            Some("/etc/hosts")
        );
        assert_eq!(
            e.param_by_name("mode").and_then(|p| p.as_u32()),
            Some(0o644)
        );
        assert!(e.param_by_name("dev").is_none());
        assert!(e.param_by_name("ino").is_none());
    }
    assert_eq!(
        evs.iter().map(|e| e.cpu).collect::<Vec<_>>(),
        vec![0, 0, 1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        evs.iter().map(|e| e.flags).collect::<Vec<_>>(),
        vec![0, 0, 5, 0, 6, 0, 7, 0, 0]
    );
    assert_eq!(evs[0].block_type, block::EV);
    assert_eq!(evs[6].block_type, block::EVF_V2_LARGE);
    for e in &evs[7..] {
        assert_eq!(e.name(), "container");
        assert_eq!(
            e.param(0).and_then(|p| p.as_str()),
            Some("{\"container\":{}}")
        );
    }
}

#[test]
fn version_1_parameter_counts() {
    // The count is recovered from the lengths whatever the table says: zero-length values,
    // a count below the table's, and the notification length quirk.
    let close_x = code_of("close", Direction::Exit);
    let open_x = code_of("open", Direction::Exit);
    let fd = 3i64.to_le_bytes();
    let bytes = [
        shb(1, 1),
        event_block(
            block::EV,
            0,
            None,
            close_x,
            &[&0i64.to_le_bytes()],
            true,
            false,
        ),
        event_block(
            block::EV,
            0,
            None,
            open_x,
            &[&fd, b"", b"", b""],
            true,
            false,
        ),
        event_block(block::EV, 0, None, open_x, &[], true, false),
    ]
    .concat();
    let (blocks, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    let evs = events_of(&blocks);
    assert_eq!(
        evs.iter().map(|e| e.nparams()).collect::<Vec<_>>(),
        vec![1, 4, 0]
    );
    assert_eq!(evs[1].param(1).map(|p| p.value()), Some(ParamValue::Empty));
    // notification (280): the stored length is 3 bytes too large in old captures.
    let mut b = event_block(block::EV, 0, None, 280, &[b"id\0", b"desc\0"], true, false);
    let len_at = 8 + 2 + 16;
    let len = u32::from_le_bytes(b[len_at..len_at + 4].try_into().expect("4 bytes")) + 3;
    b[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
    // Keep the block big enough for the inflated length.
    let body_end = b.len() - 4;
    let mut body = b[8..body_end].to_vec();
    body.extend_from_slice(&[0; 4]);
    let bytes = [shb(1, 0), block_bytes(block::EV, &body)].concat();
    let (blocks, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    let evs = events_of(&blocks);
    assert_eq!(evs[0].name(), "notification");
    assert_eq!(evs[0].param(1).and_then(|p| p.as_str()), Some("desc"));
}

#[test]
fn longer_parameter_lists_and_unknown_event_types() {
    let read_x = code_of("read", Direction::Exit);
    let ntable = events()[read_x as usize].params.len();
    let mut params: Vec<Vec<u8>> = vec![5i64.to_le_bytes().to_vec(), b"hello".to_vec()];
    while params.len() < ntable {
        params.push(vec![0; 4]);
    }
    params.push(b"appended by newer libs".to_vec());
    params.push(vec![]);
    let refs: Vec<&[u8]> = params.iter().map(|p| &p[..]).collect();
    let bytes = [
        shb(1, 2),
        event_block(block::EV_V2, 0, None, 999, &[b"x"], false, false),
        event_block(block::EV_V2, 0, None, read_x, &refs, false, false),
        event_block(block::EV, 0, None, 60000, &[b"x"], true, false),
        event_block(block::EV_V2, 0, None, read_x, &refs[..1], false, false),
    ]
    .concat();
    let mut r = Reader::new(&bytes[..]).expect("reader");
    let evs: Vec<Event> = r.by_ref().map(|e| e.expect("event")).collect();
    assert_eq!(evs.len(), 2);
    assert_eq!((evs[0].num, evs[1].num), (1, 2));
    let e = &evs[0];
    assert_eq!(e.nparams(), ntable + 2);
    let extra = e.param(ntable).expect("extra param");
    assert!(extra.info().is_none());
    assert_eq!(extra.value(), ParamValue::Raw(b"appended by newer libs"));
    assert_eq!(
        e.param(ntable + 1).map(|p| p.value()),
        Some(ParamValue::Empty)
    );
    assert_eq!(
        e.param_by_name("data").map(|p| p.value()),
        Some(ParamValue::Bytes(b"hello"))
    );
    assert_eq!(e.return_value(), Some(5));
    assert_eq!(evs[1].nparams(), 1);
    assert!(evs[1].param_by_name("data").is_none());
    let s = r.stats();
    assert_eq!((s.event_blocks, s.events, s.skipped_events), (4, 2, 2));
    assert_eq!(
        s.skipped_by_code.keys().copied().collect::<Vec<_>>(),
        vec![999, 60000]
    );
}

#[test]
fn typed_parameter_views() {
    let connect_x = code_of("connect", Direction::Exit);
    let connect_e = code_of("connect", Direction::Enter);
    let poll_x = code_of("poll", Direction::Exit);
    let ptrace_x = code_of("ptrace", Direction::Exit);
    let execve_x = code_of("execve", Direction::Exit);
    let v6a: Ipv6Addr = "2001:db8::1".parse().expect("v6");
    let v6b: Ipv6Addr = "::1".parse().expect("v6");

    let mut t4 = vec![2u8, 10, 0, 0, 1];
    t4.extend_from_slice(&40000u16.to_le_bytes());
    t4.extend_from_slice(&[203, 0, 113, 66]);
    t4.extend_from_slice(&4444u16.to_le_bytes());
    let mut t6 = vec![10u8];
    t6.extend_from_slice(&v6a.octets());
    t6.extend_from_slice(&1u16.to_le_bytes());
    t6.extend_from_slice(&v6b.octets());
    t6.extend_from_slice(&53u16.to_le_bytes());
    let mut tu = vec![1u8];
    tu.extend_from_slice(&0xaau64.to_le_bytes());
    tu.extend_from_slice(&0xbbu64.to_le_bytes());
    tu.extend_from_slice(b"/var/run/nscd/socket\0");
    let mut a4 = vec![2u8, 127, 0, 0, 1];
    a4.extend_from_slice(&80u16.to_le_bytes());
    let mut a6 = vec![10u8];
    a6.extend_from_slice(&v6b.octets());
    a6.extend_from_slice(&2345u16.to_le_bytes());
    let au = b"\x01/tmp/sock\0".to_vec();
    let mut fdl = 2u16.to_le_bytes().to_vec();
    fdl.extend_from_slice(&3i64.to_le_bytes());
    fdl.extend_from_slice(&1i16.to_le_bytes());
    fdl.extend_from_slice(&7i64.to_le_bytes());
    fdl.extend_from_slice(&4i16.to_le_bytes());
    let res = (-115i64).to_le_bytes();
    let fd = 3i64.to_le_bytes();
    let bytes = [
        shb(1, 2),
        ev2(connect_x, &[&res, &t4, &fd, &a4]),
        ev2(connect_x, &[&res, &t6, &fd, &a6]),
        ev2(connect_x, &[&res, &tu, &fd, &au]),
        ev2(connect_e, &[&fd, b"\x02\x01"]), // too short for AF_INET
        ev2(poll_x, &[&2i64.to_le_bytes(), &fdl]),
        ev2(
            ptrace_x,
            &[
                &0i64.to_le_bytes(),
                b"\x00\x11\x22\x33\x44\x55\x66\x77\x88",
                b"",
            ],
        ),
        ev2(
            execve_x,
            &[&0i64.to_le_bytes(), b"/bin/ls\0", b"-l\0/tmp\0"],
        ),
        // 32-bit return value (old drivers)
        ev2(connect_x, &[&(-2i32).to_le_bytes()]),
    ]
    .concat();
    let (blocks, err) = read_all(&bytes);
    assert!(err.is_none(), "{err:?}");
    let evs = events_of(&blocks);
    fn tuple(e: &Event) -> Option<SockTuple<'_>> {
        e.param_by_name("tuple").and_then(|p| p.as_socktuple())
    }
    fn addr(e: &Event) -> Option<SockAddr<'_>> {
        e.param_by_name("addr").and_then(|p| p.as_sockaddr())
    }
    assert_eq!(
        tuple(evs[0]),
        Some(SockTuple::Inet {
            src: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000),
            dst: SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 66), 4444)
        })
    );
    assert_eq!(
        addr(evs[0]),
        Some(SockAddr::Inet(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80)))
    );
    assert_eq!(evs[0].return_value(), Some(-115));
    assert_eq!(
        tuple(evs[1]),
        Some(SockTuple::Inet6 {
            src: SocketAddrV6::new(v6a, 1, 0, 0),
            dst: SocketAddrV6::new(v6b, 53, 0, 0)
        })
    );
    assert_eq!(
        addr(evs[1]),
        Some(SockAddr::Inet6(SocketAddrV6::new(v6b, 2345, 0, 0)))
    );
    assert_eq!(
        tuple(evs[2]),
        Some(SockTuple::Unix {
            source: 0xaa,
            dest: 0xbb,
            path: b"/var/run/nscd/socket"
        })
    );
    assert_eq!(addr(evs[2]), Some(SockAddr::Unix(b"/tmp/sock")));
    assert_eq!(addr(evs[3]), None);
    assert!(matches!(
        evs[3].param_by_name("addr").map(|p| p.value()),
        Some(ParamValue::Raw(_))
    ));
    let fds = evs[4].param(1).and_then(|p| p.as_fdlist()).expect("fdlist");
    assert_eq!(fds.iter().collect::<Vec<_>>(), vec![(3, 1), (7, 4)]);
    assert_eq!(
        evs[4].param(1).map(|p| p.value()),
        Some(ParamValue::FdList(fds))
    );
    assert_eq!(
        evs[5].param_by_name("addr").and_then(|p| p.as_dyn()),
        Some((0, &b"\x11\x22\x33\x44\x55\x66\x77\x88"[..]))
    );
    let args: Vec<&[u8]> = evs[6]
        .param_by_name("args")
        .expect("args")
        .as_str_list()
        .collect();
    assert_eq!(args, vec![&b"-l"[..], &b"/tmp"[..]]);
    assert_eq!(
        evs[6].param_by_name("exe").map(|p| p.value()),
        Some(ParamValue::Str(b"/bin/ls"))
    );
    assert_eq!(evs[7].return_value(), Some(-2));
    assert_eq!(evs[7].param(0).and_then(|p| p.as_i32()), Some(-2));
    assert_eq!(evs[7].param(0).and_then(|p| p.as_i64()), None);
    // Enter events and non-syscall events have no return value.
    assert_eq!(evs[3].return_value(), None);
}

#[test]
fn event_ref_and_owned_event_agree() {
    let Some(path) = capture("libs-test_ipv6_client.scap") else {
        return;
    };
    let owned: Vec<Event> = scap::open(&path)
        .expect("open")
        .map(|e| e.expect("event"))
        .collect();
    let mut r = scap::open(&path).expect("open");
    let mut i = 0;
    while let Some(e) = r.next_event_ref() {
        let e = e.expect("event");
        assert_eq!(e.to_event(), owned[i]);
        assert_eq!(owned[i].as_event_ref().params().len(), e.nparams());
        i += 1;
    }
    assert_eq!(i, owned.len());
}
