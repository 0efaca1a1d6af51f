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

/// A criterion that was met, and the stage it points to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageCriterion {
    /// Stage the criterion belongs to.
    pub stage: Stage,
    /// The criterion, with the patient's value.
    pub criterion: String,
    /// Source.
    pub citation: String,
}

/// The staging result.
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
    /// Every criterion met, highest stage first.
    pub criteria_met: Vec<StageCriterion>,
    /// Fields that could have moved the stage but were absent.
    pub not_assessed: Vec<&'static str>,
    /// In-hospital mortality of the stage in a cardiac ICU cohort (Jentzer 2019), %.
    pub mortality_percent: f64,
    /// Source of the mortality figure.
    pub mortality_citation: String,
    /// Source of the stage definitions.
    pub citation: String,
}

/// SCAI 2019/2022 thresholds (Baran 2019; Naidu 2022), as constants with their sources.
pub mod thresholds {
    /// Stage E: lactate >= 8 mmol/L (Naidu 2022: "typically").
    pub const E_LACTATE_MMOL_L: f64 = 8.0;
    /// Stage E: pH <= 7.2 (Baran 2019; Naidu 2022: "may include").
    pub const E_PH: f64 = 7.2;
    /// Stage C/D: lactate >= 2 mmol/L (Baran 2019; Naidu 2022).
    pub const C_LACTATE_MMOL_L: f64 = 2.0;
    /// Stage C: cardiac index < 2.2 L/min/m2 (Baran 2019).
    pub const C_CI: f64 = 2.2;
    /// Stage C: PCWP > 15 mmHg (Baran 2019).
    pub const C_PCWP: f64 = 15.0;
    /// Stage C: RAP/PCWP >= 0.8 (Baran 2019).
    pub const C_RAP_PCWP: f64 = 0.8;
    /// Stage C: PAPi < 1.85 (Baran 2019).
    pub const C_PAPI: f64 = 1.85;
    /// Stage C: cardiac power output <= 0.6 W (Baran 2019).
    pub const C_CPO_W: f64 = 0.6;
    /// Stage B: SBP < 90 mmHg (Baran 2019).
    pub const B_SBP: f64 = 90.0;
    /// Stage B: MAP < 60 mmHg (Baran 2019).
    pub const B_MAP: f64 = 60.0;
    /// Stage B: heart rate >= 100/min (Baran 2019).
    pub const B_HR: f64 = 100.0;
    /// Arrest modifier: coma, GCS < 9 (Naidu 2022).
    pub const MODIFIER_GCS: u8 = 9;
}

/// Stages a patient. Needs at least a lactate and a blood pressure (systolic or mean) to call
/// stage A or B (their definitions require normal values); any criterion of C-E stages it
/// without them.
pub fn scai_stage(p: &Patient) -> Result<ScaiResult, ClinicalError> {
    use thresholds::*;
    let w = p.record();
    let c19 = SCAI_2019.cite();
    let c22 = SCAI_2022.cite();
    let mut met: Vec<StageCriterion> = Vec::new();
    let mut not_assessed: Vec<&'static str> = Vec::new();
    let mut add = |stage: Stage, criterion: String, cite: &str| {
        met.push(StageCriterion {
            stage,
            criterion,
            citation: cite.to_string(),
        })
    };

    // E
    if w.ongoing_cpr == Some(true) {
        add(Stage::E, "ongoing CPR (circulatory collapse)".into(), &c22);
    }
    if let Some(l) = w.lactate_mmol_l {
        if l >= E_LACTATE_MMOL_L {
            add(Stage::E, format!("lactate {} mmol/L >= 8", num(l)), &c22);
        }
    }
    if let Some(ph) = w.arterial_ph {
        if ph <= E_PH {
            add(Stage::E, format!("arterial pH {} <= 7.2", num(ph)), &c22);
        }
    }
    // D
    if w.lactate_rising == Some(true) {
        match w.lactate_mmol_l {
            Some(l) if l >= C_LACTATE_MMOL_L => add(
                Stage::D,
                format!(
                    "lactate rising and {} mmol/L >= 2 despite treatment",
                    num(l)
                ),
                &c22,
            ),
            _ => {}
        }
    }
    if w.escalating_support == Some(true) {
        add(
            Stage::D,
            "escalating vasoactive drugs or added mechanical support".into(),
            &c22,
        );
    }
    // C
    if let Some(l) = w.lactate_mmol_l {
        if l >= C_LACTATE_MMOL_L {
            add(
                Stage::C,
                format!("lactate {} mmol/L >= 2 (hypoperfusion)", num(l)),
                &c19,
            );
        }
    }
    if w.creatinine_doubled == Some(true) {
        add(
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
            Some(x) if hit(x) => add(Stage::C, text(x), &c19),
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
            add(Stage::C, format!("RAP/PCWP {:.2} >= 0.8", rap / pcwp), &c19);
        }
    }
    if let Some(n) = w.vasoactive_drugs_count {
        if n >= 1 {
            add(
                Stage::C,
                format!("{n} vasoactive drug(s): intervention beyond volume"),
                &c22,
            );
        }
    }
    if w.mechanical_support_in_place == Some(true) {
        add(
            Stage::C,
            "mechanical circulatory support in place: intervention beyond volume".into(),
            &c22,
        );
    }
    // B
    if let Some(s) = w.systolic_bp_mmhg {
        if s < B_SBP {
            add(Stage::B, format!("systolic BP {} mmHg < 90", num(s)), &c19);
        }
    }
    if let Some(m) = w.mean_arterial_pressure_mmhg {
        if m < B_MAP {
            add(Stage::B, format!("MAP {} mmHg < 60", num(m)), &c19);
        }
    }
    if let Some(hr) = w.heart_rate_bpm {
        if hr >= B_HR {
            add(
                Stage::B,
                format!("heart rate {} /min >= 100", num(hr)),
                &c19,
            );
        }
    }

    met.sort_by_key(|c| std::cmp::Reverse(c.stage));
    let stage = met.first().map(|c| c.stage).unwrap_or(Stage::A);
    if stage <= Stage::B {
        if w.lactate_mmol_l.is_none() {
            return Err(ClinicalError::Missing {
                field: "lactate_mmol_l",
                needed_by: "SCAI SHOCK staging",
                hint: Some(
                    "stages A and B require a normal lactate; no stage C-E criterion was met",
                ),
            });
        }
        if w.systolic_bp_mmhg.is_none() && w.mean_arterial_pressure_mmhg.is_none() {
            return Err(ClinicalError::Missing {
                field: "systolic_bp_mmhg",
                needed_by: "SCAI SHOCK staging",
                hint: Some(
                    "or mean_arterial_pressure_mmhg: stages A and B are defined by blood pressure",
                ),
            });
        }
    }
    let arrest = w.cardiac_arrest_before_ecmo == Some(true) || w.ongoing_cpr == Some(true);
    let arrest_modifier = if arrest {
        w.gcs.map(|g| g < MODIFIER_GCS)
    } else {
        Some(false)
    };
    let display = match arrest_modifier {
        Some(true) => format!("{} (A: cardiac arrest with coma)", stage.letter()),
        None => format!(
            "{} (arrest modifier undetermined: gcs missing)",
            stage.letter()
        ),
        Some(false) => stage.letter().to_string(),
    };
    Ok(ScaiResult {
        stage,
        label: stage.label(),
        arrest_modifier,
        display,
        criteria_met: met,
        not_assessed,
        mortality_percent: stage.mortality_percent(),
        mortality_citation: JENTZER_2019.cite(),
        citation: c22,
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

    #[test]
    fn stages_both_sides() {
        check(|_| {}, Stage::A);
        check(|w| w.systolic_bp_mmhg = Some(90.0), Stage::A);
        check(|w| w.systolic_bp_mmhg = Some(89.0), Stage::B);
        check(|w| w.mean_arterial_pressure_mmhg = Some(60.0), Stage::A);
        check(|w| w.mean_arterial_pressure_mmhg = Some(59.0), Stage::B);
        check(|w| w.heart_rate_bpm = Some(99.0), Stage::A);
        check(|w| w.heart_rate_bpm = Some(100.0), Stage::B);
        check(|w| w.lactate_mmol_l = Some(1.9), Stage::A);
        check(|w| w.lactate_mmol_l = Some(2.0), Stage::C);
        check(|w| w.cardiac_index_l_min_m2 = Some(2.2), Stage::A);
        check(|w| w.cardiac_index_l_min_m2 = Some(2.1), Stage::C);
        check(|w| w.pcwp_mmhg = Some(15.0), Stage::A);
        check(|w| w.pcwp_mmhg = Some(16.0), Stage::C);
        check(|w| w.papi = Some(1.85), Stage::A);
        check(|w| w.papi = Some(1.8), Stage::C);
        check(|w| w.cardiac_power_output_w = Some(0.61), Stage::A);
        check(|w| w.cardiac_power_output_w = Some(0.6), Stage::C);
        check(|w| w.vasoactive_drugs_count = Some(1), Stage::C);
        check(|w| w.vasoactive_drugs_count = Some(0), Stage::A);
        check(
            |w| {
                w.lactate_mmol_l = Some(3.0);
                w.lactate_rising = Some(true)
            },
            Stage::D,
        );
        check(
            |w| {
                w.lactate_mmol_l = Some(1.5);
                w.lactate_rising = Some(true)
            },
            Stage::A,
        );
        check(|w| w.escalating_support = Some(true), Stage::D);
        check(|w| w.lactate_mmol_l = Some(7.9), Stage::C);
        check(|w| w.lactate_mmol_l = Some(8.0), Stage::E);
        check(|w| w.arterial_ph = Some(7.21), Stage::A);
        check(|w| w.arterial_ph = Some(7.2), Stage::E);
        check(
            |w| {
                w.cardiac_arrest_before_ecmo = Some(true);
                w.ongoing_cpr = Some(true)
            },
            Stage::E,
        );
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
