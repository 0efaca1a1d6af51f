//! Merged steps (issue 15): several fine steps taken as one RK4 step where the circulation's
//! fast modes are inactive ([`IntegrationParams::max_step_multiple`], rules in [`step`]).
//!
//! - Accuracy: the convergence test's oracle (Dormand-Prince 5(4) at 1e-11) and bound (every
//!   metric of the last 5 beats after 20 s within 0.5 %, floor 0.05), at the cohort setting
//!   [`COARSE_STEP_S`] × [`COARSE_STEP_MULTIPLE`], for every built-in preset and the cohort
//!   benchmark's model (acute-MI shock on femoro-femoral VA-ECMO with gases).
//! - Stability: at every merged step of a steady beat the Jacobian's eigenvalues `λ`, times the
//!   merged step, lie inside the RK4 stability region (as `stability.rs` checks the fine step).
//! - Throughput: the cohort model takes markedly fewer steps; merging is off by default and
//!   with the devices its rules do not cover; runs stay bit-identical.

mod common;

use common::{jacobian, rk4_amplification, shock_on_ecmo};
use ecmova_engine::reference::{ReferenceIntegrator, Tolerance};
use ecmova_engine::*;

/// Simulated duration, s (as `convergence.rs`).
const RUN_S: f64 = 20.0;
/// Beats averaged (as `convergence.rs`).
const LAST_BEATS: usize = 5;
/// Oracle tolerances (as `convergence.rs`).
const ORACLE: Tolerance = Tolerance {
    rtol: 1e-11,
    atol: 1e-11,
};
/// Allowed relative difference of each metric: the convergence test's bound, unchanged.
const RTOL: f64 = 5e-3;
/// Absolute floor, in each metric's own unit: the convergence test's floor, unchanged.
const FLOOR: f64 = 0.05;

/// The cohort setting.
fn coarse_merged() -> IntegrationParams {
    IntegrationParams {
        max_step_s: COARSE_STEP_S,
        max_step_multiple: COARSE_STEP_MULTIPLE,
    }
}

/// Average metrics of the last beats after `RUN_S`, the steps taken and the final state.
fn run(
    params: &CirculationParams,
    integration: IntegrationParams,
    oracle: bool,
) -> (BeatMetrics, u64, Vec<f64>) {
    let model = Model::new(params.clone(), integration).unwrap();
    let mut state = State::new(&model);
    let mut rec = BeatRecorder::new(&model, &state);
    let mut reference = oracle.then(|| ReferenceIntegrator::new(&model, ORACLE));
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
    assert!(state.is_finite(), "diverged");
    (
        BeatMetrics::average(&beats[beats.len() - LAST_BEATS..]).unwrap(),
        state.steps_taken(),
        state.vector().to_vec(),
    )
}

fn cases() -> Vec<(String, CirculationParams)> {
    let mut cases: Vec<(String, CirculationParams)> = presets::NAMES
        .iter()
        .map(|&n| (n.to_string(), presets::by_name(n).unwrap()))
        .collect();
    for rpm in [3000.0, 3800.0] {
        cases.push((
            format!("cardiogenic-shock-ami + femoral VA-ECMO {rpm} rpm"),
            shock_on_ecmo(rpm),
        ));
    }
    cases
}

#[test]
fn merged_steps_match_the_reference_integrator() {
    let mut failures = Vec::new();
    for (name, params) in &cases() {
        let (merged, n_merged, _) = run(params, coarse_merged(), false);
        let fine = IntegrationParams {
            max_step_s: COARSE_STEP_S,
            ..Default::default()
        };
        let (oracle, _, _) = run(params, fine.clone(), true);
        let (_, n_fine, _) = run(params, fine, false);
        let mut worst = ("", 0.0, 0.0, 0.0);
        for ((field, a), (_, b)) in merged.named_values().into_iter().zip(oracle.named_values()) {
            let e = (a - b).abs() / (RTOL * b.abs()).max(FLOOR);
            if e > worst.1 {
                worst = (field, e, a, b);
            }
            if e > 1.0 {
                failures.push(format!("{name}: {field}: merged {a} vs oracle {b}"));
            }
        }
        let (field, e, a, b) = worst;
        println!(
            "{name}: {n_merged} steps merged vs {n_fine} fine ({:.2}×); worst metric {field}: \
             merged {a:.6} vs oracle {b:.6} ({e:.3} of the bound)",
            n_fine as f64 / n_merged as f64
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// At every merged step of a steady beat, the Jacobian's eigenvalues at the step's start and
/// at its end (each with the activations of its own time) lie inside the RK4 stability region
/// for the merged step's length; at the cohort setting and at the largest allowed multiple.
/// (The gas block is advanced by one explicit Euler step per step, not by RK4; its rates,
/// `q/V` ~ 0.1-10 /s, are three orders of magnitude inside either region.)
#[test]
fn every_merged_step_is_inside_the_rk4_stability_region() {
    // Slack for the exact zero eigenvalue of the closed loop (see `stability.rs`).
    const ZERO_SLACK: f64 = 1e-9;
    for multiple in [COARSE_STEP_MULTIPLE, MAX_STEP_MULTIPLE_RANGE.1] {
        for (name, params) in [
            ("cohort model", shock_on_ecmo(3400.0)),
            ("healthy-adult", presets::by_name("healthy-adult").unwrap()),
            (
                "regazzoni-2022",
                presets::by_name("regazzoni-2022").unwrap(),
            ),
            (
                "fulminant-myocarditis",
                presets::by_name("fulminant-myocarditis").unwrap(),
            ),
        ] {
            let integration = IntegrationParams {
                max_step_s: COARSE_STEP_S,
                max_step_multiple: multiple,
            };
            let model = Model::new(params, integration).unwrap();
            let mut state = State::new(&model);
            while state.beat_index() < 25 {
                step(&model, &mut state);
            }
            let (mut merged, mut worst, mut largest) = (0, 0.0_f64, 0);
            while state.beat_index() == 25 {
                let before = state.clone();
                step(&model, &mut state);
                if state.beat_index() != 25 {
                    break;
                }
                let m = state.step_in_beat() - before.step_in_beat();
                if m < 2 {
                    continue;
                }
                merged += 1;
                largest = largest.max(m);
                let h = before.step_s() * f64::from(m);
                for (end, at) in [("start", &before), ("end", &state)] {
                    for &lambda in jacobian(&model, at).complex_eigenvalues().iter() {
                        let amp = rk4_amplification(lambda * h);
                        worst = worst.max(amp);
                        assert!(
                            amp <= 1.0 + ZERO_SLACK,
                            "{name} ×{multiple}: merged step ×{m} at phase {:.4} s ({end}): \
                             λ = {lambda:.2} /s, h·λ = {:.3}, |R| = {amp}",
                            before.phase_s(),
                            lambda * h
                        );
                    }
                }
            }
            println!(
                "{name} (up to ×{multiple}): {merged} merged steps in a beat (up to ×{largest}); \
                 max |R(hλ)| = {worst:.6}"
            );
            assert!(merged > 0, "{name}: no merged step in a beat");
        }
    }
}

#[test]
fn merging_cuts_the_steps_of_the_cohort_model_and_stays_deterministic() {
    let params = shock_on_ecmo(3400.0);
    let fine = IntegrationParams {
        max_step_s: COARSE_STEP_S,
        ..Default::default()
    };
    let (_, n_fine, _) = run(&params, fine, false);
    let (_, n_merged, y1) = run(&params, coarse_merged(), false);
    let (_, n_again, y2) = run(&params, coarse_merged(), false);
    println!("{n_merged} merged steps vs {n_fine} fine");
    // At least a 1.5-fold cut in RK4 steps (each step costs the same four evaluations).
    assert!(
        (n_merged as f64) < n_fine as f64 / 1.5,
        "{n_merged} vs {n_fine}"
    );
    assert_eq!(n_merged, n_again);
    assert!(y1.iter().zip(&y2).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn merging_is_off_by_default_and_with_devices_its_rules_do_not_cover() {
    let params = shock_on_ecmo(3400.0);
    // Every step moves the clock by one fine step (or starts the next beat).
    let all_fine = |p: &CirculationParams, integration: IntegrationParams| {
        let model = Model::new(p.clone(), integration).unwrap();
        let mut state = State::new(&model);
        while state.time_s() < 3.0 {
            let before = state.step_in_beat();
            step(&model, &mut state);
            if state.step_in_beat() != 0 && state.step_in_beat() != before + 1 {
                return false;
            }
        }
        true
    };
    assert!(all_fine(&params, IntegrationParams::default()), "default");
    assert!(
        !all_fine(&params, coarse_merged()),
        "the cohort setting merges"
    );
    let mut with_iabp = params.clone();
    let iabp = UnloadingDevice::iabp(&with_iabp).unwrap();
    with_iabp.unloading.push(Unloading::active(iabp));
    assert!(all_fine(&with_iabp, coarse_merged()), "IABP");
}

#[test]
fn an_out_of_range_multiple_is_refused_with_its_field() {
    for m in [0, MAX_STEP_MULTIPLE_RANGE.1 + 1] {
        let e = Model::new(
            presets::by_name("healthy-adult").unwrap(),
            IntegrationParams {
                max_step_s: COARSE_STEP_S,
                max_step_multiple: m,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("max_step_multiple"), "{e}");
    }
}
