//! Tests of the scap capture reader on every capture of `shared/captures`: block counts
//! and event numbers against its README, metadata of the synthetic host, event fields
//! against sysdig 0.29's output.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};

use falcoc_scap::{
    self as scap, block, Event, FdDetails, FdType, ParamValue, Reader, ReaderOptions, SockAddr,
    SockTuple,
};
use falcoc_schema::events::Direction;

mod support;
use support::*;

#[test]
fn every_capture_reads_completely() {
    let Some(dir) = captures_dir() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list captures")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".scap") || n.ends_with(".scap.gz"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let path = dir.join(name);
        let s =
            summarize(&path, ReaderOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every event type of these files is known to the libs 0.22.2 table.
        assert_eq!(s.skipped, 0, "{name}");
        assert_eq!(s.last_num, s.event_blocks, "{name}");
        assert_eq!(s.stats.unknown_blocks, 0, "{name}");
        assert_eq!(s.stats.sections, 1, "{name}");
        match README.iter().find(|r| r.0 == name) {
            Some(&(_, gz, blocks, _)) => {
                assert_eq!(s.compressed, gz, "{name}: gzip");
                assert_eq!(s.event_blocks, blocks, "{name}: event blocks");
            }
            None => eprintln!(
                "note: {name} is not in the README table; read {} events",
                s.last_num
            ),
        }
    }
    for (name, ..) in README {
        if !names.iter().any(|n| n == name) {
            eprintln!("note: {name} (README) is absent");
        }
    }
}

#[test]
fn numbering_like_sysdig_029() {
    for &(name, _, blocks, last) in README {
        let Some(path) = capture(name) else { continue };
        let opts = ReaderOptions {
            event_code_limit: SYSDIG_029_EVENT_MAX,
            ..ReaderOptions::default()
        };
        let s = summarize(&path, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.event_blocks, blocks, "{name}");
        assert_eq!(s.skipped + s.last_num, blocks, "{name}");
        match last {
            Some(last) => assert_eq!(s.last_num, last, "{name}: last evt.num"),
            // Unreadable for sysdig; the same events as libs-curl_google.
            None => assert_eq!(s.last_num, 1536, "{name}"),
        }
        if name == "libs-sample.scap" {
            // 95 events of types newer than sysdig 0.29 (ids 354, 358).
            assert_eq!(s.skipped, 95);
            assert_eq!(
                s.stats.skipped_by_code.keys().copied().collect::<Vec<_>>(),
                vec![354, 358]
            );
        }
    }
}

#[test]
fn block_counts_of_old_and_new_captures() {
    let expect: &[(&str, &[(u32, u64)])] = &[
        (
            "falco-cat_write.scap",
            &[
                (block::SHB, 1),
                (block::MI, 1),
                (block::IL, 1),
                (block::UL, 1),
                (block::PL_V6, 1),
                (block::FDL, 73),
                (block::EV, 345),
            ],
        ),
        (
            "falco-syscall.scap",
            &[
                (block::SHB, 1),
                (block::MI, 1),
                (block::IL, 1),
                (block::UL, 1),
                (block::PL_V8, 1),
                (block::FDL, 229),
                (block::EV, 368),
            ],
        ),
        (
            "libs-curl_google.scap",
            &[
                (block::SHB, 1),
                (block::MI, 1),
                (block::IL, 1),
                (block::UL, 1),
                (block::PL_V5, 1),
                (block::FDL, 54),
                (block::EV, 1536),
            ],
        ),
        (
            "falco-connect_localhost.scap",
            &[
                (block::SHB, 1),
                (block::MI, 1),
                (block::IL, 1),
                (block::UL, 1),
                (block::PL_V7, 1),
                (block::FDL, 184),
                (block::EV, 374),
            ],
        ),
        (
            "synth_small.scap",
            &[
                (block::SHB, 1),
                (block::MI, 1),
                (block::IL_V2, 1),
                (block::UL_V2, 1),
                (block::PL_V9, 1),
                (block::FDL_V2, 10),
                (block::EV_V2, 5011),
            ],
        ),
    ];
    for (name, counts) in expect {
        let Some(path) = capture(name) else { continue };
        let s = summarize(&path, ReaderOptions::default()).expect(name);
        let want: BTreeMap<u32, u64> = counts.iter().copied().collect();
        assert_eq!(s.stats.by_block_type, want, "{name}");
        assert_eq!(s.stats.blocks, want.values().sum::<u64>(), "{name}");
    }
}

#[test]
fn section_header_options_are_read() {
    let Some(path) = capture("libs-curl_google_comments.scap") else {
        return;
    };
    let mut r = scap::open(&path).expect("open");
    let meta = r.read_metadata().expect("metadata");
    let shb = meta.section.as_ref().expect("section header");
    assert_eq!((shb.major, shb.minor), (1, 0));
    assert_eq!(shb.section_length, u64::MAX);
    assert_eq!(
        shb.comments().collect::<Vec<_>>(),
        vec!["File-level comment"]
    );
    let app = shb
        .options
        .iter()
        .find(|o| o.code == 4)
        .expect("shb_userappl");
    assert!(String::from_utf8_lossy(&app.value).starts_with("Editcap (Wireshark)"));
    // Same content as the file without the comment.
    let Some(plain) = capture("libs-curl_google.scap") else {
        return;
    };
    let a: Vec<Event> = r.map(|e| e.expect("event")).collect();
    let b: Vec<Event> = scap::open(&plain)
        .expect("open")
        .map(|e| e.expect("event"))
        .collect();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (x.num, x.ts, x.tid, x.code, x.cpu),
            (y.num, y.ts, y.tid, y.code, y.cpu)
        );
        assert_eq!(
            x.params().iter().map(|p| p.raw()).collect::<Vec<_>>(),
            y.params().iter().map(|p| p.raw()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn synth_small_metadata() {
    let Some(path) = capture("synth_small.scap") else {
        return;
    };
    let mut r = scap::open(&path).expect("open");
    let m = r.read_metadata().expect("metadata").clone();
    assert_eq!(
        r.stats().events,
        0,
        "read_metadata stops before the first event"
    );

    let shb = m.section.as_ref().expect("shb");
    assert_eq!((shb.major, shb.minor), (1, 2));
    let mi = m.machine.as_ref().expect("machine info");
    assert_eq!(mi.hostname, "web-01");
    assert_eq!(mi.num_cpus, 4);

    let ifs = m.interfaces.as_ref().expect("interfaces");
    let v4: Vec<(&str, Ipv4Addr)> = ifs.v4.iter().map(|i| (i.name.as_str(), i.addr)).collect();
    assert!(v4.contains(&("eth0", Ipv4Addr::new(10, 0, 0, 5))), "{v4:?}");
    assert!(
        v4.contains(&("docker0", Ipv4Addr::new(172, 17, 0, 1))),
        "{v4:?}"
    );

    let ul = m.users.as_ref().expect("users");
    let user = |uid: u32| {
        ul.users
            .iter()
            .find(|u| u.uid == uid)
            .map(|u| u.name.as_str())
    };
    assert_eq!(user(0), Some("root"));
    assert_eq!(user(33), Some("www-data"));
    assert_eq!(user(110), Some("postgres"));
    assert_eq!(user(1000), Some("alice"));
    let alice = ul.users.iter().find(|u| u.uid == 1000).expect("alice");
    assert_eq!(alice.homedir, "/home/alice");
    assert!(ul.groups.iter().any(|g| g.gid == 27 && g.name == "sudo"));

    let proc_ = |pid: i64| {
        m.processes
            .iter()
            .find(|p| p.tid == pid)
            .unwrap_or_else(|| panic!("process {pid}"))
    };
    for (pid, comm) in [
        (1, "systemd"),
        (540, "cron"),
        (571, "rsyslogd"),
        (612, "sshd"),
        (700, "dockerd"),
        (880, "nginx"),
        (881, "nginx"),
        (882, "nginx"),
        (950, "postgres"),
        (1400, "containerd-shim"),
        (2100, "sshd"),
        (2150, "bash"),
    ] {
        let p = proc_(pid);
        assert_eq!(p.comm, comm, "pid {pid}");
        assert_eq!(p.pid, pid);
        assert_eq!(p.version, 9);
    }
    let nginx = proc_(880);
    assert_eq!(nginx.exepath, "/usr/sbin/nginx");
    assert_eq!(nginx.uid, 0);
    assert_eq!(nginx.ptid, 1);
    for w in [881, 882] {
        assert_eq!(proc_(w).ptid, 880);
        assert_eq!(proc_(w).uid, 33);
        assert_eq!(proc_(w).args, vec!["worker", "process"]);
    }
    let bash = proc_(2150);
    assert_eq!(bash.exe, "-bash");
    assert_eq!(bash.cwd, "/home/alice");
    assert_eq!(bash.loginuid, 1000);
    assert_eq!(bash.ptid, 2100);
    assert!(bash.env.iter().any(|e| e == "USER=alice"));
    assert_eq!(proc_(612).loginuid, u32::MAX);
    // nginx inside the container: vpid 1, docker cgroups.
    let cnginx = m
        .processes
        .iter()
        .find(|p| p.comm == "nginx" && p.vpid == 1)
        .expect("container nginx");
    assert_ne!(cnginx.pid, 1);
    assert!(cnginx
        .cgroups
        .iter()
        .all(|c| c.contains("/docker/3ad7b26ded6d")));

    // fds: nginx listens on 0.0.0.0:80 and :443; the sshd session has a connected socket.
    let fds = |tid: i64| {
        &m.fds
            .iter()
            .find(|f| f.tid == tid)
            .unwrap_or_else(|| panic!("fds of {tid}"))
            .fds
    };
    let listening: Vec<u16> = fds(880)
        .iter()
        .filter_map(|f| match f.details {
            FdDetails::Ipv4Server { ip, port, l4proto } => {
                assert_eq!(ip, Ipv4Addr::UNSPECIFIED);
                assert_eq!(l4proto, 2);
                Some(port)
            }
            _ => None,
        })
        .collect();
    assert_eq!(listening, vec![80, 443]);
    assert!(fds(880)
        .iter()
        .any(|f| f.ty == FdType::FileV2 && f.name() == Some("/var/log/nginx/access.log")));
    assert!(fds(2100).iter().any(|f| matches!(
        f.details,
        FdDetails::Ipv4Socket {
            dport: 22,
            l4proto: 2,
            ..
        }
    )));
    assert!(fds(2150)
        .iter()
        .any(|f| f.fd == 0 && f.name() == Some("/dev/pts/0")));

    // The events follow; the first one is the container event.
    let first = r.next().expect("an event").expect("no error");
    assert_eq!(first.num, 1);
    assert_eq!(first.name(), "container");
    let json = first
        .param_by_name("json")
        .expect("json")
        .as_str()
        .expect("utf-8");
    assert!(json.contains("web-frontend"), "{json}");
}

#[test]
fn old_capture_metadata() {
    let Some(path) = capture("falco-cat_write.scap") else {
        return;
    };
    let mut r = scap::open(&path).expect("open");
    let m = r.read_metadata().expect("metadata");
    assert_eq!(m.section.as_ref().map(|s| (s.major, s.minor)), Some((1, 0)));
    assert_eq!(
        m.machine.as_ref().map(|m| m.hostname.as_str()),
        Some("ubuntu")
    );
    let ifs = m.interfaces.as_ref().expect("interfaces");
    assert!(ifs
        .v4
        .iter()
        .any(|i| i.name == "lo" && i.addr == Ipv4Addr::LOCALHOST));
    assert!(ifs
        .v6
        .iter()
        .any(|i| i.name == "lo" && i.addr == Ipv6Addr::LOCALHOST));
    let systemd = m.processes.iter().find(|p| p.pid == 1).expect("pid 1");
    assert_eq!(systemd.comm, "systemd");
    assert_eq!(systemd.version, 6);
    assert_eq!(systemd.sid, 1);
    assert_eq!(systemd.vpgid, -1, "absent before PL_V8");
    assert_eq!(systemd.exepath, "", "absent before PL_V7");
    assert!(!systemd.cgroups.is_empty());
    assert_eq!(m.fds.len(), 73);
    assert!(m.fds.iter().all(|f| f.version == 1));
    let users = m.users.as_ref().expect("users");
    assert!(users.users.iter().any(|u| u.uid == 0 && u.name == "root"));
}

/// The events sysdig 0.29 printed (`expected/*.fields.tsv`): same numbers, types,
/// directions, thread ids, and return values where 2022's `evt.rawres` (a parameter named
/// `res` or `fd`) and today's (the first parameter of a syscall exit event) agree.
#[test]
fn events_agree_with_sysdig_fields() {
    let Some(dir) = captures_dir() else { return };
    let expected = dir.join("expected");
    let Ok(list) = std::fs::read_dir(&expected) else {
        eprintln!("note: {} is absent", expected.display());
        return;
    };
    let mut files = 0;
    for entry in list.filter_map(|e| e.ok()) {
        let fname = entry.file_name().to_string_lossy().into_owned();
        let Some(cap) = fname.strip_suffix(".fields.tsv") else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).expect("fields.tsv");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
        assert_eq!(
            &header[..5],
            ["evt.num", "evt.type", "evt.dir", "evt.rawres", "thread.tid"]
        );
        let mut rows: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
        for l in lines {
            let f: Vec<&str> = l.split('\t').collect();
            rows.insert(f[0].parse().expect("evt.num"), f);
        }
        let opts = ReaderOptions {
            event_code_limit: SYSDIG_029_EVENT_MAX,
            ..ReaderOptions::default()
        };
        let f = std::fs::File::open(dir.join(cap)).expect("capture");
        let mut r = Reader::with_options(f, opts).expect("reader");
        let mut seen = 0;
        while let Some(e) = r.next_event_ref() {
            let e = e.expect("event");
            let Some(row) = rows.get(&e.num) else {
                continue;
            };
            seen += 1;
            let ctx = format!("{cap} #{}", e.num);
            if !e.info().is_generic() {
                assert_eq!(e.name(), row[1], "{ctx}");
            }
            assert_eq!(e.direction().as_str(), row[2], "{ctx}");
            assert_eq!(e.tid.to_string(), row[4], "{ctx}");
            let first = e.param(0).and_then(|p| p.name());
            if matches!(first, Some("res") | Some("fd")) && e.direction() == Direction::Exit {
                let ours = e
                    .return_value()
                    .map_or("<NA>".to_string(), |v| v.to_string());
                assert_eq!(ours, row[3], "{ctx} rawres");
            }
        }
        assert_eq!(seen, rows.len(), "{cap}: every printed event found");
        files += 1;
    }
    assert!(files > 0);
}

#[test]
fn typed_parameters_of_real_events() {
    // IPv6 tuples and addresses.
    if let Some(path) = capture("libs-single_ipv6_conn.scap") {
        let server: Ipv6Addr = "2001:db8::3".parse().expect("ipv6");
        let mut tuples = 0;
        let mut sockaddrs = 0;
        for e in scap::open(&path).expect("open") {
            let e = e.expect("event");
            for p in e.params().iter() {
                match p.value() {
                    ParamValue::SockTuple(SockTuple::Inet6 { src, dst })
                        if (*src.ip() == server && src.port() == 1234)
                            || (*dst.ip() == server && dst.port() == 1234) =>
                    {
                        tuples += 1;
                    }
                    ParamValue::SockAddr(SockAddr::Inet6(a)) if *a.ip() == server => {
                        assert_eq!(a.port(), 1234);
                        sockaddrs += 1;
                    }
                    _ => {}
                }
            }
        }
        assert!(tuples > 0 && sockaddrs > 0, "{tuples} {sockaddrs}");
    }
    // Unix tuples (nscd) and IPv6 connects of curl.
    if let Some(path) = capture("libs-curl_google.scap") {
        let mut unix = 0;
        let mut connects = 0;
        for e in scap::open(&path).expect("open") {
            let e = e.expect("event");
            if let Some(t) = e.param_by_name("tuple") {
                if let Some(SockTuple::Unix { path, .. }) = t.as_socktuple() {
                    if path.starts_with(b"/var/run/nscd") {
                        unix += 1;
                    }
                }
            }
            if e.name() == "connect" && e.direction() == Direction::Exit {
                connects += 1;
            }
        }
        assert!(unix > 0 && connects > 0, "{unix} {connects}");
    }
    // The synthetic host: /etc/shadow opened with EACCES, a reverse shell connect, execve
    // arguments, sendto tuples.
    if let Some(path) = capture("synth_small.scap") {
        let mut eacces = 0;
        let mut execs = 0;
        let mut inet = 0;
        for e in scap::open(&path).expect("open") {
            let e = e.expect("event");
            if e.name() == "openat" && e.direction() == Direction::Exit {
                let name = e.param_by_name("name").expect("name");
                let fd = e.param_by_name("fd").expect("fd").as_fd().expect("i64");
                assert_eq!(e.return_value(), Some(fd));
                if name.as_str() == Some("/etc/shadow") && fd == -13 {
                    eacces += 1;
                }
                assert!(matches!(
                    e.param_by_name("flags").map(|p| p.value()),
                    Some(ParamValue::Uint(_))
                ));
            }
            if e.name() == "execve"
                && e.direction() == Direction::Exit
                && e.return_value() == Some(0)
            {
                let exe = e.param_by_name("exe").expect("exe");
                assert!(exe.as_str().is_some());
                let args: Vec<&[u8]> = e
                    .param_by_name("args")
                    .expect("args")
                    .as_str_list()
                    .collect();
                let _ = args;
                assert!(e.param_by_name("tid").and_then(|p| p.as_pid()).is_some());
                execs += 1;
            }
            if let Some(SockTuple::Inet { dst, .. }) =
                e.param_by_name("tuple").and_then(|p| p.as_socktuple())
            {
                // The reverse shell of the revshell scenario.
                if e.name() == "connect"
                    && dst == SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 66), 4444)
                {
                    inet += 1;
                }
            }
        }
        assert!(
            eacces > 0 && execs > 0 && inet > 0,
            "{eacces} {execs} {inet}"
        );
    }
}
