//! The one simulation driver every front end uses (Pulse's engine interface: one object that
//! owns the simulation, takes actions, advances time and answers data requests).
//!
//! A [`Simulation`] owns the model and its state, the beat recorder, the steady-state detector,
//! the baroreflex loop, the infusions, the weaning controller, the alarms, the phases, the
//! scenario's timeline and the log of every applied action. A scenario run
//! ([`crate::run`]) is `advance_to(duration)`; a live session is the same object advanced in
//! real time by the server. Both therefore give the same physiology by construction.
//!
//! Order of work, the same whatever advances it: after every engine step the series row (if
//! due) and the caller's [`Observer`]; at the end of a beat the beat's metrics, the steady-state
//! detector, the baroreflex, the weaning controller and the alarms; then the timeline's actions
//! that are due. An action applied from outside (a live request) lands at the step boundary
//! where `advance_to` stopped, which is the same boundary a timed action at that time uses.

use crate::action::{
    check_in, Action, ActionError, ArrestRhythm, CircuitFailure, DeviceKind, TimedAction,
};
use crate::alarms::{AlarmContext, AlarmLimits, AlarmTracker};
use crate::bedside::Bedside;
use crate::build::{Built, ScenarioError};
use crate::interventions::Infusions;
use crate::reflex::ReflexLoop;
use crate::series::Series;
use crate::summary::Summary;
use crate::weaning::WeaningTrial;
use crate::wire::Scenario;
use ecmova_engine::{
    step, BeatMetrics, BeatRecorder, CompartmentKind, Model, Rhythm, State, SteadyStateDetector,
};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Number of beats the summaries average over.
pub const SUMMARY_BEATS: usize = 5;

/// What a [`Simulation`] keeps besides the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimulationOptions {
    /// Record the time series (every compartment, connection and role signal).
    pub record_series: bool,
    /// Keep the metrics of every beat (otherwise only the last few and each phase's last few).
    pub record_beats: bool,
}

/// Sees every step and every beat as they happen (a live session samples its stream here).
pub trait Observer {
    /// After every engine step.
    fn after_step(&mut self, _model: &Model, _state: &State) {}
    /// After every completed beat.
    fn after_beat(&mut self, _beat: &BeatMetrics) {}
    /// Asked after every completed beat: `true` stops the advance with
    /// [`ScenarioError::Cancelled`] (a server cancels a timed-out computation this way).
    fn cancelled(&self) -> bool {
        false
    }
}

impl Observer for () {}

/// Why [`Simulation::advance_to`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The target time was reached.
    Reached,
    /// The periodic steady state was reached (only when asked to stop there).
    Steady,
}

/// Who applied a logged action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The scenario's timeline (its `[[events]]`, and the implicit starts of `start_s`).
    Timeline,
    /// Applied from outside while running (a live session's request).
    Live,
}

/// An applied action, with the simulated time at which it took effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoggedAction {
    /// Simulated time, s.
    pub t_s: f64,
    /// Who applied it.
    pub source: Source,
    /// The action.
    pub action: Action,
    /// What came of it when that is a chance outcome (a `defibrillate`: "… sinus rhythm" or
    /// "… VF persists"); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl LoggedAction {
    /// Its description for people: the outcome when there is one, else the action's.
    pub fn describe(&self) -> String {
        self.outcome
            .clone()
            .unwrap_or_else(|| self.action.describe())
    }
}

/// A phase of the run: from the start, or from an action, to the next action (actions at the
/// same instant open one phase). Each keeps its own last beats.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Clinical label (`baseline`, `ECMO 3600 rpm`).
    pub label: String,
    /// Start, s.
    pub start_s: f64,
    /// Beats that started and ended inside the phase.
    pub beats: u64,
    /// Its last [`SUMMARY_BEATS`] beats.
    pub recent: VecDeque<BeatMetrics>,
}

impl Phase {
    fn new(label: String, start_s: f64) -> Self {
        Phase {
            label,
            start_s: reported_time_s(start_s),
            beats: 0,
            recent: VecDeque::with_capacity(SUMMARY_BEATS + 1),
        }
    }
}

/// A time as the driver reports it (phases, series and beat-table rows, summaries, alarms), s:
/// the engine's clock rounded to the nearest nanosecond.
///
/// The engine's clock is beat-synchronous: each beat's start is the previous start plus the
/// period, and each step's time is the beat's start plus whole steps, so it carries the
/// rounding of every addition (after 105 beats at 105 /min the 60 s mark reads
/// 59.999999999999936). A nanosecond is far below any step (at least 10 µs) and any output
/// interval, so the rounding moves no event, sample or phase boundary; it only drops that
/// noise. Exact to the nanosecond up to ~100 days of simulated time (2⁵³ ns); the engine's
/// own decisions and [`Snapshot`]s keep the unrounded clock.
pub fn reported_time_s(t_s: f64) -> f64 {
    let ns = (t_s * 1e9).round();
    if ns.abs() < 9.0e15 {
        // A whole number of nanoseconds over an exact power of ten: the double nearest the
        // rounded decimal time; `+ 0.0` makes a rounded −0 read 0.
        ns / 1e9 + 0.0
    } else {
        t_s
    }
}

/// Everything needed to resume a simulation exactly: the scenario it was built from, the
/// actions applied from outside with their times, and the time reached. Restoring replays the
/// run (deterministic, so the restored state is bit-identical); it costs the run's compute
/// time once (~2,000× real time: one simulated hour in about two seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// ecmova version that wrote it (a different version may not resume bit-identically).
    pub ecmova_version: String,
    /// The scenario the simulation was built from.
    pub scenario: Scenario,
    /// Every applied action (timeline and live), in order.
    pub log: Vec<LoggedAction>,
    /// Simulated time reached, s.
    pub time_s: f64,
}

/// The simulation driver. See the module documentation.
#[derive(Debug, Clone)]
pub struct Simulation {
    scenario: Scenario,
    preset: String,
    options: SimulationOptions,
    model: Model,
    state: State,
    recorder: BeatRecorder,
    steady_tolerance: f64,
    detector: SteadyStateDetector,
    steady_time_s: Option<f64>,
    /// Whether the last advance stopped early at the periodic steady state (reset by the next
    /// advance or action).
    stopped_at_steady: bool,
    reflex: Option<ReflexLoop>,
    infusions: Infusions,
    fluid_balance_ml: f64,
    lv_ees_reference: f64,
    scales: PatientScales,
    weaning: Option<WeaningTrial>,
    weaning_rpm: Option<f64>,
    recent: VecDeque<BeatMetrics>,
    beats: Vec<BeatMetrics>,
    beats_total: u64,
    phases: Vec<Phase>,
    log: Vec<LoggedAction>,
    timeline: Vec<(usize, TimedAction)>,
    next_timed: usize,
    series: Option<Series>,
    series_interval_s: f64,
    next_sample_s: f64,
    alarms: AlarmTracker,
    end_s: f64,
    circuit: CircuitMemory,
    ecmo_started: bool,
    pending_hemoglobin_g_dl: Option<f64>,
    bedside: Bedside,
    alarm_limits: AlarmLimits,
    blood_lost_ml: f64,
    bleed_limit_reached: bool,
    /// Smallest step bound the engine used at a beat start (`Model::effective_max_step_s`).
    smallest_step_bound_s: f64,
    haemolysis: crate::haemolysis::Haemolysis,
    thermal: crate::thermal::Thermal,
}

/// The circuit as it was before its first failure, and the failures in force (a bit set of
/// [`CircuitFailure::bit`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct CircuitMemory {
    healthy: Option<ecmova_engine::ecmo::EcmoCircuit>,
    failures: u16,
}

impl CircuitMemory {
    fn pump_stopped(&self) -> bool {
        CircuitFailure::ALL
            .iter()
            .any(|f| f.stops_pump() && self.failures & f.bit() != 0)
    }

    /// Whether a dislodged cannula's site bleeds.
    pub(crate) fn bleeding(&self) -> bool {
        CircuitFailure::ALL
            .iter()
            .any(|f| f.bleeds() && self.failures & f.bit() != 0)
    }

    /// Whether a thrombus sits in the pump head (`pump_thrombosis`).
    pub(crate) fn thrombus(&self) -> bool {
        self.failures & CircuitFailure::PumpThrombosis.bit() != 0
    }

    fn names(&self) -> Vec<&'static str> {
        CircuitFailure::ALL
            .iter()
            .filter(|f| self.failures & f.bit() != 0)
            .map(|f| f.name())
            .collect()
    }
}

impl Simulation {
    /// Builds a scenario and starts its simulation at t = 0 (actions timed at 0 applied).
    pub fn from_scenario(
        scenario: &Scenario,
        options: SimulationOptions,
    ) -> Result<Self, ScenarioError> {
        Simulation::new(&crate::build(scenario)?, options)
    }

    /// Starts the simulation of a built scenario at t = 0 (actions timed at 0 applied).
    pub fn new(built: &Built, options: SimulationOptions) -> Result<Self, ScenarioError> {
        let model = built.model.clone();
        let state = State::new(&model);
        let recorder = BeatRecorder::new(&model, &state);
        let reflex = match &built.baroreflex {
            Some(b) => Some(ReflexLoop::new(b.clone(), &model)?),
            None => None,
        };
        let series = options.record_series.then(|| Series::new(&model));
        let mut sim = Simulation {
            scenario: built.scenario.clone(),
            preset: built.preset.clone(),
            options,
            recorder,
            steady_tolerance: built.steady_tolerance,
            detector: SteadyStateDetector::new(
                built.steady_tolerance,
                SteadyStateDetector::DEFAULT_CONSECUTIVE,
            ),
            steady_time_s: None,
            stopped_at_steady: false,
            reflex,
            infusions: Infusions::default(),
            fluid_balance_ml: 0.0,
            lv_ees_reference: built.lv_ees_reference,
            scales: PatientScales::default(),
            weaning: None,
            weaning_rpm: None,
            recent: VecDeque::with_capacity(SUMMARY_BEATS + 1),
            beats: Vec::new(),
            beats_total: 0,
            phases: vec![Phase::new("baseline".into(), 0.0)],
            log: Vec::with_capacity(built.events.len()),
            timeline: built.events.clone(),
            next_timed: 0,
            series,
            series_interval_s: built.series_interval_s,
            next_sample_s: 0.0,
            alarms: AlarmTracker::default(),
            end_s: built.duration_s,
            circuit: CircuitMemory::default(),
            ecmo_started: false,
            pending_hemoglobin_g_dl: None,
            bedside: Bedside {
                seed: built.scenario.simulation.seed.unwrap_or(0),
                ..Bedside::default()
            },
            alarm_limits: AlarmLimits::default(),
            blood_lost_ml: 0.0,
            bleed_limit_reached: false,
            smallest_step_bound_s: model.effective_max_step_s(),
            haemolysis: Default::default(),
            thermal: crate::thermal::Thermal::new(&model),
            model,
            state,
        };
        sim.apply_due()?;
        if let Some(s) = sim.series.as_mut() {
            s.push(&sim.model, &sim.state);
            sim.next_sample_s += sim.series_interval_s;
        }
        Ok(sim)
    }

    /// Resumes a [`Snapshot`] exactly (by replaying it).
    pub fn restore(snapshot: &Snapshot, options: SimulationOptions) -> Result<Self, ScenarioError> {
        if snapshot.ecmova_version != env!("CARGO_PKG_VERSION") {
            return Err(ScenarioError::Invalid {
                path: "snapshot.ecmova_version".into(),
                reason: format!(
                    "written by ecmova {}, this is {}: another version may not resume identically",
                    snapshot.ecmova_version,
                    env!("CARGO_PKG_VERSION")
                ),
            });
        }
        if !(snapshot.time_s.is_finite() && snapshot.time_s >= 0.0) {
            return Err(ScenarioError::Invalid {
                path: "snapshot.time_s".into(),
                reason: format!("{} is not a simulated time", snapshot.time_s),
            });
        }
        let mut sim = Simulation::from_scenario(&snapshot.scenario, options)?;
        for entry in snapshot.log.iter().filter(|e| e.source == Source::Live) {
            sim.advance_to(entry.t_s, &mut ())?;
            sim.apply(entry.action.clone())
                .map_err(|e| ScenarioError::Invalid {
                    path: "snapshot.log".into(),
                    reason: format!("{} at {} s: {e}", entry.action.name(), entry.t_s),
                })?;
        }
        sim.advance_to(snapshot.time_s, &mut ())?;
        if sim.log != snapshot.log {
            return Err(ScenarioError::Invalid {
                path: "snapshot".into(),
                reason:
                    "the replay did not reproduce the snapshot's log (written by another version?)"
                        .into(),
            });
        }
        Ok(sim)
    }

    /// A snapshot from which [`Simulation::restore`] resumes exactly.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            ecmova_version: env!("CARGO_PKG_VERSION").into(),
            scenario: self.scenario.clone(),
            log: self.log.clone(),
            time_s: self.state.time_s(),
        }
    }

    /// The model now (after every action so far).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The engine state now.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Simulated time, s, as every output reports it ([`reported_time_s`]: the engine's clock
    /// to the nanosecond). [`Simulation::state`]`.time_s()` is the unrounded clock.
    pub fn time_s(&self) -> f64 {
        reported_time_s(self.state.time_s())
    }

    /// The preset's name.
    pub fn preset(&self) -> &str {
        &self.preset
    }

    /// The scenario this simulation was built from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// End of the scenario's duration, s (where a scenario run stops).
    pub fn end_s(&self) -> f64 {
        self.end_s
    }

    /// Every beat, when [`SimulationOptions::record_beats`] is on (otherwise empty).
    pub fn beats(&self) -> &[BeatMetrics] {
        &self.beats
    }

    /// The last [`SUMMARY_BEATS`] beats.
    pub fn recent_beats(&self) -> impl Iterator<Item = &BeatMetrics> {
        self.recent.iter()
    }

    /// Beats completed.
    pub fn beats_total(&self) -> u64 {
        self.beats_total
    }

    /// The time series, when recorded.
    pub fn series(&self) -> Option<&Series> {
        self.series.as_ref()
    }

    /// Takes the recorded series out.
    pub fn take_series(&mut self) -> Option<Series> {
        self.series.take()
    }

    /// The phases so far.
    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// Every applied action, in order.
    pub fn log(&self) -> &[LoggedAction] {
        &self.log
    }

    /// The weaning trial, if one ran or runs.
    pub fn weaning(&self) -> Option<&WeaningTrial> {
        self.weaning.as_ref()
    }

    /// The circuit failures in force (`pump_failure`, ...), in documentation order.
    pub fn circuit_failures(&self) -> Vec<&'static str> {
        self.circuit.names()
    }

    /// The alarm limits in force (`set_alarm_limits`, or the defaults).
    pub fn alarm_limits(&self) -> AlarmLimits {
        self.alarm_limits
    }

    /// Whether chest compressions are in progress (`cpr`).
    pub fn cpr_in_progress(&self) -> bool {
        self.bedside.cpr_saved_heart_rate_bpm.is_some()
    }

    /// Shocks delivered so far (`defibrillate`).
    pub fn shocks_delivered(&self) -> u64 {
        self.bedside.shocks
    }

    /// Whether the circuit has run at some time (its stop then raises the no-flow alarm).
    pub fn ecmo_started(&self) -> bool {
        self.ecmo_started
    }

    /// The smallest step bound used so far, s, if the engine had to tighten the configured
    /// `max_step_s` for stability (`ecmova_engine::Model::effective_max_step_s`); `None` if
    /// every beat ran with the configured bound.
    pub fn max_step_tightened_to_s(&self) -> Option<f64> {
        (self.smallest_step_bound_s < self.model.integration().max_step_s)
            .then_some(self.smallest_step_bound_s)
    }

    /// Whether the baroreflex is coupled.
    pub fn has_baroreflex(&self) -> bool {
        self.reflex.is_some()
    }

    /// The beat at which the current phase reached its periodic steady state, if it did.
    pub fn steady_beat(&self) -> Option<u64> {
        self.detector.steady_beat()
    }

    /// End of the beat at which the current phase reached its steady state, s.
    pub fn steady_time_s(&self) -> Option<f64> {
        self.steady_time_s
    }

    /// The metrics averaged over the last [`SUMMARY_BEATS`] beats, if a beat completed.
    pub fn averaged(&self) -> Option<BeatMetrics> {
        let (a, b) = self.recent.as_slices();
        if b.is_empty() {
            BeatMetrics::average(a)
        } else {
            BeatMetrics::average(&self.recent.iter().cloned().collect::<Vec<_>>())
        }
    }

    /// The summary now (see [`Summary`]).
    pub fn summary(&self) -> Summary {
        Summary::of(self, &self.alarms)
    }

    /// Advances to simulated time `t_s` (to the first step boundary at or after it),
    /// applying the timeline's actions as they fall due.
    pub fn advance_to(
        &mut self,
        t_s: f64,
        observer: &mut impl Observer,
    ) -> Result<Stop, ScenarioError> {
        self.advance(t_s, false, observer)
    }

    /// [`Simulation::advance_to`], stopping early at the first beat where the current phase
    /// is in its periodic steady state.
    pub fn advance_until_steady(
        &mut self,
        t_s: f64,
        observer: &mut impl Observer,
    ) -> Result<Stop, ScenarioError> {
        self.advance(t_s, true, observer)
    }

    /// Advances by `n` whole beats.
    pub fn advance_beats(
        &mut self,
        n: u64,
        observer: &mut impl Observer,
    ) -> Result<(), ScenarioError> {
        let target = self.beats_total + n;
        while self.beats_total < target {
            self.step_once(observer)?;
        }
        Ok(())
    }

    /// Runs until the current phase is in its periodic steady state, for at most `max_s`
    /// simulated seconds; returns whether it got there.
    pub fn stabilize(
        &mut self,
        max_s: f64,
        observer: &mut impl Observer,
    ) -> Result<bool, ScenarioError> {
        let t = self.time_s() + max_s;
        Ok(self.advance_until_steady(t, observer)? == Stop::Steady)
    }

    fn advance(
        &mut self,
        t_s: f64,
        until_steady: bool,
        observer: &mut impl Observer,
    ) -> Result<Stop, ScenarioError> {
        self.stopped_at_steady = false;
        while self.state.time_s() < t_s - 1e-9 {
            if self.step_once(observer)? && until_steady {
                self.stopped_at_steady = true;
                return Ok(Stop::Steady);
            }
        }
        Ok(Stop::Reached)
    }

    /// Whether the last advance ([`Simulation::stabilize`], [`Simulation::advance_until_steady`])
    /// stopped early at the periodic steady state; `false` after any other advance or an
    /// action.
    pub fn stopped_at_steady(&self) -> bool {
        self.stopped_at_steady
    }

    /// One engine step and what follows it; returns whether a beat ended in steady state.
    fn step_once(&mut self, observer: &mut impl Observer) -> Result<bool, ScenarioError> {
        if self.state.step_in_beat() == 0 {
            self.smallest_step_bound_s = self
                .smallest_step_bound_s
                .min(self.model.effective_max_step_s());
        }
        step(&self.model, &mut self.state);
        if let Some(s) = self.series.as_mut() {
            if self.state.time_s() >= self.next_sample_s - 1e-9 {
                s.push(&self.model, &self.state);
                self.next_sample_s += self.series_interval_s;
            }
        }
        observer.after_step(&self.model, &self.state);
        let mut steady = false;
        if let Some(beat) = self.recorder.record(&self.model, &self.state) {
            if !self.state.is_finite() {
                return Err(ScenarioError::Diverged {
                    time_s: self.state.time_s(),
                });
            }
            ecmova_engine::plausibility::check_beat(&self.model, &self.state, &beat).map_err(
                |e| ScenarioError::Implausible {
                    time_s: self.state.time_s(),
                    quantity: e.quantity,
                    value: e.value,
                    bound: e.bound.into(),
                },
            )?;
            steady = self.after_beat(&beat)?;
            observer.after_beat(&beat);
            if let Some(hb) = self.pending_hemoglobin_g_dl.take() {
                // At a beat boundary, so that no beat's means mix two haemoglobins.
                apply_hemoglobin(&mut self.model, Some(&mut self.state), hb).map_err(|e| {
                    ScenarioError::Invalid {
                        path: "hemoglobin_g_dl".into(),
                        reason: e.to_string(),
                    }
                })?;
            }
            if observer.cancelled() {
                return Err(ScenarioError::Cancelled {
                    time_s: self.state.time_s(),
                });
            }
        }
        self.apply_due()?;
        Ok(steady)
    }

    fn after_beat(&mut self, beat: &BeatMetrics) -> Result<bool, ScenarioError> {
        let steady = self.detector.observe(beat);
        if steady && self.steady_time_s.is_none() {
            self.steady_time_s = Some(reported_time_s(beat.start_s + beat.period_s));
        }
        if let Some(r) = self.reflex.as_mut() {
            let changed = r
                .after_beat(&mut self.model, beat, steady, !self.log.is_empty())
                .map_err(|e| ScenarioError::Reflex {
                    time_s: self.state.time_s(),
                    message: e.to_string(),
                })?;
            if changed {
                self.state.refresh(&self.model);
            }
        }
        self.beats_total += 1;
        if self.recent.len() == SUMMARY_BEATS {
            self.recent.pop_front();
        }
        self.recent.push_back(beat.clone());
        if let Some(phase) = self.phases.last_mut() {
            if beat.start_s >= phase.start_s - 1e-9 {
                phase.beats += 1;
                if phase.recent.len() == SUMMARY_BEATS {
                    phase.recent.pop_front();
                }
                phase.recent.push_back(beat.clone());
            }
        }
        if self.options.record_beats {
            self.beats.push(beat.clone());
        }
        self.weaning_after_beat(beat)?;
        self.bleed_after_beat(beat.period_s);
        self.haemolysis_after_beat(beat);
        self.thermal_after_beat(beat)?;
        if self.ecmo_running() && !self.circuit.pump_stopped() {
            self.ecmo_started = true;
        }
        if let Some(avg) = self.averaged() {
            let ctx = AlarmContext {
                ecmo_in_use: self.ecmo_started && self.model.params().ecmo.is_some(),
                ecmo_running: self.ecmo_running(),
                has_gas: self.model.params().gas.is_some(),
                rhythm: self.model.params().rhythm,
                limits: self.alarm_limits,
                plasma_free_hb_mg_dl: self.plasma_free_hb_mg_dl(),
            };
            self.alarms.set_limits(self.alarm_limits);
            self.alarms
                .set_plasma_free_hb_mg_dl(self.plasma_free_hb_mg_dl());
            self.alarms
                .update(crate::alarms::evaluate(&avg, &ctx), self.time_s());
        }
        Ok(steady)
    }

    /// The weaning trial's flow controller turns the pump once per beat; when the trial ends
    /// the pump returns to the speed it had before the trial.
    fn weaning_after_beat(&mut self, beat: &BeatMetrics) -> Result<(), ScenarioError> {
        let Some(trial) = self.weaning.as_mut() else {
            return Ok(());
        };
        if trial.finished() || self.circuit.pump_stopped() {
            // A stopped pump cannot be turned: the trial waits for the repair.
            return Ok(());
        }
        let (rpm, max_rpm) = self
            .model
            .params()
            .ecmo
            .as_ref()
            .map_or((0.0, 0.0), |e| (e.pump_rpm, e.pump.max_rpm));
        let recent: Vec<BeatMetrics> = self.recent.iter().cloned().collect();
        let step_before = trial.current_step();
        trial.after_beat(self.state.time_s(), rpm, &recent);
        let step_after = trial.current_step();
        let next = if trial.finished() {
            self.weaning_rpm.take()
        } else {
            trial.control(beat.ecmo_flow_l_min, rpm, max_rpm)
        };
        if step_after != step_before {
            // Each weaning step is its own phase (the first is the action's own phase,
            // `Action::phase_label`).
            let label = match step_after {
                Some((k, flow)) => {
                    format!(
                        "weaning step {k}: {} L/min",
                        (flow * 1000.0).round() / 1000.0
                    )
                }
                None => match next {
                    Some(r) => format!("weaning trial over, ECMO {r:.0} rpm"),
                    None => "weaning trial over".into(),
                },
            };
            self.open_phase(label);
        }
        if let Some(next_rpm) = next {
            self.model
                .update(|p| {
                    if let Some(e) = p.ecmo.as_mut() {
                        e.pump_rpm = next_rpm;
                    }
                })
                .map_err(ScenarioError::from)?;
            self.state.refresh(&self.model);
        }
        Ok(())
    }

    /// A dislodged cannula's site bleeds: the beat's share of
    /// [`crate::action::DISLODGEMENT_BLEED_ML_MIN`] is removed from the vessels by compliance
    /// (the `fluid` path). When the fluid model can remove no more (a vessel at its unstressed
    /// volume) the bleeding stops there and `bleeding_stopped_at_limit` says so.
    fn bleed_after_beat(&mut self, period_s: f64) {
        if !self.circuit.bleeding() || self.bleed_limit_reached {
            return;
        }
        let dv = -crate::action::DISLODGEMENT_BLEED_ML_MIN / 60.0 * period_s;
        match apply_fluid(
            &mut self.model,
            Some(&mut self.state),
            dv,
            self.fluid_balance_ml,
        ) {
            Ok(()) => {
                self.fluid_balance_ml += dv;
                self.blood_lost_ml -= dv;
            }
            Err(_) => self.bleed_limit_reached = true,
        }
    }

    /// Plasma free haemoglobin advances one beat while a circuit is connected (see
    /// [`crate::haemolysis`]); without gas transport (no haemoglobin) it stays absent.
    fn haemolysis_after_beat(&mut self, beat: &BeatMetrics) {
        let params = self.model.params();
        let (Some(_), Some(gas)) = (params.ecmo.as_ref(), params.gas.as_ref()) else {
            return;
        };
        let suction = self.ecmo_running()
            && (beat.drainage_suction_fraction > 0.0
                || beat.drainage_pressure_mmhg < crate::alarms::LOW_DRAINAGE_PRESSURE_MMHG);
        self.haemolysis.after_beat(&crate::haemolysis::BeatInput {
            flow_l_min: beat.ecmo_flow_l_min,
            hemoglobin_g_dl: gas.hemoglobin_g_dl,
            blood_volume_ml: beat.blood_volume_ml,
            suction,
            thrombus: self.circuit.thrombus(),
            period_s: beat.period_s,
        });
    }

    /// The blood temperature relaxes toward the heater's set point through the circuit (see
    /// [`crate::thermal`]); when it has moved by [`crate::thermal::VO2_UPDATE_STEP_C`] the
    /// tissue beds' VO2 is rewritten with the Q10.
    fn thermal_after_beat(&mut self, beat: &BeatMetrics) -> Result<(), ScenarioError> {
        if self.model.params().ecmo.is_none() {
            return Ok(());
        }
        self.thermal.advance(beat.ecmo_flow_l_min, beat.period_s);
        if !self.thermal.vo2_due() || self.model.params().gas.is_none() {
            return Ok(());
        }
        let factor = crate::thermal::vo2_factor(self.thermal.blood_c);
        let reference = &self.thermal.vo2_reference_ml_min;
        self.model
            .update(|p| {
                if let Some(g) = p.gas.as_mut() {
                    for (c, v0) in g.consumers.iter_mut().zip(reference) {
                        c.vo2_ml_min = v0 * factor;
                    }
                }
            })
            .map_err(ScenarioError::from)?;
        self.state.refresh(&self.model);
        self.thermal.applied_c = self.thermal.blood_c;
        Ok(())
    }

    /// Blood temperature, °C (37 without a circuit's heater-cooler acting on it).
    pub fn blood_temperature_c(&self) -> f64 {
        self.thermal.blood_c
    }

    /// The heater-cooler's set point, °C (absent without a circuit).
    pub fn heater_temperature_c(&self) -> Option<f64> {
        self.model
            .params()
            .ecmo
            .as_ref()
            .map(|_| self.thermal.set_point_c)
    }

    /// Plasma free haemoglobin, mg/dL (absent without a circuit; see [`crate::haemolysis`]).
    pub fn plasma_free_hb_mg_dl(&self) -> Option<f64> {
        self.model
            .params()
            .ecmo
            .as_ref()
            .and(self.haemolysis.plasma_free_hb_mg_dl())
    }

    /// Blood lost from dislodged cannulae' sites so far, mL.
    pub fn blood_lost_ml(&self) -> f64 {
        self.blood_lost_ml
    }

    /// Current bleeding rate, mL/min (absent when nothing bleeds).
    pub fn bleeding_ml_min(&self) -> Option<f64> {
        (self.circuit.bleeding() && !self.bleed_limit_reached)
            .then_some(crate::action::DISLODGEMENT_BLEED_ML_MIN)
    }

    /// Opens a phase now that no action opened (a weaning step): the series rows and the
    /// steady-state detector follow it as they follow an action's phase.
    fn open_phase(&mut self, label: String) {
        let t = self.state.time_s();
        self.phases.push(Phase::new(label, t));
        if let Some(s) = self.series.as_mut() {
            s.set_phase_index(self.phases.len() - 1);
        }
        self.detector = SteadyStateDetector::new(
            self.steady_tolerance,
            SteadyStateDetector::DEFAULT_CONSECUTIVE,
        );
        self.steady_time_s = None;
    }

    fn apply_due(&mut self) -> Result<(), ScenarioError> {
        while let Some((index, timed)) = self.timeline.get(self.next_timed) {
            if timed.at_s > self.state.time_s() + 1e-9 {
                break;
            }
            let (index, timed) = (*index, timed.clone());
            self.next_timed += 1;
            self.apply_from(timed.action.clone(), Source::Timeline)
                .map_err(|e| ScenarioError::Event {
                    index,
                    action: timed.action.name(),
                    at_s: timed.at_s,
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Whether a circuit is connected and unclamped.
    pub fn ecmo_running(&self) -> bool {
        self.model
            .params()
            .ecmo
            .as_ref()
            .is_some_and(|e| !e.clamped)
    }

    /// Applies an action now. Returns a short description of what changed; on error nothing
    /// changed and the error names the key at fault.
    pub fn apply(&mut self, action: Action) -> Result<String, ActionError> {
        self.apply_from(action, Source::Live)
    }

    fn apply_from(&mut self, action: Action, source: Source) -> Result<String, ActionError> {
        let mut ctx = ActionContext {
            lv_ees_reference: self.lv_ees_reference,
            scales: self.scales,
            infusions: self.infusions.clone(),
            fluid_balance_ml: self.fluid_balance_ml,
            circuit: self.circuit.clone(),
            bedside: self.bedside.clone(),
            alarm_limits: self.alarm_limits,
        };
        apply_to_model(&mut self.model, Some(&mut self.state), &action, &mut ctx)?;
        // The state the summary's "stopped at steady" described is gone.
        self.stopped_at_steady = false;
        if let Action::WeaningTrial {
            flows_l_min,
            step_s,
        } = &action
        {
            if self.weaning.as_ref().is_some_and(|w| !w.finished()) {
                return Err(ActionError::invalid(
                    "action",
                    "a weaning trial is already running",
                ));
            }
            self.weaning = Some(WeaningTrial::new(
                flows_l_min.clone(),
                *step_s,
                self.state.time_s(),
            ));
            self.weaning_rpm = self.model.params().ecmo.as_ref().map(|e| e.pump_rpm);
        }
        self.infusions = ctx.infusions;
        self.scales = ctx.scales;
        self.fluid_balance_ml = ctx.fluid_balance_ml;
        self.circuit = ctx.circuit;
        if matches!(action, Action::CircuitRepair {}) {
            self.bleed_limit_reached = false;
        }
        let outcome = ctx.bedside.last_outcome.take();
        self.bedside = ctx.bedside;
        self.alarm_limits = ctx.alarm_limits;
        if let Action::SetHemoglobin { hemoglobin_g_dl } = &action {
            self.pending_hemoglobin_g_dl = Some(*hemoglobin_g_dl);
        }
        if let Action::SetTemperature {
            heater_temperature_c,
        } = &action
        {
            self.thermal.set_point_c = *heater_temperature_c;
        }
        self.state.refresh(&self.model);
        let t = self.state.time_s();
        let label = outcome.clone().unwrap_or_else(|| action.phase_label());
        match self.phases.last_mut() {
            Some(p) if (p.start_s - t).abs() < 1e-9 && p.beats == 0 => {
                if p.label == "baseline" {
                    p.label = label.clone();
                } else {
                    p.label = format!("{}, {label}", p.label);
                }
            }
            _ => self.phases.push(Phase::new(label.clone(), t)),
        }
        if let Some(s) = self.series.as_mut() {
            s.set_phase_index(self.phases.len() - 1);
        }
        // A new phase: its own steady state is what the summary reports.
        self.detector = SteadyStateDetector::new(
            self.steady_tolerance,
            SteadyStateDetector::DEFAULT_CONSECUTIVE,
        );
        self.steady_time_s = None;
        self.log.push(LoggedAction {
            t_s: t,
            source,
            action,
            outcome,
        });
        Ok(label)
    }
}

/// What actions need to remember across a run: the references they act relative to and the
/// current infusion rates.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionContext {
    /// The LV end-systolic elastance after the scenario's overrides (`set_lv_contractility`).
    pub lv_ees_reference: f64,
    /// The multipliers of `set_rv_contractility` and `set_svr` in force.
    pub scales: PatientScales,
    /// Current drug infusion rates.
    pub infusions: Infusions,
    /// Net fluid given so far, mL (negative: removed); lets the up-front validation of a
    /// timeline, which has no state, check removals cumulatively.
    pub fluid_balance_ml: f64,
    /// The circuit before its failures, and the failures in force.
    pub circuit: CircuitMemory,
    /// The seed, shock counter and VF onset of `defibrillate`.
    pub bedside: Bedside,
    /// The alarm limits (`set_alarm_limits`).
    pub alarm_limits: AlarmLimits,
}

/// The patient multipliers set live by `set_rv_contractility` and `set_svr`, relative to the
/// patient's starting values (1 at the start, whatever the scenario's own `[patient]` scales).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PatientScales {
    /// RV end-systolic elastance multiplier in force.
    pub rv_contractility: f64,
    /// Systemic tissue-bed resistance multiplier in force.
    pub svr: f64,
}

impl Default for PatientScales {
    fn default() -> Self {
        PatientScales {
            rv_contractility: 1.0,
            svr: 1.0,
        }
    }
}

/// Applies one action to the model (and, when running, to the state): the one implementation
/// of every action, used by [`Simulation::apply`] and, on a copy of the model, by the
/// up-front validation of a scenario's timeline. On error the model is unchanged.
pub(crate) fn apply_to_model(
    model: &mut Model,
    state: Option<&mut State>,
    action: &Action,
    ctx: &mut ActionContext,
) -> Result<(), ActionError> {
    // A speed is checked against this circuit's pump first, so that every refusal names the
    // same range (a Rotaflow's 0-5000 rpm for -5 as for 5200, not the 0-5500 of any pump).
    if let (Action::SetPumpRpm { rpm }, Some(e)) = (action, model.params().ecmo.as_ref()) {
        check_in("rpm", *rpm, 0.0, e.pump.max_rpm, "rpm")?;
    }
    action.check()?;
    match action {
        Action::StartEcmo {}
        | Action::StopEcmo {}
        | Action::SetPumpRpm { .. }
        | Action::SetFdo2 { .. }
        | Action::SetSweep { .. }
        | Action::WeaningTrial { .. } => {
            if ctx.circuit.pump_stopped()
                && matches!(
                    action,
                    Action::SetPumpRpm { .. } | Action::WeaningTrial { .. }
                )
            {
                return Err(ActionError::invalid(
                    "action",
                    format!(
                        "the pump is stopped ({}): circuit_repair first",
                        ctx.circuit.names().join(", ")
                    ),
                ));
            }
            apply_circuit(model, state, action)
        }
        Action::SetCannulation { cannulation } => apply_cannulation(model, state, *cannulation),
        Action::SetCircuit { .. } => apply_set_circuit(model, state, action, &ctx.circuit),
        Action::CircuitFailure { failure } => apply_failure(model, *failure, &mut ctx.circuit),
        Action::CircuitRepair {} => apply_repair(model, &mut ctx.circuit),
        // The driver keeps the set point (`Simulation::thermal`); the model is unchanged here.
        Action::SetTemperature { .. } => match model.params().ecmo {
            Some(_) => Ok(()),
            None => Err(ActionError::unavailable(
                "action",
                "set_temperature sets the circuit's heater-cooler: add [ecmo] enabled = true (an adult preset)",
            )),
        },
        // A running simulation changes it at the next beat boundary (see `Simulation`); the
        // validation of a timeline applies it to the model at once.
        Action::SetHemoglobin { hemoglobin_g_dl } => match state {
            Some(_) if model.params().gas.is_some() => Ok(()),
            _ => apply_hemoglobin(model, None, *hemoglobin_g_dl),
        },
        Action::Infusion { drug, .. } => {
            let dose = action.dose().unwrap_or(0.0);
            let old = ctx.infusions.rate(*drug);
            model
                .update(|p| crate::interventions::apply_dose_change(p, *drug, old, dose))
                .map_err(|e| ActionError::from_param(drug.dose_unit().key(), e))?;
            ctx.infusions.set(*drug, dose);
            Ok(())
        }
        Action::Defibrillate {} => apply_shock(model, state, &mut ctx.bedside),
        Action::Cpr { active } => apply_cpr(model, *active, &mut ctx.bedside),
        Action::SetAlarmLimits { .. } => apply_alarm_limits(action, &mut ctx.alarm_limits),
        Action::Fluid { volume_ml } => {
            apply_fluid(model, state, *volume_ml, ctx.fluid_balance_ml)?;
            ctx.fluid_balance_ml += volume_ml;
            Ok(())
        }
        Action::SetDevice { .. } => apply_device(model, action),
        Action::Arrest { rhythm } => {
            let r = match rhythm {
                ArrestRhythm::Vf => Rhythm::VentricularFibrillation,
                ArrestRhythm::Asystole => Rhythm::Asystole,
            };
            let was = model.params().rhythm;
            model
                .update(|p| p.rhythm = r)
                .map_err(|e| ActionError::from_param("rhythm", e))?;
            ctx.bedside.vf_since_s = match (r, was) {
                (Rhythm::VentricularFibrillation, Rhythm::VentricularFibrillation) => {
                    ctx.bedside.vf_since_s
                }
                (Rhythm::VentricularFibrillation, _) => state.map(|s| s.time_s()),
                _ => None,
            };
            Ok(())
        }
        Action::Rosc {} => {
            ctx.bedside.vf_since_s = None;
            model
                .update(|p| p.rhythm = Rhythm::Sinus)
                .map_err(|e| ActionError::from_param("action", e))?;
            end_cpr(model, &mut ctx.bedside)
        }
        Action::SetHeartRate { heart_rate_bpm } => model
            .update(|p| p.heart_rate_bpm = *heart_rate_bpm)
            .map_err(|e| ActionError::from_param("heart_rate_bpm", e)),
        Action::SetFio2 { fio2 } => apply_gas(model, "fio2", |g| g.fio2 = *fio2),
        Action::SetVentilation {
            minute_ventilation_l_min,
            dead_space_fraction,
        } => apply_gas(model, "minute_ventilation_l_min", |g| {
            if let Some(v) = minute_ventilation_l_min {
                g.minute_ventilation_l_min = *v;
            }
            if let Some(d) = dead_space_fraction {
                g.dead_space_fraction = *d;
            }
        }),
        Action::SetLungShunt {
            lung_shunt_fraction,
        } => apply_gas(model, "lung_shunt_fraction", |g| {
            g.lung_shunt_fraction = *lung_shunt_fraction
        }),
        Action::SetLvContractility {
            lv_contractility_scale,
        } => {
            let lv = model.params().sites.lv;
            let ees = ctx.lv_ees_reference * lv_contractility_scale;
            model
                .update(|p| {
                    if let CompartmentKind::Chamber(ch) = &mut p.compartments[lv].kind {
                        ch.ees_mmhg_per_ml = ees;
                    }
                })
                .map_err(|e| ActionError::from_param("lv_contractility_scale", e))
        }
        // The new scale over the one in force, applied as a ratio: what a drug or the
        // baroreflex changed since (also by ratios) stays on top of the new baseline.
        Action::SetRvContractility {
            rv_contractility_scale,
        } => {
            let rv = model.params().sites.rv;
            let r = rv_contractility_scale / ctx.scales.rv_contractility;
            model
                .update(|p| {
                    p.scale_contractility(rv, r);
                })
                .map_err(|e| ActionError::from_param("rv_contractility_scale", e))?;
            ctx.scales.rv_contractility = *rv_contractility_scale;
            Ok(())
        }
        Action::SetSvr { svr_scale } => {
            let r = svr_scale / ctx.scales.svr;
            model
                .update(|p| p.scale_systemic_resistance(r))
                .map_err(|e| ActionError::from_param("svr_scale", e))?;
            ctx.scales.svr = *svr_scale;
            Ok(())
        }
    }
}

/// A transthoracic shock: in VF, sinus rhythm with the probability of
/// [`crate::bedside::shock_success_probability`] for the time in VF, drawn from the seed and
/// the shock's number; otherwise nothing changes. Without a state (the up-front validation of
/// a timeline, which has no clock) the outcome is unknown and the model is left as it is.
fn apply_shock(
    model: &mut Model,
    state: Option<&mut State>,
    bedside: &mut Bedside,
) -> Result<(), ActionError> {
    let Some(state) = state else {
        return Ok(());
    };
    let rhythm = model.params().rhythm;
    let k = bedside.shocks;
    bedside.shocks += 1;
    if rhythm != Rhythm::VentricularFibrillation {
        bedside.last_outcome = Some(format!(
            "defibrillation: no effect ({} is not a shockable rhythm)",
            match rhythm {
                Rhythm::Asystole => "asystole",
                _ => "sinus rhythm",
            }
        ));
        return Ok(());
    }
    let t = state.time_s();
    let vf_s = t - bedside.vf_since_s.unwrap_or(0.0);
    let p = crate::bedside::shock_success_probability(vf_s);
    let success = crate::bedside::uniform(bedside.seed, k) < p;
    if success {
        model
            .update(|p| p.rhythm = Rhythm::Sinus)
            .map_err(|e| ActionError::from_param("action", e))?;
        bedside.vf_since_s = None;
        end_cpr(model, bedside)?;
    }
    bedside.last_outcome = Some(format!(
        "defibrillation after {:.0} s of VF (chance {:.0} %): {}",
        vf_s,
        100.0 * p,
        if success {
            "sinus rhythm"
        } else {
            "VF persists"
        }
    ));
    Ok(())
}

/// Starts or stops chest compressions: the engine's compressions, and the beat clock at the
/// compression rate while they last (the heart rate set before is restored at the end). A
/// start while the heart beats or while CPR runs, and a stop without CPR, change nothing and
/// say so (not errors: a shock's chance outcome decides whether a scenario's later `cpr`
/// event finds the heart beating).
fn apply_cpr(model: &mut Model, active: bool, bedside: &mut Bedside) -> Result<(), ActionError> {
    let noop = |bedside: &mut Bedside, why: &str| {
        bedside.last_outcome = Some(format!("CPR: no change ({why})"));
        Ok(())
    };
    match (active, bedside.cpr_saved_heart_rate_bpm) {
        (true, Some(_)) => noop(bedside, "already in progress"),
        (false, None) => noop(bedside, "no CPR in progress"),
        (true, None) if model.params().rhythm.is_beating() => {
            noop(bedside, "the heart beats in sinus rhythm")
        }
        (true, None) => {
            let hr = model.params().heart_rate_bpm;
            model
                .update(|p| p.heart_rate_bpm = crate::bedside::CPR_RATE_PER_MIN)
                .map_err(|e| ActionError::from_param("active", e))?;
            model.set_chest_compressions(Some(crate::bedside::compressions()));
            bedside.cpr_saved_heart_rate_bpm = Some(hr);
            Ok(())
        }
        (false, Some(_)) => end_cpr(model, bedside),
    }
}

/// Ends CPR if it is in progress (stop, or a return of sinus rhythm).
fn end_cpr(model: &mut Model, bedside: &mut Bedside) -> Result<(), ActionError> {
    if let Some(hr) = bedside.cpr_saved_heart_rate_bpm.take() {
        model.set_chest_compressions(None);
        model
            .update(|p| p.heart_rate_bpm = hr)
            .map_err(|e| ActionError::from_param("active", e))?;
    }
    Ok(())
}

/// Merges the keys given into the limits in force; each low limit must stay below its high
/// limit.
fn apply_alarm_limits(action: &Action, limits: &mut AlarmLimits) -> Result<(), ActionError> {
    let Action::SetAlarmLimits {
        map_low_mmhg,
        map_high_mmhg,
        heart_rate_low_bpm,
        heart_rate_high_bpm,
        spo2_low_percent,
        ecmo_flow_low_l_min,
    } = action
    else {
        return Ok(());
    };
    let mut next = *limits;
    let set = |slot: &mut f64, v: &Option<f64>| {
        if let Some(v) = v {
            *slot = *v;
        }
    };
    set(&mut next.map_low_mmhg, map_low_mmhg);
    set(&mut next.map_high_mmhg, map_high_mmhg);
    set(&mut next.heart_rate_low_bpm, heart_rate_low_bpm);
    set(&mut next.heart_rate_high_bpm, heart_rate_high_bpm);
    set(&mut next.spo2_low_percent, spo2_low_percent);
    set(&mut next.ecmo_flow_low_l_min, ecmo_flow_low_l_min);
    let pairs = [
        (
            "map_low_mmhg",
            map_low_mmhg.is_some(),
            next.map_low_mmhg,
            "map_high_mmhg",
            next.map_high_mmhg,
        ),
        (
            "heart_rate_low_bpm",
            heart_rate_low_bpm.is_some(),
            next.heart_rate_low_bpm,
            "heart_rate_high_bpm",
            next.heart_rate_high_bpm,
        ),
    ];
    for (low_key, low_given, low, high_key, high) in pairs {
        if low >= high {
            let field = if low_given { low_key } else { high_key };
            return Err(ActionError::invalid(
                field,
                format!("{low_key} = {low} must be below {high_key} = {high}"),
            ));
        }
    }
    *limits = next;
    Ok(())
}

/// The circuit's actions: start, stop, rpm, FdO2, sweep; a weaning trial needs a running
/// circuit (the trial itself acts through the simulation's flow controller).
fn apply_circuit(
    model: &mut Model,
    state: Option<&mut State>,
    action: &Action,
) -> Result<(), ActionError> {
    let Some(e) = model.params().ecmo.as_ref() else {
        return Err(ActionError::unavailable(
            "action",
            format!(
                "{} needs an ECMO circuit: add [ecmo] enabled = true (an adult preset)",
                action.name()
            ),
        ));
    };
    let field = match action {
        Action::SetPumpRpm { rpm } => {
            check_in("rpm", *rpm, 0.0, e.pump.max_rpm, "rpm")?;
            "rpm"
        }
        Action::SetFdo2 { .. } => "fdo2",
        Action::SetSweep { .. } => "sweep_l_min",
        Action::WeaningTrial { .. } => {
            if e.clamped {
                return Err(ActionError::invalid(
                    "action",
                    "a weaning trial needs the circuit running: start_ecmo first",
                ));
            }
            return Ok(());
        }
        _ => "action",
    };
    model
        .update(|p| {
            let Some(e) = p.ecmo.as_mut() else { return };
            match *action {
                Action::StartEcmo {} => e.clamped = false,
                Action::StopEcmo {} => e.clamped = true,
                Action::SetPumpRpm { rpm } => e.pump_rpm = rpm,
                Action::SetFdo2 { fdo2 } => e.fdo2 = fdo2,
                Action::SetSweep { sweep_l_min } => e.sweep_l_min = sweep_l_min,
                _ => {}
            }
        })
        .map_err(|err| ActionError::from_param(field, err))?;
    if let (Action::StopEcmo {}, Some(state)) = (action, state) {
        // Clamping stops the flow at once.
        state.set_ecmo_flow_ml_s(model, 0.0);
    }
    Ok(())
}

/// Moves the cannulae: the drained and return compartments of the new configuration.
fn apply_cannulation(
    model: &mut Model,
    state: Option<&mut State>,
    site: crate::action::CannulationSite,
) -> Result<(), ActionError> {
    let params = model.params();
    if params.ecmo.is_none() {
        return Err(ActionError::unavailable(
            "action",
            "set_cannulation needs an ECMO circuit: add [ecmo] enabled = true (an adult preset)",
        ));
    }
    let Some(anatomy) = params.anatomy.as_ref() else {
        return Err(ActionError::unavailable(
            "cannulation",
            "this preset has no cannulation sites (single systemic artery)",
        ));
    };
    let cannulation = site.engine();
    let (drain, ret) = anatomy.cannulation_sites(cannulation, params.sites.ra);
    model
        .update(|p| {
            if let Some(e) = p.ecmo.as_mut() {
                e.cannulation = cannulation;
                e.drain_from = drain;
                e.return_to = ret;
            }
        })
        .map_err(|e| ActionError::from_param("cannulation", e))?;
    if let Some(state) = state {
        state.refresh(model);
    }
    Ok(())
}

/// Changes the circuit's hardware (`set_circuit`): the cannulae, pump and oxygenator built as
/// `[ecmo]` builds them ([`EcmoCircuit::new`]: single-lumen femoral cannulae, the named pump
/// and oxygenator presets); site, speed, gas and clamp state are kept.
///
/// [`EcmoCircuit::new`]: ecmova_engine::ecmo::EcmoCircuit::new
fn apply_set_circuit(
    model: &mut Model,
    state: Option<&mut State>,
    action: &Action,
    memory: &CircuitMemory,
) -> Result<(), ActionError> {
    use ecmova_engine::devices::{Cannula, CannulaKind, CentrifugalPump, Oxygenator};
    let Action::SetCircuit {
        drainage_cannula_fr,
        return_cannula_fr,
        pump,
        oxygenator,
    } = action
    else {
        return Ok(());
    };
    let Some(e) = model.params().ecmo.as_ref() else {
        return Err(ActionError::unavailable(
            "action",
            "set_circuit needs an ECMO circuit: add [ecmo] enabled = true (an adult preset)",
        ));
    };
    if memory.failures != 0 {
        // A repair restores the circuit as it was before the failure: changing the hardware
        // meanwhile would be undone.
        return Err(ActionError::invalid(
            "action",
            format!(
                "a circuit failure is in force ({}): circuit_repair first",
                memory.names().join(", ")
            ),
        ));
    }
    let device = |field: &'static str| {
        move |err: ecmova_engine::devices::DeviceError| ActionError::invalid(field, err.to_string())
    };
    let drainage = drainage_cannula_fr
        .map(|fr| Cannula::femoral(CannulaKind::Drainage, fr))
        .transpose()
        .map_err(device("drainage_cannula_fr"))?;
    let ret = return_cannula_fr
        .map(|fr| Cannula::femoral(CannulaKind::Return, fr))
        .transpose()
        .map_err(device("return_cannula_fr"))?;
    let new_pump = pump
        .as_deref()
        .map(CentrifugalPump::by_name)
        .transpose()
        .map_err(device("pump"))?;
    let new_oxygenator = oxygenator
        .as_deref()
        .map(Oxygenator::by_name)
        .transpose()
        .map_err(device("oxygenator"))?;
    if let Some(p) = new_pump.as_ref() {
        if e.pump_rpm > p.max_rpm {
            return Err(ActionError::invalid(
                "pump",
                format!(
                    "the speed in force, {} rpm, is above {}'s range 0 to {} rpm: lower it with set_pump_rpm first",
                    e.pump_rpm,
                    pump.as_deref().unwrap_or_default(),
                    p.max_rpm
                ),
            ));
        }
    }
    model
        .update(|p| {
            let Some(e) = p.ecmo.as_mut() else { return };
            if let Some(c) = drainage {
                e.drainage_cannula = c;
            }
            if let Some(c) = ret {
                e.return_cannula = c;
            }
            if let Some(pump) = new_pump {
                e.pump = pump;
            }
            if let Some(o) = new_oxygenator {
                e.oxygenator = o;
            }
        })
        .map_err(|err| ActionError::from_param("action", err))?;
    if let Some(state) = state {
        state.refresh(model);
    }
    Ok(())
}

/// A circuit emergency: its physical effect on the circuit's parameters.
fn apply_failure(
    model: &mut Model,
    failure: CircuitFailure,
    memory: &mut CircuitMemory,
) -> Result<(), ActionError> {
    use crate::action::{
        LINE_OCCLUSION_FACTOR as LINE, OXYGENATOR_FAILURE_DP_FACTOR as DP,
        OXYGENATOR_FAILURE_TRANSFER_FACTOR as TRANSFER,
    };
    let Some(e) = model.params().ecmo.as_ref() else {
        return Err(ActionError::unavailable(
            "action",
            "circuit_failure needs an ECMO circuit: add [ecmo] enabled = true (an adult preset)",
        ));
    };
    if memory.failures & failure.bit() != 0 {
        return Err(ActionError::invalid(
            "failure",
            format!("{} is already in force", failure.name()),
        ));
    }
    let healthy = memory.healthy.clone().unwrap_or_else(|| e.clone());
    model
        .update(|p| {
            let Some(e) = p.ecmo.as_mut() else { return };
            match failure {
                CircuitFailure::PumpFailure
                | CircuitFailure::PowerLoss
                | CircuitFailure::AirInVenousLine => e.pump_rpm = 0.0,
                CircuitFailure::DrainageDislodgement => {
                    e.pump_rpm = 0.0;
                    let (a, b) = crate::action::DISLODGED_CANNULA_COEFFICIENTS;
                    e.drainage_cannula.a_mmhg_s2_per_ml2 = a;
                    e.drainage_cannula.b_mmhg_s_per_ml = b;
                }
                CircuitFailure::ReturnDislodgement => {
                    let (a, b) = crate::action::DISLODGED_CANNULA_COEFFICIENTS;
                    e.return_cannula.a_mmhg_s2_per_ml2 = a;
                    e.return_cannula.b_mmhg_s_per_ml = b;
                }
                CircuitFailure::OxygenatorFailure => {
                    e.oxygenator.slope_mmhg_s_per_ml *= DP;
                    e.oxygenator.offset_mmhg *= DP;
                    e.oxygenator.k_o2_ml_s *= TRANSFER;
                    e.oxygenator.ua_co2_coeff *= TRANSFER;
                }
                CircuitFailure::DrainageKink => {
                    e.drainage_cannula.a_mmhg_s2_per_ml2 *= LINE;
                    e.drainage_cannula.b_mmhg_s_per_ml *= LINE;
                }
                CircuitFailure::ReturnOcclusion => {
                    e.return_cannula.a_mmhg_s2_per_ml2 *= LINE;
                    e.return_cannula.b_mmhg_s_per_ml *= LINE;
                }
                // Haemolysis only (the driver's per-beat pfHb, `crate::haemolysis`).
                CircuitFailure::PumpThrombosis => {}
            }
        })
        .map_err(|e| ActionError::from_param("failure", e))?;
    memory.healthy = Some(healthy);
    memory.failures |= failure.bit();
    Ok(())
}

/// Undoes every circuit failure.
fn apply_repair(model: &mut Model, memory: &mut CircuitMemory) -> Result<(), ActionError> {
    let Some(healthy) = memory.healthy.clone() else {
        return Err(ActionError::invalid(
            "action",
            "there is no circuit failure to repair",
        ));
    };
    let restart = memory.pump_stopped();
    model
        .update(|p| {
            let Some(e) = p.ecmo.as_mut() else { return };
            if restart {
                e.pump_rpm = healthy.pump_rpm;
            }
            e.oxygenator = healthy.oxygenator;
            e.drainage_cannula = healthy.drainage_cannula;
            e.return_cannula = healthy.return_cannula;
        })
        .map_err(|e| ActionError::from_param("action", e))?;
    *memory = CircuitMemory::default();
    Ok(())
}

/// A new haemoglobin at the same saturations: the model's carrying capacity and, when
/// running, the blood's O2 contents scale together.
fn apply_hemoglobin(
    model: &mut Model,
    state: Option<&mut State>,
    hb_g_dl: f64,
) -> Result<(), ActionError> {
    let Some(old) = model.params().gas.as_ref().map(|g| g.hemoglobin_g_dl) else {
        return Err(ActionError::unavailable(
            "hemoglobin_g_dl",
            "this preset has no gas-transport model",
        ));
    };
    model
        .update(|p| {
            p.set_hemoglobin_g_dl(hb_g_dl);
        })
        .map_err(|e| ActionError::from_param("hemoglobin_g_dl", e))?;
    if let Some(state) = state {
        let l = model.layout();
        let r = hb_g_dl / old;
        if l.gas && r.is_finite() && r > 0.0 {
            let mut y = state.vector().to_vec();
            for v in &mut y[l.o2..l.o2 + l.compartments] {
                *v *= r;
            }
            *state = state.with_vector(model, &y);
        }
    }
    Ok(())
}

/// FiO2 and shunt: need the gas-transport model.
fn apply_gas(
    model: &mut Model,
    field: &str,
    set: impl Fn(&mut ecmova_engine::gas::transport::GasParams),
) -> Result<(), ActionError> {
    if model.params().gas.is_none() {
        return Err(ActionError::unavailable(
            field,
            "this preset has no gas-transport model",
        ));
    }
    model
        .update(|p| {
            if let Some(g) = p.gas.as_mut() {
                set(g)
            }
        })
        .map_err(|e| ActionError::from_param(field, e))
}

/// A fluid bolus or removal, spread over the vessels in proportion to their compliance.
/// Without a state (the validation of a file's timeline before the run), the volumes are the
/// initial ones plus the fluid given before (`balance_ml`), spread the same way, so that
/// removals are checked cumulatively before step one.
fn apply_fluid(
    model: &mut Model,
    state: Option<&mut State>,
    volume_ml: f64,
    balance_ml: f64,
) -> Result<(), ActionError> {
    let params = model.params();
    let vessels: Vec<(usize, f64, f64)> = params
        .compartments
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match &c.kind {
            CompartmentKind::Vessel(v) => {
                Some((i, v.compliance_ml_per_mmhg, v.unstressed_volume_ml))
            }
            CompartmentKind::Chamber(_) => None,
        })
        .collect();
    let c_total: f64 = vessels.iter().map(|(_, c, _)| c).sum();
    let volumes: Vec<f64> = match &state {
        Some(s) => s.volumes_ml().to_vec(),
        None => {
            let mut v = params.initial_volumes_ml.clone();
            for &(i, c, _) in &vessels {
                v[i] += balance_ml * c / c_total;
            }
            v
        }
    };
    for &(i, c, v0) in &vessels {
        // A removal that would take a vessel below its unstressed volume takes more than its
        // whole stressed volume at once: refused (the tube law lets veins collapse, but a
        // single bolus removal of that size is an exsanguination the fluid model, which spreads
        // volume by compliance, does not represent).
        if volume_ml < 0.0 && volumes[i] + volume_ml * c / c_total < v0 {
            return Err(ActionError::invalid(
                "volume_ml",
                format!(
                    "removing {} mL{} would empty the stressed volume of {}: remove less",
                    -volume_ml,
                    if state.is_none() && balance_ml != 0.0 {
                        format!(" (after {balance_ml:+} mL given before)")
                    } else {
                        String::new()
                    },
                    params.compartments[i].name
                ),
            ));
        }
    }
    if let Some(state) = state {
        for &(i, c, _) in &vessels {
            state.set_volume_ml(model, i, volumes[i] + volume_ml * c / c_total);
        }
    }
    Ok(())
}

/// Switches a device of the patient on or off or changes its settings.
fn apply_device(model: &mut Model, action: &Action) -> Result<(), ActionError> {
    let Action::SetDevice {
        device,
        active,
        performance_level,
        diameter_mm,
        balloon_volume_ml,
        ratio,
    } = action
    else {
        return Ok(());
    };
    let kind = device.name();
    let idx = model
        .params()
        .unloading
        .iter()
        .position(|u| u.device.kind_name() == kind)
        .ok_or_else(|| {
            ActionError::unavailable(
                "device",
                format!("there is no {kind} in this scenario: add it under [[devices]]"),
            )
        })?;
    let settings = crate::build::DeviceSettings {
        performance_level: *performance_level,
        diameter_mm: *diameter_mm,
        cannula_fr: None,
        balloon_volume_ml: *balloon_volume_ml,
        ratio: *ratio,
    };
    let field = [
        ("performance_level", performance_level.is_some()),
        ("diameter_mm", diameter_mm.is_some()),
        ("balloon_volume_ml", balloon_volume_ml.is_some()),
        ("ratio", ratio.is_some()),
    ]
    .into_iter()
    .find(|(_, set)| *set)
    .map_or("device", |(f, _)| f);
    model
        .update(|p| {
            let u = &mut p.unloading[idx];
            if let Some(a) = active {
                u.active = *a;
            }
            settings.apply(&mut u.device);
        })
        .map_err(|e| ActionError::from_param(field, e))
}

/// Whether `kind` is one of the device kinds (for the typed name of an engine device).
pub fn device_kind(name: &str) -> Option<DeviceKind> {
    DeviceKind::ALL.into_iter().find(|k| k.name() == name)
}
