//! Accuracy of the fixed-step RK4 integrator against the adaptive reference integrator.
//!
//! Oracle: [`reference::ReferenceIntegrator`], Dormand-Prince 5(4) (Dormand & Prince, J Comput
//! Appl Math 1980;6:19) with tight tolerances. It advances over exactly the same
//! beat-synchronous step grid as [`step`], so both runs are sampled at identical times and
//! the per-beat metrics computed from them differ only by integration error (the metrics'
//! own discretisation, trapezoidal means and sampled extrema, is common to both). The run
//! length, oracle tolerances, bound and comparison are shared with `coarse_step.rs` and
//! `merged_steps.rs` (`common/oracle.rs`).
//!
//! 1. For every preset, every metric of the average of the last 5 beats after 20 s agrees
//!    with the oracle within 0.5 % (with an absolute floor for values near zero).
//! 2. Halving the step shrinks the error of a smooth metric (mean aortic pressure) by more
//!    than 4× (better than second order; RK4's nominal order gives 16×, the valves'
//!    non-smooth switching may lower it).
//! 3. Independently of the oracle: RK4 at the default step agrees with RK4 at a 16× finer
//!    step on a nested grid (every 16th fine step is a coarse grid point, and only those
//!    points feed the recorder, so the metrics' discretisation is again common).

mod common;

use common::oracle::{compare, run, run_model, Integrator};
use ecmova_engine::*;

/// Average metrics of the last beats after 20 s of the preset `name` at `max_step_s` (the
/// oracle's sub-step counts printed).
fn run_preset(name: &str, max_step_s: f64, integrator: Integrator) -> BeatMetrics {
    let r = run(
        name,
        &presets::by_name(name).unwrap(),
        IntegrationParams {
            max_step_s,
            ..Default::default()
        },
        integrator,
    );
    if let Some(stats) = r.oracle_stats {
        println!(
            "{name}: oracle sub-steps accepted {}, rejected {}",
            stats.accepted, stats.rejected
        );
    }
    r.metrics
}

#[test]
fn rk4_at_default_step_matches_the_reference_integrator() {
    let default_step = IntegrationParams::default().max_step_s;
    let mut failures = Vec::new();
    for &name in presets::NAMES {
        let t0 = std::time::Instant::now();
        let fixed = run_preset(name, default_step, Integrator::Fixed);
        let oracle = run_preset(name, default_step, Integrator::Oracle);
        let (worst, mut f) = compare(name, &fixed, "rk4", &oracle, "oracle");
        failures.append(&mut f);
        println!("{name}: {worst} [{:.1} s]", t0.elapsed().as_secs_f64());
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn halving_the_step_reduces_the_error_more_than_fourfold() {
    // Mean aortic-root pressure: a time average, so it is not subject to the one-sample
    // jitter of extrema or valve-event metrics, and it is smooth in the solution.
    let name = "regazzoni-2022";
    let h = IntegrationParams::default().max_step_s;
    let metric = |m: &BeatMetrics| m.map_aortic_root_mmhg;
    // Same step grid for each oracle run as the fixed run it is compared with (the metric's
    // own discretisation then cancels).
    let err_h = (metric(&run_preset(name, h, Integrator::Fixed))
        - metric(&run_preset(name, h, Integrator::Oracle)))
    .abs();
    let err_h2 = (metric(&run_preset(name, h / 2.0, Integrator::Fixed))
        - metric(&run_preset(name, h / 2.0, Integrator::Oracle)))
    .abs();
    let ratio = err_h / err_h2;
    println!(
        "{name}: mean aortic pressure error {err_h:.3e} mmHg at h = {h} s, {err_h2:.3e} at h/2: \
         ratio {ratio:.2} (observed order {:.2})",
        ratio.log2()
    );
    assert!(ratio > 4.0, "error ratio {ratio} for a halved step");
}

/// Refinement factor of the oracle-free check.
const REFINE: u32 = 16;

/// Average metrics of the last beats of RK4 run on a grid `REFINE` times finer than the
/// default one, recording only every `REFINE`-th state (the default grid's points).
fn run_nested_fine(name: &str) -> BeatMetrics {
    let params = presets::by_name(name).unwrap();
    let coarse = Model::new(params.clone(), IntegrationParams::default()).unwrap();
    let n = State::new(&coarse).steps_per_beat();
    // ceil(T / max_step) = REFINE·n exactly (the half step keeps rounding away from the
    // ceiling's jump).
    let max_step_s = coarse.period_s() / (f64::from(REFINE * n) - 0.5);
    let model = Model::new(
        params,
        IntegrationParams {
            max_step_s,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        State::new(&model).steps_per_beat(),
        REFINE * n,
        "{name}: nested grid"
    );
    run_model(name, &model, Integrator::Fixed, REFINE).metrics
}

#[test]
fn rk4_at_default_step_matches_rk4_at_a_16_times_finer_step() {
    // RK4's error at h/16 is 16⁴ ≈ 65 000 times smaller than at h, so the fine run stands in
    // for the exact solution; same tolerance and floor as the oracle comparison.
    let mut failures = Vec::new();
    for &name in presets::NAMES {
        let fixed = run_preset(
            name,
            IntegrationParams::default().max_step_s,
            Integrator::Fixed,
        );
        let fine = run_nested_fine(name);
        let (worst, mut f) = compare(name, &fixed, "h", &fine, &format!("h/{REFINE}"));
        failures.append(&mut f);
        println!("{name}: {worst}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
