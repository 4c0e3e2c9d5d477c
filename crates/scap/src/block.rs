//! Block type codes of the scap format (libscap `scap_savefile.h`) and their
//! classification.

/// Section header block (`\r\n\n\r`).
pub const SHB: u32 = 0x0A0D_0D0A;
/// Byte-order magic inside the section header, as a little-endian file stores it.
pub const SHB_MAGIC: u32 = 0x1A2B_3C4D;
/// Machine info.
pub const MI: u32 = 0x201;
/// Machine info, pre-release number.
pub const MI_INT: u32 = 0x8002_ABCD;
/// Process list version 1.
pub const PL_V1: u32 = 0x202;
/// Process list version 1, pre-release number.
pub const PL_V1_INT: u32 = 0x8000_ABCD;
/// Process list version 2 (adds memory and page-fault counters).
pub const PL_V2: u32 = 0x207;
/// Process list version 2, pre-release number.
pub const PL_V2_INT: u32 = 0x8013_ABCD;
/// Process list version 3 (adds `env`).
pub const PL_V3: u32 = 0x209;
/// Process list version 3, pre-release number.
pub const PL_V3_INT: u32 = 0x8014_ABCD;
/// Process list version 4 (adds `vtid`, `vpid`, `cgroups`).
pub const PL_V4: u32 = 0x210;
/// Process list version 5 (adds `root`).
pub const PL_V5: u32 = 0x211;
/// Process list version 6 (adds `sid`).
pub const PL_V6: u32 = 0x212;
/// Process list version 7 (adds `exepath`).
pub const PL_V7: u32 = 0x213;
/// Process list version 8 (adds `vpgid`).
pub const PL_V8: u32 = 0x214;
/// Process list version 9 (per-entry length; appended fields).
pub const PL_V9: u32 = 0x215;
/// Fd list.
pub const FDL: u32 = 0x203;
/// Fd list, pre-release number.
pub const FDL_INT: u32 = 0x8001_ABCD;
/// Fd list version 2 (per-entry length).
pub const FDL_V2: u32 = 0x218;
/// Event (scap 1.0/1.1: no `nparams` in the event header).
pub const EV: u32 = 0x204;
/// Event, pre-release number.
pub const EV_INT: u32 = 0x8010_ABCD;
/// Event version 2 (`nparams` in the header).
pub const EV_V2: u32 = 0x216;
/// Event version 2 in a block over 64 KiB.
pub const EV_V2_LARGE: u32 = 0x221;
/// Event with flags (no `nparams`).
pub const EVF: u32 = 0x208;
/// Event with flags, version 2.
pub const EVF_V2: u32 = 0x217;
/// Event with flags, version 2, in a block over 64 KiB.
pub const EVF_V2_LARGE: u32 = 0x222;
/// Interface list.
pub const IL: u32 = 0x205;
/// Interface list, pre-release number.
pub const IL_INT: u32 = 0x8011_ABCD;
/// Interface list version 2 (per-entry length).
pub const IL_V2: u32 = 0x219;
/// User list.
pub const UL: u32 = 0x206;
/// User list, pre-release number.
pub const UL_INT: u32 = 0x8012_ABCD;
/// User list version 2 (per-entry length).
pub const UL_V2: u32 = 0x220;

/// What a block type code denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// Section header.
    SectionHeader,
    /// Machine info.
    MachineInfo,
    /// Process list of the given version (1..=9).
    ProcessList(u8),
    /// Fd list of the given version (1, 2).
    FdList(u8),
    /// Interface list of the given version (1, 2).
    InterfaceList(u8),
    /// User list of the given version (1, 2).
    UserList(u8),
    /// An event block.
    Event(EventBlockKind),
    /// A block type this reader does not know (skipped).
    Unknown(u32),
}

/// The layout of an event block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventBlockKind {
    /// 1 for `EV`/`EVF` (no `nparams` in the header), 2 otherwise.
    pub version: u8,
    /// A `u32 flags` follows the CPU id (`EVF*`).
    pub has_flags: bool,
    /// A `*_LARGE` block (may exceed 64 KiB).
    pub large: bool,
}

impl BlockKind {
    /// Classifies a block type code.
    pub fn of(code: u32) -> BlockKind {
        let ev = |version, has_flags, large| {
            BlockKind::Event(EventBlockKind {
                version,
                has_flags,
                large,
            })
        };
        match code {
            SHB => BlockKind::SectionHeader,
            MI | MI_INT => BlockKind::MachineInfo,
            PL_V1 | PL_V1_INT => BlockKind::ProcessList(1),
            PL_V2 | PL_V2_INT => BlockKind::ProcessList(2),
            PL_V3 | PL_V3_INT => BlockKind::ProcessList(3),
            PL_V4 => BlockKind::ProcessList(4),
            PL_V5 => BlockKind::ProcessList(5),
            PL_V6 => BlockKind::ProcessList(6),
            PL_V7 => BlockKind::ProcessList(7),
            PL_V8 => BlockKind::ProcessList(8),
            PL_V9 => BlockKind::ProcessList(9),
            FDL | FDL_INT => BlockKind::FdList(1),
            FDL_V2 => BlockKind::FdList(2),
            IL | IL_INT => BlockKind::InterfaceList(1),
            IL_V2 => BlockKind::InterfaceList(2),
            UL | UL_INT => BlockKind::UserList(1),
            UL_V2 => BlockKind::UserList(2),
            EV | EV_INT => ev(1, false, false),
            EVF => ev(1, true, false),
            EV_V2 => ev(2, false, false),
            EVF_V2 => ev(2, true, false),
            EV_V2_LARGE => ev(2, false, true),
            EVF_V2_LARGE => ev(2, true, true),
            other => BlockKind::Unknown(other),
        }
    }

    /// Whether this is an event block.
    pub fn is_event(self) -> bool {
        matches!(self, BlockKind::Event(_))
    }
}

/// The libscap name of a block type code (`SHB`, `MI`, `PL_V9`, `EV_V2`, `FDL_INT`, …), or
/// `None` for an unknown code.
pub fn block_type_name(code: u32) -> Option<&'static str> {
    Some(match code {
        SHB => "SHB",
        MI => "MI",
        MI_INT => "MI_INT",
        PL_V1 => "PL_V1",
        PL_V1_INT => "PL_V1_INT",
        PL_V2 => "PL_V2",
        PL_V2_INT => "PL_V2_INT",
        PL_V3 => "PL_V3",
        PL_V3_INT => "PL_V3_INT",
        PL_V4 => "PL_V4",
        PL_V5 => "PL_V5",
        PL_V6 => "PL_V6",
        PL_V7 => "PL_V7",
        PL_V8 => "PL_V8",
        PL_V9 => "PL_V9",
        FDL => "FDL",
        FDL_INT => "FDL_INT",
        FDL_V2 => "FDL_V2",
        EV => "EV",
        EV_INT => "EV_INT",
        EV_V2 => "EV_V2",
        EV_V2_LARGE => "EV_V2_LARGE",
        EVF => "EVF",
        EVF_V2 => "EVF_V2",
        EVF_V2_LARGE => "EVF_V2_LARGE",
        IL => "IL",
        IL_INT => "IL_INT",
        IL_V2 => "IL_V2",
        UL => "UL",
        UL_INT => "UL_INT",
        UL_V2 => "UL_V2",
        _ => return None,
    })
}
