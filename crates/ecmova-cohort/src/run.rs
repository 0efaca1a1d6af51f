//! Running one patient at one sweep point over the one driver,
//! [`ecmova_scenario::Simulation`], and the result row it gives (never dropped: a run that
//! fails has a row with its status).

use crate::spec::{scenario_with, Cohort, Mode};
use ecmova_scenario::{ScenarioError, Simulation, SimulationOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ran, and its last phase reached the periodic steady state.
    Ok,
    /// The sampled parameters or sweep values did not validate (or an action was refused).
    Invalid,
    /// The state became non-finite or physically impossible.
    Diverged,
    /// Ran to its end without reaching the periodic steady state.
    NotSteady,
}

impl Status {
    /// Every status, in column order of the manifest.
    pub const ALL: [Status; 4] = [
        Status::Ok,
        Status::Invalid,
        Status::Diverged,
        Status::NotSteady,
    ];

    /// The name written in the `status` column.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Invalid => "invalid",
            Status::Diverged => "diverged",
            Status::NotSteady => "not_steady",
        }
    }
}

/// One result row: one patient at one sweep point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Patient index, 0-based.
    pub patient_index: u64,
    /// Sweep point index, 0-based (the last axis varies fastest).
    pub sweep_index: u64,
    /// Sampled values, one per parameter.
    pub params: Vec<Value>,
    /// Sweep values, one per axis.
    pub sweep: Vec<Value>,
    /// How the run ended.
    pub status: Status,
    /// Why, for every status but `ok`.
    pub status_detail: Option<String>,
    /// Simulated time reached, s.
    pub simulated_s: f64,
    /// Time the last phase reached steady state, s.
    pub steady_state_time_s: Option<f64>,
    /// The kept metrics (absent where the summary has none).
    pub metrics: Vec<Option<f64>>,
    /// The run's beats when the cohort keeps a beat table (`[output] beats`), each
    /// `[time_s, phase_index, beat_index, kept beat metrics...]` (a non-finite metric is
    /// `None`); empty otherwise, and for a run that ended in an error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub beats: Vec<Vec<Option<f64>>>,
}

/// Runs patient `index` (already sampled: `params`) at sweep point `j`.
pub fn run_point(cohort: &Cohort, index: u64, params: &[Value], j: u64) -> Row {
    let sweep: Vec<Value> = cohort.point(j).into_iter().cloned().collect();
    let mut row = Row {
        patient_index: index,
        sweep_index: j,
        params: params.to_vec(),
        sweep,
        status: Status::Invalid,
        status_detail: None,
        simulated_s: 0.0,
        steady_state_time_s: None,
        metrics: vec![None; cohort.metrics.len()],
        beats: Vec::new(),
    };
    let assignments: Vec<(&str, &Value)> = cohort
        .parameters
        .iter()
        .map(|p| p.path.as_str())
        .zip(params.iter())
        .chain(
            cohort
                .sweeps
                .iter()
                .map(|s| s.path.as_str())
                .zip(row.sweep.iter()),
        )
        .collect();
    let scenario = match scenario_with(&cohort.base, &assignments) {
        Ok(s) => s,
        Err(e) => {
            row.status_detail = Some(e);
            return row;
        }
    };
    let built = match ecmova_scenario::build(&scenario) {
        Ok(b) => b,
        Err(e) => {
            row.status_detail = Some(e.to_string());
            return row;
        }
    };
    let last_action_s = built
        .events
        .iter()
        .map(|(_, t)| t.at_s)
        .fold(0.0_f64, f64::max);
    let options = SimulationOptions {
        record_beats: !cohort.beat_metrics.is_empty(),
        ..SimulationOptions::default()
    };
    let result = Simulation::new(&built, options).and_then(|mut sim| {
        match cohort.mode {
            Mode::Duration => {
                sim.advance_to(built.duration_s, &mut ())?;
            }
            Mode::Steady { max_s } => {
                sim.advance_to(last_action_s, &mut ())?;
                sim.stabilize(max_s, &mut ())?;
            }
        }
        Ok(sim)
    });
    match result {
        Err(e) => {
            row.status = match e {
                ScenarioError::Diverged { time_s } | ScenarioError::Implausible { time_s, .. } => {
                    // The time the run reached before it left the physical range, not 0.
                    row.simulated_s = ecmova_scenario::simulation::reported_time_s(time_s);
                    Status::Diverged
                }
                _ => Status::Invalid,
            };
            row.status_detail = Some(e.to_string());
        }
        Ok(sim) => {
            let summary = sim.summary();
            row.simulated_s = summary.simulated_s;
            row.steady_state_time_s = summary.steady_state_time_s;
            if let Some(m) = &summary.metrics {
                let flat = flatten(&serde_json::to_value(m).unwrap_or(Value::Null));
                for (slot, name) in row.metrics.iter_mut().zip(&cohort.metrics) {
                    *slot = flat
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| *v)
                        .filter(|v| v.is_finite());
                }
            }
            if !cohort.beat_metrics.is_empty() {
                row.beats = beat_rows(&sim, &cohort.beat_metrics);
            }
            if sim.steady_beat().is_some() {
                row.status = Status::Ok;
            } else {
                row.status = Status::NotSteady;
                row.status_detail = Some(format!(
                    "no periodic steady state by {:.1} s",
                    summary.simulated_s
                ));
            }
        }
    }
    row
}

/// The rows of a run's beat table, `[time_s, phase_index, beat_index, kept...]`, from the one
/// single-run beat table (`Series::beat_table`: the same names, values and reported times).
fn beat_rows(sim: &Simulation, kept: &[String]) -> Vec<Vec<Option<f64>>> {
    let starts: Vec<f64> = sim.phases().iter().map(|p| p.start_s).collect();
    let table = ecmova_scenario::series::Series::beat_table(
        sim.beats(),
        &starts,
        Some(sim.model().params()),
    );
    let index = |name: &str| table.columns().iter().position(|c| c == name);
    let columns: Vec<Option<usize>> = ["time_s", "phase_index", "beat_index"]
        .into_iter()
        .chain(kept.iter().map(String::as_str))
        .map(index)
        .collect();
    (0..table.len())
        .map(|i| {
            let row = table.row(i);
            columns
                .iter()
                .map(|c| c.map(|k| row[k]).filter(|v| v.is_finite()))
                .collect()
        })
        .collect()
}

/// The numeric leaves of a JSON object, by key (the summary's metric names are unique).
fn flatten(v: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<(String, f64)>) {
        if let Value::Object(map) = v {
            for (k, x) in map {
                match x {
                    Value::Number(n) => {
                        if let Some(f) = n.as_f64() {
                            out.push((k.clone(), f));
                        }
                    }
                    Value::Object(_) => walk(x, out),
                    _ => {}
                }
            }
        }
    }
    walk(v, &mut out);
    out
}

/// The rows of patients `indices` (every sweep point each), in (patient, sweep) order. Runs
/// on the current rayon pool; the rows do not depend on the pool's size.
pub fn run_patients(cohort: &Cohort, indices: &[u64]) -> Vec<Row> {
    use rayon::prelude::*;
    let points = cohort.points();
    let jobs: Vec<(u64, u64)> = indices
        .iter()
        .flat_map(|&i| (0..points).map(move |j| (i, j)))
        .collect();
    jobs.par_iter()
        .map(|&(i, j)| {
            let params = crate::sample::sample_patient(cohort, i);
            run_point(cohort, i, &params, j)
        })
        .collect()
}
