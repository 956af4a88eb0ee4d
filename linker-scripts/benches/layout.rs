//! Layout speed: placing partitions on PMSAv7 (the exhaustive order search up to six
//! partitions is the costly part) and on PMSAv8. Prints the mean time per layout.

use std::hint::black_box;
use std::time::Instant;

use linker_scripts::layout::place;
use linker_scripts::MpuModel;

fn bench(label: &str, model: MpuModel, contents: &[u64], budget: u32) {
    let iterations = 200;
    let mut size = 0;
    let started = Instant::now();
    for _ in 0..iterations {
        size = black_box(place(model, black_box(contents), budget).map_or(0, |p| p.size));
    }
    let per = started.elapsed() / iterations;
    println!(
        "{label:<40} {:>10.1} us/layout  ({} partitions, {size:#x} bytes)",
        per.as_secs_f64() * 1e6,
        contents.len()
    );
}

fn main() {
    let six = [5000, 2000, 1000, 4100, 300, 70];
    let sixteen: Vec<u64> = (1..=16).map(|i| i * 777 % 9000 + 40).collect();
    let v7 = MpuModel::by_name("pmsav7").unwrap_or(MpuModel::ALL[0].1);
    let v8 = MpuModel::by_name("pmsav8").unwrap_or(MpuModel::ALL[1].1);
    bench("pmsav7, 6 partitions, budget 8", v7, &six, 8);
    bench("pmsav7, 16 partitions, budget 8", v7, &sixteen, 8);
    bench("pmsav8, 16 partitions", v8, &sixteen, 8);
}
