//! Writer of scap captures: the block layouts [`Reader`](super::Reader) reads, in the
//! newest versions libscap writes (section header 1.2, `MI`, `IL_V2`, `UL_V2`, `PL_V9`,
//! `FDL_V2`, `EV_V2`/`EVF_V2`, the `*_LARGE` event blocks for large-payload events).
//!
//! Every block is framed as `u32 type, u32 total length, body padded with zeros to 4
//! bytes, u32 total length`, little-endian. Process entries use the layout of libs ≥ 0.10
//! (`pidns_init_start_ts` and `tty` before `loginuid`, then the appended fields up to
//! `pgid`), which current libscap and this crate's reader read back field for field.
//! Strings stored with a `u16` length are cut at 65535 bytes; the host name at 127 bytes
//! (the machine info keeps a NUL-terminated `char[128]`).
//!
//! Nothing here panics on its input: what the format cannot represent (a block over
//! 4 GiB, a parameter over 64 KiB in an event type without large payloads) is an
//! [`io::Error`] of kind [`InvalidInput`](io::ErrorKind::InvalidInput), and write
//! failures are the sink's own errors.
//!
//! ```no_run
//! use falcoc_scap::{self as scap, writer::create};
//!
//! let mut reader = scap::open("in.scap")?;
//! let meta = reader.read_metadata()?.clone();
//! let mut w = create("copy.scap.gz")?;
//! w.write_metadata(&meta)?;
//! for event in &mut reader {
//!     w.write_event(&event?.as_event_ref())?;
//! }
//! w.close()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use falcoc_schema::events::EventFlags;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::block::{
    EVF_V2, EVF_V2_LARGE, EV_V2, EV_V2_LARGE, FDL_V2, IL_V2, MI, PL_V9, SHB, SHB_MAGIC, UL_V2,
};
use super::event::{EventRef, EVENT_HEADER_LEN};
use super::meta::{
    FdDetails, FdInfo, FdList, FdType, InterfaceList, MachineInfo, ProcessInfo, UserList,
    MACHINE_INFO_LEN,
};
use super::reader::{Metadata, BLOCK_OVERHEAD};

/// Largest event block libscap reads without the `*_LARGE` block types.
const MAX_SMALL_BLOCK: usize = 64 * 1024;
/// Interface entry types (`scap_ifinfo_*`), with link speed.
const II_IPV4: u16 = 1;
const II_IPV6: u16 = 2;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// A block body under construction: little-endian appends.
#[derive(Default)]
struct Body(Vec<u8>);

impl Body {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    /// A `u16` length and the bytes (at most 65535 of them).
    fn lstr(&mut self, b: &[u8]) {
        let b = &b[..b.len().min(u16::MAX as usize)];
        self.u16(b.len() as u16);
        self.bytes(b);
    }
    /// A NUL-separated list (`args`, `env`, `cgroups`): every item NUL-terminated, the
    /// whole cut at 65535 bytes.
    fn list(&mut self, items: &[String]) {
        let mut joined = Vec::new();
        for i in items {
            joined.extend_from_slice(i.as_bytes());
            joined.push(0);
        }
        self.lstr(&joined);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    /// Overwrites the `u32` placeholder at `at` (an entry length known only at its end).
    fn patch_u32(&mut self, at: usize, v: u32) {
        self.0[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
}

/// Where [`create`] writes: a buffered file, gzip-compressed when the path ends in `.gz`.
#[derive(Debug)]
pub enum FileSink {
    /// An uncompressed file.
    Plain(BufWriter<File>),
    /// A gzip stream into a file.
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            FileSink::Plain(w) => w.write(buf),
            FileSink::Gzip(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            FileSink::Plain(w) => w.write_all(buf),
            FileSink::Gzip(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            FileSink::Plain(w) => w.flush(),
            FileSink::Gzip(w) => w.flush(),
        }
    }
}

impl FileSink {
    /// Ends the gzip stream (if any), flushes the buffer and syncs the file to disk.
    pub fn finish(self) -> io::Result<()> {
        let buf = match self {
            FileSink::Plain(w) => w,
            FileSink::Gzip(w) => w.finish()?,
        };
        let file = buf.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

/// Writer settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterOptions {
    /// Write the fd types newer than libscap's `SCAP_FD_FILE_V2` (16: bpf, userfaultfd,
    /// io_uring, memfd, pidfd) as `SCAP_FD_UNSUPPORTED` (10), keeping their names. Older
    /// readers, sysdig 0.29 among them, reject a capture whose fd list holds a type they
    /// do not know; current libscap reads both forms.
    pub legacy_fd_types: bool,
}

/// Creates (or truncates) the capture file `path` and writes its section header; a path
/// ending in `.gz` is gzip-compressed. Call [`Writer::close`] at the end: it ends the
/// gzip stream and reports the errors a drop would hide.
pub fn create(path: impl AsRef<Path>) -> io::Result<Writer<FileSink>> {
    create_with(path, WriterOptions::default())
}

/// [`create`] with explicit options.
pub fn create_with(path: impl AsRef<Path>, opts: WriterOptions) -> io::Result<Writer<FileSink>> {
    let path = path.as_ref();
    let file = File::create(path)?;
    let buf = BufWriter::with_capacity(1 << 16, file);
    let gz = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".gz"));
    let sink = if gz {
        FileSink::Gzip(Box::new(GzEncoder::new(buf, Compression::fast())))
    } else {
        FileSink::Plain(buf)
    };
    Writer::with_options(sink, opts)
}

/// A streaming writer of scap captures over any [`Write`]. [`new`](Self::new) writes
/// the section header; then write the metadata blocks
/// ([`write_metadata`](Self::write_metadata) or one by one), then the events. Readers
/// (libscap, [`Reader`](super::Reader)) expect every metadata block before the first
/// event block.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    opts: WriterOptions,
    events: u64,
    bytes: u64,
    scratch: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// A writer over `out` with default options; writes the section header (version
    /// 1.2, section length unspecified, no options).
    pub fn new(out: W) -> io::Result<Self> {
        Self::with_options(out, WriterOptions::default())
    }

    /// A writer with explicit options; writes the section header.
    pub fn with_options(out: W, opts: WriterOptions) -> io::Result<Self> {
        let mut w = Writer {
            out,
            opts,
            events: 0,
            bytes: 0,
            scratch: Vec::new(),
        };
        let mut b = Body::default();
        b.u32(SHB_MAGIC);
        b.u16(1);
        b.u16(2);
        b.u64(u64::MAX);
        w.block(SHB, &b.0)?;
        Ok(w)
    }

    /// Events written so far.
    pub fn events_written(&self) -> u64 {
        self.events
    }

    /// Bytes written so far (before compression).
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// The sink.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Flushes the sink.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the sink.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    /// Writes one block: framing, `body`, zero padding to 4 bytes, trailer.
    fn block(&mut self, ty: u32, body: &[u8]) -> io::Result<()> {
        let padded = body.len().div_ceil(4) * 4;
        let total = u32::try_from(padded + BLOCK_OVERHEAD as usize).map_err(|_| {
            invalid(format!(
                "a block of {} bytes does not fit the capture format (at most 4 GiB)",
                body.len()
            ))
        })?;
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&ty.to_le_bytes());
        head[4..].copy_from_slice(&total.to_le_bytes());
        self.out.write_all(&head)?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..padded - body.len()])?;
        self.out.write_all(&total.to_le_bytes())?;
        self.bytes += u64::from(total);
        Ok(())
    }

    /// Writes the metadata blocks of `meta` in the order libscap writes them: machine
    /// info, interface list, user list, process list (one block), then one fd list per
    /// thread. Absent parts are left out; the section header of `meta` is not written
    /// (the writer wrote its own).
    pub fn write_metadata(&mut self, meta: &Metadata) -> io::Result<()> {
        if let Some(m) = &meta.machine {
            self.write_machine_info(m)?;
        }
        if let Some(i) = &meta.interfaces {
            self.write_interface_list(i)?;
        }
        if let Some(u) = &meta.users {
            self.write_user_list(u)?;
        }
        if !meta.processes.is_empty() {
            self.write_process_list(&meta.processes)?;
        }
        for f in &meta.fds {
            self.write_fd_list(f)?;
        }
        Ok(())
    }

    /// Writes a machine info block (`MI`, 180 bytes).
    pub fn write_machine_info(&mut self, m: &MachineInfo) -> io::Result<()> {
        let mut b = Body::default();
        b.u32(m.num_cpus);
        b.u64(m.memory_size_bytes);
        b.u64(m.max_pid);
        let mut host = [0u8; 128];
        let name = m.hostname.as_bytes();
        let n = name.len().min(127);
        host[..n].copy_from_slice(&name[..n]);
        b.bytes(&host);
        b.u64(m.boot_ts_epoch);
        b.u64(m.flags);
        b.u64(m.reserved[0]);
        b.u64(m.reserved[1]);
        debug_assert_eq!(b.len(), MACHINE_INFO_LEN);
        self.block(MI, &b.0)
    }

    /// Writes a process list block (`PL_V9`, every entry with its own length).
    pub fn write_process_list(&mut self, procs: &[ProcessInfo]) -> io::Result<()> {
        let mut b = Body::default();
        for p in procs {
            let start = b.len();
            b.u32(0);
            b.i64(p.tid);
            b.i64(p.pid);
            b.i64(p.ptid);
            b.i64(p.sid);
            b.i64(p.vpgid);
            b.lstr(p.comm.as_bytes());
            b.lstr(p.exe.as_bytes());
            b.lstr(p.exepath.as_bytes());
            b.list(&p.args);
            b.lstr(p.cwd.as_bytes());
            b.u64(p.fdlimit);
            b.u32(p.flags);
            b.u32(p.uid);
            b.u32(p.gid);
            b.u32(p.vmsize_kb);
            b.u32(p.vmrss_kb);
            b.u32(p.vmswap_kb);
            b.u64(p.pfmajor);
            b.u64(p.pfminor);
            b.list(&p.env);
            b.i64(p.vtid);
            b.i64(p.vpid);
            b.list(&p.cgroups);
            b.lstr(p.root.as_bytes());
            b.u64(p.pidns_init_start_ts);
            b.u32(p.tty);
            b.u32(p.loginuid);
            b.u8(u8::from(p.exe_writable));
            b.u64(p.cap_inheritable);
            b.u64(p.cap_permitted);
            b.u64(p.cap_effective);
            b.u8(u8::from(p.exe_upper_layer));
            b.u64(p.exe_ino);
            b.u64(p.exe_ino_ctime);
            b.u64(p.exe_ino_mtime);
            b.u8(u8::from(p.exe_from_memfd));
            b.u8(u8::from(p.exe_lower_layer));
            b.i64(p.pgid);
            // At most 5 strings of 64 KiB and fixed fields: always fits a u32.
            let len = (b.len() - start) as u32;
            b.patch_u32(start, len);
        }
        self.block(PL_V9, &b.0)
    }

    /// Writes the fd list of one thread (`FDL_V2`, every entry with its own length). The
    /// type-specific data written is that of each entry's [`FdDetails`], which should
    /// match its type as the reader produces them (an entry's length lets a reader skip
    /// what it does not expect).
    pub fn write_fd_list(&mut self, list: &FdList) -> io::Result<()> {
        let mut b = Body::default();
        b.i64(list.tid);
        for fd in &list.fds {
            let start = b.len();
            b.u32(0);
            fd_entry(&mut b, fd, self.opts.legacy_fd_types);
            let len = (b.len() - start) as u32;
            b.patch_u32(start, len);
        }
        self.block(FDL_V2, &b.0)
    }

    /// Writes an interface list block (`IL_V2`, addresses with link speed).
    pub fn write_interface_list(&mut self, list: &InterfaceList) -> io::Result<()> {
        let mut b = Body::default();
        let entry = |b: &mut Body, ty: u16, name: &str, addrs: &[&[u8]], speed: u64| {
            let name = &name.as_bytes()[..name.len().min(u16::MAX as usize)];
            let fixed: usize = addrs.iter().map(|a| a.len()).sum::<usize>() + 8;
            // The entry length counts what follows it: type, name length, fields, name.
            b.u32((4 + fixed + name.len()) as u32);
            b.u16(ty);
            b.u16(name.len() as u16);
            for a in addrs {
                b.bytes(a);
            }
            b.u64(speed);
            b.bytes(name);
        };
        for i in &list.v4 {
            let addrs = [i.addr.octets(), i.netmask.octets(), i.bcast.octets()];
            let addrs: Vec<&[u8]> = addrs.iter().map(|a| &a[..]).collect();
            entry(&mut b, II_IPV4, &i.name, &addrs, i.linkspeed);
        }
        for i in &list.v6 {
            let addrs = [i.addr.octets(), i.netmask.octets(), i.bcast.octets()];
            let addrs: Vec<&[u8]> = addrs.iter().map(|a| &a[..]).collect();
            entry(&mut b, II_IPV6, &i.name, &addrs, i.linkspeed);
        }
        self.block(IL_V2, &b.0)
    }

    /// Writes a user and group list block (`UL_V2`, every entry with its own length).
    pub fn write_user_list(&mut self, list: &UserList) -> io::Result<()> {
        let mut b = Body::default();
        for u in &list.users {
            let start = b.len();
            b.u32(0);
            b.u8(0);
            b.u32(u.uid);
            b.u32(u.gid);
            b.lstr(u.name.as_bytes());
            b.lstr(u.homedir.as_bytes());
            b.lstr(u.shell.as_bytes());
            let len = (b.len() - start) as u32;
            b.patch_u32(start, len);
        }
        for g in &list.groups {
            let start = b.len();
            b.u32(0);
            b.u8(1);
            b.u32(g.gid);
            b.lstr(g.name.as_bytes());
            let len = (b.len() - start) as u32;
            b.patch_u32(start, len);
        }
        self.block(UL_V2, &b.0)
    }

    /// Writes one event block with every parameter of `e`: `EV_V2`, or `EVF_V2` when the
    /// event has flags; the `*_LARGE` variant for an event type with large payloads (as
    /// libscap does) or a block over 64 KiB. Parameter lengths are `u32` for event types
    /// with large payloads, `u16` otherwise. The event number and file offset are not
    /// stored (readers recount them).
    pub fn write_event(&mut self, e: &EventRef<'_>) -> io::Result<()> {
        let large_payload = e.info().flags.has(EventFlags::LARGE_PAYLOAD);
        let width = if large_payload { 4 } else { 2 };
        let n = e.nparams();
        let nparams = u32::try_from(n)
            .map_err(|_| invalid(format!("event {} has too many parameters", e.name())))?;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.extend_from_slice(&e.cpu.to_le_bytes());
        if e.flags != 0 {
            buf.extend_from_slice(&e.flags.to_le_bytes());
        }
        let evt_at = buf.len();
        buf.extend_from_slice(&e.ts.to_le_bytes());
        buf.extend_from_slice(&e.tid.to_le_bytes());
        buf.extend_from_slice(&[0u8; 4]); // event length, patched below
        buf.extend_from_slice(&e.code.to_le_bytes());
        buf.extend_from_slice(&nparams.to_le_bytes());
        debug_assert_eq!(buf.len() - evt_at, EVENT_HEADER_LEN);
        let params = e.params();
        let mut result = Ok(());
        for i in 0..n {
            let len = params.get(i).map_or(0, |p| p.raw().len());
            if width == 2 {
                match u16::try_from(len) {
                    Ok(l) => buf.extend_from_slice(&l.to_le_bytes()),
                    Err(_) => {
                        result = Err(invalid(format!(
                            "parameter {i} of event {} has {len} bytes; the format allows 65535",
                            e.name()
                        )));
                        break;
                    }
                }
            } else {
                match u32::try_from(len) {
                    Ok(l) => buf.extend_from_slice(&l.to_le_bytes()),
                    Err(_) => {
                        result = Err(invalid(format!(
                            "parameter {i} of event {} is over 4 GiB",
                            e.name()
                        )));
                        break;
                    }
                }
            }
        }
        if result.is_ok() {
            for i in 0..n {
                if let Some(p) = params.get(i) {
                    buf.extend_from_slice(p.raw());
                }
            }
            match u32::try_from(buf.len() - evt_at) {
                Ok(len) => buf[evt_at + 16..evt_at + 20].copy_from_slice(&len.to_le_bytes()),
                Err(_) => result = Err(invalid(format!("event {} is over 4 GiB", e.name()))),
            }
        }
        if result.is_ok() {
            let large = large_payload || buf.len() + BLOCK_OVERHEAD as usize > MAX_SMALL_BLOCK;
            let ty = match (e.flags != 0, large) {
                (false, false) => EV_V2,
                (false, true) => EV_V2_LARGE,
                (true, false) => EVF_V2,
                (true, true) => EVF_V2_LARGE,
            };
            result = self.block(ty, &buf);
            if result.is_ok() {
                self.events += 1;
            }
        }
        self.scratch = buf;
        result
    }
}

impl Writer<FileSink> {
    /// Flushes, ends the gzip stream if any, and syncs the file.
    pub fn close(self) -> io::Result<()> {
        self.out.finish()
    }
}

fn fd_entry(b: &mut Body, fd: &FdInfo, legacy_types: bool) {
    b.i64(fd.fd);
    b.u64(fd.ino);
    let code = fd.ty.code();
    if legacy_types && code > FdType::FileV2.code() {
        b.u8(FdType::Unsupported.code());
        // An unsupported fd carries a name.
        b.lstr(fd.name().unwrap_or_default().as_bytes());
        return;
    }
    b.u8(code);
    match &fd.details {
        FdDetails::Ipv4Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            b.bytes(&sip.octets());
            b.bytes(&dip.octets());
            b.u16(*sport);
            b.u16(*dport);
            b.u8(*l4proto);
        }
        FdDetails::Ipv6Socket {
            sip,
            dip,
            sport,
            dport,
            l4proto,
        } => {
            b.bytes(&sip.octets());
            b.bytes(&dip.octets());
            b.u16(*sport);
            b.u16(*dport);
            b.u8(*l4proto);
        }
        FdDetails::Ipv4Server { ip, port, l4proto } => {
            b.bytes(&ip.octets());
            b.u16(*port);
            b.u8(*l4proto);
        }
        FdDetails::Ipv6Server { ip, port, l4proto } => {
            b.bytes(&ip.octets());
            b.u16(*port);
            b.u8(*l4proto);
        }
        FdDetails::Unix { source, dest, name } => {
            b.u64(*source);
            b.u64(*dest);
            b.lstr(name.as_bytes());
        }
        FdDetails::File {
            open_flags,
            name,
            dev,
        } => {
            b.u32(*open_flags);
            b.lstr(name.as_bytes());
            b.u32(*dev);
        }
        FdDetails::Named { name } => b.lstr(name.as_bytes()),
        FdDetails::None => {}
    }
}
