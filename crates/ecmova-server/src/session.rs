//! Live simulation sessions: each owns a `Model` and its caller-owned `State`, stepped by a
//! tokio task in real time × speed, and broadcasts frames to its WebSocket clients.
//!
//! A session's simulation sits behind a short-held `std::sync::Mutex`: the stepping task locks
//! it once per frame interval (40 ms of wall time: well under a millisecond of work at
//! speed 1), and REST handlers lock it to apply an event or read the summary. Frames go out
//! through a bounded `broadcast` channel that never blocks the sender: a client that falls
//! behind loses frames (it sees a gap in the sequence numbers), never the simulation.

use crate::ecmo;
use crate::error::{check, ApiError};
use crate::stream::{channels, encode_frame, lv_activation, Channel, EcgClock};
use crate::wire::SessionEvent;
use axum::extract::ws::Message;
use ecmova_engine::{
    step, BeatMetrics, BeatRecorder, CompartmentKind, Model, ParamError, State, SteadyStateDetector,
};
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Beats averaged in the live summary (as in the scenario summary).
pub const SUMMARY_BEATS: usize = 5;
/// Interval between streamed samples, simulated seconds (250 Hz).
pub const SAMPLE_INTERVAL_S: f64 = 0.004;
/// Most wall time one tick may make up for (a stalled task skips time rather than
/// spiralling into catch-up work).
const MAX_CATCH_UP_S: f64 = 0.25;
/// Lowest speed factor.
pub const MIN_SPEED: f64 = 0.1;
/// Frames buffered per session for slow clients before they lose frames.
const BROADCAST_CAPACITY: usize = 64;

/// The simulation of a live session: the engine model and state and what is derived from
/// them. Locked while in use; the ECMO hooks in [`crate::ecmo`] receive it mutably.
pub struct SimCore {
    /// The validated model (change it with `Model::update`).
    pub model: Model,
    /// The caller-owned engine state.
    pub state: State,
    /// Preset name.
    pub preset: String,
    /// Speed factor, × real time.
    pub speed: f64,
    /// Whether the clock is paused.
    pub paused: bool,
    /// LV end-systolic elastance at creation (the reference of `set_contractility`), mmHg/mL.
    pub baseline_lv_ees: f64,
    /// Streamed channels; after changing them set [`SimCore::channels_changed`].
    pub channels: Vec<Channel>,
    /// Set when `channels` changed: clients get a new `channels` message before the next frame.
    pub channels_changed: bool,
    /// Number of events applied.
    pub events_applied: u64,
    /// Simulated time at which the state stopped being finite (the session is then paused).
    pub diverged_at_s: Option<f64>,
    /// A running (or finished) weaning trial.
    pub weaning: Option<ecmova_scenario::weaning::WeaningTrial>,
    /// What the scenario layer's events remember (infusion rates, contractility reference).
    pub events: ecmova_scenario::build::EventContext,
    /// The arterial baroreflex, if the session was created with it.
    reflex: Option<ecmova_scenario::reflex::ReflexLoop>,
    recorder: BeatRecorder,
    recent: VecDeque<BeatMetrics>,
    beats_total: u64,
    detector: SteadyStateDetector,
    ecg: EcgClock,
    lv_act: Option<usize>,
    qrs_seen: bool,
    next_sample_s: f64,
    pending: Vec<f32>,
    pending_t0: f64,
    pending_beats: Vec<BeatMetrics>,
    run_sim_s: f64,
    run_wall_s: f64,
    target_s: f64,
}

fn lv_ees(model: &Model) -> f64 {
    let p = model.params();
    match p.compartments.get(p.sites.lv).map(|c| &c.kind) {
        Some(CompartmentKind::Chamber(c)) => c.ees_mmhg_per_ml,
        _ => 0.0,
    }
}

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

impl SimCore {
    /// A session simulation starting at t = 0.
    pub fn new(model: Model, preset: String, speed: f64, paused: bool) -> Self {
        let state = State::new(&model);
        let recorder = BeatRecorder::new(&model, &state);
        let channels = channels(&model);
        SimCore {
            baseline_lv_ees: lv_ees(&model),
            lv_act: lv_activation(&model),
            recorder,
            state,
            preset,
            speed,
            paused,
            channels,
            channels_changed: false,
            events_applied: 0,
            diverged_at_s: None,
            weaning: None,
            events: ecmova_scenario::build::EventContext {
                lv_ees_reference: lv_ees(&model),
                ..Default::default()
            },
            reflex: None,
            recent: VecDeque::with_capacity(SUMMARY_BEATS + 1),
            beats_total: 0,
            detector: SteadyStateDetector::default(),
            ecg: EcgClock::default(),
            qrs_seen: false,
            next_sample_s: 0.0,
            pending: Vec::new(),
            pending_t0: 0.0,
            pending_beats: Vec::new(),
            run_sim_s: 0.0,
            run_wall_s: 0.0,
            target_s: 0.0,
            model,
        }
    }

    fn sample(&mut self) {
        let t = self.state.time_s();
        if self.pending.is_empty() {
            self.pending_t0 = t;
        }
        for (i, c) in self.channels.iter().enumerate() {
            let v = if i == 0 {
                t - self.pending_t0
            } else {
                (c.read)(&self.model, &self.state, &self.ecg)
            };
            self.pending.push(v as f32);
        }
    }

    /// Advances the simulation by `dt_s` simulated seconds (whole steps: it stops at the
    /// first step at or past the target).
    pub fn advance(&mut self, dt_s: f64) {
        if self.diverged_at_s.is_some() || dt_s <= 0.0 {
            return;
        }
        // The target accumulates on its own clock, so that the overshoot of the last step
        // (steps divide beats, not frame intervals) does not accumulate into a drift.
        self.target_s = self.target_s.max(self.state.time_s() - self.state.step_s()) + dt_s;
        let target = self.target_s;
        while self.state.time_s() < target - 1e-12 {
            step(&self.model, &mut self.state);
            if let Some(i) = self.lv_act {
                if !self.qrs_seen && self.state.activations().get(i).copied().unwrap_or(0.0) > 0.02
                {
                    self.qrs_seen = true;
                    self.ecg.qrs_phase_s = self.state.phase_s();
                }
            }
            if self.state.time_s() >= self.next_sample_s - 1e-9 {
                self.sample();
                self.next_sample_s += SAMPLE_INTERVAL_S;
                // After a pause or a long gap, never queue a burst of catch-up samples.
                if self.next_sample_s < self.state.time_s() {
                    self.next_sample_s = self.state.time_s() + SAMPLE_INTERVAL_S;
                }
            }
            if let Some(beat) = self.recorder.record(&self.model, &self.state) {
                self.qrs_seen = false;
                if !self.state.is_finite() {
                    self.diverged_at_s = Some(self.state.time_s());
                    self.paused = true;
                    return;
                }
                let steady = self.detector.observe(&beat);
                if let Some(r) = self.reflex.as_mut() {
                    let event_seen = self.events_applied > 0;
                    match r.after_beat(&mut self.model, &beat, steady, event_seen) {
                        Ok(true) => self.state.refresh(&self.model),
                        Ok(false) => {}
                        // An effect the model refuses (out of a validated range): the reflex
                        // switches off, visibly (`baroreflex: false` in the summary), rather
                        // than acting half-way.
                        Err(_) => self.reflex = None,
                    }
                }
                self.beats_total += 1;
                if self.recent.len() == SUMMARY_BEATS {
                    self.recent.pop_front();
                }
                self.recent.push_back(beat.clone());
                if let Some(trial) = self.weaning.as_mut() {
                    // The weaning trial's flow controller turns the pump speed once per beat.
                    let (rpm, max_rpm) = self
                        .model
                        .params()
                        .ecmo
                        .as_ref()
                        .map_or((0.0, 0.0), |e| (e.pump_rpm, e.pump.max_rpm));
                    let recent: Vec<BeatMetrics> = self.recent.iter().cloned().collect();
                    trial.after_beat(self.state.time_s(), rpm, &recent);
                    if let Some(next) = trial.control(beat.ecmo_flow_l_min, rpm, max_rpm) {
                        let updated = self.model.update(|p| {
                            if let Some(e) = p.ecmo.as_mut() {
                                e.pump_rpm = next;
                            }
                        });
                        if updated.is_ok() {
                            self.state.refresh(&self.model);
                        }
                    }
                }
                if self.pending_beats.len() < 64 {
                    self.pending_beats.push(beat);
                }
            }
        }
    }

    /// Replaces the model and the state (e.g. when an event changes the circuit's layout, so
    /// that the old state vector no longer fits). `state` should be at the start of a beat
    /// (as `BeatRecorder` requires); the beat recorder restarts, the steady-state detector
    /// restarts, the channel list is rebuilt and clients are sent the new one. The summary
    /// keeps the recent beats until new ones complete.
    pub fn replace(&mut self, model: Model, state: State) {
        self.recorder = BeatRecorder::new(&model, &state);
        self.detector = SteadyStateDetector::default();
        self.lv_act = lv_activation(&model);
        self.channels = channels(&model);
        self.channels_changed = true;
        self.target_s = state.time_s();
        self.next_sample_s = state.time_s();
        self.model = model;
        self.state = state;
    }

    /// Simulated time, s.
    pub fn time_s(&self) -> f64 {
        self.state.time_s()
    }

    /// Ratio of simulated to wall time while running, divided by the speed (1 = keeping real
    /// time × speed). `None` before any running time.
    pub fn realtime_ratio(&self) -> Option<f64> {
        (self.run_wall_s > 0.5).then(|| self.run_sim_s / self.run_wall_s / self.speed)
    }

    /// The live summary: the scenario summary's keys (metrics averaged over the last 5
    /// beats), plus `speed`, `paused`, `time_s`, and whatever the ECMO hook adds.
    pub fn summary(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("ecmova_version".into(), env!("CARGO_PKG_VERSION").into());
        m.insert("preset".into(), self.preset.clone().into());
        m.insert("simulated_s".into(), num(self.state.time_s()));
        m.insert("beats_simulated".into(), self.beats_total.into());
        m.insert("beats_averaged".into(), (self.recent.len() as u64).into());
        m.insert(
            "steady_state_beat".into(),
            self.detector
                .steady_beat()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        m.insert("speed".into(), num(self.speed));
        m.insert("paused".into(), self.paused.into());
        m.insert(
            "diverged_at_s".into(),
            self.diverged_at_s.map(num).unwrap_or(Value::Null),
        );
        let beats: Vec<BeatMetrics> = self.recent.iter().cloned().collect();
        if let Some(avg) = BeatMetrics::average(&beats) {
            let has_gas = self.model.params().gas.is_some();
            for (k, v) in avg.named_values() {
                if matches!(k, "beat_index" | "start_s")
                    || (!has_gas && ecmova_scenario::summary::GAS_KEYS.contains(&k))
                {
                    continue;
                }
                m.insert(k.into(), num(v));
            }
            ecmo::averaged_summary(self, &avg, &mut m);
        }
        ecmo::extra_summary(self, &mut m);
        let params = self.model.params();
        m.insert("rhythm".into(), params.rhythm.name().into());
        m.insert(
            "devices".into(),
            ecmova_scenario::summary::devices_json(params),
        );
        m.insert("baroreflex".into(), self.reflex.is_some().into());
        m
    }

    /// The channel list as sent to clients.
    pub fn channels_json(&self) -> Value {
        Value::Array(
            self.channels
                .iter()
                .map(|c| json!({"name": c.name, "label": c.label}))
                .collect(),
        )
    }

    /// Applies an event. Errors name the field at fault; on error nothing changed.
    pub fn apply(&mut self, event: &SessionEvent, max_speed: f64) -> Result<String, ApiError> {
        let out = match event {
            SessionEvent::SetHeartRate { bpm } => {
                check("bpm", *bpm, 20.0, 250.0, "bpm")?;
                let bpm = *bpm;
                self.model
                    .update(|p| p.heart_rate_bpm = bpm)
                    .map_err(|e| param_error("bpm", e))?;
                self.state.refresh(&self.model);
                format!("heart rate set to {bpm} bpm (from the next beat)")
            }
            SessionEvent::SetContractility { scale } => {
                check("scale", *scale, 0.05, 3.0, "× baseline")?;
                let ees = self.baseline_lv_ees * scale;
                let lv = self.model.params().sites.lv;
                self.model
                    .update(|p| {
                        if let Some(CompartmentKind::Chamber(c)) =
                            p.compartments.get_mut(lv).map(|c| &mut c.kind)
                        {
                            c.ees_mmhg_per_ml = ees;
                        }
                    })
                    .map_err(|e| param_error("scale", e))?;
                self.state.refresh(&self.model);
                format!("LV Ees set to {ees:.3} mmHg/mL ({scale} × baseline)")
            }
            SessionEvent::Fluid { volume_ml } => {
                check("volume_ml", *volume_ml, -1500.0, 2000.0, "mL")?;
                // The scenario layer's fluid model: spread over the vessels by compliance.
                let event = ecmova_scenario::wire::Event::Fluid {
                    at_s: self.state.time_s(),
                    volume_ml: *volume_ml,
                };
                self.apply_scenario_event(&event, "volume_ml")?;
                if *volume_ml >= 0.0 {
                    format!("{volume_ml} mL given, spread over the vessels")
                } else {
                    format!("{} mL removed from the vessels", -volume_ml)
                }
            }
            SessionEvent::SetSpeed { speed } => {
                check("speed", *speed, MIN_SPEED, max_speed, "× real time")?;
                self.speed = *speed;
                format!("speed set to {speed} × real time")
            }
            SessionEvent::Pause {} => {
                self.paused = true;
                "paused".into()
            }
            SessionEvent::Resume {} => {
                if let Some(t) = self.diverged_at_s {
                    return Err(ApiError::new(
                        axum::http::StatusCode::CONFLICT,
                        "diverged",
                        None,
                        format!("the simulation diverged at t = {t:.3} s and cannot resume"),
                    ));
                }
                self.paused = false;
                "resumed".into()
            }
            e if e.is_ecmo() => ecmo::apply_ecmo_event(self, e)?,
            e => ecmo::apply_pending_event(self, e)?,
        };
        self.events_applied += 1;
        Ok(out)
    }

    /// Couples the arterial baroreflex (its set point already resolved) to the session. It
    /// engages at the first steady state or the first event.
    pub fn set_baroreflex(
        &mut self,
        params: ecmova_engine::baroreflex::BaroreflexParams,
    ) -> Result<(), ParamError> {
        self.reflex = Some(ecmova_scenario::reflex::ReflexLoop::new(
            params,
            &self.model,
        )?);
        Ok(())
    }

    /// Whether the session has a baroreflex.
    pub fn has_baroreflex(&self) -> bool {
        self.reflex.is_some()
    }

    /// Applies an event of the scenario layer (the one implementation of drugs, fluids,
    /// devices and arrest) at the current time. Its errors become 422 `invalid_event` naming
    /// `field`; on error the model is unchanged.
    pub fn apply_scenario_event(
        &mut self,
        event: &ecmova_scenario::wire::Event,
        field: &str,
    ) -> Result<(), ApiError> {
        ecmova_scenario::build::apply_event(
            &mut self.model,
            Some(&mut self.state),
            0,
            event,
            &mut self.events,
        )
        .map_err(|e| {
            let message = match e {
                ecmova_scenario::ScenarioError::Event { message, .. } => message,
                other => other.to_string(),
            };
            ApiError::unprocessable("invalid_event", Some(field), message)
        })?;
        self.state.refresh(&self.model);
        Ok(())
    }

    fn take_frame(&mut self, seq: u32) -> Option<Vec<u8>> {
        if self.pending.is_empty() {
            return None;
        }
        let f = encode_frame(seq, self.pending_t0, self.channels.len(), &self.pending);
        self.pending.clear();
        Some(f)
    }
}

fn param_error(field: &str, e: ParamError) -> ApiError {
    match e {
        ParamError::OutOfRange {
            value,
            min,
            max,
            unit,
            field: inner,
        } => ApiError::unprocessable(
            "out_of_range",
            Some(field),
            format!("{inner} = {value} is out of range: allowed {min} to {max} {unit}"),
        ),
        other => ApiError::unprocessable("invalid_event", Some(field), other.to_string()),
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
            preset: sim.preset.clone(),
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
}

/// A WebSocket client slot, released on drop.
pub struct ClientGuard(Arc<Session>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

/// Messages of the stream besides the binary frames (JSON text).
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
            let wall = now.duration_since(last).as_secs_f64().min(MAX_CATCH_UP_S);
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
                    sim.run_wall_s += wall;
                }
                if listening {
                    if sim.channels_changed {
                        sim.channels_changed = false;
                        // Samples taken with the old channel list cannot be sent any more.
                        sim.pending.clear();
                        out.push(Message::Text(
                            json!({"type": "channels", "channels": sim.channels_json()})
                                .to_string()
                                .into(),
                        ));
                    }
                    if let Some(f) = sim.take_frame(seq) {
                        seq = seq.wrapping_add(1);
                        out.push(Message::Binary(f.into()));
                    }
                    for b in std::mem::take(&mut sim.pending_beats) {
                        out.push(beat_message(&b));
                    }
                    if now.duration_since(last_status) >= Duration::from_millis(500) {
                        last_status = now;
                        out.push(status_message(&sim));
                    }
                } else {
                    sim.pending.clear();
                    sim.pending_beats.clear();
                    sim.channels_changed = false;
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
pub fn status_message(sim: &SimCore) -> Message {
    Message::Text(
        json!({
            "type": "status",
            "t_s": sim.time_s(),
            "speed": sim.speed,
            "paused": sim.paused,
            "realtime_ratio": sim.realtime_ratio(),
            "summary": Value::Object(sim.summary()),
        })
        .to_string()
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(preset: &str) -> SimCore {
        let params = ecmova_engine::presets::by_name(preset).expect("preset");
        let model = Model::new(params, Default::default()).expect("model");
        SimCore::new(model, preset.into(), 1.0, false)
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
        assert!(s.beats_total >= 3);
        let n = s.channels.len();
        let rows = s.pending.len() / n;
        assert!((740..=760).contains(&rows), "{rows} samples");
        let summary = s.summary();
        assert!(summary["map_mmhg"].as_f64().unwrap() > 40.0);
    }

    #[test]
    fn events_validate() {
        let mut s = core("cardiogenic-shock-ami");
        assert!(s
            .apply(&SessionEvent::SetHeartRate { bpm: 80.0 }, 10.0)
            .is_ok());
        let e = s
            .apply(&SessionEvent::SetHeartRate { bpm: 1e9 }, 10.0)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("bpm"));
        assert!(s
            .apply(&SessionEvent::SetContractility { scale: 2.0 }, 10.0)
            .is_ok());
        let before = s.state.blood_volume_ml();
        assert!(s
            .apply(&SessionEvent::Fluid { volume_ml: 500.0 }, 10.0)
            .is_ok());
        assert!((s.state.blood_volume_ml() - before - 500.0).abs() < 1e-6);
        let e = s
            .apply(&SessionEvent::Fluid { volume_ml: -1e6 }, 10.0)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("volume_ml"));
        // Repeated removals stop before the veins are emptied.
        let mut refused = None;
        for _ in 0..10 {
            if let Err(e) = s.apply(&SessionEvent::Fluid { volume_ml: -1000.0 }, 10.0) {
                refused = Some(e);
                break;
            }
        }
        assert_eq!(refused.and_then(|e| e.field).as_deref(), Some("volume_ml"));
        let e = s
            .apply(&SessionEvent::SetRpm { rpm: 3000.0 }, 10.0)
            .unwrap_err();
        assert_eq!(e.error, "not_available");
        s.advance(2.0);
        assert!(s.state.is_finite());
    }
}
