//! The streaming reader: block framing over any [`Read`], transparent gzip, statistics,
//! metadata collection, the event iterator and batches.
//!
//! The input is read into a window (one buffer, [`WINDOW`] bytes or the largest block),
//! filled by `read` calls of up to its size; blocks are decoded where they lie in it and
//! events are handed out as views into it ([`EventRef`]) or, for a pipeline, the window
//! itself is handed over with the events decoded in it ([`Reader::next_batch`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use falcoc_schema::events::{EventInfo, PPM_EVENT_MAX};
use flate2::read::MultiGzDecoder;

use super::batch::EventBatch;
use super::block::{BlockKind, EventBlockKind, SHB, SHB_MAGIC};
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
/// The window grows by at most this much beyond the data present, so a corrupt length
/// field can make the reader allocate no more than the input actually holds (plus one
/// chunk).
const READ_CHUNK: usize = 1 << 20;
/// Size of the reader's window over the input (it grows for a larger block). A replay batch
/// takes over one window: 512 KiB makes the hand-over between the threads rare (each one
/// can cost a wake-up of the other thread) at 2.5 MB more memory than 128 KiB.
pub(crate) const WINDOW: usize = 1 << 19;

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

/// What one step of the reader found (no drop glue: metadata blocks are collected or
/// handed out through the step's block slot).
#[derive(Clone, Copy)]
enum Next {
    /// The end of the input.
    Eof,
    /// An event: its values are `window[values.0..values.1]`, its boundaries were
    /// appended to the bounds vector given to [`Reader::step`].
    Event {
        header: Header,
        info: &'static EventInfo,
        values: (usize, usize),
    },
    /// Another block (collected, or put in the block slot).
    Other,
}

/// A streaming reader of scap captures (plain or gzip-compressed). It is `Send` (its input
/// must be), so it can feed a pipeline from its own thread.
///
/// The input is read into a reused window, so memory stays bounded by the window and the
/// largest block whatever the file size. Use it as an iterator of owned [`Event`]s, with
/// [`next_event_ref`](Self::next_event_ref) for borrowed events without copying, with
/// [`next_batch`](Self::next_batch) for batches that take the window over, or with
/// [`next_block`](Self::next_block) for every block. After an error (which carries the
/// byte offset in the uncompressed stream) every method returns nothing more.
pub struct Reader<'r> {
    src: Box<dyn Read + Send + 'r>,
    compressed: bool,
    opts: ReaderOptions,
    table: &'static [EventInfo],
    /// The window: `win[lo..hi]` has been read and not consumed; `win.len()` is its size.
    win: Vec<u8>,
    lo: usize,
    hi: usize,
    /// Offset in the uncompressed stream of `win[0]`.
    base: u64,
    /// The input has ended.
    eof: bool,
    bounds: Vec<u32>,
    seen_shb: bool,
    done: bool,
    stats: Stats,
    /// The block type of the current run of blocks of one type and their count (added to
    /// `stats.by_block_type` when the type changes, so that a run of events costs no map
    /// update).
    run: (u32, u64),
    /// The layout of the run's blocks when they are event blocks.
    run_event: Option<EventBlockKind>,
    metadata: Metadata,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("compressed", &self.compressed)
            .field("position", &self.position())
            .field("done", &self.done)
            .field("stats", &self.stats())
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

fn name_of(ty: u32) -> String {
    match super::block::block_type_name(ty) {
        Some(n) => format!("{n} (0x{ty:x})"),
        None => format!("0x{ty:x}"),
    }
}

#[inline]
fn le32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
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
        let src: Box<dyn Read + Send + 'r> = if compressed {
            Box::new(MultiGzDecoder::new(chained))
        } else {
            Box::new(chained)
        };
        let mut opts = opts;
        opts.event_code_limit = opts.event_code_limit.min(PPM_EVENT_MAX as u16);
        Ok(Reader {
            src,
            compressed,
            opts,
            table: falcoc_schema::events::events(),
            win: Vec::new(),
            lo: 0,
            hi: 0,
            base: 0,
            eof: false,
            bounds: Vec::new(),
            seen_shb: false,
            done: false,
            stats: Stats::default(),
            run: (0, 0),
            run_event: None,
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

    /// Bytes of the uncompressed stream consumed so far: the end of the last block read;
    /// once the reader is done (at the end of the input or after an error), everything
    /// it read.
    pub fn position(&self) -> u64 {
        if self.done {
            self.base + self.hi as u64
        } else {
            self.base + self.lo as u64
        }
    }

    /// Counters over everything read so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats.clone();
        if self.run.1 > 0 {
            *s.by_block_type.entry(self.run.0).or_insert(0) += self.run.1;
        }
        s
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

    fn err(&mut self, e: ScapError) -> ScapError {
        self.done = true;
        e
    }

    /// Offset in the uncompressed stream of the end of what was read from the input.
    fn end_pos(&self) -> u64 {
        self.base + self.hi as u64
    }

    /// Makes `n` bytes available at `win[lo..]`, or as many as the input still has;
    /// returns how many are available.
    #[inline]
    fn ensure(&mut self, n: usize) -> Result<usize, ScapError> {
        let avail = self.hi - self.lo;
        if avail >= n || self.eof {
            return Ok(avail);
        }
        self.fill(n)
    }

    /// [`ensure`](Self::ensure)'s slow path: moves the unread bytes to the start of the
    /// window and reads (growing the window by at most [`READ_CHUNK`] beyond the data
    /// present at a time).
    #[cold]
    fn fill(&mut self, n: usize) -> Result<usize, ScapError> {
        if self.lo > 0 {
            self.win.copy_within(self.lo..self.hi, 0);
            self.base += self.lo as u64;
            self.hi -= self.lo;
            self.lo = 0;
        }
        while self.hi < n && !self.eof {
            if self.hi == self.win.len() {
                let size = n.min(self.hi + READ_CHUNK).max(WINDOW);
                self.win.resize(size, 0);
            }
            match self.src.read(&mut self.win[self.hi..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.hi += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e, self.end_pos(), self.compressed)),
            }
        }
        Ok(self.hi - self.lo)
    }

    /// Skips the body and checks the trailer of a block whose 8-byte header is at `lo`,
    /// without holding more than the window in memory.
    fn skip_block(&mut self, ty: u32, len: u32, offset: u64) -> Result<(), ScapError> {
        let n = u64::from(len - BLOCK_OVERHEAD);
        self.lo += 8;
        let mut left = n;
        while left > 0 {
            if self.lo == self.hi && self.ensure(1)? == 0 {
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.end_pos(),
                    format!(
                        "the input ends inside the block of type {} at byte {offset} (length {len}): {} of {n} body bytes present",
                        name_of(ty),
                        n - left
                    ),
                ));
            }
            let k = left.min((self.hi - self.lo) as u64);
            self.lo += k as usize;
            left -= k;
        }
        if self.ensure(4)? < 4 {
            return Err(self.truncated_trailer(ty, offset));
        }
        let t = le32(&self.win, self.lo);
        if t != len {
            return Err(self.bad_trailer(ty, len, t, offset));
        }
        self.lo += 4;
        Ok(())
    }

    #[cold]
    fn truncated_trailer(&self, ty: u32, offset: u64) -> ScapError {
        ScapError::new(
            ScapErrorKind::Truncated,
            self.end_pos(),
            format!(
                "the input ends inside the trailer of the block of type {} at byte {offset}",
                name_of(ty),
            ),
        )
    }

    #[cold]
    fn bad_trailer(&self, ty: u32, len: u32, t: u32, offset: u64) -> ScapError {
        ScapError::new(
            ScapErrorKind::Corrupt,
            offset + u64::from(len) - 4,
            format!(
                "the trailer of the block of type {} at byte {offset} says length {t}, its header {len}",
                name_of(ty),
            ),
        )
    }

    /// Checks a block header at `lo` (8 bytes available; 12 for a section header).
    fn check_header(&mut self, ty: u32, len: u32, offset: u64) -> Result<(), ScapError> {
        if ty == SHB {
            if self.ensure(12)? < 12 {
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.end_pos(),
                    format!("the input ends inside the section header at byte {offset}"),
                ));
            }
            let v = le32(&self.win, self.lo + 8);
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
        Ok(())
    }

    /// The type and length of the next block, when its header is in the window.
    #[inline]
    fn peek_header(&self) -> Option<(u32, u32)> {
        if self.hi - self.lo < 8 {
            return None;
        }
        match self.win.get(self.lo..self.lo + 8) {
            Some(&[a, b, c, d, e, f, g, h]) => Some((
                u32::from_le_bytes([a, b, c, d]),
                u32::from_le_bytes([e, f, g, h]),
            )),
            _ => None,
        }
    }

    /// Reads and decodes the next block. An event's boundaries are appended to `bounds`;
    /// any other block goes to `blocks` when given, else into the metadata and counters.
    #[inline]
    fn step(
        &mut self,
        bounds: &mut Vec<u32>,
        blocks: Option<&mut Option<Block>>,
    ) -> Result<Next, ScapError> {
        // The common case: an event block of the same type as the one before, whole in
        // the window (its header was checked like every block of the run's type).
        if let (Some((ty, len)), Some(k)) = (self.peek_header(), self.run_event) {
            if ty == self.run.0
                && len >= BLOCK_OVERHEAD
                && len <= self.opts.max_block_len
                && len as usize <= self.hi - self.lo
            {
                self.stats.blocks += 1;
                self.run.1 += 1;
                let offset = self.base + self.lo as u64;
                return self.event_block(k, ty, len, offset, bounds, blocks);
            }
        }
        self.step_slow(bounds, blocks)
    }

    /// Decodes the event block of `len` bytes at `lo` (whole in the window).
    #[inline]
    fn event_block(
        &mut self,
        k: EventBlockKind,
        ty: u32,
        len: u32,
        offset: u64,
        bounds: &mut Vec<u32>,
        blocks: Option<&mut Option<Block>>,
    ) -> Result<Next, ScapError> {
        let at = self.lo;
        let n = len as usize;
        let t = le32(&self.win, at + n - 4);
        if t != len {
            return Err(self.bad_trailer(ty, len, t, offset));
        }
        let body = &self.win[at + 8..at + n - 4];
        self.stats.event_blocks += 1;
        let decoded = decode_event(k, body, self.table, self.opts.event_code_limit, bounds)
            .map_err(|e| e.at_base(offset + 8))?;
        self.lo = at + n;
        match decoded {
            Decoded::Skipped { code } => {
                self.stats.skipped_events += 1;
                *self.stats.skipped_by_code.entry(code).or_insert(0) += 1;
                if let Some(slot) = blocks {
                    *slot = Some(Block::SkippedEvent { code });
                }
                Ok(Next::Other)
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
                Ok(Next::Event {
                    header: Header {
                        num: self.stats.events,
                        offset,
                        block_type: ty,
                        ts,
                        tid,
                        cpu,
                        code,
                        flags,
                    },
                    info,
                    values: (at + 8 + values.0, at + 8 + values.1),
                })
            }
        }
    }

    /// [`step`](Self::step) for every other case: reading more input, the first block of
    /// a run, metadata blocks, unknown blocks, errors.
    #[cold]
    fn step_slow(
        &mut self,
        bounds: &mut Vec<u32>,
        blocks: Option<&mut Option<Block>>,
    ) -> Result<Next, ScapError> {
        let offset = self.base + self.lo as u64;
        let avail = self.ensure(8)?;
        if avail == 0 {
            if !self.seen_shb {
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.end_pos(),
                    "empty input: a capture starts with a section header block",
                ));
            }
            return Ok(Next::Eof);
        }
        if avail < 8 {
            return Err(ScapError::new(
                ScapErrorKind::Truncated,
                self.end_pos(),
                format!("the input ends inside the header of the block at byte {offset} ({avail} of 8 bytes)"),
            ));
        }
        let ty = le32(&self.win, self.lo);
        let len = le32(&self.win, self.lo + 4);
        self.check_header(ty, len, offset)?;
        let kind = BlockKind::of(ty);
        if !self.seen_shb && kind != BlockKind::SectionHeader {
            return Err(ScapError::new(
                ScapErrorKind::Corrupt,
                offset,
                format!(
                    "not a scap capture: the first block has type {}, not a section header (0x{SHB:08x})",
                    name_of(ty)
                ),
            ));
        }
        self.stats.blocks += 1;
        if self.run.0 == ty {
            self.run.1 += 1;
        } else {
            if self.run.1 > 0 {
                *self.stats.by_block_type.entry(self.run.0).or_insert(0) += self.run.1;
            }
            self.run = (ty, 1);
            self.run_event = match kind {
                BlockKind::Event(k) => Some(k),
                _ => None,
            };
        }
        if let BlockKind::Unknown(block_type) = kind {
            self.skip_block(ty, len, offset)?;
            self.stats.unknown_blocks += 1;
            if let Some(slot) = blocks {
                *slot = Some(Block::Unknown { block_type, len });
            }
            return Ok(Next::Other);
        }
        let n = len as usize;
        let avail = self.ensure(n)?;
        if avail < n {
            if avail < n - 4 {
                let body = n - BLOCK_OVERHEAD as usize;
                return Err(ScapError::new(
                    ScapErrorKind::Truncated,
                    self.end_pos(),
                    format!(
                        "the input ends inside the block of type {} at byte {offset} (length {len}): {} of {body} body bytes present",
                        name_of(ty),
                        avail - 8
                    ),
                ));
            }
            return Err(self.truncated_trailer(ty, offset));
        }
        if let BlockKind::Event(k) = kind {
            return self.event_block(k, ty, len, offset, bounds, blocks);
        }
        let at = self.lo;
        let t = le32(&self.win, at + n - 4);
        if t != len {
            return Err(self.bad_trailer(ty, len, t, offset));
        }
        let base = offset + 8;
        let body = &self.win[at + 8..at + n - 4];
        let block = match kind {
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
                Block::SectionHeader(s)
            }
            BlockKind::MachineInfo => {
                Block::MachineInfo(parse_machine_info(body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::ProcessList(v) => {
                Block::ProcessList(parse_process_list(v, body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::FdList(v) => {
                Block::FdList(parse_fd_list(v, body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::InterfaceList(v) => {
                Block::InterfaceList(parse_interface_list(v, body).map_err(|e| e.at_base(base))?)
            }
            BlockKind::UserList(v) => {
                Block::UserList(parse_user_list(v, body).map_err(|e| e.at_base(base))?)
            }
            // Handled above.
            BlockKind::Event(_) | BlockKind::Unknown(_) => return Ok(Next::Other),
        };
        self.lo = at + n;
        match blocks {
            Some(slot) => *slot = Some(block),
            None => self.absorb(block),
        }
        Ok(Next::Other)
    }

    fn absorb(&mut self, block: Block) {
        let m = &mut self.metadata;
        match block {
            Block::SectionHeader(s) => m.section = Some(s),
            Block::MachineInfo(mi) => m.machine = Some(mi),
            Block::ProcessList(p) => m.processes.extend(p),
            Block::FdList(f) => m.fds.push(f),
            Block::InterfaceList(i) => m.interfaces = Some(i),
            Block::UserList(u) => m.users = Some(u),
            Block::Event(_) | Block::SkippedEvent { .. } | Block::Unknown { .. } => {}
        }
    }

    /// One step with the reader's own bounds vector (cleared first).
    #[inline]
    fn step_own(&mut self, blocks: Option<&mut Option<Block>>) -> Result<Next, ScapError> {
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.clear();
        let next = self.step(&mut bounds, blocks);
        self.bounds = bounds;
        next
    }

    /// The next block, decoded. Metadata blocks are handed to the caller, not collected
    /// into [`metadata`](Self::metadata). `None` at the end of the input; after an error,
    /// `None` forever.
    pub fn next_block(&mut self) -> Option<Result<Block, ScapError>> {
        if self.done {
            return None;
        }
        let mut slot = None;
        match self.step_own(Some(&mut slot)) {
            Err(e) => Some(Err(self.err(e))),
            Ok(Next::Eof) => {
                self.done = true;
                None
            }
            Ok(Next::Event {
                header,
                info,
                values,
            }) => Some(Ok(Block::Event(
                EventRef::new(header, info, &self.win[values.0..values.1], &self.bounds).to_event(),
            ))),
            Ok(Next::Other) => slot.map(Ok),
        }
    }

    /// The next event, borrowed from the reader's window (no copy); metadata blocks on the
    /// way are collected into [`metadata`](Self::metadata), skipped events and unknown
    /// blocks counted in [`stats`](Self::stats). `None` at the end of the input; after an
    /// error, `None` forever.
    pub fn next_event_ref(&mut self) -> Option<Result<EventRef<'_>, ScapError>> {
        if self.done {
            return None;
        }
        loop {
            match self.step_own(None) {
                Err(e) => return Some(Err(self.err(e))),
                Ok(Next::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(Next::Event {
                    header,
                    info,
                    values,
                }) => {
                    return Some(Ok(EventRef::new(
                        header,
                        info,
                        &self.win[values.0..values.1],
                        &self.bounds,
                    )))
                }
                Ok(Next::Other) => {}
            }
        }
    }

    /// Fills `batch` (cleared first) with the next events, without copying them: the
    /// events of the blocks already read into the reader's window (at least one block is
    /// read when the window holds none), after which the batch takes the window over and
    /// the reader continues in the batch's previous buffer. Metadata blocks on the way
    /// are collected into [`metadata`](Self::metadata) as by
    /// [`next_event_ref`](Self::next_event_ref).
    ///
    /// An empty batch and `Ok` mean the end of the input. On an error the batch holds
    /// the events before it; after an error or the end, batches stay empty. Reusing
    /// batches (see [`EventBatch`]) makes this allocation-free once the buffers have
    /// grown.
    pub fn next_batch(&mut self, batch: &mut EventBatch) -> Result<(), ScapError> {
        // The batch's buffer (kept at its length: no zeroing when it becomes the window).
        let mut next = batch.take_data();
        batch.clear();
        if self.done {
            batch.set_data(next);
            return Ok(());
        }
        let mut result = Ok(());
        loop {
            if !batch.is_empty() {
                // Only blocks already in the window: reading more could move it.
                match self.peek_header() {
                    Some((_, len)) if (len as usize) <= self.hi - self.lo => {}
                    _ => break,
                }
            }
            let first = batch.bounds.len();
            match self.step(&mut batch.bounds, None) {
                Err(e) => {
                    result = Err(self.err(e));
                    break;
                }
                Ok(Next::Eof) => {
                    self.done = true;
                    break;
                }
                Ok(Next::Event {
                    header,
                    info,
                    values,
                }) => {
                    if !batch.push_slot(header, info, values, first) {
                        batch.bounds.truncate(first);
                        let e = ScapError::new(
                            ScapErrorKind::Corrupt,
                            header.offset,
                            "event beyond 4 GiB of a batch's window",
                        );
                        result = Err(self.err(e));
                        break;
                    }
                }
                Ok(Next::Other) => {}
            }
        }
        if !batch.is_empty() {
            // The batch takes the window; the reader goes on in the batch's old buffer,
            // with the unread bytes (at most part of one block) copied over.
            let tail = self.hi - self.lo;
            if next.len() < WINDOW.max(tail) {
                next.resize(WINDOW.max(tail), 0);
            }
            next[..tail].copy_from_slice(&self.win[self.lo..self.hi]);
            batch.set_data(std::mem::replace(&mut self.win, next));
            self.base += self.lo as u64;
            self.lo = 0;
            self.hi = tail;
        } else {
            batch.set_data(next);
        }
        result
    }

    /// Reads the blocks before the next event block (section header, machine info,
    /// process, fd, interface and user lists) into [`metadata`](Self::metadata) and
    /// returns it; the events are then read by iterating. An error stops the reader.
    pub fn read_metadata(&mut self) -> Result<&Metadata, ScapError> {
        while !self.done {
            if self.seen_shb {
                // Peek at the next block header: stop before an event block or at the end.
                match self.ensure(8) {
                    Ok(0) => {
                        self.done = true;
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => return Err(self.err(e)),
                }
                if matches!(self.peek_header(), Some((ty, _)) if BlockKind::of(ty).is_event()) {
                    break;
                }
            }
            match self.step_own(None) {
                Ok(Next::Eof) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {}
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
