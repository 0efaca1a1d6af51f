//! Single-run research outputs: `--series-interval-s`, case-insensitive output extensions.

use std::path::PathBuf;
use std::process::Command;

const SCENARIO: &str = r#"
[patient]
preset = "cardiogenic-shock-ami"

[simulation]
duration_s = 10
"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecmova-research-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn simulate(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ecmova"))
        .arg("simulate")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn series_interval_flag_sets_the_row_interval() {
    let d = dir("interval");
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let csv = d.join("series.csv");
    let out = simulate(&[
        scenario.as_os_str(),
        "--series".as_ref(),
        csv.as_os_str(),
        "--series-interval-s".as_ref(),
        "0.5".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    // Header + rows at 0, 0.5, ..., 10 s (21), against 2,001 at the default 5 ms.
    let rows = text.lines().count() - 1;
    assert!((21..=22).contains(&rows), "{rows} rows");

    let bad = simulate(&[
        scenario.as_os_str(),
        "--series".as_ref(),
        csv.as_os_str(),
        "--series-interval-s".as_ref(),
        "0".as_ref(),
    ]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("series_interval_s"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn output_and_input_extensions_are_case_insensitive() {
    let d = dir("case");
    let scenario = d.join("S.JSON");
    let json =
        r#"{"patient": {"preset": "cardiogenic-shock-ami"}, "simulation": {"duration_s": 3}}"#;
    std::fs::write(&scenario, json).unwrap();
    let pq = d.join("RUN.PARQUET");
    let out = simulate(&[
        scenario.as_os_str(),
        "--series".as_ref(),
        pq.as_os_str(),
        "--series-interval-s".as_ref(),
        "0.1".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pq).unwrap();
    assert_eq!(&bytes[..4], b"PAR1", "written as Parquet, not CSV");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_dash_reads_the_scenario_from_standard_input() {
    use std::io::Write;
    for text in [
        SCENARIO.to_string(),
        r#"{"patient": {"preset": "cardiogenic-shock-ami"}, "simulation": {"duration_s": 10}}"#
            .to_string(),
        // A UTF-8 byte order mark (Windows editors, PowerShell pipes) does not hide the JSON.
        format!(
            "\u{feff}{}",
            r#"{"patient": {"preset": "cardiogenic-shock-ami"}, "simulation": {"duration_s": 10}}"#
        ),
        format!("\u{feff}{SCENARIO}"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecmova"))
            .args(["simulate", "-", "--summary-json", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["preset"], "cardiogenic-shock-ami");
        assert!(summary["simulated_s"].as_f64().unwrap() >= 10.0 - 1e-6);
    }
}

#[test]
fn a_json_scenario_file_may_start_with_a_byte_order_mark() {
    let d = dir("bom");
    let file = d.join("scenario.json");
    std::fs::write(
        &file,
        "\u{feff}{\"patient\": {\"preset\": \"healthy-adult\"}, \"simulation\": {\"duration_s\": 2}}",
    )
    .unwrap();
    let out = simulate(&[file.as_os_str(), "--summary-json".as_ref(), "-".as_ref()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["preset"], "healthy-adult");
    let _ = std::fs::remove_dir_all(&d);
}

const ECMO_SCENARIO: &str = r#"
[patient]
preset = "cardiogenic-shock-ami"

[ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3000

[[events]]
at_s = 3
action = "set_pump_rpm"
rpm = 3600

[simulation]
duration_s = 6
"#;

/// A CSV written by `ecmova simulate`: header and rows.
fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn series_has_settings_circuit_pressures_rate_rhythm_phase_and_flows_in_l_min() {
    let d = dir("columns");
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, ECMO_SCENARIO).unwrap();
    let csv = d.join("series.csv");
    let out = simulate(&[
        scenario.as_os_str(),
        "--series".as_ref(),
        csv.as_os_str(),
        "--series-interval-s".as_ref(),
        "0.05".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (h, rows) = read_csv(&csv);
    let (t, rpm, phase) = (
        col(&h, "time_s"),
        col(&h, "pump_rpm_setting"),
        col(&h, "phase_index"),
    );
    let (hr, rhythm) = (col(&h, "heart_rate_bpm"), col(&h, "rhythm_code"));
    let (drain, pre, post) = (
        col(&h, "drainage_pressure_mmhg"),
        col(&h, "pre_oxygenator_pressure_mmhg"),
        col(&h, "post_oxygenator_pressure_mmhg"),
    );
    let (av_ml_s, av_l_min) = (
        col(&h, "q_aortic_valve_ml_s"),
        col(&h, "q_aortic_valve_l_min"),
    );
    col(&h, "sweep_l_min");
    col(&h, "fdo2");
    let q_ecmo = col(&h, "ecmo_flow_l_min");
    // One name per quantity: the ECMO flow in L/min is `ecmo_flow_l_min` only.
    assert!(!h.iter().any(|c| c == "q_ecmo_l_min"));
    assert!(rows.iter().filter(|r| r[q_ecmo] > 0.5).count() > rows.len() / 2);
    for r in &rows {
        // The row at the action's instant (within a rounding error of 3 s) may show either
        // side, but its setting and phase agree.
        let before = r[t] < 3.0 - 1e-6 || (r[t] < 3.0 + 1e-6 && r[rpm] == 3000.0);
        assert_eq!(r[rpm], if before { 3000.0 } else { 3600.0 }, "t = {}", r[t]);
        assert_eq!(r[phase], if before { 0.0 } else { 1.0 }, "t = {}", r[t]);
        assert_eq!(r[rhythm], 0.0, "sinus");
        assert!(r[hr] > 30.0 && r[hr] < 200.0, "HR {}", r[hr]);
        assert!((r[av_l_min] - r[av_ml_s] * 0.06).abs() <= 1e-9 * (1.0 + r[av_ml_s].abs()));
        // The pump raises the pressure above the drainage line's; the membrane drops it
        // whenever blood flows through it.
        assert!(r[pre] > r[drain], "t = {}", r[t]);
        assert!(r[pre] >= r[post], "t = {}", r[t]);
        if r[q_ecmo] > 0.5 {
            assert!(r[pre] > r[post], "t = {}", r[t]);
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn beats_flag_writes_one_row_per_beat_as_csv_or_parquet() {
    let d = dir("beats");
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, ECMO_SCENARIO).unwrap();
    let csv = d.join("beats.csv");
    let pq = d.join("Beats.Parquet");
    let summary = d.join("summary.json");
    for path in [&csv, &pq] {
        let out = simulate(&[
            scenario.as_os_str(),
            "--beats".as_ref(),
            path.as_os_str(),
            "--summary-json".as_ref(),
            summary.as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let beats = s["beats_simulated"].as_u64().unwrap() as usize;
    let (h, rows) = read_csv(&csv);
    assert_eq!(rows.len(), beats);
    assert!(beats >= 5, "{beats} beats in 6 s");
    // One name per quantity: the beat's start is `time_s`, not repeated as `start_s`.
    assert!(!h.iter().any(|c| c == "start_s"), "{h:?}");
    let (t, phase, period, rpm, map) = (
        col(&h, "time_s"),
        col(&h, "phase_index"),
        col(&h, "period_s"),
        col(&h, "pump_rpm"),
        col(&h, "map_mmhg"),
    );
    col(&h, "lvedp_mmhg");
    col(&h, "aortic_valve_opened");
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(r[col(&h, "beat_index")], k as f64);
        assert_eq!(r[phase], if r[t] < 3.0 - 1e-6 { 0.0 } else { 1.0 });
        assert!(r[map] > 0.0);
    }
    assert!(rows.iter().any(|r| r[rpm] == 3600.0));
    // Each row starts where the previous beat ended.
    assert!(rows
        .windows(2)
        .all(|w| (w[1][t] - (w[0][t] + w[0][period])).abs() < 1e-6));

    // The Parquet file holds the same table.
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(&pq).unwrap()).unwrap();
    let meta = reader.metadata();
    assert_eq!(meta.file_metadata().num_rows() as usize, beats);
    let names: Vec<String> = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names, h);

    // The same safe-output rules as --series: never over the scenario, never to stdout.
    let bad = simulate(&[
        scenario.as_os_str(),
        "--beats".as_ref(),
        scenario.as_os_str(),
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--beats"));
    assert!(std::fs::read_to_string(&scenario).unwrap() == ECMO_SCENARIO);
    let dash = simulate(&[scenario.as_os_str(), "--beats".as_ref(), "-".as_ref()]);
    assert!(!dash.status.success());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn plot_adds_the_whole_run_trends() {
    let d = dir("trends");
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, ECMO_SCENARIO).unwrap();
    let plots = d.join("plots");
    let out = simulate(&[scenario.as_os_str(), "--plot".as_ref(), plots.as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(plots.join("trends.png").is_file());
    let svg = std::fs::read_to_string(plots.join("trends.svg")).unwrap();
    for label in ["LVEDP", "ECMO circuit", "SaO2, right radial"] {
        assert!(svg.contains(label), "{label} in trends.svg");
    }
    // The scenario's event is marked, with its phase label and time in the legend.
    assert!(
        svg.contains("3 s: ECMO 3600 rpm"),
        "event marker in trends.svg"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn columns_flag_keeps_the_named_series_columns_in_order() {
    let d = dir("columns");
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    for name in ["series.csv", "series.parquet"] {
        let path = d.join(name);
        let out = simulate(&[
            scenario.as_os_str(),
            "--series".as_ref(),
            path.as_os_str(),
            "--series-interval-s".as_ref(),
            "0.5".as_ref(),
            "--columns".as_ref(),
            "heart_rate_bpm,phase_index".as_ref(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let names: Vec<String> = if name.ends_with(".csv") {
            let text = std::fs::read_to_string(&path).unwrap();
            let header = text.lines().next().unwrap().to_string();
            // Every row has as many fields as the header.
            assert!(text.lines().all(|l| l.split(',').count() == 3), "{text}");
            assert!(text.lines().count() > 10);
            header.split(',').map(str::to_string).collect()
        } else {
            use ecmova_report::Columns;
            ecmova_report::read_parquet(&path).unwrap().column_names()
        };
        // time_s first though not asked for, then the asked columns in the asked order.
        assert_eq!(names, ["time_s", "heart_rate_bpm", "phase_index"], "{name}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_unknown_column_is_an_error_naming_it_and_listing_the_valid_ones() {
    let d = dir("bad-column");
    let scenario = d.join("s.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let csv = d.join("series.csv");
    let out = simulate(&[
        scenario.as_os_str(),
        "--series".as_ref(),
        csv.as_os_str(),
        "--columns".as_ref(),
        "heart_rate_bpm,map_in_furlongs".as_ref(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown column \"map_in_furlongs\""), "{err}");
    assert!(
        err.contains("heart_rate_bpm") && err.contains("time_s"),
        "{err}"
    );
    assert!(!csv.exists(), "refused before the run");
    let _ = std::fs::remove_dir_all(&d);
}
