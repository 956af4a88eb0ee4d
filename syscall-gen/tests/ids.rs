//! ID assignment and the ID lock file.

use syscall_gen::ids::{IdLock, Ids};
use syscall_gen::Error;

fn assign(list: &[&str], lock: Option<&IdLock>) -> (Ids, IdLock) {
    let ids = Ids::assign(list.iter().copied(), lock).unwrap();
    let lock = ids.to_lock();
    (ids, lock)
}

#[test]
fn without_a_lock_ids_follow_sorted_names() {
    let (ids, _) = assign(&["k_c", "k_a", "k_b"], None);
    assert_eq!(ids.live.get("k_a"), Some(&0));
    assert_eq!(ids.live.get("k_c"), Some(&2));
    assert_eq!((ids.bad, ids.limit), (3, 4));
}

#[test]
fn a_lock_keeps_ids_appends_new_ones_and_retires_removed_ones() {
    let (_, lock) = assign(&["k_b", "k_d"], None);
    // k_a and k_c are new (they sort before existing names), k_b is removed.
    let (ids, lock) = assign(&["k_a", "k_c", "k_d"], Some(&lock));
    assert_eq!(ids.live.get("k_d"), Some(&1));
    assert_eq!(ids.live.get("k_a"), Some(&2));
    assert_eq!(ids.live.get("k_c"), Some(&3));
    assert_eq!(ids.retired.get("k_b"), Some(&0));
    assert_eq!(ids.bad, 4);
    // Another removal and a new name: retired IDs are never reused.
    let (ids, lock) = assign(&["k_a", "k_e"], Some(&lock));
    assert_eq!(ids.live.get("k_e"), Some(&4));
    assert_eq!(ids.retired.len(), 3);
    // A retired call that returns gets its old ID.
    let (ids, _) = assign(&["k_a", "k_b", "k_e"], Some(&lock));
    assert_eq!(ids.live.get("k_b"), Some(&0));
}

#[test]
fn lock_file_round_trips_and_missing_file_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syscalls.lock");
    assert_eq!(IdLock::read(&path).unwrap(), IdLock::default());
    let (_, lock) = assign(&["k_a", "k_b"], None);
    std::fs::write(&path, lock.to_toml().unwrap()).unwrap();
    assert_eq!(IdLock::read(&path).unwrap(), lock);
}

#[test]
fn bad_lock_files_are_refused_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[ids]\nk_a = 0\nk_b = 0\n", "given to both"),
        ("[ids]\nk_a = 0\n[retired]\nk_a = 1\n", "both live and retired"),
        ("[ids]\nk_a = 70000\n", "above the limit"),
        ("[ids]\nk_a = -1\n", ""),
        ("[idz]\n", "unknown field"),
        ("[ids\n", ""),
    ];
    for (i, (text, fragment)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("{i}.lock"));
        std::fs::write(&path, text).unwrap();
        match IdLock::read(&path) {
            Err(e @ Error::Lock { .. }) => {
                let message = e.to_string();
                assert!(message.contains(&path.display().to_string()), "{message}");
                assert!(message.contains(fragment), "{message}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn ids_differing_only_in_case_are_refused() {
    assert!(matches!(Ids::assign(["k_a", "K_A"], None), Err(Error::Config(_))));
}
