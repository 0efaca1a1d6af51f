//! Live simulation sessions: each is the scenario layer's [`Simulation`] plus pacing (a clock
//! at real time × speed) and streaming. Nothing here decides physiology, ranges or defaults:
//! actions go to [`Simulation::apply`], time to [`Simulation::advance_to`].
//!
//! A session's simulation sits behind a short-held `std::sync::Mutex`: the stepping task locks
//! it once per frame interval (40 ms of wall time: well under a millisecond of work at
//! speed 1), and REST handlers lock it to apply an action or read the summary. Frames go out
//! through a bounded `broadcast` channel that never blocks the sender: a client that falls
//! behind loses frames (it sees a gap in the sequence numbers), never the simulation.

use crate::error::ApiError;
use crate::stream::{channels, encode_frame, lv_activation, Channel, EcgClock};
use crate::wire::{
    AlarmCommand, AlarmRecord, ChannelInfo, ClockCommand, LiveSummary, TrendPoint, Trends,
};
use axum::extract::ws::Message;
use axum::http::StatusCode;
use ecmova_engine::{BeatMetrics, Model, State};
use ecmova_scenario::simulation::Observer;
use ecmova_scenario::{Action, ActionError, Simulation};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Interval between streamed samples, simulated seconds (250 Hz).
pub const SAMPLE_INTERVAL_S: f64 = 0.004;
/// Most wall time one tick may make up for (a stalled task skips time rather than
/// spiralling into catch-up work).
const MAX_CATCH_UP_S: f64 = 0.25;
/// Lowest speed factor.
pub const MIN_SPEED: f64 = 0.1;
/// Frames buffered per session for slow clients before they lose frames.
const BROADCAST_CAPACITY: usize = 64;
/// Beat messages buffered between two frames.
const MAX_PENDING_BEATS: usize = 64;

/// Interval between trend points, simulated s.
pub const TREND_INTERVAL_S: f64 = 5.0;
/// Trend points kept per session (the last hour at [`TREND_INTERVAL_S`]).
pub const TREND_MAX_POINTS: usize = 720;
/// Alarm occurrences kept per session for the debrief.
pub const ALARM_HISTORY_MAX: usize = 1000;
/// The audible-alarm pause of `silence`, simulated s (the 2-minute audio pause of bedside
/// monitors).
pub const AUDIO_PAUSE_S: f64 = 120.0;
/// Longest settling run of `settle: true`, simulated s.
pub const SETTLE_MAX_S: f64 = 300.0;
/// Actions the learner's token may not apply unless the instructor allows them: the
/// instructor's scenario events (arrest, return of circulation, circuit emergencies and
/// hardware, lung and heart disease).
pub const INSTRUCTOR_ONLY_ACTIONS: &[&str] = &[
    "arrest",
    "rosc",
    "circuit_failure",
    "set_lung_shunt",
    "set_lv_contractility",
    "set_rv_contractility",
    "set_svr",
    "set_circuit",
];

/// The session's trends and alarm history, sampled from the driver's summaries.
#[derive(Debug, Default)]
pub struct TrendLog {
    points: VecDeque<TrendPoint>,
    next_s: f64,
    history: Vec<AlarmRecord>,
}

impl TrendLog {
    /// Samples `sim` if a trend point is due.
    fn sample(&mut self, sim: &Simulation) {
        let t = sim.time_s();
        if t < self.next_s - 1e-9 {
            return;
        }
        self.next_s = t + TREND_INTERVAL_S;
        let s = sim.summary();
        for open in self.history.iter_mut().filter(|r| r.cleared_s.is_none()) {
            if !s
                .alarms
                .iter()
                .any(|a| a.name == open.name && a.since_s == open.raised_s)
            {
                open.cleared_s = Some(t);
            }
        }
        for a in &s.alarms {
            let known = self
                .history
                .iter()
                .any(|r| r.cleared_s.is_none() && r.name == a.name && r.raised_s == a.since_s);
            if !known && self.history.len() < ALARM_HISTORY_MAX {
                self.history.push(AlarmRecord {
                    name: a.name.clone(),
                    severity: a.severity,
                    message: a.message.clone(),
                    raised_s: a.since_s,
                    cleared_s: None,
                });
            }
        }
        let Some(m) = s.metrics.as_ref() else {
            return;
        };
        let h = &m.haemodynamics;
        let g = m.gases.as_ref();
        if self.points.len() == TREND_MAX_POINTS {
            self.points.pop_front();
        }
        self.points.push_back(TrendPoint {
            t_s: t,
            heart_rate_bpm: h.heart_rate_bpm,
            sbp_mmhg: h.sbp_mmhg,
            dbp_mmhg: h.dbp_mmhg,
            map_mmhg: h.map_mmhg,
            cvp_mmhg: h.cvp_mmhg,
            lvedp_mmhg: h.lvedp_mmhg,
            cardiac_output_l_min: h.cardiac_output_l_min,
            ecmo_flow_l_min: m.circuit.as_ref().map(|c| c.ecmo_flow_l_min),
            spo2_right_hand_percent: s.spo2_right_hand_percent,
            spo2_leg_percent: s.spo2_leg_percent,
            sao2_right_radial_percent: g.map(|g| g.sao2_right_radial_percent),
            sao2_femoral_percent: g.map(|g| g.sao2_femoral_percent),
            svo2_percent: g.map(|g| g.svo2_percent),
            paco2_right_radial_mmhg: g.map(|g| g.paco2_right_radial_mmhg),
            plasma_free_hb_mg_dl: s.plasma_free_hb_mg_dl,
            blood_temperature_c: Some(s.blood_temperature_c),
        });
    }

    /// The trends as the API answers them.
    pub fn trends(&self) -> Trends {
        Trends {
            interval_s: TREND_INTERVAL_S,
            points: self.points.iter().cloned().collect(),
            alarm_history: self.history.clone(),
        }
    }
}

/// What the stream samples while the simulation advances (an [`Observer`] of it).
pub struct StreamState {
    channels: Vec<Channel>,
    ecg: EcgClock,
    lv_act: Option<usize>,
    qrs_seen: bool,
    next_sample_s: f64,
    pending: Vec<f32>,
    pending_t0: f64,
    pending_beats: Vec<BeatMetrics>,
}

impl StreamState {
    fn new(model: &Model) -> Self {
        StreamState {
            channels: channels(model),
            ecg: EcgClock::default(),
            lv_act: lv_activation(model),
            qrs_seen: false,
            next_sample_s: 0.0,
            pending: Vec::new(),
            pending_t0: 0.0,
            pending_beats: Vec::new(),
        }
    }

    fn sample(&mut self, model: &Model, state: &State) {
        let t = state.time_s();
        if self.pending.is_empty() {
            self.pending_t0 = t;
        }
        for c in &self.channels {
            let v = match c {
                Channel::TimeOffset => t - self.pending_t0,
                c => c.read(model, state, &self.ecg),
            };
            self.pending.push(v as f32);
        }
    }
}

impl Observer for StreamState {
    fn after_step(&mut self, model: &Model, state: &State) {
        if let Some(i) = self.lv_act {
            if !self.qrs_seen && state.activations().get(i).copied().unwrap_or(0.0) > 0.02 {
                self.qrs_seen = true;
                self.ecg.qrs_phase_s = state.phase_s();
            }
        }
        if state.time_s() >= self.next_sample_s - 1e-9 {
            self.sample(model, state);
            self.next_sample_s += SAMPLE_INTERVAL_S;
            // After a pause or a long gap, never queue a burst of catch-up samples.
            if self.next_sample_s < state.time_s() {
                self.next_sample_s = state.time_s() + SAMPLE_INTERVAL_S;
            }
        }
    }

    fn after_beat(&mut self, beat: &BeatMetrics) {
        self.qrs_seen = false;
        if self.pending_beats.len() < MAX_PENDING_BEATS {
            self.pending_beats.push(beat.clone());
        }
    }
}

/// The simulation of a live session and its clock. Locked while in use.
pub struct SimCore {
    /// The scenario layer's driver: the one physiology.
    pub sim: Simulation,
    stream: StreamState,
    /// Speed factor, × real time.
    pub speed: f64,
    /// Whether the clock is paused.
    pub paused: bool,
    /// Why the simulation stopped (it diverged), if it did; the session is then paused.
    pub stopped: Option<String>,
    run_sim_s: f64,
    run_wall_s: f64,
    target_s: f64,
    trends: TrendLog,
    acknowledged: Vec<(String, f64)>,
    audio_paused_until_s: Option<f64>,
    learner_actions: Vec<String>,
}

impl SimCore {
    /// A session around a simulation.
    pub fn new(sim: Simulation, speed: f64, paused: bool) -> Self {
        let mut trends = TrendLog::default();
        trends.sample(&sim);
        SimCore {
            trends,
            acknowledged: Vec::new(),
            audio_paused_until_s: None,
            learner_actions: Action::NAMES
                .iter()
                .filter(|n| !INSTRUCTOR_ONLY_ACTIONS.contains(n))
                .map(|n| n.to_string())
                .collect(),
            stream: StreamState::new(sim.model()),
            target_s: sim.time_s(),
            sim,
            speed,
            paused,
            stopped: None,
            run_sim_s: 0.0,
            run_wall_s: 0.0,
        }
    }

    /// Advances by `dt_s` simulated seconds (to the first step at or past the target).
    pub fn advance(&mut self, dt_s: f64) {
        if self.stopped.is_some() || dt_s <= 0.0 {
            return;
        }
        // The target accumulates on its own clock, so that the overshoot of the last step
        // (steps divide beats, not frame intervals) does not accumulate into a drift.
        let state = self.sim.state();
        self.target_s = self.target_s.max(state.time_s() - state.step_s()) + dt_s;
        self.advance_to(self.target_s);
    }

    /// Advances to simulated time `t_s` as fast as possible (the teaching "skip ahead").
    pub fn advance_to(&mut self, t_s: f64) {
        if self.stopped.is_some() {
            return;
        }
        if let Err(e) = self.sim.advance_to(t_s, &mut self.stream) {
            self.stopped = Some(e.to_string());
            self.paused = true;
        }
        self.target_s = self.target_s.max(self.sim.time_s());
        self.trends.sample(&self.sim);
    }

    /// The trends and alarm history so far.
    pub fn trends(&self) -> Trends {
        self.trends.trends()
    }

    /// Whether the learner's token may apply action `name`.
    pub fn learner_may(&self, name: &str) -> bool {
        self.learner_actions.iter().any(|a| a == name)
    }

    /// Sets what the learner's token may apply; unknown names are refused (422).
    pub fn set_learner_actions(&mut self, names: Vec<String>) -> Result<String, ApiError> {
        if let Some(bad) = names.iter().find(|n| !Action::NAMES.contains(&n.as_str())) {
            return Err(ApiError::unprocessable(
                "invalid_choice",
                Some("learner_actions"),
                format!(
                    "learner_actions: {bad} is not an action (allowed: {})",
                    Action::NAMES.join(", ")
                ),
            ));
        }
        self.learner_actions = names;
        Ok(format!(
            "the learner may apply: {}",
            if self.learner_actions.is_empty() {
                "nothing".to_string()
            } else {
                self.learner_actions.join(", ")
            }
        ))
    }

    /// Acknowledges an alarm or pauses the audible alarm.
    pub fn alarm_command(&mut self, command: &AlarmCommand) -> Result<String, ApiError> {
        let now = self.time_s();
        match command {
            AlarmCommand::Acknowledge { name } => {
                let raised = self.sim.summary().alarms;
                let Some(a) = raised.iter().find(|a| &a.name == name) else {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "not_raised",
                        Some("name"),
                        format!(
                            "name: {name} is not raised now (raised: {})",
                            raised
                                .iter()
                                .map(|a| a.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                };
                self.acknowledged.retain(|(n, _)| n != name);
                self.acknowledged.push((name.clone(), a.since_s));
                Ok(format!("{name} acknowledged"))
            }
            AlarmCommand::Silence {} => {
                self.audio_paused_until_s = Some(now + AUDIO_PAUSE_S);
                Ok(format!("audible alarm paused for {AUDIO_PAUSE_S:.0} s"))
            }
        }
    }

    /// Simulated time, s.
    pub fn time_s(&self) -> f64 {
        self.sim.time_s()
    }

    /// Ratio of simulated to wall time while running, divided by the speed (1 = keeping real
    /// time × speed). `None` before half a second of running.
    pub fn realtime_ratio(&self) -> Option<f64> {
        (self.run_wall_s > 0.5).then(|| self.run_sim_s / self.run_wall_s / self.speed)
    }

    /// The live summary: the simulation's [`ecmova_scenario::Summary`] and the clock.
    pub fn summary(&self, session_id: &str) -> LiveSummary {
        let summary = self.sim.summary();
        // An acknowledgement holds for that occurrence only.
        let acknowledged_alarms = summary
            .alarms
            .iter()
            .filter(|a| {
                self.acknowledged
                    .iter()
                    .any(|(n, since)| *n == a.name && *since == a.since_s)
            })
            .map(|a| a.name.clone())
            .collect();
        LiveSummary {
            session_id: session_id.into(),
            speed: self.speed,
            paused: self.paused,
            stopped: self.stopped.clone(),
            acknowledged_alarms,
            audio_paused_until_s: self.audio_paused_until_s.filter(|t| *t > self.time_s()),
            learner_actions: self.learner_actions.clone(),
            summary,
        }
    }

    /// The channel list as sent to clients.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        self.stream
            .channels
            .iter()
            .map(|c| ChannelInfo {
                name: c.name().into(),
                label: c.label().into(),
            })
            .collect()
    }

    /// Applies an action now. Errors name the key at fault; on error nothing changed.
    pub fn apply(&mut self, action: Action) -> Result<String, ApiError> {
        if let Some(why) = &self.stopped {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "stopped",
                None,
                format!("the simulation stopped ({why}); start a new session"),
            ));
        }
        self.sim.apply(action).map_err(action_error)
    }

    /// Applies a clock command.
    pub fn clock(&mut self, command: &ClockCommand, max_speed: f64) -> Result<String, ApiError> {
        match *command {
            ClockCommand::SetSpeed { speed } => {
                crate::error::check("speed", speed, MIN_SPEED, max_speed, "× real time")?;
                self.speed = speed;
                Ok(format!("speed set to {speed} × real time"))
            }
            ClockCommand::Pause {} => {
                self.paused = true;
                Ok("paused".into())
            }
            ClockCommand::Resume {} => {
                if let Some(why) = &self.stopped {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "stopped",
                        None,
                        format!("the simulation stopped ({why}) and cannot resume"),
                    ));
                }
                self.paused = false;
                Ok("resumed".into())
            }
            ClockCommand::AdvanceTo { t_s } => {
                self.advance_to(t_s);
                Ok(format!("advanced to {:.3} s", self.time_s()))
            }
        }
    }

    fn take_frame(&mut self, seq: u32) -> Option<Vec<u8>> {
        if self.stream.pending.is_empty() {
            return None;
        }
        let f = encode_frame(
            seq,
            self.stream.pending_t0,
            self.stream.channels.len(),
            &self.stream.pending,
        );
        self.stream.pending.clear();
        Some(f)
    }
}

/// An action's error as the API reports it: 409 when the patient lacks what the action
/// needs, 422 otherwise; the field is the action's key.
pub fn action_error(e: ActionError) -> ApiError {
    let field = e.field().to_string();
    let message = e.to_string();
    match e {
        ActionError::OutOfRange { .. } => {
            ApiError::unprocessable("out_of_range", Some(&field), message)
        }
        ActionError::Unavailable { .. } => {
            ApiError::new(StatusCode::CONFLICT, "not_available", Some(&field), message)
        }
        ActionError::Invalid { .. } => {
            ApiError::unprocessable("invalid_action", Some(&field), message)
        }
    }
}

/// A live session, shared by its stepping task, its WebSocket clients and the registry.
pub struct Session {
    /// Identifier (32 hex digits).
    pub id: String,
    /// Preset name.
    pub preset: String,
    sim: Mutex<SimCore>,
    created: Instant,
    last_activity: Mutex<Instant>,
    clients: AtomicUsize,
    closed: AtomicBool,
    tx: broadcast::Sender<Message>,
}

impl Session {
    /// A new session (not yet stepping: see [`spawn_stepper`]).
    pub fn new(id: String, sim: SimCore) -> Arc<Self> {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        Arc::new(Session {
            id,
            preset: sim.sim.preset().to_string(),
            sim: Mutex::new(sim),
            created: Instant::now(),
            last_activity: Mutex::new(Instant::now()),
            clients: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            tx,
        })
    }

    /// Locks the simulation (a poisoned lock is recovered: the state is plain data).
    pub fn sim(&self) -> MutexGuard<'_, SimCore> {
        self.sim.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the session as used now (idle expiry counts from the last use).
    pub fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Time since the last use (zero while a WebSocket client is connected).
    pub fn idle(&self) -> Duration {
        if self.clients() > 0 {
            return Duration::ZERO;
        }
        self.last_activity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    /// Age of the session.
    pub fn age(&self) -> Duration {
        self.created.elapsed()
    }

    /// Connected WebSocket clients.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::SeqCst)
    }

    /// Reserves a client slot if fewer than `max` are taken.
    pub fn try_add_client(self: &Arc<Self>, max: usize) -> Option<ClientGuard> {
        self.clients
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| ClientGuard(self.clone()))
    }

    /// Stops the session: its task ends at the next tick and its clients are told.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Whether the session was closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// A receiver of the session's stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.tx.subscribe()
    }

    /// Tells the stream's clients that the channel list changed (after a restore).
    pub fn announce_channels(&self, channels: Vec<ChannelInfo>) {
        let _ = self.tx.send(Message::Text(
            json!({"type": "channels", "channels": channels})
                .to_string()
                .into(),
        ));
    }
}

/// A WebSocket client slot, released on drop.
pub struct ClientGuard(Arc<Session>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The per-beat message of the stream: the beat's metrics under the summary's names.
fn beat_message(b: &BeatMetrics) -> Message {
    let mut m = Map::new();
    m.insert("type".into(), "beat".into());
    for (k, v) in b.named_values() {
        m.insert(k.into(), num(v));
    }
    m.insert("aortic_valve_opened".into(), b.aortic_valve_opened.into());
    Message::Text(Value::Object(m).to_string().into())
}

/// Starts the task that steps `session` every `frame_interval` of wall time.
pub fn spawn_stepper(session: Arc<Session>, frame_interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(frame_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = Instant::now();
        let mut seq: u32 = 0;
        let mut last_status = Instant::now() - Duration::from_secs(10);
        loop {
            ticker.tick().await;
            if session.is_closed() {
                let _ = session
                    .tx
                    .send(Message::Text(r#"{"type":"closed"}"#.into()));
                break;
            }
            let now = Instant::now();
            // The simulation makes up for at most MAX_CATCH_UP_S of a stall, but the ratio
            // counts the true wall time, so that it shows the lag (issue 13).
            let elapsed = now.duration_since(last).as_secs_f64();
            let wall = elapsed.min(MAX_CATCH_UP_S);
            last = now;
            let listening = session.tx.receiver_count() > 0;
            let mut out: Vec<Message> = Vec::new();
            {
                let mut sim = session.sim();
                if !sim.paused {
                    let dt = wall * sim.speed;
                    let t0 = sim.time_s();
                    sim.advance(dt);
                    sim.run_sim_s += sim.time_s() - t0;
                    sim.run_wall_s += elapsed;
                }
                if listening {
                    if let Some(f) = sim.take_frame(seq) {
                        seq = seq.wrapping_add(1);
                        out.push(Message::Binary(f.into()));
                    }
                    for b in std::mem::take(&mut sim.stream.pending_beats) {
                        out.push(beat_message(&b));
                    }
                    if now.duration_since(last_status) >= Duration::from_millis(500) {
                        last_status = now;
                        out.push(status_message(&sim, &session.id));
                    }
                } else {
                    sim.stream.pending.clear();
                    sim.stream.pending_beats.clear();
                }
            }
            for m in out {
                // Never blocks; fails only when nobody listens.
                let _ = session.tx.send(m);
            }
        }
    });
}

/// The periodic `status` message: clock, speed and the live summary.
pub fn status_message(sim: &SimCore, session_id: &str) -> Message {
    Message::Text(
        json!({
            "type": "status",
            "t_s": sim.time_s(),
            "speed": sim.speed,
            "paused": sim.paused,
            "realtime_ratio": sim.realtime_ratio(),
            "summary": sim.summary(session_id),
        })
        .to_string()
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecmova_scenario::action::DeviceKind;
    use ecmova_scenario::wire::Patient;
    use ecmova_scenario::{Scenario, SimulationOptions};

    fn core(preset: &str) -> SimCore {
        let patient: Patient =
            serde_json::from_value(json!({ "preset": preset })).expect("patient");
        let sim = Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
            .expect("builds");
        SimCore::new(sim, 1.0, false)
    }

    #[test]
    fn advance_samples_and_beats() {
        let mut s = core("healthy-adult");
        s.advance(3.0);
        assert!(
            s.time_s() >= 3.0 - 1e-9 && s.time_s() < 3.01,
            "{}",
            s.time_s()
        );
        assert!(s.sim.beats_total() >= 3);
        let n = s.stream.channels.len();
        let rows = s.stream.pending.len() / n;
        assert!((740..=760).contains(&rows), "{rows} samples");
        let summary = s.summary("x").summary;
        assert!(summary.metrics.expect("beats").haemodynamics.map_mmhg > 40.0);
    }

    #[test]
    fn actions_validate_through_the_driver() {
        let mut s = core("cardiogenic-shock-ami");
        assert!(s
            .apply(Action::SetHeartRate {
                heart_rate_bpm: 80.0
            })
            .is_ok());
        let e = s
            .apply(Action::SetHeartRate {
                heart_rate_bpm: 1e9,
            })
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("heart_rate_bpm"));
        let before = s.sim.state().blood_volume_ml();
        assert!(s.apply(Action::Fluid { volume_ml: 500.0 }).is_ok());
        assert!((s.sim.state().blood_volume_ml() - before - 500.0).abs() < 1e-6);
        let e = s.apply(Action::Fluid { volume_ml: -1e6 }).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("volume_ml"));
        // The parked circuit and devices are there to start.
        assert!(s.apply(Action::StartEcmo {}).is_ok());
        assert!(s
            .apply(Action::SetDevice {
                device: DeviceKind::Impella,
                active: Some(true),
                performance_level: Some(4),
                diameter_mm: None,
                balloon_volume_ml: None,
                ratio: None,
            })
            .is_ok());
        s.advance(2.0);
        assert!(s.sim.state().is_finite());
        // The peer model has no circuit: ECMO actions are unavailable.
        let mut peer = core("regazzoni-2022");
        let e = peer.apply(Action::SetPumpRpm { rpm: 3000.0 }).unwrap_err();
        assert_eq!(e.error, "not_available");
    }
}
