//! Duplicate keys in a scenario file are errors naming the key, in JSON as in TOML (issue 13:
//! serde_json kept the last of two equal keys of the override maps, silently).

use ecmova_scenario::{Scenario, ScenarioError};

fn parse_error(r: Result<Scenario, ScenarioError>) -> String {
    match r {
        Err(ScenarioError::Parse(m)) => m,
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn json_scenario_with_a_repeated_override_key_is_refused() {
    // Before the check this parsed, and the second compliance silently replaced the first.
    let text = r#"{"patient": {"preset": "healthy-adult", "compartment": {
        "aortic_root": {"compliance_ml_per_mmhg": 0.2},
        "aortic_root": {"compliance_ml_per_mmhg": 0.3}}},
        "simulation": {"duration_s": 2}}"#;
    let m = parse_error(Scenario::from_json(text));
    assert!(
        m.contains("duplicate key `patient.compartment.aortic_root`"),
        "{m}"
    );
    // The same document without the repeat parses.
    let ok = r#"{"patient": {"preset": "healthy-adult", "compartment": {
        "aortic_root": {"compliance_ml_per_mmhg": 0.3}}}, "simulation": {"duration_s": 2}}"#;
    Scenario::from_json(ok).unwrap();
}

#[test]
fn json_scenario_with_a_repeated_event_key_is_refused() {
    let text = r#"{"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 4},
        "events": [{"at_s": 1, "action": "fluid", "volume_ml": 100, "volume_ml": 200}]}"#;
    let m = parse_error(Scenario::from_json(text));
    assert!(m.contains("`events[0].volume_ml`"), "{m}");
}

#[test]
fn toml_scenario_with_a_repeated_key_is_refused() {
    let text = "[patient]\npreset = \"healthy-adult\"\n[patient.compartment.aortic_root]\n\
                compliance_ml_per_mmhg = 0.2\n[patient.compartment.aortic_root]\n\
                compliance_ml_per_mmhg = 0.3\n[simulation]\nduration_s = 2\n";
    let m = parse_error(Scenario::from_toml(text));
    assert!(m.contains("aortic_root"), "{m}");
    let text = "[patient]\npreset = \"healthy-adult\"\npreset = \"regazzoni-2022\"\n";
    let m = parse_error(Scenario::from_toml(text));
    assert!(m.contains("preset"), "{m}");
}
