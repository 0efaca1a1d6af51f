//! SCAI SHOCK stage (2022 update, Naidu et al.), with the cardiac-arrest modifier, from the
//! patient's data. Criteria are those of the 2019 statement (Baran et al.) as refined in 2022,
//! as reproduced in the project's clinical reference. Mortality by stage: Jentzer 2019.

use crate::citation::{JENTZER_2019, SCAI_2019, SCAI_2022};
use crate::error::ClinicalError;
use crate::patient::Patient;
use crate::scores::num;
use serde::Serialize;

/// SCAI SHOCK stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Stage {
    /// At risk.
    A,
    /// Beginning shock.
    B,
    /// Classic shock.
    C,
    /// Deteriorating.
    D,
    /// Extremis.
    E,
}

impl Stage {
    /// SCAI name of the stage.
    pub fn label(self) -> &'static str {
        match self {
            Stage::A => "at risk",
            Stage::B => "beginning",
            Stage::C => "classic",
            Stage::D => "deteriorating",
            Stage::E => "extremis",
        }
    }

    /// In-hospital mortality by stage in a cardiac ICU cohort, % (Jentzer 2019):
    /// A 3.0, B 7.1, C 12.4, D 40.4, E 67.0.
    pub fn mortality_percent(self) -> f64 {
        match self {
            Stage::A => 3.0,
            Stage::B => 7.1,
            Stage::C => 12.4,
            Stage::D => 40.4,
            Stage::E => 67.0,
        }
    }

    /// One letter.
    pub fn letter(self) -> &'static str {
        match self {
            Stage::A => "A",
            Stage::B => "B",
            Stage::C => "C",
            Stage::D => "D",
            Stage::E => "E",
        }
    }
}

/// A criterion that placed the stage (a combination of findings), with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCriterion {
    /// Stage the criterion belongs to.
    pub stage: Stage,
    /// The criterion, with the patient's values.
    pub criterion: String,
    /// Source.
    pub citation: String,
}

/// A single abnormal value: reported as a finding, never a stage by itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The finding with the patient's value.
    pub finding: String,
    /// The stage whose *typical findings* list it (Baran 2019).
    pub typical_of: Stage,
    /// Source.
    pub citation: String,
}

/// Mortality by stage, printed only with its caveat.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageMortality {
    /// In-hospital mortality of the stage in Jentzer's cohort, %.
    pub percent: f64,
    /// Why it is not this patient's risk.
    pub caveat: &'static str,
    /// Source.
    pub citation: String,
}

/// Caveat printed with every stage mortality figure.
pub const JENTZER_CAVEAT: &str = "cohort figure, not this patient's risk: Jentzer 2019 staged 10,004 Mayo Clinic cardiac-ICU patients (not only shock, not only ECMO candidates) retrospectively with its own algorithm, which differs from ecmova's reading of the SCAI definitions";

/// The staging result: the three axes of Naidu 2022 (severity stage, phenotype/aetiology,
/// risk modifiers), the combination that placed the stage, and the single findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaiResult {
    /// Stage letter.
    pub stage: Stage,
    /// Stage name.
    pub label: &'static str,
    /// Cardiac-arrest modifier "A" (cardiac arrest with coma, GCS < 9): `Some(true)` applied,
    /// `Some(false)` not applied, `None` arrest without a GCS to decide.
    pub arrest_modifier: Option<bool>,
    /// Display form, e.g. `E` or `E (A: arrest with coma)`.
    pub display: String,
    /// Hypoperfusion (lactate >= 2 mmol/L, creatinine doubled, or no circulation): `None`
    /// when it could not be decided.
    pub hypoperfusion: Option<bool>,
    /// Hypotension (SBP < 90 or MAP < 60 mmHg) or its treatment (vasoactive drugs, MCS).
    pub hypotension_or_treatment: Option<bool>,
    /// The combination(s) of findings that placed the stage, highest stage first.
    pub criteria_met: Vec<StageCriterion>,
    /// Every abnormal single value: findings, not a stage.
    pub findings: Vec<Finding>,
    /// Axis 2: phenotype / aetiology (the diagnoses; LV/RV/biventricular involvement is not
    /// in the patient format and is named as not assessed).
    pub phenotype: Vec<String>,
    /// Axis 3: risk modifiers present or noted.
    pub risk_modifiers: Vec<String>,
    /// Fields that could have moved the stage but were absent.
    pub not_assessed: Vec<&'static str>,
    /// In-hospital mortality of the stage (Jentzer 2019), with its caveat.
    pub stage_mortality: StageMortality,
    /// Source of the stage definitions.
    pub citation: String,
}

/// SCAI 2019/2022 thresholds (Baran 2019; Naidu 2022), as constants with their sources.
pub mod thresholds {
    /// Stage E: lactate >= 8 mmol/L (Naidu 2022: "typically").
    pub const E_LACTATE_MMOL_L: f64 = 8.0;
    /// Stage E: pH <= 7.2 (Baran 2019; Naidu 2022: "may include").
    pub const E_PH: f64 = 7.2;
    /// Hypoperfusion: lactate >= 2 mmol/L (Baran 2019; Naidu 2022).
    pub const C_LACTATE_MMOL_L: f64 = 2.0;
    /// Stage C typical finding: cardiac index < 2.2 L/min/m2 (Baran 2019).
    pub const C_CI: f64 = 2.2;
    /// Stage C typical finding: PCWP > 15 mmHg (Baran 2019).
    pub const C_PCWP: f64 = 15.0;
    /// Stage C typical finding: RAP/PCWP >= 0.8 (Baran 2019).
    pub const C_RAP_PCWP: f64 = 0.8;
    /// Stage C typical finding: PAPi < 1.85 (Baran 2019).
    pub const C_PAPI: f64 = 1.85;
    /// Stage C typical finding: cardiac power output <= 0.6 W (Baran 2019).
    pub const C_CPO_W: f64 = 0.6;
    /// Hypotension: SBP < 90 mmHg (Baran 2019).
    pub const B_SBP: f64 = 90.0;
    /// Hypotension: MAP < 60 mmHg (Baran 2019).
    pub const B_MAP: f64 = 60.0;
    /// Stage B: heart rate >= 100/min (Baran 2019).
    pub const B_HR: f64 = 100.0;
    /// Arrest modifier: coma, GCS < 9 (an operationalisation of "coma"; UNVERIFIED as a
    /// published cut-off).
    pub const MODIFIER_GCS: u8 = 9;
}

fn or_unknown(parts: &[Option<bool>]) -> Option<bool> {
    if parts.contains(&Some(true)) {
        Some(true)
    } else if parts.iter().all(|p| p.is_some()) {
        Some(false)
    } else {
        None
    }
}

/// Stages a patient as the published definitions read: the stage is the whole picture, not
/// one value (Baran 2019; Naidu 2022). ecmova's operationalisation (`docs/clinical-rules.md`):
///
/// - hypoperfusion H = lactate >= 2 mmol/L, or creatinine doubled, or no circulation
///   (ongoing CPR, or arrest without ROSC);
/// - hypotension or its treatment T = SBP < 90 or MAP < 60 mmHg, or >= 1 vasoactive drug,
///   or mechanical support in place;
/// - C = H and T; D = C and deterioration (escalating support, or lactate rising and >= 2);
///   E = circulatory collapse (ongoing CPR, arrest without ROSC) or C with lactate >= 8 or
///   pH <= 7.2; B = hypotension or tachycardia without H, or H without T (normotensive
///   hypoperfusion without treatment: reported, not staged C); A = none of these.
///
/// Errors name the field that is needed to decide: lactate (H), blood pressure (A/B), and
/// the vasoactive drug count when hypoperfusion with a normal blood pressure leaves B and C
/// open.
pub fn scai_stage(p: &Patient) -> Result<ScaiResult, ClinicalError> {
    use thresholds::*;
    let w = p.record();
    let c19 = SCAI_2019.cite();
    let c22 = SCAI_2022.cite();
    let mut findings: Vec<Finding> = Vec::new();
    let mut not_assessed: Vec<&'static str> = Vec::new();
    let mut find = |typical_of: Stage, finding: String, cite: &str| {
        findings.push(Finding {
            finding,
            typical_of,
            citation: cite.to_string(),
        })
    };

    // Single findings (Baran 2019 "typical findings").
    if let Some(l) = w.lactate_mmol_l {
        if l >= E_LACTATE_MMOL_L {
            find(Stage::E, format!("lactate {} mmol/L >= 8", num(l)), &c22);
        } else if l >= C_LACTATE_MMOL_L {
            find(Stage::C, format!("lactate {} mmol/L >= 2", num(l)), &c19);
        }
    }
    if let Some(ph) = w.arterial_ph {
        if ph <= E_PH {
            find(Stage::E, format!("arterial pH {} <= 7.2", num(ph)), &c19);
        }
    }
    if w.creatinine_doubled == Some(true) {
        find(
            Stage::C,
            "creatinine doubled or GFR fell > 50%".into(),
            &c19,
        );
    }
    let mut hemo = |field: &'static str,
                    v: Option<f64>,
                    hit: &dyn Fn(f64) -> bool,
                    text: &dyn Fn(f64) -> String| {
        match v {
            Some(x) if hit(x) => find(Stage::C, text(x), &c19),
            Some(_) => {}
            None => not_assessed.push(field),
        }
    };
    hemo(
        "cardiac_index_l_min_m2",
        w.cardiac_index_l_min_m2,
        &|x| x < C_CI,
        &|x| format!("cardiac index {} L/min/m2 < 2.2", num(x)),
    );
    hemo("pcwp_mmhg", w.pcwp_mmhg, &|x| x > C_PCWP, &|x| {
        format!("PCWP {} mmHg > 15", num(x))
    });
    hemo("papi", w.papi, &|x| x < C_PAPI, &|x| {
        format!("PAPi {} < 1.85", num(x))
    });
    hemo(
        "cardiac_power_output_w",
        w.cardiac_power_output_w,
        &|x| x <= C_CPO_W,
        &|x| format!("cardiac power output {} W <= 0.6", num(x)),
    );
    if let (Some(rap), Some(pcwp)) = (w.right_atrial_pressure_mmhg, w.pcwp_mmhg) {
        if pcwp > 0.0 && rap / pcwp >= C_RAP_PCWP {
            find(Stage::C, format!("RAP/PCWP {:.2} >= 0.8", rap / pcwp), &c19);
        }
    }
    // Operationalised by this project: without a systolic pressure, diastolic pressure plus
    // pulse pressure is one (their definition; registries that collect the SAVE score's
    // inputs give those two). Said in the finding.
    let derived_sbp = match (
        w.systolic_bp_mmhg,
        w.diastolic_bp_mmhg,
        w.pulse_pressure_mmhg,
    ) {
        (None, Some(d), Some(pp)) => Some(d + pp),
        _ => None,
    };
    let sbp = w.systolic_bp_mmhg.or(derived_sbp);
    let sbp_txt = |s: f64| match (derived_sbp, w.diastolic_bp_mmhg, w.pulse_pressure_mmhg) {
        (Some(_), Some(d), Some(pp)) => format!(
            "systolic BP {} mmHg (diastolic {} + pulse pressure {})",
            num(s),
            num(d),
            num(pp)
        ),
        _ => format!("systolic BP {} mmHg", num(s)),
    };
    let sbp_low = sbp.map(|s| s < B_SBP);
    let map_low = w.mean_arterial_pressure_mmhg.map(|m| m < B_MAP);
    let tachy = w.heart_rate_bpm.map(|h| h >= B_HR);
    if let (Some(true), Some(s)) = (sbp_low, sbp) {
        find(Stage::B, format!("{} < 90", sbp_txt(s)), &c19);
    }
    if let (Some(true), Some(m)) = (map_low, w.mean_arterial_pressure_mmhg) {
        find(Stage::B, format!("MAP {} mmHg < 60", num(m)), &c19);
    }
    if let (Some(true), Some(h)) = (tachy, w.heart_rate_bpm) {
        find(Stage::B, format!("heart rate {} /min >= 100", num(h)), &c19);
    }

    // The combinations.
    let collapse = w.ongoing_cpr == Some(true)
        || (w.cardiac_arrest_before_ecmo == Some(true) && w.rosc_achieved == Some(false));
    let lactate_h = w.lactate_mmol_l.map(|l| l >= C_LACTATE_MMOL_L);
    let h = if collapse || w.creatinine_doubled == Some(true) {
        Some(true)
    } else {
        lactate_h
    };
    let drugs = w.vasoactive_drugs_count.map(|n| n >= 1);
    let hypotension = match (sbp_low, map_low) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (None, None) => None,
        _ => Some(false),
    };
    let treatment = or_unknown(&[drugs, w.mechanical_support_in_place]);
    let t = match (hypotension, treatment) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        (Some(false), None) if drugs == Some(false) => Some(false),
        _ => None,
    };
    let mut criteria: Vec<StageCriterion> = Vec::new();
    let mut crit = |stage: Stage, criterion: String, cite: &str| {
        criteria.push(StageCriterion {
            stage,
            criterion,
            citation: cite.to_string(),
        })
    };
    let lactate_txt = w
        .lactate_mmol_l
        .map(|l| format!("lactate {} mmol/L", num(l)))
        .unwrap_or_else(|| "lactate not given".into());
    let t_txt = {
        let mut v = Vec::new();
        if let Some(s) = sbp {
            v.push(if derived_sbp.is_some() {
                format!("SBP {} mmHg (diastolic + pulse pressure)", num(s))
            } else {
                format!("SBP {} mmHg", num(s))
            });
        }
        if let Some(m) = w.mean_arterial_pressure_mmhg {
            v.push(format!("MAP {} mmHg", num(m)));
        }
        if let Some(n) = w.vasoactive_drugs_count {
            v.push(format!("{n} vasoactive drug(s)"));
        }
        if w.mechanical_support_in_place == Some(true) {
            v.push("mechanical support in place".into());
        }
        v.join(", ")
    };
    let stage = if collapse {
        crit(
            Stage::E,
            if w.ongoing_cpr == Some(true) {
                "circulatory collapse: ongoing CPR".into()
            } else {
                "circulatory collapse: cardiac arrest without ROSC".into()
            },
            &c22,
        );
        Stage::E
    } else {
        match (h, t) {
            (Some(true), Some(true)) => {
                crit(
                    Stage::C,
                    format!("hypoperfusion ({lactate_txt}{}) with hypotension or its treatment ({t_txt})",
                        if w.creatinine_doubled == Some(true) { ", creatinine doubled" } else { "" }),
                    &c22,
                );
                let mut st = Stage::C;
                if w.escalating_support == Some(true) {
                    crit(Stage::D, "stage C deteriorating: support escalated (more drugs or added mechanical support)".into(), &c22);
                    st = Stage::D;
                }
                if w.lactate_rising == Some(true) && lactate_h == Some(true) {
                    crit(
                        Stage::D,
                        format!(
                            "stage C deteriorating: {lactate_txt} and rising despite treatment"
                        ),
                        &c22,
                    );
                    st = Stage::D;
                }
                let extreme_lactate = w.lactate_mmol_l.is_some_and(|l| l >= E_LACTATE_MMOL_L);
                let extreme_ph = w.arterial_ph.is_some_and(|x| x <= E_PH);
                if extreme_lactate || extreme_ph {
                    crit(
                        Stage::E,
                        format!(
                            "shock in extremis: {}",
                            [
                                extreme_lactate.then(|| format!("{lactate_txt} >= 8")),
                                extreme_ph.then(|| format!(
                                    "pH {} <= 7.2",
                                    w.arterial_ph.map(num).unwrap_or_default()
                                )),
                            ]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" and ")
                        ),
                        &c22,
                    );
                    st = Stage::E;
                }
                st
            }
            (Some(true), Some(false)) => {
                crit(
                    Stage::B,
                    format!("hypoperfusion ({lactate_txt}) without hypotension or vasoactive/mechanical treatment ({t_txt}): normotensive hypoperfusion, not staged C by ecmova; reassess"),
                    &c22,
                );
                Stage::B
            }
            (Some(true), None) => {
                return Err(ClinicalError::Missing {
                    field: "vasoactive_drugs_count",
                    needed_by: "SCAI SHOCK staging",
                    hint: Some("hypoperfusion with a normal or absent blood pressure: stage B or C depends on whether vasoactive drugs or mechanical support are running (give 0 if none)"),
                });
            }
            (None, _) => {
                return Err(ClinicalError::Missing {
                    field: "lactate_mmol_l",
                    needed_by: "SCAI SHOCK staging",
                    hint: Some("hypoperfusion decides every stage above B; no other marker of it was given"),
                });
            }
            (Some(false), _) => {
                if hypotension.is_none()
                    && drugs != Some(true)
                    && w.mechanical_support_in_place != Some(true)
                {
                    return Err(ClinicalError::Missing {
                        field: "systolic_bp_mmhg",
                        needed_by: "SCAI SHOCK staging",
                        hint: Some("or mean_arterial_pressure_mmhg: stages A and B are defined by blood pressure"),
                    });
                }
                if hypotension == Some(true) || tachy == Some(true) || t == Some(true) {
                    crit(
                        Stage::B,
                        format!("haemodynamic instability without hypoperfusion ({lactate_txt}; {t_txt}{})",
                            if tachy == Some(true) { ", tachycardia" } else { "" }),
                        &c22,
                    );
                    Stage::B
                } else {
                    Stage::A
                }
            }
        }
    };
    criteria.sort_by_key(|c| std::cmp::Reverse(c.stage));
    findings.sort_by_key(|c| std::cmp::Reverse(c.typical_of));

    let arrest = w.cardiac_arrest_before_ecmo == Some(true) || w.ongoing_cpr == Some(true);
    let coma = w.gcs.map(|g| g < MODIFIER_GCS);
    let arrest_modifier = if arrest { coma } else { Some(false) };
    let display = match arrest_modifier {
        Some(true) => format!("{} (A: cardiac arrest with coma)", stage.letter()),
        None => format!(
            "{} (arrest modifier undetermined: gcs missing)",
            stage.letter()
        ),
        Some(false) => stage.letter().to_string(),
    };
    let mut phenotype: Vec<String> = p.diagnoses().iter().map(|d| d.name().to_string()).collect();
    phenotype
        .push("ventricular involvement (LV, RV, biventricular): not in the patient format".into());
    let mut risk_modifiers = Vec::new();
    match arrest_modifier {
        Some(true) => risk_modifiers.push("cardiac arrest with coma (A modifier)".to_string()),
        None => {
            risk_modifiers.push("cardiac arrest; coma not assessable (gcs missing)".to_string())
        }
        Some(false) if arrest => risk_modifiers.push("cardiac arrest without coma".to_string()),
        _ => {}
    }
    risk_modifiers.push(format!("age {} years", p.completed_years()));
    if w.rv_failure == Some(true) {
        risk_modifiers.push("right-ventricular failure".into());
    }
    Ok(ScaiResult {
        stage,
        label: stage.label(),
        arrest_modifier,
        display,
        hypoperfusion: h,
        hypotension_or_treatment: t,
        criteria_met: criteria,
        findings,
        phenotype,
        risk_modifiers,
        not_assessed,
        stage_mortality: StageMortality {
            percent: stage.mortality_percent(),
            caveat: JENTZER_CAVEAT,
            citation: JENTZER_2019.cite(),
        },
        citation: format!("{c22}; {c19}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patient::{Diagnosis, Sex};
    use crate::wire::PatientJson;

    fn base() -> PatientJson {
        PatientJson {
            age_years: Some(60.0),
            sex: Some(Sex::Male),
            weight_kg: Some(80.0),
            height_cm: Some(175.0),
            diagnoses: Some(vec![Diagnosis::AcuteMyocardialInfarction]),
            lactate_mmol_l: Some(1.0),
            systolic_bp_mmhg: Some(120.0),
            heart_rate_bpm: Some(80.0),
            ..Default::default()
        }
    }

    fn check(f: impl Fn(&mut PatientJson), stage: Stage) {
        let mut w = base();
        f(&mut w);
        let r = scai_stage(&Patient::from_wire(w).unwrap()).unwrap();
        assert_eq!(r.stage, stage, "{:?}", r.criteria_met);
    }

    /// Without a systolic pressure, diastolic plus pulse pressure is one (the project's
    /// operationalisation, said in the finding): a registry row with DBP 42, pulse pressure
    /// 25 and lactate 3.5 is hypotensive with hypoperfusion, stage C, not undetermined.
    #[test]
    fn systolic_pressure_from_diastolic_and_pulse_pressure() {
        let mut w = base();
        w.systolic_bp_mmhg = None;
        w.diastolic_bp_mmhg = Some(42.0);
        w.pulse_pressure_mmhg = Some(25.0);
        w.lactate_mmol_l = Some(3.5);
        let r = scai_stage(&Patient::from_wire(w.clone()).unwrap()).unwrap();
        assert_eq!(r.stage, Stage::C, "{:?}", r.criteria_met);
        assert!(
            r.findings.iter().any(|f| f
                .finding
                .contains("systolic BP 67 mmHg (diastolic 42 + pulse pressure 25)")),
            "{:?}",
            r.findings
        );
        // A given systolic pressure wins over the derived one.
        w.systolic_bp_mmhg = Some(120.0);
        w.lactate_mmol_l = Some(1.0);
        let r = scai_stage(&Patient::from_wire(w).unwrap()).unwrap();
        assert_eq!(r.stage, Stage::A, "{:?}", r.criteria_met);
    }

    #[test]
    fn stages_both_sides() {
        // Normal picture: A. Single values are findings, not stages.
        check(|_| {}, Stage::A);
        check(|w| w.systolic_bp_mmhg = Some(90.0), Stage::A);
        check(|w| w.systolic_bp_mmhg = Some(89.0), Stage::B);
        check(|w| w.mean_arterial_pressure_mmhg = Some(60.0), Stage::A);
        check(|w| w.mean_arterial_pressure_mmhg = Some(59.0), Stage::B);
        check(|w| w.heart_rate_bpm = Some(99.0), Stage::A);
        check(|w| w.heart_rate_bpm = Some(100.0), Stage::B);
        check(|w| w.pcwp_mmhg = Some(18.0), Stage::A);
        check(|w| w.cardiac_index_l_min_m2 = Some(1.8), Stage::A);
        check(|w| w.arterial_ph = Some(7.15), Stage::A);
        // Hypoperfusion alone, untreated and normotensive: B (reported).
        check(
            |w| {
                w.lactate_mmol_l = Some(2.0);
                w.vasoactive_drugs_count = Some(0)
            },
            Stage::B,
        );
        // Hypoperfusion with hypotension: C on both sides of the lactate threshold.
        let shock = |w: &mut PatientJson| {
            w.systolic_bp_mmhg = Some(80.0);
            w.lactate_mmol_l = Some(2.0);
        };
        check(shock, Stage::C);
        check(
            |w| {
                shock(w);
                w.lactate_mmol_l = Some(1.9)
            },
            Stage::B,
        );
        // Treatment instead of hypotension.
        check(
            |w| {
                w.lactate_mmol_l = Some(3.0);
                w.vasoactive_drugs_count = Some(1)
            },
            Stage::C,
        );
        check(
            |w| {
                shock(w);
                w.lactate_mmol_l = Some(3.0);
                w.lactate_rising = Some(true)
            },
            Stage::D,
        );
        check(
            |w| {
                shock(w);
                w.escalating_support = Some(true)
            },
            Stage::D,
        );
        // Escalation without hypoperfusion is not D.
        check(|w| w.escalating_support = Some(true), Stage::A);
        check(
            |w| {
                shock(w);
                w.lactate_mmol_l = Some(7.9)
            },
            Stage::C,
        );
        check(
            |w| {
                shock(w);
                w.lactate_mmol_l = Some(8.0)
            },
            Stage::E,
        );
        check(
            |w| {
                shock(w);
                w.arterial_ph = Some(7.21)
            },
            Stage::C,
        );
        check(
            |w| {
                shock(w);
                w.arterial_ph = Some(7.2)
            },
            Stage::E,
        );
        check(
            |w| {
                w.cardiac_arrest_before_ecmo = Some(true);
                w.ongoing_cpr = Some(true)
            },
            Stage::E,
        );
    }

    #[test]
    fn normotensive_hypoperfusion_without_drug_count_is_an_error() {
        let mut w = base();
        w.lactate_mmol_l = Some(3.0);
        let e = scai_stage(&Patient::from_wire(w).unwrap()).unwrap_err();
        assert_eq!(e.field(), "vasoactive_drugs_count");
    }

    #[test]
    fn arrest_modifier() {
        let mut w = base();
        w.cardiac_arrest_before_ecmo = Some(true);
        w.gcs = Some(8);
        let r = scai_stage(&Patient::from_wire(w.clone()).unwrap()).unwrap();
        assert_eq!(r.arrest_modifier, Some(true));
        w.gcs = Some(9);
        let r = scai_stage(&Patient::from_wire(w.clone()).unwrap()).unwrap();
        assert_eq!(r.arrest_modifier, Some(false));
        w.gcs = None;
        let r = scai_stage(&Patient::from_wire(w).unwrap()).unwrap();
        assert_eq!(r.arrest_modifier, None);
    }

    #[test]
    fn too_little_data_is_an_error() {
        let mut w = base();
        w.lactate_mmol_l = None;
        let e = scai_stage(&Patient::from_wire(w).unwrap()).unwrap_err();
        assert_eq!(e.field(), "lactate_mmol_l");
    }
}
