//! Weaning readiness from VA-ECMO: Aissaoui et al., Intensive Care Med 2011;37:1738. At ECMO
//! flow < 1.5 L/min, success is predicted by aortic VTI >= 10 cm, LVEF > 20-25% and lateral
//! mitral annulus peak systolic velocity (TDSa) >= 6 cm/s.

use crate::citation::{AISSAOUI_2011, CUSANNO_2022};
use crate::error::ClinicalError;
use crate::patient::Patient;
use crate::scores::num;
use serde::Serialize;

/// Trial flow must be below 1.5 L/min (Aissaoui 2011).
pub const MAX_TRIAL_FLOW_L_MIN: f64 = 1.5;
/// Aortic VTI >= 10 cm (Aissaoui 2011).
pub const VTI_CM: f64 = 10.0;
/// LVEF > 20-25% (Aissaoui 2011): above 25% passes, 20 to 25% is within the published range.
pub const LVEF_LOW_PERCENT: f64 = 20.0;
/// Upper end of the published LVEF threshold range (Aissaoui 2011).
pub const LVEF_HIGH_PERCENT: f64 = 25.0;
/// Lateral mitral TDSa >= 6 cm/s (Aissaoui 2011).
pub const TDSA_CM_S: f64 = 6.0;
/// Usual practice, UNVERIFIED in the reference: MAP > 60 mmHg on low or no vasoactives.
pub const UNVERIFIED_MAP_MMHG: f64 = 60.0;

/// Typed weaning-trial measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct WeaningInput {
    /// ECMO flow during the trial, L/min.
    pub flow_l_min: f64,
    /// Aortic VTI, cm.
    pub aortic_vti_cm: f64,
    /// LVEF, %.
    pub lvef_percent: f64,
    /// Lateral mitral TDSa, cm/s (`None`: not measured, e.g. by a simulator without annular
    /// motion; the verdict then rests on the other criteria and says so).
    pub lateral_tdsa_cm_s: Option<f64>,
    /// MAP during the trial, mmHg (used only by an unverified check).
    pub map_mmhg: Option<f64>,
}

/// Readiness verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// All Aissaoui criteria met.
    Ready,
    /// LVEF within the published 20-25% range, the rest met: clinician judgement.
    Borderline,
    /// At least one criterion failed.
    NotReady,
    /// The measurements were not taken at minimal flow (< 1.5 L/min).
    NotAssessable,
}

/// One criterion with the patient's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeaningCriterion {
    /// Criterion name.
    pub criterion: &'static str,
    /// Measured value with unit.
    pub value: String,
    /// Threshold.
    pub threshold: &'static str,
    /// `pass`, `fail`, or `borderline`.
    pub result: &'static str,
    /// Whether the criterion is verified against its source.
    pub verified: bool,
    /// Source.
    pub citation: String,
}

/// Weaning readiness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeaningResult {
    /// Verdict.
    pub readiness: Readiness,
    /// Every criterion.
    pub criteria: Vec<WeaningCriterion>,
    /// Reasons, in words.
    pub reasons: Vec<String>,
    /// Source of the thresholds.
    pub citation: String,
}

fn need(field: &'static str, v: Option<f64>) -> Result<f64, ClinicalError> {
    v.ok_or(ClinicalError::Missing {
        field,
        needed_by: "weaning readiness (Aissaoui 2011)",
        hint: None,
    })
}

impl WeaningInput {
    /// Takes the `weaning_*` fields from a patient.
    pub fn from_patient(p: &Patient) -> Result<WeaningInput, ClinicalError> {
        let w = p.record();
        Ok(WeaningInput {
            flow_l_min: need("weaning_flow_l_min", w.weaning_flow_l_min)?,
            aortic_vti_cm: need("weaning_aortic_vti_cm", w.weaning_aortic_vti_cm)?,
            lvef_percent: need("weaning_lvef_percent", w.weaning_lvef_percent)?,
            lateral_tdsa_cm_s: Some(need(
                "weaning_lateral_tdsa_cm_s",
                w.weaning_lateral_tdsa_cm_s,
            )?),
            map_mmhg: w.weaning_map_mmhg,
        })
    }
}

/// Assesses readiness.
pub fn weaning_readiness(i: &WeaningInput) -> WeaningResult {
    let c = AISSAOUI_2011.cite();
    let crit = |criterion, value: String, threshold, result, verified: bool, citation: String| {
        WeaningCriterion {
            criterion,
            value,
            threshold,
            result,
            verified,
            citation,
        }
    };
    let mut criteria = Vec::new();
    let mut reasons = Vec::new();
    let flow_ok = i.flow_l_min < MAX_TRIAL_FLOW_L_MIN;
    criteria.push(crit(
        "trial_flow",
        format!("{} L/min", num(i.flow_l_min)),
        "< 1.5 L/min",
        if flow_ok { "pass" } else { "fail" },
        true,
        c.clone(),
    ));
    if !flow_ok {
        reasons.push(format!(
            "flow {} L/min is not minimal flow: the Aissaoui 2011 thresholds apply to measurements at < 1.5 L/min (Cusanno 2022 tests at < 2 L/min for >= 60 min)",
            num(i.flow_l_min)
        ));
    }
    let vti_ok = i.aortic_vti_cm >= VTI_CM;
    criteria.push(crit(
        "aortic_vti",
        format!("{} cm", num(i.aortic_vti_cm)),
        ">= 10 cm",
        if vti_ok { "pass" } else { "fail" },
        true,
        c.clone(),
    ));
    if !vti_ok {
        reasons.push(format!("aortic VTI {} cm < 10 cm", num(i.aortic_vti_cm)));
    }
    let lvef = i.lvef_percent;
    let lvef_result = if lvef > LVEF_HIGH_PERCENT {
        "pass"
    } else if lvef > LVEF_LOW_PERCENT {
        reasons.push(format!(
            "LVEF {}% is within the published 20-25% threshold range: judgement needed",
            num(lvef)
        ));
        "borderline"
    } else {
        reasons.push(format!("LVEF {}% <= 20%", num(lvef)));
        "fail"
    };
    criteria.push(crit(
        "lvef",
        format!("{}%", num(lvef)),
        "> 20-25%",
        lvef_result,
        true,
        c.clone(),
    ));
    let tdsa_ok = match i.lateral_tdsa_cm_s {
        Some(tdsa) => {
            let ok = tdsa >= TDSA_CM_S;
            criteria.push(crit(
                "lateral_mitral_tdsa",
                format!("{} cm/s", num(tdsa)),
                ">= 6 cm/s",
                if ok { "pass" } else { "fail" },
                true,
                c.clone(),
            ));
            if !ok {
                reasons.push(format!("lateral mitral TDSa {} cm/s < 6 cm/s", num(tdsa)));
            }
            ok
        }
        None => {
            criteria.push(crit(
                "lateral_mitral_tdsa",
                "not measured".into(),
                ">= 6 cm/s",
                "not_measured",
                true,
                c.clone(),
            ));
            reasons.push(
                "lateral mitral TDSa not measured: the verdict rests on flow, aortic VTI and LVEF"
                    .into(),
            );
            true
        }
    };
    if let Some(m) = i.map_mmhg {
        let ok = m > UNVERIFIED_MAP_MMHG;
        criteria.push(crit(
            "map_unverified",
            format!("{} mmHg", num(m)),
            "> 60 mmHg on low/no vasoactives (UNVERIFIED usual practice; not used in the verdict)",
            if ok { "pass" } else { "fail" },
            false,
            "UNVERIFIED: usual practice, no verified source".into(),
        ));
    }
    let readiness = if !flow_ok {
        Readiness::NotAssessable
    } else if !vti_ok || !tdsa_ok || lvef_result == "fail" {
        Readiness::NotReady
    } else if lvef_result == "borderline" {
        Readiness::Borderline
    } else {
        reasons.push(
            "aortic VTI >= 10 cm, LVEF > 25% and lateral TDSa >= 6 cm/s at flow < 1.5 L/min".into(),
        );
        Readiness::Ready
    };
    WeaningResult {
        readiness,
        criteria,
        reasons,
        citation: format!("{}; {}", c, CUSANNO_2022.cite()),
    }
}

/// Weaning readiness of a validated patient.
pub fn weaning(p: &Patient) -> Result<WeaningResult, ClinicalError> {
    Ok(weaning_readiness(&WeaningInput::from_patient(p)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> WeaningInput {
        WeaningInput {
            flow_l_min: 1.0,
            aortic_vti_cm: 12.0,
            lvef_percent: 35.0,
            lateral_tdsa_cm_s: Some(8.0),
            map_mmhg: None,
        }
    }

    fn check(f: impl Fn(&mut WeaningInput), expected: Readiness) {
        let mut i = ok();
        f(&mut i);
        assert_eq!(weaning_readiness(&i).readiness, expected, "{i:?}");
    }

    #[test]
    fn thresholds_both_sides() {
        check(|_| {}, Readiness::Ready);
        check(|i| i.flow_l_min = 1.49, Readiness::Ready);
        check(|i| i.flow_l_min = 1.5, Readiness::NotAssessable);
        check(|i| i.aortic_vti_cm = 10.0, Readiness::Ready);
        check(|i| i.aortic_vti_cm = 9.9, Readiness::NotReady);
        check(|i| i.lvef_percent = 25.1, Readiness::Ready);
        check(|i| i.lvef_percent = 25.0, Readiness::Borderline);
        check(|i| i.lvef_percent = 20.1, Readiness::Borderline);
        check(|i| i.lvef_percent = 20.0, Readiness::NotReady);
        check(|i| i.lateral_tdsa_cm_s = Some(6.0), Readiness::Ready);
        check(|i| i.lateral_tdsa_cm_s = Some(5.9), Readiness::NotReady);
        // Not measured: the verdict rests on the other criteria, and says so.
        check(|i| i.lateral_tdsa_cm_s = None, Readiness::Ready);
        let mut i = ok();
        i.lateral_tdsa_cm_s = None;
        let r = weaning_readiness(&i);
        assert!(r.reasons.iter().any(|x| x.contains("not measured")));
        // The unverified MAP check never changes the verdict.
        check(|i| i.map_mmhg = Some(50.0), Readiness::Ready);
    }
}
