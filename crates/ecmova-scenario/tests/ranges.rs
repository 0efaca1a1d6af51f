//! Ranges that are true (issue 13): every documented range of every scenario key, at its
//! lower and at its upper bound, one key at a time, on every preset, builds and runs 20 s
//! without divergence or an impossible value. The keys and bounds come from the tables the
//! validator uses (`build::SCENARIO_RANGES` for `[patient]`, `[ecmo]`, `[[devices]]` and
//! `[simulation]`; `action::RANGES` for `[[events]]`), so a range widened there is tested here.
//!
//! A key that does not apply to a preset (gas keys on `regazzoni-2022`, which has no gas model;
//! `[ecmo]` and devices on it, which has no cannulation sites) is refused by the validator with
//! `NotApplicable`/`Invalid` naming the key: that is counted as not applicable, not as a pass.
//! The per-element overrides (`[patient.compartment.*]`, `[patient.chamber.*]`,
//! `[patient.connection.*]`) are structural sanity bounds, not physiological ranges; they are
//! not part of this test (docs/scenario-format.md says so), and the plausibility guard stops a
//! run they drive into impossible values.

use ecmova_engine::presets;
use ecmova_scenario::action::{Range, RANGES};
use ecmova_scenario::build::SCENARIO_RANGES;
use ecmova_scenario::{build, run, RunOptions, Scenario, ScenarioError};

/// Simulated time per case, s.
const DURATION_S: f64 = 20.0;
/// When the event under test is applied, s.
const EVENT_AT_S: f64 = 2.0;

/// The dose ranges of the drugs (`interventions::Drug::profile().max_dose`) and their keys:
/// norepinephrine 1, dobutamine 20, milrinone 0.75, epinephrine 1 µg/kg/min; vasopressin
/// 0.1 U/min.
const DRUGS: [(&str, f64, &str); 5] = [
    ("norepinephrine", 1.0, "dose_ug_kg_min"),
    ("dobutamine", 20.0, "dose_ug_kg_min"),
    ("milrinone", 0.75, "dose_ug_kg_min"),
    ("epinephrine", 1.0, "dose_ug_kg_min"),
    ("vasopressin", 0.1, "dose_u_min"),
];

fn num(key: &str, v: f64) -> String {
    if matches!(key, "performance_level" | "ratio" | "max_step_multiple") {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// The scenario files that put `r` at value `v` on `preset` (one per drug for infusions).
fn scenarios(r: &Range, v: f64, preset: &str) -> Vec<String> {
    let head = format!("[patient]\npreset = \"{preset}\"\n");
    let sim = format!("[simulation]\nduration_s = {DURATION_S:?}\n");
    let key = r.field;
    let val = num(key, v);
    let device_of = |key: &str| match key {
        "performance_level" => "impella",
        "diameter_mm" => "atrial_septostomy",
        "cannula_fr" => "lv_vent",
        _ => "iabp",
    };
    match r.action {
        "patient" => {
            let reflex = if key.starts_with("baroreflex") {
                "baroreflex = true\n"
            } else {
                ""
            };
            vec![format!("{head}{key} = {val}\n{reflex}{sim}")]
        }
        "ecmo" => {
            let pump = if key == "pump_rpm" {
                "pump = \"centrimag\"\n"
            } else {
                ""
            };
            vec![format!(
                "{head}{sim}[ecmo]\nenabled = true\n{pump}{key} = {val}\n"
            )]
        }
        "devices" => {
            let kind = device_of(key);
            let ecmo = if kind == "lv_vent" {
                "[ecmo]\nenabled = true\n"
            } else {
                ""
            };
            vec![format!(
                "{head}{sim}{ecmo}[[devices]]\nkind = \"{kind}\"\n{key} = {val}\n"
            )]
        }
        "simulation" => vec![format!("{head}{sim}{key} = {val}\n")],
        action => {
            let ev = format!("[[events]]\nat_s = {EVENT_AT_S:?}\naction = \"{action}\"\n");
            let ecmo = "[ecmo]\nenabled = true\n";
            match action {
                "set_pump_rpm" => {
                    vec![format!(
                        "{head}{sim}{ecmo}pump = \"centrimag\"\n{ev}{key} = {val}\n"
                    )]
                }
                "set_fdo2" | "set_sweep" | "set_temperature" | "set_circuit" => {
                    vec![format!("{head}{sim}{ecmo}{ev}{key} = {val}\n")]
                }
                "weaning_trial" => {
                    let body = if key == "flows_l_min" {
                        format!("flows_l_min = [{val}]\nstep_s = 5.0\n")
                    } else {
                        format!("flows_l_min = [3.0]\nstep_s = {val}\n")
                    };
                    vec![format!("{head}{sim}{ecmo}{ev}{body}")]
                }
                "infusion" => DRUGS
                    .iter()
                    .filter(|&&(_, _, k)| k == key)
                    .map(|&(drug, max, k)| {
                        let dose = if v > 0.0 { max } else { 0.0 };
                        format!("{head}{sim}{ev}drug = \"{drug}\"\n{k} = {dose:?}\n")
                    })
                    .collect(),
                "set_device" => {
                    let kind = device_of(key);
                    vec![format!(
                        "{head}{sim}[[devices]]\nkind = \"{kind}\"\nactive = false\n{ev}device = \"{kind}\"\nactive = true\n{key} = {val}\n"
                    )]
                }
                _ => vec![format!("{head}{sim}{ev}{key} = {val}\n")],
            }
        }
    }
}

enum Outcome {
    Ran,
    NotApplicable,
    Failed(String),
}

fn outcome(toml: &str) -> Outcome {
    let scenario = match Scenario::from_toml(toml) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(format!("parse: {e}")),
    };
    let built = match build(&scenario) {
        Ok(b) => b,
        Err(ScenarioError::NotApplicable { .. }) => return Outcome::NotApplicable,
        Err(e @ ScenarioError::Invalid { .. }) if e.to_string().contains("preset regazzoni") => {
            return Outcome::NotApplicable
        }
        Err(e @ ScenarioError::Event { .. })
            if e.to_string().contains("no gas-transport model") =>
        {
            return Outcome::NotApplicable
        }
        Err(e) => return Outcome::Failed(format!("build: {e}")),
    };
    match run(&built, RunOptions::default()) {
        Ok(_) => Outcome::Ran,
        Err(e) => Outcome::Failed(format!("run: {e}")),
    }
}

#[test]
fn every_documented_bound_of_every_key_runs_on_every_preset() {
    let mut cases = Vec::new();
    for r in SCENARIO_RANGES.iter().chain(RANGES) {
        for v in [r.min, r.max] {
            for &preset in presets::NAMES {
                for toml in scenarios(r, v, preset) {
                    cases.push((format!("{}.{} = {v} on {preset}", r.action, r.field), toml));
                }
            }
        }
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let chunk = cases.len().div_ceil(threads);
    let results: Vec<(String, String, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(label, toml)| (label.clone(), toml.clone(), outcome(toml)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    let (mut ran, mut na) = (0, 0);
    let mut failures = Vec::new();
    for (label, toml, o) in &results {
        match o {
            Outcome::Ran => ran += 1,
            Outcome::NotApplicable => na += 1,
            Outcome::Failed(e) => failures.push(format!("{label}: {e}\n{toml}")),
        }
    }
    println!(
        "{} cases: {ran} ran, {na} not applicable, {} failed",
        results.len(),
        failures.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} bounds fail", failures.len());
}

/// A live patient control has the range of the scenario key it mirrors (`set_svr` ↔
/// `[patient] svr_scale`, ...): one table row each, equal bounds and unit.
#[test]
fn live_patient_scales_have_the_scenario_keys_ranges() {
    for (action, key) in [
        ("set_lv_contractility", "lv_contractility_scale"),
        ("set_rv_contractility", "rv_contractility_scale"),
        ("set_svr", "svr_scale"),
        ("set_hemoglobin", "hemoglobin_g_dl"),
        ("set_fio2", "fio2"),
        ("set_lung_shunt", "lung_shunt_fraction"),
    ] {
        let live = RANGES
            .iter()
            .find(|r| r.action == action && r.field == key)
            .unwrap_or_else(|| panic!("{action}.{key} not in action::RANGES"));
        let file = SCENARIO_RANGES
            .iter()
            .find(|r| r.action == "patient" && r.field == key)
            .unwrap_or_else(|| panic!("patient.{key} not in SCENARIO_RANGES"));
        assert_eq!(
            (live.min, live.max, live.unit),
            (file.min, file.max, file.unit),
            "{action}.{key}"
        );
    }
}

/// The live circuit's cannula sizes (`set_circuit`) have the ranges of the `[ecmo]` keys they
/// mirror: one table row each, equal bounds and unit.
#[test]
fn live_circuit_sizes_have_the_ecmo_keys_ranges() {
    for key in ["drainage_cannula_fr", "return_cannula_fr"] {
        let live = RANGES
            .iter()
            .find(|r| r.action == "set_circuit" && r.field == key)
            .unwrap_or_else(|| panic!("set_circuit.{key} not in action::RANGES"));
        let file = SCENARIO_RANGES
            .iter()
            .find(|r| r.action == "ecmo" && r.field == key)
            .unwrap_or_else(|| panic!("ecmo.{key} not in SCENARIO_RANGES"));
        assert_eq!(
            (live.min, live.max, live.unit),
            (file.min, file.max, file.unit),
            "set_circuit.{key}"
        );
    }
}
