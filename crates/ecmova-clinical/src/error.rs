//! Errors of the clinical library. Every message names the field, its value and what is allowed.

use thiserror::Error;

/// Everything that can go wrong when reading a patient or computing a score.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ClinicalError {
    /// The document is not valid JSON (or not a JSON object).
    #[error("invalid patient JSON: {0}")]
    Syntax(String),
    /// Keys that the patient format does not know.
    #[error("unknown key(s): {}; see docs/patient-format.md for the accepted keys", keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))]
    UnknownKeys {
        /// The unknown keys, sorted.
        keys: Vec<String>,
    },
    /// A key given twice in one document.
    #[error("duplicate key `{key}`: each key may be given once")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A bare number outside the plausible range of its field: most likely a unit slip.
    #[error("field `{field}` = {value} is implausible for {unit} (plausible {min} to {max} {unit}){}; give the unit explicitly, e.g. {{\"value\": {value}, \"unit\": \"{unit_example}\"}}", hint.as_ref().map(|h| format!(": {h}")).unwrap_or_default())]
    Implausible {
        /// The field.
        field: String,
        /// The value given.
        value: f64,
        /// Smallest plausible value.
        min: f64,
        /// Largest plausible value.
        max: f64,
        /// The field's unit (UCUM).
        unit: &'static str,
        /// An example unit to write instead.
        unit_example: &'static str,
        /// The likely unit slip, with the converted value.
        hint: Option<String>,
    },
    /// A value of the wrong type or an unknown enumerated value (e.g. an unknown diagnosis).
    #[error("field `{field}`: {message}")]
    InvalidValue {
        /// The field (JSON path, e.g. `diagnoses[1]`).
        field: String,
        /// What was wrong, including the allowed values.
        message: String,
    },
    /// A number outside its allowed range.
    #[error("field `{field}` = {value} is out of range: allowed {min} to {max} {unit}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The value given.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
        /// Unit of the field.
        unit: &'static str,
    },
    /// A required field is absent (and cannot be derived).
    #[error("missing field `{field}`: required by {needed_by}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    Missing {
        /// The field.
        field: &'static str,
        /// What needs it (score or rule).
        needed_by: &'static str,
        /// How to supply it, if there is more than one way.
        hint: Option<&'static str>,
    },
    /// Fields that contradict each other.
    #[error("contradictory fields {fields}: {reason}")]
    Contradiction {
        /// The fields involved, e.g. "`bmi_kg_m2`, `weight_kg`, `height_cm`".
        fields: String,
        /// Why they contradict.
        reason: String,
    },
    /// The score is not defined for this patient (e.g. SAVE below 18 years).
    #[error("field `{field}` = {value}: {score} is not applicable: {reason}")]
    NotApplicable {
        /// The score.
        score: &'static str,
        /// The field that rules it out.
        field: &'static str,
        /// Its value.
        value: String,
        /// Why.
        reason: String,
    },
}

impl ClinicalError {
    /// The field (or fields) the error is about, for tabular reports.
    pub fn field(&self) -> String {
        match self {
            ClinicalError::Syntax(_) => String::new(),
            ClinicalError::UnknownKeys { keys } => keys.join(","),
            ClinicalError::DuplicateKey { key } => key.clone(),
            ClinicalError::Implausible { field, .. } => field.clone(),
            ClinicalError::InvalidValue { field, .. } => field.clone(),
            ClinicalError::OutOfRange { field, .. }
            | ClinicalError::Missing { field, .. }
            | ClinicalError::NotApplicable { field, .. } => (*field).to_string(),
            ClinicalError::Contradiction { fields, .. } => fields.replace('`', ""),
        }
    }
}
