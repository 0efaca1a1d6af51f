//! The beat-by-beat table (`ecmova simulate --beats`, cohort `beats.parquet`, the trend
//! plots): absent is absent. A patient without a circuit has no circuit columns, one without
//! an Impella no Impella column, rather than a 0 that reads as a measured value (a
//! post-oxygenator pH of 0 for a patient with no oxygenator).

use ecmova_scenario::series::Series;
use ecmova_scenario::{build, run, RunOptions, Scenario};

fn beats_of(toml: &str) -> Series {
    let built = build(&Scenario::from_toml(toml).expect("parses")).expect("builds");
    let out = run(&built, RunOptions::default()).expect("runs");
    let starts: Vec<f64> = out.summary.phases.iter().map(|p| p.start_s).collect();
    Series::beat_table(&out.beats, &starts, Some(out.final_model.params()))
}

const CIRCUIT: [&str; 6] = [
    "ecmo_flow_l_min",
    "pump_rpm",
    "pump_head_mmhg",
    "drainage_pressure_mmhg",
    "post_oxygenator_ph",
    "oxygenator_co2_removal_ml_min",
];
const DEVICES: [&str; 4] = [
    "impella_flow_l_min",
    "lv_vent_flow_l_min",
    "septostomy_flow_l_min",
    "augmented_diastolic_pressure_mmhg",
];

#[test]
fn a_patient_without_a_device_has_no_column_for_it() {
    let plain =
        beats_of("[patient]\npreset = \"cardiogenic-shock-ami\"\n[simulation]\nduration_s = 3\n");
    let names = plain.columns();
    for absent in CIRCUIT.iter().chain(&DEVICES) {
        assert!(!names.iter().any(|n| n == absent), "{absent} in {names:?}");
    }
    for kept in [
        "time_s",
        "map_mmhg",
        "lvedp_mmhg",
        "cardiac_output_l_min",
        "aortic_valve_opened",
    ] {
        assert!(plain.column(kept).is_some(), "{kept}");
    }

    let ecmo = beats_of(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n[ecmo]\nenabled = true\npump_rpm = 3000\n\
         [simulation]\nduration_s = 3\n",
    );
    for kept in CIRCUIT {
        let v = ecmo
            .column(kept)
            .unwrap_or_else(|| panic!("{kept} with a circuit"));
        assert!(v.iter().all(|x| x.is_finite()));
    }
    assert!(ecmo
        .column("ecmo_flow_l_min")
        .unwrap()
        .iter()
        .any(|&q| q > 1.0));
    for absent in DEVICES {
        assert!(ecmo.column(absent).is_none(), "{absent} without the device");
    }
    // Without the patient's model: the whole vocabulary (what a cohort validates names against).
    let all = Series::beat_table(&[], &[0.0], None);
    for name in CIRCUIT.iter().chain(&DEVICES) {
        assert!(all.columns().iter().any(|n| n == name), "{name}");
    }
}
