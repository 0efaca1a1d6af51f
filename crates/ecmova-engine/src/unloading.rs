//! Left-ventricular unloading devices used with VA-ECMO: intra-aortic balloon pump,
//! Impella-type transvalvular microaxial pump, atrial septostomy and LV vent.
//!
//! Devices are part of the topology (their number, kinds and sites are fixed once a
//! [`crate::Model`] exists); their settings (`active`, P-level, orifice diameter, balloon
//! volume, assist ratio) are ordinary parameters that [`crate::Model::update`] may change.
//! None of them adds a state: the flow devices are algebraic connections (their flows are
//! functions of the compartment pressures and volumes at each instant) and the balloon is a
//! time-varying unstressed volume of its aortic compartment. Blood volume is therefore
//! conserved exactly as before (every flow leaves one compartment and enters another; the
//! balloon changes a pressure law, not a volume), and the flow devices carry O2 and CO2 by the
//! same upwind transport as every connection.
//!
//! Equations, parameters and sources: `docs/methodology/ecmo-circuit.md`, section
//! "LV unloading devices". Numbers without a published source are marked **estimate**.

use crate::devices::{Cannula, CannulaKind};
use crate::model::{check_range, CirculationParams, ParamError};

/// A left-ventricular unloading device and where it sits.
#[derive(Clone, Debug, PartialEq)]
pub enum UnloadingDevice {
    /// Intra-aortic balloon pump: a balloon in the descending thoracic aorta, inflated in
    /// diastole (from aortic valve closure) and deflated before the next systole.
    Iabp {
        /// Balloon volume, mL (40 mL: the usual adult balloon).
        balloon_volume_ml: f64,
        /// The aortic compartment holding the balloon (descending thoracic aorta).
        compartment: usize,
        /// Assist ratio: 1 = every beat (1:1), 2 = every other beat (1:2), 3 = 1:3.
        ratio: u32,
    },
    /// Impella-type microaxial pump across the aortic valve, from the LV into the aortic
    /// root, with a pressure-flow curve per performance level.
    Impella {
        /// Performance level, P1..P9.
        performance_level: u8,
        /// Inflow compartment (the LV).
        from: usize,
        /// Outflow compartment (the aortic root).
        to: usize,
    },
    /// Interatrial orifice (balloon or blade septostomy): `Q = Cd·A·sqrt(2ΔP/ρ)`, both ways.
    AtrialSeptostomy {
        /// Orifice diameter, mm.
        diameter_mm: f64,
        /// Left atrium (positive flow: left to right).
        from: usize,
        /// Right atrium.
        to: usize,
    },
    /// A cannula from the LV into the ECMO drainage line, driven by the pump-inlet pressure.
    /// Requires an ECMO circuit. The vented blood is delivered to the circuit's drained
    /// compartment (approximation: in the patient it joins the drainage line at a Y
    /// connector; see the methodology).
    LvVent {
        /// Vent cannula size, Fr.
        cannula_fr: f64,
        /// The vented chamber (the LV).
        from: usize,
    },
}

/// A device and whether it is running.
#[derive(Clone, Debug, PartialEq)]
pub struct Unloading {
    /// The device.
    pub device: UnloadingDevice,
    /// Whether it runs. An inactive Impella, vent or septostomy carries no flow (the
    /// septostomy as if closed by an occluder); an inactive balloon stays deflated.
    pub active: bool,
}

impl Unloading {
    /// An active device.
    pub fn active(device: UnloadingDevice) -> Self {
        Unloading {
            device,
            active: true,
        }
    }
}

/// Default IABP balloon volume, mL: the 40 mL balloon of adults of average height
/// (balloon sizing by patient height, 162-182 cm → 40 mL; manufacturers' sizing charts).
pub const IABP_DEFAULT_BALLOON_ML: f64 = 40.0;
/// Allowed balloon volumes, mL (commercial balloons 25-50 mL).
pub const IABP_BALLOON_RANGE_ML: (f64, f64) = (20.0, 50.0);
/// Allowed assist ratios (1:1, 1:2, 1:3 on IABP consoles).
pub const IABP_RATIO_RANGE: (u32, u32) = (1, 3);
/// Balloon inflation time, s (**estimate**: the helium shuttle fills a 40 mL balloon through a
/// ~1 m catheter lumen in about a tenth of a second; no manufacturer figure was found). A
/// 50 ms ramp made the volume step excite the lumped aorta's L-C resonance (the aortic
/// pressures rang at ~15 Hz through the whole diastole; see `ecmo-circuit.md`).
pub const IABP_INFLATION_S: f64 = 0.1;
/// Balloon deflation time, s (**estimate**, as [`IABP_INFLATION_S`]). Deflation is triggered
/// at the R wave (the onset of ventricular activation, "R-wave deflation" or real timing:
/// deflation is completed during the isovolumic contraction, before or at aortic valve
/// opening; "Intra-aortic balloon counterpulsation timing", Am J Crit Care 1996;5:254, on
/// conventional and R-wave deflation; author not verified in this pass).
/// It used to *end* at the onset of activation, which is the "early deflation" of timing
/// charts: the aorta refilled before ejection and the trough of the deflation dip rang into it.
pub const IABP_DEFLATION_S: f64 = 0.1;

/// Impella motor speed per performance level P0..P9, rpm: the Automated Impella Controller
/// P-level table (Abiomed, Impella 2.5 / CP instructions for use: P-1 25,000 … P-8 50,000,
/// P-9/boost 51,000 rpm). Only the ratios to P9 are used (affinity laws).
pub const IMPELLA_LEVEL_RPM: [f64; 10] = [
    0.0, 25_000.0, 35_000.0, 38_000.0, 40_000.0, 43_000.0, 45_000.0, 47_000.0, 50_000.0, 51_000.0,
];
/// Impella CP flow at P9 against no pressure difference, L/min ("sustained peak flows of up to
/// 4.3 L/min", Abiomed Impella CP with SmartAssist).
pub const IMPELLA_FREE_FLOW_L_MIN: f64 = 4.3;
/// Impella CP pressure difference (aorta − LV) at which the P9 flow falls to zero, mmHg
/// (**estimate**, inside the 90-120 mmHg range of published microaxial pump curves).
pub const IMPELLA_SHUTOFF_DP_MMHG: f64 = 110.0;
/// Allowed performance levels (P0, motor stopped, is `active: false`).
pub const IMPELLA_LEVEL_RANGE: (u8, u8) = (1, 9);

/// Discharge coefficient of a sharp-edged orifice (the classical value, 0.61: vena
/// contracta of a thin-plate orifice; ISO 5167 / Idelchik).
pub const SEPTOSTOMY_DISCHARGE_COEFFICIENT: f64 = 0.61;
/// Blood density, g/mL.
pub const BLOOD_DENSITY_G_ML: f64 = 1.06;
/// Allowed septostomy diameters, mm (balloon atrial septostomy and static balloon dilation:
/// up to ~20 mm).
pub const SEPTOSTOMY_DIAMETER_RANGE_MM: (f64, f64) = (1.0, 20.0);
/// Pressure below which the orifice law is smoothed (**estimate**, numerical: bounds the
/// orifice conductance at ΔP = 0, where `sqrt` has an infinite slope).
pub const ORIFICE_SMOOTHING_MMHG: f64 = 0.1;

/// Allowed LV vent sizes, Fr (the range of the femoral cannula law, [`Cannula::femoral`]).
pub const VENT_CANNULA_RANGE_FR: (f64, f64) = (12.0, 32.0);
/// Laminar resistance of the vent's connecting line, mmHg·s/mL: Poiseuille `8μL/(πr⁴)` for
/// 1 m of 1/4" (6.35 mm) tubing with blood at μ = 3.5 mPa·s (length **estimate**).
pub const VENT_LINE_RESISTANCE_MMHG_S_PER_ML: f64 = 0.658;

/// LV volume above V0 over which an inflow (Impella inlet, vent tip) is occluded as the
/// cavity empties, mL (**estimate**): flow × `1 − exp(−(V − V0)/5 mL)`, 0 at or below V0.
pub const INFLOW_COLLAPSE_ML: f64 = 5.0;

/// mmHg → dyn/cm².
const DYN_CM2_PER_MMHG: f64 = 1333.22;

/// Impella flow (mL/s) at performance level `level` against `dp_mmhg` = p_aorta − p_LV,
/// before inflow collapse: `Q = w·Q0·(1 − ΔP/(w²·ΔP0))`, `w` = rpm/rpm(P9) (affinity laws:
/// flow ∝ speed, pressure ∝ speed²), never negative (backflow through the pump at low
/// levels is not modelled).
#[inline]
pub fn impella_flow_ml_s(level: u8, dp_mmhg: f64) -> f64 {
    let (q0, dp0) = impella_curve(level);
    impella_flow_from_curve(q0, dp0, dp_mmhg)
}

/// (free flow mL/s, shut-off ΔP mmHg) at a performance level.
pub fn impella_curve(level: u8) -> (f64, f64) {
    let w = IMPELLA_LEVEL_RPM[usize::from(level.min(9))] / IMPELLA_LEVEL_RPM[9];
    (
        w * IMPELLA_FREE_FLOW_L_MIN * 1000.0 / 60.0,
        w * w * IMPELLA_SHUTOFF_DP_MMHG,
    )
}

#[inline]
pub(crate) fn impella_flow_from_curve(q0: f64, dp0: f64, dp_mmhg: f64) -> f64 {
    if dp0 <= 0.0 {
        return 0.0;
    }
    (q0 * (1.0 - dp_mmhg / dp0)).max(0.0)
}

/// Orifice coefficient `k = Cd·A·sqrt(2/ρ)` of a septostomy of `diameter_mm`, in
/// mL/s per sqrt(mmHg), so that `Q = k·sqrt(ΔP)`.
pub fn septostomy_coefficient(diameter_mm: f64) -> f64 {
    let r_cm = 0.05 * diameter_mm;
    let area_cm2 = std::f64::consts::PI * r_cm * r_cm;
    SEPTOSTOMY_DISCHARGE_COEFFICIENT
        * area_cm2
        * (2.0 * DYN_CM2_PER_MMHG / BLOOD_DENSITY_G_ML).sqrt()
}

/// Septostomy flow (mL/s, positive left to right) for `dp_mmhg` = p_LA − p_RA:
/// `k·ΔP/sqrt(|ΔP| + ε)` (the orifice law, smoothed below ε).
#[inline]
pub fn septostomy_flow_ml_s(k: f64, dp_mmhg: f64) -> f64 {
    k * dp_mmhg / (dp_mmhg.abs() + ORIFICE_SMOOTHING_MMHG).sqrt()
}

/// The vent cannula and line: the femoral drainage-cannula law at `cannula_fr` (Noe 1989,
/// whole blood) in series with the Poiseuille resistance of the connecting line.
pub fn vent_cannula(cannula_fr: f64) -> Result<Cannula, ParamError> {
    let c = Cannula::femoral(CannulaKind::Drainage, cannula_fr).map_err(|source| {
        ParamError::Device {
            field: "unloading.lv_vent.cannula_fr".into(),
            source,
        }
    })?;
    Ok(Cannula {
        b_mmhg_s_per_ml: c.b_mmhg_s_per_ml + VENT_LINE_RESISTANCE_MMHG_S_PER_ML / c.blood_dp_factor,
        ..c
    })
}

/// Inflow factor of an emptying cavity: `1 − exp(−(V − V0)/INFLOW_COLLAPSE_ML)`, 0 at or
/// below V0.
#[inline]
pub fn inflow_factor(v_ml: f64, v0_ml: f64) -> f64 {
    let x = v_ml - v0_ml;
    if x > 0.0 {
        1.0 - (-x / INFLOW_COLLAPSE_ML).exp()
    } else {
        0.0
    }
}

/// Balloon inflation (0 deflated … 1 fully inflated) at `phase_s` into a beat.
///
/// The balloon inflates over [`IABP_INFLATION_S`] from `t_close_s` (the end of ejection,
/// taken at the peak of the LV activation: end-systole coincides with maximal elastance,
/// Suga & Sagawa) if this beat is assisted, and stays inflated into the next beat until it
/// deflates over [`IABP_DEFLATION_S`], starting at `t_onset_s` (the onset of ventricular
/// activation, the R wave) and ending no later than `t_close_s`, if the previous beat was
/// assisted. Smoothstep ramps.
#[inline]
pub fn balloon_fraction(
    phase_s: f64,
    t_onset_s: f64,
    t_close_s: f64,
    previous_assisted: bool,
    this_assisted: bool,
) -> f64 {
    let smooth = |x: f64| {
        let x = x.clamp(0.0, 1.0);
        x * x * (3.0 - 2.0 * x)
    };
    let mut b = 0.0;
    let end = (t_onset_s + IABP_DEFLATION_S).min(t_close_s);
    if previous_assisted && phase_s < end {
        let len = end - t_onset_s;
        b += if len > 0.0 {
            1.0 - smooth((phase_s - t_onset_s) / len)
        } else {
            0.0
        };
    }
    if this_assisted && phase_s >= t_close_s {
        b += smooth((phase_s - t_close_s) / IABP_INFLATION_S);
    }
    b
}

fn field(i: usize, name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("unloading.{i}.{name}")
}

fn no_site(device: &str, why: &str) -> ParamError {
    ParamError::Topology(format!("unloading device {device}: {why}"))
}

impl UnloadingDevice {
    /// A 40 mL balloon at 1:1 in the descending thoracic aorta (the third aortic compartment
    /// of the [`crate::Anatomy`]: root, arch, thoracic, …).
    pub fn iabp(params: &CirculationParams) -> Result<Self, ParamError> {
        let compartment = params
            .anatomy
            .as_ref()
            .and_then(|a| a.aortic_compartments.get(2).copied())
            .ok_or_else(|| {
                no_site(
                    "iabp",
                    "this circulation has no descending thoracic aorta compartment",
                )
            })?;
        Ok(UnloadingDevice::Iabp {
            balloon_volume_ml: IABP_DEFAULT_BALLOON_ML,
            compartment,
            ratio: 1,
        })
    }

    /// An Impella from the LV into the aortic root at `performance_level` (P1..P9).
    pub fn impella(params: &CirculationParams, performance_level: u8) -> Result<Self, ParamError> {
        let d = UnloadingDevice::Impella {
            performance_level,
            from: params.sites.lv,
            to: params.sites.aortic_root,
        };
        d.validate(0, params.compartments.len())?;
        Ok(d)
    }

    /// A septostomy of `diameter_mm` from the left to the right atrium.
    pub fn atrial_septostomy(
        params: &CirculationParams,
        diameter_mm: f64,
    ) -> Result<Self, ParamError> {
        let d = UnloadingDevice::AtrialSeptostomy {
            diameter_mm,
            from: params.sites.la,
            to: params.sites.ra,
        };
        d.validate(0, params.compartments.len())?;
        Ok(d)
    }

    /// An LV vent of `cannula_fr` into the ECMO drainage line (the model must have a circuit
    /// when it is built).
    pub fn lv_vent(params: &CirculationParams, cannula_fr: f64) -> Result<Self, ParamError> {
        let d = UnloadingDevice::LvVent {
            cannula_fr,
            from: params.sites.lv,
        };
        d.validate(0, params.compartments.len())?;
        Ok(d)
    }

    /// The device's kind name (`iabp`, `impella`, `atrial_septostomy`, `lv_vent`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            UnloadingDevice::Iabp { .. } => "iabp",
            UnloadingDevice::Impella { .. } => "impella",
            UnloadingDevice::AtrialSeptostomy { .. } => "atrial_septostomy",
            UnloadingDevice::LvVent { .. } => "lv_vent",
        }
    }

    /// Whether the device carries a flow (all but the balloon).
    pub fn has_flow(&self) -> bool {
        !matches!(self, UnloadingDevice::Iabp { .. })
    }

    /// The compartments the device is attached to (its part of the topology).
    pub(crate) fn sites(&self) -> (usize, usize, f64) {
        match *self {
            UnloadingDevice::Iabp { compartment, .. } => (compartment, compartment, 0.0),
            UnloadingDevice::Impella { from, to, .. } => (from, to, 0.0),
            UnloadingDevice::AtrialSeptostomy { from, to, .. } => (from, to, 0.0),
            UnloadingDevice::LvVent {
                from, cannula_fr, ..
            } => (from, from, cannula_fr),
        }
    }

    /// Range checks of device `i` in a circulation of `n` compartments.
    pub(crate) fn validate(&self, i: usize, n: usize) -> Result<(), ParamError> {
        let name = self.kind_name();
        match *self {
            UnloadingDevice::Iabp {
                balloon_volume_ml,
                compartment,
                ratio,
            } => {
                if compartment >= n {
                    return Err(no_site(name, "its compartment does not exist"));
                }
                check_range(
                    field(i, "balloon_volume_ml"),
                    balloon_volume_ml,
                    IABP_BALLOON_RANGE_ML.0,
                    IABP_BALLOON_RANGE_ML.1,
                    "mL",
                )?;
                check_range(
                    field(i, "ratio"),
                    f64::from(ratio),
                    f64::from(IABP_RATIO_RANGE.0),
                    f64::from(IABP_RATIO_RANGE.1),
                    "",
                )?;
            }
            UnloadingDevice::Impella {
                performance_level,
                from,
                to,
            } => {
                if from >= n || to >= n || from == to {
                    return Err(no_site(name, "it must join two different compartments"));
                }
                check_range(
                    field(i, "performance_level"),
                    f64::from(performance_level),
                    f64::from(IMPELLA_LEVEL_RANGE.0),
                    f64::from(IMPELLA_LEVEL_RANGE.1),
                    "",
                )?;
            }
            UnloadingDevice::AtrialSeptostomy {
                diameter_mm,
                from,
                to,
            } => {
                if from >= n || to >= n || from == to {
                    return Err(no_site(name, "it must join two different compartments"));
                }
                check_range(
                    field(i, "diameter_mm"),
                    diameter_mm,
                    SEPTOSTOMY_DIAMETER_RANGE_MM.0,
                    SEPTOSTOMY_DIAMETER_RANGE_MM.1,
                    "mm",
                )?;
            }
            UnloadingDevice::LvVent { cannula_fr, from } => {
                if from >= n {
                    return Err(no_site(name, "its compartment does not exist"));
                }
                check_range(
                    field(i, "cannula_fr"),
                    cannula_fr,
                    VENT_CANNULA_RANGE_FR.0,
                    VENT_CANNULA_RANGE_FR.1,
                    "Fr",
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impella_curve_follows_the_affinity_laws() {
        let (q9, dp9) = impella_curve(9);
        assert!((q9 * 0.06 - IMPELLA_FREE_FLOW_L_MIN).abs() < 1e-12);
        assert!((dp9 - IMPELLA_SHUTOFF_DP_MMHG).abs() < 1e-12);
        // Flow falls with the pressure difference and rises with the level.
        assert!(impella_flow_ml_s(9, 60.0) < impella_flow_ml_s(9, 20.0));
        for p in 2..=9 {
            assert!(impella_flow_ml_s(p, 40.0) >= impella_flow_ml_s(p - 1, 40.0));
        }
        assert_eq!(impella_flow_ml_s(9, 200.0), 0.0);
    }

    #[test]
    fn septostomy_follows_the_orifice_law() {
        // 10 mm, ΔP 5 mmHg: Q = 0.61 · 0.785 cm² · sqrt(2 · 5 · 1333.22 / 1.06) = 53.7 mL/s;
        // the smoothing (ε = 0.1 mmHg) takes 1 % off at 5 mmHg.
        let k = septostomy_coefficient(10.0);
        assert!((k * 5f64.sqrt() - 53.7).abs() < 0.1, "{k}");
        let q = septostomy_flow_ml_s(k, 5.0);
        assert!((q / (k * 5f64.sqrt()) - 1.0).abs() < 0.011, "{q}");
        assert_eq!(septostomy_flow_ml_s(k, -5.0), -q);
        assert_eq!(septostomy_flow_ml_s(k, 0.0), 0.0);
    }

    #[test]
    fn balloon_profile_is_periodic_and_bounded() {
        let (onset, close, period) = (0.15, 0.4, 0.6);
        let end = balloon_fraction(period - 1e-12, onset, close, true, true);
        let start = balloon_fraction(0.0, onset, close, true, true);
        assert!((end - 1.0).abs() < 1e-9 && (start - 1.0).abs() < 1e-12);
        // R-wave deflation: still inflated at the onset of activation, empty after
        // IABP_DEFLATION_S.
        assert_eq!(balloon_fraction(onset, onset, close, true, true), 1.0);
        assert!(balloon_fraction(onset + 0.5 * IABP_DEFLATION_S, onset, close, true, true) < 1.0);
        assert_eq!(
            balloon_fraction(onset + IABP_DEFLATION_S, onset, close, true, true),
            0.0
        );
        for k in 0..600 {
            let b = balloon_fraction(k as f64 * 1e-3, onset, close, true, true);
            assert!((0.0..=1.0).contains(&b));
        }
        assert_eq!(balloon_fraction(0.5, onset, close, true, false), 0.0);
    }
}
