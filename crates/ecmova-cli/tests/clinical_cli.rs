//! Integration tests of `ecmova score` and `ecmova assess`, running the real binary.
//!
//! Expected scores are computed by hand from the published tables (Schmidt 2015 for SAVE,
//! Muller 2016 for ENCOURAGE, Harjola 2015 for CardShock, Okada 2020 for TiPS65), never copied
//! from the program's output; the arithmetic is in the comments.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecmova"))
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/patients")
        .join(name)
}

fn tmp(name: &str, content: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clinical_cli");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write tmp file");
    p
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run ecmova")
}

fn stdout_json(o: &Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}, stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A patient with every SAVE and ENCOURAGE field, all items at 0 points except the SAVE
/// constant: SAVE = -6 (class IV), ENCOURAGE = 0.
fn neutral() -> Value {
    json!({
        "age_years": 70, "sex": "male", "weight_kg": 95, "height_cm": 200,
        "diagnoses": ["other"],
        "liver_failure": false, "cns_dysfunction": false, "acute_renal_failure": false,
        "chronic_renal_failure": false, "peak_inspiratory_pressure_cmh2o": 25,
        "cardiac_arrest_before_ecmo": false, "diastolic_bp_mmhg": 30,
        "pulse_pressure_mmhg": 30, "bicarbonate_mmol_l": 20,
        "gcs": 15, "creatinine_umol_l": 80, "lactate_mmol_l": 1.0,
        "prothrombin_activity_percent": 90
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().expect("object").remove(key);
    v
}

/// Runs a score on a patient value and returns the parsed JSON.
fn score(kind: &str, name: &str, v: &Value) -> Value {
    let p = tmp(name, &v.to_string());
    stdout_json(&run(&["score", kind, p.to_str().expect("utf8 path")]))
}

/// Runs a score on a patient value that must fail; returns stderr.
fn score_err(kind: &str, name: &str, v: &Value) -> String {
    let p = tmp(name, &v.to_string());
    let o = run(&["score", kind, p.to_str().expect("utf8 path")]);
    assert!(!o.status.success(), "expected failure for {name}");
    stderr(&o)
}

#[test]
fn save_json_shape_and_example_ami() {
    // 58 y (+3), 84 kg (+2), AMI (0), liver failure derived from ALT 95 > 70 (-3), acute
    // renal failure derived from creatinine 160 umol/L = 1.81 mg/dL > 1.5 (-3), intubated 6 h
    // (0), PIP 24 (0), no arrest, DBP 38 (0), PP 30 (0), HCO3 16 (0), constant -6: total -7,
    // class IV (-9..-5), survival 30%.
    let p = example("ami_cardiogenic_shock.json");
    let r = stdout_json(&run(&["score", "save", p.to_str().unwrap()]));
    assert_eq!(r["score"], -7);
    assert_eq!(r["class"], "IV");
    assert_eq!(r["survival_percent"], 30.0);
    let items = r["items"].as_array().expect("items");
    assert_eq!(items.len(), 17);
    for it in items {
        assert!(it["points"].is_i64() && it["citation"].as_str().unwrap().contains("Schmidt"));
    }
    let derived: Vec<&str> = r["derived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(derived, vec!["liver_failure", "acute_renal_failure"]);
    assert!(r["citation"].as_str().unwrap().contains("2015"));
}

#[test]
fn save_example_myocarditis_class_i() {
    // 32 y (+7), 62 kg (+1), myocarditis (+3), intubated 12 h (-2), PIP 18 (+3), DBP 45 (+3),
    // PP 18 (-2), HCO3 19 (0), constant -6: total 7, class I (> 5), survival 75%.
    let p = example("fulminant_myocarditis.json");
    let r = stdout_json(&run(&["score", "save", p.to_str().unwrap()]));
    assert_eq!(
        (r["score"].as_i64(), r["class"].as_str()),
        (Some(7), Some("I"))
    );
    assert_eq!(r["survival_percent"], 75.0);
}

#[test]
fn save_class_boundaries_via_cli() {
    // neutral = -6 (IV). Adding items moves the total across the class boundaries.
    let cases = [
        // (changes, expected score, class)
        (vec![("bicarbonate_mmol_l", json!(15))], -9, "IV"),
        (
            vec![
                ("bicarbonate_mmol_l", json!(15)),
                ("cardiac_arrest_before_ecmo", json!(true)),
            ],
            -11,
            "V",
        ),
        (
            vec![
                ("liver_failure", json!(true)),
                ("cardiac_arrest_before_ecmo", json!(true)),
                ("pulse_pressure_mmhg", json!(20)),
            ],
            -13,
            "V",
        ),
        (
            vec![
                ("acute_renal_failure", json!(true)),
                ("liver_failure", json!(true)),
                ("cns_dysfunction", json!(false)),
                ("peak_inspiratory_pressure_cmh2o", json!(25)),
                ("pulse_pressure_mmhg", json!(21)),
            ],
            -12,
            "V",
        ),
        (
            vec![
                ("cardiac_arrest_before_ecmo", json!(true)),
                ("pulse_pressure_mmhg", json!(20)),
                ("diastolic_bp_mmhg", json!(40)),
                ("weight_kg", json!(85)),
            ],
            -5,
            "IV",
        ),
        (vec![("intubation_hours_before_ecmo", json!(30))], -10, "V"),
        (vec![("weight_kg", json!(70))], -4, "III"),
        (vec![("age_years", json!(38))], 1, "II"),
        (vec![("age_years", json!(53))], -3, "III"),
        (
            vec![("age_years", json!(39)), ("weight_kg", json!(65))],
            0,
            "III",
        ),
        (
            vec![("age_years", json!(39)), ("weight_kg", json!(64))],
            -1,
            "III",
        ),
        (
            vec![("age_years", json!(18)), ("weight_kg", json!(89))],
            3,
            "II",
        ),
        (
            vec![
                ("age_years", json!(18)),
                ("weight_kg", json!(60)),
                ("peak_inspiratory_pressure_cmh2o", json!(20)),
            ],
            5,
            "II",
        ),
        (
            vec![
                ("age_years", json!(38)),
                ("weight_kg", json!(70)),
                ("peak_inspiratory_pressure_cmh2o", json!(20)),
            ],
            6,
            "I",
        ),
    ];
    for (n, (changes, expected, class)) in cases.into_iter().enumerate() {
        let mut v = neutral();
        for (k, val) in changes {
            v = with(v, k, val);
        }
        // height follows weight so that BMI stays consistent (none given).
        let r = score("save", &format!("boundary_{n}.json"), &v);
        assert_eq!(r["score"], expected, "case {n}");
        assert_eq!(r["class"], class, "case {n}");
    }
}

#[test]
fn encourage_example_and_shape() {
    // 58 y (0), male (0), BMI 84/1.76^2 = 27.1 > 25 (+6), GCS 13 (0), creatinine 160 > 150
    // (+5), lactate 6.2 in 2-8 (+8), prothrombin 55% (0): 19, band 19-22, 6-month survival 25%.
    let p = example("ami_cardiogenic_shock.json");
    let r = stdout_json(&run(&["score", "encourage", p.to_str().unwrap()]));
    assert_eq!(r["score"], 19);
    assert_eq!(r["class"], "19-22");
    assert_eq!(r["survival_6m_percent"], 25.0);
    assert!(r.get("survival_percent").is_none());
    assert_eq!(r["items"].as_array().unwrap().len(), 7);
    assert_eq!(r["derived"][0]["field"], "bmi_kg_m2");
    // No constant: a patient with every item at 0 (age 60 is not > 60) scores 0.
    let r = score(
        "encourage",
        "enc_neutral.json",
        &with(
            with(
                neutral(),
                "diagnoses",
                json!(["acute_myocardial_infarction"]),
            ),
            "age_years",
            json!(60),
        ),
    );
    assert_eq!(r["score"], 0);
    assert_eq!(r["survival_6m_percent"], 80.0);
}

#[test]
fn cardshock_and_tips65_examples() {
    // CardShock, AMI example: ACS (+1), LVEF 20 < 40 (+1), lactate 6.2 > 4 (+2), eGFR 40 in
    // 30-60 (+1): 5, group 4-5, in-hospital mortality ~36%.
    let p = example("ami_cardiogenic_shock.json");
    let r = stdout_json(&run(&["score", "cardshock", p.to_str().unwrap()]));
    assert_eq!(r["score"], 5);
    assert_eq!(r["in_hospital_mortality_percent"], 36.0);
    // TiPS65, ECPR example: age 52 < 65 (+1), call-to-hospital 22 <= 25 (+1), VF on arrival
    // (+1), pH 6.95 < 7.0 (0): 3, predicted CPC 1-2 26.2%.
    let p = example("ecpr_ohca.json");
    let r = stdout_json(&run(&["score", "tips65", p.to_str().unwrap()]));
    assert_eq!(r["score"], 3);
    assert_eq!(r["cpc_1_2_30d_percent"], 26.2);
}

#[test]
fn invalid_input_names_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "age250",
            with(neutral(), "age_years", json!(250)),
            "age_years",
        ),
        (
            "neglactate",
            with(neutral(), "lactate_mmol_l", json!(-1.0)),
            "lactate_mmol_l",
        ),
        (
            "unknowndx",
            with(neutral(), "diagnoses", json!(["myocarditis", "influenza"])),
            "diagnoses",
        ),
        ("missingage", without(neutral(), "age_years"), "age_years"),
        (
            "missingpp",
            without(neutral(), "pulse_pressure_mmhg"),
            "pulse_pressure_mmhg",
        ),
        (
            "unknownkey",
            with(neutral(), "lactate_mg_dl", json!(3)),
            "lactate_mg_dl",
        ),
        ("badtype", with(neutral(), "gcs", json!("seven")), "gcs"),
        ("bmi", with(neutral(), "bmi_kg_m2", json!(40)), "bmi_kg_m2"),
        (
            "sbp_dbp",
            with(
                with(neutral(), "systolic_bp_mmhg", json!(25)),
                "diastolic_bp_mmhg",
                json!(30),
            ),
            "systolic_bp_mmhg",
        ),
        (
            "child",
            with(neutral(), "age_years", json!(17)),
            "age_years",
        ),
        (
            "noliver",
            without(neutral(), "liver_failure"),
            "liver_failure",
        ),
        (
            "nocrf",
            without(neutral(), "chronic_renal_failure"),
            "chronic_renal_failure",
        ),
    ];
    for (name, v, field) in cases {
        let err = score_err("save", &format!("{name}.json"), &v);
        assert!(
            err.contains(field),
            "{name}: stderr does not name `{field}`: {err}"
        );
    }
    // The same for ENCOURAGE and for assess.
    let err = score_err(
        "encourage",
        "enc_neglac.json",
        &with(neutral(), "lactate_mmol_l", json!(-0.5)),
    );
    assert!(err.contains("lactate_mmol_l"), "{err}");
    let err = score_err("encourage", "enc_nogcs.json", &without(neutral(), "gcs"));
    assert!(err.contains("gcs"), "{err}");
    let p = tmp(
        "assess_age.json",
        &with(neutral(), "age_years", json!(250)).to_string(),
    );
    let o = run(&["assess", p.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("age_years"));
    // Out-of-range message gives the allowed range.
    let err = score_err(
        "save",
        "age250b.json",
        &with(neutral(), "age_years", json!(250)),
    );
    assert!(err.contains("250") && err.contains("120"), "{err}");
}

#[test]
fn missing_file_and_bad_json() {
    let o = run(&["score", "save", "/nonexistent/patient.json"]);
    assert!(!o.status.success());
    let p = tmp("broken.json", "{\"age_years\": ");
    let o = run(&["score", "save", p.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("invalid patient JSON"));
}

#[test]
fn assess_json_sections() {
    let p = example("ecpr_ohca.json");
    let a = stdout_json(&run(&["assess", p.to_str().unwrap()]));
    for key in [
        "scai",
        "indication",
        "contraindications",
        "ecpr",
        "expected_survival",
        "complications",
        "save",
        "encourage",
        "weaning",
        "left_out",
    ] {
        assert!(a.get(key).is_some(), "missing section {key}");
    }
    assert_eq!(a["verdict"], "individualised_decision");
    assert_eq!(a["evidence_as_of"], "2025-09-01");
    assert_eq!(a["timepoint"]["value"], "before_cannulation");
    assert_eq!(a["scai"]["result"]["stage"], "E");
    assert_eq!(a["scai"]["result"]["arrest_modifier"], true);
    let trials = a["ecpr"]["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 4);
    for t in trials {
        assert_eq!(t["eligibility"], "meets_checked_criteria", "{t}");
        assert!(t["label"]
            .as_str()
            .unwrap()
            .starts_with("meets the checked criteria of"));
        assert!(!t["citation"].as_str().unwrap().is_empty());
    }
    // SAVE cannot be computed for this patient (no organ-failure data): named, not zeroed.
    assert_eq!(a["save"]["status"], "not_computed");
    assert!(a["save"]["reason"]
        .as_str()
        .unwrap()
        .contains("liver_failure"));
    let comps: Vec<&str> = a["complications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["complication"].as_str().unwrap())
        .collect();
    assert_eq!(
        comps,
        vec![
            "LV distension",
            "differential hypoxaemia",
            "limb ischaemia",
            "bleeding"
        ]
    );
    let left: Vec<&str> = a["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["score"].as_str().unwrap())
        .collect();
    assert!(left.contains(&"IABP-SHOCK II") && left.contains(&"PREDICT VA-ECMO"));
}

#[test]
fn assess_age_66_fails_prague_only() {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(example("ecpr_ohca.json")).unwrap()).unwrap();
    v["age_years"] = json!(66);
    let p = tmp("ecpr66.json", &v.to_string());
    let a = stdout_json(&run(&["assess", p.to_str().unwrap()]));
    let e: Vec<&str> = a["ecpr"]["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["eligibility"].as_str().unwrap())
        .collect();
    assert_eq!(
        e,
        vec![
            "meets_checked_criteria",
            "does_not_meet",
            "meets_checked_criteria",
            "meets_checked_criteria"
        ]
    );
    assert!(a["ecpr"]["trials"][1]["failed"][0]
        .as_str()
        .unwrap()
        .contains("18-65"));
}

#[test]
fn assess_markdown_report() {
    let p = example("fulminant_myocarditis.json");
    let o = run(&["assess", p.to_str().unwrap(), "--format", "markdown"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = String::from_utf8(o.stdout).unwrap();
    // The verdict and the evidence date come first, before any section.
    assert!(md
        .lines()
        .nth(2)
        .unwrap_or_default()
        .starts_with("**Verdict:"));
    for needle in [
        "# VA-ECMO assessment: example-myocarditis-01",
        "**Verdict: ON ECMO: REVIEW** · evidence as of 2025-09-01 · timepoint on_ecmo (given)",
        "### Reasons",
        "## SCAI SHOCK stage",
        "## Contraindications",
        "Chung, Shiloh, Carlese",
        "## ECPR criteria",
        "## Expected survival by aetiology",
        "Lorusso",
        "## Complications to anticipate",
        "### SAVE",
        "| constant | - | constant -6 | -6 |",
        "## Weaning readiness",
        "**ready**",
        "| prerequisite | MAP | 72 mmHg | > 60 mmHg | pass (UNVERIFIED) |",
        "UNVERIFIED",
        "Source:",
    ] {
        assert!(md.contains(needle), "markdown lacks {needle:?}\n{md}");
    }
}

#[test]
fn batch_reports_bad_row_and_continues() {
    let csv = "patient_id,age_years,sex,weight_kg,height_cm,diagnoses,liver_failure,cns_dysfunction,acute_renal_failure,chronic_renal_failure,intubation_hours_before_ecmo,peak_inspiratory_pressure_cmh2o,cardiac_arrest_before_ecmo,diastolic_bp_mmhg,pulse_pressure_mmhg,bicarbonate_mmol_l\n\
a,45,female,70,168,myocarditis,false,false,false,false,,18,false,42,25,20\n\
b,250,male,80,180,other,false,false,false,false,,18,false,42,25,20\n\
c,67,male,95,180,acute_myocardial_infarction|refractory_vt_vf,false,false,true,false,20,28,true,35,18,14\n\
d,50,male,80,180,flu,false,false,false,false,,18,false,42,25,20\n";
    let input = tmp("batch_in.csv", csv);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clinical_cli/batch_out.csv");
    let o = run(&[
        "score",
        "save",
        "--csv",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success(), "a failed row gives a non-zero exit");
    let err = stderr(&o);
    assert!(err.contains("row 2") && err.contains("age_years"), "{err}");
    assert!(err.contains("row 4") && err.contains("diagnoses"), "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut rdr = csv_rows(&text);
    let header = rdr.remove(0);
    assert_eq!(
        &header[header.len() - 6..],
        [
            "score",
            "class",
            "survival_percent",
            "derived",
            "warnings",
            "error"
        ]
    );
    assert_eq!(rdr.len(), 4, "all rows written");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // a: 45 y (+4), 70 kg (+2), myocarditis (+3), PIP 18 (+3), DBP 42 (+3), constant -6 = 9, I.
    assert_eq!(rdr[0][col("score")], "9");
    assert_eq!(rdr[0][col("class")], "I");
    assert_eq!(rdr[0][col("error")], "");
    assert!(rdr[1][col("error")].contains("age_years"));
    assert_eq!(rdr[1][col("score")], "");
    // c: 67 y (0), 95 kg (0), VT/VF (+2), ARF (-3), intubated 20 h (-2), arrest (-2), PP 18
    // (-2), HCO3 14 (-3), constant -6 = -16, class V.
    assert_eq!(rdr[2][col("score")], "-16");
    assert_eq!(rdr[2][col("class")], "V");
    assert_eq!(rdr[2][col("survival_percent")], "18");
    assert!(rdr[3][col("error")].contains("diagnoses"));
    // Input columns are copied unchanged.
    assert_eq!(
        rdr[2][col("diagnoses")],
        "acute_myocardial_infarction|refractory_vt_vf"
    );
}

#[test]
fn batch_example_registry_all_rows_scored() {
    let p = example("registry.csv");
    let o = run(&["score", "save", "--csv", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&String::from_utf8(o.stdout).unwrap());
    let header = &rows[0];
    let s = header.iter().position(|h| h == "score").unwrap();
    let scores: Vec<&str> = rows[1..].iter().map(|r| r[s].as_str()).collect();
    // reg-001: 4+2+3+3(PIP)+3(DBP)-6 = 9; reg-002: ARF derived (180 umol/L = 2.04 mg/dL) -3,
    // intubated 20 h -2, arrest -2, PP 18 -2, HCO3 14 -3, -6 = -18; reg-003: 7+1+2-3-6(CRF)
    // -4(36 h)-2+3(DBP 40)-6 = -8; reg-004: 3+2-3(CNS)+3(PIP 19)+3(DBP 44)-6 = 2.
    assert_eq!(scores, vec!["9", "-18", "-8", "2"]);
}

#[test]
fn batch_assess_and_unknown_column() {
    let p = example("registry.csv");
    let o = run(&["assess", "--csv", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&String::from_utf8(o.stdout).unwrap());
    assert_eq!(rows.len(), 5);
    assert!(rows[0].iter().any(|h| h == "scai_stage"));
    let bad = tmp("unknown_col.csv", "age_years,shoe_size\n40,42\n");
    let o = run(&["score", "encourage", "--csv", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("shoe_size"));
}

/// Missing data is "unknown", never "no" (session-7 review): the batch assessment wrote an
/// empty contraindication cell, which reads as "none present", for registry rows that give
/// none of the contraindication fields, and empty SCAI and weaning cells when they could not
/// be computed.
#[test]
fn batch_assess_says_unknown_not_blank() {
    let p = example("registry.csv");
    let o = run(&["assess", "--csv", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&String::from_utf8(o.stdout).unwrap());
    let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
    // The registry has no `uncontrolled_bleeding`, `aortic_dissection`, ... column.
    for row in &rows[1..] {
        let absolute = &row[col("absolute_contraindications")];
        assert!(
            absolute.contains("unknown: ") && absolute.contains("aortic dissection"),
            "{absolute:?}"
        );
        for name in ["relative_contraindications", "scai_stage", "weaning"] {
            assert!(!row[col(name)].is_empty(), "{name} empty in {row:?}");
        }
    }
    // The AMI example gives every absolute contraindication field, all false: "none"; its
    // other considerations are present and listed as before.
    let ami: Value = serde_json::from_str(
        &std::fs::read_to_string(example("ami_cardiogenic_shock.json")).unwrap(),
    )
    .unwrap();
    let obj = ami.as_object().unwrap();
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    };
    let header: Vec<&str> = obj.keys().map(String::as_str).collect();
    let values: Vec<String> = obj.values().map(cell).collect();
    let csv = tmp(
        "ami_row.csv",
        &format!("{}\n{}\n", header.join(","), values.join(",")),
    );
    let o = run(&["assess", "--csv", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&String::from_utf8(o.stdout).unwrap());
    let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
    assert_eq!(rows[1][col("absolute_contraindications")], "none");
    assert_eq!(
        rows[1][col("relative_contraindications")],
        "renal failure;liver failure;peripheral arterial disease"
    );
}

/// `--out -` is standard output, as `--summary-json -` is for `simulate`: it once wrote a
/// file named `-` in the working directory and printed nothing (session-7 user review).
#[test]
fn batch_out_dash_is_standard_output() {
    let p = example("registry.csv");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("clinical_cli_out_dash");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let _ = std::fs::remove_file(dir.join("-"));
    for cmd in [&["score", "save"][..], &["assess"][..]] {
        let o = bin()
            .args(cmd)
            .args(["--csv", p.to_str().unwrap(), "--out", "-"])
            .current_dir(&dir)
            .output()
            .expect("run ecmova");
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
        // The header and the example's four patients.
        let rows = csv_rows(&String::from_utf8(o.stdout).unwrap());
        assert_eq!(rows.len(), 5, "{cmd:?}: {rows:?}");
        assert!(!dir.join("-").exists(), "{cmd:?} wrote a file named '-'");
    }
}

/// Minimal CSV reader for the tests (the outputs here never contain quoted newlines).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut cells = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(ch) = chars.next() {
                match (ch, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        cur.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => cells.push(std::mem::take(&mut cur)),
                    _ => cur.push(ch),
                }
            }
            cells.push(cur);
            cells
        })
        .collect()
}

/// Issue 12/13: a bare creatinine of 1.8 (mg/dL written in the umol/L field) is refused with
/// the likely slip, the same value with its unit is converted, and a key given twice is
/// refused naming it.
#[test]
fn assess_refuses_unit_slips_and_duplicate_keys() {
    let slip = tmp(
        "slip.json",
        &with(neutral(), "creatinine_umol_l", json!(1.8)).to_string(),
    );
    let o = run(&["assess", slip.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("creatinine_umol_l") && e.contains("mg/dL"),
        "{e}"
    );
    let unit = with(
        neutral(),
        "creatinine_umol_l",
        json!({"value": 1.8, "unit": "mg/dL"}),
    );
    let v = score("encourage", "unit.json", &unit);
    let item = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "creatinine")
        .unwrap()
        .clone();
    assert_eq!(item["points"], 5, "{item}");
    let dup = tmp(
        "dup.json",
        r#"{"age_years": 50, "age_years": 51, "sex": "male", "weight_kg": 80, "height_cm": 180, "diagnoses": ["other"]}"#,
    );
    let o = run(&["assess", dup.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("duplicate key `age_years`"),
        "{}",
        stderr(&o)
    );
}

fn fhir_example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/fhir")
        .join(name)
}

#[test]
fn assess_fhir_bundle_equals_patient_json() {
    let bundle = fhir_example("ami_cardiogenic_shock.bundle.json");
    let mut a = stdout_json(&run(&[
        "assess",
        "--fhir",
        bundle.to_str().unwrap(),
        "--at",
        "2026-03-01T12:00:00Z",
    ]));
    let mapping = a
        .as_object_mut()
        .unwrap()
        .remove("fhir_mapping")
        .expect("fhir_mapping");
    assert_eq!(mapping["assessment_time"], "2026-03-01T12:00:00Z");
    assert_eq!(mapping["assessment_time_basis"], "given");
    let p = example("ami_cardiogenic_shock.json");
    let b = stdout_json(&run(&["assess", p.to_str().unwrap()]));
    assert_eq!(a, b);
}

#[test]
fn assess_fhir_markdown_has_the_mapping_and_errors_are_clear() {
    let bundle = fhir_example("ecpr_ohca.bundle.json");
    let o = run(&[
        "assess",
        "--fhir",
        bundle.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(
        md.contains("## FHIR mapping") && md.contains("Bundle.timestamp"),
        "{md}"
    );
    let bad = tmp(
        "not_a_bundle.json",
        r#"{"resourceType": "Patient", "id": "x"}"#,
    );
    let o = run(&["assess", "--fhir", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("expected a FHIR Bundle"),
        "{}",
        stderr(&o)
    );
    let o = run(&["assess", "--fhir", bundle.to_str().unwrap(), "--at", "noon"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--at"), "{}", stderr(&o));
    // --at without --fhir is refused by the argument parser.
    let p = example("ecpr_ohca.json");
    assert!(!run(&["assess", p.to_str().unwrap(), "--at", "2026-03-01"])
        .status
        .success());
}
