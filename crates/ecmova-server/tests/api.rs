//! API tests: an in-process server on 127.0.0.1:0, every endpoint, and the bad requests
//! (malformed JSON, unknown fields, oversize bodies, absurd values), each answered with a 4xx
//! JSON error while the server keeps serving.

mod common;

use common::*;
use ecmova_server::{Config, Limits};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Lines of `js` that compare a summary value (`s.<key>`) with a number literal.
fn threshold_comparisons(js: &str) -> Vec<String> {
    js.lines()
        .filter(|line| {
            let l = line.trim();
            if l.starts_with("//") {
                return false;
            }
            let bytes = l.as_bytes();
            (0..bytes.len()).any(|i| {
                // "s.<ident> <op> <number>" with op one of < > <= >=
                l.is_char_boundary(i)
                    && l[i..].starts_with("s.")
                    && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                    && {
                        let rest = &l[i + 2..];
                        let ident: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let after = rest[ident.len()..].trim_start();
                        let op_len = if after.starts_with("<=") || after.starts_with(">=") {
                            2
                        } else if after.starts_with('<') || after.starts_with('>') {
                            1
                        } else {
                            0
                        };
                        op_len > 0
                            && after[op_len..]
                                .trim_start()
                                .chars()
                                .next()
                                .is_some_and(|c| c.is_ascii_digit() || c == '-')
                    }
            })
        })
        .map(str::to_string)
        .collect()
}

fn config(limits: Limits) -> Config {
    Config {
        limits,
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_assets_are_embedded() {
    let addr = start(Config::default()).await;
    let r = get(addr, "/").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/html"));
    assert!(r.text().contains("monitor.js"));
    let r = get(addr, "/assess").await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("assess.js"));
    for (name, ct) in [
        ("style.css", "text/css"),
        ("monitor.js", "text/javascript"),
        ("assess.js", "text/javascript"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let r = get(addr, &format!("/assets/{name}")).await;
        assert_eq!(r.status, 200, "{name}");
        assert!(r.header("content-type").unwrap_or("").starts_with(ct));
        assert!(!r.body.is_empty());
    }
    // The assessment form lists every patient key of the clinical library.
    let js = get(addr, "/assets/assess.js").await.text();
    for (key, _) in ecmova_clinical::wire::FIELDS {
        assert!(
            js.contains(&format!("\"key\": \"{key}\"")),
            "{key} missing from the form"
        );
    }
    // The page decides no alarm: monitor.js compares no summary value with a number (the
    // thresholds live once, in Rust: ecmova_scenario::alarms::THRESHOLDS).
    let monitor = get(addr, "/assets/monitor.js").await.text();
    assert_eq!(
        threshold_comparisons("  if (s.map_mmhg < 65) warn();").len(),
        1,
        "the scan finds a threshold"
    );
    let compare = threshold_comparisons(&monitor);
    assert!(
        compare.is_empty(),
        "threshold comparisons in monitor.js: {compare:?}"
    );
    for ex in ["ami", "ecpr", "myocarditis"] {
        let r = get(addr, &format!("/assets/example-{ex}.json")).await;
        assert_eq!(r.status, 200);
        ecmova_clinical::Patient::from_json(&r.text()).expect("example patient is valid");
    }
    get(addr, "/assets/nope.js")
        .await
        .assert_error(404, "not_found", Some("path"));
    get(addr, "/no/such/route")
        .await
        .assert_error(404, "not_found", Some("path"));
    request(addr, "PUT", "/api/v1/presets", None, b"")
        .await
        .assert_error(405, "method_not_allowed", Some("method"));
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presets_capabilities_and_openapi() {
    let addr = start(Config::default()).await;
    let p = get(addr, "/api/v1/presets").await.json();
    let names: Vec<&str> = p["presets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["name"].as_str())
        .collect();
    for n in ["healthy-adult", "cardiogenic-shock-ami", "regazzoni-2022"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let c = get(addr, "/api/v1/capabilities").await.json();
    assert_eq!(c["limits"]["max_body_bytes"], json!(65536));
    assert_eq!(
        c["actions"],
        json!(ecmova_scenario::Action::NAMES),
        "the session API takes every action"
    );
    assert!(c["action_ranges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["action"] == "set_heart_rate" && r["min"] == json!(20.0)));
    let o = get(addr, "/api/v1/openapi.json").await;
    assert_eq!(o.status, 200);
    let o = o.json();
    assert!(o["openapi"].as_str().unwrap().starts_with("3.1"));
    // Every documented operation exists (no router-level 404/405 for any of them).
    for (path, item) in o["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "0123456789abcdef0123456789abcdef");
        for m in ["get", "post", "delete"] {
            if item.get(m).is_none() {
                continue;
            }
            let r = request(
                addr,
                &m.to_uppercase(),
                &concrete,
                Some("application/json"),
                b"{}",
            )
            .await;
            if r.status == 404 || r.status == 405 {
                let j = r.json();
                assert_ne!(j["error"], json!("not_found"), "{m} {path}: {j}");
                assert_ne!(j["error"], json!("method_not_allowed"), "{m} {path}: {j}");
            }
        }
    }
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_lifecycle_and_events() {
    let addr = start(Config::default()).await;
    let r = post_json(
        addr,
        "/api/v1/sessions",
        &json!({
            "preset": "cardiogenic-shock-ami",
            "overrides": {"heart_rate_bpm": 100, "chamber": {"lv": {"ees_mmhg_per_ml": 0.6}}},
            "speed": 4
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(created["preset"], "cardiogenic-shock-ami");
    assert_eq!(
        created["stream"].as_str().unwrap(),
        format!("/api/v1/sessions/{id}/stream")
    );
    let base = format!("/api/v1/sessions/{id}");

    // It runs in real time × 4: after ~1.5 s of wall time several beats are done.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let info = get(addr, &base).await.json();
    let t = info["t_s"].as_f64().unwrap();
    assert!((3.0..9.0).contains(&t), "t = {t}");
    let s = get(addr, &format!("{base}/summary")).await.json();
    assert!(s["beats_simulated"].as_u64().unwrap() >= 3, "{s}");
    assert!(s["map_mmhg"].as_f64().unwrap() > 30.0);
    assert!(
        (s["heart_rate_bpm"].as_f64().unwrap() - 100.0).abs() < 1.0,
        "{s}"
    );
    assert_eq!(s["session_id"].as_str(), Some(id.as_str()));
    let list = get(addr, "/api/v1/sessions").await.json();
    assert!(list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == json!(id)));

    let events = format!("{base}/events");
    for (ev, applied) in [
        (
            json!({"action": "set_heart_rate", "heart_rate_bpm": 80}),
            "set_heart_rate",
        ),
        (
            json!({"action": "set_lv_contractility", "lv_contractility_scale": 1.5}),
            "set_lv_contractility",
        ),
        (json!({"action": "fluid", "volume_ml": 250}), "fluid"),
        (json!({"action": "fluid", "volume_ml": -100}), "fluid"),
    ] {
        let r = post_json(addr, &events, &ev).await;
        assert_eq!(r.status, 200, "{ev}: {}", r.text());
        assert_eq!(r.json()["applied"], json!(applied));
    }
    // The clock is not physiology: its own endpoint.
    let clock = format!("{base}/clock");
    for (cmd, applied) in [
        (json!({"command": "set_speed", "speed": 2}), "set_speed"),
        (json!({"command": "pause"}), "pause"),
        (json!({"command": "resume"}), "resume"),
    ] {
        let r = post_json(addr, &clock, &cmd).await;
        assert_eq!(r.status, 200, "{cmd}: {}", r.text());
        assert_eq!(r.json()["applied"], json!(applied));
    }
    // Clock commands are not actions, and actions are not clock commands.
    post_json(addr, &events, &json!({"action": "pause"}))
        .await
        .assert_error(400, "unknown_type", Some("action"));
    // Five beats at 80 bpm (3.75 s) at 2× real time, plus margin.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let s = get(addr, &format!("{base}/summary")).await.json();
    assert!(
        (s["heart_rate_bpm"].as_f64().unwrap() - 80.0).abs() < 1.0,
        "{s}"
    );
    assert_eq!(s["speed"], json!(2.0));

    // Pausing stops the clock.
    post_json(addr, &clock, &json!({"command": "pause"})).await;
    let t1 = get(addr, &base).await.json()["t_s"].as_f64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t2 = get(addr, &base).await.json()["t_s"].as_f64().unwrap();
    assert_eq!(t1, t2);

    for (ev, applied) in [
        (
            json!({"action": "infusion", "drug": "dobutamine", "dose_ug_kg_min": 5}),
            "infusion",
        ),
        (
            json!({"action": "set_device", "device": "impella", "active": true}),
            "set_device",
        ),
        (json!({"action": "arrest"}), "arrest"),
        (json!({"action": "rosc"}), "rosc"),
    ] {
        let r = post_json(addr, &events, &ev).await;
        assert_eq!(r.status, 200, "{ev}: {}", r.text());
        assert_eq!(r.json()["applied"], json!(applied));
    }
    // A weaning trial needs the circuit running (the session's circuit is parked).
    post_json(
        addr,
        &events,
        &json!({"action": "weaning_trial", "flows_l_min": [1.5]}),
    )
    .await
    .assert_error(422, "invalid_action", Some("action"));

    let r = delete(addr, &base).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["deleted"], json!(id));
    get(addr, &base)
        .await
        .assert_error(404, "unknown_session", Some("id"));
    delete(addr, &base)
        .await
        .assert_error(404, "unknown_session", Some("id"));
    post_json(addr, &clock, &json!({"command": "pause"}))
        .await
        .assert_error(404, "unknown_session", Some("id"));
    get(addr, &format!("{base}/summary"))
        .await
        .assert_error(404, "unknown_session", Some("id"));
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_session_requests_are_json_4xx() {
    let addr = start(Config::default()).await;
    let p = "/api/v1/sessions";
    for (body, status, code, field) in [
        ("{", 400, "invalid_json", None),
        ("", 400, "invalid_json", None),
        ("[1,2]", 400, "invalid_value", Some("[0]")),
        ("{\"preset\": \"healthy-adult\"} trailing", 400, "invalid_json", None),
        ("{\"preset\": 3}", 400, "invalid_value", Some("preset")),
        ("{\"preset\": \"healthy-adult\", \"colour\": 1}", 400, "unknown_field", Some("colour")),
        ("{}", 400, "missing_field", Some("preset")),
        ("{\"preset\": \"martian\"}", 422, "unknown_preset", Some("preset")),
        (
            "{\"preset\": \"healthy-adult\", \"overrides\": {\"heart_rate_bpm\": 1e300}}",
            422,
            "out_of_range",
            Some("overrides.heart_rate_bpm"),
        ),
        (
            "{\"preset\": \"healthy-adult\", \"overrides\": {\"heart_rate\": 80}}",
            400,
            "unknown_field",
            Some("overrides.heart_rate"),
        ),
        (
            "{\"preset\": \"healthy-adult\", \"overrides\": {\"chamber\": {\"lv\": {\"ees_mmhg_per_ml\": -5}}}}",
            422,
            "out_of_range",
            Some("overrides.chamber.lv.ees_mmhg_per_ml"),
        ),
        (
            "{\"preset\": \"healthy-adult\", \"overrides\": {\"chamber\": {\"xx\": {\"v0_ml\": 1}}}}",
            422,
            "unknown_name",
            Some("overrides.chamber.xx"),
        ),
        (
            "{\"preset\": \"healthy-adult\", \"overrides\": {\"preset\": \"x\"}}",
            400,
            "unknown_field",
            Some("overrides.preset"),
        ),
        ("{\"preset\": \"healthy-adult\", \"speed\": 1e9}", 422, "out_of_range", Some("speed")),
        ("{\"preset\": \"healthy-adult\", \"speed\": 0}", 422, "out_of_range", Some("speed")),
        ("{\"preset\": \"healthy-adult\", \"speed\": 1e999}", 400, "invalid_json", None),
        (
            "{\"preset\": \"healthy-adult\", \"overrides\": {\"heart_rate_bpm\": 80, \"heart_rate_bpm\": 120}}",
            400,
            "duplicate_key",
            Some("overrides.heart_rate_bpm"),
        ),
    ] {
        let r = post(addr, p, body).await;
        r.assert_error(status, code, field);
    }
    assert_eq!(get(addr, p).await.json()["sessions"], json!([]));

    let id = create_session(addr, "healthy-adult").await;
    let events = format!("/api/v1/sessions/{id}/events");
    for (body, status, code, field) in [
        ("{", 400, "invalid_json", None),
        ("null", 400, "invalid_json", None),
        (
            "{\"heart_rate_bpm\": 80}",
            400,
            "missing_field",
            Some("action"),
        ),
        (
            "{\"action\": \"teleport\"}",
            400,
            "unknown_type",
            Some("action"),
        ),
        (
            "{\"action\": \"set_heart_rate\"}",
            400,
            "missing_field",
            Some("heart_rate_bpm"),
        ),
        (
            "{\"action\": \"set_heart_rate\", \"heart_rate_bpm\": \"fast\"}",
            400,
            "invalid_value",
            Some("heart_rate_bpm"),
        ),
        (
            "{\"action\": \"set_heart_rate\", \"heart_rate_bpm\": 80, \"x\": 1}",
            400,
            "unknown_field",
            Some("x"),
        ),
        (
            "{\"action\": \"rosc\", \"now\": true}",
            400,
            "unknown_field",
            Some("now"),
        ),
        (
            "{\"action\": \"set_heart_rate\", \"heart_rate_bpm\": 1e308}",
            422,
            "out_of_range",
            Some("heart_rate_bpm"),
        ),
        (
            "{\"action\": \"set_heart_rate\", \"heart_rate_bpm\": -80}",
            422,
            "out_of_range",
            Some("heart_rate_bpm"),
        ),
        (
            "{\"action\": \"set_lv_contractility\", \"lv_contractility_scale\": 0}",
            422,
            "out_of_range",
            Some("lv_contractility_scale"),
        ),
        (
            "{\"action\": \"set_lv_contractility\", \"lv_contractility_scale\": 1e6}",
            422,
            "out_of_range",
            Some("lv_contractility_scale"),
        ),
        (
            "{\"action\": \"fluid\", \"volume_ml\": 1e9}",
            422,
            "out_of_range",
            Some("volume_ml"),
        ),
        (
            "{\"action\": \"fluid\", \"volume_ml\": -1e9}",
            422,
            "out_of_range",
            Some("volume_ml"),
        ),
    ] {
        let r = post(addr, &events, body).await;
        r.assert_error(status, code, field);
    }
    let clock = format!("/api/v1/sessions/{id}/clock");
    for (body, status, code, field) in [
        (
            "{\"command\": \"set_speed\", \"speed\": 1000}",
            422,
            "out_of_range",
            Some("speed"),
        ),
        (
            "{\"command\": \"set_speed\", \"speed\": -1}",
            422,
            "out_of_range",
            Some("speed"),
        ),
        (
            "{\"command\": \"pause\", \"now\": true}",
            400,
            "unknown_field",
            Some("now"),
        ),
        (
            "{\"command\": \"warp\"}",
            400,
            "unknown_type",
            Some("command"),
        ),
        (
            "{\"command\": \"advance_to\", \"t_s\": -5}",
            422,
            "out_of_range",
            Some("t_s"),
        ),
    ] {
        let r = post(addr, &clock, body).await;
        r.assert_error(status, code, field);
    }
    // The session survived all of that and still runs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = get(addr, &format!("/api/v1/sessions/{id}/summary")).await;
    assert_eq!(s.status, 200);
    assert!(s.json()["simulated_s"].as_f64().unwrap() > 0.1);
    // WebSocket endpoint without an upgrade.
    get(addr, &format!("/api/v1/sessions/{id}/stream"))
        .await
        .assert_error(426, "websocket_required", None);
    get(addr, "/api/v1/sessions/nope/stream")
        .await
        .assert_error(404, "unknown_session", Some("id"));
    assert_alive(addr).await;
}

const TOML_SCENARIO: &str = r#"
[patient]
preset = "healthy-adult"
heart_rate_bpm = 75

[simulation]
duration_s = 10
series_interval_s = 0.01
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_scenarios() {
    let addr = start(Config::default()).await;
    let r = request(
        addr,
        "POST",
        "/api/v1/run",
        Some("application/toml"),
        TOML_SCENARIO.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert!(j.get("series").is_none());
    let s = &j["summary"];
    assert_eq!(s["preset"], "healthy-adult");
    assert!((s["heart_rate_bpm"].as_f64().unwrap() - 75.0).abs() < 0.5);
    assert!(s["map_mmhg"].as_f64().unwrap() > 60.0);

    // The same as JSON, with the series.
    let scenario = json!({
        "patient": {"preset": "cardiogenic-shock-ami"},
        "simulation": {"duration_s": 5, "series_interval_s": 0.01}
    });
    let r = post_json(addr, "/api/v1/run?series=true", &scenario).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    let cols = j["series"]["columns"].as_array().unwrap();
    let data = j["series"]["data"].as_array().unwrap();
    assert_eq!(cols[0], "time_s");
    assert_eq!(cols.len(), data.len());
    let n = data[0].as_array().unwrap().len();
    assert!((500..=502).contains(&n), "{n} rows");
    assert!(cols.iter().any(|c| c == "p_lv_mmhg"));

    let r = post_json(addr, "/api/v1/run?until_steady=true", &scenario).await;
    assert_eq!(r.status, 200);

    // Errors.
    let big = json!({"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 3600}});
    post_json(addr, "/api/v1/run", &big).await.assert_error(
        422,
        "out_of_range",
        Some("simulation.duration_s"),
    );
    let rows = json!({"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 600, "series_interval_s": 0.001}});
    post_json(addr, "/api/v1/run?series=true", &rows)
        .await
        .assert_error(422, "too_many_rows", Some("simulation.series_interval_s"));
    post(addr, "/api/v1/run?series=maybe", "{}")
        .await
        .assert_error(400, "invalid_query", Some("query"));
    post(addr, "/api/v1/run?colour=red", "{}")
        .await
        .assert_error(400, "invalid_query", Some("colour"));
    for (ct, body, status, code, field) in [
        ("application/json", "{", 400, "invalid_json", None),
        ("application/json", "{\"patient\": {\"preset\": \"healthy-adult\"}}", 400, "missing_field", Some("simulation")),
        (
            "application/json",
            "{\"patient\": {\"preset\": \"healthy-adult\", \"hr\": 1}, \"simulation\": {\"duration_s\": 1}}",
            400,
            "unknown_field",
            Some("patient.hr"),
        ),
        (
            "application/json",
            "{\"patient\": {\"preset\": \"healthy-adult\"}, \"simulation\": {\"duration_s\": -1}}",
            422,
            "out_of_range",
            Some("simulation.duration_s"),
        ),
        (
            "application/json",
            "{\"patient\": {\"preset\": \"healthy-adult\", \"heart_rate_bpm\": 900}, \"simulation\": {\"duration_s\": 1}}",
            422,
            "out_of_range",
            Some("patient.heart_rate_bpm"),
        ),
        (
            "application/json",
            "{\"patient\": {\"preset\": \"nope\"}, \"simulation\": {\"duration_s\": 1}}",
            422,
            "unknown_preset",
            Some("patient.preset"),
        ),
        ("application/toml", "[patient\npreset=", 400, "invalid_json", None),
        (
            "application/toml",
            "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 1\nspeed = 3\n",
            400,
            "unknown_field",
            Some("simulation.speed"),
        ),
        ("text/plain", "hello", 415, "unsupported_media_type", Some("Content-Type")),
    ] {
        let r = request(addr, "POST", "/api/v1/run", Some(ct), body.as_bytes()).await;
        r.assert_error(status, code, field);
    }
    let r = request(
        addr,
        "POST",
        "/api/v1/run",
        Some("application/json"),
        &[0xff, 0xfe, 0x00],
    )
    .await;
    r.assert_error(400, "invalid_utf8", Some("body"));
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_and_assessment() {
    let addr = start(Config::default()).await;
    let patient = example_patient();
    let r = post_json(addr, "/api/v1/score/save", &patient).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let save = r.json();
    assert_eq!(save["name"], "SAVE");
    assert!(save["class"].as_str().is_some());
    assert!(!save["items"].as_array().unwrap().is_empty());
    assert!(save["citation"].as_str().unwrap().contains("Schmidt"));
    // Same result as the library.
    let lib = ecmova_clinical::scores::save::save(
        &ecmova_clinical::Patient::from_json(&patient.to_string()).unwrap(),
    )
    .unwrap();
    assert_eq!(save["score"], json!(lib.score));
    for name in ["encourage", "cardshock"] {
        let r = post_json(addr, &format!("/api/v1/score/{name}"), &patient).await;
        assert_eq!(r.status, 200, "{name}: {}", r.text());
        assert!(r.json()["score"].is_i64());
    }
    // TiPS65 needs arrest data: 422 naming the missing field.
    let r = post_json(addr, "/api/v1/score/tips65", &patient).await;
    let j = r.json();
    assert_eq!(r.status, 422, "{j}");
    assert!(j["field"].as_str().is_some());
    let r = post_json(addr, "/api/v1/assess", &patient).await;
    assert_eq!(r.status, 200);
    let a = r.json();
    assert_eq!(a["scai"]["status"], "computed");
    assert_eq!(a["save"]["result"]["score"], json!(lib.score));
    assert!(a["ecpr"].is_object() && a["contraindications"].is_object());

    for path in [
        "/api/v1/score/save",
        "/api/v1/score/encourage",
        "/api/v1/assess",
    ] {
        post(addr, path, "{\"age_years\": 50,")
            .await
            .assert_error(400, "invalid_json", None);
        post(addr, path, "{\"age_years\": 50, \"shoe_size\": 44}")
            .await
            .assert_error(400, "unknown_field", Some("shoe_size"));
        post(addr, path, "{\"age_years\": \"old\"}")
            .await
            .assert_error(400, "invalid_value", Some("age_years"));
        let mut absurd = patient.clone();
        absurd["age_years"] = json!(1e300);
        post_json(addr, path, &absurd)
            .await
            .assert_error(422, "out_of_range", Some("age_years"));
        post(addr, path, "{\"age_years\": 50}").await.assert_error(
            422,
            "missing_field",
            Some("sex"),
        );
    }
    let mut missing = patient.clone();
    missing
        .as_object_mut()
        .unwrap()
        .remove("bicarbonate_mmol_l");
    post_json(addr, "/api/v1/score/save", &missing)
        .await
        .assert_error(422, "missing_field", Some("bicarbonate_mmol_l"));
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_are_refused() {
    let addr = start(Config::default()).await;
    let id = create_session(addr, "healthy-adult").await;
    let filler = format!("{{\"patient_id\": \"{}\"}}", "x".repeat(70 * 1024));
    for path in [
        "/api/v1/sessions".to_string(),
        format!("/api/v1/sessions/{id}/events"),
        "/api/v1/run".to_string(),
        "/api/v1/score/save".to_string(),
        "/api/v1/score/encourage".to_string(),
        "/api/v1/assess".to_string(),
    ] {
        post(addr, &path, &filler)
            .await
            .assert_error(413, "body_too_large", Some("body"));
    }
    // Several MB sent at once, too.
    let huge = vec![b'['; 4 * 1024 * 1024];
    request(addr, "POST", "/api/v1/run", Some("application/json"), &huge)
        .await
        .assert_error(413, "body_too_large", Some("body"));
    // Just under the limit is read (and then judged on its content).
    let under = format!(
        "{{\"preset\": \"healthy-adult\", \"x\": \"{}\"}}",
        "y".repeat(60 * 1024)
    );
    post(addr, "/api/v1/sessions", &under)
        .await
        .assert_error(400, "unknown_field", Some("x"));
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_limits_and_expiry() {
    let addr = start(config(Limits {
        max_sessions: 2,
        idle_expiry_s: 0.4,
        max_ws_clients_per_session: 1,
        ..Limits::default()
    }))
    .await;
    let a = create_session(addr, "healthy-adult").await;
    let _b = create_session(addr, "regazzoni-2022").await;
    post_json(
        addr,
        "/api/v1/sessions",
        &json!({"preset": "healthy-adult"}),
    )
    .await
    .assert_error(429, "too_many_sessions", None);

    // One WebSocket client keeps a session alive past the idle expiry; a second is refused.
    let url = ws_url(addr, &a);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("ws connect");
    let second = tokio_tungstenite::connect_async(url.as_str()).await;
    match second {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 429);
        }
        other => panic!("second client was not refused: {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        get(addr, &format!("/api/v1/sessions/{a}")).await.status,
        200
    );
    // The other one (no client, no request) expired, which frees a slot.
    let list = get(addr, "/api/v1/sessions").await.json();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1, "{list}");
    let _c = create_session(addr, "healthy-adult").await;
    ws.close(None).await.ok();
    drop(ws);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    get(addr, &format!("/api/v1/sessions/{a}"))
        .await
        .assert_error(404, "unknown_session", Some("id"));
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_limits_timeout_and_busy() {
    let addr = start(config(Limits {
        request_timeout_s: 0.05,
        max_concurrent_runs: 1,
        ..Limits::default()
    }))
    .await;
    let long = json!({"patient": {"preset": "healthy-adult"}, "simulation": {"duration_s": 600}});
    let (r1, r2) = tokio::join!(post_json(addr, "/api/v1/run", &long), async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        post_json(addr, "/api/v1/run", &long).await
    });
    r1.assert_error(503, "timeout", None);
    let j = r2.json();
    assert_eq!(r2.status, 503, "{j}");
    assert!(j["error"] == "busy" || j["error"] == "timeout", "{j}");
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_streams_frames_and_beats() {
    let addr = start(Config::default()).await;
    let id = create_session(addr, "healthy-adult").await;
    let url = ws_url(addr, &id);
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("ws connect");
    let mut channels: Vec<String> = Vec::new();
    let mut frames = 0;
    let mut beats = 0;
    let mut statuses = 0;
    let mut last_t = f64::NEG_INFINITY;
    let mut radial = (f32::INFINITY, f32::NEG_INFINITY);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(2500);
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(2), ws.next()).await
        else {
            panic!("stream stalled");
        };
        match msg {
            WsMessage::Text(t) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                match v["type"].as_str().unwrap() {
                    "hello" => {
                        channels = v["channels"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|c| c["name"].as_str().unwrap().to_string())
                            .collect();
                    }
                    "beat" => {
                        beats += 1;
                        assert!(v["map_mmhg"].as_f64().unwrap() > 40.0);
                    }
                    "status" => statuses += 1,
                    _ => {}
                }
            }
            WsMessage::Binary(b) => {
                let f = ecmova_server::stream::decode_frame(&b).expect("frame");
                assert_eq!(f.n_channels, channels.len(), "hello first");
                frames += 1;
                let ir = channels
                    .iter()
                    .position(|c| c == "p_right_radial_mmhg")
                    .unwrap();
                for i in 0..f.len() {
                    let t = f.t0_s + f.samples[i * f.n_channels] as f64;
                    assert!(t > last_t, "time goes forward");
                    last_t = t;
                    let p = f.samples[i * f.n_channels + ir];
                    radial = (radial.0.min(p), radial.1.max(p));
                }
            }
            _ => {}
        }
    }
    for c in [
        "t_offset_s",
        "ecg_mv",
        "p_right_radial_mmhg",
        "p_pulmonary_artery_mmhg",
        "p_ra_mmhg",
        "p_lv_mmhg",
        "v_lv_ml",
        "v_right_radial_ml",
        "v_femoral_ml",
    ] {
        assert!(channels.iter().any(|x| x == c), "{c} in {channels:?}");
    }
    assert!(frames >= 40, "{frames} frames in 2.5 s");
    assert!(
        beats >= 2 && statuses >= 3,
        "{beats} beats, {statuses} statuses"
    );
    assert!(
        radial.0 > 40.0 && radial.1 < 200.0 && radial.1 - radial.0 > 20.0,
        "{radial:?}"
    );
    assert!(last_t > 2.0);
    // Deleting the session tells the client.
    delete(addr, &format!("/api/v1/sessions/{id}")).await;
    let mut closed = false;
    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(3), ws.next()).await {
        if let WsMessage::Text(t) = &m {
            if t.as_str().contains("\"closed\"") {
                closed = true;
            }
        }
        if matches!(m, WsMessage::Close(_)) {
            break;
        }
    }
    assert!(closed, "closed message");
    assert_alive(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_does_not_stall_the_session() {
    let addr = start(Config::default()).await;
    let id = create_session(addr, "healthy-adult").await;
    post_json(
        addr,
        &format!("/api/v1/sessions/{id}/clock"),
        &json!({"command": "set_speed", "speed": 10}),
    )
    .await;
    // Connect and never read: the server drops frames for it.
    let url = ws_url(addr, &id);
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let t0 = get(addr, &format!("/api/v1/sessions/{id}")).await.json()["t_s"]
        .as_f64()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t1 = get(addr, &format!("/api/v1/sessions/{id}")).await.json()["t_s"]
        .as_f64()
        .unwrap();
    assert!(t1 - t0 > 15.0, "advanced {} s in 2 s at 10×", t1 - t0);
    drop(ws);
    // Garbage on a raw connection does not hurt either.
    {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(b"\x00\x01NOT HTTP AT ALL\r\n\r\n").await;
    }
    assert_alive(addr).await;
}

/// ECMO in a live session: the circuit starts, the flow follows the pump speed, bad values are
/// refused naming the field, and a weaning trial brings the flow to its target and reports a
/// verdict. Sessions of the peer model (no cannulation sites) refuse ECMO.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecmo_and_weaning_in_a_live_session() {
    let addr = start(Config::default()).await;
    let id = create_session_with(
        addr,
        &json!({"preset": "cardiogenic-shock-ami", "speed": 10}),
    )
    .await;
    let base = format!("/api/v1/sessions/{id}");
    let events = format!("{base}/events");
    let summary = || async { get(addr, &format!("{base}/summary")).await.json() };

    let r = post_json(addr, &events, &json!({"action": "start_ecmo"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_json(
        addr,
        &events,
        &json!({"action": "set_pump_rpm", "rpm": 3000}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // 10× real time: 1.5 s of wall time is 15 s simulated, well past the circuit's settling.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let s = summary().await;
    assert_eq!(s["ecmo_running"], json!(true));
    let q1 = s["ecmo_flow_l_min"].as_f64().unwrap();
    assert!(q1 > 2.0, "{s}");
    assert!(
        s["alarms"].is_array() && s["mixing_zone"].is_string(),
        "{s}"
    );

    let r = post_json(
        addr,
        &events,
        &json!({"action": "set_pump_rpm", "rpm": 3600}),
    )
    .await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let q2 = summary().await["ecmo_flow_l_min"].as_f64().unwrap();
    assert!(q2 > q1 + 0.3, "flow {q1} -> {q2} after +600 rpm");

    post_json(
        addr,
        &events,
        &json!({"action": "set_pump_rpm", "rpm": 90000}),
    )
    .await
    .assert_error(422, "out_of_range", Some("rpm"));
    post_json(
        addr,
        &events,
        &json!({"action": "weaning_trial", "flows_l_min": [50]}),
    )
    .await
    .assert_error(422, "out_of_range", Some("flows_l_min[0]"));

    // An unrecovered heart: a large infarct leaves 60 % of the preset's LV contractility
    // (the preset's own average AMI-shock LV, LVEF ~30 %, sits on the echo thresholds).
    let r = post_json(
        addr,
        &events,
        &json!({"action": "set_lv_contractility", "lv_contractility_scale": 0.6}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_json(
        addr,
        &events,
        &json!({"action": "weaning_trial", "flows_l_min": [1.0]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The trial lasts 30 s simulated: 3 s of wall time at 10×, plus margin.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let s = summary().await;
    let w = &s["weaning_trial"];
    assert_eq!(w["completed"], json!(true), "{s}");
    let step = &w["steps"][0];
    assert!(
        (step["ecmo_flow_l_min"].as_f64().unwrap() - 1.0).abs() < 0.1,
        "{w}"
    );
    // The unrecovered AMI heart fails the trial (Aissaoui 2011 thresholds).
    assert_eq!(w["readiness"], json!("not_ready"), "{w}");

    let r = post_json(addr, &events, &json!({"action": "stop_ecmo"})).await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(summary().await["ecmo_running"], json!(false));

    let r = post_json(
        addr,
        "/api/v1/sessions",
        &json!({"preset": "regazzoni-2022"}),
    )
    .await;
    let peer = r.json()["id"].as_str().unwrap().to_string();
    post_json(
        addr,
        &format!("/api/v1/sessions/{peer}/events"),
        &json!({"action": "start_ecmo"}),
    )
    .await
    .assert_error(409, "not_available", Some("action"));
}

/// Drugs, unloading devices and arrest/ROSC in a live session act through the scenario
/// layer's models: dobutamine raises output, an Impella carries flow and lowers LVEDP, VF
/// stops the pulse (HR 0, flat pulse pressure) and ROSC restores it. Bad values are refused
/// naming the field; the peer model has no device sites.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drugs_devices_and_arrest_in_a_live_session() {
    let addr = start(Config::default()).await;
    let id = create_session_with(
        addr,
        &json!({"preset": "cardiogenic-shock-ami", "speed": 10}),
    )
    .await;
    let base = format!("/api/v1/sessions/{id}");
    let events = format!("{base}/events");
    let summary = || async { get(addr, &format!("{base}/summary")).await.json() };
    let f = |s: &Value, k: &str| s[k].as_f64().unwrap_or_else(|| panic!("{k} in {s}"));
    let caps = get(addr, "/api/v1/capabilities").await.json();
    for action in ["infusion", "set_device", "arrest", "rosc"] {
        assert!(
            caps["actions"].as_array().unwrap().contains(&json!(action)),
            "{caps}"
        );
    }

    // 10× real time: 2 s of wall time is 20 s simulated, enough to settle after each event.
    let settle = || tokio::time::sleep(Duration::from_millis(2000));
    post_json(addr, &events, &json!({"action": "start_ecmo"}))
        .await
        .assert_ok();
    post_json(
        addr,
        &events,
        &json!({"action": "set_pump_rpm", "rpm": 3500}),
    )
    .await
    .assert_ok();
    settle().await;
    let base_s = summary().await;
    let r = post_json(
        addr,
        &events,
        &json!({"action": "set_device", "device": "impella", "active": true, "performance_level": 8}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    settle().await;
    let imp = summary().await;
    assert!(f(&imp, "impella_flow_l_min") > 0.5, "{imp}");
    assert!(f(&imp, "lvedp_mmhg") < f(&base_s, "lvedp_mmhg") - 3.0);
    post_json(
        addr,
        &events,
        &json!({"action": "set_device", "device": "impella", "active": false}),
    )
    .await
    .assert_ok();

    let r = post_json(
        addr,
        &events,
        &json!({"action": "infusion", "drug": "dobutamine", "dose_ug_kg_min": 10}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    settle().await;
    let dob = summary().await;
    assert!(
        f(&dob, "lv_stroke_volume_ml") > f(&base_s, "lv_stroke_volume_ml"),
        "dobutamine: {dob}"
    );

    post_json(addr, &events, &json!({"action": "arrest", "rhythm": "vf"}))
        .await
        .assert_ok();
    settle().await;
    let vf = summary().await;
    assert_eq!(f(&vf, "heart_rate_bpm"), 0.0, "{vf}");
    assert!(f(&vf, "pulse_pressure_mmhg") < 2.0, "{vf}");
    assert!(
        f(&vf, "ecmo_flow_l_min") > 3.0,
        "ECMO carries the circulation: {vf}"
    );
    post_json(addr, &events, &json!({"action": "rosc"}))
        .await
        .assert_ok();
    settle().await;
    let rosc = summary().await;
    assert!(f(&rosc, "heart_rate_bpm") > 30.0, "{rosc}");
    assert!(f(&rosc, "pulse_pressure_mmhg") > 2.0, "{rosc}");

    for (ev, status, code, field) in [
        (
            json!({"action": "infusion", "drug": "adrenaline", "dose_ug_kg_min": 0.1}),
            400,
            "invalid_value",
            "drug",
        ),
        (
            json!({"action": "infusion", "drug": "norepinephrine", "dose_ug_kg_min": 50}),
            422,
            "out_of_range",
            "dose_ug_kg_min",
        ),
        (
            json!({"action": "set_device", "device": "ecpella", "active": true}),
            400,
            "invalid_value",
            "device",
        ),
        (
            json!({"action": "set_device", "device": "impella", "active": true, "performance_level": 12}),
            422,
            "out_of_range",
            "performance_level",
        ),
        (
            json!({"action": "arrest", "rhythm": "sinus"}),
            400,
            "invalid_value",
            "rhythm",
        ),
    ] {
        post_json(addr, &events, &ev)
            .await
            .assert_error(status, code, Some(field));
    }
    let r = post_json(
        addr,
        "/api/v1/sessions",
        &json!({"preset": "regazzoni-2022"}),
    )
    .await;
    let peer = r.json()["id"].as_str().unwrap().to_string();
    post_json(
        addr,
        &format!("/api/v1/sessions/{peer}/events"),
        &json!({"action": "set_device", "device": "iabp", "active": true}),
    )
    .await
    .assert_error(409, "not_available", Some("device"));
}

/// A session created with `overrides: {"baroreflex": true}` carries the reflex: after a bleed
/// its heart rate rises (a session without it keeps its rate). The peer model cannot have one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baroreflex_in_a_live_session() {
    let addr = start(Config::default()).await;
    let mut ids = Vec::new();
    for reflex in [true, false] {
        ids.push(
            create_session_with(
                addr,
                &json!({"preset": "healthy-adult", "speed": 10, "overrides": {"baroreflex": reflex}}),
            )
            .await,
        );
    }
    // 3 s of wall time at 10× is 30 s simulated: past the start-up transient.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let mut hr0 = Vec::new();
    for id in &ids {
        let s = get(addr, &format!("/api/v1/sessions/{id}/summary"))
            .await
            .json();
        hr0.push(s["heart_rate_bpm"].as_f64().unwrap());
        post_json(
            addr,
            &format!("/api/v1/sessions/{id}/events"),
            &json!({"action": "fluid", "volume_ml": -300}),
        )
        .await
        .assert_ok();
    }
    tokio::time::sleep(Duration::from_millis(3000)).await;
    for (k, id) in ids.iter().enumerate() {
        let s = get(addr, &format!("/api/v1/sessions/{id}/summary"))
            .await
            .json();
        let hr = s["heart_rate_bpm"].as_f64().unwrap();
        println!("baroreflex {}: HR {:.1} -> {hr:.1}", k == 0, hr0[k]);
        assert_eq!(s["baroreflex"], json!(k == 0));
        if k == 0 {
            assert!(hr > hr0[k] + 2.0, "{s}");
        } else {
            assert!((hr - hr0[k]).abs() < 0.5, "{s}");
        }
    }
    post_json(
        addr,
        "/api/v1/sessions",
        &json!({"preset": "regazzoni-2022", "overrides": {"baroreflex": true}}),
    )
    .await
    .assert_error(422, "not_applicable", Some("overrides.baroreflex"));
}

/// A scenario's event error names the event and its key (`events[0].heart_rate_bpm`), and an
/// `[ecmo]` error names the `ecmo.` key, not a `patient.` one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_errors_name_the_event_key() {
    let addr = start(Config::default()).await;
    let bad_event = json!({
        "patient": {"preset": "healthy-adult"},
        "events": [{"at_s": 1, "action": "set_heart_rate", "heart_rate_bpm": 10}],
        "simulation": {"duration_s": 5}
    });
    post_json(addr, "/api/v1/run", &bad_event)
        .await
        .assert_error(422, "invalid_event", Some("events[0].heart_rate_bpm"));
    let bad_ecmo = json!({
        "patient": {"preset": "healthy-adult"},
        "ecmo": {"enabled": true, "pump_rpm": 9000},
        "simulation": {"duration_s": 5}
    });
    post_json(addr, "/api/v1/run", &bad_ecmo)
        .await
        .assert_error(422, "out_of_range", Some("ecmo.pump_rpm"));
}
