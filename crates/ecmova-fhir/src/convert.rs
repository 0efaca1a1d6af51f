//! A FHIR R4 Bundle → the clinical library's patient, with a report of what was used, what
//! was not and why.
//!
//! Rules (`docs/fhir-mapping.md`):
//! - the latest value at or before the assessment time wins, per field; values after the
//!   assessment time are not used (reported);
//! - two values at that same latest time that disagree are a conflict: reported, and the
//!   field is left unknown (never guessed);
//! - a code ecmova does not map, a unit that does not convert, a condition that is only
//!   provisional, or a code that does not settle a field (e.g. aortic regurgitation without
//!   its severity) is reported and not used;
//! - a condition marked `refuted` sets its boolean field to `false`; `entered-in-error`
//!   resources are ignored; resources about another patient are ignored.

use crate::mapping::{self, ConditionEffect, ProcedureKind};
use crate::resource::{
    Bundle, CodeableConcept, Condition, Encounter, Observation, ObservationComponent, Patient,
    Procedure, Quantity, Reference, Resource,
};
use crate::time::{self, Seconds};
use crate::FhirError;
use ecmova_clinical::patient::Diagnosis;
use ecmova_clinical::wire::{self, FieldKind, PatientJson};
use serde::Serialize;
use serde_json::{Map, Value};

/// The rule stated in every output.
pub const RULE: &str = "per field, the latest value at or before the assessment time wins; two different values at that same latest time are a conflict and leave the field unknown; values after the assessment time are not used";

/// Largest relative difference between two values of the same latest time that is read as
/// the same value reported twice (e.g. creatinine in mg/dL and in umol/L, each rounded by
/// the laboratory), not a conflict. A data-consistency tolerance chosen by ecmova, not a
/// clinical threshold.
pub const SAME_VALUE_RELATIVE_TOLERANCE: f64 = 0.005;

/// A value the mapping used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsedValue {
    /// Patient key.
    pub field: String,
    /// The value as it enters the patient (canonical unit).
    pub value: Value,
    /// Where it came from (resource, code, original value and unit).
    pub from: String,
    /// Its time (absent: the resource carried none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Older values of the same field that it superseded.
    pub superseded: usize,
}

/// A piece of data that was not used, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    /// The resource (`Observation/abc`, or `entry[3]` when it has no id).
    pub resource: String,
    /// The patient key concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What and why.
    pub detail: String,
}

/// Two or more different values for one field at the same latest time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldConflict {
    /// Patient key (left unknown).
    pub field: String,
    /// The time they share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Each value with its source.
    pub values: Vec<String>,
}

/// What the mapping did with the Bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MappingReport {
    /// The assessment time (UTC).
    pub assessment_time: String,
    /// Where the assessment time came from.
    pub assessment_time_basis: String,
    /// The selection rule.
    pub rule: &'static str,
    /// The values used, by field.
    pub used: Vec<UsedValue>,
    /// Conflicts (fields left unknown).
    pub conflicts: Vec<FieldConflict>,
    /// Codes or resources ecmova does not map.
    pub unmapped: Vec<Issue>,
    /// Codes that do not settle a field, or conditions that are not confirmed.
    pub ambiguous: Vec<Issue>,
    /// Values whose unit or type could not be converted.
    pub unconvertible: Vec<Issue>,
    /// Data deliberately not used (after the assessment time, entered in error, inactive,
    /// another patient's).
    pub ignored: Vec<Issue>,
}

/// A Bundle read into the wire patient, with its report.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// The patient, ready for [`ecmova_clinical::Patient::from_wire`].
    pub patient: PatientJson,
    /// What was used and what was not.
    pub report: MappingReport,
}

/// Where the assessment time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessmentTime {
    /// Given by the caller (`--at`), with its basis in words.
    Given(Seconds),
    /// `Bundle.timestamp` if present, otherwise this fallback (the current time).
    BundleOr(Seconds),
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    /// Canonical value, original value, original unit.
    Num(f64, f64, String),
    Int(i64),
    Bool(bool),
    Text(String),
}

impl Val {
    fn json(&self) -> Value {
        match self {
            Val::Num(c, ..) => serde_json::Number::from_f64(*c)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Val::Int(i) => Value::from(*i),
            Val::Bool(b) => Value::Bool(*b),
            Val::Text(t) => Value::String(t.clone()),
        }
    }
    fn wire(&self) -> Value {
        match self {
            Val::Num(_, x, u) => serde_json::json!({"value": x, "unit": u}),
            other => other.json(),
        }
    }
    fn same(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Num(a, ..), Val::Num(b, ..)) => {
                a == b || (a - b).abs() <= SAME_VALUE_RELATIVE_TOLERANCE * a.abs().max(b.abs())
            }
            _ => self == other,
        }
    }
    fn describe(&self) -> String {
        match self {
            Val::Num(c, x, u) => {
                let canon = format!("{}", (c * 1000.0).round() / 1000.0);
                if format!("{x}") == canon {
                    format!("{x} {u}")
                } else {
                    format!("{x} {u} (= {canon})")
                }
            }
            Val::Int(i) => i.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    field: &'static str,
    val: Val,
    time: Option<Seconds>,
    source: String,
    canonical_unit: bool,
}

#[derive(Default)]
struct Work {
    at: Seconds,
    cands: Vec<Candidate>,
    diagnoses: Vec<(Diagnosis, String)>,
    report_unmapped: Vec<Issue>,
    report_ambiguous: Vec<Issue>,
    report_unconvertible: Vec<Issue>,
    report_ignored: Vec<Issue>,
    patient_ref: Option<String>,
}

fn issue(resource: &str, field: Option<&str>, detail: impl Into<String>) -> Issue {
    Issue {
        resource: resource.to_string(),
        field: field.map(str::to_string),
        detail: detail.into(),
    }
}

fn static_key(field: &str) -> Option<&'static str> {
    wire::FIELDS
        .iter()
        .find(|(k, _)| *k == field)
        .map(|(k, _)| *k)
}

impl Work {
    /// Whether `subject` is the Bundle's patient (absent subject: assumed, as in a
    /// single-patient Bundle).
    fn ours(&mut self, name: &str, subject: &Option<Reference>) -> bool {
        let (Some(p), Some(r)) = (
            self.patient_ref.as_deref(),
            subject.as_ref().and_then(|s| s.reference.as_deref()),
        ) else {
            return true;
        };
        let ok = r == p || r.ends_with(&format!("/{p}"));
        if !ok {
            self.report_ignored.push(issue(
                name,
                None,
                format!("subject `{r}` is not the Bundle's patient `{p}`"),
            ));
        }
        ok
    }

    fn time_of(&mut self, name: &str, what: &str, s: Option<&str>) -> Result<Option<Seconds>, ()> {
        match s {
            None => Ok(None),
            Some(s) => match time::parse(s) {
                Ok(t) => Ok(Some(t)),
                Err(e) => {
                    self.report_unconvertible.push(issue(
                        name,
                        None,
                        format!("{what}: {e}; not used"),
                    ));
                    Err(())
                }
            },
        }
    }

    fn push(&mut self, c: Candidate) {
        self.cands.push(c);
    }

    /// A numeric or typed value of an observation (or a component) for `field`.
    #[allow(clippy::too_many_arguments)]
    fn observation_value(
        &mut self,
        name: &str,
        field: &'static str,
        code_text: &str,
        q: Option<&Quantity>,
        int: Option<i64>,
        b: Option<bool>,
        cc: Option<&CodeableConcept>,
        s: Option<&str>,
        time: Option<Seconds>,
    ) {
        let kind = wire::field_kind(field).unwrap_or(FieldKind::Text);
        let source = format!("{name} ({code_text})");
        let bad = |w: &mut Work, d: String| {
            w.report_unconvertible.push(issue(
                name,
                Some(field),
                format!("{code_text}: {d}; not used"),
            ))
        };
        let val = match kind {
            FieldKind::Number => {
                let Some(q) = q else {
                    return bad(self, "expected valueQuantity".into());
                };
                let Some(x) = q.value.filter(|x| x.is_finite()) else {
                    return bad(self, "valueQuantity has no value".into());
                };
                if let Some(c) = &q.comparator {
                    return bad(self, format!("value `{c}{x}` is not exact"));
                }
                let unit = q
                    .code
                    .as_deref()
                    .filter(|_| q.system.as_deref().is_none_or(|s| s == mapping::UCUM))
                    .or(q.unit.as_deref())
                    .unwrap_or("");
                let Some(u) = ecmova_clinical::units::units_of(field) else {
                    return bad(self, "no unit table for this field".into());
                };
                let factor = if unit == u.unit {
                    Some(1.0)
                } else {
                    u.others.iter().find(|(n, _)| *n == unit).map(|(_, f)| *f)
                };
                let Some(f) = factor else {
                    let accepted: Vec<String> = std::iter::once(u.unit)
                        .chain(u.others.iter().map(|(n, _)| *n))
                        .map(|n| format!("`{n}`"))
                        .collect();
                    return bad(
                        self,
                        format!(
                            "unit `{unit}` does not convert to {} (accepted UCUM codes: {})",
                            u.unit,
                            accepted.join(", ")
                        ),
                    );
                };
                let canonical_unit = f == 1.0 && unit == u.unit;
                self.push(Candidate {
                    field,
                    val: Val::Num(x * f, x, unit.to_string()),
                    time,
                    source,
                    canonical_unit,
                });
                return;
            }
            FieldKind::Integer => {
                let n = match (int, q) {
                    (Some(i), _) => Some(i),
                    (None, Some(q)) => {
                        let unit = q.code.as_deref().or(q.unit.as_deref()).unwrap_or("");
                        if !mapping::COUNT_UNITS.contains(&unit) {
                            return bad(self, format!("unit `{unit}` is not a count or a score"));
                        }
                        q.value
                            .filter(|x| x.fract() == 0.0 && x.is_finite())
                            .map(|x| x as i64)
                    }
                    _ => None,
                };
                match n {
                    Some(n) => Val::Int(n),
                    None => return bad(self, "expected a whole number".into()),
                }
            }
            FieldKind::Bool => match b {
                Some(b) => Val::Bool(b),
                None => return bad(self, "expected valueBoolean".into()),
            },
            FieldKind::Text | FieldKind::List => {
                let t = s.map(str::to_string).or_else(|| {
                    cc.and_then(|c| {
                        c.code_in(mapping::ECMOVA_FIELD)
                            .or_else(|| c.coding.first().and_then(|x| x.code.as_deref()))
                            .map(str::to_string)
                    })
                });
                match t {
                    Some(t) => Val::Text(t),
                    None => {
                        return bad(self, "expected valueString or valueCodeableConcept".into())
                    }
                }
            }
        };
        if kind == FieldKind::List {
            // Diagnoses given with ecmova's own code: one per observation.
            let Val::Text(t) = &val else { return };
            match serde_json::from_value::<Diagnosis>(Value::String(t.clone())) {
                Ok(d) if time.is_none_or(|t| t <= self.at) => {
                    self.diagnoses.push((d, source));
                }
                Ok(_) => self.report_ignored.push(issue(
                    name,
                    Some(field),
                    "after the assessment time; not used",
                )),
                Err(_) => bad(
                    self,
                    format!("`{t}` is not a diagnosis of the patient format"),
                ),
            }
            return;
        }
        self.push(Candidate {
            field,
            val,
            time,
            source,
            canonical_unit: true,
        });
    }

    fn observation(&mut self, name: &str, o: &Observation) {
        if !self.ours(name, &o.subject) {
            return;
        }
        match o.status.as_deref() {
            Some("final" | "amended" | "corrected" | "preliminary") | None => {}
            Some(s) => {
                self.report_ignored
                    .push(issue(name, None, format!("status `{s}`; not used")));
                return;
            }
        }
        let when = o
            .effective_date_time
            .as_deref()
            .or(o.effective_instant.as_deref())
            .or(o
                .effective_period
                .as_ref()
                .and_then(|p| p.end.as_deref().or(p.start.as_deref())));
        let Ok(time) = self.time_of(name, "effective time", when) else {
            return;
        };
        let mut mapped_any = false;
        let parts: Vec<(&CodeableConcept, Option<&ObservationComponent>)> =
            std::iter::once((&o.code, None))
                .chain(o.component.iter().map(|c| (&c.code, Some(c))))
                .collect();
        for (code, comp) in parts {
            let Some((field, code_text)) = self.field_of(code) else {
                continue;
            };
            mapped_any = true;
            if time.is_none() {
                self.report_unmapped.push(issue(
                    name,
                    Some(field),
                    "no effective time: cannot tell whether it is before the assessment time; not used",
                ));
                continue;
            }
            match comp {
                None => self.observation_value(
                    name,
                    field,
                    &code_text,
                    o.value_quantity.as_ref(),
                    o.value_integer,
                    o.value_boolean,
                    o.value_codeable_concept.as_ref(),
                    o.value_string.as_deref(),
                    time,
                ),
                Some(c) => self.observation_value(
                    name,
                    field,
                    &code_text,
                    c.value_quantity.as_ref(),
                    c.value_integer,
                    c.value_boolean,
                    c.value_codeable_concept.as_ref(),
                    c.value_string.as_deref(),
                    time,
                ),
            }
        }
        if !mapped_any {
            self.report_unmapped.push(issue(
                name,
                None,
                format!("code {} is not mapped by ecmova", o.code.describe()),
            ));
        }
    }

    /// The field an observation code maps to (LOINC, or ecmova's own code system).
    fn field_of(&mut self, code: &CodeableConcept) -> Option<(&'static str, String)> {
        for c in &code.coding {
            let (Some(sys), Some(v)) = (c.system.as_deref(), c.code.as_deref()) else {
                continue;
            };
            if sys == mapping::LOINC {
                if let Some(f) = mapping::loinc_field(v) {
                    return Some((f, format!("LOINC {v}")));
                }
            }
            if sys == mapping::ECMOVA_FIELD {
                if let Some(f) = static_key(v).filter(|k| *k != "patient_id") {
                    return Some((f, format!("ecmova {v}")));
                }
            }
        }
        None
    }

    fn condition(&mut self, name: &str, c: &Condition, arrest_onsets: &mut Vec<Seconds>) {
        if !self.ours(name, &c.subject) {
            return;
        }
        let verification = c
            .verification_status
            .as_ref()
            .and_then(|v| v.coding.first())
            .and_then(|x| x.code.clone());
        let clinical = c
            .clinical_status
            .as_ref()
            .and_then(|v| v.coding.first())
            .and_then(|x| x.code.clone());
        let mut effect = None;
        let mut code_text = String::new();
        for coding in &c.code.coding {
            let (Some(sys), Some(v)) = (coding.system.as_deref(), coding.code.as_deref()) else {
                continue;
            };
            let e = match sys {
                mapping::SNOMED => mapping::snomed_condition(v),
                mapping::ICD10 => mapping::icd10_who_condition(v),
                mapping::ICD10_CM => mapping::icd10_condition(v),
                _ => None,
            };
            if let Some(e) = e {
                let label = if sys == mapping::SNOMED {
                    "SNOMED CT"
                } else {
                    "ICD-10"
                };
                effect = Some(e);
                code_text = format!("{label} {v}");
                break;
            }
        }
        let Some(effect) = effect else {
            self.report_unmapped.push(issue(
                name,
                None,
                format!("condition {} is not mapped by ecmova", c.code.describe()),
            ));
            return;
        };
        if verification.as_deref() == Some("entered-in-error") {
            self.report_ignored.push(issue(
                name,
                None,
                format!("{code_text}: entered in error; not used"),
            ));
            return;
        }
        let refuted = verification.as_deref() == Some("refuted");
        if let Some(v @ ("unconfirmed" | "provisional" | "differential")) = verification.as_deref()
        {
            self.report_ambiguous.push(issue(
                name,
                None,
                format!("{code_text}: verification status `{v}` (not confirmed); not used"),
            ));
            return;
        }
        if !refuted {
            if let Some(s @ ("inactive" | "remission" | "resolved")) = clinical.as_deref() {
                self.report_ignored.push(issue(
                    name,
                    None,
                    format!("{code_text}: clinical status `{s}` (not active); not used"),
                ));
                return;
            }
        }
        let when = c.onset_date_time.as_deref().or(c.recorded_date.as_deref());
        let Ok(time) = self.time_of(name, "onset", when) else {
            return;
        };
        if time.is_some_and(|t| t > self.at) {
            self.report_ignored.push(issue(
                name,
                None,
                format!("{code_text}: after the assessment time; not used"),
            ));
            return;
        }
        let source = format!(
            "{name} ({code_text}{})",
            if refuted { ", refuted" } else { "" }
        );
        let flag = |w: &mut Work, field: &'static str, v: bool| {
            w.push(Candidate {
                field,
                val: Val::Bool(v),
                time,
                source: source.clone(),
                canonical_unit: true,
            })
        };
        match effect {
            ConditionEffect::Diagnosis(d) => {
                if refuted {
                    self.report_ignored.push(issue(
                        name,
                        Some("diagnoses"),
                        format!("{code_text}: refuted; not a diagnosis"),
                    ));
                } else {
                    self.diagnoses.push((d, source.clone()));
                }
            }
            ConditionEffect::Infarction(stemi) => {
                if refuted {
                    self.report_ignored.push(issue(
                        name,
                        Some("diagnoses"),
                        format!("{code_text}: refuted; not a diagnosis"),
                    ));
                } else {
                    self.diagnoses
                        .push((Diagnosis::AcuteMyocardialInfarction, source.clone()));
                    if let Some(s) = stemi {
                        flag(self, "stemi", s);
                    }
                }
            }
            ConditionEffect::Flag(field) => flag(self, field, !refuted),
            ConditionEffect::Arrest => {
                flag(self, "cardiac_arrest_before_ecmo", !refuted);
                if let (false, Some(t)) = (refuted, time) {
                    arrest_onsets.push(t);
                }
            }
            ConditionEffect::ChronicRenal(v) => {
                if refuted {
                    self.report_ambiguous.push(issue(
                        name,
                        Some("chronic_renal_failure"),
                        format!("{code_text}: a refuted CKD stage does not say which stage applies; not used"),
                    ));
                } else {
                    flag(self, "chronic_renal_failure", v);
                }
            }
            ConditionEffect::Ambiguous(field, why) => {
                if refuted && field != "diagnoses" {
                    // Refuting the whole condition (e.g. no aortic regurgitation at all)
                    // also refutes its severe form.
                    flag(self, field, false);
                } else {
                    self.report_ambiguous.push(issue(
                        name,
                        Some(field),
                        format!("{code_text}: {why}; not used"),
                    ));
                }
            }
        }
    }
}

struct Proc {
    name: String,
    kind: ProcedureKind,
    status: String,
    start: Option<Seconds>,
    end: Option<Seconds>,
}

/// Reads a Bundle (parsed) into the wire patient. `at` chooses the assessment time.
pub fn map_bundle(bundle: &Bundle, at: AssessmentTime) -> Result<Mapped, FhirError> {
    let (at, basis) = match at {
        AssessmentTime::Given(t) => (t, "given".to_string()),
        AssessmentTime::BundleOr(now) => match bundle.timestamp.as_deref() {
            Some(ts) => (
                time::parse(ts).map_err(|e| FhirError::Invalid {
                    path: "timestamp".into(),
                    message: e,
                })?,
                "Bundle.timestamp".to_string(),
            ),
            None => (
                now,
                "the current time (no --at and no Bundle.timestamp)".to_string(),
            ),
        },
    };
    let mut w = Work {
        at,
        ..Default::default()
    };
    let patients: Vec<(usize, &Patient)> = bundle
        .resources
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Resource::Patient(p) => Some((i, p)),
            _ => None,
        })
        .collect();
    if patients.len() > 1 {
        return Err(FhirError::Invalid {
            path: "entry".into(),
            message: format!(
                "the Bundle holds {} Patient resources (entries {}): ecmova assesses one patient and will not guess whose data is whose",
                patients.len(),
                patients
                    .iter()
                    .map(|(i, _)| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let mut map = Map::new();
    let mut used = Vec::new();
    if let Some((i, p)) = patients.first() {
        let name = name_of("Patient", &p.id, *i);
        w.patient_ref = p.id.as_ref().map(|id| format!("Patient/{id}"));
        if let Some(id) = &p.id {
            map.insert("patient_id".into(), Value::String(id.clone()));
        }
        match p.gender.as_deref() {
            Some(g @ ("male" | "female")) => {
                map.insert("sex".into(), Value::String(g.into()));
                used.push(UsedValue {
                    field: "sex".into(),
                    value: Value::String(g.into()),
                    from: format!("{name}.gender"),
                    time: None,
                    superseded: 0,
                });
            }
            Some(g) => w.report_unconvertible.push(issue(
                &name,
                Some("sex"),
                format!("gender `{g}`: the scores that use sex (ENCOURAGE) define only female and male; not used"),
            )),
            None => {}
        }
        if let Some(b) = &p.birth_date {
            match time::completed_years(b, at) {
                Ok(Ok(years)) if years >= 0 => {
                    map.insert("age_years".into(), Value::from(years));
                    used.push(UsedValue {
                        field: "age_years".into(),
                        value: Value::from(years),
                        from: format!("{name}.birthDate {b}: completed years at the assessment time"),
                        time: None,
                        superseded: 0,
                    });
                }
                Ok(Ok(_)) => w.report_unconvertible.push(issue(
                    &name,
                    Some("age_years"),
                    format!("birthDate {b} is after the assessment time"),
                )),
                Ok(Err((lo, hi))) => w.report_ambiguous.push(issue(
                    &name,
                    Some("age_years"),
                    format!("birthDate {b} is partial: the age is {lo} or {hi} completed years; not used"),
                )),
                Err(e) => w
                    .report_unconvertible
                    .push(issue(&name, Some("age_years"), format!("birthDate: {e}"))),
            }
        }
    }
    let mut arrest_onsets = Vec::new();
    let mut procs = Vec::new();
    let mut arrivals = Vec::new();
    for (i, r) in bundle.resources.iter().enumerate() {
        match r {
            Resource::Patient(_) => {}
            Resource::Observation(o) => w.observation(&name_of("Observation", &o.id, i), o),
            Resource::Condition(c) => {
                w.condition(&name_of("Condition", &c.id, i), c, &mut arrest_onsets)
            }
            Resource::Procedure(p) => {
                let name = name_of("Procedure", &p.id, i);
                if let Some(pr) = procedure(&mut w, &name, p) {
                    procs.push(pr);
                }
            }
            Resource::Encounter(e) => {
                let name = name_of("Encounter", &e.id, i);
                if let Some(t) = encounter(&mut w, &name, e) {
                    arrivals.push((t, name));
                }
            }
            Resource::Other { resource_type, id } => w.report_unmapped.push(issue(
                &name_of(resource_type, id, i),
                None,
                format!("resource type {resource_type} is not read by ecmova"),
            )),
        }
    }
    derive_from_procedures(&mut w, &procs, &arrest_onsets, &arrivals);
    let mut conflicts = Vec::new();
    select(&mut w, &mut map, &mut used, &mut conflicts);
    // Diagnoses: every one at or before the assessment time (a list, not latest-wins).
    if !w.diagnoses.is_empty() {
        let mut list: Vec<Diagnosis> = w.diagnoses.iter().map(|(d, _)| *d).collect();
        list.sort();
        list.dedup();
        let names: Vec<Value> = list
            .iter()
            .map(|d| Value::String(d.name().into()))
            .collect();
        used.push(UsedValue {
            field: "diagnoses".into(),
            value: Value::Array(names.clone()),
            from: w
                .diagnoses
                .iter()
                .map(|(d, s)| format!("{} from {s}", d.name()))
                .collect::<Vec<_>>()
                .join("; "),
            time: None,
            superseded: 0,
        });
        map.insert("diagnoses".into(), Value::Array(names));
    }
    let mut patient = wire::from_map(map).map_err(|e| FhirError::Clinical {
        error: e,
        report: Box::new(MappingReport {
            assessment_time: time::format(at),
            assessment_time_basis: basis.clone(),
            rule: RULE,
            used: used.clone(),
            conflicts: conflicts.clone(),
            unmapped: w.report_unmapped.clone(),
            ambiguous: w.report_ambiguous.clone(),
            unconvertible: w.report_unconvertible.clone(),
            ignored: w.report_ignored.clone(),
        }),
    })?;
    // The wire reader records every {value, unit} as a conversion; keep the real ones.
    patient.unit_conversions.retain(|c| {
        let mut it = c.splitn(2, ": ");
        let _field = it.next();
        let rest = it.next().unwrap_or("");
        let (a, b) = rest.split_once(" = ").unwrap_or((rest, ""));
        a != b
    });
    used.sort_by(|a, b| a.field.cmp(&b.field));
    Ok(Mapped {
        patient,
        report: MappingReport {
            assessment_time: time::format(at),
            assessment_time_basis: basis,
            rule: RULE,
            used,
            conflicts,
            unmapped: w.report_unmapped,
            ambiguous: w.report_ambiguous,
            unconvertible: w.report_unconvertible,
            ignored: w.report_ignored,
        },
    })
}

fn name_of(kind: &str, id: &Option<String>, i: usize) -> String {
    match id {
        Some(id) => format!("{kind}/{id}"),
        None => format!("entry[{i}] ({kind})"),
    }
}

fn procedure(w: &mut Work, name: &str, p: &Procedure) -> Option<Proc> {
    if !w.ours(name, &p.subject) {
        return None;
    }
    let kind = p
        .code
        .coding
        .iter()
        .filter(|c| c.system.as_deref() == Some(mapping::SNOMED))
        .find_map(|c| c.code.as_deref().and_then(mapping::snomed_procedure));
    let Some(kind) = kind else {
        w.report_unmapped.push(issue(
            name,
            None,
            format!("procedure {} is not mapped by ecmova", p.code.describe()),
        ));
        return None;
    };
    let status = p.status.clone().unwrap_or_else(|| "unknown".into());
    if matches!(status.as_str(), "entered-in-error" | "not-done") {
        w.report_ignored
            .push(issue(name, None, format!("status `{status}`; not used")));
        return None;
    }
    let (s, e) = match (&p.performed_date_time, &p.performed_period) {
        (Some(t), _) => (Some(t.as_str()), None),
        (None, Some(pp)) => (pp.start.as_deref(), pp.end.as_deref()),
        _ => (None, None),
    };
    let start = w.time_of(name, "performed start", s).ok()?;
    let end = w.time_of(name, "performed end", e).ok()?;
    if start.is_none() && status != "preparation" {
        w.report_unmapped.push(issue(
            name,
            None,
            "no performed time: the times ecmova derives from it cannot be computed; not used",
        ));
        return None;
    }
    Some(Proc {
        name: name.to_string(),
        kind,
        status,
        start,
        end,
    })
}

fn encounter(w: &mut Work, name: &str, e: &Encounter) -> Option<Seconds> {
    if !w.ours(name, &e.subject) {
        return None;
    }
    if matches!(
        e.status.as_deref(),
        Some("entered-in-error" | "cancelled" | "planned")
    ) {
        w.report_ignored.push(issue(
            name,
            None,
            format!("status `{}`; not used", e.status.as_deref().unwrap_or("")),
        ));
        return None;
    }
    let start = e.period.as_ref().and_then(|p| p.start.as_deref());
    w.time_of(name, "period start", start).ok().flatten()
}

fn minutes(a: Seconds, b: Seconds) -> f64 {
    (b - a) as f64 / 60.0
}

/// Times from procedures: timepoint, intubation hours, CPR (low flow, ongoing), arrest (no
/// flow, location).
fn derive_from_procedures(
    w: &mut Work,
    procs: &[Proc],
    arrest_onsets: &[Seconds],
    arrivals: &[(Seconds, String)],
) {
    let at = w.at;
    let one = |w: &mut Work, kind: ProcedureKind| -> Option<&Proc> {
        let mut of: Vec<&Proc> = procs.iter().filter(|p| p.kind == kind).collect();
        of.retain(|p| p.start.is_none_or(|s| s <= at));
        if of.len() > 1 {
            let names: Vec<&str> = of.iter().map(|p| p.name.as_str()).collect();
            w.report_ambiguous.push(issue(
                &names.join(", "),
                None,
                format!("{} procedures of the same kind ({kind:?}): the times derived from them are not used", of.len()),
            ));
            return None;
        }
        of.first().copied()
    };
    for p in procs.iter().filter(|p| p.start.is_some_and(|s| s > at)) {
        w.report_ignored.push(issue(
            &p.name,
            None,
            "starts after the assessment time; not used",
        ));
    }
    let cand = |field: &'static str, val: Val, time: Seconds, source: String| Candidate {
        field,
        val,
        time: Some(time),
        source,
        canonical_unit: true,
    };
    // ECMO: the timepoint, and the end of the time before ECMO.
    let ecmo = one(w, ProcedureKind::Ecmo);
    let mut ecmo_start = None;
    if let Some(e) = ecmo {
        match (e.status.as_str(), e.start, e.end) {
            ("preparation", ..) => w.push(cand(
                "timepoint",
                Val::Text("before_cannulation".into()),
                e.start.unwrap_or(at),
                format!("{} (ECMO, status preparation)", e.name),
            )),
            (_, Some(s), end) if end.is_none_or(|t| t >= at) => {
                ecmo_start = Some(s);
                w.push(cand(
                    "timepoint",
                    Val::Text("on_ecmo".into()),
                    s,
                    format!("{} (ECMO since {})", e.name, time::format(s)),
                ))
            }
            (_, Some(s), Some(end)) => {
                ecmo_start = Some(s);
                w.report_ambiguous.push(issue(
                    &e.name,
                    Some("timepoint"),
                    format!("ECMO ended at {} before the assessment time: after decannulation is neither timepoint of the assessment; not used", time::format(end)),
                ));
            }
            _ => {}
        }
    }
    let before_ecmo = ecmo_start.unwrap_or(at);
    if let Some(i) = one(w, ProcedureKind::Intubation) {
        if let Some(s) = i.start.filter(|s| *s <= before_ecmo) {
            let h = (before_ecmo - s) as f64 / 3600.0;
            let to = if ecmo_start.is_some() {
                "ECMO start"
            } else {
                "the assessment time"
            };
            w.push(cand(
                "intubation_hours_before_ecmo",
                Val::Num(h, h, "h".into()),
                s,
                format!("{} (intubated {} to {to})", i.name, time::format(s)),
            ));
        }
    }
    let cpr = one(w, ProcedureKind::Cpr);
    let mut cpr_start = None;
    if let Some(c) = cpr {
        if let Some(s) = c.start {
            cpr_start = Some(s);
            let ongoing = c.status == "in-progress" && c.end.is_none_or(|e| e > at);
            let stop = match (ongoing, c.end, ecmo_start) {
                (_, _, Some(e)) if e >= s && c.end.is_none_or(|x| x >= e) => {
                    Some((e, "ECMO start"))
                }
                (true, ..) => Some((at, "the assessment time (CPR ongoing)")),
                (false, Some(e), _) if e <= at => Some((e, "the end of CPR")),
                _ => None,
            };
            w.push(cand(
                "cardiac_arrest_before_ecmo",
                Val::Bool(true),
                s,
                format!("{} (CPR)", c.name),
            ));
            if ecmo_start.is_none() {
                w.push(cand(
                    "ongoing_cpr",
                    Val::Bool(ongoing),
                    s,
                    format!("{} (status {})", c.name, c.status),
                ));
            }
            if let Some((e, what)) = stop {
                let m = minutes(s, e);
                w.push(cand(
                    "low_flow_minutes",
                    Val::Num(m, m, "min".into()),
                    s,
                    format!("{} (CPR start {} to {what})", c.name, time::format(s)),
                ));
            }
        }
    }
    if arrest_onsets.len() == 1 {
        let a = arrest_onsets[0];
        if let Some(s) = cpr_start.filter(|s| *s >= a) {
            let m = minutes(a, s);
            w.push(cand(
                "no_flow_minutes",
                Val::Num(m, m, "min".into()),
                s,
                format!(
                    "arrest onset {} to CPR start {}",
                    time::format(a),
                    time::format(s)
                ),
            ));
        }
        if let Some((arrival, name)) = arrivals.iter().min_by_key(|(t, _)| *t) {
            let loc = if a < *arrival {
                "out_of_hospital"
            } else {
                "in_hospital"
            };
            w.push(cand(
                "arrest_location",
                Val::Text(loc.into()),
                a,
                format!(
                    "arrest onset {} {} arrival {} ({name})",
                    time::format(a),
                    if a < *arrival { "before" } else { "after" },
                    time::format(*arrival)
                ),
            ));
        }
    } else if arrest_onsets.len() > 1 {
        w.report_ambiguous.push(issue(
            "Condition (cardiac arrest)",
            Some("no_flow_minutes"),
            "several arrest onsets: no-flow time and arrest location are not derived",
        ));
    }
}

/// Chooses one value per field by the rule, fills `map`, reports the rest.
fn select(
    w: &mut Work,
    map: &mut Map<String, Value>,
    used: &mut Vec<UsedValue>,
    conflicts: &mut Vec<FieldConflict>,
) {
    let at = w.at;
    let mut fields: Vec<&'static str> = w.cands.iter().map(|c| c.field).collect();
    fields.sort();
    fields.dedup();
    for field in fields {
        let (now, later): (Vec<&Candidate>, Vec<&Candidate>) = w
            .cands
            .iter()
            .filter(|c| c.field == field)
            .partition(|c| c.time.is_none_or(|t| t <= at));
        for c in later {
            w.report_ignored.push(issue(
                &c.source,
                Some(field),
                format!(
                    "{} at {} is after the assessment time; not used",
                    c.val.describe(),
                    c.time.map(time::format).unwrap_or_default()
                ),
            ));
        }
        if now.is_empty() {
            continue;
        }
        // Latest time; undated values count as older than any dated one.
        let latest = now.iter().map(|c| c.time).max().flatten();
        let top: Vec<&Candidate> = now.iter().copied().filter(|c| c.time == latest).collect();
        let superseded = now.len() - top.len();
        let first = top[0];
        if top.iter().any(|c| !c.val.same(&first.val)) {
            conflicts.push(FieldConflict {
                field: field.to_string(),
                time: latest.map(time::format),
                values: top
                    .iter()
                    .map(|c| format!("{} from {}", c.val.describe(), c.source))
                    .collect(),
            });
            continue;
        }
        if map.contains_key(field) {
            // Patient demographics already set it (e.g. an ecmova-coded age as well).
            w.report_ambiguous.push(issue(
                &first.source,
                Some(field),
                "also given by the Patient resource; the Patient resource is used",
            ));
            continue;
        }
        let chosen = top
            .iter()
            .find(|c| c.canonical_unit)
            .copied()
            .unwrap_or(first);
        map.insert(field.to_string(), chosen.val.wire());
        used.push(UsedValue {
            field: field.to_string(),
            value: chosen.val.json(),
            from: format!("{} = {}", chosen.source, chosen.val.describe()),
            time: chosen.time.map(time::format),
            superseded,
        });
    }
}
