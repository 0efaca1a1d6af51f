//! Waveform signals by clinical role (right radial, femoral, aortic root, ...), whatever the
//! preset calls its compartments. The time series, the live stream and the plots all take
//! their traces from here, so that one quantity has one name everywhere.

use ecmova_engine::{Model, State};

/// A waveform read off the model and state at one instant.
#[derive(Clone, Copy)]
pub struct Signal {
    /// Name with its unit (`p_right_radial_mmhg`): the series column and stream channel.
    pub name: &'static str,
    /// What it is, for people.
    pub label: &'static str,
    read: fn(&Model, &State) -> f64,
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("name", &self.name)
            .field("label", &self.label)
            .finish()
    }
}

impl Signal {
    /// The signal's value now.
    pub fn read(&self, model: &Model, state: &State) -> f64 {
        (self.read)(model, state)
    }
}

const fn signal(
    name: &'static str,
    label: &'static str,
    read: fn(&Model, &State) -> f64,
) -> Signal {
    Signal { name, label, read }
}

/// The signals every model has.
const ALWAYS: &[Signal] = &[
    signal(
        "p_right_radial_mmhg",
        "right radial arterial pressure",
        |m, s| s.pressures_mmhg()[m.params().sites.right_radial],
    ),
    signal("p_femoral_mmhg", "femoral arterial pressure", |m, s| {
        s.pressures_mmhg()[m.params().sites.femoral]
    }),
    signal("p_aortic_root_mmhg", "aortic root pressure", |m, s| {
        s.pressures_mmhg()[m.params().sites.aortic_root]
    }),
    signal(
        "p_pulmonary_artery_mmhg",
        "pulmonary artery pressure",
        |m, s| s.pressures_mmhg()[m.params().sites.pulmonary_artery],
    ),
    signal(
        "p_ra_mmhg",
        "right atrial (central venous) pressure",
        |m, s| s.pressures_mmhg()[m.params().sites.ra],
    ),
    signal("p_la_mmhg", "left atrial pressure", |m, s| {
        s.pressures_mmhg()[m.params().sites.la]
    }),
    signal("p_lv_mmhg", "LV pressure", |m, s| {
        s.pressures_mmhg()[m.params().sites.lv]
    }),
    signal("v_lv_ml", "LV volume", |m, s| {
        s.volumes_ml()[m.params().sites.lv]
    }),
    signal("p_rv_mmhg", "RV pressure", |m, s| {
        s.pressures_mmhg()[m.params().sites.rv]
    }),
    signal("v_rv_ml", "RV volume", |m, s| {
        s.volumes_ml()[m.params().sites.rv]
    }),
    signal(
        "v_right_radial_ml",
        "volume of the right-arm arteries (the right-hand pleth)",
        |m, s| s.volumes_ml()[m.params().sites.right_radial],
    ),
    signal(
        "v_femoral_ml",
        "volume of the femoral arteries (the leg pleth)",
        |m, s| s.volumes_ml()[m.params().sites.femoral],
    ),
];

/// The circuit's signals (only with a circuit).
const CIRCUIT: &[Signal] = &[signal(
    "ecmo_flow_l_min",
    "ECMO circuit flow (negative when retrograde)",
    |m, s| ecmova_engine::units::ml_s_to_l_min(s.ecmo_flow_ml_s(m)),
)];

/// The signals of `model`, in a stable order: the circulation's, then the circuit's when
/// there is one.
pub fn signals(model: &Model) -> Vec<Signal> {
    let mut out = ALWAYS.to_vec();
    if model.params().ecmo.is_some() {
        out.extend_from_slice(CIRCUIT);
    }
    out
}

/// Every signal name any model can have, in order.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    ALWAYS.iter().chain(CIRCUIT).map(|s| s.name)
}

/// The names of the signals that exist only with a circuit.
pub fn circuit_names() -> impl Iterator<Item = &'static str> {
    CIRCUIT.iter().map(|s| s.name)
}
