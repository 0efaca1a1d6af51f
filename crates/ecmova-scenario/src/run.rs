//! Playing a scenario file: the [`Simulation`] advanced to the scenario's end (or its steady
//! state), its timeline applied as it falls due.

use crate::build::{Built, ScenarioError};
use crate::series::Series;
use crate::simulation::{Observer, Simulation, SimulationOptions, Stop};
use crate::summary::Summary;
use ecmova_engine::{BeatMetrics, State};
use std::sync::atomic::{AtomicBool, Ordering};

/// What to do besides simulating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Stop at the beat where the periodic steady state is reached (otherwise the whole
    /// duration is always simulated).
    pub until_steady: bool,
    /// Record the time series.
    pub record_series: bool,
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The summary at the end.
    pub summary: Summary,
    /// Metrics of every completed beat, in order.
    pub beats: Vec<BeatMetrics>,
    /// Beat at which the last phase reached its periodic steady state, if it did.
    pub steady_beat: Option<u64>,
    /// Whether the run stopped early at the steady state.
    pub stopped_at_steady: bool,
    /// Simulated time at the end, s.
    pub simulated_s: f64,
    /// The time series, if requested.
    pub series: Option<Series>,
    /// The final state.
    pub final_state: State,
    /// The model at the end (after every action).
    pub final_model: ecmova_engine::Model,
    /// The actions applied, with the simulated time at which they took effect.
    pub applied: Vec<crate::simulation::LoggedAction>,
    /// The weaning trial, if the scenario ran one.
    pub weaning: Option<crate::weaning::WeaningTrial>,
}

impl RunOutput {
    /// Number of beats the summary averages over.
    pub const SUMMARY_BEATS: usize = crate::simulation::SUMMARY_BEATS;

    /// The average of the last [`RunOutput::SUMMARY_BEATS`] beats (fewer if the run was
    /// shorter); `None` if no beat completed.
    pub fn summary_metrics(&self) -> Option<BeatMetrics> {
        let n = self.beats.len();
        BeatMetrics::average(&self.beats[n.saturating_sub(Self::SUMMARY_BEATS)..])
    }
}

/// Runs a built scenario. Deterministic: the same scenario gives bit-identical output.
pub fn run(built: &Built, options: RunOptions) -> Result<RunOutput, ScenarioError> {
    run_with_progress(built, options, |_| {})
}

/// Calls the progress function after every beat; stops when `cancel` is set.
struct Progress<'a, F: FnMut(f64)>(F, f64, Option<&'a AtomicBool>);

impl<F: FnMut(f64)> Observer for Progress<'_, F> {
    fn after_step(&mut self, _model: &ecmova_engine::Model, state: &State) {
        self.1 = state.time_s();
    }
    fn after_beat(&mut self, _beat: &BeatMetrics) {
        (self.0)(self.1);
    }
    fn cancelled(&self) -> bool {
        self.2.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// [`run`], calling `progress` with the simulated time after every beat.
pub fn run_with_progress(
    built: &Built,
    options: RunOptions,
    progress: impl FnMut(f64),
) -> Result<RunOutput, ScenarioError> {
    run_observed(built, options, Progress(progress, 0.0, None))
}

/// [`run`], stopping with [`ScenarioError::Cancelled`] at the first beat end after `cancel`
/// is set (from another thread: a server whose request timed out).
pub fn run_cancellable(
    built: &Built,
    options: RunOptions,
    cancel: &AtomicBool,
) -> Result<RunOutput, ScenarioError> {
    run_observed(built, options, Progress(|_| {}, 0.0, Some(cancel)))
}

fn run_observed<F: FnMut(f64)>(
    built: &Built,
    options: RunOptions,
    mut observer: Progress<'_, F>,
) -> Result<RunOutput, ScenarioError> {
    let mut sim = Simulation::new(
        built,
        SimulationOptions {
            record_series: options.record_series,
            record_beats: true,
        },
    )?;
    // Tolerance on the end time: the last step may land a rounding error short of it.
    let end_s = built.duration_s;
    let stop = if options.until_steady {
        sim.advance_until_steady(end_s, &mut observer)?
    } else {
        sim.advance_to(end_s, &mut observer)?
    };
    let stopped_at_steady = stop == Stop::Steady;
    let mut summary = sim.summary();
    summary.stopped_at_steady = stopped_at_steady;
    Ok(RunOutput {
        summary,
        steady_beat: sim.steady_beat(),
        stopped_at_steady,
        simulated_s: sim.time_s(),
        series: sim.take_series(),
        final_state: sim.state().clone(),
        final_model: sim.model().clone(),
        applied: sim.log().to_vec(),
        weaning: sim.weaning().cloned(),
        beats: sim.beats().to_vec(),
    })
}
