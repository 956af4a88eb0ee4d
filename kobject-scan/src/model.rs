//! The inventory: every kernel object of an image and every candidate that was rejected.
//! Readers build it; emitters (table, JSON, the object-table generator) only consume it.

use serde::{Deserialize, Serialize};

/// What a kernel-object type is; see the manifest documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Object,
    Thread,
    Stack,
    Device,
    DriverApi,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Thread => "thread",
            Kind::Stack => "stack",
            Kind::Device => "device",
            Kind::DriverApi => "driver_api",
        }
    }
}

/// Target properties the object table needs to encode addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Bytes per address (4 or 8).
    pub address_size: u8,
    pub big_endian: bool,
}

/// One kernel object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Object {
    pub address: u64,
    /// Bytes; for a stack, the stack size.
    pub size: u64,
    /// Object type: the struct tag, or for a device the driver API struct tag.
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: Kind,
    /// Path from the variable: `bank.sems[3]`, `func::local_sem`.
    pub symbol: String,
    /// Section holding the object.
    pub section: String,
    /// Thread index for threads, stack size for stacks, 0 otherwise.
    pub data: u64,
    /// Device only: the device struct tag (e.g. `device`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// Device only: address of the driver API instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<u64>,
}

/// Why a candidate is not a kernel object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The linker removed the variable (`--gc-sections` leaves address 0 in the DWARF).
    AddressZero,
    /// Inside a union: the memory is not exclusively the object's.
    InUnion { union_path: String },
    /// Not in any allocated section of the image.
    NoSection,
    /// In a section the manifest does not list as kernel memory.
    NotKernelSection { section: String },
    /// An array bound that is not a compile-time constant (flexible array member, VLA).
    UnknownBound,
    /// The object type's size is not known in its unit.
    UnknownSize,
    /// Device whose API pointer is null.
    NullApi,
    /// Device whose API pointer is not the address of any driver API instance.
    UnknownApi { pointer: u64 },
    /// Another object starts at the same address and won (see the crate docs for the rule).
    SharedAddress { kept: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::AddressZero => write!(f, "address 0: removed by the linker (gc-sections)"),
            Reason::InUnion { union_path } => {
                write!(f, "member of union `{union_path}`: the memory is not exclusively the object's")
            }
            Reason::NoSection => write!(f, "lies in no allocated section of the image"),
            Reason::NotKernelSection { section } => {
                write!(f, "lies in section {section}, which is not a kernel section of the manifest")
            }
            Reason::UnknownBound => write!(f, "array bound is not a constant"),
            Reason::UnknownSize => write!(f, "size of the object type is unknown"),
            Reason::NullApi => write!(f, "device's driver API pointer is null"),
            Reason::UnknownApi { pointer } => write!(
                f,
                "device's driver API pointer {pointer:#x} is not the address of a driver API instance"
            ),
            Reason::SharedAddress { kept } => {
                write!(f, "shares its address with `{kept}`, which is kept")
            }
        }
    }
}

/// A candidate that is not a kernel object, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    pub symbol: String,
    pub address: u64,
    pub size: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    pub kind: Kind,
    #[serde(flatten)]
    pub reason: Reason,
    /// `reason` in words.
    #[serde(rename = "reason")]
    pub reason_text: String,
}

/// Size of a manifest type as found in the DWARF (`None` if no unit defines it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeInfo {
    #[serde(rename = "struct")]
    pub tag: String,
    pub kind: Kind,
    /// Largest size seen; a tag with several sizes also produces a note.
    pub size: Option<u64>,
}

/// A driver API instance (target of device API pointers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriverApi {
    pub address: u64,
    #[serde(rename = "type")]
    pub type_name: String,
    pub symbol: String,
}

/// Everything the scan found. Lists are sorted (objects and rejected by address, then symbol),
/// so equal images give equal inventories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub target: Target,
    pub objects: Vec<Object>,
    pub rejected: Vec<Rejected>,
    pub driver_apis: Vec<DriverApi>,
    /// One entry per manifest type, in manifest order.
    pub types: Vec<TypeInfo>,
    /// Warnings and notes (shared addresses, inconsistent struct sizes).
    pub notes: Vec<String>,
}

impl Inventory {
    pub fn object_at(&self, address: u64) -> Option<&Object> {
        self.objects.binary_search_by_key(&address, |o| o.address).ok().and_then(|i| self.objects.get(i))
    }
}
