//! Ventilation and acid-base: the alveolar ventilation equation, the CO2 buffer line of blood
//! and Henderson-Hasselbalch pH.
//!
//! Sources:
//! * Alveolar ventilation equation `PACO2 = 0.863 · VCO2 / VA` (VCO2 in mL/min STPD, VA in
//!   L/min BTPS; 0.863 = 760 mmHg · 310 K / 273 K / 1000 converts STPD to BTPS): West JB,
//!   *Respiratory Physiology: The Essentials* (chapter 2, "Ventilation"); with no CO2 in the
//!   inspired gas it is the steady-state CO2 mass balance of the alveolar gas.
//! * Alveolar ventilation `VA = VE · (1 − VD/VT)`; normal tidal volume 500 mL with an
//!   anatomic dead space of 150 mL (VD/VT 0.3) at 12 breaths/min (VE 6 L/min): West, same
//!   chapter.
//! * Henderson-Hasselbalch `pH = 6.1 + log10([HCO3⁻] / (0.0307 · PCO2))`, pK' 6.1 and CO2
//!   solubility 0.0307 mmol/L/mmHg in plasma at 37 °C (standard values, e.g. Siggaard-Andersen
//!   O, *The Acid-Base Status of the Blood*, 4th ed., 1974; Berend K, de Vries APJ, Gans ROB,
//!   N Engl J Med 2014;371:1434-45).
//! * Bicarbonate from a fixed base excess through the Van Slyke equation of
//!   Siggaard-Andersen (Scand J Clin Lab Invest 1977;37 Suppl 146:15-20):
//!   `BE = (1 − 0.014 ctHb) · ([HCO3⁻] − 24.8 + (1.43 ctHb + 7.7)(pH − 7.40))`, ctHb in mmol/L
//!   of monomer (g/dL × 0.6206). With BE fixed this is the in-vivo CO2 titration ("buffer")
//!   line: acute changes of PCO2 change pH and bicarbonate as blood buffers do, with no renal
//!   compensation (minutes to hours, the time scale of a simulation).

/// Alveolar ventilation equation constant, mmHg · (L/min) / (mL/min): converts VCO2 (STPD) and
/// VA (BTPS) at 37 °C (West, Respiratory Physiology).
pub const ALVEOLAR_VENTILATION_CONSTANT: f64 = 0.863;
/// Henderson-Hasselbalch pK' of the bicarbonate buffer in plasma at 37 °C.
pub const PK_BICARBONATE: f64 = 6.1;
/// CO2 solubility in plasma at 37 °C, mmol/L/mmHg.
pub const CO2_SOLUBILITY_MMOL_L_MMHG: f64 = 0.0307;
/// Haemoglobin g/dL → mmol/L of monomer (16 114 g/mol per haem; Siggaard-Andersen 1977).
pub const HB_G_DL_TO_MMOL_L: f64 = 0.6206;
/// Van Slyke (Siggaard-Andersen 1977) reference bicarbonate, mmol/L.
const VAN_SLYKE_HCO3_REF: f64 = 24.8;
/// Lowest and highest pH the solver returns (outside any survivable state).
pub const PH_RANGE: (f64, f64) = (6.3, 8.0);

/// Alveolar ventilation, L/min (BTPS): `VE · (1 − VD/VT)`. Both inputs are clamped to their
/// physical ranges (`VE ≥ 0`, `VD/VT` in `[0, 1]`), NaN gives 0.
#[inline]
pub fn alveolar_ventilation_l_min(minute_ventilation_l_min: f64, dead_space_fraction: f64) -> f64 {
    let ve = if minute_ventilation_l_min > 0.0 {
        minute_ventilation_l_min
    } else {
        0.0
    };
    let fd = if dead_space_fraction.is_nan() {
        1.0
    } else {
        dead_space_fraction.clamp(0.0, 1.0)
    };
    ve * (1.0 - fd)
}

/// CO2 the alveolar ventilation carries out per mmHg of alveolar PCO2, mL/s/mmHg (STPD):
/// from `VCO2 = VA · PACO2 / 0.863` (mL/min, L/min).
#[inline]
pub fn ventilation_co2_conductance_ml_s_mmhg(alveolar_ventilation_l_min: f64) -> f64 {
    alveolar_ventilation_l_min.max(0.0) / (ALVEOLAR_VENTILATION_CONSTANT * 60.0)
}

/// Steady-state alveolar PCO2 (mmHg) for a CO2 output of the lungs (mL/min STPD) and an
/// alveolar ventilation (L/min BTPS): `0.863 · VCO2 / VA` (alveolar ventilation equation).
/// Returns `f64::INFINITY` for no ventilation with a positive output.
#[inline]
pub fn alveolar_pco2_mmhg(vco2_ml_min: f64, alveolar_ventilation_l_min: f64) -> f64 {
    ALVEOLAR_VENTILATION_CONSTANT * vco2_ml_min / alveolar_ventilation_l_min
}

/// Plasma bicarbonate (mmol/L) for a PCO2 (mmHg) and pH by Henderson-Hasselbalch.
#[inline]
pub fn bicarbonate_mmol_l(pco2_mmhg: f64, ph: f64) -> f64 {
    CO2_SOLUBILITY_MMOL_L_MMHG * pco2_mmhg.max(0.0) * 10f64.powf(ph - PK_BICARBONATE)
}

/// Blood pH for a PCO2 (mmHg) at a fixed base excess (mmol/L) and haemoglobin (g/dL): the
/// root of Henderson-Hasselbalch and the Van Slyke equation (module docs).
///
/// `f(pH) = 0.0307·PCO2·10^(pH − 6.1) + (1.43 ctHb + 7.7)(pH − 7.40) − 24.8 − BE/(1 − 0.014 ctHb)`
/// is strictly increasing in pH, so the root is unique; it is found by safeguarded Newton
/// iteration inside the bracket [`PH_RANGE`] (at most 50 iterations, tolerance 1e-12). Total:
/// PCO2 is clamped to `[0.5, 300]` mmHg, BE to `[-40, 40]` mmol/L, Hb to `[0, 25]` g/dL, NaN
/// inputs take the normal values (40 mmHg, 0, 14 g/dL); a root outside the bracket returns the
/// bracket's end.
pub fn ph_from_pco2(pco2_mmhg: f64, base_excess_mmol_l: f64, hb_g_dl: f64) -> f64 {
    let p = finite_clamp(pco2_mmhg, 0.5, 300.0, 40.0);
    let be = finite_clamp(base_excess_mmol_l, -40.0, 40.0, 0.0);
    let hb = finite_clamp(hb_g_dl, 0.0, 25.0, 14.0) * HB_G_DL_TO_MMOL_L;
    let slope = 1.43 * hb + 7.7;
    let target = VAN_SLYKE_HCO3_REF + be / (1.0 - 0.014 * hb);
    let a = CO2_SOLUBILITY_MMOL_L_MMHG * p;
    let f = |ph: f64| a * 10f64.powf(ph - PK_BICARBONATE) + slope * (ph - 7.40) - target;
    let (mut lo, mut hi) = PH_RANGE;
    if f(lo) >= 0.0 {
        return lo;
    }
    if f(hi) <= 0.0 {
        return hi;
    }
    let mut ph = 7.40;
    for _ in 0..50 {
        let v = f(ph);
        if v.abs() < 1e-12 {
            break;
        }
        if v > 0.0 {
            hi = ph;
        } else {
            lo = ph;
        }
        let d = a * std::f64::consts::LN_10 * 10f64.powf(ph - PK_BICARBONATE) + slope;
        let next = ph - v / d;
        ph = if next > lo && next < hi {
            next
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo < 1e-12 {
            break;
        }
    }
    ph
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
    fn normal_blood_is_near_7_40() {
        let ph = ph_from_pco2(40.0, 0.0, 14.0);
        assert!((ph - 7.40).abs() < 0.01, "{ph}");
        let hco3 = bicarbonate_mmol_l(40.0, ph);
        assert!((22.0..26.0).contains(&hco3), "{hco3}");
    }

    #[test]
    fn ph_falls_with_pco2_and_with_negative_base_excess() {
        let mut last = 9.0;
        for p in [10.0, 20.0, 30.0, 40.0, 60.0, 80.0, 120.0] {
            let ph = ph_from_pco2(p, 0.0, 14.0);
            assert!(ph < last && ph.is_finite());
            last = ph;
        }
        assert!(ph_from_pco2(40.0, -10.0, 14.0) < ph_from_pco2(40.0, 0.0, 14.0) - 0.1);
    }

    #[test]
    fn ventilation_equation() {
        // 200 mL/min of CO2 through 4.2 L/min of alveolar ventilation: 41.1 mmHg.
        let va = alveolar_ventilation_l_min(6.0, 0.3);
        assert!((va - 4.2).abs() < 1e-12);
        assert!((alveolar_pco2_mmhg(200.0, va) - 41.095).abs() < 1e-2);
        let g = ventilation_co2_conductance_ml_s_mmhg(va);
        assert!((g * 60.0 * 41.095 - 200.0).abs() < 0.1);
    }

    #[test]
    fn solver_is_total() {
        for p in [f64::NAN, -1.0, 0.0, 1e9] {
            for be in [f64::NAN, -100.0, 0.0, 100.0] {
                let ph = ph_from_pco2(p, be, 14.0);
                assert!((PH_RANGE.0..=PH_RANGE.1).contains(&ph), "{p} {be} {ph}");
            }
        }
    }
}
