//! The inventory: every kernel object of an image and every candidate that was rejected.
//! Readers build it; emitters (table, JSON, the object-table generator) only consume it.

use std::num::NonZeroU64;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

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

/// One kernel object. Compact (names are indices into the inventory's tables and one shared
/// symbol arena) because images hold tens of thousands; read names through [`Inventory`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub address: u64,
    /// Bytes; for a stack, the stack size.
    pub size: u64,
    /// Thread index for threads, stack size for stacks, 0 otherwise.
    pub data: u64,
    /// Device only: address of the driver API instance.
    pub api: Option<NonZeroU64>,
    /// Object type: index into [`Inventory::types`]; for a device, its driver API's type.
    pub type_index: u16,
    /// The object's own struct type (differs from `type_index` only for devices).
    pub struct_index: u16,
    pub kind: Kind,
    /// Index into [`Inventory::sections`].
    pub section: u32,
    pub(crate) symbol: SymbolRef,
}

/// A symbol path stored in the inventory's arena: where it starts; a NUL ends it (DWARF names
/// cannot contain one). Four bytes rather than eight keep an [`Object`] at 48 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolRef {
    pub(crate) start: u32,
}

impl SymbolRef {
    /// The path in `arena`.
    pub(crate) fn text(self, arena: &str) -> &str {
        let rest = arena.get(self.start as usize..).unwrap_or("");
        rest.split_once('\0').map_or(rest, |(path, _)| path)
    }
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
    /// In a section the manifest does not list for this kind of object.
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

impl Reason {
    /// The reason in words, built in one allocation of the exact size: a scan rejects hundreds
    /// of candidates, and formatting grows a string piece by piece.
    pub(crate) fn text(&self) -> String {
        match self {
            Reason::AddressZero => "address 0: removed by the linker (gc-sections)".to_string(),
            Reason::InUnion { union_path } => {
                ["member of union `", union_path, "`: the memory is not exclusively the object's"].concat()
            }
            Reason::NoSection => "lies in no allocated section of the image".to_string(),
            Reason::NotKernelSection { section } => {
                ["lies in section ", section, ", where the manifest does not allow this kind of object"]
                    .concat()
            }
            Reason::UnknownBound => "array bound is not a constant".to_string(),
            Reason::UnknownSize => "size of the object type is unknown".to_string(),
            Reason::NullApi => "device's driver API pointer is null".to_string(),
            Reason::UnknownApi { pointer } => {
                format!(
                    "device's driver API pointer {pointer:#x} is not the address of a driver API instance"
                )
            }
            Reason::SharedAddress { kept } => {
                ["shares its address with `", kept, "`, which is kept"].concat()
            }
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
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

/// A manifest type with its size as found in the DWARF (`None` if no unit defines it).
/// `Object::type_index` indexes the inventory's list of these, in manifest order.
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

/// Everything the scan found. Objects are sorted by address (one per address), rejected
/// candidates by address then symbol, so equal images give equal inventories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub target: Target,
    /// Manifest types in manifest order: the object type enumeration.
    pub types: Vec<TypeInfo>,
    /// Names of the image's allocated sections; `Object::section` indexes this.
    pub sections: Vec<String>,
    pub objects: Vec<Object>,
    pub rejected: Vec<Rejected>,
    pub driver_apis: Vec<DriverApi>,
    /// Warnings and notes (shared addresses, inconsistent struct sizes).
    pub notes: Vec<String>,
    /// Every object's symbol path, each followed by a NUL.
    pub(crate) symbols: String,
}

impl Inventory {
    pub fn symbol(&self, object: &Object) -> &str {
        object.symbol.text(&self.symbols)
    }

    pub fn type_name(&self, object: &Object) -> &str {
        self.types.get(usize::from(object.type_index)).map_or("", |t| t.tag.as_str())
    }

    /// The struct tag of the object itself (a device's device struct).
    pub fn struct_name(&self, object: &Object) -> &str {
        self.types.get(usize::from(object.struct_index)).map_or("", |t| t.tag.as_str())
    }

    pub fn section_name(&self, object: &Object) -> &str {
        self.sections.get(object.section as usize).map_or("", String::as_str)
    }

    pub fn object_at(&self, address: u64) -> Option<&Object> {
        self.objects.binary_search_by_key(&address, |o| o.address).ok().and_then(|i| self.objects.get(i))
    }

    pub fn find(&self, symbol: &str) -> Option<&Object> {
        self.objects.iter().find(|o| self.symbol(o) == symbol)
    }
}

/// One object as it appears in JSON.
struct ObjectView<'a>(&'a Inventory, &'a Object);

impl Serialize for ObjectView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (inv, o) = (self.0, self.1);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("address", &o.address)?;
        map.serialize_entry("size", &o.size)?;
        map.serialize_entry("type", inv.type_name(o))?;
        map.serialize_entry("kind", &o.kind)?;
        map.serialize_entry("symbol", inv.symbol(o))?;
        map.serialize_entry("section", inv.section_name(o))?;
        map.serialize_entry("data", &o.data)?;
        if let Some(api) = o.api {
            map.serialize_entry("struct", inv.struct_name(o))?;
            map.serialize_entry("api", &api)?;
        }
        map.end()
    }
}

struct ObjectsView<'a>(&'a Inventory);

impl Serialize for ObjectsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.objects.iter().map(|o| ObjectView(self.0, o)))
    }
}

impl Serialize for Inventory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Inventory", 6)?;
        s.serialize_field("target", &self.target)?;
        s.serialize_field("objects", &ObjectsView(self))?;
        s.serialize_field("rejected", &self.rejected)?;
        s.serialize_field("driver_apis", &self.driver_apis)?;
        s.serialize_field("types", &self.types)?;
        s.serialize_field("notes", &self.notes)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_in_words() {
        let in_union = Reason::InUnion { union_path: "u.s".to_string() };
        assert_eq!(in_union.text(), "member of union `u.s`: the memory is not exclusively the object's");
        let unknown_api = Reason::UnknownApi { pointer: 0x2000_0010 };
        assert_eq!(
            unknown_api.to_string(),
            "device's driver API pointer 0x20000010 is not the address of a driver API instance"
        );
    }
}
