//! Latency of one CDS Hooks call (issue 17: < 100 ms per hook request): parse the request,
//! build the Bundle from the prefetch, map it, assess, build the cards. The HTTP layer adds
//! a socket round trip on top (not measured here). Figures: docs/performance.md.

use criterion::{criterion_group, criterion_main, Criterion};
use ecmova_fhir::{assess_bundle_json, cds, time, AssessmentTime};
use serde_json::{json, Value};
use std::hint::black_box;

fn example(name: &str) -> Value {
    let p = format!(
        "{}/../../examples/fhir/{name}.bundle.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).expect("example bundle")).expect("json")
}

fn hook_request(b: &Value) -> Vec<u8> {
    let entries = b["entry"].as_array().expect("entries");
    let of = |t: &str| {
        json!({"resourceType": "Bundle", "type": "searchset",
            "entry": entries.iter().filter(|e| e["resource"]["resourceType"] == t).cloned().collect::<Vec<_>>()})
    };
    let patient = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Patient")
        .expect("patient")["resource"]
        .clone();
    json!({
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": patient["id"]},
        "prefetch": {"patient": patient, "conditions": of("Condition"), "observations": of("Observation"),
            "procedures": of("Procedure"), "encounters": of("Encounter")}
    })
    .to_string()
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let at = time::parse("2026-03-01T12:00:00Z").expect("time");
    for name in ["fulminant_myocarditis", "ami_cardiogenic_shock"] {
        let b = example(name);
        let body = hook_request(&b);
        let mut n = 0u64;
        let mut uuid = move || {
            n += 1;
            format!("00000000-0000-4000-8000-{n:012}")
        };
        // Sanity: the request is answered with cards.
        let r =
            cds::handle(&body, cds::SERVICE_ID, at, "http://localhost", &mut uuid).expect("cards");
        assert!(!r.cards.is_empty());
        c.bench_function(&format!("cds_hook_patient_view_{name}"), |bch| {
            bch.iter(|| {
                cds::handle(
                    black_box(&body),
                    cds::SERVICE_ID,
                    at,
                    "http://localhost",
                    &mut uuid,
                )
                .expect("cards")
            })
        });
        let text = b.to_string();
        c.bench_function(&format!("assess_bundle_{name}"), |bch| {
            bch.iter(|| {
                assess_bundle_json(black_box(&text), AssessmentTime::Given(at)).expect("assessment")
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
