//! What a cohort run leaves in its directory, and how shards come together.
//!
//! ```text
//! DIR/chunks/chunk-00000012.json   rows of chunk 12 that this shard runs (written atomically)
//! DIR/results.parquet              every row of this shard, in (patient, sweep) order
//! DIR/manifest.json                version, git revision, cohort hash, seed, counts, wall time
//! ```
//!
//! A chunk is `chunk_size` consecutive patients; shard `K` of `N` runs the patients `i` with
//! `i mod N = K` of every chunk. A chunk file is written to a temporary name and renamed, so a
//! run stopped at any point leaves only whole chunks, and a rerun skips them (resume). Merging
//! reads every shard's chunk files, checks the manifests (same cohort hash, all `N` shards,
//! none twice, each complete) and writes the rows in the same order a single process would:
//! the merged Parquet is byte-identical to a one-process run.

use crate::run::{run_patients, Row, Status};
use crate::spec::{Cohort, Marginal};
use crate::CohortError;
use parquet::basic::{Compression, ConvertedType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Manifest format tag.
pub const MANIFEST_FORMAT: &str = "ecmova-cohort-manifest/1";
/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 65_536;
/// Name of the results file in a run directory.
pub const RESULTS_FILE: &str = "results.parquet";
/// Name of the beat table in a run directory (only when the cohort keeps one).
pub const BEATS_FILE: &str = "beats.parquet";
/// Git revision of this build (`unknown` outside a checkout), as recorded in manifests and
/// chunk files.
pub const GIT_REVISION: &str = env!("ECMOVA_GIT_REVISION");
/// Name of the manifest in a run directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Which part of the cohort a process runs: patients with `i mod count = index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K, 0-based.
    pub index: u64,
    /// N.
    pub count: u64,
}

impl Shard {
    /// The whole cohort.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `K/N` (0 ≤ K < N).
    pub fn parse(text: &str) -> Result<Shard, CohortError> {
        let bad = |reason: &str| CohortError::Invalid {
            field: "--shard".into(),
            reason: format!("\"{text}\" {reason}: write K/N with 0 ≤ K < N, e.g. 0/4"),
        };
        let (k, n) = text.split_once('/').ok_or_else(|| bad("is not K/N"))?;
        let index: u64 = k.trim().parse().map_err(|_| bad("has no whole number K"))?;
        let count: u64 = n.trim().parse().map_err(|_| bad("has no whole number N"))?;
        Shard::new(index, count).map_err(|_| bad("is out of range"))
    }

    /// A checked shard.
    pub fn new(index: u64, count: u64) -> Result<Shard, CohortError> {
        if count == 0 || index >= count {
            return Err(CohortError::Invalid {
                field: "shard".into(),
                reason: format!("{index}/{count} is out of range: need 0 ≤ K < N, N ≥ 1"),
            });
        }
        Ok(Shard { index, count })
    }

    /// The shard the scheduler assigned, from environment variables: Slurm job arrays
    /// (`SLURM_ARRAY_TASK_ID`, with `SLURM_ARRAY_TASK_COUNT`, or else
    /// `SLURM_ARRAY_TASK_MAX` + 1 when the array starts at 0; the task's position in a
    /// stepped array with `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_STEP`; a list that is
    /// not one range with one step is refused) or Kubernetes Indexed Jobs
    /// (`JOB_COMPLETION_INDEX`, with the completions count in `ECMOVA_SHARD_COUNT`, which the
    /// Job manifest sets, since Kubernetes does not export it). `None` when neither is set.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, CohortError> {
        let num = |name: &str| -> Result<Option<u64>, CohortError> {
            match get(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| CohortError::Invalid {
                        field: name.into(),
                        reason: format!("\"{v}\" is not a whole number"),
                    }),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            // A stepped array (--array=0-30:2) numbers its tasks min, min + step, ...: the
            // shard is the task's position, not the id's distance from min.
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1);
            if step == 0 {
                return Err(CohortError::Invalid {
                    field: "SLURM_ARRAY_TASK_STEP".into(),
                    reason: "0 is out of range: allowed 1 or more".into(),
                });
            }
            let max = num("SLURM_ARRAY_TASK_MAX")?;
            let count = match num("SLURM_ARRAY_TASK_COUNT")? {
                Some(c) => c,
                None => match max {
                    Some(max) => max.saturating_sub(min) / step + 1,
                    None => {
                        return Err(CohortError::Invalid {
                            field: "SLURM_ARRAY_TASK_COUNT".into(),
                            reason: "is not set (nor SLURM_ARRAY_TASK_MAX): pass --shard K/N"
                                .into(),
                        })
                    }
                },
            };
            let offset = id.checked_sub(min).ok_or_else(|| CohortError::Invalid {
                field: "SLURM_ARRAY_TASK_ID".into(),
                reason: format!("{id} is below SLURM_ARRAY_TASK_MIN = {min}"),
            })?;
            // One range with one step (--array=0-15 or 1-31:2), not a list (--array=1,3,7):
            // in a list some shards would have no task and others two.
            let one_range = offset % step == 0
                && max.is_none_or(|max| {
                    let last = step
                        .checked_mul(count.saturating_sub(1))
                        .and_then(|d| min.checked_add(d));
                    last == Some(max)
                });
            if !one_range {
                return Err(CohortError::Invalid {
                    field: "SLURM_ARRAY_TASK_ID".into(),
                    reason: format!(
                        "{id} is not on the array's range (SLURM_ARRAY_TASK_MIN = {min}, MAX = {}, STEP = {step}, COUNT = {count}): the array must be one range with one step, such as --array=0-{} or --array=0-{}:2",
                        max.map_or_else(|| "unset".to_string(), |m| m.to_string()),
                        count.saturating_sub(1),
                        2 * count.saturating_sub(1)
                    ),
                });
            }
            let index = offset / step;
            return Shard::new(index, count)
                .map(Some)
                .map_err(|_| CohortError::Invalid {
                    field: "SLURM_ARRAY_TASK_ID".into(),
                    reason: format!(
                        "{id} is shard {index} (the id minus SLURM_ARRAY_TASK_MIN = {min}, over SLURM_ARRAY_TASK_STEP = {step}), out of range for {count} shards (SLURM_ARRAY_TASK_COUNT or (MAX − MIN) / STEP + 1): the array must be one range with one step, such as --array=0-{} or --array=1-{count}",
                        count.saturating_sub(1)
                    ),
                });
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num("ECMOVA_SHARD_COUNT")?.ok_or_else(|| CohortError::Invalid {
                field: "ECMOVA_SHARD_COUNT".into(),
                reason: "must be set to the Job's completions when JOB_COMPLETION_INDEX is set"
                    .into(),
            })?;
            return Shard::new(index, count)
                .map(Some)
                .map_err(|_| CohortError::Invalid {
                    field: "JOB_COMPLETION_INDEX".into(),
                    reason: format!(
                        "{index} is out of range for ECMOVA_SHARD_COUNT = {count}: allowed 0 to {} (ECMOVA_SHARD_COUNT must equal the Job's completions, at least 1)",
                        count.saturating_sub(1)
                    ),
                });
        }
        Ok(None)
    }
}

/// Kind of a result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 64-bit integer.
    Int64,
    /// 64-bit float.
    Double,
    /// UTF-8 text.
    String,
}

/// One column of the results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Name (units in the name).
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Whether it may be absent (null).
    pub nullable: bool,
}

impl ColumnSpec {
    /// A column named `name` of `kind`, nullable or not.
    pub fn new(name: &str, kind: Kind, nullable: bool) -> Self {
        ColumnSpec {
            name: name.to_string(),
            kind,
            nullable,
        }
    }
}

/// Per-status row counts.
pub type StatusCounts = BTreeMap<String, u64>;

/// A run directory's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// ecmova version that wrote it.
    pub ecmova_version: String,
    /// Git revision of the build (`unknown` outside a checkout).
    pub git_revision: String,
    /// Cohort name.
    pub cohort_name: String,
    /// SHA-256 of the cohort file (and its base file), hex.
    pub cohort_hash: String,
    /// Seed.
    pub seed: u64,
    /// Patients in the cohort.
    pub size: u64,
    /// Sweep points per patient.
    pub points: u64,
    /// Patients per chunk.
    pub chunk_size: u64,
    /// Number of shards the cohort was split into.
    pub shard_count: u64,
    /// The shards this directory holds (one for a shard run; all for a merge).
    pub shards: Vec<u64>,
    /// Whether every chunk of these shards is done.
    pub complete: bool,
    /// Patients run.
    pub patients: u64,
    /// Rows (patients × sweep points).
    pub rows: u64,
    /// Rows by status.
    pub status_counts: StatusCounts,
    /// Wall-clock time, s (for a merge: the shards' sum).
    pub wall_time_s: f64,
    /// Chunks computed by this invocation (the rest were resumed from chunk files).
    pub chunks_computed: u64,
    /// The result columns.
    pub columns: Vec<ColumnSpec>,
    /// The beat table's columns (`[output] beats`); absent when the cohort keeps none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub beat_columns: Vec<ColumnSpec>,
    /// Rows of the beat table (one per beat of every run); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beat_rows: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChunkFile {
    cohort_hash: String,
    /// The build that computed the rows (empty in chunk files written before it was kept).
    #[serde(default)]
    git_revision: String,
    shard: Shard,
    chunk: u64,
    rows: Vec<Row>,
}

fn value_kind(values: &[&Value]) -> Kind {
    if values.iter().all(|v| v.is_number()) {
        Kind::Double
    } else {
        Kind::String
    }
}

/// The result columns of a cohort, in order.
pub fn columns(cohort: &Cohort) -> Vec<ColumnSpec> {
    let col = ColumnSpec::new;
    let mut out = vec![
        col("patient_index", Kind::Int64, false),
        col("sweep_index", Kind::Int64, false),
    ];
    for s in &cohort.sweeps {
        out.push(col(
            &s.column,
            value_kind(&s.values.iter().collect::<Vec<_>>()),
            false,
        ));
    }
    for p in &cohort.parameters {
        let kind = match &p.marginal {
            Marginal::Discrete { values, .. } => value_kind(&values.iter().collect::<Vec<_>>()),
            _ => Kind::Double,
        };
        out.push(col(&p.column, kind, false));
    }
    out.push(col("status", Kind::String, false));
    out.push(col("status_detail", Kind::String, true));
    out.push(col("simulated_s", Kind::Double, false));
    out.push(col("steady_state_time_s", Kind::Double, true));
    for m in &cohort.metrics {
        out.push(col(m, Kind::Double, true));
    }
    out
}

/// The beat table's columns of a cohort that keeps one (`[output] beats`), in order; empty
/// otherwise: the indices, the beat's time and phase, then the kept beat metrics.
pub fn beat_columns(cohort: &Cohort) -> Vec<ColumnSpec> {
    if cohort.beat_metrics.is_empty() {
        return Vec::new();
    }
    let col = ColumnSpec::new;
    let mut out = vec![
        col("patient_index", Kind::Int64, false),
        col("sweep_index", Kind::Int64, false),
        col("time_s", Kind::Double, false),
        col("phase_index", Kind::Int64, false),
        col("beat_index", Kind::Int64, false),
    ];
    for m in &cohort.beat_metrics {
        out.push(col(m, Kind::Double, true));
    }
    out
}

/// Writes the beat table of `rows` (every beat of each, in row order) to `path`.
fn write_beats(path: &Path, columns: &[ColumnSpec], rows: &[Row]) -> Result<u64, CohortError> {
    let beats: Vec<(&Row, &Vec<Option<f64>>)> = rows
        .iter()
        .flat_map(|r| r.beats.iter().map(move |b| (r, b)))
        .collect();
    write_table(path, columns, beats.len(), |i, j| {
        let (row, beat) = beats[i];
        match j {
            0 => Some(Value::from(row.patient_index)),
            1 => Some(Value::from(row.sweep_index)),
            2 => beat.first().copied().flatten().map(Value::from),
            // Indices are whole numbers stored exactly in the beat rows' doubles.
            3 | 4 => beat
                .get(j - 2)
                .copied()
                .flatten()
                .map(|v| Value::from(v as i64)),
            _ => beat.get(j - 2).copied().flatten().map(Value::from),
        }
    })?;
    Ok(beats.len() as u64)
}

fn cell(row: &Row, index: usize, sweeps: usize, params: usize) -> Option<Value> {
    let mut k = index;
    match k {
        0 => return Some(Value::from(row.patient_index)),
        1 => return Some(Value::from(row.sweep_index)),
        _ => k -= 2,
    }
    if k < sweeps {
        return row.sweep.get(k).cloned();
    }
    k -= sweeps;
    if k < params {
        return row.params.get(k).cloned();
    }
    k -= params;
    match k {
        0 => Some(Value::from(row.status.name())),
        1 => row.status_detail.clone().map(Value::from),
        2 => Some(Value::from(row.simulated_s)),
        3 => row.steady_state_time_s.map(Value::from),
        _ => row.metrics.get(k - 4).copied().flatten().map(Value::from),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes rows to a Parquet file: the columns of [`columns`], nullable ones OPTIONAL, text
/// as UTF-8, Snappy, no dictionary; the bytes depend on the rows alone.
pub fn write_results(
    path: &Path,
    columns: &[ColumnSpec],
    sweeps: usize,
    params: usize,
    rows: &[Row],
) -> Result<(), CohortError> {
    write_table(path, columns, rows.len(), |i, j| {
        cell(&rows[i], j, sweeps, params)
    })
}

/// Writes `n_rows` rows of `columns` to a Parquet file, cell `(row, column)` from `cell`
/// (nullable columns OPTIONAL, text as UTF-8, Snappy, no dictionary; the bytes depend on the
/// cells alone), through a temporary file renamed into place.
fn write_table(
    path: &Path,
    columns: &[ColumnSpec],
    n_rows: usize,
    cell: impl Fn(usize, usize) -> Option<Value>,
) -> Result<(), CohortError> {
    let pq = |e: parquet::errors::ParquetError| CohortError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let fields = columns
        .iter()
        .map(|c| {
            let physical = match c.kind {
                Kind::Int64 => PhysicalType::INT64,
                Kind::Double => PhysicalType::DOUBLE,
                Kind::String => PhysicalType::BYTE_ARRAY,
            };
            let mut b =
                Type::primitive_type_builder(&c.name, physical).with_repetition(if c.nullable {
                    Repetition::OPTIONAL
                } else {
                    Repetition::REQUIRED
                });
            if c.kind == Kind::String {
                b = b.with_converted_type(ConvertedType::UTF8);
            }
            b.build().map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(pq)?;
    let schema = Type::group_type_builder("ecmova_cohort")
        .with_fields(fields)
        .build()
        .map_err(pq)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .set_created_by(format!("ecmova {}", env!("CARGO_PKG_VERSION")))
        .build();
    let tmp = path.with_extension("parquet.partial");
    let file = File::create(&tmp).map_err(|e| CohortError::io(&tmp, e))?;
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props)).map_err(pq)?;
    for start in (0..n_rows).step_by(ROW_GROUP_ROWS) {
        let group_rows = start..(start + ROW_GROUP_ROWS).min(n_rows);
        let mut group = writer.next_row_group().map_err(pq)?;
        for (j, spec) in columns.iter().enumerate() {
            let mut column =
                group
                    .next_column()
                    .map_err(pq)?
                    .ok_or_else(|| CohortError::Parquet {
                        path: path.to_path_buf(),
                        message: format!("no writer for column {}", spec.name),
                    })?;
            let cells: Vec<Option<Value>> = group_rows.clone().map(|i| cell(i, j)).collect();
            let defs: Vec<i16> = cells.iter().map(|c| i16::from(c.is_some())).collect();
            let defs = spec.nullable.then_some(defs.as_slice());
            let present = cells.iter().flatten();
            match spec.kind {
                Kind::Int64 => {
                    let v: Vec<i64> = present.map(|x| x.as_i64().unwrap_or(0)).collect();
                    column
                        .typed::<Int64Type>()
                        .write_batch(&v, defs, None)
                        .map_err(pq)?;
                }
                Kind::Double => {
                    // A negative zero is written 0, as in every other output.
                    let v: Vec<f64> = present
                        .map(|x| x.as_f64().unwrap_or(f64::NAN) + 0.0)
                        .collect();
                    if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
                        return Err(CohortError::Parquet {
                            path: path.to_path_buf(),
                            message: format!("column {}: {bad} is not a finite number", spec.name),
                        });
                    }
                    column
                        .typed::<DoubleType>()
                        .write_batch(&v, defs, None)
                        .map_err(pq)?;
                }
                Kind::String => {
                    let v: Vec<ByteArray> = present
                        .map(|x| ByteArray::from(text_of(x).as_str()))
                        .collect();
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&v, defs, None)
                        .map_err(pq)?;
                }
            }
            column.close().map_err(pq)?;
        }
        group.close().map_err(pq)?;
    }
    writer.into_inner().map_err(pq)?;
    std::fs::rename(&tmp, path).map_err(|e| CohortError::io(path, e))?;
    Ok(())
}

fn chunk_path(dir: &Path, chunk: u64) -> PathBuf {
    dir.join("chunks").join(format!("chunk-{chunk:08}.json"))
}

/// Writes `bytes` to `path` through a temporary file that is flushed to the disk before it is
/// renamed into place, so that after a crash (a node lost mid-shard) `path` is either the
/// whole file or absent, never a truncated one that a resume would refuse.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CohortError> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    let mut file = std::fs::File::create(&tmp).map_err(|e| CohortError::io(&tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CohortError::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| CohortError::io(path, e))?;
    // The rename itself is durable once the directory is (best effort: not every platform
    // lets a directory be opened for syncing).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// A finished chunk file of this cohort and shard, if there is one. A chunk file of another
/// cohort or shard is an error (a directory holds one shard of one cohort).
fn read_chunk(
    path: &Path,
    cohort_hash: &str,
    shard: Shard,
    git_revision: &str,
) -> Result<Option<Vec<Row>>, CohortError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CohortError::io(path, e)),
    };
    let chunk: ChunkFile = serde_json::from_str(&text).map_err(|e| CohortError::Invalid {
        field: path.display().to_string(),
        reason: format!("not a chunk file: {e}"),
    })?;
    if chunk.cohort_hash != cohort_hash || chunk.shard != shard {
        return Err(CohortError::Invalid {
            field: path.display().to_string(),
            reason: format!(
                "belongs to cohort {} shard {}/{}, not this run's cohort {cohort_hash} shard {}/{}: use another --out directory",
                chunk.cohort_hash, chunk.shard.index, chunk.shard.count, shard.index, shard.count
            ),
        });
    }
    // A rerun by another build would mix its rows with the old build's in one file.
    if chunk.git_revision != git_revision {
        return Err(CohortError::Invalid {
            field: path.display().to_string(),
            reason: format!(
                "was computed by build {}, not this run's {git_revision}: rerun with that build, or use another --out directory",
                if chunk.git_revision.is_empty() { "(not recorded)" } else { &chunk.git_revision }
            ),
        });
    }
    Ok(Some(chunk.rows))
}

/// Options of [`run_cohort`].
#[derive(Debug, Clone, Copy)]
pub struct RunConfig {
    /// Which shard to run.
    pub shard: Shard,
}

/// Runs (or resumes) shard `config.shard` of `cohort` into `dir`; `progress(rows_done,
/// rows_total)` is called after each chunk. Returns the manifest it wrote.
pub fn run_cohort(
    cohort: &Cohort,
    dir: &Path,
    config: RunConfig,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Manifest, CohortError> {
    use rayon::prelude::*;
    let started = Instant::now();
    let shard = config.shard;
    // A directory that holds another cohort's results is not overwritten: its chunk files
    // say so below, and a merge's directory (no chunk files) by its manifest.
    if dir.join(MANIFEST_FILE).is_file() && !dir.join("chunks").exists() {
        if let Ok(old) = read_manifest(dir) {
            if old.cohort_hash != cohort.hash {
                return Err(CohortError::Invalid {
                    field: dir.join(MANIFEST_FILE).display().to_string(),
                    reason: format!(
                        "holds the results of cohort {} ({}), not of this cohort {} ({}): use another --out directory",
                        old.cohort_name, old.cohort_hash, cohort.name, cohort.hash
                    ),
                });
            }
        }
    }
    std::fs::create_dir_all(dir.join("chunks")).map_err(|e| CohortError::io(dir, e))?;
    let patients_of = |c: u64| -> Vec<u64> {
        let start = c * cohort.chunk_size;
        let end = (start + cohort.chunk_size).min(cohort.size);
        (start..end)
            .filter(|i| i % shard.count == shard.index)
            .collect()
    };
    let chunks: Vec<u64> = (0..cohort.chunks()).collect();
    let total_rows: u64 = chunks
        .iter()
        .map(|&c| patients_of(c).len() as u64)
        .sum::<u64>()
        * cohort.points();
    let done = AtomicU64::new(0);
    let computed = AtomicU64::new(0);
    // Resumed chunks first (checked, counted), then the rest on all cores.
    let mut todo = Vec::new();
    for &c in &chunks {
        match read_chunk(&chunk_path(dir, c), &cohort.hash, shard, GIT_REVISION)? {
            Some(rows) => {
                done.fetch_add(rows.len() as u64, Ordering::Relaxed);
            }
            None => todo.push(c),
        }
    }
    progress(done.load(Ordering::Relaxed), total_rows);
    todo.par_iter()
        .try_for_each(|&c| -> Result<(), CohortError> {
            let rows = run_patients(cohort, &patients_of(c));
            let file = ChunkFile {
                cohort_hash: cohort.hash.clone(),
                git_revision: GIT_REVISION.into(),
                shard,
                chunk: c,
                rows,
            };
            let bytes = serde_json::to_vec(&file).map_err(|e| CohortError::Invalid {
                field: "chunk".into(),
                reason: e.to_string(),
            })?;
            write_atomic(&chunk_path(dir, c), &bytes)?;
            computed.fetch_add(1, Ordering::Relaxed);
            let now =
                done.fetch_add(file.rows.len() as u64, Ordering::Relaxed) + file.rows.len() as u64;
            progress(now, total_rows);
            Ok(())
        })?;
    // Capacity hints are bounded: the counts come from files and may be large.
    let mut rows = Vec::with_capacity(total_rows.min(1 << 20) as usize);
    for &c in &chunks {
        let chunk = read_chunk(&chunk_path(dir, c), &cohort.hash, shard, GIT_REVISION)?
            .ok_or_else(|| CohortError::Invalid {
                field: chunk_path(dir, c).display().to_string(),
                reason: "missing after the run".into(),
            })?;
        rows.extend(chunk);
    }
    let cols = columns(cohort);
    write_results(
        &dir.join(RESULTS_FILE),
        &cols,
        cohort.sweeps.len(),
        cohort.parameters.len(),
        &rows,
    )?;
    let beat_cols = beat_columns(cohort);
    let beat_rows = if beat_cols.is_empty() {
        None
    } else {
        Some(write_beats(&dir.join(BEATS_FILE), &beat_cols, &rows)?)
    };
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        ecmova_version: env!("CARGO_PKG_VERSION").into(),
        git_revision: GIT_REVISION.into(),
        cohort_name: cohort.name.clone(),
        cohort_hash: cohort.hash.clone(),
        seed: cohort.seed,
        size: cohort.size,
        points: cohort.points(),
        chunk_size: cohort.chunk_size,
        shard_count: shard.count,
        shards: vec![shard.index],
        complete: true,
        patients: rows.len() as u64 / cohort.points().max(1),
        rows: rows.len() as u64,
        status_counts: count_statuses(&rows),
        wall_time_s: started.elapsed().as_secs_f64(),
        chunks_computed: computed.load(Ordering::Relaxed),
        columns: cols,
        beat_columns: beat_cols,
        beat_rows,
    };
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

fn count_statuses(rows: &[Row]) -> StatusCounts {
    let mut counts: StatusCounts = Status::ALL
        .iter()
        .map(|s| (s.name().to_string(), 0))
        .collect();
    for r in rows {
        *counts.entry(r.status.name().to_string()).or_default() += 1;
    }
    counts
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), CohortError> {
    let mut bytes = serde_json::to_vec_pretty(m).map_err(|e| CohortError::Invalid {
        field: "manifest".into(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(&dir.join(MANIFEST_FILE), &bytes)
}

/// Reads a run directory's manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, CohortError> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound && !path.exists() {
            CohortError::Invalid {
                field: path.display().to_string(),
                reason: format!(
                    "not found: {} is not a finished cohort run (a shard still running or stopped, or not a cohort directory)",
                    dir.display()
                ),
            }
        } else {
            CohortError::io(&path, e)
        }
    })?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| CohortError::Invalid {
        field: path.display().to_string(),
        reason: format!("not a cohort manifest: {e}"),
    })?;
    if m.format != MANIFEST_FORMAT {
        return Err(CohortError::Invalid {
            field: format!("{}: format", path.display()),
            reason: format!("\"{}\" is not {MANIFEST_FORMAT}", m.format),
        });
    }
    Ok(m)
}

/// Merges shard directories into `out`: checks that every manifest is of the same cohort
/// (hash, seed, size, points, shard count, version, git revision, columns), complete, and that the shards
/// are exactly `0..N`, none missing and none twice; then writes the rows in (patient, sweep)
/// order, byte-identical to a one-process run, and a manifest. `out` must not be one of
/// `dirs` (that shard's own results and manifest would be overwritten).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Manifest, CohortError> {
    let first_dir = dirs.first().ok_or_else(|| CohortError::Invalid {
        field: "merge".into(),
        reason: "no shard directories given".into(),
    })?;
    // The merge must not overwrite one of its own inputs (`--out` naming a shard directory
    // would replace that shard's results and manifest with the merged ones).
    if let Ok(out_real) = out.canonicalize() {
        if let Some(dir) = dirs
            .iter()
            .find(|d| d.canonicalize().is_ok_and(|d| d == out_real))
        {
            return Err(CohortError::Invalid {
                field: "out".into(),
                reason: format!(
                    "{} is the shard directory {} given to merge: refusing to overwrite an input; write the merge to another directory",
                    out.display(),
                    dir.display()
                ),
            });
        }
    }
    let first = read_manifest(first_dir)?;
    let mut seen: BTreeMap<u64, PathBuf> = BTreeMap::new();
    let mut wall = 0.0;
    let mut manifests = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let m = read_manifest(dir)?;
        let differs = |what: &str, a: String, b: String| CohortError::Invalid {
            field: format!("{}: {what}", dir.join(MANIFEST_FILE).display()),
            reason: format!("{b} differs from {a} in {}", first_dir.display()),
        };
        if m.cohort_hash != first.cohort_hash {
            return Err(CohortError::Invalid {
                field: format!("{}: cohort_hash", dir.join(MANIFEST_FILE).display()),
                reason: format!(
                    "{} differs from {} in {}: the shards were run from different cohort files (or base scenarios); rerun the odd one with the same files",
                    m.cohort_hash,
                    first.cohort_hash,
                    first_dir.display()
                ),
            });
        }
        if m.ecmova_version != first.ecmova_version {
            return Err(differs(
                "ecmova_version",
                first.ecmova_version.clone(),
                m.ecmova_version,
            ));
        }
        // Shards built from different commits may differ in their numbers although the
        // version is the same: one merged file must come from one build.
        if m.git_revision != first.git_revision {
            return Err(CohortError::Invalid {
                field: format!("{}: git_revision", dir.join(MANIFEST_FILE).display()),
                reason: format!(
                    "{} differs from {} in {}: the shards were run by different builds of ecmova; rerun them with one build",
                    m.git_revision,
                    first.git_revision,
                    first_dir.display()
                ),
            });
        }
        if m.shard_count != first.shard_count {
            return Err(differs(
                "shard_count",
                first.shard_count.to_string(),
                m.shard_count.to_string(),
            ));
        }
        if (m.seed, m.size, m.points, m.chunk_size)
            != (first.seed, first.size, first.points, first.chunk_size)
            || m.columns != first.columns
            || m.beat_columns != first.beat_columns
        {
            return Err(differs(
                "seed, size, points or columns",
                "the first".into(),
                "this".into(),
            ));
        }
        if !m.complete {
            return Err(CohortError::Invalid {
                field: dir.join(MANIFEST_FILE).display().to_string(),
                reason: "the shard is not complete: rerun it (finished chunks are kept)".into(),
            });
        }
        for &k in &m.shards {
            if let Some(other) = seen.insert(k, dir.clone()) {
                return Err(CohortError::Invalid {
                    field: "merge".into(),
                    reason: format!(
                        "shard {k}/{} is given twice: {} and {}",
                        m.shard_count,
                        other.display(),
                        dir.display()
                    ),
                });
            }
        }
        wall += m.wall_time_s;
        manifests.push((dir.clone(), m));
    }
    let missing: Vec<String> = (0..first.shard_count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(CohortError::Invalid {
            field: "merge".into(),
            reason: format!(
                "shard(s) {} of {} missing",
                missing.join(", "),
                first.shard_count
            ),
        });
    }
    if first.chunk_size == 0 {
        return Err(CohortError::Invalid {
            field: format!("{}: chunk_size", first_dir.join(MANIFEST_FILE).display()),
            reason: "0 is out of range: at least 1".into(),
        });
    }
    let chunks = first.size.div_ceil(first.chunk_size);
    let mut rows: Vec<Row> =
        Vec::with_capacity(first.size.saturating_mul(first.points).min(1 << 20) as usize);
    for c in 0..chunks {
        let start = rows.len();
        for (dir, m) in &manifests {
            if m.shards.len() == 1 {
                let shard = Shard {
                    index: m.shards[0],
                    count: m.shard_count,
                };
                let chunk =
                    read_chunk(&chunk_path(dir, c), &m.cohort_hash, shard, &m.git_revision)?
                        .ok_or_else(|| CohortError::Invalid {
                            field: chunk_path(dir, c).display().to_string(),
                            reason: "missing although the manifest says complete".into(),
                        })?;
                rows.extend(chunk);
            } else {
                return Err(CohortError::Invalid {
                    field: dir.join(MANIFEST_FILE).display().to_string(),
                    reason: "is already a merge: merge shard directories".into(),
                });
            }
        }
        rows[start..].sort_by_key(|r| (r.patient_index, r.sweep_index));
    }
    if rows.len() as u64 != first.size.saturating_mul(first.points) {
        return Err(CohortError::Invalid {
            field: "merge".into(),
            reason: format!(
                "{} rows found, the cohort has {}",
                rows.len(),
                first.size.saturating_mul(first.points)
            ),
        });
    }
    // Columns between the indices and `status`: the sweep axes, then the parameters.
    let inputs = first
        .columns
        .iter()
        .position(|c| c.name == "status")
        .unwrap_or(2);
    let head = first.columns.get(2..inputs).unwrap_or_default();
    let sweeps = head.iter().filter(|c| c.name.starts_with("sweep_")).count();
    let params = head.len() - sweeps;
    std::fs::create_dir_all(out).map_err(|e| CohortError::io(out, e))?;
    write_results(
        &out.join(RESULTS_FILE),
        &first.columns,
        sweeps,
        params,
        &rows,
    )?;
    let beat_rows = if first.beat_columns.is_empty() {
        None
    } else {
        Some(write_beats(
            &out.join(BEATS_FILE),
            &first.beat_columns,
            &rows,
        )?)
    };
    let manifest = Manifest {
        beat_rows,
        shard_count: first.shard_count,
        shards: (0..first.shard_count).collect(),
        complete: true,
        patients: first.size,
        rows: rows.len() as u64,
        status_counts: count_statuses(&rows),
        wall_time_s: wall,
        chunks_computed: 0,
        ..first
    };
    write_manifest(out, &manifest)?;
    Ok(manifest)
}
