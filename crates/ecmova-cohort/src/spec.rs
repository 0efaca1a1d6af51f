//! The cohort file (TOML, `docs/cohort-format.md`): serde types at the edge, then a validated
//! [`Cohort`]. Every check names the key that fails, its value and what is allowed, and every
//! check runs before any patient is simulated.

use crate::CohortError;
use ecmova_scenario::Scenario;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Default number of patients per chunk (the unit of resume).
pub const DEFAULT_CHUNK_SIZE: u64 = 16;
/// Largest cohort accepted (patients × sweep points must also stay under this).
pub const MAX_ROWS: u64 = 100_000_000;
/// Default cap on simulated time in `steady` mode after the last timed action, s.
pub const DEFAULT_STEADY_MAX_S: f64 = 120.0;

/// The cohort file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortFile {
    /// Size, seed and how each patient is run.
    pub cohort: CohortSection,
    /// The base scenario, inline (a scenario file's tables under `[base]`).
    pub base: Option<Scenario>,
    /// Sampled parameters.
    #[serde(default, rename = "parameter")]
    pub parameters: Vec<ParameterSpec>,
    /// Correlations between sampled parameters (Gaussian copula).
    #[serde(default, rename = "correlation")]
    pub correlations: Vec<CorrelationSpec>,
    /// Sweep grid axes (every patient runs at every grid point).
    #[serde(default, rename = "sweep")]
    pub sweeps: Vec<SweepSpec>,
    /// What to keep.
    #[serde(default)]
    pub output: OutputSpec,
}

/// `[cohort]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSection {
    /// Name (free text, copied to the manifest).
    pub name: String,
    /// Seed of the counter-based generator.
    pub seed: u64,
    /// Number of virtual patients.
    pub size: u64,
    /// Patients per chunk file (the unit of resume); default [`DEFAULT_CHUNK_SIZE`].
    pub chunk_size: Option<u64>,
    /// `steady` (default: after the last timed action, run until the periodic steady state,
    /// at most `steady_max_s`) or `duration` (the base scenario's whole duration).
    pub mode: Option<String>,
    /// Cap for `steady` mode after the last timed action, s; default [`DEFAULT_STEADY_MAX_S`].
    pub steady_max_s: Option<f64>,
    /// The base scenario as a file, relative to the cohort file (or `[base]` inline).
    pub base_file: Option<String>,
}

/// `[[parameter]]`: one sampled quantity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// Dotted path into the scenario (`patient.lv_contractility_scale`, `ecmo.pump_rpm`,
    /// `patient.chamber.lv.ees_mmhg_per_ml`, `events.0.rpm`).
    pub path: String,
    /// `normal`, `lognormal`, `uniform` or `discrete`.
    pub distribution: String,
    /// Normal: mean.
    pub mean: Option<f64>,
    /// Normal: standard deviation (> 0).
    pub sd: Option<f64>,
    /// Log-normal: median (> 0).
    pub median: Option<f64>,
    /// Log-normal: standard deviation of the natural logarithm (> 0).
    pub sigma_log: Option<f64>,
    /// Uniform: lower end.
    pub min: Option<f64>,
    /// Uniform: upper end.
    pub max: Option<f64>,
    /// Discrete: the values (numbers or strings).
    pub values: Option<Vec<toml::Value>>,
    /// Discrete: relative weights (default equal).
    pub weights: Option<Vec<f64>>,
    /// Truncation: lower bound (normal, log-normal).
    pub lower: Option<f64>,
    /// Truncation: upper bound (normal, log-normal).
    pub upper: Option<f64>,
}

/// `[[correlation]]`: a rank-preserving (Gaussian-copula) correlation between two parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSpec {
    /// The two parameter paths.
    pub between: [String; 2],
    /// Correlation of the underlying normal scores, in (−1, 1).
    pub rho: f64,
    /// Where the figure comes from (author, journal, year): required.
    pub source: String,
}

/// `[[sweep]]`: one axis of the intervention grid.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Dotted path into the scenario, as for parameters.
    pub path: String,
    /// The values (numbers or strings), in order.
    pub values: Vec<toml::Value>,
}

/// `[output]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Summary metric names to keep (default: every metric of the typed summary).
    pub metrics: Option<Vec<String>>,
    /// Beat metrics to keep beat by beat (names of the beat table, `docs/outputs.md`): a
    /// beat table `beats.parquet` with one row per beat of every run. Absent: no beat table.
    pub beats: Option<Vec<String>>,
}

/// How each patient × sweep point is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// After the last timed action, until the periodic steady state, at most this long, s.
    Steady {
        /// Cap after the last timed action, s.
        max_s: f64,
    },
    /// The base scenario's whole duration.
    Duration,
}

/// A parameter's marginal distribution (validated).
#[derive(Debug, Clone, PartialEq)]
pub enum Marginal {
    /// Normal(mean, sd).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Log-normal: ln X ~ Normal(ln median, sigma_log).
    LogNormal {
        /// Median.
        median: f64,
        /// SD of ln X.
        sigma_log: f64,
    },
    /// Uniform on [min, max].
    Uniform {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
    /// Discrete values with cumulative weights (normalised, last = 1).
    Discrete {
        /// The values.
        values: Vec<Value>,
        /// Cumulative probabilities.
        cumulative: Vec<f64>,
    },
}

/// A validated sampled parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Dotted path into the scenario.
    pub path: String,
    /// Column name in the results (`param_` + path with `.` → `_`).
    pub column: String,
    /// The distribution.
    pub marginal: Marginal,
    /// Truncation bounds (continuous marginals only).
    pub lower: Option<f64>,
    /// Truncation upper bound.
    pub upper: Option<f64>,
}

/// A validated sweep axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Dotted path into the scenario.
    pub path: String,
    /// Column name (`sweep_` + path with `.` → `_`).
    pub column: String,
    /// Values, in order.
    pub values: Vec<Value>,
}

/// A validated cohort: everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Cohort {
    /// Name.
    pub name: String,
    /// Seed.
    pub seed: u64,
    /// Patients.
    pub size: u64,
    /// Patients per chunk.
    pub chunk_size: u64,
    /// Run mode.
    pub mode: Mode,
    /// The base scenario, as JSON (parameters and sweep values are set into it).
    pub base: Value,
    /// Sampled parameters, in file order.
    pub parameters: Vec<Parameter>,
    /// Lower-triangular Cholesky factor of the normal-score correlation matrix (row-major,
    /// `parameters.len()²`), `None` without correlations.
    pub cholesky: Option<Vec<f64>>,
    /// Sweep axes, in file order (the last varies fastest).
    pub sweeps: Vec<Sweep>,
    /// Summary metrics kept, in order.
    pub metrics: Vec<String>,
    /// Beat metrics kept beat by beat, in order (empty: no beat table).
    pub beat_metrics: Vec<String>,
    /// SHA-256 of the cohort file's bytes followed by the base file's bytes, hex.
    pub hash: String,
}

/// The names a cohort may keep beat by beat: the metric columns of the single-run beat table
/// (`ecmova_scenario::series::Series::beat_table`, `docs/outputs.md`), not its time and index
/// columns (`time_s`, `phase_index`, `beat_index`), which a cohort's beat table
/// always has in its own form.
pub fn beat_metric_names() -> Vec<String> {
    ecmova_scenario::series::Series::beat_table(&[], &[0.0], None)
        .columns()
        .iter()
        .filter(|n| !matches!(n.as_str(), "time_s" | "phase_index" | "beat_index"))
        .cloned()
        .collect()
}

/// Every metric name of the typed summary, in summary order.
pub fn all_metric_names() -> Vec<String> {
    ecmova_scenario::summary::Metrics::all_keys()
        .map(|s| s.to_string())
        .collect()
}

/// Column name of a path: `prefix` + the path with every `.` as `_`.
pub fn column_name(prefix: &str, path: &str) -> String {
    format!("{prefix}{}", path.replace('.', "_"))
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CohortError {
    CohortError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn toml_to_json(field: &str, v: &toml::Value) -> Result<Value, CohortError> {
    match v {
        toml::Value::Integer(i) => Ok(Value::from(*i)),
        toml::Value::Float(f) if f.is_finite() => Ok(Value::from(*f)),
        toml::Value::String(s) => Ok(Value::from(s.clone())),
        toml::Value::Boolean(b) => Ok(Value::from(*b)),
        other => Err(invalid(
            field,
            format!("{other} is not allowed: values are finite numbers, strings or booleans"),
        )),
    }
}

/// Sets `value` at the dotted `path` of a scenario's JSON, creating missing tables (so that
/// `patient.chamber.lv.ees_mmhg_per_ml` works on a base without a `[patient.chamber]`);
/// a numeric segment indexes an array (`events.0.rpm`).
pub fn set_path(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!("\"{path}\" has an empty segment"));
    }
    let mut node = root;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        node = match node {
            Value::Object(map) => {
                if last {
                    map.insert((*seg).to_string(), value);
                    return Ok(());
                }
                map.entry((*seg).to_string())
                    .or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(items) => {
                let index: usize = seg
                    .parse()
                    .map_err(|_| format!("\"{seg}\" in \"{path}\" must index a list"))?;
                let len = items.len();
                let slot = items.get_mut(index).ok_or_else(|| {
                    format!("index {index} in \"{path}\" is past the list's {len} entries")
                })?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            _ => return Err(format!("\"{seg}\" in \"{path}\" is not a table")),
        };
    }
    Ok(())
}

/// A sampled number that is whole (a discrete `values = [2, 5, 8]`, held as floats) as an
/// integer, so that integer keys (an Impella's `performance_level`, an IABP's `ratio`) take
/// it; a float key reads an integer as the same number, so nothing else changes.
fn whole_as_integer(value: &Value) -> Value {
    match value.as_f64() {
        Some(x) if value.is_f64() && x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
        _ => value.clone(),
    }
}

/// The scenario with `values` set at `paths`, parsed back into the typed [`Scenario`]
/// (unknown keys are errors, as in scenario files).
pub fn scenario_with(base: &Value, assignments: &[(&str, &Value)]) -> Result<Scenario, String> {
    let mut json = base.clone();
    for (path, value) in assignments {
        set_path(&mut json, path, whole_as_integer(value))?;
    }
    serde_json::from_value::<Scenario>(json).map_err(|e| e.to_string())
}

impl Cohort {
    /// Reads and validates a cohort file (a base file is read relative to it).
    pub fn from_path(path: &Path) -> Result<Cohort, CohortError> {
        let bytes = std::fs::read(path).map_err(|e| CohortError::io(path, e))?;
        let text = String::from_utf8(bytes.clone())
            .map_err(|_| invalid(path.display().to_string(), "is not UTF-8 text"))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Cohort::from_toml(&text, |rel| {
            let p = dir.join(rel);
            let b = std::fs::read(&p).map_err(|e| CohortError::io(&p, e))?;
            Ok(b)
        })
    }

    /// Validates a cohort file's text; `read_base` reads a `base_file` (relative path) when
    /// the file names one.
    pub fn from_toml(
        text: &str,
        read_base: impl Fn(&str) -> Result<Vec<u8>, CohortError>,
    ) -> Result<Cohort, CohortError> {
        let file: CohortFile =
            toml::from_str(text).map_err(|e| CohortError::Parse(e.to_string()))?;
        let mut hasher = Sha256::new();
        hasher.update(text.as_bytes());
        let base: Scenario = match (&file.base, &file.cohort.base_file) {
            (Some(b), None) => b.clone(),
            (None, Some(rel)) => {
                let bytes = read_base(rel)?;
                hasher.update(&bytes);
                let t = String::from_utf8(bytes)
                    .map_err(|_| invalid("cohort.base_file", format!("{rel} is not UTF-8 text")))?;
                let parsed = if rel.to_ascii_lowercase().ends_with(".json") {
                    Scenario::from_json(&t)
                } else {
                    Scenario::from_toml(&t)
                };
                parsed.map_err(|e| invalid("cohort.base_file", format!("{rel}: {e}")))?
            }
            _ => {
                return Err(invalid(
                    "base",
                    "give exactly one of [base] (inline scenario) or cohort.base_file",
                ))
            }
        };
        ecmova_scenario::build(&base).map_err(|e| invalid("base", e.to_string()))?;
        let base_json = serde_json::to_value(&base).map_err(|e| invalid("base", e.to_string()))?;
        let hash = format!("{:x}", hasher.finalize());
        let c = &file.cohort;
        if c.name.trim().is_empty() {
            return Err(invalid("cohort.name", "must not be empty"));
        }
        if c.size == 0 || c.size > MAX_ROWS {
            return Err(invalid(
                "cohort.size",
                format!("{} is out of range: allowed 1 to {MAX_ROWS}", c.size),
            ));
        }
        let chunk_size = c.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE);
        if chunk_size == 0 || chunk_size > 1_000_000 {
            return Err(invalid(
                "cohort.chunk_size",
                format!("{chunk_size} is out of range: allowed 1 to 1000000"),
            ));
        }
        let mode = match c.mode.as_deref().unwrap_or("steady") {
            "steady" => {
                let max_s = c.steady_max_s.unwrap_or(DEFAULT_STEADY_MAX_S);
                if !(max_s.is_finite() && max_s > 0.0 && max_s <= 86_400.0) {
                    return Err(invalid(
                        "cohort.steady_max_s",
                        format!("{max_s} is out of range: allowed > 0 to 86400 s"),
                    ));
                }
                Mode::Steady { max_s }
            }
            "duration" => {
                if c.steady_max_s.is_some() {
                    return Err(invalid(
                        "cohort.steady_max_s",
                        "applies only to mode = \"steady\"",
                    ));
                }
                Mode::Duration
            }
            other => {
                return Err(invalid(
                    "cohort.mode",
                    format!("\"{other}\" is not allowed: allowed values are steady, duration"),
                ))
            }
        };

        let mut parameters = Vec::with_capacity(file.parameters.len());
        for (i, spec) in file.parameters.iter().enumerate() {
            let p = validate_parameter(i, spec, &base_json)?;
            if parameters.iter().any(|q: &Parameter| q.path == p.path) {
                return Err(invalid(
                    format!("parameter[{i}].path"),
                    format!("\"{}\" is sampled twice", p.path),
                ));
            }
            parameters.push(p);
        }
        let cholesky = correlations(&file.correlations, &parameters)?;

        let mut sweeps: Vec<Sweep> = Vec::with_capacity(file.sweeps.len());
        let mut points: u64 = 1;
        for (i, s) in file.sweeps.iter().enumerate() {
            let field = format!("sweep[{i}]");
            if s.values.is_empty() {
                return Err(invalid(format!("{field}.values"), "must not be empty"));
            }
            if parameters.iter().any(|p| p.path == s.path)
                || sweeps.iter().any(|q| q.path == s.path)
            {
                return Err(invalid(
                    format!("{field}.path"),
                    format!("\"{}\" is already sampled or swept", s.path),
                ));
            }
            let values = s
                .values
                .iter()
                .enumerate()
                .map(|(k, v)| toml_to_json(&format!("{field}.values[{k}]"), v))
                .collect::<Result<Vec<_>, _>>()?;
            for (k, v) in values.iter().enumerate() {
                check_assignment(&base_json, &s.path, v).map_err(|e| {
                    invalid(
                        format!("{field}.values[{k}]"),
                        format!("{v} at {}: {e}", s.path),
                    )
                })?;
            }
            points = points.saturating_mul(values.len() as u64);
            sweeps.push(Sweep {
                path: s.path.clone(),
                column: column_name("sweep_", &s.path),
                values,
            });
        }
        if c.size.saturating_mul(points) > MAX_ROWS {
            return Err(invalid(
                "cohort.size",
                match MAX_ROWS / points.max(1) {
                    0 => format!(
                        "{} patients × {points} sweep points is over {MAX_ROWS} rows: the sweep grid alone is too large",
                        c.size
                    ),
                    most => format!(
                        "{} patients × {points} sweep points is over {MAX_ROWS} rows: allowed 1 to {most} patients with this sweep (or fewer sweep points)",
                        c.size
                    ),
                },
            ));
        }

        let all = all_metric_names();
        let metrics = match &file.output.metrics {
            None => all,
            Some(list) => {
                for (i, m) in list.iter().enumerate() {
                    if !all.contains(m) {
                        return Err(invalid(
                            format!("output.metrics[{i}]"),
                            format!(
                                "\"{m}\" is not a summary metric; allowed: {}",
                                all.join(", ")
                            ),
                        ));
                    }
                    if list[..i].contains(m) {
                        return Err(invalid(
                            format!("output.metrics[{i}]"),
                            format!("\"{m}\" is listed twice"),
                        ));
                    }
                }
                list.clone()
            }
        };
        let beat_metrics = match &file.output.beats {
            None => Vec::new(),
            Some(list) => {
                let all = beat_metric_names();
                if list.is_empty() {
                    return Err(invalid(
                        "output.beats",
                        format!(
                            "an empty list keeps no beat table: leave the key out, or name beat metrics from: {}",
                            all.join(", ")
                        ),
                    ));
                }
                for (i, m) in list.iter().enumerate() {
                    if !all.contains(m) {
                        return Err(invalid(
                            format!("output.beats[{i}]"),
                            format!("\"{m}\" is not a beat metric; allowed: {}", all.join(", ")),
                        ));
                    }
                    if list[..i].contains(m) {
                        return Err(invalid(
                            format!("output.beats[{i}]"),
                            format!("\"{m}\" is listed twice"),
                        ));
                    }
                }
                list.clone()
            }
        };
        Ok(Cohort {
            name: c.name.clone(),
            seed: c.seed,
            size: c.size,
            chunk_size,
            mode,
            base: base_json,
            parameters,
            cholesky,
            sweeps,
            metrics,
            beat_metrics,
            hash,
        })
    }

    /// Number of sweep grid points (1 without sweeps).
    pub fn points(&self) -> u64 {
        self.sweeps.iter().map(|s| s.values.len() as u64).product()
    }

    /// Number of chunks.
    pub fn chunks(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }

    /// The values of grid point `j` (the last axis varies fastest).
    pub fn point(&self, mut j: u64) -> Vec<&Value> {
        let mut out = vec![&Value::Null; self.sweeps.len()];
        for (k, s) in self.sweeps.iter().enumerate().rev() {
            let n = s.values.len() as u64;
            out[k] = &s.values[(j % n) as usize];
            j /= n;
        }
        out
    }
}

/// Whether the base scenario with `value` at `path` parses and builds.
fn check_assignment(base: &Value, path: &str, value: &Value) -> Result<(), String> {
    let scenario = scenario_with(base, &[(path, value)])?;
    ecmova_scenario::build(&scenario).map_err(|e| e.to_string())?;
    Ok(())
}

fn need(field: &str, name: &str, v: Option<f64>) -> Result<f64, CohortError> {
    let x = v.ok_or_else(|| {
        invalid(
            format!("{field}.{name}"),
            "is required for this distribution",
        )
    })?;
    if !x.is_finite() {
        return Err(invalid(
            format!("{field}.{name}"),
            format!("{x} is not a finite number"),
        ));
    }
    Ok(x)
}

fn positive(field: &str, name: &str, v: Option<f64>) -> Result<f64, CohortError> {
    let x = need(field, name, v)?;
    if x <= 0.0 {
        return Err(invalid(
            format!("{field}.{name}"),
            format!("{x} is out of range: must be > 0"),
        ));
    }
    Ok(x)
}

fn validate_parameter(i: usize, s: &ParameterSpec, base: &Value) -> Result<Parameter, CohortError> {
    let field = format!("parameter[{i}]");
    let unused = |names: &[(&str, bool)]| -> Result<(), CohortError> {
        for (name, given) in names {
            if *given {
                return Err(invalid(
                    format!("{field}.{name}"),
                    format!("does not apply to distribution \"{}\"", s.distribution),
                ));
            }
        }
        Ok(())
    };
    let marginal = match s.distribution.as_str() {
        "normal" => {
            unused(&[
                ("median", s.median.is_some()),
                ("sigma_log", s.sigma_log.is_some()),
                ("min", s.min.is_some()),
                ("max", s.max.is_some()),
                ("values", s.values.is_some()),
                ("weights", s.weights.is_some()),
            ])?;
            Marginal::Normal {
                mean: need(&field, "mean", s.mean)?,
                sd: positive(&field, "sd", s.sd)?,
            }
        }
        "lognormal" => {
            unused(&[
                ("mean", s.mean.is_some()),
                ("sd", s.sd.is_some()),
                ("min", s.min.is_some()),
                ("max", s.max.is_some()),
                ("values", s.values.is_some()),
                ("weights", s.weights.is_some()),
            ])?;
            Marginal::LogNormal {
                median: positive(&field, "median", s.median)?,
                sigma_log: positive(&field, "sigma_log", s.sigma_log)?,
            }
        }
        "uniform" => {
            unused(&[
                ("mean", s.mean.is_some()),
                ("sd", s.sd.is_some()),
                ("median", s.median.is_some()),
                ("sigma_log", s.sigma_log.is_some()),
                ("values", s.values.is_some()),
                ("weights", s.weights.is_some()),
                ("lower", s.lower.is_some()),
                ("upper", s.upper.is_some()),
            ])?;
            let min = need(&field, "min", s.min)?;
            let max = need(&field, "max", s.max)?;
            if max <= min {
                return Err(invalid(
                    format!("{field}.max"),
                    format!("{max} is out of range: must be > min = {min}"),
                ));
            }
            Marginal::Uniform { min, max }
        }
        "discrete" => {
            unused(&[
                ("mean", s.mean.is_some()),
                ("sd", s.sd.is_some()),
                ("median", s.median.is_some()),
                ("sigma_log", s.sigma_log.is_some()),
                ("min", s.min.is_some()),
                ("max", s.max.is_some()),
                ("lower", s.lower.is_some()),
                ("upper", s.upper.is_some()),
            ])?;
            let raw = s
                .values
                .as_ref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(format!("{field}.values"), "must list at least one value"))?;
            let values = raw
                .iter()
                .enumerate()
                .map(|(k, v)| toml_to_json(&format!("{field}.values[{k}]"), v))
                .collect::<Result<Vec<_>, _>>()?;
            let numeric = values[0].is_number();
            if values.iter().any(|v| v.is_number() != numeric) {
                return Err(invalid(
                    format!("{field}.values"),
                    "mixes numbers and strings: use one kind",
                ));
            }
            let weights = match &s.weights {
                None => vec![1.0; values.len()],
                Some(w) => {
                    if w.len() != values.len() {
                        return Err(invalid(
                            format!("{field}.weights"),
                            format!("has {} entries for {} values", w.len(), values.len()),
                        ));
                    }
                    for (k, x) in w.iter().enumerate() {
                        if !(x.is_finite() && *x >= 0.0) {
                            return Err(invalid(
                                format!("{field}.weights[{k}]"),
                                format!("{x} is out of range: must be ≥ 0"),
                            ));
                        }
                    }
                    w.clone()
                }
            };
            let total: f64 = weights.iter().sum();
            if total <= 0.0 {
                return Err(invalid(format!("{field}.weights"), "must not all be 0"));
            }
            let mut acc = 0.0;
            let mut cumulative: Vec<f64> = weights
                .iter()
                .map(|w| {
                    acc += w;
                    acc / total
                })
                .collect();
            if let Some(last) = cumulative.last_mut() {
                *last = 1.0;
            }
            Marginal::Discrete { values, cumulative }
        }
        other => {
            return Err(invalid(
                format!("{field}.distribution"),
                format!(
                    "\"{other}\" is not allowed: allowed values are normal, lognormal, uniform, discrete"
                ),
            ))
        }
    };
    for (name, v) in [("lower", s.lower), ("upper", s.upper)] {
        if let Some(x) = v {
            if !x.is_finite() {
                return Err(invalid(
                    format!("{field}.{name}"),
                    format!("{x} is not a finite number"),
                ));
            }
        }
    }
    if let (Some(lo), Some(hi)) = (s.lower, s.upper) {
        if hi <= lo {
            return Err(invalid(
                format!("{field}.upper"),
                format!("{hi} is out of range: must be > lower = {lo}"),
            ));
        }
    }
    if let (Marginal::LogNormal { .. }, Some(lo)) = (&marginal, s.lower) {
        if lo < 0.0 {
            return Err(invalid(
                format!("{field}.lower"),
                format!("{lo} is out of range: a log-normal quantity is > 0"),
            ));
        }
    }
    // The path must name a key of the scenario, and the bounds and the centre must be values
    // the scenario accepts (the scenario's own range checks: no second range table here).
    let centre = match &marginal {
        Marginal::Normal { mean, .. } => Value::from(*mean),
        Marginal::LogNormal { median, .. } => Value::from(*median),
        Marginal::Uniform { min, max } => Value::from(0.5 * (min + max)),
        Marginal::Discrete { values, .. } => values[0].clone(),
    };
    let centre = match (&centre, s.lower, s.upper) {
        (Value::Number(n), lo, hi) => {
            let x = n.as_f64().unwrap_or(0.0);
            Value::from(x.max(lo.unwrap_or(f64::MIN)).min(hi.unwrap_or(f64::MAX)))
        }
        _ => centre,
    };
    // Every value the file names (bounds, the uniform's ends, the discrete values) and the
    // centre are tried. If none is accepted the path itself is at fault (unknown key, wrong
    // type), unless the scenario says the value is out of its range; otherwise the message
    // names the first key whose value is refused (a uniform `min` below zero, not the
    // midpoint the user never wrote).
    // (key, the value as the file wrote it, the value)
    let mut named: Vec<(String, String, Value)> = Vec::new();
    let mut number = |name: &str, x: f64| named.push((name.into(), x.to_string(), Value::from(x)));
    for (name, bound) in [("lower", s.lower), ("upper", s.upper)] {
        if let Some(x) = bound {
            number(name, x);
        }
    }
    match &marginal {
        Marginal::Uniform { min, max } => {
            number("min", *min);
            number("max", *max);
        }
        Marginal::Discrete { values, .. } => {
            for (k, v) in values.iter().enumerate() {
                named.push((format!("values[{k}]"), v.to_string(), v.clone()));
            }
        }
        _ => {}
    }
    let tried: Vec<(String, String, Result<(), String>)> = named
        .into_iter()
        .map(|(name, shown, v)| {
            let r = check_assignment(base, &s.path, &v);
            (name, shown, r)
        })
        .collect();
    let centre_result = check_assignment(base, &s.path, &centre);
    let centre_shown = centre
        .as_f64()
        .map_or_else(|| centre.to_string(), |x| x.to_string());
    let path_known = centre_result.is_ok()
        || tried.iter().any(|(_, _, r)| r.is_ok())
        || centre_result
            .as_ref()
            .is_err_and(|e| e.contains("is out of range"));
    if let (false, Err(e)) = (path_known, &centre_result) {
        return Err(invalid(
            format!("{field}.path"),
            format!("{} = {centre}: {e}", s.path),
        ));
    }
    for (name, v, r) in &tried {
        if let Err(e) = r {
            let reason = if name.starts_with("values[") {
                format!("{v} at {}: {e}", s.path)
            } else {
                format!("{v} is not a value {} can take: {e}", s.path)
            };
            return Err(invalid(format!("{field}.{name}"), reason));
        }
    }
    if let Err(e) = centre_result {
        let key = match &marginal {
            Marginal::Normal { .. } => "mean",
            Marginal::LogNormal { .. } => "median",
            _ => "path",
        };
        return Err(invalid(
            format!("{field}.{key}"),
            format!("{centre_shown} is not a value {} can take: {e}", s.path),
        ));
    }
    // An integer key (an Impella's `performance_level`, an IABP's `ratio`) takes whole
    // numbers only: a continuous distribution whose centre happens to be whole would load,
    // then refuse nearly every patient. Probe a value a quarter off the centre.
    if let (false, Some(x)) = (
        matches!(marginal, Marginal::Discrete { .. }),
        centre.as_f64(),
    ) {
        let step = if s.upper.is_some_and(|hi| x + 0.25 > hi) {
            -0.25
        } else {
            0.25
        };
        if let Err(e) = check_assignment(base, &s.path, &Value::from(x + step)) {
            // serde's wording for a float where an integer is expected.
            if e.contains("invalid type: floating point") {
                return Err(invalid(
                    format!("{field}.distribution"),
                    format!(
                        "{} takes whole numbers only ({e}): use distribution = \"discrete\" \
                         with the values to draw",
                        s.path
                    ),
                ));
            }
        }
    }
    Ok(Parameter {
        path: s.path.clone(),
        column: column_name("param_", &s.path),
        marginal,
        lower: s.lower,
        upper: s.upper,
    })
}

fn correlations(
    specs: &[CorrelationSpec],
    parameters: &[Parameter],
) -> Result<Option<Vec<f64>>, CohortError> {
    if specs.is_empty() {
        return Ok(None);
    }
    let n = parameters.len();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    let mut seen = BTreeMap::new();
    for (k, c) in specs.iter().enumerate() {
        let field = format!("correlation[{k}]");
        if !(c.rho.is_finite() && c.rho > -1.0 && c.rho < 1.0) {
            return Err(invalid(
                format!("{field}.rho"),
                format!(
                    "{} is out of range: allowed strictly between -1 and 1",
                    c.rho
                ),
            ));
        }
        if c.source.trim().is_empty() {
            return Err(invalid(
                format!("{field}.source"),
                "must cite where the figure comes from",
            ));
        }
        let index = |name: &str, j: usize| {
            parameters
                .iter()
                .position(|p| p.path == name)
                .ok_or_else(|| {
                    invalid(
                        format!("{field}.between[{j}]"),
                        format!("\"{name}\" is not a sampled parameter"),
                    )
                })
        };
        let a = index(&c.between[0], 0)?;
        let b = index(&c.between[1], 1)?;
        if a == b {
            return Err(invalid(
                format!("{field}.between"),
                "names the same parameter twice",
            ));
        }
        let key = (a.min(b), a.max(b));
        if seen.insert(key, k).is_some() {
            return Err(invalid(
                format!("{field}.between"),
                "this pair is already correlated",
            ));
        }
        m[a * n + b] = c.rho;
        m[b * n + a] = c.rho;
    }
    crate::sample::cholesky(&m, n).map(Some).ok_or_else(|| {
        invalid(
            "correlation",
            "the correlations together are not a valid correlation matrix (not positive definite)",
        )
    })
}
