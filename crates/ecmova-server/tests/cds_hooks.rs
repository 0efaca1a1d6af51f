//! CDS Hooks 2.0 in `ecmova serve`, and `POST /api/v1/assess` with a FHIR Bundle: the
//! specification's example requests, the example Bundles and malformed requests are each
//! answered with cards or a clear JSON error; the JWT of the CDS client is verified.

mod common;

use common::*;
use ecmova_server::cds::CdsJwt;
use ecmova_server::Config;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

/// A P-384 key pair made for these tests only (never used elsewhere).
const TEST_EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCzjZA0G0mb3dSHyETs
/XuFoefbC7+9U0vy1LeWq2aek+gJ+lTu5LyIikA1jfdblwahZANiAATnlHIEMdUd
ua5cOQuxi2ICxabKgAwhq7DoUHMpdQs6Rbctm4b9VG46F7qfd2Zuh6RwQl7emgBI
tmngNuZNPzPKzQQRMQbIxYv2wZ2BPjaNR5XMM7VyzCxfXN4qOcg0r28=
-----END PRIVATE KEY-----
";
const TEST_EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE55RyBDHVHbmuXDkLsYtiAsWmyoAMIauw
6FBzKXULOkW3LZuG/VRuOhe6n3dmboekcEJe3poASLZp4DbmTT8zys0EETEGyMWL
9sGdgT42jUeVzDO1cswsX1zeKjnINK9v
-----END PUBLIC KEY-----
";

fn bundle(name: &str) -> Value {
    let p = format!(
        "{}/../../examples/fhir/{name}.bundle.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The prefetch of a hook call built from an example Bundle: the Patient, and search-set
/// Bundles of conditions, observations, procedures and encounters.
fn prefetch(b: &Value) -> (String, Value) {
    let entries = b["entry"].as_array().unwrap();
    let of = |t: &str| {
        json!({"resourceType": "Bundle", "type": "searchset",
            "entry": entries.iter().filter(|e| e["resource"]["resourceType"] == t).cloned().collect::<Vec<_>>()})
    };
    let patient = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .unwrap()["resource"]
        .clone();
    let id = patient["id"].as_str().unwrap().to_string();
    (
        id,
        json!({"patient": patient, "conditions": of("Condition"), "observations": of("Observation"),
            "procedures": of("Procedure"), "encounters": of("Encounter")}),
    )
}

fn hook_request(hook: &str, name: &str) -> Value {
    let (id, prefetch) = prefetch(&bundle(name));
    json!({
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": hook,
        "context": {"userId": "Practitioner/example", "patientId": id},
        "prefetch": prefetch
    })
}

async fn call(addr: SocketAddr, path: &str, body: &Value, auth: Option<&str>) -> Resp {
    let h = auth
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    raw_request(
        addr,
        "POST",
        path,
        Some("application/json"),
        &h,
        body.to_string().as_bytes(),
        Duration::from_secs(60),
    )
    .await
    .expect("response")
}

const HOOK: &str = "/cds-services/vaecmo-assessment";

fn check_cards(r: &Resp) -> Vec<Value> {
    let j = r.assert_ok();
    let cards = j["cards"].as_array().expect("cards").clone();
    assert!(!cards.is_empty());
    for c in &cards {
        let s = c["summary"].as_str().unwrap();
        assert!(!s.is_empty() && s.chars().count() < 140, "{s}");
        assert!(["info", "warning", "critical"].contains(&c["indicator"].as_str().unwrap()));
        assert!(!c["source"]["label"].as_str().unwrap().is_empty());
        assert!(!c["detail"].as_str().unwrap().is_empty());
        assert!(c["links"].as_array().is_some_and(|l| !l.is_empty()));
        assert_eq!(c["uuid"].as_str().unwrap().len(), 36);
    }
    cards
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_both_hooks_with_prefetch() {
    let addr = start(Config::default()).await;
    let d = get(addr, "/cds-services").await.assert_ok();
    let services = d["services"].as_array().unwrap();
    let hooks: Vec<&str> = services
        .iter()
        .map(|s| s["hook"].as_str().unwrap())
        .collect();
    assert_eq!(hooks, ["patient-view", "order-select"]);
    for s in services {
        for k in [
            "patient",
            "conditions",
            "observations",
            "procedures",
            "encounters",
        ] {
            assert!(
                s["prefetch"][k]
                    .as_str()
                    .unwrap()
                    .contains("{{context.patientId}}"),
                "{k}"
            );
        }
        assert!(s["prefetch"]["observations"]
            .as_str()
            .unwrap()
            .contains("http://loinc.org|2160-0"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_calls_with_the_example_bundles_return_cards() {
    let addr = start(Config::default()).await;
    // On ECMO (myocarditis): the assessment card; indicator follows the verdict.
    let r = call(
        addr,
        HOOK,
        &hook_request("patient-view", "fulminant_myocarditis"),
        None,
    )
    .await;
    let cards = check_cards(&r);
    assert!(cards[0]["summary"]
        .as_str()
        .unwrap()
        .starts_with("VA-ECMO: on ECMO"));
    assert_eq!(cards[0]["indicator"], "info");
    assert!(cards[0]["source"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://doi.org/"));
    assert!(cards[0]["detail"]
        .as_str()
        .unwrap()
        .contains("**FHIR data**"));
    // The same assessment through order-select.
    let r = call(
        addr,
        "/cds-services/vaecmo-assessment-order-select",
        &hook_request("order-select", "ami_cardiogenic_shock"),
        None,
    )
    .await;
    let cards = check_cards(&r);
    let verdict_words = [
        "not indicated",
        "consider",
        "individualised decision",
        "contraindicated",
        "undetermined",
    ];
    assert!(verdict_words
        .iter()
        .any(|w| cards[0]["summary"].as_str().unwrap().contains(w)));
    // The ECPR example carries its arrest times in ecmova's own code system (no SNOMED CT
    // code for CPR is verified, docs/fhir-mapping.md): a verdict card, not an error.
    let r = call(addr, HOOK, &hook_request("patient-view", "ecpr_ohca"), None).await;
    let cards = check_cards(&r);
    let summary = cards[0]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("VA-ECMO: ") && verdict_words.iter().any(|w| summary.contains(w)),
        "{cards:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specification_example_requests_without_our_prefetch_get_412() {
    let addr = start(Config::default()).await;
    // The shape of the CDS Hooks 2.0 patient-view example: a FHIR server and its token, a
    // prefetch keyed for another service.
    let spec_patient_view = json!({
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "http://hooks.smarthealthit.org:9080",
        "hook": "patient-view",
        "fhirAuthorization": {"access_token": "some-opaque-fhir-access-token", "token_type": "Bearer",
            "expires_in": 300, "scope": "user/Patient.read user/Observation.read", "subject": "cds-service4"},
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"patientToGreet": {"resourceType": "Patient", "gender": "male",
            "birthDate": "1925-12-23", "id": "1288992", "active": true}}
    });
    let r = call(addr, HOOK, &spec_patient_view, None).await;
    let e = r.assert_error(412, "prefetch_missing", Some("prefetch.patient"));
    assert!(e["message"].as_str().unwrap().contains("does not fetch"));
    // The order-select example: selections and draft orders, no prefetch, no FHIR server.
    let spec_order_select = json!({
        "hook": "order-select",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "PractitionerRole/123", "patientId": "1288992", "encounterId": "89284",
            "selections": ["MedicationRequest/smart-MedicationRequest-103"],
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": {
                "resourceType": "MedicationRequest", "id": "smart-MedicationRequest-103",
                "status": "draft", "intent": "order", "subject": {"reference": "Patient/1288992"}}}]}}
    });
    let r = call(
        addr,
        "/cds-services/vaecmo-assessment-order-select",
        &spec_order_select,
        None,
    )
    .await;
    let e = r.assert_error(412, "prefetch_missing", Some("prefetch.patient"));
    assert!(e["message"].as_str().unwrap().contains("no fhirServer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_hook_calls_are_clear_errors() {
    let addr = start(Config::default()).await;
    let good = hook_request("patient-view", "fulminant_myocarditis");
    let mut wrong_hook = good.clone();
    wrong_hook["hook"] = json!("order-select");
    call(addr, HOOK, &wrong_hook, None)
        .await
        .assert_error(400, "wrong_hook", Some("hook"));
    let mut no_instance = good.clone();
    no_instance.as_object_mut().unwrap().remove("hookInstance");
    call(addr, HOOK, &no_instance, None)
        .await
        .assert_error(400, "invalid_request", Some("."));
    call(addr, "/cds-services/nope", &good, None)
        .await
        .assert_error(404, "unknown_service", Some("id"));
    let mut mismatch = good.clone();
    mismatch["context"]["patientId"] = json!("someone-else");
    call(addr, HOOK, &mismatch, None).await.assert_error(
        400,
        "patient_mismatch",
        Some("prefetch.patient.id"),
    );
    let mut bad_resource = good.clone();
    bad_resource["prefetch"]["observations"] = json!({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation", "code": 7}}]});
    call(addr, HOOK, &bad_resource, None).await.assert_error(
        400,
        "invalid_prefetch",
        Some("prefetch.observations.entry[0].resource.code"),
    );
    let r = raw_request(
        addr,
        "POST",
        HOOK,
        Some("application/json"),
        "",
        b"{not json",
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    // Unknown codes, a unit that does not convert, two conflicting creatinine values: cards,
    // with the data problems on their own card.
    let mut messy = good.clone();
    let obs = |id: &str, code: &str, v: f64, unit: &str| {
        json!({"resource": {"resourceType": "Observation", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]}, "effectiveDateTime": "2026-03-01T11:45:00Z",
        "valueQuantity": {"value": v, "system": "http://unitsofmeasure.org", "code": unit}}})
    };
    let list = messy["prefetch"]["observations"]["entry"]
        .as_array_mut()
        .unwrap();
    list.push(obs("cr-a", "14682-9", 90.0, "umol/L"));
    list.push(obs("cr-b", "2160-0", 3.0, "mg/dL"));
    list.push(obs("lac-x", "2524-7", 3.0, "g/dL"));
    list.push(obs("unknown", "12345-6", 1.0, "1"));
    let cards = check_cards(&call(addr, HOOK, &messy, None).await);
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[1]["indicator"], "warning");
    let s = cards[1]["summary"].as_str().unwrap();
    assert!(
        s.contains("creatinine_umol_l") && s.contains("lactate_mmol_l"),
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_is_checked_and_discarded() {
    let addr = start(Config::default()).await;
    let ok = json!({"feedback": [{"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "accepted",
        "outcomeTimestamp": "2026-03-01T12:00:00Z"}]});
    assert_eq!(
        call(addr, "/cds-services/vaecmo-assessment/feedback", &ok, None)
            .await
            .assert_ok(),
        json!({})
    );
    let bad = json!({"feedback": [{"card": "x", "outcome": "maybe"}]});
    call(addr, "/cds-services/vaecmo-assessment/feedback", &bad, None)
        .await
        .assert_error(400, "invalid_feedback", Some("feedback[0].outcome"));
}

fn jwt(aud: &str, exp_offset: i64, key: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({"iss": "https://ehr.example", "sub": "client-1", "aud": aud,
        "exp": now + exp_offset, "iat": now, "jti": format!("jti-{now}-{exp_offset}")});
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES384);
    h.typ = Some("JWT".into());
    jsonwebtoken::encode(
        &h,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_pem(key.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cds_client_jwt_is_verified_with_a_static_key() {
    let jwt_config =
        CdsJwt::from_key_text(TEST_EC_PUBLIC, Some("https://ehr.example".into()), None).unwrap();
    let addr = start(Config {
        cds_jwt: Some(jwt_config),
        ..Config::default()
    })
    .await;
    let req = hook_request("patient-view", "fulminant_myocarditis");
    let aud = format!("http://{addr}{HOOK}");
    call(addr, HOOK, &req, None)
        .await
        .assert_error(401, "unauthorized", Some("Authorization"));
    check_cards(&call(addr, HOOK, &req, Some(&jwt(&aud, 300, TEST_EC_PRIVATE))).await);
    let e = call(
        addr,
        HOOK,
        &req,
        Some(&jwt(
            "https://elsewhere/cds-services/other",
            300,
            TEST_EC_PRIVATE,
        )),
    )
    .await;
    e.assert_error(401, "unauthorized", Some("Authorization"));
    let e = call(addr, HOOK, &req, Some(&jwt(&aud, -600, TEST_EC_PRIVATE))).await;
    assert!(
        e.assert_error(401, "unauthorized", Some("Authorization"))["message"]
            .as_str()
            .unwrap()
            .contains("xpired")
    );
    // Signed by another key.
    let other = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBE597JAhZq9u4xny8+
myih0ZMpOQ+QQF7ZR4vNSxbViPm9wvKgnSDVqjzFneqgWSGhZANiAAQsgwxb1XAO
J8nJRHAsrgY0+Dx6x952BlVqkGGW9mwg0vnI7LV72qqqmh3iSfl/jF3mxF/PODKL
nnllYdkWykaMhkxQIE/yBH6kwjdXXVxIL7qrpHI1Ze38afcZ+b/vXnQ=
-----END PRIVATE KEY-----
";
    call(addr, HOOK, &req, Some(&jwt(&aud, 300, other)))
        .await
        .assert_error(401, "unauthorized", Some("Authorization"));
    // Garbage is refused, never a panic.
    call(addr, HOOK, &req, Some("not.a.jwt"))
        .await
        .assert_error(401, "unauthorized", Some("Authorization"));
    // Discovery stays open (it carries no patient data).
    get(addr, "/cds-services").await.assert_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_calls_are_refused_off_loopback_without_a_key() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(ecmova_server::serve(listener, Config::default()));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let req = hook_request("patient-view", "fulminant_myocarditis");
    call(addr, HOOK, &req, None)
        .await
        .assert_error(403, "cds_auth_not_configured", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assess_accepts_a_fhir_bundle() {
    let addr = start(Config {
        limits: ecmova_server::Limits {
            max_body_bytes: 256 * 1024,
            ..Default::default()
        },
        ..Config::default()
    })
    .await;
    let b = bundle("ami_cardiogenic_shock");
    let r = request(
        addr,
        "POST",
        "/api/v1/assess?at=2026-03-01T12:00:00Z",
        Some("application/fhir+json"),
        b.to_string().as_bytes(),
    )
    .await;
    let mut a = r.assert_ok();
    let mapping = a.as_object_mut().unwrap().remove("fhir_mapping").unwrap();
    assert_eq!(mapping["assessment_time"], "2026-03-01T12:00:00Z");
    let p = std::fs::read_to_string(format!(
        "{}/../../examples/patients/ami_cardiogenic_shock.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let j = post(addr, "/api/v1/assess", &p).await.assert_ok();
    assert_eq!(a, j);
    // A wrong resource type is a clear 400 naming the element.
    let r = request(
        addr,
        "POST",
        "/api/v1/assess",
        Some("application/fhir+json"),
        br#"{"resourceType":"Observation"}"#,
    )
    .await;
    r.assert_error(400, "invalid_fhir", Some("resourceType"));
    // fhir+json is accepted on this route only.
    let r = request(
        addr,
        "POST",
        "/api/v1/score/save",
        Some("application/fhir+json"),
        b"{}",
    )
    .await;
    assert_eq!(r.status, 415);
}
