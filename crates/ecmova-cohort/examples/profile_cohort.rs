//! Runs the throughput benchmark's cohort once on the calling thread (no rayon pool, no
//! criterion): the program to profile, e.g. with
//! `valgrind --tool=callgrind target/release/examples/profile_cohort`, whose instruction
//! counts do not depend on the machine's load (`docs/performance.md`).
//!
//! `cargo run --release -p ecmova-cohort --example profile_cohort [PATIENTS] [DURATION_S] [MAX_STEP_S] [MAX_STEP_MULTIPLE]`
//!
//! It also prints a checksum of every kept metric's bits (FNV-1a): a change to the engine that
//! claims to leave the results bit-identical must leave it unchanged.

#[path = "../benches/support/bench_cohort.rs"]
mod bench_cohort;

use ecmova_cohort::run_point;

fn main() {
    let mut args = std::env::args().skip(1);
    let patients: u64 = args.next().map_or(8, |a| a.parse().expect("PATIENTS"));
    let duration_s: u64 = args.next().map_or(30, |a| a.parse().expect("DURATION_S"));
    let mut simulation = args
        .next()
        .map_or(String::new(), |h| format!("max_step_s = {h}\n"));
    if let Some(m) = args.next() {
        simulation.push_str(&format!("max_step_multiple = {m}\n"));
    }
    let cohort = bench_cohort::bench_cohort(patients, duration_s, &simulation);
    let t0 = std::time::Instant::now();
    let mut simulated = 0.0;
    let mut checksum: u64 = 0xcbf2_9ce4_8422_2325;
    for i in 0..patients {
        let params = ecmova_cohort::sample::sample_patient(&cohort, i);
        let row = run_point(&cohort, i, &params, 0);
        simulated += row.simulated_s;
        for v in row.metrics.iter().map(|m| m.map_or(u64::MAX, f64::to_bits)) {
            checksum = (checksum ^ v).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{patients} patients, {simulated:.0} simulated s in {wall:.3} s: {:.0} simulated s per s",
        simulated / wall
    );
    println!("checksum of the kept metrics: {checksum:016x}");
}
