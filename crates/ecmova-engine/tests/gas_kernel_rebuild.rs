//! The gas kernel holds terms that depend on the settings alone, computed once when the model
//! compiles: the oxygenator's `100·V·FdO2`, `V/(Pb − PH2O)` and equilibrium O2 content, the
//! sweep in mL/s, the lungs' O2 binding capacity `1.34·Hb` (docs/performance.md, "Session 6").
//! A change of sweep, FdO2, haemoglobin or barometric pressure through [`Model::update`] must
//! rebuild them: a run that changes them mid-way must continue exactly as the same state does
//! on a model built from scratch with the new settings, and differently from a model that kept
//! the old ones (so a stale term would be seen).

mod common;

use ecmova_engine::*;

/// Fine steps before and after the change (0.5 s each at the default 1 ms step, 1 s at the
/// cohort setting's 2 ms): long enough for every gas term to act on the state.
const STEPS: usize = 500;

/// Runs the cohort benchmark's model (`common::shock_on_ecmo`) for [`STEPS`], applies `edit`
/// through [`Model::update`], runs [`STEPS`] more, and returns the final state vectors of the
/// updated model, of a model built from scratch with the edited parameters, and of a model
/// that kept the original ones, all continued from the same state.
fn run_with_change(
    integration: IntegrationParams,
    edit: impl Fn(&mut CirculationParams) + Copy,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let p0 = common::shock_on_ecmo(3000.0);
    let mut updated = Model::new(p0.clone(), integration.clone()).unwrap();
    let kept = Model::new(p0.clone(), integration.clone()).unwrap();
    let mut p1 = p0;
    edit(&mut p1);
    let fresh = Model::new(p1, integration).unwrap();

    let mut s = State::new(&updated);
    for _ in 0..STEPS {
        step(&updated, &mut s);
    }
    updated.update(edit).unwrap();
    let mut s_updated = s.clone();
    let mut s_fresh = s.with_vector(&fresh, s.vector());
    let mut s_kept = s.with_vector(&kept, s.vector());
    for _ in 0..STEPS {
        step(&updated, &mut s_updated);
        step(&fresh, &mut s_fresh);
        step(&kept, &mut s_kept);
    }
    (
        s_updated.vector().to_vec(),
        s_fresh.vector().to_vec(),
        s_kept.vector().to_vec(),
    )
}

/// Bitwise equality of two state vectors (`==` would also accept 0.0 against -0.0).
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn check(integration: IntegrationParams, what: &str, edit: impl Fn(&mut CirculationParams) + Copy) {
    let (updated, fresh, kept) = run_with_change(integration, edit);
    assert!(
        same_bits(&updated, &fresh),
        "{what}: the updated model's run differs from a model built with the new settings"
    );
    assert!(
        !same_bits(&updated, &kept),
        "{what}: the change did not move the run, so this test could not see a stale kernel"
    );
}

#[test]
fn sweep_and_fdo2_changed_mid_run_match_a_model_built_with_them() {
    for integration in [
        IntegrationParams::default(),
        IntegrationParams {
            max_step_s: COARSE_STEP_S,
            max_step_multiple: COARSE_STEP_MULTIPLE,
        },
    ] {
        check(integration.clone(), "sweep", |p| {
            p.ecmo.as_mut().unwrap().sweep_l_min = 1.0;
        });
        check(integration.clone(), "FdO2", |p| {
            p.ecmo.as_mut().unwrap().fdo2 = 0.4;
        });
        check(integration, "sweep and FdO2", |p| {
            let e = p.ecmo.as_mut().unwrap();
            e.sweep_l_min = 7.5;
            e.fdo2 = 0.6;
        });
    }
}

#[test]
fn haemoglobin_and_pressure_changed_mid_run_match_a_model_built_with_them() {
    let integration = IntegrationParams::default();
    check(integration.clone(), "Hb", |p| {
        p.gas.as_mut().unwrap().hemoglobin_g_dl = 9.0;
    });
    check(integration, "barometric pressure", |p| {
        p.gas.as_mut().unwrap().barometric_pressure_mmhg = 600.0;
    });
}
