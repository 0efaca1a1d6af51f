//! The validated domain patient, built from the wire type, and the derived flags.
//!
//! Ranges checked here are plausibility limits chosen by ecmova to catch data-entry errors
//! (e.g. an age of 250 years or a negative lactate); they are not clinical thresholds and no
//! score uses them. They are listed in `docs/patient-format.md`.

use crate::citation::{self, Source};
use crate::error::ClinicalError;
use crate::wire::PatientJson;
use serde::{Deserialize, Serialize};

/// Sex, as used by ENCOURAGE (female +7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

/// Diagnosis leading to the shock or arrest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Diagnosis {
    /// Acute myocardial infarction.
    AcuteMyocardialInfarction,
    /// (Fulminant) myocarditis.
    Myocarditis,
    /// Refractory ventricular tachycardia / fibrillation.
    RefractoryVtVf,
    /// After heart or lung transplantation.
    PostTransplant,
    /// Congenital heart disease.
    CongenitalHeartDisease,
    /// After cardiac surgery.
    PostCardiotomy,
    /// Drug intoxication.
    DrugIntoxication,
    /// Pulmonary embolism.
    PulmonaryEmbolism,
    /// Chronic heart failure (decompensated).
    ChronicHeartFailure,
    /// Septic cardiomyopathy.
    SepticCardiomyopathy,
    /// Any other cause.
    Other,
}

impl Diagnosis {
    /// The wire name (snake_case).
    pub fn name(self) -> &'static str {
        match self {
            Diagnosis::AcuteMyocardialInfarction => "acute_myocardial_infarction",
            Diagnosis::Myocarditis => "myocarditis",
            Diagnosis::RefractoryVtVf => "refractory_vt_vf",
            Diagnosis::PostTransplant => "post_transplant",
            Diagnosis::CongenitalHeartDisease => "congenital_heart_disease",
            Diagnosis::PostCardiotomy => "post_cardiotomy",
            Diagnosis::DrugIntoxication => "drug_intoxication",
            Diagnosis::PulmonaryEmbolism => "pulmonary_embolism",
            Diagnosis::ChronicHeartFailure => "chronic_heart_failure",
            Diagnosis::SepticCardiomyopathy => "septic_cardiomyopathy",
            Diagnosis::Other => "other",
        }
    }
}

/// A cardiac rhythm during arrest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rhythm {
    /// Ventricular fibrillation.
    Vf,
    /// Pulseless ventricular tachycardia.
    PulselessVt,
    /// Pulseless electrical activity.
    Pea,
    /// Asystole.
    Asystole,
}

impl Rhythm {
    /// The wire name (snake_case).
    pub fn name(self) -> &'static str {
        match self {
            Rhythm::Vf => "vf",
            Rhythm::PulselessVt => "pulseless_vt",
            Rhythm::Pea => "pea",
            Rhythm::Asystole => "asystole",
        }
    }

    /// VF or pulseless VT.
    pub fn shockable(self) -> bool {
        matches!(self, Rhythm::Vf | Rhythm::PulselessVt)
    }
}

/// Where the arrest happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrestLocation {
    /// Out-of-hospital cardiac arrest.
    OutOfHospital,
    /// In-hospital cardiac arrest.
    InHospital,
}

/// ECMO cannulation configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cannulation {
    /// Peripheral femoro-femoral.
    PeripheralFemoral,
    /// Central (sternotomy).
    Central,
    /// Other (e.g. axillary).
    Other,
}

/// The moment the assessment is for (Naidu 2022 stage a patient at a point in time; the
/// question asked differs before and on support).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timepoint {
    /// Before cannulation: is VA-ECMO (or ECPR) indicated?
    BeforeCannulation,
    /// On VA-ECMO: weaning, complications, differential hypoxaemia, LV distension.
    OnEcmo,
}

impl Timepoint {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Timepoint::BeforeCannulation => "before_cannulation",
            Timepoint::OnEcmo => "on_ecmo",
        }
    }
}

/// Which published contraindication list drives the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContraindicationSource {
    /// Chung, Shiloh, Carlese, Sci World J 2014;2014:393258, Table 2 (the default).
    #[serde(rename = "chung_2014")]
    Chung2014,
    /// ELSO interim guideline for adult VA-ECMO (Lorusso et al., ASAIO J 2021;67:827).
    #[serde(rename = "elso_2021")]
    Elso2021,
}

/// A value the library derived because the input did not give it. It appears in the output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derivation {
    /// The field that was absent.
    pub field: &'static str,
    /// The derived value.
    pub value: serde_json::Value,
    /// How it was derived.
    pub derived_from: String,
    /// Source of the definition used.
    pub citation: String,
}

/// A given boolean that contradicts the labs (both shown; the conservative reading is used).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The fields involved.
    pub fields: Vec<&'static str>,
    /// The boolean as given.
    pub given: String,
    /// What the labs show.
    pub labs: String,
    /// The reading used for scores, contraindications and staging.
    pub used: String,
}

/// SAVE liver failure: bilirubin >= 33 umol/L (Schmidt 2015, SAVE definition).
pub const LIVER_BILIRUBIN_UMOL_L: f64 = 33.0;
/// SAVE liver failure: ALT or AST > 70 U/L (Schmidt 2015, SAVE definition).
pub const LIVER_AMINOTRANSFERASE_U_L: f64 = 70.0;
/// SAVE acute renal failure: creatinine > 1.5 mg/dL (Schmidt 2015, SAVE definition).
pub const ACUTE_RENAL_CREATININE_MG_DL: f64 = 1.5;
/// Creatinine conversion, umol/L per mg/dL (molar mass of creatinine 113.12 g/mol).
pub const CREATININE_UMOL_PER_MG_DL: f64 = 88.42;
/// Largest difference between a given BMI and weight/height^2 that is not a contradiction,
/// kg/m2. A data-consistency tolerance chosen by ecmova (rounding of reported BMI), not a
/// clinical threshold.
pub const BMI_TOLERANCE_KG_M2: f64 = 1.0;

/// A validated patient. Build it with [`Patient::from_wire`]; scores take their own typed
/// inputs built from it (e.g. [`crate::scores::save::SaveInput::from_patient`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    pub(crate) patient_id: Option<String>,
    pub(crate) age_years: f64,
    pub(crate) sex: Sex,
    pub(crate) weight_kg: f64,
    pub(crate) height_cm: f64,
    pub(crate) bmi_kg_m2: f64,
    pub(crate) bmi_computed: bool,
    pub(crate) diagnoses: Vec<Diagnosis>,
    pub(crate) w: PatientJson,
}

fn check(
    field: &'static str,
    v: Option<f64>,
    min: f64,
    max: f64,
    unit: &'static str,
) -> Result<Option<f64>, ClinicalError> {
    match v {
        Some(x) if !x.is_finite() || x < min || x > max => Err(ClinicalError::OutOfRange {
            field,
            value: x,
            min,
            max,
            unit,
        }),
        other => Ok(other),
    }
}

fn required<T>(field: &'static str, v: Option<T>) -> Result<T, ClinicalError> {
    v.ok_or(ClinicalError::Missing {
        field,
        needed_by: "every patient record",
        hint: None,
    })
}

/// Plausibility ranges: (field, min, max, unit). ecmova's data-entry limits, not clinical rules.
pub const RANGES: &[(&str, f64, f64, &str)] = &[
    ("age_years", 0.0, 120.0, "years"),
    ("weight_kg", 0.3, 400.0, "kg"),
    ("height_cm", 20.0, 272.0, "cm"),
    ("bmi_kg_m2", 5.0, 150.0, "kg/m2"),
    ("bilirubin_umol_l", 0.0, 1500.0, "umol/L"),
    ("alt_u_l", 0.0, 50000.0, "U/L"),
    ("ast_u_l", 0.0, 50000.0, "U/L"),
    ("creatinine_umol_l", 0.0, 3000.0, "umol/L"),
    ("egfr_ml_min_1_73m2", 0.0, 250.0, "mL/min/1.73m2"),
    ("intubation_hours_before_ecmo", 0.0, 8760.0, "h"),
    ("peak_inspiratory_pressure_cmh2o", 0.0, 100.0, "cmH2O"),
    ("systolic_bp_mmhg", 0.0, 300.0, "mmHg"),
    ("diastolic_bp_mmhg", 0.0, 200.0, "mmHg"),
    ("pulse_pressure_mmhg", 0.0, 250.0, "mmHg"),
    ("mean_arterial_pressure_mmhg", 0.0, 250.0, "mmHg"),
    ("heart_rate_bpm", 0.0, 350.0, "beats/min"),
    ("cardiac_index_l_min_m2", 0.0, 10.0, "L/min/m2"),
    ("pcwp_mmhg", 0.0, 80.0, "mmHg"),
    ("right_atrial_pressure_mmhg", -10.0, 60.0, "mmHg"),
    ("papi", 0.0, 50.0, ""),
    ("cardiac_power_output_w", 0.0, 10.0, "W"),
    ("vasoactive_drugs_count", 0.0, 10.0, "drugs"),
    ("bicarbonate_mmol_l", 0.0, 60.0, "mmol/L"),
    ("arterial_ph", 6.0, 8.0, ""),
    ("gcs", 3.0, 15.0, "points"),
    ("lactate_mmol_l", 0.0, 50.0, "mmol/L"),
    ("prothrombin_activity_percent", 0.0, 150.0, "%"),
    ("lvef_percent", 0.0, 100.0, "%"),
    ("shocks_delivered", 0.0, 100.0, "shocks"),
    ("low_flow_minutes", 0.0, 600.0, "min"),
    ("expected_transport_minutes", 0.0, 1440.0, "min"),
    ("expected_collapse_to_cath_lab_minutes", 0.0, 1440.0, "min"),
    (
        "expected_collapse_to_cannulation_minutes",
        0.0,
        1440.0,
        "min",
    ),
    ("call_to_hospital_minutes", 0.0, 1440.0, "min"),
    ("etco2_mmhg", 0.0, 150.0, "mmHg"),
    ("pao2_mmhg", 0.0, 800.0, "mmHg"),
    ("sao2_percent", 0.0, 100.0, "%"),
    ("weaning_flow_l_min", 0.0, 10.0, "L/min"),
    ("weaning_aortic_vti_cm", 0.0, 60.0, "cm"),
    ("weaning_lvef_percent", 0.0, 100.0, "%"),
    ("weaning_lateral_tdsa_cm_s", 0.0, 30.0, "cm/s"),
    ("weaning_map_mmhg", 0.0, 250.0, "mmHg"),
    ("no_flow_minutes", 0.0, 600.0, "min"),
    ("weaning_vasoactive_drugs_count", 0.0, 10.0, "drugs"),
    ("weaning_lactate_mmol_l", 0.0, 50.0, "mmol/L"),
    ("weaning_tapse_mm", 0.0, 60.0, "mm"),
    ("weaning_native_pao2_fio2_mmhg", 0.0, 800.0, "mmHg"),
];

fn range_of(field: &'static str) -> (f64, f64, &'static str) {
    RANGES
        .iter()
        .find(|(f, ..)| *f == field)
        .map(|(_, a, b, u)| (*a, *b, *u))
        .unwrap_or((f64::NEG_INFINITY, f64::INFINITY, ""))
}

fn checked(field: &'static str, v: Option<f64>) -> Result<Option<f64>, ClinicalError> {
    let (min, max, unit) = range_of(field);
    check(field, v, min, max, unit)
}

impl Patient {
    /// Validates a wire patient: required fields, plausibility ranges, contradictions.
    pub fn from_wire(w: PatientJson) -> Result<Patient, ClinicalError> {
        // Required fields first, in document order.
        let age_years = required("age_years", w.age_years)?;
        let sex = required("sex", w.sex)?;
        let weight_kg = required("weight_kg", w.weight_kg)?;
        let height_cm = required("height_cm", w.height_cm)?;
        let diagnoses_raw = required("diagnoses", w.diagnoses.clone())?;

        // Every numeric field against its plausibility range.
        let numbers: [(&'static str, Option<f64>); 46] = [
            ("age_years", Some(age_years)),
            ("weight_kg", Some(weight_kg)),
            ("height_cm", Some(height_cm)),
            ("bmi_kg_m2", w.bmi_kg_m2),
            ("bilirubin_umol_l", w.bilirubin_umol_l),
            ("alt_u_l", w.alt_u_l),
            ("ast_u_l", w.ast_u_l),
            ("creatinine_umol_l", w.creatinine_umol_l),
            ("egfr_ml_min_1_73m2", w.egfr_ml_min_1_73m2),
            (
                "intubation_hours_before_ecmo",
                w.intubation_hours_before_ecmo,
            ),
            (
                "peak_inspiratory_pressure_cmh2o",
                w.peak_inspiratory_pressure_cmh2o,
            ),
            ("systolic_bp_mmhg", w.systolic_bp_mmhg),
            ("diastolic_bp_mmhg", w.diastolic_bp_mmhg),
            ("pulse_pressure_mmhg", w.pulse_pressure_mmhg),
            ("mean_arterial_pressure_mmhg", w.mean_arterial_pressure_mmhg),
            ("heart_rate_bpm", w.heart_rate_bpm),
            ("cardiac_index_l_min_m2", w.cardiac_index_l_min_m2),
            ("pcwp_mmhg", w.pcwp_mmhg),
            ("right_atrial_pressure_mmhg", w.right_atrial_pressure_mmhg),
            ("papi", w.papi),
            ("cardiac_power_output_w", w.cardiac_power_output_w),
            (
                "vasoactive_drugs_count",
                w.vasoactive_drugs_count.map(f64::from),
            ),
            ("bicarbonate_mmol_l", w.bicarbonate_mmol_l),
            ("arterial_ph", w.arterial_ph),
            ("gcs", w.gcs.map(f64::from)),
            ("lactate_mmol_l", w.lactate_mmol_l),
            (
                "prothrombin_activity_percent",
                w.prothrombin_activity_percent,
            ),
            ("lvef_percent", w.lvef_percent),
            ("shocks_delivered", w.shocks_delivered.map(f64::from)),
            ("low_flow_minutes", w.low_flow_minutes),
            ("expected_transport_minutes", w.expected_transport_minutes),
            (
                "expected_collapse_to_cath_lab_minutes",
                w.expected_collapse_to_cath_lab_minutes,
            ),
            (
                "expected_collapse_to_cannulation_minutes",
                w.expected_collapse_to_cannulation_minutes,
            ),
            ("call_to_hospital_minutes", w.call_to_hospital_minutes),
            ("etco2_mmhg", w.etco2_mmhg),
            ("pao2_mmhg", w.pao2_mmhg),
            ("sao2_percent", w.sao2_percent),
            ("weaning_flow_l_min", w.weaning_flow_l_min),
            ("weaning_aortic_vti_cm", w.weaning_aortic_vti_cm),
            ("weaning_lvef_percent", w.weaning_lvef_percent),
            ("weaning_lateral_tdsa_cm_s", w.weaning_lateral_tdsa_cm_s),
            ("no_flow_minutes", w.no_flow_minutes),
            (
                "weaning_vasoactive_drugs_count",
                w.weaning_vasoactive_drugs_count.map(f64::from),
            ),
            ("weaning_lactate_mmol_l", w.weaning_lactate_mmol_l),
            ("weaning_tapse_mm", w.weaning_tapse_mm),
            (
                "weaning_native_pao2_fio2_mmhg",
                w.weaning_native_pao2_fio2_mmhg,
            ),
        ];
        for (field, v) in numbers {
            checked(field, v)?;
        }
        checked("weaning_map_mmhg", w.weaning_map_mmhg)?;

        if diagnoses_raw.is_empty() {
            return Err(ClinicalError::InvalidValue {
                field: "diagnoses".into(),
                message:
                    "the list is empty: give at least one diagnosis (use `other` if none applies)"
                        .into(),
            });
        }
        let mut diagnoses = diagnoses_raw;
        diagnoses.sort();
        diagnoses.dedup();

        // BMI: given, or computed from weight and height; a given BMI must agree with them.
        let computed = weight_kg / (height_cm / 100.0).powi(2);
        let (bmi_kg_m2, bmi_computed) = match w.bmi_kg_m2 {
            Some(b) => {
                if (b - computed).abs() > BMI_TOLERANCE_KG_M2 {
                    return Err(ClinicalError::Contradiction {
                        fields: "`bmi_kg_m2`, `weight_kg`, `height_cm`".into(),
                        reason: format!(
                            "bmi_kg_m2 = {b} but weight_kg / (height_cm/100)^2 = {computed:.1} (tolerance {BMI_TOLERANCE_KG_M2} kg/m2)"
                        ),
                    });
                }
                (b, false)
            }
            None => (computed, true),
        };
        checked("bmi_kg_m2", Some(bmi_kg_m2))?;

        if let (Some(s), Some(d)) = (w.systolic_bp_mmhg, w.diastolic_bp_mmhg) {
            if d > s {
                return Err(ClinicalError::Contradiction {
                    fields: "`diastolic_bp_mmhg`, `systolic_bp_mmhg`".into(),
                    reason: format!("diastolic {d} mmHg is above systolic {s} mmHg"),
                });
            }
        }
        if w.cardiac_arrest_before_ecmo == Some(false) {
            let arrest_fields = [
                ("witnessed_arrest", w.witnessed_arrest.is_some()),
                ("bystander_cpr", w.bystander_cpr.is_some()),
                ("initial_rhythm", w.initial_rhythm.is_some()),
                ("low_flow_minutes", w.low_flow_minutes.is_some()),
                ("shocks_delivered", w.shocks_delivered.is_some()),
                ("ongoing_cpr", w.ongoing_cpr == Some(true)),
            ];
            if let Some((f, _)) = arrest_fields.iter().find(|(_, present)| *present) {
                return Err(ClinicalError::Contradiction {
                    fields: format!("`cardiac_arrest_before_ecmo`, `{f}`"),
                    reason: format!(
                        "cardiac_arrest_before_ecmo is false but `{f}` describes an arrest"
                    ),
                });
            }
        }
        if w.timepoint == Some(Timepoint::BeforeCannulation) {
            let probe = Patient {
                patient_id: None,
                age_years,
                sex,
                weight_kg,
                height_cm,
                bmi_kg_m2: 0.0,
                bmi_computed: false,
                diagnoses: Vec::new(),
                w: w.clone(),
            };
            if probe.has_weaning_data() {
                return Err(ClinicalError::Contradiction {
                    fields: "`timepoint`, `weaning_*`".into(),
                    reason: "timepoint is before_cannulation but weaning data (measured on ECMO) are given".into(),
                });
            }
        }
        if w.ongoing_cpr == Some(true) && w.rosc_achieved == Some(true) {
            return Err(ClinicalError::Contradiction {
                fields: "`ongoing_cpr`, `rosc_achieved`".into(),
                reason: "CPR cannot be ongoing after sustained ROSC".into(),
            });
        }

        Ok(Patient {
            patient_id: w.patient_id.clone(),
            age_years,
            sex,
            weight_kg,
            height_cm,
            bmi_kg_m2,
            bmi_computed,
            diagnoses,
            w,
        })
    }

    /// Parses and validates a patient JSON document (text in, no I/O).
    pub fn from_json(text: &str) -> Result<Patient, ClinicalError> {
        Patient::from_wire(crate::wire::parse_patient_json(text)?)
    }

    /// The identifier given in the input, if any.
    pub fn patient_id(&self) -> Option<&str> {
        self.patient_id.as_deref()
    }

    /// Age in completed years (fractions are dropped: 38.9 years counts as 38).
    pub fn completed_years(&self) -> u32 {
        // age_years is validated to 0..=120, so the cast cannot overflow.
        self.age_years.floor() as u32
    }

    /// The (deduplicated, sorted) diagnoses.
    pub fn diagnoses(&self) -> &[Diagnosis] {
        &self.diagnoses
    }

    /// Whether the patient has this diagnosis.
    pub fn has(&self, d: Diagnosis) -> bool {
        self.diagnoses.contains(&d)
    }

    /// BMI with the derivation record when it was computed.
    pub(crate) fn bmi(&self) -> (f64, Option<Derivation>) {
        let d = self.bmi_computed.then(|| Derivation {
            field: "bmi_kg_m2",
            value: serde_json::json!((self.bmi_kg_m2 * 10.0).round() / 10.0),
            derived_from: format!(
                "weight_kg {} / (height_cm {} / 100)^2",
                self.weight_kg, self.height_cm
            ),
            citation: "definition of the body-mass index".into(),
        });
        (self.bmi_kg_m2, d)
    }

    /// The liver labs that meet the SAVE definition, and whether all three were given.
    fn liver_labs(&self) -> (Vec<String>, bool) {
        let labs = [
            (
                "bilirubin_umol_l",
                self.w.bilirubin_umol_l,
                LIVER_BILIRUBIN_UMOL_L,
                ">=",
            ),
            ("alt_u_l", self.w.alt_u_l, LIVER_AMINOTRANSFERASE_U_L, ">"),
            ("ast_u_l", self.w.ast_u_l, LIVER_AMINOTRANSFERASE_U_L, ">"),
        ];
        let mut met = Vec::new();
        let mut all_present = true;
        for (f, v, t, op) in labs {
            match v {
                Some(x) if (op == ">=" && x >= t) || (op == ">" && x > t) => {
                    met.push(format!("{f} {x} {op} {t}"))
                }
                Some(_) => {}
                None => all_present = false,
            }
        }
        (met, all_present)
    }

    /// Liver failure as SAVE defines it: derived from bilirubin >= 33 umol/L or ALT/AST > 70
    /// U/L (Schmidt 2015) when the boolean is absent (deriving "absent" needs all three labs).
    /// A given boolean that contradicts the labs is a conflict (see [`Patient::conflicts`]):
    /// the conservative reading, liver failure present, is used and the derivation says so.
    pub fn liver_failure(
        &self,
        needed_by: &'static str,
    ) -> Result<(bool, Option<Derivation>), ClinicalError> {
        let (met, all_present) = self.liver_labs();
        let derivation = |value: bool, from: String| Derivation {
            field: "liver_failure",
            value: serde_json::Value::Bool(value),
            derived_from: from,
            citation: citation::SAVE.cite(),
        };
        match self.w.liver_failure {
            Some(false) if !met.is_empty() => {
                return Ok((
                    true,
                    Some(derivation(
                        true,
                        format!(
                            "CONFLICT: liver_failure = false was given but {} meets the SAVE definition; the conservative reading (present) is used",
                            met.join(" and ")
                        ),
                    )),
                ))
            }
            Some(v) => return Ok((v, None)),
            None => {}
        }
        if !met.is_empty() {
            Ok((true, Some(derivation(true, met.join(" and ")))))
        } else if all_present {
            Ok((
                false,
                Some(derivation(
                    false,
                    "bilirubin_umol_l < 33, alt_u_l <= 70 and ast_u_l <= 70".into(),
                )),
            ))
        } else {
            Err(ClinicalError::Missing {
                field: "liver_failure",
                needed_by,
                hint: Some("give it, or all of bilirubin_umol_l, alt_u_l and ast_u_l so it can be derived (bilirubin >= 33 umol/L or ALT/AST > 70 U/L)"),
            })
        }
    }

    /// Acute renal failure as SAVE defines it: derived from creatinine > 1.5 mg/dL (132.6
    /// umol/L at 88.42 umol/L per mg/dL) (Schmidt 2015) when the boolean is absent. A given
    /// `false` with creatinine above the threshold is a conflict: present is used.
    pub fn acute_renal_failure(
        &self,
        needed_by: &'static str,
    ) -> Result<(bool, Option<Derivation>), ClinicalError> {
        let lab = self.w.creatinine_umol_l.map(|c| {
            let mg_dl = c / CREATININE_UMOL_PER_MG_DL;
            (c, mg_dl, mg_dl > ACUTE_RENAL_CREATININE_MG_DL)
        });
        let derivation = |v: bool, from: String| Derivation {
            field: "acute_renal_failure",
            value: serde_json::Value::Bool(v),
            derived_from: from,
            citation: citation::SAVE.cite(),
        };
        match (self.w.acute_renal_failure, lab) {
            (Some(false), Some((c, mg_dl, true))) => Ok((
                true,
                Some(derivation(
                    true,
                    format!(
                        "CONFLICT: acute_renal_failure = false was given but creatinine_umol_l {c} = {mg_dl:.2} mg/dL > 1.5 mg/dL; the conservative reading (present) is used"
                    ),
                )),
            )),
            (Some(v), _) => Ok((v, None)),
            (None, Some((c, mg_dl, v))) => Ok((
                v,
                Some(derivation(
                    v,
                    format!(
                        "creatinine_umol_l {c} = {mg_dl:.2} mg/dL {} 1.5 mg/dL (132.6 umol/L)",
                        if v { ">" } else { "<=" }
                    ),
                )),
            )),
            (None, None) => Err(ClinicalError::Missing {
                field: "acute_renal_failure",
                needed_by,
                hint: Some("give it, or creatinine_umol_l so it can be derived (creatinine > 1.5 mg/dL = 132.6 umol/L)"),
            }),
        }
    }

    /// Given booleans that contradict the labs given with them. Rule (ecmova's choice,
    /// `docs/clinical-rules.md`): both are shown, and the conservative reading (the condition
    /// present, which never improves a prognosis score or removes a contraindication) is used
    /// everywhere; the input is not refused, because a clinician's boolean may rest on data
    /// outside the file (e.g. creatinine lowered by renal replacement therapy).
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        let (met, all_present) = self.liver_labs();
        match self.w.liver_failure {
            Some(false) if !met.is_empty() => out.push(Conflict {
                fields: vec!["liver_failure", "bilirubin_umol_l", "alt_u_l", "ast_u_l"],
                given: "liver_failure = false".into(),
                labs: met.join(" and "),
                used: "liver failure present (the labs meet the SAVE definition)".into(),
            }),
            Some(true) if met.is_empty() && all_present => out.push(Conflict {
                fields: vec!["liver_failure", "bilirubin_umol_l", "alt_u_l", "ast_u_l"],
                given: "liver_failure = true".into(),
                labs: "bilirubin < 33 umol/L, ALT and AST <= 70 U/L".into(),
                used:
                    "liver failure present (the given value; it may rest on data not in the file)"
                        .into(),
            }),
            _ => {}
        }
        if let (Some(given), Some(c)) = (self.w.acute_renal_failure, self.w.creatinine_umol_l) {
            let mg_dl = c / CREATININE_UMOL_PER_MG_DL;
            let lab = mg_dl > ACUTE_RENAL_CREATININE_MG_DL;
            if given != lab {
                out.push(Conflict {
                    fields: vec!["acute_renal_failure", "creatinine_umol_l"],
                    given: format!("acute_renal_failure = {given}"),
                    labs: format!("creatinine_umol_l {c} = {mg_dl:.2} mg/dL (SAVE threshold > 1.5 mg/dL)"),
                    used: if given {
                        "acute renal failure present (the given value; creatinine may be lowered by renal replacement therapy)".into()
                    } else {
                        "acute renal failure present (the creatinine meets the SAVE definition)".into()
                    },
                });
            }
        }
        out
    }

    /// The timepoint, whether it was given, and on what basis it was taken.
    pub fn timepoint(&self) -> (Timepoint, bool, String) {
        match self.w.timepoint {
            Some(t) => (t, true, "given".into()),
            None if self.has_weaning_data() => (
                Timepoint::OnEcmo,
                false,
                "not given: taken as on_ecmo because weaning_* data are present".into(),
            ),
            None => (
                Timepoint::BeforeCannulation,
                false,
                "not given: taken as before_cannulation (no weaning_* data); give `timepoint` to state it".into(),
            ),
        }
    }

    /// Whether any `weaning_*` field is present.
    pub fn has_weaning_data(&self) -> bool {
        let w = &self.w;
        w.weaning_flow_l_min.is_some()
            || w.weaning_aortic_vti_cm.is_some()
            || w.weaning_lvef_percent.is_some()
            || w.weaning_lateral_tdsa_cm_s.is_some()
            || w.weaning_map_mmhg.is_some()
            || w.weaning_pulsatile.is_some()
            || w.weaning_vasoactive_drugs_count.is_some()
            || w.weaning_lactate_mmol_l.is_some()
            || w.weaning_lactate_rising.is_some()
            || w.weaning_tapse_mm.is_some()
            || w.weaning_native_pao2_fio2_mmhg.is_some()
    }

    /// Chronic renal failure (SAVE: GFR < 60 mL/min for >= 3 months). One eGFR value cannot
    /// show the duration, so this is never derived.
    pub fn chronic_renal_failure(&self, needed_by: &'static str) -> Result<bool, ClinicalError> {
        self.w.chronic_renal_failure.ok_or(ClinicalError::Missing {
            field: "chronic_renal_failure",
            needed_by,
            hint: Some("not derivable: the definition (GFR < 60 mL/min for >= 3 months) needs the history, not one eGFR"),
        })
    }

    /// The raw (validated) record, for the rules that read optional fields.
    pub fn record(&self) -> &PatientJson {
        &self.w
    }
}

/// Source of the SAVE definitions used for derivations.
pub const DERIVATION_SOURCE: Source = citation::SAVE;

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn base() -> PatientJson {
        PatientJson {
            age_years: Some(50.0),
            sex: Some(Sex::Male),
            weight_kg: Some(80.0),
            height_cm: Some(180.0),
            diagnoses: Some(vec![Diagnosis::Myocarditis]),
            ..Default::default()
        }
    }

    #[test]
    fn required_fields_named() {
        for field in ["age_years", "sex", "weight_kg", "height_cm", "diagnoses"] {
            let mut w = base();
            match field {
                "age_years" => w.age_years = None,
                "sex" => w.sex = None,
                "weight_kg" => w.weight_kg = None,
                "height_cm" => w.height_cm = None,
                _ => w.diagnoses = None,
            }
            let e = Patient::from_wire(w).unwrap_err();
            assert_eq!(e.field(), field);
        }
    }

    #[test]
    fn out_of_range_named() {
        let mut w = base();
        w.age_years = Some(250.0);
        let e = Patient::from_wire(w).unwrap_err();
        assert_eq!(e.field(), "age_years");
        assert!(e.to_string().contains("250") && e.to_string().contains("120"));
        let mut w = base();
        w.lactate_mmol_l = Some(-1.0);
        assert_eq!(Patient::from_wire(w).unwrap_err().field(), "lactate_mmol_l");
        let mut w = base();
        w.gcs = Some(2);
        assert_eq!(Patient::from_wire(w).unwrap_err().field(), "gcs");
        let mut w = base();
        w.diagnoses = Some(vec![]);
        assert_eq!(Patient::from_wire(w).unwrap_err().field(), "diagnoses");
    }

    #[test]
    fn contradictions() {
        let mut w = base();
        w.bmi_kg_m2 = Some(35.0); // 80 kg / 1.8^2 = 24.7
        let e = Patient::from_wire(w).unwrap_err();
        assert!(e.field().contains("bmi_kg_m2"));
        let mut w = base();
        w.bmi_kg_m2 = Some(24.7);
        assert!(Patient::from_wire(w).is_ok());
        let mut w = base();
        w.systolic_bp_mmhg = Some(60.0);
        w.diastolic_bp_mmhg = Some(70.0);
        assert!(Patient::from_wire(w)
            .unwrap_err()
            .field()
            .contains("diastolic_bp_mmhg"));
        let mut w = base();
        w.cardiac_arrest_before_ecmo = Some(false);
        w.low_flow_minutes = Some(20.0);
        assert!(Patient::from_wire(w)
            .unwrap_err()
            .field()
            .contains("low_flow_minutes"));
    }

    #[test]
    fn bmi_computed_when_absent() {
        let p = Patient::from_wire(base()).unwrap();
        let (bmi, d) = p.bmi();
        assert!((bmi - 80.0 / 3.24).abs() < 1e-9);
        assert!(d.is_some());
    }

    #[test]
    fn liver_failure_derivation() {
        let with = |b: Option<f64>, alt: Option<f64>, ast: Option<f64>, given: Option<bool>| {
            let mut w = base();
            w.bilirubin_umol_l = b;
            w.alt_u_l = alt;
            w.ast_u_l = ast;
            w.liver_failure = given;
            Patient::from_wire(w).unwrap().liver_failure("test")
        };
        // A given `false` against labs that meet the definition: the conservative reading.
        let (v, d) = with(Some(100.0), None, None, Some(false)).unwrap();
        assert!(v && d.unwrap().derived_from.contains("CONFLICT"));
        // A given `true` is used as it is.
        assert_eq!(
            with(Some(10.0), None, None, Some(true)).unwrap(),
            (true, None)
        );
        // Bilirubin threshold: >= 33.
        assert!(with(Some(33.0), None, None, None).unwrap().0);
        assert!(with(Some(32.9), None, None, None).is_err()); // cannot rule out without ALT/AST
        assert!(!with(Some(32.9), Some(70.0), Some(70.0), None).unwrap().0);
        // ALT/AST threshold: > 70.
        assert!(with(None, Some(70.1), None, None).unwrap().0);
        assert!(with(None, None, Some(71.0), None).unwrap().0);
        let (v, d) = with(Some(10.0), Some(20.0), Some(20.0), None).unwrap();
        assert!(!v && d.is_some());
        assert_eq!(
            with(None, None, None, None).unwrap_err().field(),
            "liver_failure"
        );
    }

    #[test]
    fn acute_renal_failure_derivation() {
        let with = |c: Option<f64>, given: Option<bool>| {
            let mut w = base();
            w.creatinine_umol_l = c;
            w.acute_renal_failure = given;
            Patient::from_wire(w).unwrap().acute_renal_failure("test")
        };
        // 1.5 mg/dL * 88.42 = 132.63 umol/L; > is failure.
        assert!(!with(Some(132.6), None).unwrap().0);
        assert!(with(Some(132.7), None).unwrap().0);
        // Given false against creatinine 500 umol/L (5.7 mg/dL): conflict, present used.
        let (v, d) = with(Some(500.0), Some(false)).unwrap();
        assert!(v && d.unwrap().derived_from.contains("CONFLICT"));
        assert_eq!(with(Some(100.0), Some(false)).unwrap(), (false, None));
        assert_eq!(with(None, None).unwrap_err().field(), "acute_renal_failure");
    }
}
