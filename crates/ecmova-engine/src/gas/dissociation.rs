//! Oxygen-haemoglobin dissociation curve after Severinghaus (1979).
//!
//! Source: Severinghaus JW. Simple, accurate equations for human blood O2
//! dissociation computations. J Appl Physiol 1979;46(3):599-602
//! (PMID 35496).
//!
//! * Forward curve: `SO2 = 1 / (23400 / (PO2^3 + 150 PO2) + 1)`.
//! * Inverse (same paper):
//!   `ln PO2 = 0.385 ln[(1/S - 1)^-1] + 3.32 - 1/(72 S) - 0.17 S^6`.
//! * Virtual-PO2 correction for temperature, pH and PCO2 (same paper):
//!   `PO2_virtual = PO2 * 10^(0.024 (37 - T) + 0.40 (pH - 7.40) + 0.06 log10(40 / PCO2))`.
//!
//! The forward form is evaluated as `x / (x + 23400)` with
//! `x = PO2^3 + 150 PO2`, which is algebraically identical and cannot divide
//! by zero.

/// Upper clamp for partial pressures fed to the curve, mmHg. Far above any
/// hyperbaric value; keeps `PO2^3` finite.
pub const PO2_CLAMP_MAX_MMHG: f64 = 5000.0;

/// Severinghaus (1979) constant `23400` mmHg^3.
const SEV_K: f64 = 23_400.0;
/// Severinghaus (1979) linear coefficient `150` mmHg^2.
const SEV_LIN: f64 = 150.0;

/// Fractional O2 saturation for a PO2 in mmHg (standard conditions: 37 °C,
/// pH 7.40, PCO2 40 mmHg), Severinghaus 1979.
///
/// Total: PO2 is clamped to `[0, PO2_CLAMP_MAX_MMHG]`; NaN input returns 0.
/// Output is in `[0, 1)` and non-decreasing in PO2.
#[inline]
pub fn so2_severinghaus(po2_mmhg: f64) -> f64 {
    let p = clamp_p(po2_mmhg);
    let x = p * (p * p + SEV_LIN);
    x / (x + SEV_K)
}

/// Derivative dSO2/dPO2 (1/mmHg) of [`so2_severinghaus`]; 0 outside the
/// clamp range.
#[inline]
pub fn dso2_dpo2_severinghaus(po2_mmhg: f64) -> f64 {
    if !(0.0..=PO2_CLAMP_MAX_MMHG).contains(&po2_mmhg) {
        return 0.0;
    }
    let p = po2_mmhg;
    let x = p * (p * p + SEV_LIN);
    let den = x + SEV_K;
    SEV_K * (3.0 * p * p + SEV_LIN) / (den * den)
}

/// PO2 (mmHg) for a fractional saturation, Severinghaus 1979 inverse formula.
///
/// The saturation is clamped to `[1e-6, 1 - 1e-9]` (NaN gives the lower
/// bound), so the result is always finite and positive. This closed form is
/// Severinghaus' own approximate inverse; it round-trips the forward curve
/// to within about 1-2 % of PO2 over 10-95 % saturation (see
/// `tests/gas_validation.rs`). For an exact inverse of content use
/// [`crate::gas::content::po2_from_c_o2_mmhg`].
#[inline]
pub fn po2_from_so2_severinghaus_mmhg(so2: f64) -> f64 {
    let s = if so2.is_nan() {
        1e-6
    } else {
        so2.clamp(1e-6, 1.0 - 1e-9)
    };
    let s2 = s * s;
    let s6 = s2 * s2 * s2;
    let ln_p = 0.385 * (s / (1.0 - s)).ln() + 3.32 - 1.0 / (72.0 * s) - 0.17 * s6;
    ln_p.exp().min(PO2_CLAMP_MAX_MMHG)
}

/// Saturation with Severinghaus' (1979) virtual-PO2 correction for blood
/// temperature (°C), pH and PCO2 (mmHg).
///
/// Inputs are clamped to physiologically meaningful ranges before use:
/// temperature `[15, 45]` °C, pH `[6.5, 8.0]`, PCO2 `[5, 200]` mmHg. At
/// 37 °C / pH 7.40 / PCO2 40 this equals [`so2_severinghaus`].
#[inline]
pub fn so2_severinghaus_corrected(po2_mmhg: f64, temp_c: f64, ph: f64, pco2_mmhg: f64) -> f64 {
    let t = finite_clamp(temp_c, 15.0, 45.0, 37.0);
    let ph = finite_clamp(ph, 6.5, 8.0, 7.40);
    let pc = finite_clamp(pco2_mmhg, 5.0, 200.0, 40.0);
    let exponent = 0.024 * (37.0 - t) + 0.40 * (ph - 7.40) + 0.06 * (40.0 / pc).log10();
    so2_severinghaus(clamp_p(po2_mmhg) * 10f64.powf(exponent))
}

#[inline]
fn clamp_p(p: f64) -> f64 {
    if p.is_nan() {
        0.0
    } else {
        p.clamp(0.0, PO2_CLAMP_MAX_MMHG)
    }
}

#[inline]
fn finite_clamp(v: f64, lo: f64, hi: f64, nan_default: f64) -> f64 {
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
    fn p50_is_about_26_8() {
        // Severinghaus curve P50 is 26.8-26.9 mmHg.
        let s = so2_severinghaus(26.8);
        assert!((s - 0.5).abs() < 0.005, "{s}");
    }

    #[test]
    fn edges_are_finite() {
        for p in [f64::MIN, -1.0, 0.0, 1e-300, 1e6, f64::MAX, f64::NAN] {
            let s = so2_severinghaus(p);
            assert!(s.is_finite() && (0.0..=1.0).contains(&s));
        }
        for s in [-1.0, 0.0, 0.5, 1.0, 2.0, f64::NAN] {
            assert!(po2_from_so2_severinghaus_mmhg(s).is_finite());
        }
    }

    #[test]
    fn correction_identity_at_standard() {
        let a = so2_severinghaus(60.0);
        let b = so2_severinghaus_corrected(60.0, 37.0, 7.40, 40.0);
        assert!((a - b).abs() < 1e-12);
        // Acidosis shifts the curve right (lower saturation).
        assert!(so2_severinghaus_corrected(40.0, 37.0, 7.20, 40.0) < so2_severinghaus(40.0));
    }
}
