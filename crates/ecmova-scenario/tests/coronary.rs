//! Coronary flow and myocardial O2 delivery (`coronary_flow_ml_min`, `coronary_do2_ml_min`):
//! the quantities behind issue 15's research question "which ECMO flow maximises coronary O2
//! delivery without distending the LV?". The flow is validation row 20
//! (`docs/methodology/validation.md`, `validation.rs::row20_healthy_coronary_flow_guyton`).

use ecmova_scenario::series::Series;
use ecmova_scenario::{build, run, RunOptions, RunOutput, Scenario};
use serde_json::Value;

fn run_toml(toml: &str) -> RunOutput {
    let built = build(&Scenario::from_toml(toml).expect("parses")).expect("builds");
    run(&built, RunOptions::default()).expect("runs")
}

fn metrics(out: &RunOutput) -> Value {
    serde_json::to_value(out.summary.metrics.as_ref().expect("a beat")).unwrap()
}

fn num(m: &Value, key: &str) -> f64 {
    m[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {m}"))
}

/// The myocardium's O2 delivery is the coronary flow times the arterial O2 content at the
/// coronary ostia (the aortic root): with Hb 14 g/dL, 1.34 mL O2 per g of saturated Hb
/// (dissolved O2 adds ~0.3 mL/dL, ~1.5 %). The coronary flow itself is validation row 20.
#[test]
fn coronary_do2_is_the_coronary_flow_times_the_ostial_content() {
    let out = run_toml("[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 30\n");
    let m = metrics(&out);
    let q = num(&m, "coronary_flow_ml_min");
    let do2 = num(&m, "coronary_do2_ml_min");
    let hb = 14.0;
    let content_ml_per_ml = 1.34 * hb * num(&m, "sao2_coronary_percent") / 100.0 / 100.0;
    let expected = q * content_ml_per_ml;
    assert!(
        (do2 / expected - 1.0).abs() < 0.04,
        "coronary DO2 {do2} mL/min against flow × content {expected}"
    );
    // A share of the tissue beds' DO2, not more than it.
    assert!(do2 < num(&m, "do2_ml_min"));
}

/// Femoral VA-ECMO with failing lungs and an ejecting LV: the coronary ostia receive the
/// LV's poorly oxygenated blood (differential hypoxaemia; the reason ELSO asks for a right
/// radial gas), so the myocardium's O2 delivery falls while the femoral arteries, fed by the
/// circuit, stay saturated. The coronary flow itself follows the aortic pressure.
#[test]
fn failing_lungs_on_femoral_ecmo_starve_the_coronaries_not_the_legs() {
    let scenario = |shunt: f64| {
        format!(
            "[patient]\npreset = \"cardiogenic-shock-ami\"\nlung_shunt_fraction = {shunt}\n\
             [ecmo]\nenabled = true\ncannulation = \"femoro-femoral\"\npump_rpm = 3000\n\
             [simulation]\nduration_s = 120\n"
        )
    };
    let good = metrics(&run_toml(&scenario(0.03)));
    let bad = metrics(&run_toml(&scenario(0.6)));
    // Hypoxaemic at the coronary ostia (SaO2 below 90 %) only with the failing lungs; the
    // legs, fed by the circuit, saturated in both.
    assert!(num(&good, "sao2_coronary_percent") > 95.0);
    assert!(num(&bad, "sao2_coronary_percent") < 90.0);
    for m in [&good, &bad] {
        assert!(num(m, "sao2_femoral_percent") > 95.0);
    }
    // The shunt moves the O2, not the flow: the coronary flow is unchanged, so the coronary
    // O2 delivery falls in proportion to the saturation at the ostia.
    let flow = num(&bad, "coronary_flow_ml_min") / num(&good, "coronary_flow_ml_min");
    assert!((flow - 1.0).abs() < 0.02, "coronary flow ratio {flow}");
    let do2 = num(&bad, "coronary_do2_ml_min") / num(&good, "coronary_do2_ml_min");
    let sat = num(&bad, "sao2_coronary_percent") / num(&good, "sao2_coronary_percent");
    assert!(
        do2 < 0.9 && (do2 / (flow * sat) - 1.0).abs() < 0.03,
        "coronary DO2 ratio {do2}, flow × saturation ratio {}",
        flow * sat
    );
}

/// Absent is absent: the peer model has no coronary bed (and no gases), so neither key is in
/// its summary or its beat table; every adult preset has both.
#[test]
fn a_model_without_a_coronary_bed_has_no_coronary_keys() {
    let out = run_toml("[patient]\npreset = \"regazzoni-2022\"\n[simulation]\nduration_s = 3\n");
    let m = metrics(&out);
    for key in ["coronary_flow_ml_min", "coronary_do2_ml_min"] {
        assert!(m.get(key).is_none(), "{key} in {m}");
    }
    let table = Series::beat_table(&out.beats, &[0.0], Some(out.final_model.params()));
    for key in ["coronary_flow_ml_min", "coronary_do2_ml_min"] {
        assert!(!table.columns().iter().any(|c| c == key), "{key} column");
    }
    let adult = run_toml("[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 3\n");
    let table = Series::beat_table(&adult.beats, &[0.0], Some(adult.final_model.params()));
    for key in ["coronary_flow_ml_min", "coronary_do2_ml_min"] {
        assert!(table.columns().iter().any(|c| c == key), "{key} column");
    }
}
