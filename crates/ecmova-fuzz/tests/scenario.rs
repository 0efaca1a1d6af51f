//! Fuzz target: scenario parser + build + a short run (a few simulated seconds).
//!
//! Seeds: every `examples/*.toml`. Each case picks a seed, edits it as a tree (numbers set to
//! edge values or scaled, keys removed, presets swapped, overrides, circuit, devices and
//! events added), writes it as TOML or JSON, optionally edits the text, then parses, builds
//! and runs it for at most [`MAX_RUN_S`] simulated seconds.
//!
//! Property: no panic; an accepted scenario either runs or fails with an error (counted by
//! kind); a run's summary holds no non-finite number (serde_json turns NaN into `null`, so a
//! `null` metric is non-finite) and its final state is finite. Impossible but finite outputs
//! are findings (see the crate docs).

use ecmova_engine::presets;
use ecmova_fuzz::mutate::{self, apply_num, apply_text, edge_number, NumEdit, TextEdit};
use ecmova_fuzz::{drive, seeds, Budget, Finding, Outcome, Verdict};
use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario, ScenarioError};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Longest simulated run of a case, s ("a short run"); longer accepted durations are cut to
/// this before the run (the validator still sees the fuzzed value).
const MAX_RUN_S: f64 = 5.0;
/// Cases of the bounded run inside `cargo test`.
const BOUNDED_CASES: u64 = 300;

const PATIENT_KEYS: &[&str] = &[
    "heart_rate_bpm",
    "lv_contractility_scale",
    "rv_contractility_scale",
    "svr_scale",
    "blood_volume_scale",
    "hemoglobin_g_dl",
    "lung_shunt_fraction",
    "fio2",
    "baroreflex_gain",
    "baroreflex_set_point_mmhg",
];
const COMPARTMENT_FIELDS: &[&str] = &["compliance_ml_per_mmhg", "unstressed_volume_ml"];
const CHAMBER_FIELDS: &[&str] = &[
    "ees_mmhg_per_ml",
    "v0_ml",
    "edpvr_a_mmhg",
    "edpvr_b_per_ml",
    "passive_elastance_mmhg_per_ml",
];
const CONNECTION_FIELDS: &[&str] = &[
    "resistance_mmhg_s_per_ml",
    "inertance_mmhg_s2_per_ml",
    "open_resistance_mmhg_s_per_ml",
    "regurgitant_conductance_ml_per_s_mmhg",
];
const CANNULATIONS: &[&str] = &["femoro-femoral", "central", "femoro-axillary", "jugular"];
const DEVICES: &[&str] = &["iabp", "impella", "atrial_septostomy", "lv_vent", "ecpella"];
const DRUGS: &[&str] = &["norepinephrine", "dobutamine", "milrinone", "adrenaline"];
const RHYTHMS: &[&str] = &["sinus", "vf", "asystole", "af"];
const ACTIONS: &[&str] = &[
    "start_ecmo",
    "stop_ecmo",
    "set_pump_rpm",
    "set_fdo2",
    "set_sweep",
    "weaning_trial",
    "infusion",
    "fluid",
    "set_heart_rate",
    "set_fio2",
    "set_lung_shunt",
    "set_lv_contractility",
    "set_rv_contractility",
    "set_svr",
    "set_device",
    "arrest",
    "rosc",
];

/// A number: a fraction of a plausible scale, or a raw edge value.
#[derive(Debug, Clone)]
enum Val {
    Unit(f64),
    Raw(f64),
}

impl Val {
    fn scaled(&self, lo: f64, hi: f64) -> f64 {
        match self {
            Val::Unit(u) => lo + u * (hi - lo),
            Val::Raw(x) => *x,
        }
    }
}

fn val() -> impl Strategy<Value = Val> {
    prop_oneof![
        8 => (0.0f64..=1.0).prop_map(Val::Unit),
        1 => prop::sample::select(vec![0.0, 1.0]).prop_map(Val::Unit),
        2 => edge_number().prop_map(Val::Raw),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Num {
        leaf: u32,
        edit: NumEdit,
    },
    Remove {
        leaf: u32,
    },
    Patient {
        key: usize,
        v: Val,
    },
    Preset(usize),
    Rhythm(usize),
    Baroreflex(bool),
    Override {
        table: usize,
        name: u32,
        field: u32,
        v: NumEdit,
    },
    Ecmo {
        enabled: bool,
        cannulation: usize,
        rpm: Val,
        sweep: Val,
    },
    Device {
        kind: usize,
        a: Val,
        b: u32,
        start: Val,
    },
    Event {
        action: usize,
        at: Val,
        a: Val,
        b: Val,
        s: u32,
    },
    MaxStep(Val),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<u32>(), mutate::num_edit()).prop_map(|(leaf, edit)| Edit::Num { leaf, edit }),
        1 => any::<u32>().prop_map(|leaf| Edit::Remove { leaf }),
        3 => (0..PATIENT_KEYS.len(), val()).prop_map(|(key, v)| Edit::Patient { key, v }),
        1 => (0..presets::NAMES.len()).prop_map(Edit::Preset),
        1 => (0..RHYTHMS.len()).prop_map(Edit::Rhythm),
        1 => any::<bool>().prop_map(Edit::Baroreflex),
        3 => (0..3usize, any::<u32>(), any::<u32>(), mutate::num_edit())
            .prop_map(|(table, name, field, v)| Edit::Override { table, name, field, v }),
        2 => (any::<bool>(), 0..CANNULATIONS.len(), val(), val()).prop_map(
            |(enabled, cannulation, rpm, sweep)| Edit::Ecmo { enabled, cannulation, rpm, sweep }
        ),
        2 => (0..DEVICES.len(), val(), any::<u32>(), val())
            .prop_map(|(kind, a, b, start)| Edit::Device { kind, a, b, start }),
        5 => (0..ACTIONS.len(), val(), val(), val(), any::<u32>())
            .prop_map(|(action, at, a, b, s)| Edit::Event { action, at, a, b, s }),
        1 => val().prop_map(Edit::MaxStep),
    ]
}

fn table<'a>(doc: &'a mut Value, key: &str) -> &'a mut serde_json::Map<String, Value> {
    if !doc[key].is_object() {
        doc[key] = json!({});
    }
    doc[key].as_object_mut().unwrap()
}

fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn apply(doc: &mut Value, e: &Edit, duration: f64) {
    match e {
        Edit::Num { leaf, edit } => {
            let leaves: Vec<_> = mutate::leaves(doc)
                .into_iter()
                .filter(|p| mutate::get_mut(&mut doc.clone(), p).is_some_and(|v| v.is_number()))
                .collect();
            if !leaves.is_empty() {
                let p = &leaves[*leaf as usize % leaves.len()];
                if let Some(v) = mutate::get_mut(doc, p) {
                    apply_num(v, edit);
                }
            }
        }
        Edit::Remove { leaf } => {
            let leaves = mutate::leaves(doc);
            if !leaves.is_empty() {
                mutate::remove(doc, &leaves[*leaf as usize % leaves.len()]);
            }
        }
        Edit::Patient { key, v } => {
            let k = PATIENT_KEYS[*key];
            let (lo, hi) = match k {
                "heart_rate_bpm" => (20.0, 250.0),
                "hemoglobin_g_dl" => (3.0, 25.0),
                "baroreflex_set_point_mmhg" => (30.0, 200.0),
                "baroreflex_gain" => (0.0, 3.0),
                "lung_shunt_fraction" | "fio2" => (0.0, 1.0),
                _ => (0.0, 4.0),
            };
            table(doc, "patient").insert(k.into(), num(v.scaled(lo, hi)));
        }
        Edit::Preset(i) => {
            table(doc, "patient").insert("preset".into(), json!(presets::NAMES[*i]));
        }
        Edit::Rhythm(i) => {
            table(doc, "patient").insert("rhythm".into(), json!(RHYTHMS[*i]));
        }
        Edit::Baroreflex(b) => {
            table(doc, "patient").insert("baroreflex".into(), json!(b));
        }
        Edit::Override {
            table: t,
            name,
            field,
            v,
        } => {
            let preset = doc["patient"]["preset"].as_str().unwrap_or("healthy-adult");
            let Ok(params) = presets::by_name(preset) else {
                return;
            };
            let (key, names, fields): (&str, Vec<String>, &[&str]) = match t {
                0 => (
                    "compartment",
                    params.compartments.iter().map(|c| c.name.clone()).collect(),
                    COMPARTMENT_FIELDS,
                ),
                1 => (
                    "chamber",
                    ["lv", "rv", "la", "ra"].map(String::from).to_vec(),
                    CHAMBER_FIELDS,
                ),
                _ => (
                    "connection",
                    params.connections.iter().map(|c| c.name.clone()).collect(),
                    CONNECTION_FIELDS,
                ),
            };
            if names.is_empty() {
                return;
            }
            let name = &names[*name as usize % names.len()];
            let field = fields[*field as usize % fields.len()];
            let patient = table(doc, "patient");
            let tab = patient
                .entry(key)
                .or_insert_with(|| json!({}))
                .as_object_mut();
            let Some(tab) = tab else { return };
            let entry = tab.entry(name.clone()).or_insert_with(|| json!({}));
            let Some(entry) = entry.as_object_mut() else {
                return;
            };
            let mut x = entry.get(field).cloned().unwrap_or(json!(1.0));
            apply_num(&mut x, v);
            entry.insert(field.into(), x);
        }
        Edit::Ecmo {
            enabled,
            cannulation,
            rpm,
            sweep,
        } => {
            let e = table(doc, "ecmo");
            e.insert("enabled".into(), json!(enabled));
            e.insert("cannulation".into(), json!(CANNULATIONS[*cannulation]));
            e.insert("pump_rpm".into(), num(rpm.scaled(0.0, 6000.0)));
            e.insert("sweep_l_min".into(), num(sweep.scaled(0.0, 12.0)));
        }
        Edit::Device { kind, a, b, start } => {
            let k = DEVICES[*kind];
            let mut d = json!({"kind": k});
            match k {
                "impella" => d["performance_level"] = json!(b % 12),
                "iabp" => {
                    d["balloon_volume_ml"] = num(a.scaled(0.0, 60.0));
                    d["ratio"] = json!(b % 5);
                }
                "atrial_septostomy" => d["diameter_mm"] = num(a.scaled(0.0, 20.0)),
                _ => d["cannula_fr"] = num(a.scaled(0.0, 30.0)),
            }
            if b % 3 == 0 {
                d["start_s"] = num(start.scaled(0.0, duration));
            }
            let devices = doc
                .as_object_mut()
                .unwrap()
                .entry("devices")
                .or_insert_with(|| json!([]));
            if let Some(a) = devices.as_array_mut() {
                a.push(d);
            }
        }
        Edit::Event {
            action,
            at,
            a,
            b,
            s,
        } => {
            let act = ACTIONS[*action];
            let mut ev = json!({"at_s": num(at.scaled(0.0, duration)), "action": act});
            let o = ev.as_object_mut().unwrap();
            match act {
                "set_pump_rpm" => {
                    o.insert("rpm".into(), num(a.scaled(0.0, 6000.0)));
                }
                "set_fdo2" => {
                    o.insert("fdo2".into(), num(a.scaled(0.0, 1.0)));
                }
                "set_sweep" => {
                    o.insert("sweep_l_min".into(), num(a.scaled(0.0, 12.0)));
                }
                "weaning_trial" => {
                    o.insert(
                        "flows_l_min".into(),
                        json!([num(a.scaled(0.0, 7.0)), num(b.scaled(0.0, 7.0))]),
                    );
                    o.insert("step_s".into(), json!(5 + s % 30));
                }
                "infusion" => {
                    o.insert("drug".into(), json!(DRUGS[*s as usize % DRUGS.len()]));
                    o.insert("dose_ug_kg_min".into(), num(a.scaled(0.0, 20.0)));
                }
                "fluid" => {
                    o.insert("volume_ml".into(), num(a.scaled(-2000.0, 2500.0)));
                }
                "set_heart_rate" => {
                    o.insert("heart_rate_bpm".into(), num(a.scaled(0.0, 260.0)));
                }
                "set_fio2" => {
                    o.insert("fio2".into(), num(a.scaled(0.0, 1.0)));
                }
                "set_lung_shunt" => {
                    o.insert("lung_shunt_fraction".into(), num(a.scaled(0.0, 1.0)));
                }
                "set_lv_contractility" => {
                    o.insert("lv_contractility_scale".into(), num(a.scaled(0.0, 3.0)));
                }
                "set_rv_contractility" => {
                    o.insert("rv_contractility_scale".into(), num(a.scaled(0.0, 3.0)));
                }
                "set_svr" => {
                    o.insert("svr_scale".into(), num(a.scaled(0.0, 6.0)));
                }
                "set_device" => {
                    o.insert("device".into(), json!(DEVICES[*s as usize % DEVICES.len()]));
                    o.insert("active".into(), json!(s % 2 == 0));
                    match s % 4 {
                        0 => o.insert("performance_level".into(), json!(s % 11)),
                        1 => o.insert("diameter_mm".into(), num(b.scaled(0.0, 20.0))),
                        2 => o.insert("balloon_volume_ml".into(), num(b.scaled(0.0, 60.0))),
                        _ => o.insert("ratio".into(), json!(s % 4)),
                    };
                }
                "arrest" => {
                    o.insert("rhythm".into(), json!(RHYTHMS[*s as usize % RHYTHMS.len()]));
                }
                _ => {}
            }
            let events = doc
                .as_object_mut()
                .unwrap()
                .entry("events")
                .or_insert_with(|| json!([]));
            if let Some(a) = events.as_array_mut() {
                a.push(ev);
            }
        }
        Edit::MaxStep(v) => {
            table(doc, "simulation").insert("max_step_s".into(), num(v.scaled(1e-4, 6e-3)));
        }
    }
}

/// Multiplies every time of the timeline (events, circuit and device starts) by `k`.
fn rescale_times(doc: &mut Value, k: f64) {
    // `get_mut`, not `doc[...]`: indexing a missing key would insert a null.
    let scale = |v: Option<&mut Value>| {
        if let Some(v) = v {
            if let Some(x) = v.as_f64() {
                *v = num(x * k);
            }
        }
    };
    if let Some(events) = doc.get_mut("events").and_then(Value::as_array_mut) {
        for e in events {
            scale(e.get_mut("at_s"));
            // A weaning step stays within the validator's range (5-600 s).
            if let Some(step) = e.get_mut("step_s") {
                scale(Some(&mut *step));
                if step.as_f64().is_some_and(|x| x < 5.0) {
                    *step = json!(5.0);
                }
            }
        }
    }
    scale(doc.get_mut("ecmo").and_then(|e| e.get_mut("start_s")));
    if let Some(devices) = doc.get_mut("devices").and_then(Value::as_array_mut) {
        for d in devices {
            scale(d.get_mut("start_s"));
        }
    }
}

/// A generated scenario file.
#[derive(Debug, Clone)]
struct Case {
    seed: String,
    json: bool,
    text: String,
    until_steady: bool,
    record_series: bool,
}

fn cases() -> impl Strategy<Value = Case> {
    let seeds: Vec<(String, Value)> = seeds("", ".toml")
        .into_iter()
        .map(|(name, text)| {
            let t: toml::Table = toml::from_str(&text).expect("example parses as TOML");
            (name, serde_json::to_value(t).unwrap())
        })
        .collect();
    let n = seeds.len();
    (
        0..n,
        any::<bool>(),
        0.2f64..MAX_RUN_S,
        prop::collection::vec(edit(), 0..5),
        prop_oneof![
            4 => Just(Vec::<TextEdit>::new()),
            1 => prop::collection::vec(mutate::text_edit(), 1..3),
        ],
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            move |(i, json, duration, edits, text_edits, until_steady, record_series)| {
                let (name, seed) = &seeds[i];
                let mut doc = seed.clone();
                // Shorten the seed to `duration`, its timeline scaled with it.
                let old = doc["simulation"]["duration_s"].as_f64().unwrap_or(duration);
                rescale_times(&mut doc, duration / old.max(1e-9));
                table(&mut doc, "simulation").insert("duration_s".into(), num(duration));
                for e in &edits {
                    apply(&mut doc, e, duration);
                }
                let text = if json {
                    serde_json::to_string_pretty(&doc).unwrap()
                } else {
                    // A document TOML cannot hold (a null from a non-finite number) is
                    // written as JSON instead.
                    toml::to_string(&doc).unwrap_or_else(|_| doc.to_string())
                };
                Case {
                    seed: name.clone(),
                    json,
                    text: apply_text(&text, &text_edits),
                    until_steady,
                    record_series,
                }
            },
        )
}

/// Keys whose values are quantities (unit suffixes): a `null` there is a non-finite number.
fn is_quantity(key: &str) -> bool {
    [
        "_mmhg",
        "_ml",
        "_l_min",
        "_percent",
        "_w",
        "_s",
        "_ml_s",
        "_bpm",
        "_fraction",
        "_rpm",
        "_ml_min",
        "_ml_dl",
    ]
    .iter()
    .any(|s| key.ends_with(s))
}

fn non_finite_keys(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{path}.{k}");
                // `null` by design: the summary's pulse-oximetry readings without a usable
                // pulse (their source, the SaO2 metrics, are checked as numbers).
                let by_design = [
                    "steady_state_time_s",
                    "spo2_right_hand_percent",
                    "spo2_leg_percent",
                ];
                if x.is_null() && is_quantity(k) && !by_design.contains(&k.as_str()) {
                    out.push(p);
                } else {
                    non_finite_keys(x, &p, out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                non_finite_keys(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Physically impossible values of a summary's metrics (flat keys).
fn impossible(m: &serde_json::Map<String, Value>, out: &mut Vec<Finding>) {
    let mut f = |kind: &str, k: &str, x: f64| {
        out.push(Finding {
            kind: kind.into(),
            detail: format!("{k} = {x}"),
        })
    };
    for (k, v) in m {
        let Some(x) = v.as_f64() else { continue };
        let sat = k.starts_with("sao2")
            || k.starts_with("svo2")
            || k.contains("saturation")
            || (k.starts_with("so2") && k.ends_with("_percent"));
        if sat && !(0.0..=100.0).contains(&x) {
            f("saturation_out_of_range", k, x);
        } else if k.starts_with("lvef") || k.starts_with("rvef") {
            if !(-1e-9..=100.0 + 1e-9).contains(&x) {
                f("ejection_fraction_out_of_range", k, x);
            }
        } else if k.ends_with("_mmhg") && !(-760.0..=1000.0).contains(&x) {
            // Gauge pressures: below -760 mmHg is below an absolute vacuum; above 1000 mmHg
            // is beyond any blood pressure, and PO2 at sea level cannot exceed the inspired
            // ~713 mmHg (FiO2 or FdO2 1). Extreme but possible values (drainage suction of
            // -400 mmHg) are not findings.
            f("pressure_out_of_range", k, x);
        } else if (k.ends_with("edv_ml") || k.ends_with("esv_ml") || k == "blood_volume_ml")
            && x < 0.0
        {
            f("negative_volume", k, x);
        } else if (k.starts_with("do2") || k.starts_with("vo2")) && x < 0.0 {
            f("negative_o2_delivery", k, x);
        } else if k.ends_with("_l_min") && x.abs() > 50.0 {
            f("flow_out_of_range", k, x);
        }
    }
}

/// A build error's label for the counts: the key it names, array indices dropped.
fn build_label(e: &ScenarioError) -> String {
    let m = e.to_string();
    let key = m.split([':', ' ']).next().unwrap_or("");
    let key: String = key
        .split('.')
        .map(|p| p.split('[').next().unwrap_or(""))
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    format!("build ({key})")
}

fn property(c: &Case) -> Result<Verdict, String> {
    let parsed = if c.json {
        Scenario::from_json(&c.text)
    } else {
        Scenario::from_toml(&c.text)
    };
    let Ok(mut scenario) = parsed else {
        return Ok(Verdict::rejected("parse"));
    };
    let built = match build(&scenario) {
        Ok(b) => b,
        Err(e) => return Ok(Verdict::rejected(&build_label(&e))),
    };
    // Cut long accepted runs to MAX_RUN_S (the fuzzed duration was validated above).
    if built.duration_s > MAX_RUN_S {
        scenario.simulation.duration_s = MAX_RUN_S;
        scenario.events.retain(|e| e.at_s <= MAX_RUN_S);
    }
    let built = match build(&scenario) {
        Ok(b) => b,
        Err(_) => return Ok(Verdict::rejected("build")),
    };
    let options = RunOptions {
        until_steady: c.until_steady,
        record_series: c.record_series,
    };
    let out = match run(&built, options) {
        Ok(o) => o,
        Err(e) => {
            let label = match e {
                ScenarioError::Diverged { .. } => "diverged".to_string(),
                ScenarioError::Invalid { ref path, .. } => {
                    let action = path.split(['(', ' ']).nth(2).unwrap_or("");
                    format!("invalid event ({action})")
                }
                other => {
                    // `events[1] (fluid at 2.7 s): ...` → `events (fluid)`.
                    let s = other.to_string();
                    let head = s.split(':').next().unwrap_or("");
                    let action = head.split(['(', ' ']).nth(2).unwrap_or("");
                    format!("events ({action})")
                }
            };
            return Ok(Verdict {
                outcome: Outcome::Ran(Some(format!("run error {label}"))),
                findings: Vec::new(),
            });
        }
    };
    if !out.final_state.is_finite() {
        return Err("accepted run returned a non-finite final state".into());
    }
    let summary = summary_json(&built, &out);
    let mut bad = Vec::new();
    non_finite_keys(&summary, "summary", &mut bad);
    if !bad.is_empty() {
        return Err(format!("non-finite (null) quantities: {}", bad.join(", ")));
    }
    if let Some(series) = &out.series {
        for i in 0..series.len() {
            if let Some(j) = series.row(i).iter().position(|x| !x.is_finite()) {
                return Err(format!(
                    "series row {i}, column {} holds {}",
                    series.columns()[j],
                    series.row(i)[j]
                ));
            }
        }
    }
    let mut findings = Vec::new();
    if out.final_state.volumes_ml().iter().any(|v| *v < 0.0) {
        let min = out
            .final_state
            .volumes_ml()
            .iter()
            .cloned()
            .fold(f64::INFINITY, f64::min);
        findings.push(Finding {
            kind: "negative_volume".into(),
            detail: format!("final compartment volume {min} mL"),
        });
    }
    if let Some(m) = summary.as_object() {
        impossible(m, &mut findings);
    }
    for phase in summary["phases"].as_array().into_iter().flatten() {
        if let Some(m) = phase["metrics"].as_object() {
            impossible(m, &mut findings);
        }
    }
    Ok(Verdict {
        outcome: Outcome::Ran(None),
        findings,
    })
}

fn show(c: &Case) -> String {
    format!(
        "# seed {}, {}, until_steady {}, record_series {}\n{}",
        c.seed,
        if c.json { "JSON" } else { "TOML" },
        c.until_steady,
        c.record_series,
        c.text
    )
}

/// The bounded run in the test suite (deterministic seed), or a timed run with
/// `ECMOVA_FUZZ_SECS` (`scripts/fuzz.sh`).
#[test]
fn fuzz_scenario_parse_build_run() {
    let budget = Budget::from_env(BOUNDED_CASES);
    let report = drive("scenario", &budget, cases(), show, property);
    assert!(report.failures.is_empty(), "{report}");
    // The generator must reach the engine, not stop at the parser: a fuzzer that only
    // exercises error paths would pass vacuously.
    let ran: u64 = report
        .outcomes
        .iter()
        .filter(|(k, _)| k.starts_with("ran"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        ran * 5 >= report.cases,
        "only {ran} of {} cases ran: {report}",
        report.cases
    );
}
