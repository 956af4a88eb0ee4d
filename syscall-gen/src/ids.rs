//! System-call IDs: numbered by sorted name, or kept stable by an ID lock file.
//!
//! Lock file (TOML), meant to be kept under version control:
//! ```toml
//! [ids]          # live system calls
//! k_sem_give = 0
//! k_sem_take = 1
//! [retired]      # removed system calls; their IDs are never handed out again
//! k_old_call = 2
//! ```
//! New system calls get IDs after the highest one ever used, in name order; a removed call
//! moves to `retired`; a retired call that comes back gets its old ID again.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Highest ID a lock file may hold: the dispatch table has one entry per ID.
pub const MAX_ID: u32 = 0xffff;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdLock {
    #[serde(default)]
    pub ids: BTreeMap<String, u32>,
    #[serde(default)]
    pub retired: BTreeMap<String, u32>,
}

impl IdLock {
    /// Reads a lock file; a missing file is an empty lock.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => return Err(Error::Io { path: path.to_path_buf(), source }),
        };
        let lock: IdLock = toml::from_str(&text)
            .map_err(|e| Error::Lock { path: path.to_path_buf(), message: e.to_string() })?;
        let mut owner: BTreeMap<u32, &str> = BTreeMap::new();
        for (name, id) in lock.ids.iter().chain(&lock.retired) {
            if *id > MAX_ID {
                return Err(Error::Lock {
                    path: path.to_path_buf(),
                    message: format!("ID {id} of `{name}` is above the limit {MAX_ID}"),
                });
            }
            if let Some(other) = owner.insert(*id, name) {
                return Err(Error::Lock {
                    path: path.to_path_buf(),
                    message: format!("ID {id} is given to both `{other}` and `{name}`"),
                });
            }
        }
        if let Some(name) = lock.ids.keys().find(|n| lock.retired.contains_key(*n)) {
            return Err(Error::Lock {
                path: path.to_path_buf(),
                message: format!("`{name}` is both live and retired"),
            });
        }
        Ok(lock)
    }

    pub fn to_toml(&self) -> Result<String, Error> {
        let body = toml::to_string(self).map_err(|e| Error::Config(format!("ID lock: {e}")))?;
        Ok(format!("# System-call ID lock written by syscall-gen. Keep it under version control:\n# IDs never change, removed calls are retired and their IDs not reused.\n\n{body}"))
    }
}

/// The IDs of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    pub live: BTreeMap<String, u32>,
    pub retired: BTreeMap<String, u32>,
    /// First ID after every live and retired one; its table entry is the bad-ID handler.
    pub bad: u32,
    /// Table size: `bad + 1`. IDs at or above it are treated as `bad`.
    pub limit: u32,
}

impl Ids {
    /// Assigns IDs to `names` (duplicates ignored), keeping those of `lock`.
    pub fn assign<'a>(names: impl IntoIterator<Item = &'a str>, lock: Option<&IdLock>) -> Result<Ids, Error> {
        let mut names: Vec<&str> = names.into_iter().collect();
        names.sort_unstable();
        names.dedup();
        let empty = IdLock::default();
        let lock = lock.unwrap_or(&empty);
        let mut next =
            lock.ids.values().chain(lock.retired.values()).map(|id| id.saturating_add(1)).max().unwrap_or(0);
        if next > MAX_ID + 1 {
            return Err(Error::Config(format!("ID lock holds an ID above the limit {MAX_ID}")));
        }
        // In name order, so that the map is built in bulk.
        let mut live = Vec::with_capacity(names.len());
        for &name in &names {
            let id = match lock.ids.get(name).or_else(|| lock.retired.get(name)) {
                Some(id) => *id,
                None => {
                    let id = next;
                    next += 1;
                    if next > MAX_ID {
                        return Err(Error::Config(format!("more than {MAX_ID} system-call IDs")));
                    }
                    id
                }
            };
            live.push((name.to_string(), id));
        }
        let live: BTreeMap<String, u32> = live.into_iter().collect();
        let retired: BTreeMap<String, u32> = lock
            .retired
            .iter()
            .chain(&lock.ids)
            .filter(|(name, _)| names.binary_search(&name.as_str()).is_err())
            .map(|(name, id)| (name.clone(), *id))
            .collect();
        // ID macros are upper case: names equal but for ASCII case would collide. Such a pair
        // holds an upper-case letter, which most sets of names do not.
        let upper = |name: &&str| name.bytes().any(|c| c.is_ascii_uppercase());
        let mut by_macro: Vec<&str> = if names.iter().any(upper) { names } else { Vec::new() };
        by_macro.sort_unstable_by(|a, b| {
            a.bytes().map(|c| c.to_ascii_uppercase()).cmp(b.bytes().map(|c| c.to_ascii_uppercase()))
        });
        if let Some(pair) = by_macro.windows(2).find(|w| w[0].eq_ignore_ascii_case(w[1])) {
            return Err(Error::Config(format!(
                "system calls `{}` and `{}` differ only in case: their ID macro `{}` would collide",
                pair[0],
                pair[1],
                id_macro(pair[1])
            )));
        }
        Ok(Ids { live, retired, bad: next, limit: next.saturating_add(1) })
    }

    /// The lock file that keeps these IDs.
    pub fn to_lock(&self) -> IdLock {
        IdLock { ids: self.live.clone(), retired: self.retired.clone() }
    }
}

/// `K_SYSCALL_<NAME>`, the ID macro of a system call.
pub fn id_macro(name: &str) -> String {
    let mut out = String::with_capacity(ID_MACRO_PREFIX.len() + name.len());
    push_id_macro(&mut out, name);
    out
}

const ID_MACRO_PREFIX: &str = "K_SYSCALL_";

/// Appends [`id_macro`] of `name` without a string of its own (emitters write thousands).
pub fn push_id_macro(out: &mut String, name: &str) {
    out.push_str(ID_MACRO_PREFIX);
    let start = out.len();
    out.push_str(name);
    out[start..].make_ascii_uppercase();
}
