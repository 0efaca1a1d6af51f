//! Cohort behaviour end to end on small, short cohorts (release: well under a minute).

use ecmova_cohort::sample::{normal_quantile, sample_patient};
use ecmova_cohort::store::RESULTS_FILE;
use ecmova_cohort::{merge, run_cohort, Cohort, CohortError, RunConfig, Shard, Status};
use std::path::{Path, PathBuf};

/// A small cohort: 6 AMI-shock patients on femoral VA-ECMO, 2 pump speeds, 4 s each.
const SMALL: &str = r#"
[cohort]
name = "test"
seed = 42
size = 6
chunk_size = 2
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[base.ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3000
sweep_l_min = 3.0

[base.simulation]
duration_s = 4

[[parameter]]
path = "patient.lv_contractility_scale"
distribution = "lognormal"
median = 1.0
sigma_log = 0.2
lower = 0.5
upper = 2.0

[[parameter]]
path = "patient.hemoglobin_g_dl"
distribution = "discrete"
values = [8.0, 10.0, 12.0]
weights = [1, 2, 1]

[[sweep]]
path = "ecmo.pump_rpm"
values = [2500, 3500]

[output]
metrics = ["map_mmhg", "ecmo_flow_l_min", "lvedp_mmhg", "sao2_right_radial_percent"]
"#;

fn cohort(text: &str) -> Result<Cohort, CohortError> {
    Cohort::from_toml(text, |_| unreachable!("no base file"))
}

fn run(c: &Cohort, dir: &Path, shard: Shard, threads: usize) -> ecmova_cohort::Manifest {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| run_cohort(c, dir, RunConfig { shard }, &|_, _| {}))
        .unwrap()
}

fn bytes(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join(RESULTS_FILE)).unwrap()
}

fn err_text(text: &str) -> String {
    cohort(text).unwrap_err().to_string()
}

#[test]
fn thread_count_does_not_change_results() {
    let c = cohort(SMALL).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let m1 = run(&c, &one, Shard::WHOLE, 1);
    let m2 = run(&c, &two, Shard::WHOLE, 2);
    assert_eq!(m1.rows, 12);
    assert_eq!(m1.status_counts, m2.status_counts);
    assert_eq!(bytes(&one), bytes(&two));
}

#[test]
fn three_shards_merged_are_byte_identical_to_one_process() {
    let c = cohort(SMALL).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    run(&c, &whole, Shard::WHOLE, 2);
    let shards: Vec<PathBuf> = (0..3).map(|k| tmp.path().join(format!("s{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        let m = run(&c, dir, Shard::new(k as u64, 3).unwrap(), 1);
        assert_eq!(m.rows, 4, "shard {k}: patients k and k+3, two points each");
    }
    let merged = tmp.path().join("merged");
    let m = merge(&shards, &merged).unwrap();
    assert_eq!((m.rows, m.shards.clone()), (12, vec![0, 1, 2]));
    assert_eq!(bytes(&whole), bytes(&merged));

    // A missing shard, a shard given twice, a shard of another cohort: refused.
    let e = merge(&shards[..2], &tmp.path().join("x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("shard(s) 2 of 3 missing"), "{e}");
    // A shard directory without a manifest (still running, stopped, or a typo) says so.
    let running = tmp.path().join("running");
    std::fs::create_dir_all(running.join("chunks")).unwrap();
    let e = merge(&[shards[0].clone(), running], &tmp.path().join("w"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not a finished cohort run"), "{e}");
    let twice = vec![shards[0].clone(), shards[1].clone(), shards[1].clone()];
    let e = merge(&twice, &tmp.path().join("y"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("shard 1/3 is given twice"), "{e}");
    let other = cohort(&SMALL.replace("seed = 42", "seed = 43")).unwrap();
    let odir = tmp.path().join("other2");
    run(&other, &odir, Shard::new(2, 3).unwrap(), 1);
    let mixed = vec![shards[0].clone(), shards[1].clone(), odir];
    let e = merge(&mixed, &tmp.path().join("z"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("cohort_hash"), "{e}");
    assert!(e.contains("different cohort files"), "{e}");
    // Running another cohort into the merged directory (no chunk files there) is refused:
    // its results and manifest stay.
    let merged_bytes = bytes(&merged);
    let e = run_cohort(
        &other,
        &merged,
        RunConfig {
            shard: Shard::WHOLE,
        },
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("holds the results of cohort test"), "{e}");
    assert!(bytes(&merged) == merged_bytes);

    // A shard run by another build (another git revision, same version) is refused.
    let rebuilt = tmp.path().join("rebuilt");
    copy_dir(&shards[2], &rebuilt);
    let manifest = rebuilt.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["git_revision"] = "0123456789abcdef0123456789abcdef01234567".into();
    std::fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let e = merge(
        &[shards[0].clone(), shards[1].clone(), rebuilt],
        &tmp.path().join("v"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("git_revision") && e.contains("different builds"),
        "{e}"
    );

    // `out` naming one of the shard directories (here through another spelling of the same
    // path) is refused before anything is written: that shard keeps its own manifest and
    // results, and a later merge of the same shards still works.
    let before = (
        bytes(&shards[1]),
        std::fs::read(shards[1].join("manifest.json")).unwrap(),
    );
    let same_dir = tmp.path().join("s0").join("..").join("s1");
    let e = merge(&shards, &same_dir).unwrap_err().to_string();
    assert!(
        e.starts_with("out: ") && e.contains("refusing to overwrite an input"),
        "{e}"
    );
    let after = (
        bytes(&shards[1]),
        std::fs::read(shards[1].join("manifest.json")).unwrap(),
    );
    assert!(before == after, "the shard directory was overwritten");
    merge(&shards, &tmp.path().join("merged-again")).unwrap();

    // A rerun (resume) by another build does not mix its rows with the chunks of the build
    // that wrote them: the chunk file records its build and the rerun is refused.
    let chunk = shards[0].join("chunks").join("chunk-00000000.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chunk).unwrap()).unwrap();
    assert_eq!(
        v["git_revision"].as_str(),
        Some(ecmova_cohort::store::GIT_REVISION)
    );
    v["git_revision"] = "another-build".into();
    std::fs::write(&chunk, serde_json::to_vec(&v).unwrap()).unwrap();
    let e = run_cohort(
        &c,
        &shards[0],
        RunConfig {
            shard: Shard::new(0, 3).unwrap(),
        },
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("was computed by build another-build"), "{e}");
}

#[test]
fn an_interrupted_run_resumes_without_recomputing_finished_chunks() {
    let c = cohort(SMALL).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let first = run(&c, &dir, Shard::WHOLE, 2);
    assert_eq!(first.chunks_computed, 3);
    let before = bytes(&dir);
    // As if the run had stopped before chunk 1 was written.
    std::fs::remove_file(dir.join("chunks/chunk-00000001.json")).unwrap();
    std::fs::remove_file(dir.join(RESULTS_FILE)).unwrap();
    let again = run(&c, &dir, Shard::WHOLE, 2);
    assert_eq!(again.chunks_computed, 1);
    assert_eq!(before, bytes(&dir));
    // Another cohort's run into the same directory is refused, naming the chunk file.
    let other = cohort(&SMALL.replace("seed = 42", "seed = 7")).unwrap();
    let e = run_cohort(
        &other,
        &dir,
        RunConfig {
            shard: Shard::WHOLE,
        },
        &|_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("chunk-00000000.json") && e.contains("another --out"),
        "{e}"
    );
}

#[test]
fn parquet_reads_back_in_a_standard_reader_with_units_in_column_names() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let c = cohort(SMALL).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    run(&c, tmp.path(), Shard::WHOLE, 2);
    let reader =
        SerializedFileReader::new(std::fs::File::open(tmp.path().join(RESULTS_FILE)).unwrap())
            .unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = (0..schema.num_columns())
        .map(|j| schema.column(j).name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "patient_index",
            "sweep_index",
            "sweep_ecmo_pump_rpm",
            "param_patient_lv_contractility_scale",
            "param_patient_hemoglobin_g_dl",
            "status",
            "status_detail",
            "simulated_s",
            "steady_state_time_s",
            "map_mmhg",
            "ecmo_flow_l_min",
            "lvedp_mmhg",
            "sao2_right_radial_percent",
        ]
    );
    let rows: Vec<_> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 12);
    for (n, row) in rows.iter().enumerate() {
        let cols: Vec<(&String, &Field)> = row.get_column_iter().collect();
        assert_eq!(cols[0].1, &Field::Long((n / 2) as i64));
        assert_eq!(cols[1].1, &Field::Long((n % 2) as i64));
        assert_eq!(
            cols[2].1,
            &Field::Double(if n % 2 == 0 { 2500.0 } else { 3500.0 })
        );
        let Field::Str(status) = cols[5].1 else {
            panic!("status is text")
        };
        assert!(["ok", "not_steady"].contains(&status.as_str()), "{status}");
        let Field::Double(map) = cols[9].1 else {
            panic!("map_mmhg present: {:?}", cols[9])
        };
        assert!(*map > 20.0 && *map < 200.0, "{map}");
        let Field::Double(flow) = cols[10].1 else {
            panic!("ecmo flow present")
        };
        assert!(*flow > 0.5, "{flow}");
    }
    // Faster pump, more circuit flow, for every patient.
    for p in 0..6 {
        let flow = |r: &parquet::record::Row| match r.get_column_iter().nth(10).unwrap().1 {
            Field::Double(x) => *x,
            _ => panic!(),
        };
        assert!(flow(&rows[2 * p + 1]) > flow(&rows[2 * p]));
    }
}

#[test]
fn an_invalid_distribution_fails_before_any_run_naming_the_field() {
    let negative_sd = SMALL.replace(
        "distribution = \"lognormal\"\nmedian = 1.0\nsigma_log = 0.2\nlower = 0.5\nupper = 2.0",
        "distribution = \"normal\"\nmean = 1.0\nsd = -0.2",
    );
    let e = err_text(&negative_sd);
    assert!(
        e.starts_with("parameter[0].sd: -0.2") && e.contains("> 0"),
        "{e}"
    );

    let unknown = SMALL.replace("patient.lv_contractility_scale", "patient.lv_contractility");
    let e = err_text(&unknown);
    assert!(
        e.starts_with("parameter[0].path") && e.contains("lv_contractility"),
        "{e}"
    );

    // Heart rate is a positive quantity: a truncation bound below zero is refused by the
    // scenario's own range check, and the message names the bound.
    let below_zero = SMALL.replace(
        "[[sweep]]",
        "[[parameter]]\npath = \"patient.heart_rate_bpm\"\ndistribution = \"normal\"\nmean = 90.0\nsd = 15.0\nlower = -10.0\n\n[[sweep]]",
    );
    let e = err_text(&below_zero);
    assert!(
        e.starts_with("parameter[2].lower: -10 is not a value patient.heart_rate_bpm can take"),
        "{e}"
    );

    // A uniform whose lower end is below zero: the message names `min` and its value, not
    // the midpoint (here 2.5 g/dL, also refused) that the user never wrote. Haemoglobin's
    // allowed range is the scenario's (3 to 25 g/dL).
    let uniform_below_zero = SMALL.replace(
        "distribution = \"discrete\"\nvalues = [8.0, 10.0, 12.0]\nweights = [1, 2, 1]",
        "distribution = \"uniform\"\nmin = -8.0\nmax = 13.0",
    );
    let e = err_text(&uniform_below_zero);
    assert!(
        e.starts_with("parameter[1].min: -8 is not a value patient.hemoglobin_g_dl can take")
            && e.contains("allowed"),
        "{e}"
    );
    // A mean outside the quantity's range, with no bounds: the message names `mean`.
    let mean_out = SMALL.replace(
        "[[sweep]]",
        "[[parameter]]\npath = \"patient.heart_rate_bpm\"\ndistribution = \"normal\"\nmean = -90.0\nsd = 15.0\n\n[[sweep]]",
    );
    let e = err_text(&mean_out);
    assert!(
        e.starts_with("parameter[2].mean: -90 is not a value patient.heart_rate_bpm can take")
            && e.contains("allowed"),
        "{e}"
    );

    // A size within 1 to 100,000,000 whose rows (size × sweep points) are over the limit:
    // the message says how many patients this sweep allows.
    let e = err_text(&SMALL.replace("size = 6", "size = 100000000"));
    assert!(
        e.starts_with("cohort.size: 100000000 patients × 2 sweep points")
            && e.contains("allowed 1 to 50000000 patients"),
        "{e}"
    );

    let e = err_text(&SMALL.replace("\"lognormal\"", "\"gamma\""));
    assert!(
        e.starts_with("parameter[0].distribution") && e.contains("normal, lognormal"),
        "{e}"
    );
    let e = err_text(&SMALL.replace("\"map_mmhg\"", "\"map\""));
    assert!(e.starts_with("output.metrics[0]"), "{e}");
    let e = err_text(&SMALL.replace("values = [2500, 3500]", "values = [2500, 99999]"));
    assert!(e.starts_with("sweep[0].values[1]"), "{e}");
}

#[test]
fn a_patient_whose_sampled_parameters_are_invalid_is_recorded_with_its_status() {
    // An untruncated normal that reaches heart rates no scenario accepts for some patients.
    let wide = SMALL.replace(
        "[[sweep]]",
        "[[parameter]]\npath = \"patient.heart_rate_bpm\"\ndistribution = \"normal\"\nmean = 30.0\nsd = 60.0\n\n[[sweep]]",
    );
    let c = cohort(&wide).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let m = run(&c, tmp.path(), Shard::WHOLE, 2);
    assert_eq!(m.rows, 12, "no row dropped");
    let rows = ecmova_cohort::run_patients(&c, &(0..6).collect::<Vec<_>>());
    let invalid: Vec<_> = rows
        .iter()
        .filter(|r| r.status == Status::Invalid)
        .collect();
    assert!(
        !invalid.is_empty(),
        "some sampled heart rates are out of range"
    );
    assert_eq!(m.status_counts["invalid"], invalid.len() as u64);
    for r in invalid {
        assert!(
            r.status_detail
                .as_deref()
                .unwrap()
                .contains("patient.heart_rate_bpm"),
            "{:?}",
            r.status_detail
        );
        assert!(r.metrics.iter().all(Option::is_none));
    }
}

#[test]
fn parameters_depend_on_seed_and_index_only_and_respect_bounds_and_correlations() {
    let text = r#"
[cohort]
name = "sampling"
seed = 1
size = 4000

[base.patient]
preset = "cardiogenic-shock-ami"
[base.simulation]
duration_s = 1

[[parameter]]
path = "patient.svr_scale"
distribution = "normal"
mean = 1.0
sd = 0.3
lower = 0.8
upper = 1.3

[[parameter]]
path = "patient.lv_contractility_scale"
distribution = "lognormal"
median = 1.0
sigma_log = 0.3

[[correlation]]
between = ["patient.svr_scale", "patient.lv_contractility_scale"]
rho = 0.8
source = "test value, no clinical meaning"
"#;
    let c = cohort(text).unwrap();
    let draws: Vec<(f64, f64)> = (0..4000)
        .map(|i| {
            let v = sample_patient(&c, i);
            (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
        })
        .collect();
    // Patient 17 alone, or after others: the same values.
    assert_eq!(sample_patient(&c, 17), sample_patient(&c, 17));
    assert_eq!(draws[17].0, sample_patient(&c, 17)[0].as_f64().unwrap());
    assert!(draws.iter().all(|(s, _)| (0.8..=1.3).contains(s)));
    assert!(draws.iter().all(|(_, l)| *l > 0.0));
    // Median of the log-normal near 1.
    let mut l: Vec<f64> = draws.iter().map(|d| d.1).collect();
    l.sort_by(f64::total_cmp);
    assert!((l[2000] - 1.0).abs() < 0.05, "{}", l[2000]);
    // Rank correlation well above 0 with rho = 0.8; about 0 without the correlation.
    let spearman = |d: &[(f64, f64)]| {
        let rank = |v: Vec<f64>| {
            let mut idx: Vec<usize> = (0..v.len()).collect();
            idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
            let mut r = vec![0.0; v.len()];
            for (k, &i) in idx.iter().enumerate() {
                r[i] = k as f64;
            }
            r
        };
        let a = rank(d.iter().map(|x| x.0).collect());
        let b = rank(d.iter().map(|x| x.1).collect());
        let n = a.len() as f64;
        let m = (n - 1.0) / 2.0;
        let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - m) * (y - m)).sum();
        let var: f64 = a.iter().map(|x| (x - m) * (x - m)).sum();
        cov / var
    };
    assert!(spearman(&draws) > 0.6, "{}", spearman(&draws));
    let plain = cohort(&text.replace("rho = 0.8", "rho = 0.0")).unwrap();
    let d0: Vec<(f64, f64)> = (0..4000)
        .map(|i| {
            let v = sample_patient(&plain, i);
            (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
        })
        .collect();
    assert!(spearman(&d0).abs() < 0.06, "{}", spearman(&d0));
    // Another seed, other patients.
    let other = cohort(&text.replace("seed = 1", "seed = 2")).unwrap();
    assert_ne!(sample_patient(&other, 17), sample_patient(&c, 17));
    assert!((normal_quantile(0.841_344_746_068_543) - 1.0).abs() < 1e-12);
}

#[test]
fn shards_come_from_the_scheduler_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
    assert_eq!(
        Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "8")
        ]))
        .unwrap(),
        Some(Shard { index: 3, count: 8 })
    );
    // --array=1-4: ids 1..4 are shards 0..3 of 4.
    assert_eq!(
        Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4")
        ]))
        .unwrap(),
        Some(Shard { index: 3, count: 4 })
    );
    assert_eq!(
        Shard::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "2"),
            ("ECMOVA_SHARD_COUNT", "5")
        ]))
        .unwrap(),
        Some(Shard { index: 2, count: 5 })
    );
    let e = Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")]))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("ECMOVA_SHARD_COUNT"), "{e}");
    let e = Shard::from_env(env(&[
        ("SLURM_ARRAY_TASK_ID", "9"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ]))
    .unwrap_err()
    .to_string();
    // The message names the variable and the contiguous arrays that work (a sparse array,
    // --array=1,3,5, has ids past its count).
    assert!(
        e.starts_with("SLURM_ARRAY_TASK_ID: 9 is shard 9") && e.contains("--array=0-3"),
        "{e}"
    );
    let e = Shard::from_env(env(&[
        ("JOB_COMPLETION_INDEX", "3"),
        ("ECMOVA_SHARD_COUNT", "2"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("JOB_COMPLETION_INDEX: 3 is out of range for ECMOVA_SHARD_COUNT = 2"),
        "{e}"
    );
    assert!(Shard::parse("4/4").is_err() && Shard::parse("a/4").is_err());
    assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
}

#[test]
fn the_example_cohort_is_valid_and_its_hash_covers_the_base_file() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/cohort-ami-flow-sweep.toml");
    let c = Cohort::from_path(&path).unwrap();
    assert_eq!((c.size, c.points(), c.parameters.len()), (8, 4, 3));
    assert_eq!(c.hash.len(), 64);
    // The same cohort text over another base scenario is another cohort.
    let text = std::fs::read_to_string(&path).unwrap();
    let base = std::fs::read(path.with_file_name("ami-femoral-ecmo.toml")).unwrap();
    let same = Cohort::from_toml(&text, |_| Ok(base.clone())).unwrap();
    assert_eq!(same.hash, c.hash);
    let mut changed = base.clone();
    changed.extend_from_slice(b"\n# changed\n");
    let other = Cohort::from_toml(&text, |_| Ok(changed.clone())).unwrap();
    assert_ne!(other.hash, c.hash);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `[output] beats` keeps a beat table (issue 15: "the summary metrics and beat tables to
/// keep"): `beats.parquet`, one row per beat of every patient × sweep point, in (patient,
/// sweep, beat) order, the beat metrics under the single-run beat table's names; the same
/// bytes whatever the thread count and from merged shards; the manifest counts its rows. An
/// unknown or repeated name, or an empty list, fails before any run naming the key.
#[test]
fn a_kept_beat_table_is_written_merged_and_read_back() {
    use ecmova_cohort::store::BEATS_FILE;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let text = SMALL.replace(
        "[output]\n",
        "[output]\nbeats = [\"map_mmhg\", \"ecmo_flow_l_min\", \"aortic_valve_opened\"]\n",
    );
    let c = cohort(&text).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let m = run(&c, &one, Shard::WHOLE, 1);
    run(&c, &two, Shard::WHOLE, 2);
    let beats = |dir: &Path| std::fs::read(dir.join(BEATS_FILE)).unwrap();
    assert_eq!(beats(&one), beats(&two));
    let shards: Vec<PathBuf> = (0..2).map(|k| tmp.path().join(format!("s{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        run(&c, dir, Shard::new(k as u64, 2).unwrap(), 1);
    }
    let merged = tmp.path().join("merged");
    let mm = merge(&shards, &merged).unwrap();
    assert_eq!(beats(&one), beats(&merged));
    assert_eq!(mm.beat_rows, m.beat_rows);
    assert_eq!(mm.beat_columns, m.beat_columns);

    let reader =
        SerializedFileReader::new(std::fs::File::open(one.join(BEATS_FILE)).unwrap()).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = (0..schema.num_columns())
        .map(|j| schema.column(j).name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "patient_index",
            "sweep_index",
            "time_s",
            "phase_index",
            "beat_index",
            "map_mmhg",
            "ecmo_flow_l_min",
            "aortic_valve_opened",
        ]
    );
    let rows: Vec<Vec<Field>> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(_, f)| f.clone())
                .collect()
        })
        .collect();
    assert_eq!(Some(rows.len() as u64), m.beat_rows);
    // 4 s at 60-110 /min: several beats per run, each run's beats in order from its start.
    assert!(rows.len() >= 12 * 4, "{} beat rows", rows.len());
    let num = |f: &Field| match f {
        Field::Long(x) => *x as f64,
        Field::Double(x) => *x,
        other => panic!("{other:?}"),
    };
    for (p, s) in (0..6).flat_map(|p| (0..2).map(move |s| (p, s))) {
        let run_rows: Vec<&Vec<Field>> = rows
            .iter()
            .filter(|r| num(&r[0]) == p as f64 && num(&r[1]) == s as f64)
            .collect();
        assert!(run_rows.len() >= 4, "patient {p} point {s}");
        for (k, r) in run_rows.iter().enumerate() {
            assert_eq!(num(&r[4]), k as f64, "beat index");
            assert!(num(&r[5]) > 20.0 && num(&r[5]) < 200.0, "MAP {:?}", r[5]);
            assert!([0.0, 1.0].contains(&num(&r[7])));
        }
        assert_eq!(num(&run_rows[0][2]), 0.0);
        assert!(run_rows.windows(2).all(|w| num(&w[1][2]) > num(&w[0][2])));
    }
    // Without `[output] beats`: no beat table, and the manifest says nothing of one.
    let plain = tmp.path().join("plain");
    let mp = run(&cohort(SMALL).unwrap(), &plain, Shard::WHOLE, 2);
    assert!(!plain.join(BEATS_FILE).exists());
    assert!(mp.beat_columns.is_empty() && mp.beat_rows.is_none());

    for (bad, field) in [
        ("beats = [\"map_mmhg\", \"nope\"]", "output.beats[1]"),
        ("beats = [\"map_mmhg\", \"map_mmhg\"]", "output.beats[1]"),
        ("beats = []", "output.beats"),
    ] {
        let e = err_text(&SMALL.replace("[output]\n", &format!("[output]\n{bad}\n")));
        assert!(e.contains(field), "{bad}: {e}");
    }
}
