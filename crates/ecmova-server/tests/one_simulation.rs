//! One physiology whatever the front end: the same patient driven through a scenario file
//! (`POST /api/v1/run`) and through a live session (the same actions posted at the same
//! simulated times, the session skipped ahead as fast as possible) gives bit-identical
//! summaries; a snapshot resumes a session exactly; no circuit or device quantity appears
//! anywhere without that circuit or device.

mod common;

use common::*;
use ecmova_server::Config;
use serde_json::{json, Value};

/// The patient and the actions: femoral VA-ECMO started at 8 s in AMI shock, then speed,
/// sweep, a drug, fluid, FiO2 and an Impella, each at its own time.
fn timeline() -> Vec<(f64, Value)> {
    vec![
        (8.0, json!({"action": "start_ecmo"})),
        (14.0, json!({"action": "set_pump_rpm", "rpm": 3600.0})),
        (18.5, json!({"action": "set_sweep", "sweep_l_min": 2.0})),
        (
            21.0,
            json!({"action": "infusion", "drug": "norepinephrine", "dose_ug_kg_min": 0.1}),
        ),
        (24.0, json!({"action": "fluid", "volume_ml": 250.0})),
        (27.25, json!({"action": "set_fio2", "fio2": 0.6})),
        (
            30.0,
            json!({"action": "set_device", "device": "impella", "active": true, "performance_level": 5}),
        ),
    ]
}

const DURATION_S: f64 = 36.0;

fn scenario(with_events: bool) -> Value {
    let events: Vec<Value> = if with_events {
        timeline()
            .into_iter()
            .map(|(t, mut a)| {
                a["at_s"] = t.into();
                a
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "patient": {"preset": "cardiogenic-shock-ami", "lung_shunt_fraction": 0.2},
        "ecmo": {"enabled": true, "clamped": true, "pump_rpm": 3000.0},
        "devices": [{"kind": "impella", "active": false}],
        "events": events,
        "simulation": {"duration_s": DURATION_S}
    })
}

/// The simulation's summary in a live summary: without the session's own keys.
fn without_session_keys(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for k in [
            "session_id",
            "speed",
            "paused",
            "acknowledged_alarms",
            "audio_paused_until_s",
            "learner_actions",
        ] {
            m.remove(k);
        }
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_file_and_a_live_session_give_bit_identical_summaries() {
    let addr = start(Config::default()).await;
    // The scenario file, run whole.
    let file = post_json(addr, "/api/v1/run", &scenario(true))
        .await
        .assert_ok();
    let from_file = file["summary"].clone();
    assert_eq!(
        from_file["phases"].as_array().unwrap().len(),
        8,
        "{from_file}"
    );

    // The same patient live: paused, skipped ahead to each action's time, the action posted.
    let r = post_json(
        addr,
        "/api/v1/sessions",
        &json!({"scenario": scenario(false), "paused": true}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/sessions/{id}");
    for (t, action) in timeline() {
        post_json(
            addr,
            &format!("{base}/clock"),
            &json!({"command": "advance_to", "t_s": t}),
        )
        .await
        .assert_ok();
        let applied = post_json(addr, &format!("{base}/events"), &action)
            .await
            .assert_ok();
        assert!(applied["t_s"].as_f64().unwrap() >= t - 1e-9, "{applied}");
    }
    post_json(
        addr,
        &format!("{base}/clock"),
        &json!({"command": "advance_to", "t_s": DURATION_S}),
    )
    .await
    .assert_ok();
    let live = without_session_keys(get(addr, &format!("{base}/summary")).await.assert_ok());
    assert_eq!(
        live, from_file,
        "the live session and the scenario file must be the same simulation"
    );
    // And the log says who applied what.
    let log = get(addr, &format!("{base}/log")).await.assert_ok();
    assert_eq!(log["actions"].as_array().unwrap().len(), timeline().len());
    assert!(log["actions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["source"] == "live"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_resumes_a_session_exactly() {
    let addr = start(Config::default()).await;
    let r = post_json(
        addr,
        "/api/v1/sessions",
        &json!({"scenario": scenario(true), "paused": true}),
    )
    .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/sessions/{id}");
    // Half-way, a live action on top of the timeline.
    post_json(
        addr,
        &format!("{base}/clock"),
        &json!({"command": "advance_to", "t_s": 16.0}),
    )
    .await
    .assert_ok();
    post_json(
        addr,
        &format!("{base}/events"),
        &json!({"action": "set_heart_rate", "heart_rate_bpm": 95.0}),
    )
    .await
    .assert_ok();
    post_json(
        addr,
        &format!("{base}/clock"),
        &json!({"command": "advance_to", "t_s": 25.0}),
    )
    .await
    .assert_ok();
    let snapshot = get(addr, &format!("{base}/snapshot")).await.assert_ok();
    let before = without_session_keys(get(addr, &format!("{base}/summary")).await.assert_ok());

    let r = post_json(
        addr,
        "/api/v1/sessions",
        &json!({"snapshot": snapshot, "paused": true}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let resumed = r.json()["id"].as_str().unwrap().to_string();
    let rbase = format!("/api/v1/sessions/{resumed}");
    let after = without_session_keys(get(addr, &format!("{rbase}/summary")).await.assert_ok());
    assert_eq!(after, before, "the restored session is the same state");
    // Both continue identically (the remaining timeline plays in both).
    for b in [&base, &rbase] {
        post_json(
            addr,
            &format!("{b}/clock"),
            &json!({"command": "advance_to", "t_s": DURATION_S}),
        )
        .await
        .assert_ok();
    }
    let a = without_session_keys(get(addr, &format!("{base}/summary")).await.assert_ok());
    let b = without_session_keys(get(addr, &format!("{rbase}/summary")).await.assert_ok());
    assert_eq!(a, b);
    // A snapshot cannot ask for more replay than a run may take (it would pin a core).
    let mut long = snapshot.clone();
    long["time_s"] = json!(1e9);
    post_json(addr, "/api/v1/sessions", &json!({"snapshot": long}))
        .await
        .assert_error(422, "out_of_range", Some("snapshot.time_s"));
    // Nor come from another version.
    let mut other = snapshot.clone();
    other["ecmova_version"] = json!("0.0.1");
    post_json(addr, "/api/v1/sessions", &json!({"snapshot": other}))
        .await
        .assert_error(422, "invalid_scenario", Some("snapshot.ecmova_version"));
    // A tampered snapshot is refused, naming the field.
    let mut bad = snapshot.clone();
    bad["time_s"] = json!("soon");
    post_json(addr, "/api/v1/sessions", &json!({"snapshot": bad}))
        .await
        .assert_error(400, "invalid_value", Some("snapshot.time_s"));
}

/// Keys of quantities that exist only with a circuit or a device.
const CIRCUIT_KEYS: &[&str] = &[
    "ecmo_flow_l_min",
    "pump_rpm",
    "pump_head_mmhg",
    "drainage_pressure_mmhg",
    "pre_oxygenator_pressure_mmhg",
    "post_oxygenator_pressure_mmhg",
    "oxygenator_dp_mmhg",
    "drained_vein_pressure_min_mmhg",
    "drainage_suction_fraction",
    "post_oxygenator_po2_mmhg",
    "post_oxygenator_pco2_mmhg",
    "oxygenator_o2_transfer_ml_min",
    "oxygenator_co2_removal_ml_min",
    "post_oxygenator_ph",
    "cannulation",
    "ecmo_running",
    "pump_rpm_setting",
    "sweep_l_min",
    "fdo2",
    "mixing_zone",
];
const DEVICE_KEYS: &[&str] = &[
    "impella_flow_l_min",
    "lv_vent_flow_l_min",
    "septostomy_flow_l_min",
    "augmented_diastolic_pressure_mmhg",
];

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_circuits_and_devices_are_absent_everywhere() {
    let addr = start(Config::default()).await;
    // A scenario without a circuit: no circuit or device key in the summary, its phases, or
    // the series.
    let plain = json!({
        "patient": {"preset": "cardiogenic-shock-ami"},
        "simulation": {"duration_s": 5.0, "series_interval_s": 0.05}
    });
    let r = post(addr, "/api/v1/run?series=true", &plain.to_string())
        .await
        .assert_ok();
    let s = &r["summary"];
    let columns: Vec<String> = r["series"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    for k in CIRCUIT_KEYS.iter().chain(DEVICE_KEYS) {
        assert!(
            !keys(s).contains(&k.to_string()),
            "{k} without a circuit: {s}"
        );
        for p in s["phases"].as_array().unwrap() {
            if let Some(m) = p.get("metrics") {
                assert!(!keys(m).contains(&k.to_string()), "{k} in a phase");
            }
        }
    }
    for c in &columns {
        assert!(
            !c.contains("ecmo") && !c.contains("oxygenator") && !c.contains("impella"),
            "series column {c} without a circuit"
        );
    }
    assert_eq!(s["devices"], json!([]));
    // With a circuit and no device: circuit keys present, device flows absent.
    let mut with_circuit = plain.clone();
    with_circuit["ecmo"] = json!({"enabled": true});
    let r = post_json(addr, "/api/v1/run", &with_circuit)
        .await
        .assert_ok();
    let s = &r["summary"];
    assert!(s["ecmo_flow_l_min"].is_number() && s["pump_rpm_setting"].is_number());
    for k in DEVICE_KEYS {
        assert!(s.get(k).is_none(), "{k} without the device");
    }
    // A parked IABP augments nothing: no augmented diastolic pressure while it is off.
    let mut parked = with_circuit.clone();
    parked["devices"] = json!([{"kind": "iabp", "active": false}]);
    let s = &post_json(addr, "/api/v1/run", &parked).await.assert_ok()["summary"];
    assert!(s.get("augmented_diastolic_pressure_mmhg").is_none(), "{s}");
    // With the device: its flow is there.
    with_circuit["devices"] = json!([{"kind": "impella"}]);
    let s = &post_json(addr, "/api/v1/run", &with_circuit)
        .await
        .assert_ok()["summary"];
    assert!(s["impella_flow_l_min"].is_number(), "{s}");
    assert!(s.get("lv_vent_flow_l_min").is_none());

    // A live session of the peer model: no circuit at all, in the summary or the stream.
    let id = create_session(addr, "regazzoni-2022").await;
    let info = get(addr, &format!("/api/v1/sessions/{id}"))
        .await
        .assert_ok();
    let channels: Vec<&str> = info["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!channels.contains(&"ecmo_flow_l_min"), "{channels:?}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let s = get(addr, &format!("/api/v1/sessions/{id}/summary"))
        .await
        .assert_ok();
    assert!(s["map_mmhg"].is_number(), "{s}");
    for k in CIRCUIT_KEYS.iter().chain(DEVICE_KEYS) {
        assert!(s.get(k).is_none(), "{k} in a session without a circuit");
    }
    // An adult session has its parked circuit in the stream from the start.
    let id = create_session(addr, "healthy-adult").await;
    let info = get(addr, &format!("/api/v1/sessions/{id}"))
        .await
        .assert_ok();
    assert!(info["channels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "ecmo_flow_l_min"));
}
