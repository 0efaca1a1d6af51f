//! ECMO cannula pressure drop versus flow.
//!
//! Law (odd in flow, so retrograde flow is handled):
//!
//! `dP = f_blood * (a * Q * |Q| + b * Q)`, with `dP` in mmHg, `Q` in mL/s.
//!
//! `a` is the inertial (minor-loss / turbulent) coefficient and `b` the
//! viscous (Poiseuille) coefficient. `f_blood` multiplies water-chart
//! pressure drops to blood (see below).
//!
//! # Data
//! The presets are the Getinge **Avalon Elite** bicaval dual-lumen cannula
//! family (20, 23, 27, 31 Fr; drainage and return lumens). Their
//! manufacturer pressure-flow charts were digitised (WebPlotDigitizer) and
//! fitted as `dP = a Q^2 + b Q` (Q in L/min, R^2 > 0.99) by N. Mark,
//! `nickmmark/ecmo-calculations` (GitHub, `cannula_flow_v4.html`, 2024),
//! from the Getinge product page
//! <https://www.getinge.com/int/products/avalon-elite-catheter/>. We take
//! those published-chart fits as the data. No single-lumen femoral venous
//! (21-29 Fr) or arterial (15-19 Fr) pressure-flow tables were found in the
//! sources available to this work: the single-lumen sizes produced by
//! [`Cannula::from_geometry`] are therefore **extrapolations of the scaling
//! law**, not fitted data.
//!
//! # Water versus blood
//! The Avalon charts are **water** charts (Broman et al., Perfusion 2020,
//! "Pressure and flow properties of dual-lumen cannulae for ECMO": with
//! human blood at Hct 26 % a 10-80 % higher pressure drop was needed for the
//! same drainage flow, while return-lumen data matched the manufacturer's).
//! For single-lumen return cannulae blood flows were 3-21 % below the water
//! charts (Broman et al., Perfusion 2019, return cannulae; Ganushchak et
//! al., Perfusion 2020;35:331, PMC7263036). The fitted coefficients are
//! water coefficients; the blood correction is applied explicitly through
//! `blood_dp_factor`:
//! * drainage presets: 1.30 — an **estimate** inside the published 1.10-1.80
//!   range (Broman 2020);
//! * return presets: 1.00 — Broman 2020 found return-lumen blood data similar
//!   to the manufacturer's.
//!
//! Use [`Cannula::water`] to recover the chart values (validation tests do).
//!
//! # Scaling law
//! For a pipe, the viscous (Poiseuille) term scales as `L / D^4` and the
//! turbulent friction term (Blasius, `f = 0.316 Re^-0.25`) as
//! `L Q^1.75 / D^4.75`; entry and side-hole minor losses scale as
//! `Q^2 / D^4` (Bernoulli, independent of length). We use
//!
//! `a(Fr, L) = A_ref (Fr_ref/Fr)^n (L/L_ref)`, `b(Fr, L) = B_ref (Fr_ref/Fr)^4 (L/L_ref)`
//!
//! with `Fr_ref = 27` and `n`, `A_ref`, `B_ref` least-squares fitted to the
//! family at flows >= 2 L/min (see `docs/methodology/ecmo-circuit.md`):
//! * drainage: `n = 5.9`, `A_ref = 4.234 mmHg/(L/min)^2`, `B_ref = 0.003
//!   mmHg/(L/min)` — max error 9.5 %. The exponent exceeds the pipe range
//!   (4-4.75) because the drainage lumen of a dual-lumen cannula grows faster
//!   than its outer French size.
//! * return: `n = 4.9`, `A_ref = 12.08`, `B_ref = 2.238` — max error 3.2 %,
//!   close to the Blasius exponent 4.75.
//!
//! **Limitation (important):** `french` in the scaling law is the *outer*
//! size of an Avalon-type dual-lumen cannula, whose drainage and return
//! lumens are much narrower than a single-lumen cannula of the same French
//! size. Applied to single-lumen femoral cannulae the law grossly over-states
//! the pressure drop (it gives ~195 mmHg for a 25 Fr 38 cm drainage and
//! ~1070 mmHg for a 17 Fr 15 cm return cannula at 4 L/min, several times
//! typical clinical values). Until single-lumen pressure-flow data are
//! fitted, VA-ECMO single-lumen cannulae must be built with
//! [`Cannula::from_chart_l_min`] from their own chart.
//!
//! Length enters linearly in both terms (Poiseuille and Blasius friction
//! are both proportional to L), which over-states the length effect for short
//! cannulae where tip losses dominate. The Avalon chart length is not
//! stated in the digitised source: `L_ref = 27 cm` is an **estimate**; only
//! the ratio `L / L_ref` matters.

use super::{check_range, DeviceError};

/// Single-lumen femoral cannulae (the VA-ECMO default), from whole-blood bench data:
/// Noe MA et al., "In vitro analysis of the physical characteristics of femoral bypass
/// cannulae", J Extra Corpor Technol 1989;21(Suppl):67-75 (bovine blood, Hct 40 %, 30 °C):
/// * return, 17 Fr thin-wall (C.R. Bard): 6.0 L/min at a 200 mmHg drop;
/// * return, 16 Fr and 19 Fr (Bio-Medicus): 3.5 and 5.0 L/min at 200 mmHg, whose ratio gives
///   the French-size exponent `n = ln((5.0/3.5)²)/ln(19/16) = 4.15` (between Poiseuille's 4
///   and Blasius' 4.75);
/// * drainage, 21 Fr (DLP): 6.5 L/min at 300 mmHg pump-inlet suction (cannula plus venous
///   line).
///
/// Law: `dP = a(Fr)·Q|Q|`, `a(Fr) = a_ref·(Fr_ref/Fr)^n`, Q in L/min. Each anchor is reproduced
/// exactly; sizes away from the anchors are interpolated or extrapolated with the exponent.
/// The data are blood data, so `blood_dp_factor = 1`. Older, thicker-walled cannulae (the
/// 1989 Bio-Medicus ones) drop up to twice as much at the same size: modern thin-wall
/// cannulae are closer to the anchors used here.
pub mod femoral {
    /// French-size exponent from the Bio-Medicus 16/19 Fr pair (Noe 1989).
    pub const FRENCH_EXPONENT: f64 = 4.151;
    /// Return anchor: 17 Fr, 200 mmHg at 6.0 L/min → a = 200/36 mmHg/(L/min)².
    pub const RETURN_REF_FR: f64 = 17.0;
    /// Return coefficient at the anchor, mmHg/(L/min)².
    pub const RETURN_A_REF_L_MIN: f64 = 200.0 / 36.0;
    /// Drainage anchor: 21 Fr, 300 mmHg at 6.5 L/min → a = 300/42.25 mmHg/(L/min)².
    pub const DRAINAGE_REF_FR: f64 = 21.0;
    /// Drainage coefficient at the anchor, mmHg/(L/min)².
    pub const DRAINAGE_A_REF_L_MIN: f64 = 300.0 / 42.25;
    /// Reference points the law reproduces (kind, French, flow L/min, pressure drop mmHg).
    pub const REFERENCES: [(&str, f64, f64, f64); 2] =
        [("return", 17.0, 6.0, 200.0), ("drainage", 21.0, 6.5, 300.0)];
    /// The same-manufacturer pair that fixes the size exponent (return, Bio-Medicus): flows at
    /// the same 200 mmHg drop, (French, L/min). These thick-walled cannulae drop ~2.3× more
    /// than the thin-walled reference at equal size: only their ratio is used.
    pub const EXPONENT_PAIR: [(f64, f64); 2] = [(16.0, 3.5), (19.0, 5.0)];
}

/// Converts a coefficient in mmHg/(L/min)^2 to mmHg/(mL/s)^2.
const A_PER_LMIN2_TO_ML_S2: f64 = 0.06 * 0.06;
/// Converts a coefficient in mmHg/(L/min) to mmHg/(mL/s).
const B_PER_LMIN_TO_ML_S: f64 = 0.06;

/// Reference French size of the scaling law.
pub const SCALING_REF_FR: f64 = 27.0;
/// Reference length of the scaling law, cm (**estimate**, see module docs).
pub const SCALING_REF_LENGTH_CM: f64 = 27.0;

/// Drainage scaling: inertial exponent (fitted to Avalon drainage lumens).
pub const DRAINAGE_INERTIAL_EXPONENT: f64 = 5.9;
/// Drainage scaling: inertial coefficient at 27 Fr, mmHg/(L/min)^2 (water).
pub const DRAINAGE_A_REF_L_MIN: f64 = 4.2344;
/// Drainage scaling: viscous coefficient at 27 Fr, mmHg/(L/min) (water).
pub const DRAINAGE_B_REF_L_MIN: f64 = 0.003;
/// Return scaling: inertial exponent (fitted to Avalon return lumens).
pub const RETURN_INERTIAL_EXPONENT: f64 = 4.9;
/// Return scaling: inertial coefficient at 27 Fr, mmHg/(L/min)^2 (water).
pub const RETURN_A_REF_L_MIN: f64 = 12.0813;
/// Return scaling: viscous coefficient at 27 Fr, mmHg/(L/min) (water).
pub const RETURN_B_REF_L_MIN: f64 = 2.2376;

/// Blood/water pressure-drop factor for drainage cannulae (**estimate**
/// within Broman 2020's 1.1-1.8).
pub const DRAINAGE_BLOOD_DP_FACTOR: f64 = 1.30;
/// Blood/water pressure-drop factor for return cannulae (Broman 2020: return
/// data similar to the manufacturer's).
pub const RETURN_BLOOD_DP_FACTOR: f64 = 1.00;

/// Whether the cannula drains (vein -> circuit) or returns (circuit -> artery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannulaKind {
    /// Venous drainage cannula (flow from patient into the circuit).
    Drainage,
    /// Arterial return cannula (flow from the circuit into the patient).
    Return,
}

/// A published water-chart fit: `(name, kind, a mmHg/(L/min)^2, b mmHg/(L/min))`.
///
/// Source: Avalon Elite manufacturer charts as digitised and fitted by
/// N. Mark, `nickmmark/ecmo-calculations` `cannula_flow_v4.html`. The
/// Avalon 31 Fr drainage fit has a small negative linear term (-0.6194) in
/// the source; it is kept as published in this table. Because a negative
/// linear term makes the law non-monotone near zero flow, the preset uses the
/// constrained refit `b = 0`, `a` = relative least squares of `a Q^2` over the
/// chart at 2-7 L/min (`a = 1.8976`, max error 7.9 %; see
/// [`monotone_refit_l_min`]).
pub const AVALON_WATER_FITS: [(&str, CannulaKind, f64, f64); 8] = [
    ("avalon-20-drainage", CannulaKind::Drainage, 17.187, 11.117),
    ("avalon-23-drainage", CannulaKind::Drainage, 7.7468, 8.4351),
    ("avalon-27-drainage", CannulaKind::Drainage, 3.4861, 2.3871),
    ("avalon-31-drainage", CannulaKind::Drainage, 2.0684, -0.6194),
    ("avalon-20-return", CannulaKind::Return, 68.756, 2.2718),
    ("avalon-23-return", CannulaKind::Return, 27.066, 1.7003),
    ("avalon-27-return", CannulaKind::Return, 10.984, 5.3044),
    ("avalon-31-return", CannulaKind::Return, 6.3107, 0.8747),
];

/// Preset names accepted by [`Cannula::by_name`].
pub const CANNULA_PRESETS: &[&str] = &[
    "avalon-20-drainage",
    "avalon-23-drainage",
    "avalon-27-drainage",
    "avalon-31-drainage",
    "avalon-20-return",
    "avalon-23-return",
    "avalon-27-return",
    "avalon-31-return",
];

/// An ECMO cannula: `dP = f_blood (a Q|Q| + b Q)`, Q in mL/s, dP in mmHg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cannula {
    /// Drainage or return.
    pub kind: CannulaKind,
    /// Inertial coefficient, mmHg/(mL/s)^2 (water).
    pub a_mmhg_s2_per_ml2: f64,
    /// Viscous coefficient, mmHg/(mL/s) (water).
    pub b_mmhg_s_per_ml: f64,
    /// Blood/water pressure-drop multiplier (1 = water chart).
    pub blood_dp_factor: f64,
}

impl Cannula {
    /// Builds a cannula from water-chart coefficients given in the chart units
    /// (`a` mmHg/(L/min)^2, `b` mmHg/(L/min)) and a blood factor.
    pub fn from_chart_l_min(
        kind: CannulaKind,
        a_mmhg_per_l_min2: f64,
        b_mmhg_per_l_min: f64,
        blood_dp_factor: f64,
    ) -> Result<Self, DeviceError> {
        let c = Self {
            kind,
            a_mmhg_s2_per_ml2: a_mmhg_per_l_min2 * A_PER_LMIN2_TO_ML_S2,
            b_mmhg_s_per_ml: b_mmhg_per_l_min * B_PER_LMIN_TO_ML_S,
            blood_dp_factor,
        };
        c.validate()?;
        Ok(c)
    }

    /// A named preset (see [`CANNULA_PRESETS`]) with its default blood factor.
    pub fn by_name(name: &str) -> Result<Self, DeviceError> {
        for &(n, kind, a, b) in AVALON_WATER_FITS.iter() {
            if n == name {
                let (a, b) = if b < 0.0 {
                    (monotone_refit_l_min(a, b), 0.0)
                } else {
                    (a, b)
                };
                return Self::from_chart_l_min(kind, a, b, default_blood_factor(kind));
            }
        }
        Err(DeviceError::UnknownPreset {
            device: "Cannula",
            name: name.to_string(),
            allowed: CANNULA_PRESETS,
        })
    }

    /// Scaling-law cannula of French size `french` and length `length_cm`
    /// (see module docs; an extrapolation outside 20-31 Fr). Blood factor is
    /// the default for the kind.
    pub fn from_geometry(
        kind: CannulaKind,
        french: f64,
        length_cm: f64,
    ) -> Result<Self, DeviceError> {
        check_range("Cannula", "french", french, 8.0, 40.0, "[8, 40] Fr")?;
        check_range("Cannula", "length_cm", length_cm, 5.0, 100.0, "[5, 100] cm")?;
        let (n, a_ref, b_ref) = match kind {
            CannulaKind::Drainage => (
                DRAINAGE_INERTIAL_EXPONENT,
                DRAINAGE_A_REF_L_MIN,
                DRAINAGE_B_REF_L_MIN,
            ),
            CannulaKind::Return => (
                RETURN_INERTIAL_EXPONENT,
                RETURN_A_REF_L_MIN,
                RETURN_B_REF_L_MIN,
            ),
        };
        let ratio = SCALING_REF_FR / french;
        let lr = length_cm / SCALING_REF_LENGTH_CM;
        let r2 = ratio * ratio;
        let a = a_ref * ratio.powf(n) * lr;
        let b = b_ref * r2 * r2 * lr;
        Self::from_chart_l_min(kind, a, b, default_blood_factor(kind))
    }

    /// A single-lumen femoral cannula of `french` size from the whole-blood anchors of
    /// [`femoral`] (Noe 1989): `dP = a(Fr)·Q|Q|`.
    pub fn femoral(kind: CannulaKind, french: f64) -> Result<Self, DeviceError> {
        check_range("Cannula", "french", french, 12.0, 32.0, "[12, 32] Fr")?;
        let (fr_ref, a_ref) = match kind {
            CannulaKind::Drainage => (femoral::DRAINAGE_REF_FR, femoral::DRAINAGE_A_REF_L_MIN),
            CannulaKind::Return => (femoral::RETURN_REF_FR, femoral::RETURN_A_REF_L_MIN),
        };
        let a = a_ref * (fr_ref / french).powf(femoral::FRENCH_EXPONENT);
        Self::from_chart_l_min(kind, a, 0.0, 1.0)
    }

    /// Copy with `blood_dp_factor = 1` (pressure drops as on the water chart).
    pub fn water(self) -> Self {
        Self {
            blood_dp_factor: 1.0,
            ..self
        }
    }

    /// Checks every field: `a` in `[0, 10]` mmHg/(mL/s)^2, `b` in `[0, 100]`
    /// mmHg/(mL/s), `a + b > 0`, blood factor in `[0.5, 3]`.
    pub fn validate(&self) -> Result<(), DeviceError> {
        check_range(
            "Cannula",
            "a_mmhg_s2_per_ml2",
            self.a_mmhg_s2_per_ml2,
            0.0,
            10.0,
            "[0, 10] mmHg/(mL/s)^2",
        )?;
        check_range(
            "Cannula",
            "b_mmhg_s_per_ml",
            self.b_mmhg_s_per_ml,
            0.0,
            100.0,
            "[0, 100] mmHg/(mL/s)",
        )?;
        check_range(
            "Cannula",
            "blood_dp_factor",
            self.blood_dp_factor,
            0.5,
            3.0,
            "[0.5, 3]",
        )?;
        if self.a_mmhg_s2_per_ml2 + self.b_mmhg_s_per_ml <= 0.0 {
            return Err(DeviceError::InvalidParameter {
                device: "Cannula",
                field: "a_mmhg_s2_per_ml2",
                value: self.a_mmhg_s2_per_ml2,
                allowed: "a + b > 0",
            });
        }
        Ok(())
    }

    /// Pressure drop (mmHg, inlet minus outlet in the flow direction) at flow
    /// `q_ml_s` (mL/s, negative = retrograde). Odd and increasing in Q.
    #[inline]
    pub fn dp_mmhg(&self, q_ml_s: f64) -> f64 {
        self.blood_dp_factor
            * q_ml_s
            * (self.a_mmhg_s2_per_ml2 * q_ml_s.abs() + self.b_mmhg_s_per_ml)
    }

    /// Derivative d(dP)/dQ, mmHg/(mL/s); always >= 0.
    #[inline]
    pub fn ddp_dq(&self, q_ml_s: f64) -> f64 {
        self.blood_dp_factor * (2.0 * self.a_mmhg_s2_per_ml2 * q_ml_s.abs() + self.b_mmhg_s_per_ml)
    }

    /// Inverse law: flow (mL/s) for a pressure drop (mmHg); odd in dP.
    /// Uses the cancellation-free root `2 d / (b + sqrt(b^2 + 4 a d))`.
    #[inline]
    pub fn flow_ml_s(&self, dp_mmhg: f64) -> f64 {
        let a = self.blood_dp_factor * self.a_mmhg_s2_per_ml2;
        let b = self.blood_dp_factor * self.b_mmhg_s_per_ml;
        let d = dp_mmhg.abs();
        let den = b + (b * b + 4.0 * a * d).sqrt();
        if den <= 0.0 || !den.is_finite() {
            return 0.0;
        }
        (2.0 * d / den).copysign(dp_mmhg)
    }
}

/// Refits a chart `a Q^2 + b Q` (L/min) with `b < 0` as `a' Q^2`, minimising the
/// relative error at Q = 2, 3, ..., 7 L/min. Returns `a'` in mmHg/(L/min)^2.
pub fn monotone_refit_l_min(a: f64, b: f64) -> f64 {
    let mut su = 0.0;
    let mut suu = 0.0;
    for i in 2..=7 {
        let q = i as f64;
        let dp = a * q * q + b * q;
        if dp > 0.0 {
            let u = q * q / dp;
            su += u;
            suu += u * u;
        }
    }
    if suu > 0.0 {
        su / suu
    } else {
        a.max(0.0)
    }
}

fn default_blood_factor(kind: CannulaKind) -> f64 {
    match kind {
        CannulaKind::Drainage => DRAINAGE_BLOOD_DP_FACTOR,
        CannulaKind::Return => RETURN_BLOOD_DP_FACTOR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_and_inverse() {
        let c = Cannula::by_name("avalon-27-drainage").unwrap();
        for q in [-100.0, -10.0, 0.0, 5.0, 80.0] {
            assert!((c.dp_mmhg(q) + c.dp_mmhg(-q)).abs() < 1e-12);
            assert!((c.flow_ml_s(c.dp_mmhg(q)) - q).abs() < 1e-9);
        }
    }

    #[test]
    fn unknown_name_lists_allowed() {
        let e = Cannula::by_name("nope").unwrap_err();
        assert!(e.to_string().contains("avalon-27-drainage"));
    }

    #[test]
    fn geometry_validates() {
        assert!(Cannula::from_geometry(CannulaKind::Drainage, 25.0, 38.0).is_ok());
        assert!(Cannula::from_geometry(CannulaKind::Return, 2.0, 38.0).is_err());
        assert!(Cannula::from_geometry(CannulaKind::Return, 17.0, f64::NAN).is_err());
    }
}
