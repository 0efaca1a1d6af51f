//! The vascular waterfall (critical closing pressure) of a resistor, set per connection in a
//! scenario: `[patient.connection.<bed>] critical_closing_pressure_mmhg`.
//!
//! Physics checked: with the heart stopped, a bed carries flow only while its inlet pressure is
//! above its closing pressure, so the arterial pressure stops falling near it instead of
//! equilibrating with the veins (Permutt S, Riley RL, J Appl Physiol 1963;18:924; in patients,
//! an arterial critical closing pressure of 45.5 ± 11.1 mmHg, Maas JJ et al., Anesth Analg
//! 2012;114:803). Presets carry no waterfall unless a scenario sets one.

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario, ScenarioError};
use serde_json::Value;

const BEDS: [&str; 3] = [
    "upper_body_microcirculation",
    "splanchnic_microcirculation",
    "lower_body_microcirculation",
];

fn beds_with(pcc: Option<f64>) -> String {
    match pcc {
        None => String::new(),
        Some(p) => BEDS
            .iter()
            .map(|b| format!("[patient.connection.{b}]\ncritical_closing_pressure_mmhg = {p}\n"))
            .collect(),
    }
}

/// Summary of the healthy adult stopped (VF from t = 0) for `seconds`.
fn arrested(pcc: Option<f64>, seconds: f64) -> Value {
    let toml = format!(
        "[patient]\npreset = \"healthy-adult\"\nrhythm = \"vf\"\n{}[simulation]\nduration_s = {seconds}\n",
        beds_with(pcc)
    );
    let built = build(&Scenario::from_toml(&toml).expect("scenario")).expect("model");
    let out = run(&built, RunOptions::default()).expect("run");
    summary_json(&built, &out)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn arterial_pressure_stops_falling_at_the_closing_pressure_in_arrest() {
    let plain = arrested(None, 30.0);
    let waterfall = arrested(Some(45.0), 30.0);
    let (p0, p1) = (num(&plain, "map_mmhg"), num(&waterfall, "map_mmhg"));
    let cvp = num(&waterfall, "cvp_mmhg");
    println!("arterial pressure after 30 s of VF: {p0:.1} without, {p1:.1} with Pcc 45 mmHg; CVP {cvp:.1}");
    // Without a waterfall the arterial and venous pressures equilibrate (mean systemic
    // filling pressure, well below 45).
    assert!(p0 < 20.0, "{p0}");
    // With it, the tissue beds close below 45 mmHg: only the beds without a waterfall
    // (coronary, bronchial) still drain the arteries, so an arterial-venous gradient remains
    // and the arterial pressure stays far above the no-waterfall equilibrium.
    assert!(p1 > p0 + 10.0, "{p1} vs {p0}");
    assert!(p1 < 45.0, "{p1}");
    assert!(p1 - cvp > 10.0, "arterial-venous gradient {}", p1 - cvp);
    let early = arrested(Some(45.0), 13.0);
    println!(
        "at 13 s: {:.1} mmHg (Schipke JD et al. 2003, induced VF in patients: 24.2 ± 5.3)",
        num(&early, "map_mmhg")
    );
}

#[test]
fn a_closing_pressure_below_the_venous_pressure_changes_nothing_that_beats() {
    // With Pcc below every venous pressure the law is the plain resistance: a closing
    // pressure of 0 mmHg leaves the beating healthy adult unchanged to rounding.
    let toml = |extra: &str| {
        format!("[patient]\npreset = \"healthy-adult\"\n{extra}[simulation]\nduration_s = 20\n")
    };
    let s = |t: String| {
        let built = build(&Scenario::from_toml(&t).expect("scenario")).expect("model");
        summary_json(&built, &run(&built, RunOptions::default()).expect("run"))
    };
    let a = s(toml(""));
    let b = s(toml(&beds_with(Some(0.0))));
    for k in ["map_mmhg", "cardiac_output_l_min", "cvp_mmhg"] {
        let (x, y) = (num(&a, k), num(&b, k));
        assert!((x - y).abs() < 1e-9 * x.abs().max(1.0), "{k}: {x} vs {y}");
    }
}

#[test]
fn the_key_is_checked_and_refused_where_it_does_not_apply() {
    let bad = "[patient]\npreset = \"healthy-adult\"\n\
               [patient.connection.upper_body_microcirculation]\n\
               critical_closing_pressure_mmhg = 150\n[simulation]\nduration_s = 1\n";
    let err = build(&Scenario::from_toml(bad).expect("scenario")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("critical_closing_pressure_mmhg") && msg.contains("150"),
        "{msg}"
    );
    let segment = "[patient]\npreset = \"healthy-adult\"\n\
                   [patient.connection.ascending_aorta]\n\
                   critical_closing_pressure_mmhg = 40\n[simulation]\nduration_s = 1\n";
    let err = build(&Scenario::from_toml(segment).expect("scenario")).unwrap_err();
    assert!(matches!(err, ScenarioError::NotApplicable { .. }), "{err}");
}
