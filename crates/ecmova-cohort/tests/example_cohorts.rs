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
