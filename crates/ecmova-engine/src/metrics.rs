//! Beat detection and per-beat haemodynamic metrics, and periodic steady-state detection.
//!
//! Beats are exact: the integrator is beat-synchronous, so a beat is the run of steps
//! between two beat starts (the onset of atrial activation). A [`BeatRecorder`] is fed the
//! state after every step and returns the [`BeatMetrics`] of each completed beat. Means are
//! time averages by the trapezoidal rule over the beat's samples.

use crate::model::Model;
use crate::State;

macro_rules! beat_metrics {
    ($($(#[$doc:meta])* $field:ident),* $(,)?) => {
        /// Haemodynamic metrics of one beat (or an average of beats).
        ///
        /// Units are in the names. Arterial pressures are given at the right radial artery
        /// (`*_radial_*`, where clinicians measure under VA-ECMO), the femoral artery and the
        /// aortic root.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct BeatMetrics {
            $($(#[$doc])* pub $field: f64,)*
            /// Whether the aortic valve opened in this beat (for an average: the fraction of
            /// beats in which it opened is `aortic_valve_opening_fraction`).
            pub aortic_valve_opened: bool,
        }

        impl BeatMetrics {
            /// Field-by-field mean of `beats` (`aortic_valve_opening_fraction` becomes the
            /// fraction of beats in which the valve opened). `None` for no beats.
            pub fn average(beats: &[BeatMetrics]) -> Option<BeatMetrics> {
                if beats.is_empty() {
                    return None;
                }
                let n = beats.len() as f64;
                let mut out = BeatMetrics::default();
                $(out.$field = beats.iter().map(|b| b.$field).sum::<f64>() / n;)*
                out.aortic_valve_opening_fraction =
                    beats.iter().filter(|b| b.aortic_valve_opened).count() as f64 / n;
                out.aortic_valve_opened = out.aortic_valve_opening_fraction > 0.0;
                Some(out)
            }

            /// Every numeric metric as `(name, value)`, in declaration order.
            pub fn named_values(&self) -> Vec<(&'static str, f64)> {
                vec![$((stringify!($field), self.$field),)*]
            }
        }
    };
}

beat_metrics! {
    /// Index of the beat (0 = first); for an average, the mean index.
    beat_index,
    /// Time at which the beat started, s.
    start_s,
    /// Beat length, s.
    period_s,
    /// Heart rate, bpm.
    heart_rate_bpm,
    /// Right radial systolic pressure, mmHg.
    sbp_mmhg,
    /// Right radial diastolic pressure, mmHg.
    dbp_mmhg,
    /// Right radial mean pressure, mmHg.
    map_mmhg,
    /// Femoral systolic pressure, mmHg.
    sbp_femoral_mmhg,
    /// Femoral diastolic pressure, mmHg.
    dbp_femoral_mmhg,
    /// Femoral mean pressure, mmHg.
    map_femoral_mmhg,
    /// Aortic root systolic pressure, mmHg.
    sbp_aortic_root_mmhg,
    /// Aortic root diastolic pressure, mmHg.
    dbp_aortic_root_mmhg,
    /// Aortic root mean pressure, mmHg.
    map_aortic_root_mmhg,
    /// Aortic root pulse pressure, mmHg.
    pulse_pressure_aortic_root_mmhg,
    /// Right radial pulse pressure (the patient's own: systolic peak with the balloon
    /// deflated minus the diastolic minimum), mmHg.
    pulse_pressure_mmhg,
    /// IABP augmented diastolic pressure: the right radial peak while a balloon is inflated,
    /// mmHg (0 without an inflating IABP). Reported on its own so that the balloon's peak
    /// does not enter the patient's systolic and pulse pressures (IABP consoles show
    /// "augmented diastolic" beside the unassisted systolic pressure).
    augmented_diastolic_pressure_mmhg,
    /// Pulmonary artery systolic pressure, mmHg.
    pa_systolic_mmhg,
    /// Pulmonary artery diastolic pressure, mmHg.
    pa_diastolic_mmhg,
    /// Pulmonary artery mean pressure, mmHg.
    pa_mean_mmhg,
    /// Central venous pressure (right atrial mean), mmHg.
    cvp_mmhg,
    /// Left atrial mean pressure (PCWP proxy), mmHg.
    lap_mmhg,
    /// LV peak systolic pressure, mmHg.
    lv_systolic_mmhg,
    /// LV end-diastolic pressure (at mitral valve closure; at maximal volume if the mitral
    /// valve did not open), mmHg.
    lvedp_mmhg,
    /// LV end-diastolic volume, mL.
    lvedv_ml,
    /// LV end-systolic volume, mL.
    lvesv_ml,
    /// LV stroke volume (EDV − ESV), mL.
    lv_stroke_volume_ml,
    /// LV ejection fraction, %.
    lvef_percent,
    /// RV peak systolic pressure, mmHg.
    rv_systolic_mmhg,
    /// RV end-diastolic pressure (at tricuspid valve closure; at maximal volume if the
    /// tricuspid valve did not open), mmHg.
    rvedp_mmhg,
    /// RV end-diastolic volume, mL.
    rvedv_ml,
    /// RV end-systolic volume, mL.
    rvesv_ml,
    /// RV ejection fraction, %.
    rvef_percent,
    /// Native cardiac output: net flow through the aortic valve, L/min.
    cardiac_output_l_min,
    /// Right ventricular output: net flow through the pulmonary valve, L/min.
    rv_output_l_min,
    /// LV stroke work (area of the pressure-volume loop), mmHg·mL.
    lv_stroke_work_mmhg_ml,
    /// Cardiac power output = MAP × CO / 451, W (Fincke, J Am Coll Cardiol 2004;44:340).
    cardiac_power_output_w,
    /// Fraction of beats in which the aortic valve opened (1 or 0 for a single beat).
    aortic_valve_opening_fraction,
    /// Total blood volume at the end of the beat, mL.
    blood_volume_ml,
    /// Mean ECMO circuit flow, L/min (negative when retrograde; 0 without a circuit).
    ecmo_flow_l_min,
    /// Pump speed, rpm (0 without a circuit).
    pump_rpm,
    /// Mean pump head (outlet − inlet), mmHg.
    pump_head_mmhg,
    /// Mean pump inlet ("drainage") pressure, mmHg.
    drainage_pressure_mmhg,
    /// Mean pre-oxygenator pressure, mmHg.
    pre_oxygenator_pressure_mmhg,
    /// Mean post-oxygenator pressure, mmHg.
    post_oxygenator_pressure_mmhg,
    /// Mean oxygenator pressure drop (pre − post), mmHg.
    oxygenator_dp_mmhg,
    /// Systemic blood flow: native cardiac output (through the aortic valve) plus Impella flow
    /// plus ECMO flow, L/min.
    total_flow_l_min,
    /// Mean flow of an Impella-type pump (LV to aortic root), L/min (0 without one).
    impella_flow_l_min,
    /// Mean flow of an LV vent (LV to the ECMO drainage line; part of the ECMO flow), L/min.
    lv_vent_flow_l_min,
    /// Mean flow through an atrial septostomy, left to right positive, L/min.
    septostomy_flow_l_min,
    /// Lowest pressure of the drained vein in the beat, mmHg.
    drained_vein_pressure_min_mmhg,
    /// Fraction of the beat spent with the drained vein below the suction threshold.
    drainage_suction_fraction,
    /// Arterial O2 saturation at the right radial artery, %.
    sao2_right_radial_percent,
    /// Arterial O2 saturation at the coronary ostia (aortic root), %.
    sao2_coronary_percent,
    /// Arterial O2 saturation at the femoral artery, %.
    sao2_femoral_percent,
    /// Mixed venous O2 saturation, %: the flow-weighted O2 content of the venous blood the
    /// heart and the circuit carry away (forward pulmonary-valve flow at the RV's content plus
    /// forward circuit flow at the drained vein's content); the pulmonary artery's content when
    /// neither flows (without a circuit and with an ejecting RV this is the PA blood). A
    /// catheter in a stagnant pulmonary artery (an RV that no longer ejects on full ECMO) reads
    /// oxygenated blood back-filled from the lungs, not mixed venous blood.
    svo2_percent,
    /// Arterial PO2 at the right radial artery, mmHg.
    pao2_right_radial_mmhg,
    /// Post-oxygenator PO2, mmHg (0 without a circuit).
    post_oxygenator_po2_mmhg,
    /// Post-oxygenator PCO2, mmHg (0 without a circuit).
    post_oxygenator_pco2_mmhg,
    /// O2 delivery to the tissue beds (Σ bed flow × arterial content), mL/min.
    do2_ml_min,
    /// O2 delivery to the myocardium: coronary flow × the aortic root's O2 content (the blood
    /// at the coronary ostia), mL/min (0 without an anatomy that names the coronary bed).
    coronary_do2_ml_min,
    /// O2 consumption of the tissue beds, mL/min.
    vo2_ml_min,
    /// O2 uptake in the lungs, mL/min.
    lung_o2_uptake_ml_min,
    /// O2 transfer in the oxygenator, mL/min.
    oxygenator_o2_transfer_ml_min,
    /// CO2 removal in the oxygenator, mL/min.
    oxygenator_co2_removal_ml_min,
    /// Arterial PCO2 at the right radial artery, mmHg.
    paco2_right_radial_mmhg,
    /// Arterial PCO2 at the femoral artery, mmHg.
    paco2_femoral_mmhg,
    /// Mixed venous PCO2 (pulmonary artery), mmHg.
    pvco2_mmhg,
    /// Arterial pH at the right radial artery (Henderson-Hasselbalch on the CO2 buffer line of
    /// the patient's base excess, `gas::acid_base`).
    ph_right_radial,
    /// Arterial pH at the femoral artery.
    ph_femoral,
    /// Post-oxygenator pH (0 without a circuit).
    post_oxygenator_ph,
    /// Mean alveolar PCO2, mmHg (`0.863 · lung CO2 output / alveolar ventilation`; the mixed
    /// venous PCO2 without ventilation).
    alveolar_pco2_mmhg,
    /// CO2 output of the lungs (carried out by the alveolar ventilation), mL/min; never
    /// negative.
    lung_co2_output_ml_min,
    /// CO2 production of the tissue beds, mL/min.
    vco2_ml_min,
    /// Mean flow in the ascending aorta (root to arch), mL/s; negative = retrograde.
    q_ascending_aorta_ml_s,
    /// Mean flow in the aortic arch segment (arch to thoracic aorta), mL/s.
    q_aortic_arch_segment_ml_s,
    /// Mean flow in the descending thoracic aorta (thoracic to abdominal), mL/s.
    q_descending_thoracic_aorta_ml_s,
    /// Mean flow in the iliac arteries (abdominal aorta to femoral), mL/s.
    q_iliac_arteries_ml_s,
    /// Mean flow in the brachiocephalic trunk (arch to upper body), mL/s.
    q_brachiocephalic_arteries_ml_s,
    /// Mean coronary blood flow (aortic root to the coronary sinus), mL/min (0 without an
    /// anatomy that names the coronary bed).
    coronary_flow_ml_min,
}

/// Pressure sites tracked per beat, in this order.
const SITES: usize = 8;
/// Time-averaged ECMO and gas channels, in this order.
const EXTRA: usize = 28;
/// The channels, ordered so that the contents, gases and circuit come first (the first
/// [`ch::DEVICES`]), the unloading devices' flows next, and the aortic segments (integrated
/// from the step-mean flows, never sampled) last: the per-step trapezoids run over fixed
/// ranges, the devices' only for a model with a device.
mod ch {
    pub const C_RADIAL: usize = 0;
    pub const C_ROOT: usize = 1;
    pub const C_FEMORAL: usize = 2;
    pub const C_PA: usize = 3;
    /// CO2 contents at the right radial artery, the femoral artery and the pulmonary artery.
    pub const CO2_RADIAL: usize = 4;
    pub const CO2_FEMORAL: usize = 5;
    pub const CO2_PA: usize = 6;
    pub const DO2: usize = 7;
    /// Mixed venous O2 flux (mL/s × mL/dL) and the flow carrying it, mL/s (`svo2_percent`).
    pub const MV_O2_FLUX: usize = 8;
    pub const MV_FLOW: usize = 9;
    pub const Q_ECMO: usize = 10;
    pub const HEAD: usize = 11;
    pub const DRAINAGE: usize = 12;
    pub const PRE: usize = 13;
    pub const POST: usize = 14;
    pub const SUCTION: usize = 15;
    /// Oxygenator inlet O2 content (the outlet follows at the end of the beat).
    pub const C_POST_OXY: usize = 16;
    /// Oxygenator inlet CO2 content.
    pub const PCO2_POST_OXY: usize = 17;
    /// Coronary O2 delivery (forward coronary flow × the aortic root's O2 content).
    pub const CORONARY_DO2: usize = 18;
    /// The first device channel (the channels before it are the contents, gases, circuit).
    pub const DEVICES: usize = 19;
    pub const IMPELLA: usize = 19;
    pub const VENT: usize = 20;
    pub const SEPTOSTOMY: usize = 21;
    /// One past the last device channel (the aortic segments follow).
    pub const DEVICES_END: usize = 22;
    pub const Q_AORTA: usize = 22; // 22..=25: ascending, arch, descending, iliac
    pub const Q_BRACHIO: usize = 26;
    /// Coronary flow (integrated from the step-mean flows, like the aortic segments).
    pub const Q_CORONARY: usize = 27;
}

#[derive(Clone, Debug)]
struct Acc {
    min: [f64; SITES],
    max: [f64; SITES],
    /// Arterial peaks while a balloon is inflated (radial, femoral, root).
    max_inflated: [f64; 3],
    integral: [f64; SITES],
    lv_v_max: f64,
    lv_v_filling_max: f64,
    lv_p_end_diastole: f64,
    lv_p_at_v_max: f64,
    lv_v_min: f64,
    rv_v_max: f64,
    rv_v_filling_max: f64,
    rv_p_end_diastole: f64,
    rv_p_at_v_max: f64,
    rv_v_min: f64,
    lv_work: f64,
    av_volume: f64,
    pv_volume: f64,
    av_opened: bool,
    duration: f64,
    extra: [f64; EXTRA],
    drained_min: f64,
    acc_start: [f64; crate::model::accumulator::COUNT],
}

impl Acc {
    fn new() -> Self {
        Acc {
            min: [f64::INFINITY; SITES],
            max: [f64::NEG_INFINITY; SITES],
            max_inflated: [f64::NEG_INFINITY; 3],
            integral: [0.0; SITES],
            lv_v_max: f64::NEG_INFINITY,
            lv_v_filling_max: f64::NEG_INFINITY,
            lv_p_end_diastole: f64::NAN,
            lv_p_at_v_max: f64::NAN,
            lv_v_min: f64::INFINITY,
            rv_v_max: f64::NEG_INFINITY,
            rv_v_filling_max: f64::NEG_INFINITY,
            rv_p_end_diastole: f64::NAN,
            rv_p_at_v_max: f64::NAN,
            rv_v_min: f64::INFINITY,
            lv_work: 0.0,
            av_volume: 0.0,
            pv_volume: 0.0,
            av_opened: false,
            duration: 0.0,
            extra: [0.0; EXTRA],
            drained_min: f64::INFINITY,
            acc_start: [0.0; crate::model::accumulator::COUNT],
        }
    }
}

/// The step-end values the per-beat extremes, trapezoids and end-diastolic pressures need.
#[derive(Clone, Copy, Debug)]
struct Sample {
    p: [f64; SITES],
    /// Summed balloon inflation of the IABPs (0 deflated or without one).
    balloon: f64,
    lv_v: f64,
    rv_v: f64,
    q_av: f64,
    q_mv: f64,
    q_tv: f64,
    p_drained: f64,
    /// The ECMO, device and gas channels: only the [`Plan`]'s channels are written; the
    /// others, the aortic segments' included (integrated from the step-mean flows), stay 0.
    extra: [f64; EXTRA],
}

impl Sample {
    const ZERO: Sample = Sample {
        p: [0.0; SITES],
        balloon: 0.0,
        lv_v: 0.0,
        rv_v: 0.0,
        q_av: 0.0,
        q_mv: 0.0,
        q_tv: 0.0,
        p_drained: 0.0,
        extra: [0.0; EXTRA],
    };
}

/// The ECMO circuit's lookups of a [`Plan`].
#[derive(Clone, Copy, Debug)]
struct CircuitPlan {
    /// State index of the circuit flow (as [`State::ecmo_flow_ml_s`] reads it).
    flow: Option<usize>,
    drain_from: usize,
    return_to: usize,
    drainage_limit: crate::devices::drainage::VenousDrainageLimit,
}

/// The recorder's per-model lookups (site indices, the systemic beds' upstream
/// compartments, the devices' flow slots, which channels the model has), resolved once per
/// model and generation so that the per-step path reads the state through plain indices and
/// integrates only the channels the model can fill. A channel the model never fills stays
/// exactly 0, as it did when every channel was integrated (a trapezoid of zeros adds +0).
#[derive(Clone, Debug)]
struct Plan {
    /// The [`recorder_key`] of the model this plan was resolved for.
    key: u64,
    sites: crate::model::Sites,
    /// Number of IABPs (their summed inflation is the sample's `balloon`).
    n_iabp: usize,
    /// Whether the model has any ECMO, gas, aortic-segment or device channel.
    has_extra: bool,
    gas: bool,
    /// Each systemic bed's connection and the compartment upstream of it (DO2).
    beds: Vec<(usize, usize)>,
    /// The coronary bed's connection and the compartment upstream of it (the aortic root),
    /// with an anatomy.
    coronary: Option<(usize, usize)>,
    circuit: Option<CircuitPlan>,
    /// Each flow-carrying unloading device's channel and flow slot, in device order.
    devices: Vec<(usize, Option<usize>)>,
    /// The channels [`Plan::sample`] writes (the others stay 0 in every sample).
    filled: [bool; EXTRA],
    /// The channels integrated from the step-mean flows (the aortic segments): (channel,
    /// connection).
    mean_flow: Vec<(usize, usize)>,
    /// One past the highest compartment, connection, flow slot (devices) and state index
    /// the plan reads: the bounds `sample` checks once per step before its unchecked reads.
    bounds: Bounds,
}

/// A fingerprint of everything a [`Plan`] reads from `model` (FNV-1a over the `Debug` text of
/// the plan resolved for it, key aside): equal for two models only if their plans are equal
/// (up to a 64-bit collision), whatever their addresses and generations. Computed when the
/// model compiles, never per step.
pub(crate) fn recorder_key(model: &Model) -> u64 {
    let mut plan = Plan {
        key: 0,
        sites: model.params().sites.clone(),
        n_iabp: 0,
        has_extra: false,
        gas: false,
        beds: Vec::new(),
        coronary: None,
        circuit: None,
        devices: Vec::new(),
        filled: [false; EXTRA],
        mean_flow: Vec::new(),
        bounds: Bounds::default(),
    };
    plan.resolve(model);
    plan.key = 0;
    format!("{plan:?}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// See [`Plan::bounds`].
#[derive(Clone, Copy, Debug, Default)]
struct Bounds {
    compartments: usize,
    connections: usize,
    flow_slots: usize,
    state: usize,
}

impl Plan {
    fn new(model: &Model) -> Self {
        let mut plan = Plan {
            key: 0,
            sites: model.params().sites.clone(),
            n_iabp: 0,
            has_extra: false,
            gas: false,
            beds: Vec::new(),
            coronary: None,
            circuit: None,
            devices: Vec::new(),
            filled: [false; EXTRA],
            mean_flow: Vec::new(),
            bounds: Bounds::default(),
        };
        plan.resolve(model);
        plan
    }

    /// Resolves the lookups for `model` (reusing the lists' storage: a model's topology, and
    /// with it the lists' lengths, does not change in an update).
    fn resolve(&mut self, model: &Model) {
        let params = model.params();
        self.key = model.recorder_key;
        self.sites = params.sites.clone();
        self.n_iabp = model.iabp_ratios.len();
        self.gas = params.gas.is_some();
        self.has_extra = self.gas
            || params.anatomy.is_some()
            || params.ecmo.is_some()
            || !params.unloading.is_empty();
        self.beds.clear();
        self.beds.extend(
            params
                .systemic_beds
                .iter()
                .map(|&j| (j, params.connections[j].from)),
        );
        self.circuit = params.ecmo.as_ref().map(|e| CircuitPlan {
            flow: model.layout().circuit_flow,
            drain_from: e.drain_from,
            return_to: e.return_to,
            drainage_limit: e.drainage_limit,
        });
        self.devices.clear();
        for (i, u) in params.unloading.iter().enumerate() {
            let c = match u.device {
                crate::UnloadingDevice::Impella { .. } => ch::IMPELLA,
                crate::UnloadingDevice::LvVent { .. } => ch::VENT,
                crate::UnloadingDevice::AtrialSeptostomy { .. } => ch::SEPTOSTOMY,
                crate::UnloadingDevice::Iabp { .. } => continue,
            };
            self.devices.push((c, model.unloading_flow_slot(i)));
        }
        self.mean_flow.clear();
        if let Some(a) = &params.anatomy {
            for (k, &j) in a.aortic_connections.iter().take(4).enumerate() {
                self.mean_flow.push((ch::Q_AORTA + k, j));
            }
            self.mean_flow
                .push((ch::Q_BRACHIO, a.brachiocephalic_connection));
            self.mean_flow.push((ch::Q_CORONARY, a.coronary_connection));
        }
        self.coronary = params.anatomy.as_ref().map(|a| {
            (
                a.coronary_connection,
                params.connections[a.coronary_connection].from,
            )
        });
        self.bounds = self.bounds();
        let filled = &mut self.filled;
        *filled = [false; EXTRA];
        if self.has_extra {
            for c in [ch::C_RADIAL, ch::C_ROOT, ch::C_FEMORAL, ch::C_PA] {
                filled[c] = true;
            }
        }
        if self.gas {
            for c in [
                ch::CO2_RADIAL,
                ch::CO2_FEMORAL,
                ch::CO2_PA,
                ch::DO2,
                ch::MV_O2_FLUX,
                ch::MV_FLOW,
            ] {
                filled[c] = true;
            }
            if self.coronary.is_some() {
                filled[ch::CORONARY_DO2] = true;
            }
        }
        for &(c, _) in &self.devices {
            filled[c] = true;
        }
        if self.circuit.is_some() {
            for c in [
                ch::Q_ECMO,
                ch::HEAD,
                ch::DRAINAGE,
                ch::PRE,
                ch::POST,
                ch::SUCTION,
            ] {
                filled[c] = true;
            }
            if self.gas {
                filled[ch::C_POST_OXY] = true;
                filled[ch::PCO2_POST_OXY] = true;
            }
        }
    }

    /// The bounds of every index the plan holds (see [`Plan::bounds`]).
    fn bounds(&self) -> Bounds {
        let s = &self.sites;
        let mut b = Bounds::default();
        let mut compartment = |i: usize| b.compartments = b.compartments.max(i + 1);
        for i in [
            s.right_radial,
            s.femoral,
            s.aortic_root,
            s.pulmonary_artery,
            s.lv,
            s.rv,
            s.ra,
            s.la,
        ] {
            compartment(i);
        }
        for &(_, from) in &self.beds {
            compartment(from);
        }
        if let Some(c) = &self.circuit {
            compartment(c.drain_from);
            compartment(c.return_to);
        }
        let mut connection = |j: usize| b.connections = b.connections.max(j + 1);
        for j in [
            s.aortic_valve,
            s.mitral_valve,
            s.tricuspid_valve,
            s.pulmonary_valve,
        ] {
            connection(j);
        }
        for &(j, _) in &self.beds {
            connection(j);
        }
        for &(_, j) in &self.mean_flow {
            connection(j);
        }
        if let Some((j, from)) = self.coronary {
            connection(j);
            b.compartments = b.compartments.max(from + 1);
        }
        for &(_, slot) in &self.devices {
            b.flow_slots = b.flow_slots.max(slot.map_or(0, |k| k + 1));
        }
        if let Some(i) = self.circuit.and_then(|c| c.flow) {
            b.state = i + 1;
        }
        b
    }

    /// Writes the step-end sample of `state` into `out` (in place: no sample is built and
    /// copied per step): the pressures, volumes and valve flows, and the ECMO, device and
    /// gas channels that the model fills (the channels in `filled`; the others are left as
    /// they are).
    ///
    /// Each value is computed by the same operations, in the same order, as the accessors
    /// of [`State`] compute it (`o2_content_ml_per_dl` is `100 · c[i]`, `co2_content_ml_per_dl`
    /// `100 · c[n + i]`, ...), reading the state's slices without bounds checks.
    #[inline(always)]
    fn sample(&self, model: &Model, state: &State, out: &mut Sample) {
        let s = &self.sites;
        let b = &self.bounds;
        let p = state.pressures_mmhg();
        let v = state.volumes_ml();
        let q = state.flows_ml_s();
        let q_all: &[f64] = &state.cache.q;
        let c: &[f64] = &state.cache.c;
        let y = state.vector();
        let n = p.len();
        // Every index the plan holds is below its bound (`Plan::bounds`, computed from the
        // same indices); checking the slices' lengths against the bounds once here makes the
        // unchecked reads below sound, whatever state and model are passed. (A state of the
        // plan's model always passes: its slices are as long as the model's compartments,
        // connections, flows and state.)
        assert!(
            p.len() >= b.compartments
                && v.len() >= b.compartments
                && q.len() >= b.connections
                && q_all.len() >= b.flow_slots
                && c.len() >= n + b.compartments
                && y.len() >= b.state
        );
        // SAFETY (all five): the assertion above; `i` is a compartment, `j` a connection,
        // `k` a flow slot and `y_i` a state index of this plan.
        let p_at = |i: usize| unsafe { *p.get_unchecked(i) };
        let v_at = |i: usize| unsafe { *v.get_unchecked(i) };
        let q_at = |j: usize| unsafe { *q.get_unchecked(j) };
        let o2 = |i: usize| 100.0 * unsafe { *c.get_unchecked(i) };
        let co2 = |i: usize| 100.0 * unsafe { *c.get_unchecked(n + i) };
        out.p = [
            p_at(s.right_radial),
            p_at(s.femoral),
            p_at(s.aortic_root),
            p_at(s.pulmonary_artery),
            p_at(s.lv),
            p_at(s.rv),
            p_at(s.ra),
            p_at(s.la),
        ];
        out.balloon = if self.n_iabp == 0 {
            0.0
        } else {
            (0..self.n_iabp)
                .map(|b| state.balloon_inflation(model, b))
                .sum()
        };
        out.lv_v = v_at(s.lv);
        out.rv_v = v_at(s.rv);
        out.q_av = q_at(s.aortic_valve);
        out.q_mv = q_at(s.mitral_valve);
        out.q_tv = q_at(s.tricuspid_valve);
        out.p_drained = self.circuit.map_or(f64::INFINITY, |c| p_at(c.drain_from));
        if !self.has_extra {
            return;
        }
        let e = &mut out.extra;
        e[ch::C_RADIAL] = o2(s.right_radial);
        e[ch::C_ROOT] = o2(s.aortic_root);
        e[ch::C_FEMORAL] = o2(s.femoral);
        e[ch::C_PA] = o2(s.pulmonary_artery);
        // SAFETY: the assertion above (`y_i` is the circuit's flow state).
        let flow = |c: &CircuitPlan| c.flow.map_or(0.0, |y_i| unsafe { *y.get_unchecked(y_i) });
        if self.gas {
            e[ch::CO2_RADIAL] = co2(s.right_radial);
            e[ch::CO2_FEMORAL] = co2(s.femoral);
            e[ch::CO2_PA] = co2(s.pulmonary_artery);
            let mut do2 = 0.0;
            for &(j, from) in &self.beds {
                // O2 reaches the tissues only with forward bed flow, from the artery upstream.
                let f = q_at(j);
                if f > 0.0 {
                    do2 += f * o2(from);
                }
            }
            e[ch::DO2] = do2 / 100.0;
            if let Some((j, from)) = self.coronary {
                let f = q_at(j);
                e[ch::CORONARY_DO2] = if f > 0.0 { f * o2(from) / 100.0 } else { 0.0 };
            }
            let q_rv = q_at(s.pulmonary_valve).max(0.0);
            e[ch::MV_O2_FLUX] = q_rv * o2(s.rv);
            e[ch::MV_FLOW] = q_rv;
            if let Some(c) = &self.circuit {
                let f = flow(c).max(0.0);
                e[ch::MV_O2_FLUX] += f * o2(c.drain_from);
                e[ch::MV_FLOW] += f;
            }
        }
        if !self.devices.is_empty() {
            for &(c, _) in &self.devices {
                e[c] = 0.0;
            }
            for &(c, slot) in &self.devices {
                // SAFETY: the assertion above (`k` is a device's flow slot).
                e[c] += slot.map_or(0.0, |k| unsafe { *q_all.get_unchecked(k) });
            }
        }
        if let Some(c) = &self.circuit {
            let f = flow(c);
            let cp = state.circuit_pressures();
            e[ch::Q_ECMO] = f;
            e[ch::HEAD] = cp.head_mmhg;
            e[ch::DRAINAGE] = cp.drainage_mmhg;
            e[ch::PRE] = cp.pre_oxygenator_mmhg;
            e[ch::POST] = cp.post_oxygenator_mmhg;
            e[ch::SUCTION] = if c.drainage_limit.suction_alarm(p_at(c.drain_from)) {
                1.0
            } else {
                0.0
            };
            if self.gas {
                // Inlet gases of the oxygenator (the upstream compartment); the outlet is
                // computed once per beat from the beat means (the circuit flow is nearly
                // steady).
                let src = if f >= 0.0 { c.drain_from } else { c.return_to };
                e[ch::C_POST_OXY] = o2(src);
                e[ch::PCO2_POST_OXY] = co2(src);
            }
        }
    }
}

/// Accumulates per-step samples into per-beat metrics.
#[derive(Clone, Debug)]
pub struct BeatRecorder {
    acc: Acc,
    /// The samples of the last two steps, alternating: `samples[latest]` is the newer (each
    /// step overwrites the older in place; no sample is copied).
    samples: [Sample; 2],
    latest: usize,
    prev_t: f64,
    beat_index: u64,
    start_s: f64,
    plan: Plan,
}

/// The peaks of a sample taken with a balloon inflated (a function of its own, out of line,
/// so that the common deflated case stays one vectorized loop).
#[cold]
#[inline(never)]
fn peaks_inflated(a: &mut Acc, s: &Sample) {
    for i in 0..3 {
        a.max_inflated[i] = a.max_inflated[i].max(s.p[i]);
    }
    for i in 3..SITES {
        a.max[i] = a.max[i].max(s.p[i]);
    }
}

/// Adds a sample to the per-beat extremes and end-diastolic readings.
#[inline(always)]
fn point(a: &mut Acc, s: &Sample) {
    for i in 0..SITES {
        a.min[i] = a.min[i].min(s.p[i]);
    }
    // The arterial peaks (radial, femoral, root) count only with the balloon deflated: an
    // inflated balloon's peak is the augmented diastolic pressure.
    if s.balloon > 0.0 {
        peaks_inflated(a, s);
    } else {
        for i in 0..SITES {
            a.max[i] = a.max[i].max(s.p[i]);
        }
    }
    if s.lv_v > a.lv_v_max {
        a.lv_v_max = s.lv_v;
        a.lv_p_at_v_max = s.p[4];
    }
    // End-diastole: the largest LV volume while the mitral valve still carries forward
    // flow, i.e. mitral closure. (With leaky valves the volume can keep rising through
    // isovolumic contraction, so the plain volume maximum would read a systolic pressure.)
    if s.q_mv > 0.0 && s.lv_v > a.lv_v_filling_max {
        a.lv_v_filling_max = s.lv_v;
        a.lv_p_end_diastole = s.p[4];
    }
    a.lv_v_min = a.lv_v_min.min(s.lv_v);
    if s.rv_v > a.rv_v_max {
        a.rv_v_max = s.rv_v;
        a.rv_p_at_v_max = s.p[5];
    }
    // The same for the RV at tricuspid closure: on a flat end-diastolic volume the
    // pressure at the plain volume maximum depends on where the samples fall.
    if s.q_tv > 0.0 && s.rv_v > a.rv_v_filling_max {
        a.rv_v_filling_max = s.rv_v;
        a.rv_p_end_diastole = s.p[5];
    }
    a.rv_v_min = a.rv_v_min.min(s.rv_v);
    if s.q_av > 0.0 {
        a.av_opened = true;
    }
    a.drained_min = a.drained_min.min(s.p_drained);
}

/// Adds the step from `prev` to `s` (`dt` long) to the trapezoids of the pressures and
/// the sampled extra channels (the devices' only if `devices`), and to the LV stroke work.
///
/// A function of its own so that the compiler knows the accumulators and the two samples
/// do not overlap and vectorizes the channel loops (elementwise: each channel's operations
/// and their order are those of the scalar loop).
#[inline(always)]
fn trapezoids(a: &mut Acc, prev: &Sample, s: &Sample, dt: f64, devices: bool) {
    for i in 0..SITES {
        a.integral[i] += 0.5 * (prev.p[i] + s.p[i]) * dt;
    }
    a.lv_work -= 0.5 * (prev.p[4] + s.p[4]) * (s.lv_v - prev.lv_v);
    // Fixed ranges (no per-channel branch): a channel the model does not fill is 0 in both
    // samples and adds exactly +0 (an accumulator that starts at +0 never becomes -0, so
    // adding +0 leaves it bit for bit), so it may be added or left out alike; the aortic
    // segments (integrated from the step-mean flows, in `record`) are left out.
    for i in 0..ch::DEVICES {
        a.extra[i] += 0.5 * (prev.extra[i] + s.extra[i]) * dt;
    }
    if devices {
        for i in ch::DEVICES..ch::DEVICES_END {
            a.extra[i] += 0.5 * (prev.extra[i] + s.extra[i]) * dt;
        }
    }
}

impl BeatRecorder {
    /// Starts recording at `state`, which must be at the start of a beat (as a fresh
    /// [`State`] is).
    pub fn new(model: &Model, state: &State) -> Self {
        let mut acc = Acc::new();
        let accs = state.gas_accumulators(model);
        acc.acc_start[..accs.len()].copy_from_slice(accs);
        let plan = Plan::new(model);
        let mut samples = [Sample::ZERO; 2];
        plan.sample(model, state, &mut samples[0]);
        point(&mut acc, &samples[0]);
        BeatRecorder {
            acc,
            samples,
            latest: 0,
            prev_t: state.time_s(),
            beat_index: state.beat_index(),
            start_s: state.time_s(),
            plan,
        }
    }

    /// Records the state after a step. Returns the metrics of the beat that this step
    /// completed, if any.
    ///
    /// Like [`crate::step`], compiled for the baseline x86-64 instruction set and for
    /// x86-64-v3, picked at run time; the same operations in the same order either way.
    pub fn record(&mut self, model: &Model, state: &State) -> Option<BeatMetrics> {
        #[cfg(target_arch = "x86_64")]
        if model.x86_64_v3 {
            // SAFETY: the model was built on this CPU, which has every feature the function is
            // compiled for (`crate::sim::cpu_has_x86_64_v3`).
            return unsafe { self.record_x86_64_v3(model, state) };
        }
        self.record_impl(model, state)
    }

    /// [`Self::record`] compiled for the baseline instruction set whatever the CPU (for the
    /// test that the instruction sets give identical results).
    #[doc(hidden)]
    pub fn record_baseline_isa(&mut self, model: &Model, state: &State) -> Option<BeatMetrics> {
        self.record_impl(model, state)
    }

    /// [`Self::record`] compiled for x86-64-v3.
    ///
    /// # Safety
    /// The CPU must have every feature enabled here (`crate::sim::cpu_has_x86_64_v3`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx,avx2,fma,bmi1,bmi2,lzcnt,movbe,popcnt,sse3,ssse3,sse4.1,sse4.2")]
    unsafe fn record_x86_64_v3(&mut self, model: &Model, state: &State) -> Option<BeatMetrics> {
        self.record_impl(model, state)
    }

    /// The body of [`Self::record`], inlined into each instruction-set version.
    #[inline(always)]
    fn record_impl(&mut self, model: &Model, state: &State) -> Option<BeatMetrics> {
        if self.plan.key != model.recorder_key {
            self.plan.resolve(model);
            // A channel the updated model no longer fills reads 0, as a fresh sample would.
            for s in &mut self.samples {
                for (e, &f) in s.extra.iter_mut().zip(&self.plan.filled) {
                    if !f {
                        *e = 0.0;
                    }
                }
            }
        }
        self.latest ^= 1;
        let [s0, s1] = &mut self.samples;
        let (prev, s) = if self.latest == 1 { (s0, s1) } else { (s1, s0) };
        self.plan.sample(model, state, s);
        let dt = state.time_s() - self.prev_t;
        self.prev_t = state.time_s();
        let a = &mut self.acc;
        trapezoids(a, prev, s, dt, !self.plan.devices.is_empty());
        // Flows through the valves and aortic segments: the step's mean flows, the volume
        // the integrator moved (exact at any step; the step-end flow of a long step through
        // an open valve is a poor sample of it).
        let sites = &self.plan.sites;
        let mean = state.mean_flows_ml_s();
        // Every connection the plan holds is below `bounds.connections` (`Plan::bounds`):
        // checked once here, the reads below need no bounds checks.
        assert!(mean.len() >= self.plan.bounds.connections);
        // SAFETY: the assertion above; `j` is a connection of the plan.
        let mean_at = |j: usize| unsafe { *mean.get_unchecked(j) };
        a.av_volume += mean_at(sites.aortic_valve) * dt;
        a.pv_volume += mean_at(sites.pulmonary_valve) * dt;
        for &(i, j) in &self.plan.mean_flow {
            a.extra[i] += mean_at(j) * dt;
        }
        a.duration += dt;
        point(a, s);
        if state.step_in_beat() != 0 {
            return None;
        }
        Some(self.end_beat(model, state))
    }

    /// Completes the beat that the last step ended and starts the next (once a beat: out of
    /// line, so that the per-step path stays small).
    #[inline(never)]
    fn end_beat(&mut self, model: &Model, state: &State) -> BeatMetrics {
        let metrics = self.finish(model, state);
        self.acc = Acc::new();
        let accs = state.gas_accumulators(model);
        self.acc.acc_start[..accs.len()].copy_from_slice(accs);
        self.beat_index = state.beat_index();
        self.start_s = state.time_s();
        point(&mut self.acc, &self.samples[self.latest]);
        metrics
    }

    fn finish(&self, model: &Model, state: &State) -> BeatMetrics {
        use crate::gas::{po2_from_c_o2_mmhg, so2_from_c_o2};
        use crate::model::accumulator as acc;
        let blood_volume_ml = state.blood_volume_ml();
        let a = &self.acc;
        // A peak with the balloon deflated exists in every beat (the balloon deflates before
        // systole); the guard only keeps a metric finite for a pathological timing.
        let peak = |i: usize| {
            if a.max[i].is_finite() {
                a.max[i]
            } else {
                a.max_inflated[i]
            }
        };
        let augmented = if a.max_inflated[0].is_finite() {
            a.max_inflated[0]
        } else {
            0.0
        };
        let t = a.duration;
        let x = |i: usize| a.extra[i] / t;
        // Without a gas model every gas metric is 0 (and the summary omits them).
        let gas = model.params().gas.as_ref();
        let hb = gas.map_or(0.0, |g| g.hemoglobin_g_dl);
        let sat = |c: f64| {
            if gas.is_some() {
                100.0 * so2_from_c_o2(c, hb)
            } else {
                0.0
            }
        };
        let accs = state.gas_accumulators(model);
        let rate = |i: usize| accs.get(i).map_or(0.0, |v| (v - a.acc_start[i]) / t * 60.0);
        let ecmo = model.params().ecmo.as_ref();
        let has_ecmo = ecmo.is_some();
        let q_ecmo_l_min = crate::units::ml_s_to_l_min(x(ch::Q_ECMO));
        let (post_oxy_po2, post_oxy_pco2) = match (ecmo, gas) {
            (Some(e), Some(g)) => {
                let (c_out, pco2_out) = e.oxygenator.transfer(
                    x(ch::Q_ECMO).abs(),
                    crate::units::l_min_to_ml_s(e.sweep_l_min),
                    e.fdo2,
                    g.hemoglobin_g_dl,
                    x(ch::C_POST_OXY),
                    crate::gas::pco2_from_c_co2_mmhg(x(ch::PCO2_POST_OXY)),
                    g.barometric_pressure_mmhg,
                );
                (po2_from_c_o2_mmhg(c_out, hb), pco2_out)
            }
            _ => (0.0, 0.0),
        };
        // CO2 and acid-base: contents are linear in PCO2, so the mean content gives the mean
        // PCO2 exactly; pH of that PCO2 on the patient's buffer line.
        let pco2 = |i: usize| {
            if gas.is_some() {
                crate::gas::pco2_from_c_co2_mmhg(x(i))
            } else {
                0.0
            }
        };
        let be = gas.map_or(0.0, |g| g.base_excess_mmol_l);
        let ph = |p: f64| {
            if gas.is_some() {
                crate::gas::ph_from_pco2(p, be, hb)
            } else {
                0.0
            }
        };
        let (paco2_radial, paco2_femoral, pvco2) = (
            pco2(ch::CO2_RADIAL),
            pco2(ch::CO2_FEMORAL),
            pco2(ch::CO2_PA),
        );
        let lung_co2_output = -rate(acc::LUNG_CO2);
        let alveolar_pco2 = match gas {
            Some(g) if g.alveolar_ventilation_l_min() > 0.0 => {
                crate::gas::alveolar_pco2_mmhg(lung_co2_output, g.alveolar_ventilation_l_min())
            }
            Some(_) => pvco2,
            None => 0.0,
        };
        let mean = |i: usize| a.integral[i] / t;
        let lv_sv = a.lv_v_max - a.lv_v_min;
        let rv_sv = a.rv_v_max - a.rv_v_min;
        let co = crate::units::ml_s_to_l_min(a.av_volume / t);
        let map = mean(0);
        BeatMetrics {
            beat_index: self.beat_index as f64,
            start_s: self.start_s,
            period_s: t,
            // No contraction, no heart rate (the beat clock still sets the analysis window).
            heart_rate_bpm: if model.params().rhythm.is_beating() {
                60.0 / t
            } else {
                0.0
            },
            sbp_mmhg: peak(0),
            dbp_mmhg: a.min[0],
            map_mmhg: map,
            sbp_femoral_mmhg: peak(1),
            dbp_femoral_mmhg: a.min[1],
            map_femoral_mmhg: mean(1),
            sbp_aortic_root_mmhg: peak(2),
            dbp_aortic_root_mmhg: a.min[2],
            map_aortic_root_mmhg: mean(2),
            pulse_pressure_aortic_root_mmhg: peak(2) - a.min[2],
            pulse_pressure_mmhg: peak(0) - a.min[0],
            augmented_diastolic_pressure_mmhg: augmented,
            pa_systolic_mmhg: a.max[3],
            pa_diastolic_mmhg: a.min[3],
            pa_mean_mmhg: mean(3),
            cvp_mmhg: mean(6),
            lap_mmhg: mean(7),
            lv_systolic_mmhg: a.max[4],
            lvedp_mmhg: if a.lv_v_filling_max.is_finite() {
                a.lv_p_end_diastole
            } else {
                a.lv_p_at_v_max
            },
            lvedv_ml: a.lv_v_max,
            lvesv_ml: a.lv_v_min,
            lv_stroke_volume_ml: lv_sv,
            lvef_percent: if a.lv_v_max > 0.0 {
                100.0 * lv_sv / a.lv_v_max
            } else {
                0.0
            },
            rv_systolic_mmhg: a.max[5],
            rvedp_mmhg: if a.rv_v_filling_max.is_finite() {
                a.rv_p_end_diastole
            } else {
                a.rv_p_at_v_max
            },
            rvedv_ml: a.rv_v_max,
            rvesv_ml: a.rv_v_min,
            rvef_percent: if a.rv_v_max > 0.0 {
                100.0 * rv_sv / a.rv_v_max
            } else {
                0.0
            },
            cardiac_output_l_min: co,
            rv_output_l_min: crate::units::ml_s_to_l_min(a.pv_volume / t),
            lv_stroke_work_mmhg_ml: a.lv_work,
            cardiac_power_output_w: map * co / 451.0,
            aortic_valve_opening_fraction: if a.av_opened { 1.0 } else { 0.0 },
            blood_volume_ml,
            ecmo_flow_l_min: q_ecmo_l_min,
            pump_rpm: ecmo.map_or(0.0, |e| e.pump_rpm),
            pump_head_mmhg: x(ch::HEAD),
            drainage_pressure_mmhg: x(ch::DRAINAGE),
            pre_oxygenator_pressure_mmhg: x(ch::PRE),
            post_oxygenator_pressure_mmhg: x(ch::POST),
            oxygenator_dp_mmhg: x(ch::PRE) - x(ch::POST),
            total_flow_l_min: co + crate::units::ml_s_to_l_min(x(ch::IMPELLA)) + q_ecmo_l_min,
            impella_flow_l_min: crate::units::ml_s_to_l_min(x(ch::IMPELLA)),
            lv_vent_flow_l_min: crate::units::ml_s_to_l_min(x(ch::VENT)),
            septostomy_flow_l_min: crate::units::ml_s_to_l_min(x(ch::SEPTOSTOMY)),
            drained_vein_pressure_min_mmhg: if has_ecmo { a.drained_min } else { 0.0 },
            drainage_suction_fraction: x(ch::SUCTION),
            sao2_right_radial_percent: sat(x(ch::C_RADIAL)),
            sao2_coronary_percent: sat(x(ch::C_ROOT)),
            sao2_femoral_percent: sat(x(ch::C_FEMORAL)),
            svo2_percent: if x(ch::MV_FLOW) > 1e-6 {
                sat(x(ch::MV_O2_FLUX) / x(ch::MV_FLOW))
            } else {
                sat(x(ch::C_PA))
            },
            pao2_right_radial_mmhg: if gas.is_some() {
                po2_from_c_o2_mmhg(x(ch::C_RADIAL), hb)
            } else {
                0.0
            },
            post_oxygenator_po2_mmhg: post_oxy_po2,
            post_oxygenator_pco2_mmhg: post_oxy_pco2,
            do2_ml_min: x(ch::DO2) * 60.0,
            coronary_do2_ml_min: x(ch::CORONARY_DO2) * 60.0,
            vo2_ml_min: rate(acc::CONSUMED_O2),
            lung_o2_uptake_ml_min: rate(acc::LUNG_O2),
            oxygenator_o2_transfer_ml_min: rate(acc::OXYGENATOR_O2),
            oxygenator_co2_removal_ml_min: -rate(acc::OXYGENATOR_CO2),
            paco2_right_radial_mmhg: paco2_radial,
            paco2_femoral_mmhg: paco2_femoral,
            pvco2_mmhg: pvco2,
            ph_right_radial: ph(paco2_radial),
            ph_femoral: ph(paco2_femoral),
            post_oxygenator_ph: if has_ecmo { ph(post_oxy_pco2) } else { 0.0 },
            alveolar_pco2_mmhg: alveolar_pco2,
            lung_co2_output_ml_min: lung_co2_output,
            vco2_ml_min: rate(acc::PRODUCED_CO2),
            q_ascending_aorta_ml_s: x(ch::Q_AORTA),
            q_aortic_arch_segment_ml_s: x(ch::Q_AORTA + 1),
            q_descending_thoracic_aorta_ml_s: x(ch::Q_AORTA + 2),
            q_iliac_arteries_ml_s: x(ch::Q_AORTA + 3),
            q_brachiocephalic_arteries_ml_s: x(ch::Q_BRACHIO),
            coronary_flow_ml_min: x(ch::Q_CORONARY) * 60.0,
            aortic_valve_opened: a.av_opened,
        }
    }
}

/// Number of key metrics the steady-state detector watches.
const STEADY_KEYS: usize = 13;
/// Length of the slow-drift window of the steady-state detector, beats.
const DRIFT_WINDOW_BEATS: usize = 20;

/// Detects the periodic steady state: the first beat from which the beat-to-beat change of
/// the key metrics stayed below a tolerance for a number of consecutive beats, and their
/// change over the last [`DRIFT_WINDOW_BEATS`] beats stayed below ten times that tolerance.
///
/// The change of a metric is `|x_n − x_{n−k}| / max(|x_{n−k}|, floor)`, with a floor of 1
/// (mmHg, mL, L/min or %) so that quantities near zero (CVP, or native output under full
/// support) do not demand impossible relative precision. The key metrics are the pressures,
/// LV volumes and output, and the blood gases (right-radial and femoral SaO2, SvO2, mixed
/// venous PCO2): the gases settle over minutes, much more slowly than the haemodynamics, and a
/// beat-to-beat test alone would call a state steady while the saturations still drift by
/// several percent (found from the Python package: right-radial SaO2 98.5 % at a "steady"
/// 12 s, 89 % from 60 s on, with differential hypoxaemia). The window test catches that
/// drift.
#[derive(Clone, Debug)]
pub struct SteadyStateDetector {
    tolerance: f64,
    consecutive: u32,
    prev: Option<[f64; STEADY_KEYS]>,
    run: u32,
    steady_beat: Option<u64>,
    /// The last [`DRIFT_WINDOW_BEATS`] keys (a ring), and how many were stored.
    history: [[f64; STEADY_KEYS]; DRIFT_WINDOW_BEATS],
    stored: usize,
}

impl SteadyStateDetector {
    /// Default relative tolerance: 0.1 % beat to beat.
    pub const DEFAULT_TOLERANCE: f64 = 1e-3;
    /// Default number of consecutive beats below the tolerance.
    pub const DEFAULT_CONSECUTIVE: u32 = 3;

    /// A detector with the given relative tolerance and run length.
    pub fn new(tolerance: f64, consecutive: u32) -> Self {
        SteadyStateDetector {
            tolerance,
            consecutive: consecutive.max(1),
            prev: None,
            run: 0,
            steady_beat: None,
            history: [[0.0; STEADY_KEYS]; DRIFT_WINDOW_BEATS],
            stored: 0,
        }
    }

    fn key(m: &BeatMetrics) -> [f64; STEADY_KEYS] {
        [
            m.map_mmhg,
            m.sbp_mmhg,
            m.dbp_mmhg,
            m.cvp_mmhg,
            m.lap_mmhg,
            m.pa_mean_mmhg,
            m.lvedv_ml,
            m.lvesv_ml,
            m.cardiac_output_l_min,
            m.sao2_right_radial_percent,
            m.sao2_femoral_percent,
            m.svo2_percent,
            m.pvco2_mmhg,
        ]
    }

    fn change(a: &[f64; STEADY_KEYS], b: &[f64; STEADY_KEYS]) -> f64 {
        a.iter()
            .zip(b.iter())
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0.0, f64::max)
    }

    /// Feeds one beat; returns `true` once steady (and for every later beat).
    pub fn observe(&mut self, m: &BeatMetrics) -> bool {
        let k = Self::key(m);
        if let Some(prev) = self.prev {
            if Self::change(&k, &prev) < self.tolerance {
                self.run += 1;
            } else {
                self.run = 0;
            }
            // The key DRIFT_WINDOW_BEATS beats ago is the oldest entry of the full ring.
            let slot = self.stored % DRIFT_WINDOW_BEATS;
            let no_drift = self.stored >= DRIFT_WINDOW_BEATS
                && Self::change(&k, &self.history[slot]) < 10.0 * self.tolerance;
            if self.steady_beat.is_none() && self.run >= self.consecutive && no_drift {
                self.steady_beat = Some(m.beat_index as u64);
            }
        }
        self.history[self.stored % DRIFT_WINDOW_BEATS] = k;
        self.stored += 1;
        self.prev = Some(k);
        self.steady_beat.is_some()
    }

    /// The beat at which the steady state was reached, if it was.
    pub fn steady_beat(&self) -> Option<u64> {
        self.steady_beat
    }
}

impl Default for SteadyStateDetector {
    fn default() -> Self {
        Self::new(Self::DEFAULT_TOLERANCE, Self::DEFAULT_CONSECUTIVE)
    }
}

/// Where the antegrade native blood and the ECMO blood meet along the aorta, from the mean
/// flows of a beat (or an average of beats): the name of the aortic compartment, `"none"`
/// without a circuit or without a segmented aorta.
///
/// Walking from the aortic root downstream, the mixing zone is the first compartment whose
/// downstream aortic segment carries retrograde (negative) mean flow: native blood arrives
/// from above, ECMO blood from below. If no segment is retrograde the ECMO blood joins at its
/// return site (femoral arteries for femoral return, aortic root for central return); with
/// axillary return it reaches the arch when the brachiocephalic trunk flows backwards.
pub fn mixing_zone<'a>(params: &'a crate::CirculationParams, m: &BeatMetrics) -> &'a str {
    let (Some(a), Some(e)) = (&params.anatomy, &params.ecmo) else {
        return "none";
    };
    if e.clamped {
        return "none";
    }
    let name = |i: usize| params.compartments[i].name.as_str();
    let flows = [
        m.q_ascending_aorta_ml_s,
        m.q_aortic_arch_segment_ml_s,
        m.q_descending_thoracic_aorta_ml_s,
        m.q_iliac_arteries_ml_s,
    ];
    if let Some(k) = flows
        .iter()
        .take(a.aortic_connections.len())
        .position(|&q| q < 0.0)
    {
        return name(a.aortic_compartments[k]);
    }
    if a.aortic_compartments.contains(&e.return_to) {
        return name(e.return_to);
    }
    if m.q_brachiocephalic_arteries_ml_s < 0.0 {
        // The arch: the compartment the brachiocephalic trunk leaves from.
        return name(params.connections[a.brachiocephalic_connection].from);
    }
    name(e.return_to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::{CentrifugalPump, Oxygenator};
    use crate::{presets, step, Cannulation, EcmoCircuit, IntegrationParams};

    /// Acute-MI shock on femoro-femoral VA-ECMO, the drainage alarm threshold at its lowest.
    fn shock_on_ecmo() -> Model {
        let mut p = presets::by_name("cardiogenic-shock-ami").unwrap();
        let anatomy = p.anatomy.clone().unwrap();
        let (drain, ret) = anatomy.cannulation_sites(Cannulation::FemoroFemoral, p.sites.ra);
        let mut e = EcmoCircuit::new(
            Cannulation::FemoroFemoral,
            drain,
            ret,
            CentrifugalPump::rotaflow(),
            3000.0,
            25.0,
            17.0,
            Oxygenator::by_name("quadrox-id").unwrap(),
        )
        .unwrap();
        e.drainage_limit.alarm_threshold_mmhg = -20.0;
        p.ecmo = Some(e);
        Model::new(p, IntegrationParams::default()).unwrap()
    }

    /// The recorder resolves its per-model lookups once (site indices, the circuit's
    /// drainage limit, ...): a parameter update must still reach it at the next step, as it
    /// did when the recorder read the parameters every step. The drainage alarm threshold is
    /// the allowed range's ends, -20 then 30 mmHg (`VenousDrainageLimit::validate`): a
    /// drained central vein never falls below -20 mmHg, and on ECMO it stays below 30 mmHg
    /// (central venous pressure in cardiogenic shock is ~10-20 mmHg and the circuit lowers
    /// it), so the suction fraction must go from none of the beat to (nearly) all of it.
    #[test]
    fn a_parameter_update_reaches_the_recorder() {
        let mut model = shock_on_ecmo();
        let mut state = State::new(&model);
        let mut rec = BeatRecorder::new(&model, &state);
        let mut beats = Vec::new();
        while beats.len() < 3 {
            step(&model, &mut state);
            beats.extend(rec.record(&model, &state));
        }
        let before = beats.last().unwrap().drainage_suction_fraction;
        model
            .update(|p| {
                p.ecmo.as_mut().unwrap().drainage_limit.alarm_threshold_mmhg = 30.0;
            })
            .unwrap();
        // The first beat after the update mixes both thresholds; the next is all at 30 mmHg.
        while beats.len() < 5 {
            step(&model, &mut state);
            beats.extend(rec.record(&model, &state));
        }
        let after = beats.last().unwrap();
        assert_eq!(before, 0.0, "alarm below -20 mmHg: {before}");
        assert!(
            after.drainage_suction_fraction > 0.99,
            "alarm below 30 mmHg: {} (drained vein min {} mmHg)",
            after.drainage_suction_fraction,
            after.drained_vein_pressure_min_mmhg
        );
    }

    /// The recorder keys its lookups on a fingerprint of what it looks up: fed a clone of its
    /// model (another address, the same fingerprint) every other step, it must give the
    /// metrics, bit for bit, that it gives fed the model itself.
    #[test]
    fn a_recorder_fed_a_clone_of_its_model_records_the_same() {
        let model = shock_on_ecmo();
        let clone = model.clone();
        let mut state = State::new(&model);
        let mut a = BeatRecorder::new(&model, &state);
        let mut b = BeatRecorder::new(&clone, &state);
        let (mut beats_a, mut beats_b) = (Vec::new(), Vec::new());
        let mut n = 0u64;
        while beats_a.len() < 2 {
            step(&model, &mut state);
            beats_a.extend(a.record(&model, &state));
            let m = if n % 2 == 0 { &model } else { &clone };
            beats_b.extend(b.record(m, &state));
            n += 1;
        }
        let bits = |b: &[BeatMetrics]| -> Vec<u64> {
            b.iter()
                .flat_map(|m| m.named_values())
                .map(|(_, v)| v.to_bits())
                .collect()
        };
        assert_eq!(bits(&beats_a), bits(&beats_b));
        assert!(beats_a[1].ecmo_flow_l_min > 0.0 && beats_a[1].sao2_femoral_percent > 0.0);
    }

    /// A recorder whose model is replaced in place by another (the same address, both at
    /// generation 0: a key on address and generation would keep the first model's lookups)
    /// records the second model's beats as a recorder made for it does.
    #[test]
    fn a_model_replaced_in_place_is_recorded_with_its_own_lookups() {
        let mut model = Model::new(
            presets::by_name("healthy-adult").unwrap(),
            IntegrationParams::default(),
        )
        .unwrap();
        let healthy = State::new(&model);
        let mut reused = BeatRecorder::new(&model, &healthy);
        let healthy_key = model.recorder_key;
        model = shock_on_ecmo();
        assert_ne!(model.recorder_key, healthy_key);
        let mut state = State::new(&model);
        let mut fresh = BeatRecorder::new(&model, &state);
        let (mut beats_reused, mut beats_fresh) = (Vec::new(), Vec::new());
        while beats_fresh.len() < 3 {
            step(&model, &mut state);
            beats_reused.extend(reused.record(&model, &state));
            beats_fresh.extend(fresh.record(&model, &state));
        }
        // The first beat still holds the healthy model's initial sample; the later ones are
        // the shock model's alone.
        for (r, f) in beats_reused[1..].iter().zip(&beats_fresh[1..]) {
            assert_eq!(format!("{r:?}"), format!("{f:?}"));
        }
        assert!(beats_fresh[2].ecmo_flow_l_min > 0.0);
    }

    /// The fingerprint follows what the recorder looks up: a clone has its model's, an update
    /// of a looked-up value (the drainage alarm threshold) changes it, an update of anything
    /// else (the pump speed) does not.
    #[test]
    fn the_recorder_key_follows_what_the_recorder_looks_up() {
        let mut model = shock_on_ecmo();
        let key = model.recorder_key;
        assert_eq!(model.clone().recorder_key, key);
        model
            .update(|p| {
                if let Some(e) = p.ecmo.as_mut() {
                    e.pump_rpm = 3400.0;
                }
            })
            .unwrap();
        assert_eq!(model.recorder_key, key);
        model
            .update(|p| {
                if let Some(e) = p.ecmo.as_mut() {
                    e.drainage_limit.alarm_threshold_mmhg = 30.0;
                }
            })
            .unwrap();
        assert_ne!(model.recorder_key, key);
    }
}
