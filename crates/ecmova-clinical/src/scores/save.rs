//! SAVE score (Survival After Veno-arterial ECMO), Schmidt et al., Eur Heart J 2015;36:2246.
//!
//! Every threshold and point value below is from the SAVE score table of that paper, as
//! reproduced in the project's clinical reference. Class boundary choice: the paper's table
//! gives class I as a score above 5 and class II as 1 to 5, so a score of exactly 5 is class II.

use super::{num, yes_no, ScoreItem, ScoreResult};
use crate::citation::SAVE;
use crate::error::ClinicalError;
use crate::patient::{Derivation, Diagnosis, Patient};

/// Constant added to every SAVE total (Schmidt 2015). Omitting it is a known error in the wild.
pub const CONSTANT: i32 = -6;
/// Lowest possible total (all adverse items, congenital heart disease, constant), Schmidt 2015.
pub const MIN: i32 = -35;
/// Highest possible total (age 18-38, weight 65-89, myocarditis + VT/VF + transplant, PIP <= 20,
/// diastolic >= 40, constant), Schmidt 2015.
pub const MAX: i32 = 17;
/// SAVE is an adult score: youngest age band 18-38 years (Schmidt 2015).
pub const MIN_AGE_YEARS: u32 = 18;

/// Typed input of the SAVE score. Build it with [`SaveInput::from_patient`].
#[derive(Debug, Clone, PartialEq)]
pub struct SaveInput {
    /// Age in completed years (>= 18).
    pub age_years: u32,
    /// Weight, kg.
    pub weight_kg: f64,
    /// Acute cardiogenic-shock diagnosis group: myocarditis (+3).
    pub myocarditis: bool,
    /// Diagnosis group: refractory VT/VF (+2).
    pub refractory_vt_vf: bool,
    /// Diagnosis group: post heart or lung transplantation (+3).
    pub post_transplant: bool,
    /// Diagnosis group: congenital heart disease (-3).
    pub congenital_heart_disease: bool,
    /// Liver failure (-3).
    pub liver_failure: bool,
    /// CNS dysfunction (-3).
    pub cns_dysfunction: bool,
    /// Acute renal failure (-3).
    pub acute_renal_failure: bool,
    /// Chronic renal failure (-6).
    pub chronic_renal_failure: bool,
    /// Hours intubated before ECMO; `None` if not intubated.
    pub intubation_hours_before_ecmo: Option<f64>,
    /// Peak inspiratory pressure, cmH2O.
    pub peak_inspiratory_pressure_cmh2o: f64,
    /// Cardiac arrest before ECMO.
    pub cardiac_arrest_before_ecmo: bool,
    /// Worst diastolic BP in the 6 h before cannulation, mmHg.
    pub diastolic_bp_mmhg: f64,
    /// Worst pulse pressure in the 6 h before cannulation, mmHg.
    pub pulse_pressure_mmhg: f64,
    /// Bicarbonate, mmol/L.
    pub bicarbonate_mmol_l: f64,
}

const NEEDED_BY: &str = "the SAVE score";

fn need<T>(field: &'static str, v: Option<T>) -> Result<T, ClinicalError> {
    v.ok_or(ClinicalError::Missing {
        field,
        needed_by: NEEDED_BY,
        hint: None,
    })
}

impl SaveInput {
    /// Takes the SAVE inputs from a patient. Missing values are errors naming the field, except
    /// `liver_failure` and `acute_renal_failure`, which are derived from labs when absent (the
    /// derivations are returned). Patients under 18 are rejected: SAVE is an adult score.
    pub fn from_patient(p: &Patient) -> Result<(SaveInput, Vec<Derivation>), ClinicalError> {
        let age = p.completed_years();
        if age < MIN_AGE_YEARS {
            return Err(ClinicalError::NotApplicable {
                score: "SAVE",
                field: "age_years",
                value: num(p.age_years),
                reason: "the score is defined for adults (age >= 18 years; Schmidt 2015)".into(),
            });
        }
        let w = p.record();
        let mut derived = Vec::new();
        let (liver_failure, d) = p.liver_failure(NEEDED_BY)?;
        derived.extend(d);
        let cns_dysfunction = need("cns_dysfunction", w.cns_dysfunction)?;
        let (acute_renal_failure, d) = p.acute_renal_failure(NEEDED_BY)?;
        derived.extend(d);
        let chronic_renal_failure = p.chronic_renal_failure(NEEDED_BY)?;
        let input = SaveInput {
            age_years: age,
            weight_kg: p.weight_kg,
            myocarditis: p.has(Diagnosis::Myocarditis),
            refractory_vt_vf: p.has(Diagnosis::RefractoryVtVf),
            post_transplant: p.has(Diagnosis::PostTransplant),
            congenital_heart_disease: p.has(Diagnosis::CongenitalHeartDisease),
            liver_failure,
            cns_dysfunction,
            acute_renal_failure,
            chronic_renal_failure,
            intubation_hours_before_ecmo: w.intubation_hours_before_ecmo,
            peak_inspiratory_pressure_cmh2o: need(
                "peak_inspiratory_pressure_cmh2o",
                w.peak_inspiratory_pressure_cmh2o,
            )?,
            cardiac_arrest_before_ecmo: need(
                "cardiac_arrest_before_ecmo",
                w.cardiac_arrest_before_ecmo,
            )?,
            diastolic_bp_mmhg: need("diastolic_bp_mmhg", w.diastolic_bp_mmhg)?,
            pulse_pressure_mmhg: need("pulse_pressure_mmhg", w.pulse_pressure_mmhg)?,
            bicarbonate_mmol_l: need("bicarbonate_mmol_l", w.bicarbonate_mmol_l)?,
        };
        Ok((input, derived))
    }
}

/// Age points: 18-38 +7, 39-52 +4, 53-62 +3, >= 63 0 (Schmidt 2015).
pub fn age_points(age_years: u32) -> (i32, &'static str) {
    match age_years {
        0..=17 => (0, "under 18 years: outside SAVE (adults only)"),
        18..=38 => (7, "18-38 years"),
        39..=52 => (4, "39-52 years"),
        53..=62 => (3, "53-62 years"),
        _ => (0, ">= 63 years"),
    }
}

/// Weight points: < 65 kg +1, 65-89 kg +2, >= 90 kg 0 (Schmidt 2015). Read as 65 <= w < 90.
pub fn weight_points(weight_kg: f64) -> (i32, &'static str) {
    if weight_kg < 65.0 {
        (1, "< 65 kg")
    } else if weight_kg < 90.0 {
        (2, "65-89 kg")
    } else {
        (0, ">= 90 kg")
    }
}

/// Intubation points: <= 10 h 0, 11-29 h -2, >= 30 h -4, not intubated 0 (Schmidt 2015).
/// Fractional hours between 10 and 11 count in the 11-29 band (more than 10 h).
pub fn intubation_points(hours: Option<f64>) -> (i32, &'static str) {
    match hours {
        None => (0, "not intubated"),
        Some(h) if h <= 10.0 => (0, "<= 10 h"),
        Some(h) if h < 30.0 => (-2, "11-29 h"),
        Some(_) => (-4, ">= 30 h"),
    }
}

/// Class and survival to discharge of the derivation cohort (Schmidt 2015):
/// I > 5 (75%), II 1..5 (58%), III -4..0 (42%), IV -9..-5 (30%), V <= -10 (18%).
pub fn class_of(score: i32) -> (&'static str, f64) {
    match score {
        s if s > 5 => ("I", 75.0),
        1..=5 => ("II", 58.0),
        -4..=0 => ("III", 42.0),
        -9..=-5 => ("IV", 30.0),
        _ => ("V", 18.0),
    }
}

/// Computes the SAVE score. Total for any input; the total stays within [`MIN`]..=[`MAX`].
pub fn save_score(i: &SaveInput) -> ScoreResult {
    let c = SAVE.cite();
    let item = |item: &'static str, value: String, criterion: &str, points: i32| ScoreItem {
        item,
        value,
        criterion: criterion.to_string(),
        points,
        citation: c.clone(),
    };
    let flag = |name: &'static str, v: bool, pts: i32, crit: &str| {
        item(name, yes_no(v), crit, if v { pts } else { 0 })
    };
    let mut items = Vec::new();
    let mut warnings = Vec::new();
    let (p, crit) = age_points(i.age_years);
    if i.age_years < MIN_AGE_YEARS {
        warnings.push("SAVE is defined for adults (age >= 18 years)".to_string());
    }
    items.push(item("age", format!("{} years", i.age_years), crit, p));
    let (p, crit) = weight_points(i.weight_kg);
    items.push(item("weight", format!("{} kg", num(i.weight_kg)), crit, p));
    items.push(flag(
        "diagnosis_myocarditis",
        i.myocarditis,
        3,
        "acute CS diagnosis group: myocarditis +3",
    ));
    items.push(flag(
        "diagnosis_refractory_vt_vf",
        i.refractory_vt_vf,
        2,
        "acute CS diagnosis group: refractory VT/VF +2",
    ));
    items.push(flag(
        "diagnosis_post_transplant",
        i.post_transplant,
        3,
        "acute CS diagnosis group: post heart or lung transplantation +3",
    ));
    items.push(flag(
        "diagnosis_congenital_heart_disease",
        i.congenital_heart_disease,
        -3,
        "acute CS diagnosis group: congenital heart disease -3",
    ));
    items.push(flag(
        "liver_failure",
        i.liver_failure,
        -3,
        "liver failure (bilirubin >= 33 umol/L or ALT/AST > 70 U/L) -3",
    ));
    items.push(flag(
        "cns_dysfunction",
        i.cns_dysfunction,
        -3,
        "CNS dysfunction (neurotrauma, stroke, encephalopathy, cerebral embolism, seizure) -3",
    ));
    items.push(flag(
        "acute_renal_failure",
        i.acute_renal_failure,
        -3,
        "acute renal failure (creatinine > 1.5 mg/dL, with or without RRT) -3",
    ));
    items.push(flag(
        "chronic_renal_failure",
        i.chronic_renal_failure,
        -6,
        "chronic renal failure (GFR < 60 mL/min for >= 3 months) -6",
    ));
    let (p, crit) = intubation_points(i.intubation_hours_before_ecmo);
    let v = i
        .intubation_hours_before_ecmo
        .map(|h| format!("{} h", num(h)))
        .unwrap_or_else(|| "not intubated".into());
    items.push(item("intubation_duration", v, crit, p));
    let pip = i.peak_inspiratory_pressure_cmh2o;
    let low = pip <= 20.0;
    items.push(item(
        "peak_inspiratory_pressure",
        format!("{} cmH2O", num(pip)),
        if low {
            "<= 20 cmH2O +3"
        } else {
            "> 20 cmH2O 0"
        },
        if low { 3 } else { 0 },
    ));
    items.push(flag(
        "pre_ecmo_cardiac_arrest",
        i.cardiac_arrest_before_ecmo,
        -2,
        "cardiac arrest before ECMO -2",
    ));
    let dbp = i.diastolic_bp_mmhg;
    let ok = dbp >= 40.0;
    items.push(item(
        "diastolic_bp",
        format!("{} mmHg", num(dbp)),
        if ok { ">= 40 mmHg +3" } else { "< 40 mmHg 0" },
        if ok { 3 } else { 0 },
    ));
    let pp = i.pulse_pressure_mmhg;
    let narrow = pp <= 20.0;
    items.push(item(
        "pulse_pressure",
        format!("{} mmHg", num(pp)),
        if narrow {
            "<= 20 mmHg -2"
        } else {
            "> 20 mmHg 0"
        },
        if narrow { -2 } else { 0 },
    ));
    let hco3 = i.bicarbonate_mmol_l;
    let low = hco3 <= 15.0;
    items.push(item(
        "bicarbonate",
        format!("{} mmol/L", num(hco3)),
        if low {
            "<= 15 mmol/L -3"
        } else {
            "> 15 mmol/L 0"
        },
        if low { -3 } else { 0 },
    ));
    items.push(item("constant", "-".into(), "constant -6", CONSTANT));

    let score: i32 = items.iter().map(|i| i.points).sum();
    let (class, survival) = class_of(score);
    ScoreResult {
        name: "SAVE",
        score,
        range: [MIN, MAX],
        class: class.to_string(),
        survival_percent: Some(survival),
        survival_6m_percent: None,
        in_hospital_mortality_percent: None,
        cpc_1_2_30d_percent: None,
        outcome: "survival to hospital discharge of the class in the derivation cohort (3,846 ELSO patients 2003-2013; class I > 5, class II 1 to 5)".into(),
        items,
        derived: Vec::new(),
        warnings,
        citation: c,
    }
}

/// SAVE score of a validated patient, with the derivations it used.
pub fn save(p: &Patient) -> Result<ScoreResult, ClinicalError> {
    let (input, derived) = SaveInput::from_patient(p)?;
    let mut r = save_score(&input);
    r.derived = derived;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A neutral input: every item 0 points except the constant.
    /// (age 70 -> 0, weight 95 -> 0, no flags, not intubated, PIP 25 -> 0, DBP 30 -> 0,
    /// PP 30 -> 0, HCO3 20 -> 0.) Total = -6.
    fn neutral() -> SaveInput {
        SaveInput {
            age_years: 70,
            weight_kg: 95.0,
            myocarditis: false,
            refractory_vt_vf: false,
            post_transplant: false,
            congenital_heart_disease: false,
            liver_failure: false,
            cns_dysfunction: false,
            acute_renal_failure: false,
            chronic_renal_failure: false,
            intubation_hours_before_ecmo: None,
            peak_inspiratory_pressure_cmh2o: 25.0,
            cardiac_arrest_before_ecmo: false,
            diastolic_bp_mmhg: 30.0,
            pulse_pressure_mmhg: 30.0,
            bicarbonate_mmol_l: 20.0,
        }
    }

    /// Checks that changing `neutral()` with `f` gives the item `item` the published `points`
    /// and the total `-6 + points`.
    fn check(f: impl Fn(&mut SaveInput), item: &str, points: i32) {
        let mut i = neutral();
        f(&mut i);
        let r = save_score(&i);
        let it = r
            .items
            .iter()
            .find(|x| x.item == item)
            .expect("item listed");
        assert_eq!(it.points, points, "item {item}: {:?}", it);
        assert_eq!(r.score, CONSTANT + points, "total for {item}");
    }

    #[test]
    fn neutral_is_constant_only() {
        let r = save_score(&neutral());
        assert_eq!(r.score, -6);
        assert_eq!(r.items.len(), 17);
        assert!(r
            .items
            .iter()
            .any(|i| i.item == "constant" && i.points == -6));
    }

    #[test]
    fn age_bands() {
        for (age, pts) in [
            (18, 7),
            (38, 7),
            (39, 4),
            (52, 4),
            (53, 3),
            (62, 3),
            (63, 0),
            (90, 0),
        ] {
            check(|i| i.age_years = age, "age", pts);
        }
    }

    #[test]
    fn weight_bands() {
        for (w, pts) in [
            (40.0, 1),
            (64.9, 1),
            (65.0, 2),
            (89.0, 2),
            (89.9, 2),
            (90.0, 0),
            (150.0, 0),
        ] {
            check(|i| i.weight_kg = w, "weight", pts);
        }
    }

    #[test]
    fn diagnosis_groups_and_combinations() {
        check(|i| i.myocarditis = true, "diagnosis_myocarditis", 3);
        check(
            |i| i.refractory_vt_vf = true,
            "diagnosis_refractory_vt_vf",
            2,
        );
        check(|i| i.post_transplant = true, "diagnosis_post_transplant", 3);
        check(
            |i| i.congenital_heart_disease = true,
            "diagnosis_congenital_heart_disease",
            -3,
        );
        // Groups may be combined: myocarditis + VT/VF = +5.
        let mut i = neutral();
        i.myocarditis = true;
        i.refractory_vt_vf = true;
        assert_eq!(save_score(&i).score, -6 + 3 + 2);
    }

    #[test]
    fn organ_failures() {
        check(|i| i.liver_failure = true, "liver_failure", -3);
        check(|i| i.cns_dysfunction = true, "cns_dysfunction", -3);
        check(|i| i.acute_renal_failure = true, "acute_renal_failure", -3);
        check(
            |i| i.chronic_renal_failure = true,
            "chronic_renal_failure",
            -6,
        );
        check(
            |i| i.cardiac_arrest_before_ecmo = true,
            "pre_ecmo_cardiac_arrest",
            -2,
        );
    }

    #[test]
    fn intubation_bands() {
        for (h, pts) in [
            (None, 0),
            (Some(0.0), 0),
            (Some(10.0), 0),
            (Some(11.0), -2),
            (Some(29.0), -2),
            (Some(30.0), -4),
            (Some(100.0), -4),
        ] {
            check(
                |i| i.intubation_hours_before_ecmo = h,
                "intubation_duration",
                pts,
            );
        }
    }

    #[test]
    fn haemodynamic_and_gas_thresholds() {
        for (v, pts) in [(20.0, 3), (19.0, 3), (20.1, 0), (21.0, 0)] {
            check(
                |i| i.peak_inspiratory_pressure_cmh2o = v,
                "peak_inspiratory_pressure",
                pts,
            );
        }
        for (v, pts) in [(40.0, 3), (41.0, 3), (39.9, 0), (39.0, 0)] {
            check(|i| i.diastolic_bp_mmhg = v, "diastolic_bp", pts);
        }
        for (v, pts) in [(20.0, -2), (10.0, -2), (20.1, 0), (21.0, 0)] {
            check(|i| i.pulse_pressure_mmhg = v, "pulse_pressure", pts);
        }
        for (v, pts) in [(15.0, -3), (10.0, -3), (15.1, 0), (16.0, 0)] {
            check(|i| i.bicarbonate_mmol_l = v, "bicarbonate", pts);
        }
    }

    #[test]
    fn class_boundaries() {
        // Both sides of every boundary; 5 is class II as in the paper's table (I is > 5).
        for (s, class, surv) in [
            (17, "I", 75.0),
            (6, "I", 75.0),
            (5, "II", 58.0),
            (1, "II", 58.0),
            (0, "III", 42.0),
            (-4, "III", 42.0),
            (-5, "IV", 30.0),
            (-9, "IV", 30.0),
            (-10, "V", 18.0),
            (-35, "V", 18.0),
        ] {
            assert_eq!(class_of(s), (class, surv), "score {s}");
        }
    }

    #[test]
    fn extremes_match_published_range() {
        let best = SaveInput {
            age_years: 30,
            weight_kg: 70.0,
            myocarditis: true,
            refractory_vt_vf: true,
            post_transplant: true,
            peak_inspiratory_pressure_cmh2o: 15.0,
            diastolic_bp_mmhg: 60.0,
            ..neutral()
        };
        assert_eq!(save_score(&best).score, MAX);
        let worst = SaveInput {
            age_years: 70,
            weight_kg: 95.0,
            congenital_heart_disease: true,
            liver_failure: true,
            cns_dysfunction: true,
            acute_renal_failure: true,
            chronic_renal_failure: true,
            intubation_hours_before_ecmo: Some(48.0),
            cardiac_arrest_before_ecmo: true,
            pulse_pressure_mmhg: 10.0,
            bicarbonate_mmol_l: 10.0,
            ..neutral()
        };
        assert_eq!(save_score(&worst).score, MIN);
    }

    fn arb_input() -> impl Strategy<Value = SaveInput> {
        (
            (18u32..=120, 0.3f64..400.0, any::<[bool; 9]>()),
            (proptest::option::of(0.0f64..8760.0), 0.0f64..100.0),
            (0.0f64..200.0, 0.0f64..250.0, 0.0f64..60.0),
        )
            .prop_map(|((age, w, b), (h, pip), (dbp, pp, hco3))| SaveInput {
                age_years: age,
                weight_kg: w,
                myocarditis: b[0],
                refractory_vt_vf: b[1],
                post_transplant: b[2],
                congenital_heart_disease: b[3],
                liver_failure: b[4],
                cns_dysfunction: b[5],
                acute_renal_failure: b[6],
                chronic_renal_failure: b[7],
                intubation_hours_before_ecmo: h,
                peak_inspiratory_pressure_cmh2o: pip,
                cardiac_arrest_before_ecmo: b[8],
                diastolic_bp_mmhg: dbp,
                pulse_pressure_mmhg: pp,
                bicarbonate_mmol_l: hco3,
            })
    }

    proptest! {
        #[test]
        fn score_within_published_range(i in arb_input()) {
            let r = save_score(&i);
            prop_assert!((MIN..=MAX).contains(&r.score));
            prop_assert_eq!(r.score, r.items.iter().map(|x| x.points).sum::<i32>());
            prop_assert_eq!(class_of(r.score).0, r.class.as_str());
        }

        #[test]
        fn any_number_even_implausible_stays_in_range(
            age in any::<u32>(), w in any::<f64>(), pip in any::<f64>(), h in any::<f64>()
        ) {
            let i = SaveInput { age_years: age, weight_kg: w, peak_inspiratory_pressure_cmh2o: pip,
                intubation_hours_before_ecmo: Some(h), ..neutral() };
            let r = save_score(&i);
            prop_assert!((MIN..=MAX).contains(&r.score));
        }
    }
}
