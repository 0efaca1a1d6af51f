//! Circulation parameters, their validation, and the compiled [`Model`].

use crate::activation::{ActivationScaling, TwoHill};
use crate::components::{
    Compartment, CompartmentKind, Connection, ConnectionKind, Passive, Vessel,
};
use crate::ecmo::{Cannulation, EcmoCircuit};
use crate::gas::{c_o2_ml_per_dl, GasParams};
use crate::unloading::{Unloading, UnloadingDevice};

/// Where ECMO cannulae attach and how the aorta is segmented, for the presets whose arterial
/// tree is split (the adult presets). `None` in a circulation without it (the peer model):
/// ECMO cannot be attached there.
#[derive(Clone, Debug, PartialEq)]
pub struct Anatomy {
    /// The vein drained by a femoral venous cannula whose tip sits at the IVC/right-atrial
    /// junction.
    pub femoral_venous_drainage: usize,
    /// Aortic compartments from the root downstream (root, arch, thoracic, abdominal,
    /// femoral arteries): the segments in which the mixing zone can lie.
    pub aortic_compartments: Vec<usize>,
    /// The connections between consecutive aortic compartments (one fewer).
    pub aortic_connections: Vec<usize>,
    /// The arch-to-upper-body connection (brachiocephalic trunk).
    pub brachiocephalic_connection: usize,
    /// Upper-body arteries (right axillary, subclavian, radial).
    pub upper_body_arteries: usize,
    /// The coronary circulation: the connection from the aortic root (the coronary ostia) to
    /// the right atrium (the coronary sinus), whose flow and O2 delivery the beat metrics
    /// report.
    pub coronary_connection: usize,
}

impl Anatomy {
    /// The (drained, return) compartments of a cannulation.
    pub fn cannulation_sites(
        &self,
        cannulation: Cannulation,
        right_atrium: usize,
    ) -> (usize, usize) {
        let femoral_artery = *self
            .aortic_compartments
            .last()
            .unwrap_or(&self.upper_body_arteries);
        match cannulation {
            Cannulation::FemoroFemoral => (self.femoral_venous_drainage, femoral_artery),
            Cannulation::Central => (right_atrium, self.aortic_compartments[0]),
            Cannulation::FemoroAxillary => (self.femoral_venous_drainage, self.upper_body_arteries),
        }
    }
}

/// Where clinicians measure: the compartments and connections that the per-beat metrics and
/// the summary read. Every circulation names all of them (several may share a compartment in
/// a coarse model such as the single systemic artery of `regazzoni-2022`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sites {
    /// Left ventricle.
    pub lv: usize,
    /// Right ventricle.
    pub rv: usize,
    /// Left atrium (its mean pressure is the PCWP proxy).
    pub la: usize,
    /// Right atrium (its mean pressure is the CVP).
    pub ra: usize,
    /// Ascending aorta / aortic root.
    pub aortic_root: usize,
    /// Right radial artery (upper-body arteries).
    pub right_radial: usize,
    /// Femoral artery (lower-body arteries).
    pub femoral: usize,
    /// Pulmonary artery.
    pub pulmonary_artery: usize,
    /// Aortic valve connection.
    pub aortic_valve: usize,
    /// Mitral valve connection.
    pub mitral_valve: usize,
    /// Tricuspid valve connection.
    pub tricuspid_valve: usize,
    /// Pulmonary valve connection.
    pub pulmonary_valve: usize,
}

/// The complete parameter set of a closed-loop circulation (the data model; no behaviour).
#[derive(Clone, Debug, PartialEq)]
pub struct CirculationParams {
    /// Compartments (vessels and chambers).
    pub compartments: Vec<Compartment>,
    /// Connections between compartments.
    pub connections: Vec<Connection>,
    /// Activation functions referenced by the chambers.
    pub activations: Vec<TwoHill>,
    /// How activation time constants follow the heart period.
    pub activation_scaling: ActivationScaling,
    /// Heart rate, beats per minute. While the rhythm is not [`Rhythm::Sinus`] it is the
    /// length of the analysis windows ("beats" of the metrics), not a contraction rate.
    pub heart_rate_bpm: f64,
    /// The cardiac rhythm: a beating heart, or an arrest without contraction.
    pub rhythm: Rhythm,
    /// Measurement sites.
    pub sites: Sites,
    /// Initial volume of every compartment, mL (same order as `compartments`).
    pub initial_volumes_ml: Vec<f64>,
    /// Initial flow of every connection, mL/s (used only by [`ConnectionKind::Segment`]s,
    /// whose flow is a state).
    pub initial_flows_ml_s: Vec<f64>,
    /// Initial O2 content of every compartment, mL O2/dL blood.
    pub initial_o2_ml_per_dl: Vec<f64>,
    /// Initial CO2 content of every compartment, mL CO2/dL blood.
    pub initial_co2_ml_per_dl: Vec<f64>,
    /// The connections that perfuse the systemic tissue beds (their resistances are the
    /// systemic vascular resistance; their flows deliver O2 to the tissues).
    pub systemic_beds: Vec<usize>,
    /// Blood gases: haemoglobin, lungs, tissue O2 consumption (`None`: no gas transport, as
    /// in the peer model).
    pub gas: Option<GasParams>,
    /// Cannulation sites and aortic segments (`None`: ECMO not available).
    pub anatomy: Option<Anatomy>,
    /// The VA-ECMO circuit, if one is connected. Whether a circuit is connected is part of
    /// the topology (it adds a state); clamping and pump speed are ordinary parameters.
    pub ecmo: Option<EcmoCircuit>,
    /// LV unloading devices (IABP, Impella, atrial septostomy, LV vent). Their number, kinds
    /// and sites are part of the topology; their settings are ordinary parameters (see
    /// [`crate::unloading`]).
    pub unloading: Vec<Unloading>,
    /// The pericardium around the ventricles (`None`: no pericardial constraint).
    pub pericardium: Option<Pericardium>,
}

/// The pericardial sac around the ventricles: its pressure, a function of the two ventricles'
/// total volume, adds to both ventricles' pressures (the chambers' own laws give transmural
/// pressure; what catheters measure is intracavitary). It couples them (ventricular
/// interdependence through the pericardium): a dilated RV raises the LV's filling pressure,
/// and draining the right heart lowers it.
///
/// `P_peri = A·(exp(B·(V − V_ref)) − 1)` for a total ventricular volume `V > V_ref`, else 0
/// (the exponential pericardium of Smith BW, Chase JG et al., Med Eng Phys 2004;26:131,
/// which encloses the two ventricles; the atria, whose linear elastances are outside it,
/// are not included).
#[derive(Clone, Debug, PartialEq)]
pub struct Pericardium {
    /// Pressure scale A, mmHg.
    pub pressure_scale_mmhg: f64,
    /// Stiffness B, 1/mL.
    pub stiffness_per_ml: f64,
    /// Total ventricular volume below which the sac exerts no pressure, mL.
    pub reference_volume_ml: f64,
}

impl Pericardium {
    /// Pericardial pressure, mmHg, at a total ventricular volume `v_ml`.
    pub fn pressure_mmhg(&self, v_ml: f64) -> f64 {
        pericardial_pressure_mmhg(
            v_ml,
            self.pressure_scale_mmhg,
            self.stiffness_per_ml,
            self.reference_volume_ml,
        )
    }
}

/// See [`Pericardium`]. The exponent is capped (at 50 mmHg of excess stiffness × volume,
/// i.e. e^50) only to keep the value finite for impossible volumes, which the plausibility
/// guard then reports.
#[inline(always)]
pub(crate) fn pericardial_pressure_mmhg(v_ml: f64, a: f64, b: f64, v_ref: f64) -> f64 {
    let dv = v_ml - v_ref;
    if dv > 0.0 {
        a * ((b * dv).min(50.0).exp() - 1.0)
    } else {
        0.0
    }
}

/// Integration parameters (rapier-style: one documented struct).
///
/// The fixed-step integrator is the classical 4th-order Runge-Kutta method. The step is
/// chosen per beat as `h = T / ceil(T / max_step_s)` so that every beat holds a whole number
/// of steps: beat boundaries fall on step boundaries (exact per-beat metrics) and the
/// activation functions can be tabulated once per beat length.
///
/// Choosing `max_step_s`: RK4 is stable for real eigenvalues with `h·|λ| < 2.78`. The stiffest
/// mode of the built-in presets is the ejecting ventricle coupled to the aortic root through
/// the open aortic valve; `tests/stability.rs` computes the Jacobian's eigenvalues over a beat
/// for every preset and checks the default step against them. Smaller steps buy accuracy
/// (error ∝ h⁴), larger steps speed, until the stability limit.
#[derive(Clone, Debug, PartialEq)]
pub struct IntegrationParams {
    /// Upper bound of the fixed step, s (default 1 ms).
    pub max_step_s: f64,
    /// Largest number of fixed steps the integrator may take as one RK4 step ("merged
    /// step") where the model's fast modes are inactive: no open heart valve whose pair
    /// rate (`λ = (E_from + E_to)/R`, with the chambers' elastances at the current
    /// activation and volume) would make `m·h·λ` exceed [`STABLE_H_LAMBDA`]. 1 (the default)
    /// takes every step on the fine grid; see [`crate::step`] for the rules and
    /// `tests/merged_steps.rs` for the accuracy and stability checks. Range
    /// [`MAX_STEP_MULTIPLE_RANGE`].
    pub max_step_multiple: u32,
}

/// Allowed range of [`IntegrationParams::max_step_multiple`].
pub const MAX_STEP_MULTIPLE_RANGE: (u32, u32) = (1, 8);

/// The step multiple whose accuracy and stability are tested together with
/// [`COARSE_STEP_S`] (`tests/merged_steps.rs`): what a cohort sets in
/// `[base.simulation] max_step_multiple` for throughput (`docs/performance.md`).
pub const COARSE_STEP_MULTIPLE: u32 = 4;

/// Allowed range of [`IntegrationParams::max_step_s`], s. Above the engine's stability bound
/// the step is tightened automatically ([`Model::effective_max_step_s`]).
pub const MAX_STEP_RANGE_S: (f64, f64) = (1e-5, 5e-3);

/// The coarsest step bound whose accuracy is tested, s: at `max_step_s = 2 ms` (tightened
/// automatically where the stability bound is lower) every summary metric of every built-in
/// preset, and of the acute-MI shock on femoro-femoral VA-ECMO with gas transport, stays
/// within the convergence test's tolerance of the Dormand-Prince reference (0.5 %, absolute
/// floor 0.05: `tests/coarse_step.rs`). About half the steps of the default 1 ms: what a
/// cohort sets in `[base.simulation] max_step_s` for throughput (`docs/performance.md`).
pub const COARSE_STEP_S: f64 = 2.0e-3;

impl Default for IntegrationParams {
    fn default() -> Self {
        IntegrationParams {
            max_step_s: 1.0e-3,
            max_step_multiple: 1,
        }
    }
}

/// A parameter outside its allowed range, or an inconsistent topology.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A number outside its allowed range (or not finite).
    #[error("{field} = {value} is out of range: allowed {min} to {max} {unit}")]
    OutOfRange {
        /// Dotted path of the parameter, e.g. `compartment.aortic_root.compliance_ml_per_mmhg`.
        field: String,
        /// The rejected value.
        value: f64,
        /// Lowest allowed value.
        min: f64,
        /// Highest allowed value.
        max: f64,
        /// Unit of the value.
        unit: &'static str,
    },
    /// The graph or the site table is inconsistent.
    #[error("invalid circulation: {0}")]
    Topology(String),
    /// An ECMO device's parameters are invalid.
    #[error("{field}: {source}")]
    Device {
        /// Dotted path of the device, e.g. `ecmo.pump`.
        field: String,
        /// What the device model says.
        source: crate::devices::DeviceError,
    },
}

/// Checks `min <= value <= max` (and finiteness), naming the field on failure.
pub fn check_range(
    field: impl FnOnce() -> String,
    value: f64,
    min: f64,
    max: f64,
    unit: &'static str,
) -> Result<(), ParamError> {
    if value.is_finite() && value >= min && value <= max {
        Ok(())
    } else {
        Err(ParamError::OutOfRange {
            field: field(),
            value,
            min,
            max,
            unit,
        })
    }
}

/// Most unloading devices in one circulation.
pub const MAX_UNLOADING_DEVICES: usize = 16;

/// The cardiac rhythm.
///
/// In ventricular fibrillation and asystole no chamber contracts: every activation is zero, so
/// each chamber follows its passive (end-diastolic) pressure-volume relation and the valves
/// open and close on the pressures the rest of the circulation imposes. Fibrillation's
/// uncoordinated myocardial activity produces no effective ejection (that is its clinical
/// definition: a pulseless rhythm), so the two differ only in the ECG the monitor shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rhythm {
    /// A coordinated, beating heart (atrial then ventricular activation every beat).
    #[default]
    Sinus,
    /// Ventricular fibrillation: pulseless, no contraction.
    VentricularFibrillation,
    /// Asystole: no electrical activity, no contraction.
    Asystole,
}

impl Rhythm {
    /// Whether the chambers contract.
    pub fn is_beating(self) -> bool {
        self == Rhythm::Sinus
    }

    /// The rhythm's name in files and outputs (`sinus`, `vf`, `asystole`).
    pub fn name(self) -> &'static str {
        match self {
            Rhythm::Sinus => "sinus",
            Rhythm::VentricularFibrillation => "vf",
            Rhythm::Asystole => "asystole",
        }
    }

    /// The rhythm of a name as written by [`Rhythm::name`].
    pub fn from_name(name: &str) -> Option<Rhythm> {
        [
            Rhythm::Sinus,
            Rhythm::VentricularFibrillation,
            Rhythm::Asystole,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }
}

/// Allowed critical closing pressure of a vascular waterfall, mmHg: 0 up to well above the
/// 45.5 ± 11.1 mmHg measured in ventilated patients after cardiac surgery (Maas JJ et al.,
/// Anesth Analg 2012;114:803).
pub const CRITICAL_CLOSING_PRESSURE_RANGE_MMHG: (f64, f64) = (0.0, 100.0);

/// Allowed pericardium parameters: pressure scale A (mmHg), stiffness B (1/mL) and
/// reference volume (mL) (plausibility bounds around Smith et al. 2004's 0.5 mmHg, 0.03 /mL
/// and 200 mL for the ventricles alone).
pub const PERICARDIUM_RANGES: ((f64, f64), (f64, f64), (f64, f64)) =
    ((0.01, 10.0), (0.001, 0.1), (50.0, 1500.0));

/// Allowed heart rate range, bpm.
pub const HEART_RATE_RANGE_BPM: (f64, f64) = (20.0, 250.0);

impl CirculationParams {
    /// Validates every number and the topology. Returns the first problem found.
    pub fn validate(&self) -> Result<(), ParamError> {
        let n = self.compartments.len();
        let m = self.connections.len();
        check_range(
            || "heart_rate_bpm".into(),
            self.heart_rate_bpm,
            HEART_RATE_RANGE_BPM.0,
            HEART_RATE_RANGE_BPM.1,
            "bpm",
        )?;
        if let Some(pc) = &self.pericardium {
            let (a, b, v) = PERICARDIUM_RANGES;
            check_range(
                || "pericardium.pressure_scale_mmhg".into(),
                pc.pressure_scale_mmhg,
                a.0,
                a.1,
                "mmHg",
            )?;
            check_range(
                || "pericardium.stiffness_per_ml".into(),
                pc.stiffness_per_ml,
                b.0,
                b.1,
                "1/mL",
            )?;
            check_range(
                || "pericardium.reference_volume_ml".into(),
                pc.reference_volume_ml,
                v.0,
                v.1,
                "mL",
            )?;
        }
        for (i, a) in self.activations.iter().enumerate() {
            let f = |k: &'static str| move || format!("activation.{i}.{k}");
            check_range(f("t_shift_s"), a.t_shift_s, 0.0, 2.0, "s")?;
            check_range(f("tau1_s"), a.tau1_s, 0.005, 2.0, "s")?;
            check_range(f("tau2_s"), a.tau2_s, 0.005, 2.0, "s")?;
            check_range(f("m1"), a.m1, 0.5, 60.0, "")?;
            check_range(f("m2"), a.m2, 0.5, 60.0, "")?;
        }
        if let ActivationScaling::SqrtPeriod { reference_period_s } = self.activation_scaling {
            check_range(
                || "activation_scaling.reference_period_s".into(),
                reference_period_s,
                0.2,
                3.0,
                "s",
            )?;
        }
        for c in &self.compartments {
            let name = &c.name;
            match &c.kind {
                CompartmentKind::Vessel(v) => {
                    check_range(
                        || format!("compartment.{name}.compliance_ml_per_mmhg"),
                        v.compliance_ml_per_mmhg,
                        1e-3,
                        1000.0,
                        "mL/mmHg",
                    )?;
                    check_range(
                        || format!("compartment.{name}.unstressed_volume_ml"),
                        v.unstressed_volume_ml,
                        0.0,
                        5000.0,
                        "mL",
                    )?;
                }
                CompartmentKind::Chamber(ch) => {
                    check_range(
                        || format!("chamber.{name}.ees_mmhg_per_ml"),
                        ch.ees_mmhg_per_ml,
                        0.0,
                        20.0,
                        "mmHg/mL",
                    )?;
                    check_range(
                        || format!("chamber.{name}.v0_ml"),
                        ch.v0_ml,
                        -100.0,
                        500.0,
                        "mL",
                    )?;
                    match ch.passive {
                        Passive::Linear {
                            elastance_mmhg_per_ml,
                        } => check_range(
                            || format!("chamber.{name}.passive_elastance_mmhg_per_ml"),
                            elastance_mmhg_per_ml,
                            1e-3,
                            10.0,
                            "mmHg/mL",
                        )?,
                        Passive::Exponential { a_mmhg, b_per_ml } => {
                            check_range(
                                || format!("chamber.{name}.edpvr_a_mmhg"),
                                a_mmhg,
                                1e-3,
                                50.0,
                                "mmHg",
                            )?;
                            check_range(
                                || format!("chamber.{name}.edpvr_b_per_ml"),
                                b_per_ml,
                                1e-3,
                                0.5,
                                "1/mL",
                            )?;
                        }
                    }
                    if ch.activation >= self.activations.len() {
                        return Err(ParamError::Topology(format!(
                            "chamber {name} uses activation {} but only {} are defined",
                            ch.activation,
                            self.activations.len()
                        )));
                    }
                }
            }
        }
        for c in &self.connections {
            let name = &c.name;
            if c.from >= n || c.to >= n || c.from == c.to {
                return Err(ParamError::Topology(format!(
                    "connection {name} joins compartments {} and {} (there are {n})",
                    c.from, c.to
                )));
            }
            match &c.kind {
                ConnectionKind::Resistor(r) => {
                    check_range(
                        || format!("connection.{name}.resistance_mmhg_s_per_ml"),
                        r.resistance_mmhg_s_per_ml,
                        1e-5,
                        1000.0,
                        "mmHg·s/mL",
                    )?;
                    if let Some(pcc) = r.critical_closing_pressure_mmhg {
                        check_range(
                            || format!("connection.{name}.critical_closing_pressure_mmhg"),
                            pcc,
                            CRITICAL_CLOSING_PRESSURE_RANGE_MMHG.0,
                            CRITICAL_CLOSING_PRESSURE_RANGE_MMHG.1,
                            "mmHg",
                        )?;
                    }
                }
                ConnectionKind::Segment(s) => {
                    check_range(
                        || format!("connection.{name}.resistance_mmhg_s_per_ml"),
                        s.resistance_mmhg_s_per_ml,
                        0.0,
                        1000.0,
                        "mmHg·s/mL",
                    )?;
                    check_range(
                        || format!("connection.{name}.inertance_mmhg_s2_per_ml"),
                        s.inertance_mmhg_s2_per_ml,
                        1e-7,
                        1.0,
                        "mmHg·s²/mL",
                    )?;
                }
                ConnectionKind::Valve(v) => {
                    check_range(
                        || format!("connection.{name}.open_resistance_mmhg_s_per_ml"),
                        v.open_resistance_mmhg_s_per_ml,
                        1e-5,
                        10.0,
                        "mmHg·s/mL",
                    )?;
                    check_range(
                        || format!("connection.{name}.regurgitant_conductance_ml_per_s_mmhg"),
                        v.regurgitant_conductance_ml_per_s_mmhg,
                        0.0,
                        100.0,
                        "mL/(s·mmHg)",
                    )?;
                }
            }
        }
        if self.initial_volumes_ml.len() != n || self.initial_flows_ml_s.len() != m {
            return Err(ParamError::Topology(format!(
                "initial state has {} volumes and {} flows for {n} compartments and {m} connections",
                self.initial_volumes_ml.len(),
                self.initial_flows_ml_s.len()
            )));
        }
        for (c, v) in self.compartments.iter().zip(&self.initial_volumes_ml) {
            check_range(
                || format!("initial.{}.volume_ml", c.name),
                *v,
                0.0,
                10_000.0,
                "mL",
            )?;
        }
        for (c, q) in self.connections.iter().zip(&self.initial_flows_ml_s) {
            check_range(
                || format!("initial.{}.flow_ml_s", c.name),
                *q,
                -10_000.0,
                10_000.0,
                "mL/s",
            )?;
        }
        if self.initial_o2_ml_per_dl.len() != n || self.initial_co2_ml_per_dl.len() != n {
            return Err(ParamError::Topology(format!(
                "initial gas contents have {} O2 and {} CO2 values for {n} compartments",
                self.initial_o2_ml_per_dl.len(),
                self.initial_co2_ml_per_dl.len()
            )));
        }
        for (c, (o2, co2)) in self.compartments.iter().zip(
            self.initial_o2_ml_per_dl
                .iter()
                .zip(&self.initial_co2_ml_per_dl),
        ) {
            check_range(
                || format!("initial.{}.o2_ml_per_dl", c.name),
                *o2,
                0.0,
                40.0,
                "mL/dL",
            )?;
            check_range(
                || format!("initial.{}.co2_ml_per_dl", c.name),
                *co2,
                0.0,
                120.0,
                "mL/dL",
            )?;
        }
        if self.systemic_beds.iter().any(|&j| j >= m) {
            return Err(ParamError::Topology(
                "a systemic bed connection does not exist".into(),
            ));
        }
        if let Some(g) = &self.gas {
            check_range(
                || "hemoglobin_g_dl".into(),
                g.hemoglobin_g_dl,
                3.0,
                25.0,
                "g/dL",
            )?;
            check_range(|| "fio2".into(), g.fio2, 0.21, 1.0, "")?;
            check_range(
                || "lung_shunt_fraction".into(),
                g.lung_shunt_fraction,
                0.0,
                1.0,
                "",
            )?;
            check_range(
                || "minute_ventilation_l_min".into(),
                g.minute_ventilation_l_min,
                0.0,
                40.0,
                "L/min",
            )?;
            check_range(
                || "dead_space_fraction".into(),
                g.dead_space_fraction,
                0.0,
                0.95,
                "",
            )?;
            check_range(
                || "base_excess_mmol_l".into(),
                g.base_excess_mmol_l,
                -30.0,
                30.0,
                "mmol/L",
            )?;
            check_range(
                || "gas.barometric_pressure_mmhg".into(),
                g.barometric_pressure_mmhg,
                400.0,
                1100.0,
                "mmHg",
            )?;
            check_range(
                || "gas.respiratory_quotient".into(),
                g.respiratory_quotient,
                0.6,
                1.2,
                "",
            )?;
            if g.exchange_connection >= m {
                return Err(ParamError::Topology(
                    "gas exchange connection does not exist".into(),
                ));
            }
            for (k, c) in g.consumers.iter().enumerate() {
                if c.bed_connection >= m {
                    return Err(ParamError::Topology(format!(
                        "O2 consumer {k} has no bed connection"
                    )));
                }
                check_range(
                    || format!("gas.consumer.{k}.vo2_ml_min"),
                    c.vo2_ml_min,
                    0.0,
                    2000.0,
                    "mL/min",
                )?;
            }
        }
        if let Some(e) = &self.ecmo {
            if e.drain_from >= n || e.return_to >= n || e.drain_from == e.return_to {
                return Err(ParamError::Topology(
                    "ECMO cannulae must join two different compartments".into(),
                ));
            }
            let dev = |field: &str, r: Result<(), crate::devices::DeviceError>| {
                r.map_err(|source| ParamError::Device {
                    field: field.into(),
                    source,
                })
            };
            dev("ecmo.pump", e.pump.validate())?;
            dev("ecmo.drainage_cannula", e.drainage_cannula.validate())?;
            dev("ecmo.return_cannula", e.return_cannula.validate())?;
            dev("ecmo.oxygenator", e.oxygenator.validate())?;
            dev("ecmo.drainage_limit", e.drainage_limit.validate())?;
            check_range(
                || "ecmo.pump_rpm".into(),
                e.pump_rpm,
                0.0,
                e.pump.max_rpm,
                "rpm",
            )?;
            check_range(|| "ecmo.fdo2".into(), e.fdo2, 0.21, 1.0, "")?;
            check_range(
                || "ecmo.sweep_l_min".into(),
                e.sweep_l_min,
                0.0,
                15.0,
                "L/min",
            )?;
            check_range(
                || "ecmo.inertance_mmhg_s2_per_ml".into(),
                e.inertance_mmhg_s2_per_ml,
                0.01,
                5.0,
                "mmHg·s²/mL",
            )?;
        }
        if let Some(a) = &self.anatomy {
            let ok = a.femoral_venous_drainage < n
                && a.upper_body_arteries < n
                && a.brachiocephalic_connection < m
                && a.coronary_connection < m
                && !a.aortic_compartments.is_empty()
                && a.aortic_compartments.iter().all(|&i| i < n)
                && a.aortic_connections.len() + 1 == a.aortic_compartments.len()
                && a.aortic_connections.iter().all(|&j| j < m);
            if !ok {
                return Err(ParamError::Topology(
                    "anatomy refers to missing elements".into(),
                ));
            }
        }
        if self.unloading.len() > MAX_UNLOADING_DEVICES {
            return Err(ParamError::Topology(format!(
                "at most {MAX_UNLOADING_DEVICES} unloading devices"
            )));
        }
        for (i, u) in self.unloading.iter().enumerate() {
            u.device.validate(i, n)?;
            match u.device {
                UnloadingDevice::Iabp { compartment, .. }
                    if !matches!(
                        self.compartments[compartment].kind,
                        CompartmentKind::Vessel(_)
                    ) =>
                {
                    return Err(ParamError::Topology(format!(
                        "unloading device {i} (iabp): its compartment is not a vessel"
                    )));
                }
                UnloadingDevice::LvVent { .. } if self.ecmo.is_none() => {
                    return Err(ParamError::Topology(format!(
                        "unloading device {i} (lv_vent) drains into the ECMO circuit: \
                         it requires a circuit"
                    )));
                }
                _ => {}
            }
        }
        let s = &self.sites;
        let chamber = |i: usize, what: &str| -> Result<(), ParamError> {
            match self.compartments.get(i).map(|c| &c.kind) {
                Some(CompartmentKind::Chamber(_)) => Ok(()),
                _ => Err(ParamError::Topology(format!(
                    "site {what} is not a chamber"
                ))),
            }
        };
        chamber(s.lv, "lv")?;
        chamber(s.rv, "rv")?;
        chamber(s.la, "la")?;
        chamber(s.ra, "ra")?;
        for (i, what) in [
            (s.aortic_root, "aortic_root"),
            (s.right_radial, "right_radial"),
            (s.femoral, "femoral"),
            (s.pulmonary_artery, "pulmonary_artery"),
        ] {
            if i >= n {
                return Err(ParamError::Topology(format!(
                    "site {what} is not a compartment"
                )));
            }
        }
        for (i, what) in [
            (s.aortic_valve, "aortic_valve"),
            (s.mitral_valve, "mitral_valve"),
            (s.tricuspid_valve, "tricuspid_valve"),
            (s.pulmonary_valve, "pulmonary_valve"),
        ] {
            if !matches!(
                self.connections.get(i).map(|c| &c.kind),
                Some(ConnectionKind::Valve(_))
            ) {
                return Err(ParamError::Topology(format!("site {what} is not a valve")));
            }
        }
        Ok(())
    }

    /// Index of the compartment named `name`.
    pub fn compartment_index(&self, name: &str) -> Option<usize> {
        self.compartments.iter().position(|c| c.name == name)
    }

    /// Index of the connection named `name`.
    pub fn connection_index(&self, name: &str) -> Option<usize> {
        self.connections.iter().position(|c| c.name == name)
    }

    /// Total blood volume of the initial state, mL.
    pub fn initial_blood_volume_ml(&self) -> f64 {
        self.initial_volumes_ml.iter().sum()
    }

    /// Multiplies a chamber's end-systolic (active) elastance: a contractility change.
    /// Returns `false` if there is no such chamber.
    pub fn scale_contractility(&mut self, chamber: usize, factor: f64) -> bool {
        match self.compartments.get_mut(chamber).map(|c| &mut c.kind) {
            Some(CompartmentKind::Chamber(ch)) => {
                ch.ees_mmhg_per_ml *= factor;
                true
            }
            _ => false,
        }
    }

    /// Multiplies the resistance of every systemic tissue bed (the connections that perfuse
    /// the O2 consumers): a change of systemic vascular resistance.
    pub fn scale_systemic_resistance(&mut self, factor: f64) {
        for &j in &self.systemic_beds {
            match &mut self.connections[j].kind {
                ConnectionKind::Resistor(r) => r.resistance_mmhg_s_per_ml *= factor,
                ConnectionKind::Segment(s) => s.resistance_mmhg_s_per_ml *= factor,
                ConnectionKind::Valve(_) => {}
            }
        }
    }

    /// Sets the total initial blood volume: the difference is added to (or taken from) the
    /// vessels as one common change of their pressure, the way an infusion or a bleed
    /// distributes at equilibrium (in proportion to compliance while every vessel stays at or
    /// above its unstressed volume; along each vessel's collapse law below it, so no vessel
    /// is given a negative volume). Gas contents per mL are unchanged. Chambers keep their
    /// volumes; a total below the chambers' volume leaves the vessels nearly empty.
    pub fn set_initial_blood_volume_ml(&mut self, total_ml: f64) {
        let dv = total_ml - self.initial_blood_volume_ml();
        let vessels: Vec<(usize, Vessel)> = self
            .compartments
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match &c.kind {
                CompartmentKind::Vessel(v) => Some((i, v.clone())),
                CompartmentKind::Chamber(_) => None,
            })
            .collect();
        let c_total: f64 = vessels.iter().map(|(_, v)| v.compliance_ml_per_mmhg).sum();
        if c_total <= 0.0 {
            return;
        }
        // The linear shift, kept exactly when no vessel falls below its unstressed volume.
        let shift = dv / c_total;
        let linear_ok = vessels.iter().all(|(i, v)| {
            self.initial_volumes_ml[*i] + v.compliance_ml_per_mmhg * shift >= v.unstressed_volume_ml
        });
        if linear_ok {
            for (i, v) in &vessels {
                self.initial_volumes_ml[*i] += v.compliance_ml_per_mmhg * shift;
            }
            return;
        }
        // Otherwise one common pressure change along each vessel's own law, by bisection
        // (the vessels' total volume is increasing in the common change).
        let p0: Vec<f64> = vessels
            .iter()
            .map(|(i, v)| v.pressure_mmhg(self.initial_volumes_ml[*i]))
            .collect();
        let target: f64 = vessels
            .iter()
            .map(|(i, _)| self.initial_volumes_ml[*i])
            .sum::<f64>()
            + dv;
        let total_at = |d: f64| -> f64 {
            vessels
                .iter()
                .zip(&p0)
                .map(|((_, v), p)| v.volume_at_pressure_ml(p + d))
                .sum()
        };
        let (mut lo, mut hi) = (-1.0e4, 1.0e4);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if total_at(mid) < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let d = 0.5 * (lo + hi);
        for ((i, v), p) in vessels.iter().zip(&p0) {
            self.initial_volumes_ml[*i] = v.volume_at_pressure_ml(p + d);
        }
    }

    /// Sets the haemoglobin concentration, scaling the initial O2 contents with it (the same
    /// saturations at the new carrying capacity). Returns `false` without a gas model.
    pub fn set_hemoglobin_g_dl(&mut self, hb_g_dl: f64) -> bool {
        let Some(gas) = self.gas.as_mut() else {
            return false;
        };
        let r = hb_g_dl / gas.hemoglobin_g_dl;
        if r.is_finite() && r > 0.0 {
            for c in &mut self.initial_o2_ml_per_dl {
                *c *= r;
            }
        }
        gas.hemoglobin_g_dl = hb_g_dl;
        true
    }
}

/// A compiled compartment: what the right-hand side evaluates.
#[derive(Clone, Debug)]
pub(crate) enum NodeOp {
    Vessel {
        elastance: f64,
        v0: f64,
    },
    LinearChamber {
        e_pass: f64,
        e_max: f64,
        v0: f64,
        act: usize,
    },
    ExpChamber {
        ees: f64,
        v0: f64,
        a: f64,
        b: f64,
        act: usize,
    },
}

/// A compiled connection.
#[derive(Clone, Debug)]
pub(crate) enum LinkOp {
    Conductance {
        from: usize,
        to: usize,
        g: f64,
    },
    Waterfall {
        from: usize,
        to: usize,
        g: f64,
        pcc: f64,
    },
    Valve {
        from: usize,
        to: usize,
        g_open: f64,
        g_leak: f64,
    },
    Inertial {
        from: usize,
        to: usize,
        r: f64,
        inv_l: f64,
        state: usize,
    },
}

/// The right-hand side's data, split by kind so that each loop is branch-free.
#[derive(Clone, Debug, Default)]
pub(crate) struct Kernel {
    /// (compartment, elastance, unstressed volume, collapse law)
    pub(crate) vessels: Vec<(usize, f64, f64, crate::components::CollapseLaw)>,
    /// (compartment, passive elastance, active elastance, V0, activation,
    /// and the collapse law of its passive part below V0)
    pub(crate) linear_chambers: Vec<(usize, f64, f64, f64, usize, crate::components::CollapseLaw)>,
    /// (compartment, Ees, V0, A, B, activation,
    /// and the collapse law of its passive part below V0)
    pub(crate) exp_chambers: Vec<(
        usize,
        f64,
        f64,
        f64,
        f64,
        usize,
        crate::components::CollapseLaw,
    )>,
    /// (connection, from, to, conductance)
    pub(crate) conductances: Vec<(usize, usize, usize, f64)>,
    /// (connection, from, to, conductance, critical closing pressure)
    pub(crate) waterfalls: Vec<(usize, usize, usize, f64, f64)>,
    /// (connection, from, to, open conductance, regurgitant conductance)
    pub(crate) valves: Vec<(usize, usize, usize, f64, f64)>,
    /// (connection, from, to, resistance, 1/inertance, state index)
    pub(crate) inertials: Vec<(usize, usize, usize, f64, f64, usize)>,
    /// The ECMO circuit and the state index of its flow.
    pub(crate) circuit: Option<(EcmoCircuit, usize)>,
    /// Gas transport.
    pub(crate) gas: Option<GasKernel>,
    /// Length of the activation row: the activation functions, then one balloon-inflation
    /// column per IABP.
    pub(crate) n_activations: usize,
    /// Number of flows: the connections, then one per flow-carrying unloading device.
    pub(crate) n_flows: usize,
    /// IABPs: (compartment, elastance × balloon volume × on, activation-row column).
    pub(crate) iabps: Vec<(usize, f64, usize)>,
    /// Pericardium: ([lv, rv], A, B, reference volume).
    pub(crate) pericardium: Option<([usize; 2], f64, f64, f64)>,
    /// Impellas: (flow slot, from, to, free flow × on mL/s, shut-off ΔP mmHg, V0 of `from`).
    pub(crate) impellas: Vec<(usize, usize, usize, f64, f64, f64)>,
    /// Septostomies: (flow slot, from, to, orifice coefficient × on).
    pub(crate) orifices: Vec<(usize, usize, usize, f64)>,
    /// LV vents: (flow slot, from, drained compartment, cannula, V0 of `from`, on).
    pub(crate) vents: Vec<(usize, usize, usize, crate::devices::Cannula, f64, f64)>,
    /// What the merged steps need (`None`: every step on the fine grid).
    pub(crate) merge: Option<MergeKernel>,
}

/// How a compartment's elastance is read for a merged-step decision.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ElastanceSource {
    /// A vessel: `1/C`.
    Constant(f64),
    /// A linear chamber: `E_pass + e(t)·E_max` (E_pass, E_max, activation column).
    Linear(f64, f64, usize),
    /// An exponential-EDPVR chamber: `e(t)·Ees + (1 − e(t))·A·B·exp(B·(V − V0))`
    /// (compartment, Ees, V0, A, B, activation column).
    Exponential(usize, f64, f64, f64, f64, usize),
}

impl ElastanceSource {
    /// The activation column of a chamber (`None` for a vessel).
    pub(crate) fn activation_column(self) -> Option<usize> {
        match self {
            ElastanceSource::Constant(_) => None,
            ElastanceSource::Linear(_, _, a) | ElastanceSource::Exponential(.., a) => Some(a),
        }
    }
}

/// Filling pressure at which an exponential chamber's EDPVR slope enters the merged-step
/// floor rate (mmHg): above any end-diastolic pressure the presets reach (the severely failing
/// AMI LV on ECMO, ~57 mmHg, is the highest).
const MERGE_FLOOR_FILLING_MMHG: f64 = 60.0;

/// The merged-step rules' data (see [`crate::step`]), compiled when
/// [`IntegrationParams::max_step_multiple`] > 1 and the model has no device that the rules do
/// not cover (IABP, Impella, septostomy, LV vent, pericardium) and at most 64 valves.
#[derive(Clone, Debug, Default)]
pub(crate) struct MergeKernel {
    /// The largest pair rate of every connection but the open valves (resistors, waterfalls,
    /// segments, regurgitant valves), with the chambers' largest elastances, 1/s.
    pub(crate) floor_rate_per_s: f64,
    /// The heart valves: (connection, from, to, open conductance).
    pub(crate) valves: Vec<(usize, ElastanceSource, ElastanceSource, f64)>,
    /// The compartments each heart valve joins: (from, to), in the order of `valves`.
    pub(crate) valve_ends: Vec<(usize, usize)>,
    /// Every compartment and its unstressed volume (a merged step must end above it).
    pub(crate) v0: Vec<(usize, f64)>,
    /// The configured largest multiple.
    pub(crate) max_multiple: u32,
}

/// The gas-transport part of the right-hand side.
#[derive(Clone, Debug, Default)]
pub(crate) struct GasKernel {
    /// First state index of the O2 masses (mL), then CO2 masses, then accumulators.
    pub(crate) o2: usize,
    pub(crate) co2: usize,
    pub(crate) acc: usize,
    /// CO2 carried out by the alveolar ventilation per mmHg of alveolar PCO2, mL/s/mmHg.
    pub(crate) vent_co2_ml_s_mmhg: f64,
    /// Inspired dry-gas PO2 `FiO2·(Pb − PH2O)`, mmHg.
    pub(crate) pio2_mmhg: f64,
    pub(crate) shunt: f64,
    pub(crate) exchange: usize,
    /// (connection, from, to) of every connection but the lung exchange one.
    pub(crate) ends: Vec<(usize, usize, usize)>,
    /// (from, to) of the lung exchange connection.
    pub(crate) exchange_ends: (usize, usize),
    /// (compartment, VO2 mL/s)
    pub(crate) consumers: Vec<(usize, f64)>,
    pub(crate) rq: f64,
    /// O2 binding capacity `1.34·Hb` (Hb clamped), mL/dL, for the lungs' end-capillary content.
    pub(crate) o2_capacity_ml_per_dl: f64,
    /// The oxygenator's setting-only terms (sweep, FdO2, equilibrium content, dry-gas
    /// pressure; zero without a circuit), rebuilt with the kernel on every parameter change.
    pub(crate) oxygenator: crate::devices::oxygenator::TransferSettings,
}

/// Accumulators at the end of the state vector (cumulative mL of gas since t = 0).
pub mod accumulator {
    /// O2 taken up in the lungs.
    pub const LUNG_O2: usize = 0;
    /// O2 transferred by the oxygenator.
    pub const OXYGENATOR_O2: usize = 1;
    /// O2 consumed by the tissues.
    pub const CONSUMED_O2: usize = 2;
    /// CO2 removed in the lungs (negative: removal).
    pub const LUNG_CO2: usize = 3;
    /// CO2 transferred by the oxygenator (negative: removal).
    pub const OXYGENATOR_CO2: usize = 4;
    /// CO2 produced by the tissues.
    pub const PRODUCED_CO2: usize = 5;
    /// Number of accumulators.
    pub const COUNT: usize = 6;
}

/// Where each kind of state lives in the state vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateLayout {
    /// Number of compartments (volumes occupy `0..compartments`).
    pub compartments: usize,
    /// Index of the ECMO circuit flow, if a circuit is connected.
    pub circuit_flow: Option<usize>,
    /// First index of the compartments' O2 masses (mL).
    pub o2: usize,
    /// First index of the compartments' CO2 masses (mL).
    pub co2: usize,
    /// First index of the cumulative gas exchange accumulators ([`accumulator`]).
    pub accumulators: usize,
    /// Total length.
    pub len: usize,
    /// Whether the gas states exist (`o2`, `co2` and `accumulators` are meaningful only then).
    pub gas: bool,
}

/// A validated circulation, compiled for fast evaluation.
///
/// A `Model` is immutable while it steps; parameter changes (events) go through
/// [`Model::update`], which validates, recompiles, and bumps a generation counter so that any
/// [`crate::State`] notices that its cached derivative is stale.
#[derive(Clone, Debug)]
pub struct Model {
    params: CirculationParams,
    integration: IntegrationParams,
    pub(crate) nodes: Vec<NodeOp>,
    pub(crate) links: Vec<LinkOp>,
    pub(crate) n_inertial: usize,
    /// State index of each connection's flow, for segments.
    pub(crate) link_state: Vec<Option<usize>>,
    pub(crate) kernel: Kernel,
    pub(crate) layout: StateLayout,
    pub(crate) generation: u64,
    /// Bumped only by updates that change what the activation table holds (activation shapes
    /// and scaling, rhythm, the IABPs' assist settings), so that other parameter changes
    /// (a reflex moving resistances every beat) do not re-tabulate the activations.
    pub(crate) table_generation: u64,
    /// Flow slot of each unloading device (`None` for a balloon).
    pub(crate) device_slot: Vec<Option<usize>>,
    /// Assist ratio of each IABP, in balloon-column order.
    pub(crate) iabp_ratios: Vec<u32>,
    /// Activation function of the LV (times the balloon).
    pub(crate) lv_activation: usize,
    /// External chest compressions (CPR), if given: they act only while the rhythm does not
    /// beat (see [`ChestCompressions`]).
    pub(crate) compressions: Option<ChestCompressions>,
    /// The step bound actually used: `min(max_step_s, STABLE_H_LAMBDA / fastest rate)`,
    /// recomputed by every compile (see [`fastest_rate_per_s`]).
    effective_max_step_s: f64,
    /// Whether this CPU runs the x86-64-v3 versions of the step and the recorder (found when
    /// the model was built; it decides speed, never a result: see [`crate::step`]).
    pub(crate) x86_64_v3: bool,
    /// A fingerprint of everything the per-beat recorder looks up in the model (recomputed
    /// by every compile): a recorder re-resolves its lookups when it differs
    /// ([`crate::BeatRecorder::record`]).
    pub(crate) recorder_key: u64,
}

/// Largest `h·λ̂` allowed for the estimated fastest rate `λ̂` ([`fastest_rate_per_s`]) before
/// the step is tightened automatically. The classical RK4 method is stable on the negative
/// real axis up to `h·|λ|` ≈ 2.785 and on the imaginary axis up to ≈ 2.83 (Hairer & Wanner,
/// Solving Ordinary Differential Equations II, Springer 1996, §IV.2). 2.0 leaves ~28 % of
/// margin for what the pairwise estimate misses (the Jacobian scan in `tests/stability.rs`
/// found the true fastest eigenvalue within that margin of the estimate on every preset),
/// and keeps the default 1 ms step untouched on every built-in preset.
pub const STABLE_H_LAMBDA: f64 = 2.0;

/// An upper estimate of the model's fastest decay rate `|λ|`, 1/s, from its parameters.
///
/// Each connection is taken with the two compartments it joins as an isolated pair, whose
/// eigenvalues are exact: a resistance `R` (a resistor, an open or regurgitant valve)
/// between compartments of elastance `E₁`, `E₂` relaxes at `λ = (E₁ + E₂)/R` (time constant
/// `R·C₁C₂/(C₁ + C₂)`); an inertial segment (`R`, `L`) has `λ² + (R/L)λ + (E₁ + E₂)/L = 0`.
/// A vessel's elastance is `1/C`; a chamber's is its largest slope `dp/dV`: `E_pass + E_max`
/// (linear: `p = E_pass·(V − V0) + e(t)·E_max·(V − V0)`) or `max(Ees, A·B·e^{B·(V − V0)})` at
/// its initial volume (exponential EDPVR: `p = e(t)·Ees·(V − V0) + (1 − e(t))·A·(e^{B(V−V0)} − 1)`,
/// whose slope is a convex combination of the two, so their maximum bounds it; the estimate
/// follows the filling a preset or a `blood_volume_scale` gives it). The maximum over
/// pairs is the estimate. The ejecting ventricle against the aortic root through the open
/// aortic valve sets it on every built-in preset, as the Jacobian scan confirms
/// (`tests/stability.rs`). The ECMO circuit (inertance 0.5 mmHg·s²/mL) and the unloading
/// devices are slower than the heart valves and are not included.
pub fn fastest_rate_per_s(params: &CirculationParams) -> f64 {
    let elastance = elastance_bounds(params);
    params
        .connections
        .iter()
        .map(|c| pair_rate_per_s(c, &elastance, true))
        .filter(|r| r.is_finite())
        .fold(0.0, f64::max)
}

/// Each compartment's largest elastance `dp/dV`, mmHg/mL, as [`fastest_rate_per_s`] takes it.
fn elastance_bounds(params: &CirculationParams) -> Vec<f64> {
    params
        .compartments
        .iter()
        .enumerate()
        .map(|(i, c)| match &c.kind {
            CompartmentKind::Vessel(v) => 1.0 / v.compliance_ml_per_mmhg,
            CompartmentKind::Chamber(ch) => match ch.passive {
                Passive::Linear {
                    elastance_mmhg_per_ml,
                } => elastance_mmhg_per_ml + ch.ees_mmhg_per_ml,
                Passive::Exponential { a_mmhg, b_per_ml } => {
                    let dv = (params
                        .initial_volumes_ml
                        .get(i)
                        .copied()
                        .unwrap_or(ch.v0_ml)
                        - ch.v0_ml)
                        .max(0.0);
                    ch.ees_mmhg_per_ml
                        .max(a_mmhg * b_per_ml * (b_per_ml * dv).min(50.0).exp())
                }
            },
        })
        .collect()
}

/// The isolated-pair rate of connection `c` for compartment elastances `elastance`, 1/s; a
/// valve is taken open when `valve_open`, regurgitant otherwise.
fn pair_rate_per_s(c: &Connection, elastance: &[f64], valve_open: bool) -> f64 {
    let e = elastance[c.from] + elastance[c.to];
    match &c.kind {
        ConnectionKind::Resistor(r) => e / r.resistance_mmhg_s_per_ml,
        ConnectionKind::Valve(v) => {
            if valve_open {
                e * (1.0 / v.open_resistance_mmhg_s_per_ml)
                    .max(v.regurgitant_conductance_ml_per_s_mmhg)
            } else {
                e * v.regurgitant_conductance_ml_per_s_mmhg
            }
        }
        ConnectionKind::Segment(s) => {
            let (r, l) = (s.resistance_mmhg_s_per_ml, s.inertance_mmhg_s2_per_ml);
            let half = r / (2.0 * l);
            let disc = half * half - e / l;
            if disc >= 0.0 {
                half + disc.sqrt()
            } else {
                (e / l).sqrt()
            }
        }
    }
}

/// External chest compressions (the "cardiac pump" mechanism of CPR): while the rhythm does
/// not beat, each analysis window of the beat clock (`heart_rate_bpm`, set to the compression
/// rate by the driver) is one compression cycle. During the compression phase (the first
/// `duty_fraction` of the cycle, a half-sine) both ventricles are squeezed: their pressure
/// gains `elastance · (V − V0)` at the peak, through the chambers' own activation columns
/// (which are idle without a beating rhythm), so the valves direct the expelled volume
/// forward and the ventricles refill from the atria at release. Thoracic-pump effects
/// (compression of the great vessels and lungs) are not modelled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChestCompressions {
    /// Added ventricular elastance at the peak of a compression, mmHg/mL.
    pub elastance_mmhg_per_ml: f64,
    /// Fraction of each cycle spent compressing (0.5: the AHA's equal compression and
    /// release).
    pub duty_fraction: f64,
}

impl ChestCompressions {
    /// The compression waveform at `phase_s` into a cycle of `period_s`: a half-sine over the
    /// compression phase, 0 during release.
    pub fn waveform(&self, phase_s: f64, period_s: f64) -> f64 {
        let t_c = self.duty_fraction.clamp(0.05, 0.95) * period_s;
        if phase_s >= 0.0 && phase_s < t_c {
            (std::f64::consts::PI * phase_s / t_c).sin()
        } else {
            0.0
        }
    }
}

impl Model {
    /// Starts (`Some`) or stops (`None`) external chest compressions. They move blood only
    /// while the rhythm does not beat; the activation table is rebuilt.
    pub fn set_chest_compressions(&mut self, compressions: Option<ChestCompressions>) {
        if self.compressions != compressions {
            self.compressions = compressions;
            self.generation += 1;
            self.table_generation += 1;
        }
    }

    /// The chest compressions in progress, if any.
    pub fn chest_compressions(&self) -> Option<ChestCompressions> {
        self.compressions
    }

    /// Validates and compiles a circulation.
    pub fn new(
        params: CirculationParams,
        integration: IntegrationParams,
    ) -> Result<Self, ParamError> {
        check_range(
            || "simulation.max_step_s".into(),
            integration.max_step_s,
            MAX_STEP_RANGE_S.0,
            MAX_STEP_RANGE_S.1,
            "s",
        )?;
        check_range(
            || "simulation.max_step_multiple".into(),
            f64::from(integration.max_step_multiple),
            f64::from(MAX_STEP_MULTIPLE_RANGE.0),
            f64::from(MAX_STEP_MULTIPLE_RANGE.1),
            "",
        )?;
        params.validate()?;
        let mut model = Model {
            params,
            integration,
            nodes: Vec::new(),
            links: Vec::new(),
            n_inertial: 0,
            link_state: Vec::new(),
            kernel: Kernel::default(),
            layout: StateLayout {
                compartments: 0,
                circuit_flow: None,
                o2: 0,
                co2: 0,
                accumulators: 0,
                len: 0,
                gas: false,
            },
            generation: 0,
            table_generation: 0,
            device_slot: Vec::new(),
            iabp_ratios: Vec::new(),
            lv_activation: 0,
            compressions: None,
            effective_max_step_s: 0.0,
            x86_64_v3: crate::sim::cpu_has_x86_64_v3(),
            recorder_key: 0,
        };
        model.compile();
        Ok(model)
    }

    fn compile(&mut self) {
        let rate = fastest_rate_per_s(&self.params);
        self.effective_max_step_s = if rate > 0.0 {
            self.integration.max_step_s.min(STABLE_H_LAMBDA / rate)
        } else {
            self.integration.max_step_s
        };
        let n = self.params.compartments.len();
        self.nodes = self
            .params
            .compartments
            .iter()
            .map(|c| match &c.kind {
                CompartmentKind::Vessel(v) => NodeOp::Vessel {
                    elastance: 1.0 / v.compliance_ml_per_mmhg,
                    v0: v.unstressed_volume_ml,
                },
                CompartmentKind::Chamber(ch) => match ch.passive {
                    Passive::Linear {
                        elastance_mmhg_per_ml,
                    } => NodeOp::LinearChamber {
                        e_pass: elastance_mmhg_per_ml,
                        e_max: ch.ees_mmhg_per_ml,
                        v0: ch.v0_ml,
                        act: ch.activation,
                    },
                    Passive::Exponential { a_mmhg, b_per_ml } => NodeOp::ExpChamber {
                        ees: ch.ees_mmhg_per_ml,
                        v0: ch.v0_ml,
                        a: a_mmhg,
                        b: b_per_ml,
                        act: ch.activation,
                    },
                },
            })
            .collect();
        let mut next_state = n;
        self.link_state = Vec::with_capacity(self.params.connections.len());
        self.links = self
            .params
            .connections
            .iter()
            .map(|c| match &c.kind {
                ConnectionKind::Resistor(r) => {
                    self.link_state.push(None);
                    match r.critical_closing_pressure_mmhg {
                        None => LinkOp::Conductance {
                            from: c.from,
                            to: c.to,
                            g: 1.0 / r.resistance_mmhg_s_per_ml,
                        },
                        Some(pcc) => LinkOp::Waterfall {
                            from: c.from,
                            to: c.to,
                            g: 1.0 / r.resistance_mmhg_s_per_ml,
                            pcc,
                        },
                    }
                }
                ConnectionKind::Valve(v) => {
                    self.link_state.push(None);
                    LinkOp::Valve {
                        from: c.from,
                        to: c.to,
                        g_open: 1.0 / v.open_resistance_mmhg_s_per_ml,
                        g_leak: v.regurgitant_conductance_ml_per_s_mmhg,
                    }
                }
                ConnectionKind::Segment(s) => {
                    let state = next_state;
                    next_state += 1;
                    self.link_state.push(Some(state));
                    LinkOp::Inertial {
                        from: c.from,
                        to: c.to,
                        r: s.resistance_mmhg_s_per_ml,
                        inv_l: 1.0 / s.inertance_mmhg_s2_per_ml,
                        state,
                    }
                }
            })
            .collect();
        self.n_inertial = next_state - n;
        let mut k = Kernel::default();
        for (i, node) in self.nodes.iter().enumerate() {
            match *node {
                NodeOp::Vessel { elastance, v0 } => k.vessels.push((
                    i,
                    elastance,
                    v0,
                    crate::components::CollapseLaw::new(elastance, v0),
                )),
                NodeOp::LinearChamber {
                    e_pass,
                    e_max,
                    v0,
                    act,
                } => k.linear_chambers.push((
                    i,
                    e_pass,
                    e_max,
                    v0,
                    act,
                    crate::components::CollapseLaw::new(e_pass, v0),
                )),
                NodeOp::ExpChamber { ees, v0, a, b, act } => k.exp_chambers.push((
                    i,
                    ees,
                    v0,
                    a,
                    b,
                    act,
                    crate::components::CollapseLaw::new(a * b, v0),
                )),
            }
        }
        for (j, link) in self.links.iter().enumerate() {
            match *link {
                LinkOp::Conductance { from, to, g } => k.conductances.push((j, from, to, g)),
                LinkOp::Waterfall { from, to, g, pcc } => k.waterfalls.push((j, from, to, g, pcc)),
                LinkOp::Valve {
                    from,
                    to,
                    g_open,
                    g_leak,
                } => k.valves.push((j, from, to, g_open, g_leak)),
                LinkOp::Inertial {
                    from,
                    to,
                    r,
                    inv_l,
                    state,
                } => k.inertials.push((j, from, to, r, inv_l, state)),
            }
        }
        let circuit_flow = self.params.ecmo.as_ref().map(|_| next_state);
        let nh = next_state + usize::from(circuit_flow.is_some());
        let has_gas = self.params.gas.is_some();
        let (o2, co2, acc) = (nh, nh + n, nh + 2 * n);
        self.layout = StateLayout {
            compartments: n,
            circuit_flow,
            o2,
            co2,
            accumulators: acc,
            len: if has_gas {
                acc + accumulator::COUNT
            } else {
                nh
            },
            gas: has_gas,
        };
        k.circuit = self.params.ecmo.clone().zip(circuit_flow);
        self.compile_unloading(&mut k);
        k.merge = self.compile_merge(&k);
        k.gas = self.params.gas.as_ref().map(|g| {
            let vent =
                crate::gas::ventilation_co2_conductance_ml_s_mmhg(g.alveolar_ventilation_l_min());
            GasKernel {
                o2,
                co2,
                acc,
                vent_co2_ml_s_mmhg: vent,
                pio2_mmhg: g.fio2 * (g.barometric_pressure_mmhg - crate::gas::PH2O_37C_MMHG),
                shunt: g.lung_shunt_fraction,
                exchange: g.exchange_connection,
                ends: self
                    .params
                    .connections
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != g.exchange_connection)
                    .map(|(j, c)| (j, c.from, c.to))
                    .chain(k.impellas.iter().map(|d| (d.0, d.1, d.2)))
                    .chain(k.orifices.iter().map(|d| (d.0, d.1, d.2)))
                    .chain(k.vents.iter().map(|d| (d.0, d.1, d.2)))
                    .collect(),
                exchange_ends: {
                    let c = &self.params.connections[g.exchange_connection];
                    (c.from, c.to)
                },
                consumers: g
                    .consumers
                    .iter()
                    .map(|c| {
                        (
                            self.params.connections[c.bed_connection].to,
                            c.vo2_ml_min / 60.0,
                        )
                    })
                    .collect(),
                rq: g.respiratory_quotient,
                o2_capacity_ml_per_dl: crate::gas::content::o2_capacity_ml_per_dl(
                    g.hemoglobin_g_dl,
                ),
                oxygenator: self.params.ecmo.as_ref().map_or(Default::default(), |e| {
                    let p_dry = g.barometric_pressure_mmhg - crate::gas::PH2O_37C_MMHG;
                    crate::devices::oxygenator::TransferSettings::new(
                        crate::units::l_min_to_ml_s(e.sweep_l_min),
                        c_o2_ml_per_dl(e.fdo2 * p_dry, g.hemoglobin_g_dl),
                        e.fdo2,
                        p_dry,
                    )
                }),
            }
        });
        self.kernel = k;
        self.recorder_key = crate::metrics::recorder_key(self);
    }

    /// The merged-step data, or `None` when merging is off or the model holds what the
    /// merged-step rules do not cover (unloading devices, IABPs, a pericardium).
    fn compile_merge(&self, k: &Kernel) -> Option<MergeKernel> {
        let max_multiple = self.integration.max_step_multiple;
        if max_multiple < 2
            || k.valves.len() > 64
            || !k.iabps.is_empty()
            || !k.impellas.is_empty()
            || !k.orifices.is_empty()
            || !k.vents.is_empty()
            || k.pericardium.is_some()
        {
            return None;
        }
        let p = &self.params;
        // The floor must bound the other connections' rates while the chambers fill above
        // their initial volumes: an exponential chamber is taken at the EDPVR slope of a
        // filling pressure of `MERGE_FLOOR_FILLING_MMHG` (or its Ees if larger).
        let mut bounds = elastance_bounds(p);
        for (i, c) in p.compartments.iter().enumerate() {
            if let CompartmentKind::Chamber(ch) = &c.kind {
                if let Passive::Exponential { a_mmhg, b_per_ml } = ch.passive {
                    bounds[i] = ch
                        .ees_mmhg_per_ml
                        .max(b_per_ml * (MERGE_FLOOR_FILLING_MMHG + a_mmhg));
                }
            }
        }
        let source = |i: usize| match self.nodes[i] {
            NodeOp::Vessel { elastance, .. } => ElastanceSource::Constant(elastance),
            NodeOp::LinearChamber {
                e_pass, e_max, act, ..
            } => ElastanceSource::Linear(e_pass, e_max, act),
            NodeOp::ExpChamber { ees, v0, a, b, act } => {
                ElastanceSource::Exponential(i, ees, v0, a, b, act)
            }
        };
        let mut floor: f64 = 0.0;
        let mut valves = Vec::new();
        let mut valve_ends = Vec::new();
        for (j, c) in p.connections.iter().enumerate() {
            let r = pair_rate_per_s(c, &bounds, false);
            if r.is_finite() {
                floor = floor.max(r);
            }
            if let ConnectionKind::Valve(v) = &c.kind {
                valves.push((
                    j,
                    source(c.from),
                    source(c.to),
                    1.0 / v.open_resistance_mmhg_s_per_ml,
                ));
                valve_ends.push((c.from, c.to));
            }
        }
        let v0 = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| match *n {
                NodeOp::Vessel { v0, .. }
                | NodeOp::LinearChamber { v0, .. }
                | NodeOp::ExpChamber { v0, .. } => (i, v0),
            })
            .collect();
        Some(MergeKernel {
            floor_rate_per_s: floor,
            valves,
            valve_ends,
            v0,
            max_multiple,
        })
    }

    /// Compiles the unloading devices into the kernel (flow slots after the connections,
    /// balloon columns after the activation functions).
    fn compile_unloading(&mut self, k: &mut Kernel) {
        use crate::unloading::{impella_curve, septostomy_coefficient, vent_cannula};
        let p = &self.params;
        let m = p.connections.len();
        let v0 = |i: usize| match &p.compartments[i].kind {
            CompartmentKind::Vessel(v) => v.unstressed_volume_ml,
            CompartmentKind::Chamber(c) => c.v0_ml,
        };
        let mut slot = m;
        let mut col = p.activations.len();
        self.device_slot.clear();
        self.iabp_ratios.clear();
        for u in &p.unloading {
            let on = if u.active { 1.0 } else { 0.0 };
            let this_slot = u.device.has_flow().then_some(slot);
            self.device_slot.push(this_slot);
            match u.device {
                UnloadingDevice::Iabp {
                    balloon_volume_ml,
                    compartment,
                    ratio,
                } => {
                    // A 34-40 mL balloon is ~22-26 cm long: it fills the descending thoracic
                    // aorta and reaches the upper abdominal aorta. Its volume is shared by the
                    // aortic compartments it spans (its own and the next one downstream) in
                    // proportion to their compliance, so it raises their pressure equally:
                    // ΔP = Vb·b / ΣC (one compartment alone, C 0.30 mL/mmHg, gave 133 mmHg of
                    // augmentation at full inflation).
                    let compliance = |i: usize| match &p.compartments[i].kind {
                        CompartmentKind::Vessel(v) => v.compliance_ml_per_mmhg,
                        CompartmentKind::Chamber(_) => 0.0,
                    };
                    let mut spanned = vec![compartment];
                    if let Some(a) = &p.anatomy {
                        if let Some(pos) =
                            a.aortic_compartments.iter().position(|&c| c == compartment)
                        {
                            if let Some(&next) = a.aortic_compartments.get(pos + 1) {
                                spanned.push(next);
                            }
                        }
                    }
                    let c_sum: f64 = spanned.iter().map(|&i| compliance(i)).sum();
                    if c_sum > 0.0 {
                        for &i in &spanned {
                            k.iabps.push((i, balloon_volume_ml * on / c_sum, col));
                        }
                    }
                    self.iabp_ratios.push(ratio);
                    col += 1;
                }
                UnloadingDevice::Impella {
                    performance_level,
                    from,
                    to,
                } => {
                    let (q0, dp0) = impella_curve(performance_level);
                    k.impellas.push((slot, from, to, q0 * on, dp0, v0(from)));
                }
                UnloadingDevice::AtrialSeptostomy {
                    diameter_mm,
                    from,
                    to,
                } => {
                    k.orifices
                        .push((slot, from, to, septostomy_coefficient(diameter_mm) * on));
                }
                UnloadingDevice::LvVent { cannula_fr, from } => {
                    // Validated: a circuit exists and the size is in range.
                    let drained = p.ecmo.as_ref().map_or(from, |e| e.drain_from);
                    if let Ok(c) = vent_cannula(cannula_fr) {
                        k.vents.push((slot, from, drained, c, v0(from), on));
                    }
                }
            }
            if this_slot.is_some() {
                slot += 1;
            }
        }
        k.n_activations = col;
        k.n_flows = slot;
        k.pericardium = p.pericardium.as_ref().map(|pc| {
            (
                [p.sites.lv, p.sites.rv],
                pc.pressure_scale_mmhg,
                pc.stiffness_per_ml,
                pc.reference_volume_ml,
            )
        });
        self.lv_activation = match &p.compartments[p.sites.lv].kind {
            CompartmentKind::Chamber(c) => c.activation,
            CompartmentKind::Vessel(_) => 0,
        };
    }

    /// Number of flows: the connections, then one per flow-carrying unloading device (see
    /// [`crate::State::unloading_flow_ml_s`]).
    pub fn n_flows(&self) -> usize {
        self.kernel.n_flows
    }

    /// Length of the activation row: the activation functions, then one balloon column per
    /// IABP.
    pub fn n_activation_columns(&self) -> usize {
        self.kernel.n_activations
    }

    /// The flow slot of unloading device `i` (an index into the flows after the
    /// connections), `None` for a balloon or a missing device.
    pub fn unloading_flow_slot(&self, i: usize) -> Option<usize> {
        self.device_slot.get(i).copied().flatten()
    }

    /// The parameters this model was built from.
    pub fn params(&self) -> &CirculationParams {
        &self.params
    }

    /// The integration parameters.
    pub fn integration(&self) -> &IntegrationParams {
        &self.integration
    }

    /// Number of compartments.
    pub fn n_compartments(&self) -> usize {
        self.nodes.len()
    }

    /// Number of connections.
    pub fn n_connections(&self) -> usize {
        self.links.len()
    }

    /// Length of the state vector: one volume per compartment, one flow per segment, the
    /// circuit flow, the compartments' O2 and CO2 masses, and the gas-exchange accumulators
    /// (see [`Model::layout`]).
    pub fn n_state(&self) -> usize {
        self.layout.len
    }

    /// Where each kind of state lives in the state vector.
    pub fn layout(&self) -> StateLayout {
        self.layout
    }

    /// The step bound in use, s: the configured `max_step_s`, tightened to
    /// [`STABLE_H_LAMBDA`] / [`fastest_rate_per_s`] when the parameters make the model
    /// stiffer than the configured step can integrate stably. Recomputed by every update.
    pub fn effective_max_step_s(&self) -> f64 {
        self.effective_max_step_s
    }

    /// Whether the configured `max_step_s` is currently tightened
    /// ([`Model::effective_max_step_s`] below it).
    pub fn step_tightened(&self) -> bool {
        self.effective_max_step_s < self.integration.max_step_s
    }

    /// Heart period at the current heart rate, s.
    pub fn period_s(&self) -> f64 {
        60.0 / self.params.heart_rate_bpm
    }

    /// Generation counter, bumped by every accepted [`Model::update`].
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes parameters through `edit`, then validates and recompiles. On a validation
    /// error the model is left exactly as it was. The topology (compartments, connections,
    /// sites, the unloading devices' number, kinds, sites and vent cannula size) must not
    /// change: the state vector's layout depends on it. A device's `active` flag and settings
    /// may change.
    ///
    /// A heart-rate change takes effect at the start of the next beat; every other change
    /// takes effect at the next step.
    pub fn update(&mut self, edit: impl FnOnce(&mut CirculationParams)) -> Result<(), ParamError> {
        let mut next = self.params.clone();
        edit(&mut next);
        if next.ecmo.is_some() != self.params.ecmo.is_some()
            || next.compartments.len() != self.params.compartments.len()
            || next.connections.len() != self.params.connections.len()
            || next
                .connections
                .iter()
                .zip(&self.params.connections)
                .any(|(a, b)| {
                    a.from != b.from
                        || a.to != b.to
                        || std::mem::discriminant(&a.kind) != std::mem::discriminant(&b.kind)
                })
            || next.unloading.len() != self.params.unloading.len()
            || next
                .unloading
                .iter()
                .zip(&self.params.unloading)
                .any(|(a, b)| {
                    std::mem::discriminant(&a.device) != std::mem::discriminant(&b.device)
                        || a.device.sites() != b.device.sites()
                })
        {
            return Err(ParamError::Topology(
                "an update may change parameter values but not the topology".into(),
            ));
        }
        next.validate()?;
        let table_changed = next.activations != self.params.activations
            || next.activation_scaling != self.params.activation_scaling
            || next.rhythm != self.params.rhythm
            || next.unloading != self.params.unloading;
        self.params = next;
        self.compile();
        self.generation += 1;
        if table_changed {
            self.table_generation += 1;
        }
        Ok(())
    }
}
