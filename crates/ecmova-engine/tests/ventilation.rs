//! Ventilation, CO2 and acid-base in the circulation (docs/methodology/gas-transport.md,
//! "Ventilation and acid-base"; rows of docs/methodology/validation-gas.md).
//!
//! Published numbers are copied here with their sources (tests read no files outside the
//! repository).

use ecmova_engine::devices::{CentrifugalPump, Oxygenator};
use ecmova_engine::*;

/// Normal arterial blood gases of adults: PaCO2 35-45 mmHg, pH 7.35-7.45 (Castro D, Patil SM,
/// Zubair M, Keenaghan M. Arterial Blood Gas. StatPearls, NBK536919, 2023).
const NORMAL_PACO2_MMHG: (f64, f64) = (35.0, 45.0);
const NORMAL_PH: (f64, f64) = (7.35, 7.45);

/// Runs `params` for `duration_s` and returns the mean of the last 5 beats.
fn run(params: CirculationParams, duration_s: f64) -> BeatMetrics {
    let model = Model::new(params, IntegrationParams::default()).unwrap();
    run_model(&model, duration_s)
}

fn run_model(model: &Model, duration_s: f64) -> BeatMetrics {
    let mut state = State::new(model);
    let mut rec = BeatRecorder::new(model, &state);
    let mut beats = Vec::new();
    while state.time_s() < duration_s {
        step(model, &mut state);
        if let Some(b) = rec.record(model, &state) {
            beats.push(b);
        }
    }
    assert!(state.is_finite());
    BeatMetrics::average(&beats[beats.len() - 5..]).unwrap()
}

fn with_ventilation(mut p: CirculationParams, ve_l_min: f64, vd: f64) -> CirculationParams {
    let g = p.gas.as_mut().unwrap();
    g.minute_ventilation_l_min = ve_l_min;
    g.dead_space_fraction = vd;
    p
}

/// `cardiogenic-shock-ami` on femoro-femoral VA-ECMO (Quadrox-iD, Rotaflow) at `rpm` and sweep.
fn shock_on_ecmo(rpm: f64, sweep_l_min: f64) -> CirculationParams {
    let mut p = presets::by_name("cardiogenic-shock-ami").unwrap();
    let anatomy = p.anatomy.clone().unwrap();
    let (drain, ret) = anatomy.cannulation_sites(Cannulation::FemoroFemoral, p.sites.ra);
    let mut e = EcmoCircuit::new(
        Cannulation::FemoroFemoral,
        drain,
        ret,
        CentrifugalPump::rotaflow(),
        rpm,
        25.0,
        17.0,
        Oxygenator::by_name("quadrox-id").unwrap(),
    )
    .unwrap();
    e.sweep_l_min = sweep_l_min;
    p.ecmo = Some(e);
    p
}

/// Long enough for the blood CO2 store to settle (time constant ~ blood CO2 capacity / total
/// CO2 conductance, a few minutes).
const SETTLE_S: f64 = 1200.0;

#[test]
fn explore() {
    let m = run(presets::healthy_adult(), SETTLE_S);
    println!(
        "healthy: PaCO2 {:.2} PvCO2 {:.2} PA {:.2} pH {:.3} VCO2 {:.1} lung {:.1} SaO2 {:.2} PaO2 {:.1}",
        m.paco2_right_radial_mmhg,
        m.pvco2_mmhg,
        m.alveolar_pco2_mmhg,
        m.ph_right_radial,
        m.vco2_ml_min,
        m.lung_co2_output_ml_min,
        m.sao2_right_radial_percent,
        m.pao2_right_radial_mmhg
    );
    for sweep in [0.5, 1.0, 2.0, 4.0, 8.0] {
        let m = run(shock_on_ecmo(3000.0, sweep), SETTLE_S);
        println!(
            "ecmo sweep {sweep}: Q {:.2} PaCO2 r {:.2} f {:.2} pH r {:.3} f {:.3} post pco2 {:.1} ph {:.3} oxy CO2 {:.1} lung {:.1} VCO2 {:.1}",
            m.ecmo_flow_l_min,
            m.paco2_right_radial_mmhg,
            m.paco2_femoral_mmhg,
            m.ph_right_radial,
            m.ph_femoral,
            m.post_oxygenator_pco2_mmhg,
            m.post_oxygenator_ph,
            m.oxygenator_co2_removal_ml_min,
            m.lung_co2_output_ml_min,
            m.vco2_ml_min
        );
    }
}
