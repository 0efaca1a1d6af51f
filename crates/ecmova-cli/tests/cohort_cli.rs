//! `ecmova cohort` in separate processes: 4 shards merged equal 1 process, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

const COHORT: &str = r#"
[cohort]
name = "cli-test"
seed = 9
size = 8
chunk_size = 3
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[base.ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3000

[base.simulation]
duration_s = 3

[[parameter]]
path = "patient.svr_scale"
distribution = "normal"
mean = 1.0
sd = 0.15
lower = 0.6
upper = 1.5

[[sweep]]
path = "ecmo.pump_rpm"
values = [2800, 3600]

[output]
metrics = ["map_mmhg", "ecmo_flow_l_min"]
"#;

fn ecmova() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecmova"));
    for k in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
        "ECMOVA_SHARD_COUNT",
    ] {
        c.env_remove(k);
    }
    c
}

fn ok(c: &mut Command) {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `c`, asserts that it fails, and returns its standard error.
fn fails(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn results(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("results.parquet")).unwrap()
}

#[test]
fn four_shard_processes_merged_equal_one_process_byte_for_byte() {
    let tmp = tempfile_dir("four-shards");
    let file = tmp.join("cohort.toml");
    std::fs::write(&file, COHORT).unwrap();
    let whole = tmp.join("whole");
    ok(ecmova().arg("cohort").arg(&file).arg("--out").arg(&whole));
    // Shards 0 and 1 by --shard, 2 by Slurm's variables, 3 by a Kubernetes Indexed Job's.
    let shards: Vec<PathBuf> = (0..4).map(|k| tmp.join(format!("shard{k}"))).collect();
    let mut children = Vec::new();
    for (k, dir) in shards.iter().enumerate() {
        let mut c = ecmova();
        c.arg("cohort")
            .arg(&file)
            .arg("--out")
            .arg(dir)
            .arg("--threads")
            .arg("1");
        match k {
            0 | 1 => {
                c.arg("--shard").arg(format!("{k}/4"));
            }
            2 => {
                c.env("SLURM_ARRAY_TASK_ID", "2")
                    .env("SLURM_ARRAY_TASK_COUNT", "4");
            }
            _ => {
                c.env("JOB_COMPLETION_INDEX", "3")
                    .env("ECMOVA_SHARD_COUNT", "4");
            }
        }
        c.stderr(std::process::Stdio::null());
        children.push(c.spawn().unwrap());
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    for (k, dir) in shards.iter().enumerate() {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(m["shards"], serde_json::json!([k]));
        assert_eq!(m["shard_count"], 4);
        assert_eq!(m["rows"], 4, "patients k and k+4, two points each");
    }
    let merged = tmp.join("merged");
    ok(ecmova()
        .args(["cohort", "merge"])
        .args(&shards)
        .arg("--out")
        .arg(&merged));
    assert_eq!(results(&whole), results(&merged));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["rows"], 16);
    assert_eq!(m["cohort_name"], "cli-test");
    let revision = m["git_revision"].as_str().unwrap_or_default().to_string();
    assert!(!revision.is_empty());
    // In a git checkout the build names the commit it was built from (never a parent left
    // from an earlier build): HEAD, with `-dirty` when tracked files differed from it.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let (Some(head), None) = (head, option_env!("ECMOVA_GIT_REVISION")) {
        assert_eq!(
            revision.trim_end_matches("-dirty"),
            head,
            "manifest git_revision {revision}"
        );
    }
    assert_eq!(m["cohort_hash"].as_str().map(str::len), Some(64));

    // A missing shard is refused, naming it.
    let err = fails(
        ecmova()
            .args(["cohort", "merge"])
            .args(&shards[1..])
            .arg("--out")
            .arg(tmp.join("incomplete")),
    );
    assert!(err.contains("shard(s) 0 of 4 missing"), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn an_invalid_cohort_fails_before_any_run_naming_the_field() {
    let tmp = tempfile_dir("invalid");
    let file = tmp.join("bad.toml");
    std::fs::write(&file, COHORT.replace("sd = 0.15", "sd = -0.15")).unwrap();
    let out_dir = tmp.join("out");
    let err = fails(ecmova().arg("cohort").arg(&file).arg("--out").arg(&out_dir));
    assert!(
        err.contains("parameter[0].sd: -0.15 is out of range"),
        "{err}"
    );
    assert!(!out_dir.exists(), "nothing ran, nothing written");

    // An --out that is a file is refused naming the flag, for a run and for a merge.
    let good = tmp.join("good.toml");
    std::fs::write(&good, COHORT).unwrap();
    let file_out = tmp.join("a-file");
    std::fs::write(&file_out, "keep me").unwrap();
    for args in [
        vec![good.as_os_str(), "--out".as_ref(), file_out.as_os_str()],
        vec![
            "merge".as_ref(),
            tmp.as_os_str(),
            "--out".as_ref(),
            file_out.as_os_str(),
        ],
    ] {
        let err = fails(ecmova().arg("cohort").args(&args));
        assert!(
            err.contains("--out") && err.contains("is a file, not a directory"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file_out).unwrap(), "keep me");
    let _ = std::fs::remove_dir_all(&tmp);
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecmova-cohort-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn threads_zero_means_one_worker_per_core_with_the_same_rows() {
    let tmp = tempfile_dir("threads-zero");
    let file = tmp.join("cohort.toml");
    // Fewer patients than the byte-for-byte test: this one only needs the flag accepted and
    // the rows unchanged.
    std::fs::write(&file, COHORT.replace("size = 8", "size = 3")).unwrap();
    let (all, one) = (tmp.join("all"), tmp.join("one"));
    for (dir, threads) in [(&all, "0"), (&one, "1")] {
        ok(ecmova()
            .arg("cohort")
            .arg(&file)
            .arg("--out")
            .arg(dir)
            .arg("--threads")
            .arg(threads)
            .stderr(std::process::Stdio::null()));
    }
    assert_eq!(results(&all), results(&one), "--threads 0 vs --threads 1");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn a_file_error_says_its_cause_once() {
    let tmp = tempfile_dir("cause-once");
    // A "shard directory" that is a file, and a cohort whose base file does not exist: the
    // operating system's reason ("... (os error N)") is printed once, not twice.
    std::fs::write(tmp.join("not-a-shard"), "").unwrap();
    let err = fails(
        ecmova()
            .args(["cohort", "merge"])
            .arg(tmp.join("not-a-shard"))
            .arg("--out")
            .arg(tmp.join("merged")),
    );
    assert!(err.contains("not-a-shard"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");

    let file = tmp.join("cohort.toml");
    let text = COHORT.replace(
        "mode = \"duration\"",
        "mode = \"duration\"\nbase_file = \"missing-base.toml\"",
    );
    let start = text.find("[base.patient]").unwrap();
    let end = text.find("[[parameter]]").unwrap();
    std::fs::write(&file, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let err = fails(
        ecmova()
            .arg("cohort")
            .arg(&file)
            .arg("--out")
            .arg(tmp.join("out")),
    );
    assert!(err.contains("missing-base.toml"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn without_a_terminal_progress_is_logged_in_tenths() {
    // A Slurm or Kubernetes log is not a terminal: no progress bar, but a line per tenth of
    // the runs, ending at 100 %, so a long shard's log shows how far it got.
    let tmp = tempfile_dir("progress-log");
    let file = tmp.join("cohort.toml");
    std::fs::write(&file, COHORT).unwrap();
    let out = ecmova()
        .arg("cohort")
        .arg(&file)
        .arg("--out")
        .arg(tmp.join("out"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(" runs (")).collect();
    // 8 patients × 2 points in chunks of 3 patients: 6, 12 and 16 of 16 runs done.
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[2].starts_with("cohort: 16/16 runs (100 %)"), "{err}");
    // A log line before the end says when the shard should end (a progress bar's ETA);
    // the last one has nothing left to estimate.
    for line in &lines[..2] {
        let eta = line
            .split(", ETA ")
            .nth(1)
            .unwrap_or_else(|| panic!("{line}"));
        let s: f64 = eta.trim_end_matches(" s").parse().unwrap();
        assert!(s >= 0.0, "{line}");
    }
    assert!(!lines[2].contains("ETA"), "{err}");
    assert!(!err.contains('\r'), "no terminal redraws in a log: {err:?}");
    let _ = std::fs::remove_dir_all(&tmp);
}
