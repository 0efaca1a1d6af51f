//! The VA-ECMO circuit as a physical connection of the circulation.
//!
//! The circuit drains one compartment (the drained vein or the right atrium) and returns into
//! another (an artery or the aorta). Its flow `Q` is a state of the coupled system, never a
//! setpoint:
//!
//! ```text
//! p_inlet  = p_drained − m(p_drained)·ΔP_drainage_cannula(Q)   (pump inlet, "drainage pressure")
//! p_pre    = p_inlet + H(rpm, Q)                                  (pump outlet, pre-oxygenator)
//! p_post   = p_pre − ΔP_oxygenator(Q)                             (post-oxygenator)
//! L·dQ/dt  = p_post − ΔP_return_cannula(Q) − p_return
//! ```
//!
//! with `H` the centrifugal pump head ([`CentrifugalPump`]), the cannula and oxygenator
//! pressure drops odd in `Q` (so retrograde flow is handled), `m ≥ 1` the venous drainage
//! limit ([`VenousDrainageLimit`]: the drained vein collapses as its pressure approaches
//! zero) and `L` the inertance of the blood in tubing and cannulae. At low rpm and normal
//! arterial pressure the head cannot hold the arterial pressure and `Q < 0`: the circuit
//! flows backwards, from the artery into the vein.
//!
//! A clamped circuit carries no flow.

use crate::devices::{Cannula, CannulaKind, CentrifugalPump, Oxygenator, VenousDrainageLimit};

/// Where the cannulae go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cannulation {
    /// Femoral vein (tip at the IVC/right-atrial junction) to femoral artery (retrograde into
    /// the iliac arteries and descending aorta).
    FemoroFemoral,
    /// Right atrium to ascending aorta (after cardiac surgery).
    Central,
    /// Femoral vein to right axillary artery (return into the arch via the brachiocephalic
    /// trunk, reaching the right arm and the brain first).
    FemoroAxillary,
}

impl Cannulation {
    /// All configurations.
    pub const ALL: [Cannulation; 3] = [
        Cannulation::FemoroFemoral,
        Cannulation::Central,
        Cannulation::FemoroAxillary,
    ];

    /// The scenario-file name.
    pub fn name(self) -> &'static str {
        match self {
            Cannulation::FemoroFemoral => "femoro-femoral",
            Cannulation::Central => "central",
            Cannulation::FemoroAxillary => "femoro-axillary",
        }
    }

    /// Parses a scenario-file name.
    pub fn from_name(name: &str) -> Option<Cannulation> {
        Cannulation::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Parameters of a VA-ECMO circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct EcmoCircuit {
    /// Cannulation configuration.
    pub cannulation: Cannulation,
    /// Drained compartment.
    pub drain_from: usize,
    /// Return compartment.
    pub return_to: usize,
    /// Pump model.
    pub pump: CentrifugalPump,
    /// Pump speed, rpm.
    pub pump_rpm: f64,
    /// Drainage cannula.
    pub drainage_cannula: Cannula,
    /// Return cannula.
    pub return_cannula: Cannula,
    /// Oxygenator.
    pub oxygenator: Oxygenator,
    /// Inertance of the blood in tubing and cannulae, mmHg·s²/mL.
    pub inertance_mmhg_s2_per_ml: f64,
    /// Collapse law of the drained vein.
    pub drainage_limit: VenousDrainageLimit,
    /// Whether the lines are clamped (no flow).
    pub clamped: bool,
    /// Fraction of O2 in the sweep gas.
    pub fdo2: f64,
    /// Sweep gas flow, L/min.
    pub sweep_l_min: f64,
}

/// Default circuit inertance, mmHg·s²/mL: blood in 2 × 1.5 m of 3/8" (9.5 mm) tubing,
/// ρl/A = 1.06 g/cm³ × 300 cm / 0.709 cm² = 449 g/cm⁴ = 0.34 mmHg·s²/mL, plus a 55 cm × 7 mm
/// drainage and an 18 cm × 4.5 mm return cannula (0.11 + 0.09), rounded to 0.5.
pub const DEFAULT_CIRCUIT_INERTANCE_MMHG_S2_PER_ML: f64 = 0.5;

/// Pressures along the circuit at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CircuitPressures {
    /// Pump inlet ("drainage pressure", negative under suction), mmHg.
    pub drainage_mmhg: f64,
    /// Pump outlet, before the oxygenator, mmHg.
    pub pre_oxygenator_mmhg: f64,
    /// After the oxygenator, mmHg.
    pub post_oxygenator_mmhg: f64,
    /// Pump head (outlet − inlet), mmHg.
    pub head_mmhg: f64,
    /// Resistance multiplier of the drainage cannula from venous collapse (≥ 1).
    pub collapse_multiplier: f64,
}

impl EcmoCircuit {
    /// Builds a circuit with the given devices and sensible defaults for the rest
    /// (not clamped, FdO2 1.0, sweep 4 L/min: about 1:1 with the blood flow, the usual
    /// starting ratio).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cannulation: Cannulation,
        drain_from: usize,
        return_to: usize,
        pump: CentrifugalPump,
        pump_rpm: f64,
        drainage_cannula_fr: f64,
        return_cannula_fr: f64,
        oxygenator: Oxygenator,
    ) -> Result<Self, crate::devices::DeviceError> {
        Ok(EcmoCircuit {
            cannulation,
            drain_from,
            return_to,
            pump,
            pump_rpm,
            drainage_cannula: Cannula::femoral(CannulaKind::Drainage, drainage_cannula_fr)?,
            return_cannula: Cannula::femoral(CannulaKind::Return, return_cannula_fr)?,
            oxygenator,
            inertance_mmhg_s2_per_ml: DEFAULT_CIRCUIT_INERTANCE_MMHG_S2_PER_ML,
            drainage_limit: VenousDrainageLimit::DEFAULT,
            clamped: false,
            fdo2: 1.0,
            sweep_l_min: 4.0,
        })
    }

    /// Circuit pressures at flow `q_ml_s` between a drained compartment at `p_drained_mmhg`.
    #[inline]
    pub fn pressures(&self, p_drained_mmhg: f64, q_ml_s: f64) -> CircuitPressures {
        let m = self.drainage_limit.resistance_multiplier(p_drained_mmhg);
        let drainage = p_drained_mmhg - m * self.drainage_cannula.dp_mmhg(q_ml_s);
        let head = self.pump.head_mmhg(self.pump_rpm, q_ml_s);
        let pre = drainage + head;
        let post = pre - self.oxygenator.dp_mmhg(q_ml_s);
        CircuitPressures {
            drainage_mmhg: drainage,
            pre_oxygenator_mmhg: pre,
            post_oxygenator_mmhg: post,
            head_mmhg: head,
            collapse_multiplier: m,
        }
    }

    /// `dQ/dt` (mL/s²) for flow `q_ml_s` between compartments at the given pressures.
    #[inline]
    pub fn flow_derivative(&self, p_drained_mmhg: f64, p_return_mmhg: f64, q_ml_s: f64) -> f64 {
        self.flow_derivative_and_pressures(p_drained_mmhg, p_return_mmhg, q_ml_s)
            .0
    }

    /// `dQ/dt` (mL/s²) together with the circuit pressures it was computed from (one
    /// evaluation serves the integrator and the monitoring).
    #[inline]
    pub fn flow_derivative_and_pressures(
        &self,
        p_drained_mmhg: f64,
        p_return_mmhg: f64,
        q_ml_s: f64,
    ) -> (f64, CircuitPressures) {
        let c = self.pressures(p_drained_mmhg, q_ml_s);
        if self.clamped {
            return (0.0, c);
        }
        let dq = (c.post_oxygenator_mmhg - self.return_cannula.dp_mmhg(q_ml_s) - p_return_mmhg)
            / self.inertance_mmhg_s2_per_ml;
        (dq, c)
    }
}
