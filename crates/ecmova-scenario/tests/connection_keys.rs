//! A `[patient.connection.NAME]` key that the connection's kind does not take is refused with
//! a message naming the key and the keys that kind does take (a valve has an open resistance,
//! not a resistance), so the user knows what to write instead.

use ecmova_scenario::{build, Scenario};

fn refusal(connection: &str, key: &str) -> String {
    let text = format!(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n\n[patient.connection.{connection}]\n{key} = 0.01\n\n[simulation]\nduration_s = 1\n"
    );
    let scenario = Scenario::from_toml(&text).unwrap();
    match build(&scenario) {
        Ok(_) => panic!("{connection}.{key} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_key_of_another_connection_kind_names_the_keys_that_apply() {
    let e = refusal("aortic_valve", "resistance_mmhg_s_per_ml");
    assert!(
        e.contains("connection.aortic_valve.resistance_mmhg_s_per_ml")
            && e.contains("open_resistance_mmhg_s_per_ml")
            && e.contains("regurgitant_conductance_ml_per_s_mmhg"),
        "{e}"
    );
    let e = refusal("ascending_aorta", "open_resistance_mmhg_s_per_ml");
    assert!(
        e.contains("vessel segment")
            && e.contains("resistance_mmhg_s_per_ml, inertance_mmhg_s2_per_ml"),
        "{e}"
    );
    let e = refusal("coronary_circulation", "inertance_mmhg_s2_per_ml");
    assert!(
        e.contains("resistor") && e.contains("critical_closing_pressure_mmhg"),
        "{e}"
    );
    // The keys named are the ones that do apply: each builds.
    for (connection, key) in [
        ("aortic_valve", "open_resistance_mmhg_s_per_ml"),
        ("ascending_aorta", "inertance_mmhg_s2_per_ml"),
        ("coronary_circulation", "resistance_mmhg_s_per_ml"),
    ] {
        let text = format!(
            "[patient]\npreset = \"cardiogenic-shock-ami\"\n\n[patient.connection.{connection}]\n{key} = 0.01\n\n[simulation]\nduration_s = 1\n"
        );
        build(&Scenario::from_toml(&text).unwrap())
            .unwrap_or_else(|e| panic!("{connection}.{key}: {e}"));
    }
}
