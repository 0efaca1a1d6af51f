//! The OpenAPI document: valid OpenAPI 3.1 (openapi-spec-validator, installed by `.ci/run`),
//! and every endpoint's real answer validates against the schema it documents.

mod common;

use common::*;
use ecmova_server::Config;
use serde_json::{json, Value};

/// Validates `body` against the success (or `default` error) schema of `method path`.
fn check(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let responses = &op["responses"];
    let key = status.to_string();
    let response = if responses.get(&key).is_some() {
        &responses[&key]
    } else {
        assert!(
            status >= 400,
            "{method} {path}: status {status} is not documented"
        );
        &responses["default"]
    };
    let schema = &response["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path} {status}: no schema");
    // Validate with the whole document as the root, so that `#/components/schemas/...` resolve.
    let mut root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema"});
    root["components"] = doc["components"].clone();
    for (k, v) in schema.as_object().unwrap() {
        root[k] = v.clone();
    }
    let validator = jsonschema::validator_for(&root)
        .unwrap_or_else(|e| panic!("{method} {path}: schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: the answer does not match its schema: {errors:?}\n{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_as_documented() {
    let addr = start(Config::default()).await;
    let doc = get(addr, "/api/v1/openapi.json").await.assert_ok();
    let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let ok = |method: &str, path: &str, r: Resp| {
        check(&doc, method, path, r.status, &r.json());
        seen.borrow_mut().insert(format!("{method} {path}"));
        r.json()
    };
    ok("get", "/api/v1/presets", get(addr, "/api/v1/presets").await);
    ok(
        "get",
        "/api/v1/capabilities",
        get(addr, "/api/v1/capabilities").await,
    );
    ok(
        "get",
        "/api/v1/openapi.json",
        get(addr, "/api/v1/openapi.json").await,
    );
    let created = ok(
        "post",
        "/api/v1/sessions",
        post_json(
            addr,
            "/api/v1/sessions",
            &json!({"preset": "cardiogenic-shock-ami", "paused": true}),
        )
        .await,
    );
    let id = created["id"].as_str().unwrap().to_string();
    let s = "/api/v1/sessions/{id}";
    let base = format!("/api/v1/sessions/{id}");
    ok(
        "get",
        "/api/v1/sessions",
        get(addr, "/api/v1/sessions").await,
    );
    ok("get", s, get(addr, &base).await);
    ok(
        "post",
        "/api/v1/sessions/{id}/clock",
        post_json(
            addr,
            &format!("{base}/clock"),
            &json!({"command": "advance_to", "t_s": 4.0}),
        )
        .await,
    );
    ok(
        "post",
        "/api/v1/sessions/{id}/events",
        post_json(
            addr,
            &format!("{base}/events"),
            &json!({"action": "start_ecmo"}),
        )
        .await,
    );
    ok(
        "post",
        "/api/v1/sessions/{id}/events",
        post_json(
            addr,
            &format!("{base}/events"),
            &json!({"action": "set_device", "device": "iabp", "active": true}),
        )
        .await,
    );
    post_json(
        addr,
        &format!("{base}/clock"),
        &json!({"command": "advance_to", "t_s": 10.0}),
    )
    .await
    .assert_ok();
    let summary = ok(
        "get",
        "/api/v1/sessions/{id}/summary",
        get(addr, &format!("{base}/summary")).await,
    );
    assert!(summary["alarms"].is_array() && summary["ecmo_flow_l_min"].is_number());
    ok(
        "get",
        "/api/v1/sessions/{id}/snapshot",
        get(addr, &format!("{base}/snapshot")).await,
    );
    ok(
        "get",
        "/api/v1/sessions/{id}/log",
        get(addr, &format!("{base}/log")).await,
    );
    ok(
        "get",
        "/api/v1/sessions/{id}/trends",
        get(addr, &format!("{base}/trends")).await,
    );
    let pv = ok(
        "get",
        "/api/v1/sessions/{id}/pv_relations",
        get(addr, &format!("{base}/pv_relations")).await,
    );
    assert!(pv["espvr_points"].as_array().is_some_and(|a| a.len() > 2));
    ok(
        "get",
        "/api/v1/sessions/{id}/debrief",
        get(addr, &format!("{base}/debrief?format=json")).await,
    );
    ok(
        "post",
        "/api/v1/sessions/{id}/alarms",
        post_json(
            addr,
            &format!("{base}/alarms"),
            &json!({"command": "silence"}),
        )
        .await,
    );
    ok(
        "post",
        "/api/v1/sessions/{id}/permissions",
        post_json(
            addr,
            &format!("{base}/permissions"),
            &json!({"learner_actions": ["set_pump_rpm", "fluid"]}),
        )
        .await,
    );
    // Errors answer with the documented error object.
    ok(
        "post",
        "/api/v1/sessions/{id}/events",
        post_json(
            addr,
            &format!("{base}/events"),
            &json!({"action": "set_pump_rpm", "rpm": 1e9}),
        )
        .await,
    );
    ok("delete", s, request(addr, "DELETE", &base, None, b"").await);
    let run = json!({
        "patient": {"preset": "healthy-adult"},
        "ecmo": {"enabled": true},
        "devices": [{"kind": "impella"}],
        "events": [{"at_s": 2, "action": "weaning_trial", "flows_l_min": [2.0], "step_s": 5}],
        "simulation": {"duration_s": 9, "series_interval_s": 0.1}
    });
    let r = ok(
        "post",
        "/api/v1/run",
        post(addr, "/api/v1/run?series=true", &run.to_string()).await,
    );
    assert!(r["summary"]["weaning_trial"].is_object(), "{r}");
    let patient = example_patient().to_string();
    for score in ["save", "encourage", "cardshock", "tips65"] {
        let path = format!("/api/v1/score/{score}");
        let r = post(addr, &path, &patient).await;
        // A score may not apply to the example patient: then a documented error.
        check(&doc, "post", &path, r.status, &r.json());
        seen.borrow_mut().insert(format!("post {path}"));
    }
    ok(
        "post",
        "/api/v1/assess",
        post(addr, "/api/v1/assess", &patient).await,
    );
    // Every documented operation was exercised (the stream is tested over WebSocket in api.rs).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "post", "delete"] {
            if item.get(m).is_some() && !path.ends_with("/stream") {
                assert!(
                    seen.borrow().contains(&format!("{m} {path}")),
                    "{m} {path} not exercised"
                );
            }
        }
    }
}

/// The document is valid OpenAPI 3.1 by an independent validator (openapi-spec-validator,
/// from PyPI; `.ci/run` installs it). Without it the test says it skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_valid_openapi() {
    let has_validator = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if !has_validator {
        eprintln!(
            "SKIP: openapi-spec-validator is not installed (pip install openapi-spec-validator)"
        );
        return;
    }
    let addr = start(Config::default()).await;
    let doc = get(addr, "/api/v1/openapi.json").await.assert_ok();
    let path = std::env::temp_dir().join(format!("ecmova-openapi-{}.json", std::process::id()));
    std::fs::write(&path, doc.to_string()).expect("write");
    let out = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .expect("run the validator");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "openapi-spec-validator: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
