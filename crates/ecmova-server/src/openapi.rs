//! The OpenAPI 3.1 document, generated from the Rust types the handlers use (schemars, JSON
//! Schema 2020-12), so it cannot drift from them. Presets, actions and ranges in it come from
//! the same constants the code checks. Served at `GET /api/v1/openapi.json`; a test checks that
//! every route is documented and validates real responses against it.

use crate::error::ApiError;
use crate::wire::{
    ActionLog, AlarmCommand, Applied, Capabilities, ClockCommand, CreateSession, Debrief,
    LiveSummary, Permissions, PresetList, RunResult, SessionInfo, SessionList, Trends,
};
use ecmova_scenario::action::RANGES;
use ecmova_scenario::Action;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// How a route's body or answer is described.
enum Body {
    /// A generated schema (by its component name).
    Schema(Value),
    /// Free-form JSON with a description (documents the clinical library's own formats).
    Free(&'static str),
    /// None.
    Empty,
}

/// One documented route.
struct Route {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    request: Body,
    response: Body,
    status: &'static str,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Body {
    Body::Schema(g.subschema_for::<T>().to_value())
}

/// Sets `minimum`/`maximum` of every action key from [`RANGES`] in the `Action` schema.
fn annotate_ranges(defs: &mut Map<String, Value>) {
    let Some(Value::Array(variants)) = defs.get_mut("Action").and_then(|a| a.get_mut("oneOf"))
    else {
        return;
    };
    for v in variants {
        let name = v
            .pointer("/properties/action/const")
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(name) = name else { continue };
        let Some(Value::Object(props)) = v.get_mut("properties") else {
            continue;
        };
        for r in RANGES.iter().filter(|r| r.action == name) {
            let Some(Value::Object(p)) = props.get_mut(r.field) else {
                continue;
            };
            // Arrays (weaning flows) bound their items.
            let target = match p.get_mut("items") {
                Some(Value::Object(items)) => items,
                _ => p,
            };
            target.insert("minimum".into(), json!(r.min));
            target.insert("maximum".into(), json!(r.max));
        }
    }
}

/// The whole document.
pub fn document() -> Value {
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let preset_names = ecmova_engine::presets::NAMES;
    let session = "/api/v1/sessions/{id}";
    let routes = vec![
        Route {
            method: "get",
            path: "/api/v1/presets",
            summary: "The built-in patients",
            request: Body::Empty,
            response: schema::<PresetList>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/capabilities",
            summary: "Actions, their ranges, presets and limits of this build",
            request: Body::Empty,
            response: schema::<Capabilities>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/openapi.json",
            summary: "This document",
            request: Body::Empty,
            response: Body::Free("the OpenAPI 3.1 document"),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions",
            summary: "The live sessions",
            request: Body::Empty,
            response: schema::<SessionList>(&mut g),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/sessions",
            summary: "Start a live session from a preset, a scenario or a snapshot",
            request: schema::<CreateSession>(&mut g),
            response: schema::<SessionInfo>(&mut g),
            status: "201",
        },
        Route {
            method: "get",
            path: session,
            summary: "A session's clock and channels",
            request: Body::Empty,
            response: schema::<SessionInfo>(&mut g),
            status: "200",
        },
        Route {
            method: "delete",
            path: session,
            summary: "End a session",
            request: Body::Empty,
            response: Body::Free("{\"deleted\": id}"),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/sessions/{id}/events",
            summary: "Apply an action now (the same JSON as a scenario file's [[events]] entry without at_s)",
            request: schema::<Action>(&mut g),
            response: schema::<Applied>(&mut g),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/sessions/{id}/clock",
            summary: "Pause, resume, set the speed or skip ahead",
            request: schema::<ClockCommand>(&mut g),
            response: schema::<Applied>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/summary",
            summary: "The session's summary (the same Summary a scenario run reports) and clock",
            request: Body::Empty,
            response: schema::<LiveSummary>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/snapshot",
            summary: "A snapshot that POST /api/v1/sessions resumes exactly",
            request: Body::Empty,
            response: Body::Free("a snapshot: {ecmova_version, scenario, log, time_s}"),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/log",
            summary: "Every applied action with its time and source",
            request: Body::Empty,
            response: schema::<ActionLog>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/trends",
            summary: "Trend points (every 5 simulated s, the last hour) and the alarm history, kept server-side",
            request: Body::Empty,
            response: schema::<Trends>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/pv_relations",
            summary: "The LV's end-systolic and end-diastolic pressure-volume relations in force (parameters and sampled points), for the PV-loop panel",
            request: Body::Empty,
            response: schema::<ecmova_scenario::pv::PvRelations>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/debrief",
            summary: "The debrief report: HTML (default), ?format=json (this schema) or ?format=csv",
            request: Body::Empty,
            response: schema::<Debrief>(&mut g),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/sessions/{id}/alarms",
            summary: "Acknowledge a raised alarm or pause the audible alarm for 2 min",
            request: schema::<AlarmCommand>(&mut g),
            response: schema::<Applied>(&mut g),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/sessions/{id}/permissions",
            summary: "Set the actions the learner's token may apply (instructor only)",
            request: schema::<Permissions>(&mut g),
            response: schema::<Applied>(&mut g),
            status: "200",
        },
        Route {
            method: "get",
            path: "/api/v1/sessions/{id}/stream",
            summary: "WebSocket stream: hello, channels, binary sample frames, beat and status messages (docs/api.md)",
            request: Body::Empty,
            response: Body::Empty,
            status: "101",
        },
        Route {
            method: "post",
            path: "/api/v1/run",
            summary: "Run a whole scenario (JSON or TOML) and return its summary and optional series",
            request: Body::Free("a scenario file (docs/scenario-format.md), application/json or application/toml"),
            response: schema::<RunResult>(&mut g),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/score/save",
            summary: "SAVE score of a patient (docs/patient-format.md)",
            request: Body::Free("a patient (docs/patient-format.md)"),
            response: Body::Free("the score with every item's points and its source"),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/score/encourage",
            summary: "ENCOURAGE score of a patient",
            request: Body::Free("a patient (docs/patient-format.md)"),
            response: Body::Free("the score with every item's points and its source"),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/score/cardshock",
            summary: "CardShock score of a patient",
            request: Body::Free("a patient (docs/patient-format.md)"),
            response: Body::Free("the score with every item's points and its source"),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/score/tips65",
            summary: "TiPS65 score of a patient",
            request: Body::Free("a patient (docs/patient-format.md)"),
            response: Body::Free("the score with every item's points and its source"),
            status: "200",
        },
        Route {
            method: "post",
            path: "/api/v1/assess",
            summary: "The VA-ECMO assessment of a patient (docs/clinical-rules.md)",
            request: Body::Free("a patient (docs/patient-format.md), or a FHIR R4 Bundle as application/fhir+json (docs/fhir-mapping.md; `?at=` sets the assessment time)"),
            response: Body::Free("the assessment: verdict, reasons, sources, scores (from a Bundle, plus `fhir_mapping`)"),
            status: "200",
        },
    ];
    let error = g.subschema_for::<ApiError>().to_value();
    let mut defs = g.take_definitions(true);
    annotate_ranges(&mut defs);
    let mut paths = Map::new();
    for r in routes {
        let mut op = Map::new();
        op.insert("summary".into(), r.summary.into());
        op.insert(
            "operationId".into(),
            format!(
                "{}{}",
                r.method,
                r.path
                    .trim_start_matches("/api/v1")
                    .replace(['/', '{', '}', '.'], "_")
            )
            .into(),
        );
        if r.path.contains("{id}") {
            op.insert(
                "parameters".into(),
                json!([{
                    "name": "id", "in": "path", "required": true,
                    "description": "session id (32 hex digits)",
                    "schema": {"type": "string"}
                }]),
            );
            // Owned by tokens (the instructor's or the learner's; `docs/security.md`).
            let security = if r.path.ends_with("/stream") {
                json!([{"sessionToken": []}, {"streamToken": []}])
            } else {
                json!([{"sessionToken": []}])
            };
            op.insert("security".into(), security);
        }
        match r.request {
            Body::Schema(s) => {
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {"application/json": {"schema": s}}}),
                );
            }
            Body::Free(d) => {
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "description": d,
                           "content": {"application/json": {"schema": {"type": "object"}}}}),
                );
            }
            Body::Empty => {}
        }
        // The assessment also takes a FHIR R4 Bundle (issue 17).
        if r.path == "/api/v1/assess" {
            if let Some(c) = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut)
            {
                c.insert(
                    "application/fhir+json".into(),
                    json!({"schema": {"type": "object", "description": "a FHIR R4 Bundle"}}),
                );
            }
        }
        let ok = match r.response {
            Body::Schema(s) => {
                json!({"description": "success", "content": {"application/json": {"schema": s}}})
            }
            Body::Free(d) => json!({"description": d,
                "content": {"application/json": {"schema": {"type": "object"}}}}),
            Body::Empty => json!({"description": "switching protocols (WebSocket)"}),
        };
        let mut responses = Map::new();
        responses.insert(r.status.into(), ok);
        responses.insert(
            "default".into(),
            json!({"description": "an error naming the field at fault",
                   "content": {"application/json": {"schema": error}}}),
        );
        op.insert("responses".into(), Value::Object(responses));
        let entry = paths
            .entry(r.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(r.method.into(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ecmova",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "VA-ECMO simulator and decision support (research and teaching tool, not a medical device). Presets: {}. Actions: {}.",
                preset_names.join(", "),
                Action::NAMES.join(", ")
            ),
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "sessionToken": {"type": "http", "scheme": "bearer",
                    "description": "a session's instructor_token or learner_token (from POST /api/v1/sessions)"},
                "streamToken": {"type": "apiKey", "in": "query", "name": "token",
                    "description": "the session token, for the WebSocket stream"},
                "serverToken": {"type": "apiKey", "in": "header", "name": "X-Ecmova-Auth",
                    "description": "with `ecmova serve --auth-token`, every API request carries it (the stream: `?auth=`)"}
            }
        },
    })
}
