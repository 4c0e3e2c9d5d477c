//! Event blocks: header decoding, the version-1 → version-2 parameter count recovery,
//! validation of parameter lengths, and the [`Event`] / [`EventRef`] types.

use falcoc_schema::events::{event, Direction, EventCategory, EventFlags, EventInfo};

use super::block::EventBlockKind;
use super::cursor::Cursor;
use super::error::DecodeError;
use super::param::{Param, Params};

/// Size of the version-2 event header (`ppm_evt_hdr`: `u64 ts, u64 tid, u32 len,
/// u16 type, u32 nparams`).
pub const EVENT_HEADER_LEN: usize = 26;
/// Size of the version-1 event header (no `nparams`).
pub const EVENT_HEADER_V1_LEN: usize = 22;

/// `PPME_NOTIFICATION_E`: old captures store its length 3 bytes too large.
const PPME_NOTIFICATION_E: u16 = 280;
/// `PPME_INFRASTRUCTURE_EVENT_E`: same quirk.
const PPME_INFRASTRUCTURE_EVENT_E: u16 = 286;

/// The fixed part of an event, shared by [`Event`] and [`EventRef`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub num: u64,
    pub offset: u64,
    pub block_type: u32,
    pub ts: u64,
    pub tid: i64,
    pub cpu: u16,
    pub code: u16,
    pub flags: u32,
}

/// What the decoder found in an event block body.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// An event whose type is beyond the reader's event table: skipped.
    Skipped { code: u16 },
    /// An event; its parameter values are `body[values.0..values.1]` and the boundaries
    /// were written to the caller's vector.
    Event {
        ts: u64,
        tid: i64,
        cpu: u16,
        code: u16,
        flags: u32,
        info: &'static EventInfo,
        values: (usize, usize),
    },
}

/// Decodes an event block body (everything between the block header and the trailer,
/// padding included). `table` is the event table, `limit` the number of event codes the
/// reader knows; `nparams + 1` offsets relative to the start of the values are appended to
/// `bounds` (which is left as it was on an error or a skipped event).
#[inline]
pub(crate) fn decode_event(
    kind: EventBlockKind,
    body: &[u8],
    table: &'static [EventInfo],
    limit: u16,
    bounds: &mut Vec<u32>,
) -> Result<Decoded, DecodeError> {
    let flags_len = if kind.has_flags { 4 } else { 0 };
    let evt_off = 2 + flags_len;
    let hdr_len = if kind.version >= 2 {
        EVENT_HEADER_LEN
    } else {
        EVENT_HEADER_V1_LEN
    };
    // The common case: the CPU id, the flags and the whole header are there.
    let Some(h) = body.get(..evt_off + hdr_len) else {
        return Err(short_event(kind, body, hdr_len));
    };
    let cpu = u16::from_le_bytes([h[0], h[1]]);
    let flags = if kind.has_flags {
        u32::from_le_bytes([h[2], h[3], h[4], h[5]])
    } else {
        0
    };
    let h = &h[evt_off..];
    let avail = body.len() - evt_off;
    let u32_at = |at: usize| u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
    let ts = u64::from(u32_at(0)) | (u64::from(u32_at(4)) << 32);
    let tid = (u64::from(u32_at(8)) | (u64::from(u32_at(12)) << 32)) as i64;
    let len_at = evt_off + 16;
    let len = u32_at(16) as usize;
    let code = u16::from_le_bytes([h[20], h[21]]);
    let info = match table.get(code as usize) {
        Some(info) if code < limit => info,
        _ => return Ok(Decoded::Skipped { code }),
    };
    let large = info.flags.has(EventFlags::LARGE_PAYLOAD);
    let (nparams, lens_at, end) = if kind.version >= 2 {
        let np_at = evt_off + 22;
        let nparams = u32_at(22) as usize;
        if len < EVENT_HEADER_LEN {
            return Err(DecodeError::corrupt(
                len_at,
                format!("event length {len} is smaller than the {EVENT_HEADER_LEN}-byte header"),
            ));
        }
        if len > avail {
            return Err(DecodeError::corrupt(
                len_at,
                format!("event length {len} exceeds the {avail} bytes of its block"),
            ));
        }
        let width = if large { 4 } else { 2 };
        if nparams
            .checked_mul(width)
            .and_then(|n| n.checked_add(EVENT_HEADER_LEN))
            .is_none_or(|n| n > len)
        {
            return Err(DecodeError::corrupt(
                np_at,
                format!("{nparams} parameter lengths do not fit in an event of {len} bytes"),
            ));
        }
        (nparams, evt_off + EVENT_HEADER_LEN, evt_off + len)
    } else {
        // Old layout: no nparams. libscap converts it to version 2, deducing the count from
        // the length. The smallest count whose lengths add up to the event length is the
        // true one (fewer parameters always fall short), so search upwards.
        let adjust = if code == PPME_NOTIFICATION_E || code == PPME_INFRASTRUCTURE_EVENT_E {
            3
        } else {
            0
        };
        let lens_at = evt_off + EVENT_HEADER_V1_LEN;
        let mut found = None;
        for l in [len.wrapping_sub(adjust), len] {
            if l < EVENT_HEADER_V1_LEN || l > avail {
                continue;
            }
            if let Some(n) = v1_param_count(&body[lens_at..evt_off + l]) {
                found = Some((n, l));
                break;
            }
            if adjust == 0 {
                break;
            }
        }
        match found {
            Some((n, l)) => (n, lens_at, evt_off + l),
            None if len < EVENT_HEADER_V1_LEN || len > avail => {
                return Err(DecodeError::corrupt(
                    len_at,
                    format!(
                        "event length {len} is outside the {EVENT_HEADER_V1_LEN}..={avail} bytes of its block"
                    ),
                ))
            }
            None => {
                return Err(DecodeError::corrupt(
                    len_at,
                    format!(
                        "cannot determine the parameter count of a version-1 event of type {code} and length {len}: no count makes the parameter lengths add up"
                    ),
                ))
            }
        }
    };
    // Parameter lengths: running sums in one pass, checked against the room once at the
    // end (the sums only grow, so if the last fits, every one does).
    let width = if kind.version >= 2 && large { 4 } else { 2 };
    let values_at = lens_at + nparams * width;
    let room = end - values_at;
    let lens = body.get(lens_at..values_at).unwrap_or_default();
    let start = bounds.len();
    bounds.reserve(nparams + 1);
    bounds.push(0);
    let mut total = 0u64;
    if width == 2 {
        bounds.extend(lens.chunks_exact(2).map(|c| {
            total += u64::from(u16::from_le_bytes([c[0], c[1]]));
            total as u32
        }));
    } else {
        bounds.extend(lens.chunks_exact(4).map(|c| {
            total += u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
            total as u32
        }));
    }
    if total > room as u64 {
        bounds.truncate(start);
        return Err(param_overrun(lens, width, lens_at, room));
    }
    Ok(Decoded::Event {
        ts,
        tid,
        cpu,
        code,
        flags,
        info,
        values: (values_at, values_at + total as usize),
    })
}

/// The error of an event block too short for its CPU id, flags or event header.
#[cold]
fn short_event(kind: EventBlockKind, body: &[u8], hdr_len: usize) -> DecodeError {
    let mut c = Cursor::new(body, 0);
    if let Err(e) = c.u16("event CPU id") {
        return e;
    }
    if kind.has_flags {
        if let Err(e) = c.u32("event flags") {
            return e;
        }
    }
    let evt_off = c.pos();
    DecodeError::corrupt(
        evt_off,
        format!(
            "event header needs {hdr_len} bytes but the block holds {}",
            body.len() - evt_off
        ),
    )
}

/// The error for the first parameter whose length runs past the end of the event.
#[cold]
fn param_overrun(lens: &[u8], width: usize, lens_at: usize, room: usize) -> DecodeError {
    let mut total = 0usize;
    for (i, raw) in lens.chunks_exact(width).enumerate() {
        let l = match *raw {
            [a, b] => u16::from_le_bytes([a, b]) as usize,
            [a, b, c, d] => u32::from_le_bytes([a, b, c, d]) as usize,
            _ => 0,
        };
        total += l;
        if total > room {
            return DecodeError::corrupt(
                lens_at + i * width,
                format!(
                    "parameter {i} of length {l} runs past the end of the event ({room} bytes of values)"
                ),
            );
        }
    }
    DecodeError::corrupt(lens_at, "parameter lengths run past the end of the event")
}

/// The smallest `n` such that `n` u16 lengths followed by that many bytes of values fill
/// `rest` (the event after its version-1 header) exactly.
fn v1_param_count(rest: &[u8]) -> Option<usize> {
    let end = rest.len();
    let (mut n, mut sum) = (0usize, 0usize);
    loop {
        let used = 2 * n + sum;
        if used == end {
            return Some(n);
        }
        // One more parameter adds at least its 2-byte length: past the end, no count fits.
        if used > end || 2 * n + 2 > end {
            return None;
        }
        sum += u16::from_le_bytes([rest[2 * n], rest[2 * n + 1]]) as usize;
        n += 1;
    }
}

macro_rules! event_accessors {
    () => {
        /// The event table entry.
        #[inline]
        pub fn info(&self) -> &'static EventInfo {
            self.info
        }

        /// The event name (`evt.type`).
        #[inline]
        pub fn name(&self) -> &'static str {
            self.info.name
        }

        /// Enter or exit.
        #[inline]
        pub fn direction(&self) -> Direction {
            self.info.direction
        }

        /// The category bitmask of the table.
        #[inline]
        pub fn category(&self) -> EventCategory {
            self.info.category
        }

        /// Number of parameters in the event.
        #[inline]
        pub fn nparams(&self) -> usize {
            self.bounds.len().saturating_sub(1)
        }

        /// The parameters.
        #[inline]
        pub fn params(&self) -> Params<'_> {
            Params {
                values: &self.values,
                bounds: &self.bounds,
                info: self.info,
            }
        }

        /// Parameter `i` (`evt.arg[i]`).
        #[inline]
        pub fn param(&self, i: usize) -> Option<Param<'_>> {
            self.params().get(i)
        }

        /// The parameter named `name` in the event table (`evt.arg.NAME`).
        #[inline]
        pub fn param_by_name(&self, name: &str) -> Option<Param<'_>> {
            self.params().by_name(name)
        }

        /// The raw bytes of parameter `i`.
        #[inline]
        pub fn raw_param(&self, i: usize) -> Option<&[u8]> {
            self.param(i).map(|p| p.raw())
        }

        /// The syscall return value as libsinsp defines it (`evt.rawres`): the first
        /// parameter of an exit event of a syscall (not the generic exit event), read as a
        /// 32- or 64-bit signed integer; `None` otherwise.
        #[inline]
        pub fn return_value(&self) -> Option<i64> {
            if self.code == falcoc_schema::events::PPME_GENERIC_X
                || self.info.direction != Direction::Exit
                || !self.info.category.is_syscall()
            {
                return None;
            }
            self.param(0)?.as_errno()
        }
    };
}

/// An event borrowed from the reader's buffer (see
/// [`Reader::next_event_ref`](super::Reader::next_event_ref)); valid until the next read.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    /// 1-based event number, as libsinsp numbers it (`evt.num`): event blocks in file
    /// order, skipped event types excluded.
    pub num: u64,
    /// Byte offset of the event's block in the uncompressed stream.
    pub offset: u64,
    /// Block type code (`EV`, `EV_V2`, `EVF_V2_LARGE`, …).
    pub block_type: u32,
    /// Timestamp, ns since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: i64,
    /// CPU id.
    pub cpu: u16,
    /// Event type code (`ppm_event_code`).
    pub code: u16,
    /// Block flags (`EVF*` blocks; 0 otherwise).
    pub flags: u32,
    pub(crate) info: &'static EventInfo,
    pub(crate) values: &'a [u8],
    pub(crate) bounds: &'a [u32],
}

impl<'a> EventRef<'a> {
    pub(crate) fn new(
        h: Header,
        info: &'static EventInfo,
        values: &'a [u8],
        bounds: &'a [u32],
    ) -> Self {
        EventRef {
            num: h.num,
            offset: h.offset,
            block_type: h.block_type,
            ts: h.ts,
            tid: h.tid,
            cpu: h.cpu,
            code: h.code,
            flags: h.flags,
            info,
            values,
            bounds,
        }
    }

    /// Copies the event out of the reader's buffer.
    pub fn to_event(&self) -> Event {
        Event {
            num: self.num,
            offset: self.offset,
            block_type: self.block_type,
            ts: self.ts,
            tid: self.tid,
            cpu: self.cpu,
            code: self.code,
            flags: self.flags,
            info: self.info,
            values: self.values.to_vec(),
            bounds: self.bounds.to_vec(),
        }
    }

    /// Copies this event into `into`, reusing its buffers (no allocation once they have
    /// grown).
    pub fn copy_into(&self, into: &mut Event) {
        into.num = self.num;
        into.offset = self.offset;
        into.block_type = self.block_type;
        into.ts = self.ts;
        into.tid = self.tid;
        into.cpu = self.cpu;
        into.code = self.code;
        into.flags = self.flags;
        into.info = self.info;
        into.values.clear();
        into.values.extend_from_slice(self.values);
        into.bounds.clear();
        into.bounds.extend_from_slice(self.bounds);
    }

    event_accessors!();

    /// The packed parameter bytes: parameter `i` spans `bounds()[i]` to `bounds()[i + 1]`
    /// in them (for code that copies or slices parameters without decoding them).
    #[inline]
    pub fn raw_values(&self) -> &'a [u8] {
        self.values
    }

    /// The parameter boundaries in [`raw_values`](Self::raw_values): one more than the
    /// number of parameters.
    #[inline]
    pub fn bounds(&self) -> &'a [u32] {
        self.bounds
    }
}

impl From<EventRef<'_>> for Event {
    fn from(e: EventRef<'_>) -> Self {
        e.to_event()
    }
}

/// One event, owning its parameter bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// 1-based event number, as libsinsp numbers it (`evt.num`): event blocks in file
    /// order, skipped event types excluded.
    pub num: u64,
    /// Byte offset of the event's block in the uncompressed stream.
    pub offset: u64,
    /// Block type code (`EV`, `EV_V2`, `EVF_V2_LARGE`, …).
    pub block_type: u32,
    /// Timestamp, ns since the epoch.
    pub ts: u64,
    /// Thread id.
    pub tid: i64,
    /// CPU id.
    pub cpu: u16,
    /// Event type code (`ppm_event_code`).
    pub code: u16,
    /// Block flags (`EVF*` blocks; 0 otherwise).
    pub flags: u32,
    info: &'static EventInfo,
    values: Vec<u8>,
    bounds: Vec<u32>,
}

impl Event {
    /// An event of a live source (the eBPF probe, an embedder): type `code` of the event
    /// table with `params` in the table's order and encoding (`evt.num` `num`, block type
    /// `EV_V2`, CPU 0). `None` when `code` is not in the table or the parameters do
    /// not fit the format (more than the table lists, or one longer than 65535 bytes for
    /// an event without large payloads).
    pub fn from_params(code: u16, num: u64, ts: u64, tid: i64, params: &[&[u8]]) -> Option<Event> {
        let info = event(code)?;
        if params.len() > info.params.len() {
            return None;
        }
        let max = if info.flags.has(EventFlags::LARGE_PAYLOAD) {
            u32::MAX as usize
        } else {
            u16::MAX as usize
        };
        let total: usize = params.iter().map(|p| p.len()).sum();
        let mut values = Vec::with_capacity(total);
        let mut bounds = Vec::with_capacity(params.len() + 1);
        bounds.push(0);
        for p in params {
            if p.len() > max {
                return None;
            }
            values.extend_from_slice(p);
            bounds.push(u32::try_from(values.len()).ok()?);
        }
        Some(Event {
            num,
            offset: 0,
            block_type: super::block::EV_V2,
            ts,
            tid,
            cpu: 0,
            code,
            flags: 0,
            info,
            values,
            bounds,
        })
    }

    /// A borrowed view of this event.
    pub fn as_event_ref(&self) -> EventRef<'_> {
        EventRef {
            num: self.num,
            offset: self.offset,
            block_type: self.block_type,
            ts: self.ts,
            tid: self.tid,
            cpu: self.cpu,
            code: self.code,
            flags: self.flags,
            info: self.info,
            values: &self.values,
            bounds: &self.bounds,
        }
    }

    event_accessors!();
}
