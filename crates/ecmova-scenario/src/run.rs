//! Playing a scenario: the step loop, beats, steady state and the time series.

use crate::build::{apply_event, Built, EventContext, ScenarioError};
use crate::series::Series;
use crate::weaning::WeaningTrial;
use ecmova_engine::{step, BeatMetrics, BeatRecorder, State, SteadyStateDetector};

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
    /// Metrics of every completed beat, in order.
    pub beats: Vec<BeatMetrics>,
    /// Beat at which the periodic steady state was reached, if it was.
    pub steady_beat: Option<u64>,
    /// Whether the run stopped early at the steady state.
    pub stopped_at_steady: bool,
    /// Simulated time at the end, s.
    pub simulated_s: f64,
    /// The time series, if requested.
    pub series: Option<Series>,
    /// The final state.
    pub final_state: State,
    /// The model at the end (after every event).
    pub final_model: ecmova_engine::Model,
    /// The events applied, with the simulated time at which they took effect, s.
    pub applied_events: Vec<(f64, crate::wire::Event)>,
    /// The weaning trial, if the scenario ran one.
    pub weaning: Option<crate::weaning::WeaningTrial>,
}

impl RunOutput {
    /// Number of beats the summary averages over.
    pub const SUMMARY_BEATS: usize = 5;

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

/// [`run`], calling `progress` with the simulated time after every beat.
pub fn run_with_progress(
    built: &Built,
    options: RunOptions,
    mut progress: impl FnMut(f64),
) -> Result<RunOutput, ScenarioError> {
    let mut model = built.model.clone();
    let mut state = State::new(&model);
    let mut recorder = BeatRecorder::new(&model, &state);
    let mut next_event = 0;
    let mut applied_events = Vec::with_capacity(built.events.len());
    let mut detector = SteadyStateDetector::new(
        built.steady_tolerance,
        SteadyStateDetector::DEFAULT_CONSECUTIVE,
    );
    let mut series = options.record_series.then(|| Series::new(&model));
    let mut next_sample_s = 0.0;
    let mut beats = Vec::with_capacity((built.duration_s / model.period_s()) as usize + 2);
    let mut ctx = EventContext {
        lv_ees_reference: built.lv_ees_reference,
        ..EventContext::default()
    };
    let apply_due = |model: &mut ecmova_engine::Model,
                     state: &mut State,
                     ctx: &mut EventContext,
                     next_event: &mut usize,
                     applied: &mut Vec<(f64, crate::wire::Event)>|
     -> Result<bool, ScenarioError> {
        let mut applied_any = false;
        while let Some((index, event)) = built.events.get(*next_event) {
            if event.at_s() > state.time_s() + 1e-9 {
                break;
            }
            apply_event(model, Some(state), *index, event, ctx)?;
            applied_any = true;
            state.refresh(model);
            applied.push((state.time_s(), event.clone()));
            *next_event += 1;
        }
        Ok(applied_any)
    };
    let mut weaning: Option<WeaningTrial> = None;
    let mut reflex = match &built.baroreflex {
        Some(b) => Some(crate::reflex::ReflexLoop::new(b.clone(), &model)?),
        None => None,
    };
    apply_due(
        &mut model,
        &mut state,
        &mut ctx,
        &mut next_event,
        &mut applied_events,
    )?;
    start_weaning(&applied_events, &mut weaning);
    let mut stopped_at_steady = false;
    // Tolerance on the end time: the last step may land a rounding error short of it.
    let end_s = built.duration_s - 1e-9;
    if let Some(s) = series.as_mut() {
        s.push(&model, &state);
        next_sample_s += built.series_interval_s;
    }
    while state.time_s() < end_s {
        step(&model, &mut state);
        if let Some(s) = series.as_mut() {
            if state.time_s() >= next_sample_s - 1e-9 {
                s.push(&model, &state);
                next_sample_s += built.series_interval_s;
            }
        }
        let beat = recorder.record(&model, &state);
        if apply_due(
            &mut model,
            &mut state,
            &mut ctx,
            &mut next_event,
            &mut applied_events,
        )? {
            start_weaning(&applied_events, &mut weaning);
            // A new phase: its own steady state is what the summary reports.
            detector = SteadyStateDetector::new(
                built.steady_tolerance,
                SteadyStateDetector::DEFAULT_CONSECUTIVE,
            );
        }
        if let Some(beat) = beat {
            if !state.is_finite() {
                return Err(ScenarioError::Diverged {
                    time_s: state.time_s(),
                });
            }
            let steady = detector.observe(&beat);
            if let Some(r) = reflex.as_mut() {
                if r.after_beat(&mut model, &beat, steady, !applied_events.is_empty())? {
                    state.refresh(&model);
                }
            }
            let beat_flow = beat.ecmo_flow_l_min;
            beats.push(beat);
            if let Some(trial) = weaning.as_mut() {
                let (rpm, max_rpm) = model
                    .params()
                    .ecmo
                    .as_ref()
                    .map_or((0.0, 0.0), |e| (e.pump_rpm, e.pump.max_rpm));
                let recent = &beats[beats.len().saturating_sub(RunOutput::SUMMARY_BEATS)..];
                trial.after_beat(state.time_s(), rpm, recent);
                if let Some(next_rpm) = trial.control(beat_flow, rpm, max_rpm) {
                    model
                        .update(|p| {
                            if let Some(e) = p.ecmo.as_mut() {
                                e.pump_rpm = next_rpm;
                            }
                        })
                        .map_err(ScenarioError::from)?;
                    state.refresh(&model);
                }
            }
            progress(state.time_s());
            if steady && options.until_steady {
                stopped_at_steady = true;
                break;
            }
        }
    }
    if !state.is_finite() {
        return Err(ScenarioError::Diverged {
            time_s: state.time_s(),
        });
    }
    Ok(RunOutput {
        beats,
        steady_beat: detector.steady_beat(),
        stopped_at_steady,
        simulated_s: state.time_s(),
        series,
        final_state: state,
        final_model: model,
        applied_events,
        weaning,
    })
}

/// Starts a weaning trial if the last applied event is one.
fn start_weaning(applied: &[(f64, crate::wire::Event)], trial: &mut Option<WeaningTrial>) {
    if let Some((
        t,
        crate::wire::Event::WeaningTrial {
            flows_l_min,
            step_s,
            ..
        },
    )) = applied.last()
    {
        if trial.as_ref().is_none_or(|w| w.finished()) {
            *trial = Some(WeaningTrial::new(flows_l_min.clone(), *step_s, *t));
        }
    }
}
