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

// Issue 12: the four properties of "Acceptance".

use ecmova_clinical::assess::Verdict;
use ecmova_clinical::patient::{ContraindicationSource, Timepoint};
use ecmova_clinical::scai::{scai_stage, Stage};
use ecmova_clinical::units::UNITS;
use ecmova_clinical::weaning::{weaning_readiness, Readiness, WeaningInput};

prop_compose! {
    /// A patient before cannulation with random haemodynamics, arrest data and
    /// contraindication flags (each possibly absent).
    fn bedside_patient()(
        age in 18.0f64..=90.0,
        dx in proptest::sample::subsequence(DIAGNOSES.to_vec(), 1..=3),
        sbp in proptest::option::of(40.0f64..200.0),
        map in proptest::option::of(25.0f64..150.0),
        hr in proptest::option::of(30.0f64..200.0),
        lactate in proptest::option::of(0.2f64..25.0),
        ph in proptest::option::of(6.6f64..7.6),
        drugs in proptest::option::of(0u32..=4),
        flags in any::<[Option<bool>; 8]>(),
        ci in proptest::option::of(0.8f64..4.5),
        pcwp in proptest::option::of(2.0f64..40.0),
        arrest in any::<[Option<bool>; 3]>(),
        low_flow in proptest::option::of(0.0f64..120.0),
        elso in any::<bool>(),
        contra in any::<[Option<bool>; 7]>(),
    ) -> PatientJson {
        let ongoing = if arrest[0] == Some(true) { arrest[1] } else { None };
        PatientJson {
            timepoint: Some(Timepoint::BeforeCannulation),
            contraindication_source: Some(if elso { ContraindicationSource::Elso2021 } else { ContraindicationSource::Chung2014 }),
            age_years: Some(age),
            sex: Some(Sex::Male),
            weight_kg: Some(80.0),
            height_cm: Some(178.0),
            diagnoses: Some(dx),
            systolic_bp_mmhg: sbp,
            mean_arterial_pressure_mmhg: map,
            heart_rate_bpm: hr,
            lactate_mmol_l: lactate,
            arterial_ph: ph,
            vasoactive_drugs_count: drugs,
            mechanical_support_in_place: flags[0],
            escalating_support: flags[1],
            lactate_rising: flags[2],
            creatinine_doubled: flags[3],
            malignancy: flags[4],
            peripheral_arterial_disease: flags[5],
            cns_dysfunction: flags[6],
            stemi: flags[7],
            cardiac_index_l_min_m2: ci,
            pcwp_mmhg: pcwp,
            cardiac_arrest_before_ecmo: arrest[0],
            ongoing_cpr: ongoing,
            rosc_achieved: if ongoing == Some(true) { Some(false) } else if arrest[0] == Some(true) { arrest[2] } else { None },
            witnessed_arrest: if arrest[0] == Some(true) { contra[0] } else { None },
            low_flow_minutes: if arrest[0] == Some(true) { low_flow } else { None },
            uncontrolled_bleeding: contra[1],
            irreversible_without_exit_strategy: contra[2],
            established_multiorgan_failure: contra[3],
            aortic_dissection: contra[4],
            severe_aortic_regurgitation: contra[5],
            anticoagulation_contraindicated: contra[6],
            ..Default::default()
        }
    }
}

proptest! {
    /// No verdict `consider` (nor an individualised decision) with an absolute
    /// contraindication of the selected list present.
    #[test]
    fn no_consider_with_an_absolute_contraindication(w in bedside_patient()) {
        let p = match Patient::from_wire(w) { Ok(p) => p, Err(e) => return Err(TestCaseError::fail(e.to_string())) };
        let a = assess(&p);
        if !a.contraindications.absolute_present.is_empty() {
            prop_assert!(
                !matches!(a.verdict, Verdict::Consider | Verdict::IndividualisedDecision),
                "{:?} with {:?}", a.verdict, a.contraindications.absolute_present
            );
        }
        if a.verdict == Verdict::Contraindicated {
            prop_assert!(!a.indication.what_would_have_to_change.is_empty());
        }
    }

    /// No stage above B without hypoperfusion, read from the input itself: lactate >= 2,
    /// creatinine doubled, ongoing CPR or an arrest without ROSC.
    #[test]
    fn no_stage_above_b_without_hypoperfusion(w in bedside_patient()) {
        let hypoperfusion = w.lactate_mmol_l.is_some_and(|l| l >= 2.0)
            || w.creatinine_doubled == Some(true)
            || w.ongoing_cpr == Some(true)
            || (w.cardiac_arrest_before_ecmo == Some(true) && w.rosc_achieved == Some(false));
        let p = Patient::from_wire(w).expect("valid");
        if let Ok(s) = scai_stage(&p) {
            if s.stage > Stage::B {
                prop_assert!(hypoperfusion, "stage {:?} from {:?}", s.stage, s.criteria_met);
                prop_assert_eq!(s.hypoperfusion, Some(true));
            }
        }
    }

    /// No `ready` without every haemodynamic prerequisite given and met.
    #[test]
    fn no_ready_without_the_prerequisites(
        flow in 0.5f64..3.0, vti in 5.0f64..20.0, lvef in 10.0f64..50.0,
        tdsa in proptest::option::of(3.0f64..12.0),
        map in proptest::option::of(30.0f64..100.0),
        pulsatile in any::<Option<bool>>(),
        drugs in proptest::option::of(0u32..4),
        lactate in proptest::option::of(0.5f64..8.0),
        rising in any::<Option<bool>>(),
        tapse in proptest::option::of(8.0f64..25.0),
        pf in proptest::option::of(50.0f64..400.0),
    ) {
        let i = WeaningInput {
            flow_l_min: flow, aortic_vti_cm: vti, lvef_percent: lvef, lateral_tdsa_cm_s: tdsa,
            map_mmhg: map, pulsatile, vasoactive_drugs_count: drugs, lactate_mmol_l: lactate,
            lactate_rising: rising, tapse_mm: tapse, native_pao2_fio2_mmhg: pf,
        };
        let r = weaning_readiness(&i);
        if r.readiness == Readiness::Ready {
            prop_assert_eq!(pulsatile, Some(true));
            prop_assert!(map.is_some_and(|m| m > 60.0));
            prop_assert!(drugs.is_some_and(|n| n <= 1));
            prop_assert!(lactate.is_some_and(|l| l < 2.0));
            prop_assert!(rising != Some(true));
            prop_assert!(tapse.is_none_or(|t| t >= 17.0));
            prop_assert!(pf.is_none_or(|x| x > 100.0));
        }
    }

    /// Every bare number outside its field's plausible range is refused, naming the field.
    #[test]
    fn every_bare_number_outside_its_plausible_range_is_refused(
        idx in 0..UNITS.len(), below in any::<bool>(), by in 1e-6f64..1e4,
    ) {
        let u = &UNITS[idx];
        let x = if below { u.plausible.0 - by } else { u.plausible.1 + by };
        let doc = format!(r#"{{"age_years": 50, "sex": "male", "weight_kg": 80, "height_cm": 180, "diagnoses": ["other"], "{}": {x}}}"#, u.field);
        // age/weight/height appear twice otherwise: replace them instead.
        let doc = if ["age_years", "weight_kg", "height_cm"].contains(&u.field) {
            let mut v: serde_json::Value = serde_json::from_str(r#"{"age_years": 50, "sex": "male", "weight_kg": 80, "height_cm": 180, "diagnoses": ["other"]}"#).unwrap();
            v[u.field] = serde_json::json!(x);
            v.to_string()
        } else { doc };
        match Patient::from_json(&doc) {
            Ok(_) => prop_assert!(false, "{} = {x} accepted", u.field),
            Err(e) => prop_assert_eq!(e.field(), u.field.to_string(), "{}", e),
        }
    }
}
