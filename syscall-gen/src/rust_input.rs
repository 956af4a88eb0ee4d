//! Second input format: `#[syscall]` items in Rust `extern "C"` blocks, read with `syn` and
//! mapped to the same model (and so the same IDs) as C prototypes.
//!
//! ```text
//! unsafe extern "C" {
//!     #[syscall(nonblocking)]
//!     fn k_sem_give(sem: *mut k_sem) -> i32;
//! }
//! ```
//! `#[syscall(nonblocking)]` is C's `__syscall __nonblocking`: the call never waits.
//! Types: `i8`…`u64` become `int8_t`…`uint64_t`, `usize`/`isize` become `size_t`/`intptr_t`,
//! `bool` `_Bool`, `f32`/`f64` `float`/`double`, `core::ffi::c_*` the C keyword types,
//! `c_void` behind a pointer `void`, `*const T`/`*mut T` pointers, any other name
//! `struct <name>`. References, arrays, slices, function types and variadics are refused.

use std::path::Path;

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::c_parse::RESERVED_PREFIX;
use crate::model::{Builtin, CType, Origin, Param, Qualifiers, Specifier, Syscall};
use crate::source::{SourceError, SourceFile};
use crate::Error;

/// Reads a Rust file; returns it (for diagnostics) with its system calls.
pub fn read(path: &Path) -> Result<(SourceFile, Vec<Syscall>), Error> {
    let source = SourceFile::read(path)?;
    let syscalls = parse(&source)?;
    Ok((source, syscalls))
}

pub fn parse(source: &SourceFile) -> Result<Vec<Syscall>, Error> {
    let file = syn::parse_file(&source.text).map_err(|e| error_at(source, e.span(), &e.to_string(), None))?;
    let mut syscalls = Vec::new();
    let mut errors = Vec::new();
    for item in &file.items {
        let syn::Item::ForeignMod(block) = item else { continue };
        for foreign in &block.items {
            let syn::ForeignItem::Fn(f) = foreign else { continue };
            let Some(attr) = f.attrs.iter().find(|a| a.path().is_ident("syscall")) else {
                continue;
            };
            match syscall(source, f, attr) {
                Ok(s) => syscalls.push(s),
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(syscalls)
    } else {
        Err(Error::Source(errors))
    }
}

fn error_at(source: &SourceFile, span: Span, message: &str, help: Option<&str>) -> SourceError {
    let (start, end) = (span.start(), span.end());
    let range = source.offset_of(start.line, start.column)..source.offset_of(end.line, end.column);
    source.error(range, message, help.map(str::to_string))
}

/// `#[syscall]` or `#[syscall(nonblocking)]`: whether the call never waits.
fn nonblocking(source: &SourceFile, attr: &syn::Attribute) -> Result<bool, SourceError> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(false),
        syn::Meta::List(list) => match list.parse_args::<syn::Ident>() {
            Ok(word) if word == "nonblocking" => Ok(true),
            _ => Err(error_at(
                source,
                list.tokens.span(),
                "unknown `#[syscall(...)]` argument",
                Some("the one argument is `nonblocking`"),
            )),
        },
        syn::Meta::NameValue(_) => Err(error_at(
            source,
            attr.span(),
            "`#[syscall = ...]` is not a form of the attribute",
            Some("write `#[syscall]` or `#[syscall(nonblocking)]`"),
        )),
    }
}

fn syscall(
    source: &SourceFile,
    f: &syn::ForeignItemFn,
    attr: &syn::Attribute,
) -> Result<Syscall, SourceError> {
    let nonblocking = nonblocking(source, attr)?;
    let sig = &f.sig;
    let name = sig.ident.to_string();
    if let Some(v) = &sig.variadic {
        return Err(error_at(
            source,
            v.span(),
            "variadic system calls are refused: the kernel would have to walk user memory",
            Some("pass a pointer to a buffer and its length instead"),
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(error_at(source, sig.generics.span(), "a system call cannot be generic", None));
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(arg) = input else {
            return Err(error_at(source, input.span(), "`self` in a system call", None));
        };
        let syn::Pat::Ident(pat) = &*arg.pat else {
            return Err(error_at(
                source,
                arg.pat.span(),
                "unnamed parameter",
                Some("name every parameter: the names are used in the generated wrappers and stubs"),
            ));
        };
        let pname = pat.ident.to_string();
        if pname.to_ascii_lowercase().starts_with(RESERVED_PREFIX) {
            return Err(error_at(
                source,
                pat.span(),
                &format!(
                    "parameter names starting with `{RESERVED_PREFIX}` are reserved for the generated code"
                ),
                None,
            ));
        }
        let ty = c_type(source, &arg.ty)?;
        if ty.is_void() {
            return Err(error_at(source, arg.ty.span(), &format!("parameter `{pname}` has no value"), None));
        }
        params.push(Param { name: pname, ty });
    }
    let ret = match &sig.output {
        syn::ReturnType::Default => plain(Specifier::Void),
        syn::ReturnType::Type(_, ty) => c_type(source, ty)?,
    };
    let (start, end) = (sig.ident.span().start(), sig.ident.span().end());
    let span = source.offset_of(start.line, start.column)..source.offset_of(end.line, end.column);
    let origin = Origin { file: source.path.clone(), line: start.line, column: start.column + 1, span };
    Ok(Syscall { name, ret, params, nonblocking, origin })
}

fn plain(specifier: Specifier) -> CType {
    CType { qualifiers: Qualifiers::default(), specifier, pointers: Vec::new(), function: None }
}

fn c_type(source: &SourceFile, ty: &syn::Type) -> Result<CType, SourceError> {
    match ty {
        syn::Type::Ptr(ptr) => {
            let mut inner = match &*ptr.elem {
                syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "c_void") => {
                    plain(Specifier::Void)
                }
                elem => c_type(source, elem)?,
            };
            if matches!(ptr.mutability, syn::PointerMutability::Const(_)) {
                match inner.pointers.last_mut() {
                    Some(level) => level.is_const = true,
                    None => inner.qualifiers.is_const = true,
                }
            }
            inner.pointers.push(Qualifiers::default());
            Ok(inner)
        }
        syn::Type::Tuple(t) if t.elems.is_empty() => Ok(plain(Specifier::Void)),
        syn::Type::Paren(p) => c_type(source, &p.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last().filter(|s| s.arguments.is_empty()) else {
                return Err(error_at(
                    source,
                    ty.span(),
                    "generic types are not supported in system calls",
                    None,
                ));
            };
            let name = last.ident.to_string();
            Ok(plain(specifier(&name)))
        }
        syn::Type::Array(_) | syn::Type::Slice(_) => Err(error_at(
            source,
            ty.span(),
            "array parameters are refused: their size would be lost",
            Some("pass a raw pointer and the length as another parameter"),
        )),
        syn::Type::Reference(_) => Err(error_at(
            source,
            ty.span(),
            "references are not supported in system calls",
            Some("use a raw pointer: the kernel checks it"),
        )),
        _ => Err(error_at(source, ty.span(), "this type is not supported in system calls", None)),
    }
}

fn specifier(name: &str) -> Specifier {
    let typedef = |t: &str| Specifier::Typedef(t.to_string());
    match name {
        "i8" => typedef("int8_t"),
        "i16" => typedef("int16_t"),
        "i32" => typedef("int32_t"),
        "i64" => typedef("int64_t"),
        "u8" => typedef("uint8_t"),
        "u16" => typedef("uint16_t"),
        "u32" => typedef("uint32_t"),
        "u64" => typedef("uint64_t"),
        "usize" => typedef("size_t"),
        "isize" => typedef("intptr_t"),
        "bool" => Specifier::Builtin(Builtin::Bool),
        "f32" => Specifier::Builtin(Builtin::Float),
        "f64" => Specifier::Builtin(Builtin::Double),
        "c_char" => Specifier::Builtin(Builtin::Char),
        "c_schar" => Specifier::Builtin(Builtin::SignedChar),
        "c_uchar" => Specifier::Builtin(Builtin::UnsignedChar),
        "c_short" => Specifier::Builtin(Builtin::Short),
        "c_ushort" => Specifier::Builtin(Builtin::UnsignedShort),
        "c_int" => Specifier::Builtin(Builtin::Int),
        "c_uint" => Specifier::Builtin(Builtin::UnsignedInt),
        "c_long" => Specifier::Builtin(Builtin::Long),
        "c_ulong" => Specifier::Builtin(Builtin::UnsignedLong),
        "c_longlong" => Specifier::Builtin(Builtin::LongLong),
        "c_ulonglong" => Specifier::Builtin(Builtin::UnsignedLongLong),
        other => Specifier::Struct(other.to_string()),
    }
}
