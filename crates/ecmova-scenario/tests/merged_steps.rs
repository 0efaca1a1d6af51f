//! Merged steps (`[simulation] max_step_multiple`) through the driver: the key is read, a run
//! with it takes fewer engine steps than without, and a snapshot resumes bit-identically (the
//! merged-step rules keep state of their own: when a valve last reopened).

use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions};
use serde_json::json;

fn scenario(multiple: u32) -> Scenario {
    Scenario::from_toml(&format!(
        r#"
[patient]
preset = "cardiogenic-shock-ami"

[ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3400

[simulation]
duration_s = 60
max_step_s = 0.002
max_step_multiple = {multiple}
"#
    ))
    .expect("scenario")
}

fn steps_after(sim: &mut Simulation, t_s: f64) -> u64 {
    sim.advance_to(t_s, &mut ()).expect("advance");
    sim.state().steps_taken()
}

#[test]
fn the_key_merges_steps_and_a_snapshot_resumes_exactly() {
    let mut fine = Simulation::from_scenario(&scenario(1), SimulationOptions::default()).unwrap();
    let mut merged = Simulation::from_scenario(&scenario(3), SimulationOptions::default()).unwrap();
    let (n_fine, n_merged) = (steps_after(&mut fine, 10.0), steps_after(&mut merged, 10.0));
    assert!(
        (n_merged as f64) < 0.8 * n_fine as f64,
        "{n_merged} merged vs {n_fine} fine steps"
    );
    let a: Action = serde_json::from_value(json!({"action": "set_pump_rpm", "rpm": 3800})).unwrap();
    merged.apply(a).unwrap();
    merged.advance_to(13.0, &mut ()).unwrap();
    let mut restored =
        Simulation::restore(&merged.snapshot(), SimulationOptions::default()).expect("restore");
    assert_eq!(restored.summary(), merged.summary());
    merged.advance_to(16.0, &mut ()).unwrap();
    restored.advance_to(16.0, &mut ()).unwrap();
    assert_eq!(restored.summary(), merged.summary());
    assert_eq!(restored.state().vector(), merged.state().vector());
}

#[test]
fn an_out_of_range_multiple_names_the_key() {
    for bad in [0, 9] {
        let Err(e) = Simulation::from_scenario(&scenario(bad), SimulationOptions::default()) else {
            panic!("max_step_multiple = {bad} accepted");
        };
        let e = e.to_string();
        assert!(e.contains("max_step_multiple"), "{e}");
    }
}
