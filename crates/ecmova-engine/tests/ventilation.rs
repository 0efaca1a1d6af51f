//! Ventilation, CO2 and acid-base in the circulation (docs/methodology/gas-transport.md,
//! "Ventilation and acid-base"; rows of docs/methodology/validation.md (gas rows)).
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

/// Healthy adult at the default ventilation (6 L/min, VD/VT 0.3): arterial PCO2 and pH in the
/// normal adult ranges (Castro 2023), mixed venous PCO2 above arterial, and at steady state the
/// lungs clear what the tissues produce.
#[test]
fn healthy_adult_blood_gases_are_normal() {
    let m = run(presets::healthy_adult(), SETTLE_S);
    println!(
        "healthy adult: PaCO2 {:.1} mmHg, pH {:.3}, PvCO2 {:.1}, PACO2 {:.1}, VCO2 {:.1}, lung CO2 {:.1} mL/min",
        m.paco2_right_radial_mmhg,
        m.ph_right_radial,
        m.pvco2_mmhg,
        m.alveolar_pco2_mmhg,
        m.vco2_ml_min,
        m.lung_co2_output_ml_min
    );
    for (v, (lo, hi)) in [
        (m.paco2_right_radial_mmhg, NORMAL_PACO2_MMHG),
        (m.paco2_femoral_mmhg, NORMAL_PACO2_MMHG),
        (m.ph_right_radial, NORMAL_PH),
        (m.ph_femoral, NORMAL_PH),
    ] {
        assert!((lo..=hi).contains(&v), "{v} outside [{lo}, {hi}]");
    }
    assert!(m.pvco2_mmhg > m.paco2_right_radial_mmhg + 3.0);
    assert!((m.lung_co2_output_ml_min / m.vco2_ml_min - 1.0).abs() < 0.01);
}

/// Halving the minute ventilation halves the alveolar ventilation and, at the same CO2
/// production, doubles the alveolar PCO2 (alveolar ventilation equation
/// `PACO2 = 0.863 · VCO2 / VA`, West, Respiratory Physiology). Arterial PCO2 follows within
/// the venous admixture of the 3 % shunt.
#[test]
fn hypoventilation_raises_paco2_as_the_alveolar_ventilation_equation_says() {
    let normal = run(presets::healthy_adult(), 3600.0);
    let low = run(with_ventilation(presets::healthy_adult(), 3.0, 0.3), 3600.0);
    let va = 3.0 * (1.0 - 0.3);
    let predicted = 0.863 * low.vco2_ml_min / va;
    let ratio = low.paco2_right_radial_mmhg / normal.paco2_right_radial_mmhg;
    println!(
        "VE 6 → 3 L/min: PaCO2 {:.1} → {:.1} mmHg (×{ratio:.2}); equation {predicted:.1}; pH {:.3} → {:.3}",
        normal.paco2_right_radial_mmhg, low.paco2_right_radial_mmhg, normal.ph_right_radial, low.ph_right_radial
    );
    assert!((ratio - 2.0).abs() < 0.2, "{ratio}");
    assert!((low.paco2_right_radial_mmhg / predicted - 1.0).abs() < 0.05);
    assert!(low.ph_right_radial < NORMAL_PH.0);
    // More dead space at the same minute ventilation also raises PaCO2.
    let dead = run(with_ventilation(presets::healthy_adult(), 6.0, 0.5), 3600.0);
    assert!(dead.paco2_right_radial_mmhg > normal.paco2_right_radial_mmhg + 10.0);
}

/// The acute CO2 titration line of blood (Van Slyke with a fixed base excess): bicarbonate rises
/// about 1 mmol/L per 10 mmHg in acute respiratory acidosis and falls about 2 mmol/L per
/// 10 mmHg in acute respiratory alkalosis (Berend K, de Vries APJ, Gans ROB, N Engl J Med
/// 2014;371:1434-45). Accepted: within half of the expected change.
#[test]
fn buffer_line_matches_acute_compensation_rules() {
    use ecmova_engine::gas::{bicarbonate_mmol_l, ph_from_pco2};
    let hco3 = |p: f64| bicarbonate_mmol_l(p, ph_from_pco2(p, 0.0, 14.0));
    let acid = hco3(80.0) - hco3(40.0);
    let alkali = hco3(20.0) - hco3(40.0);
    println!("ΔHCO3 40 → 80 mmHg {acid:+.2}, 40 → 20 mmHg {alkali:+.2} mmol/L (rules +4, −4)");
    assert!((acid - 4.0).abs() <= 2.0, "{acid}");
    assert!((alkali + 4.0).abs() <= 2.0, "{alkali}");
}

/// On femoro-femoral VA-ECMO (acute-MI shock) raising the sweep lowers PaCO2 and raises pH at
/// the femoral artery (downstream of the oxygenator) and at the right radial artery (the
/// native lungs see less CO2).
#[test]
fn paco2_falls_and_ph_rises_with_sweep_on_femoral_ecmo() {
    let mut last: Option<BeatMetrics> = None;
    for sweep in [0.5, 1.0, 2.0, 4.0, 8.0] {
        let m = run(shock_on_ecmo(3000.0, sweep), SETTLE_S);
        println!(
            "sweep {sweep}: ECMO {:.2} L/min, PaCO2 radial {:.1} femoral {:.1}, pH {:.3} / {:.3}, oxygenator {:.0} lungs {:.0} mL/min",
            m.ecmo_flow_l_min,
            m.paco2_right_radial_mmhg,
            m.paco2_femoral_mmhg,
            m.ph_right_radial,
            m.ph_femoral,
            m.oxygenator_co2_removal_ml_min,
            m.lung_co2_output_ml_min
        );
        if let Some(l) = &last {
            assert!(m.paco2_femoral_mmhg < l.paco2_femoral_mmhg);
            assert!(m.paco2_right_radial_mmhg < l.paco2_right_radial_mmhg);
            assert!(m.ph_femoral > l.ph_femoral && m.ph_right_radial > l.ph_right_radial);
            assert!(m.oxygenator_co2_removal_ml_min > l.oxygenator_co2_removal_ml_min);
            assert!(m.post_oxygenator_ph > l.post_oxygenator_ph);
        }
        last = Some(m);
    }
}

/// The lungs never add CO2 to blood: over a grid of ventilation (0-20 L/min), sweep and pump
/// speed, the lungs' CO2 output is non-negative at every step and in every beat. The grid
/// includes a state the old fixed alveolar PCO2 of 40 mmHg got wrong: a strong oxygenator
/// brings mixed venous PCO2 below 40 mmHg.
#[test]
fn lung_co2_output_is_never_negative() {
    let mut lowest_pv = f64::INFINITY;
    for ve in [0.0, 0.5, 6.0, 20.0] {
        for sweep in [0.5, 4.0, 15.0] {
            for rpm in [1500.0, 3000.0, 4500.0] {
                let long = ve == 6.0 && sweep == 15.0 && rpm == 4500.0;
                let model = Model::new(
                    with_ventilation(shock_on_ecmo(rpm, sweep), ve, 0.3),
                    IntegrationParams::default(),
                )
                .unwrap();
                let mut state = State::new(&model);
                let mut rec = BeatRecorder::new(&model, &state);
                let end = if long { 1200.0 } else { 90.0 };
                while state.time_s() < end {
                    step(&model, &mut state);
                    if let Some(l) = lung_gas_exchange(&model, &state) {
                        assert!(l.co2_output_ml_s >= 0.0, "{ve} {sweep} {rpm}: {l:?}");
                        assert!(l.alveolar_pco2_mmhg.is_finite() && l.alveolar_po2_mmhg >= 0.0);
                    }
                    if let Some(b) = rec.record(&model, &state) {
                        assert!(b.lung_co2_output_ml_min >= 0.0, "{ve} {sweep} {rpm}");
                        if long {
                            lowest_pv = lowest_pv.min(b.pvco2_mmhg);
                        }
                    }
                }
                assert!(state.is_finite());
            }
        }
    }
    println!("lowest mixed venous PCO2 of the strong-oxygenator run: {lowest_pv:.1} mmHg");
    assert!(
        lowest_pv < 40.0,
        "the grid must reach venous PCO2 < 40: {lowest_pv}"
    );
}

/// Without ventilation the lungs exchange no CO2 and PaCO2 rises (apnoea), without NaN.
#[test]
fn apnoea_removes_no_co2() {
    let m = run(with_ventilation(presets::healthy_adult(), 0.0, 0.3), 300.0);
    assert_eq!(m.lung_co2_output_ml_min, 0.0);
    assert!(m.paco2_right_radial_mmhg > 45.0 && m.ph_right_radial < 7.35);
}

/// O2 and CO2 stay exactly conserved with the new lungs and membrane: stored CO2 changes by
/// production + lung output + oxygenator removal (both logged negative) and stored O2 by lung
/// uptake + oxygenator transfer − consumption, to rounding, at every beat of a run that changes
/// ventilation and sweep.
#[test]
fn o2_and_co2_are_conserved() {
    use ecmova_engine::model::accumulator as acc;
    for (ve, sweep) in [(6.0, 4.0), (0.0, 10.0), (20.0, 0.5)] {
        let model = Model::new(
            with_ventilation(shock_on_ecmo(3000.0, sweep), ve, 0.3),
            IntegrationParams::default(),
        )
        .unwrap();
        let mut state = State::new(&model);
        let (o0, c0) = (state.stored_o2_ml(&model), state.stored_co2_ml(&model));
        let mut worst: f64 = 0.0;
        while state.time_s() < 120.0 {
            step(&model, &mut state);
            if state.step_in_beat() == 0 {
                let a = state.gas_accumulators(&model);
                let o = o0 + a[acc::LUNG_O2] + a[acc::OXYGENATOR_O2] - a[acc::CONSUMED_O2];
                let c = c0 + a[acc::PRODUCED_CO2] + a[acc::LUNG_CO2] + a[acc::OXYGENATOR_CO2];
                let d_o2 = (state.stored_o2_ml(&model) - o).abs() / o0;
                let d_co2 = (state.stored_co2_ml(&model) - c).abs() / c0;
                worst = worst.max(d_o2).max(d_co2);
            }
        }
        println!("VE {ve}, sweep {sweep}: worst relative O2/CO2 imbalance {worst:.1e}");
        assert!(worst < 1e-12, "{worst}");
    }
}
