//! Units of the patient format: every measured number has one canonical unit (the one in its
//! key, written as a UCUM code below). A value may be given with another UCUM unit,
//! `{"value": 1.8, "unit": "mg/dL"}`, and is converted; a bare number is taken in the canonical
//! unit and must lie in the field's plausible range, which is chosen so that the common unit
//! slips (creatinine or bilirubin in mg/dL, lactate in mg/dL, PaO2 in kPa, a fraction for a
//! percentage, metres for centimetres) fall outside it and are refused with the likely slip.
//!
//! The plausible ranges are ecmova's data-entry limits, not clinical thresholds; a real value
//! outside one (e.g. a lactate of 32 mmol/L) is accepted when its unit is written explicitly,
//! and then only the wider hard limits of [`crate::patient::RANGES`] apply.
//!
//! Conversion factors: creatinine 88.42 umol/L per mg/dL (molar mass 113.12 g/mol);
//! bilirubin 17.10 umol/L per mg/dL (584.66 g/mol); lactate 0.1110 mmol/L per mg/dL
//! (90.08 g/mol); 1 ukat/L = 60 U/L (1 U = 1 umol/min); 1 kPa = 7.50062 mmHg = 10.1972 cmH2O;
//! 1 mmHg = 1.35951 cmH2O; 1 [lb_av] = 0.45359237 kg; 1 [in_i] = 2.54 cm (the UCUM
//! definitions, Schadow & McDonald, The Unified Code for Units of Measure).

use crate::error::ClinicalError;
use crate::wire::FieldKind;
use serde_json::Value;

/// A measured field's units and plausible range.
#[derive(Debug, Clone, Copy)]
pub struct FieldUnits {
    /// Patient key.
    pub field: &'static str,
    /// Canonical UCUM unit (what a bare number means).
    pub unit: &'static str,
    /// Other accepted UCUM units with the factor that converts them to the canonical unit.
    pub others: &'static [(&'static str, f64)],
    /// Plausible range of a bare number, canonical unit.
    pub plausible: (f64, f64),
    /// The unit a bare number below the range was probably written in.
    pub slip_low: Option<&'static str>,
    /// The unit a bare number above the range was probably written in.
    pub slip_high: Option<&'static str>,
}

const KPA: (&str, f64) = ("kPa", 7.50062);
const MMHG: &[(&str, f64)] = &[KPA];
const CREAT: &[(&str, f64)] = &[("mg/dL", 88.42), ("mmol/L", 1000.0)];
const BILI: &[(&str, f64)] = &[("mg/dL", 17.104)];
const LACT: &[(&str, f64)] = &[("mg/dL", 1.0 / 9.008)];
const ENZ: &[(&str, f64)] = &[("ukat/L", 60.0), ("[IU]/L", 1.0)];
const PCT: &[(&str, f64)] = &[("1", 100.0)];
const MIN: &[(&str, f64)] = &[("h", 60.0), ("s", 1.0 / 60.0)];
const NONE: &[(&str, f64)] = &[];

macro_rules! fu {
    ($f:expr, $u:expr, $o:expr, $lo:expr, $hi:expr) => {
        FieldUnits {
            field: $f,
            unit: $u,
            others: $o,
            plausible: ($lo, $hi),
            slip_low: None,
            slip_high: None,
        }
    };
    ($f:expr, $u:expr, $o:expr, $lo:expr, $hi:expr, low $sl:expr) => {
        FieldUnits {
            field: $f,
            unit: $u,
            others: $o,
            plausible: ($lo, $hi),
            slip_low: Some($sl),
            slip_high: None,
        }
    };
    ($f:expr, $u:expr, $o:expr, $lo:expr, $hi:expr, high $sh:expr) => {
        FieldUnits {
            field: $f,
            unit: $u,
            others: $o,
            plausible: ($lo, $hi),
            slip_low: None,
            slip_high: Some($sh),
        }
    };
}

/// Every measured (decimal) field of the patient format.
#[rustfmt::skip]
pub const UNITS: &[FieldUnits] = &[
    fu!("age_years", "a", NONE, 0.0, 120.0),
    fu!("weight_kg", "kg", &[("g", 0.001), ("[lb_av]", 0.453_592_37)], 0.3, 400.0),
    fu!("height_cm", "cm", &[("m", 100.0), ("[in_i]", 2.54)], 20.0, 272.0, low "m"),
    fu!("bmi_kg_m2", "kg/m2", NONE, 5.0, 150.0),
    fu!("bilirubin_umol_l", "umol/L", BILI, 3.0, 1000.0, low "mg/dL"),
    fu!("alt_u_l", "U/L", ENZ, 1.0, 50000.0, low "ukat/L"),
    fu!("ast_u_l", "U/L", ENZ, 1.0, 50000.0, low "ukat/L"),
    fu!("creatinine_umol_l", "umol/L", CREAT, 15.0, 2500.0, low "mg/dL"),
    fu!("egfr_ml_min_1_73m2", "mL/min/{1.73_m2}", NONE, 0.0, 250.0),
    fu!("intubation_hours_before_ecmo", "h", &[("min", 1.0 / 60.0), ("d", 24.0)], 0.0, 8760.0),
    fu!("peak_inspiratory_pressure_cmh2o", "cm[H2O]", &[("mbar", 1.019_72), ("kPa", 10.1972)], 0.0, 100.0),
    fu!("systolic_bp_mmhg", "mm[Hg]", MMHG, 20.0, 300.0, low "kPa"),
    fu!("diastolic_bp_mmhg", "mm[Hg]", MMHG, 0.0, 200.0),
    fu!("pulse_pressure_mmhg", "mm[Hg]", MMHG, 0.0, 250.0),
    fu!("mean_arterial_pressure_mmhg", "mm[Hg]", MMHG, 0.0, 250.0),
    fu!("heart_rate_bpm", "/min", NONE, 0.0, 350.0),
    fu!("cardiac_index_l_min_m2", "L/min/m2", NONE, 0.0, 10.0),
    fu!("pcwp_mmhg", "mm[Hg]", MMHG, 0.0, 80.0),
    fu!("right_atrial_pressure_mmhg", "mm[Hg]", &[KPA, ("cm[H2O]", 0.735_56)], -10.0, 60.0),
    fu!("papi", "1", NONE, 0.0, 50.0),
    fu!("cardiac_power_output_w", "W", NONE, 0.0, 10.0),
    fu!("bicarbonate_mmol_l", "mmol/L", &[("meq/L", 1.0)], 2.0, 60.0),
    fu!("arterial_ph", "[pH]", NONE, 6.5, 7.9),
    fu!("lactate_mmol_l", "mmol/L", LACT, 0.0, 30.0, high "mg/dL"),
    fu!("prothrombin_activity_percent", "%", NONE, 0.0, 150.0),
    fu!("lvef_percent", "%", PCT, 1.0, 90.0, low "1"),
    fu!("no_flow_minutes", "min", MIN, 0.0, 120.0),
    fu!("low_flow_minutes", "min", MIN, 0.0, 600.0),
    fu!("expected_transport_minutes", "min", MIN, 0.0, 1440.0),
    fu!("expected_collapse_to_cath_lab_minutes", "min", MIN, 0.0, 1440.0),
    fu!("expected_collapse_to_cannulation_minutes", "min", MIN, 0.0, 1440.0),
    fu!("call_to_hospital_minutes", "min", MIN, 0.0, 1440.0),
    fu!("etco2_mmhg", "mm[Hg]", MMHG, 0.0, 100.0),
    fu!("pao2_mmhg", "mm[Hg]", MMHG, 15.0, 700.0, low "kPa"),
    fu!("sao2_percent", "%", PCT, 1.0, 100.0, low "1"),
    fu!("weaning_flow_l_min", "L/min", &[("mL/min", 0.001)], 0.0, 10.0, high "mL/min"),
    fu!("weaning_aortic_vti_cm", "cm", &[("mm", 0.1)], 0.0, 60.0, high "mm"),
    fu!("weaning_lvef_percent", "%", PCT, 1.0, 90.0, low "1"),
    fu!("weaning_lateral_tdsa_cm_s", "cm/s", &[("mm/s", 0.1)], 0.0, 30.0, high "mm/s"),
    fu!("weaning_map_mmhg", "mm[Hg]", MMHG, 0.0, 250.0),
    fu!("weaning_lactate_mmol_l", "mmol/L", LACT, 0.0, 30.0, high "mg/dL"),
    fu!("weaning_tapse_mm", "mm", &[("cm", 10.0)], 1.0, 50.0, low "cm"),
    fu!("weaning_native_pao2_fio2_mmhg", "mm[Hg]", MMHG, 20.0, 700.0, low "kPa"),
];

/// The units entry of a field, if it is a measured number.
pub fn units_of(field: &str) -> Option<&'static FieldUnits> {
    UNITS.iter().find(|u| u.field == field)
}

fn fmt(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    if r.fract() == 0.0 && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// Checks a bare number against the plausible range of its field.
pub fn check_bare(field: &str, x: f64) -> Result<(), ClinicalError> {
    let Some(u) = units_of(field) else {
        return Ok(());
    };
    let (min, max) = u.plausible;
    if x.is_finite() && x >= min && x <= max {
        return Ok(());
    }
    // Outside the hard limits (or not finite): out of range, as for any value.
    if let Some((f, lo, hi, unit)) = crate::patient::RANGES.iter().find(|r| r.0 == field) {
        if !x.is_finite() || x < *lo || x > *hi {
            return Err(ClinicalError::OutOfRange {
                field: f,
                value: x,
                min: *lo,
                max: *hi,
                unit,
            });
        }
    }
    let slip = if x < min { u.slip_low } else { u.slip_high };
    let hint = slip.and_then(|s| {
        let f = u.others.iter().find(|(n, _)| *n == s)?.1;
        Some(format!(
            "it looks like {s}: {} {s} = {} {}",
            fmt(x),
            fmt(x * f),
            u.unit
        ))
    });
    Err(ClinicalError::Implausible {
        field: field.to_string(),
        value: x,
        min,
        max,
        unit: u.unit,
        unit_example: slip.unwrap_or(u.unit),
        hint,
    })
}

/// Converts `{"value": x, "unit": u}` to the canonical unit in place (returning the
/// conversion in words), and checks bare numbers.
pub fn normalise(
    field: &str,
    kind: FieldKind,
    value: &mut Value,
) -> Result<Option<String>, ClinicalError> {
    let bad = |message: String| ClinicalError::InvalidValue {
        field: field.to_string(),
        message,
    };
    match (kind, &*value) {
        (FieldKind::Number, Value::Number(n)) => {
            if let Some(x) = n.as_f64() {
                check_bare(field, x)?;
            }
            Ok(None)
        }
        (FieldKind::Number, Value::Object(o)) => {
            let u = units_of(field);
            let accepted = || match u {
                Some(u) => std::iter::once(u.unit)
                    .chain(u.others.iter().map(|(n, _)| *n))
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => "none".into(),
            };
            if o.len() != 2 || !o.contains_key("value") || !o.contains_key("unit") {
                return Err(bad(format!(
                    "a measured value is a number or {{\"value\": <number>, \"unit\": <UCUM code>}}; accepted units: {}",
                    accepted()
                )));
            }
            let x = o
                .get("value")
                .and_then(Value::as_f64)
                .ok_or_else(|| bad("`value` must be a number".into()))?;
            let unit = o
                .get("unit")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("`unit` must be a UCUM code (text)".into()))?;
            let u = u.ok_or_else(|| bad("this field takes no unit".into()))?;
            let factor = if unit == u.unit {
                1.0
            } else {
                u.others
                    .iter()
                    .find(|(n, _)| *n == unit)
                    .map(|(_, f)| *f)
                    .ok_or_else(|| {
                        bad(format!(
                            "unit `{unit}` is not accepted; accepted UCUM units: {}",
                            accepted()
                        ))
                    })?
            };
            let converted = serde_json::Number::from_f64(x * factor)
                .ok_or_else(|| bad(format!("{x} {unit} is not a finite number")))?;
            let text = format!(
                "{field}: {} {unit} = {} {}",
                fmt(x),
                fmt(x * factor),
                u.unit
            );
            *value = Value::Number(converted);
            Ok(Some(text))
        }
        (_, Value::Object(_)) => Err(bad(
            "a {\"value\", \"unit\"} object is accepted only for measured numbers".into(),
        )),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::FIELDS;

    #[test]
    fn every_number_field_has_units_and_plausible_inside_hard() {
        for (k, kind) in FIELDS {
            if *kind == FieldKind::Number {
                let u = units_of(k).unwrap_or_else(|| panic!("{k} has no units entry"));
                if let Some((_, lo, hi, _)) = crate::patient::RANGES.iter().find(|r| r.0 == *k) {
                    assert!(u.plausible.0 >= *lo && u.plausible.1 <= *hi, "{k}");
                } else {
                    panic!("{k} has no hard range");
                }
            }
        }
    }

    #[test]
    fn conversions() {
        let mut v = serde_json::json!({"value": 1.8, "unit": "mg/dL"});
        normalise("creatinine_umol_l", FieldKind::Number, &mut v).unwrap();
        assert!((v.as_f64().unwrap() - 159.156).abs() < 1e-9);
        let mut v = serde_json::json!({"value": 10, "unit": "kPa"});
        normalise("pao2_mmhg", FieldKind::Number, &mut v).unwrap();
        assert!((v.as_f64().unwrap() - 75.0062).abs() < 1e-9);
        let mut v = serde_json::json!({"value": 1.8, "unit": "furlongs"});
        let e = normalise("creatinine_umol_l", FieldKind::Number, &mut v).unwrap_err();
        assert!(e.to_string().contains("mg/dL") && e.field() == "creatinine_umol_l");
    }

    #[test]
    fn bare_slip_named() {
        let e = check_bare("creatinine_umol_l", 1.8).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("creatinine_umol_l") && m.contains("mg/dL") && m.contains("159.16"),
            "{m}"
        );
        assert!(check_bare("creatinine_umol_l", 15.0).is_ok());
        let e = check_bare("lactate_mmol_l", 45.0).unwrap_err().to_string();
        assert!(e.contains("mg/dL") && e.contains("5 mmol/L"), "{e}");
        let e = check_bare("sao2_percent", 0.95).unwrap_err().to_string();
        assert!(e.contains("95 %"), "{e}");
    }
}
