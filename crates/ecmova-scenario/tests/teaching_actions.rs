//! The live actions a teaching session needs (haemoglobin, cannulation site, circuit
//! emergencies) and the monitor's alarms they raise, on the one driver.
//!
//! Expectations are physical directions fixed before the model was run:
//! - Differential (north-south) hypoxaemia on femoro-femoral VA-ECMO with poor native lungs:
//!   the right hand receives the native, poorly oxygenated output; a central return reaches
//!   the aortic root and the right hand first (Rupprecht L et al., Heart Lung Vessel 2015,
//!   "Cardiac decompression on extracorporeal life support").
//! - An oxygenator failure raises the membrane pressure drop and lowers the post-oxygenator
//!   PO2 (Lubnow M et al., PLoS One 2014).
//! - A stopped centrifugal pump in an unclamped VA circuit lets blood run backwards, arterial
//!   to venous (the pump head falls to zero while the arterial pressure exceeds the venous).
//! - A pulseless rhythm ejects nothing, so a pulse oximeter has no pulse to read.

use ecmova_scenario::wire::Patient;
use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions, Summary};
use serde_json::json;

fn live(preset: &str, overrides: serde_json::Value) -> Simulation {
    let mut patient = overrides.as_object().cloned().unwrap_or_default();
    patient.insert("preset".into(), preset.into());
    let patient: Patient = serde_json::from_value(patient.into()).expect("patient");
    Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
        .expect("simulation")
}

fn act(sim: &mut Simulation, v: serde_json::Value) {
    let a: Action = serde_json::from_value(v.clone()).expect("action JSON");
    sim.apply(a).unwrap_or_else(|e| panic!("{v}: {e}"));
}

fn run_for(sim: &mut Simulation, s: f64) -> Summary {
    let t = sim.time_s() + s;
    sim.advance_to(t, &mut ()).expect("advance");
    sim.summary()
}

fn metric(s: &Summary, key: &str) -> f64 {
    s.to_json()[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key} in the summary"))
}

fn alarm_names(s: &Summary) -> Vec<String> {
    s.alarms.iter().map(|a| a.name.clone()).collect()
}

#[test]
fn differential_hypoxaemia_is_made_and_relieved_live() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(&mut sim, json!({"action": "start_ecmo"}));
    act(
        &mut sim,
        json!({"action": "set_lung_shunt", "lung_shunt_fraction": 0.6}),
    );
    act(&mut sim, json!({"action": "set_fio2", "fio2": 0.21}));
    let fem = run_for(&mut sim, 90.0);
    let gap = metric(&fem, "sao2_femoral_percent") - metric(&fem, "sao2_right_radial_percent");
    assert!(
        gap > 5.0,
        "femoral return with shunted lungs: femoral {} vs right radial {}",
        metric(&fem, "sao2_femoral_percent"),
        metric(&fem, "sao2_right_radial_percent")
    );
    act(
        &mut sim,
        json!({"action": "set_cannulation", "cannulation": "central"}),
    );
    let central = run_for(&mut sim, 60.0);
    assert_eq!(
        central.circuit_settings.as_ref().unwrap().cannulation,
        "central"
    );
    assert!(
        metric(&central, "sao2_right_radial_percent")
            > metric(&fem, "sao2_right_radial_percent") + 3.0,
        "central return oxygenates the right hand: {} -> {}",
        metric(&fem, "sao2_right_radial_percent"),
        metric(&central, "sao2_right_radial_percent")
    );
}

#[test]
fn fio2_raises_the_right_hand_saturation_on_femoral_ecmo() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(&mut sim, json!({"action": "start_ecmo"}));
    act(
        &mut sim,
        json!({"action": "set_lung_shunt", "lung_shunt_fraction": 0.3}),
    );
    act(&mut sim, json!({"action": "set_fio2", "fio2": 0.21}));
    let low = run_for(&mut sim, 60.0);
    act(&mut sim, json!({"action": "set_fio2", "fio2": 1.0}));
    let high = run_for(&mut sim, 60.0);
    assert!(
        metric(&high, "sao2_right_radial_percent")
            > metric(&low, "sao2_right_radial_percent") + 1.0
    );
}

#[test]
fn clamping_a_running_circuit_raises_no_flow_at_zero_flow() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    // A parked circuit that never ran raises nothing.
    let parked = run_for(&mut sim, 10.0);
    assert!(!alarm_names(&parked).contains(&"ecmo_no_flow".to_string()));
    act(&mut sim, json!({"action": "start_ecmo"}));
    run_for(&mut sim, 20.0);
    act(&mut sim, json!({"action": "stop_ecmo"}));
    let s = run_for(&mut sim, 10.0);
    assert_eq!(metric(&s, "ecmo_flow_l_min"), 0.0);
    let names = alarm_names(&s);
    assert!(names.contains(&"ecmo_no_flow".to_string()), "{names:?}");
    assert!(!names.contains(&"low_ecmo_flow".to_string()), "{names:?}");
}

#[test]
fn vf_is_the_first_alarm_and_spo2_is_not_reported() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    let before = run_for(&mut sim, 30.0);
    assert!(
        before.spo2_right_hand_percent.is_some(),
        "a beating heart has a pulse"
    );
    assert!(before.spo2_leg_percent.is_some());
    act(&mut sim, json!({"action": "start_ecmo"}));
    act(&mut sim, json!({"action": "arrest", "rhythm": "vf"}));
    let s = run_for(&mut sim, 20.0);
    assert_eq!(s.alarms[0].name, "ventricular_fibrillation");
    assert_eq!(
        s.alarms[0].severity,
        ecmova_scenario::alarms::Severity::Critical
    );
    assert_eq!(s.spo2_right_hand_percent, None, "no pulse, no SpO2");
    assert!(alarm_names(&s).contains(&"spo2_no_pulse".to_string()));
    // One line per condition.
    let mut names = alarm_names(&s);
    names.sort();
    names.dedup();
    assert_eq!(names.len(), s.alarms.len());
    // Severity order: critical, then warning, then advisory.
    assert!(s.alarms.windows(2).all(|w| w[0].severity <= w[1].severity));
}

#[test]
fn oxygenator_failure_raises_dp_and_lowers_po2_until_repaired() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(&mut sim, json!({"action": "start_ecmo"}));
    let ok = run_for(&mut sim, 30.0);
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "oxygenator_failure"}),
    );
    let bad = run_for(&mut sim, 30.0);
    assert!(metric(&bad, "oxygenator_dp_mmhg") > 2.0 * metric(&ok, "oxygenator_dp_mmhg"));
    assert!(
        metric(&bad, "post_oxygenator_po2_mmhg") < 0.5 * metric(&ok, "post_oxygenator_po2_mmhg")
    );
    assert_eq!(
        bad.circuit_settings.as_ref().unwrap().circuit_failures,
        vec!["oxygenator_failure".to_string()]
    );
    act(&mut sim, json!({"action": "circuit_repair"}));
    let fixed = run_for(&mut sim, 30.0);
    assert!(
        (metric(&fixed, "oxygenator_dp_mmhg") - metric(&ok, "oxygenator_dp_mmhg")).abs()
            < 0.2 * metric(&ok, "oxygenator_dp_mmhg")
    );
    assert!(fixed.circuit_settings.unwrap().circuit_failures.is_empty());
}

#[test]
fn a_stopped_pump_runs_backwards_refuses_rpm_and_restarts_on_repair() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(&mut sim, json!({"action": "start_ecmo"}));
    let ok = run_for(&mut sim, 30.0);
    let rpm = ok.circuit_settings.as_ref().unwrap().pump_rpm_setting;
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "power_loss"}),
    );
    let bad = run_for(&mut sim, 15.0);
    assert!(
        metric(&bad, "ecmo_flow_l_min") < 0.0,
        "retrograde without a clamp"
    );
    assert!(alarm_names(&bad).contains(&"retrograde_circuit_flow".to_string()));
    let refused = sim.apply(Action::SetPumpRpm { rpm: 3000.0 });
    assert!(refused.is_err());
    act(&mut sim, json!({"action": "circuit_repair"}));
    let fixed = run_for(&mut sim, 20.0);
    assert_eq!(
        fixed.circuit_settings.as_ref().unwrap().pump_rpm_setting,
        rpm
    );
    assert!(metric(&fixed, "ecmo_flow_l_min") > 1.0);
}

#[test]
fn drainage_kink_lowers_flow_and_drainage_pressure() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(&mut sim, json!({"action": "start_ecmo"}));
    let ok = run_for(&mut sim, 30.0);
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "drainage_kink"}),
    );
    let bad = run_for(&mut sim, 20.0);
    assert!(metric(&bad, "ecmo_flow_l_min") < metric(&ok, "ecmo_flow_l_min") - 0.5);
    assert!(metric(&bad, "drainage_pressure_mmhg") < metric(&ok, "drainage_pressure_mmhg"));
}

#[test]
fn hemoglobin_changes_the_capacity_at_the_same_saturation() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    let before = run_for(&mut sim, 20.0);
    act(
        &mut sim,
        json!({"action": "set_hemoglobin", "hemoglobin_g_dl": 8.0}),
    );
    let after = run_for(&mut sim, 5.0);
    assert_eq!(after.hemoglobin_g_dl, Some(8.0));
    assert!(
        (metric(&after, "sao2_right_radial_percent")
            - metric(&before, "sao2_right_radial_percent"))
        .abs()
            < 2.0
    );
    assert!(metric(&after, "do2_ml_min") < 0.8 * metric(&before, "do2_ml_min"));
    let out = sim.apply(Action::SetHemoglobin {
        hemoglobin_g_dl: 40.0,
    });
    assert!(out
        .unwrap_err()
        .to_string()
        .contains("hemoglobin_g_dl = 40"));
}

#[test]
fn new_actions_resume_exactly_from_a_snapshot() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(&mut sim, json!({"action": "start_ecmo"}));
    run_for(&mut sim, 5.0);
    act(
        &mut sim,
        json!({"action": "set_cannulation", "cannulation": "femoro-axillary"}),
    );
    act(
        &mut sim,
        json!({"action": "set_hemoglobin", "hemoglobin_g_dl": 10.0}),
    );
    run_for(&mut sim, 5.0);
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "return_occlusion"}),
    );
    let s = run_for(&mut sim, 5.0);
    let restored =
        Simulation::restore(&sim.snapshot(), SimulationOptions::default()).expect("restore");
    assert_eq!(restored.summary(), s);
}
