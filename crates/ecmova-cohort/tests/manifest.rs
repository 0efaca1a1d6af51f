//! The manifest holds what issue 15 lists, as written to `manifest.json` (the file a
//! researcher or a merge reads): version, git revision, cohort-file hash, seed, counts, wall
//! time and the count of every status.

use ecmova_cohort::{run_cohort, Cohort, RunConfig, Shard};
use sha2::{Digest, Sha256};

const COHORT: &str = r#"
[cohort]
name = "manifest-test"
seed = 77
size = 5
chunk_size = 2
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[base.simulation]
duration_s = 2
max_step_s = 0.002

[[parameter]]
path = "patient.svr_scale"
distribution = "uniform"
min = 0.8
max = 1.2

[[sweep]]
path = "patient.heart_rate_bpm"
values = [80, 100]

[output]
metrics = ["map_mmhg"]
"#;

#[test]
fn the_manifest_file_holds_every_field_the_issue_lists() {
    let c = Cohort::from_toml(COHORT, |_| unreachable!()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    run_cohort(
        &c,
        tmp.path(),
        RunConfig {
            shard: Shard::WHOLE,
        },
        &|_, _| {},
    )
    .unwrap();
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["format"], "ecmova-cohort-manifest/1");
    assert_eq!(m["ecmova_version"], env!("CARGO_PKG_VERSION"));
    let rev = m["git_revision"].as_str().unwrap();
    assert!(!rev.is_empty(), "a revision, or `unknown`");
    // The cohort-file hash: SHA-256 of the file's bytes (no base file here).
    let hash = format!("{:x}", Sha256::digest(COHORT.as_bytes()));
    assert_eq!(m["cohort_hash"], hash.as_str());
    assert_eq!(m["cohort_name"], "manifest-test");
    assert_eq!(m["seed"], 77);
    assert_eq!(m["size"], 5);
    assert_eq!(m["points"], 2);
    assert_eq!(m["patients"], 5);
    assert_eq!(m["rows"], 10);
    assert_eq!(m["chunks_computed"], 3, "5 patients in chunks of 2");
    assert_eq!(m["complete"], true);
    let wall = m["wall_time_s"].as_f64().unwrap();
    assert!(wall > 0.0 && wall.is_finite(), "{wall}");
    // Every status is counted, 0 included, and the counts add up to the rows.
    let counts = m["status_counts"].as_object().unwrap();
    let mut names: Vec<&str> = counts.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["diverged", "invalid", "not_steady", "ok"]);
    let total: u64 = counts.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 10);
    // The columns as written to results.parquet, units in the names.
    let columns: Vec<&str> = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        [
            "patient_index",
            "sweep_index",
            "sweep_patient_heart_rate_bpm",
            "param_patient_svr_scale",
            "status",
            "status_detail",
            "simulated_s",
            "steady_state_time_s",
            "map_mmhg",
        ]
    );
}
