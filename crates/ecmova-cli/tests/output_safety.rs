//! The CLI's edges (issues 10 and 13): a closed standard output ends every subcommand quietly,
//! no output may overwrite an input, and duplicate CSV columns are errors.
//!
//! Closed pipe: each test spawns the real binary with its standard output connected to a pipe
//! whose reading end is closed at once (what `| head -1` does once it has its line), then
//! asserts exit code 0 and an empty stderr. Before the fix, `println!` panicked ("failed
//! printing to stdout: Broken pipe", exit 101).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("output_safety")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs ecmova with stdout closed by the reader after at most `read_bytes` bytes; returns
/// (exit code, stderr).
fn with_closed_stdout(args: &[&str], read_bytes: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecmova"))
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ecmova");
    let mut out = child.stdout.take().unwrap();
    if read_bytes > 0 {
        let mut buf = vec![0u8; read_bytes];
        let _ = out.read(&mut buf);
    }
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code(), err)
}

fn assert_quiet(args: &[&str], read_bytes: usize) {
    let (code, err) = with_closed_stdout(args, read_bytes);
    assert!(
        !err.contains("panicked"),
        "{args:?}: panicked on a closed pipe: {err}"
    );
    assert_eq!(code, Some(0), "{args:?}: exit {code:?}, stderr: {err}");
    assert!(!err.contains("error"), "{args:?}: printed an error: {err}");
}

/// A registry CSV large enough that its scored output overflows a pipe buffer (64 KiB).
fn big_registry(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("examples/patients/registry.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let mut out = String::from(header);
    out.push('\n');
    for _ in 0..500 {
        for r in &rows {
            out.push_str(r);
            out.push('\n');
        }
    }
    let p = dir.join("big.csv");
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn simulate_with_closed_stdout_exits_quietly() {
    assert_quiet(&["simulate", "examples/healthy-adult.toml"], 0);
    assert_quiet(
        &[
            "simulate",
            "examples/healthy-adult.toml",
            "--summary-json",
            "-",
        ],
        1,
    );
}

#[test]
fn assess_with_closed_stdout_exits_quietly() {
    let f = "examples/patients/ami_cardiogenic_shock.json";
    assert_quiet(&["assess", f], 0);
    assert_quiet(&["assess", f, "--format", "markdown"], 1);
}

#[test]
fn score_with_closed_stdout_exits_quietly() {
    let f = "examples/patients/ami_cardiogenic_shock.json";
    for kind in ["save", "encourage", "cardshock"] {
        assert_quiet(&["score", kind, f], 0);
    }
    let dir = scratch("score_closed");
    let big = big_registry(&dir);
    let big = big.to_str().unwrap();
    assert_quiet(&["score", "save", "--csv", big], 1);
    assert_quiet(&["assess", "--csv", big], 1);
}

/// Regression (issue 13): `ecmova score save --csv X --out X` truncated a 200,000-row input
/// to 109 rows. It is refused now, with both paths named, and X is left byte-identical.
#[test]
fn score_csv_out_equal_to_input_is_refused_and_input_kept() {
    let dir = scratch("same_in_out");
    let big = big_registry(&dir);
    let before = std::fs::read(&big).unwrap();
    let alias = dir.join("alias.csv");
    std::fs::hard_link(&big, &alias).unwrap();
    let dotted = dir.join(".").join("big.csv");
    for out in [&big, &alias, &dotted] {
        let o = Command::new(env!("CARGO_BIN_EXE_ecmova"))
            .args(["score", "save", "--csv"])
            .arg(&big)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "--out {}: {err}", out.display());
        assert!(err.contains("--out") && err.contains("--csv"), "{err}");
        assert!(err.contains(&out.display().to_string()), "{err}");
        assert!(err.contains(&big.display().to_string()), "{err}");
        assert_eq!(std::fs::read(&big).unwrap(), before, "input changed");
    }
}

#[test]
fn simulate_outputs_may_not_be_the_scenario_or_each_other() {
    let dir = scratch("simulate_paths");
    let scenario = dir.join("s.toml");
    let text = "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 2\n";
    std::fs::write(&scenario, text).unwrap();
    let s = scenario.to_str().unwrap();
    let other = dir.join("out.csv");
    let o = other.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--summary-json", s], "--summary-json"),
        (&["--series", s], "--series"),
        (
            &[
                "--plot",
                dir.to_str().unwrap(),
                "--series",
                o,
                "--summary-json",
                o,
            ],
            "same file",
        ),
        (&["--series", o, "--summary-json", o], "same file"),
    ];
    for (extra, needle) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_ecmova"))
            .arg("simulate")
            .arg(&scenario)
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert_eq!(std::fs::read_to_string(&scenario).unwrap(), text);
        assert!(!other.exists(), "{extra:?}: wrote an output");
    }
    // A plot directory that holds the scenario is fine: plot files have other names.
    let out = Command::new(env!("CARGO_BIN_EXE_ecmova"))
        .arg("simulate")
        .arg(&scenario)
        .args(["--plot", dir.to_str().unwrap(), "--series", o])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&scenario).unwrap(), text);
    // Outputs are complete and no temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("ecmova-tmp") && !n.ends_with(".tmp")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with(".svg")), "{names:?}");
    let series = std::fs::read_to_string(&other).unwrap();
    assert!(series.lines().count() > 100);
}

#[test]
fn duplicate_csv_columns_are_an_error_naming_the_key() {
    let dir = scratch("dup_columns");
    let p = dir.join("dup.csv");
    std::fs::write(&p, "age_years,sex,age_years\n45,female,70\n").unwrap();
    let out_file = dir.join("out.csv");
    for cmd in [&["score", "save"][..], &["assess"][..]] {
        let o = Command::new(env!("CARGO_BIN_EXE_ecmova"))
            .args(cmd)
            .arg("--csv")
            .arg(&p)
            .arg("--out")
            .arg(&out_file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("duplicate column `age_years`"), "{err}");
        assert!(err.contains("columns 1 and 3"), "{err}");
        assert!(!out_file.exists(), "an output was written");
    }
}
