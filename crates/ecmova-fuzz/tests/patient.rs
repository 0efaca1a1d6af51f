//! Fuzz target: patient parser + assessment (every score, the full assessment, the Markdown
//! report).
//!
//! Seeds: `examples/patients/*.json`. Each case edits a seed as a tree (any documented key set
//! to a value of its kind or of another kind, keys removed, unknown keys added), writes it as
//! JSON, optionally edits the text (duplicate lines make duplicate keys), then parses it.
//!
//! Property: no panic; an accepted patient is assessed, and every number the assessment and
//! the scores report is finite and within its range (percentages 0-100, survival range
//! ordered), and the Markdown report holds no `NaN` or `inf`.

use ecmova_clinical::assess::assess;
use ecmova_clinical::scores::{cardshock, encourage, save, tips65};
use ecmova_clinical::wire::{FieldKind, FIELDS};
use ecmova_clinical::{report, Patient, ScoreResult};
use ecmova_fuzz::mutate::{self, apply_text, edge_number, TextEdit};
use ecmova_fuzz::{drive, seeds, Budget, Finding, Outcome, Verdict};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Cases of the bounded run inside `cargo test`.
const BOUNDED_CASES: u64 = 2000;

/// Words seen in the seeds and the documented vocabularies.
const WORDS: &[&str] = &[
    "male",
    "female",
    "acute_myocardial_infarction",
    "myocarditis",
    "other",
    "peripheral_femoral",
    "central",
    "vf",
    "pvt",
    "asystole",
    "pea",
    "out_of_hospital",
    "in_hospital",
    "",
    "x",
    "NaN",
    "Infinity",
    "é",
];

#[derive(Debug, Clone)]
enum Edit {
    Set { field: usize, v: Kinded },
    Remove { leaf: u32 },
    Unknown(u8),
}

#[derive(Debug, Clone)]
enum Kinded {
    Number(f64),
    Integer(i64),
    Bool(bool),
    Word(usize),
    List(Vec<usize>),
    Null,
    /// A value of the key's own kind (the common case: reach the scores).
    Own(f64, usize, bool),
}

fn kinded() -> impl Strategy<Value = Kinded> {
    prop_oneof![
        1 => edge_number().prop_map(Kinded::Number),
        1 => prop::sample::select(vec![-1i64, 0, 1, 2, 3, 5, 15, 100, i64::MAX, i64::MIN])
            .prop_map(Kinded::Integer),
        1 => any::<bool>().prop_map(Kinded::Bool),
        1 => (0..WORDS.len()).prop_map(Kinded::Word),
        1 => prop::collection::vec(0..WORDS.len(), 0..3).prop_map(Kinded::List),
        1 => Just(Kinded::Null),
        6 => (0.0f64..1.0, 0..WORDS.len(), any::<bool>()).prop_map(|(x, w, b)| Kinded::Own(x, w, b)),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (0..FIELDS.len(), kinded()).prop_map(|(field, v)| Edit::Set { field, v }),
        2 => any::<u32>().prop_map(|leaf| Edit::Remove { leaf }),
        1 => any::<u8>().prop_map(Edit::Unknown),
    ]
}

/// A plausible scale for a numeric key, by its unit suffix.
fn scale(key: &str) -> f64 {
    if key.ends_with("_percent") {
        100.0
    } else if key.ends_with("_mmhg") {
        200.0
    } else if key.contains("age") {
        100.0
    } else if key == "gcs" {
        15.0
    } else if key.ends_with("_ph") {
        8.0
    } else if key.ends_with("_umol_l") {
        500.0
    } else if key.ends_with("_min") || key.ends_with("_hours_before_ecmo") {
        120.0
    } else {
        200.0
    }
}

fn value(key: &str, kind: FieldKind, v: &Kinded) -> Value {
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    match v {
        Kinded::Number(x) => num(*x),
        Kinded::Integer(i) => json!(i),
        Kinded::Bool(b) => json!(b),
        Kinded::Word(w) => json!(WORDS[*w]),
        Kinded::List(l) => json!(l.iter().map(|w| WORDS[*w]).collect::<Vec<_>>()),
        Kinded::Null => Value::Null,
        Kinded::Own(x, w, b) => match kind {
            FieldKind::Number => num((x * scale(key) * 10.0).round() / 10.0),
            FieldKind::Integer => json!((x * scale(key)).round() as i64),
            FieldKind::Bool => json!(b),
            FieldKind::Text => json!(WORDS[*w]),
            FieldKind::List => json!([WORDS[*w]]),
        },
    }
}

#[derive(Debug, Clone)]
struct Case {
    seed: String,
    text: String,
}

fn cases() -> impl Strategy<Value = Case> {
    let seeds: Vec<(String, Value)> = seeds("patients", ".json")
        .into_iter()
        .map(|(n, t)| (n, serde_json::from_str(&t).expect("example is JSON")))
        .collect();
    let n = seeds.len();
    (
        0..n,
        prop::collection::vec(edit(), 0..8),
        prop_oneof![
            4 => Just(Vec::<TextEdit>::new()),
            1 => prop::collection::vec(mutate::text_edit(), 1..3),
        ],
    )
        .prop_map(move |(i, edits, text_edits)| {
            let (name, seed) = &seeds[i];
            let mut doc = seed.clone();
            for e in &edits {
                match e {
                    Edit::Set { field, v } => {
                        let (key, kind) = FIELDS[*field];
                        doc[key] = value(key, kind, v);
                    }
                    Edit::Remove { leaf } => {
                        let l = mutate::leaves(&doc);
                        if !l.is_empty() {
                            mutate::remove(&mut doc, &l[*leaf as usize % l.len()]);
                        }
                    }
                    Edit::Unknown(k) => doc[format!("unknown_{k}")] = json!(1),
                }
            }
            let text = serde_json::to_string_pretty(&doc).unwrap();
            Case {
                seed: name.clone(),
                text: apply_text(&text, &text_edits),
            }
        })
}

fn check_score(name: &str, r: &ScoreResult, findings: &mut Vec<Finding>) -> Result<(), String> {
    if let Some(x) = r.outcome_percent() {
        if !x.is_finite() {
            return Err(format!("{name}: outcome {x}"));
        }
        if !(0.0..=100.0).contains(&x) {
            findings.push(Finding {
                kind: "percent_out_of_range".into(),
                detail: format!("{name}: {x} %"),
            });
        }
    }
    if r.score < r.range[0] || r.score > r.range[1] {
        findings.push(Finding {
            kind: "score_outside_its_range".into(),
            detail: format!("{name}: {} not in {:?}", r.score, r.range),
        });
    }
    Ok(())
}

fn property(c: &Case) -> Result<Verdict, String> {
    let Ok(p) = Patient::from_json(&c.text) else {
        return Ok(Verdict::rejected("parse"));
    };
    let mut findings = Vec::new();
    let mut scored = 0;
    for (name, f) in [
        ("save", save::save as fn(&Patient) -> _),
        ("encourage", encourage::encourage),
        ("cardshock", cardshock::cardshock),
        ("tips65", tips65::tips65),
    ] {
        if let Ok(r) = f(&p) {
            scored += 1;
            check_score(name, &r, &mut findings)?;
        }
    }
    let a = assess(&p);
    let [lo, hi] = a.expected_survival.range_percent;
    if !lo.is_finite() || !hi.is_finite() {
        return Err(format!("expected survival range {lo}-{hi}"));
    }
    if !(0.0..=100.0).contains(&lo) || !(0.0..=100.0).contains(&hi) || lo > hi {
        findings.push(Finding {
            kind: "survival_range_invalid".into(),
            detail: format!("{lo}-{hi} %"),
        });
    }
    for s in [&a.save, &a.encourage] {
        if let Some(r) = &s.result {
            check_score("assessment", r, &mut findings)?;
        }
    }
    let md = report::markdown(&a);
    for bad in ["NaN", "inf "] {
        // (Free text copied from the input, e.g. `"patient_id": "NaN"`, is not a number.)
        if md.contains(bad) && !c.text.contains(bad.trim()) {
            return Err(format!("Markdown report contains {bad:?}"));
        }
    }
    let _ = serde_json::to_string(&a).map_err(|e| format!("assessment not serialisable: {e}"))?;
    Ok(Verdict {
        outcome: Outcome::Ran(Some(format!("{scored} of 4 scores computed"))),
        findings,
    })
}

/// The bounded run in the test suite, or a timed run with `ECMOVA_FUZZ_SECS`.
#[test]
fn fuzz_patient_parse_assess() {
    let budget = Budget::from_env(BOUNDED_CASES);
    let report = drive(
        "patient",
        &budget,
        cases(),
        |c| format!("// seed {}\n{}", c.seed, c.text),
        property,
    );
    assert!(report.failures.is_empty(), "{report}");
    let accepted: u64 = report
        .outcomes
        .iter()
        .filter(|(k, _)| k.starts_with("ran"))
        .map(|(_, n)| n)
        .sum();
    assert!(accepted * 10 >= report.cases, "{report}");
}
