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
