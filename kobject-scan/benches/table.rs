//! Object-table generation benchmark: build the minimal perfect hash and the full table for
//! key sets shaped like real images (objects at strides, addresses in two memories) and random
//! ones, from 100 to 100,000 keys; report the median build time of several runs, the table's
//! bytes per object, and the ratio to the 50 ms target for 100,000 keys.

use std::time::{Duration, Instant};

use kobject_scan::table::{Contents, Layout, ObjectTable, TableObject};

const RUNS: usize = 7;
const TARGET_100K: Duration = Duration::from_millis(50);

fn objects(keys: &[u64]) -> Vec<TableObject> {
    keys.iter()
        .enumerate()
        .map(|(i, &address)| TableObject { address, type_id: 1 + (i % 6) as u8, flags: 0, data: i as u16 })
        .collect()
}

/// A xorshift sequence: the same "random" keys on every run and machine.
fn random_keys(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed;
    let mut keys = std::collections::BTreeSet::new();
    while keys.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        keys.insert(0x2000_0000 + (x % 0x0100_0000) * 4);
    }
    keys.into_iter().collect()
}

fn median_build(objects: &[TableObject], layout: Layout) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let table = ObjectTable::build(Contents::objects(objects.to_vec(), &layout), layout)
                .expect("table builds");
            let elapsed = start.elapsed();
            assert_eq!(table.slots.len(), objects.len());
            elapsed
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let layout = Layout { pointer_bytes: 4, big_endian: false, perm_bytes: 4, type_count: 7 };
    println!("{:<28} {:>8} {:>12} {:>14}", "key set", "keys", "build (ms)", "ROM+RAM B/obj");
    let mut at_100k = Vec::new();
    for n in [100, 1_000, 10_000, 100_000] {
        let sets: [(&str, Vec<u64>); 3] = [
            ("stride 24 (array elements)", (0..n as u64).map(|i| 0x2000_0000 + i * 24).collect()),
            ("flash and RAM halves", (0..n as u64).map(|i| ((i % 2) << 29) | ((i / 2) * 16)).collect()),
            ("random word addresses", random_keys(n, 0x9e37_79b9_7f4a_7c15)),
        ];
        for (name, keys) in sets {
            let time = median_build(&objects(&keys), layout);
            let bytes = (layout.rom_size(n, 0) + layout.ram_size(n)) as f64 / n as f64;
            println!("{name:<28} {n:>8} {:>12.2} {bytes:>14.1}", time.as_secs_f64() * 1e3);
            if n == 100_000 {
                at_100k.push(time);
            }
        }
    }
    let worst = at_100k.iter().max().copied().unwrap_or_default();
    println!(
        "100,000 keys: slowest set {:.1} ms = {:.2}x the {} ms target ({})",
        worst.as_secs_f64() * 1e3,
        worst.as_secs_f64() / TARGET_100K.as_secs_f64(),
        TARGET_100K.as_millis(),
        if worst <= TARGET_100K { "met" } else { "missed" }
    );
}
