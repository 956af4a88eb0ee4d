//! The type manifest: which struct tags are kernel-object types, and where kernel objects may live.
//!
//! # Format (TOML)
//!
//! ```toml
//! [[type]]
//! struct = "k_sem"          # C struct tag (required, unique)
//! kind = "object"           # object | thread | stack | device | driver_api (required)
//!
//! [[type]]
//! struct = "device"
//! kind = "device"
//! api_member = "api"        # required for kind = "device", forbidden otherwise: the member
//!                           # holding the pointer to the driver API instance
//!
//! [[type]]
//! struct = "uart_driver_api"
//! kind = "driver_api"       # instances of this struct are the targets of device API pointers
//!
//! [kernel]
//! sections = [".data", ".bss", ".noinit", ".kobj*"]  # required: glob patterns (`*`, `?`, `[..]`)
//!                                                    # naming the sections where kernel
//!                                                    # objects may live
//! max_threads = 32          # optional, default 32: thread indices are 0..max_threads-1
//! stack_sections = [".user_stacks"]  # optional: further sections where stacks (only) may
//!                                    # live, e.g. MPU-aligned user stacks
//! ```
//!
//! Kinds:
//! - `object`: every instance is a kernel object (data word 0).
//! - `thread`: a kernel object whose data word is its thread index (assigned by address).
//! - `stack`: the element type of thread stacks. An array of it is one stack (its data word is
//!   the stack size in bytes); an array of such arrays is one stack per outer element.
//! - `device`: a driver instance; its object type is the struct of the driver API it points at.
//! - `driver_api`: not an object itself; its instances name the type of the devices using them.
//!
//! Unknown keys are errors, so a misspelt field is never silently ignored.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::Kind;

/// One kernel-object type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    /// C struct tag.
    #[serde(rename = "struct")]
    pub tag: String,
    pub kind: Kind,
    /// Device only: the member that points at the driver API instance.
    #[serde(default)]
    pub api_member: Option<String>,
}

/// Where kernel objects may live and how many threads the kernel supports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kernel {
    /// Section-name globs.
    pub sections: Vec<String>,
    #[serde(default = "default_max_threads")]
    pub max_threads: u32,
    /// Section-name globs where stacks may live besides `sections`.
    #[serde(default)]
    pub stack_sections: Vec<String>,
}

fn default_max_threads() -> u32 {
    32
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(rename = "type", default)]
    types: Vec<TypeSpec>,
    kernel: Kernel,
}

/// A validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub types: Vec<TypeSpec>,
    pub kernel: Kernel,
    section_patterns: Vec<glob::Pattern>,
    stack_patterns: Vec<glob::Pattern>,
}

fn patterns(key: &str, globs: &[String]) -> Result<Vec<glob::Pattern>, String> {
    globs
        .iter()
        .map(|s| glob::Pattern::new(s).map_err(|e| format!("[kernel] {key}: pattern `{s}`: {e}")))
        .collect()
}

impl Manifest {
    /// Parse and validate manifest text; errors carry line and column.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        for spec in &raw.types {
            if spec.tag.is_empty() {
                return Err("a [[type]] has an empty `struct` tag".into());
            }
            if !seen.insert(spec.tag.as_str()) {
                return Err(format!("struct `{}` is listed twice", spec.tag));
            }
            match (spec.kind, &spec.api_member) {
                (Kind::Device, None) => {
                    return Err(format!("struct `{}` has kind \"device\" but no `api_member`", spec.tag))
                }
                (Kind::Device, Some(_)) | (_, None) => {}
                (kind, Some(_)) => {
                    return Err(format!(
                        "struct `{}`: `api_member` is only allowed for kind \"device\", not \"{}\"",
                        spec.tag,
                        kind.as_str()
                    ))
                }
            }
        }
        if raw.types.len() > usize::from(u16::MAX) {
            return Err(format!("{} types: at most {} are supported", raw.types.len(), u16::MAX));
        }
        if raw.kernel.sections.is_empty() {
            return Err("[kernel] sections is empty: kernel objects could live nowhere".into());
        }
        let section_patterns = patterns("sections", &raw.kernel.sections)?;
        let stack_patterns = patterns("stack_sections", &raw.kernel.stack_sections)?;
        Ok(Manifest { types: raw.types, kernel: raw.kernel, section_patterns, stack_patterns })
    }

    /// Read and validate a manifest file.
    pub fn from_file(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.into(), source })?;
        Manifest::parse(&text).map_err(|message| Error::Manifest { path: path.into(), message })
    }

    /// Is `section` one where kernel objects may live?
    pub fn is_kernel_section(&self, section: &str) -> bool {
        self.section_patterns.iter().any(|p| p.matches(section))
    }

    /// May an object of `kind` live in `section`? Stacks may also live in `stack_sections`.
    pub fn may_live_in(&self, kind: Kind, section: &str) -> bool {
        self.is_kernel_section(section)
            || (kind == Kind::Stack && self.stack_patterns.iter().any(|p| p.matches(section)))
    }

    pub fn type_spec(&self, tag: &[u8]) -> Option<&TypeSpec> {
        self.types.iter().find(|t| t.tag.as_bytes() == tag)
    }
}
