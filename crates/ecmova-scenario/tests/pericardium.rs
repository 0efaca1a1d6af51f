//! The pericardium (`[patient.pericardium]`): a pressure shared by both ventricles, a function
//! of their total volume (Smith BW, Chase JG et al., Med Eng Phys 2004;26:131: A 0.5 mmHg,
//! B 0.03 /mL, reference 200 mL for the two ventricles). No preset has one; a scenario adds it.

use ecmova_engine::Pericardium;
use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario, ScenarioError};
use serde_json::Value;

fn summary(extra: &str) -> Value {
    let toml =
        format!("[patient]\npreset = \"healthy-adult\"\n{extra}\n[simulation]\nduration_s = 40\n");
    let built = build(&Scenario::from_toml(&toml).expect("scenario")).expect("model");
    summary_json(&built, &run(&built, RunOptions::default()).expect("run"))
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

const SMITH: &str = "[patient.pericardium]\npressure_scale_mmhg = 0.5\n\
                     stiffness_per_ml = 0.03\nreference_volume_ml = 200\n";

#[test]
fn pressure_law_is_smiths_exponential() {
    let p = Pericardium {
        pressure_scale_mmhg: 0.5,
        stiffness_per_ml: 0.03,
        reference_volume_ml: 200.0,
    };
    assert_eq!(p.pressure_mmhg(150.0), 0.0);
    assert_eq!(p.pressure_mmhg(200.0), 0.0);
    let expected = 0.5 * ((0.03_f64 * 100.0).exp() - 1.0);
    assert!((p.pressure_mmhg(300.0) - expected).abs() < 1e-12);
}

#[test]
fn a_tight_pericardium_raises_both_ventricles_filling_pressures_and_shrinks_them() {
    let free = summary("");
    // A sac with little reserve volume: both ventricles are squeezed.
    let tight = summary(
        "[patient.pericardium]\npressure_scale_mmhg = 0.5\nstiffness_per_ml = 0.03\n\
         reference_volume_ml = 150\n",
    );
    for k in ["lvedv_ml", "rvedv_ml"] {
        println!(
            "{k}: {:.1} free, {:.1} tight",
            num(&free, k),
            num(&tight, k)
        );
        assert!(num(&tight, k) < num(&free, k) - 5.0, "{k}");
    }
    // The systemic veins back up (the right atrial pressure rises) and the output falls.
    println!(
        "CVP {:.2} → {:.2} mmHg; CO {:.2} → {:.2} L/min",
        num(&free, "cvp_mmhg"),
        num(&tight, "cvp_mmhg"),
        num(&free, "cardiac_output_l_min"),
        num(&tight, "cardiac_output_l_min")
    );
    assert!(num(&tight, "cvp_mmhg") > num(&free, "cvp_mmhg"));
    assert!(num(&tight, "cardiac_output_l_min") < num(&free, "cardiac_output_l_min"));
}

/// The healthy adult's end-diastolic pressure-volume relations (transmural), as in
/// `presets.rs`: LV A 0.34 mmHg, B 0.025 /mL, V0 5 mL; RV A 0.25 mmHg, B 0.024 /mL, V0 10 mL.
fn lv_transmural_edp(edv_ml: f64) -> f64 {
    0.34 * ((0.025 * (edv_ml - 5.0)).exp() - 1.0)
}
fn rv_transmural_edp(edv_ml: f64) -> f64 {
    0.25 * ((0.024 * (edv_ml - 10.0)).exp() - 1.0)
}

#[test]
fn both_ventricles_carry_the_same_pericardial_pressure() {
    // What each ventricle's filling pressure holds beyond its own wall's law at end-diastole
    // is the pericardial pressure: none without a sac, and the same for both in it (one sac,
    // one pressure: the coupling of ventricular interdependence).
    let excess = |extra: &str| {
        let s = summary(extra);
        (
            num(&s, "lvedp_mmhg") - lv_transmural_edp(num(&s, "lvedv_ml")),
            num(&s, "rvedp_mmhg") - rv_transmural_edp(num(&s, "rvedv_ml")),
        )
    };
    let (lv_free, rv_free) = excess("");
    let (lv_sac, rv_sac) = excess(SMITH);
    println!(
        "end-diastolic pressure above the wall's own law: free LV {lv_free:.2} RV {rv_free:.2}; \
         in the sac LV {lv_sac:.2} RV {rv_sac:.2} mmHg"
    );
    assert!(lv_free.abs() < 0.3 && rv_free.abs() < 0.3);
    assert!(lv_sac > 1.0 && rv_sac > 1.0);
    assert!((lv_sac - rv_sac).abs() < 0.5);
}

#[test]
fn parameters_are_checked_and_required() {
    let toml = |extra: &str| {
        format!("[patient]\npreset = \"healthy-adult\"\n{extra}\n[simulation]\nduration_s = 1\n")
    };
    let err = build(
        &Scenario::from_toml(&toml("[patient.pericardium]\nstiffness_per_ml = 0.03\n"))
            .expect("scenario"),
    )
    .unwrap_err();
    assert!(matches!(err, ScenarioError::NotApplicable { .. }), "{err}");
    assert!(
        err.to_string().contains("pericardium.pressure_scale_mmhg"),
        "{err}"
    );
    let err = build(
        &Scenario::from_toml(&toml(
            "[patient.pericardium]\npressure_scale_mmhg = 50\nstiffness_per_ml = 0.03\n\
             reference_volume_ml = 200\n",
        ))
        .expect("scenario"),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("pericardium.pressure_scale_mmhg") && msg.contains("50"),
        "{msg}"
    );
}
