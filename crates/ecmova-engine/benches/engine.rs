//! Engine throughput: 60 simulated seconds of each built-in preset with the default fixed
//! step, including per-beat metrics (the work a caller does for a one-minute run).
//!
//! The model is built once outside the timed loop; each iteration starts from a fresh
//! `State` and `BeatRecorder`. Real-time factor = 60 s / the measured time per iteration.
//! Run with `cargo bench -p ecmova-engine`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ecmova_engine::*;

/// Simulated time per iteration, s.
const SIM_S: f64 = 60.0;

/// Runs `model` for `SIM_S` from its initial state; returns a value depending on the result
/// (so the work cannot be optimised away).
fn run_60s(model: &Model) -> f64 {
    let mut state = State::new(model);
    let mut rec = BeatRecorder::new(model, &state);
    let mut acc = 0.0;
    while state.time_s() < SIM_S {
        step(model, &mut state);
        if let Some(beat) = rec.record(model, &state) {
            acc += beat.map_mmhg;
        }
    }
    acc + state.blood_volume_ml()
}

/// [`run_60s`] with the arterial baroreflex closed around the model: advanced after every
/// beat and applied with `Model::update` (a recompile per beat), as scenario runs do.
fn run_60s_with_reflex(model: &Model) -> f64 {
    use ecmova_engine::baroreflex::*;
    let mut model = model.clone();
    let targets = BaroreflexTargets::from_params(model.params()).unwrap();
    let mut reflex = Baroreflex::new(BaroreflexParams {
        gain_scale: CLOSED_LOOP_GAIN_SCALE,
        // Away from the resting pressure, so that the effects change every beat.
        ..BaroreflexParams::ursino_1998(100.0)
    })
    .unwrap();
    let mut applied = AutonomicEffects::NONE;
    let mut state = State::new(&model);
    let mut rec = BeatRecorder::new(&model, &state);
    let mut acc = 0.0;
    while state.time_s() < SIM_S {
        step(&model, &mut state);
        if let Some(beat) = rec.record(&model, &state) {
            acc += beat.map_mmhg;
            reflex.advance(beat.map_mmhg, beat.period_s);
            let next = reflex.effects();
            // As scenario runs do (`ecmova_scenario::reflex::APPLY_TOLERANCE`).
            if next.max_difference(&applied) > 1e-5 {
                model
                    .update(|p| targets.apply_change(&applied, &next, p))
                    .unwrap();
                applied = next;
                state.refresh(&model);
            }
        }
    }
    acc + state.blood_volume_ml()
}

/// Steps `model` for `SIM_S` without recording metrics.
fn steps_60s(model: &Model) -> f64 {
    let mut state = State::new(model);
    while state.time_s() < SIM_S {
        step(model, &mut state);
    }
    state.blood_volume_ml()
}

fn bench_presets(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    // 2-core machine shared with other work: few samples, short windows, so that the
    // whole bench finishes in well under two minutes.
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    for (bench, preset) in [
        ("regazzoni_60s", "regazzoni-2022"),
        ("healthy_adult_60s", "healthy-adult"),
        ("cardiogenic_shock_ami_60s", "cardiogenic-shock-ami"),
    ] {
        let model = Model::new(
            presets::by_name(preset).unwrap(),
            IntegrationParams::default(),
        )
        .unwrap();
        group.bench_function(bench, |b| b.iter(|| run_60s(black_box(&model))));
    }
    let healthy = Model::new(presets::healthy_adult(), IntegrationParams::default()).unwrap();
    group.bench_function("healthy_adult_baroreflex_60s", |b| {
        b.iter(|| run_60s_with_reflex(black_box(&healthy)))
    });
    // The full issue-3 model: shock, femoro-femoral VA-ECMO at 3000 rpm (about 3.6 L/min),
    // O2/CO2 transport in every compartment, lungs, oxygenator and tissue beds.
    let model = Model::new(shock_on_ecmo(), IntegrationParams::default()).unwrap();
    group.bench_function("cardiogenic_shock_ami_ecmo_60s", |b| {
        b.iter(|| run_60s(black_box(&model)))
    });
    // The same model without per-beat metrics recording: the engine alone.
    group.bench_function("cardiogenic_shock_ami_ecmo_60s_steps_only", |b| {
        b.iter(|| steps_60s(black_box(&model)))
    });
    group.finish();
}

fn shock_on_ecmo() -> CirculationParams {
    use ecmova_engine::devices::{CentrifugalPump, Oxygenator};
    let mut p = presets::by_name("cardiogenic-shock-ami").unwrap();
    let anatomy = p.anatomy.clone().unwrap();
    let (drain, ret) = anatomy.cannulation_sites(Cannulation::FemoroFemoral, p.sites.ra);
    p.ecmo = Some(
        EcmoCircuit::new(
            Cannulation::FemoroFemoral,
            drain,
            ret,
            CentrifugalPump::rotaflow(),
            3000.0,
            25.0,
            17.0,
            Oxygenator::by_name("quadrox-id").unwrap(),
        )
        .unwrap(),
    );
    p
}

criterion_group!(benches, bench_presets);
criterion_main!(benches);
