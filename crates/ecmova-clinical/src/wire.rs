//! Wire format of a patient: the JSON object documented in `docs/patient-format.md`, and the
//! same keys as CSV columns.
//!
//! These types only describe the document. They are converted to the validated domain type
//! [`crate::patient::Patient`] by [`crate::patient::Patient::from_wire`]; the scoring functions
//! never see a wire type.

use crate::error::ClinicalError;
use crate::patient::{
    ArrestLocation, Cannulation, ContraindicationSource, Diagnosis, Rhythm, Sex, Timepoint,
};
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
            /// Values given with a unit and converted by [`crate::units`], in words (not a
            /// key of the format; filled by [`from_map`]).
            #[serde(skip)]
            pub unit_conversions: Vec<String>,
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
    /// The moment assessed: `before_cannulation` or `on_ecmo` (absent: derived from the
    /// presence of `weaning_*` data, and the output says so).
    timepoint: Timepoint => Text,
    /// Contraindication list that drives the verdict: `chung_2014` (default) or `elso_2021`.
    contraindication_source: ContraindicationSource => Text,
    /// The infarction is an ST-elevation MI (DanGer Shock selection).
    stemi: bool => Bool,
    /// Overt right-ventricular failure (DanGer Shock exclusion).
    rv_failure: bool => Bool,
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
    /// Minutes from collapse to the start of CPR (no flow).
    no_flow_minutes: f64 => Number,
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
    /// The arterial trace is pulsatile on support (native ejection).
    weaning_pulsatile: bool => Bool,
    /// Vasoactive drugs running during the weaning assessment.
    weaning_vasoactive_drugs_count: u32 => Integer,
    /// Arterial lactate at the weaning assessment, mmol/L.
    weaning_lactate_mmol_l: f64 => Number,
    /// Lactate is rising at the weaning assessment.
    weaning_lactate_rising: bool => Bool,
    /// Tricuspid annular plane systolic excursion at minimal flow, mm (RV function).
    weaning_tapse_mm: f64 => Number,
    /// PaO2/FiO2 of the native lungs (right radial sample at reduced sweep gas), mmHg.
    weaning_native_pao2_fio2_mmhg: f64 => Number,
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

/// Reads a patient JSON document (the text, no I/O). A key given twice is an error naming
/// the key (JSON parsers differ on which copy wins, so ecmova refuses to guess). Unknown keys
/// are reported all at once; a value of the wrong type is reported with its path (e.g.
/// `diagnoses[1]`); numbers may carry a UCUM unit (`{"value": 1.8, "unit": "mg/dL"}`) and are
/// converted ([`crate::units`]); a bare number outside its field's plausible range is refused
/// with the likely unit slip.
pub fn parse_patient_json(text: &str) -> Result<PatientJson, ClinicalError> {
    let value: Value = match serde_json::from_str::<NoDuplicates>(text) {
        Ok(v) => v.0,
        Err(e) => {
            let msg = e.to_string();
            if let Some(rest) = msg.strip_prefix(DUPLICATE_PREFIX) {
                let key = rest.split('`').next().unwrap_or_default().to_string();
                return Err(ClinicalError::DuplicateKey { key });
            }
            return Err(ClinicalError::Syntax(msg));
        }
    };
    match value {
        Value::Object(map) => from_map(map),
        other => Err(ClinicalError::Syntax(format!(
            "expected a JSON object, found {}",
            kind_name(&other)
        ))),
    }
}

const DUPLICATE_PREFIX: &str = "duplicate key `";

/// A JSON value read with duplicate keys refused (at any depth).
struct NoDuplicates(Value);

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDupVisitor).map(NoDuplicates)
    }
}

struct NoDupVisitor;

impl<'de> serde::de::Visitor<'de> for NoDupVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        NoDuplicates::deserialize(d).map(|v| v.0)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(NoDuplicates(x)) = a.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = a.next_key::<String>()? {
            let NoDuplicates(v) = a.next_value()?;
            if m.contains_key(&k) {
                return Err(serde::de::Error::custom(format!("{DUPLICATE_PREFIX}{k}`")));
            }
            m.insert(k, v);
        }
        Ok(Value::Object(m))
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
pub fn from_map(mut map: Map<String, Value>) -> Result<PatientJson, ClinicalError> {
    let unknown = unknown_keys(map.keys().map(String::as_str));
    if !unknown.is_empty() {
        return Err(ClinicalError::UnknownKeys { keys: unknown });
    }
    let mut conversions = Vec::new();
    for (key, value) in map.iter_mut() {
        let kind = field_kind(key).unwrap_or(FieldKind::Text);
        if let Some(c) = crate::units::normalise(key, kind, value)? {
            conversions.push(c);
        }
    }
    let mut p: PatientJson = serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        ClinicalError::InvalidValue { field, message }
    })?;
    p.unit_conversions = conversions;
    Ok(p)
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
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(ClinicalError::DuplicateKey { key: h.clone() });
        }
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
                // "1.8 mg/dL": a number and a UCUM unit separated by a space.
                let (num_txt, unit) = match cell.split_once(' ') {
                    Some((n, u)) => (n.trim(), Some(u.trim())),
                    None => (cell, None),
                };
                let x: f64 = num_txt
                    .parse()
                    .map_err(|_| bad("a number, optionally followed by a UCUM unit"))?;
                let n = serde_json::Number::from_f64(x)
                    .map(Value::Number)
                    .ok_or_else(|| bad("a finite number"))?;
                match unit {
                    Some(u) => serde_json::json!({"value": n, "unit": u}),
                    None => n,
                }
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
                FieldKind::Number => {
                    let (lo, hi) = crate::units::units_of(k)
                        .map(|u| u.plausible)
                        .unwrap_or((1.0, 1.0));
                    Value::from((lo + hi) / 2.0)
                }
                FieldKind::Integer => Value::from(3),
                FieldKind::Bool => Value::Bool(true),
                FieldKind::List => Value::Array(vec![Value::from("other")]),
                FieldKind::Text => Value::from(match *k {
                    "sex" => "female",
                    "arrest_location" => "in_hospital",
                    "initial_rhythm" | "rhythm_on_arrival" => "vf",
                    "cannulation" => "central",
                    "timepoint" => "on_ecmo",
                    "contraindication_source" => "elso_2021",
                    _ => "x",
                }),
            };
            map.insert(k.to_string(), v);
        }
        let parsed = from_map(map).expect("all keys accepted");
        let back = serde_json::to_value(&parsed).expect("serialises");
        assert_eq!(back.as_object().map(|m| m.len()), Some(FIELDS.len()));
    }

    /// Issue 13 (done here): a key given twice is an error naming it, at any depth.
    #[test]
    fn duplicate_keys_are_an_error_naming_the_key() {
        let e =
            parse_patient_json(r#"{"age_years": 40, "lactate_mmol_l": 1, "lactate_mmol_l": 9}"#)
                .unwrap_err();
        assert_eq!(
            e,
            ClinicalError::DuplicateKey {
                key: "lactate_mmol_l".into()
            }
        );
        assert!(e.to_string().contains("`lactate_mmol_l`"));
        let e = parse_patient_json(
            r#"{"creatinine_umol_l": {"value": 1, "unit": "mg/dL", "unit": "umol/L"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.field(), "unit");
        let h: Vec<String> = ["age_years", "age_years"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let c: Vec<String> = ["40", "41"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            patient_json_from_cells(&h, &c).unwrap_err().field(),
            "age_years"
        );
    }

    #[test]
    fn units_are_converted_and_bare_slips_refused() {
        let p = parse_patient_json(r#"{"creatinine_umol_l": {"value": 1.8, "unit": "mg/dL"}}"#)
            .unwrap();
        assert!((p.creatinine_umol_l.unwrap() - 159.156).abs() < 1e-9);
        let e = parse_patient_json(r#"{"creatinine_umol_l": 1.8}"#).unwrap_err();
        assert_eq!(e.field(), "creatinine_umol_l");
        assert!(e.to_string().contains("mg/dL"), "{e}");
        let h: Vec<String> = vec!["creatinine_umol_l".into()];
        let p = patient_json_from_cells(&h, &["1.8 mg/dL".to_string()]).unwrap();
        assert!((p.creatinine_umol_l.unwrap() - 159.156).abs() < 1e-9);
        assert_eq!(
            parse_patient_json(r#"{"gcs": {"value": 3, "unit": "1"}}"#)
                .unwrap_err()
                .field(),
            "gcs"
        );
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
