//! Merged steps (issue 15): several fine steps taken as one RK4 step where the circulation's
//! fast modes are inactive ([`IntegrationParams::max_step_multiple`], rules in [`step`]).
//!
//! - Accuracy: the convergence test's oracle (Dormand-Prince 5(4) at 1e-11) and bound (every
//!   metric of the last 5 beats after 20 s within 0.5 %, floor 0.05; `common/oracle.rs`), at
//!   the cohort setting [`COARSE_STEP_S`] × [`COARSE_STEP_MULTIPLE`], for every built-in
//!   preset and the cohort benchmark's model (acute-MI shock on femoro-femoral VA-ECMO with
//!   gases).
//! - Stability: at every merged step of a steady beat the Jacobian's eigenvalues `λ`, times the
//!   merged step, lie inside the RK4 stability region (as `stability.rs` checks the fine step).
//! - Throughput: the cohort model takes markedly fewer steps; merging is off by default and
//!   with the devices its rules do not cover; runs stay bit-identical.

mod common;

use common::oracle::{compare, presets_and_cohort_model, run, Integrator};
use common::{jacobian, rk4_amplification, shock_on_ecmo};
use ecmova_engine::*;

/// The cohort setting.
fn coarse_merged() -> IntegrationParams {
    IntegrationParams {
        max_step_s: COARSE_STEP_S,
        max_step_multiple: COARSE_STEP_MULTIPLE,
    }
}

#[test]
fn merged_steps_match_the_reference_integrator() {
    let mut failures = Vec::new();
    for (name, params) in &presets_and_cohort_model() {
        let merged = run(name, params, coarse_merged(), Integrator::Fixed);
        let fine = IntegrationParams {
            max_step_s: COARSE_STEP_S,
            ..Default::default()
        };
        let oracle = run(name, params, fine.clone(), Integrator::Oracle);
        let n_fine = run(name, params, fine, Integrator::Fixed).steps_taken;
        let n_merged = merged.steps_taken;
        let (worst, mut f) = compare(name, &merged.metrics, "merged", &oracle.metrics, "oracle");
        failures.append(&mut f);
        println!(
            "{name}: {n_merged} steps merged vs {n_fine} fine ({:.2}×); {worst}",
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
    let label = "cohort model";
    let n_fine = run(label, &params, fine, Integrator::Fixed).steps_taken;
    let first = run(label, &params, coarse_merged(), Integrator::Fixed);
    let again = run(label, &params, coarse_merged(), Integrator::Fixed);
    let (n_merged, y1) = (first.steps_taken, first.final_vector);
    let (n_again, y2) = (again.steps_taken, again.final_vector);
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
