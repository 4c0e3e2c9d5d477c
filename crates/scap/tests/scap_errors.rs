//! Tests of the scap capture reader on bad input: malformed headers, corrupt lengths,
//! truncation at many offsets (plain and gzip), and random or mutated input.

use falcoc_scap::{self as scap, block, Reader, ReaderOptions, ScapErrorKind};
use falcoc_schema::events::Direction;
use proptest::prelude::*;

mod support;
use support::*;

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
