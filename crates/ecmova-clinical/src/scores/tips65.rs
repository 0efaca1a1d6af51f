//! TiPS65 score for ECPR candidates, Okada et al. 2020. One point each for age < 65,
//! call-to-hospital time <= 25 min, shockable rhythm on arrival, pH >= 7.0; range 0-4.
//! Predicted 30-day CPC 1-2 by total 0..4: 1.6 / 4.5 / 12 / 26.2 / 48.8% (Okada 2020, as
//! reproduced in the project's clinical reference).

use super::{num, yes_no, ScoreItem, ScoreResult};
use crate::citation::TIPS65;
use crate::error::ClinicalError;
use crate::patient::Patient;

/// Lowest total.
pub const MIN: i32 = 0;
/// Highest total.
pub const MAX: i32 = 4;
/// Predicted 30-day favourable neurological outcome (CPC 1-2), %, by total 0..=4 (Okada 2020).
pub const CPC12_PERCENT: [f64; 5] = [1.6, 4.5, 12.0, 26.2, 48.8];

/// Typed input of TiPS65.
#[derive(Debug, Clone, PartialEq)]
pub struct Tips65Input {
    /// Age in completed years.
    pub age_years: u32,
    /// Emergency call to hospital arrival, minutes.
    pub call_to_hospital_minutes: f64,
    /// Shockable rhythm (VF / pulseless VT) on arrival.
    pub shockable_on_arrival: bool,
    /// Arterial pH on arrival.
    pub arterial_ph: f64,
}

fn need<T>(field: &'static str, v: Option<T>) -> Result<T, ClinicalError> {
    v.ok_or(ClinicalError::Missing {
        field,
        needed_by: "the TiPS65 score",
        hint: None,
    })
}

impl Tips65Input {
    /// Takes the inputs from a patient.
    pub fn from_patient(p: &Patient) -> Result<Tips65Input, ClinicalError> {
        let w = p.record();
        Ok(Tips65Input {
            age_years: p.completed_years(),
            call_to_hospital_minutes: need("call_to_hospital_minutes", w.call_to_hospital_minutes)?,
            shockable_on_arrival: need("rhythm_on_arrival", w.rhythm_on_arrival)?.shockable(),
            arterial_ph: need("arterial_ph", w.arterial_ph)?,
        })
    }
}

/// Computes TiPS65; total within 0..=4 for any input.
pub fn tips65_score(i: &Tips65Input) -> ScoreResult {
    let c = TIPS65.cite();
    let item = |item: &'static str, value: String, hit: bool, yes: &str, no: &str| ScoreItem {
        item,
        value,
        criterion: if hit { yes } else { no }.to_string(),
        points: i32::from(hit),
        citation: c.clone(),
    };
    let items = vec![
        item(
            "age",
            format!("{} years", i.age_years),
            i.age_years < 65,
            "< 65 years +1",
            ">= 65 years 0",
        ),
        item(
            "call_to_hospital",
            format!("{} min", num(i.call_to_hospital_minutes)),
            i.call_to_hospital_minutes <= 25.0,
            "<= 25 min +1",
            "> 25 min 0",
        ),
        item(
            "shockable_rhythm_on_arrival",
            yes_no(i.shockable_on_arrival),
            i.shockable_on_arrival,
            "shockable +1",
            "non-shockable 0",
        ),
        item(
            "ph",
            num(i.arterial_ph),
            i.arterial_ph >= 7.0,
            ">= 7.0 +1",
            "< 7.0 0",
        ),
    ];
    let score: i32 = items.iter().map(|i| i.points).sum();
    let idx = usize::try_from(score.clamp(MIN, MAX)).unwrap_or(0);
    ScoreResult {
        name: "TiPS65",
        score,
        range: [MIN, MAX],
        class: score.to_string(),
        survival_percent: None,
        survival_6m_percent: None,
        in_hospital_mortality_percent: None,
        cpc_1_2_30d_percent: CPC12_PERCENT.get(idx).copied(),
        outcome: "predicted 30-day favourable neurological outcome (CPC 1-2) after ECPR for out-of-hospital arrest".into(),
        items,
        derived: Vec::new(),
        warnings: Vec::new(),
        citation: c,
    }
}

/// TiPS65 of a validated patient.
///
/// TiPS65 was derived in out-of-hospital arrests with a shockable initial rhythm treated with
/// ECPR (Okada 2020): outside that population the result carries a warning naming what
/// differs (an in-hospital arrest, a non-shockable or unknown initial rhythm).
pub fn tips65(p: &Patient) -> Result<ScoreResult, ClinicalError> {
    use crate::patient::ArrestLocation;
    let mut r = tips65_score(&Tips65Input::from_patient(p)?);
    let w = p.record();
    match w.arrest_location {
        Some(ArrestLocation::OutOfHospital) => {}
        Some(ArrestLocation::InHospital) => r.warnings.push("outside the derivation population: in-hospital arrest (TiPS65 was derived in out-of-hospital arrests treated with ECPR)".into()),
        None => r.warnings.push("arrest_location not given: TiPS65 was derived in out-of-hospital arrests treated with ECPR".into()),
    }
    match w.initial_rhythm.map(|x| x.shockable()) {
        Some(true) => {}
        Some(false) => r.warnings.push(format!(
            "outside the derivation population: initial rhythm {} (TiPS65 was derived with a shockable initial rhythm)",
            w.initial_rhythm.map(|x| x.name()).unwrap_or_default()
        )),
        None => r.warnings.push("initial_rhythm not given: TiPS65 was derived with a shockable initial rhythm".into()),
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(i: Tips65Input, score: i32, cpc: f64) {
        let r = tips65_score(&i);
        assert_eq!(r.score, score, "{i:?}");
        assert_eq!(r.cpc_1_2_30d_percent, Some(cpc));
    }

    #[test]
    fn each_item_both_sides() {
        let none = Tips65Input {
            age_years: 65,
            call_to_hospital_minutes: 26.0,
            shockable_on_arrival: false,
            arterial_ph: 6.99,
        };
        check(none.clone(), 0, 1.6);
        check(
            Tips65Input {
                age_years: 64,
                ..none.clone()
            },
            1,
            4.5,
        );
        check(
            Tips65Input {
                call_to_hospital_minutes: 25.0,
                ..none.clone()
            },
            1,
            4.5,
        );
        check(
            Tips65Input {
                shockable_on_arrival: true,
                ..none.clone()
            },
            1,
            4.5,
        );
        check(
            Tips65Input {
                arterial_ph: 7.0,
                ..none.clone()
            },
            1,
            4.5,
        );
        check(
            Tips65Input {
                age_years: 40,
                call_to_hospital_minutes: 10.0,
                ..none.clone()
            },
            2,
            12.0,
        );
        check(
            Tips65Input {
                age_years: 40,
                call_to_hospital_minutes: 10.0,
                arterial_ph: 7.1,
                ..none.clone()
            },
            3,
            26.2,
        );
        check(
            Tips65Input {
                age_years: 40,
                call_to_hospital_minutes: 10.0,
                arterial_ph: 7.1,
                shockable_on_arrival: true,
            },
            4,
            48.8,
        );
    }

    proptest! {
        #[test]
        fn in_range(age in 0u32..=120, t in 0.0f64..1440.0, s in any::<bool>(), ph in 6.0f64..8.0) {
            let r = tips65_score(&Tips65Input { age_years: age, call_to_hospital_minutes: t, shockable_on_arrival: s, arterial_ph: ph });
            prop_assert!((MIN..=MAX).contains(&r.score));
            prop_assert!(r.cpc_1_2_30d_percent.is_some());
        }
    }
}
