//! The HTTP routes: the pages, the REST API under `/api/v1` and the WebSocket stream.
//!
//! No handler unwraps anything that comes from a request: every failure is an [`ApiError`]
//! (JSON, 4xx or 503). CPU-heavy work (`POST /api/v1/run`) runs on the blocking pool behind a
//! semaphore, so it never stalls the live sessions.

use crate::assets;
use crate::error::{check, from_serde, ApiError};
use crate::security::{self, Role};
use crate::session::{self, spawn_stepper, status_message, Session, SimCore, MIN_SPEED};
use crate::wire::{
    ActionLog, AlarmCommand, Applied, Capabilities, ClockCommand, CreateSession, Debrief,
    LiveSummary, Permissions, PresetInfo, PresetList, RunResult, SeriesColumns, SessionInfo,
    SessionList, CLOCK_COMMANDS,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use axum::Router;
use ecmova_clinical::assess::assess;
use ecmova_clinical::scores::{cardshock, encourage, save, tips65};
use ecmova_clinical::{ClinicalError, Patient};
use ecmova_engine::ParamError;
use ecmova_scenario::{
    build, Action, RunOptions, Scenario, ScenarioError, Simulation, SimulationOptions, Snapshot,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Longest time a WebSocket send may take before the client is dropped.
const WS_SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// The text message announcing that a session ended.
const CLOSED_MESSAGE: &str = r#"{"type":"closed"}"#;

type ApiResult = Result<Response, ApiError>;

/// Every API route: method, path (axum syntax), handler. `GET /api/v1/openapi.json` must
/// document each one (checked by a test).
pub fn api_routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/v1/presets", get(presets)),
        (Method::GET, "/api/v1/capabilities", get(capabilities)),
        (Method::GET, "/api/v1/openapi.json", get(openapi)),
        (Method::GET, "/api/v1/sessions", get(list_sessions)),
        (Method::POST, "/api/v1/sessions", post(create_session)),
        (Method::GET, "/api/v1/sessions/{id}", get(get_session)),
        (
            Method::DELETE,
            "/api/v1/sessions/{id}",
            delete(delete_session),
        ),
        (
            Method::POST,
            "/api/v1/sessions/{id}/events",
            post(send_action),
        ),
        (
            Method::POST,
            "/api/v1/sessions/{id}/clock",
            post(send_clock),
        ),
        (
            Method::GET,
            "/api/v1/sessions/{id}/snapshot",
            get(session_snapshot),
        ),
        (Method::GET, "/api/v1/sessions/{id}/log", get(session_log)),
        (
            Method::GET,
            "/api/v1/sessions/{id}/trends",
            get(session_trends),
        ),
        (
            Method::GET,
            "/api/v1/sessions/{id}/pv_relations",
            get(session_pv_relations),
        ),
        (
            Method::GET,
            "/api/v1/sessions/{id}/debrief",
            get(session_debrief),
        ),
        (
            Method::POST,
            "/api/v1/sessions/{id}/alarms",
            post(send_alarm_command),
        ),
        (
            Method::POST,
            "/api/v1/sessions/{id}/permissions",
            post(set_permissions),
        ),
        (
            Method::GET,
            "/api/v1/sessions/{id}/summary",
            get(session_summary),
        ),
        (Method::GET, "/api/v1/sessions/{id}/stream", get(stream)),
        (Method::POST, "/api/v1/run", post(run_scenario)),
        (Method::POST, "/api/v1/score/save", post(score_save)),
        (
            Method::POST,
            "/api/v1/score/encourage",
            post(score_encourage),
        ),
        (
            Method::POST,
            "/api/v1/score/cardshock",
            post(score_cardshock),
        ),
        (Method::POST, "/api/v1/score/tips65", post(score_tips65)),
        (Method::POST, "/api/v1/assess", post(assess_patient)),
    ]
}

/// The whole application: pages, assets, API, limits and JSON fallbacks.
pub fn router(state: AppState) -> Router {
    let mut r = Router::new()
        .route("/", get(assets::index))
        .route("/assess", get(assets::assess_page))
        .route("/assets/{name}", get(assets::asset));
    for (_, path, handler) in api_routes() {
        r = r.route(path, handler);
    }
    // CDS Hooks (`/cds-services`), with its own body limit.
    r = r.merge(crate::cds::routes());
    let max_body = state.limits().max_body_bytes;
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::guard,
        ))
        .with_state(state)
}

async fn request_timeout(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limit = Duration::from_secs_f64(st.limits().request_timeout_s);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            None,
            format!(
                "the request took longer than {} s (request_timeout_s)",
                st.limits().request_timeout_s
            ),
        )
        .into_response(),
    }
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        Some("path"),
        format!("no route {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        Some("method"),
        format!("{method} is not allowed on {}", uri.path()),
    )
}

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            None,
            format!("cannot serialise the response: {e}"),
        )
        .into_response(),
    }
}

fn ok(value: &impl Serialize) -> ApiResult {
    Ok(json_response(StatusCode::OK, value))
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                Some("body"),
                "the request body is larger than the limit (max_body_bytes; see GET /api/v1/capabilities)",
            )
        } else {
            ApiError::bad_request("invalid_body", Some("body"), e.body_text())
        }
    })
}

fn body_text(body: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request("invalid_utf8", Some("body"), e.to_string()))
}

/// Parses JSON into `T`, naming the field of any error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // A key given twice is an error naming it (serde_json would keep the last silently).
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Err(e) = ecmova_scenario::json_keys::check_no_duplicate_keys(text) {
            let message = e.to_string();
            let key = message
                .split("duplicate key `")
                .nth(1)
                .and_then(|r| r.split('`').next())
                .map(str::to_string);
            if let Some(key) = key {
                return Err(ApiError::bad_request("duplicate_key", Some(&key), message));
            }
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        use serde_json::error::Category;
        match e.inner().classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request("invalid_json", None, e.inner().to_string())
            }
            Category::Data => from_serde(&e.path().to_string(), &e.inner().to_string()),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request("invalid_json", None, e.to_string()))?;
    Ok(v)
}

/// Parses an internally tagged enum (`tag` names its variant). Such enums lose the path of a
/// wrongly typed value, so on such an error each field is tried alone to find the one at
/// fault.
pub fn parse_tagged<T: DeserializeOwned>(bytes: &[u8], tag: &str) -> Result<T, ApiError> {
    let mut err = match parse_json::<T>(bytes) {
        Ok(e) => return Ok(e),
        Err(e) => e,
    };
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) else {
        return Err(err);
    };
    if err.error == "unknown_type" {
        let tag_value = map.get(tag).and_then(Value::as_str).unwrap_or_default();
        if err
            .message
            .contains(&format!("unknown variant `{tag_value}`"))
        {
            // An unknown action (or command): the tag is at fault.
            err.field = Some(tag.into());
            return Err(err);
        }
        // An unknown choice inside the action (a drug, a device): find its key below.
        err.error = "invalid_value";
        err.field = None;
    }
    if err.field.is_some() {
        return Err(err);
    }
    if !map.contains_key(tag) {
        return Err(ApiError::bad_request(
            "missing_field",
            Some(tag),
            format!("missing field `{tag}`"),
        ));
    }
    for (k, v) in map.iter().filter(|(k, _)| k.as_str() != tag) {
        let mut probe = Map::new();
        probe.insert(tag.into(), map.get(tag).cloned().unwrap_or(Value::Null));
        probe.insert(k.clone(), v.clone());
        if let Err(e) = serde_json::from_value::<T>(Value::Object(probe)) {
            if e.to_string() == err.message {
                return Err(ApiError::bad_request("invalid_value", Some(k), err.message));
            }
        }
    }
    Err(err)
}

fn path_id(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(id)| id)
        .map_err(|e| ApiError::bad_request("invalid_path", Some("id"), e.body_text()))
}

impl AppState {
    pub(crate) fn session(&self, id: &str) -> Result<Arc<Session>, ApiError> {
        let s = self
            .sessions()
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::unknown_session(id))?;
        s.touch();
        Ok(s)
    }

    /// A fresh session id: 128 random bits from the OS generator (unguessable).
    fn new_id(&self) -> Result<String, ApiError> {
        security::random_hex()
    }
}

// ---------------------------------------------------------------------------------------------
// Presets, capabilities, OpenAPI

async fn presets() -> ApiResult {
    let presets = ecmova_engine::presets::NAMES
        .iter()
        .map(|n| PresetInfo {
            name: n.to_string(),
            description: ecmova_scenario::build::preset_description(n)
                .unwrap_or("a built-in patient")
                .into(),
        })
        .collect();
    ok(&PresetList { presets })
}

/// The capabilities of this build.
pub fn capabilities_of(state: &AppState) -> Capabilities {
    Capabilities {
        actions: Action::NAMES.to_vec(),
        action_ranges: ecmova_scenario::action::RANGES.to_vec(),
        clock_commands: CLOCK_COMMANDS.to_vec(),
        presets: ecmova_engine::presets::NAMES.to_vec(),
        limits: state.limits().clone(),
        version: env!("CARGO_PKG_VERSION"),
    }
}

async fn capabilities(State(st): State<AppState>) -> ApiResult {
    ok(&capabilities_of(&st))
}

async fn openapi() -> ApiResult {
    ok(&crate::openapi::document())
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// Maps a scenario error to an API error; `prefix` renames the `patient.` prefix of keys
/// (sessions take the overrides under `overrides.`).
fn scenario_error(e: ScenarioError, patient_prefix: &str) -> ApiError {
    let rename = |key: &str| -> String {
        match key.strip_prefix("patient.") {
            Some(rest) => format!("{patient_prefix}{rest}"),
            None => key.to_string(),
        }
    };
    let message = e.to_string();
    match e {
        ScenarioError::Parse(m) => {
            let mut err = from_serde("", &m);
            err.message = message;
            err
        }
        ScenarioError::UnknownPreset(_) => {
            ApiError::unprocessable("unknown_preset", Some(&rename("patient.preset")), message)
        }
        ScenarioError::UnknownName { table, name, .. } => ApiError::unprocessable(
            "unknown_name",
            Some(&rename(&format!("patient.{table}.{name}"))),
            message,
        ),
        ScenarioError::NotApplicable { path, .. } => ApiError::unprocessable(
            "not_applicable",
            Some(&rename(&format!("patient.{path}"))),
            message,
        ),
        ScenarioError::Invalid { path, .. } => {
            ApiError::unprocessable("invalid_scenario", Some(&path), message)
        }
        ScenarioError::Param(ParamError::OutOfRange { field, .. }) => {
            let key = if ["simulation.", "devices[", "ecmo."]
                .iter()
                .any(|p| field.starts_with(p))
            {
                field
            } else {
                rename(&format!("patient.{field}"))
            };
            ApiError::unprocessable("out_of_range", Some(&key), message)
        }
        ScenarioError::Event { index, .. } => {
            // The action's own key follows the event's position (`events[2].rpm`).
            let key = message
                .split("): ")
                .nth(1)
                .and_then(|rest| rest.split([' ', ':']).next())
                .filter(|k| {
                    !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_[]".contains(c))
                });
            let field = match (index, key) {
                (usize::MAX, _) => "ecmo.start_s".to_string(),
                (i, Some(k)) => format!("events[{i}].{k}"),
                (i, None) => format!("events[{i}]"),
            };
            ApiError::unprocessable("invalid_event", Some(&field), message)
        }
        ScenarioError::Diverged { .. }
        | ScenarioError::Implausible { .. }
        | ScenarioError::Reflex { .. } => ApiError::unprocessable("diverged", None, message),
        _ => ApiError::unprocessable("invalid_scenario", None, message),
    }
}

/// Deserialises a part of a request found under key `prefix`, naming the field at fault by
/// its whole path (`scenario.patient.heart_rate_bpm`).
fn deserialize_under<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let mut err = from_serde(&e.path().to_string(), &e.inner().to_string());
        err.field = err.field.map(|f| format!("{prefix}.{f}"));
        err
    })
}

/// The simulation a `POST /api/v1/sessions` asks for: a preset with overrides, a whole
/// scenario, or a snapshot. CPU-heavy (a baroreflex's resting pre-run, a snapshot's replay):
/// call it on the blocking pool.
fn session_simulation(req: &CreateSession, max_replay_s: f64) -> Result<Simulation, ApiError> {
    let given = [
        req.preset.is_some() || req.overrides.is_some(),
        req.scenario.is_some(),
        req.scenario_toml.is_some(),
        req.snapshot.is_some(),
    ];
    let n = given.iter().filter(|g| **g).count();
    if n == 0 {
        return Err(ApiError::bad_request(
            "missing_field",
            Some("preset"),
            "give `preset` (with optional `overrides`), `scenario`, `scenario_toml` or `snapshot`",
        ));
    }
    if n > 1 {
        return Err(ApiError::bad_request(
            "invalid_request",
            Some("preset"),
            "give exactly one of `preset` (with optional `overrides`), `scenario`, `scenario_toml` or `snapshot`",
        ));
    }
    let options = SimulationOptions::default();
    if let Some(text) = &req.scenario_toml {
        let scenario = Scenario::from_toml(text).map_err(|e| {
            ApiError::bad_request("invalid_scenario", Some("scenario_toml"), e.to_string())
        })?;
        return Simulation::from_scenario(&scenario, options)
            .map_err(|e| scenario_error(e, "scenario_toml.patient."));
    }
    if let Some(v) = &req.scenario {
        let scenario: Scenario = deserialize_under(v.clone(), "scenario")?;
        return Simulation::from_scenario(&scenario, options)
            .map_err(|e| scenario_error(e, "scenario.patient."));
    }
    if let Some(v) = &req.snapshot {
        let snapshot: Snapshot = deserialize_under(v.clone(), "snapshot")?;
        check(
            "snapshot.time_s",
            snapshot.time_s,
            0.0,
            max_replay_s,
            "s (0 to max_run_duration_s: a restore replays the run)",
        )?;
        return Simulation::restore(&snapshot, options)
            .map_err(|e| scenario_error(e, "snapshot.scenario.patient."));
    }
    let preset = req.preset.clone().ok_or_else(|| {
        ApiError::bad_request(
            "missing_field",
            Some("preset"),
            "`overrides` need a `preset`",
        )
    })?;
    let mut patient = Map::new();
    if let Some(o) = &req.overrides {
        if o.contains_key("preset") {
            return Err(ApiError::bad_request(
                "unknown_field",
                Some("overrides.preset"),
                "the preset is given by `preset`, not inside `overrides`",
            ));
        }
        patient.extend(o.clone());
    }
    patient.insert("preset".into(), preset.into());
    let patient: ecmova_scenario::wire::Patient =
        deserialize_under(Value::Object(patient), "overrides")?;
    Simulation::from_scenario(&Scenario::live(patient), options).map_err(|e| {
        let mut err = scenario_error(e, "overrides.");
        if err.field.as_deref() == Some("overrides.preset") {
            err.field = Some("preset".into());
        }
        err
    })
}

fn session_info(s: &Session, with_summary: bool) -> SessionInfo {
    let sim = s.sim();
    SessionInfo {
        id: s.id.clone(),
        preset: s.preset.clone(),
        t_s: sim.time_s(),
        speed: sim.speed,
        paused: sim.paused,
        actions_applied: sim.sim.log().len() as u64,
        clients: s.clients(),
        age_s: s.age().as_secs_f64(),
        realtime_ratio: sim.realtime_ratio(),
        stopped: sim.stopped.clone(),
        stream: format!("/api/v1/sessions/{}/stream", s.id),
        channels: sim.channels(),
        summary: with_summary.then(|| sim.sim.summary()),
        instructor_token: None,
        learner_token: None,
    }
}

/// `GET /sessions`: only the sessions whose token (`Authorization: Bearer`, one header per
/// token) the caller presents.
async fn list_sessions(State(st): State<AppState>, headers: HeaderMap) -> ApiResult {
    let given = security::bearer_tokens(&headers);
    let ids: Vec<String> = st
        .tokens()
        .iter()
        .filter(|(_, t)| given.iter().any(|g| t.role_of(g).is_some()))
        .map(|(id, _)| id.clone())
        .collect();
    let sessions: Vec<Arc<Session>> = {
        let map = st.sessions();
        ids.iter().filter_map(|id| map.get(id).cloned()).collect()
    };
    let list = sessions.iter().map(|s| session_info(s, false)).collect();
    ok(&SessionList {
        sessions: list,
        max_sessions: st.limits().max_sessions,
    })
}

/// Niceness of the blocking pool's threads (Linux; 0 is the default, 19 the lowest).
/// Computations yield the CPU to the runtime threads that serve requests and stream frames:
/// on a busy machine (eight runs on two cores) the stream's frames otherwise waited for the
/// scheduler behind the runs (issue 13, `tests/hardening.rs`, load average 12 on 2 cores: the
/// largest frame gap at 40 ms nominal fell from 152 ms to 80 ms).
pub const RUN_THREAD_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`RUN_THREAD_NICE`], once per thread.
/// On Linux the nice value is a per-thread attribute (setpriority(2), "BUGS"); elsewhere this
/// does nothing. A failure (it cannot fail for an unprivileged lowering) is ignored.
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        thread_local!(static LOWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        LOWERED.with(|done| {
            if !done.get() {
                // SAFETY: gettid and setpriority take no pointers; they only read the calling
                // thread's id and change its own nice value.
                unsafe {
                    let tid = libc::gettid();
                    libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, RUN_THREAD_NICE);
                }
                done.set(true);
            }
        });
    }
}

/// Sets its flag when dropped: the request future that owns it was dropped (the request
/// timed out or the client went away), so the computation it started should stop.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on the blocking pool under a run permit (the same semaphore as `POST /run`),
/// so that CPU-heavy work never stalls the async runtime and its amount is bounded. `work`
/// gets a cancel flag that is set when the request is dropped (its timeout, or the client
/// closing the connection); it checks the flag every beat (or chunk) and returns, which
/// frees the run permit (issue 13).
async fn blocking<T: Send + 'static>(
    st: &AppState,
    work: impl FnOnce(&AtomicBool) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = st.inner.runs.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            None,
            format!(
                "{} runs are already computing (max_concurrent_runs); retry shortly",
                st.limits().max_concurrent_runs
            ),
        )
    })?;
    let cancel = Arc::new(AtomicBool::new(false));
    let guard = CancelOnDrop(cancel.clone());
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        lower_thread_priority();
        work(&cancel)
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            None,
            format!("the computation failed: {e}"),
        )
    })?;
    // Finished: setting the flag now (the guard's drop) has nothing left to stop.
    drop(guard);
    result
}

async fn create_session(
    State(st): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = body_bytes(body)?;
    let req: CreateSession = parse_json(&body)?;
    let speed = req.speed.unwrap_or(1.0);
    check(
        "speed",
        speed,
        MIN_SPEED,
        st.limits().max_speed,
        "× real time",
    )?;
    if st.session_count() >= st.limits().max_sessions {
        return Err(too_many_sessions(st.session_count()));
    }
    let paused = req.paused.unwrap_or(false);
    let max_replay_s = st.limits().max_run_duration_s;
    let settle = req.settle.unwrap_or(false);
    if settle && req.preset.is_none() {
        return Err(ApiError::bad_request(
            "invalid_request",
            Some("settle"),
            "settle: only a session from a preset settles (a scenario plays its own timeline; a snapshot resumes exactly)",
        ));
    }
    let sim = blocking(&st, move |_| {
        let mut sim = session_simulation(&req, max_replay_s)?;
        if settle {
            sim.stabilize(session::SETTLE_MAX_S, &mut ())
                .map_err(|e| scenario_error(e, "overrides."))?;
        }
        Ok(sim)
    })
    .await?;
    let id = st.new_id()?;
    let tokens = security::SessionTokens::new()?;
    let session = Session::new(id.clone(), SimCore::new(sim, speed, paused));
    {
        let mut map = st.sessions();
        if map.len() >= st.limits().max_sessions {
            return Err(too_many_sessions(map.len()));
        }
        st.tokens().insert(id.clone(), tokens.clone());
        map.insert(id.clone(), session.clone());
    }
    spawn_stepper(session.clone(), st.config().frame_interval);
    let mut info = session_info(&session, true);
    info.instructor_token = Some(tokens.instructor);
    info.learner_token = Some(tokens.learner);
    Ok(json_response(StatusCode::CREATED, &info))
}

fn too_many_sessions(n: usize) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_sessions",
        None,
        format!(
            "{n} live sessions already (max_sessions); delete one or wait for idle ones to expire"
        ),
    )
}

async fn get_session(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    ok(&session_info(&s, false))
}

async fn delete_session(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let id = path_id(id)?;
    st.authorize(&id, &headers, None, Role::Instructor)?;
    st.tokens().remove(&id);
    let s = st
        .sessions()
        .remove(&id)
        .ok_or_else(|| ApiError::unknown_session(&id))?;
    s.close();
    ok(&json!({ "deleted": id }))
}

/// `POST /sessions/{id}/events`: an [`Action`], the same JSON as a scenario file's
/// `[[events]]` entry without `at_s`, applied now.
async fn send_action(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let id = path_id(id)?;
    let s = st.authorize(&id, &headers, None, Role::Learner)?;
    let instructor = st.authorize(&id, &headers, None, Role::Instructor).is_ok();
    let body = body_bytes(body)?;
    let action: Action = parse_tagged(&body, "action")?;
    let name = action.name();
    let mut sim = s.sim();
    if !instructor && !sim.learner_may(name) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            Some("action"),
            format!(
                "action: the instructor has not allowed the learner to apply {name} (POST .../permissions)"
            ),
        ));
    }
    let detail = sim.apply(action)?;
    ok(&Applied {
        applied: name.into(),
        t_s: sim.time_s(),
        detail,
    })
}

/// Simulated seconds advanced per lock of a session while skipping ahead (about a
/// millisecond of work), so that its stream and requests are never held up for long.
const SKIP_CHUNK_S: f64 = 1.0;

/// `POST /sessions/{id}/clock`: pause, resume, speed, or skip ahead to a time.
async fn send_clock(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Instructor)?;
    let body = body_bytes(body)?;
    let command: ClockCommand = parse_tagged(&body, "command")?;
    let name = match &command {
        ClockCommand::Pause {} => "pause",
        ClockCommand::Resume {} => "resume",
        ClockCommand::SetSpeed { .. } => "set_speed",
        ClockCommand::AdvanceTo { .. } => "advance_to",
    };
    let detail = if let ClockCommand::AdvanceTo { t_s } = command {
        let now = s.sim().time_s();
        let max = st.limits().max_run_duration_s;
        check(
            "t_s",
            t_s,
            now,
            now + max,
            "s (now to now + max_run_duration_s)",
        )?;
        let session = s.clone();
        blocking(&st, move |cancel| loop {
            let mut sim = session.sim();
            let next = (sim.time_s() + SKIP_CHUNK_S).min(t_s);
            sim.advance_to(next);
            if sim.stopped.is_some()
                || sim.time_s() >= t_s - 1e-9
                || session.is_closed()
                || cancel.load(Ordering::Relaxed)
            {
                return Ok(format!("advanced to {:.3} s", sim.time_s()));
            }
        })
        .await?
    } else {
        s.sim().clock(&command, st.limits().max_speed)?
    };
    let t_s = s.sim().time_s();
    ok(&Applied {
        applied: name.into(),
        t_s,
        detail,
    })
}

async fn session_summary(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    let summary: LiveSummary = s.sim().summary(&s.id);
    ok(&summary)
}

/// `GET /sessions/{id}/snapshot`: what `POST /sessions {"snapshot": ...}` resumes exactly.
async fn session_snapshot(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Instructor)?;
    let snapshot = s.sim().sim.snapshot();
    ok(&snapshot)
}

/// `GET /sessions/{id}/log`: every applied action with its time and source.
async fn session_log(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    let log = ActionLog {
        actions: s.sim().sim.log().to_vec(),
    };
    ok(&log)
}

/// `GET /sessions/{id}/trends`: the trend points and alarm history kept server-side.
async fn session_trends(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    let trends = s.sim().trends();
    ok(&trends)
}

/// `GET /sessions/{id}/pv_relations`: the LV's ESPVR and EDPVR in force, for the PV-loop
/// panel (`ecmova_scenario::pv`).
async fn session_pv_relations(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    let relations = ecmova_scenario::pv::PvRelations::lv(&s.sim().sim).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "not_available",
            Some("chamber"),
            "this patient's LV is not a chamber",
        )
    })?;
    ok(&relations)
}

/// The query of `GET /sessions/{id}/debrief`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DebriefQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /sessions/{id}/debrief`: the report (HTML, `?format=json`, or the trends as
/// `?format=csv`).
async fn session_debrief(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    q: Result<Query<DebriefQuery>, QueryRejection>,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    let q = q.map_err(|e| ApiError::bad_request("invalid_query", Some("format"), e.body_text()))?;
    let debrief = {
        let sim = s.sim();
        Debrief {
            session_id: s.id.clone(),
            preset: s.preset.clone(),
            summary: sim.sim.summary(),
            log: sim.sim.log().to_vec(),
            trends: sim.trends(),
        }
    };
    let attachment = |ext: &str| {
        format!(
            "attachment; filename=\"ecmova-debrief-{}.{ext}\"",
            &s.id[..8.min(s.id.len())]
        )
    };
    match q.0.format.as_deref().unwrap_or("html") {
        "json" => {
            let mut r = ok(&debrief)?;
            if let Ok(v) = header::HeaderValue::from_str(&attachment("json")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(r)
        }
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, attachment("csv")),
            ],
            crate::debrief::csv(&debrief),
        )
            .into_response()),
        "html" => Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8".to_string())],
            crate::debrief::html(&debrief),
        )
            .into_response()),
        other => Err(ApiError::bad_request(
            "invalid_choice",
            Some("format"),
            format!("format: {other} is not a format (allowed: html, json, csv)"),
        )),
    }
}

/// `POST /sessions/{id}/alarms`: acknowledge an alarm or pause the audible alarm.
async fn send_alarm_command(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Learner)?;
    let body = body_bytes(body)?;
    let command: AlarmCommand = parse_tagged(&body, "command")?;
    let name = match &command {
        AlarmCommand::Acknowledge { .. } => "acknowledge",
        AlarmCommand::Silence {} => "silence",
    };
    let mut sim = s.sim();
    let detail = sim.alarm_command(&command)?;
    ok(&Applied {
        applied: name.into(),
        t_s: sim.time_s(),
        detail,
    })
}

/// `POST /sessions/{id}/permissions`: what the learner's token may apply (instructor only).
async fn set_permissions(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, None, Role::Instructor)?;
    let body = body_bytes(body)?;
    let p: Permissions = parse_json(&body)?;
    let mut sim = s.sim();
    let detail = sim.set_learner_actions(p.learner_actions)?;
    ok(&Applied {
        applied: "permissions".into(),
        t_s: sim.time_s(),
        detail,
    })
}

async fn stream(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult {
    let s = st.authorize(&path_id(id)?, &headers, uri.query(), Role::Learner)?;
    let ws = ws.map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "websocket_required",
            None,
            format!(
                "this endpoint streams over WebSocket (GET with Upgrade: websocket): {}",
                e.body_text()
            ),
        )
    })?;
    let max = st.limits().max_ws_clients_per_session;
    let guard = s.try_add_client(max).ok_or_else(|| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_clients",
            None,
            format!("the session already has {max} WebSocket clients (max_ws_clients_per_session)"),
        )
    })?;
    let frame_ms = st.config().frame_interval.as_millis() as u64;
    Ok(ws
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| client_loop(socket, s, guard, frame_ms)))
}

async fn send_or_drop(socket: &mut WebSocket, m: Message) -> bool {
    matches!(
        tokio::time::timeout(WS_SEND_TIMEOUT, socket.send(m)).await,
        Ok(Ok(()))
    )
}

async fn client_loop(
    mut socket: WebSocket,
    session: Arc<Session>,
    _guard: session::ClientGuard,
    frame_interval_ms: u64,
) {
    let mut rx = session.subscribe();
    let (hello, status) = {
        let sim = session.sim();
        let hello = json!({
            "type": "hello",
            "session_id": session.id,
            "preset": session.preset,
            "frame_format": crate::stream::FRAME_VERSION,
            "frame_interval_ms": frame_interval_ms,
            "sample_interval_s": session::SAMPLE_INTERVAL_S,
            "channels": sim.channels(),
        });
        (hello, status_message(&sim, &session.id))
    };
    if !send_or_drop(&mut socket, Message::Text(hello.to_string().into())).await
        || !send_or_drop(&mut socket, status).await
    {
        return;
    }
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Ok(m) => {
                    let closing = matches!(&m, Message::Text(t) if t.as_str() == CLOSED_MESSAGE);
                    if !send_or_drop(&mut socket, m).await || closing {
                        break;
                    }
                }
                // A slow client: the frames it missed are gone; carry on with the next.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            m = socket.recv() => match m {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => session.touch(),
            },
            _ = check.tick() => {
                if session.is_closed() {
                    let _ = send_or_drop(&mut socket, Message::Text(CLOSED_MESSAGE.into())).await;
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(WS_SEND_TIMEOUT, socket.send(Message::Close(None))).await;
}

// ---------------------------------------------------------------------------------------------
// Whole runs

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunQuery {
    #[serde(default)]
    series: Option<bool>,
    #[serde(default)]
    until_steady: Option<bool>,
}

fn parse_scenario(headers: &HeaderMap, text: &str) -> Result<Scenario, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim();
    match mime {
        "application/toml" | "text/toml" | "text/x-toml" => {
            let de = toml::Deserializer::new(text);
            serde_path_to_error::deserialize(de)
                .map_err(|e| from_serde(&e.path().to_string(), &e.inner().to_string()))
        }
        "application/json" | "text/json" | "" => parse_json(text.as_bytes()),
        other => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Some("Content-Type"),
            format!("`{other}`: send the scenario as application/json or application/toml"),
        )),
    }
}

async fn run_scenario(
    State(st): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RunQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(|e| {
        let text = e.body_text();
        let field = text
            .split("unknown field `")
            .nth(1)
            .and_then(|r| r.split('`').next())
            .map(str::to_string);
        ApiError::bad_request(
            "invalid_query",
            Some(field.as_deref().unwrap_or("query")),
            text,
        )
    })?;
    let body = body_bytes(body)?;
    let scenario = parse_scenario(&headers, body_text(&body)?)?;
    let with_series = q.series.unwrap_or(false);
    let options = RunOptions {
        until_steady: q.until_steady.unwrap_or(false),
        record_series: with_series,
    };
    let limits = st.limits().clone();
    // The model build (a baroreflex's resting pre-run included) is CPU-heavy too: on the
    // blocking pool, under the run permit, like the run itself (issue 13).
    let result = blocking(&st, move |cancel| {
        let built = build(&scenario).map_err(|e| scenario_error(e, "patient."))?;
        check(
            "simulation.duration_s",
            built.duration_s,
            1e-3,
            limits.max_run_duration_s,
            "s (max_run_duration_s)",
        )?;
        if with_series {
            let rows = built.duration_s / built.series_interval_s + 1.0;
            if rows > limits.max_series_rows as f64 {
                let min_interval = built.duration_s / (limits.max_series_rows as f64 - 1.0);
                return Err(ApiError::unprocessable(
                    "too_many_rows",
                    Some("simulation.series_interval_s"),
                    format!(
                        "the series would have {rows:.0} rows (max_series_rows = {}): raise simulation.series_interval_s to at least {min_interval:.4} s or shorten the run",
                        limits.max_series_rows
                    ),
                ));
            }
        }
        let out = ecmova_scenario::run_cancellable(&built, options, cancel)
            .map_err(|e| scenario_error(e, "patient."))?;
        let series = out.series.as_ref().map(|s| {
            let cols = s.columns();
            SeriesColumns {
                columns: cols.to_vec(),
                data: (0..cols.len())
                    .map(|j| (0..s.len()).map(|i| s.row(i)[j]).collect())
                    .collect(),
            }
        });
        Ok(RunResult {
            summary: out.summary,
            series,
        })
    })
    .await?;
    ok(&result)
}

// ---------------------------------------------------------------------------------------------
// Clinical

fn clinical_error(e: ClinicalError) -> ApiError {
    let field = e.field();
    let field = (!field.is_empty()).then_some(field);
    let message = e.to_string();
    let (status, code) = match e {
        ClinicalError::Syntax(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
        ClinicalError::UnknownKeys { .. } => (StatusCode::BAD_REQUEST, "unknown_field"),
        ClinicalError::DuplicateKey { .. } => (StatusCode::BAD_REQUEST, "duplicate_key"),
        ClinicalError::Implausible { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "implausible_value")
        }
        ClinicalError::InvalidValue { .. } => (StatusCode::BAD_REQUEST, "invalid_value"),
        ClinicalError::OutOfRange { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "out_of_range"),
        ClinicalError::Missing { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "missing_field"),
        ClinicalError::Contradiction { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "contradiction"),
        ClinicalError::NotApplicable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "not_applicable"),
    };
    ApiError::new(status, code, field.as_deref(), message)
}

fn patient(body: Result<Bytes, BytesRejection>) -> Result<Patient, ApiError> {
    let body = body_bytes(body)?;
    Patient::from_json(body_text(&body)?).map_err(clinical_error)
}

type ScoreFn = fn(&Patient) -> Result<ecmova_clinical::ScoreResult, ClinicalError>;

fn score(body: Result<Bytes, BytesRejection>, f: ScoreFn) -> ApiResult {
    let p = patient(body)?;
    ok(&f(&p).map_err(clinical_error)?)
}

async fn score_save(body: Result<Bytes, BytesRejection>) -> ApiResult {
    score(body, save::save)
}

async fn score_encourage(body: Result<Bytes, BytesRejection>) -> ApiResult {
    score(body, encourage::encourage)
}

async fn score_cardshock(body: Result<Bytes, BytesRejection>) -> ApiResult {
    score(body, cardshock::cardshock)
}

async fn score_tips65(body: Result<Bytes, BytesRejection>) -> ApiResult {
    score(body, tips65::tips65)
}

async fn assess_patient(
    headers: HeaderMap,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let fhir = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with(FHIR_JSON));
    if fhir {
        return assess_fhir(uri.query(), body);
    }
    let p = patient(body)?;
    ok(&assess(&p))
}

/// The FHIR media type accepted by `POST /api/v1/assess`.
pub const FHIR_JSON: &str = "application/fhir+json";

/// `POST /api/v1/assess` with a FHIR R4 Bundle (`?at=` sets the assessment time).
fn assess_fhir(query: Option<&str>, body: Result<Bytes, BytesRejection>) -> ApiResult {
    use ecmova_fhir::{time, AssessmentTime, FhirError};
    let body = body_bytes(body)?;
    let at = match security::query_param(query, "at") {
        Some(s) => {
            let s = s
                .replace("%3A", ":")
                .replace("%3a", ":")
                .replace("%2B", "+")
                .replace("%2b", "+");
            AssessmentTime::Given(
                time::parse(&s)
                    .map_err(|e| ApiError::bad_request("invalid_value", Some("at"), e))?,
            )
        }
        None => AssessmentTime::BundleOr(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        ),
    };
    match ecmova_fhir::assess_bundle_json(body_text(&body)?, at) {
        Ok(a) => ok(&a),
        Err(FhirError::Clinical { error, report }) => {
            let mut e = clinical_error(error);
            e.message = format!(
                "{} (from the FHIR Bundle: {} value(s) used, {} unmapped, {} ambiguous, {} conflicting, {} unconvertible; see `ecmova assess --fhir` for the full mapping)",
                e.message,
                report.used.len(),
                report.unmapped.len(),
                report.ambiguous.len(),
                report.conflicts.len(),
                report.unconvertible.len()
            );
            Err(e)
        }
        Err(e @ FhirError::Syntax(_)) => {
            Err(ApiError::bad_request("invalid_json", None, e.to_string()))
        }
        Err(e) => {
            let field = e.field();
            Err(ApiError::bad_request(
                "invalid_fhir",
                Some(&field),
                e.to_string(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = crate::openapi::document();
        assert_eq!(
            doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
            Some(true)
        );
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented = 0;
        for (method, path, _) in api_routes() {
            let m = method.as_str().to_ascii_lowercase();
            let op = paths.get(path).and_then(|p| p.get(&m));
            assert!(op.is_some(), "{method} {path} is not in openapi.json");
            documented += 1;
        }
        // And nothing documented that does not exist.
        let mut in_doc = 0;
        for (path, item) in paths {
            for m in ["get", "post", "put", "delete", "patch"] {
                if item.get(m).is_some() {
                    in_doc += 1;
                    assert!(
                        api_routes()
                            .iter()
                            .any(|(mm, p, _)| p == path && mm.as_str().eq_ignore_ascii_case(m)),
                        "{m} {path} is documented but not routed"
                    );
                }
            }
        }
        assert_eq!(documented, in_doc);
    }

    /// One example of every action, as a live session and a scenario file write it.
    fn example(name: &str) -> Value {
        let mut v = match name {
            "set_pump_rpm" => json!({"rpm": 3200.0}),
            "set_fdo2" => json!({"fdo2": 0.6}),
            "set_sweep" => json!({"sweep_l_min": 2.5}),
            "weaning_trial" => json!({"flows_l_min": [2.5, 1.5], "step_s": 20.0}),
            "infusion" => json!({"drug": "dobutamine", "dose_ug_kg_min": 5.0}),
            "fluid" => json!({"volume_ml": -250.0}),
            "set_heart_rate" => json!({"heart_rate_bpm": 90.0}),
            "set_fio2" => json!({"fio2": 0.5}),
            "set_ventilation" => {
                json!({"minute_ventilation_l_min": 4.5, "dead_space_fraction": 0.35})
            }
            "set_lung_shunt" => json!({"lung_shunt_fraction": 0.3}),
            "set_lv_contractility" => json!({"lv_contractility_scale": 0.6}),
            "set_rv_contractility" => json!({"rv_contractility_scale": 0.5}),
            "set_svr" => json!({"svr_scale": 1.5}),
            "set_device" => json!({"device": "impella", "active": true, "performance_level": 6}),
            "arrest" => json!({"rhythm": "asystole"}),
            "set_hemoglobin" => json!({"hemoglobin_g_dl": 9.5}),
            "set_temperature" => json!({"heater_temperature_c": 34.0}),
            "set_cannulation" => json!({"cannulation": "central"}),
            "set_circuit" => json!({"drainage_cannula_fr": 21.0, "pump": "centrimag"}),
            "circuit_failure" => json!({"failure": "oxygenator_failure"}),
            "set_alarm_limits" => json!({"map_low_mmhg": 60.0, "heart_rate_high_bpm": 130.0}),
            "cpr" => json!({"active": true}),
            _ => json!({}),
        };
        v["action"] = name.into();
        v
    }

    /// The session API and scenario files accept exactly the same actions with the same JSON:
    /// the variants are enumerated from the `Action` type's own schema, so a new variant
    /// without an example fails here.
    #[test]
    fn every_action_is_the_same_in_sessions_and_scenario_files() {
        let schema = schemars::schema_for!(Action).to_value();
        let variants: Vec<String> = schema["oneOf"]
            .as_array()
            .expect("Action is a tagged enum")
            .iter()
            .map(|v| {
                v["properties"]["action"]["const"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            variants,
            Action::NAMES.to_vec(),
            "Action::NAMES is out of date"
        );
        for name in Action::NAMES {
            let json = example(name);
            // Live: the body of POST /sessions/{id}/events.
            let live: Action = parse_tagged(json.to_string().as_bytes(), "action").expect(name);
            assert_eq!(live.name(), name);
            live.check().unwrap_or_else(|e| panic!("{name}: {e}"));
            // File, JSON: the same object plus at_s.
            let mut timed = json.clone();
            timed["at_s"] = 5.into();
            let file: ecmova_scenario::TimedAction = serde_json::from_value(timed).expect(name);
            assert_eq!(file.action, live, "{name}");
            // File, TOML: [[events]] with the same keys.
            let mut toml_text = String::from("at_s = 5\n");
            for (k, v) in json.as_object().unwrap() {
                toml_text.push_str(&format!("{k} = {v}\n"));
            }
            let from_toml: ecmova_scenario::TimedAction =
                toml::from_str(&toml_text).unwrap_or_else(|e| panic!("{name}: {e}\n{toml_text}"));
            assert_eq!(from_toml.action, live, "{name}");
            // And back: the action serialises to the JSON it was read from.
            assert_eq!(serde_json::to_value(&live).unwrap(), json, "{name}");
        }
    }

    #[test]
    fn action_errors_name_the_key() {
        let e = parse_tagged::<Action>(br#"{"action":"rosc","x":1}"#, "action").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("x"));
        let e = parse_tagged::<Action>(br#"{"action":"fly"}"#, "action").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("action"));
        let e = parse_tagged::<Action>(br#"{"heart_rate_bpm":1}"#, "action").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("action"));
        let e = parse_tagged::<Action>(br#"{"action":"set_heart_rate"}"#, "action").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("heart_rate_bpm"));
        let e = parse_tagged::<Action>(
            br#"{"action":"set_heart_rate","heart_rate_bpm":"x"}"#,
            "action",
        )
        .unwrap_err();
        assert_eq!(
            (e.error, e.field.as_deref()),
            ("invalid_value", Some("heart_rate_bpm"))
        );
        let e = parse_tagged::<Action>(
            br#"{"action":"set_heart_rate","heart_rate_bpm":80"#,
            "action",
        )
        .unwrap_err();
        assert_eq!(e.error, "invalid_json");
        // Clock commands are not actions.
        assert!(parse_tagged::<Action>(br#"{"action":"pause"}"#, "action").is_err());
        let c: ClockCommand =
            parse_tagged(br#"{"command":"set_speed","speed":2}"#, "command").expect("clock");
        assert_eq!(c, ClockCommand::SetSpeed { speed: 2.0 });
    }
}
