//! Cohort throughput in simulated seconds per core-second (issue 15's target: 5,000).
//!
//! One worker thread (one core) runs 8 acute-MI shock patients on femoro-femoral VA-ECMO with
//! the O2/CO2 transport model, each for 30 simulated seconds (mode `duration`), sampled as in
//! a cohort (log-normal LV contractility, truncated-normal SVR) and run through the whole
//! cohort path: sampling, scenario assembly and validation, `Simulation`, summary and metric
//! extraction. Criterion's "elements" are simulated seconds, so elem/s is simulated seconds
//! per core-second. `cargo bench -p ecmova-cohort`.
//!
//! Three settings of the integrator: the default step bound (1 ms); the coarse bound
//! `ecmova_engine::COARSE_STEP_S` (2 ms, `[base.simulation] max_step_s = 0.002`), whose
//! accuracy against the reference integrator is tested in `ecmova-engine/tests/coarse_step.rs`;
//! and the cohort setting, the coarse bound with merged steps
//! (`max_step_multiple = ecmova_engine::COARSE_STEP_MULTIPLE`, 4), tested in
//! `ecmova-engine/tests/merged_steps.rs`.

#[path = "support/bench_cohort.rs"]
mod bench_cohort;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecmova_cohort::{run_patients, Cohort};

const PATIENTS: u64 = 8;
const DURATION_S: u64 = 30;

fn cohort(simulation: &str) -> Cohort {
    bench_cohort::bench_cohort(PATIENTS, DURATION_S, simulation)
}

fn throughput(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("one worker");
    let indices: Vec<u64> = (0..PATIENTS).collect();
    let mut group = c.benchmark_group("cohort");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PATIENTS * DURATION_S));
    for (name, simulation) in [
        ("ami_ecmo_gas_8x30s_one_core", String::new()),
        (
            "ami_ecmo_gas_8x30s_one_core_coarse_step",
            format!("max_step_s = {}", ecmova_engine::COARSE_STEP_S),
        ),
        (
            "ami_ecmo_gas_8x30s_one_core_coarse_merged",
            format!(
                "max_step_s = {}\nmax_step_multiple = {}",
                ecmova_engine::COARSE_STEP_S,
                ecmova_engine::COARSE_STEP_MULTIPLE
            ),
        ),
    ] {
        let cohort = cohort(&simulation);
        group.bench_function(name, |b| {
            b.iter(|| pool.install(|| run_patients(&cohort, &indices)))
        });
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
