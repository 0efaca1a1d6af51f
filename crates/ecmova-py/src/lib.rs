//! # ecmova-py: the native half of the `ecmova` Python package
//!
//! A thin PyO3 layer over the one driver ([`ecmova_scenario::Simulation`]) and the clinical
//! library ([`ecmova_clinical`]). It simulates nothing of its own and keeps no ranges: scenarios
//! and actions cross as the JSON the Rust types read (`Scenario`, the tagged `Action`),
//! summaries and assessments leave as the JSON the CLI writes, and errors become the Python
//! exceptions of `ecmova._errors` with the field, the value and the allowed range.
//!
//! Columns (the time series, the beats) leave as one little-endian `bytes` object per column,
//! written once in column order from the row-major recorder; the Python half wraps each as an
//! Arrow buffer without copying (`pyarrow.py_buffer`). The GIL is released while simulating.
//!
//! The Python API (classes, docstrings, stubs) lives in `python/ecmova/`.
#![deny(missing_docs)]

mod errors;

use ecmova_engine::{BeatMetrics, CirculationParams};
use ecmova_scenario::series::Series;
use ecmova_scenario::{
    build, run, Action, RunOptions, RunOutput, Scenario, Simulation, SimulationOptions, Snapshot,
};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Columns ready for Arrow: names, one little-endian buffer per column, and the row count.
type Columns<'py> = (Vec<String>, Vec<Bound<'py, PyBytes>>, usize);

/// Parses scenario text in `format` (`"toml"` or `"json"`).
fn parse_scenario(py: Python<'_>, text: &str, format: &str) -> PyResult<Scenario> {
    let parsed = match format {
        "json" => Scenario::from_json(text),
        "toml" => Scenario::from_toml(text),
        other => {
            return Err(PyValueError::new_err(format!(
                "format = \"{other}\" is not allowed: allowed values are toml, json"
            )))
        }
    };
    parsed.map_err(|e| errors::scenario(py, e))
}

/// Writes `n` values, `value(i)` for row `i`, into a new `bytes` object (f64, little-endian).
/// A negative zero is written as 0, as in every file output (`+ 0.0` changes no other bit).
fn f64_column<'py>(
    py: Python<'py>,
    n: usize,
    value: impl Fn(usize) -> f64,
) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, n * 8, |buf| {
        for (i, chunk) in buf.chunks_exact_mut(8).enumerate() {
            chunk.copy_from_slice(&(value(i) + 0.0).to_le_bytes());
        }
        Ok(())
    })
}

/// The series' columns named in `wanted` (all, in recording order, for `None`).
fn series_columns<'py>(
    py: Python<'py>,
    series: &Series,
    wanted: Option<Vec<String>>,
) -> PyResult<Columns<'py>> {
    let all = series.columns();
    let names = wanted.unwrap_or_else(|| all.to_vec());
    let mut index = Vec::with_capacity(names.len());
    for name in &names {
        let j = all.iter().position(|c| c == name).ok_or_else(|| {
            PyKeyError::new_err(format!(
                "columns: \"{name}\" is not a column of this series; allowed: {}",
                all.join(", ")
            ))
        })?;
        index.push(j);
    }
    let n = series.len();
    let buffers = index
        .iter()
        .map(|&j| f64_column(py, n, |i| series.row(i)[j]))
        .collect::<PyResult<Vec<_>>>()?;
    Ok((names, buffers, n))
}

/// The per-beat columns, exactly those of `ecmova simulate --beats` (one implementation,
/// [`Series::beat_table`]): `time_s` (the beat's start), `phase_index`, `beat_index`, every
/// metric the patient has (a circuit's or a device's only with it), and whether the aortic
/// valve opened (returned apart, as booleans).
fn beat_columns<'py>(
    py: Python<'py>,
    beats: &[BeatMetrics],
    phase_starts_s: &[f64],
    params: &CirculationParams,
) -> PyResult<(Columns<'py>, Vec<bool>)> {
    let table = Series::beat_table(beats, phase_starts_s, Some(params));
    let mut names = table.columns().to_vec();
    let opened_column = names.len() - 1;
    debug_assert_eq!(names[opened_column], "aortic_valve_opened");
    names.truncate(opened_column);
    let n = table.len();
    let buffers = (0..names.len())
        .map(|j| f64_column(py, n, |i| table.row(i)[j]))
        .collect::<PyResult<Vec<_>>>()?;
    let opened = (0..n).map(|i| table.row(i)[opened_column] != 0.0).collect();
    Ok(((names, buffers, n), opened))
}

/// The driver behind `ecmova.Simulation` (see the Python class for the documentation).
#[pyclass(module = "ecmova._ecmova")]
struct NativeSimulation {
    sim: Simulation,
}

#[pymethods]
impl NativeSimulation {
    /// Builds the scenario (`format` `"toml"` or `"json"`) and starts it at t = 0.
    #[new]
    fn new(py: Python<'_>, text: &str, format: &str, record_series: bool) -> PyResult<Self> {
        let scenario = parse_scenario(py, text, format)?;
        let options = SimulationOptions {
            record_series,
            record_beats: true,
        };
        let sim = py
            .detach(|| Simulation::from_scenario(&scenario, options))
            .map_err(|e| errors::scenario(py, e))?;
        Ok(NativeSimulation { sim })
    }

    /// Resumes a snapshot written by `snapshot()` (replays it; the GIL is released).
    #[staticmethod]
    fn restore(py: Python<'_>, data: &[u8], record_series: bool) -> PyResult<Self> {
        let snapshot: Snapshot = serde_json::from_slice(data).map_err(|e| {
            errors::raise(
                py,
                "ScenarioError",
                format!("snapshot: not an ecmova snapshot ({e})"),
                errors::Details::field("snapshot"),
            )
        })?;
        let options = SimulationOptions {
            record_series,
            record_beats: true,
        };
        let sim = py
            .detach(|| Simulation::restore(&snapshot, options))
            .map_err(|e| errors::scenario(py, e))?;
        Ok(NativeSimulation { sim })
    }

    /// The snapshot as JSON bytes.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = serde_json::to_vec(&self.sim.snapshot())
            .map_err(|e| PyValueError::new_err(format!("snapshot: {e}")))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Applies an action given as JSON (the `Action` of a scenario's `[[events]]` without
    /// `at_s`); returns its clinical label.
    fn apply(&mut self, py: Python<'_>, action_json: &str) -> PyResult<String> {
        let action: Action = ecmova_scenario::json_keys::from_str(action_json)
            .map_err(|e| errors::action_parse(py, e))?;
        self.sim.apply(action).map_err(|e| errors::action(py, e))
    }

    /// Advances to simulated time `t_s` (GIL released); returns whether it stopped at the
    /// steady state (only with `until_steady`).
    fn advance_to(&mut self, py: Python<'_>, t_s: f64, until_steady: bool) -> PyResult<bool> {
        let sim = &mut self.sim;
        let stop = py
            .detach(|| {
                if until_steady {
                    sim.advance_until_steady(t_s, &mut ())
                } else {
                    sim.advance_to(t_s, &mut ())
                }
            })
            .map_err(|e| errors::scenario(py, e))?;
        Ok(stop == ecmova_scenario::simulation::Stop::Steady)
    }

    /// Simulated time, s.
    #[getter]
    fn time_s(&self) -> f64 {
        self.sim.time_s()
    }

    /// End of the scenario's duration, s.
    #[getter]
    fn end_s(&self) -> f64 {
        self.sim.end_s()
    }

    /// The summary now, as the CLI's summary JSON.
    fn summary_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.sim.summary())
            .map_err(|e| PyValueError::new_err(format!("summary: {e}")))
    }

    /// The series' column names (empty when not recorded).
    fn series_names(&self) -> Vec<String> {
        self.sim
            .series()
            .map(|s| s.columns().to_vec())
            .unwrap_or_default()
    }

    /// Columns of the recorded series.
    #[pyo3(signature = (columns=None))]
    fn series<'py>(&self, py: Python<'py>, columns: Option<Vec<String>>) -> PyResult<Columns<'py>> {
        let series = self.sim.series().ok_or_else(|| {
            PyValueError::new_err(
                "record_series: the series was not recorded (False); create the Simulation \
                 with record_series=True",
            )
        })?;
        series_columns(py, series, columns)
    }

    /// Columns of every beat so far.
    fn beats<'py>(&self, py: Python<'py>) -> PyResult<(Columns<'py>, Vec<bool>)> {
        let starts: Vec<f64> = self.sim.phases().iter().map(|p| p.start_s).collect();
        beat_columns(py, self.sim.beats(), &starts, self.sim.model().params())
    }
}

/// A finished scenario run (`ecmova.run`), as `ecmova simulate` produces it.
#[pyclass(module = "ecmova._ecmova", frozen)]
struct NativeRun {
    out: RunOutput,
}

#[pymethods]
impl NativeRun {
    /// The summary, as `ecmova simulate --summary-json` writes it.
    fn summary_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.out.summary)
            .map_err(|e| PyValueError::new_err(format!("summary: {e}")))
    }

    /// Columns of the series (recorded when the run asked for it).
    #[pyo3(signature = (columns=None))]
    fn series<'py>(
        &self,
        py: Python<'py>,
        columns: Option<Vec<String>>,
    ) -> PyResult<Option<Columns<'py>>> {
        self.out
            .series
            .as_ref()
            .map(|s| series_columns(py, s, columns))
            .transpose()
    }

    /// Columns of every beat.
    fn beats<'py>(&self, py: Python<'py>) -> PyResult<(Columns<'py>, Vec<bool>)> {
        let starts: Vec<f64> = self.out.summary.phases.iter().map(|p| p.start_s).collect();
        beat_columns(py, &self.out.beats, &starts, self.out.final_model.params())
    }
}

/// Runs a scenario as `ecmova simulate` does (`ecmova_scenario::run`), GIL released.
#[pyfunction]
fn run_scenario(
    py: Python<'_>,
    text: &str,
    format: &str,
    until_steady: bool,
    record_series: bool,
) -> PyResult<NativeRun> {
    let scenario = parse_scenario(py, text, format)?;
    let options = RunOptions {
        until_steady,
        record_series,
    };
    let out = py
        .detach(|| build(&scenario).and_then(|built| run(&built, options)))
        .map_err(|e| errors::scenario(py, e))?;
    Ok(NativeRun { out })
}

/// The VA-ECMO assessment of a patient JSON document, as `ecmova assess` writes it.
#[pyfunction]
fn assess_json(py: Python<'_>, patient_json: &str) -> PyResult<String> {
    let patient =
        ecmova_clinical::Patient::from_json(patient_json).map_err(|e| errors::patient(py, e))?;
    let a = ecmova_clinical::assess::assess(&patient);
    serde_json::to_string(&a).map_err(|e| PyValueError::new_err(format!("assessment: {e}")))
}

/// The score names `score_json` accepts, as `ecmova score` names them.
const SCORES: &[&str] = &["save", "encourage", "cardshock", "tips65"];

/// A published score of a patient JSON document, as `ecmova score NAME` writes it.
#[pyfunction]
fn score_json(py: Python<'_>, name: &str, patient_json: &str) -> PyResult<String> {
    use ecmova_clinical::scores::{cardshock, encourage, save, tips65};
    type ScoreFn = fn(
        &ecmova_clinical::Patient,
    ) -> Result<ecmova_clinical::ScoreResult, ecmova_clinical::ClinicalError>;
    let f: ScoreFn = match name {
        "save" => save::save,
        "encourage" => encourage::encourage,
        "cardshock" => cardshock::cardshock,
        "tips65" => tips65::tips65,
        other => {
            return Err(PyValueError::new_err(format!(
                "name = \"{other}\" is not allowed: allowed values are {}",
                SCORES.join(", ")
            )))
        }
    };
    let patient =
        ecmova_clinical::Patient::from_json(patient_json).map_err(|e| errors::patient(py, e))?;
    let result = f(&patient).map_err(|e| errors::patient(py, e))?;
    serde_json::to_string(&result).map_err(|e| PyValueError::new_err(format!("score: {e}")))
}

/// Runs a cohort, or one shard of it, exactly as `ecmova cohort --out OUT_DIR [--shard K/N]
/// [--threads N]` does (the same library runner: chunk files, `results.parquet`,
/// `manifest.json` in `out_dir`), GIL released. `kind` says what `source` is: `"path"` (a
/// cohort file; `base_file` relative to it), `"toml"` (cohort text; `base_file` relative to
/// the working directory) or `"json"` (the cohort file's tables as JSON, turned into TOML).
/// `shard` is `K/N` or `None` for the whole cohort; `threads` `None` means all cores.
#[pyfunction]
#[pyo3(signature = (source, kind, out_dir, shard=None, threads=None))]
fn run_cohort(
    py: Python<'_>,
    source: &str,
    kind: &str,
    out_dir: &str,
    shard: Option<&str>,
    threads: Option<usize>,
) -> PyResult<()> {
    use ecmova_cohort::{Cohort, CohortError, RunConfig, Shard};
    let cohort = match kind {
        "path" => Cohort::from_path(std::path::Path::new(source)),
        "toml" | "json" => {
            let text = if kind == "json" {
                serde_json::from_str::<serde_json::Value>(source)
                    .map_err(|e| CohortError::Parse(e.to_string()))
                    .and_then(|v| {
                        toml::to_string(&v).map_err(|e| CohortError::Parse(e.to_string()))
                    })
            } else {
                Ok(source.to_string())
            };
            text.and_then(|t| {
                Cohort::from_toml(&t, |rel| {
                    std::fs::read(rel).map_err(|e| CohortError::Io {
                        path: rel.into(),
                        source: e,
                    })
                })
            })
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "kind = \"{other}\" is not allowed: allowed values are path, toml, json"
            )))
        }
    }
    .map_err(|e| errors::cohort(py, e))?;
    let shard = match shard {
        Some(s) => Shard::parse(s).map_err(|e| errors::cohort(py, e))?,
        None => Shard::WHOLE,
    };
    if threads == Some(0) {
        return Err(errors::raise(
            py,
            "CohortError",
            "threads = 0 is out of range: give at least 1 (or None for all cores)".into(),
            errors::Details {
                field: Some("threads".into()),
                value: Some(errors::Value::Number(0.0)),
                allowed: Some("1 or more, or None for all cores".into()),
                min: Some(1.0),
                ..errors::Details::default()
            },
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| PyValueError::new_err(format!("threads: cannot start the workers: {e}")))?;
    let out = std::path::PathBuf::from(out_dir);
    py.detach(|| {
        pool.install(|| ecmova_cohort::run_cohort(&cohort, &out, RunConfig { shard }, &|_, _| {}))
    })
    .map_err(|e| errors::cohort(py, e))?;
    Ok(())
}

/// The built-in presets' names.
#[pyfunction]
fn presets() -> Vec<&'static str> {
    ecmova_engine::presets::NAMES.to_vec()
}

/// The native module `ecmova._ecmova`.
#[pymodule]
fn _ecmova(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SCORES", SCORES.to_vec())?;
    m.add("MAX_DURATION_S", ecmova_scenario::build::MAX_DURATION_S)?;
    m.add_class::<NativeSimulation>()?;
    m.add_class::<NativeRun>()?;
    m.add_function(wrap_pyfunction!(run_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(assess_json, m)?)?;
    m.add_function(wrap_pyfunction!(score_json, m)?)?;
    m.add_function(wrap_pyfunction!(presets, m)?)?;
    m.add_function(wrap_pyfunction!(run_cohort, m)?)?;
    Ok(())
}
