//! The arterial baroreflex in a run: the engine's per-beat controller
//! ([`ecmova_engine::baroreflex`]) coupled to the model after every beat, and its set point.
//!
//! The set point is the patient's own resting pressure: the preset as built (with the
//! scenario's overrides) without support (circuit clamped, devices off) and in sinus rhythm,
//! run to its periodic steady state. The presets are calibrated without a reflex, so with the
//! reflex on they start exactly at its equilibrium, and it acts only against acute changes
//! (bleeding, ECMO flow, drugs, arrest) — the way the Pulse engine sets its baroreceptor set
//! point from the stabilised baseline (`docs/methodology/baroreflex.md`).

use ecmova_engine::baroreflex::{
    AutonomicEffects, Baroreflex, BaroreflexParams, BaroreflexTargets,
};
use ecmova_engine::{
    step, BeatMetrics, BeatRecorder, CirculationParams, IntegrationParams, Model, ParamError,
    Rhythm, State, SteadyStateDetector,
};

/// Effect changes below this are not applied ([`AutonomicEffects::max_difference`]: 1e-5 is a
/// 0.001 % change of a resistance or 10 µs of heart period, far below anything measurable,
/// while each applied change costs a model update and, with the heart rate, a new activation
/// table). The applied effects then trail the reflex by at most this much.
pub const APPLY_TOLERANCE: f64 = 1e-5;

/// Longest pre-run used to find the resting pressure, s.
pub const SET_POINT_MAX_RUN_S: f64 = 180.0;

/// The patient's resting right-radial mean pressure (mmHg): `params` unsupported, in sinus
/// rhythm, run to steady state (at most [`SET_POINT_MAX_RUN_S`]); the mean of its last 5
/// beats. Deterministic.
pub fn resting_pressure_mmhg(
    params: &CirculationParams,
    integration: &IntegrationParams,
) -> Result<f64, ParamError> {
    let mut p = params.clone();
    p.rhythm = Rhythm::Sinus;
    if let Some(e) = p.ecmo.as_mut() {
        e.clamped = true;
    }
    for u in &mut p.unloading {
        u.active = false;
    }
    let model = Model::new(p, integration.clone())?;
    let mut state = State::new(&model);
    let mut recorder = BeatRecorder::new(&model, &state);
    let mut detector = SteadyStateDetector::default();
    let mut recent: Vec<BeatMetrics> = Vec::with_capacity(8);
    while state.time_s() < SET_POINT_MAX_RUN_S {
        step(&model, &mut state);
        if let Some(beat) = recorder.record(&model, &state) {
            let steady = detector.observe(&beat);
            if recent.len() == 5 {
                recent.remove(0);
            }
            recent.push(beat);
            if steady {
                break;
            }
        }
    }
    Ok(BeatMetrics::average(&recent).map_or(0.0, |b| b.map_mmhg))
}

/// A baroreflex coupled to a running model.
#[derive(Debug, Clone)]
pub struct ReflexLoop {
    reflex: Baroreflex,
    targets: BaroreflexTargets,
    applied: AutonomicEffects,
    engaged: bool,
}

impl ReflexLoop {
    /// A reflex at equilibrium at its set point, acting on `model`'s effector sites.
    pub fn new(params: BaroreflexParams, model: &Model) -> Result<Self, ParamError> {
        Ok(ReflexLoop {
            targets: BaroreflexTargets::from_params(model.params())?,
            reflex: Baroreflex::new(params)?,
            applied: AutonomicEffects::NONE,
            engaged: false,
        })
    }

    /// After a completed beat: advances the reflex (the beat's mean right-radial pressure is
    /// the carotid pressure) and applies the change of its effects to the model. Changes that
    /// other events made between beats are kept (the change is relative). Returns whether the
    /// model changed (the caller then refreshes its state).
    ///
    /// The reflex engages at the run's first steady state or first event (`steady`,
    /// `event_seen`), whichever comes first, and stays engaged: before, the pressures move
    /// only because the initial volumes are a guess, a numerical transient it must not answer.
    pub fn after_beat(
        &mut self,
        model: &mut Model,
        beat: &BeatMetrics,
        steady: bool,
        event_seen: bool,
    ) -> Result<bool, ParamError> {
        self.engaged |= steady || event_seen;
        if !self.engaged {
            return Ok(false);
        }
        self.reflex.advance(beat.map_mmhg, beat.period_s);
        let next = self.reflex.effects();
        if next.max_difference(&self.applied) <= APPLY_TOLERANCE {
            return Ok(false);
        }
        let (targets, applied) = (&self.targets, &self.applied);
        model.update(|p| targets.apply_change(applied, &next, p))?;
        self.applied = next;
        Ok(true)
    }

    /// The effects applied so far (deviations from the resting state).
    pub fn effects(&self) -> &AutonomicEffects {
        &self.applied
    }
}
