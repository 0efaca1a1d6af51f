//! Accuracy at the coarse step [`COARSE_STEP_S`] (2 ms), the throughput setting for cohorts
//! (issue 15).
//!
//! Same oracle and same acceptance bound as `convergence.rs` (shared in `common/oracle.rs`):
//! the Dormand-Prince 5(4) reference integrator ([`reference::ReferenceIntegrator`]) advanced
//! over the same beat-synchronous grid, and every metric of the average of the last 5 beats
//! after 20 s within 0.5 % (absolute floor 0.05 in the metric's unit). Run for every built-in
//! preset and for the model the cohort benchmark runs (acute-MI shock on femoro-femoral
//! VA-ECMO with O2/CO2 transport, at two pump speeds). Where the stability bound is below
//! 2 ms the engine tightens the step (`Model::effective_max_step_s`), and the test runs at
//! the step actually used.
//!
//! The test also checks that the coarse setting does take larger steps than the default on
//! the cohort model (otherwise it would buy no throughput).

mod common;

use common::oracle::{compare, presets_and_cohort_model, run, Integrator};
use common::shock_on_ecmo;
use ecmova_engine::*;

#[test]
fn rk4_at_the_coarse_step_matches_the_reference_integrator() {
    let coarse = IntegrationParams {
        max_step_s: COARSE_STEP_S,
        ..Default::default()
    };
    let mut failures = Vec::new();
    for (name, params) in &presets_and_cohort_model() {
        let fixed = run(name, params, coarse.clone(), Integrator::Fixed);
        let oracle = run(name, params, coarse.clone(), Integrator::Oracle);
        let (worst, mut f) = compare(name, &fixed.metrics, "rk4", &oracle.metrics, "oracle");
        failures.append(&mut f);
        println!("{name}: h = {:.3} ms; {worst}", fixed.step_s * 1e3);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_coarse_step_halves_the_steps_of_the_cohort_model() {
    let params = shock_on_ecmo(3400.0);
    let default = Model::new(params.clone(), IntegrationParams::default()).unwrap();
    let coarse = Model::new(
        params,
        IntegrationParams {
            max_step_s: COARSE_STEP_S,
            ..Default::default()
        },
    )
    .unwrap();
    let (n_default, n_coarse) = (
        State::new(&default).steps_per_beat(),
        State::new(&coarse).steps_per_beat(),
    );
    // The recalibrated AMI patient (issue 11, session 3: a stiffer acute LV) had an estimated
    // fastest rate of ~1185 /s with the chambers' elastance bounded by Ees + EDPVR slope, which
    // tightened the 2 ms request to 1.69 ms; bounded by max(Ees, slope) since session 4
    // (1017 /s against a true 1012 /s, `stability.rs`) it runs at 1.96 ms. A beat must take at
    // most 60 % of the default's steps.
    println!("{n_coarse} coarse steps per beat vs {n_default} default");
    assert!(
        (n_coarse as f64) <= 0.6 * n_default as f64 + 1.0,
        "{n_coarse} coarse steps per beat vs {n_default} default"
    );
}
