//! The streaming reader: block framing over any [`Read`], transparent gzip, statistics,
//! metadata collection and the event iterator.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use falcoc_compiler::events::{EventInfo, PPM_EVENT_MAX};
use flate2::read::MultiGzDecoder;

use super::block::{BlockKind, SHB, SHB_MAGIC};
use super::error::{ScapError, ScapErrorKind};
use super::event::{decode_event, Decoded, Event, EventRef, Header};
use super::meta::{
    parse_fd_list, parse_interface_list, parse_machine_info, parse_process_list,
    parse_section_header, parse_user_list, FdList, InterfaceList, MachineInfo, ProcessInfo,
    SectionHeader, UserList,
};

/// Size of the fixed block framing: `u32 type, u32 length` before the body and the `u32`
/// length after it.
pub const BLOCK_OVERHEAD: u32 = 12;
/// Smallest section header block: framing plus magic, versions and section length.
const MIN_SHB_LEN: u32 = BLOCK_OVERHEAD + 16;
/// Bodies are read in chunks of at most this size, so a corrupt length field can make the
/// reader allocate no more than the input actually holds (plus one chunk).
const READ_CHUNK: usize = 1 << 20;
/// Buffer size of the underlying buffered reader.
const BUF_CAPACITY: usize = 1 << 16;

/// Reader settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Event codes at or above this are skipped without a number, as a libscap whose
    /// `PPM_EVENT_MAX` is this value does. The default is the table's own
    /// [`PPM_EVENT_MAX`] (libs 0.22.2, 430); 336 numbers events the way sysdig 0.29 (the
    /// reference of `shared/captures`) does. Values above the table's size are clamped.
    pub event_code_limit: u16,
    /// Blocks longer than this (framing included) are rejected as corrupt. Memory use is
    /// bounded by the input in any case (bodies are read incrementally); this bounds it
    /// further for inputs that really hold huge blocks.
    pub max_block_len: u32,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            event_code_limit: PPM_EVENT_MAX as u16,
            max_block_len: 1 << 30,
        }
    }
}

/// One decoded block.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section header (the first block; a later one starts a new section).
    SectionHeader(SectionHeader),
    /// Machine info.
    MachineInfo(MachineInfo),
    /// A process list.
    ProcessList(Vec<ProcessInfo>),
    /// The fd list of one thread.
    FdList(FdList),
    /// An interface list.
    InterfaceList(InterfaceList),
    /// A user and group list.
    UserList(UserList),
    /// An event.
    Event(Event),
    /// An event whose type is beyond the reader's event table: skipped, not numbered.
    SkippedEvent {
        /// Its type code.
        code: u16,
    },
    /// A block of a type this reader does not know: skipped.
    Unknown {
        /// Its type code.
        block_type: u32,
        /// Its total length.
        len: u32,
    },
}

/// What the blocks before (and between) the events said about the machine: filled by the
/// event iteration and [`Reader::read_metadata`] as they pass metadata blocks (not by
/// [`Reader::next_block`], which hands every block to the caller instead).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The latest section header.
    pub section: Option<SectionHeader>,
    /// The latest machine info.
    pub machine: Option<MachineInfo>,
    /// Threads of every process list block, in file order.
    pub processes: Vec<ProcessInfo>,
    /// Every fd list block (one per thread), in file order.
    pub fds: Vec<FdList>,
    /// The latest interface list (a later block replaces it, as in libscap).
    pub interfaces: Option<InterfaceList>,
    /// The latest user list (a later block replaces it, as in libscap).
    pub users: Option<UserList>,
}

/// Counters over everything read so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks read (all types, skipped ones included).
    pub blocks: u64,
    /// Blocks read per block type code.
    pub by_block_type: BTreeMap<u32, u64>,
    /// Section headers.
    pub sections: u64,
    /// Event blocks (all event block types, skipped events included).
    pub event_blocks: u64,
    /// Events returned, i.e. the highest event number so far.
    pub events: u64,
    /// Event blocks skipped because their type is beyond the event table.
    pub skipped_events: u64,
    /// Skipped event blocks per event type code.
    pub skipped_by_code: BTreeMap<u16, u64>,
    /// Blocks of unknown type skipped.
    pub unknown_blocks: u64,
}

#[derive(Debug, Clone, Copy)]
struct BlockHeader {
    ty: u32,
    len: u32,
    offset: u64,
    /// For a section header: the magic, already read to detect byte order.
    magic: Option<[u8; 4]>,
}

enum Step {
    Eof,
    Section(SectionHeader),
    Machine(MachineInfo),
    Processes(Vec<ProcessInfo>),
    Fds(FdList),
    Interfaces(InterfaceList),
    Users(UserList),
    Event {
        header: Header,
        info: &'static EventInfo,
        values: (usize, usize),
    },
    Skipped(u16),
    Unknown {
        block_type: u32,
        len: u32,
    },
}

/// A streaming reader of scap captures (plain or gzip-compressed). It is `Send` (its input
/// must be), so it can feed a pipeline from its own thread.
///
/// Blocks are read one at a time into a reused buffer, so memory stays bounded by the
/// largest block whatever the file size. Use it as an iterator of owned [`Event`]s, with
/// [`next_event_ref`](Self::next_event_ref) for borrowed events without copying, or with
/// [`next_block`](Self::next_block) for every block. After an error (which carries the
/// byte offset in the uncompressed stream) every method returns nothing more.
pub struct Reader<'r> {
    src: Box<dyn BufRead + Send + 'r>,
    compressed: bool,
    opts: ReaderOptions,
    pos: u64,
    buf: Vec<u8>,
    bounds: Vec<u32>,
    pending: Option<BlockHeader>,
    seen_shb: bool,
    done: bool,
    stats: Stats,
    metadata: Metadata,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("compressed", &self.compressed)
            .field("position", &self.pos)
            .field("done", &self.done)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn io_error(e: &io::Error, at: u64, compressed: bool) -> ScapError {
    let what = if compressed {
        "reading the gzip stream"
    } else {
        "reading the input"
    };
    let kind = match e.kind() {
        io::ErrorKind::UnexpectedEof => ScapErrorKind::Truncated,
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => ScapErrorKind::Corrupt,
        _ => ScapErrorKind::Io,
    };
    ScapError::new(kind, at, format!("{what} failed: {e}"))
}

/// Reads until `out` is full or the input ends; returns the count read.
fn read_full(
    src: &mut dyn BufRead,
    pos: &mut u64,
    compressed: bool,
    out: &mut [u8],
) -> Result<usize, ScapError> {
    let mut n = 0;
    while n < out.len() {
        match src.read(&mut out[n..]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                *pos += k as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(&e, *pos, compressed)),
        }
    }
    Ok(n)
}

fn name_of(ty: u32) -> String {
    match super::block::block_type_name(ty) {
        Some(n) => format!("{n} (0x{ty:x})"),
        None => format!("0x{ty:x}"),
    }
}

impl<'r> Reader<'r> {
    /// A reader over `input` with default options. Reads the first two bytes to detect
    /// gzip (`1f 8b`); fails only if that read fails.
    pub fn new<R: Read + Send + 'r>(input: R) -> Result<Self, ScapError> {
        Self::with_options(input, ReaderOptions::default())
    }

    /// A reader with explicit options.
    pub fn with_options<R: Read + Send + 'r>(
        mut input: R,
        opts: ReaderOptions,
    ) -> Result<Self, ScapError> {
        let mut head = [0u8; 2];
        let mut n = 0;
        while n < 2 {
            match input.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&e, 0, false)),
            }
        }
        let compressed = n == 2 && head == [0x1f, 0x8b];
        let chained = io::Cursor::new(head).take(n as u64).chain(input);
        let src: Box<dyn BufRead + Send + 'r> = if compressed {
            Box::new(BufReader::with_capacity(
                BUF_CAPACITY,
                MultiGzDecoder::new(chained),
            ))
        } else {
            Box::new(BufReader::with_capacity(BUF_CAPACITY, chained))
        };
        let mut opts = opts;
        opts.event_code_limit = opts.event_code_limit.min(PPM_EVENT_MAX as u16);
        Ok(Reader {
            src,
            compressed,
            opts,
            pos: 0,
            buf: Vec::new(),
            bounds: Vec::new(),
            pending: None,
            seen_shb: false,
            done: false,
            stats: Stats::default(),
            metadata: Metadata::default(),
        })
    }

    /// Whether the input is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The options in effect.
    pub fn options(&self) -> ReaderOptions {
        self.opts
    }

    /// Bytes of the uncompressed stream consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Counters over everything read so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Metadata collected so far (see [`Metadata`]).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Takes the collected metadata, leaving an empty one (e.g. to hand the process list
    /// to a state layer without copying).
    pub fn take_metadata(&mut self) -> Metadata {
        std::mem::take(&mut self.metadata)
    }

    /// Whether the reader has hit the end of the input or an error.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Fills `out` from the input; returns the count read (less than `out.len()` only at
    /// the end of the input). When the input's buffer already holds `out.len()` bytes, a
    /// single copy (the common case: blocks are far smaller than the buffer).
    #[inline]
    fn read_into(&mut self, out: &mut [u8]) -> Result<usize, ScapError> {
        match self.src.fill_buf() {
            Ok(avail) => {
                if let Some(src) = avail.get(..out.len()) {
                    out.copy_from_slice(src);
                    self.src.consume(out.len());
                    self.pos += out.len() as u64;
                    return Ok(out.len());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(&e, self.pos, self.compressed)),
        }
        read_full(&mut *self.src, &mut self.pos, self.compressed, out)
    }

    fn err(&mut self, e: ScapError) -> ScapError {
        self.done = true;
        e
    }

    fn read_header(&mut self) -> Result<Option<BlockHeader>, ScapError> {
        if let Some(h) = self.pending.take() {
            return Ok(Some(h));
        }
        let offset = self.pos;
        let mut hdr = [0u8; 8];
        let n = self.read_into(&mut hdr)?;
        if n == 0 {
            return Ok(None);
        }
        if n < 8 {
            return Err(ScapError::new(
                ScapErrorKind::Truncated,
                self.pos,
                format!("the input ends inside the header of the block at byte {offset} ({n} of 8 bytes)"),
            ));
        }
        let ty = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let len = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
        let mut magic = None;
        if ty == SHB {
            let mut m = [0u8; 4];
            let n = read_full(&mut *self.src, &mut self.pos, self.compressed, &mut m)?;
            if n < 4 {
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.pos,
                    format!("the input ends inside the section header at byte {offset}"),
                ));
            }
            let v = u32::from_le_bytes(m);
            if v == SHB_MAGIC.swap_bytes() {
                return Err(ScapError::new(
                    ScapErrorKind::Unsupported,
                    offset + 8,
                    "big-endian capture (byte-swapped section header magic): not supported",
                ));
            }
            if v != SHB_MAGIC {
                return Err(ScapError::new(
                    ScapErrorKind::Corrupt,
                    offset + 8,
                    format!("invalid section header magic 0x{v:08x} (expected 0x{SHB_MAGIC:08x})"),
                ));
            }
            if len < MIN_SHB_LEN {
                return Err(ScapError::new(
                    ScapErrorKind::Corrupt,
                    offset + 4,
                    format!(
                        "section header length {len} is smaller than the minimum {MIN_SHB_LEN}"
                    ),
                ));
            }
            magic = Some(m);
        }
        if len < BLOCK_OVERHEAD {
            return Err(ScapError::new(
                ScapErrorKind::Corrupt,
                offset + 4,
                format!(
                    "block of type {} at byte {offset} has length {len}, smaller than the minimum {BLOCK_OVERHEAD}",
                    name_of(ty)
                ),
            ));
        }
        if len > self.opts.max_block_len {
            return Err(ScapError::new(
                ScapErrorKind::Corrupt,
                offset + 4,
                format!(
                    "block of type {} at byte {offset} has length {len}, over the limit of {} bytes",
                    name_of(ty),
                    self.opts.max_block_len
                ),
            ));
        }
        Ok(Some(BlockHeader {
            ty,
            len,
            offset,
            magic,
        }))
    }

    /// Reads the body of `h` into `self.buf` (chunk by chunk, so memory follows the data
    /// actually present).
    fn read_body(&mut self, h: &BlockHeader) -> Result<(), ScapError> {
        let n = (h.len - BLOCK_OVERHEAD) as usize;
        self.buf.clear();
        if let Some(m) = h.magic {
            self.buf.extend_from_slice(&m);
        }
        let rest = n.saturating_sub(self.buf.len());
        match self.src.fill_buf() {
            Ok(avail) => {
                if let Some(src) = avail.get(..rest) {
                    self.buf.extend_from_slice(src);
                    self.src.consume(rest);
                    self.pos += rest as u64;
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(&e, self.pos, self.compressed)),
        }
        while self.buf.len() < n {
            let old = self.buf.len();
            let chunk = (n - old).min(READ_CHUNK);
            self.buf.resize(old + chunk, 0);
            let got = read_full(
                &mut *self.src,
                &mut self.pos,
                self.compressed,
                &mut self.buf[old..],
            )?;
            if got < chunk {
                self.buf.truncate(old + got);
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.pos,
                    format!(
                        "the input ends inside the block of type {} at byte {} (length {}): {} of {n} body bytes present",
                        name_of(h.ty),
                        h.offset,
                        h.len,
                        old + got
                    ),
                ));
            }
        }
        Ok(())
    }

    fn skip_body(&mut self, h: &BlockHeader) -> Result<(), ScapError> {
        let n = u64::from(h.len - BLOCK_OVERHEAD);
        let copied = io::copy(&mut (&mut *self.src).take(n), &mut io::sink())
            .map_err(|e| io_error(&e, self.pos, self.compressed))?;
        self.pos += copied;
        if copied < n {
            return Err(ScapError::new(
                ScapErrorKind::Truncated,
                self.pos,
                format!(
                    "the input ends inside the block of type {} at byte {} (length {}): {copied} of {n} body bytes present",
                    name_of(h.ty),
                    h.offset,
                    h.len
                ),
            ));
        }
        Ok(())
    }

    fn read_trailer(&mut self, h: &BlockHeader) -> Result<(), ScapError> {
        let at = self.pos;
        let mut t = [0u8; 4];
        let n = self.read_into(&mut t)?;
        if n < 4 {
            return Err(ScapError::new(
                ScapErrorKind::Truncated,
                self.pos,
                format!(
                    "the input ends inside the trailer of the block of type {} at byte {}",
                    name_of(h.ty),
                    h.offset
                ),
            ));
        }
        let t = u32::from_le_bytes(t);
        if t != h.len {
            return Err(ScapError::new(
                ScapErrorKind::Corrupt,
                at,
                format!(
                    "the trailer of the block of type {} at byte {} says length {t}, its header {}",
                    name_of(h.ty),
                    h.offset,
                    h.len
                ),
            ));
        }
        Ok(())
    }

    fn step(&mut self) -> Result<Step, ScapError> {
        let Some(h) = self.read_header()? else {
            if !self.seen_shb {
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.pos,
                    "empty input: a capture starts with a section header block",
                ));
            }
            return Ok(Step::Eof);
        };
        let kind = BlockKind::of(h.ty);
        if !self.seen_shb && kind != BlockKind::SectionHeader {
            return Err(ScapError::new(
                ScapErrorKind::Corrupt,
                h.offset,
                format!(
                    "not a scap capture: the first block has type {}, not a section header (0x{SHB:08x})",
                    name_of(h.ty)
                ),
            ));
        }
        self.stats.blocks += 1;
        *self.stats.by_block_type.entry(h.ty).or_insert(0) += 1;
        if let BlockKind::Unknown(block_type) = kind {
            self.skip_body(&h)?;
            self.read_trailer(&h)?;
            self.stats.unknown_blocks += 1;
            return Ok(Step::Unknown {
                block_type,
                len: h.len,
            });
        }
        self.read_body(&h)?;
        self.read_trailer(&h)?;
        let base = h.offset + 8;
        let body = &self.buf[..];
        let step = match kind {
            BlockKind::SectionHeader => {
                let s = parse_section_header(body).map_err(|e| e.at_base(base))?;
                if s.major > 1 {
                    return Err(ScapError::new(
                        ScapErrorKind::Unsupported,
                        base + 4,
                        format!(
                            "capture format version {}.{} is newer than this reader (1.x)",
                            s.major, s.minor
                        ),
                    ));
                }
                self.seen_shb = true;
                self.stats.sections += 1;
                Step::Section(s)
            }
            BlockKind::MachineInfo => {
                Step::Machine(parse_machine_info(body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::ProcessList(v) => {
                Step::Processes(parse_process_list(v, body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::FdList(v) => Step::Fds(parse_fd_list(v, body).map_err(|e| e.at_base(base))?),
            BlockKind::InterfaceList(v) => {
                Step::Interfaces(parse_interface_list(v, body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::UserList(v) => {
                Step::Users(parse_user_list(v, body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::Event(k) => {
                self.stats.event_blocks += 1;
                match decode_event(k, body, self.opts.event_code_limit, &mut self.bounds)
                    .map_err(|e| e.at_base(base))?
                {
                    Decoded::Skipped { code } => {
                        self.stats.skipped_events += 1;
                        *self.stats.skipped_by_code.entry(code).or_insert(0) += 1;
                        Step::Skipped(code)
                    }
                    Decoded::Event {
                        ts,
                        tid,
                        cpu,
                        code,
                        flags,
                        info,
                        values,
                    } => {
                        self.stats.events += 1;
                        Step::Event {
                            header: Header {
                                num: self.stats.events,
                                offset: h.offset,
                                block_type: h.ty,
                                ts,
                                tid,
                                cpu,
                                code,
                                flags,
                            },
                            info,
                            values,
                        }
                    }
                }
            }
            // Returned above without reading the body.
            BlockKind::Unknown(block_type) => Step::Unknown {
                block_type,
                len: h.len,
            },
        };
        Ok(step)
    }

    fn absorb(&mut self, step: Step) {
        let m = &mut self.metadata;
        match step {
            Step::Section(s) => m.section = Some(s),
            Step::Machine(mi) => m.machine = Some(mi),
            Step::Processes(p) => m.processes.extend(p),
            Step::Fds(f) => m.fds.push(f),
            Step::Interfaces(i) => m.interfaces = Some(i),
            Step::Users(u) => m.users = Some(u),
            Step::Eof | Step::Event { .. } | Step::Skipped(_) | Step::Unknown { .. } => {}
        }
    }

    /// The next block, decoded. Metadata blocks are handed to the caller, not collected
    /// into [`metadata`](Self::metadata). `None` at the end of the input; after an error,
    /// `None` forever.
    pub fn next_block(&mut self) -> Option<Result<Block, ScapError>> {
        if self.done {
            return None;
        }
        let step = match self.step() {
            Ok(s) => s,
            Err(e) => return Some(Err(self.err(e))),
        };
        Some(Ok(match step {
            Step::Eof => {
                self.done = true;
                return None;
            }
            Step::Section(s) => Block::SectionHeader(s),
            Step::Machine(m) => Block::MachineInfo(m),
            Step::Processes(p) => Block::ProcessList(p),
            Step::Fds(f) => Block::FdList(f),
            Step::Interfaces(i) => Block::InterfaceList(i),
            Step::Users(u) => Block::UserList(u),
            Step::Event {
                header,
                info,
                values,
            } => Block::Event(
                EventRef::new(header, info, &self.buf[values.0..values.1], &self.bounds).to_event(),
            ),
            Step::Skipped(code) => Block::SkippedEvent { code },
            Step::Unknown { block_type, len } => Block::Unknown { block_type, len },
        }))
    }

    /// The next event, borrowed from the reader's buffer (no copy); metadata blocks on the
    /// way are collected into [`metadata`](Self::metadata), skipped events and unknown
    /// blocks counted in [`stats`](Self::stats). `None` at the end of the input; after an
    /// error, `None` forever.
    pub fn next_event_ref(&mut self) -> Option<Result<EventRef<'_>, ScapError>> {
        if self.done {
            return None;
        }
        loop {
            match self.step() {
                Err(e) => return Some(Err(self.err(e))),
                Ok(Step::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(Step::Event {
                    header,
                    info,
                    values,
                }) => {
                    return Some(Ok(EventRef::new(
                        header,
                        info,
                        &self.buf[values.0..values.1],
                        &self.bounds,
                    )))
                }
                Ok(other) => self.absorb(other),
            }
        }
    }

    /// Reads the blocks before the next event block (section header, machine info,
    /// process, fd, interface and user lists) into [`metadata`](Self::metadata) and
    /// returns it; the events are then read by iterating. An error stops the reader.
    pub fn read_metadata(&mut self) -> Result<&Metadata, ScapError> {
        while !self.done {
            if self.seen_shb {
                // Peek at the next block header: stop before an event block or at the end.
                if self.pending.is_none() {
                    match self.read_header() {
                        Ok(Some(h)) => self.pending = Some(h),
                        Ok(None) => {
                            self.done = true;
                            break;
                        }
                        Err(e) => return Err(self.err(e)),
                    }
                }
                if matches!(self.pending, Some(h) if BlockKind::of(h.ty).is_event()) {
                    break;
                }
            }
            match self.step() {
                Ok(Step::Eof) => {
                    self.done = true;
                    break;
                }
                Ok(s) => self.absorb(s),
                Err(e) => return Err(self.err(e)),
            }
        }
        Ok(&self.metadata)
    }
}

impl Iterator for Reader<'_> {
    type Item = Result<Event, ScapError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event_ref().map(|r| r.map(|e| e.to_event()))
    }
}

impl std::iter::FusedIterator for Reader<'_> {}

/// Opens a capture file (plain or gzip) with default options.
pub fn open(path: impl AsRef<Path>) -> Result<Reader<'static>, ScapError> {
    let path = path.as_ref();
    let f = File::open(path).map_err(|e| {
        ScapError::new(
            ScapErrorKind::Io,
            0,
            format!("cannot open {}: {e}", path.display()),
        )
    })?;
    Reader::new(f)
}
