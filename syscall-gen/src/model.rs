//! What the readers produce and the emitters consume: system calls, their C types, and
//! kernel-object type annotations. Nothing here knows about input syntax or output formats.

use std::path::PathBuf;

/// `const`/`volatile`/`restrict` on one level of a type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Qualifiers {
    pub is_const: bool,
    pub is_volatile: bool,
    /// Kept so that the wrapper's definition matches the header's declaration.
    pub is_restrict: bool,
}

impl Qualifiers {
    fn is_empty(self) -> bool {
        !(self.is_const || self.is_volatile || self.is_restrict)
    }

    /// Appends the qualifiers, each followed by a space.
    fn write(self, out: &mut String) {
        if self.is_const {
            out.push_str("const ");
        }
        if self.is_volatile {
            out.push_str("volatile ");
        }
        if self.is_restrict {
            out.push_str("restrict ");
        }
    }
}

/// Arithmetic types spelled with keywords. Their sizes are left to the C compiler's `sizeof`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Char,
    SignedChar,
    UnsignedChar,
    Short,
    UnsignedShort,
    Int,
    UnsignedInt,
    Long,
    UnsignedLong,
    LongLong,
    UnsignedLongLong,
    Float,
    Double,
    LongDouble,
    Bool,
}

impl Builtin {
    pub fn c_name(self) -> &'static str {
        match self {
            Builtin::Char => "char",
            Builtin::SignedChar => "signed char",
            Builtin::UnsignedChar => "unsigned char",
            Builtin::Short => "short",
            Builtin::UnsignedShort => "unsigned short",
            Builtin::Int => "int",
            Builtin::UnsignedInt => "unsigned int",
            Builtin::Long => "long",
            Builtin::UnsignedLong => "unsigned long",
            Builtin::LongLong => "long long",
            Builtin::UnsignedLongLong => "unsigned long long",
            Builtin::Float => "float",
            Builtin::Double => "double",
            Builtin::LongDouble => "long double",
            Builtin::Bool => "_Bool",
        }
    }
}

/// The type named by the declaration specifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Specifier {
    Void,
    Builtin(Builtin),
    /// A typedef name such as `uint32_t` or `k_timeout_t`.
    Typedef(String),
    Struct(String),
    Union(String),
    Enum(String),
}

impl Specifier {
    fn write(&self, out: &mut String) {
        let (keyword, name) = match self {
            Specifier::Void => ("", "void"),
            Specifier::Builtin(b) => ("", b.c_name()),
            Specifier::Typedef(name) => ("", name.as_str()),
            Specifier::Struct(tag) => ("struct ", tag.as_str()),
            Specifier::Union(tag) => ("union ", tag.as_str()),
            Specifier::Enum(tag) => ("enum ", tag.as_str()),
        };
        out.push_str(keyword);
        out.push_str(name);
    }
}

/// A pointer to function, as written in a parameter without a typedef.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionPointer {
    /// Qualifiers of each `*` inside the parentheses, outermost first.
    pub pointers: Vec<Qualifiers>,
    /// The parameter list, as C text.
    pub params: String,
}

/// A C type as far as the generators need it: enough to spell it back and to reason about
/// pointers. Sizes are never guessed from names; generated code checks them with `sizeof`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CType {
    pub qualifiers: Qualifiers,
    pub specifier: Specifier,
    /// Qualifiers of each `*` after the specifier, first (innermost) first.
    pub pointers: Vec<Qualifiers>,
    /// Set when the whole type is a pointer to a function returning the type above.
    pub function: Option<FunctionPointer>,
}

impl CType {
    pub fn is_void(&self) -> bool {
        self.specifier == Specifier::Void && self.pointers.is_empty() && self.function.is_none()
    }

    /// A declaration of `name` with this type; an empty name gives the abstract type name.
    pub fn declare(&self, name: &str) -> String {
        let mut out = String::new();
        self.write_decl(&mut out, Top::Qualified, &|out: &mut String| out.push_str(name));
        out
    }

    /// Appends a declaration whose declarator name is written by `name` (which may append a
    /// parameter list, for a function returning this type). Generated code builds all its
    /// declarations through here, without intermediate strings.
    pub fn write_decl(&self, out: &mut String, top: Top, name: &dyn Fn(&mut String)) {
        let unqualified = top == Top::Unqualified;
        let top_is_base = self.pointers.is_empty() && self.function.is_none();
        if !(unqualified && top_is_base) {
            self.qualifiers.write(out);
        }
        self.specifier.write(out);
        let last_pointer = self.pointers.len().wrapping_sub(1);
        for (i, q) in self.pointers.iter().enumerate() {
            out.push_str(" *");
            let strip = unqualified && self.function.is_none() && i == last_pointer;
            if !strip && !q.is_empty() {
                out.push(' ');
                q.write(out);
                out.pop();
            }
        }
        match &self.function {
            Some(f) => {
                out.push_str(" (");
                let last = f.pointers.len().wrapping_sub(1);
                for (i, q) in f.pointers.iter().enumerate() {
                    out.push('*');
                    if !(q.is_empty() || unqualified && i == last) {
                        out.push(' ');
                        q.write(out);
                    }
                }
                name(out);
                out.push_str(")(");
                out.push_str(&f.params);
                out.push(')');
            }
            None => {
                let before = out.len();
                if !out.ends_with('*') {
                    out.push(' ');
                }
                let with_space = out.len();
                name(out);
                if out.len() == with_space {
                    out.truncate(before); // abstract type name: no trailing space
                }
            }
        }
    }
}

/// Whether a declaration keeps the type's top-level qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Top {
    Qualified,
    /// For locals that are assigned to.
    Unqualified,
}

/// Where a declaration came from, for messages and for keying outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    pub column: usize,
    /// Byte range of the declared name, for diagnostics that quote it.
    pub span: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: CType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syscall {
    pub name: String,
    pub ret: CType,
    pub params: Vec<Param>,
    /// Declared never to wait (`__syscall __nonblocking`): it runs to completion, so a kernel
    /// may run it in its trap handler (see `k_syscall_nonblocking_table`).
    pub nonblocking: bool,
    pub origin: Origin,
}

/// The kinds of the `__kobject(kind[, api_member])` annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KobjectKind {
    Object,
    Thread,
    Stack,
    Device,
    DriverApi,
}

impl KobjectKind {
    pub const ALL: [KobjectKind; 5] = [
        KobjectKind::Object,
        KobjectKind::Thread,
        KobjectKind::Stack,
        KobjectKind::Device,
        KobjectKind::DriverApi,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KobjectKind::Object => "object",
            KobjectKind::Thread => "thread",
            KobjectKind::Stack => "stack",
            KobjectKind::Device => "device",
            KobjectKind::DriverApi => "driver_api",
        }
    }
}

/// `__kobject(kind) struct tag { … };`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KobjectType {
    pub struct_tag: String,
    pub kind: KobjectKind,
    /// Device only: the member that points at the driver API instance.
    pub api_member: Option<String>,
    pub origin: Origin,
}

/// Everything one input file declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub path: PathBuf,
    /// Path relative to its include directory (or as given): names its outputs and is what
    /// generated code `#include`s.
    pub key: String,
    pub syscalls: Vec<Syscall>,
    pub kobjects: Vec<KobjectType>,
}
