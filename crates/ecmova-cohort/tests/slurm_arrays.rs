//! Slurm arrays with a step (`--array=0-30:2`, `--array=1-7:2`) map each task to its
//! position, so the N tasks are shards 0..N exactly once; a list that is not one range with
//! one step (`--array=1,3,7`) is refused naming the variable, since some shards would have no
//! task and others two. (Plain ranges: `tests/cohort.rs`.)

use ecmova_cohort::Shard;

fn slurm(pairs: &[(&str, &str)]) -> Result<Option<Shard>, String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Shard::from_env(move |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .map_err(|e| e.to_string())
}

#[test]
fn a_stepped_array_numbers_its_tasks_as_shards() {
    // --array=0-30:2: 16 tasks, ids 0, 2, ..., 30 (Slurm exports all five variables).
    let shards: Vec<Shard> = (0..16)
        .map(|k| {
            let id = (2 * k).to_string();
            slurm(&[
                ("SLURM_ARRAY_TASK_ID", &id),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "30"),
                ("SLURM_ARRAY_TASK_STEP", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "16"),
            ])
            .unwrap()
            .unwrap()
        })
        .collect();
    for (k, s) in shards.iter().enumerate() {
        assert_eq!(
            *s,
            Shard {
                index: k as u64,
                count: 16
            }
        );
    }
    // --array=1-7:2 without COUNT (older Slurm): ids 1, 3, 5, 7 are shards 0..3 of 4.
    assert_eq!(
        slurm(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ])
        .unwrap(),
        Some(Shard { index: 3, count: 4 })
    );
}

#[test]
fn an_array_that_is_not_one_stepped_range_is_refused() {
    // --array=1,3,7: 3 tasks, min 1, max 7: not min + step × (count − 1).
    let e = slurm(&[
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "7"),
        ("SLURM_ARRAY_TASK_STEP", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ])
    .unwrap_err();
    assert!(
        e.starts_with("SLURM_ARRAY_TASK_ID: 3 is not on the array's range")
            && e.contains("one range with one step"),
        "{e}"
    );
    // An id off the step.
    let e = slurm(&[
        ("SLURM_ARRAY_TASK_ID", "5"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_STEP", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "8"),
    ])
    .unwrap_err();
    assert!(e.starts_with("SLURM_ARRAY_TASK_ID: 5"), "{e}");
    let e = slurm(&[
        ("SLURM_ARRAY_TASK_ID", "0"),
        ("SLURM_ARRAY_TASK_STEP", "0"),
        ("SLURM_ARRAY_TASK_COUNT", "8"),
    ])
    .unwrap_err();
    assert!(e.starts_with("SLURM_ARRAY_TASK_STEP: 0"), "{e}");
}
