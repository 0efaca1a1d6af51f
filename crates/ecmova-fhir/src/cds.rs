//! CDS Hooks 2.0 (HL7 / CDS Hooks, "CDS Hooks 2.0", 2022): the discovery document, the
//! request check (prefetch), and the cards built from the VA-ECMO assessment.
//!
//! The HTTP part (routes, JWT check of the CDS client, `412`) lives in `ecmova-server`; this
//! module is pure: a request body in, cards or a [`CdsError`] (with its HTTP status) out.
//! Nothing of the patient is logged or stored.

use crate::convert::{AssessmentTime, MappingReport};
use crate::resource::{Bundle, Resource};
use crate::time::Seconds;
use crate::{assess_bundle, bundle_from_value, parse_resource, FhirAssessment, FhirError};
use ecmova_clinical::assess::Verdict;
use ecmova_clinical::patient::ContraindicationSource;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The service id for the `patient-view` hook.
pub const SERVICE_ID: &str = "vaecmo-assessment";
/// The service id for the `order-select` hook (same assessment, same cards).
pub const ORDER_SELECT_SERVICE_ID: &str = "vaecmo-assessment-order-select";
/// Longest card summary, characters (CDS Hooks: "<140 characters").
pub const MAX_SUMMARY_CHARS: usize = 139;
/// Prefetch keys the service needs: without them (and without a FHIR server) the answer
/// is `412`.
pub const REQUIRED_PREFETCH: &[&str] = &["patient", "conditions", "observations"];

/// The FHIR queries of the prefetch templates, by key.
pub fn prefetch_templates() -> Map<String, Value> {
    let mut codes: Vec<String> = crate::mapping::LOINC_FIELDS
        .iter()
        .map(|(c, ..)| format!("{}|{c}", crate::mapping::LOINC))
        .collect();
    codes.dedup();
    let mut m = Map::new();
    m.insert("patient".into(), json!("Patient/{{context.patientId}}"));
    m.insert(
        "conditions".into(),
        json!("Condition?patient={{context.patientId}}"),
    );
    m.insert(
        "observations".into(),
        Value::String(format!(
            "Observation?patient={{{{context.patientId}}}}&code={}",
            codes.join(",")
        )),
    );
    // The procedure codes of the mapping table, so the template cannot drift from it.
    let procedures: Vec<String> = crate::mapping::SNOMED_PROCEDURES
        .iter()
        .map(|(code, ..)| format!("{}|{code}", crate::mapping::SNOMED))
        .collect();
    m.insert(
        "procedures".into(),
        Value::String(format!(
            "Procedure?patient={{{{context.patientId}}}}&code={}",
            procedures.join(",")
        )),
    );
    m.insert(
        "encounters".into(),
        json!("Encounter?patient={{context.patientId}}"),
    );
    m
}

/// The discovery document (`GET /cds-services`).
pub fn discovery() -> Value {
    let service = |hook: &str, id: &str, title: &str| {
        json!({
            "hook": hook,
            "id": id,
            "title": title,
            "description": "VA-ECMO assessment (SCAI stage, indication, contraindications, ECPR trial criteria, prognosis scores, weaning) from the patient's FHIR data, with the mapping of every value used. Research and teaching tool; not a certified medical device.",
            "prefetch": prefetch_templates(),
            "usageRequirements": "Send the prefetch (patient, conditions, observations; procedures and encounters for arrest, intubation and ECMO times). Nothing is fetched from the FHIR server, logged or stored."
        })
    };
    json!({
        "services": [
            service("patient-view", SERVICE_ID, "ecmova VA-ECMO assessment"),
            service("order-select", ORDER_SELECT_SERVICE_ID, "ecmova VA-ECMO assessment (order select)"),
        ]
    })
}

/// The hook a service id answers.
pub fn hook_of(service_id: &str) -> Option<&'static str> {
    match service_id {
        SERVICE_ID => Some("patient-view"),
        ORDER_SELECT_SERVICE_ID => Some("order-select"),
        _ => None,
    }
}

/// A CDS Hooks request (the fields this service reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdsRequest {
    /// The hook.
    pub hook: String,
    /// Unique id of this call.
    pub hook_instance: String,
    /// The client's FHIR server (never fetched from; see [`handle`]).
    #[serde(default)]
    pub fhir_server: Option<String>,
    /// Access token for the FHIR server (never used or stored).
    #[serde(default)]
    pub fhir_authorization: Option<Value>,
    /// Hook context (`patientId`, `userId`, ...).
    pub context: Map<String, Value>,
    /// Prefetched resources by key.
    #[serde(default)]
    pub prefetch: Option<Map<String, Value>>,
}

/// A failure with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdsError {
    /// HTTP status (400, 404, 412).
    pub status: u16,
    /// Short machine code.
    pub code: &'static str,
    /// The field at fault.
    pub field: Option<String>,
    /// What is wrong and what to send.
    pub message: String,
}

fn bad(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> CdsError {
    CdsError {
        status: 400,
        code,
        field: Some(field.into()),
        message: message.into(),
    }
}

/// A card source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// Label.
    pub label: String,
    /// URL of the guideline or paper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A card link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// Label.
    pub label: String,
    /// URL.
    pub url: String,
    /// `absolute` or `smart`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// A CDS Hooks card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    /// Card id (for the feedback endpoint).
    pub uuid: String,
    /// One line, under 140 characters.
    pub summary: String,
    /// Markdown.
    pub detail: String,
    /// `info`, `warning` or `critical`.
    pub indicator: &'static str,
    /// The guideline or trial behind the card.
    pub source: Source,
    /// Links.
    pub links: Vec<Link>,
}

/// The response body: the cards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CdsResponse {
    /// The cards.
    pub cards: Vec<Card>,
}

/// The card indicator of a verdict: `critical` for an absolute contraindication, `warning`
/// where the team must act or decide (consider VA-ECMO, individualised decision), `info`
/// otherwise (not indicated, undetermined, on ECMO review). ecmova's choice, documented in
/// `docs/fhir-mapping.md`.
pub fn indicator(v: Verdict) -> &'static str {
    match v {
        Verdict::Contraindicated => "critical",
        Verdict::Consider | Verdict::IndividualisedDecision => "warning",
        Verdict::NotIndicated | Verdict::Undetermined | Verdict::OnEcmoReview => "info",
    }
}

/// The URL of a contraindication source (its DOI).
pub fn source_url(s: ContraindicationSource) -> &'static str {
    match s {
        // Chung, Shiloh, Carlese, Sci World J 2014;2014:393258.
        ContraindicationSource::Chung2014 => "https://doi.org/10.1155/2014/393258",
        // Lorusso et al., ELSO interim guideline for adult VA-ECMO, ASAIO J 2021;67:827.
        ContraindicationSource::Elso2021 => "https://doi.org/10.1097/MAT.0000000000001510",
    }
}

/// Cuts `s` to at most [`MAX_SUMMARY_CHARS`] characters (an ellipsis marks a cut).
pub fn short(s: &str) -> String {
    if s.chars().count() <= MAX_SUMMARY_CHARS {
        return s.to_string();
    }
    let mut t: String = s.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    t.push('…');
    t
}

fn links(base_url: &str) -> Vec<Link> {
    vec![Link {
        label: "ecmova assessment page (enter or upload the patient for the full report)".into(),
        url: format!("{base_url}/assess"),
        kind: "absolute",
    }]
}

fn mapping_md(r: &MappingReport) -> String {
    let mut s = format!(
        "\n\n**FHIR data** (assessment time {}, {}): {} field(s) used; {}.",
        r.assessment_time,
        r.assessment_time_basis,
        r.used.len(),
        crate::convert::RULE
    );
    for c in &r.conflicts {
        s.push_str(&format!(
            "\n- Conflict, `{}` left unknown: {}",
            c.field,
            c.values.join("; ")
        ));
    }
    for (t, l) in [
        ("Unconvertible", &r.unconvertible),
        ("Ambiguous", &r.ambiguous),
    ] {
        for i in l {
            s.push_str(&format!("\n- {t}: {}: {}", i.resource, i.detail));
        }
    }
    if !r.unmapped.is_empty() {
        s.push_str(&format!(
            "\n- {} resource(s) or code(s) not mapped by ecmova.",
            r.unmapped.len()
        ));
    }
    s
}

/// Cards for an assessment.
pub fn cards(a: &FhirAssessment, base_url: &str, uuid: &mut dyn FnMut() -> String) -> Vec<Card> {
    let x = &a.assessment;
    let r = &a.fhir_mapping;
    let scai = x
        .scai
        .result
        .as_ref()
        .map(|s| format!(" SCAI {}.", s.display))
        .unwrap_or_default();
    let summary = short(&format!(
        "VA-ECMO: {}.{scai} {}",
        x.verdict.words(),
        x.summary
    ));
    let mut detail = format!(
        "**Verdict: {}** — {}\n",
        x.verdict.words(),
        x.indication.summary
    );
    if !x.indication.reasons.is_empty() {
        detail.push_str("\n**Reasons**\n");
        for n in &x.indication.reasons {
            detail.push_str(&format!("- {} ({})\n", n.text, n.citation));
        }
    }
    let ci = &x.contraindications;
    detail.push_str(&format!(
        "\n**Contraindications** ({}): absolute present: {}; relative present: {}; absolute unknown: {}.\n",
        ci.source_citation,
        list_or_none(&ci.absolute_present),
        list_or_none(&ci.relative_present),
        list_or_none(&ci.absolute_unknown)
    ));
    let es = &x.expected_survival;
    if !es.figures.is_empty() {
        detail.push_str(&format!(
            "\n**Published survival for the aetiology**: {}–{} %.\n",
            es.range_percent[0], es.range_percent[1]
        ));
    }
    detail.push_str(&mapping_md(r));
    detail.push_str(&format!("\n\n_{}_", x.disclaimer));
    let mut out = vec![Card {
        uuid: uuid(),
        summary,
        detail,
        indicator: indicator(x.verdict),
        source: Source {
            label: ci.source_citation.clone(),
            url: Some(source_url(ci.source).into()),
        },
        links: links(base_url),
    }];
    let problems = r.conflicts.len() + r.unconvertible.len() + r.ambiguous.len();
    if problems > 0 {
        let mut fields: Vec<String> = r.conflicts.iter().map(|c| c.field.clone()).collect();
        fields.extend(r.unconvertible.iter().filter_map(|i| i.field.clone()));
        fields.extend(r.ambiguous.iter().filter_map(|i| i.field.clone()));
        fields.sort();
        fields.dedup();
        out.push(Card {
            uuid: uuid(),
            summary: short(&format!(
                "FHIR data: {} conflicting, {} unconvertible, {} ambiguous value(s) not used ({})",
                r.conflicts.len(),
                r.unconvertible.len(),
                r.ambiguous.len(),
                fields.join(", ")
            )),
            detail: format!(
                "These values were left unknown rather than guessed; the assessment above reads them as missing.{}",
                mapping_md(r)
            ),
            indicator: "warning",
            source: Source {
                label: "ecmova FHIR mapping (docs/fhir-mapping.md)".into(),
                url: None,
            },
            links: links(base_url),
        });
    }
    out
}

fn list_or_none(v: &[&str]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// A card for a patient the library cannot assess (e.g. no diagnosis could be read): what is
/// missing, and what the mapping found.
pub fn error_card(e: &FhirError, base_url: &str, uuid: &mut dyn FnMut() -> String) -> Card {
    let detail = match e {
        FhirError::Clinical { report, .. } => format!("{e}{}", mapping_md(report)),
        other => other.to_string(),
    };
    Card {
        uuid: uuid(),
        summary: short(&format!(
            "VA-ECMO assessment not possible from the EHR data: {}",
            match e {
                FhirError::Clinical { error, .. } => error.to_string(),
                other => other.to_string(),
            }
        )),
        detail,
        indicator: "info",
        source: Source {
            label: "ecmova FHIR mapping (docs/fhir-mapping.md)".into(),
            url: None,
        },
        links: links(base_url),
    }
}

/// Builds one Bundle from the prefetch: each value is a resource or a (search) Bundle.
fn bundle_from_prefetch(prefetch: &Map<String, Value>) -> Result<Bundle, CdsError> {
    let mut out = Bundle::default();
    for (key, v) in prefetch {
        if v.is_null() {
            continue;
        }
        let is_bundle = v.get("resourceType").and_then(Value::as_str) == Some("Bundle");
        if is_bundle {
            let b = bundle_from_value(v.clone()).map_err(|e| {
                bad(
                    "invalid_prefetch",
                    format!("prefetch.{key}.{}", e.field()),
                    e.to_string(),
                )
            })?;
            out.resources.extend(b.resources);
        } else {
            let r = parse_resource(v.clone(), &format!("prefetch.{key}"))
                .map_err(|e| bad("invalid_prefetch", e.field(), e.to_string()))?;
            out.resources.push(r);
        }
    }
    Ok(out)
}

/// Answers a hook call: the body, the service id, the current time and the base URL of this
/// server (for links). Returns the cards, or an error with its HTTP status (`400` for a
/// malformed request, `404` for an unknown service, `412` when a required prefetch is
/// missing: this service does not fetch from the client's FHIR server).
pub fn handle(
    body: &[u8],
    service_id: &str,
    now: Seconds,
    base_url: &str,
    uuid: &mut dyn FnMut() -> String,
) -> Result<CdsResponse, CdsError> {
    let Some(hook) = hook_of(service_id) else {
        return Err(CdsError {
            status: 404,
            code: "unknown_service",
            field: Some("id".into()),
            message: format!(
                "no CDS service `{service_id}`; see GET /cds-services ({SERVICE_ID}, {ORDER_SELECT_SERVICE_ID})"
            ),
        });
    };
    let req: CdsRequest = serde_path_to_error::deserialize(
        &mut serde_json::Deserializer::from_slice(body),
    )
    .map_err(|e| {
        let path = e.path().to_string();
        bad("invalid_request", path, e.inner().to_string())
    })?;
    if req.hook != hook {
        return Err(bad(
            "wrong_hook",
            "hook",
            format!(
                "service `{service_id}` answers `{hook}`, the request is for `{}`",
                req.hook
            ),
        ));
    }
    if req.hook_instance.trim().is_empty() {
        return Err(bad("invalid_request", "hookInstance", "must not be empty"));
    }
    if req.fhir_authorization.is_some() && req.fhir_server.is_none() {
        return Err(bad(
            "invalid_request",
            "fhirAuthorization",
            "fhirAuthorization is given without fhirServer (CDS Hooks requires both)",
        ));
    }
    let Some(patient_id) = req.context.get("patientId").and_then(Value::as_str) else {
        return Err(bad(
            "invalid_request",
            "context.patientId",
            "missing: both hooks carry the patient id in the context",
        ));
    };
    let prefetch = req.prefetch.clone().unwrap_or_default();
    let missing: Vec<&str> = REQUIRED_PREFETCH
        .iter()
        .copied()
        .filter(|k| prefetch.get(*k).is_none_or(Value::is_null))
        .collect();
    if !missing.is_empty() {
        let why = if req.fhir_server.is_some() {
            "this service does not fetch from the FHIR server"
        } else {
            "and no fhirServer is given"
        };
        return Err(CdsError {
            status: 412,
            code: "prefetch_missing",
            field: Some(format!("prefetch.{}", missing[0])),
            message: format!(
                "required prefetch missing: {} ({why}); see the prefetch templates of GET /cds-services",
                missing.join(", ")
            ),
        });
    }
    let bundle = bundle_from_prefetch(&prefetch)?;
    let ids: Vec<&str> = bundle
        .resources
        .iter()
        .filter_map(|r| match r {
            Resource::Patient(p) => Some(p.id.as_deref().unwrap_or("")),
            _ => None,
        })
        .collect();
    if ids.iter().any(|id| *id != patient_id) {
        return Err(bad(
            "patient_mismatch",
            "prefetch.patient.id",
            format!(
                "the prefetched Patient ({}) is not context.patientId `{patient_id}`",
                ids.join(", ")
            ),
        ));
    }
    let cards = match assess_bundle(&bundle, AssessmentTime::Given(now)) {
        Ok(a) => cards(&a, base_url, uuid),
        Err(e @ FhirError::Clinical { .. }) => vec![error_card(&e, base_url, uuid)],
        Err(e) => {
            return Err(bad("invalid_prefetch", e.field(), e.to_string()));
        }
    };
    Ok(CdsResponse { cards })
}

/// Checks a feedback body (`{"feedback": [...]}`); returns how many items it holds. Nothing
/// is stored.
pub fn check_feedback(body: &[u8]) -> Result<usize, CdsError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| bad("invalid_json", "body", e.to_string()))?;
    let items = v.get("feedback").and_then(Value::as_array).ok_or_else(|| {
        bad(
            "invalid_feedback",
            "feedback",
            "expected an array of feedback items",
        )
    })?;
    for (i, it) in items.iter().enumerate() {
        if it.get("card").and_then(Value::as_str).is_none() {
            return Err(bad(
                "invalid_feedback",
                format!("feedback[{i}].card"),
                "each item names the card's uuid",
            ));
        }
        match it.get("outcome").and_then(Value::as_str) {
            Some("accepted" | "overridden") => {}
            _ => {
                return Err(bad(
                    "invalid_feedback",
                    format!("feedback[{i}].outcome"),
                    "expected `accepted` or `overridden`",
                ))
            }
        }
    }
    Ok(items.len())
}
