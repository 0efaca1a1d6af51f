//! Blood temperature and the circuit's heater-cooler (`set_temperature`) on the one driver.
//!
//! Expectations fixed before the model was run, from the sources in `ecmova_scenario::thermal`:
//! - Normothermic (37 °C) at the start; the set point needs a circuit.
//! - Cooled to 33 °C through a running circuit the blood temperature follows
//!   `33 + 4·e^(−t/τ)` with `τ = m / (ρ·Q·ε)` (body mass from the blood volume at 70 mL/kg,
//!   ρ 1.05 kg/L, ε of the heat exchanger at that flow): within 0.25 °C after one τ, within
//!   0.15 °C of 33 after four.
//! - O2 consumption falls with the Q10 of 2.8: at 33 °C by a third (within 5 points).
//! - Rewarming to 37 °C brings both back.

use ecmova_scenario::thermal::{time_constant_min, vo2_factor, BLOOD_VOLUME_ML_PER_KG};
use ecmova_scenario::wire::Patient;
use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions, Summary};
use serde_json::json;

fn live(preset: &str) -> Simulation {
    let patient: Patient = serde_json::from_value(json!({ "preset": preset })).expect("patient");
    Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
        .expect("simulation")
}

fn act(sim: &mut Simulation, v: serde_json::Value) -> Result<String, String> {
    let a: Action = serde_json::from_value(v).expect("action JSON");
    sim.apply(a).map_err(|e| e.to_string())
}

fn run_for(sim: &mut Simulation, s: f64) -> Summary {
    let t = sim.time_s() + s;
    sim.advance_to(t, &mut ()).expect("advance");
    sim.summary()
}

fn num(s: &Summary, key: &str) -> f64 {
    s.to_json()[key].as_f64().unwrap_or_else(|| panic!("{key}"))
}

#[test]
fn the_heater_needs_a_circuit() {
    // A scenario file without [ecmo] (a live session always has a clamped circuit).
    let scenario = Scenario::from_toml(
        "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 60.0\n",
    )
    .unwrap();
    let mut sim = Simulation::from_scenario(&scenario, SimulationOptions::default()).unwrap();
    let s = run_for(&mut sim, 3.0);
    assert_eq!(s.blood_temperature_c, 37.0);
    let err = act(
        &mut sim,
        json!({"action": "set_temperature", "heater_temperature_c": 33.0}),
    )
    .unwrap_err();
    assert!(err.contains("ecmo"), "{err}");
    // Out of range names the key and the range.
    let mut ecmo = live("cardiogenic-shock-ami");
    let err = act(
        &mut ecmo,
        json!({"action": "set_temperature", "heater_temperature_c": 20.0}),
    )
    .unwrap_err();
    assert!(
        err.contains("heater_temperature_c") && err.contains("30"),
        "{err}"
    );
}

#[test]
fn cooling_follows_the_time_constant_and_lowers_vo2() {
    let mut sim = live("cardiogenic-shock-ami");
    act(&mut sim, json!({"action": "start_ecmo"})).unwrap();
    let s0 = run_for(&mut sim, 60.0);
    assert_eq!(s0.blood_temperature_c, 37.0);
    let vo2_0 = num(&s0, "vo2_ml_min");
    let q = num(&s0, "ecmo_flow_l_min");
    let mass = sim.model().params().initial_blood_volume_ml() / BLOOD_VOLUME_ML_PER_KG;
    let tau_min = time_constant_min(mass, q);
    assert!(tau_min > 10.0 && tau_min < 40.0, "τ {tau_min} min");
    act(
        &mut sim,
        json!({"action": "set_temperature", "heater_temperature_c": 33.0}),
    )
    .unwrap();
    assert_eq!(
        sim.summary().circuit_settings.unwrap().heater_temperature_c,
        33.0
    );
    let s1 = run_for(&mut sim, tau_min * 60.0);
    let expected = 33.0 + 4.0 * (-1.0f64).exp();
    assert!(
        (s1.blood_temperature_c - expected).abs() < 0.25,
        "after τ = {tau_min:.1} min: {} °C, expected {expected:.2}",
        s1.blood_temperature_c
    );
    let s4 = run_for(&mut sim, 3.0 * tau_min * 60.0);
    assert!(
        (s4.blood_temperature_c - 33.0).abs() < 0.15,
        "{}",
        s4.blood_temperature_c
    );
    let ratio = num(&s4, "vo2_ml_min") / vo2_0;
    let expected_ratio = vo2_factor(s4.blood_temperature_c);
    eprintln!(
        "τ {tau_min:.1} min at {q:.2} L/min; after τ {:.2} °C; after 4τ {:.2} °C, VO2 {vo2_0:.0} → {:.0} mL/min (× {ratio:.3}, Q10 gives × {expected_ratio:.3})",
        s1.blood_temperature_c,
        s4.blood_temperature_c,
        num(&s4, "vo2_ml_min")
    );
    assert!(
        (ratio - expected_ratio).abs() < 0.05,
        "VO2 × {ratio}, Q10 gives × {expected_ratio}"
    );
    // Rewarming brings both back.
    act(
        &mut sim,
        json!({"action": "set_temperature", "heater_temperature_c": 37.0}),
    )
    .unwrap();
    let back = run_for(&mut sim, 5.0 * tau_min * 60.0);
    assert!((back.blood_temperature_c - 37.0).abs() < 0.1);
    assert!((num(&back, "vo2_ml_min") / vo2_0 - 1.0).abs() < 0.03);
}
