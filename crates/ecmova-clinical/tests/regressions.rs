//! Issue 12: one patient file per failure a clinical review found
//! (`examples/patients/regressions/`), each test named after the failure. Every test
//! fails on the code before issue 12 (the old verdict, stage or silent acceptance is
//! asserted against).

use ecmova_clinical::assess::{assess, Assessment, Eligibility, Verdict};
use ecmova_clinical::patient::Timepoint;
use ecmova_clinical::scai::Stage;
use ecmova_clinical::scores::{encourage, save};
use ecmova_clinical::{report, ClinicalError, Patient};

macro_rules! file {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/patients/regressions/",
            $name
        ))
    };
}

fn load(text: &str) -> Patient {
    Patient::from_json(text).expect("regression patient is valid")
}

fn assessed(text: &str) -> Assessment {
    assess(&load(text))
}

#[test]
fn staging_from_one_number_pcwp_alone_is_a_finding_not_stage_c() {
    let a = assessed(file!("staging_pcwp_alone.json"));
    let s = a.scai.result.as_ref().expect("staged");
    assert_eq!(s.stage, Stage::A, "{:?}", s.criteria_met);
    assert!(s.findings.iter().any(|f| f.finding.contains("PCWP 18")));
    assert_eq!(a.verdict, Verdict::NotIndicated);
    assert!(!a.summary.contains("should be considered"));
}

#[test]
fn staging_from_one_number_respiratory_acidosis_is_not_stage_e() {
    let a = assessed(file!("staging_respiratory_acidosis.json"));
    let s = a.scai.result.as_ref().expect("staged");
    assert_eq!(s.stage, Stage::A);
    assert!(s.findings.iter().any(|f| f.finding.contains("pH 7.15")));
    assert_eq!(s.hypoperfusion, Some(false));
    assert_eq!(a.verdict, Verdict::NotIndicated);
}

#[test]
fn contraindications_change_the_verdict_unwitnessed_arrest_61_minutes() {
    let a = assessed(file!("contraindication_unwitnessed_61min.json"));
    assert_eq!(a.verdict, Verdict::Contraindicated);
    let absent: Vec<_> = a.contraindications.absolute_present.clone();
    assert!(absent.contains(&"unwitnessed cardiac arrest"), "{absent:?}");
    assert!(absent.contains(&"CPR longer than 60 minutes"), "{absent:?}");
    assert_eq!(a.indication.what_would_have_to_change.len(), 2);
    assert!(a
        .contraindications
        .source_citation
        .contains("Chung, Shiloh, Carlese"));
    assert!(a.contraindications.source_citation.contains("Table 2"));
}

#[test]
fn ami_shock_headline_leads_with_acs_recommendation_and_trials() {
    let a = assessed(file!("ami_shock_headline.json"));
    assert_eq!(a.verdict, Verdict::IndividualisedDecision);
    let first = &a.indication.recommendations[0];
    assert_eq!((first.class, first.level), ("IIb", "C"));
    assert!(first.citation.contains("acute coronary syndromes"));
    let notes: String = a
        .indication
        .notes
        .iter()
        .map(|n| format!("{} {}\n", n.text, n.citation))
        .collect();
    for needle in [
        "47.8% with early VA-ECMO vs 49.0%",
        "23.4% vs 9.6%",
        "Desch",
        "Ostadal",
        "OR 0.93",
        "45.8% with a microaxial flow pump vs 58.5%",
        "24.0% vs 6.2%",
        "UNVERIFIED",
    ] {
        assert!(notes.contains(needle), "{needle} missing from\n{notes}");
    }
    // Both arms of ECLS-SHOCK in the expected-survival line.
    let f = a
        .expected_survival
        .figures
        .iter()
        .find(|f| f.citation.contains("ECLS-SHOCK"))
        .expect("ECLS-SHOCK figure");
    assert_eq!(f.percent, 52.2);
    assert!(f.control_arm.as_deref().unwrap_or("").contains("51.0%"));
    // The microaxial pump option, checked against DanGer Shock's selection.
    let d = a
        .indication
        .microaxial_pump_option
        .as_ref()
        .expect("option");
    assert_eq!(d.eligibility, Eligibility::MeetsCheckedCriteria, "{d:?}");
    assert!(a.evidence_as_of.starts_with("2025"));
}

#[test]
fn missing_rosc_is_undetermined_not_refractory_arrest() {
    let a = assessed(file!("arrest_rosc_missing.json"));
    assert_eq!(a.verdict, Verdict::Undetermined);
    assert!(a.indication.summary.contains("rosc_achieved"));
    assert!(!a.indication.summary.contains("ECPR may be considered"));
    assert_eq!(a.ecpr.rosc_status, "not_given");
}

#[test]
fn weaning_ready_from_echo_alone_map_48_on_three_drugs_lactate_6() {
    let a = assessed(file!("weaning_map48_three_drugs.json"));
    assert_eq!(a.timepoint.value, Timepoint::OnEcmo);
    assert_eq!(a.verdict, Verdict::OnEcmoReview);
    let w = a.weaning.result.as_ref().expect("weaning computed");
    assert_eq!(
        serde_json::to_value(w.readiness).unwrap(),
        serde_json::json!("not_ready")
    );
    let failed: Vec<_> = w
        .criteria
        .iter()
        .filter(|c| c.kind == "prerequisite" && c.result == "fail")
        .map(|c| c.criterion)
        .collect();
    assert_eq!(failed, vec!["MAP", "vasoactive load", "lactate"]);
}

#[test]
fn units_creatinine_in_mg_dl_is_refused_bare_and_converted_with_its_unit() {
    let e = Patient::from_json(file!("creatinine_mg_dl_bare.json")).unwrap_err();
    assert!(matches!(e, ClinicalError::Implausible { .. }), "{e}");
    assert_eq!(e.field(), "creatinine_umol_l");
    assert!(e.to_string().contains("mg/dL"), "{e}");
    let p = load(file!("creatinine_mg_dl_with_unit.json"));
    let r = encourage::encourage(&p).expect("ENCOURAGE");
    let item = r
        .items
        .iter()
        .find(|i| i.item == "creatinine")
        .expect("item");
    // 1.8 mg/dL = 159.2 umol/L > 150: +5 (read as 1.8 umol/L it scored 0).
    assert_eq!(item.points, 5, "{item:?}");
    let a = assess(&p);
    assert_eq!(
        a.unit_conversions,
        vec!["creatinine_umol_l: 1.8 mg/dL = 159.16 umol/L".to_string()]
    );
}

#[test]
fn conflicting_liver_failure_false_against_bilirubin_80_alt_500_uses_present() {
    let p = load(file!("liver_failure_conflict.json"));
    let s = save::save(&p).expect("SAVE");
    let item = s
        .items
        .iter()
        .find(|i| i.item == "liver_failure")
        .expect("item");
    assert_eq!(item.points, -3);
    assert!(s
        .derived
        .iter()
        .any(|d| d.derived_from.contains("CONFLICT")));
    let a = assess(&p);
    assert_eq!(a.conflicts.len(), 1);
    assert!(a.conflicts[0].labs.contains("bilirubin_umol_l 80"));
    assert!(report::markdown(&a).contains("Conflicts between given values and labs"));
}

#[test]
fn tips65_outside_its_population_in_hospital_pea_warns() {
    let a = assessed(file!("tips65_in_hospital_pea.json"));
    let t = a.tips65.result.as_ref().expect("TiPS65");
    assert!(
        t.warnings.iter().any(|w| w.contains("in-hospital")),
        "{:?}",
        t.warnings
    );
    assert!(
        t.warnings.iter().any(|w| w.contains("pea")),
        "{:?}",
        t.warnings
    );
}

#[test]
fn stage_mortality_is_printed_only_with_its_caveat() {
    let a = assessed(file!("ami_shock_headline.json"));
    let s = a.scai.result.as_ref().expect("staged");
    assert!(s.stage_mortality.caveat.contains("not this patient's risk"));
    let md = report::markdown(&a);
    let line = md
        .lines()
        .find(|l| l.contains("Stage mortality"))
        .expect("mortality line");
    assert!(line.contains("not this patient's risk") && line.contains("Jentzer"));
}

#[test]
fn sources_elso_selectable_prague_without_cath_lab_trials_labelled_checked() {
    let a = assessed(file!("ecpr_elso_source.json"));
    assert!(a.contraindications.source_citation.contains("Lorusso"));
    let prague = a
        .ecpr
        .trials
        .iter()
        .find(|t| t.trial == "Prague OHCA")
        .unwrap();
    // Collapse-to-cath-lab 200 min is not a Prague criterion.
    assert_eq!(
        prague.eligibility,
        Eligibility::MeetsCheckedCriteria,
        "{prague:?}"
    );
    assert!(!format!("{prague:?}").contains("cath lab"));
    for t in &a.ecpr.trials {
        assert!(
            t.label.starts_with("meets the checked criteria of")
                || t.label.starts_with("does not meet")
                || t.label.starts_with("undetermined"),
            "{}",
            t.label
        );
    }
    assert!(a
        .ecpr
        .trials
        .iter()
        .any(|t| t.trial.starts_with("ELSO 2021")));
    // ECPR is an individualised decision, never a bare "consider".
    assert_eq!(a.verdict, Verdict::IndividualisedDecision);
    let md = report::markdown(&a);
    assert!(md.starts_with("# VA-ECMO assessment"));
    let verdict_line = md.lines().nth(2).unwrap_or_default();
    assert!(
        verdict_line.contains("Verdict") && verdict_line.contains("evidence as of"),
        "{verdict_line}"
    );
}

#[test]
fn lv_unloading_is_not_attributed_as_mandatory_and_myocarditis_cites_esc_2025() {
    let mut v: serde_json::Value = serde_json::from_str(file!("staging_pcwp_alone.json")).unwrap();
    v["diagnoses"] = serde_json::json!(["myocarditis"]);
    v["systolic_bp_mmhg"] = serde_json::json!(80);
    v["lactate_mmol_l"] = serde_json::json!(4);
    let a = assess(&Patient::from_json(&v.to_string()).unwrap());
    let json = serde_json::to_string(&a).unwrap();
    assert!(!json.contains("is mandatory\""));
    assert!(json.contains("2025 ESC Guidelines for the management of myocarditis"));
}

/// Session-7 user review: the Markdown report's "Recommendations and evidence" section was
/// an empty heading for a patient on ECMO (the indication question does not apply) and for
/// an undetermined stage; it now says why nothing is listed.
#[test]
fn markdown_recommendations_section_is_never_empty() {
    let on_ecmo = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/patients/fulminant_myocarditis.json"
    ));
    let a = assessed(on_ecmo);
    assert!(a.indication.recommendations.is_empty() && a.indication.notes.is_empty());
    let md = report::markdown(&a);
    let section = md
        .split("## Recommendations and evidence")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the section");
    assert!(
        section.contains("None listed for this verdict: on VA-ECMO"),
        "{section:?}"
    );
}
