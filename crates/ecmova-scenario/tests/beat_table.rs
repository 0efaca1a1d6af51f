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

/// One name per quantity: every mean flow the summary reports (`q_*_ml_s`) is a series column
/// of the same name (the summary's aortic flows once had names of their own:
/// `q_iliac_ml_s` for the series' `q_iliac_arteries_ml_s`).
#[test]
fn the_summary_flows_have_the_series_names() {
    let text = "[patient]\npreset = \"cardiogenic-shock-ami\"\n[ecmo]\nenabled = true\n\
                pump_rpm = 3000\n[simulation]\nduration_s = 2\n";
    let built = build(&Scenario::from_toml(text).expect("parses")).expect("builds");
    let out = run(
        &built,
        RunOptions {
            record_series: true,
            ..Default::default()
        },
    )
    .expect("runs");
    let series = out.series.as_ref().expect("series");
    let summary = serde_json::to_value(&out.summary).expect("json");
    let mut flows = 0;
    let mut walk = vec![&summary];
    while let Some(v) = walk.pop() {
        if let Some(map) = v.as_object() {
            for (k, x) in map {
                if k.starts_with("q_") && k.ends_with("_ml_s") {
                    flows += 1;
                    assert!(
                        series.columns().iter().any(|c| c == k),
                        "summary key {k} is not a series column"
                    );
                }
                walk.push(x);
            }
        } else if let Some(list) = v.as_array() {
            walk.extend(list);
        }
    }
    assert!(flows >= 5, "{flows} flow keys");
}
