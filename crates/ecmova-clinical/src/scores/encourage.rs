//! ENCOURAGE score, Muller et al., Intensive Care Med 2016;42:370: acute myocardial infarction
//! with cardiogenic shock on VA-ECMO (138 patients). No constant; range 0-45.
//!
//! Every threshold and point value is from that paper as reproduced in the project's clinical
//! reference.

use super::{num, yes_no, ScoreItem, ScoreResult};
use crate::citation::ENCOURAGE;
use crate::error::ClinicalError;
use crate::patient::{Derivation, Diagnosis, Patient, Sex};

/// Lowest total (Muller 2016).
pub const MIN: i32 = 0;
/// Highest total: 5 + 7 + 6 + 6 + 5 + 11 + 5 (Muller 2016).
pub const MAX: i32 = 45;

/// Typed input of ENCOURAGE. Build it with [`EncourageInput::from_patient`].
#[derive(Debug, Clone, PartialEq)]
pub struct EncourageInput {
    /// Age in completed years.
    pub age_years: u32,
    /// Sex.
    pub sex: Sex,
    /// BMI, kg/m2.
    pub bmi_kg_m2: f64,
    /// Glasgow coma scale before ECMO.
    pub gcs: u8,
    /// Creatinine, umol/L.
    pub creatinine_umol_l: f64,
    /// Lactate, mmol/L.
    pub lactate_mmol_l: f64,
    /// Prothrombin activity, %.
    pub prothrombin_activity_percent: f64,
}

const NEEDED_BY: &str = "the ENCOURAGE score";

fn need<T>(field: &'static str, v: Option<T>) -> Result<T, ClinicalError> {
    v.ok_or(ClinicalError::Missing {
        field,
        needed_by: NEEDED_BY,
        hint: None,
    })
}

impl EncourageInput {
    /// Takes the ENCOURAGE inputs from a patient; BMI is computed from weight and height when
    /// absent (returned as a derivation). Any other missing value is an error naming it.
    pub fn from_patient(p: &Patient) -> Result<(EncourageInput, Vec<Derivation>), ClinicalError> {
        let w = p.record();
        let (bmi, d) = p.bmi();
        let input = EncourageInput {
            age_years: p.completed_years(),
            sex: p.sex,
            bmi_kg_m2: bmi,
            gcs: need("gcs", w.gcs)?,
            creatinine_umol_l: need("creatinine_umol_l", w.creatinine_umol_l)?,
            lactate_mmol_l: need("lactate_mmol_l", w.lactate_mmol_l)?,
            prothrombin_activity_percent: need(
                "prothrombin_activity_percent",
                w.prothrombin_activity_percent,
            )?,
        };
        Ok((input, d.into_iter().collect()))
    }
}

/// Lactate points: < 2 mmol/L 0, 2-8 mmol/L 8, > 8 mmol/L 11 (Muller 2016).
pub fn lactate_points(lactate: f64) -> (i32, &'static str) {
    if lactate < 2.0 {
        (0, "< 2 mmol/L")
    } else if lactate <= 8.0 {
        (8, "2-8 mmol/L")
    } else {
        (11, "> 8 mmol/L")
    }
}

/// Class (score band) and 6-month survival (Muller 2016): 0-12 80%, 13-18 58%, 19-22 25%,
/// 23-27 20%, >= 28 7%.
pub fn class_of(score: i32) -> (&'static str, f64) {
    match score {
        i32::MIN..=12 => ("0-12", 80.0),
        13..=18 => ("13-18", 58.0),
        19..=22 => ("19-22", 25.0),
        23..=27 => ("23-27", 20.0),
        _ => (">=28", 7.0),
    }
}

/// Computes ENCOURAGE. Total for any input; the total stays within 0..=45.
pub fn encourage_score(i: &EncourageInput) -> ScoreResult {
    let c = ENCOURAGE.cite();
    let item = |item: &'static str, value: String, criterion: &str, points: i32| ScoreItem {
        item,
        value,
        criterion: criterion.to_string(),
        points,
        citation: c.clone(),
    };
    let band = |hit: bool, pts: i32, yes: &str, no: &str| -> (i32, String) {
        if hit {
            (pts, yes.to_string())
        } else {
            (0, no.to_string())
        }
    };
    let mut items = Vec::new();
    let (p, cr) = band(i.age_years > 60, 5, "> 60 years +5", "<= 60 years 0");
    items.push(item("age", format!("{} years", i.age_years), &cr, p));
    let female = i.sex == Sex::Female;
    let (p, cr) = band(female, 7, "female +7", "male 0");
    items.push(item("female_sex", yes_no(female), &cr, p));
    let (p, cr) = band(i.bmi_kg_m2 > 25.0, 6, "> 25 kg/m2 +6", "<= 25 kg/m2 0");
    items.push(item("bmi", format!("{:.1} kg/m2", i.bmi_kg_m2), &cr, p));
    let (p, cr) = band(i.gcs < 6, 6, "< 6 +6", ">= 6 0");
    items.push(item("gcs", i.gcs.to_string(), &cr, p));
    let (p, cr) = band(
        i.creatinine_umol_l > 150.0,
        5,
        "> 150 umol/L +5",
        "<= 150 umol/L 0",
    );
    items.push(item(
        "creatinine",
        format!("{} umol/L", num(i.creatinine_umol_l)),
        &cr,
        p,
    ));
    let (p, cr) = lactate_points(i.lactate_mmol_l);
    items.push(item(
        "lactate",
        format!("{} mmol/L", num(i.lactate_mmol_l)),
        cr,
        p,
    ));
    let (p, cr) = band(
        i.prothrombin_activity_percent < 50.0,
        5,
        "< 50% +5",
        ">= 50% 0",
    );
    items.push(item(
        "prothrombin_activity",
        format!("{}%", num(i.prothrombin_activity_percent)),
        &cr,
        p,
    ));

    let score: i32 = items.iter().map(|i| i.points).sum();
    let (class, survival) = class_of(score);
    ScoreResult {
        name: "ENCOURAGE",
        score,
        range: [MIN, MAX],
        class: class.to_string(),
        survival_percent: None,
        survival_6m_percent: Some(survival),
        in_hospital_mortality_percent: None,
        cpc_1_2_30d_percent: None,
        outcome: "6-month survival of the score band in the derivation cohort (138 AMI patients on VA-ECMO); no constant".into(),
        items,
        derived: Vec::new(),
        warnings: Vec::new(),
        citation: c,
    }
}

/// ENCOURAGE of a validated patient, with derivations and an applicability warning when the
/// patient has no acute myocardial infarction (the derivation population).
pub fn encourage(p: &Patient) -> Result<ScoreResult, ClinicalError> {
    let (input, derived) = EncourageInput::from_patient(p)?;
    let mut r = encourage_score(&input);
    r.derived = derived;
    if !p.has(Diagnosis::AcuteMyocardialInfarction) {
        r.warnings.push(
            "ENCOURAGE was derived in acute myocardial infarction with cardiogenic shock; this patient has no acute_myocardial_infarction diagnosis".into(),
        );
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every item 0: age 50, male, BMI 22, GCS 15, creatinine 80, lactate 1, PT 90.
    fn neutral() -> EncourageInput {
        EncourageInput {
            age_years: 50,
            sex: Sex::Male,
            bmi_kg_m2: 22.0,
            gcs: 15,
            creatinine_umol_l: 80.0,
            lactate_mmol_l: 1.0,
            prothrombin_activity_percent: 90.0,
        }
    }

    fn check(f: impl Fn(&mut EncourageInput), item: &str, points: i32) {
        let mut i = neutral();
        f(&mut i);
        let r = encourage_score(&i);
        let it = r
            .items
            .iter()
            .find(|x| x.item == item)
            .expect("item listed");
        assert_eq!(it.points, points, "item {item}: {it:?}");
        assert_eq!(r.score, points, "total for {item} (no constant)");
    }

    #[test]
    fn neutral_is_zero() {
        assert_eq!(encourage_score(&neutral()).score, 0);
        assert_eq!(encourage_score(&neutral()).items.len(), 7);
    }

    #[test]
    fn each_item_both_sides() {
        check(|i| i.age_years = 60, "age", 0);
        check(|i| i.age_years = 61, "age", 5);
        check(|i| i.sex = Sex::Female, "female_sex", 7);
        check(|i| i.sex = Sex::Male, "female_sex", 0);
        check(|i| i.bmi_kg_m2 = 25.0, "bmi", 0);
        check(|i| i.bmi_kg_m2 = 25.1, "bmi", 6);
        check(|i| i.gcs = 6, "gcs", 0);
        check(|i| i.gcs = 5, "gcs", 6);
        check(|i| i.gcs = 3, "gcs", 6);
        check(|i| i.creatinine_umol_l = 150.0, "creatinine", 0);
        check(|i| i.creatinine_umol_l = 151.0, "creatinine", 5);
        check(|i| i.lactate_mmol_l = 1.9, "lactate", 0);
        check(|i| i.lactate_mmol_l = 2.0, "lactate", 8);
        check(|i| i.lactate_mmol_l = 8.0, "lactate", 8);
        check(|i| i.lactate_mmol_l = 8.1, "lactate", 11);
        check(
            |i| i.prothrombin_activity_percent = 50.0,
            "prothrombin_activity",
            0,
        );
        check(
            |i| i.prothrombin_activity_percent = 49.0,
            "prothrombin_activity",
            5,
        );
    }

    #[test]
    fn class_boundaries() {
        for (s, class, surv) in [
            (0, "0-12", 80.0),
            (12, "0-12", 80.0),
            (13, "13-18", 58.0),
            (18, "13-18", 58.0),
            (19, "19-22", 25.0),
            (22, "19-22", 25.0),
            (23, "23-27", 20.0),
            (27, "23-27", 20.0),
            (28, ">=28", 7.0),
            (45, ">=28", 7.0),
        ] {
            assert_eq!(class_of(s), (class, surv), "score {s}");
        }
    }

    #[test]
    fn maximum_is_45() {
        let i = EncourageInput {
            age_years: 70,
            sex: Sex::Female,
            bmi_kg_m2: 30.0,
            gcs: 3,
            creatinine_umol_l: 300.0,
            lactate_mmol_l: 12.0,
            prothrombin_activity_percent: 20.0,
        };
        assert_eq!(encourage_score(&i).score, MAX);
    }

    proptest! {
        #[test]
        fn score_within_published_range(
            age in 0u32..=120, female in any::<bool>(), bmi in 5.0f64..150.0, gcs in 3u8..=15,
            creat in 0.0f64..3000.0, lac in 0.0f64..50.0, pt in 0.0f64..150.0,
        ) {
            let i = EncourageInput { age_years: age, sex: if female { Sex::Female } else { Sex::Male },
                bmi_kg_m2: bmi, gcs, creatinine_umol_l: creat, lactate_mmol_l: lac,
                prothrombin_activity_percent: pt };
            let r = encourage_score(&i);
            prop_assert!((MIN..=MAX).contains(&r.score));
            prop_assert_eq!(r.score, r.items.iter().map(|x| x.points).sum::<i32>());
        }
    }
}
