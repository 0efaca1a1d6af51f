//! The VA-ECMO assessment: SCAI stage, indication by aetiology and stage, contraindications,
//! ECPR eligibility per trial, expected survival by aetiology, complications to anticipate,
//! the scores and weaning readiness. Sections that lack data are reported as not computed,
//! naming the missing field; the assessment itself fails only on invalid input.

use crate::citation::{self, Source};
use crate::error::ClinicalError;
use crate::patient::{ArrestLocation, Cannulation, Diagnosis, Patient};
use crate::scai::{scai_stage, ScaiResult, Stage};
use crate::scores::{cardshock, encourage, num, save, tips65, ScoreResult};
use crate::weaning::{weaning, WeaningResult};
use serde::Serialize;

/// Printed with every assessment.
pub const DISCLAIMER: &str = "Decision support for research and teaching; not a certified medical device. Every rule cites its source; the treating team decides.";

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
    /// The recommendation in the guideline's class wording.
    pub statement: String,
    /// ESC class (`IIa`, `IIb`, `III`), or `not graded`.
    pub class: &'static str,
    /// Level of evidence, or `-`.
    pub level: &'static str,
    /// Source.
    pub citation: String,
}

/// Verdict on the indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A guideline recommendation for MCS/VA-ECMO applies (see class).
    Consider,
    /// No shock (SCAI A/B) and no refractory arrest: no indication.
    NotIndicated,
    /// Not enough data to stage the shock.
    Undetermined,
}

/// Indication by aetiology and stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indication {
    /// Verdict.
    pub verdict: Verdict,
    /// One-line summary.
    pub summary: String,
    /// Recommendations that apply.
    pub recommendations: Vec<Recommendation>,
    /// Evidence notes (trial results) with their sources.
    pub notes: Vec<Note>,
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
    /// `absolute` or `relative`.
    pub kind: &'static str,
    /// The contraindication.
    pub name: &'static str,
    /// Status for this patient.
    pub status: Status,
    /// The data behind the status.
    pub evidence: String,
    /// Source.
    pub citation: String,
}

/// Contraindications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contraindications {
    /// Names of the absolute contraindications present.
    pub absolute_present: Vec<&'static str>,
    /// Names of the relative contraindications present.
    pub relative_present: Vec<&'static str>,
    /// Every contraindication checked.
    pub items: Vec<Contraindication>,
}

/// Eligibility against one trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    /// Every criterion met.
    Eligible,
    /// At least one criterion failed.
    NotEligible,
    /// None failed, some could not be checked.
    Undetermined,
}

/// ECPR eligibility against one trial's criteria.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialEligibility {
    /// Trial name.
    pub trial: &'static str,
    /// Verdict.
    pub eligibility: Eligibility,
    /// Criteria met.
    pub met: Vec<String>,
    /// Criteria failed.
    pub failed: Vec<String>,
    /// Criteria that could not be checked (field missing).
    pub unknown: Vec<String>,
    /// Source.
    pub citation: String,
}

/// ECPR section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ecpr {
    /// Whether the patient is in (or had) cardiac arrest; if not, trials are not evaluated.
    pub applicable: bool,
    /// Each trial separately.
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

/// The whole assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Identifier from the input.
    pub patient_id: Option<String>,
    /// Disclaimer.
    pub disclaimer: &'static str,
    /// One-paragraph summary.
    pub summary: String,
    /// SCAI SHOCK stage.
    pub scai: Section<ScaiResult>,
    /// Indication.
    pub indication: Indication,
    /// Contraindications.
    pub contraindications: Contraindications,
    /// ECPR eligibility.
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

fn refractory_arrest(p: &Patient) -> bool {
    in_arrest(p) && p.record().rosc_achieved != Some(true)
}

/// Indication by aetiology and SCAI stage.
pub fn indication(p: &Patient, scai: &Section<ScaiResult>) -> Indication {
    let stage = scai.result.as_ref().map(|r| r.stage);
    let shock = stage.map(|s| s >= Stage::C);
    let mut recs = Vec::new();
    let mut notes = Vec::new();
    let refractory = refractory_arrest(p);
    if shock == Some(true) || refractory {
        recs.push(Recommendation {
            applies_to: "cardiogenic shock (any aetiology)".into(),
            statement: "Short-term mechanical circulatory support should be considered in patients with cardiogenic shock as a bridge to recovery, bridge to decision or bridge to bridge".into(),
            class: "IIa",
            level: "C",
            citation: citation::ESC_HF_2021.cite(),
        });
        if p.has(Diagnosis::AcuteMyocardialInfarction) {
            recs.push(Recommendation {
                applies_to: "acute coronary syndrome with severe or refractory cardiogenic shock".into(),
                statement: "Short-term mechanical circulatory support may be considered in patients with ACS and severe/refractory cardiogenic shock".into(),
                class: "IIb",
                level: "C",
                citation: citation::ESC_ACS_2023.cite(),
            });
            notes.push(note("ECLS-SHOCK (n=417, AMI cardiogenic shock): 30-day death 47.8% with early VA-ECMO vs 49.0% without (RR 0.98): no benefit of routine VA-ECMO", citation::ECLS_SHOCK));
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
                statement: "VA-ECMO may be considered in fulminant myocarditis".into(),
                class: "not graded",
                level: "-",
                citation: citation::ESC_HF_2021.cite(),
            });
        }
        if refractory {
            recs.push(Recommendation {
                applies_to: "refractory cardiac arrest (ECPR)".into(),
                statement: "Consider ECPR after 10-15 minutes of failed conventional CPR in selected patients (see the trial criteria below)".into(),
                class: "not graded",
                level: "-",
                citation: citation::ELSO_ECPR_2021.cite(),
            });
        }
        notes.push(note("When the LV distends on VA-ECMO, LV unloading (atrial septostomy, LV vent, Impella) is mandatory", citation::ESC_HF_2021));
    }
    let stage_txt = scai
        .result
        .as_ref()
        .map(|r| format!("SCAI {}", r.display))
        .unwrap_or_else(|| "SCAI stage unknown".into());
    let (verdict, summary) = match (shock, refractory) {
        (_, true) => (Verdict::Consider, format!("refractory cardiac arrest ({stage_txt}): ECPR may be considered in selected patients (ELSO 2021); check the trial criteria")),
        (Some(true), false) => (Verdict::Consider, format!("cardiogenic shock, {stage_txt}: short-term MCS such as VA-ECMO should be considered (ESC 2021 class IIa, level C)")),
        (Some(false), false) => (Verdict::NotIndicated, format!("{stage_txt}: no cardiogenic shock requiring circulatory support, so the ESC 2021 recommendation does not apply")),
        (None, false) => (Verdict::Undetermined, "SCAI stage could not be determined: indication undetermined".into()),
    };
    Indication {
        verdict,
        summary,
        recommendations: recs,
        notes,
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

/// Absolute and relative contraindications (review table; BMI threshold WHO 2000).
pub fn contraindications(p: &Patient) -> Contraindications {
    let w = p.record();
    let cite = citation::CONTRAINDICATIONS_REVIEW.cite();
    let mut items = Vec::new();
    let mut push = |kind, name, status, evidence: String, citation: String| {
        items.push(Contraindication {
            kind,
            name,
            status,
            evidence,
            citation,
        })
    };
    let or2 = |a: Option<bool>, b: Option<bool>| match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };
    let bleed = or2(w.uncontrolled_bleeding, w.anticoagulation_contraindicated);
    push(
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
        cite.clone(),
    );
    push(
        "absolute",
        "irreversible disease without transplant or VAD option",
        flag_status(w.irreversible_without_exit_strategy),
        field_evidence(
            "irreversible_without_exit_strategy",
            w.irreversible_without_exit_strategy,
        ),
        cite.clone(),
    );
    let mof = or2(w.poor_baseline_function, w.established_multiorgan_failure);
    push(
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
        cite.clone(),
    );
    let arrest = in_arrest(p);
    let (st, ev) = if !arrest {
        (Status::Absent, "no cardiac arrest".to_string())
    } else {
        (
            flag_status(w.witnessed_arrest.map(|x| !x)),
            field_evidence("witnessed_arrest", w.witnessed_arrest),
        )
    };
    push(
        "absolute",
        "unwitnessed cardiac arrest",
        st,
        ev,
        cite.clone(),
    );
    let (st, ev) = match (arrest, w.low_flow_minutes) {
        (false, _) => (Status::Absent, "no cardiac arrest".to_string()),
        (true, Some(m)) => (
            if m > 60.0 {
                Status::Present
            } else {
                Status::Absent
            },
            format!("low_flow_minutes = {} (limit 60)", num(m)),
        ),
        (true, None) => (Status::Unknown, "low_flow_minutes not given".to_string()),
    };
    push(
        "absolute",
        "CPR longer than 60 minutes",
        st,
        ev,
        cite.clone(),
    );
    push(
        "absolute",
        "aortic dissection",
        flag_status(w.aortic_dissection),
        field_evidence("aortic_dissection", w.aortic_dissection),
        cite.clone(),
    );
    push(
        "absolute",
        "severe aortic regurgitation",
        flag_status(w.severe_aortic_regurgitation),
        field_evidence("severe_aortic_regurgitation", w.severe_aortic_regurgitation),
        cite.clone(),
    );

    push(
        "relative",
        "advanced age",
        Status::Judgement,
        format!(
            "age {} years; the source gives no age threshold",
            num(p.age_years)
        ),
        cite.clone(),
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
    push(
        "relative",
        "renal failure",
        flag_status(renal),
        ev,
        cite.clone(),
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
    push("relative", "liver failure", st, ev, cite.clone());
    push(
        "relative",
        "malignancy",
        flag_status(w.malignancy),
        field_evidence("malignancy", w.malignancy),
        cite.clone(),
    );
    let (bmi, _) = p.bmi();
    push(
        "relative",
        "morbid obesity",
        if bmi >= 40.0 {
            Status::Present
        } else {
            Status::Absent
        },
        format!("BMI {bmi:.1} kg/m2 (morbid obesity: >= 40, WHO class III)"),
        format!("{cite}; {}", citation::WHO_OBESITY_2000.cite()),
    );
    push(
        "relative",
        "peripheral arterial disease",
        flag_status(w.peripheral_arterial_disease),
        field_evidence("peripheral_arterial_disease", w.peripheral_arterial_disease),
        cite.clone(),
    );
    push(
        "relative",
        "heparin-induced thrombocytopenia",
        flag_status(w.heparin_induced_thrombocytopenia),
        field_evidence(
            "heparin_induced_thrombocytopenia",
            w.heparin_induced_thrombocytopenia,
        ),
        cite,
    );

    let pick = |kind: &str| {
        items
            .iter()
            .filter(|c| c.kind == kind && c.status == Status::Present)
            .map(|c| c.name)
            .collect()
    };
    Contraindications {
        absolute_present: pick("absolute"),
        relative_present: pick("relative"),
        items,
    }
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
    fn check(&mut self, name: String, v: Option<bool>) {
        match v {
            Some(true) => self.met.push(name),
            Some(false) => self.failed.push(name),
            None => self.unknown.push(name),
        }
    }
    fn done(self, trial: &'static str, s: Source) -> TrialEligibility {
        let eligibility = if !self.failed.is_empty() {
            Eligibility::NotEligible
        } else if !self.unknown.is_empty() {
            Eligibility::Undetermined
        } else {
            Eligibility::Eligible
        };
        TrialEligibility {
            trial,
            eligibility,
            met: self.met,
            failed: self.failed,
            unknown: self.unknown,
            citation: s.cite(),
        }
    }
}

/// ECPR eligibility against ARREST, Prague OHCA and INCEPTION, each separately.
pub fn ecpr(p: &Patient) -> Ecpr {
    let w = p.record();
    let notes = vec![
        note("Consider ECPR after 10-15 minutes of failed conventional CPR; adult ECPR survival about 29%", citation::ELSO_ECPR_2021),
        note("ARREST (n=30): survival 43% with ECPR vs 7% with standard ACLS", citation::ARREST),
        note("Prague OHCA (n=256): 180-day survival with CPC 1-2 31.5% vs 22.0% (P=.09)", citation::PRAGUE_OHCA),
        note("INCEPTION (n=134): 30-day survival with CPC 1-2 20% vs 16%", citation::INCEPTION),
    ];
    if !in_arrest(p) {
        return Ecpr {
            applicable: false,
            trials: Vec::new(),
            notes,
        };
    }
    let age = p.completed_years();
    let ohca = w
        .arrest_location
        .map(|l| l == ArrestLocation::OutOfHospital);
    let shockable = w.initial_rhythm.map(|r| r.shockable());
    let no_rosc = w.rosc_achieved.map(|r| !r);
    let lf = w.low_flow_minutes;
    let rhythm_txt = w
        .initial_rhythm
        .map(|r| r.name().to_string())
        .unwrap_or_else(|| "not given".into());

    // ARREST
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
            w.expected_transport_minutes
                .map(|m| format!("{} min", num(m)))
                .unwrap_or_else(|| "expected_transport_minutes not given".into())
        ),
        w.expected_transport_minutes.map(|m| m < 30.0),
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
    let stop_ok = if hits >= 2 {
        Some(false)
    } else if hits + unk >= 2 {
        None
    } else {
        Some(true)
    };
    a.check(format!("fewer than 2 arrival stop criteria (EtCO2 < 10 mmHg, PaO2 < 50 mmHg or SaO2 < 85%, lactate > 18 mmol/L): {hits} met, {unk} not measured"), stop_ok);
    let arrest_t = a.done("ARREST", citation::ARREST);

    // Prague OHCA
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
            "at least 5 min of ACLS without ROSC (low_flow_minutes {})",
            lf.map(num).unwrap_or_else(|| "not given".into())
        ),
        five,
    );
    pr.check("unconscious".into(), w.unconscious);
    pr.check(
        format!(
            "cath lab reachable <= 60 min from collapse ({})",
            w.expected_collapse_to_cath_lab_minutes
                .map(|m| format!("{} min", num(m)))
                .unwrap_or_else(|| "expected_collapse_to_cath_lab_minutes not given".into())
        ),
        w.expected_collapse_to_cath_lab_minutes.map(|m| m <= 60.0),
    );
    let prague = pr.done("Prague OHCA", citation::PRAGUE_OHCA);

    // INCEPTION
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
    i.check(
        format!(
            "cannulation expected within 60 min of collapse ({})",
            w.expected_collapse_to_cannulation_minutes
                .map(|m| format!("{} min", num(m)))
                .unwrap_or_else(|| "expected_collapse_to_cannulation_minutes not given".into())
        ),
        w.expected_collapse_to_cannulation_minutes
            .map(|m| m <= 60.0),
    );
    let inception = i.done("INCEPTION", citation::INCEPTION);

    Ecpr {
        applicable: true,
        trials: vec![arrest_t, prague, inception],
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
                    "30-day survival with early VA-ECMO (30-day mortality 47.8%)",
                    citation::ECLS_SHOCK,
                );
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
        facts: vec![note("Retrograde VA-ECMO flow raises LV afterload; when the LV distends, unloading (atrial septostomy, LV vent, Impella) is mandatory", citation::ESC_HF_2021)],
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
    let w = p.record();
    let scai = Section::from(scai_stage(p));
    let indication = indication(p, &scai);
    let contraindications = contraindications(p);
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
    let any_weaning = w.weaning_flow_l_min.is_some()
        || w.weaning_aortic_vti_cm.is_some()
        || w.weaning_lvef_percent.is_some()
        || w.weaning_lateral_tdsa_cm_s.is_some();
    let weaning = if any_weaning {
        Section::from(weaning(p))
    } else {
        Section::skipped("no weaning-trial data (weaning_* fields)".into())
    };
    let mut summary = indication.summary.clone();
    if !contraindications.absolute_present.is_empty() {
        summary.push_str(&format!(
            ". ABSOLUTE CONTRAINDICATION(S): {}",
            contraindications.absolute_present.join(", ")
        ));
    }
    if !contraindications.relative_present.is_empty() {
        summary.push_str(&format!(
            ". Relative contraindication(s): {}",
            contraindications.relative_present.join(", ")
        ));
    }
    let [lo, hi] = expected_survival.range_percent;
    let range = if lo == hi {
        format!("{}%", num(lo))
    } else {
        format!("{}-{}%", num(lo), num(hi))
    };
    summary.push_str(&format!(
        ". Published outcome by aetiology: {range} (see expected_survival for each measure and source)"
    ));
    summary.push('.');
    Assessment {
        patient_id: p.patient_id().map(str::to_string),
        disclaimer: DISCLAIMER,
        summary,
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

    #[test]
    fn shock_indication_by_etiology() {
        let p = Patient::from_wire(base()).unwrap();
        let a = assess(&p);
        assert_eq!(a.indication.verdict, Verdict::Consider);
        let classes: Vec<_> = a
            .indication
            .recommendations
            .iter()
            .map(|r| r.class)
            .collect();
        assert_eq!(classes, vec!["IIa", "IIb"]);
        let mut w = base();
        w.diagnoses = Some(vec![Diagnosis::PulmonaryEmbolism]);
        let a = assess(&Patient::from_wire(w).unwrap());
        assert!(a
            .indication
            .recommendations
            .iter()
            .any(|r| r.citation.contains("pulmonary embolism")));
    }

    #[test]
    fn no_shock_not_indicated() {
        let mut w = base();
        w.lactate_mmol_l = Some(1.0);
        w.systolic_bp_mmhg = Some(120.0);
        w.vasoactive_drugs_count = Some(0);
        let a = assess(&Patient::from_wire(w).unwrap());
        assert_eq!(a.indication.verdict, Verdict::NotIndicated);
    }

    #[test]
    fn ecpr_all_eligible_then_each_fails() {
        for (_, e, failed) in trials(arrest()) {
            assert_eq!(e, Eligibility::Eligible, "{failed:?}");
        }
        // Age 66: fails Prague (18-65) only.
        let mut w = arrest();
        w.age_years = Some(66.0);
        let t = trials(w);
        assert_eq!(t[0].1, Eligibility::Eligible);
        assert_eq!(t[1].1, Eligibility::NotEligible);
        assert_eq!(t[2].1, Eligibility::Eligible);
        // Age 71: fails Prague and INCEPTION; 76 fails ARREST too.
        let mut w = arrest();
        w.age_years = Some(71.0);
        let t = trials(w);
        assert_eq!(
            (t[0].1, t[2].1),
            (Eligibility::Eligible, Eligibility::NotEligible)
        );
        let mut w = arrest();
        w.age_years = Some(76.0);
        assert_eq!(trials(w)[0].1, Eligibility::NotEligible);
        // PEA: fails ARREST and INCEPTION, not Prague.
        let mut w = arrest();
        w.initial_rhythm = Some(Rhythm::Pea);
        let t = trials(w);
        assert_eq!(
            t.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![
                Eligibility::NotEligible,
                Eligibility::Eligible,
                Eligibility::NotEligible
            ]
        );
        // No ROSC for only 14 minutes: INCEPTION not yet.
        let mut w = arrest();
        w.low_flow_minutes = Some(14.0);
        assert_eq!(trials(w)[2].1, Eligibility::NotEligible);
        // Transfer 30 min: ARREST requires < 30.
        let mut w = arrest();
        w.expected_transport_minutes = Some(30.0);
        assert_eq!(trials(w)[0].1, Eligibility::NotEligible);
        // Two ARREST stop criteria.
        let mut w = arrest();
        w.etco2_mmhg = Some(8.0);
        w.lactate_mmol_l = Some(19.0);
        assert_eq!(trials(w)[0].1, Eligibility::NotEligible);
        // Cannulation expected at 61 min: INCEPTION excluded.
        let mut w = arrest();
        w.expected_collapse_to_cannulation_minutes = Some(61.0);
        assert_eq!(trials(w)[2].1, Eligibility::NotEligible);
        // Missing bystander CPR: INCEPTION undetermined.
        let mut w = arrest();
        w.bystander_cpr = None;
        assert_eq!(trials(w)[2].1, Eligibility::Undetermined);
    }

    #[test]
    fn contraindications_listed() {
        let mut w = arrest();
        w.aortic_dissection = Some(true);
        w.low_flow_minutes = Some(61.0);
        let c = contraindications(&Patient::from_wire(w).unwrap());
        assert!(c.absolute_present.contains(&"aortic dissection"));
        assert!(c.absolute_present.contains(&"CPR longer than 60 minutes"));
        let mut w = arrest();
        w.low_flow_minutes = Some(60.0);
        let c = contraindications(&Patient::from_wire(w).unwrap());
        assert!(!c.absolute_present.contains(&"CPR longer than 60 minutes"));
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
