//! Property tests over whole patients: any valid patient gives scores inside their published
//! ranges, and no input (valid or not) makes the library panic.

use ecmova_clinical::assess::assess;
use ecmova_clinical::patient::{Diagnosis, Sex};
use ecmova_clinical::scores::{encourage, save};
use ecmova_clinical::wire::{parse_patient_json, patient_json_from_cells, PatientJson, FIELDS};
use ecmova_clinical::{report, Patient};
use proptest::prelude::*;

const DIAGNOSES: [Diagnosis; 11] = [
    Diagnosis::AcuteMyocardialInfarction,
    Diagnosis::Myocarditis,
    Diagnosis::RefractoryVtVf,
    Diagnosis::PostTransplant,
    Diagnosis::CongenitalHeartDisease,
    Diagnosis::PostCardiotomy,
    Diagnosis::DrugIntoxication,
    Diagnosis::PulmonaryEmbolism,
    Diagnosis::ChronicHeartFailure,
    Diagnosis::SepticCardiomyopathy,
    Diagnosis::Other,
];

prop_compose! {
    fn valid_patient()(
        age in 18.0f64..=120.0,
        female in any::<bool>(),
        weight in 30.0f64..200.0,
        height in 140.0f64..220.0,
        dx in proptest::sample::subsequence(DIAGNOSES.to_vec(), 1..=4),
        flags in any::<[Option<bool>; 4]>(),
        labs in (0.0f64..1500.0, 0.0f64..50000.0, 0.0f64..50000.0, 0.0f64..3000.0),
        crf in any::<bool>(),
        intub in proptest::option::of(0.0f64..8760.0),
        pip in 0.0f64..100.0,
        arrest in any::<bool>(),
        bp in (0.0f64..200.0, 0.0f64..250.0, 0.0f64..60.0),
        enc in (3u8..=15, 0.0f64..50.0, 0.0f64..150.0),
    ) -> PatientJson {
        PatientJson {
            age_years: Some(age),
            sex: Some(if female { Sex::Female } else { Sex::Male }),
            weight_kg: Some(weight),
            height_cm: Some(height),
            diagnoses: Some(dx),
            liver_failure: flags[0],
            cns_dysfunction: Some(flags[1].unwrap_or(false)),
            acute_renal_failure: flags[2],
            bilirubin_umol_l: Some(labs.0),
            alt_u_l: Some(labs.1),
            ast_u_l: Some(labs.2),
            creatinine_umol_l: Some(labs.3),
            chronic_renal_failure: Some(crf),
            intubation_hours_before_ecmo: intub,
            peak_inspiratory_pressure_cmh2o: Some(pip),
            cardiac_arrest_before_ecmo: Some(arrest),
            ongoing_cpr: if arrest { flags[3] } else { None },
            diastolic_bp_mmhg: Some(bp.0),
            pulse_pressure_mmhg: Some(bp.1),
            bicarbonate_mmol_l: Some(bp.2),
            gcs: Some(enc.0),
            lactate_mmol_l: Some(enc.1),
            prothrombin_activity_percent: Some(enc.2),
            ..Default::default()
        }
    }
}

proptest! {
    #[test]
    fn valid_patients_score_inside_published_ranges(w in valid_patient()) {
        let p = match Patient::from_wire(w) { Ok(p) => p, Err(e) => return Err(TestCaseError::fail(e.to_string())) };
        let s = save::save(&p).expect("all SAVE fields present");
        prop_assert!((-35..=17).contains(&s.score), "SAVE {}", s.score);
        let e = encourage::encourage(&p).expect("all ENCOURAGE fields present");
        prop_assert!((0..=45).contains(&e.score), "ENCOURAGE {}", e.score);
        let a = assess(&p);
        prop_assert!(!report::markdown(&a).is_empty());
        prop_assert!(serde_json::to_string(&a).is_ok());
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = parse_patient_json(&text);
    }

    #[test]
    fn arbitrary_numbers_never_panic(key in proptest::sample::select(FIELDS.iter().map(|(k, _)| *k).collect::<Vec<_>>()),
                                     x in any::<f64>()) {
        let doc = format!(r#"{{"age_years": 50, "sex": "male", "weight_kg": 80, "height_cm": 180, "diagnoses": ["other"], "{key}": {x}}}"#);
        if let Ok(p) = Patient::from_json(&doc) {
            let _ = save::save(&p);
            let _ = encourage::encourage(&p);
            let _ = report::markdown(&assess(&p));
        }
    }

    #[test]
    fn arbitrary_csv_cells_never_panic(cells in proptest::collection::vec(".{0,12}", 6)) {
        let headers: Vec<String> = ["age_years", "sex", "weight_kg", "height_cm", "diagnoses", "gcs"]
            .iter().map(|s| s.to_string()).collect();
        if let Ok(w) = patient_json_from_cells(&headers, &cells) {
            let _ = Patient::from_wire(w);
        }
    }
}
