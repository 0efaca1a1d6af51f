//! The left ventricle's pressure-volume relations in force, for a PV-loop panel: the
//! end-systolic (ESPVR) and end-diastolic (EDPVR) relations of the time-varying elastance
//! chamber (Suga H, Sagawa K, Circ Res 1974;35:117; the exponential EDPVR of Burkhoff D et al.,
//! Am J Physiol Heart Circ Physiol 2005;289:H501), with the parameters the model holds now:
//! the preset's, times every scale applied since (`lv_contractility_scale`,
//! `set_lv_contractility`, inotropes, the baroreflex). The points are sampled with the engine's
//! own chamber pressure law ([`Chamber::pressure_mmhg`] at full activation and at rest), so a
//! front end draws them without any physiology of its own.
//!
//! Without the pericardium (no preset has one) the relations are the chamber's alone; with it,
//! the pericardial pressure (which depends on both ventricles' volumes) is not included.

use crate::Simulation;
use ecmova_engine::components::{Chamber, CompartmentKind, Passive};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest volume sampled, mL (above any preset's LV end-diastolic volume).
pub const PV_VOLUME_MAX_ML: f64 = 400.0;
/// Sampling stops at the first point above this pressure, mmHg (beyond any display).
pub const PV_PRESSURE_MAX_MMHG: f64 = 300.0;
/// Points per relation at most (V0 to [`PV_VOLUME_MAX_ML`], evenly spaced).
pub const PV_POINTS: usize = 41;

/// One point of a pressure-volume relation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PvPoint {
    /// Chamber volume, mL.
    pub volume_ml: f64,
    /// Chamber pressure, mmHg.
    pub pressure_mmhg: f64,
}

/// The passive (end-diastolic) relation's law and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Edpvr {
    /// `P = A·(exp(B·(V − V0)) − 1)` (Burkhoff 2005).
    Exponential {
        /// Scale A, mmHg.
        a_mmhg: f64,
        /// Stiffness B, 1/mL.
        b_per_ml: f64,
    },
    /// `P = E_pass·(V − V0)` (Regazzoni 2022's linear chamber).
    Linear {
        /// Passive elastance, mmHg/mL.
        elastance_mmhg_per_ml: f64,
    },
}

/// A chamber's ESPVR and EDPVR in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PvRelations {
    /// The chamber (`lv`).
    pub chamber: String,
    /// End-systolic elastance Ees in force, mmHg/mL.
    pub ees_mmhg_per_ml: f64,
    /// Slope of the ESPVR, mmHg/mL: Ees for the exponential chamber, Ees plus the passive
    /// elastance for the linear one (whose active elastance adds to the passive).
    pub espvr_slope_mmhg_per_ml: f64,
    /// Volume intercept V0 of both relations, mL.
    pub v0_ml: f64,
    /// The end-diastolic relation.
    pub edpvr: Edpvr,
    /// The ESPVR sampled from V0 (pressure at full activation).
    pub espvr_points: Vec<PvPoint>,
    /// The EDPVR sampled from V0 (pressure at rest).
    pub edpvr_points: Vec<PvPoint>,
}

impl PvRelations {
    /// The relations of `chamber`, named `name`.
    pub fn of_chamber(name: &str, chamber: &Chamber) -> PvRelations {
        let (edpvr, slope) = match chamber.passive {
            Passive::Exponential { a_mmhg, b_per_ml } => (
                Edpvr::Exponential { a_mmhg, b_per_ml },
                chamber.ees_mmhg_per_ml,
            ),
            Passive::Linear {
                elastance_mmhg_per_ml,
            } => (
                Edpvr::Linear {
                    elastance_mmhg_per_ml,
                },
                chamber.ees_mmhg_per_ml + elastance_mmhg_per_ml,
            ),
        };
        let sample = |activation: f64| {
            let v_lo = chamber.v0_ml.max(0.0);
            let dv = (PV_VOLUME_MAX_ML - v_lo).max(0.0) / (PV_POINTS - 1) as f64;
            let mut points = Vec::with_capacity(PV_POINTS);
            for k in 0..PV_POINTS {
                let v = v_lo + dv * k as f64;
                let p = chamber.pressure_mmhg(v, activation);
                if !p.is_finite() {
                    break;
                }
                points.push(PvPoint {
                    volume_ml: v,
                    pressure_mmhg: p,
                });
                if p > PV_PRESSURE_MAX_MMHG {
                    break;
                }
            }
            points
        };
        PvRelations {
            chamber: name.into(),
            ees_mmhg_per_ml: chamber.ees_mmhg_per_ml,
            espvr_slope_mmhg_per_ml: slope,
            v0_ml: chamber.v0_ml,
            edpvr,
            espvr_points: sample(1.0),
            edpvr_points: sample(0.0),
        }
    }

    /// The left ventricle's relations in `sim` now (absent if its LV site is not a chamber).
    pub fn lv(sim: &Simulation) -> Option<PvRelations> {
        let p = sim.model().params();
        match &p.compartments.get(p.sites.lv)?.kind {
            CompartmentKind::Chamber(ch) => Some(PvRelations::of_chamber("lv", ch)),
            CompartmentKind::Vessel(_) => None,
        }
    }
}
