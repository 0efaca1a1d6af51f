//! ecmova FHIR R4 input and CDS Hooks 2.0 cards for the VA-ECMO assessment.
//!
//! - [`resource`]: typed serde structs for the FHIR R4 resources read (Bundle, Patient,
//!   Observation, Condition, Procedure, Encounter). No maintained FHIR R4 model crate fits:
//!   `fhir-model` 0.13 models R4B/R5 (not R4), needs Rust 1.95 (the workspace supports 1.85)
//!   and generates every resource of the standard, a heavy build for six resources.
//! - [`mapping`]: the code tables (LOINC with UCUM units, SNOMED CT, ICD-10);
//! - [`convert`]: Bundle → [`ecmova_clinical::wire::PatientJson`] with a [`MappingReport`]
//!   of what was used (latest value at or before the assessment time), and what was
//!   unmapped, ambiguous, conflicting, unconvertible or ignored — never guessed;
//! - [`cds`]: CDS Hooks 2.0 discovery, request checking (prefetch), and cards from the
//!   assessment.
//!
//! Pure functions, no I/O, nothing logged or stored. Research and teaching tool; not a
//! certified medical device.
#![deny(missing_docs)]

pub mod cds;
pub mod convert;
pub mod mapping;
pub mod resource;
pub mod time;

pub use convert::{map_bundle, AssessmentTime, Mapped, MappingReport};

use ecmova_clinical::assess::{assess, Assessment};
use ecmova_clinical::ClinicalError;
use resource::{Bundle, Resource};
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

/// Errors of the FHIR input. Each names the element at fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FhirError {
    /// Not JSON.
    #[error("invalid FHIR JSON: {0}")]
    Syntax(String),
    /// The document is not a Bundle.
    #[error("expected a FHIR Bundle (`resourceType`: `Bundle`), found {found}")]
    NotABundle {
        /// What was found instead.
        found: String,
    },
    /// An element of the wrong type or form.
    #[error("`{path}`: {message}")]
    Invalid {
        /// JSON path of the element.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The mapped patient does not pass the clinical library's checks (e.g. no sex or no
    /// diagnosis could be read). The report says what was and was not mapped.
    #[error("{error} (from the FHIR Bundle: {} value(s) used, {} unmapped, {} ambiguous, {} conflicting, {} unconvertible)", report.used.len(), report.unmapped.len(), report.ambiguous.len(), report.conflicts.len(), report.unconvertible.len())]
    Clinical {
        /// The clinical library's error.
        error: ClinicalError,
        /// What the mapping did.
        report: Box<MappingReport>,
    },
}

impl FhirError {
    /// The field or element at fault.
    pub fn field(&self) -> String {
        match self {
            FhirError::Syntax(_) => String::new(),
            FhirError::NotABundle { .. } => "resourceType".into(),
            FhirError::Invalid { path, .. } => path.clone(),
            FhirError::Clinical { error, .. } => error.field(),
        }
    }
}

/// Largest number of Bundle entries read (a guard against oversized input; a CDS prefetch of
/// one patient's relevant data is far below it).
pub const MAX_ENTRIES: usize = 20_000;

fn kind_of(v: &Value) -> String {
    match v {
        Value::Object(o) => match o.get("resourceType").and_then(Value::as_str) {
            Some(t) => format!("a {t}"),
            None => "an object without resourceType".into(),
        },
        Value::Array(_) => "an array".into(),
        Value::String(_) => "a string".into(),
        Value::Number(_) => "a number".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Null => "null".into(),
    }
}

fn typed<T: serde::de::DeserializeOwned>(v: Value, path: &str) -> Result<T, FhirError> {
    serde_path_to_error::deserialize(v).map_err(|e| FhirError::Invalid {
        path: format!("{path}.{}", e.path()),
        message: e.inner().to_string(),
    })
}

/// Reads one resource (an object with `resourceType`).
pub fn parse_resource(v: Value, path: &str) -> Result<Resource, FhirError> {
    let Value::Object(o) = &v else {
        return Err(FhirError::Invalid {
            path: path.into(),
            message: format!("expected a resource object, found {}", kind_of(&v)),
        });
    };
    let Some(t) = o.get("resourceType").and_then(Value::as_str) else {
        return Err(FhirError::Invalid {
            path: format!("{path}.resourceType"),
            message: "missing: every FHIR resource names its resourceType".into(),
        });
    };
    let t = t.to_string();
    Ok(match t.as_str() {
        "Patient" => Resource::Patient(typed(v, path)?),
        "Observation" => Resource::Observation(typed(v, path)?),
        "Condition" => Resource::Condition(typed(v, path)?),
        "Procedure" => Resource::Procedure(typed(v, path)?),
        "Encounter" => Resource::Encounter(typed(v, path)?),
        _ => Resource::Other {
            id: o.get("id").and_then(Value::as_str).map(str::to_string),
            resource_type: t,
        },
    })
}

/// Reads a Bundle from a JSON value.
pub fn bundle_from_value(v: Value) -> Result<Bundle, FhirError> {
    let Value::Object(mut o) = v else {
        return Err(FhirError::NotABundle { found: kind_of(&v) });
    };
    if o.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(FhirError::NotABundle {
            found: kind_of(&Value::Object(o)),
        });
    }
    let str_of =
        |o: &serde_json::Map<String, Value>, k: &str| -> Result<Option<String>, FhirError> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(FhirError::Invalid {
                    path: k.into(),
                    message: format!("expected a string, found {}", kind_of(other)),
                }),
            }
        };
    let timestamp = str_of(&o, "timestamp")?;
    let bundle_type = str_of(&o, "type")?;
    let entries = match o.remove("entry") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(FhirError::Invalid {
                path: "entry".into(),
                message: format!("expected an array, found {}", kind_of(&other)),
            })
        }
    };
    if entries.len() > MAX_ENTRIES {
        return Err(FhirError::Invalid {
            path: "entry".into(),
            message: format!("{} entries; at most {MAX_ENTRIES} are read", entries.len()),
        });
    }
    let mut resources = Vec::with_capacity(entries.len());
    for (i, e) in entries.into_iter().enumerate() {
        let path = format!("entry[{i}]");
        let Value::Object(mut e) = e else {
            return Err(FhirError::Invalid {
                path,
                message: format!("expected an entry object, found {}", kind_of(&e)),
            });
        };
        match e.remove("resource") {
            // An entry without a resource (e.g. a search outcome link) carries no data.
            None | Some(Value::Null) => {}
            Some(r) => {
                let r = parse_resource(r, &format!("{path}.resource"))?;
                if let Resource::Other { resource_type, .. } = &r {
                    if resource_type == "Bundle" {
                        return Err(FhirError::Invalid {
                            path: format!("{path}.resource"),
                            message:
                                "a Bundle inside a Bundle is not read: send one Bundle of resources"
                                    .into(),
                        });
                    }
                }
                resources.push(r);
            }
        }
    }
    Ok(Bundle {
        timestamp,
        bundle_type,
        resources,
    })
}

/// Reads a Bundle from JSON text.
pub fn parse_bundle(text: &str) -> Result<Bundle, FhirError> {
    let v: Value = serde_json::from_str(text).map_err(|e| FhirError::Syntax(e.to_string()))?;
    bundle_from_value(v)
}

/// The assessment of a patient read from FHIR, with the mapping report. Serialises as the
/// assessment's keys plus `fhir_mapping`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FhirAssessment {
    /// The assessment (the same as for the equivalent patient JSON).
    #[serde(flatten)]
    pub assessment: Assessment,
    /// What the mapping used and did not use.
    pub fhir_mapping: MappingReport,
}

/// Maps a parsed Bundle and assesses the patient.
pub fn assess_bundle(bundle: &Bundle, at: AssessmentTime) -> Result<FhirAssessment, FhirError> {
    let Mapped { patient, report } = map_bundle(bundle, at)?;
    let p = ecmova_clinical::Patient::from_wire(patient).map_err(|error| FhirError::Clinical {
        error,
        report: Box::new(report.clone()),
    })?;
    Ok(FhirAssessment {
        assessment: assess(&p),
        fhir_mapping: report,
    })
}

/// Maps and assesses a Bundle given as JSON text.
pub fn assess_bundle_json(text: &str, at: AssessmentTime) -> Result<FhirAssessment, FhirError> {
    assess_bundle(&parse_bundle(text)?, at)
}

/// The mapping report as Markdown (appended to the assessment's Markdown report).
pub fn report_markdown(r: &MappingReport) -> String {
    let mut s = String::new();
    s.push_str("\n## FHIR mapping\n\n");
    s.push_str(&format!(
        "Assessment time: {} ({}). Rule: {}.\n\n",
        r.assessment_time, r.assessment_time_basis, r.rule
    ));
    if !r.used.is_empty() {
        s.push_str("| field | value | from |\n| --- | --- | --- |\n");
        for u in &r.used {
            s.push_str(&format!(
                "| {} | {} | {}{} |\n",
                u.field,
                u.value,
                u.from.replace('|', "/"),
                if u.superseded > 0 {
                    format!(" ({} older value(s) superseded)", u.superseded)
                } else {
                    String::new()
                }
            ));
        }
        s.push('\n');
    }
    for c in &r.conflicts {
        s.push_str(&format!(
            "- **Conflict, `{}` left unknown**: {}\n",
            c.field,
            c.values.join("; ")
        ));
    }
    for (title, list) in [
        ("Ambiguous", &r.ambiguous),
        ("Unconvertible", &r.unconvertible),
        ("Not mapped", &r.unmapped),
        ("Not used", &r.ignored),
    ] {
        for i in list {
            s.push_str(&format!(
                "- {title}: {}{}: {}\n",
                i.resource,
                i.field
                    .as_ref()
                    .map(|f| format!(" (`{f}`)"))
                    .unwrap_or_default(),
                i.detail
            ));
        }
    }
    s
}
