//! `set_circuit`: the circuit's hardware (cannula sizes, pump, oxygenator) changed live, with
//! the names and ranges of `[ecmo]` in a scenario file.
//!
//! Expectations are physical directions fixed before the model was run:
//! - A smaller drainage cannula at the same pump speed has a steeper pressure-flow law
//!   (Poiseuille-type: the pressure drop grows with about the fourth power of 1/diameter; Noe
//!   1989 for the femoral cannulae of the model): the flow falls and the pump inlet (drainage)
//!   pressure becomes more negative.
//! - A centrifugal pump's flow at a given speed and head is its own H-Q curve: after a switch
//!   of pump model at the same rpm, the circuit's flow is the new curve's flow at the head the
//!   circuit then has.
//! - An oxygenator's blood-side pressure drop at a flow is its own pressure-flow line.

use ecmova_engine::devices::{CentrifugalPump, Oxygenator, ML_S_PER_L_MIN};
use ecmova_scenario::wire::Patient;
use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions, Summary};
use serde_json::json;

fn live(preset: &str) -> Simulation {
    let patient: Patient = serde_json::from_value(json!({ "preset": preset })).expect("patient");
    Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
        .expect("simulation")
}

fn act(sim: &mut Simulation, v: serde_json::Value) -> Result<(), String> {
    let a: Action = serde_json::from_value(v).map_err(|e| format!("decode: {e}"))?;
    sim.apply(a).map(|_| ()).map_err(|e| e.to_string())
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

fn running(preset: &str) -> (Simulation, Summary) {
    let mut sim = live(preset);
    act(&mut sim, json!({"action": "start_ecmo"})).unwrap();
    let s = run_for(&mut sim, 20.0);
    (sim, s)
}

#[test]
fn a_smaller_drainage_cannula_lowers_flow_and_drainage_pressure() {
    let (mut sim, before) = running("cardiogenic-shock-ami");
    let rpm = before.circuit_settings.as_ref().unwrap().pump_rpm_setting;
    act(
        &mut sim,
        json!({"action": "set_circuit", "drainage_cannula_fr": 17.0}),
    )
    .unwrap();
    let after = run_for(&mut sim, 15.0);
    assert_eq!(
        after.circuit_settings.as_ref().unwrap().pump_rpm_setting,
        rpm,
        "the speed is kept"
    );
    let (q0, q1) = (
        metric(&before, "ecmo_flow_l_min"),
        metric(&after, "ecmo_flow_l_min"),
    );
    let (p0, p1) = (
        metric(&before, "drainage_pressure_mmhg"),
        metric(&after, "drainage_pressure_mmhg"),
    );
    println!("25 -> 17 Fr: flow {q0:.2} -> {q1:.2} L/min, drainage {p0:.1} -> {p1:.1} mmHg");
    // 25 → 17 Fr: the drainage law's coefficient rises (25/17)^4.15 ≈ 5-fold; a fall of at
    // least 5 % of the flow and 5 mmHg of the inlet pressure is a stated, loose margin.
    assert!(q1 < 0.95 * q0, "flow {q0} -> {q1} L/min");
    assert!(p1 < p0 - 5.0, "drainage pressure {p0} -> {p1} mmHg");
}

#[test]
fn switching_pump_keeps_rpm_and_follows_the_new_curve() {
    let (mut sim, before) = running("cardiogenic-shock-ami");
    let rpm = before.circuit_settings.as_ref().unwrap().pump_rpm_setting;
    let q0 = metric(&before, "ecmo_flow_l_min");
    act(
        &mut sim,
        json!({"action": "set_circuit", "pump": "centrimag"}),
    )
    .unwrap();
    let after = run_for(&mut sim, 15.0);
    assert_eq!(
        after.circuit_settings.as_ref().unwrap().pump_rpm_setting,
        rpm,
        "the speed is kept"
    );
    assert_eq!(metric(&after, "pump_rpm"), rpm);
    let q1 = metric(&after, "ecmo_flow_l_min");
    let head = metric(&after, "pump_head_mmhg");
    let on_curve = |p: CentrifugalPump| p.flow_ml_s(rpm, head) / ML_S_PER_L_MIN;
    let centrimag = on_curve(CentrifugalPump::centrimag());
    let rotaflow = on_curve(CentrifugalPump::rotaflow());
    println!(
        "rotaflow -> centrimag at {rpm} rpm: flow {q0:.2} -> {q1:.2} L/min (head {head:.0} mmHg; curves {rotaflow:.2} / {centrimag:.2})"
    );
    // Beat-averaged flow and head of a quadratic curve: 10 % tolerance.
    assert!(
        (q1 - centrimag).abs() < 0.1 * centrimag,
        "flow {q1} L/min at {head} mmHg: the CentriMag curve gives {centrimag}"
    );
    // The two curves differ at this speed and head, so the switch changed the flow.
    assert!(
        (rotaflow - centrimag).abs() > 0.2 * centrimag,
        "the curves must differ for the test to mean anything: {rotaflow} vs {centrimag}"
    );
    assert!(
        (q1 - q0).signum() == (centrimag - rotaflow).signum(),
        "flow {q0} -> {q1} L/min; curves at {head} mmHg: rotaflow {rotaflow}, centrimag {centrimag}"
    );
}

#[test]
fn switching_oxygenator_gives_its_pressure_drop() {
    let (mut sim, _) = running("cardiogenic-shock-ami");
    act(
        &mut sim,
        json!({"action": "set_circuit", "oxygenator": "hls-7"}),
    )
    .unwrap();
    let after = run_for(&mut sim, 10.0);
    let q = metric(&after, "ecmo_flow_l_min") * ML_S_PER_L_MIN;
    let expected = Oxygenator::by_name("hls-7").unwrap().dp_mmhg(q);
    let dp = metric(&after, "oxygenator_dp_mmhg");
    println!("hls-7: dP {dp:.1} mmHg, line {expected:.1} mmHg");
    assert!(
        (dp - expected).abs() < 0.1 * expected.abs() + 1.0,
        "oxygenator dP {dp} mmHg at {q} mL/s; the HLS 7.0 line gives {expected}"
    );
}

#[test]
fn bad_names_and_sizes_are_refused_naming_the_field() {
    let (mut sim, _) = running("cardiogenic-shock-ami");
    let params = sim.model().params().ecmo.clone();
    for (body, field) in [
        (
            json!({"action": "set_circuit", "oxygenator": "bubble-1950"}),
            "oxygenator",
        ),
        (json!({"action": "set_circuit", "pump": "roller"}), "pump"),
        (
            json!({"action": "set_circuit", "drainage_cannula_fr": 40.0}),
            "drainage_cannula_fr",
        ),
        (
            json!({"action": "set_circuit", "return_cannula_fr": 8.0}),
            "return_cannula_fr",
        ),
    ] {
        let err = act(&mut sim, body.clone()).expect_err(&body.to_string());
        assert!(err.starts_with(field), "{body}: {err}");
    }
    let err = act(
        &mut sim,
        json!({"action": "set_circuit", "drainage_cannula_fr": 40.0}),
    )
    .unwrap_err();
    assert!(
        err.contains("40") && err.contains("15") && err.contains("31"),
        "{err}"
    );
    // A speed above the new pump's maximum: the Rotaflow turns to 5000 rpm, the CentriMag to
    // 5500 (manufacturers' specifications).
    act(
        &mut sim,
        json!({"action": "set_circuit", "pump": "centrimag"}),
    )
    .unwrap();
    act(&mut sim, json!({"action": "set_pump_rpm", "rpm": 5200.0})).unwrap();
    let err = act(
        &mut sim,
        json!({"action": "set_circuit", "pump": "rotaflow"}),
    )
    .unwrap_err();
    assert!(
        err.starts_with("pump") && err.contains("5200") && err.contains("5000"),
        "{err}"
    );
    // Refusals change nothing but what was accepted.
    let now = sim.model().params().ecmo.clone().unwrap();
    let was = params.unwrap();
    assert_eq!(now.drainage_cannula, was.drainage_cannula);
    assert_eq!(now.oxygenator, was.oxygenator);
    assert_eq!(now.pump, CentrifugalPump::centrimag());
}

#[test]
fn refused_without_a_circuit_or_during_a_failure() {
    let mut sim = live("regazzoni-2022");
    let err = act(
        &mut sim,
        json!({"action": "set_circuit", "pump": "centrimag"}),
    )
    .unwrap_err();
    assert!(err.contains("ECMO circuit"), "{err}");
    let (mut sim, _) = running("cardiogenic-shock-ami");
    act(
        &mut sim,
        json!({"action": "circuit_failure", "failure": "oxygenator_failure"}),
    )
    .unwrap();
    let err = act(
        &mut sim,
        json!({"action": "set_circuit", "oxygenator": "hls-7"}),
    )
    .unwrap_err();
    assert!(err.contains("circuit_repair"), "{err}");
    let err = act(&mut sim, json!({"action": "set_circuit"})).unwrap_err();
    assert!(err.contains("changes nothing"), "{err}");
}

#[test]
fn set_circuit_resumes_exactly_from_a_snapshot() {
    let (mut sim, _) = running("cardiogenic-shock-ami");
    act(
        &mut sim,
        json!({"action": "set_circuit", "drainage_cannula_fr": 21.0, "return_cannula_fr": 15.0,
               "pump": "centrimag", "oxygenator": "capiox-sx25"}),
    )
    .unwrap();
    run_for(&mut sim, 3.0);
    let snap = sim.snapshot();
    let mut restored = Simulation::restore(&snap, SimulationOptions::default()).unwrap();
    assert_eq!(restored.model().params().ecmo, sim.model().params().ecmo);
    let a = run_for(&mut sim, 3.0).to_json();
    let b = run_for(&mut restored, 3.0).to_json();
    assert_eq!(a, b);
}

#[test]
fn a_speed_is_refused_with_this_pumps_range_whatever_the_side() {
    // The pump's own maximum (Rotaflow 5000, CentriMag 5500 rpm) names the range of every
    // refusal: below it as above it.
    let (mut sim, _) = running("cardiogenic-shock-ami");
    for (pump, max) in [("rotaflow", "5000"), ("centrimag", "5500")] {
        act(&mut sim, json!({"action": "set_pump_rpm", "rpm": 3000.0})).unwrap();
        act(&mut sim, json!({"action": "set_circuit", "pump": pump})).unwrap();
        for rpm in [-5.0, 6000.0] {
            let err = act(&mut sim, json!({"action": "set_pump_rpm", "rpm": rpm})).unwrap_err();
            assert!(
                err.starts_with("rpm") && err.contains(max),
                "{pump} at {rpm}: {err}"
            );
            let other = if max == "5000" { "5500" } else { "5000" };
            assert!(!err.contains(other), "{pump} at {rpm}: {err}");
        }
    }
}
