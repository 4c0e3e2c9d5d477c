//! Field and parameter types (libsinsp's `ppm_param_type`), print formats, field flags,
//! and the type × operator compatibility check of conditions.md §12.

use falcoc_lang::condition::ast::CmpOp;

/// A libsinsp value type (`ppm_param_type`, `PT_*`). The discriminants are libsinsp's
/// numeric codes (they appear in messages such as `wrong parameter type 18`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum FieldType {
    /// `PT_NONE`: no type.
    None = 0,
    /// `PT_INT8`.
    Int8 = 1,
    /// `PT_INT16`.
    Int16 = 2,
    /// `PT_INT32`.
    Int32 = 3,
    /// `PT_INT64`.
    Int64 = 4,
    /// `PT_UINT8`.
    Uint8 = 5,
    /// `PT_UINT16`.
    Uint16 = 6,
    /// `PT_UINT32`.
    Uint32 = 7,
    /// `PT_UINT64`.
    Uint64 = 8,
    /// `PT_CHARBUF`: NUL-terminated string.
    Charbuf = 9,
    /// `PT_BYTEBUF`: byte buffer with length.
    Bytebuf = 10,
    /// `PT_ERRNO`: 64-bit return value / errno.
    Errno = 11,
    /// `PT_SOCKADDR`: socket address (event parameters only).
    Sockaddr = 12,
    /// `PT_SOCKTUPLE`: socket tuple (event parameters only).
    Socktuple = 13,
    /// `PT_FD`: 64-bit file descriptor.
    Fd = 14,
    /// `PT_PID`: 64-bit pid/tid.
    Pid = 15,
    /// `PT_FDLIST`: list of fds (event parameters only).
    Fdlist = 16,
    /// `PT_FSPATH`: a file-system path.
    Fspath = 17,
    /// `PT_SYSCALLID`: 16-bit syscall id.
    SyscallId = 18,
    /// `PT_SIGTYPE`: 8-bit signal number.
    SigType = 19,
    /// `PT_RELTIME`: a duration in ns.
    RelTime = 20,
    /// `PT_ABSTIME`: ns since the epoch.
    AbsTime = 21,
    /// `PT_PORT`: a TCP/UDP port.
    Port = 22,
    /// `PT_L4PROTO`: 1-byte IP protocol.
    L4Proto = 23,
    /// `PT_SOCKFAMILY`: 1-byte socket family.
    SockFamily = 24,
    /// `PT_BOOL`: 32-bit boolean.
    Bool = 25,
    /// `PT_IPV4ADDR`.
    Ipv4Addr = 26,
    /// `PT_DYN`: type decided by the context (`evt.rawarg`).
    Dyn = 27,
    /// `PT_FLAGS8`.
    Flags8 = 28,
    /// `PT_FLAGS16`.
    Flags16 = 29,
    /// `PT_FLAGS32`.
    Flags32 = 30,
    /// `PT_UID`.
    Uid = 31,
    /// `PT_GID`.
    Gid = 32,
    /// `PT_DOUBLE`.
    Double = 33,
    /// `PT_SIGSET`.
    SigSet = 34,
    /// `PT_CHARBUFARRAY` (internal).
    CharbufArray = 35,
    /// `PT_CHARBUF_PAIR_ARRAY` (internal).
    CharbufPairArray = 36,
    /// `PT_IPV4NET`.
    Ipv4Net = 37,
    /// `PT_IPV6ADDR`.
    Ipv6Addr = 38,
    /// `PT_IPV6NET`.
    Ipv6Net = 39,
    /// `PT_IPADDR`: IPv4 or IPv6 address.
    IpAddr = 40,
    /// `PT_IPNET`: IPv4 or IPv6 network.
    IpNet = 41,
    /// `PT_MODE`: file mode bits.
    Mode = 42,
    /// `PT_FSRELPATH`: a path relative to a dirfd.
    FsRelPath = 43,
    /// `PT_ENUMFLAGS8`.
    EnumFlags8 = 44,
    /// `PT_ENUMFLAGS16`.
    EnumFlags16 = 45,
    /// `PT_ENUMFLAGS32`.
    EnumFlags32 = 46,
}

/// Every type, indexed by its numeric code.
const ALL_TYPES: [FieldType; 47] = [
    FieldType::None,
    FieldType::Int8,
    FieldType::Int16,
    FieldType::Int32,
    FieldType::Int64,
    FieldType::Uint8,
    FieldType::Uint16,
    FieldType::Uint32,
    FieldType::Uint64,
    FieldType::Charbuf,
    FieldType::Bytebuf,
    FieldType::Errno,
    FieldType::Sockaddr,
    FieldType::Socktuple,
    FieldType::Fd,
    FieldType::Pid,
    FieldType::Fdlist,
    FieldType::Fspath,
    FieldType::SyscallId,
    FieldType::SigType,
    FieldType::RelTime,
    FieldType::AbsTime,
    FieldType::Port,
    FieldType::L4Proto,
    FieldType::SockFamily,
    FieldType::Bool,
    FieldType::Ipv4Addr,
    FieldType::Dyn,
    FieldType::Flags8,
    FieldType::Flags16,
    FieldType::Flags32,
    FieldType::Uid,
    FieldType::Gid,
    FieldType::Double,
    FieldType::SigSet,
    FieldType::CharbufArray,
    FieldType::CharbufPairArray,
    FieldType::Ipv4Net,
    FieldType::Ipv6Addr,
    FieldType::Ipv6Net,
    FieldType::IpAddr,
    FieldType::IpNet,
    FieldType::Mode,
    FieldType::FsRelPath,
    FieldType::EnumFlags8,
    FieldType::EnumFlags16,
    FieldType::EnumFlags32,
];

/// The broad classes of §12 that decide which operators a type accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeClass {
    /// Integer-like types, times, ports, flags, modes, `DOUBLE`.
    Numeric,
    /// `BOOL`.
    Bool,
    /// `CHARBUF`, `FSPATH`, `FSRELPATH`.
    String,
    /// `BYTEBUF`.
    Buffer,
    /// IP addresses and networks.
    IpOrNet,
    /// Anything else (no operator but `exists` accepted).
    Other,
}

impl FieldType {
    /// libsinsp's numeric code (`PT_*` value).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The type with libsinsp's numeric code `code`.
    pub fn from_code(code: u8) -> Option<FieldType> {
        ALL_TYPES.get(code as usize).copied()
    }

    /// The `PT_` name without the prefix, e.g. `CHARBUF`, `IPV6ADDR`, `DYN`.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::None => "NONE",
            FieldType::Int8 => "INT8",
            FieldType::Int16 => "INT16",
            FieldType::Int32 => "INT32",
            FieldType::Int64 => "INT64",
            FieldType::Uint8 => "UINT8",
            FieldType::Uint16 => "UINT16",
            FieldType::Uint32 => "UINT32",
            FieldType::Uint64 => "UINT64",
            FieldType::Charbuf => "CHARBUF",
            FieldType::Bytebuf => "BYTEBUF",
            FieldType::Errno => "ERRNO",
            FieldType::Sockaddr => "SOCKADDR",
            FieldType::Socktuple => "SOCKTUPLE",
            FieldType::Fd => "FD",
            FieldType::Pid => "PID",
            FieldType::Fdlist => "FDLIST",
            FieldType::Fspath => "FSPATH",
            FieldType::SyscallId => "SYSCALLID",
            FieldType::SigType => "SIGTYPE",
            FieldType::RelTime => "RELTIME",
            FieldType::AbsTime => "ABSTIME",
            FieldType::Port => "PORT",
            FieldType::L4Proto => "L4PROTO",
            FieldType::SockFamily => "SOCKFAMILY",
            FieldType::Bool => "BOOL",
            FieldType::Ipv4Addr => "IPV4ADDR",
            FieldType::Dyn => "DYN",
            FieldType::Flags8 => "FLAGS8",
            FieldType::Flags16 => "FLAGS16",
            FieldType::Flags32 => "FLAGS32",
            FieldType::Uid => "UID",
            FieldType::Gid => "GID",
            FieldType::Double => "DOUBLE",
            FieldType::SigSet => "SIGSET",
            FieldType::CharbufArray => "CHARBUFARRAY",
            FieldType::CharbufPairArray => "CHARBUF_PAIR_ARRAY",
            FieldType::Ipv4Net => "IPV4NET",
            FieldType::Ipv6Addr => "IPV6ADDR",
            FieldType::Ipv6Net => "IPV6NET",
            FieldType::IpAddr => "IPADDR",
            FieldType::IpNet => "IPNET",
            FieldType::Mode => "MODE",
            FieldType::FsRelPath => "FSRELPATH",
            FieldType::EnumFlags8 => "ENUMFLAGS8",
            FieldType::EnumFlags16 => "ENUMFLAGS16",
            FieldType::EnumFlags32 => "ENUMFLAGS32",
        }
    }

    /// The type named `name` (as [`FieldType::name`] prints it; `DYNAMIC` is also accepted).
    pub fn from_name(name: &str) -> Option<FieldType> {
        if name == "DYNAMIC" {
            return Some(FieldType::Dyn);
        }
        ALL_TYPES.into_iter().find(|t| t.name() == name)
    }

    /// The text libsinsp's `param_type_to_string` gives (used in messages and by
    /// `falco --list -v`): the [`name`](FieldType::name) except `DYNAMIC` for `DYN`, and
    /// `<NA>` for `IPV6ADDR`/`IPV6NET` (which that function does not list).
    pub fn libsinsp_name(self) -> &'static str {
        match self {
            FieldType::Dyn => "DYNAMIC",
            FieldType::Ipv6Addr | FieldType::Ipv6Net => "<NA>",
            t => t.name(),
        }
    }

    /// The type of a plugin field declared with `type` (`string`, `uint64`, `bool`,
    /// `reltime`, `abstime`, `ipaddr`, `ipnet`), as libsinsp's plugin loader maps it.
    pub fn from_plugin_type(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::Charbuf,
            "uint64" => FieldType::Uint64,
            "reltime" => FieldType::RelTime,
            "abstime" => FieldType::AbsTime,
            "bool" => FieldType::Bool,
            "ipaddr" => FieldType::IpAddr,
            "ipnet" => FieldType::IpNet,
            _ => return None,
        })
    }

    /// The operator class of this type (§12).
    pub fn class(self) -> TypeClass {
        use FieldType::*;
        match self {
            Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64 | Errno | Fd | Pid
            | SyscallId | SigType | RelTime | AbsTime | Port | Flags8 | Flags16 | Flags32
            | Double | Mode | EnumFlags8 | EnumFlags16 | EnumFlags32 => TypeClass::Numeric,
            Bool => TypeClass::Bool,
            Ipv4Addr | Ipv4Net | Ipv6Addr | Ipv6Net | IpAddr | IpNet => TypeClass::IpOrNet,
            Charbuf | Fspath | FsRelPath => TypeClass::String,
            Bytebuf => TypeClass::Buffer,
            _ => TypeClass::Other,
        }
    }

    /// Whether a list-valued field of this element type is supported in comparisons
    /// (`CHARBUF`, `UINT64`, `RELTIME`, `ABSTIME`, `BOOL`, `IPADDR`, `IPNET`).
    pub fn supports_list(self) -> bool {
        matches!(
            self,
            FieldType::Charbuf
                | FieldType::Uint64
                | FieldType::RelTime
                | FieldType::AbsTime
                | FieldType::Bool
                | FieldType::IpAddr
                | FieldType::IpNet
        )
    }

    /// Whether the type holds text (`CHARBUF`, `FSPATH`, `FSRELPATH`): the input types of
    /// `tolower`, `toupper`, `basename`.
    pub fn is_string(self) -> bool {
        self.class() == TypeClass::String
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.libsinsp_name())
    }
}

/// How a numeric value is rendered (`ppm_print_format`, `PF_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrintFormat {
    /// `PF_NA`.
    Na,
    /// `PF_DEC`: decimal.
    Dec,
    /// `PF_HEX`: hexadecimal.
    Hex,
    /// `PF_10_PADDED_DEC`: decimal padded to 10 digits.
    PaddedDec,
    /// `PF_ID`.
    Id,
    /// `PF_DIR`.
    Dir,
    /// `PF_OCT`: octal.
    Oct,
}

impl PrintFormat {
    /// The format named like libsinsp's `PF_` constants without the prefix (`DEC`, `HEX`,
    /// `10_PADDED_DEC`, `ID`, `DIR`, `OCT`, `NA`).
    pub fn from_name(name: &str) -> Option<PrintFormat> {
        Some(match name {
            "NA" => PrintFormat::Na,
            "DEC" => PrintFormat::Dec,
            "HEX" => PrintFormat::Hex,
            "10_PADDED_DEC" => PrintFormat::PaddedDec,
            "ID" => PrintFormat::Id,
            "DIR" => PrintFormat::Dir,
            "OCT" => PrintFormat::Oct,
            _ => return None,
        })
    }

    /// The name without the `PF_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            PrintFormat::Na => "NA",
            PrintFormat::Dec => "DEC",
            PrintFormat::Hex => "HEX",
            PrintFormat::PaddedDec => "10_PADDED_DEC",
            PrintFormat::Id => "ID",
            PrintFormat::Dir => "DIR",
            PrintFormat::Oct => "OCT",
        }
    }
}

/// Field flags (libsinsp's `filtercheck_field_flags`, `EPF_*`, same bit values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FieldFlags(pub u32);

impl FieldFlags {
    /// No flag.
    pub const NONE: FieldFlags = FieldFlags(0);
    /// `EPF_FILTER_ONLY`: cannot be used in outputs.
    pub const FILTER_ONLY: FieldFlags = FieldFlags(1 << 0);
    /// `EPF_PRINT_ONLY`: only meaningful in outputs.
    pub const PRINT_ONLY: FieldFlags = FieldFlags(1 << 1);
    /// `EPF_ARG_REQUIRED`: an argument is required.
    pub const ARG_REQUIRED: FieldFlags = FieldFlags(1 << 2);
    /// `EPF_TABLE_ONLY`: hidden from field listings.
    pub const TABLE_ONLY: FieldFlags = FieldFlags(1 << 3);
    /// `EPF_INFO`: summary information about the event.
    pub const INFO: FieldFlags = FieldFlags(1 << 4);
    /// `EPF_CONVERSATION`: identifies conversations.
    pub const CONVERSATION: FieldFlags = FieldFlags(1 << 5);
    /// `EPF_IS_LIST`: list-valued.
    pub const IS_LIST: FieldFlags = FieldFlags(1 << 6);
    /// `EPF_ARG_ALLOWED`: an argument is optional.
    pub const ARG_ALLOWED: FieldFlags = FieldFlags(1 << 7);
    /// `EPF_ARG_INDEX`: the argument may be a numeric index.
    pub const ARG_INDEX: FieldFlags = FieldFlags(1 << 8);
    /// `EPF_ARG_KEY`: the argument may be a string key.
    pub const ARG_KEY: FieldFlags = FieldFlags(1 << 9);
    /// `EPF_DEPRECATED`.
    pub const DEPRECATED: FieldFlags = FieldFlags(1 << 10);
    /// `EPF_NO_TRANSFORMER`: transformers cannot be applied.
    pub const NO_TRANSFORMER: FieldFlags = FieldFlags(1 << 11);
    /// `EPF_NO_RHS`: cannot take part in a field-to-field comparison.
    pub const NO_RHS: FieldFlags = FieldFlags(1 << 12);
    /// `EPF_NO_PTR_STABILITY`: extracted pointers are unstable.
    pub const NO_PTR_STABILITY: FieldFlags = FieldFlags(1 << 13);
    /// `EPF_FORMAT_SUGGESTED`: suggested as an output field.
    pub const FORMAT_SUGGESTED: FieldFlags = FieldFlags(1 << 14);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: FieldFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of bits.
    pub fn union(self, other: FieldFlags) -> FieldFlags {
        FieldFlags(self.0 | other.0)
    }

    /// The flag named like libsinsp's `EPF_` constants without the prefix.
    pub fn from_name(name: &str) -> Option<FieldFlags> {
        Some(match name {
            "NONE" => FieldFlags::NONE,
            "FILTER_ONLY" => FieldFlags::FILTER_ONLY,
            "PRINT_ONLY" => FieldFlags::PRINT_ONLY,
            "ARG_REQUIRED" => FieldFlags::ARG_REQUIRED,
            "TABLE_ONLY" => FieldFlags::TABLE_ONLY,
            "INFO" => FieldFlags::INFO,
            "CONVERSATION" => FieldFlags::CONVERSATION,
            "IS_LIST" => FieldFlags::IS_LIST,
            "ARG_ALLOWED" => FieldFlags::ARG_ALLOWED,
            "ARG_INDEX" => FieldFlags::ARG_INDEX,
            "ARG_KEY" => FieldFlags::ARG_KEY,
            "DEPRECATED" => FieldFlags::DEPRECATED,
            "NO_TRANSFORMER" => FieldFlags::NO_TRANSFORMER,
            "NO_RHS" => FieldFlags::NO_RHS,
            "NO_PTR_STABILITY" => FieldFlags::NO_PTR_STABILITY,
            "FORMAT_SUGGESTED" => FieldFlags::FORMAT_SUGGESTED,
            _ => return None,
        })
    }
}

impl std::ops::BitOr for FieldFlags {
    type Output = FieldFlags;
    fn bitor(self, rhs: FieldFlags) -> FieldFlags {
        self.union(rhs)
    }
}

/// The operator text libsinsp prints in messages (`cmpop_to_str`): `==` prints as `=`.
pub fn operator_name(op: CmpOp) -> &'static str {
    match op {
        CmpOp::EqEq => "=",
        op => op.as_str(),
    }
}

/// The compile-time type × operator check of conditions.md §12 (libsinsp
/// `flt_is_comparable`), for a field (after transformers) of type `ty`, list-valued or
/// not, compared with `op` (`exists` is always accepted and is not a [`CmpOp`]).
/// `with_modifier` is true when an `oneof`/`anyof`/`allof` modifier is present
/// (Falco ≥ 0.44).
///
/// The error is libsinsp's text *without* the `filter error: ` prefix the compiler adds,
/// e.g. `'contains' operator not supported for numeric filters`.
pub fn check_operator(
    ty: FieldType,
    is_list: bool,
    op: CmpOp,
    with_modifier: bool,
) -> Result<(), String> {
    let name = operator_name(op);
    if is_list {
        if !ty.supports_list() {
            return Err(format!(
                "list filters are not supported for type '{}'",
                ty.libsinsp_name()
            ));
        }
        return match op {
            CmpOp::In | CmpOp::Intersects => Ok(()),
            _ => Err(format!("'{name}' operator not supported list filters")),
        };
    }
    let ok = match ty.class() {
        TypeClass::Numeric => matches!(
            op,
            CmpOp::Eq
                | CmpOp::EqEq
                | CmpOp::Ne
                | CmpOp::Lt
                | CmpOp::Le
                | CmpOp::Gt
                | CmpOp::Ge
                | CmpOp::In
                | CmpOp::Intersects
        ),
        TypeClass::Bool => matches!(
            op,
            CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne | CmpOp::In | CmpOp::Intersects
        ),
        TypeClass::String => !matches!(op, CmpOp::BContains | CmpOp::BStartsWith),
        TypeClass::Buffer => matches!(
            op,
            CmpOp::Eq
                | CmpOp::EqEq
                | CmpOp::Ne
                | CmpOp::Contains
                | CmpOp::In
                | CmpOp::StartsWith
                | CmpOp::EndsWith
                | CmpOp::Intersects
                | CmpOp::BContains
                | CmpOp::BStartsWith
        ),
        TypeClass::IpOrNet => matches!(
            op,
            CmpOp::Eq | CmpOp::EqEq | CmpOp::Ne | CmpOp::In | CmpOp::Intersects
        ),
        TypeClass::Other => false,
    };
    if ok {
        return Ok(());
    }
    Err(match ty.class() {
        TypeClass::Numeric | TypeClass::Bool => {
            format!("'{name}' operator not supported for numeric filters")
        }
        TypeClass::String => format!("'{name}' operator not supported for string filters"),
        TypeClass::Buffer => format!("'{name}' operator not supported for buffer filters"),
        TypeClass::IpOrNet if with_modifier => {
            format!("'{name}' with modifier not supported for ip address and network filters")
        }
        TypeClass::IpOrNet => {
            format!("'{name}' operator not supported for ip address and network filters")
        }
        TypeClass::Other => format!(
            "'{name}' operator not supported for type '{}'",
            ty.libsinsp_name()
        ),
    })
}
