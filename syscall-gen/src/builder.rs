//! `Builder`: the one entry point of `build.rs` scripts and the CLI — read, model, emit, write.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::abi::Abi;
use crate::c_parse;
use crate::duplicates::{self, Declarations};
use crate::emit_c;
use crate::emit_manifest::{self, KernelSettings};
use crate::emit_rust;
use crate::ids::{IdLock, Ids};
use crate::model::{Header, Syscall};
use crate::preprocess::Preprocessor;
use crate::rust_input;
use crate::source::SourceFile;
use crate::Error;

/// File name of the type manifest in the output directory.
pub const MANIFEST: &str = "kobject_types.toml";
/// File name of the Rust wrappers in the output directory.
pub const RUST_WRAPPERS: &str = "syscalls.rs";

#[derive(Debug, Clone)]
pub struct Builder {
    headers: Vec<PathBuf>,
    rust_inputs: Vec<PathBuf>,
    include_dirs: Vec<PathBuf>,
    defines: Vec<String>,
    abi: Abi,
    out_dir: Option<PathBuf>,
    id_lock: Option<PathBuf>,
    rust_wrappers: bool,
    kernel: KernelSettings,
    cargo_metadata: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// One generated file, path relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
}

/// Everything one run produces, before anything is written.
#[derive(Debug, Clone)]
pub struct Generated {
    pub headers: Vec<Header>,
    pub ids: Ids,
    pub files: Vec<OutputFile>,
    /// The ID lock file and its new contents, when a lock file is used.
    pub lock: Option<(PathBuf, String)>,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files whose content changed (or that did not exist).
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
}

impl Builder {
    /// ARMv7-M ABI, no inputs, no output directory yet.
    pub fn new() -> Self {
        Self {
            headers: Vec::new(),
            rust_inputs: Vec::new(),
            include_dirs: Vec::new(),
            defines: Vec::new(),
            abi: Abi::ARMV7M,
            out_dir: None,
            id_lock: None,
            rust_wrappers: false,
            kernel: KernelSettings::default(),
            cargo_metadata: false,
        }
    }

    /// A C header with `__syscall` prototypes and/or `__kobject` annotations.
    pub fn header(mut self, path: impl Into<PathBuf>) -> Self {
        self.headers.push(path.into());
        self
    }

    /// A Rust file with `#[syscall]` items in `extern "C"` blocks.
    pub fn rust_input(mut self, path: impl Into<PathBuf>) -> Self {
        self.rust_inputs.push(path.into());
        self
    }

    /// Searched by `#include` (for `#if` configuration) and used to key outputs by path.
    pub fn include_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.include_dirs.push(path.into());
        self
    }

    /// `NAME` or `NAME=VALUE`, as `-D` for `#if` evaluation.
    pub fn define(mut self, define: impl Into<String>) -> Self {
        self.defines.push(define.into());
        self
    }

    pub fn abi(mut self, abi: Abi) -> Self {
        self.abi = abi;
        self
    }

    pub fn out_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(path.into());
        self
    }

    /// Keep IDs stable in this lock file (read if present, rewritten when it changes).
    pub fn id_lock(mut self, path: impl Into<PathBuf>) -> Self {
        self.id_lock = Some(path.into());
        self
    }

    /// Also write `syscalls.rs`, the Rust user-space wrappers.
    pub fn rust_wrappers(mut self, enable: bool) -> Self {
        self.rust_wrappers = enable;
        self
    }

    /// `[kernel] sections` of the type manifest.
    pub fn kernel_sections<S: Into<String>>(mut self, sections: impl IntoIterator<Item = S>) -> Self {
        self.kernel.sections = sections.into_iter().map(Into::into).collect();
        self
    }

    /// `[kernel] stack_sections` of the type manifest.
    pub fn kernel_stack_sections<S: Into<String>>(mut self, sections: impl IntoIterator<Item = S>) -> Self {
        self.kernel.stack_sections = sections.into_iter().map(Into::into).collect();
        self
    }

    /// `[kernel] max_threads` of the type manifest.
    pub fn max_threads(mut self, max: u32) -> Self {
        self.kernel.max_threads = Some(max);
        self
    }

    /// Print `cargo:rerun-if-changed` for every file read (for `build.rs`).
    pub fn cargo_metadata(mut self, enable: bool) -> Self {
        self.cargo_metadata = enable;
        self
    }

    /// Reads every input and produces all outputs in memory.
    pub fn generate(&self) -> Result<Generated, Error> {
        // The -D macros are read once; each header works on its own copy (its #defines are its own).
        let defined = if self.headers.is_empty() {
            None
        } else {
            Some(Preprocessor::new(&self.include_dirs, &self.defines)?)
        };
        let inputs: Vec<(&PathBuf, InputKind)> = defined
            .iter()
            .flat_map(|pp| self.headers.iter().map(move |p| (p, InputKind::C(pp))))
            .chain(self.rust_inputs.iter().map(|p| (p, InputKind::Rust)))
            .collect();
        let read: Vec<ReadInput> =
            inputs.par_iter().map(|(path, kind)| self.read_input(path, *kind)).collect();

        let mut pp_inputs = Vec::new();
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for input in read {
            pp_inputs.extend(input.files_read);
            match input.result {
                Ok(ok) => parsed.push(ok),
                Err(Error::Source(e)) => errors.extend(e),
                Err(e) => return Err(e),
            }
        }
        errors.extend(duplicates::check(parsed.iter().map(|(source, header)| Declarations {
            source,
            syscalls: &header.syscalls,
            kobjects: &header.kobjects,
        })));
        if !errors.is_empty() {
            return Err(Error::Source(errors));
        }
        let headers: Vec<Header> = parsed.into_iter().map(|(_, header)| header).collect();
        check_collisions(&headers)?;

        let lock = match &self.id_lock {
            Some(path) => {
                pp_inputs.push(path.clone());
                Some(IdLock::read(path)?)
            }
            None => None,
        };
        // The per-header outputs do not depend on the IDs: they are emitted while the shared
        // outputs are.
        let (shared, per_header) = rayon::join(
            || self.shared_outputs(&headers, lock.as_ref()),
            || {
                let with_syscalls: Vec<&Header> = headers.iter().filter(|h| !h.syscalls.is_empty()).collect();
                with_syscalls
                    .par_iter()
                    .map(|header| {
                        let (wrappers, stubs) = emit_c::header_outputs(header);
                        [
                            OutputFile { path: wrappers, contents: emit_c::wrapper_header(header) },
                            OutputFile { path: stubs, contents: emit_c::marshal_source(header, &self.abi) },
                        ]
                    })
                    .collect::<Vec<_>>()
            },
        );
        let (ids, mut files, rust) = shared?;
        files.extend(per_header.into_iter().flatten());
        files.extend(rust);
        let lock = match &self.id_lock {
            Some(path) => Some((path.clone(), ids.to_lock().to_toml()?)),
            None => None,
        };
        pp_inputs.sort_unstable();
        pp_inputs.dedup();
        Ok(Generated { headers, ids, files, lock, inputs: pp_inputs })
    }

    /// The IDs, the outputs shared by all headers, and the Rust wrappers if asked for.
    fn shared_outputs(
        &self,
        headers: &[Header],
        lock: Option<&IdLock>,
    ) -> Result<(Ids, Vec<OutputFile>, Option<OutputFile>), Error> {
        let ids = Ids::assign(headers.iter().flat_map(|h| h.syscalls.iter().map(|s| s.name.as_str())), lock)?;
        let all: Vec<&Syscall> = headers.iter().flat_map(|h| &h.syscalls).collect();
        let kobjects: Vec<_> = headers.iter().flat_map(|h| &h.kobjects).collect();
        let files = vec![
            OutputFile { path: emit_c::ID_HEADER.into(), contents: emit_c::id_header(&ids) },
            OutputFile { path: emit_c::ABI_HEADER.into(), contents: emit_c::abi_header(&self.abi) },
            OutputFile {
                path: emit_c::DISPATCH_SOURCE.into(),
                contents: emit_c::dispatch_source(&all, &ids, &self.abi),
            },
            OutputFile { path: MANIFEST.into(), contents: emit_manifest::manifest(&kobjects, &self.kernel)? },
        ];
        let rust = if self.rust_wrappers {
            Some(OutputFile {
                path: RUST_WRAPPERS.into(),
                contents: emit_rust::wrappers(&all, &ids, &self.abi)?,
            })
        } else {
            None
        };
        Ok((ids, files, rust))
    }

    fn read_input(&self, path: &Path, kind: InputKind) -> ReadInput {
        let header =
            |syscalls, kobjects| Header { path: path.to_path_buf(), key: self.key(path), syscalls, kobjects };
        match kind {
            InputKind::C(defined) => {
                let mut pp = defined.clone();
                let result = pp.run(path).and_then(|input| {
                    let parsed = c_parse::parse(&input).map_err(Error::Source)?;
                    Ok((input.source, header(parsed.syscalls, parsed.kobjects)))
                });
                ReadInput { files_read: pp.files_read, result }
            }
            InputKind::Rust => ReadInput {
                files_read: vec![path.to_path_buf()],
                result: rust_input::read(path)
                    .map(|(source, syscalls)| (source, header(syscalls, Vec::new()))),
            },
        }
    }

    /// Generates and writes into the output directory; prints cargo metadata if asked.
    pub fn run(&self) -> Result<(Generated, WriteReport), Error> {
        let out_dir =
            self.out_dir.as_ref().ok_or_else(|| Error::Config("no output directory given".into()))?;
        let generated = self.generate();
        if self.cargo_metadata {
            // Even on failure: a fixed header must trigger the next build.
            let inputs = match &generated {
                Ok(g) => g.inputs.clone(),
                Err(_) => self.headers.iter().chain(&self.rust_inputs).cloned().collect(),
            };
            for input in inputs {
                println!("cargo:rerun-if-changed={}", input.display());
            }
        }
        let generated = generated?;
        let report = generated.write(out_dir)?;
        Ok((generated, report))
    }

    /// Output key: the path relative to the first include directory holding it, else the
    /// path as given (its file name when absolute).
    fn key(&self, path: &Path) -> String {
        let relative = match self.include_dirs.iter().find_map(|dir| path.strip_prefix(dir).ok()) {
            Some(relative) => relative,
            None if path.is_absolute() => path.file_name().map_or(Path::new(""), Path::new),
            None => path,
        };
        let mut key = String::with_capacity(relative.as_os_str().len());
        for component in relative.components() {
            if let Component::Normal(part) = component {
                if !key.is_empty() {
                    key.push('/');
                }
                key.push_str(&part.to_string_lossy());
            }
        }
        key
    }
}

#[derive(Clone, Copy)]
enum InputKind<'a> {
    /// With the preprocessor holding the -D macros.
    C(&'a Preprocessor<'a>),
    Rust,
}

/// One input read and parsed (possibly in parallel with the others).
struct ReadInput {
    files_read: Vec<PathBuf>,
    result: Result<(SourceFile, Header), Error>,
}

fn check_collisions(headers: &[Header]) -> Result<(), Error> {
    let mut owners: BTreeMap<String, &Path> = BTreeMap::new();
    for header in headers {
        let (wrappers, _) = emit_c::header_outputs(header);
        if let Some(first) = owners.insert(wrappers.clone(), &header.path) {
            return Err(Error::OutputCollision {
                first: first.to_path_buf(),
                second: header.path.clone(),
                output: wrappers,
            });
        }
    }
    Ok(())
}

impl Generated {
    /// Writes every output whose content differs from what is on disk, and the lock file.
    pub fn write(&self, out_dir: &Path) -> Result<WriteReport, Error> {
        let targets: Vec<(PathBuf, &str)> = self
            .files
            .iter()
            .map(|f| (out_dir.join(&f.path), f.contents.as_str()))
            .chain(self.lock.iter().map(|(path, contents)| (path.clone(), contents.as_str())))
            .collect();
        let outcomes: Vec<Result<bool, Error>> =
            targets.par_iter().map(|(path, contents)| differs_on_disk(path, contents)).collect();
        let mut report = WriteReport::default();
        let mut changed = Vec::new();
        for ((path, contents), outcome) in targets.into_iter().zip(outcomes) {
            if outcome? {
                changed.push((path, contents));
            } else {
                report.unchanged += 1;
            }
        }
        // Each directory once, rather than a look-up per written file.
        let mut dirs: Vec<&Path> = changed.iter().filter_map(|(path, _)| path.parent()).collect();
        dirs.sort_unstable();
        dirs.dedup();
        for dir in dirs {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        }
        changed
            .par_iter()
            .map(|(path, contents)| {
                std::fs::write(path, contents).map_err(|source| Error::Io { path: path.clone(), source })
            })
            .collect::<Result<(), Error>>()?;
        report.written = changed.into_iter().map(|(path, _)| path).collect();
        Ok(report)
    }

    pub fn file(&self, path: &str) -> Option<&OutputFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// Whether `path` does not hold exactly `contents`: the size first, then the bytes, read in
/// pieces so that no buffer of the file's size is allocated.
fn differs_on_disk(path: &Path, contents: &str) -> Result<bool, Error> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(io(e)),
    };
    if file.metadata().map_err(io)?.len() != contents.len() as u64 {
        return Ok(true);
    }
    let mut buffer = [0u8; 16 * 1024];
    let mut expected = contents.as_bytes();
    while !expected.is_empty() {
        let want = expected.len().min(buffer.len());
        let read = match file.read(&mut buffer[..want]) {
            Ok(0) => return Ok(true), // shrunk since the size was read
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        if buffer[..read] != expected[..read] {
            return Ok(true);
        }
        expected = &expected[read..];
    }
    Ok(false)
}
