//! Wire types of the JSON API: they exist only at this edge (the engine's structs are not
//! serializable by design). Every request type rejects unknown fields.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/sessions`: a preset and optional overrides (the `[patient]` table of a
/// scenario file, as JSON).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// Built-in preset (`healthy-adult`, `cardiogenic-shock-ami`, `regazzoni-2022`).
    pub preset: String,
    /// Overrides as in `[patient]` of a scenario file (`heart_rate_bpm`, `chamber`,
    /// `compartment`, `connection`); the key `preset` must not be repeated here.
    #[serde(default)]
    pub overrides: Option<serde_json::Map<String, serde_json::Value>>,
    /// Simulation speed, × real time (default 1).
    #[serde(default)]
    pub speed: Option<f64>,
    /// Start paused (default false).
    #[serde(default)]
    pub paused: Option<bool>,
}

/// An event sent to a live session (`POST /api/v1/sessions/{id}/events`).
///
/// The JSON object carries its kind in `"type"`; unknown types and unknown fields are
/// errors naming the field.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SessionEvent {
    /// Set the heart rate, bpm (20-250); takes effect at the next beat.
    SetHeartRate {
        /// Heart rate, bpm.
        bpm: f64,
    },
    /// Scale LV contractility (end-systolic elastance) relative to the session's starting
    /// value: 1 = baseline, 0.5 = half (0.05-3).
    SetContractility {
        /// Multiplier of the starting LV Ees.
        scale: f64,
    },
    /// Give (positive) or remove (negative) blood volume at once into the systemic veins, mL
    /// (-1500 to 2000).
    Fluid {
        /// Volume, mL; negative removes.
        volume_ml: f64,
    },
    /// Simulation speed, × real time (0.1 to the server's maximum, 10 by default).
    SetSpeed {
        /// Speed factor.
        speed: f64,
    },
    /// Pause the simulation clock.
    Pause {},
    /// Resume the simulation clock.
    Resume {},
    /// Start VA-ECMO support (routed to [`crate::ecmo::apply_ecmo_event`]).
    StartEcmo {
        /// Pump speed to start at, rpm (optional).
        #[serde(default)]
        rpm: Option<f64>,
    },
    /// Stop VA-ECMO support (routed to [`crate::ecmo::apply_ecmo_event`]).
    StopEcmo {},
    /// Set the pump speed, rpm (routed to [`crate::ecmo::apply_ecmo_event`]).
    SetRpm {
        /// Pump speed, rpm.
        rpm: f64,
    },
    /// Set the oxygenator sweep gas flow, L/min (routed to [`crate::ecmo::apply_ecmo_event`]).
    SetSweep {
        /// Sweep gas flow, L/min.
        l_min: f64,
    },
    /// Set the fraction of O2 in the sweep gas, 0.21-1 (routed to
    /// [`crate::ecmo::apply_ecmo_event`]).
    SetFdo2 {
        /// FdO2, fraction.
        fdo2: f64,
    },
    /// Start, change or stop (dose 0) a drug infusion: `norepinephrine`, `dobutamine` or
    /// `milrinone`, dose in µg/kg/min (the scenario layer's dose-effect models).
    Drug {
        /// Drug name.
        name: String,
        /// Infusion rate, µg/kg/min (0 stops it).
        dose: f64,
    },
    /// Switch an LV unloading device on or off, optionally with its setting. Adult presets'
    /// sessions carry all four devices parked (off).
    Unloading {
        /// Device: `iabp`, `impella`, `atrial_septostomy`, `lv_vent`.
        device: String,
        /// On or off.
        on: bool,
        /// Impella performance level, P1-P9 (Impella only).
        #[serde(default)]
        performance_level: Option<u8>,
        /// Septostomy diameter, mm (septostomy only).
        #[serde(default)]
        diameter_mm: Option<f64>,
        /// IABP assist ratio 1-3 (IABP only).
        #[serde(default)]
        ratio: Option<u32>,
    },
    /// Cardiac arrest: `vf` (default) or `asystole`; no chamber contracts.
    Arrest {
        /// `vf` or `asystole`.
        #[serde(default)]
        rhythm: Option<String>,
    },
    /// Return of spontaneous circulation (sinus rhythm, the heart as before the arrest).
    Rosc {},
    /// Weaning trial: reduce ECMO flow to the given value (routed to
    /// [`crate::ecmo::apply_pending_event`]).
    WeaningTrial {
        /// Target ECMO flow during the trial, L/min.
        flow_l_min: f64,
    },
}

impl SessionEvent {
    /// The `"type"` tag of the event.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionEvent::SetHeartRate { .. } => "set_heart_rate",
            SessionEvent::SetContractility { .. } => "set_contractility",
            SessionEvent::Fluid { .. } => "fluid",
            SessionEvent::SetSpeed { .. } => "set_speed",
            SessionEvent::Pause {} => "pause",
            SessionEvent::Resume {} => "resume",
            SessionEvent::StartEcmo { .. } => "start_ecmo",
            SessionEvent::StopEcmo {} => "stop_ecmo",
            SessionEvent::SetRpm { .. } => "set_rpm",
            SessionEvent::SetSweep { .. } => "set_sweep",
            SessionEvent::SetFdo2 { .. } => "set_fdo2",
            SessionEvent::Drug { .. } => "drug",
            SessionEvent::Unloading { .. } => "unloading",
            SessionEvent::Arrest { .. } => "arrest",
            SessionEvent::Rosc {} => "rosc",
            SessionEvent::WeaningTrial { .. } => "weaning_trial",
        }
    }

    /// Whether the event belongs to the ECMO circuit (start/stop, rpm, sweep, FdO2).
    pub fn is_ecmo(&self) -> bool {
        matches!(
            self,
            SessionEvent::StartEcmo { .. }
                | SessionEvent::StopEcmo {}
                | SessionEvent::SetRpm { .. }
                | SessionEvent::SetSweep { .. }
                | SessionEvent::SetFdo2 { .. }
        )
    }
}

/// What the server can do in this build (`GET /api/v1/capabilities`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capabilities {
    /// The ECMO circuit events (`start_ecmo`, `set_rpm`, ...) are implemented.
    pub ecmo: bool,
    /// Drug infusions are implemented.
    pub drugs: bool,
    /// LV unloading devices are implemented.
    pub unloading: bool,
    /// Cardiac arrest and ROSC are implemented.
    pub arrest: bool,
    /// The weaning trial is implemented.
    pub weaning_trial: bool,
    /// Every event type the server accepts (some may answer `not_available`).
    pub events: Vec<&'static str>,
    /// Built-in presets.
    pub presets: Vec<&'static str>,
    /// The limits in force.
    pub limits: crate::Limits,
    /// Server version.
    pub version: &'static str,
}

/// Every event type, in documentation order.
pub const EVENT_TYPES: &[&str] = &[
    "set_heart_rate",
    "set_contractility",
    "fluid",
    "set_speed",
    "pause",
    "resume",
    "start_ecmo",
    "stop_ecmo",
    "set_rpm",
    "set_sweep",
    "set_fdo2",
    "drug",
    "unloading",
    "arrest",
    "rosc",
    "weaning_trial",
];
