//! The plausibility guard (issue 13): inputs the fuzzer found giving finite but physically
//! impossible outputs with exit 0 (negative chamber volumes, EF above 100 %, DO2 of 1e22) now
//! stop the run with an error naming the quantity; a normal run never trips it.

use ecmova_scenario::{build, run, RunOptions, Scenario, ScenarioError};

fn outcome(toml: &str) -> Result<serde_json::Value, ScenarioError> {
    let built = build(&Scenario::from_toml(toml).expect("parses")).expect("builds");
    run(&built, RunOptions::default()).map(|o| o.summary.to_json())
}

/// The fuzzer's reproducers (docs/security.md): each either runs to a physically possible
/// summary or stops with an error; never an impossible number.
#[test]
fn fuzzer_reproducers_never_report_impossible_numbers() {
    let cases = [
        "[patient]\npreset = \"drug-intoxication\"\nrhythm = \"asystole\"\n[patient.chamber.rv]\nedpvr_b_per_ml = 0.1\n[simulation]\nduration_s = 4\n",
        "[patient]\npreset = \"drug-intoxication\"\n[patient.chamber.ra]\npassive_elastance_mmhg_per_ml = 10.0\n[simulation]\nduration_s = 4\n",
        "[patient]\npreset = \"septic-cardiomyopathy\"\n[patient.compartment.thoracic_aorta]\nunstressed_volume_ml = 0.84\n[simulation]\nduration_s = 10\n",
        "[patient]\npreset = \"post-cardiotomy\"\n[patient.compartment.femoral_arteries]\nunstressed_volume_ml = 370\n[simulation]\nduration_s = 10\n",
    ];
    for toml in cases {
        match outcome(toml) {
            Err(ScenarioError::Implausible {
                quantity, value, ..
            }) => {
                println!("stopped: {quantity} = {value}");
            }
            Err(ScenarioError::Diverged { time_s }) => println!("diverged at {time_s}"),
            Err(other) => panic!("unexpected error {other}"),
            Ok(s) => {
                let f = |k: &str| s[k].as_f64().unwrap_or(0.0);
                for k in ["lvef_percent", "rvef_percent"] {
                    assert!((0.0..=100.5).contains(&f(k)), "{k} = {} in {toml}", f(k));
                }
                for k in ["lvesv_ml", "rvesv_ml", "lvedv_ml", "rvedv_ml"] {
                    assert!(f(k) >= 0.0, "{k} = {} in {toml}", f(k));
                }
                assert!(
                    f("do2_ml_min") <= 10_000.0,
                    "DO2 {} in {toml}",
                    f("do2_ml_min")
                );
                assert!(f("map_mmhg") <= 1000.0, "MAP {} in {toml}", f("map_mmhg"));
            }
        }
    }
}

/// The error names the quantity and says it is physically impossible.
#[test]
fn the_error_names_the_quantity() {
    let e = ScenarioError::Implausible {
        time_s: 1.5,
        quantity: "volume of rv, mL".into(),
        value: -12.0,
        bound: "a volume cannot be negative".into(),
    }
    .to_string();
    assert!(
        e.contains("volume of rv") && e.contains("-12") && e.contains("impossible"),
        "{e}"
    );
}
