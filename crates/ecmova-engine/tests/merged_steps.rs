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

/// At the cohort setting, and at the smaller multiples a user may set.
#[test]
fn merged_steps_match_the_reference_integrator() {
    let mut failures = Vec::new();
    for (name, params) in &presets_and_cohort_model() {
        let fine = IntegrationParams {
            max_step_s: COARSE_STEP_S,
            ..Default::default()
        };
        let oracle = run(name, params, fine.clone(), Integrator::Oracle);
        let n_fine = run(name, params, fine, Integrator::Fixed).steps_taken;
        for multiple in 2..=COARSE_STEP_MULTIPLE {
            let integration = IntegrationParams {
                max_step_multiple: multiple,
                ..coarse_merged()
            };
            let merged = run(name, params, integration, Integrator::Fixed);
            let n_merged = merged.steps_taken;
            let label = format!("{name} ×{multiple}");
            let (worst, mut f) =
                compare(&label, &merged.metrics, "merged", &oracle.metrics, "oracle");
            failures.append(&mut f);
            println!(
                "{label}: {n_merged} steps merged vs {n_fine} fine ({:.2}×); {worst}",
                n_fine as f64 / n_merged as f64
            );
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// At every merged step of a steady beat, the step is stable; at the cohort setting and at the
/// largest allowed multiple.
///
/// - An explicitly merged step (RK4, [`StepKind::Merged`]): the Jacobian's eigenvalues at the
///   step's start and at its end (each with the activations of its own time) lie inside the
///   RK4 stability region for the merged step's length. (The gas block is advanced by one
///   explicit Euler step per step; its rates, `q/V` ~ 0.1-10 /s, are three orders of magnitude
///   inside either region.)
/// - A merged step through ejection (Rosenbrock-W, [`StepKind::MergedImplicit`]), whose
///   stiff valve modes lie far outside any explicit region by design: the step map itself is
///   contractive, i.e. the spectral radius of its Jacobian `∂y(t+mh)/∂y(t)` (central
///   differences, every perturbed step taken the same way) is at most 1. The closed
///   circulation conserves volume and gas, so 1 is an exact eigenvalue; the slack covers the
///   finite differences.
#[test]
fn every_merged_step_is_stable() {
    // Slack for the exact zero eigenvalue of the closed loop (see `stability.rs`).
    const ZERO_SLACK: f64 = 1e-9;
    // Slack of a finite-difference step-map Jacobian around its exact eigenvalue 1 (volume
    // conservation). Measured on the beats checked here: fine RK4 steps, and every implicit
    // step but three, exceed 1 by at most 4e-10; those three reach 3.6-4.3e-6. We read them as
    // finite differences moving a nearly defective pair of eigenvalues at 1 (the conserved
    // mode and the slowest venous mode) by about the square root of their error; that is not
    // proven. A real growth would show as drift in
    // `merged_steps_match_the_reference_integrator`, which matches the reference after 20 s.
    const MAP_SLACK: f64 = 1e-5;
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
            let (mut merged, mut implicit, mut worst, mut worst_map, mut largest) =
                (0, 0, 0.0_f64, 0.0_f64, 0);
            // Implicit steps whose map was checked (a perturbed step taken another way skips
            // the check, see `step_map_spectral_radius`).
            let mut maps_checked = 0;
            while state.beat_index() == 25 {
                let before = state.clone();
                step(&model, &mut state);
                if state.beat_index() != 25 {
                    break;
                }
                let m = state.step_in_beat() - before.step_in_beat();
                largest = largest.max(m);
                match state.last_step() {
                    StepKind::Fine => continue,
                    StepKind::Merged { .. } => {
                        merged += 1;
                        let h = before.step_s() * f64::from(m);
                        for (end, at) in [("start", &before), ("end", &state)] {
                            for &lambda in jacobian(&model, at).complex_eigenvalues().iter() {
                                let amp = rk4_amplification(lambda * h);
                                worst = worst.max(amp);
                                assert!(
                                    amp <= 1.0 + ZERO_SLACK,
                                    "{name} ×{multiple}: merged step ×{m} at phase {:.4} s \
                                     ({end}): λ = {lambda:.2} /s, h·λ = {:.3}, |R| = {amp}",
                                    before.phase_s(),
                                    lambda * h
                                );
                            }
                        }
                    }
                    kind @ StepKind::MergedImplicit { .. } => {
                        implicit += 1;
                        let Some(rho) = step_map_spectral_radius(&model, &before, kind) else {
                            continue;
                        };
                        maps_checked += 1;
                        worst_map = worst_map.max(rho);
                        assert!(
                            rho <= 1.0 + MAP_SLACK,
                            "{name} ×{multiple}: implicit merged step ×{m} at phase {:.4} s: \
                             spectral radius of the step map {rho}",
                            before.phase_s()
                        );
                    }
                }
            }
            println!(
                "{name} (up to ×{multiple}): {merged} merged RK4 steps (max |R(hλ)| = \
                 {worst:.6}) and {implicit} merged through ejection (max spectral radius \
                 {worst_map:.6}) in a beat, up to ×{largest}"
            );
            assert!(merged > 0, "{name}: no merged step in a beat");
            if name == "cohort model" {
                assert!(
                    implicit > 0 && maps_checked > 0,
                    "{name}: {implicit} merged steps through ejection in a beat, \
                     {maps_checked} of their maps checked"
                );
            }
        }
    }
}

/// The spectral radius of the haemodynamic block of the Jacobian of one step from `at` (volumes,
/// segment and circuit flows), by central differences, or `None` when a perturbed step was not
/// taken the same way (`kind`). The haemodynamics do not depend on the gas masses, so the
/// step map's Jacobian is block-triangular and the gas block (one explicit Euler step of the
/// transport, rates far inside its region) adds its own eigenvalues only.
fn step_map_spectral_radius(model: &Model, at: &State, kind: StepKind) -> Option<f64> {
    let y0 = at.vector().to_vec();
    let n = model.layout().o2;
    let mut map = nalgebra::DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        let eps = 1e-6 * y0[i].abs().max(1.0);
        let mut ends = [Vec::new(), Vec::new()];
        for (e, sign) in ends.iter_mut().zip([1.0, -1.0]) {
            let mut y = y0.clone();
            y[i] += sign * eps;
            let mut s = at.with_vector(model, &y);
            step(model, &mut s);
            if s.last_step() != kind {
                return None;
            }
            *e = s.vector().to_vec();
        }
        for r in 0..n {
            map[(r, i)] = (ends[0][r] - ends[1][r]) / (2.0 * eps);
        }
    }
    let schur = nalgebra::linalg::Schur::try_new(map, 1e-12, 10_000).expect("Schur converges");
    Some(
        schur
            .complex_eigenvalues()
            .iter()
            .map(|l| l.norm())
            .fold(0.0, f64::max),
    )
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
    // At least a 2-fold cut in steps (each costs about four evaluations): merging outside
    // ejection alone gives ~1.7-fold, with the implicit steps through ejection ~2.3-fold (at
    // ×3), with predicted valve events at ×4 ~2.4-fold.
    assert!(
        (n_merged as f64) < n_fine as f64 / 2.0,
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

/// [`step`] and [`BeatRecorder::record`] pick a version compiled for the CPU's instruction set
/// (x86-64-v3 where the CPU has AVX2 and FMA); it must give bit-identical states and beat
/// metrics to the baseline version, at the default step and at the cohort setting. (On a CPU
/// without AVX2 both calls run the baseline version and the test checks nothing new.)
#[test]
fn both_instruction_sets_give_identical_states() {
    #[cfg(target_arch = "x86_64")]
    println!(
        "x86-64-v3 version in use: {}",
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("bmi2")
    );
    for integration in [IntegrationParams::default(), coarse_merged()] {
        let model = Model::new(shock_on_ecmo(3400.0), integration).unwrap();
        let (mut a, mut b) = (State::new(&model), State::new(&model));
        let (mut rec_a, mut rec_b) = (BeatRecorder::new(&model, &a), BeatRecorder::new(&model, &b));
        let (mut steps, mut beats) = (0, 0);
        while a.time_s() < 6.0 {
            step(&model, &mut a);
            step_baseline_isa(&model, &mut b);
            steps += 1;
            let same =
                |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(u, v)| u.to_bits() == v.to_bits());
            assert!(
                same(a.vector(), b.vector())
                    && same(a.pressures_mmhg(), b.pressures_mmhg())
                    && same(a.mean_flows_ml_s(), b.mean_flows_ml_s())
                    && a.time_s().to_bits() == b.time_s().to_bits(),
                "the instruction sets differ after step {steps} at {} s",
                a.time_s()
            );
            let (m_a, m_b) = (
                rec_a.record(&model, &a),
                rec_b.record_baseline_isa(&model, &b),
            );
            // `Debug` prints every value exactly (shortest round-trip), signed zeros and NaN
            // included.
            assert_eq!(
                format!("{m_a:?}"),
                format!("{m_b:?}"),
                "beat metrics at {} s",
                a.time_s()
            );
            beats += usize::from(m_a.is_some());
        }
        assert!(beats >= 5, "{beats} beats compared");
    }
}

/// Merged steps stop short of the valve events their pressure differences predict, and of
/// the EDPVR steepening their filling predicts: without these rules every valve opening and
/// closure rejected one to three merged steps (measured on the benchmark cohort's first
/// patient at ×3: 746 rejections in 6,589 steps, 11 %; each costs up to a whole step's
/// evaluations and is followed by a fine step); with them a rejection is the exception.
#[test]
fn predicted_valve_events_avoid_most_rejected_steps() {
    for rpm in [3000.0, 3800.0] {
        let model = Model::new(shock_on_ecmo(rpm), coarse_merged()).unwrap();
        let mut state = State::new(&model);
        while state.time_s() < 20.0 {
            step(&model, &mut state);
        }
        let (rejected, steps) = (state.merged_steps_rejected(), state.steps_taken());
        println!("{rpm} rpm: {rejected} merged steps rejected in {steps} steps");
        assert!(
            (rejected as f64) < 0.05 * steps as f64,
            "{rpm} rpm: {rejected} rejected in {steps}"
        );
    }
}
