//! What a user reads (session-7 user review): range errors write a huge number in exponent
//! form, not spelled out in hundreds of digits, and a unitless range has no trailing space
//! (the field, the value and the allowed range stay named); the summary JSON has no negative
//! zero.

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};

fn error_of(toml: &str) -> String {
    let scenario = Scenario::from_toml(toml).expect("parses");
    build(&scenario).expect_err("out of range").to_string()
}

#[test]
fn a_huge_override_is_written_in_exponent_form() {
    let msg = error_of(
        "[patient]\npreset = \"healthy-adult\"\n[patient.compartment.aortic_root]\n\
         compliance_ml_per_mmhg = 1e300\n[simulation]\nduration_s = 5\n",
    );
    assert!(
        msg.contains("patient.compartment.aortic_root.compliance_ml_per_mmhg = 1e300 is out of range: allowed"),
        "{msg}"
    );
    assert!(msg.len() < 200, "{} characters: {msg}", msg.len());
}

#[test]
fn a_huge_action_value_is_written_in_exponent_form() {
    let msg = error_of(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n[ecmo]\nenabled = true\n\
         [simulation]\nduration_s = 5\n[[events]]\nat_s = 1\naction = \"set_fdo2\"\nfdo2 = -1e200\n",
    );
    assert!(
        msg.ends_with("fdo2 = -1e200 is out of range: allowed 0.21 to 1"),
        "{msg:?}"
    );
}

#[test]
fn a_unitless_range_has_no_trailing_space() {
    let msg = error_of(
        "[patient]\npreset = \"healthy-adult\"\nlung_shunt_fraction = 1.5\n\
         [simulation]\nduration_s = 5\n",
    );
    assert!(
        msg.ends_with("patient.lung_shunt_fraction = 1.5 is out of range: allowed 0 to 1"),
        "{msg:?}"
    );
}

/// A clamped circuit removes no CO2: the summary said `-0.0` (the phase before `start_s` of
/// `examples/ami-femoral-ecmo.toml`), as the CSV did before session 6.
#[test]
fn the_summary_json_has_no_negative_zero() {
    let scenario = Scenario::from_toml(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n[ecmo]\nenabled = true\nstart_s = 3\n\
         [simulation]\nduration_s = 6\n",
    )
    .expect("parses");
    let built = build(&scenario).expect("builds");
    let out = run(&built, RunOptions::default()).expect("runs");
    let json = summary_json(&built, &out);
    let before = &json["phases"][0]["metrics"]["oxygenator_co2_removal_ml_min"];
    assert_eq!(before.as_f64(), Some(0.0), "{before}");
    let text = serde_json::to_string(&json).unwrap();
    assert!(!text.contains("-0.0"), "{text}");
}
