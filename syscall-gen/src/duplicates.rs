//! Names declared twice, across every input of a run: a system call in two prototypes (even
//! in two headers or in C and Rust), a struct annotated twice. Reported at the second place.

use rustc_hash::FxHashMap;

use crate::model::{KobjectType, Origin, Syscall};
use crate::source::{SourceError, SourceFile};

/// One parsed input, in the order the inputs were given.
pub struct Declarations<'a> {
    pub source: &'a SourceFile,
    pub syscalls: &'a [Syscall],
    pub kobjects: &'a [KobjectType],
}

pub fn check<'a>(inputs: impl IntoIterator<Item = Declarations<'a>>) -> Vec<SourceError> {
    let mut syscalls: FxHashMap<&str, &Origin> = FxHashMap::default();
    let mut kobjects: FxHashMap<&str, &Origin> = FxHashMap::default();
    let mut errors = Vec::new();
    for input in inputs {
        for s in input.syscalls {
            if let Some(first) = syscalls.insert(&s.name, &s.origin) {
                errors.push(twice(
                    input.source,
                    &s.origin,
                    first,
                    format!("system call `{}` is declared twice", s.name),
                ));
                syscalls.insert(&s.name, first);
            }
        }
        for k in input.kobjects {
            if let Some(first) = kobjects.insert(&k.struct_tag, &k.origin) {
                let message = format!("`struct {}` is annotated as a kernel object twice", k.struct_tag);
                errors.push(twice(input.source, &k.origin, first, message));
                kobjects.insert(&k.struct_tag, first);
            }
        }
    }
    errors
}

fn twice(source: &SourceFile, second: &Origin, first: &Origin, message: String) -> SourceError {
    let help = format!("first declared at {}:{}:{}", first.file.display(), first.line, first.column);
    source.error(second.span.clone(), message, Some(help))
}
