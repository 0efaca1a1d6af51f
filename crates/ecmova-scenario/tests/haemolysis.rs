//! Haemolysis on the one driver: plasma free haemoglobin (`plasma_free_hb_mg_dl`).
//!
//! Expectations fixed before the model was run, from the sources in `ecmova_scenario::haemolysis`:
//! - Absent without a running circuit; with one it starts at the steady state of the NIH
//!   definition (Rotaflow NIH 0.021 g/100 L, Sobieski MA et al., Artif Organs 2012, bench
//!   data) with a 12 h half-life (from Neal JR et al., J Extra Corpor Technol 2015), below the
//!   50 mg/dL threshold of significant haemolysis (Omar HR et al., PLoS One 2015).
//! - A pump-head thrombus (`circuit_failure` `pump_thrombosis`) multiplies generation by 10:
//!   pfHb rises at about nine times the baseline generation, passes 50 mg/dL within hours
//!   and raises the `haemolysis` alarm; after `circuit_repair` (pump-head exchange) the
//!   excess over baseline falls with the 12 h half-life.
//! - Suction (the drained vein collapsing) multiplies generation by 4.

use ecmova_scenario::haemolysis::{
    NIH_G_PER_100L, PFHB_HALF_LIFE_H, PFHB_SIGNIFICANT_MG_DL, PUMP_THROMBOSIS_FACTOR,
};
use ecmova_scenario::wire::Patient;
use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions, Summary};
use serde_json::json;

fn live(preset: &str) -> Simulation {
    let patient: Patient = serde_json::from_value(json!({ "preset": preset })).expect("patient");
    Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
        .expect("simulation")
}

fn act(sim: &mut Simulation, v: serde_json::Value) {
    let a: Action = serde_json::from_value(v).expect("action JSON");
    sim.apply(a).expect("action");
}

fn run_for(sim: &mut Simulation, s: f64) -> Summary {
    let t = sim.time_s() + s;
    sim.advance_to(t, &mut ()).expect("advance");
    sim.summary()
}

/// Baseline generation, mg/dL per min, from the summary's flow, Hb and blood volume (the NIH
/// definition: NIH·Q/100 g/min into the plasma volume; Hct = Hb / 33 g/dL).
fn generation(s: &Summary) -> f64 {
    let j = s.to_json();
    let q = j["ecmo_flow_l_min"].as_f64().unwrap();
    let hb = j["hemoglobin_g_dl"].as_f64().unwrap_or(12.0);
    let v = j["blood_volume_ml"].as_f64().unwrap();
    NIH_G_PER_100L * 10.0 * q / (v / 100.0 * (1.0 - hb / 33.0))
}

fn tau_min() -> f64 {
    PFHB_HALF_LIFE_H * 60.0 / std::f64::consts::LN_2
}

#[test]
fn pfhb_is_absent_without_a_circuit_and_settled_with_one() {
    let mut healthy = live("healthy-adult");
    assert_eq!(run_for(&mut healthy, 5.0).plasma_free_hb_mg_dl, None);
    assert!(healthy
        .summary()
        .to_json()
        .get("plasma_free_hb_mg_dl")
        .is_none());

    let mut sim = live("cardiogenic-shock-ami");
    assert_eq!(run_for(&mut sim, 5.0).plasma_free_hb_mg_dl, None);
    act(&mut sim, json!({"action": "start_ecmo"}));
    let s = run_for(&mut sim, 60.0);
    let p = s.plasma_free_hb_mg_dl.expect("pfHb with a running circuit");
    let expected = generation(&s) * tau_min();
    assert!(
        (p / expected - 1.0).abs() < 0.05,
        "pfHb {p} mg/dL, steady state of the NIH definition {expected}"
    );
    eprintln!("baseline pfHb {p:.1} mg/dL (NIH steady state {expected:.1})");
    assert!(p > 5.0 && p < PFHB_SIGNIFICANT_MG_DL, "{p}");
    assert!(!s.alarms.iter().any(|a| a.name == "haemolysis"));
}

#[test]
fn a_pump_thrombus_raises_pfhb_and_the_exchange_lets_it_fall() {
    let mut sim = live("cardiogenic-shock-ami");
    act(&mut sim, json!({"action": "start_ecmo"}));
    let s0 = run_for(&mut sim, 60.0);
    let p0 = s0.plasma_free_hb_mg_dl.unwrap();
    let g = generation(&s0);
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "pump_thrombosis"}),
    );
    // No hydraulic effect.
    let s1 = run_for(&mut sim, 3600.0);
    let q0 = s0.to_json()["ecmo_flow_l_min"].as_f64().unwrap();
    let q1 = s1.to_json()["ecmo_flow_l_min"].as_f64().unwrap();
    assert!((q1 / q0 - 1.0).abs() < 0.05, "flow {q0} → {q1}");
    let p1 = s1.plasma_free_hb_mg_dl.unwrap();
    // One hour at (factor − 1) × baseline generation above the baseline steady state, less
    // the clearance of that excess (≤ 3 % over an hour): within 15 %.
    let rise = (PUMP_THROMBOSIS_FACTOR - 1.0) * g * 60.0;
    assert!(
        ((p1 - p0) / rise - 1.0).abs() < 0.15,
        "rise {} mg/dL in 1 h, expected about {rise}",
        p1 - p0
    );
    // Passes the significant threshold within hours and raises the alarm.
    let mut s = s1;
    for _ in 0..5 {
        if s.plasma_free_hb_mg_dl.unwrap() > PFHB_SIGNIFICANT_MG_DL + 2.0 {
            break;
        }
        s = run_for(&mut sim, 1800.0);
    }
    let peak = s.plasma_free_hb_mg_dl.unwrap();
    assert!(peak > PFHB_SIGNIFICANT_MG_DL, "{peak} mg/dL after hours");
    assert!(
        s.alarms.iter().any(|a| a.name == "haemolysis"),
        "{:?}",
        s.alarms
    );
    // Pump-head exchange: the excess over baseline falls with the 12 h half-life.
    act(&mut sim, json!({"action": "circuit_repair"}));
    let after = run_for(&mut sim, 3600.0);
    let p2 = after.plasma_free_hb_mg_dl.unwrap();
    let baseline = generation(&after) * tau_min();
    let expected = baseline + (peak - baseline) * (-60.0 / tau_min()).exp();
    eprintln!(
        "pump thrombus: baseline {p0:.1} mg/dL, +1 h {p1:.1}, peak {peak:.1} ({} alarm); 1 h after exchange {p2:.1} (expected {expected:.1})",
        s.alarms.iter().filter(|a| a.name == "haemolysis").map(|a| a.message.clone()).collect::<Vec<_>>().join("")
    );
    assert!(p2 < peak, "{peak} → {p2}");
    assert!(
        (p2 - expected).abs() < 0.05 * (peak - baseline),
        "after 1 h: {p2}, expected about {expected}"
    );
}

/// Suction multiplies generation: a hypovolaemic patient (half the preset's volume, the input of
/// `ecmo_acceptance`'s suction test) at 3500 rpm collapses the drained vein; pfHb then rises
/// at about (4 − 1) × the baseline generation of that flow. A patient with its full volume at
/// 3000 rpm stays at its steady state.
#[test]
fn suction_raises_pfhb_and_a_full_vein_does_not() {
    use ecmova_scenario::haemolysis::SUCTION_FACTOR;
    let mut rises = Vec::new();
    for (scale, rpm) in [(0.5, 3500.0), (1.0, 3000.0)] {
        let patient: Patient = serde_json::from_value(json!({
            "preset": "cardiogenic-shock-ami",
            "blood_volume_scale": scale
        }))
        .expect("patient");
        let mut sim =
            Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
                .expect("simulation");
        act(&mut sim, json!({"action": "start_ecmo"}));
        act(&mut sim, json!({"action": "set_pump_rpm", "rpm": rpm}));
        let s0 = run_for(&mut sim, 60.0);
        let suction = s0.alarms.iter().any(|a| a.name == "drainage_suction");
        assert_eq!(suction, scale < 1.0, "{:?}", s0.alarms);
        let p0 = s0.plasma_free_hb_mg_dl.unwrap();
        let s1 = run_for(&mut sim, 1800.0);
        let p1 = s1.plasma_free_hb_mg_dl.unwrap();
        let g = generation(&s1);
        let expected = (SUCTION_FACTOR - 1.0) * g * 30.0;
        eprintln!(
            "volume × {scale}, {rpm} rpm: pfHb {p0:.1} → {p1:.1} mg/dL in 30 min (suction would add {expected:.1})"
        );
        rises.push((p1 - p0, expected));
    }
    let (with, expected) = rises[0];
    assert!(
        with > 0.6 * expected && with < 1.2 * expected,
        "{with} vs {expected}"
    );
    let (without, ref_expected) = rises[1];
    assert!(without.abs() < 0.1 * ref_expected, "{without}");
}

/// Both driver-level states (pfHb and the blood temperature) come back bit-identical from a
/// snapshot (restore replays the run).
#[test]
fn pfhb_and_temperature_survive_a_snapshot() {
    let mut sim = live("cardiogenic-shock-ami");
    act(&mut sim, json!({"action": "start_ecmo"}));
    run_for(&mut sim, 40.0);
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "pump_thrombosis"}),
    );
    act(
        &mut sim,
        json!({"action": "set_temperature", "heater_temperature_c": 34.0}),
    );
    let s = run_for(&mut sim, 120.0);
    let back = Simulation::restore(&sim.snapshot(), SimulationOptions::default()).unwrap();
    let r = back.summary();
    assert_eq!(
        r.plasma_free_hb_mg_dl.map(f64::to_bits),
        s.plasma_free_hb_mg_dl.map(f64::to_bits)
    );
    assert_eq!(
        r.blood_temperature_c.to_bits(),
        s.blood_temperature_c.to_bits()
    );
    assert!(s.blood_temperature_c < 37.0);
}
