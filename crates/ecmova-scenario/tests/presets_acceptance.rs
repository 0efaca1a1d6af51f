//! Presets per VA-ECMO indication: each runs from its example file, reaches a periodic steady
//! state, and lands inside the published ranges stated (with sources) in
//! `docs/methodology/presets.md`. The bounds are the published thresholds themselves; the
//! presets were calibrated once by hand to land inside them, and the bounds were never
//! adjusted to the output.

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use serde_json::Value;
use std::path::PathBuf;

/// Body surface area used to index cardiac output, m² (the 70 kg adult of the presets,
/// as in `docs/methodology/cardiovascular.md`).
const BSA_M2: f64 = 1.9;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Runs `examples/<name>.toml` (optionally cut short at `duration_s`) and returns its
/// summary JSON (last 5 beats).
fn run_example(name: &str, duration_s: Option<f64>) -> Value {
    let path = examples_dir().join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut scenario = Scenario::from_toml(&text).expect("valid scenario");
    if let Some(d) = duration_s {
        scenario.simulation.duration_s = d;
    }
    let built = build(&scenario).expect("valid model");
    let out = run(&built, RunOptions::default()).expect("run");
    summary_json(&built, &out)
}

fn num(v: &Value, key: &str) -> f64 {
    match key {
        "cardiac_index_l_min_m2" => num(v, "cardiac_output_l_min") / BSA_M2,
        // SVR in dyn·s/cm⁵: 80·(MAP − CVP)/CO.
        "svr_dyn_s_cm5" => {
            80.0 * (num(v, "map_mmhg") - num(v, "cvp_mmhg")) / num(v, "cardiac_output_l_min")
        }
        "rap_pcwp_ratio" => num(v, "cvp_mmhg") / num(v, "lap_mmhg"),
        _ => v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing or not a number in {v}")),
    }
}

/// A published bound: `(key, lower, upper, source)`; open ends are infinite.
type Bound = (&'static str, f64, f64, &'static str);

const INF: f64 = f64::INFINITY;

/// SCAI stage C ("classic" cardiogenic shock) haemodynamic criteria: SBP < 90 mmHg,
/// CI < 2.2 L/min/m², PCWP > 15 mmHg, CPO ≤ 0.6 W (Baran DA et al., Catheter Cardiovasc
/// Interv 2019;94:29; Naidu SS et al., J Am Coll Cardiol 2022;79:933).
const SCAI_C: [Bound; 4] = [
    ("sbp_mmhg", -INF, 90.0, "SCAI C: SBP < 90"),
    ("cardiac_index_l_min_m2", -INF, 2.2, "SCAI C: CI < 2.2"),
    ("lap_mmhg", 15.0, INF, "SCAI C: PCWP > 15"),
    ("cardiac_power_output_w", -INF, 0.6, "SCAI C: CPO <= 0.6 W"),
];

fn check(name: &str, s: &Value, bounds: &[Bound]) {
    let beat = &s["steady_state_beat"];
    println!(
        "{name}: steady state at beat {beat}, HR {:.0}, {:.0}/{:.0} (MAP {:.0}) mmHg",
        num(s, "heart_rate_bpm"),
        num(s, "sbp_mmhg"),
        num(s, "dbp_mmhg"),
        num(s, "map_mmhg")
    );
    assert!(!beat.is_null(), "{name}: no steady state reached");
    let mut failures = Vec::new();
    for &(key, lo, hi, source) in bounds {
        let v = num(s, key);
        let ok = v > lo && v < hi || (v == lo && lo.is_finite()) || (v == hi && hi.is_finite());
        println!(
            "  {key} = {v:.2} (published {lo}..{hi}: {source}) {}",
            if ok { "ok" } else { "OUT" }
        );
        if !ok {
            failures.push(format!("{key} = {v} outside {lo}..{hi} ({source})"));
        }
    }
    assert!(failures.is_empty(), "{name}: {failures:#?}");
}

#[test]
fn fulminant_myocarditis_is_scai_c_biventricular_shock() {
    let s = run_example("fulminant-myocarditis", None);
    let mut b = SCAI_C.to_vec();
    b.push((
        "lvef_percent",
        -INF,
        40.0,
        "LVEF < 40 % (CardShock, Harjola EJHF 2015)",
    ));
    check("fulminant-myocarditis", &s, &b);
}

#[test]
fn massive_pulmonary_embolism_is_obstructive_rv_failure() {
    let s = run_example("massive-pulmonary-embolism", None);
    check(
        "massive-pulmonary-embolism",
        &s,
        &[
            ("sbp_mmhg", -INF, 90.0, "high-risk PE: SBP < 90 (ESC 2019)"),
            (
                "pa_mean_mmhg",
                18.0,
                40.0,
                "mean PAP above normal (9-18) and <= 40 in a previously normal RV \
                 (McIntyre & Sasahara, Am J Cardiol 1971)",
            ),
            (
                "cvp_mmhg",
                8.0,
                INF,
                "RAP above normal 2-8 (typical 12 in acute massive PE)",
            ),
            ("lap_mmhg", -INF, 12.0, "PCWP not raised (normal 6-12)"),
            (
                "rap_pcwp_ratio",
                0.8,
                INF,
                "RV failure: RAP/PCWP >= 0.8 (SCAI)",
            ),
            ("cardiac_index_l_min_m2", -INF, 2.2, "CI < 2.2 (shock)"),
        ],
    );
}

#[test]
fn post_cardiotomy_is_failure_to_wean_shock() {
    let s = run_example("post-cardiotomy", None);
    let mut b = SCAI_C.to_vec();
    b.push((
        "sbp_mmhg",
        -INF,
        80.0,
        "unsupported SBP <= 80 (failure to wean from CPB)",
    ));
    b.push((
        "cardiac_index_l_min_m2",
        -INF,
        1.8,
        "unsupported CI <= 1.8 (failure to wean from CPB)",
    ));
    check("post-cardiotomy", &s, &b);
}

#[test]
fn chronic_heart_failure_is_dilated_low_output_shock() {
    let s = run_example("chronic-heart-failure", None);
    let mut b = SCAI_C.to_vec();
    b.push((
        "lvef_percent",
        -INF,
        30.0,
        "LVEF <= 30 % (ESCAPE inclusion)",
    ));
    b.push((
        "lvedv_ml",
        218.0,
        INF,
        "dilated LV: LVEDV > normal mean + 2 SD (160 + 2·29 mL, Hudsmith JCMR 2005)",
    ));
    check("chronic-heart-failure", &s, &b);
}

#[test]
fn septic_cardiomyopathy_is_vasoplegia_with_lv_depression() {
    let s = run_example("septic-cardiomyopathy", None);
    check(
        "septic-cardiomyopathy",
        &s,
        &[
            (
                "map_mmhg",
                -INF,
                65.0,
                "septic shock: MAP < 65 untreated (Sepsis-3)",
            ),
            (
                "cardiac_index_l_min_m2",
                -INF,
                3.0,
                "CI <= 3.0 (Brechot, Lancet 2020, inclusion)",
            ),
            (
                "lvef_percent",
                -INF,
                35.0,
                "LVEF <= 35 % (Brechot, Lancet 2020, inclusion)",
            ),
            (
                "svr_dyn_s_cm5",
                -INF,
                800.0,
                "vasoplegia: SVR below the normal 800-1200",
            ),
        ],
    );
}

#[test]
fn drug_intoxication_is_bradycardic_vasodilated_shock() {
    let s = run_example("drug-intoxication", None);
    check(
        "drug-intoxication",
        &s,
        &[
            ("heart_rate_bpm", -INF, 60.0, "bradycardia: HR < 60"),
            ("sbp_mmhg", -INF, 90.0, "hypotension: SBP < 90"),
            ("cardiac_index_l_min_m2", -INF, 2.2, "CI < 2.2 (shock)"),
        ],
    );
}

/// Every example file parses and builds.
#[test]
fn every_example_parses_and_builds() {
    let mut n = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Cohort files (`[cohort]`, docs/cohort-format.md) are checked by the cohort crate's
        // `the_example_cohort_is_valid_and_its_hash_covers_the_base_file`.
        if text.lines().any(|l| l.trim() == "[cohort]") {
            continue;
        }
        let scenario =
            Scenario::from_toml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        build(&scenario).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        n += 1;
    }
    assert!(n >= 10, "only {n} example files");
}

/// Every built-in preset has its example file, `examples/<preset>.toml`, using that preset.
#[test]
fn every_preset_has_an_example() {
    for name in ecmova_engine::presets::NAMES {
        let path = examples_dir().join(format!("{name}.toml"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let scenario = Scenario::from_toml(&text).expect("parses");
        assert_eq!(&scenario.patient.preset, name, "{}", path.display());
    }
}
