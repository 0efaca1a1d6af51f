//! The code tables: which LOINC, SNOMED CT and ICD-10 codes fill which patient field
//! (`docs/fhir-mapping.md` is the documented copy of these tables).
//!
//! Sources of the codes: LOINC (Regenstrief Institute, loinc.org; e.g. 2524-7 "Lactate
//! [Moles/volume] in Serum or Plasma", 2518-9 "Lactate [Moles/volume] in Arterial blood",
//! 9269-2 "Glasgow coma score total", 10230-1 "Left ventricular Ejection fraction", 18043-0
//! "Left ventricular Ejection fraction by US", 1742-6 ALT, 2703-7 "Oxygen [Partial pressure]
//! in Arterial blood"); the vital-sign codes 8867-4, 8480-6, 8462-4, 8478-0, 29463-7,
//! 8302-2 and 39156-5 are those of the FHIR R4 vital-signs profile (HL7 FHIR R4, 2019);
//! SNOMED CT International (SNOMED International); ICD-10 (WHO) and ICD-10-CM (CDC/NCHS)
//! categories.

use ecmova_clinical::patient::Diagnosis;

/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// ICD-10 (WHO).
pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
/// ICD-10-CM.
pub const ICD10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// UCUM.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// ecmova's own code system for patient fields no standard code carries (the code is the
/// patient key, e.g. `expected_transport_minutes`). A hospital system will not send these;
/// they let a Bundle assembled for ecmova carry every field of the patient format.
pub const ECMOVA_FIELD: &str = "https://example.invalid/ecmova/fhir/CodeSystem/patient-field";

/// Observation codes (LOINC) → patient field. `(code, field, LOINC long name)`.
pub const LOINC_FIELDS: &[(&str, &str, &str)] = &[
    ("29463-7", "weight_kg", "Body weight"),
    ("8302-2", "height_cm", "Body height"),
    ("39156-5", "bmi_kg_m2", "Body mass index (BMI) [Ratio]"),
    ("8867-4", "heart_rate_bpm", "Heart rate"),
    ("8480-6", "systolic_bp_mmhg", "Systolic blood pressure"),
    ("8462-4", "diastolic_bp_mmhg", "Diastolic blood pressure"),
    (
        "8478-0",
        "mean_arterial_pressure_mmhg",
        "Mean blood pressure",
    ),
    (
        "2524-7",
        "lactate_mmol_l",
        "Lactate [Moles/volume] in Serum or Plasma",
    ),
    (
        "32693-4",
        "lactate_mmol_l",
        "Lactate [Moles/volume] in Blood",
    ),
    (
        "2518-9",
        "lactate_mmol_l",
        "Lactate [Moles/volume] in Arterial blood",
    ),
    (
        "2160-0",
        "creatinine_umol_l",
        "Creatinine [Mass/volume] in Serum or Plasma",
    ),
    (
        "14682-9",
        "creatinine_umol_l",
        "Creatinine [Moles/volume] in Serum or Plasma",
    ),
    ("2744-1", "arterial_ph", "pH of Arterial blood"),
    (
        "1975-2",
        "bilirubin_umol_l",
        "Bilirubin.total [Mass/volume] in Serum or Plasma",
    ),
    (
        "14631-6",
        "bilirubin_umol_l",
        "Bilirubin.total [Moles/volume] in Serum or Plasma",
    ),
    (
        "1742-6",
        "alt_u_l",
        "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    ),
    (
        "1920-8",
        "ast_u_l",
        "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    ),
    (
        "33914-3",
        "egfr_ml_min_1_73m2",
        "GFR/1.73 sq M.predicted (MDRD)",
    ),
    (
        "62238-1",
        "egfr_ml_min_1_73m2",
        "GFR/1.73 sq M.predicted (CKD-EPI)",
    ),
    (
        "1963-8",
        "bicarbonate_mmol_l",
        "Bicarbonate [Moles/volume] in Serum or Plasma",
    ),
    (
        "1960-4",
        "bicarbonate_mmol_l",
        "Bicarbonate [Moles/volume] in Arterial blood",
    ),
    (
        "2703-7",
        "pao2_mmhg",
        "Oxygen [Partial pressure] in Arterial blood",
    ),
    (
        "2708-6",
        "sao2_percent",
        "Oxygen saturation in Arterial blood",
    ),
    ("9269-2", "gcs", "Glasgow coma score total"),
    (
        "10230-1",
        "lvef_percent",
        "Left ventricular Ejection fraction",
    ),
    (
        "18043-0",
        "lvef_percent",
        "Left ventricular Ejection fraction by US",
    ),
];

/// Units accepted for a whole-number field given as a `valueQuantity` (UCUM annotations).
pub const COUNT_UNITS: &[&str] = &["", "1", "{score}", "{count}", "{#}", "{drugs}", "{shocks}"];

/// What a condition code means for the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionEffect {
    /// A diagnosis (aetiology) of the patient format.
    Diagnosis(Diagnosis),
    /// A diagnosis plus the `stemi` flag (true: STEMI; false: NSTEMI).
    Infarction(Option<bool>),
    /// A boolean field: `true` when the condition is present, `false` when refuted.
    Flag(&'static str),
    /// Cardiac arrest: `cardiac_arrest_before_ecmo`, and its onset time.
    Arrest,
    /// `chronic_renal_failure` from a CKD stage: true for stage 3 to 5, false for 1 and 2.
    ChronicRenal(bool),
    /// The code is known but does not settle the field (e.g. aortic regurgitation without
    /// its severity): reported as ambiguous, never used.
    Ambiguous(&'static str, &'static str),
}

/// SNOMED CT condition codes. `(code, effect, display)`.
///
/// Only codes whose meaning was found on a public page are listed (the page is named per code
/// in `docs/fhir-mapping.md`, column "verified"); the test `every_code_is_in_the_docs` keeps
/// the two in step. SNOMED CT codes that would set an aetiology or a contraindication and
/// could not be verified (57054005, 50920009, 25569003, 59282003, 48447003, 308546005,
/// 840580004) were removed: such a condition is reported as unmapped,
/// never guessed; the ICD-10 codes below cover the same diagnoses. The two `Ambiguous`
/// entries never set a field and stay, marked unverified in the docs.
pub const SNOMED_CONDITIONS: &[(&str, ConditionEffect, &str)] = &[
    (
        "401303003",
        ConditionEffect::Infarction(Some(true)),
        "Acute ST segment elevation myocardial infarction",
    ),
    (
        "401314000",
        ConditionEffect::Infarction(Some(false)),
        "Acute non-ST segment elevation myocardial infarction",
    ),
    (
        "71908006",
        ConditionEffect::Diagnosis(Diagnosis::RefractoryVtVf),
        "Ventricular fibrillation",
    ),
    (
        "426525004",
        ConditionEffect::Diagnosis(Diagnosis::RefractoryVtVf),
        "Sustained ventricular tachycardia",
    ),
    (
        "84114007",
        ConditionEffect::Ambiguous(
            "diagnoses",
            "heart failure without acute/chronic: give the aetiology",
        ),
        "Heart failure",
    ),
    ("410429000", ConditionEffect::Arrest, "Cardiac arrest"),
    (
        "363346000",
        ConditionEffect::Flag("malignancy"),
        "Malignant neoplastic disease",
    ),
    (
        "60234000",
        ConditionEffect::Ambiguous(
            "severe_aortic_regurgitation",
            "aortic regurgitation without its severity",
        ),
        "Aortic valve regurgitation",
    ),
    (
        "709044004",
        ConditionEffect::Ambiguous(
            "chronic_renal_failure",
            "chronic kidney disease without its stage (SAVE needs GFR < 60 mL/min for >= 3 months)",
        ),
        "Chronic kidney disease",
    ),
];

/// ICD-10 / ICD-10-CM condition codes by prefix (dots removed, upper case); the longest
/// matching prefix wins. `(prefix, effect, meaning)`.
///
/// Each prefix was checked on a public page (`docs/fhir-mapping.md`, column "verified").
/// Prefixes that could not be verified were removed, and a code under them now falls back to
/// its verified parent, which is `Ambiguous` where the parent does not settle the field:
/// I50.22/.23/.32/.33/.42/.43 (chronic heart failure; I50 is ambiguous), N18.1-N18.3 (CKD
/// stages; N18 is ambiguous), I35.1 and I06.1 (aortic insufficiency: refuting them would clear
/// a contraindication), Q20, Q23, Q26 and Z94.3.
pub const ICD10_CONDITIONS: &[(&str, ConditionEffect, &str)] = &[
    ("I21", ConditionEffect::Infarction(None), "acute myocardial infarction"),
    ("I210", ConditionEffect::Infarction(Some(true)), "STEMI of anterior wall"),
    ("I211", ConditionEffect::Infarction(Some(true)), "STEMI of inferior wall"),
    ("I212", ConditionEffect::Infarction(Some(true)), "STEMI of other sites"),
    ("I213", ConditionEffect::Infarction(Some(true)), "STEMI of unspecified site"),
    ("I214", ConditionEffect::Infarction(Some(false)), "NSTEMI"),
    ("I40", ConditionEffect::Diagnosis(Diagnosis::Myocarditis), "acute myocarditis"),
    ("I514", ConditionEffect::Diagnosis(Diagnosis::Myocarditis), "myocarditis, unspecified"),
    ("I26", ConditionEffect::Diagnosis(Diagnosis::PulmonaryEmbolism), "pulmonary embolism"),
    ("I4901", ConditionEffect::Diagnosis(Diagnosis::RefractoryVtVf), "ventricular fibrillation"),
    ("I490", ConditionEffect::Diagnosis(Diagnosis::RefractoryVtVf), "ventricular fibrillation and flutter"),
    ("I472", ConditionEffect::Diagnosis(Diagnosis::RefractoryVtVf), "ventricular tachycardia"),
    ("I46", ConditionEffect::Arrest, "cardiac arrest"),
    ("I50", ConditionEffect::Ambiguous("diagnoses", "heart failure: acute or chronic is not read from ICD-10 (the chronic ICD-10-CM codes are not verified); give the aetiology"), "heart failure"),
    ("I710", ConditionEffect::Flag("aortic_dissection"), "dissection of aorta"),
    ("C", ConditionEffect::Flag("malignancy"), "malignant neoplasm (chapter II, C00-C97)"),
    ("D7582", ConditionEffect::Flag("heparin_induced_thrombocytopenia"), "heparin induced thrombocytopenia (ICD-10-CM)"),
    ("I739", ConditionEffect::Flag("peripheral_arterial_disease"), "peripheral vascular disease, unspecified"),
    ("I702", ConditionEffect::Flag("peripheral_arterial_disease"), "atherosclerosis of arteries of extremities"),
    ("N18", ConditionEffect::Ambiguous("chronic_renal_failure", "chronic kidney disease without its stage"), "chronic kidney disease"),
    ("N184", ConditionEffect::ChronicRenal(true), "CKD stage 4"),
    ("N185", ConditionEffect::ChronicRenal(true), "CKD stage 5"),
    ("N186", ConditionEffect::ChronicRenal(true), "end stage renal disease"),
    ("Q21", ConditionEffect::Diagnosis(Diagnosis::CongenitalHeartDisease), "congenital malformations of cardiac septa"),
    ("Q22", ConditionEffect::Diagnosis(Diagnosis::CongenitalHeartDisease), "congenital malformations of pulmonary and tricuspid valves"),
    ("Q24", ConditionEffect::Diagnosis(Diagnosis::CongenitalHeartDisease), "other congenital malformations of heart"),
    ("Q25", ConditionEffect::Diagnosis(Diagnosis::CongenitalHeartDisease), "congenital malformations of great arteries"),
    ("Z941", ConditionEffect::Diagnosis(Diagnosis::PostTransplant), "heart transplant status"),
    ("Z942", ConditionEffect::Diagnosis(Diagnosis::PostTransplant), "lung transplant status"),
];

/// ICD-10 T36-T50 (WHO: "poisoning by drugs, medicaments and biological substances") →
/// `drug_intoxication`. ICD-10-CM uses the same block for "poisoning by, adverse effect of
/// and underdosing of" drugs and tells them apart by the sixth character (1-4 poisoning by
/// intent, 5 adverse effect, 6 underdosing; CMS ICD-10-CM tabular list, T36-T50 notes): an
/// adverse effect or an underdosing is not an intoxication and is not mapped. `code` is
/// without dots, upper case.
pub fn icd10_drug_poisoning(code: &str) -> bool {
    let block = code.len() >= 3
        && code.starts_with('T')
        && code[1..3]
            .parse::<u32>()
            .is_ok_and(|n| (36..=50).contains(&n));
    block && !matches!(code.as_bytes().get(5), Some(b'5' | b'6'))
}

/// What a procedure code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcedureKind {
    /// Extracorporeal membrane oxygenation.
    Ecmo,
    /// Insertion of endotracheal tube.
    Intubation,
    /// Cardiopulmonary resuscitation.
    Cpr,
}

/// SNOMED CT procedure codes. `(code, kind, display)`.
///
/// Only ECMO (233573008) was verified on a public page. The codes for insertion of an
/// endotracheal tube (112798008) and cardiopulmonary resuscitation (89666000) could not be
/// verified and were removed: they would set `intubation_hours_before_ecmo`,
/// `cardiac_arrest_before_ecmo`, `ongoing_cpr` and `low_flow_minutes` (a contraindication
/// and score inputs). Such procedures are reported as unmapped; the kinds stay so that a
/// verified code can be added back without touching the conversion.
pub const SNOMED_PROCEDURES: &[(&str, ProcedureKind, &str)] = &[(
    "233573008",
    ProcedureKind::Ecmo,
    "Extracorporeal membrane oxygenation",
)];

/// The LOINC field of a code.
pub fn loinc_field(code: &str) -> Option<&'static str> {
    LOINC_FIELDS
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, f, _)| *f)
}

/// The effect of a SNOMED CT condition code.
pub fn snomed_condition(code: &str) -> Option<ConditionEffect> {
    SNOMED_CONDITIONS
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, e, _)| *e)
}

/// The effect of an ICD-10-CM code (longest prefix); also the table used for WHO ICD-10 by
/// [`icd10_who_condition`].
pub fn icd10_condition(code: &str) -> Option<ConditionEffect> {
    let norm: String = code
        .chars()
        .filter(|c| *c != '.')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if icd10_drug_poisoning(&norm) {
        return Some(ConditionEffect::Diagnosis(Diagnosis::DrugIntoxication));
    }
    ICD10_CONDITIONS
        .iter()
        .filter(|(p, ..)| norm.starts_with(p))
        .max_by_key(|(p, ..)| p.len())
        .map(|(_, e, _)| *e)
}

/// The effect of a WHO ICD-10 code (`http://hl7.org/fhir/sid/icd-10`). WHO ICD-10 names
/// I21.0-I21.3 "acute transmural myocardial infarction" and I21.4 "acute subendocardial
/// myocardial infarction": transmural is not the same as ST elevation, so these give the
/// diagnosis without the `stemi` flag (ICD-10-CM I21.0-I21.4 name STEMI and NSTEMI and do
/// set it, see [`icd10_condition`]). ICD-10-CM-only codes (D75.82, I49.01, I50.22, N18.6,
/// ...) do not exist in WHO ICD-10 and cannot collide.
pub fn icd10_who_condition(code: &str) -> Option<ConditionEffect> {
    match icd10_condition(code) {
        Some(ConditionEffect::Infarction(Some(_))) => Some(ConditionEffect::Infarction(None)),
        other => other,
    }
}

/// The kind of a SNOMED CT procedure code.
pub fn snomed_procedure(code: &str) -> Option<ProcedureKind> {
    SNOMED_PROCEDURES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_loinc_field_is_a_patient_key() {
        for (code, field, _) in LOINC_FIELDS {
            assert!(
                ecmova_clinical::wire::field_kind(field).is_some(),
                "{code} -> {field}"
            );
        }
    }

    #[test]
    fn icd_longest_prefix() {
        assert_eq!(
            icd10_condition("I21.0"),
            Some(ConditionEffect::Infarction(Some(true)))
        );
        assert_eq!(
            icd10_condition("I21.9"),
            Some(ConditionEffect::Infarction(None))
        );
        assert_eq!(
            icd10_condition("N18.4"),
            Some(ConditionEffect::ChronicRenal(true))
        );
        assert!(matches!(
            icd10_condition("N18.9"),
            Some(ConditionEffect::Ambiguous(..))
        ));
        assert_eq!(
            icd10_condition("T46.1X1A"),
            Some(ConditionEffect::Diagnosis(Diagnosis::DrugIntoxication))
        );
        assert_eq!(icd10_condition("T51.0"), None);
        // ICD-10-CM adverse effect (6th character 5) and underdosing (6) are not poisoning.
        assert_eq!(icd10_condition("T45.515A"), None);
        assert_eq!(icd10_condition("T46.1X6A"), None);
        assert_eq!(
            icd10_condition("T42.4X2A"),
            Some(ConditionEffect::Diagnosis(Diagnosis::DrugIntoxication))
        );
        // Removed (unverified) children fall back to their verified, ambiguous parent.
        assert!(matches!(
            icd10_condition("I50.22"),
            Some(ConditionEffect::Ambiguous("diagnoses", _))
        ));
        assert!(matches!(
            icd10_condition("N18.2"),
            Some(ConditionEffect::Ambiguous("chronic_renal_failure", _))
        ));
        assert_eq!(icd10_condition("J18.9"), None);
    }

    #[test]
    fn who_icd10_transmural_infarction_does_not_set_stemi() {
        // ICD-10-CM I21.0 is "STEMI of anterior wall"; WHO ICD-10 I21.0 is "acute transmural
        // myocardial infarction of anterior wall", which does not say ST elevation.
        assert_eq!(
            icd10_condition("I21.0"),
            Some(ConditionEffect::Infarction(Some(true)))
        );
        assert_eq!(
            icd10_who_condition("I21.0"),
            Some(ConditionEffect::Infarction(None))
        );
        assert_eq!(
            icd10_who_condition("I21.4"),
            Some(ConditionEffect::Infarction(None))
        );
        assert_eq!(
            icd10_who_condition("I40.9"),
            Some(ConditionEffect::Diagnosis(Diagnosis::Myocarditis))
        );
    }
}
