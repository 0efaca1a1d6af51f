//! Weaning readiness from VA-ECMO. The echo criteria of Aissaoui et al., Intensive Care Med
//! 2011;37:1738 (at ECMO flow < 1.5 L/min: aortic VTI >= 10 cm, LVEF > 20-25%, lateral mitral
//! annulus peak systolic velocity (TDSa) >= 6 cm/s) apply only to patients who already meet
//! the haemodynamic prerequisites: a pulsatile arterial trace, MAP > 60 mmHg on no or low
//! vasoactive support, no hypoperfusion (lactate < 2 mmol/L and not rising), and, where
//! given, RV function and native lung gas exchange. What was not given is named, and the
//! verdict is never `ready` without the prerequisites.

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
/// Prerequisite MAP > 60 mmHg on low or no vasoactives: usual practice, UNVERIFIED against a
/// primary source (project clinical reference).
pub const UNVERIFIED_MAP_MMHG: f64 = 60.0;
/// Prerequisite "no or low vasoactive support", operationalised by ecmova as at most one
/// vasoactive drug (a drug count carries no dose; UNVERIFIED usual practice).
pub const MAX_VASOACTIVE_DRUGS: u32 = 1;
/// Prerequisite "no hypoperfusion": lactate below the SCAI hypoperfusion threshold of
/// 2 mmol/L (Baran 2019; Naidu 2022).
pub const LACTATE_MMOL_L: f64 = 2.0;
/// RV function where given: TAPSE >= 17 mm (below 17 mm is abnormal RV systolic function:
/// Lang et al., J Am Soc Echocardiogr 2015;28:1, chamber quantification).
pub const TAPSE_MM: f64 = 17.0;
/// Native lung gas exchange where given: PaO2/FiO2 > 100 mmHg (100 mmHg bounds severe ARDS
/// in the Berlin definition, ARDS Definition Task Force, JAMA 2012;307:2526); the choice of
/// this bound for weaning is ecmova's operationalisation.
pub const NATIVE_PF_MMHG: f64 = 100.0;

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
    /// MAP during the trial, mmHg (prerequisite).
    pub map_mmhg: Option<f64>,
    /// Pulsatile arterial trace (prerequisite).
    pub pulsatile: Option<bool>,
    /// Vasoactive drugs running (prerequisite).
    pub vasoactive_drugs_count: Option<u32>,
    /// Arterial lactate, mmol/L (prerequisite).
    pub lactate_mmol_l: Option<f64>,
    /// Lactate rising (prerequisite: must not be).
    pub lactate_rising: Option<bool>,
    /// TAPSE, mm (RV function; checked where given).
    pub tapse_mm: Option<f64>,
    /// Native-lung PaO2/FiO2, mmHg (checked where given).
    pub native_pao2_fio2_mmhg: Option<f64>,
}

/// Readiness verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    /// Every haemodynamic prerequisite and every Aissaoui criterion met.
    Ready,
    /// No criterion failed, but required prerequisites were not given (named in the
    /// reasons): not ready to call.
    PrerequisitesIncomplete,
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
    /// `prerequisite` (haemodynamic, checked first) or `echo` (Aissaoui 2011).
    pub kind: &'static str,
    /// Criterion name.
    pub criterion: &'static str,
    /// Measured value with unit.
    pub value: String,
    /// Threshold.
    pub threshold: &'static str,
    /// `pass`, `fail`, `borderline`, `not_given` or `not_measured`.
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
            pulsatile: w.weaning_pulsatile,
            vasoactive_drugs_count: w.weaning_vasoactive_drugs_count,
            lactate_mmol_l: w.weaning_lactate_mmol_l,
            lactate_rising: w.weaning_lactate_rising,
            tapse_mm: w.weaning_tapse_mm,
            native_pao2_fio2_mmhg: w.weaning_native_pao2_fio2_mmhg,
        })
    }
}

/// Assesses readiness: the haemodynamic prerequisites first, then the echo criteria.
pub fn weaning_readiness(i: &WeaningInput) -> WeaningResult {
    let c = AISSAOUI_2011.cite();
    let mut criteria = Vec::new();
    let mut reasons = Vec::new();
    let mut crit =
        |kind, criterion, value: String, threshold, result, verified: bool, citation: String| {
            criteria.push(WeaningCriterion {
                kind,
                criterion,
                value,
                threshold,
                result,
                verified,
                citation,
            })
        };

    // Prerequisites.
    let mut missing: Vec<&'static str> = Vec::new();
    let mut pre_failed = false;
    let unverified = "UNVERIFIED usual practice (project clinical reference)".to_string();
    let mut pre = |name: &'static str,
                   field: &'static str,
                   value: Option<String>,
                   ok: Option<bool>,
                   threshold: &'static str,
                   required: bool,
                   verified: bool,
                   cite: String,
                   reasons: &mut Vec<String>,
                   crit: &mut dyn FnMut(
        &'static str,
        &'static str,
        String,
        &'static str,
        &'static str,
        bool,
        String,
    )| {
        let result = match ok {
            Some(true) => "pass",
            Some(false) => {
                pre_failed = true;
                reasons.push(format!(
                    "prerequisite not met: {name} {} (needs {threshold})",
                    value.clone().unwrap_or_default()
                ));
                "fail"
            }
            None => {
                if required {
                    missing.push(field);
                }
                "not_given"
            }
        };
        crit(
            "prerequisite",
            name,
            value.unwrap_or_else(|| format!("{field} not given")),
            threshold,
            result,
            verified,
            cite,
        );
    };
    pre(
        "pulsatile arterial trace",
        "weaning_pulsatile",
        i.pulsatile
            .map(|p| if p { "pulsatile" } else { "not pulsatile" }.to_string()),
        i.pulsatile,
        "pulsatile",
        true,
        false,
        unverified.clone(),
        &mut reasons,
        &mut crit,
    );
    pre(
        "MAP",
        "weaning_map_mmhg",
        i.map_mmhg.map(|m| format!("{} mmHg", num(m))),
        i.map_mmhg.map(|m| m > UNVERIFIED_MAP_MMHG),
        "> 60 mmHg",
        true,
        false,
        unverified.clone(),
        &mut reasons,
        &mut crit,
    );
    pre(
        "vasoactive load",
        "weaning_vasoactive_drugs_count",
        i.vasoactive_drugs_count.map(|n| format!("{n} drug(s)")),
        i.vasoactive_drugs_count.map(|n| n <= MAX_VASOACTIVE_DRUGS),
        "no or low vasoactive support (at most 1 drug)",
        true,
        false,
        unverified.clone(),
        &mut reasons,
        &mut crit,
    );
    pre(
        "lactate",
        "weaning_lactate_mmol_l",
        i.lactate_mmol_l.map(|l| format!("{} mmol/L", num(l))),
        i.lactate_mmol_l.map(|l| l < LACTATE_MMOL_L),
        "< 2 mmol/L (SCAI hypoperfusion threshold)",
        true,
        true,
        crate::citation::SCAI_2019.cite(),
        &mut reasons,
        &mut crit,
    );
    if i.lactate_rising.is_some() {
        pre(
            "lactate trend",
            "weaning_lactate_rising",
            i.lactate_rising
                .map(|r| if r { "rising" } else { "not rising" }.to_string()),
            i.lactate_rising.map(|r| !r),
            "not rising",
            false,
            true,
            crate::citation::SCAI_2022.cite(),
            &mut reasons,
            &mut crit,
        );
    }
    pre(
        "RV function (TAPSE)",
        "weaning_tapse_mm",
        i.tapse_mm.map(|t| format!("{} mm", num(t))),
        i.tapse_mm.map(|t| t >= TAPSE_MM),
        ">= 17 mm (checked where given)",
        false,
        true,
        crate::citation::LANG_2015.cite(),
        &mut reasons,
        &mut crit,
    );
    pre(
        "native lung gas exchange (PaO2/FiO2)",
        "weaning_native_pao2_fio2_mmhg",
        i.native_pao2_fio2_mmhg.map(|x| format!("{} mmHg", num(x))),
        i.native_pao2_fio2_mmhg.map(|x| x > NATIVE_PF_MMHG),
        "> 100 mmHg (checked where given; ecmova's operationalisation)",
        false,
        true,
        crate::citation::BERLIN_ARDS_2012.cite(),
        &mut reasons,
        &mut crit,
    );

    // Echo criteria (Aissaoui 2011).
    let flow_ok = i.flow_l_min < MAX_TRIAL_FLOW_L_MIN;
    crit(
        "echo",
        "trial_flow",
        format!("{} L/min", num(i.flow_l_min)),
        "< 1.5 L/min",
        if flow_ok { "pass" } else { "fail" },
        true,
        c.clone(),
    );
    if !flow_ok {
        reasons.push(format!(
            "flow {} L/min is not minimal flow: the Aissaoui 2011 thresholds apply to measurements at < 1.5 L/min (Cusanno 2022 tests at < 2 L/min for >= 60 min)",
            num(i.flow_l_min)
        ));
    }
    let vti_ok = i.aortic_vti_cm >= VTI_CM;
    crit(
        "echo",
        "aortic_vti",
        format!("{} cm", num(i.aortic_vti_cm)),
        ">= 10 cm",
        if vti_ok { "pass" } else { "fail" },
        true,
        c.clone(),
    );
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
    crit(
        "echo",
        "lvef",
        format!("{}%", num(lvef)),
        "> 20-25%",
        lvef_result,
        true,
        c.clone(),
    );
    let tdsa_ok = match i.lateral_tdsa_cm_s {
        Some(tdsa) => {
            let ok = tdsa >= TDSA_CM_S;
            crit(
                "echo",
                "lateral_mitral_tdsa",
                format!("{} cm/s", num(tdsa)),
                ">= 6 cm/s",
                if ok { "pass" } else { "fail" },
                true,
                c.clone(),
            );
            if !ok {
                reasons.push(format!("lateral mitral TDSa {} cm/s < 6 cm/s", num(tdsa)));
            }
            ok
        }
        None => {
            crit(
                "echo",
                "lateral_mitral_tdsa",
                "not measured".into(),
                ">= 6 cm/s",
                "not_measured",
                true,
                c.clone(),
            );
            reasons.push(
                "lateral mitral TDSa not measured: the echo verdict rests on flow, aortic VTI and LVEF"
                    .into(),
            );
            true
        }
    };
    let echo_failed = !vti_ok || !tdsa_ok || lvef_result == "fail";
    if !missing.is_empty() {
        reasons.push(format!(
            "prerequisites not given: {} (the echo criteria apply only once they are met)",
            missing.join(", ")
        ));
    }
    let readiness = if !flow_ok {
        Readiness::NotAssessable
    } else if pre_failed || echo_failed {
        Readiness::NotReady
    } else if !missing.is_empty() {
        Readiness::PrerequisitesIncomplete
    } else if lvef_result == "borderline" {
        Readiness::Borderline
    } else {
        reasons.push(
            "haemodynamic prerequisites met; aortic VTI >= 10 cm, LVEF > 25% and lateral TDSa >= 6 cm/s at flow < 1.5 L/min".into(),
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
            map_mmhg: Some(70.0),
            pulsatile: Some(true),
            vasoactive_drugs_count: Some(1),
            lactate_mmol_l: Some(1.2),
            lactate_rising: None,
            tapse_mm: None,
            native_pao2_fio2_mmhg: None,
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
        // Prerequisites, both sides.
        check(|i| i.map_mmhg = Some(60.0), Readiness::NotReady);
        check(|i| i.map_mmhg = Some(61.0), Readiness::Ready);
        check(|i| i.vasoactive_drugs_count = Some(2), Readiness::NotReady);
        check(|i| i.vasoactive_drugs_count = Some(0), Readiness::Ready);
        check(|i| i.lactate_mmol_l = Some(2.0), Readiness::NotReady);
        check(|i| i.lactate_mmol_l = Some(1.9), Readiness::Ready);
        check(|i| i.lactate_rising = Some(true), Readiness::NotReady);
        check(|i| i.pulsatile = Some(false), Readiness::NotReady);
        check(|i| i.tapse_mm = Some(16.9), Readiness::NotReady);
        check(|i| i.tapse_mm = Some(17.0), Readiness::Ready);
        check(
            |i| i.native_pao2_fio2_mmhg = Some(100.0),
            Readiness::NotReady,
        );
        check(|i| i.native_pao2_fio2_mmhg = Some(101.0), Readiness::Ready);
        // Not given: never ready, and named.
        for f in [
            |i: &mut WeaningInput| i.pulsatile = None,
            |i: &mut WeaningInput| i.map_mmhg = None,
            |i: &mut WeaningInput| i.vasoactive_drugs_count = None,
            |i: &mut WeaningInput| i.lactate_mmol_l = None,
        ] {
            check(f, Readiness::PrerequisitesIncomplete);
        }
        let mut i = ok();
        i.lactate_mmol_l = None;
        assert!(weaning_readiness(&i)
            .reasons
            .iter()
            .any(|r| r.contains("weaning_lactate_mmol_l")));
    }

    /// Issue 12: MAP 48 mmHg on three vasoactive drugs with lactate 6 mmol/L was `ready` from
    /// the echo alone.
    #[test]
    fn weaning_ready_from_echo_alone_regression() {
        let mut i = ok();
        i.map_mmhg = Some(48.0);
        i.vasoactive_drugs_count = Some(3);
        i.lactate_mmol_l = Some(6.0);
        let r = weaning_readiness(&i);
        assert_eq!(r.readiness, Readiness::NotReady);
        assert_eq!(
            r.reasons
                .iter()
                .filter(|x| x.starts_with("prerequisite not met"))
                .count(),
            3,
            "{:?}",
            r.reasons
        );
    }
}
