//! Wire format of a patient: the JSON object documented in `docs/patient-format.md`, and the
//! same keys as CSV columns.
//!
//! These types only describe the document. They are converted to the validated domain type
//! [`crate::patient::Patient`] by [`crate::patient::Patient::from_wire`]; the scoring functions
//! never see a wire type.

use crate::error::ClinicalError;
use crate::patient::{ArrestLocation, Cannulation, Diagnosis, Rhythm, Sex};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How a key's CSV cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A decimal number.
    Number,
    /// A whole number.
    Integer,
    /// `true`/`false` (CSV also accepts `yes`/`no`, `1`/`0`).
    Bool,
    /// A word or free text.
    Text,
    /// A list of diagnoses (CSV: separated by `;` or `|`).
    List,
}

macro_rules! patient_wire {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty => $kind:ident ),* $(,)?) => {
        /// A patient as written in JSON: every key is optional here; what each use requires is
        /// checked when the domain [`crate::patient::Patient`] and the score inputs are built.
        /// `null` is the same as an absent key.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields)]
        pub struct PatientJson {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<$ty>,
            )*
        }

        /// Every accepted key with the kind of its CSV cell, in the documented order.
        pub const FIELDS: &[(&str, FieldKind)] = &[ $( (stringify!($name), FieldKind::$kind), )* ];
    };
}

patient_wire! {
    /// Free identifier, copied to the output.
    patient_id: String => Text,
    /// Age in years (completed years are used: 38.9 counts as 38).
    age_years: f64 => Number,
    /// `female` or `male`.
    sex: Sex => Text,
    /// Body weight, kg.
    weight_kg: f64 => Number,
    /// Height, cm.
    height_cm: f64 => Number,
    /// Body-mass index, kg/m2 (computed from weight and height when absent).
    bmi_kg_m2: f64 => Number,
    /// Diagnoses leading to the shock (one or more).
    diagnoses: Vec<Diagnosis> => List,
    /// Liver failure (SAVE definition: bilirubin >= 33 umol/L or ALT/AST > 70 U/L).
    liver_failure: bool => Bool,
    /// Total bilirubin, umol/L.
    bilirubin_umol_l: f64 => Number,
    /// Alanine aminotransferase, U/L.
    alt_u_l: f64 => Number,
    /// Aspartate aminotransferase, U/L.
    ast_u_l: f64 => Number,
    /// CNS dysfunction (neurotrauma, stroke, encephalopathy, cerebral embolism, seizure).
    cns_dysfunction: bool => Bool,
    /// Acute renal failure (SAVE: creatinine > 1.5 mg/dL, with or without RRT).
    acute_renal_failure: bool => Bool,
    /// Chronic renal failure (SAVE: GFR < 60 mL/min for >= 3 months).
    chronic_renal_failure: bool => Bool,
    /// Serum creatinine, umol/L.
    creatinine_umol_l: f64 => Number,
    /// Creatinine doubled or GFR fell by > 50% (SCAI stage C criterion).
    creatinine_doubled: bool => Bool,
    /// eGFR, mL/min/1.73 m2.
    egfr_ml_min_1_73m2: f64 => Number,
    /// Hours of mechanical ventilation before ECMO; absent if not intubated.
    intubation_hours_before_ecmo: f64 => Number,
    /// Peak inspiratory pressure, cmH2O.
    peak_inspiratory_pressure_cmh2o: f64 => Number,
    /// Cardiac arrest before ECMO (or ongoing).
    cardiac_arrest_before_ecmo: bool => Bool,
    /// Systolic blood pressure, mmHg.
    systolic_bp_mmhg: f64 => Number,
    /// Diastolic blood pressure, mmHg (SAVE: worst value in the 6 h before cannulation).
    diastolic_bp_mmhg: f64 => Number,
    /// Pulse pressure, mmHg (SAVE: worst value in the 6 h before cannulation).
    pulse_pressure_mmhg: f64 => Number,
    /// Mean arterial pressure, mmHg.
    mean_arterial_pressure_mmhg: f64 => Number,
    /// Heart rate, beats/min.
    heart_rate_bpm: f64 => Number,
    /// Cardiac index, L/min/m2.
    cardiac_index_l_min_m2: f64 => Number,
    /// Pulmonary capillary wedge pressure, mmHg.
    pcwp_mmhg: f64 => Number,
    /// Right atrial pressure, mmHg.
    right_atrial_pressure_mmhg: f64 => Number,
    /// Pulmonary artery pulsatility index (dimensionless).
    papi: f64 => Number,
    /// Cardiac power output, W.
    cardiac_power_output_w: f64 => Number,
    /// Number of vasopressors/inotropes running.
    vasoactive_drugs_count: u32 => Integer,
    /// A mechanical circulatory support device is in place.
    mechanical_support_in_place: bool => Bool,
    /// Support is being escalated (more drugs, or MCS added) because of deterioration.
    escalating_support: bool => Bool,
    /// Lactate is rising despite treatment.
    lactate_rising: bool => Bool,
    /// Bicarbonate, mmol/L.
    bicarbonate_mmol_l: f64 => Number,
    /// Arterial pH.
    arterial_ph: f64 => Number,
    /// Glasgow coma scale, 3 to 15.
    gcs: u8 => Integer,
    /// Confusion or altered mental status (CardShock).
    confusion: bool => Bool,
    /// Arterial lactate, mmol/L.
    lactate_mmol_l: f64 => Number,
    /// Prothrombin activity, %.
    prothrombin_activity_percent: f64 => Number,
    /// Previous myocardial infarction or CABG (CardShock).
    prior_mi_or_cabg: bool => Bool,
    /// Left-ventricular ejection fraction before ECMO, %.
    lvef_percent: f64 => Number,
    /// `out_of_hospital` or `in_hospital`.
    arrest_location: ArrestLocation => Text,
    /// The arrest was witnessed.
    witnessed_arrest: bool => Bool,
    /// Bystander CPR was given.
    bystander_cpr: bool => Bool,
    /// First recorded rhythm: `vf`, `pulseless_vt`, `pea`, `asystole`.
    initial_rhythm: Rhythm => Text,
    /// Rhythm on hospital arrival (TiPS65), same values.
    rhythm_on_arrival: Rhythm => Text,
    /// Presumed cardiac cause of the arrest.
    presumed_cardiac_cause: bool => Bool,
    /// Sustained return of spontaneous circulation was achieved.
    rosc_achieved: bool => Bool,
    /// CPR is ongoing now.
    ongoing_cpr: bool => Bool,
    /// Defibrillation shocks delivered.
    shocks_delivered: u32 => Integer,
    /// A mechanical CPR device is in use.
    mechanical_cpr: bool => Bool,
    /// The patient is unconscious.
    unconscious: bool => Bool,
    /// Minutes of CPR without sustained ROSC (low flow) so far.
    low_flow_minutes: f64 => Number,
    /// Expected transport time to the ECPR centre, minutes.
    expected_transport_minutes: f64 => Number,
    /// Expected time from collapse to arrival in the cath lab, minutes.
    expected_collapse_to_cath_lab_minutes: f64 => Number,
    /// Expected time from collapse to ECMO cannulation, minutes.
    expected_collapse_to_cannulation_minutes: f64 => Number,
    /// Time from emergency call to hospital arrival, minutes (TiPS65).
    call_to_hospital_minutes: f64 => Number,
    /// End-tidal CO2, mmHg.
    etco2_mmhg: f64 => Number,
    /// Arterial PO2, mmHg.
    pao2_mmhg: f64 => Number,
    /// Arterial O2 saturation, %.
    sao2_percent: f64 => Number,
    /// Uncontrolled bleeding.
    uncontrolled_bleeding: bool => Bool,
    /// Anticoagulation is contraindicated.
    anticoagulation_contraindicated: bool => Bool,
    /// Irreversible disease with no transplant or durable VAD option.
    irreversible_without_exit_strategy: bool => Bool,
    /// Poor baseline functional status.
    poor_baseline_function: bool => Bool,
    /// Established multi-organ failure.
    established_multiorgan_failure: bool => Bool,
    /// Aortic dissection.
    aortic_dissection: bool => Bool,
    /// Severe aortic regurgitation.
    severe_aortic_regurgitation: bool => Bool,
    /// Active malignancy.
    malignancy: bool => Bool,
    /// Peripheral arterial disease.
    peripheral_arterial_disease: bool => Bool,
    /// Heparin-induced thrombocytopenia.
    heparin_induced_thrombocytopenia: bool => Bool,
    /// Cannulation: `peripheral_femoral`, `central` or `other`.
    cannulation: Cannulation => Text,
    /// ECMO flow during the weaning trial, L/min.
    weaning_flow_l_min: f64 => Number,
    /// Aortic velocity-time integral at minimal flow, cm.
    weaning_aortic_vti_cm: f64 => Number,
    /// LVEF at minimal flow, %.
    weaning_lvef_percent: f64 => Number,
    /// Lateral mitral annulus peak systolic velocity (TDSa) at minimal flow, cm/s.
    weaning_lateral_tdsa_cm_s: f64 => Number,
    /// Mean arterial pressure at minimal flow, mmHg.
    weaning_map_mmhg: f64 => Number,
}

/// The kind of a key, if the key is known.
pub fn field_kind(key: &str) -> Option<FieldKind> {
    FIELDS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, kind)| *kind)
}

/// Keys of `keys` that the format does not know, sorted.
pub fn unknown_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = keys
        .into_iter()
        .filter(|k| field_kind(k).is_none())
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Reads a patient JSON document (the text, no I/O). Unknown keys are reported all at once;
/// a value of the wrong type is reported with its path (e.g. `diagnoses[1]`).
pub fn parse_patient_json(text: &str) -> Result<PatientJson, ClinicalError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ClinicalError::Syntax(e.to_string()))?;
    match value {
        Value::Object(map) => from_map(map),
        other => Err(ClinicalError::Syntax(format!(
            "expected a JSON object, found {}",
            kind_name(&other)
        ))),
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Converts an object to the wire type, checking keys first.
pub fn from_map(map: Map<String, Value>) -> Result<PatientJson, ClinicalError> {
    let unknown = unknown_keys(map.keys().map(String::as_str));
    if !unknown.is_empty() {
        return Err(ClinicalError::UnknownKeys { keys: unknown });
    }
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        ClinicalError::InvalidValue { field, message }
    })
}

/// Builds a patient from one CSV record: `headers` are patient keys, an empty cell is an absent
/// key, diagnoses are separated by `;` or `|`, booleans are `true`/`false`/`yes`/`no`/`1`/`0`.
pub fn patient_json_from_cells(
    headers: &[String],
    cells: &[String],
) -> Result<PatientJson, ClinicalError> {
    let unknown = unknown_keys(headers.iter().map(String::as_str));
    if !unknown.is_empty() {
        return Err(ClinicalError::UnknownKeys { keys: unknown });
    }
    let mut map = Map::new();
    for (key, cell) in headers.iter().zip(cells.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let kind = field_kind(key).unwrap_or(FieldKind::Text);
        let bad = |expected: &str| ClinicalError::InvalidValue {
            field: key.clone(),
            message: format!("expected {expected}, found `{cell}`"),
        };
        let value = match kind {
            FieldKind::Number => {
                let x: f64 = cell.parse().map_err(|_| bad("a number"))?;
                serde_json::Number::from_f64(x)
                    .map(Value::Number)
                    .ok_or_else(|| bad("a finite number"))?
            }
            FieldKind::Integer => {
                let x: i64 = cell.parse().map_err(|_| bad("a whole number"))?;
                Value::from(x)
            }
            FieldKind::Bool => match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                _ => return Err(bad("true/false (or yes/no, 1/0)")),
            },
            FieldKind::Text => Value::String(cell.to_string()),
            FieldKind::List => Value::Array(
                cell.split([';', '|'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ),
        };
        map.insert(key.clone(), value);
    }
    from_map(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_table_matches_struct() {
        // Every key of the table is accepted by the struct, and nothing else is.
        let mut map = Map::new();
        for (k, kind) in FIELDS {
            let v = match kind {
                FieldKind::Number => Value::from(1.0),
                FieldKind::Integer => Value::from(3),
                FieldKind::Bool => Value::Bool(true),
                FieldKind::List => Value::Array(vec![Value::from("other")]),
                FieldKind::Text => Value::from(match *k {
                    "sex" => "female",
                    "arrest_location" => "in_hospital",
                    "initial_rhythm" | "rhythm_on_arrival" => "vf",
                    "cannulation" => "central",
                    _ => "x",
                }),
            };
            map.insert(k.to_string(), v);
        }
        let parsed = from_map(map).expect("all keys accepted");
        let back = serde_json::to_value(&parsed).expect("serialises");
        assert_eq!(back.as_object().map(|m| m.len()), Some(FIELDS.len()));
    }

    #[test]
    fn unknown_keys_are_all_named() {
        let err = parse_patient_json(r#"{"age_years": 40, "foo": 1, "bar": 2}"#).unwrap_err();
        assert_eq!(
            err,
            ClinicalError::UnknownKeys {
                keys: vec!["bar".into(), "foo".into()]
            }
        );
        assert!(err.to_string().contains("`foo`") && err.to_string().contains("`bar`"));
    }

    #[test]
    fn unknown_diagnosis_names_its_path() {
        let err = parse_patient_json(r#"{"diagnoses": ["myocarditis", "flu"]}"#).unwrap_err();
        assert_eq!(err.field(), "diagnoses[1]");
        assert!(err.to_string().contains("flu"));
    }

    #[test]
    fn wrong_type_names_field() {
        let err = parse_patient_json(r#"{"gcs": "seven"}"#).unwrap_err();
        assert_eq!(err.field(), "gcs");
    }

    #[test]
    fn csv_cells() {
        let h: Vec<String> = ["age_years", "diagnoses", "cns_dysfunction", "gcs", "sex"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c: Vec<String> = [
            "45",
            "myocarditis; refractory_vt_vf|other",
            "no",
            "",
            "male",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let p = patient_json_from_cells(&h, &c).unwrap();
        assert_eq!(p.age_years, Some(45.0));
        assert_eq!(p.diagnoses.map(|d| d.len()), Some(3));
        assert_eq!(p.cns_dysfunction, Some(false));
        assert_eq!(p.gcs, None);
        let c2: Vec<String> = ["x", "", "", "", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            patient_json_from_cells(&h, &c2).unwrap_err().field(),
            "age_years"
        );
    }
}
