//! Fuzz target 4: the session action decoder (`POST /sessions/{id}/events` bodies and the
//! `[[events]]` of scenario files decode to the same [`Action`]). Random JSON objects with an
//! action name (or a wrong one) and random fields with edge values are decoded; every accepted
//! action is applied to a live session's simulation (the server's `Scenario::live`: parked
//! circuit and devices) which then advances. A panic, or a non-finite number in an accepted
//! input's summary, fails the target; refusals (decode, apply) are outcomes.

use ecmova_fuzz::{drive, Budget, Outcome, Verdict};
use ecmova_scenario::wire::Patient;
use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const BOUNDED_CASES: u64 = 48;

/// Every field name the actions use (from `Action`), plus one that none uses.
const FIELDS: &[&str] = &[
    "active",
    "balloon_volume_ml",
    "cannulation",
    "dead_space_fraction",
    "device",
    "diameter_mm",
    "dose_ug_kg_min",
    "dose_u_min",
    "drainage_cannula_fr",
    "drug",
    "failure",
    "fdo2",
    "fio2",
    "flows_l_min",
    "heart_rate_bpm",
    "hemoglobin_g_dl",
    "lung_shunt_fraction",
    "lv_contractility_scale",
    "rv_contractility_scale",
    "svr_scale",
    "map_low_mmhg",
    "heart_rate_high_bpm",
    "minute_ventilation_l_min",
    "oxygenator",
    "performance_level",
    "pump",
    "ratio",
    "return_cannula_fr",
    "rhythm",
    "rpm",
    "step_s",
    "sweep_l_min",
    "volume_ml",
    "bogus",
];

const PRESETS: &[&str] = &[
    "healthy-adult",
    "cardiogenic-shock-ami",
    "massive-pulmonary-embolism",
    "refractory-vf-arrest",
    "regazzoni-2022",
];

const WORDS: &[&str] = &[
    "iabp",
    "impella",
    "lv_vent",
    "septostomy",
    "norepinephrine",
    "dobutamine",
    "milrinone",
    "epinephrine",
    "vasopressin",
    "central",
    "femoro-femoral",
    "femoro-axillary",
    "pump_failure",
    "oxygenator_failure",
    "pump_thrombosis",
    "rotaflow",
    "centrimag",
    "quadrox-id",
    "hls-7",
    "vf",
    "asystole",
    "",
    "x",
];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            -1e300, -1e6, -1500.0, -400.0, -1.0, 0.0, 1e-9, 0.21, 0.5, 1.0, 2.0, 3.5, 21.0, 40.0,
            250.0, 3000.0, 5000.0, 1e6, 1e300
        ])
        .prop_map(|x| json!(x)),
        (-10.0f64..10000.0).prop_map(|x| json!(x)),
        any::<bool>().prop_map(|b| json!(b)),
        prop::sample::select(WORDS.to_vec()).prop_map(|w| json!(w)),
        prop::collection::vec(-1.0f64..6.0, 0..5).prop_map(|v| json!(v)),
        Just(Value::Null),
    ]
}

fn action() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(
            Action::NAMES
                .iter()
                .copied()
                .chain(["no_such_action"])
                .collect::<Vec<_>>(),
        ),
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), value()), 0..4),
    )
        .prop_map(|(name, fields)| {
            let mut m = Map::new();
            m.insert("action".into(), json!(name));
            for (k, v) in fields {
                m.insert(k.into(), v);
            }
            Value::Object(m)
        })
}

#[derive(Debug, Clone)]
struct Case {
    preset: &'static str,
    actions: Vec<Value>,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(PRESETS.to_vec()),
        prop::collection::vec(action(), 1..5),
    )
        .prop_map(|(preset, actions)| Case { preset, actions })
}

fn show(c: &Case) -> String {
    format!(
        "preset {}\n{}",
        c.preset,
        serde_json::to_string_pretty(&c.actions).unwrap_or_default()
    )
}

fn finite(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
        Value::Array(a) => a.iter().all(finite),
        Value::Object(m) => m.values().all(finite),
        _ => true,
    }
}

fn property(c: &Case) -> Result<Verdict, String> {
    let patient: Patient = serde_json::from_value(json!({ "preset": c.preset }))
        .map_err(|e| format!("patient: {e}"))?;
    let mut sim = Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default())
        .map_err(|e| format!("live scenario of {}: {e}", c.preset))?;
    let mut applied = 0;
    for body in &c.actions {
        let Ok(action) = serde_json::from_value::<Action>(body.clone()) else {
            continue;
        };
        if sim.apply(action).is_err() {
            continue;
        }
        applied += 1;
        let until = sim.time_s() + 3.0;
        if let Err(e) = sim.advance_to(until, &mut ()) {
            return Ok(Verdict {
                outcome: Outcome::Ran(Some(format!(
                    "run error {}",
                    e.to_string().split(':').next().unwrap_or("")
                ))),
                findings: Vec::new(),
            });
        }
    }
    if applied == 0 {
        return Ok(Verdict::rejected("decode or apply"));
    }
    let summary = serde_json::to_value(sim.summary()).map_err(|e| format!("summary: {e}"))?;
    if !finite(&summary) {
        return Err(format!("non-finite number in the summary: {summary}"));
    }
    Ok(Verdict {
        outcome: Outcome::Ran(None),
        findings: Vec::new(),
    })
}

/// The bounded run in the test suite (deterministic seed), or a timed run with
/// `ECMOVA_FUZZ_SECS` (`scripts/fuzz.sh action`).
#[test]
fn fuzz_session_action_decoder() {
    let budget = Budget::from_env(BOUNDED_CASES);
    let report = drive("action", &budget, cases(), show, property);
    assert!(report.failures.is_empty(), "{report}");
    let ran: u64 = report
        .outcomes
        .iter()
        .filter(|(k, _)| k.starts_with("ran"))
        .map(|(_, n)| n)
        .sum();
    assert!(ran > 0, "no decoded action reached the engine: {report}");
    println!("{report}");
}
