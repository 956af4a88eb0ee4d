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

use std::collections::{BTreeMap, BTreeSet};
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
    /// Assigns IDs to `names`; returns them and the lock to write back.
    pub fn assign(names: &BTreeSet<String>, lock: Option<&IdLock>) -> Result<(Ids, IdLock), Error> {
        let lock = lock.cloned().unwrap_or_default();
        let mut next =
            lock.ids.values().chain(lock.retired.values()).map(|id| id.saturating_add(1)).max().unwrap_or(0);
        let mut live = BTreeMap::new();
        for name in names {
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
            live.insert(name.clone(), id);
        }
        let mut retired: BTreeMap<String, u32> =
            lock.retired.into_iter().filter(|(name, _)| !names.contains(name)).collect();
        retired.extend(lock.ids.into_iter().filter(|(name, _)| !names.contains(name)));
        let mut macro_names: BTreeMap<String, &str> = BTreeMap::new();
        for name in live.keys() {
            if let Some(other) = macro_names.insert(id_macro(name), name) {
                return Err(Error::Config(format!(
                    "system calls `{other}` and `{name}` differ only in case: their ID macro `{}` would collide",
                    id_macro(name)
                )));
            }
        }
        let bad = next;
        let ids = Ids { live: live.clone(), retired: retired.clone(), bad, limit: bad.saturating_add(1) };
        Ok((ids, IdLock { ids: live, retired }))
    }
}

/// `K_SYSCALL_<NAME>`, the ID macro of a system call.
pub fn id_macro(name: &str) -> String {
    format!("K_SYSCALL_{}", name.to_ascii_uppercase())
}
