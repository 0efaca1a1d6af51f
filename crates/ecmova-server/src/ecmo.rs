//! The hooks through which the ECMO circuit (and the other events still being built in the
//! engine) reach live sessions.
//!
//! Everything else in the server is ready for them: the event types exist in the wire format
//! ([`SessionEvent`]), the page shows the ECMO console and SpO2 as soon as the summary (or the
//! stream's channels, see [`crate::stream::channels`]) carry their keys, and
//! `GET /api/v1/capabilities` reports [`ECMO_AVAILABLE`] so that clients (and the browser test)
//! know whether to expect them.

use crate::error::ApiError;
use crate::session::SimCore;
use crate::wire::SessionEvent;
use axum::http::StatusCode;

/// Whether [`apply_ecmo_event`] is implemented in this build (reported by
/// `GET /api/v1/capabilities` as `ecmo`).
pub const ECMO_AVAILABLE: bool = false;

/// Applies an ECMO event (`start_ecmo`, `stop_ecmo`, `set_rpm`, `set_sweep`, `set_fdo2`) to a
/// live session. Called with the session's simulation locked, between two steps; `sim.model`
/// and `sim.state` may be changed (with `Model::update` and `State::refresh`). Returns a
/// short description of what changed, or an error naming the field.
///
/// Not implemented yet: answers 409 `not_available`.
pub fn apply_ecmo_event(sim: &mut SimCore, event: &SessionEvent) -> Result<String, ApiError> {
    let _ = (sim, event);
    Err(ApiError::ecmo_not_available())
}

/// Applies the events not yet modelled by the engine (`drug`, `unloading`, `arrest`, `rosc`,
/// `weaning_trial`). Not implemented yet: answers 409 `not_available`.
pub fn apply_pending_event(sim: &mut SimCore, event: &SessionEvent) -> Result<String, ApiError> {
    let _ = sim;
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "not_available",
        Some("type"),
        format!("`{}` is not available in this build yet", event.kind()),
    ))
}

/// Adds summary keys that are not per-beat metrics of the engine (e.g. `pump_rpm`,
/// `sweep_l_min`, `fdo2`) to a live session's summary. Keys the engine's `BeatMetrics` carry
/// (e.g. `ecmo_flow_l_min`) appear without any change here.
pub fn extra_summary(sim: &SimCore, summary: &mut serde_json::Map<String, serde_json::Value>) {
    let _ = (sim, summary);
}
