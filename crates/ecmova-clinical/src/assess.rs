//! The VA-ECMO assessment at a stated timepoint: a verdict with every reason and source
//! (derived from the SCAI stage, the aetiology, the contraindications and the evidence),
//! the SCAI stage on its three axes, contraindications from a selectable published list,
//! ECPR criteria of each trial (inclusion and exclusion) and of ELSO 2021, expected survival
//! with both trial arms, complications to anticipate, the scores and weaning readiness.
//! Sections that lack data are reported as not computed, naming the missing field; the
//! assessment itself fails only on invalid input.

use crate::citation::{self, Source};
use crate::error::ClinicalError;
use crate::patient::{
    ArrestLocation, Cannulation, Conflict, ContraindicationSource, Diagnosis, Patient, Timepoint,
};
use crate::scai::{scai_stage, ScaiResult, Stage};
use crate::scores::{cardshock, encourage, num, save, tips65, ScoreResult};
use crate::weaning::{weaning, WeaningResult};
use serde::Serialize;

/// Printed with every assessment.
pub const DISCLAIMER: &str = "Decision support for research and teaching; not a certified medical device. Every rule cites its source; the treating team decides.";

/// The date up to which ecmova's evidence base was reviewed (the newest source considered is
/// the 2025 ESC myocarditis and pericarditis guideline, August 2025). Later publications are
/// not reflected. Printed in every assessment.
pub const EVIDENCE_AS_OF: &str = "2025-09-01";

/// A section that may lack data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section<T> {
    /// `computed` or `not_computed`.
    pub status: &'static str,
    /// The result when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// Why it was not computed (names the missing field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl<T> Section<T> {
    fn from(r: Result<T, ClinicalError>) -> Section<T> {
        match r {
            Ok(v) => Section {
                status: "computed",
                result: Some(v),
                reason: None,
            },
            Err(e) => Section::skipped(e.to_string()),
        }
    }
    fn skipped(reason: String) -> Section<T> {
        Section {
            status: "not_computed",
            result: None,
            reason: Some(reason),
        }
    }
}

/// A guideline recommendation that applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// What it applies to.
    pub applies_to: String,
    /// The recommendation (the guideline's wording where verified; otherwise labelled).
    pub statement: String,
    /// Class (`I`, `IIa`, `IIb`, `III`), or `not graded`.
    pub class: &'static str,
    /// Level of evidence, or `-`.
    pub level: &'static str,
    /// Source.
    pub citation: String,
}

/// The verdict of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No cardiogenic shock (SCAI A/B) and no refractory arrest: no indication.
    NotIndicated,
    /// A guideline recommendation for short-term MCS such as VA-ECMO applies (ESC HF 2021
    /// IIa) and nothing argues against it in the data given.
    Consider,
    /// The evidence is neutral or conditional for this aetiology (e.g. AMI shock after
    /// ECLS-SHOCK), a relative contraindication is present, or ECPR: the team decides with the
    /// evidence listed.
    IndividualisedDecision,
    /// An absolute contraindication of the selected list is present.
    Contraindicated,
    /// The data do not allow a verdict (the missing fields are named).
    Undetermined,
    /// The patient is on VA-ECMO: the question is weaning and complications, not indication.
    OnEcmoReview,
}

impl Verdict {
    /// Words for reports.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::NotIndicated => "not indicated",
            Verdict::Consider => "consider",
            Verdict::IndividualisedDecision => "individualised decision",
            Verdict::Contraindicated => "contraindicated",
            Verdict::Undetermined => "undetermined",
            Verdict::OnEcmoReview => "on ECMO: review",
        }
    }
}

/// Verdict with its reasons, recommendations and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indication {
    /// Verdict.
    pub verdict: Verdict,
    /// One-line summary.
    pub summary: String,
    /// Every reason behind the verdict, with its source.
    pub reasons: Vec<Note>,
    /// For `contraindicated`: what would have to change for the verdict to change.
    pub what_would_have_to_change: Vec<String>,
    /// Recommendations that apply, the aetiology-specific ones first.
    pub recommendations: Vec<Recommendation>,
    /// Evidence (trial results with both arms) with their sources.
    pub notes: Vec<Note>,
    /// AMI shock: the microaxial flow pump option checked against DanGer Shock's selection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub microaxial_pump_option: Option<TrialEligibility>,
}

/// A statement with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// The statement.
    pub text: String,
    /// Source.
    pub citation: String,
}

/// Status of a contraindication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Present.
    Present,
    /// Absent.
    Absent,
    /// Not given.
    Unknown,
    /// The source gives no threshold: clinician judgement.
    Judgement,
}

/// One contraindication.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contraindication {
    /// `absolute`, `other_consideration` (Chung 2014's second group) or `relative` (ELSO).
    pub kind: &'static str,
    /// The contraindication.
    pub name: &'static str,
    /// Status for this patient.
    pub status: Status,
    /// The data behind the status.
    pub evidence: String,
    /// What would have to change for it to stop applying.
    pub would_have_to_change: &'static str,
    /// Source.
    pub citation: String,
}

/// Contraindications from one published list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contraindications {
    /// The list used (`chung_2014` or `elso_2021`).
    pub source: ContraindicationSource,
    /// Its citation.
    pub source_citation: String,
    /// Names of the absolute contraindications present.
    pub absolute_present: Vec<&'static str>,
    /// Names of the second group's items present (Chung 2014 "other considerations"; ELSO
    /// relative contraindications).
    pub relative_present: Vec<&'static str>,
    /// Absolute contraindications that could not be checked (field not given).
    pub absolute_unknown: Vec<&'static str>,
    /// Every contraindication checked.
    pub items: Vec<Contraindication>,
}

/// Result of checking one trial's (or guideline's) criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Every criterion ecmova checks is met (some criteria are never checked: listed).
    MeetsCheckedCriteria,
    /// At least one inclusion criterion failed or one exclusion criterion is present.
    DoesNotMeet,
    /// None failed, some could not be checked for lack of data.
    Undetermined,
}

/// ECPR criteria of one trial or guideline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialEligibility {
    /// Trial name.
    pub trial: &'static str,
    /// Verdict.
    pub eligibility: Eligibility,
    /// The verdict in words, e.g. "meets the checked criteria of ARREST".
    pub label: String,
    /// Criteria met (inclusion met, exclusion absent).
    pub met: Vec<String>,
    /// Criteria failed (inclusion not met, exclusion present).
    pub failed: Vec<String>,
    /// Criteria that could not be checked (field missing).
    pub unknown: Vec<String>,
    /// Published criteria that the patient format does not hold, so are never checked.
    pub not_checked: Vec<&'static str>,
    /// Source.
    pub citation: String,
}

/// ECPR section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ecpr {
    /// Whether the patient is in (or had) cardiac arrest; if not, trials are not evaluated.
    pub applicable: bool,
    /// `ongoing_cpr`, `no_rosc`, `rosc`, `not_given` or `no_arrest`.
    pub rosc_status: &'static str,
    /// Each trial separately, then the ELSO 2021 selection criteria.
    pub trials: Vec<TrialEligibility>,
    /// Guidance notes.
    pub notes: Vec<Note>,
}

/// A survival figure for one aetiology.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurvivalFigure {
    /// Aetiology (diagnosis or `ecpr`, `all_va_ecmo`).
    pub etiology: String,
    /// Percent.
    pub percent: f64,
    /// What was measured.
    pub measure: &'static str,
    /// The comparator arm of a trial, when the figure is one arm of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_arm: Option<String>,
    /// Source.
    pub citation: String,
}

/// Expected survival by aetiology.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpectedSurvival {
    /// Lowest and highest figure that applies, %.
    pub range_percent: [f64; 2],
    /// Every figure that applies.
    pub figures: Vec<SurvivalFigure>,
}

/// A complication to anticipate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Complication {
    /// Complication.
    pub complication: &'static str,
    /// `heightened` when the patient's data show a risk factor, otherwise `standard`.
    pub concern: &'static str,
    /// Risk factors found in the data.
    pub patient_factors: Vec<String>,
    /// Incidence and management facts with their sources.
    pub facts: Vec<Note>,
}

/// A score the library leaves out, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    /// Score.
    pub score: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// The timepoint of the assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimepointInfo {
    /// `before_cannulation` or `on_ecmo`.
    pub value: Timepoint,
    /// Whether the input stated it.
    pub given: bool,
    /// How it was taken.
    pub basis: String,
}

/// The whole assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Identifier from the input.
    pub patient_id: Option<String>,
    /// Disclaimer.
    pub disclaimer: &'static str,
    /// The verdict (same as `indication.verdict`), first.
    pub verdict: Verdict,
    /// The date up to which the evidence was reviewed.
    pub evidence_as_of: &'static str,
    /// The timepoint assessed.
    pub timepoint: TimepointInfo,
    /// One-paragraph summary.
    pub summary: String,
    /// Given booleans that contradict the labs (both shown; the conservative reading used).
    pub conflicts: Vec<Conflict>,
    /// Values given with a UCUM unit and converted to the unit of their key.
    pub unit_conversions: Vec<String>,
    /// SCAI SHOCK stage.
    pub scai: Section<ScaiResult>,
    /// Verdict, reasons and evidence.
    pub indication: Indication,
    /// Contraindications.
    pub contraindications: Contraindications,
    /// ECPR criteria.
    pub ecpr: Ecpr,
    /// Expected survival by aetiology.
    pub expected_survival: ExpectedSurvival,
    /// Complications to anticipate.
    pub complications: Vec<Complication>,
    /// SAVE score.
    pub save: Section<ScoreResult>,
    /// ENCOURAGE score.
    pub encourage: Section<ScoreResult>,
    /// CardShock score.
    pub cardshock: Section<ScoreResult>,
    /// TiPS65 score.
    pub tips65: Section<ScoreResult>,
    /// Weaning readiness.
    pub weaning: Section<WeaningResult>,
    /// Scores left out because their published tables are unverified.
    pub left_out: Vec<LeftOut>,
}

fn note(text: impl Into<String>, s: Source) -> Note {
    Note {
        text: text.into(),
        citation: s.cite(),
    }
}

fn in_arrest(p: &Patient) -> bool {
    let w = p.record();
    w.cardiac_arrest_before_ecmo == Some(true) || w.ongoing_cpr == Some(true)
}

/// ROSC status of a patient in arrest: `Some(true)` refractory (ongoing CPR or no ROSC),
/// `Some(false)` ROSC achieved, `None` not given (never read as refractory).
fn refractory(p: &Patient) -> Option<bool> {
    let w = p.record();
    if !in_arrest(p) {
        return Some(false);
    }
    if w.ongoing_cpr == Some(true) {
        return Some(true);
    }
    w.rosc_achieved.map(|r| !r)
}

fn refractory_arrest(p: &Patient) -> bool {
    in_arrest(p) && refractory(p) == Some(true)
}

/// The AMI evidence since 2022, each trial with both arms (project clinical reference).
fn ami_evidence() -> Vec<Note> {
    vec![
        note("ECLS-SHOCK (n=417, infarct-related cardiogenic shock, revascularisation planned): 30-day death 47.8% with early VA-ECMO vs 49.0% without (RR 0.98); moderate or severe bleeding 23.4% vs 9.6%; peripheral vascular complications 11.0% vs 3.8%", citation::ECLS_SHOCK),
        note("ECLS-SHOCK at one year: no difference in death between the arms", citation::ECLS_SHOCK_1Y),
        note("ECMO-CS (n=117, rapidly deteriorating or severe cardiogenic shock): composite of death, resuscitated arrest or another MCS at 30 days 63.8% with immediate VA-ECMO vs 71.2% with early conservative therapy (HR 0.72, P=0.21)", citation::ECMO_CS),
        note("Individual-patient meta-analysis of 4 RCTs (n=567): 30-day death OR 0.93 (95% CI 0.66-1.29) with early VA-ECMO vs without; more bleeding and vascular complications", citation::ZEYMER_2023),
        note("DanGer Shock (n=355, STEMI with cardiogenic shock, lactate >= 2.5 mmol/L and LVEF < 45%; comatose out-of-hospital arrest survivors and overt RV failure excluded): 180-day death 45.8% with a microaxial flow pump vs 58.5% with standard care (HR 0.74, 95% CI 0.55-0.99); safety composite 24.0% vs 6.2%", citation::DANGER_SHOCK),
        note("Reported (not verified against the primary text): routine VA-ECMO and routine IABP in AMI cardiogenic shock class 3 (no benefit); microaxial flow pump class 2a in selected STEMI with severe or refractory cardiogenic shock", citation::ACC_AHA_ACS_2025),
    ]
}

/// DanGer Shock selection for the microaxial flow pump option (Moller 2024, as in the
/// project clinical reference): STEMI, cardiogenic shock with lactate >= 2.5 mmol/L and
/// LVEF < 45%; excluded: comatose after out-of-hospital arrest, overt RV failure.
fn danger_shock(p: &Patient) -> TrialEligibility {
    let w = p.record();
    let mut c = Checker::new();
    c.check("ST-elevation myocardial infarction".into(), w.stemi);
    c.check(
        format!(
            "lactate >= 2.5 mmol/L ({})",
            w.lactate_mmol_l
                .map(|l| format!("{} mmol/L", num(l)))
                .unwrap_or_else(|| "lactate_mmol_l not given".into())
        ),
        w.lactate_mmol_l.map(|l| l >= 2.5),
    );
    c.check(
        format!(
            "LVEF < 45% ({})",
            w.lvef_percent
                .map(|l| format!("{}%", num(l)))
                .unwrap_or_else(|| "lvef_percent not given".into())
        ),
        w.lvef_percent.map(|l| l < 45.0),
    );
    let comatose_ohca = if in_arrest(p) {
        match (w.gcs, w.unconscious) {
            (Some(g), _) => Some(g < crate::scai::thresholds::MODIFIER_GCS),
            (None, Some(u)) => Some(u),
            _ => None,
        }
    } else {
        Some(false)
    };
    c.exclude("comatose after cardiac arrest".into(), comatose_ohca);
    c.exclude("overt right-ventricular failure".into(), w.rv_failure);
    c.done(
        "DanGer Shock (microaxial flow pump)",
        citation::DANGER_SHOCK,
        &[
            "systolic BP < 100 mmHg or vasopressor need as the trial defined shock",
            "mechanical complications of the infarction",
        ],
    )
}

/// Verdict by timepoint, stage, aetiology, contraindications and evidence.
pub fn indication(
    p: &Patient,
    timepoint: Timepoint,
    scai: &Section<ScaiResult>,
    ci: &Contraindications,
) -> Indication {
    let stage = scai.result.as_ref().map(|r| r.stage);
    let stage_txt = scai
        .result
        .as_ref()
        .map(|r| format!("SCAI {}", r.display))
        .unwrap_or_else(|| "SCAI stage undetermined".into());
    let mut reasons: Vec<Note> = Vec::new();
    let mut recs = Vec::new();
    let mut notes = Vec::new();
    let mut microaxial = None;

    if timepoint == Timepoint::OnEcmo {
        reasons.push(note("timepoint on_ecmo: the indication question does not apply; review weaning readiness, complications, differential hypoxaemia and LV distension", citation::ELSO_VA_LORUSSO_2021));
        return Indication {
            verdict: Verdict::OnEcmoReview,
            summary: format!("on VA-ECMO ({stage_txt}): review weaning, complications, differential hypoxaemia and LV distension"),
            reasons,
            what_would_have_to_change: Vec::new(),
            recommendations: recs,
            notes,
            microaxial_pump_option: None,
        };
    }

    let arrest = in_arrest(p);
    let refr = refractory(p);
    let shock = stage.map(|s| s >= Stage::C);
    let ami = p.has(Diagnosis::AcuteMyocardialInfarction);

    // Aetiology-specific recommendations first, then the generic one.
    let push_aetiology = |recs: &mut Vec<Recommendation>, notes: &mut Vec<Note>| {
        if ami {
            recs.push(Recommendation {
                applies_to: "acute coronary syndrome with severe or refractory cardiogenic shock".into(),
                statement: "Short-term mechanical circulatory support may be considered in patients with ACS and severe/refractory cardiogenic shock".into(),
                class: "IIb",
                level: "C",
                citation: citation::ESC_ACS_2023.cite(),
            });
            notes.extend(ami_evidence());
            notes.push(note("Routine IABP in post-MI cardiogenic shock is not recommended (class III, level B); IABP as a bridge: class IIb, level C", citation::ESC_HF_2021));
        }
        if p.has(Diagnosis::PulmonaryEmbolism) {
            recs.push(Recommendation {
                applies_to: "pulmonary embolism with refractory circulatory collapse or cardiac arrest".into(),
                statement: "ECMO may be considered, in combination with surgical embolectomy or catheter-directed treatment, in refractory circulatory collapse or cardiac arrest".into(),
                class: "IIb",
                level: "C",
                citation: citation::ESC_PE_2019.cite(),
            });
        }
        if p.has(Diagnosis::Myocarditis) {
            recs.push(Recommendation {
                applies_to: "fulminant myocarditis".into(),
                statement: "VA-ECMO may be considered in fulminant myocarditis (ESC HF 2021). The 2025 ESC myocarditis and pericarditis guideline addresses MCS; its wording and class are UNVERIFIED here".into(),
                class: "not graded",
                level: "-",
                citation: format!("{}; {}", citation::ESC_HF_2021.cite(), citation::ESC_MYOCARDITIS_2025.cite()),
            });
        }
        if p.has(Diagnosis::PostCardiotomy) {
            recs.push(Recommendation {
                applies_to: "post-cardiotomy cardiogenic shock".into(),
                statement: "Post-cardiotomy ECLS: indications, timing and contraindications per the 2020 EACTS/ELSO/STS/AATS expert consensus (its recommendation classes are not reproduced here: UNVERIFIED)".into(),
                class: "not graded",
                level: "-",
                citation: citation::POSTCARDIOTOMY_CONSENSUS_2020.cite(),
            });
        }
        if p.has(Diagnosis::DrugIntoxication) {
            notes.push(note("Drug intoxication: ECLS case series, 13/17 survived; no guideline recommendation is reproduced here (UNVERIFIED)", citation::DAUBIN_2009));
        }
        if p.has(Diagnosis::SepticCardiomyopathy) {
            notes.push(note("Septic cardiomyopathy: observational evidence only, 90-day survival 60% with VA-ECMO vs 25% in matched controls without; no guideline recommendation is reproduced here (UNVERIFIED)", citation::BRECHOT_2020));
        }
        recs.push(Recommendation {
            applies_to: "cardiogenic shock (any aetiology)".into(),
            statement: "Short-term mechanical circulatory support should be considered in patients with cardiogenic shock as a bridge to recovery, bridge to decision or bridge to bridge".into(),
            class: "IIa",
            level: "C",
            citation: citation::ESC_HF_2021.cite(),
        });
        notes.push(note("When the LV distends on VA-ECMO, LV unloading (atrial septostomy, LV vent, Impella) is widely recommended (the wording \"mandatory\" and its attribution to ESC HF 2021 are UNVERIFIED)", citation::ESC_HF_2021));
    };

    let (mut verdict, mut summary);
    if arrest && refr.is_none() {
        verdict = Verdict::Undetermined;
        summary = "cardiac arrest with ROSC status not given (`rosc_achieved`): refractory arrest (ECPR) or post-ROSC shock cannot be told apart".to_string();
        reasons.push(note("cardiac arrest: `rosc_achieved` not given and CPR not stated ongoing; a missing ROSC status is never read as refractory arrest", citation::ELSO_ECPR_RICHARDSON_2021));
    } else if refr == Some(true) {
        recs.push(Recommendation {
            applies_to: "refractory cardiac arrest (ECPR)".into(),
            statement: "ECPR should be considered after 10-15 minutes of unsuccessful conventional resuscitation, in selected patients (see the ELSO selection criteria and the trial criteria)".into(),
            class: "not graded",
            level: "-",
            citation: citation::ELSO_ECPR_RICHARDSON_2021.cite(),
        });
        verdict = Verdict::IndividualisedDecision;
        summary = format!("refractory cardiac arrest ({stage_txt}): ECPR is an individualised decision in selected patients (ELSO 2021); see the checked trial and ELSO criteria");
        reasons.push(note("refractory cardiac arrest: ECPR trials differ (ARREST: survival 43% vs 7%; Prague OHCA: 180-day CPC 1-2 31.5% vs 22.0%, P=.09; INCEPTION: 20% vs 16%), so ECPR is a selected, individual decision", citation::ELSO_ECPR_RICHARDSON_2021));
        if ami {
            push_aetiology(&mut recs, &mut notes);
        }
    } else {
        match shock {
            None => {
                verdict = Verdict::Undetermined;
                summary = format!(
                    "SCAI stage undetermined: {}",
                    scai.reason.clone().unwrap_or_default()
                );
                reasons.push(note(
                    format!(
                        "the SCAI stage could not be determined: {}",
                        scai.reason.clone().unwrap_or_default()
                    ),
                    citation::SCAI_2022,
                ));
                // The verdict waits for the data, but the aetiology's evidence does not: an
                // AMI patient's team should see ECLS-SHOCK and DanGer Shock while the stage
                // is completed (no recommendation is listed: none applies without shock).
                if ami {
                    notes.push(note(
                        "if the SCAI stage is C or worse (cardiogenic shock), the acute-MI evidence below applies: routine VA-ECMO showed no mortality benefit; a microaxial flow pump lowered mortality in selected STEMI shock",
                        citation::SCAI_2022,
                    ));
                    notes.extend(ami_evidence());
                }
            }
            Some(false) => {
                verdict = Verdict::NotIndicated;
                summary = format!("{stage_txt}: no cardiogenic shock by the SCAI definitions (stage C needs hypoperfusion with hypotension or its treatment), so no recommendation for circulatory support applies");
                reasons.push(note(
                    format!("{stage_txt}: no hypoperfusion requiring intervention beyond volume"),
                    citation::SCAI_2022,
                ));
                if arrest {
                    reasons.push(note(
                        "ROSC achieved: not a refractory arrest, so ECPR does not apply",
                        citation::ELSO_ECPR_RICHARDSON_2021,
                    ));
                }
            }
            Some(true) => {
                push_aetiology(&mut recs, &mut notes);
                reasons.push(note(
                    format!("{stage_txt}: cardiogenic shock (hypoperfusion with hypotension or its treatment)"),
                    citation::SCAI_2022,
                ));
                let individual: Vec<&str> = [
                    (ami, "acute myocardial infarction: ESC ACS 2023 class IIb; routine VA-ECMO showed no mortality benefit in ECLS-SHOCK and the Zeymer 2023 meta-analysis"),
                    (p.has(Diagnosis::PulmonaryEmbolism), "pulmonary embolism: ESC 2019 class IIb, with embolectomy or catheter-directed treatment"),
                    (p.has(Diagnosis::SepticCardiomyopathy), "septic cardiomyopathy: observational evidence only (Brechot 2020)"),
                ]
                .into_iter()
                .filter_map(|(c, t)| c.then_some(t))
                .collect();
                if individual.is_empty() {
                    verdict = Verdict::Consider;
                    summary = format!("cardiogenic shock, {stage_txt}: short-term MCS such as VA-ECMO should be considered (ESC HF 2021 class IIa, level C)");
                    reasons.push(note("non-ACS cardiogenic shock: short-term MCS should be considered (class IIa, level C)", citation::ESC_HF_2021));
                } else {
                    verdict = Verdict::IndividualisedDecision;
                    summary = format!(
                        "cardiogenic shock, {stage_txt}: individualised decision ({})",
                        individual.join("; ")
                    );
                    for t in &individual {
                        reasons.push(Note {
                            text: (*t).to_string(),
                            citation: if t.starts_with("acute") {
                                format!(
                                    "{}; {}; {}",
                                    citation::ESC_ACS_2023.cite(),
                                    citation::ECLS_SHOCK.cite(),
                                    citation::ZEYMER_2023.cite()
                                )
                            } else if t.starts_with("pulmonary") {
                                citation::ESC_PE_2019.cite()
                            } else {
                                citation::BRECHOT_2020.cite()
                            },
                        });
                    }
                }
                if ami {
                    let d = danger_shock(p);
                    reasons.push(note(
                        format!("microaxial flow pump option: {}", d.label),
                        citation::DANGER_SHOCK,
                    ));
                    microaxial = Some(d);
                }
            }
        }
    }

    // Contraindications of the selected list.
    let mut change = Vec::new();
    if matches!(verdict, Verdict::Consider | Verdict::IndividualisedDecision) {
        if !ci.absolute_present.is_empty() {
            verdict = Verdict::Contraindicated;
            summary = format!(
                "CONTRAINDICATED: absolute contraindication(s) of {}: {} (without them: {summary})",
                match ci.source {
                    ContraindicationSource::Chung2014 => "Chung 2014 Table 2",
                    ContraindicationSource::Elso2021 => "ELSO 2021",
                },
                ci.absolute_present.join(", ")
            );
            for c in ci
                .items
                .iter()
                .filter(|c| c.kind == "absolute" && c.status == Status::Present)
            {
                reasons.push(Note {
                    text: format!(
                        "absolute contraindication present: {} ({})",
                        c.name, c.evidence
                    ),
                    citation: c.citation.clone(),
                });
                change.push(format!("{}: {}", c.name, c.would_have_to_change));
            }
        } else {
            if !ci.relative_present.is_empty() {
                if verdict == Verdict::Consider {
                    verdict = Verdict::IndividualisedDecision;
                }
                reasons.push(Note {
                    text: format!(
                        "{} present: {}",
                        match ci.source {
                            ContraindicationSource::Chung2014 =>
                                "other considerations (Chung 2014 Table 2)",
                            ContraindicationSource::Elso2021 =>
                                "relative contraindications (ELSO 2021)",
                        },
                        ci.relative_present.join(", ")
                    ),
                    citation: ci.source_citation.clone(),
                });
            }
            if !ci.absolute_unknown.is_empty() {
                reasons.push(Note {
                    text: format!(
                        "absolute contraindications not checked (not given): {}",
                        ci.absolute_unknown.join(", ")
                    ),
                    citation: ci.source_citation.clone(),
                });
            }
        }
    }
    Indication {
        verdict,
        summary,
        reasons,
        what_would_have_to_change: change,
        recommendations: recs,
        notes,
        microaxial_pump_option: microaxial,
    }
}

fn flag_status(v: Option<bool>) -> Status {
    match v {
        Some(true) => Status::Present,
        Some(false) => Status::Absent,
        None => Status::Unknown,
    }
}

fn field_evidence(field: &str, v: Option<bool>) -> String {
    match v {
        Some(b) => format!("{field} = {b}"),
        None => format!("{field} not given"),
    }
}

fn or2(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Contraindications from the list the patient file selects (`contraindication_source`):
/// Chung 2014 Table 2 (default) or ELSO 2021.
pub fn contraindications(p: &Patient) -> Contraindications {
    match p
        .record()
        .contraindication_source
        .unwrap_or(ContraindicationSource::Chung2014)
    {
        ContraindicationSource::Chung2014 => contraindications_chung(p),
        ContraindicationSource::Elso2021 => contraindications_elso(p),
    }
}

struct Items(Vec<Contraindication>);

impl Items {
    fn push(
        &mut self,
        kind: &'static str,
        name: &'static str,
        status: Status,
        evidence: String,
        change: &'static str,
        citation: String,
    ) {
        self.0.push(Contraindication {
            kind,
            name,
            status,
            evidence,
            would_have_to_change: change,
            citation,
        })
    }
    fn finish(self, source: ContraindicationSource, s: Source) -> Contraindications {
        let pick = |kind: &str, st: Status| {
            self.0
                .iter()
                .filter(|c| (kind == "absolute") == (c.kind == "absolute") && c.status == st)
                .map(|c| c.name)
                .collect::<Vec<_>>()
        };
        Contraindications {
            source,
            source_citation: s.cite(),
            absolute_present: pick("absolute", Status::Present),
            relative_present: pick("other", Status::Present),
            absolute_unknown: pick("absolute", Status::Unknown),
            items: self.0,
        }
    }
}

fn arrest_items(p: &Patient, items: &mut Items, cite: &str, threshold: bool) {
    let w = p.record();
    let arrest = in_arrest(p);
    let (st, ev) = if !arrest {
        (Status::Absent, "no cardiac arrest".to_string())
    } else {
        (
            flag_status(w.witnessed_arrest.map(|x| !x)),
            field_evidence("witnessed_arrest", w.witnessed_arrest),
        )
    };
    items.push(
        "absolute",
        "unwitnessed cardiac arrest",
        st,
        ev,
        "cannot change: a fact of the history (the arrest would have had to be witnessed)",
        cite.to_string(),
    );
    let (st, ev) = match (arrest, w.low_flow_minutes) {
        (false, _) => (Status::Absent, "no cardiac arrest".to_string()),
        (true, Some(m)) if threshold => (
            if m > 60.0 {
                Status::Present
            } else {
                Status::Absent
            },
            format!("low_flow_minutes = {} (limit 60)", num(m)),
        ),
        (true, Some(m)) => (
            Status::Judgement,
            format!("low_flow_minutes = {}; the source gives no minute threshold (\"prolonged CPR without adequate tissue perfusion\")", num(m)),
        ),
        (true, None) => (Status::Unknown, "low_flow_minutes not given".to_string()),
    };
    items.push(
        "absolute",
        if threshold {
            "CPR longer than 60 minutes"
        } else {
            "prolonged CPR without adequate tissue perfusion"
        },
        st,
        ev,
        "cannot change once exceeded: circulation would have had to be restored (or ECMO flow started) within the limit",
        cite.to_string(),
    );
}

/// Chung, Shiloh, Carlese 2014, Table 2: absolute contraindications and "other
/// considerations" (BMI threshold for morbid obesity: WHO 2000).
fn contraindications_chung(p: &Patient) -> Contraindications {
    let w = p.record();
    let cite = citation::CHUNG_2014.cite();
    let mut items = Items(Vec::new());
    let bleed = or2(w.uncontrolled_bleeding, w.anticoagulation_contraindicated);
    items.push(
        "absolute",
        "uncontrolled bleeding or anticoagulation impossible",
        flag_status(bleed),
        format!(
            "{}; {}",
            field_evidence("uncontrolled_bleeding", w.uncontrolled_bleeding),
            field_evidence(
                "anticoagulation_contraindicated",
                w.anticoagulation_contraindicated
            )
        ),
        "bleeding controlled and anticoagulation possible",
        cite.clone(),
    );
    items.push(
        "absolute",
        "irreversible disease without transplant or VAD option",
        flag_status(w.irreversible_without_exit_strategy),
        field_evidence(
            "irreversible_without_exit_strategy",
            w.irreversible_without_exit_strategy,
        ),
        "a recovery, transplant or durable VAD option (an exit strategy)",
        cite.clone(),
    );
    let mof = or2(w.poor_baseline_function, w.established_multiorgan_failure);
    items.push(
        "absolute",
        "poor baseline function or established multi-organ failure",
        flag_status(mof),
        format!(
            "{}; {}",
            field_evidence("poor_baseline_function", w.poor_baseline_function),
            field_evidence(
                "established_multiorgan_failure",
                w.established_multiorgan_failure
            )
        ),
        "a reassessment showing no established multi-organ failure and an acceptable baseline",
        cite.clone(),
    );
    arrest_items(p, &mut items, &cite, true);
    items.push(
        "absolute",
        "aortic dissection",
        flag_status(w.aortic_dissection),
        field_evidence("aortic_dissection", w.aortic_dissection),
        "dissection excluded or repaired",
        cite.clone(),
    );
    items.push(
        "absolute",
        "severe aortic regurgitation",
        flag_status(w.severe_aortic_regurgitation),
        field_evidence("severe_aortic_regurgitation", w.severe_aortic_regurgitation),
        "regurgitation corrected (or less than severe on reassessment)",
        cite.clone(),
    );
    other_items(p, &mut items, "other_consideration", &cite);
    items.finish(ContraindicationSource::Chung2014, citation::CHUNG_2014)
}

fn other_items(p: &Patient, items: &mut Items, kind: &'static str, cite: &str) {
    let w = p.record();
    items.push(
        kind,
        "advanced age",
        Status::Judgement,
        format!(
            "age {} years; the source gives no age threshold",
            num(p.age_years)
        ),
        "-",
        cite.to_string(),
    );
    let arf = p.acute_renal_failure("contraindication check").ok();
    let crf = w.chronic_renal_failure;
    let renal = or2(arf.as_ref().map(|x| x.0), crf);
    let mut ev = match &arf {
        Some((v, Some(d))) => format!("acute_renal_failure = {v} (derived: {})", d.derived_from),
        Some((v, None)) => format!("acute_renal_failure = {v}"),
        None => "acute_renal_failure not given and not derivable".into(),
    };
    ev.push_str(&format!(
        "; {}",
        field_evidence("chronic_renal_failure", crf)
    ));
    items.push(
        kind,
        "renal failure",
        flag_status(renal),
        ev,
        "-",
        cite.to_string(),
    );
    let (st, ev) = match p.liver_failure("contraindication check") {
        Ok((v, Some(d))) => (
            flag_status(Some(v)),
            format!("liver_failure = {v} (derived: {})", d.derived_from),
        ),
        Ok((v, None)) => (flag_status(Some(v)), format!("liver_failure = {v}")),
        Err(_) => (
            Status::Unknown,
            "liver_failure not given and not derivable".into(),
        ),
    };
    items.push(kind, "liver failure", st, ev, "-", cite.to_string());
    items.push(
        kind,
        "malignancy",
        flag_status(w.malignancy),
        field_evidence("malignancy", w.malignancy),
        "-",
        cite.to_string(),
    );
    let (bmi, _) = p.bmi();
    items.push(
        kind,
        "morbid obesity",
        if bmi >= 40.0 {
            Status::Present
        } else {
            Status::Absent
        },
        format!("BMI {bmi:.1} kg/m2 (morbid obesity: >= 40, WHO class III)"),
        "-",
        format!("{cite}; {}", citation::WHO_OBESITY_2000.cite()),
    );
    items.push(
        kind,
        "peripheral arterial disease",
        flag_status(w.peripheral_arterial_disease),
        field_evidence("peripheral_arterial_disease", w.peripheral_arterial_disease),
        "-",
        cite.to_string(),
    );
    items.push(
        kind,
        "heparin-induced thrombocytopenia",
        flag_status(w.heparin_induced_thrombocytopenia),
        field_evidence(
            "heparin_induced_thrombocytopenia",
            w.heparin_induced_thrombocytopenia,
        ),
        "-",
        cite.to_string(),
    );
}

/// ELSO 2021 adult VA-ECMO contraindications (Lorusso 2021). The item list is as ecmova
/// recalls the guideline's text and is UNVERIFIED against the primary source: every item's
/// citation says so. Items without a published threshold are `judgement`.
fn contraindications_elso(p: &Patient) -> Contraindications {
    let w = p.record();
    let cite = format!(
        "{} (item wording UNVERIFIED against the primary text)",
        citation::ELSO_VA_LORUSSO_2021.cite()
    );
    let mut items = Items(Vec::new());
    items.push(
        "absolute",
        "unrecoverable heart without transplant or durable VAD candidacy",
        flag_status(w.irreversible_without_exit_strategy),
        field_evidence(
            "irreversible_without_exit_strategy",
            w.irreversible_without_exit_strategy,
        ),
        "a recovery, transplant or durable VAD option",
        cite.clone(),
    );
    items.push(
        "absolute",
        "disseminated malignancy",
        match w.malignancy {
            Some(true) => Status::Judgement,
            other => flag_status(other),
        },
        format!(
            "{} (the format does not say whether it is disseminated)",
            field_evidence("malignancy", w.malignancy)
        ),
        "malignancy not disseminated",
        cite.clone(),
    );
    items.push(
        "absolute",
        "severe brain injury",
        match w.cns_dysfunction {
            Some(true) => Status::Judgement,
            other => flag_status(other),
        },
        format!(
            "{} (the format does not grade its severity)",
            field_evidence("cns_dysfunction", w.cns_dysfunction)
        ),
        "severe brain injury excluded",
        cite.clone(),
    );
    arrest_items(p, &mut items, &cite, false);
    items.push(
        "absolute",
        "unrepaired aortic dissection",
        flag_status(w.aortic_dissection),
        field_evidence("aortic_dissection", w.aortic_dissection),
        "dissection excluded or repaired",
        cite.clone(),
    );
    items.push(
        "absolute",
        "severe aortic regurgitation",
        flag_status(w.severe_aortic_regurgitation),
        field_evidence("severe_aortic_regurgitation", w.severe_aortic_regurgitation),
        "regurgitation corrected",
        cite.clone(),
    );
    items.push(
        "absolute",
        "severe chronic organ dysfunction",
        flag_status(or2(
            w.established_multiorgan_failure,
            w.chronic_renal_failure,
        )),
        format!(
            "{}; {}",
            field_evidence(
                "established_multiorgan_failure",
                w.established_multiorgan_failure
            ),
            field_evidence("chronic_renal_failure", w.chronic_renal_failure)
        ),
        "no severe chronic organ dysfunction on reassessment",
        cite.clone(),
    );
    items.push(
        "relative",
        "contraindication to anticoagulation",
        flag_status(or2(
            w.anticoagulation_contraindicated,
            w.uncontrolled_bleeding,
        )),
        format!(
            "{}; {}",
            field_evidence(
                "anticoagulation_contraindicated",
                w.anticoagulation_contraindicated
            ),
            field_evidence("uncontrolled_bleeding", w.uncontrolled_bleeding)
        ),
        "-",
        cite.clone(),
    );
    items.push(
        "relative",
        "advanced age",
        Status::Judgement,
        format!("age {} years; no threshold", num(p.age_years)),
        "-",
        cite.clone(),
    );
    let (bmi, _) = p.bmi();
    items.push(
        "relative",
        "obesity",
        if bmi >= 40.0 {
            Status::Present
        } else {
            Status::Absent
        },
        format!("BMI {bmi:.1} kg/m2 (read as >= 40, WHO class III)"),
        "-",
        format!("{cite}; {}", citation::WHO_OBESITY_2000.cite()),
    );
    items.push(
        "relative",
        "peripheral arterial disease (peripheral cannulation)",
        flag_status(w.peripheral_arterial_disease),
        field_evidence("peripheral_arterial_disease", w.peripheral_arterial_disease),
        "-",
        cite.clone(),
    );
    items.finish(
        ContraindicationSource::Elso2021,
        citation::ELSO_VA_LORUSSO_2021,
    )
}

struct Checker {
    met: Vec<String>,
    failed: Vec<String>,
    unknown: Vec<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            met: Vec::new(),
            failed: Vec::new(),
            unknown: Vec::new(),
        }
    }
    /// An inclusion criterion: `Some(true)` met.
    fn check(&mut self, name: String, v: Option<bool>) {
        match v {
            Some(true) => self.met.push(name),
            Some(false) => self.failed.push(name),
            None => self.unknown.push(name),
        }
    }
    /// An exclusion criterion: `Some(true)` present (fails).
    fn exclude(&mut self, name: String, present: Option<bool>) {
        match present {
            Some(true) => self.failed.push(format!("exclusion present: {name}")),
            Some(false) => self.met.push(format!("exclusion absent: {name}")),
            None => self.unknown.push(format!("exclusion: {name}")),
        }
    }
    fn done(
        self,
        trial: &'static str,
        s: Source,
        not_checked: &[&'static str],
    ) -> TrialEligibility {
        let (eligibility, label) = if !self.failed.is_empty() {
            (
                Eligibility::DoesNotMeet,
                format!("does not meet the criteria of {trial}"),
            )
        } else if !self.unknown.is_empty() {
            (
                Eligibility::Undetermined,
                format!(
                    "undetermined against {trial} ({} not given)",
                    self.unknown.len()
                ),
            )
        } else {
            (
                Eligibility::MeetsCheckedCriteria,
                format!("meets the checked criteria of {trial}"),
            )
        };
        TrialEligibility {
            trial,
            eligibility,
            label,
            met: self.met,
            failed: self.failed,
            unknown: self.unknown,
            not_checked: not_checked.to_vec(),
            citation: s.cite(),
        }
    }
}

/// ECPR criteria of ARREST, Prague OHCA and INCEPTION (inclusion and exclusion, as
/// published), each separately, and the ELSO 2021 selection criteria.
pub fn ecpr(p: &Patient) -> Ecpr {
    let w = p.record();
    let notes = vec![
        note("ECPR should be considered after 10-15 minutes of unsuccessful conventional resuscitation; adult ECPR survival to discharge in the ELSO registry about 29%", citation::ELSO_ECPR_RICHARDSON_2021),
        note("ARREST (n=30): survival to discharge 43% with ECPR vs 7% with standard ACLS", citation::ARREST),
        note("Prague OHCA (n=256): 180-day survival with CPC 1-2 31.5% vs 22.0% (P=.09)", citation::PRAGUE_OHCA),
        note("INCEPTION (n=134): 30-day survival with CPC 1-2 20% vs 16%", citation::INCEPTION),
    ];
    if !in_arrest(p) {
        return Ecpr {
            applicable: false,
            rosc_status: "no_arrest",
            trials: Vec::new(),
            notes,
        };
    }
    let rosc_status = if w.ongoing_cpr == Some(true) {
        "ongoing_cpr"
    } else {
        match w.rosc_achieved {
            Some(true) => "rosc",
            Some(false) => "no_rosc",
            None => "not_given",
        }
    };
    let age = p.completed_years();
    let ohca = w
        .arrest_location
        .map(|l| l == ArrestLocation::OutOfHospital);
    let shockable = w.initial_rhythm.map(|r| r.shockable());
    let no_rosc = refractory(p);
    let lf = w.low_flow_minutes;
    let rhythm_txt = w
        .initial_rhythm
        .map(|r| r.name().to_string())
        .unwrap_or_else(|| "not given".into());
    let minutes = |m: Option<f64>, field: &str| {
        m.map(|m| format!("{} min", num(m)))
            .unwrap_or_else(|| format!("{field} not given"))
    };

    // ARREST (Yannopoulos 2020): inclusion and exclusion.
    let mut a = Checker::new();
    a.check(
        format!("age 18-75 (age {age})"),
        Some((18..=75).contains(&age)),
    );
    a.check("out-of-hospital arrest".into(), ohca);
    a.check(format!("initial rhythm VF/VT ({rhythm_txt})"), shockable);
    let three = match (w.shocks_delivered, no_rosc) {
        (Some(n), Some(nr)) => Some(n >= 3 && nr),
        (_, Some(false)) => Some(false),
        _ => None,
    };
    a.check(
        format!(
            "no ROSC after 3 shocks (shocks_delivered {})",
            w.shocks_delivered
                .map(|n| n.to_string())
                .unwrap_or_else(|| "not given".into())
        ),
        three,
    );
    a.check("mechanical CPR device (LUCAS)".into(), w.mechanical_cpr);
    a.check(
        format!(
            "estimated transfer < 30 min ({})",
            minutes(w.expected_transport_minutes, "expected_transport_minutes")
        ),
        w.expected_transport_minutes.map(|m| m < 30.0),
    );
    a.exclude(
        "non-cardiac aetiology".into(),
        w.presumed_cardiac_cause.map(|c| !c),
    );
    a.exclude(
        "active gastrointestinal or internal bleeding".into(),
        w.uncontrolled_bleeding,
    );
    let stops = [
        w.etco2_mmhg.map(|x| x < 10.0),
        match (
            w.pao2_mmhg.map(|x| x < 50.0),
            w.sao2_percent.map(|x| x < 85.0),
        ) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (None, None) => None,
            _ => Some(false),
        },
        w.lactate_mmol_l.map(|x| x > 18.0),
    ];
    let hits = stops.iter().filter(|s| **s == Some(true)).count();
    let unk = stops.iter().filter(|s| s.is_none()).count();
    let stop = if hits >= 2 {
        Some(true)
    } else if hits + unk >= 2 {
        None
    } else {
        Some(false)
    };
    a.exclude(format!("2 or more arrival criteria (EtCO2 < 10 mmHg, PaO2 < 50 mmHg or SaO2 < 85%, lactate > 18 mmol/L): {hits} met, {unk} not measured"), stop);
    let arrest_t = a.done(
        "ARREST",
        citation::ARREST,
        &[
            "contraindication to mechanical CPR",
            "known pregnancy",
            "prisoner",
            "nursing-home resident",
            "valid DNR/DNI order",
            "known terminal illness",
            "absolute contraindication to contrast media",
        ],
    );

    // Prague OHCA (Belohlavek 2022; protocol J Transl Med 2012;10:163).
    let mut pr = Checker::new();
    pr.check(
        format!("age 18-65 (age {age})"),
        Some((18..=65).contains(&age)),
    );
    pr.check("out-of-hospital arrest".into(), ohca);
    pr.check("witnessed arrest".into(), w.witnessed_arrest);
    pr.check("presumed cardiac cause".into(), w.presumed_cardiac_cause);
    let five = match (lf, no_rosc) {
        (Some(m), Some(nr)) => Some(m >= 5.0 && nr),
        (_, Some(false)) => Some(false),
        _ => None,
    };
    pr.check(
        format!(
            "at least 5 min of ACLS without sustained ROSC (low_flow_minutes {})",
            lf.map(num).unwrap_or_else(|| "not given".into())
        ),
        five,
    );
    pr.check("unconscious".into(), w.unconscious);
    pr.exclude(
        "bleeding diathesis or active bleeding".into(),
        w.uncontrolled_bleeding,
    );
    let prague = pr.done(
        "Prague OHCA",
        citation::PRAGUE_OHCA,
        &[
            "ECLS team and ICU bed available",
            "suspected or confirmed intracranial bleeding or stroke",
            "valid DNR order",
            "pre-arrest CPC >= 3",
            "known pregnancy",
        ],
    );

    // INCEPTION (Suverein 2023).
    let mut i = Checker::new();
    i.check(
        format!("age 18-70 (age {age})"),
        Some((18..=70).contains(&age)),
    );
    i.check("out-of-hospital arrest".into(), ohca);
    i.check("witnessed arrest".into(), w.witnessed_arrest);
    i.check(format!("initial rhythm VF/VT ({rhythm_txt})"), shockable);
    i.check("bystander CPR".into(), w.bystander_cpr);
    let fifteen = match (lf, no_rosc) {
        (Some(m), Some(nr)) => Some(m >= 15.0 && nr),
        (_, Some(false)) => Some(false),
        _ => None,
    };
    i.check(
        format!(
            "no ROSC within 15 min of CPR (low_flow_minutes {})",
            lf.map(num).unwrap_or_else(|| "not given".into())
        ),
        fifteen,
    );
    i.exclude(
        format!(
            "cannulation expected more than 60 min after collapse ({})",
            minutes(
                w.expected_collapse_to_cannulation_minutes,
                "expected_collapse_to_cannulation_minutes"
            )
        ),
        w.expected_collapse_to_cannulation_minutes.map(|m| m > 60.0),
    );
    let inception = i.done(
        "INCEPTION",
        citation::INCEPTION,
        &[
            "known terminal illness",
            "valid DNR order",
            "known pregnancy",
        ],
    );

    // ELSO 2021 ECPR selection (Richardson 2021): the item list is ecmova's recollection of
    // the guideline's table, UNVERIFIED against the primary text.
    let mut e = Checker::new();
    e.check(format!("age < 70 (age {age})"), Some(age < 70));
    e.check("witnessed arrest".into(), w.witnessed_arrest);
    e.check(
        format!(
            "no-flow (collapse to CPR) < 5 min ({})",
            minutes(w.no_flow_minutes, "no_flow_minutes")
        ),
        w.no_flow_minutes.map(|m| m < 5.0),
    );
    e.check(
        format!(
            "arrest to ECMO flow < 60 min ({})",
            minutes(
                w.expected_collapse_to_cannulation_minutes,
                "expected_collapse_to_cannulation_minutes"
            )
        ),
        w.expected_collapse_to_cannulation_minutes.map(|m| m < 60.0),
    );
    e.check(
        format!(
            "EtCO2 > 10 mmHg during CPR ({})",
            w.etco2_mmhg
                .map(|x| format!("{} mmHg", num(x)))
                .unwrap_or_else(|| "etco2_mmhg not given".into())
        ),
        w.etco2_mmhg.map(|x| x > 10.0),
    );
    e.check(
        format!(
            "10-15 min of unsuccessful conventional CPR (low_flow_minutes {})",
            lf.map(num).unwrap_or_else(|| "not given".into())
        ),
        match (lf, no_rosc) {
            (Some(m), Some(nr)) => Some(m >= 10.0 && nr),
            (_, Some(false)) => Some(false),
            _ => None,
        },
    );
    e.exclude(
        "known life-limiting comorbidity".into(),
        or2(w.irreversible_without_exit_strategy, w.malignancy),
    );
    e.exclude(
        "known significant aortic regurgitation".into(),
        w.severe_aortic_regurgitation,
    );
    let mut elso = e.done(
        "ELSO 2021 ECPR selection",
        citation::ELSO_ECPR_RICHARDSON_2021,
        &[
            "intermittent ROSC or recurrent VF",
            "signs of life during CPR",
            "known patient preference against ECPR",
        ],
    );
    elso.citation
        .push_str(" (selection criteria UNVERIFIED against the primary text)");

    Ecpr {
        applicable: true,
        rosc_status,
        trials: vec![arrest_t, prague, inception, elso],
        notes,
    }
}

fn fig(
    figures: &mut Vec<SurvivalFigure>,
    etiology: &str,
    percent: f64,
    measure: &'static str,
    s: Source,
) {
    figures.push(SurvivalFigure {
        etiology: etiology.into(),
        percent,
        measure,
        control_arm: None,
        citation: s.cite(),
    })
}

/// Expected survival by aetiology, each figure with its source.
pub fn expected_survival(p: &Patient) -> ExpectedSurvival {
    let mut figures = Vec::new();

    for d in p.diagnoses() {
        let n = d.name();
        match d {
            Diagnosis::AcuteMyocardialInfarction => {
                fig(
                    &mut figures,
                    n,
                    47.0,
                    "ICU survival, AMI on VA-ECMO",
                    citation::ENCOURAGE,
                );
                fig(
                    &mut figures,
                    n,
                    52.2,
                    "30-day survival with early VA-ECMO in ECLS-SHOCK (30-day mortality 47.8%)",
                    citation::ECLS_SHOCK,
                );
                if let Some(f) = figures.last_mut() {
                    f.control_arm = Some(
                        "51.0% 30-day survival without early VA-ECMO (mortality 49.0%; RR 0.98)"
                            .into(),
                    );
                }
            }
            Diagnosis::Myocarditis => fig(
                &mut figures,
                n,
                75.5,
                "weaned from VA-ECMO (weaning, not survival)",
                citation::LORUSSO_2016,
            ),
            Diagnosis::PostCardiotomy => fig(
                &mut figures,
                n,
                30.8,
                "survival to hospital discharge",
                citation::POSTCARDIOTOMY_META,
            ),
            Diagnosis::DrugIntoxication => fig(
                &mut figures,
                n,
                76.0,
                "survival (13/17 patients)",
                citation::DAUBIN_2009,
            ),
            Diagnosis::SepticCardiomyopathy => fig(
                &mut figures,
                n,
                60.0,
                "90-day survival with VA-ECMO (25% without)",
                citation::BRECHOT_2020,
            ),
            _ => {}
        }
    }
    if refractory_arrest(p) {
        fig(
            &mut figures,
            "ecpr",
            29.5,
            "survival to discharge after ECPR",
            citation::ELSO_REGISTRY_2022,
        );
    }
    if figures.is_empty() {
        fig(
            &mut figures,
            "all_va_ecmo",
            38.0,
            "in-hospital survival, all VA-ECMO (in-hospital mortality 62%)",
            citation::RAJSIC_2022,
        );
    }
    let lo = figures
        .iter()
        .map(|f| f.percent)
        .fold(f64::INFINITY, f64::min);
    let hi = figures
        .iter()
        .map(|f| f.percent)
        .fold(f64::NEG_INFINITY, f64::max);
    ExpectedSurvival {
        range_percent: [lo, hi],
        figures,
    }
}

/// Complications to anticipate given the patient's data.
pub fn complications(p: &Patient) -> Vec<Complication> {
    let w = p.record();
    let peripheral = w.cannulation.map(|c| c == Cannulation::PeripheralFemoral);
    let concern = |f: &Vec<String>| {
        if f.is_empty() {
            "standard"
        } else {
            "heightened"
        }
    };
    let mut out = Vec::new();

    let mut f = Vec::new();
    if refractory_arrest(p) {
        f.push("arrest without ROSC: non-ejecting left ventricle".to_string());
    }
    for (d, t) in [
        (
            Diagnosis::RefractoryVtVf,
            "refractory VT/VF: LV may not eject",
        ),
        (
            Diagnosis::AcuteMyocardialInfarction,
            "acute myocardial infarction: LV systolic failure",
        ),
        (Diagnosis::Myocarditis, "myocarditis: LV systolic failure"),
        (
            Diagnosis::ChronicHeartFailure,
            "chronic heart failure: dilated, poorly contracting LV",
        ),
    ] {
        if p.has(d) {
            f.push(t.to_string());
        }
    }
    out.push(Complication {
        complication: "LV distension",
        concern: concern(&f),
        patient_factors: f,
        facts: vec![note("Retrograde VA-ECMO flow raises LV afterload; when the LV distends, unloading (atrial septostomy, LV vent, Impella) is widely recommended (the wording \"mandatory\" and its attribution to ESC HF 2021 are UNVERIFIED)", citation::ESC_HF_2021)],
    });

    let mut f = Vec::new();
    if w.intubation_hours_before_ecmo.is_some() {
        f.push("mechanically ventilated before ECMO: lung injury possible".to_string());
    }
    if peripheral == Some(true) {
        f.push(
            "peripheral femoral cannulation: retrograde flow meets native output in the aorta"
                .to_string(),
        );
    }
    let mut facts = vec![note("Differential (Harlequin) hypoxaemia: the native heart recovers before the lungs and ejects poorly oxygenated blood to the upper body; target post-oxygenator PO2 about 150 mmHg", citation::ELSO_VA_2021)];
    if peripheral == Some(false) {
        facts.push(note("Not a femoral configuration: differential hypoxaemia is a feature of femoral cannulation", citation::ELSO_VA_2021));
    }
    out.push(Complication {
        complication: "differential hypoxaemia",
        concern: concern(&f),
        patient_factors: f,
        facts,
    });

    let mut f = Vec::new();
    if w.peripheral_arterial_disease == Some(true) {
        f.push("peripheral arterial disease".to_string());
    }
    if peripheral == Some(true) {
        f.push("peripheral femoral arterial cannula".to_string());
    }
    out.push(Complication {
        complication: "limb ischaemia",
        concern: concern(&f),
        patient_factors: f,
        facts: vec![note(
            "Limb ischaemia 16.9%, fasciotomy 10.3%, amputation 4.7% of VA-ECMO patients",
            citation::CHENG_2014,
        )],
    });

    let mut f = Vec::new();
    if w.uncontrolled_bleeding == Some(true) {
        f.push("uncontrolled bleeding".to_string());
    }
    if w.anticoagulation_contraindicated == Some(true) {
        f.push("anticoagulation contraindicated".to_string());
    }
    if w.heparin_induced_thrombocytopenia == Some(true) {
        f.push("heparin-induced thrombocytopenia".to_string());
    }
    if let Ok((true, _)) = p.liver_failure("bleeding risk") {
        f.push("liver failure (SAVE definition)".to_string());
    }
    if p.has(Diagnosis::PostCardiotomy) {
        f.push("post-cardiotomy: fresh surgical wounds".to_string());
    }
    out.push(Complication {
        complication: "bleeding",
        concern: concern(&f),
        patient_factors: f,
        facts: vec![
            note("Bleeding in 49% of VA-ECMO patients; renal failure 51%, RRT 44%", citation::RAJSIC_2022),
            note("ECLS-SHOCK: moderate or severe bleeding 23.4% with VA-ECMO vs 9.6%; peripheral vascular complications 11.0% vs 3.8%", citation::ECLS_SHOCK),
        ],
    });
    out
}

/// The whole assessment of a validated patient.
pub fn assess(p: &Patient) -> Assessment {
    let (tp, tp_given, tp_basis) = p.timepoint();
    let scai = Section::from(scai_stage(p));
    let contraindications = contraindications(p);
    let indication = indication(p, tp, &scai, &contraindications);
    let ecpr = ecpr(p);
    let expected_survival = expected_survival(p);
    let complications = complications(p);
    let save = Section::from(save::save(p));
    let encourage = Section::from(encourage::encourage(p));
    let cardshock = Section::from(cardshock::cardshock(p));
    let tips65 = if in_arrest(p) {
        Section::from(tips65::tips65(p))
    } else {
        Section::skipped("not applicable: no cardiac arrest (TiPS65 is for ECPR candidates)".into())
    };
    let weaning = match (tp, p.has_weaning_data()) {
        (Timepoint::OnEcmo, true) => Section::from(weaning(p)),
        (Timepoint::OnEcmo, false) => {
            Section::skipped("no weaning data (weaning_* fields) at timepoint on_ecmo".into())
        }
        (Timepoint::BeforeCannulation, _) => {
            Section::skipped("timepoint before_cannulation: weaning applies on ECMO".into())
        }
    };
    let conflicts = p.conflicts();
    let mut summary = format!(
        "[{}] {}",
        indication.verdict.words().to_uppercase(),
        indication.summary
    );
    if indication.verdict != Verdict::Contraindicated
        && !contraindications.absolute_present.is_empty()
    {
        summary.push_str(&format!(
            ". Absolute contraindication(s): {}",
            contraindications.absolute_present.join(", ")
        ));
    }
    if !contraindications.relative_present.is_empty() {
        summary.push_str(&format!(
            ". {}: {}",
            match contraindications.source {
                ContraindicationSource::Chung2014 => "Other considerations (Chung 2014)",
                ContraindicationSource::Elso2021 => "Relative contraindication(s) (ELSO 2021)",
            },
            contraindications.relative_present.join(", ")
        ));
    }
    if !conflicts.is_empty() {
        summary.push_str(&format!(
            ". {} conflict(s) between given values and labs: the conservative reading is used",
            conflicts.len()
        ));
    }
    let [lo, hi] = expected_survival.range_percent;
    let range = if lo == hi {
        format!("{}%", num(lo))
    } else {
        format!("{}-{}%", num(lo), num(hi))
    };
    summary.push_str(&format!(
        ". Published outcome by aetiology: {range} (each measure, and the control arm of each trial, in expected_survival). Evidence as of {EVIDENCE_AS_OF}."
    ));
    Assessment {
        patient_id: p.patient_id().map(str::to_string),
        disclaimer: DISCLAIMER,
        verdict: indication.verdict,
        evidence_as_of: EVIDENCE_AS_OF,
        timepoint: TimepointInfo {
            value: tp,
            given: tp_given,
            basis: tp_basis,
        },
        summary,
        conflicts,
        unit_conversions: p.record().unit_conversions.clone(),
        scai,
        indication,
        contraindications,
        ecpr,
        expected_survival,
        complications,
        save,
        encourage,
        cardshock,
        tips65,
        weaning,
        left_out: vec![
            LeftOut { score: "IABP-SHOCK II", reason: "per-item points UNVERIFIED against the primary source (Poss 2017); not computed" },
            LeftOut { score: "PREDICT VA-ECMO", reason: "coefficients UNVERIFIED; not computed" },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patient::{Rhythm, Sex};
    use crate::wire::PatientJson;

    fn base() -> PatientJson {
        PatientJson {
            age_years: Some(50.0),
            sex: Some(Sex::Male),
            weight_kg: Some(80.0),
            height_cm: Some(180.0),
            diagnoses: Some(vec![Diagnosis::AcuteMyocardialInfarction]),
            lactate_mmol_l: Some(5.0),
            systolic_bp_mmhg: Some(75.0),
            vasoactive_drugs_count: Some(2),
            ..Default::default()
        }
    }

    fn arrest() -> PatientJson {
        PatientJson {
            cardiac_arrest_before_ecmo: Some(true),
            ongoing_cpr: Some(true),
            rosc_achieved: Some(false),
            arrest_location: Some(ArrestLocation::OutOfHospital),
            witnessed_arrest: Some(true),
            bystander_cpr: Some(true),
            initial_rhythm: Some(Rhythm::Vf),
            presumed_cardiac_cause: Some(true),
            shocks_delivered: Some(3),
            mechanical_cpr: Some(true),
            unconscious: Some(true),
            uncontrolled_bleeding: Some(false),
            low_flow_minutes: Some(20.0),
            expected_transport_minutes: Some(20.0),
            expected_collapse_to_cath_lab_minutes: Some(45.0),
            expected_collapse_to_cannulation_minutes: Some(50.0),
            etco2_mmhg: Some(20.0),
            pao2_mmhg: Some(80.0),
            ..base()
        }
    }

    fn trials(w: PatientJson) -> Vec<(&'static str, Eligibility, Vec<String>)> {
        ecpr(&Patient::from_wire(w).unwrap())
            .trials
            .into_iter()
            .map(|t| (t.trial, t.eligibility, t.failed))
            .collect()
    }

    fn verdict(w: PatientJson) -> Verdict {
        assess(&Patient::from_wire(w).unwrap()).verdict
    }

    #[test]
    fn shock_indication_by_etiology() {
        // AMI: individualised, the ACS-specific recommendation first.
        let a = assess(&Patient::from_wire(base()).unwrap());
        assert_eq!(a.indication.verdict, Verdict::IndividualisedDecision);
        let classes: Vec<_> = a
            .indication
            .recommendations
            .iter()
            .map(|r| r.class)
            .collect();
        assert_eq!(classes, vec!["IIb", "IIa"]);
        assert!(a.indication.recommendations[0]
            .citation
            .contains("acute coronary"));
        assert!(a.indication.microaxial_pump_option.is_some());
        // Non-ACS shock keeps ESC HF 2021 IIa: consider.
        let mut w = base();
        w.diagnoses = Some(vec![Diagnosis::Myocarditis]);
        assert_eq!(verdict(w), Verdict::Consider);
        let mut w = base();
        w.diagnoses = Some(vec![Diagnosis::PulmonaryEmbolism]);
        let a = assess(&Patient::from_wire(w).unwrap());
        assert_eq!(a.verdict, Verdict::IndividualisedDecision);
        assert!(a
            .indication
            .recommendations
            .iter()
            .any(|r| r.citation.contains("pulmonary embolism")));
        assert_eq!(a.evidence_as_of, EVIDENCE_AS_OF);
    }

    #[test]
    fn no_shock_not_indicated() {
        let mut w = base();
        w.lactate_mmol_l = Some(1.0);
        w.systolic_bp_mmhg = Some(120.0);
        w.vasoactive_drugs_count = Some(0);
        assert_eq!(verdict(w), Verdict::NotIndicated);
    }

    #[test]
    fn relative_contraindication_makes_consider_individualised() {
        let mut w = base();
        w.diagnoses = Some(vec![Diagnosis::Myocarditis]);
        w.malignancy = Some(true);
        assert_eq!(verdict(w), Verdict::IndividualisedDecision);
    }

    /// An AMI patient whose SCAI stage cannot be determined (no lactate, no other marker of
    /// hypoperfusion): the verdict waits for the data, no recommendation is listed, but the
    /// acute-MI evidence (ECLS-SHOCK, the meta-analysis, DanGer Shock) is shown, not dropped.
    #[test]
    fn an_undetermined_ami_stage_still_shows_the_ami_evidence() {
        let mut w = base();
        w.lactate_mmol_l = None;
        let a = assess(&Patient::from_wire(w).unwrap());
        assert_eq!(a.verdict, Verdict::Undetermined);
        assert!(a.indication.recommendations.is_empty());
        let text: Vec<&str> = a.indication.notes.iter().map(|n| n.text.as_str()).collect();
        for trial in ["ECLS-SHOCK", "DanGer Shock", "meta-analysis"] {
            assert!(
                text.iter().any(|t| t.contains(trial)),
                "{trial} in {text:?}"
            );
        }
        // Not for another aetiology.
        let mut w = base();
        w.lactate_mmol_l = None;
        w.diagnoses = Some(vec![Diagnosis::Myocarditis]);
        let a = assess(&Patient::from_wire(w).unwrap());
        assert_eq!(a.verdict, Verdict::Undetermined);
        assert!(!a
            .indication
            .notes
            .iter()
            .any(|n| n.text.contains("ECLS-SHOCK")));
    }

    #[test]
    fn absolute_contraindication_lists_what_would_have_to_change() {
        let mut w = base();
        w.diagnoses = Some(vec![Diagnosis::Myocarditis]);
        w.aortic_dissection = Some(true);
        let a = assess(&Patient::from_wire(w).unwrap());
        assert_eq!(a.verdict, Verdict::Contraindicated);
        assert!(a.indication.what_would_have_to_change[0].contains("repaired"));
    }

    #[test]
    fn on_ecmo_is_a_review_not_an_indication() {
        let mut w = base();
        w.timepoint = Some(Timepoint::OnEcmo);
        let a = assess(&Patient::from_wire(w).unwrap());
        assert_eq!(a.verdict, Verdict::OnEcmoReview);
        assert!(!a.summary.contains("should be considered"));
        assert!(a.timepoint.given);
    }

    #[test]
    fn ecpr_all_meet_then_each_fails() {
        for (t, e, failed) in trials(arrest()) {
            if t.starts_with("ELSO") {
                // no_flow_minutes not given.
                assert_eq!(e, Eligibility::Undetermined, "{failed:?}");
            } else {
                assert_eq!(e, Eligibility::MeetsCheckedCriteria, "{t}: {failed:?}");
            }
        }
        // Age 66: fails Prague (18-65) only.
        let mut w = arrest();
        w.age_years = Some(66.0);
        let t = trials(w);
        assert_eq!(t[0].1, Eligibility::MeetsCheckedCriteria);
        assert_eq!(t[1].1, Eligibility::DoesNotMeet);
        assert_eq!(t[2].1, Eligibility::MeetsCheckedCriteria);
        // Age 71: fails Prague and INCEPTION; 76 fails ARREST too.
        let mut w = arrest();
        w.age_years = Some(71.0);
        let t = trials(w);
        assert_eq!(
            (t[0].1, t[2].1),
            (Eligibility::MeetsCheckedCriteria, Eligibility::DoesNotMeet)
        );
        let mut w = arrest();
        w.age_years = Some(76.0);
        assert_eq!(trials(w)[0].1, Eligibility::DoesNotMeet);
        // PEA: fails ARREST and INCEPTION, not Prague.
        let mut w = arrest();
        w.initial_rhythm = Some(Rhythm::Pea);
        let t = trials(w);
        assert_eq!(
            t.iter().take(3).map(|x| x.1).collect::<Vec<_>>(),
            vec![
                Eligibility::DoesNotMeet,
                Eligibility::MeetsCheckedCriteria,
                Eligibility::DoesNotMeet
            ]
        );
        // No ROSC for only 14 minutes: INCEPTION not yet.
        let mut w = arrest();
        w.low_flow_minutes = Some(14.0);
        assert_eq!(trials(w)[2].1, Eligibility::DoesNotMeet);
        // Transfer 30 min: ARREST requires < 30.
        let mut w = arrest();
        w.expected_transport_minutes = Some(30.0);
        assert_eq!(trials(w)[0].1, Eligibility::DoesNotMeet);
        // Two ARREST arrival criteria: excluded.
        let mut w = arrest();
        w.etco2_mmhg = Some(8.0);
        w.lactate_mmol_l = Some(19.0);
        assert_eq!(trials(w)[0].1, Eligibility::DoesNotMeet);
        // Cannulation expected at 61 min: INCEPTION excluded; 60 is not.
        let mut w = arrest();
        w.expected_collapse_to_cannulation_minutes = Some(61.0);
        assert_eq!(trials(w)[2].1, Eligibility::DoesNotMeet);
        let mut w = arrest();
        w.expected_collapse_to_cannulation_minutes = Some(60.0);
        assert_eq!(trials(w)[2].1, Eligibility::MeetsCheckedCriteria);
        // Missing bystander CPR: INCEPTION undetermined.
        let mut w = arrest();
        w.bystander_cpr = None;
        assert_eq!(trials(w)[2].1, Eligibility::Undetermined);
        // Exclusion: non-cardiac cause excludes ARREST (and fails Prague's inclusion).
        let mut w = arrest();
        w.presumed_cardiac_cause = Some(false);
        let t = trials(w);
        assert_eq!(
            (t[0].1, t[1].1),
            (Eligibility::DoesNotMeet, Eligibility::DoesNotMeet)
        );
        assert!(t[0].2.iter().any(|f| f.contains("exclusion present")));
        // Prague: the cath-lab time is not a criterion.
        let mut w = arrest();
        w.expected_collapse_to_cath_lab_minutes = Some(200.0);
        assert_eq!(trials(w)[1].1, Eligibility::MeetsCheckedCriteria);
    }

    #[test]
    fn labels_never_say_eligible_alone() {
        let e = ecpr(&Patient::from_wire(arrest()).unwrap());
        assert_eq!(e.trials[0].label, "meets the checked criteria of ARREST");
        assert!(!e.trials[0].not_checked.is_empty());
        let json = serde_json::to_string(&e).unwrap();
        assert!(!json.contains("\"eligible\""));
    }

    #[test]
    fn contraindications_listed() {
        let mut w = arrest();
        w.aortic_dissection = Some(true);
        w.low_flow_minutes = Some(61.0);
        let c = contraindications(&Patient::from_wire(w).unwrap());
        assert!(c.absolute_present.contains(&"aortic dissection"));
        assert!(c.absolute_present.contains(&"CPR longer than 60 minutes"));
        assert!(c.source_citation.contains("Chung"));
        let mut w = arrest();
        w.low_flow_minutes = Some(60.0);
        let c = contraindications(&Patient::from_wire(w).unwrap());
        assert!(!c.absolute_present.contains(&"CPR longer than 60 minutes"));
        // ELSO 2021 as the second, selectable source.
        let mut w = arrest();
        w.contraindication_source = Some(ContraindicationSource::Elso2021);
        w.low_flow_minutes = Some(61.0);
        let c = contraindications(&Patient::from_wire(w).unwrap());
        assert_eq!(c.source, ContraindicationSource::Elso2021);
        assert!(c.source_citation.contains("Lorusso"));
        assert!(c.items.iter().all(|i| i.citation.contains("UNVERIFIED")));
        // No minute threshold in ELSO: judgement, not present.
        assert!(c.absolute_present.is_empty());
    }

    #[test]
    fn survival_by_etiology() {
        let mut w = base();
        w.diagnoses = Some(vec![
            Diagnosis::SepticCardiomyopathy,
            Diagnosis::PostCardiotomy,
        ]);
        let s = expected_survival(&Patient::from_wire(w).unwrap());
        assert_eq!(s.range_percent, [30.8, 60.0]);
        let mut w = base();
        w.diagnoses = Some(vec![Diagnosis::Other]);
        let s = expected_survival(&Patient::from_wire(w).unwrap());
        assert_eq!(s.range_percent, [38.0, 38.0]);
    }

    #[test]
    fn sections_not_computed_name_fields() {
        let a = assess(&Patient::from_wire(base()).unwrap());
        assert_eq!(a.save.status, "not_computed");
        assert!(a
            .save
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("`liver_failure`"));
        assert_eq!(a.scai.status, "computed");
    }
}
