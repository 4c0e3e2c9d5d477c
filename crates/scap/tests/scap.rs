//! Tests of the scap capture reader: every capture of `shared/captures` (block counts and
//! event numbers against its README, metadata of the synthetic host, event fields against
//! sysdig 0.29's output), every block type and version on hand-built blocks, truncation at
//! many offsets (plain and gzip), corrupt lengths, and random or mutated input.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

use falcoc_compiler::events::{events, Direction, EventFlags};
use falcoc_scap::{
    self as scap, block, Block, Event, FdDetails, FdType, ParamValue, Reader, ReaderOptions,
    ScapError, ScapErrorKind, SockAddr, SockTuple,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Captures of shared/captures

fn captures_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} is absent; skipping the capture tests",
            dir.display()
        );
        None
    }
}

fn capture(name: &str) -> Option<PathBuf> {
    let p = captures_dir()?.join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("note: {} is absent; skipping", p.display());
        None
    }
}

/// The whole uncompressed stream of a capture.
fn uncompressed(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).expect("read capture");
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("gunzip capture");
        out
    } else {
        raw
    }
}

/// README §1/§2: file, gzip, event blocks ("blocks"), last evt.num of sysdig 0.29 ("last
/// num"; `None` where sysdig cannot read the file). For the synthetic captures the last
/// number equals the block count (event #1, the container event, is hidden but numbered).
const README: &[(&str, bool, u64, Option<u64>)] = &[
    ("falco-cat_write.scap", true, 345, Some(345)),
    ("falco-connect_localhost.scap", true, 374, Some(374)),
    ("falco-empty.scap", true, 143, Some(143)),
    ("falco-open-multiple-files.scap", true, 1272, Some(1272)),
    ("falco-ping_sendto.scap", true, 1526, Some(1526)),
    ("falco-syscall.scap", true, 368, Some(368)),
    ("falco-psp_privileged.scap", true, 2059, Some(2059)),
    (
        "falco-psp_run_as_user_0_container.scap",
        true,
        4143,
        Some(4143),
    ),
    (
        "falco-psp_run_as_user_65534_container.scap",
        true,
        241,
        Some(241),
    ),
    ("falco-psp_write_tmp_test.scap", true, 229, Some(229)),
    ("libs-curl_google.scap", true, 1536, Some(1536)),
    ("libs-curl_google_comments.scap", true, 1536, None),
    ("libs-single_ipv6_conn.scap", true, 1728, Some(1728)),
    ("libs-test_ipv6_client.scap", true, 326, Some(326)),
    ("libs-sample.scap", false, 572, Some(477)),
    ("synth_small.scap", false, 5011, Some(5011)),
    ("synth_attack.scap", false, 20015, Some(20015)),
    ("synth_100k.scap.gz", true, 100009, Some(100009)),
    ("synth_1m.scap.gz", true, 1000053, Some(1000053)),
];

/// `PPM_EVENT_MAX` of the libscap inside sysdig 0.29.
const SYSDIG_029_EVENT_MAX: u16 = 336;

struct Summary {
    compressed: bool,
    event_blocks: u64,
    last_num: u64,
    skipped: u64,
    stats: scap::Stats,
}

/// Reads every event with `next_event_ref`, checking numbering as it goes.
fn summarize(path: &Path, opts: ReaderOptions) -> Result<Summary, ScapError> {
    let f = std::fs::File::open(path).expect("open capture");
    let mut r = Reader::with_options(f, opts)?;
    let compressed = r.is_compressed();
    let mut last = 0;
    while let Some(e) = r.next_event_ref() {
        let e = e?;
        assert_eq!(
            e.num,
            last + 1,
            "{}: event numbers are consecutive",
            path.display()
        );
        assert!(e.code < opts.event_code_limit);
        last = e.num;
    }
    let s = r.stats().clone();
    assert_eq!(s.events, last);
    Ok(Summary {
        compressed,
        event_blocks: s.event_blocks,
        last_num: last,
        skipped: s.skipped_events,
        stats: s,
    })
}

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

// ---------------------------------------------------------------------------------------
// Hand-built blocks

fn block_bytes(ty: u32, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    b.resize(b.len().div_ceil(4) * 4, 0);
    let total = (b.len() + 12) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&b);
    out.extend_from_slice(&total.to_le_bytes());
    out
}

/// Length of the section header block `shb` writes.
const SHB_LEN: usize = 28;

fn shb(major: u16, minor: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&block::SHB_MAGIC.to_le_bytes());
    body.extend_from_slice(&major.to_le_bytes());
    body.extend_from_slice(&minor.to_le_bytes());
    body.extend_from_slice(&u64::MAX.to_le_bytes());
    block_bytes(block::SHB, &body)
}

fn lstr(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u16).to_le_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

/// An event block of any kind. `v1` omits nparams; `flags` makes it an EVF block;
/// `large_lens` writes u32 parameter lengths.
fn event_block(
    ty: u32,
    cpu: u16,
    flags: Option<u32>,
    code: u16,
    params: &[&[u8]],
    v1: bool,
    large_lens: bool,
) -> Vec<u8> {
    let mut lens = Vec::new();
    for p in params {
        if large_lens {
            lens.extend_from_slice(&(p.len() as u32).to_le_bytes());
        } else {
            lens.extend_from_slice(&(p.len() as u16).to_le_bytes());
        }
    }
    let data: Vec<u8> = params.concat();
    let hdr = if v1 { 22 } else { 26 };
    let len = (hdr + lens.len() + data.len()) as u32;
    let mut body = cpu.to_le_bytes().to_vec();
    if let Some(f) = flags {
        body.extend_from_slice(&f.to_le_bytes());
    }
    body.extend_from_slice(&1_700_000_000_000_000_000u64.to_le_bytes());
    body.extend_from_slice(&4242u64.to_le_bytes());
    body.extend_from_slice(&len.to_le_bytes());
    body.extend_from_slice(&code.to_le_bytes());
    if !v1 {
        body.extend_from_slice(&(params.len() as u32).to_le_bytes());
    }
    body.extend_from_slice(&lens);
    body.extend_from_slice(&data);
    block_bytes(ty, &body)
}

fn ev2(code: u16, params: &[&[u8]]) -> Vec<u8> {
    let large = events()[code as usize].flags.has(EventFlags::LARGE_PAYLOAD);
    event_block(block::EV_V2, 1, None, code, params, false, large)
}

/// The code of an event: the current version if there is one (enter events are all
/// `EF_OLD_VERSION` in libs 0.22), else the first.
fn code_of(name: &str, dir: Direction) -> u16 {
    let mut candidates = events()
        .iter()
        .filter(|e| e.name == name && e.direction == dir);
    let first = candidates
        .clone()
        .next()
        .unwrap_or_else(|| panic!("event {name}"));
    candidates
        .find(|e| !e.is_old_version())
        .unwrap_or(first)
        .code
}

fn read_all(bytes: &[u8]) -> (Vec<Block>, Option<ScapError>) {
    let mut r = Reader::new(bytes).expect("reader");
    let mut blocks = Vec::new();
    while let Some(b) = r.next_block() {
        match b {
            Ok(b) => blocks.push(b),
            Err(e) => {
                assert!(r.next_block().is_none(), "nothing after an error");
                return (blocks, Some(e));
            }
        }
    }
    (blocks, None)
}

fn events_of(blocks: &[Block]) -> Vec<&Event> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// A process entry of version `v` (fields up to `root`), tid/pid = `tid`.
fn proc_entry(v: u8, tid: i64, tail: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&tid.to_le_bytes());
    e.extend_from_slice(&tid.to_le_bytes());
    e.extend_from_slice(&1i64.to_le_bytes());
    if v >= 6 {
        e.extend_from_slice(&77i64.to_le_bytes()); // sid
    }
    if v >= 8 {
        e.extend_from_slice(&78i64.to_le_bytes()); // vpgid
    }
    e.extend(lstr(b"comm"));
    e.extend(lstr(b"/bin/exe"));
    if v >= 7 {
        e.extend(lstr(b"/usr/bin/exe"));
    }
    e.extend(lstr(b"-a\0b c")); // no final NUL: still two arguments
    e.extend(lstr(b"/cwd"));
    e.extend_from_slice(&1024u64.to_le_bytes());
    e.extend_from_slice(&5u32.to_le_bytes()); // flags
    e.extend_from_slice(&1000u32.to_le_bytes());
    e.extend_from_slice(&1001u32.to_le_bytes());
    if v >= 2 {
        e.extend_from_slice(&10u32.to_le_bytes());
        e.extend_from_slice(&11u32.to_le_bytes());
        e.extend_from_slice(&12u32.to_le_bytes());
        e.extend_from_slice(&13u64.to_le_bytes());
        e.extend_from_slice(&14u64.to_le_bytes());
        if v >= 3 {
            e.extend(lstr(b"A=1\0B=2\0"));
        }
        if v >= 4 {
            e.extend_from_slice(&5i64.to_le_bytes());
            e.extend_from_slice(&6i64.to_le_bytes());
            e.extend(lstr(b"cpu=/x\0memory=/y\0"));
            if v >= 5 {
                e.extend(lstr(b"/root"));
            }
        }
    }
    e.extend_from_slice(tail);
    if v >= 9 {
        let mut out = ((e.len() + 4) as u32).to_le_bytes().to_vec();
        out.extend(e);
        out
    } else {
        e
    }
}

const PL_TYPES: [u32; 9] = [
    block::PL_V1,
    block::PL_V2,
    block::PL_V3,
    block::PL_V4,
    block::PL_V5,
    block::PL_V6,
    block::PL_V7,
    block::PL_V8,
    block::PL_V9,
];

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

fn fd_entry(v2: bool, fd: i64, ty: u8, data: &[u8]) -> Vec<u8> {
    let mut e = fd.to_le_bytes().to_vec();
    e.extend_from_slice(&99u64.to_le_bytes());
    e.push(ty);
    e.extend_from_slice(data);
    if v2 {
        let mut out = ((e.len() + 4) as u32).to_le_bytes().to_vec();
        out.extend(e);
        out
    } else {
        e
    }
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

// ---------------------------------------------------------------------------------------
// Errors

fn first_error(bytes: &[u8]) -> (usize, Option<ScapError>) {
    let mut r = Reader::new(bytes).expect("reader");
    let mut n = 0;
    while let Some(b) = r.next_block() {
        match b {
            Ok(_) => n += 1,
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

#[test]
fn malformed_headers() {
    let read_e = code_of("read", Direction::Enter);
    let good_ev = ev2(read_e, &[&3i64.to_le_bytes(), &1u32.to_le_bytes()]);

    let (_, e) = first_error(b"");
    let e = e.expect("empty input is an error");
    assert_eq!((e.kind(), e.offset()), (ScapErrorKind::Truncated, 0));

    let (_, e) = first_error(&good_ev);
    let e = e.expect("no SHB");
    assert_eq!((e.kind(), e.offset()), (ScapErrorKind::Corrupt, 0));
    assert!(e.message().contains("not a scap capture"), "{e}");

    let mut bad_magic = shb(1, 2);
    bad_magic[8..12].copy_from_slice(&0xdead_beefu32.to_le_bytes());
    let (_, e) = first_error(&bad_magic);
    assert_eq!(
        e.map(|e| (e.kind(), e.offset())),
        Some((ScapErrorKind::Corrupt, 8))
    );

    let mut be = shb(1, 2);
    be[8..12].copy_from_slice(&block::SHB_MAGIC.to_be_bytes());
    let (_, e) = first_error(&be);
    assert_eq!(e.map(|e| e.kind()), Some(ScapErrorKind::Unsupported));

    let (n, e) = first_error(&[shb(1, 2), shb(2, 0)].concat());
    assert_eq!(n, 1);
    let e = e.expect("version 2");
    assert_eq!(
        (e.kind(), e.offset()),
        (ScapErrorKind::Unsupported, SHB_LEN as u64 + 12)
    );

    // Trailer differs from header.
    let mut t = [shb(1, 2), good_ev.clone()].concat();
    let last = t.len() - 4;
    t[last] ^= 1;
    let (n, e) = first_error(&t);
    assert_eq!(n, 1);
    assert_eq!(
        e.map(|e| (e.kind(), e.offset())),
        Some((ScapErrorKind::Corrupt, last as u64))
    );

    // A length below the framing.
    let mut short = [shb(1, 2), good_ev.clone()].concat();
    short[SHB_LEN + 4..SHB_LEN + 8].copy_from_slice(&8u32.to_le_bytes());
    let (_, e) = first_error(&short);
    assert_eq!(
        e.map(|e| (e.kind(), e.offset())),
        Some((ScapErrorKind::Corrupt, SHB_LEN as u64 + 4))
    );
}

#[test]
fn corrupt_lengths_do_not_allocate() {
    let read_e = code_of("read", Direction::Enter);
    let good_ev = ev2(read_e, &[&3i64.to_le_bytes(), &1u32.to_le_bytes()]);
    // Block length near 4 GiB on a tiny input: a truncation error at the end of the input,
    // found without reserving the declared size.
    for len in [u32::MAX - 3, 0x7fff_fffc, 1 << 20] {
        let mut b = [shb(1, 2), good_ev.clone()].concat();
        b[SHB_LEN + 4..SHB_LEN + 8].copy_from_slice(&len.to_le_bytes());
        let opts = ReaderOptions {
            max_block_len: u32::MAX,
            ..ReaderOptions::default()
        };
        let mut r = Reader::with_options(&b[..], opts).expect("reader");
        let e = r.next().expect("an item").expect_err("error");
        assert_eq!(
            (e.kind(), e.offset()),
            (ScapErrorKind::Truncated, b.len() as u64),
            "{e}"
        );
        assert!(r.next().is_none());
        // With the default limit, absurd lengths are rejected outright.
        let mut r = Reader::new(&b[..]).expect("reader");
        let e = r.next().expect("an item").expect_err("error");
        if len > ReaderOptions::default().max_block_len {
            assert_eq!(
                (e.kind(), e.offset()),
                (ScapErrorKind::Corrupt, SHB_LEN as u64 + 4)
            );
        }
    }
    // Event-level lengths inside a complete block.
    let cases: Vec<(usize, u32, &str)> = vec![
        (8 + 2 + 16, 10, "smaller than"),        // event len < header
        (8 + 2 + 16, 4000, "exceeds"),           // event len > block
        (8 + 2 + 22, 0xffff_ffff, "do not fit"), // nparams
        (8 + 2 + 26, 0xffff, "runs past"),       // first param length
    ];
    for (at, val, msg) in cases {
        let mut ev = good_ev.clone();
        if at == 8 + 2 + 26 {
            ev[at..at + 2].copy_from_slice(&(val as u16).to_le_bytes());
        } else {
            ev[at..at + 4].copy_from_slice(&val.to_le_bytes());
        }
        let b = [shb(1, 2), ev].concat();
        let (n, e) = first_error(&b);
        assert_eq!(n, 1);
        let e = e.expect("error");
        assert_eq!(
            (e.kind(), e.offset()),
            (ScapErrorKind::Corrupt, (SHB_LEN + at) as u64),
            "{e}"
        );
        assert!(e.message().contains(msg), "{e}");
    }
    // Entry lengths of the metadata blocks.
    let mut pl = proc_entry(9, 1, &[]);
    pl[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let (_, e) = first_error(&[shb(1, 2), block_bytes(block::PL_V9, &pl)].concat());
    assert_eq!(
        e.map(|e| (e.kind(), e.offset())),
        Some((ScapErrorKind::Corrupt, SHB_LEN as u64 + 8))
    );
    let mut pl = proc_entry(9, 1, &[]);
    pl[..4].copy_from_slice(&20u32.to_le_bytes()); // too short for the fixed fields
    let (_, e) = first_error(&[shb(1, 2), block_bytes(block::PL_V9, &pl)].concat());
    assert_eq!(e.map(|e| e.kind()), Some(ScapErrorKind::Corrupt));
    let mut pl = proc_entry(5, 1, &[]);
    pl[24..26].copy_from_slice(&60000u16.to_le_bytes()); // comm length
    let (_, e) = first_error(&[shb(1, 2), block_bytes(block::PL_V5, &pl)].concat());
    let e = e.expect("error");
    assert_eq!(
        (e.kind(), e.offset()),
        (ScapErrorKind::Corrupt, (SHB_LEN + 8 + 26) as u64)
    );
    assert!(e.message().contains("comm"), "{e}");
}

/// Offsets of every block boundary of an uncompressed stream.
fn boundaries(bytes: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    let mut pos = 0;
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize;
        pos += len;
        out.push(pos);
    }
    assert_eq!(pos, bytes.len());
    out
}

/// Reads `bytes` to the end: (events returned, error).
fn drain(bytes: &[u8]) -> (u64, Option<ScapError>) {
    let mut r = Reader::new(bytes).expect("reader");
    let mut n = 0;
    while let Some(e) = r.next_event_ref() {
        match e {
            Ok(e) => {
                n += 1;
                assert_eq!(e.num, n);
            }
            Err(e) => {
                assert!(r.next_event_ref().is_none());
                return (n, Some(e));
            }
        }
    }
    (n, None)
}

fn check_truncations(name: &str, bytes: &[u8], cuts: &[usize]) {
    let bounds = boundaries(bytes);
    // Events per prefix: the number of event blocks among the first k blocks.
    let mut events_before = vec![0u64];
    for w in bounds.windows(2) {
        let ty = u32::from_le_bytes(bytes[w[0]..w[0] + 4].try_into().expect("4 bytes"));
        let is_ev = scap::BlockKind::of(ty).is_event();
        events_before.push(events_before.last().copied().unwrap_or(0) + u64::from(is_ev));
    }
    for &cut in cuts {
        let (n, err) = drain(&bytes[..cut]);
        let complete = bounds.partition_point(|&b| b <= cut) - 1;
        assert_eq!(
            n, events_before[complete],
            "{name} cut at {cut}: events before the cut"
        );
        if cut != 0 && bounds.binary_search(&cut).is_ok() {
            assert!(err.is_none(), "{name} cut at block boundary {cut}: {err:?}");
        } else {
            let e = err.unwrap_or_else(|| panic!("{name} cut at {cut}: no error"));
            assert_eq!(
                e.kind(),
                ScapErrorKind::Truncated,
                "{name} cut at {cut}: {e}"
            );
            assert_eq!(e.offset(), cut as u64, "{name} cut at {cut}: {e}");
        }
    }
}

/// Cuts at and just after many block boundaries (inside block headers, SHB magic, event
/// headers, parameter lengths) and at pseudo-random offsets.
fn cut_offsets(bytes: &[u8], every: usize, random: usize) -> Vec<usize> {
    let bounds = boundaries(bytes);
    let mut cuts = Vec::new();
    for (i, &b) in bounds.iter().enumerate() {
        if i < 12 || i % every == 0 || i + 3 >= bounds.len() {
            for d in [0, 1, 3, 4, 7, 8, 11, 12, 13, 30] {
                if b + d < bytes.len() {
                    cuts.push(b + d);
                }
            }
        }
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..random {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        cuts.push((x % bytes.len() as u64) as usize);
    }
    cuts.push(bytes.len() - 1);
    cuts.push(bytes.len() - 4);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn truncated_plain_captures() {
    for name in [
        "falco-cat_write.scap",
        "libs-sample.scap",
        "synth_small.scap",
    ] {
        let Some(path) = capture(name) else { continue };
        let bytes = uncompressed(&path);
        let every = if name == "synth_small.scap" { 400 } else { 40 };
        let cuts = cut_offsets(&bytes, every, 60);
        check_truncations(name, &bytes, &cuts);
    }
}

#[test]
fn truncated_gzip_streams() {
    let Some(path) = capture("falco-cat_write.scap") else {
        return;
    };
    let gz = std::fs::read(&path).expect("read");
    let full = uncompressed(&path);
    let (total, err) = drain(&gz);
    assert!(err.is_none());
    let mut cuts: Vec<usize> = (0..gz.len()).step_by(97).collect();
    cuts.extend(gz.len() - 12..gz.len()); // inside the last deflate bytes and the trailer
    cuts.extend(1..12); // inside the gzip header
    for cut in cuts {
        let (n, err) = drain(&gz[..cut]);
        let e = err.unwrap_or_else(|| panic!("gzip cut at {cut}: no error"));
        assert!(n <= total);
        assert!(
            matches!(e.kind(), ScapErrorKind::Truncated | ScapErrorKind::Corrupt),
            "gzip cut at {cut}: {e}"
        );
        assert!(e.offset() <= full.len() as u64, "gzip cut at {cut}: {e}");
    }
}

#[test]
fn corrupt_gzip_stream() {
    let Some(path) = capture("falco-ping_sendto.scap") else {
        return;
    };
    let mut gz = std::fs::read(&path).expect("read");
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let (_, err) = drain(&gz);
    let e = err.expect("corrupt deflate data is an error");
    assert!(
        matches!(e.kind(), ScapErrorKind::Corrupt | ScapErrorKind::Truncated),
        "{e}"
    );
}

#[test]
fn read_metadata_then_events_and_errors() {
    let Some(path) = capture("falco-syscall.scap") else {
        return;
    };
    let mut r = scap::open(&path).expect("open");
    let procs = r.read_metadata().expect("metadata").processes.len();
    assert_eq!(procs, 229);
    // Calling it again changes nothing.
    assert_eq!(r.read_metadata().expect("metadata").processes.len(), procs);
    assert_eq!(r.by_ref().count(), 368);
    assert!(r.is_done());
    let e = scap::open("/nonexistent/capture.scap").expect_err("missing file");
    assert_eq!(e.kind(), ScapErrorKind::Io);
    // A truncated metadata section reports the error from read_metadata.
    let bytes = uncompressed(&path);
    let bounds = boundaries(&bytes);
    let cut = bounds[4] + 100; // inside the process list
    let mut r = Reader::new(&bytes[..cut]).expect("reader");
    let e = r.read_metadata().expect_err("truncated");
    assert_eq!(
        (e.kind(), e.offset()),
        (ScapErrorKind::Truncated, cut as u64)
    );
    assert!(
        r.metadata().machine.is_some(),
        "blocks before the error are kept"
    );
    assert!(r.next().is_none());
}

// ---------------------------------------------------------------------------------------
// Random and mutated input

/// Reads everything (blocks, then events on a fresh reader): must terminate without
/// panicking; errors lie within the input.
fn exercise(bytes: &[u8]) {
    let mut r = Reader::new(bytes).expect("reader over a slice");
    // Offsets are in the uncompressed stream: only bounded by the input when it is plain.
    let bound = if r.is_compressed() {
        u64::MAX
    } else {
        bytes.len() as u64
    };
    let mut steps = 0usize;
    while let Some(b) = r.next_block() {
        steps += 1;
        assert!(
            r.is_compressed() || steps <= bytes.len() / 12 + 2,
            "more blocks than the input can hold"
        );
        match b {
            Ok(Block::Event(e)) => {
                for p in e.params().iter() {
                    let _ = p.value();
                    let _ = p.as_socktuple();
                    let _ = p.as_fdlist().map(|f| f.iter().count());
                    let _ = p.as_str_list().count();
                }
                let _ = e.return_value();
            }
            Ok(_) => {}
            Err(e) => {
                assert!(e.offset() <= bound, "{e}");
                let _ = e.to_string();
            }
        }
    }
    let mut r = Reader::new(bytes).expect("reader over a slice");
    let _ = r.read_metadata();
    let mut last = 0;
    for e in r {
        match e {
            Ok(e) => {
                assert_eq!(e.num, last + 1);
                last = e.num;
            }
            Err(e) => assert!(e.offset() <= bound, "{e}"),
        }
    }
}

/// A small valid capture with every block kind: the base for mutations.
fn seed_capture() -> Vec<u8> {
    let read_x = code_of("read", Direction::Exit);
    let connect_x = code_of("connect", Direction::Exit);
    let mut t4 = vec![2u8, 10, 0, 0, 1];
    t4.extend_from_slice(&40000u16.to_le_bytes());
    t4.extend_from_slice(&[203, 0, 113, 66]);
    t4.extend_from_slice(&4444u16.to_le_bytes());
    let mut fdl = 42i64.to_le_bytes().to_vec();
    fdl.extend(fd_entry(
        true,
        3,
        16,
        &[&2u32.to_le_bytes()[..], &lstr(b"/etc/passwd")].concat(),
    ));
    let mut ul = vec![0u8];
    ul.extend_from_slice(&0u32.to_le_bytes());
    ul.extend_from_slice(&0u32.to_le_bytes());
    ul.extend(lstr(b"root"));
    ul.extend(lstr(b"/root"));
    ul.extend(lstr(b"/bin/sh"));
    let mut ul2 = ((ul.len() + 4) as u32).to_le_bytes().to_vec();
    ul2.extend(ul);
    [
        shb(1, 2),
        block_bytes(
            block::PL_V9,
            &[proc_entry(9, 1, &[]), proc_entry(9, 2, &[1, 0, 0, 0, 1])].concat(),
        ),
        block_bytes(block::PL_V5, &proc_entry(5, 3, &[])),
        block_bytes(block::FDL_V2, &fdl),
        block_bytes(block::UL_V2, &ul2),
        ev2(read_x, &[&5i64.to_le_bytes(), b"hello"]),
        ev2(connect_x, &[&0i64.to_le_bytes(), &t4]),
        event_block(
            block::EV,
            0,
            None,
            read_x,
            &[&5i64.to_le_bytes(), b"hi"],
            true,
            false,
        ),
        event_block(
            block::EVF_V2_LARGE,
            0,
            Some(1),
            324,
            &[b"{}\0"],
            false,
            true,
        ),
    ]
    .concat()
}

#[test]
fn seed_capture_is_valid() {
    let seed = seed_capture();
    let (n, err) = drain(&seed);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(n, 4);
    check_truncations("seed", &seed, &(0..seed.len()).collect::<Vec<_>>());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise(&bytes);
        // The same bytes after a valid section header reach the block decoders.
        exercise(&[shb(1, 2), bytes.clone()].concat());
        // ... and with a plausible block framing around them.
        let ty = [block::PL_V9, block::PL_V1, block::FDL, block::FDL_V2, block::IL, block::IL_V2,
                  block::UL, block::UL_V2, block::EV, block::EV_V2, block::EVF_V2_LARGE, block::MI];
        for t in ty {
            exercise(&[shb(1, 2), block_bytes(t, &bytes)].concat());
        }
    }

    #[test]
    fn mutated_seed_never_panics(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        words in proptest::collection::vec((any::<usize>(), prop_oneof![
            Just(0u32), Just(1), Just(3), Just(12), Just(0xffff), Just(0x1_0000),
            Just(0x7fff_ffff), Just(u32::MAX), any::<u32>()
        ]), 0..3),
    ) {
        let mut b = seed_capture();
        let len = b.len();
        for (at, v) in edits {
            b[at % len] = v;
        }
        for (at, v) in words {
            let at = (at % (len / 4)) * 4;
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        exercise(&b);
    }

    #[test]
    fn mutated_real_capture_never_panics(
        seed in any::<u64>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let Some(path) = capture("libs-test_ipv6_client.scap") else { return Ok(()) };
        thread_local! {
            static BYTES: std::cell::OnceCell<Vec<u8>> = const { std::cell::OnceCell::new() };
        }
        let base = BYTES.with(|c| c.get_or_init(|| uncompressed(&path)).clone());
        // A window of the capture keeps each case quick.
        let start = (seed as usize) % (base.len() / 2);
        let start = if seed % 3 == 0 { 0 } else { start };
        let mut b = base[start..(start + 24_000).min(base.len())].to_vec();
        let len = b.len();
        for (at, v) in edits {
            b[at % len] = v;
        }
        exercise(&b);
    }
}

#[test]
fn mutated_gzip_never_panics() {
    let Some(path) = capture("falco-cat_write.scap") else {
        return;
    };
    let gz = std::fs::read(&path).expect("read");
    let mut x: u64 = 12345;
    for _ in 0..40 {
        let mut b = gz.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x % b.len() as u64) as usize;
            b[at] ^= (x >> 32) as u8 | 1;
        }
        exercise(&b);
    }
}
