//! The teaching course over the API: instructor and learner tokens on one session, the
//! learner's allowed actions, live FiO2 / cannulation changes, circuit emergencies, the
//! monitor's alarms (VF first, SpO2 unavailable without a pulse, no flow when clamped),
//! acknowledge and silence, trends and log kept server-side, the debrief, settled starts.

mod common;

use common::*;
use ecmova_server::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Resp {
    let extra = format!("Authorization: Bearer {token}\r\n");
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    raw_request(
        addr,
        method,
        path,
        body.map(|_| "application/json"),
        &extra,
        text.as_bytes(),
        LIMIT,
    )
    .await
    .expect("request timed out")
}

/// A paused session of `body`; returns (id, instructor token, learner token).
async fn session(addr: SocketAddr, body: Value) -> (String, String, String) {
    let r = raw_request(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        "",
        body.to_string().as_bytes(),
        LIMIT,
    )
    .await
    .expect("create");
    assert_eq!(r.status, 201, "{}", r.text());
    let j = r.json();
    let s = |k: &str| j[k].as_str().expect(k).to_string();
    (s("id"), s("instructor_token"), s("learner_token"))
}

async fn advance(addr: SocketAddr, id: &str, tok: &str, by_s: f64) -> Value {
    let base = format!("/api/v1/sessions/{id}");
    let t = call(addr, "GET", &format!("{base}/summary"), tok, None)
        .await
        .assert_ok()["simulated_s"]
        .as_f64()
        .unwrap();
    call(
        addr,
        "POST",
        &format!("{base}/clock"),
        tok,
        Some(&json!({"command": "advance_to", "t_s": t + by_s})),
    )
    .await
    .assert_ok();
    call(addr, "GET", &format!("{base}/summary"), tok, None)
        .await
        .assert_ok()
}

async fn act(addr: SocketAddr, id: &str, tok: &str, action: Value) -> Resp {
    call(
        addr,
        "POST",
        &format!("/api/v1/sessions/{id}/events"),
        tok,
        Some(&action),
    )
    .await
}

fn names(s: &Value) -> Vec<String> {
    s["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn learner_attaches_reads_and_is_refused_instructor_events() {
    let addr = start(Config::default()).await;
    let (id, ins, learner) = session(
        addr,
        json!({"preset": "cardiogenic-shock-ami", "paused": true}),
    )
    .await;
    let base = format!("/api/v1/sessions/{id}");
    // The id alone controls nothing.
    raw_request(
        addr,
        "GET",
        &format!("{base}/summary"),
        None,
        "",
        b"",
        LIMIT,
    )
    .await
    .unwrap()
    .assert_error(401, "unauthorized", None);
    // The learner reads and applies the bedside actions...
    call(addr, "GET", &format!("{base}/summary"), &learner, None)
        .await
        .assert_ok();
    act(addr, &id, &learner, json!({"action": "start_ecmo"}))
        .await
        .assert_ok();
    // ...but not the instructor's events, until the instructor allows them.
    act(
        addr,
        &id,
        &learner,
        json!({"action": "arrest", "rhythm": "vf"}),
    )
    .await
    .assert_error(403, "forbidden", Some("action"));
    act(
        addr,
        &id,
        &learner,
        json!({"action": "circuit_failure", "failure": "power_loss"}),
    )
    .await
    .assert_error(403, "forbidden", Some("action"));
    act(
        addr,
        &id,
        &learner,
        json!({"action": "set_circuit", "pump": "centrimag"}),
    )
    .await
    .assert_error(403, "forbidden", Some("action"));
    act(
        addr,
        &id,
        &ins,
        json!({"action": "set_circuit", "pump": "centrimag"}),
    )
    .await
    .assert_ok();
    call(
        addr,
        "POST",
        &format!("{base}/permissions"),
        &learner,
        Some(&json!({"learner_actions": ["arrest"]})),
    )
    .await
    .assert_error(403, "forbidden", None);
    call(
        addr,
        "POST",
        &format!("{base}/permissions"),
        &ins,
        Some(&json!({"learner_actions": ["set_pump_rpm"]})),
    )
    .await
    .assert_ok();
    act(addr, &id, &learner, json!({"action": "stop_ecmo"}))
        .await
        .assert_error(403, "forbidden", Some("action"));
    act(
        addr,
        &id,
        &learner,
        json!({"action": "set_pump_rpm", "rpm": 3200}),
    )
    .await
    .assert_ok();
    call(
        addr,
        "POST",
        &format!("{base}/permissions"),
        &ins,
        Some(&json!({"learner_actions": ["no_such_action"]})),
    )
    .await
    .assert_error(422, "invalid_choice", Some("learner_actions"));
    // The instructor may do everything.
    act(addr, &id, &ins, json!({"action": "arrest", "rhythm": "vf"}))
        .await
        .assert_ok();
    let s = call(addr, "GET", &format!("{base}/summary"), &learner, None)
        .await
        .assert_ok();
    assert_eq!(s["learner_actions"], json!(["set_pump_rpm"]));
}

#[tokio::test]
async fn fio2_and_cannulation_change_the_right_hand_live_and_vf_tops_the_alarms() {
    let addr = start(Config::default()).await;
    let (id, ins, learner) = session(
        addr,
        json!({"preset": "cardiogenic-shock-ami", "paused": true, "overrides": {"lung_shunt_fraction": 0.6}}),
    )
    .await;
    act(addr, &id, &ins, json!({"action": "set_fio2", "fio2": 0.21}))
        .await
        .assert_ok();
    act(addr, &id, &ins, json!({"action": "start_ecmo"}))
        .await
        .assert_ok();
    let fem = advance(addr, &id, &ins, 90.0).await;
    let gap = fem["sao2_femoral_percent"].as_f64().unwrap()
        - fem["sao2_right_radial_percent"].as_f64().unwrap();
    assert!(
        gap > 5.0,
        "differential hypoxaemia on femoral return: gap {gap}"
    );
    act(
        addr,
        &id,
        &ins,
        json!({"action": "set_cannulation", "cannulation": "central"}),
    )
    .await
    .assert_ok();
    let central = advance(addr, &id, &ins, 60.0).await;
    let sat = |s: &Value| s["sao2_right_radial_percent"].as_f64().unwrap();
    assert_eq!(central["cannulation"], "central");
    assert!(
        sat(&central) > sat(&fem) + 3.0,
        "{} -> {}",
        sat(&fem),
        sat(&central)
    );
    // VF: the arrhythmia alarm first, critical; no pulse, no SpO2.
    act(addr, &id, &ins, json!({"action": "arrest", "rhythm": "vf"}))
        .await
        .assert_ok();
    let vf = advance(addr, &id, &ins, 20.0).await;
    assert_eq!(vf["alarms"][0]["name"], "ventricular_fibrillation");
    assert_eq!(vf["alarms"][0]["severity"], "critical");
    assert!(
        vf["spo2_right_hand_percent"].is_null(),
        "{}",
        vf["spo2_right_hand_percent"]
    );
    assert!(
        vf.get("spo2_right_hand_percent").is_some(),
        "the key is present, null"
    );
    // Clamped: 0 L/min and the no-flow alarm.
    act(addr, &id, &ins, json!({"action": "stop_ecmo"}))
        .await
        .assert_ok();
    let clamped = advance(addr, &id, &ins, 10.0).await;
    assert_eq!(clamped["ecmo_flow_l_min"].as_f64(), Some(0.0));
    assert!(names(&clamped).contains(&"ecmo_no_flow".to_string()));
    // Acknowledge one alarm (learner at the bedside) and pause the audio for 2 min.
    let base = format!("/api/v1/sessions/{id}");
    call(
        addr,
        "POST",
        &format!("{base}/alarms"),
        &learner,
        Some(&json!({"command": "acknowledge", "name": "ecmo_no_flow"})),
    )
    .await
    .assert_ok();
    call(
        addr,
        "POST",
        &format!("{base}/alarms"),
        &learner,
        Some(&json!({"command": "acknowledge", "name": "hypertension"})),
    )
    .await
    .assert_error(409, "not_raised", Some("name"));
    call(
        addr,
        "POST",
        &format!("{base}/alarms"),
        &learner,
        Some(&json!({"command": "silence"})),
    )
    .await
    .assert_ok();
    let s = call(addr, "GET", &format!("{base}/summary"), &learner, None)
        .await
        .assert_ok();
    assert_eq!(s["acknowledged_alarms"], json!(["ecmo_no_flow"]));
    let until = s["audio_paused_until_s"].as_f64().expect("audio paused");
    assert!((until - s["simulated_s"].as_f64().unwrap() - 120.0).abs() < 1.0);
}

#[tokio::test]
async fn trends_log_and_debrief_are_kept_server_side() {
    let addr = start(Config::default()).await;
    let (id, ins, learner) = session(
        addr,
        json!({"preset": "cardiogenic-shock-ami", "paused": true}),
    )
    .await;
    let base = format!("/api/v1/sessions/{id}");
    act(addr, &id, &ins, json!({"action": "start_ecmo"}))
        .await
        .assert_ok();
    advance(addr, &id, &ins, 30.0).await;
    act(
        addr,
        &id,
        &ins,
        json!({"action": "circuit_failure", "failure": "oxygenator_failure"}),
    )
    .await
    .assert_ok();
    advance(addr, &id, &ins, 30.0).await;
    // Another screen (a reload) reads the same trends and log.
    let t = call(addr, "GET", &format!("{base}/trends"), &learner, None)
        .await
        .assert_ok();
    let pts = t["points"].as_array().unwrap();
    assert!(pts.len() >= 10, "{} trend points over 60 s", pts.len());
    assert!(pts
        .windows(2)
        .all(|w| w[1]["t_s"].as_f64() > w[0]["t_s"].as_f64()));
    assert!(pts.last().unwrap()["ecmo_flow_l_min"].as_f64().unwrap() > 1.0);
    let log = call(addr, "GET", &format!("{base}/log"), &learner, None)
        .await
        .assert_ok();
    assert_eq!(log["actions"].as_array().unwrap().len(), 2);
    // Debrief: JSON, CSV and HTML with the events.
    let d = call(
        addr,
        "GET",
        &format!("{base}/debrief?format=json"),
        &ins,
        None,
    )
    .await
    .assert_ok();
    assert_eq!(d["log"][1]["action"]["failure"], "oxygenator_failure");
    assert!(!d["trends"]["points"].as_array().unwrap().is_empty());
    let csv = call(
        addr,
        "GET",
        &format!("{base}/debrief?format=csv"),
        &ins,
        None,
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(csv.text().starts_with("t_s,heart_rate_bpm"));
    assert!(csv.text().contains("circuit_failure"));
    let html = call(addr, "GET", &format!("{base}/debrief"), &ins, None).await;
    assert_eq!(html.status, 200);
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(html.text().contains("circuit failure: oxygenator failure"));
    assert!(html.text().contains("<svg"));
    call(
        addr,
        "GET",
        &format!("{base}/debrief?format=pdf"),
        &ins,
        None,
    )
    .await
    .assert_error(400, "invalid_choice", Some("format"));
    raw_request(
        addr,
        "GET",
        &format!("{base}/debrief"),
        None,
        "",
        b"",
        LIMIT,
    )
    .await
    .unwrap()
    .assert_error(401, "unauthorized", None);
}

#[tokio::test]
async fn a_settled_session_starts_at_its_steady_state_and_toml_scenarios_play() {
    let addr = start(Config::default()).await;
    let (id, ins, _) = session(
        addr,
        json!({"preset": "massive-pulmonary-embolism", "paused": true, "settle": true}),
    )
    .await;
    let s = call(
        addr,
        "GET",
        &format!("/api/v1/sessions/{id}/summary"),
        &ins,
        None,
    )
    .await
    .assert_ok();
    assert!(
        s["simulated_s"].as_f64().unwrap() > 5.0,
        "it ran to its steady state"
    );
    assert!(s["steady_state_beat"].as_u64().is_some(), "{s}");
    // settle is for presets only.
    let r = raw_request(
        addr,
        "POST",
        "/api/v1/sessions",
        Some("application/json"),
        "",
        json!({"snapshot": {}, "settle": true})
            .to_string()
            .as_bytes(),
        LIMIT,
    )
    .await
    .unwrap();
    r.assert_error(400, "invalid_request", Some("settle"));
    // A scenario uploaded as TOML text plays its timeline.
    let toml = "[patient]\npreset = \"cardiogenic-shock-ami\"\n[ecmo]\nenabled = true\n\
                [[events]]\nat_s = 2\naction = \"set_fio2\"\nfio2 = 0.6\n\
                [simulation]\nduration_s = 60\n";
    let (id, ins, _) = session(addr, json!({"scenario_toml": toml, "paused": true})).await;
    advance(addr, &id, &ins, 5.0).await;
    let log = call(
        addr,
        "GET",
        &format!("/api/v1/sessions/{id}/log"),
        &ins,
        None,
    )
    .await
    .assert_ok();
    assert_eq!(log["actions"][0]["action"]["action"], "set_fio2");
    assert_eq!(log["actions"][0]["source"], "timeline");
}
