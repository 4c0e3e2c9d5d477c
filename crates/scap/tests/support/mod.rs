//! Helpers of the scap reader tests: the captures of `shared/captures` and their README
//! figures, hand-built blocks of every type and version, and readers that drain a
//! stream.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use falcoc_scap::{
    self as scap, block, Block, Event, Reader, ReaderOptions, ScapError, ScapErrorKind,
};
use falcoc_schema::events::{events, Direction, EventFlags};

pub fn captures_dir() -> Option<PathBuf> {
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

pub fn capture(name: &str) -> Option<PathBuf> {
    let p = captures_dir()?.join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("note: {} is absent; skipping", p.display());
        None
    }
}

/// The whole uncompressed stream of a capture.
pub fn uncompressed(path: &Path) -> Vec<u8> {
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
pub const README: &[(&str, bool, u64, Option<u64>)] = &[
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
pub const SYSDIG_029_EVENT_MAX: u16 = 336;

pub struct Summary {
    pub compressed: bool,
    pub event_blocks: u64,
    pub last_num: u64,
    pub skipped: u64,
    pub stats: scap::Stats,
}

/// Reads every event with `next_event_ref`, checking numbering as it goes.
pub fn summarize(path: &Path, opts: ReaderOptions) -> Result<Summary, ScapError> {
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

pub fn block_bytes(ty: u32, body: &[u8]) -> Vec<u8> {
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
pub const SHB_LEN: usize = 28;

pub fn shb(major: u16, minor: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&block::SHB_MAGIC.to_le_bytes());
    body.extend_from_slice(&major.to_le_bytes());
    body.extend_from_slice(&minor.to_le_bytes());
    body.extend_from_slice(&u64::MAX.to_le_bytes());
    block_bytes(block::SHB, &body)
}

pub fn lstr(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u16).to_le_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

/// An event block of any kind. `v1` omits nparams; `flags` makes it an EVF block;
/// `large_lens` writes u32 parameter lengths.
pub fn event_block(
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

pub fn ev2(code: u16, params: &[&[u8]]) -> Vec<u8> {
    let large = events()[code as usize].flags.has(EventFlags::LARGE_PAYLOAD);
    event_block(block::EV_V2, 1, None, code, params, false, large)
}

/// The code of an event: the current version if there is one (enter events are all
/// `EF_OLD_VERSION` in libs 0.22), else the first.
pub fn code_of(name: &str, dir: Direction) -> u16 {
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

pub fn read_all(bytes: &[u8]) -> (Vec<Block>, Option<ScapError>) {
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

pub fn events_of(blocks: &[Block]) -> Vec<&Event> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// A process entry of version `v` (fields up to `root`), tid/pid = `tid`.
pub fn proc_entry(v: u8, tid: i64, tail: &[u8]) -> Vec<u8> {
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

pub const PL_TYPES: [u32; 9] = [
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

pub fn fd_entry(v2: bool, fd: i64, ty: u8, data: &[u8]) -> Vec<u8> {
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

pub fn first_error(bytes: &[u8]) -> (usize, Option<ScapError>) {
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

/// Offsets of every block boundary of an uncompressed stream.
pub fn boundaries(bytes: &[u8]) -> Vec<usize> {
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
pub fn drain(bytes: &[u8]) -> (u64, Option<ScapError>) {
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

/// A reader that hands out at most `max` bytes per `read` (cycling 1..=max), like a pipe.
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub max: usize,
    pub next: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.next = self.next % self.max + 1;
        let n = self.next.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every event through [`Reader::next_batch`] (owned copies, in order) and the error that
/// stopped it.
pub fn drain_batches<R: Read + Send>(input: R) -> (Vec<Event>, Option<ScapError>) {
    let mut r = Reader::new(input).expect("reader");
    let mut batch = scap::EventBatch::new();
    let mut out = Vec::new();
    loop {
        let res = r.next_batch(&mut batch);
        out.extend(batch.iter().map(|e| e.to_event()));
        match res {
            Err(e) => {
                r.next_batch(&mut batch).expect("nothing after an error");
                assert!(batch.is_empty());
                return (out, Some(e));
            }
            Ok(()) if batch.is_empty() => return (out, None),
            Ok(()) => {}
        }
    }
}

pub fn check_truncations(name: &str, bytes: &[u8], cuts: &[usize]) {
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
        let (batched, batch_err) = drain_batches(&bytes[..cut]);
        assert_eq!(batched.len() as u64, n, "{name} cut at {cut}: batches");
        assert_eq!(batch_err, err, "{name} cut at {cut}: batches");
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
pub fn cut_offsets(bytes: &[u8], every: usize, random: usize) -> Vec<usize> {
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

/// Reads everything (blocks, then events on a fresh reader): must terminate without
/// panicking; errors lie within the input.
pub fn exercise(bytes: &[u8]) {
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
pub fn seed_capture() -> Vec<u8> {
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
