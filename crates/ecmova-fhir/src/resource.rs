//! Typed serde structs for the parts of the FHIR R4 resources ecmova reads (HL7 FHIR R4,
//! v4.0.1): `Bundle`, `Patient`, `Observation`, `Condition`, `Procedure`, `Encounter`, and
//! their data types (`CodeableConcept`, `Coding`, `Quantity`, `Period`, `Reference`).
//!
//! Only the elements the mapping uses are declared; every other element of a resource is
//! ignored (FHIR resources carry many elements that do not concern the assessment). A
//! declared element of the wrong JSON type is an error naming its path
//! ([`crate::FhirError::Invalid`]).

use serde::Deserialize;

/// `Coding`: a code in a code system.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Coding {
    /// Code system URI (e.g. `http://loinc.org`).
    #[serde(default)]
    pub system: Option<String>,
    /// The code.
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable text.
    #[serde(default)]
    pub display: Option<String>,
}

/// `CodeableConcept`: codings plus text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CodeableConcept {
    /// The codings.
    #[serde(default)]
    pub coding: Vec<Coding>,
    /// Free text.
    #[serde(default)]
    pub text: Option<String>,
}

impl CodeableConcept {
    /// `system|code` of every coding, for reports.
    pub fn describe(&self) -> String {
        let mut v: Vec<String> = self
            .coding
            .iter()
            .map(|c| {
                format!(
                    "{}|{}",
                    c.system.as_deref().unwrap_or("?"),
                    c.code.as_deref().unwrap_or("?")
                )
            })
            .collect();
        if v.is_empty() {
            v.push(format!("text \"{}\"", self.text.as_deref().unwrap_or("")));
        }
        v.join(", ")
    }

    /// The first code of `system`, if any.
    pub fn code_in(&self, system: &str) -> Option<&str> {
        self.coding
            .iter()
            .find(|c| c.system.as_deref() == Some(system))
            .and_then(|c| c.code.as_deref())
    }
}

/// `Quantity`: a measured amount (UCUM `system` and `code` for the unit).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Quantity {
    /// The value.
    #[serde(default)]
    pub value: Option<f64>,
    /// `<`, `<=`, `>=`, `>`: the real value is not known exactly.
    #[serde(default)]
    pub comparator: Option<String>,
    /// Unit as displayed.
    #[serde(default)]
    pub unit: Option<String>,
    /// Unit system (`http://unitsofmeasure.org` for UCUM).
    #[serde(default)]
    pub system: Option<String>,
    /// Coded unit.
    #[serde(default)]
    pub code: Option<String>,
}

/// `Period`: start and end date-times.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Period {
    /// Start (inclusive).
    #[serde(default)]
    pub start: Option<String>,
    /// End (inclusive); absent while ongoing.
    #[serde(default)]
    pub end: Option<String>,
}

/// `Reference`: a literal reference such as `Patient/123`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Reference {
    /// Literal reference.
    #[serde(default)]
    pub reference: Option<String>,
}

/// `Patient` (demographics).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// Logical id.
    #[serde(default)]
    pub id: Option<String>,
    /// `male | female | other | unknown`.
    #[serde(default)]
    pub gender: Option<String>,
    /// Birth date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// A component of an `Observation` (e.g. the systolic pressure of a blood-pressure panel).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObservationComponent {
    /// What was measured.
    #[serde(default)]
    pub code: CodeableConcept,
    /// `valueQuantity`.
    #[serde(default)]
    pub value_quantity: Option<Quantity>,
    /// `valueInteger`.
    #[serde(default)]
    pub value_integer: Option<i64>,
    /// `valueBoolean`.
    #[serde(default)]
    pub value_boolean: Option<bool>,
    /// `valueCodeableConcept`.
    #[serde(default)]
    pub value_codeable_concept: Option<CodeableConcept>,
    /// `valueString`.
    #[serde(default)]
    pub value_string: Option<String>,
}

/// `Observation`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// Logical id.
    #[serde(default)]
    pub id: Option<String>,
    /// `registered | preliminary | final | amended | corrected | cancelled | entered-in-error | unknown`.
    #[serde(default)]
    pub status: Option<String>,
    /// What was measured.
    #[serde(default)]
    pub code: CodeableConcept,
    /// Whose.
    #[serde(default)]
    pub subject: Option<Reference>,
    /// `effectiveDateTime`.
    #[serde(default)]
    pub effective_date_time: Option<String>,
    /// `effectivePeriod`.
    #[serde(default)]
    pub effective_period: Option<Period>,
    /// `effectiveInstant`.
    #[serde(default)]
    pub effective_instant: Option<String>,
    /// `valueQuantity`.
    #[serde(default)]
    pub value_quantity: Option<Quantity>,
    /// `valueInteger`.
    #[serde(default)]
    pub value_integer: Option<i64>,
    /// `valueBoolean`.
    #[serde(default)]
    pub value_boolean: Option<bool>,
    /// `valueCodeableConcept`.
    #[serde(default)]
    pub value_codeable_concept: Option<CodeableConcept>,
    /// `valueString`.
    #[serde(default)]
    pub value_string: Option<String>,
    /// Components (panels such as blood pressure 85354-9).
    #[serde(default)]
    pub component: Vec<ObservationComponent>,
}

/// `Condition`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Logical id.
    #[serde(default)]
    pub id: Option<String>,
    /// `active | recurrence | relapse | inactive | remission | resolved`.
    #[serde(default)]
    pub clinical_status: Option<CodeableConcept>,
    /// `unconfirmed | provisional | differential | confirmed | refuted | entered-in-error`.
    #[serde(default)]
    pub verification_status: Option<CodeableConcept>,
    /// The condition (SNOMED CT or ICD-10).
    #[serde(default)]
    pub code: CodeableConcept,
    /// Whose.
    #[serde(default)]
    pub subject: Option<Reference>,
    /// `onsetDateTime`.
    #[serde(default)]
    pub onset_date_time: Option<String>,
    /// `recordedDate`.
    #[serde(default)]
    pub recorded_date: Option<String>,
}

/// `Procedure`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Procedure {
    /// Logical id.
    #[serde(default)]
    pub id: Option<String>,
    /// `preparation | in-progress | not-done | on-hold | stopped | completed | entered-in-error | unknown`.
    #[serde(default)]
    pub status: Option<String>,
    /// The procedure (SNOMED CT).
    #[serde(default)]
    pub code: CodeableConcept,
    /// Whose.
    #[serde(default)]
    pub subject: Option<Reference>,
    /// `performedDateTime`.
    #[serde(default)]
    pub performed_date_time: Option<String>,
    /// `performedPeriod`.
    #[serde(default)]
    pub performed_period: Option<Period>,
}

/// `Encounter`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encounter {
    /// Logical id.
    #[serde(default)]
    pub id: Option<String>,
    /// `planned | arrived | triaged | in-progress | onleave | finished | cancelled | entered-in-error | unknown`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whose.
    #[serde(default)]
    pub subject: Option<Reference>,
    /// When.
    #[serde(default)]
    pub period: Option<Period>,
}

/// A resource ecmova reads, by `resourceType`.
// The variants differ in size (an Observation is the largest); a Bundle is read once per
// request, so boxing would only add indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// `Patient`.
    Patient(Patient),
    /// `Observation`.
    Observation(Observation),
    /// `Condition`.
    Condition(Condition),
    /// `Procedure`.
    Procedure(Procedure),
    /// `Encounter`.
    Encounter(Encounter),
    /// Any other resource type (kept by name only; reported as not used).
    Other {
        /// Its `resourceType`.
        resource_type: String,
        /// Its `id`.
        id: Option<String>,
    },
}

/// A parsed `Bundle`: its timestamp and its resources in entry order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bundle {
    /// `Bundle.timestamp`.
    pub timestamp: Option<String>,
    /// `Bundle.type`.
    pub bundle_type: Option<String>,
    /// The resources of `entry[*].resource`.
    pub resources: Vec<Resource>,
}
