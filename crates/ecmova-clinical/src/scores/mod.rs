//! Published prognosis scores. Each result lists every item with its points, the class with
//! its published outcome, what was derived, and the citation.
//!
//! Left out on purpose (see `docs/clinical-rules.md`): IABP-SHOCK II (per-item points
//! UNVERIFIED in the reference) and PREDICT VA-ECMO (coefficients UNVERIFIED).

pub mod cardshock;
pub mod encourage;
pub mod save;
pub mod tips65;

use crate::patient::Derivation;
use serde::Serialize;

/// One item of a score: what was looked at, the band it fell in, and its points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreItem {
    /// Item name, e.g. `age`.
    pub item: &'static str,
    /// The patient's value, with its unit.
    pub value: String,
    /// The published band or criterion that applied, e.g. `39-52 years`.
    pub criterion: String,
    /// Points given.
    pub points: i32,
    /// Source of the item.
    pub citation: String,
}

/// The result of a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreResult {
    /// Score name, e.g. `SAVE`.
    pub name: &'static str,
    /// Total points.
    pub score: i32,
    /// Published range of the total, `[min, max]`.
    pub range: [i32; 2],
    /// Risk class.
    pub class: String,
    /// Survival to hospital discharge of the class in the derivation cohort, % (SAVE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survival_percent: Option<f64>,
    /// Six-month survival of the class in the derivation cohort, % (ENCOURAGE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survival_6m_percent: Option<f64>,
    /// In-hospital mortality of the group, % (CardShock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_hospital_mortality_percent: Option<f64>,
    /// Predicted 30-day favourable neurological outcome (CPC 1-2), % (TiPS65).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpc_1_2_30d_percent: Option<f64>,
    /// What the outcome figure means and where it comes from.
    pub outcome: String,
    /// Every item with its points, the constant included.
    pub items: Vec<ScoreItem>,
    /// Values the library derived from other fields (e.g. `liver_failure` from labs).
    pub derived: Vec<Derivation>,
    /// Caveats (e.g. score used outside its derivation population).
    pub warnings: Vec<String>,
    /// Source of the score and its classes.
    pub citation: String,
}

impl ScoreResult {
    /// The headline outcome figure, whichever kind the score has.
    pub fn outcome_percent(&self) -> Option<f64> {
        self.survival_percent
            .or(self.survival_6m_percent)
            .or(self.in_hospital_mortality_percent)
            .or(self.cpc_1_2_30d_percent)
    }
}

/// Formats a number for reading: at most three decimals (a simulator's 126.07781273834776
/// reads 126.078), no trailing zeros or `.0`.
pub(crate) fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

pub(crate) fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

#[cfg(test)]
mod num_tests {
    use super::num;

    #[test]
    fn numbers_read_without_float_noise() {
        assert_eq!(num(126.07781273834776), "126.078");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(0.1 + 0.2), "0.3");
    }
}
