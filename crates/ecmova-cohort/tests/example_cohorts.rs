//! The example cohorts shipped in `examples/` load as written and are documented in
//! docs/cohort-format.md, so a researcher can start from them.

use ecmova_cohort::Cohort;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Issue 15's differential-hypoxaemia question: femoral return, a sampled lung shunt, a sweep
/// over LV recovery, and the saturations at the right radial and femoral arteries kept (the
/// two sites whose difference is the finding).
#[test]
fn the_differential_hypoxaemia_example_cohort_loads() {
    let path = root().join("examples/cohort-differential-hypoxaemia.toml");
    let c = Cohort::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!((c.size, c.points(), c.parameters.len()), (16, 6, 3));
    assert_eq!(c.sweeps.len(), 1);
    assert_eq!(c.sweeps[0].path, "patient.lv_contractility_scale");
    assert!(c
        .parameters
        .iter()
        .any(|p| p.path == "patient.lung_shunt_fraction"));
    for m in [
        "sao2_right_radial_percent",
        "sao2_femoral_percent",
        "cardiac_output_l_min",
    ] {
        assert!(c.metrics.iter().any(|k| k == m), "{m} kept");
    }
    let cannulation = c.base.get("ecmo").and_then(|e| e.get("cannulation"));
    assert_eq!(
        cannulation.and_then(|v| v.as_str()),
        Some("femoro-femoral"),
        "differential hypoxaemia needs femoral return"
    );
}

/// Issue 15's "in which patients does femoral VA-ECMO at 4 L/min stop LV ejection?": the flow
/// held by a one-step weaning trial at 4 L/min that outlasts the run (so `duration` mode), and
/// the ejection metrics beyond the valve column, which counts any forward flow.
#[test]
fn the_lv_ejection_example_cohort_loads() {
    let path = root().join("examples/cohort-lv-ejection-at-4-l-min.toml");
    let c = Cohort::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!((c.size, c.points(), c.parameters.len()), (24, 1, 4));
    assert_eq!(c.mode, ecmova_cohort::spec::Mode::Duration);
    let trial = &c.base["events"][0];
    assert_eq!(trial["action"], "weaning_trial");
    assert_eq!(trial["flows_l_min"][0].as_f64(), Some(4.0));
    let duration_s = c.base["simulation"]["duration_s"].as_f64().unwrap();
    let (at_s, step_s) = (
        trial["at_s"].as_f64().unwrap(),
        trial["step_s"].as_f64().unwrap(),
    );
    assert!(
        at_s + step_s > duration_s,
        "the 4 L/min step lasts the whole run"
    );
    for m in [
        "cardiac_output_l_min",
        "heart_rate_bpm",
        "lv_stroke_volume_ml",
        "lvef_percent",
        "pulse_pressure_aortic_root_mmhg",
        "aortic_valve_opening_fraction",
    ] {
        assert!(c.metrics.iter().any(|k| k == m), "{m} kept");
    }
    assert!(c.beat_metrics.iter().any(|k| k == "lv_stroke_volume_ml"));
}

/// Every `examples/cohort-*.toml` is named in docs/cohort-format.md (a shipped cohort nobody
/// can find is no help).
#[test]
fn every_example_cohort_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/cohort-format.md")).unwrap();
    let mut found = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("cohort-") && name.ends_with(".toml") {
            found += 1;
            assert!(
                doc.contains(&format!("examples/{name}")),
                "examples/{name} is not mentioned in docs/cohort-format.md"
            );
        }
    }
    assert!(found >= 2, "the example cohorts are found ({found})");
}

/// The differential-hypoxaemia example run as shipped (16 patients × 6 recovery levels, ~1 s
/// in release), read as its comments say, answers in physical directions: no patient has it
/// while the LV barely ejects (the circuit's blood reaches the arch), the patients who have it
/// at any level are those with the sicker lungs (larger shunt), and the femoral arteries, fed
/// by the circuit, stay saturated in every run.
#[test]
fn the_differential_hypoxaemia_example_cohort_answers_its_question() {
    let path = root().join("examples/cohort-differential-hypoxaemia.toml");
    let c = Cohort::from_path(&path).unwrap();
    let rows = ecmova_cohort::run_patients(&c, &(0..c.size).collect::<Vec<_>>());
    let metric = |name: &str| c.metrics.iter().position(|m| m == name).unwrap();
    let (radial, femoral) = (
        metric("sao2_right_radial_percent"),
        metric("sao2_femoral_percent"),
    );
    let shunt = c
        .parameters
        .iter()
        .position(|p| p.path == "patient.lung_shunt_fraction")
        .unwrap();
    // The example's operational definition: right radial SaO2 < 90 % and femoral >= 5 higher.
    let has_dh = |r: &ecmova_cohort::Row| match (r.metrics[radial], r.metrics[femoral]) {
        (Some(a), Some(b)) => a < 90.0 && b >= a + 5.0,
        _ => false,
    };
    let lowest = c.sweeps[0].values.first().and_then(|v| v.as_f64()).unwrap();
    let mut with = Vec::new();
    let mut without = Vec::new();
    for r in &rows {
        assert!(r.metrics[femoral].is_some_and(|s| s > 95.0), "{r:?}");
        if r.sweep[0].as_f64() == Some(lowest) {
            assert!(!has_dh(r), "no ejection, no differential hypoxaemia: {r:?}");
        }
    }
    for i in 0..c.size {
        let patient: Vec<_> = rows.iter().filter(|r| r.patient_index == i).collect();
        let s = patient[0].params[shunt].as_f64().unwrap();
        if patient.iter().any(|r| has_dh(r)) {
            with.push(s);
        } else {
            without.push(s);
        }
    }
    assert!(
        !with.is_empty() && !without.is_empty(),
        "{with:?} / {without:?}"
    );
    let max_without = without.iter().cloned().fold(f64::MIN, f64::max);
    let min_with = with.iter().cloned().fold(f64::MAX, f64::min);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        mean(&with) > mean(&without) && min_with > 0.2,
        "shunts with {with:?}, without {without:?} (largest without {max_without})"
    );
}
