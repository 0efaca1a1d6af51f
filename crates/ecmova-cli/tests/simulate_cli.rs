//! `ecmova simulate` end to end: the real binary on scenario files.
//!
//! The API boundary under test is the command line; one `simulate` helper is the only place
//! that runs it, so the tests below are data: (scenario text, expected outcome).

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecmova-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn simulate(scenario_toml: &str, name: &str, extra: &[&str]) -> Output {
    let path = scratch(&format!("{name}.toml"));
    std::fs::write(&path, scenario_toml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_ecmova"))
        .arg("simulate")
        .arg(&path)
        .args(extra)
        .output()
        .expect("run ecmova")
}

fn scenario(patient_extra: &str, simulation: &str) -> String {
    format!("[patient]\npreset = \"healthy-adult\"\n{patient_extra}\n[simulation]\n{simulation}\n")
}

/// Invalid input exits non-zero, never panics, and names the field, its value and the
/// allowed range.
#[test]
fn invalid_scenarios_are_rejected_with_the_field_named() {
    let cases: &[(&str, String, &[&str])] = &[
        (
            "unknown_preset",
            "[patient]\npreset = \"martian\"\n[simulation]\nduration_s = 1\n".into(),
            &["patient.preset", "martian", "healthy-adult"],
        ),
        (
            "negative_compliance",
            scenario(
                "[patient.compartment.aortic_root]\ncompliance_ml_per_mmhg = -0.5",
                "duration_s = 1",
            ),
            &[
                "patient.compartment.aortic_root.compliance_ml_per_mmhg",
                "-0.5",
                "allowed 0.001 to 1000",
            ],
        ),
        (
            "nan_heart_rate",
            scenario("heart_rate_bpm = nan", "duration_s = 1"),
            &["patient.heart_rate_bpm", "NaN", "allowed 20 to 250"],
        ),
        (
            "heart_rate_zero",
            scenario("heart_rate_bpm = 0", "duration_s = 1"),
            &["patient.heart_rate_bpm", "= 0", "allowed 20 to 250"],
        ),
        (
            "heart_rate_400",
            scenario("heart_rate_bpm = 400", "duration_s = 1"),
            &["patient.heart_rate_bpm", "400", "allowed 20 to 250"],
        ),
        (
            "typo_in_key",
            scenario("heart_rte_bpm = 80", "duration_s = 1"),
            &["unknown field", "heart_rte_bpm", "heart_rate_bpm"],
        ),
        (
            "typo_in_simulation_key",
            scenario("", "duration_s = 1\ndurration_s = 2"),
            &["unknown field", "durration_s"],
        ),
        (
            "negative_duration",
            scenario("", "duration_s = -3"),
            &["simulation.duration_s", "-3", "allowed"],
        ),
        (
            "missing_duration",
            scenario("", ""),
            &["missing field", "duration_s"],
        ),
        (
            "unknown_compartment",
            scenario(
                "[patient.compartment.aorta]\ncompliance_ml_per_mmhg = 1",
                "duration_s = 1",
            ),
            &["patient.compartment.aorta", "aortic_root"],
        ),
        (
            "override_of_wrong_kind",
            scenario(
                "[patient.connection.aortic_valve]\ninertance_mmhg_s2_per_ml = 0.01",
                "duration_s = 1",
            ),
            &[
                "patient.connection.aortic_valve.inertance_mmhg_s2_per_ml",
                "valve",
            ],
        ),
        (
            "step_too_large",
            scenario("", "duration_s = 1\nmax_step_s = 0.5"),
            &["simulation.max_step_s", "0.5", "allowed"],
        ),
        (
            "unknown_cannulation",
            format!(
                "{}[ecmo]\nenabled = true\ncannulation = \"jugular\"\n",
                scenario("", "duration_s = 1")
            ),
            &["ecmo.cannulation", "jugular", "femoro-femoral"],
        ),
        (
            "unknown_pump",
            format!(
                "{}[ecmo]\nenabled = true\npump = \"bladeless\"\n",
                scenario("", "duration_s = 1")
            ),
            &["ecmo.pump", "bladeless", "rotaflow"],
        ),
        (
            "rpm_too_high",
            format!(
                "{}[ecmo]\nenabled = true\npump_rpm = 90000\n",
                scenario("", "duration_s = 1")
            ),
            &["ecmo.pump_rpm", "90000", "allowed 0 to 5000"],
        ),
        (
            "tiny_cannula",
            format!(
                "{}[ecmo]\nenabled = true\nreturn_cannula_fr = 8\n",
                scenario("", "duration_s = 1")
            ),
            &["ecmo.return_cannula_fr", "8", "allowed 13 to 25"],
        ),
        (
            "ecmo_missing_enabled",
            format!("{}[ecmo]\npump_rpm = 3000\n", scenario("", "duration_s = 1")),
            &["missing field", "enabled"],
        ),
        (
            "ecmo_event_without_circuit",
            format!(
                "{}[[events]]\nat_s = 0.5\naction = \"set_pump_rpm\"\nrpm = 3000\n",
                scenario("", "duration_s = 1")
            ),
            &["events[0]", "set_pump_rpm", "[ecmo] enabled = true"],
        ),
        (
            "event_after_the_end",
            format!(
                "{}[[events]]\nat_s = 5\naction = \"set_fio2\"\nfio2 = 0.5\n",
                scenario("", "duration_s = 1")
            ),
            &["events[0]", "at_s must lie within the simulation"],
        ),
        (
            "event_with_bad_value",
            format!(
                "{}[[events]]\nat_s = 0.5\naction = \"set_fio2\"\nfio2 = 3\n",
                scenario("", "duration_s = 1")
            ),
            &["events[0]", "fio2 = 3", "allowed 0.21 to 1"],
        ),
        (
            "unknown_event_action",
            format!(
                "{}[[events]]\nat_s = 0.5\naction = \"levitate\"\n",
                scenario("", "duration_s = 1")
            ),
            &["unknown variant", "levitate", "start_ecmo"],
        ),
        (
            "ecmo_on_the_peer_model",
            "[patient]\npreset = \"regazzoni-2022\"\n[simulation]\nduration_s = 1\n[ecmo]\nenabled = true\n".into(),
            &["regazzoni-2022", "no cannulation sites"],
        ),
        (
            "shunt_out_of_range",
            scenario("lung_shunt_fraction = 1.5", "duration_s = 1"),
            &["patient.lung_shunt_fraction", "1.5", "allowed 0 to 1"],
        ),
        (
            "blood_volume_scale_out_of_range",
            scenario("blood_volume_scale = 0.1", "duration_s = 1"),
            &["patient.blood_volume_scale", "0.1", "allowed 0.5 to 1.5"],
        ),
        (
            "negative_resistance",
            scenario(
                "[patient.connection.coronary_circulation]\nresistance_mmhg_s_per_ml = -2",
                "duration_s = 1",
            ),
            &[
                "patient.connection.coronary_circulation.resistance_mmhg_s_per_ml",
                "-2",
            ],
        ),
    ];
    for (name, text, needles) in cases {
        let out = simulate(text, name, &["--summary-json", "-"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: exit status, stderr: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        assert!(!stderr.contains("panicked"), "{name}: panicked: {stderr}");
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{name}: {needle:?} not in {stderr}"
            );
        }
    }
}

#[test]
fn summary_json_has_the_documented_keys_and_sane_values() {
    let out = simulate(
        &scenario("", "duration_s = 10"),
        "summary",
        &["--summary-json", "-"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for key in [
        "map_mmhg",
        "sbp_mmhg",
        "dbp_mmhg",
        "map_femoral_mmhg",
        "cvp_mmhg",
        "lap_mmhg",
        "lvedv_ml",
        "lvesv_ml",
        "lvef_percent",
        "lvedp_mmhg",
        "cardiac_output_l_min",
        "heart_rate_bpm",
        "aortic_valve_opening_fraction",
        "pa_mean_mmhg",
        "lv_stroke_work_mmhg_ml",
        "cardiac_power_output_w",
    ] {
        let x = v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing or not a number"));
        assert!(x.is_finite(), "{key}");
    }
    assert_eq!(v["preset"], "healthy-adult");
    assert_eq!(v["beats_averaged"], 5);
    // 10 s at 70 bpm: 11 complete beats (11 × 0.857 s = 9.43 s), the 12th is cut short.
    assert_eq!(v["beats_simulated"], 11);
    assert!((v["heart_rate_bpm"].as_f64().unwrap() - 70.0).abs() < 1e-9);
    assert_eq!(v["aortic_valve_opening_fraction"], 1.0);
}

#[test]
fn series_csv_names_units_and_covers_the_duration() {
    let csv = scratch("series.csv");
    let out = simulate(
        &scenario("", "duration_s = 2\nseries_interval_s = 0.01"),
        "series",
        &["--series", csv.to_str().unwrap(), "--summary-json", "-"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "time_s");
    for col in [
        "p_lv_mmhg",
        "v_lv_ml",
        "p_upper_body_arteries_mmhg",
        "p_femoral_arteries_mmhg",
        "q_aortic_valve_ml_s",
        "p_pulmonary_arteries_mmhg",
    ] {
        assert!(header.contains(&col), "{col} in header");
    }
    // pH has no unit: its columns are named `ph_<site>` / `<site>_ph`.
    assert!(header.iter().skip(1).all(|h| {
        h.ends_with("_mmhg")
            || h.ends_with("_ml")
            || h.ends_with("_ml_s")
            || h.ends_with("_ml_min")
            || h.ends_with("_l_min")
            || h.ends_with("_bpm")
            || h.ends_with("_percent")
            || ["rhythm_code", "phase_index"].contains(h)
            || h.starts_with("ph_")
            || h.ends_with("_ph")
    }));
    assert!(header.contains(&"so2_upper_body_arteries_percent"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    // One row at t = 0 and one per 10 ms: 201 rows for 2 s.
    assert_eq!(rows.len(), 201);
    assert!(rows
        .iter()
        .all(|r| r.len() == header.len() && r.iter().all(|x| x.is_finite())));
    assert!((rows.last().unwrap()[0] - 2.0).abs() < 2e-3);
}

#[test]
fn until_steady_stops_at_the_steady_beat_and_full_runs_do_not() {
    let text = scenario("", "duration_s = 120");
    let early = simulate(&text, "steady", &["--until-steady", "--summary-json", "-"]);
    assert!(early.status.success());
    let e: serde_json::Value = serde_json::from_slice(&early.stdout).unwrap();
    assert_eq!(e["stopped_at_steady"], true);
    let steady = e["steady_state_beat"]
        .as_u64()
        .expect("steady beat reported");
    assert_eq!(e["beats_simulated"].as_u64().unwrap(), steady + 1);
    assert!(e["simulated_s"].as_f64().unwrap() < 120.0);

    let full = simulate(&text, "full", &["--summary-json", "-"]);
    let f: serde_json::Value = serde_json::from_slice(&full.stdout).unwrap();
    assert_eq!(f["stopped_at_steady"], false);
    assert_eq!(f["steady_state_beat"].as_u64(), Some(steady));
    assert!((f["simulated_s"].as_f64().unwrap() - 120.0).abs() < 1e-6);
}

#[test]
fn example_scenarios_run() {
    for name in [
        "healthy-adult",
        "regazzoni-2022",
        "cardiogenic-shock-ami",
        "ami-femoral-ecmo",
    ] {
        let path = repo_root().join(format!("examples/{name}.toml"));
        let out = Command::new(env!("CARGO_BIN_EXE_ecmova"))
            .args([
                "simulate",
                path.to_str().unwrap(),
                "--until-steady",
                "--summary-json",
                "-",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A run shorter than one heart period has no beat to average: the human summary says so
/// instead of printing `NaN` as if it were a measurement (found by fuzzing, issue 13).
#[test]
fn a_run_shorter_than_one_beat_prints_no_nan() {
    let out = simulate(&scenario("", "duration_s = 0.2"), "sub_beat", &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("NaN"), "{text}");
    assert!(!text.contains("null"), "{text}");
    assert!(text.contains("no complete heart beat"), "{text}");
}

/// The human summary speaks in clinical words: the mixing zone and the weaning verdict are
/// not the JSON's snake_case enum values, an alarm's `since_s` reads as a time on the run's
/// clock (not "since 1 s", which reads as a duration), and the blood gases per site are
/// there (on femoral VA-ECMO the right radial and femoral PaCO2 differ). Session-7 user
/// review. `ami-weaning-trial` raises the LV distension alarm, has a mixing zone and a
/// weaning verdict.
#[test]
fn human_summary_is_in_clinical_words() {
    let path = repo_root().join("examples/ami-weaning-trial.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_ecmova"))
        .arg("simulate")
        .arg(&path)
        .output()
        .expect("run ecmova");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no '{label}' line in:\n{text}"))
            .to_string()
    };
    let zone = line("mixing zone");
    assert!(!zone.contains('_'), "{zone}");
    let trial = line("weaning trial");
    let verdict = trial.split("verdict: ").nth(1).expect("a verdict");
    assert!(!verdict.contains('_'), "{trial}");
    let alarm = text
        .lines()
        .find(|l| l.contains("lv_distension"))
        .unwrap_or_else(|| panic!("no LV distension alarm in:\n{text}"));
    assert!(alarm.contains("since t = "), "{alarm}");
    let gas = line("blood gas");
    assert!(
        gas.contains("PaCO2 R radial") && gas.contains("femoral") && gas.contains("pH"),
        "{gas}"
    );
    assert!(line("oxygenator").contains("post-oxygenator PO2"), "{text}");
}

/// `--series-interval-s` out of range is named as the flag, not only as the file's key (the
/// error read "in FILE: simulation.series_interval_s = 0 ..." for a file that does not set
/// it), and a negative value reaches the range check instead of clap's "unexpected argument
/// '-1'". Session-7 user review.
#[test]
fn series_interval_flag_errors_name_the_flag_and_the_range() {
    for value in ["0", "-1"] {
        let out = simulate(
            &scenario("", "duration_s = 1"),
            "interval_flag",
            &[
                "--series",
                scratch("interval_flag.csv").to_str().unwrap(),
                "--series-interval-s",
                value,
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{value}: {err}");
        assert!(
            err.contains(&format!("--series-interval-s {value}"))
                && err.contains(&format!(
                    "series_interval_s = {value} is out of range: allowed 0.0001 to 60 s"
                )),
            "{value}: {err}"
        );
    }
}
