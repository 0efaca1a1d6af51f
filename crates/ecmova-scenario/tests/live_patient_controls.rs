//! The live SVR and RV-contractility controls (`set_svr`, `set_rv_contractility`).
//!
//! Expectations are physical directions and bounds fixed before the model was run:
//! - Raising the systemic resistance × 1.5 raises the mean arterial pressure, by less than
//!   × 1.5 of the arterial-venous gradient: a time-varying-elastance ventricle ejects less
//!   against a higher afterload (Suga H, Sagawa K, Circ Res 1974), so the flow does not rise.
//! - The live action applies what `[patient] svr_scale` applies at build: once both have
//!   settled, the same scale gives the same mean pressure (the periodic steady state does not
//!   depend on the path to it).
//! - The baroreflex (Ursino M, Am J Physiol 1998) buffers an acute pressure rise: with it on,
//!   the same SVR step raises the pressure less than without it, but still raises it (the
//!   action sets the baseline; the reflex acts on top and does not undo it).
//! - A failing right ventricle (Ees × 0.3) backs blood up into the systemic veins (higher
//!   right atrial pressure) and lowers the cardiac output (Guyton AC, Circ Res 1955; the RV
//!   pressure-overload and failure physiology of Haddad F et al., Circulation 2008).

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

/// MAP before and after `set_svr` 1.5, each after `settle_s`.
fn map_step(preset: &str, overrides: serde_json::Value, settle_s: f64) -> (Summary, Summary) {
    let mut sim = live(preset, overrides);
    let before = run_for(&mut sim, settle_s);
    act(&mut sim, json!({"action": "set_svr", "svr_scale": 1.5}));
    let after = run_for(&mut sim, settle_s);
    (before, after)
}

#[test]
fn svr_times_1_5_raises_map_by_less_than_1_5() {
    for preset in ["healthy-adult", "cardiogenic-shock-ami"] {
        let (before, after) = map_step(preset, json!({}), 60.0);
        let (m0, m1) = (metric(&before, "map_mmhg"), metric(&after, "map_mmhg"));
        let (c0, c1) = (metric(&before, "cvp_mmhg"), metric(&after, "cvp_mmhg"));
        let gradient = (m1 - c1) / (m0 - c0);
        println!("{preset}: MAP {m0:.1} -> {m1:.1} mmHg, gradient × {gradient:.3}");
        assert!(m1 > m0 * 1.05, "{preset}: MAP {m0} -> {m1}");
        assert!(gradient < 1.5, "{preset}: MAP−CVP × {gradient}");
        assert!(
            metric(&after, "cardiac_output_l_min") <= metric(&before, "cardiac_output_l_min"),
            "{preset}: more afterload, no more output"
        );
    }
}

#[test]
fn live_svr_settles_where_the_scenario_key_starts() {
    // The AMI preset's tissue beds are waterfalls (critical closing pressure): both paths
    // scale the resistance and leave the closing pressure.
    let preset = "cardiogenic-shock-ami";
    let mut by_action = live(preset, json!({}));
    act(
        &mut by_action,
        json!({"action": "set_svr", "svr_scale": 1.5}),
    );
    let a = run_for(&mut by_action, 90.0);
    let mut by_key = live(preset, json!({"svr_scale": 1.5}));
    let b = run_for(&mut by_key, 90.0);
    let (ma, mb) = (metric(&a, "map_mmhg"), metric(&b, "map_mmhg"));
    println!("live {ma:.2} vs file {mb:.2} mmHg");
    assert!((ma - mb).abs() < 0.01 * mb, "live {ma} vs file {mb}");
}

#[test]
fn the_baroreflex_buffers_an_svr_step_without_undoing_it() {
    let preset = "healthy-adult";
    let (b0, a0) = map_step(preset, json!({}), 60.0);
    let (b1, a1) = map_step(preset, json!({"baroreflex": true}), 60.0);
    let open = metric(&a0, "map_mmhg") - metric(&b0, "map_mmhg");
    let reflex = metric(&a1, "map_mmhg") - metric(&b1, "map_mmhg");
    println!("MAP rise without reflex {open:.1}, with {reflex:.1} mmHg");
    assert!(reflex > 0.0, "the step still raises MAP: {reflex}");
    assert!(reflex < open, "the reflex buffers it: {reflex} vs {open}");
    assert!(
        metric(&a1, "heart_rate_bpm") < metric(&b1, "heart_rate_bpm"),
        "the reflex slows the heart against the pressure rise"
    );
}

#[test]
fn a_failing_rv_raises_rap_and_lowers_output() {
    let mut sim = live("healthy-adult", json!({}));
    let before = run_for(&mut sim, 30.0);
    act(
        &mut sim,
        json!({"action": "set_rv_contractility", "rv_contractility_scale": 0.3}),
    );
    let weak = run_for(&mut sim, 60.0);
    let (r0, r1) = (metric(&before, "cvp_mmhg"), metric(&weak, "cvp_mmhg"));
    let (q0, q1) = (
        metric(&before, "cardiac_output_l_min"),
        metric(&weak, "cardiac_output_l_min"),
    );
    println!("RAP {r0:.1} -> {r1:.1} mmHg, CO {q0:.2} -> {q1:.2} L/min");
    assert!(r1 > r0 + 1.0, "RAP {r0} -> {r1}");
    assert!(q1 < 0.95 * q0, "CO {q0} -> {q1}");
    // Back to the starting contractility: back to the starting state (the scale is relative
    // to the patient's start, not to the last value).
    act(
        &mut sim,
        json!({"action": "set_rv_contractility", "rv_contractility_scale": 1.0}),
    );
    let back = run_for(&mut sim, 60.0);
    assert!((metric(&back, "cvp_mmhg") - r0).abs() < 0.05 * r0.abs().max(1.0));
}

#[test]
fn svr_and_rv_actions_resume_exactly_from_a_snapshot() {
    let mut sim = live("cardiogenic-shock-ami", json!({}));
    act(
        &mut sim,
        json!({"action": "infusion", "drug": "norepinephrine", "dose_ug_kg_min": 0.1}),
    );
    run_for(&mut sim, 3.0);
    act(&mut sim, json!({"action": "set_svr", "svr_scale": 0.7}));
    act(
        &mut sim,
        json!({"action": "set_rv_contractility", "rv_contractility_scale": 0.5}),
    );
    let s = run_for(&mut sim, 3.0);
    let restored =
        Simulation::restore(&sim.snapshot(), SimulationOptions::default()).expect("restore");
    assert_eq!(restored.summary(), s);
}

#[test]
fn out_of_range_scales_name_the_key_and_the_scenario_range() {
    let mut sim = live("healthy-adult", json!({}));
    for (action, key, bad) in [
        ("set_svr", "svr_scale", 6.0),
        ("set_rv_contractility", "rv_contractility_scale", 0.0),
    ] {
        let a: Action = serde_json::from_value(json!({"action": action, key: bad})).unwrap();
        let e = sim.apply(a).expect_err("out of range").to_string();
        assert!(e.contains(key) && e.contains(&format!("{bad}")), "{e}");
    }
}

/// `examples/ami-rv-failure-vasoplegia.toml`: each phase moves the way its event says (RV
/// failure raises the CVP, vasoplegia lowers the MAP, norepinephrine raises it again).
#[test]
fn the_example_file_plays_rv_failure_and_vasoplegia() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ami-rv-failure-vasoplegia.toml"
    );
    let scenario = Scenario::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sim = Simulation::from_scenario(&scenario, SimulationOptions::default()).unwrap();
    sim.advance_to(240.0, &mut ()).unwrap();
    let s = sim.summary().to_json();
    let phase = |label: &str, key: &str| {
        s["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["label"].as_str().unwrap().starts_with(label))
            .unwrap_or_else(|| panic!("no phase {label}: {}", s["phases"]))["metrics"][key]
            .as_f64()
            .unwrap()
    };
    let ecmo = "baseline";
    let (rv, svr, ne) = ("RV contractility × 0.4", "SVR × 0.6", "norepinephrine 0.1");
    println!(
        "CVP {:.1} -> {:.1}; MAP {:.1} -> {:.1} -> {:.1}",
        phase(ecmo, "cvp_mmhg"),
        phase(rv, "cvp_mmhg"),
        phase(rv, "map_mmhg"),
        phase(svr, "map_mmhg"),
        phase(ne, "map_mmhg")
    );
    assert!(phase(rv, "cvp_mmhg") > phase(ecmo, "cvp_mmhg"));
    assert!(phase(svr, "map_mmhg") < phase(rv, "map_mmhg") - 3.0);
    assert!(phase(ne, "map_mmhg") > phase(svr, "map_mmhg") + 3.0);
}
