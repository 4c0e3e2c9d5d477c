//! Reader and writer of scap captures, the sysdig/Falco capture format (`.scap`, plain
//! or gzip-compressed). The [`writer`] writes the newest block versions listed below
//! (see its documentation).
//!
//! A capture is a sequence of pcapng-like blocks (`u32 type, u32 total length, body padded
//! to 4 bytes, u32 total length`, little-endian): a section header, then machine info,
//! interface, user, process and fd lists, then one block per event. This module reads
//! every block type and version libscap reads:
//!
//! | block | codes | decoded into |
//! |---|---|---|
//! | section header 1.0–1.2, with pcapng options | `0x0A0D0D0A` | [`SectionHeader`] |
//! | machine info | `0x201`, `0x8002ABCD` | [`MachineInfo`] |
//! | process list V1–V9 | `0x202`, `0x207`, `0x209`, `0x210`–`0x215`; `0x8000ABCD`, `0x8013ABCD`, `0x8014ABCD` | [`ProcessInfo`] |
//! | fd list V1, V2 | `0x203`, `0x8001ABCD`, `0x218` | [`FdList`] / [`FdInfo`] |
//! | interface list V1, V2 | `0x205`, `0x8011ABCD`, `0x219` | [`InterfaceList`] |
//! | user list V1, V2 | `0x206`, `0x8012ABCD`, `0x220` | [`UserList`] |
//! | events | `EV 0x204`, `0x8010ABCD`, `EV_V2 0x216`, `EVF 0x208`, `EVF_V2 0x217`, `EV_V2_LARGE 0x221`, `EVF_V2_LARGE 0x222` | [`Event`] / [`EventRef`] |
//! | anything else | | skipped and counted ([`Stats::unknown_blocks`]) |
//!
//! Events carry their raw parameter slices; [`Param`] gives typed views by the libscap
//! event table of `falcoc_schema::events` (integers of every width, strings, buffers,
//! socket addresses and tuples, fd lists, return values). Events may have fewer or more
//! parameters than the table (older writers wrote fewer, newer libs append); version-1
//! event blocks, which lack a parameter count, get it recovered from the lengths as
//! libscap does. Event types beyond the table are skipped without a number, like libsinsp
//! does, and counted ([`Stats::skipped_events`]).
//!
//! The decoding core works on byte slices and does no I/O; [`Reader`] streams blocks from
//! any [`std::io::Read`] (gzip detected from the first two bytes) through one window of
//! 512 KiB (larger only for a larger block), decoding blocks where they lie in it: events
//! are views into the window ([`EventRef`]), or a batch takes the window over
//! ([`Reader::next_batch`], [`EventBatch`]) so a pipeline moves events without copying. Errors ([`ScapError`]) carry the byte offset in the uncompressed stream; the
//! reader yields everything before the error, then the error, then stops. No input makes
//! it panic, loop, or allocate more than the input holds (bodies are read in chunks as the
//! data arrives, so a corrupt length costs at most one 1 MiB chunk).
//!
//! Numbering: [`Event::num`] counts the events returned, like libsinsp's `evt.num`; with
//! [`ReaderOptions::event_code_limit`] set to 336 it matches sysdig 0.29 (the reference of
//! `shared/captures`), which drops event types newer than its table without a number.
//! Deliberately more lenient than libscap: non-`LARGE` event blocks may exceed 64 KiB,
//! the machine info block may be longer than 180 bytes, and the parameter count of a
//! version-1 event is the smallest one that fits (libscap searches down from the table's
//! count and may stop at a wrong larger one).
//!
//! ```no_run
//! use falcoc_scap as scap;
//!
//! let mut reader = scap::open("capture.scap.gz")?;
//! let meta = reader.read_metadata()?;
//! println!("{} threads", meta.processes.len());
//! for event in &mut reader {
//!     let event = event?;
//!     if event.name() == "openat" && event.return_value().is_some_and(|fd| fd >= 0) {
//!         let path = event.param_by_name("name").map(|p| p.as_str_lossy().into_owned());
//!         println!("#{} tid {} opened {:?}", event.num, event.tid, path);
//!     }
//! }
//! # Ok::<(), scap::ScapError>(())
//! ```

#![warn(missing_docs)]

mod batch;
pub mod block;
mod cursor;
mod error;
mod event;
mod meta;
mod param;
mod reader;
pub mod writer;

pub use batch::EventBatch;
pub use block::{block_type_name, BlockKind, EventBlockKind};
pub use error::{ScapError, ScapErrorKind};
pub use event::{Event, EventRef, EVENT_HEADER_LEN, EVENT_HEADER_V1_LEN};
pub use meta::{
    FdDetails, FdInfo, FdList, FdType, GroupInfo, InterfaceList, Ipv4Interface, Ipv6Interface,
    MachineInfo, ProcessInfo, SectionHeader, ShbOption, UserInfo, UserList, MACHINE_INFO_LEN,
    OPT_COMMENT,
};
pub use param::{
    FdListParam, Param, ParamValue, Params, SockAddr, SockTuple, AF_INET, AF_INET6, AF_UNIX,
    AF_UNSPEC,
};
pub use reader::{open, Block, Metadata, Reader, ReaderOptions, Stats, BLOCK_OVERHEAD};
pub use writer::{create, create_with, FileSink, Writer, WriterOptions};
