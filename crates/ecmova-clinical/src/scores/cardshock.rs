//! CardShock risk score, Harjola et al., Eur J Heart Fail 2015. Range 0-9.
//!
//! Items and group mortality as reproduced in the project's clinical reference (the group
//! mortalities are given there as approximate: ~8.7 / 36 / 77%).

use super::{num, yes_no, ScoreItem, ScoreResult};
use crate::citation::CARDSHOCK;
use crate::error::ClinicalError;
use crate::patient::{Diagnosis, Patient};

/// Lowest total (Harjola 2015).
pub const MIN: i32 = 0;
/// Highest total (Harjola 2015).
pub const MAX: i32 = 9;

/// Typed input of CardShock.
#[derive(Debug, Clone, PartialEq)]
pub struct CardShockInput {
    /// Age in completed years.
    pub age_years: u32,
    /// Confusion at presentation.
    pub confusion: bool,
    /// Previous myocardial infarction or CABG.
    pub prior_mi_or_cabg: bool,
    /// Acute coronary syndrome as the cause of the shock.
    pub acs_cause: bool,
    /// LVEF, %.
    pub lvef_percent: f64,
    /// Lactate, mmol/L.
    pub lactate_mmol_l: f64,
    /// eGFR, mL/min/1.73 m2.
    pub egfr_ml_min_1_73m2: f64,
}

fn need<T>(field: &'static str, v: Option<T>) -> Result<T, ClinicalError> {
    v.ok_or(ClinicalError::Missing {
        field,
        needed_by: "the CardShock score",
        hint: None,
    })
}

impl CardShockInput {
    /// Takes the inputs from a patient; ACS cause is `acute_myocardial_infarction` in diagnoses.
    pub fn from_patient(p: &Patient) -> Result<CardShockInput, ClinicalError> {
        let w = p.record();
        Ok(CardShockInput {
            age_years: p.completed_years(),
            confusion: need("confusion", w.confusion)?,
            prior_mi_or_cabg: need("prior_mi_or_cabg", w.prior_mi_or_cabg)?,
            acs_cause: p.has(Diagnosis::AcuteMyocardialInfarction),
            lvef_percent: need("lvef_percent", w.lvef_percent)?,
            lactate_mmol_l: need("lactate_mmol_l", w.lactate_mmol_l)?,
            egfr_ml_min_1_73m2: need("egfr_ml_min_1_73m2", w.egfr_ml_min_1_73m2)?,
        })
    }
}

/// Lactate points: < 2 0, 2-4 1, > 4 2 (Harjola 2015).
pub fn lactate_points(l: f64) -> (i32, &'static str) {
    if l < 2.0 {
        (0, "< 2 mmol/L")
    } else if l <= 4.0 {
        (1, "2-4 mmol/L")
    } else {
        (2, "> 4 mmol/L")
    }
}

/// eGFR points: > 60 0, 30-60 1, < 30 2 (Harjola 2015).
pub fn egfr_points(e: f64) -> (i32, &'static str) {
    if e > 60.0 {
        (0, "> 60 mL/min/1.73m2")
    } else if e >= 30.0 {
        (1, "30-60 mL/min/1.73m2")
    } else {
        (2, "< 30 mL/min/1.73m2")
    }
}

/// Risk group and in-hospital mortality (Harjola 2015): 0-3 ~8.7%, 4-5 ~36%, 6-9 ~77%.
pub fn class_of(score: i32) -> (&'static str, f64) {
    match score {
        i32::MIN..=3 => ("low (0-3)", 8.7),
        4..=5 => ("intermediate (4-5)", 36.0),
        _ => ("high (6-9)", 77.0),
    }
}

/// Computes CardShock; total within 0..=9 for any input.
pub fn cardshock_score(i: &CardShockInput) -> ScoreResult {
    let c = CARDSHOCK.cite();
    let item = |item: &'static str, value: String, criterion: &str, points: i32| ScoreItem {
        item,
        value,
        criterion: criterion.to_string(),
        points,
        citation: c.clone(),
    };
    let flag = |name: &'static str, v: bool, crit: &str| item(name, yes_no(v), crit, i32::from(v));
    let mut items = vec![
        item(
            "age",
            format!("{} years", i.age_years),
            if i.age_years > 75 {
                "> 75 years +1"
            } else {
                "<= 75 years 0"
            },
            i32::from(i.age_years > 75),
        ),
        flag("confusion", i.confusion, "confusion at presentation +1"),
        flag(
            "prior_mi_or_cabg",
            i.prior_mi_or_cabg,
            "previous MI or CABG +1",
        ),
        flag("acs_cause", i.acs_cause, "ACS aetiology +1"),
        item(
            "lvef",
            format!("{}%", num(i.lvef_percent)),
            if i.lvef_percent < 40.0 {
                "< 40% +1"
            } else {
                ">= 40% 0"
            },
            i32::from(i.lvef_percent < 40.0),
        ),
    ];
    let (p, cr) = lactate_points(i.lactate_mmol_l);
    items.push(item(
        "lactate",
        format!("{} mmol/L", num(i.lactate_mmol_l)),
        cr,
        p,
    ));
    let (p, cr) = egfr_points(i.egfr_ml_min_1_73m2);
    items.push(item(
        "egfr",
        format!("{} mL/min/1.73m2", num(i.egfr_ml_min_1_73m2)),
        cr,
        p,
    ));
    let score: i32 = items.iter().map(|i| i.points).sum();
    let (class, mort) = class_of(score);
    ScoreResult {
        name: "CardShock",
        score,
        range: [MIN, MAX],
        class: class.into(),
        survival_percent: None,
        survival_6m_percent: None,
        in_hospital_mortality_percent: Some(mort),
        cpc_1_2_30d_percent: None,
        outcome: "approximate in-hospital mortality of the risk group in the derivation cohort (cardiogenic shock of any cause)".into(),
        items,
        derived: Vec::new(),
        warnings: Vec::new(),
        citation: c,
    }
}

/// CardShock of a validated patient.
pub fn cardshock(p: &Patient) -> Result<ScoreResult, ClinicalError> {
    Ok(cardshock_score(&CardShockInput::from_patient(p)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn neutral() -> CardShockInput {
        CardShockInput {
            age_years: 60,
            confusion: false,
            prior_mi_or_cabg: false,
            acs_cause: false,
            lvef_percent: 55.0,
            lactate_mmol_l: 1.0,
            egfr_ml_min_1_73m2: 90.0,
        }
    }

    fn check(f: impl Fn(&mut CardShockInput), item: &str, points: i32) {
        let mut i = neutral();
        f(&mut i);
        let r = cardshock_score(&i);
        let it = r
            .items
            .iter()
            .find(|x| x.item == item)
            .expect("item listed");
        assert_eq!(it.points, points, "{it:?}");
        assert_eq!(r.score, points);
    }

    #[test]
    fn items() {
        check(|i| i.age_years = 75, "age", 0);
        check(|i| i.age_years = 76, "age", 1);
        check(|i| i.confusion = true, "confusion", 1);
        check(|i| i.prior_mi_or_cabg = true, "prior_mi_or_cabg", 1);
        check(|i| i.acs_cause = true, "acs_cause", 1);
        check(|i| i.lvef_percent = 40.0, "lvef", 0);
        check(|i| i.lvef_percent = 39.0, "lvef", 1);
        check(|i| i.lactate_mmol_l = 1.9, "lactate", 0);
        check(|i| i.lactate_mmol_l = 2.0, "lactate", 1);
        check(|i| i.lactate_mmol_l = 4.0, "lactate", 1);
        check(|i| i.lactate_mmol_l = 4.1, "lactate", 2);
        check(|i| i.egfr_ml_min_1_73m2 = 61.0, "egfr", 0);
        check(|i| i.egfr_ml_min_1_73m2 = 60.0, "egfr", 1);
        check(|i| i.egfr_ml_min_1_73m2 = 30.0, "egfr", 1);
        check(|i| i.egfr_ml_min_1_73m2 = 29.0, "egfr", 2);
    }

    #[test]
    fn groups() {
        for (s, m) in [
            (0, 8.7),
            (3, 8.7),
            (4, 36.0),
            (5, 36.0),
            (6, 77.0),
            (9, 77.0),
        ] {
            assert_eq!(class_of(s).1, m, "score {s}");
        }
    }

    proptest! {
        #[test]
        fn in_range(age in 0u32..=120, b in any::<[bool; 3]>(), lvef in 0.0f64..100.0,
                    lac in 0.0f64..50.0, egfr in 0.0f64..250.0) {
            let i = CardShockInput { age_years: age, confusion: b[0], prior_mi_or_cabg: b[1],
                acs_cause: b[2], lvef_percent: lvef, lactate_mmol_l: lac, egfr_ml_min_1_73m2: egfr };
            let r = cardshock_score(&i);
            prop_assert!((MIN..=MAX).contains(&r.score));
        }
    }
}
