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
