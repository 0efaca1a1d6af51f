//! Membrane oxygenator: blood-side pressure drop and gas exchange.
//!
//! # Pressure drop
//! Published oxygenator data are straight lines `dP = s Q + i` over the
//! clinical flow range, often with a negative intercept (Fried DW et al.,
//! "Clinical oxygen transfer comparison of the Terumo Capiox SX18 and SX25
//! membrane oxygenators", Perfusion 1998;13(2):119-27: SX18 slope 23.934,
//! intercept -28.388; SX25 slope 22.443, intercept -22.650, mmHg and L/min).
//! A line with a negative intercept is not odd and goes negative at low flow,
//! so we use the smooth odd law
//!
//! `dP = s Q - d tanh(Q / q0)`, `d = -i >= 0`, `q0 = d / s`,
//!
//! which equals the published line to within 1 % for Q >= 3 L/min, passes
//! through the origin, is odd in Q and is monotone (`dP' = s (1 - sech^2) >= 0`).
//!
//! # Oxygen transfer
//! Rated flow is, by definition, the blood flow at which blood entering at
//! SvO2 65 % leaves at 95 % saturation (PMC5578883; standard test conditions
//! Hb 12 g/dL, PvCO2 45 mmHg as in ISO 7199 and e.g. the Terumo Capiox FX25
//! IFU performance conditions). We model the membrane as an exchanger whose
//! blood O2 content approaches the content in equilibrium with the gas,
//! `C_eq = C(FdO2 (Pb - 47), Hb)`, with effectiveness `eps = 1 - exp(-K/Q)`:
//!
//! `C_out = C_in + eps (C_eq - C_in)`.
//!
//! `K` (mL/s, an effective diffusing capacity in blood-flow units) is not a
//! free parameter: it is computed from the rated flow so that the rated-flow
//! definition holds exactly (FdO2 1.0, Pb 760 mmHg). Outlet PO2 is then the
//! exact inverse of the content (Severinghaus curve + dissolved O2). The
//! exchanger form is a modelling choice (standard NTU/effectiveness form of
//! mass-exchanger theory), not a published oxygenator fit.
//!
//! # O2 supply of the sweep gas
//! The membrane cannot transfer more O2 than the sweep gas brings: the O2 uptake is capped at
//! `V_sweep · FdO2` (mass balance of the gas side). With pure O2 the gas PO2 stays high until
//! the supply is nearly used up (the gas is O2 and CO2 only), so the cap is reached abruptly;
//! with air-O2 blends the falling gas PO2 would lower the uptake earlier, which this cap does
//! not model (**simplification**). At clinical sweeps (≥ 1 L/min) the cap never binds.
//!
//! # CO2 removal: a counter-current membrane exchanger
//! CO2 crosses the membrane from blood to the sweep gas, which enters free of CO2. Both
//! streams carry CO2 in proportion to its partial pressure: the blood `C_b = Q β` mL CO2 per
//! mmHg (β = 0.00667 mL CO2/mL/mmHg, the slope of the linear dissociation line of
//! [`crate::gas::content`]), the gas `C_g = V_sweep / (Pb − 47)` (a gas at PCO2 `P` holds
//! `P/(Pb − 47)` of its volume as CO2). The membrane conducts `UA` mL CO2/s per mmHg of
//! blood-gas difference. The standard effectiveness of a counter-current exchanger (the
//! ε-NTU method of heat- and mass-exchanger design) gives the removal
//!
//! `V_CO2 = ε · C_min · PCO2_in`, `ε = (1 − e^(−N(1−r))) / (1 − r e^(−N(1−r)))`,
//! `N = UA / C_min`, `r = C_min / C_max` (and `ε = N/(1+N)` at `r = 1`),
//!
//! so removal is limited by the blood flow (`C_b`), by the sweep (`C_g`) and by the membrane
//! (`UA`): at low blood flow the blood side is exhausted and more sweep adds little; at high
//! blood flow the gas side limits and removal keeps rising with sweep. No sweep, no removal;
//! outlet PCO2 never falls below 0.
//!
//! The membrane conductance scales with the membrane area `A` and rises with the blood velocity
//! through the fibre bundle (thinner boundary layers; mass-transfer coefficients of hollow-fibre
//! modules rise with flow: Wickramasinghe SR, Semmens MJ, Cussler EL, J Membr Sci
//! 1992;69:235-50):
//!
//! `UA = k_A · A · sqrt((Q/A) / q_ref)`, `q_ref = 2250 mL/min/m²`.
//!
//! The square root is an **estimate** (an exponent inside the range of published
//! Sherwood-Reynolds correlations, not fitted). `k_A` = 2.58 mL CO2/min/mmHg/m² is calibrated on
//! one published point: a 0.4 m² membrane lung at 900 mL/min blood and 8 L/min sweep removes
//! 41 ± 6 mL/min normalised to an inlet PCO2 of 45 mmHg (pigs, Strassmann S et al., Intensive
//! Care Med Exp 2019;7:17). Every other comparison (`docs/methodology/validation.md (gas rows)`,
//! `tests/co2_membrane.rs`) is a prediction. The same per-area constant is used for the adult
//! oxygenators, for want of published CO2 transfer data of those devices (**estimate**: adult
//! polymethylpentene oxygenators may well be more efficient per m²).
//!
//! # Presets
//! | name | pressure drop | rated flow | membrane area |
//! |---|---|---|---|
//! | `capiox-sx18` | Fried 1998 line | 6.8 L/min **estimate** = max O2 transfer 339.6 mL/min (Fried 1998) / 49.6 mL O2 per L at standard conditions | 1.8 m² (Fried DW et al., Perfusion 1998;13:119) |
//! | `capiox-sx25` | Fried 1998 line | 9.3 L/min **estimate** = 462.6 / 49.6 | 2.5 m² (Fried 1998) |
//! | `quadrox-id` | **estimate** 10 mmHg per L/min (~50 mmHg at 5 L/min, `reference/physiology.md` marks it unverified) | 7.0 L/min: Quadrox-iD Adult flow range 0.5-7 L/min, FDA 510(k) K150267 | 1.8 m² (manufacturer figure, **unverified** here) |
//! | `hls-7` | **estimate**, as Quadrox-iD | 7.0 L/min from the product designation "HLS Set Advanced 7.0" | 1.8 m² (**unverified**, as Quadrox-iD) |
//! | `quadrox-id-pediatric` | **estimate** 15 mmHg per L/min | 2.8 L/min: Quadrox-iD Pediatric flow range 0.2-2.8 L/min, FDA 510(k) K100278 | 0.8 m² (manufacturer figure, **unverified** here) |
//! | `ecco2r-0.4` | 50 mmHg per L/min: "more than 50 mmHg with 1000 ml blood flow/min" for the 0.4 m² membrane lung (Karagiannidis C et al., Intensive Care Med Exp 2017;5:34) | 1.0 L/min **estimate** (the highest flow those studies used) | 0.4 m² (Karagiannidis 2017; Strassmann 2019) |

use super::{check_range, DeviceError, ML_S_PER_L_MIN};
use crate::gas::content::{
    c_co2_ml_per_dl, c_o2_from_so2_ml_per_dl, c_o2_ml_per_dl, po2_from_c_o2_mmhg,
    CO2_CONTENT_SLOPE_ML_PER_DL_MMHG, PH2O_37C_MMHG,
};
use crate::gas::dissociation::{po2_from_so2_severinghaus_mmhg, so2_severinghaus};

/// Rated-flow definition: inlet saturation (PMC5578883).
pub const RATED_INLET_SO2: f64 = 0.65;
/// Rated-flow definition: outlet saturation (PMC5578883).
pub const RATED_OUTLET_SO2: f64 = 0.95;
/// Standard test haemoglobin, g/dL (ISO 7199 / Terumo FX25 IFU conditions).
pub const RATED_HB_G_DL: f64 = 12.0;
/// CO2 conductance of the membrane per m² at the reference blood flow per area, mL CO2/s per
/// mmHg per m² (2.58 mL/min/mmHg/m²): calibrated on Strassmann 2019 (module docs).
pub const CO2_CONDUCTANCE_ML_S_MMHG_PER_M2: f64 = 0.042_993;
/// Reference blood flow per membrane area of [`CO2_CONDUCTANCE_ML_S_MMHG_PER_M2`], mL/s per m²
/// (2250 mL/min/m², the calibration point 900 mL/min through 0.4 m²).
pub const CO2_REFERENCE_FLOW_ML_S_PER_M2: f64 = 2250.0 / 60.0;

/// Preset names accepted by [`Oxygenator::by_name`].
pub const OXYGENATOR_PRESETS: &[&str] = &[
    "capiox-sx18",
    "capiox-sx25",
    "quadrox-id",
    "hls-7",
    "quadrox-id-pediatric",
    "ecco2r-0.4",
];

/// Published pressure-drop lines and membranes
/// `(name, slope mmHg/(L/min), intercept mmHg, rated L/min, membrane area m²)`.
/// Slopes/intercepts of the Capiox rows: Fried 1998; the others, rated flows and areas: see
/// the module table (estimates marked there).
pub const OXYGENATOR_TABLE: [(&str, f64, f64, f64, f64); 6] = [
    ("capiox-sx18", 23.934, -28.388, 6.8, 1.8),
    ("capiox-sx25", 22.443, -22.650, 9.3, 2.5),
    ("quadrox-id", 10.0, 0.0, 7.0, 1.8),
    ("hls-7", 10.0, 0.0, 7.0, 1.8),
    ("quadrox-id-pediatric", 15.0, 0.0, 2.8, 0.8),
    ("ecco2r-0.4", 50.0, 0.0, 1.0, 0.4),
];

/// Oxygenator state at the outlet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OxygenatorOutlet {
    /// Outlet PO2, mmHg.
    pub po2_mmhg: f64,
    /// Outlet saturation, fraction.
    pub so2: f64,
    /// Outlet O2 content, mL/dL.
    pub c_o2_ml_per_dl: f64,
    /// Outlet PCO2, mmHg.
    pub pco2_mmhg: f64,
    /// Outlet CO2 content, mL/dL.
    pub c_co2_ml_per_dl: f64,
}

/// Membrane oxygenator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oxygenator {
    /// Pressure-drop slope, mmHg/(mL/s).
    pub slope_mmhg_s_per_ml: f64,
    /// Magnitude of the (negative) line intercept, mmHg.
    pub offset_mmhg: f64,
    /// Smoothing flow scale of the intercept, mL/s (`>= offset / slope`).
    pub q0_ml_s: f64,
    /// Rated blood flow, mL/s.
    pub rated_flow_ml_s: f64,
    /// O2 effective diffusing capacity, mL/s (derived from the rated flow).
    pub k_o2_ml_s: f64,
    /// Gas-exchange membrane area, m².
    pub membrane_area_m2: f64,
    /// CO2 membrane conductance coefficient, mL CO2/s/mmHg per sqrt(mL/s): the conductance at
    /// blood flow `Q` is `ua_co2_coeff · sqrt(Q)` (module docs; derived from the area).
    pub ua_co2_coeff: f64,
}

impl Oxygenator {
    /// Builds an oxygenator from a published line (`slope` mmHg/(L/min), `intercept` mmHg,
    /// must be `<= 0`), a rated flow in L/min and a membrane area in m².
    pub fn from_line_l_min(
        slope_mmhg_per_l_min: f64,
        intercept_mmhg: f64,
        rated_flow_l_min: f64,
        membrane_area_m2: f64,
    ) -> Result<Self, DeviceError> {
        check_range(
            "Oxygenator",
            "slope_mmhg_per_l_min",
            slope_mmhg_per_l_min,
            0.1,
            200.0,
            "[0.1, 200] mmHg/(L/min)",
        )?;
        check_range(
            "Oxygenator",
            "intercept_mmhg",
            intercept_mmhg,
            -200.0,
            0.0,
            "[-200, 0] mmHg",
        )?;
        check_range(
            "Oxygenator",
            "rated_flow_l_min",
            rated_flow_l_min,
            0.1,
            15.0,
            "[0.1, 15] L/min",
        )?;
        check_range(
            "Oxygenator",
            "membrane_area_m2",
            membrane_area_m2,
            0.05,
            5.0,
            "[0.05, 5] m²",
        )?;
        let slope = slope_mmhg_per_l_min / ML_S_PER_L_MIN;
        let d = -intercept_mmhg;
        let rated = rated_flow_l_min * ML_S_PER_L_MIN;
        let o = Self {
            slope_mmhg_s_per_ml: slope,
            offset_mmhg: d,
            q0_ml_s: d / slope,
            rated_flow_ml_s: rated,
            k_o2_ml_s: rated * rated_o2_ntu(),
            membrane_area_m2,
            ua_co2_coeff: CO2_CONDUCTANCE_ML_S_MMHG_PER_M2
                * (membrane_area_m2 / CO2_REFERENCE_FLOW_ML_S_PER_M2).sqrt(),
        };
        o.validate()?;
        Ok(o)
    }

    /// Looks a preset up by name (see [`OXYGENATOR_PRESETS`]).
    pub fn by_name(name: &str) -> Result<Self, DeviceError> {
        for &(n, s, i, r, a) in OXYGENATOR_TABLE.iter() {
            if n == name {
                return Self::from_line_l_min(s, i, r, a);
            }
        }
        Err(DeviceError::UnknownPreset {
            device: "Oxygenator",
            name: name.to_string(),
            allowed: OXYGENATOR_PRESETS,
        })
    }

    /// Checks all fields, including the monotonicity condition
    /// `q0 >= offset / slope`.
    pub fn validate(&self) -> Result<(), DeviceError> {
        check_range(
            "Oxygenator",
            "slope_mmhg_s_per_ml",
            self.slope_mmhg_s_per_ml,
            1e-3,
            20.0,
            "[1e-3, 20] mmHg/(mL/s)",
        )?;
        check_range(
            "Oxygenator",
            "offset_mmhg",
            self.offset_mmhg,
            0.0,
            200.0,
            "[0, 200] mmHg",
        )?;
        check_range(
            "Oxygenator",
            "rated_flow_ml_s",
            self.rated_flow_ml_s,
            1.0,
            250.0,
            "[1, 250] mL/s",
        )?;
        check_range(
            "Oxygenator",
            "k_o2_ml_s",
            self.k_o2_ml_s,
            1e-3,
            1e4,
            "[1e-3, 1e4] mL/s",
        )?;
        check_range(
            "Oxygenator",
            "membrane_area_m2",
            self.membrane_area_m2,
            0.05,
            5.0,
            "[0.05, 5] m²",
        )?;
        check_range(
            "Oxygenator",
            "ua_co2_coeff",
            self.ua_co2_coeff,
            1e-6,
            10.0,
            "[1e-6, 10] mL/s/mmHg per sqrt(mL/s)",
        )?;
        let q0_min = self.offset_mmhg / self.slope_mmhg_s_per_ml;
        if !(self.q0_ml_s.is_finite() && self.q0_ml_s >= q0_min * (1.0 - 1e-12)) {
            return Err(DeviceError::InvalidParameter {
                device: "Oxygenator",
                field: "q0_ml_s",
                value: self.q0_ml_s,
                allowed: ">= offset_mmhg / slope_mmhg_s_per_ml",
            });
        }
        Ok(())
    }

    /// Blood-side pressure drop, mmHg, at flow `q_ml_s` (odd, monotone).
    #[inline]
    pub fn dp_mmhg(&self, q_ml_s: f64) -> f64 {
        let smooth = if self.offset_mmhg > 0.0 {
            self.offset_mmhg * (q_ml_s / self.q0_ml_s).tanh()
        } else {
            0.0
        };
        self.slope_mmhg_s_per_ml * q_ml_s - smooth
    }

    /// Outlet O2 content (mL/dL) and PCO2 (mmHg), without converting the content back to a
    /// PO2: cheap enough for the integrator's inner loop. Same arguments and model as
    /// [`Oxygenator::outlet`].
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn transfer(
        &self,
        q_ml_s: f64,
        sweep_ml_s: f64,
        fdo2: f64,
        hb_g_dl: f64,
        c_o2_in_ml_per_dl: f64,
        pco2_in_mmhg: f64,
        p_baro_mmhg: f64,
    ) -> (f64, f64) {
        let q = if q_ml_s.is_nan() { 0.0 } else { q_ml_s.abs() };
        let v = if sweep_ml_s > 0.0 && sweep_ml_s.is_finite() {
            sweep_ml_s
        } else {
            0.0
        };
        let f = if fdo2.is_nan() {
            0.21
        } else {
            fdo2.clamp(0.0, 1.0)
        };
        let pb = if p_baro_mmhg.is_nan() {
            760.0
        } else {
            p_baro_mmhg.clamp(PH2O_37C_MMHG + 1.0, 5000.0)
        };
        let p_dry = pb - PH2O_37C_MMHG;
        // O2: the blood approaches the content in equilibrium with the sweep gas.
        let c_eq = c_o2_ml_per_dl(f * p_dry, hb_g_dl);
        self.transfer_with_equilibrium(q, v, c_eq, f, c_o2_in_ml_per_dl, pco2_in_mmhg, p_dry)
    }

    /// [`Oxygenator::transfer`] with the O2 content in equilibrium with the sweep gas
    /// (`c_eq_o2_ml_per_dl`, for FdO2·(Pb − PH2O)) and the dry-gas pressure precomputed: they
    /// change only with FdO2, Hb or Pb, so the integrator computes them once per model.
    /// `q_ml_s` and `sweep_ml_s` must be non-negative, `fdo2` in `[0, 1]`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn transfer_with_equilibrium(
        &self,
        q_ml_s: f64,
        sweep_ml_s: f64,
        c_eq_o2_ml_per_dl: f64,
        fdo2: f64,
        c_o2_in_ml_per_dl: f64,
        pco2_in_mmhg: f64,
        p_dry_mmhg: f64,
    ) -> (f64, f64) {
        let p_in = if pco2_in_mmhg.is_nan() {
            0.0
        } else {
            pco2_in_mmhg.clamp(0.0, 200.0)
        };
        let settings = TransferSettings::new(sweep_ml_s, c_eq_o2_ml_per_dl, fdo2, p_dry_mmhg);
        self.transfer_with_settings(q_ml_s, &settings, c_o2_in_ml_per_dl, p_in)
    }

    /// [`Oxygenator::transfer_with_equilibrium`] with its setting-only terms precomputed
    /// ([`TransferSettings`], built once per model by the integrator) and an inlet PCO2 that
    /// is already clamped to `[0, 200]` mmHg (not NaN). The same operations in the same order,
    /// so the same bits.
    #[inline]
    pub(crate) fn transfer_with_settings(
        &self,
        q_ml_s: f64,
        settings: &TransferSettings,
        c_o2_in_ml_per_dl: f64,
        pco2_in_clamped_mmhg: f64,
    ) -> (f64, f64) {
        let q = q_ml_s.max(0.0);
        let p_in = pco2_in_clamped_mmhg;
        let c_in = if c_o2_in_ml_per_dl.is_nan() {
            0.0
        } else {
            c_o2_in_ml_per_dl
        };
        if q <= 1e-12 {
            // No blood through the membrane: nothing to exchange.
            return (c_in, p_in);
        }
        let eps = effectiveness(self.k_o2_ml_s, q);
        // Blood-side uptake per dL, capped by the O2 the sweep brings (100·V·FdO2/Q mL/dL).
        let rise = (eps * (settings.c_eq_o2_ml_per_dl - c_in)).min(settings.o2_supply / q);
        let c_out = c_in + rise;
        // CO2: counter-current exchanger, gas entering free of CO2.
        let beta = CO2_CONTENT_SLOPE_ML_PER_DL_MMHG / 100.0; // mL CO2 / mL blood / mmHg
        let cb = q * beta;
        let removal_per_mmhg =
            counterflow_conductance(self.ua_co2_coeff * q.sqrt(), cb, settings.cg_ml_s_mmhg);
        let p_out = p_in * (1.0 - removal_per_mmhg / cb);
        (c_out, p_out.max(0.0))
    }

    /// Outlet blood gases.
    ///
    /// * `q_ml_s`: blood flow (sign ignored), `sweep_ml_s`: sweep gas flow
    ///   (negative treated as 0), `fdo2`: delivered O2 fraction (clamped to
    ///   \[0, 1\]), `hb_g_dl`, inlet O2 content and PCO2, barometric pressure.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn outlet(
        &self,
        q_ml_s: f64,
        sweep_ml_s: f64,
        fdo2: f64,
        hb_g_dl: f64,
        c_o2_in_ml_per_dl: f64,
        pco2_in_mmhg: f64,
        p_baro_mmhg: f64,
    ) -> OxygenatorOutlet {
        let (c_out, p_out) = self.transfer(
            q_ml_s,
            sweep_ml_s,
            fdo2,
            hb_g_dl,
            c_o2_in_ml_per_dl,
            pco2_in_mmhg,
            p_baro_mmhg,
        );
        let po2 = po2_from_c_o2_mmhg(c_out, hb_g_dl);
        OxygenatorOutlet {
            po2_mmhg: po2,
            so2: so2_severinghaus(po2),
            c_o2_ml_per_dl: c_out,
            pco2_mmhg: p_out,
            c_co2_ml_per_dl: c_co2_ml_per_dl(p_out),
        }
    }

    /// Convenience: outlet gases for an inlet given by saturation (PO2 from
    /// the Severinghaus inverse), FdO2 1.0 at 760 mmHg unless given.
    pub fn outlet_from_so2(
        &self,
        q_ml_s: f64,
        sweep_ml_s: f64,
        fdo2: f64,
        hb_g_dl: f64,
        so2_in: f64,
        pco2_in_mmhg: f64,
    ) -> OxygenatorOutlet {
        let c_in = inlet_content_from_so2(so2_in, hb_g_dl);
        self.outlet(q_ml_s, sweep_ml_s, fdo2, hb_g_dl, c_in, pco2_in_mmhg, 760.0)
    }
}

/// The terms of [`Oxygenator::transfer_with_equilibrium`] that depend on the settings alone
/// (sweep, FdO2, the equilibrium content, the dry-gas pressure), not on the blood flow or the
/// inlet: the integrator computes them when the model is compiled, i.e. again after every
/// parameter change (sweep, FdO2, Hb, Pb), instead of once per step.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct TransferSettings {
    /// O2 content in equilibrium with the sweep gas, mL/dL.
    pub(crate) c_eq_o2_ml_per_dl: f64,
    /// `100·V·FdO2` (V the sweep floored at 0, mL/s): the cap on the uptake per dL is this
    /// over the blood flow.
    pub(crate) o2_supply: f64,
    /// Gas-side CO2 capacity rate `V/(Pb − PH2O)`, mL/s/mmHg (0 for a non-positive dry-gas
    /// pressure).
    pub(crate) cg_ml_s_mmhg: f64,
}

impl TransferSettings {
    /// The settings' terms for a sweep `sweep_ml_s` (mL/s), the equilibrium content
    /// `c_eq_o2_ml_per_dl`, `fdo2` and the dry-gas pressure `p_dry_mmhg`.
    pub(crate) fn new(sweep_ml_s: f64, c_eq_o2_ml_per_dl: f64, fdo2: f64, p_dry_mmhg: f64) -> Self {
        let v = sweep_ml_s.max(0.0);
        TransferSettings {
            c_eq_o2_ml_per_dl,
            o2_supply: 100.0 * v * fdo2,
            cg_ml_s_mmhg: if p_dry_mmhg > 0.0 {
                v / p_dry_mmhg
            } else {
                0.0
            },
        }
    }
}

/// `1 - exp(-k / q)`, equal to 1 at `q = 0` (no division by zero).
#[inline]
fn effectiveness(k_ml_s: f64, q_ml_s: f64) -> f64 {
    if q_ml_s <= 0.0 {
        1.0
    } else {
        1.0 - (-k_ml_s / q_ml_s).exp()
    }
}

/// CO2 removed per mmHg of inlet PCO2 by a counter-current exchanger, mL/s/mmHg:
/// `ε · C_min` with the ε-NTU effectiveness (module docs) for a membrane conductance `ua` and
/// stream capacities `cb` (blood) and `cg` (gas), all mL/s/mmHg. 0 when either stream is
/// absent; never more than `min(cb, cg)`.
#[inline]
pub fn counterflow_conductance(ua: f64, cb: f64, cg: f64) -> f64 {
    let (c_min, c_max) = if cb < cg { (cb, cg) } else { (cg, cb) };
    if c_min <= 1e-15 || ua <= 0.0 {
        return 0.0;
    }
    let n = ua / c_min;
    let r = c_min / c_max;
    let a = n * (1.0 - r);
    let eps = if a < 1e-9 {
        n / (1.0 + n)
    } else {
        let x = (-a).exp();
        (1.0 - x) / (1.0 - r * x)
    };
    eps * c_min
}

/// O2 content for a saturation (PO2 from the Severinghaus inverse), mL/dL.
#[inline]
fn inlet_content_from_so2(so2: f64, hb_g_dl: f64) -> f64 {
    let s = if so2.is_nan() {
        0.0
    } else {
        so2.clamp(0.0, 1.0)
    };
    c_o2_from_so2_ml_per_dl(s, po2_from_so2_severinghaus_mmhg(s), hb_g_dl)
}

/// Number of transfer units `K / Q_rated` that makes the rated-flow definition
/// exact at standard conditions (Hb 12, FdO2 1, Pb 760).
fn rated_o2_ntu() -> f64 {
    let c_eq = c_o2_ml_per_dl(760.0 - PH2O_37C_MMHG, RATED_HB_G_DL);
    let c_in = inlet_content_from_so2(RATED_INLET_SO2, RATED_HB_G_DL);
    let c_out = inlet_content_from_so2(RATED_OUTLET_SO2, RATED_HB_G_DL);
    ((c_eq - c_in) / (c_eq - c_out)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rated_flow_definition_holds() {
        for name in OXYGENATOR_PRESETS {
            let o = Oxygenator::by_name(name).unwrap();
            let out =
                o.outlet_from_so2(o.rated_flow_ml_s, o.rated_flow_ml_s, 1.0, 12.0, 0.65, 45.0);
            assert!((out.so2 - 0.95).abs() < 2e-3, "{name}: {}", out.so2);
        }
    }

    #[test]
    fn zero_flow_and_zero_sweep_are_finite() {
        let o = Oxygenator::by_name("quadrox-id").unwrap();
        let a = o.outlet(0.0, 0.0, 1.0, 12.0, 15.0, 45.0, 760.0);
        assert!(a.po2_mmhg.is_finite() && a.pco2_mmhg == 45.0);
        let b = o.outlet(80.0, 0.0, 1.0, 12.0, 15.0, 45.0, 760.0);
        assert!((b.pco2_mmhg - 45.0).abs() < 1e-12);
        // No sweep, no O2 either: the gas brings none.
        assert!((b.c_o2_ml_per_dl - 15.0).abs() < 1e-12);
        assert!(o.dp_mmhg(0.0) == 0.0);
    }
}
