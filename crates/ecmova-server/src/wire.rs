//! Wire types of the JSON API that are the server's own (sessions, clock, capabilities). The
//! physiology's types — [`ecmova_scenario::Action`], [`ecmova_scenario::Summary`] — are used
//! as they are, so a scenario file and a live session speak one language. Every request type
//! rejects unknown fields; every type here also describes itself for the OpenAPI document.

use ecmova_scenario::action::Range;
use ecmova_scenario::simulation::LoggedAction;
use ecmova_scenario::Summary;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/sessions`: either a preset (with optional overrides: the `[patient]` table of a
/// scenario file as JSON), or a whole scenario (its timeline plays live), or a snapshot to
/// resume.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// Built-in preset (see `GET /api/v1/presets`).
    #[serde(default)]
    pub preset: Option<String>,
    /// Overrides as in `[patient]` of a scenario file; the key `preset` must not be repeated.
    #[serde(default)]
    pub overrides: Option<serde_json::Map<String, serde_json::Value>>,
    /// A whole scenario file as JSON (`docs/scenario-format.md`); its `[[events]]` play at
    /// their times.
    #[serde(default)]
    pub scenario: Option<serde_json::Value>,
    /// A whole scenario file as TOML text (what a browser uploads); as `scenario` otherwise.
    #[serde(default)]
    pub scenario_toml: Option<String>,
    /// A snapshot from `GET /api/v1/sessions/{id}/snapshot`, resumed exactly.
    #[serde(default)]
    pub snapshot: Option<serde_json::Value>,
    /// Simulation speed, × real time (default 1).
    #[serde(default)]
    pub speed: Option<f64>,
    /// Start paused (default false).
    #[serde(default)]
    pub paused: Option<bool>,
    /// For a preset: run to the patient's periodic steady state (at most
    /// [`crate::session::SETTLE_MAX_S`] simulated s) before the clock starts, so that the
    /// first seconds show the settled patient (default false).
    #[serde(default)]
    pub settle: Option<bool>,
}

/// `POST /api/v1/sessions/{id}/clock`: the session's clock, which is not physiology.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClockCommand {
    /// Stop the clock.
    Pause {},
    /// Restart the clock.
    Resume {},
    /// Set the speed.
    SetSpeed {
        /// Speed factor, × real time (0.1 to the server's `max_speed`).
        speed: f64,
    },
    /// Skip ahead: simulate as fast as possible to simulated time `t_s` (at most
    /// `max_run_duration_s` ahead), the timeline's actions applied on the way.
    AdvanceTo {
        /// Target simulated time, s.
        t_s: f64,
    },
}

/// The answer to an action or a clock command.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Applied {
    /// The action's or command's name.
    pub applied: String,
    /// Simulated time at which it took effect, s.
    pub t_s: f64,
    /// What changed, in words.
    pub detail: String,
}

/// A session as listed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionInfo {
    /// Identifier.
    pub id: String,
    /// Preset.
    pub preset: String,
    /// Simulated time, s.
    pub t_s: f64,
    /// Speed, × real time.
    pub speed: f64,
    /// Whether the clock is paused.
    pub paused: bool,
    /// Actions applied so far (timeline and live).
    pub actions_applied: u64,
    /// Connected WebSocket clients.
    pub clients: usize,
    /// Age, s.
    pub age_s: f64,
    /// Simulated ÷ wall time ÷ speed while running (1 = keeping time); absent before half a
    /// second of running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime_ratio: Option<f64>,
    /// Why the simulation stopped (divergence), absent while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// WebSocket stream path.
    pub stream: String,
    /// The stream's channels, in order.
    pub channels: Vec<ChannelInfo>,
    /// The summary at creation (only in the answer to `POST /api/v1/sessions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// The instructor's token (only in the answer to `POST /api/v1/sessions`): send it as
    /// `Authorization: Bearer <token>` (or `?token=` on the stream); it may do everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructor_token: Option<String>,
    /// The learner's token (only in the answer to `POST /api/v1/sessions`): may read, stream
    /// and apply actions, not delete the session, change its clock or take a snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learner_token: Option<String>,
}

/// One channel of the stream.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ChannelInfo {
    /// Name with unit (as the series column of the same quantity).
    pub name: String,
    /// What it is.
    pub label: String,
}

/// `GET /api/v1/sessions`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionList {
    /// The live sessions.
    pub sessions: Vec<SessionInfo>,
    /// The limit.
    pub max_sessions: usize,
}

/// `GET /api/v1/sessions/{id}/summary`: the simulation's summary and the session's clock.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LiveSummary {
    /// Session id.
    pub session_id: String,
    /// Speed, × real time.
    pub speed: f64,
    /// Whether the clock is paused.
    pub paused: bool,
    /// Why the simulation stopped (divergence), absent while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Raised alarms acknowledged at the bedside (`POST .../alarms`), by name.
    pub acknowledged_alarms: Vec<String>,
    /// The audible alarm is paused until this simulated time, s (absent: not paused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_paused_until_s: Option<f64>,
    /// The actions the learner's token may apply.
    pub learner_actions: Vec<String>,
    /// The simulation's summary (the same type a scenario run reports).
    #[serde(flatten)]
    pub summary: Summary,
}

/// `GET /api/v1/sessions/{id}/log`: every action applied, with its time and source.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ActionLog {
    /// The actions, in order.
    pub actions: Vec<LoggedAction>,
}

/// A preset.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PresetInfo {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
}

/// `GET /api/v1/presets`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PresetList {
    /// The built-in presets.
    pub presets: Vec<PresetInfo>,
}

/// What the server can do in this build (`GET /api/v1/capabilities`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Capabilities {
    /// Every action a session accepts (the same as scenario files' `[[events]]`).
    pub actions: Vec<&'static str>,
    /// The patient-independent ranges of the actions' keys (the table the checks use).
    pub action_ranges: Vec<Range>,
    /// The session clock's commands.
    pub clock_commands: Vec<&'static str>,
    /// Built-in presets.
    pub presets: Vec<&'static str>,
    /// The limits in force.
    pub limits: crate::Limits,
    /// Server version.
    pub version: &'static str,
}

/// The clock's command names.
pub const CLOCK_COMMANDS: &[&str] = &["pause", "resume", "set_speed", "advance_to"];

/// `POST /api/v1/run`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    /// The run's summary.
    pub summary: Summary,
    /// The time series, when `?series=true`: column names and one array per column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesColumns>,
}

/// A time series by columns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SeriesColumns {
    /// Column names (units in the names).
    pub columns: Vec<String>,
    /// One array of values per column.
    pub data: Vec<Vec<f64>>,
}

/// One point of a session's trends: the driver's summary sampled every
/// [`crate::session::TREND_INTERVAL_S`] simulated seconds (kept server-side, so a reload keeps
/// them). A quantity the patient lacks (a circuit, a gas model, an oximeter pulse) is `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrendPoint {
    /// Simulated time, s.
    pub t_s: f64,
    /// Heart rate, bpm.
    pub heart_rate_bpm: f64,
    /// Systolic arterial pressure (right radial), mmHg.
    pub sbp_mmhg: f64,
    /// Diastolic arterial pressure (right radial), mmHg.
    pub dbp_mmhg: f64,
    /// Mean arterial pressure (right radial), mmHg.
    pub map_mmhg: f64,
    /// Central venous pressure, mmHg.
    pub cvp_mmhg: f64,
    /// LV end-diastolic pressure, mmHg.
    pub lvedp_mmhg: f64,
    /// Native cardiac output, L/min.
    pub cardiac_output_l_min: f64,
    /// ECMO flow, L/min (null without a circuit).
    pub ecmo_flow_l_min: Option<f64>,
    /// SpO2 right hand, % (null without a usable pulse).
    pub spo2_right_hand_percent: Option<f64>,
    /// SpO2 leg, % (null without a usable pulse).
    pub spo2_leg_percent: Option<f64>,
    /// SaO2 right radial, % (null without a gas model).
    pub sao2_right_radial_percent: Option<f64>,
    /// SaO2 femoral, % (null without a gas model).
    pub sao2_femoral_percent: Option<f64>,
    /// Mixed venous SO2, % (null without a gas model).
    pub svo2_percent: Option<f64>,
    /// PaCO2 right radial, mmHg (null without a gas model).
    pub paco2_right_radial_mmhg: Option<f64>,
    /// Plasma free haemoglobin, mg/dL (null without a running circuit).
    #[serde(default)]
    pub plasma_free_hb_mg_dl: Option<f64>,
    /// Blood temperature, °C.
    #[serde(default)]
    pub blood_temperature_c: Option<f64>,
}

/// An alarm as it came and went (the debrief's alarm list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlarmRecord {
    /// Alarm name.
    pub name: String,
    /// Severity when raised.
    pub severity: ecmova_scenario::alarms::Severity,
    /// Its message when first seen.
    pub message: String,
    /// Simulated time since which it held, s.
    pub raised_s: f64,
    /// Simulated time at which it was seen cleared, s (null while it holds).
    pub cleared_s: Option<f64>,
}

/// `GET /api/v1/sessions/{id}/trends`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Trends {
    /// Interval between points, simulated s.
    pub interval_s: f64,
    /// The points, oldest first (at most the last hour).
    pub points: Vec<TrendPoint>,
    /// Every alarm raised so far, in order.
    pub alarm_history: Vec<AlarmRecord>,
}

/// `POST /api/v1/sessions/{id}/alarms`: what the bedside does with alarms (not physiology:
/// the alarm conditions stay as the driver decides them).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum AlarmCommand {
    /// Acknowledge a raised alarm: it stays listed, marked acknowledged, until it clears (a
    /// new occurrence is unacknowledged again).
    Acknowledge {
        /// The alarm's name.
        name: String,
    },
    /// Pause the audible alarm for [`crate::session::AUDIO_PAUSE_S`] simulated seconds (2 min).
    Silence {},
}

/// `POST /api/v1/sessions/{id}/permissions`: what the learner's token may apply.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// The action names (`set_pump_rpm`, ...) the learner may apply; the others answer 403.
    pub learner_actions: Vec<String>,
}

/// `GET /api/v1/sessions/{id}/debrief?format=json`: the whole session for a debriefing (the
/// HTML report shows the same content).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Debrief {
    /// Session id.
    pub session_id: String,
    /// Preset.
    pub preset: String,
    /// The summary now (phases, weaning trial, alarms now).
    pub summary: Summary,
    /// Every action applied, with its time and source.
    pub log: Vec<LoggedAction>,
    /// The trends.
    pub trends: Trends,
}
