//! O2 and CO2 contents, alveolar gas equation and stream mixing.
//!
//! Contents are in mL of gas (STPD) per dL of blood (`_ml_per_dl`).
//!
//! Sources:
//! * O2 content `CO2 = 1.34 Hb SO2 + 0.003 PO2` (Hüfner-type binding 1.34 mL
//!   O2 per g Hb; plasma solubility 0.003 mL O2 /dL/mmHg): standard textbook
//!   form (e.g. West JB, Respiratory Physiology: The Essentials; Guyton & Hall),
//!   as recorded in `reference/physiology.md`. Some texts use 1.39.
//! * Alveolar gas equation, simplified form
//!   `PAO2 = FiO2 (Pb - PH2O) - PaCO2 / RQ` (same textbooks).
//! * Stream mixing: contents, not saturations or partial pressures, add in
//!   proportion to flows (conservation of mass).
//! * CO2: linearised whole-blood CO2 dissociation through the textbook
//!   arterial and mixed-venous pairs (PaCO2 40 mmHg, CaCO2 48 mL/dL;
//!   PvCO2 46 mmHg, CvCO2 52 mL/dL; West, Respiratory Physiology) giving
//!   `CCO2 = 21.33 + 0.667 PCO2` mL/dL. Valid only around 30-60 mmHg; it
//!   ignores the Haldane effect.

use super::dissociation::{dso2_dpo2_severinghaus, so2_severinghaus, PO2_CLAMP_MAX_MMHG};

/// O2 bound per gram of fully saturated haemoglobin, mL O2/g (textbook 1.34).
pub const O2_BINDING_ML_PER_G: f64 = 1.34;
/// Plasma O2 solubility, mL O2 per dL blood per mmHg (textbook 0.003).
pub const O2_SOLUBILITY_ML_PER_DL_MMHG: f64 = 0.003;
/// Water vapour pressure at 37 °C, mmHg (textbook 47).
pub const PH2O_37C_MMHG: f64 = 47.0;
/// Linearised CO2 dissociation intercept, mL CO2/dL (derived from the West
/// arterial/venous pairs above: 48 - 0.6667 * 40).
pub const CO2_CONTENT_INTERCEPT_ML_PER_DL: f64 = 48.0 - CO2_CONTENT_SLOPE_ML_PER_DL_MMHG * 40.0;
/// Linearised CO2 dissociation slope, mL CO2/dL/mmHg ((52 - 48) / (46 - 40)).
pub const CO2_CONTENT_SLOPE_ML_PER_DL_MMHG: f64 = 4.0 / 6.0;

/// Maximum Newton/bisection iterations in [`po2_from_c_o2_mmhg`].
const MAX_ITER: usize = 60;

/// Blood O2 content (mL O2/dL) for a PO2 (mmHg) and haemoglobin (g/dL), with
/// the saturation from the Severinghaus (1979) curve.
///
/// Total: PO2 clamped to `[0, 5000]`, Hb clamped to `[0, 30]` g/dL.
#[inline]
pub fn c_o2_ml_per_dl(po2_mmhg: f64, hb_g_dl: f64) -> f64 {
    c_o2_with_capacity_ml_per_dl(po2_mmhg, o2_capacity_ml_per_dl(hb_g_dl))
}

/// The O2 binding capacity `1.34·Hb` (mL O2/dL) of [`c_o2_ml_per_dl`], Hb clamped to
/// `[0, 30]` g/dL: it depends on Hb alone, so the integrator computes it once per model.
#[inline]
pub(crate) fn o2_capacity_ml_per_dl(hb_g_dl: f64) -> f64 {
    O2_BINDING_ML_PER_G * clamp_or(hb_g_dl, 0.0, 30.0, 0.0)
}

/// [`c_o2_ml_per_dl`] for a binding capacity from [`o2_capacity_ml_per_dl`]: the same
/// operations in the same order.
#[inline]
pub(crate) fn c_o2_with_capacity_ml_per_dl(po2_mmhg: f64, capacity_ml_per_dl: f64) -> f64 {
    let p = clamp_or(po2_mmhg, 0.0, PO2_CLAMP_MAX_MMHG, 0.0);
    capacity_ml_per_dl * so2_severinghaus(p) + O2_SOLUBILITY_ML_PER_DL_MMHG * p
}

/// O2 content (mL O2/dL) from a known saturation (fraction) and PO2 (mmHg):
/// `1.34 Hb SO2 + 0.003 PO2`.
#[inline]
pub fn c_o2_from_so2_ml_per_dl(so2: f64, po2_mmhg: f64, hb_g_dl: f64) -> f64 {
    let s = clamp_or(so2, 0.0, 1.0, 0.0);
    let p = clamp_or(po2_mmhg, 0.0, PO2_CLAMP_MAX_MMHG, 0.0);
    let hb = clamp_or(hb_g_dl, 0.0, 30.0, 0.0);
    O2_BINDING_ML_PER_G * hb * s + O2_SOLUBILITY_ML_PER_DL_MMHG * p
}

/// Inverse of [`c_o2_ml_per_dl`]: the PO2 (mmHg) at which blood with the given
/// Hb (g/dL) holds `c_o2_target_ml_per_dl` mL O2/dL.
///
/// The content is strictly increasing in PO2 (dissolved term), so the root is
/// unique. Solved by safeguarded Newton iteration inside a shrinking
/// bisection bracket `[0, 5000]` mmHg, at most 60 iterations, no allocation.
/// Contents below 0 return 0; contents above the value at 5000 mmHg return
/// 5000. Tolerance 1e-9 mmHg.
pub fn po2_from_c_o2_mmhg(c_o2_target_ml_per_dl: f64, hb_g_dl: f64) -> f64 {
    let hb = clamp_or(hb_g_dl, 0.0, 30.0, 0.0);
    let target = if c_o2_target_ml_per_dl.is_nan() {
        0.0
    } else {
        c_o2_target_ml_per_dl
    };
    let f = |p: f64| c_o2_ml_per_dl(p, hb) - target;
    let mut lo = 0.0_f64;
    let mut hi = PO2_CLAMP_MAX_MMHG;
    if f(lo) >= 0.0 {
        return lo;
    }
    if f(hi) <= 0.0 {
        return hi;
    }
    // Start from the Severinghaus inverse of the bound part as a good guess.
    let mut p = 40.0_f64;
    for _ in 0..MAX_ITER {
        let fp = f(p);
        if fp.abs() < 1e-12 {
            return p;
        }
        if fp > 0.0 {
            hi = p;
        } else {
            lo = p;
        }
        let d = O2_BINDING_ML_PER_G * hb * dso2_dpo2_severinghaus(p) + O2_SOLUBILITY_ML_PER_DL_MMHG;
        let newton = p - fp / d;
        p = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo < 1e-9 {
            break;
        }
    }
    p
}

/// O2 saturation implied by a content and Hb: solves for PO2 then applies the
/// Severinghaus curve.
#[inline]
pub fn so2_from_c_o2(c_o2_ml_per_dl: f64, hb_g_dl: f64) -> f64 {
    so2_severinghaus(po2_from_c_o2_mmhg(c_o2_ml_per_dl, hb_g_dl))
}

/// Simplified alveolar gas equation, mmHg:
/// `PAO2 = FiO2 (Pb - PH2O) - PaCO2 / RQ`.
///
/// `fio2` clamped to `[0, 1]`, `p_baro_mmhg` to `[PH2O, 5000]`, `paco2_mmhg`
/// to `[0, 200]`, `rq` to `[0.5, 1.5]`; the result is floored at 0.
#[inline]
pub fn alveolar_po2_mmhg(fio2: f64, p_baro_mmhg: f64, paco2_mmhg: f64, rq: f64) -> f64 {
    let f = clamp_or(fio2, 0.0, 1.0, 0.21);
    let pb = clamp_or(p_baro_mmhg, PH2O_37C_MMHG, 5000.0, 760.0);
    let pc = clamp_or(paco2_mmhg, 0.0, 200.0, 40.0);
    let r = clamp_or(rq, 0.5, 1.5, 0.8);
    (f * (pb - PH2O_37C_MMHG) - pc / r).max(0.0)
}

/// Flow-weighted mixing of two blood streams' contents (any gas, any content
/// unit): `(c1 q1 + c2 q2) / (q1 + q2)`.
///
/// Only forward flows mix: negative flows are treated as 0. If both flows are
/// (near) zero the arithmetic mean is returned, so the result is always
/// finite for finite contents.
#[inline]
pub fn mix_contents(c1: f64, q1_ml_s: f64, c2: f64, q2_ml_s: f64) -> f64 {
    let q1 = if q1_ml_s > 0.0 { q1_ml_s } else { 0.0 };
    let q2 = if q2_ml_s > 0.0 { q2_ml_s } else { 0.0 };
    let qt = q1 + q2;
    if qt < 1e-12 || !qt.is_finite() {
        0.5 * (c1 + c2)
    } else {
        (c1 * q1 + c2 * q2) / qt
    }
}

/// Pulmonary venous content with an intrapulmonary shunt fraction:
/// `(1 - Qs/Qt) Cc'O2 + (Qs/Qt) CvO2`. `shunt_fraction` clamped to `[0, 1]`.
#[inline]
pub fn shunt_mixed_content(c_capillary: f64, c_mixed_venous: f64, shunt_fraction: f64) -> f64 {
    let fs = clamp_or(shunt_fraction, 0.0, 1.0, 0.0);
    (1.0 - fs) * c_capillary + fs * c_mixed_venous
}

/// Whole-blood CO2 content (mL CO2/dL) from PCO2 (mmHg), linearised
/// dissociation `21.33 + 0.667 PCO2` (see module docs). PCO2 clamped to
/// `[0, 200]`.
#[inline]
pub fn c_co2_ml_per_dl(pco2_mmhg: f64) -> f64 {
    let p = clamp_or(pco2_mmhg, 0.0, 200.0, 40.0);
    CO2_CONTENT_INTERCEPT_ML_PER_DL + CO2_CONTENT_SLOPE_ML_PER_DL_MMHG * p
}

/// Inverse of [`c_co2_ml_per_dl`]: PCO2 (mmHg) for a CO2 content (mL/dL),
/// clamped to `[0, 200]` mmHg.
#[inline]
pub fn pco2_from_c_co2_mmhg(c_co2_ml_per_dl: f64) -> f64 {
    let c = if c_co2_ml_per_dl.is_nan() {
        48.0
    } else {
        c_co2_ml_per_dl
    };
    ((c - CO2_CONTENT_INTERCEPT_ML_PER_DL) / CO2_CONTENT_SLOPE_ML_PER_DL_MMHG).clamp(0.0, 200.0)
}

#[inline]
fn clamp_or(v: f64, lo: f64, hi: f64, nan_default: f64) -> f64 {
    if v.is_nan() {
        nan_default
    } else {
        v.clamp(lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arterial_content_about_20() {
        // Hb 15, PO2 100 -> ~20 mL/dL (textbook CaO2).
        let c = c_o2_ml_per_dl(100.0, 15.0);
        assert!((19.5..20.5).contains(&c), "{c}");
    }

    #[test]
    fn inverse_round_trip() {
        for &p in &[5.0, 20.0, 27.0, 40.0, 60.0, 100.0, 300.0, 600.0] {
            let c = c_o2_ml_per_dl(p, 12.0);
            let back = po2_from_c_o2_mmhg(c, 12.0);
            assert!((back - p).abs() < 1e-6 * p.max(1.0), "{p} {back}");
        }
        assert!(po2_from_c_o2_mmhg(-5.0, 12.0) == 0.0);
        assert!(po2_from_c_o2_mmhg(1e9, 12.0) == PO2_CLAMP_MAX_MMHG);
        assert!(po2_from_c_o2_mmhg(10.0, 0.0).is_finite());
    }

    #[test]
    fn alveolar_room_air() {
        // 0.21 * 713 - 40 / 0.8 = 99.7 mmHg.
        let p = alveolar_po2_mmhg(0.21, 760.0, 40.0, 0.8);
        assert!((p - 99.73).abs() < 0.01, "{p}");
    }

    #[test]
    fn mixing() {
        assert!((mix_contents(20.0, 3.0, 10.0, 1.0) - 17.5).abs() < 1e-12);
        assert_eq!(mix_contents(20.0, 0.0, 10.0, 0.0), 15.0);
        assert_eq!(mix_contents(20.0, -1.0, 10.0, 2.0), 10.0);
        assert!((shunt_mixed_content(20.0, 15.0, 0.2) - 19.0).abs() < 1e-12);
    }

    #[test]
    fn co2_pairs() {
        assert!((c_co2_ml_per_dl(40.0) - 48.0).abs() < 1e-9);
        assert!((c_co2_ml_per_dl(46.0) - 52.0).abs() < 1e-9);
        assert!((pco2_from_c_co2_mmhg(52.0) - 46.0).abs() < 1e-9);
    }
}
