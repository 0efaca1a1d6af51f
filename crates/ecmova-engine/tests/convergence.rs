//! Accuracy of the fixed-step RK4 integrator against the adaptive reference integrator.
//!
//! Oracle: [`reference::ReferenceIntegrator`], Dormand-Prince 5(4) (Dormand & Prince, J Comput
//! Appl Math 1980;6:19) with tight tolerances. It advances over exactly the same
//! beat-synchronous step grid as [`step`], so both runs are sampled at identical times and
//! the per-beat metrics computed from them differ only by integration error (the metrics'
//! own discretisation, trapezoidal means and sampled extrema, is common to both).
//!
//! 1. For every preset, every metric of the average of the last 5 beats after 20 s agrees
//!    with the oracle within 0.5 % (with an absolute floor for values near zero).
//! 2. Halving the step shrinks the error of a smooth metric (mean aortic pressure) by more
//!    than 4× (better than second order; RK4's nominal order gives 16×, the valves'
//!    non-smooth switching may lower it).
//! 3. Independently of the oracle: RK4 at the default step agrees with RK4 at a 16× finer
//!    step on a nested grid (every 16th fine step is a coarse grid point, and only those
//!    points feed the recorder, so the metrics' discretisation is again common).

use ecmova_engine::reference::{ReferenceIntegrator, Tolerance};
use ecmova_engine::*;

/// Simulated duration, s.
const RUN_S: f64 = 20.0;
/// Beats averaged.
const LAST_BEATS: usize = 5;
/// Oracle tolerances, tighter than the minimum of 1e-9 because it is affordable
/// (about 1 s per preset in release mode) and because the order test below resolves RK4
/// errors of ~1e-5 mmHg at h/2, where a 1e-9 oracle's own error (~4e-6 mmHg measured on
/// mean aortic pressure, 1e-9 vs 1e-11) would blur the ratio.
const ORACLE: Tolerance = Tolerance {
    rtol: 1e-11,
    atol: 1e-11,
};
/// Regression guard: an earlier reference integrator decided whether a sub-step closed the
/// interval before its retry loop, so a rejected, shortened last sub-step skipped the rest of
/// the interval (mean aortic pressure off by 0.31 mmHg, not converging with the tolerance).
/// With the fix RK4 agrees to ~3e-5 relative and the halving ratio is ~14.
/// Allowed relative difference of each metric (issue acceptance point): 0.5 % is well below
/// clinical resolution (0.5 mmHg at a MAP of 100, 25 mL/min of cardiac output) yet
/// far above the expected RK4 error at 1 ms (fourth order; the fastest time constants are
/// several ms, see `stability.rs`).
const RTOL: f64 = 5e-3;
/// Absolute floor of the comparison, in each metric's own unit (mmHg, mL, L/min, %, W...):
/// `|a − b| ≤ max(RTOL·|b|, FLOOR)`. Needed for values near zero (a CVP of 1-3 mmHg, the
/// diastolic flow metrics), where 0.5 % would demand 0.005 mmHg, finer than any clinical
/// measurement (catheter transducers resolve ~1 mmHg) and finer than the one-sample timing
/// jitter of event-based metrics. 0.05 is 1/20 of that resolution. For W (cardiac power,
/// ~0.5-1 W) the floor is not reached by values in range except near zero.
const FLOOR: f64 = 0.05;

enum Integrator {
    Fixed,
    Reference(Tolerance),
}

/// Average metrics of the last `LAST_BEATS` beats after `RUN_S` of `name`.
fn run(name: &str, max_step_s: f64, integrator: Integrator) -> BeatMetrics {
    let model = Model::new(
        presets::by_name(name).unwrap(),
        IntegrationParams {
            max_step_s,
            ..Default::default()
        },
    )
    .unwrap();
    let mut state = State::new(&model);
    let mut rec = BeatRecorder::new(&model, &state);
    let mut reference = match integrator {
        Integrator::Fixed => None,
        Integrator::Reference(tol) => Some(ReferenceIntegrator::new(&model, tol)),
    };
    let mut beats = Vec::new();
    while state.time_s() < RUN_S {
        match reference.as_mut() {
            None => step(&model, &mut state),
            Some(r) => r.step(&model, &mut state),
        }
        if let Some(beat) = rec.record(&model, &state) {
            beats.push(beat);
        }
    }
    assert!(state.is_finite(), "{name}: diverged");
    if let Some(r) = &reference {
        println!(
            "{name}: oracle sub-steps accepted {}, rejected {}",
            r.stats.accepted, r.stats.rejected
        );
    }
    BeatMetrics::average(&beats[beats.len() - LAST_BEATS..]).unwrap()
}

/// Relative error scaled so that 1.0 is the acceptance bound.
fn scaled_error(ours: f64, oracle: f64) -> f64 {
    (ours - oracle).abs() / (RTOL * oracle.abs()).max(FLOOR)
}

#[test]
fn rk4_at_default_step_matches_the_reference_integrator() {
    let default_step = IntegrationParams::default().max_step_s;
    let mut failures = Vec::new();
    for &name in presets::NAMES {
        let t0 = std::time::Instant::now();
        let fixed = run(name, default_step, Integrator::Fixed);
        let oracle = run(name, default_step, Integrator::Reference(ORACLE));
        let mut worst = ("", 0.0, 0.0, 0.0);
        for ((field, a), (_, b)) in fixed.named_values().into_iter().zip(oracle.named_values()) {
            let e = scaled_error(a, b);
            if e > worst.1 {
                worst = (field, e, a, b);
            }
            if e > 1.0 {
                failures.push(format!("{name}: {field}: rk4 {a} vs oracle {b}"));
            }
        }
        let (field, e, a, b) = worst;
        println!(
            "{name}: worst metric {field}: rk4 {a:.6} vs oracle {b:.6}, relative {:.3e} \
             ({:.3} of the bound) [{:.1} s]",
            ((a - b) / b).abs(),
            e,
            t0.elapsed().as_secs_f64()
        );
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
    let err_h = (metric(&run(name, h, Integrator::Fixed))
        - metric(&run(name, h, Integrator::Reference(ORACLE))))
    .abs();
    let err_h2 = (metric(&run(name, h / 2.0, Integrator::Fixed))
        - metric(&run(name, h / 2.0, Integrator::Reference(ORACLE))))
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
    let mut state = State::new(&model);
    assert_eq!(state.steps_per_beat(), REFINE * n, "{name}: nested grid");
    let mut rec = BeatRecorder::new(&model, &state);
    let mut beats = Vec::new();
    while state.time_s() < RUN_S {
        step(&model, &mut state);
        if state.step_in_beat() % REFINE == 0 {
            if let Some(beat) = rec.record(&model, &state) {
                beats.push(beat);
            }
        }
    }
    assert!(state.is_finite(), "{name}: diverged");
    BeatMetrics::average(&beats[beats.len() - LAST_BEATS..]).unwrap()
}

#[test]
fn rk4_at_default_step_matches_rk4_at_a_16_times_finer_step() {
    // RK4's error at h/16 is 16⁴ ≈ 65 000 times smaller than at h, so the fine run stands in
    // for the exact solution; same tolerance and floor as the oracle comparison.
    let mut failures = Vec::new();
    for &name in presets::NAMES {
        let fixed = run(
            name,
            IntegrationParams::default().max_step_s,
            Integrator::Fixed,
        );
        let fine = run_nested_fine(name);
        let mut worst = ("", 0.0, 0.0, 0.0);
        for ((field, a), (_, b)) in fixed.named_values().into_iter().zip(fine.named_values()) {
            let e = scaled_error(a, b);
            if e > worst.1 {
                worst = (field, e, a, b);
            }
            if e > 1.0 {
                failures.push(format!("{name}: {field}: h {a} vs h/{REFINE} {b}"));
            }
        }
        let (field, e, a, b) = worst;
        println!(
            "{name}: worst metric {field}: h {a:.6} vs h/{REFINE} {b:.6}, relative {:.3e} \
             ({e:.3} of the bound)",
            ((a - b) / b).abs()
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
