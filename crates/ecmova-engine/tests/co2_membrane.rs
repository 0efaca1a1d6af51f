//! The oxygenator as a membrane exchanger: CO2 removal limited by blood flow, sweep and
//! membrane area, O2 uptake limited by the sweep's O2 (docs/methodology/gas-transport.md,
//! "Oxygenator membranes"; rows of docs/methodology/validation.md (gas rows)).
//!
//! Published numbers are copied here with their sources.

use ecmova_engine::devices::oxygenator::{counterflow_conductance, OXYGENATOR_TABLE};
use ecmova_engine::devices::{l_min_to_ml_s, Oxygenator};
use ecmova_engine::gas::{c_co2_ml_per_dl, c_o2_ml_per_dl};

/// Inlet PCO2 to which Strassmann 2019 normalised CO2 elimination, mmHg.
const P_IN_MMHG: f64 = 45.0;

/// CO2 removal (mL/min) of `o` at blood flow and sweep (L/min), inlet PCO2 `p_in`, venous O2
/// content 15 mL/dL, Hb 12, FdO2 1, Pb 760.
fn removal(o: &Oxygenator, q_l_min: f64, sweep_l_min: f64, p_in: f64) -> f64 {
    let q = l_min_to_ml_s(q_l_min);
    let out = o.outlet(q, l_min_to_ml_s(sweep_l_min), 1.0, 12.0, 15.0, p_in, 760.0);
    q * (c_co2_ml_per_dl(p_in) - out.c_co2_ml_per_dl) / 100.0 * 60.0
}

fn oxy(name: &str) -> Oxygenator {
    Oxygenator::by_name(name).unwrap()
}

/// Strassmann S, Merten M, Schäfer S, de Moll J, Brodie D, Larsson A, Windisch W,
/// Karagiannidis C. Impact of sweep gas flow on extracorporeal CO2 removal (ECCO2R). Intensive
/// Care Med Exp 2019;7:17. Pigs, 0.4 m² membrane lung, 900 mL/min blood, CO2 elimination
/// normalised to an inlet PCO2 of 45 mmHg: 35 ± 5 mL/min at sweep 2 L/min, 41 ± 6 at 8 L/min.
/// The 8 L/min point calibrates the membrane conductance per m²; the 2 L/min point is a
/// prediction.
#[test]
fn strassmann_2019_small_membrane_at_900_ml_min() {
    let o = oxy("ecco2r-0.4");
    let at8 = removal(&o, 0.9, 8.0, P_IN_MMHG);
    let at2 = removal(&o, 0.9, 2.0, P_IN_MMHG);
    println!("0.4 m², 900 mL/min: sweep 2 → {at2:.1}, sweep 8 → {at8:.1} mL/min (published 35 ± 5, 41 ± 6)");
    assert!((at8 - 41.0).abs() < 0.5, "calibration point: {at8}");
    assert!((at2 - 35.0).abs() <= 5.0, "prediction within 1 SD: {at2}");
}

/// Strassmann 2019: "with lower blood flow rates, any increase [of sweep] was less effective,
/// levelling out at 4 L sweep gas flow/min" (0.4 m²). At 300 mL/min the model gains less than
/// 3 % from sweep 4 to 8 L/min, and less than at 900 mL/min.
#[test]
fn strassmann_2019_levels_off_at_4_l_min_sweep_at_low_blood_flow() {
    let o = oxy("ecco2r-0.4");
    let gain = |q: f64| removal(&o, q, 8.0, P_IN_MMHG) / removal(&o, q, 4.0, P_IN_MMHG) - 1.0;
    let (low, high) = (gain(0.3), gain(0.9));
    println!(
        "0.4 m²: gain sweep 4 → 8 at 300 mL/min {:.1} %, at 900 mL/min {:.1} %",
        100.0 * low,
        100.0 * high
    );
    assert!(low < 0.03 && low < high, "{low} {high}");
}

/// Strassmann 2019, 0.8 m² membrane lung: the gain from sweep 2 to 8 L/min rose from 4 ± 2 mL/min
/// at 300 mL/min blood flow to 26 ± 7 at 1800 mL/min; maximum 101 ± 12 mL/min (1800 mL/min,
/// 8 L/min). The model reproduces the low-flow gain and the rising trend; it underestimates the
/// high-flow gain and the maximum (membrane conductance per m² taken from the 0.4 m² device):
/// the bounds below state how far, so that a change in either direction is noticed.
#[test]
fn strassmann_2019_larger_membrane() {
    let o = oxy("quadrox-id-pediatric"); // 0.8 m²
    let delta = |q: f64| removal(&o, q, 8.0, P_IN_MMHG) - removal(&o, q, 2.0, P_IN_MMHG);
    let (d300, d1800) = (delta(0.3), delta(1.8));
    let max = removal(&o, 1.8, 8.0, P_IN_MMHG);
    println!("0.8 m²: Δ(2→8) {d300:.1} at 300 mL/min (4 ± 2), {d1800:.1} at 1800 (26 ± 7); max {max:.1} (101 ± 12)");
    assert!((d300 - 4.0).abs() <= 2.0, "{d300}");
    assert!(d1800 > 3.0 * d300, "rising gain: {d300} {d1800}");
    // Known shortfall: within 2 SD for the gain, −20 to −30 % for the maximum.
    assert!((d1800 - 26.0).abs() <= 14.0, "{d1800}");
    assert!((0.70..0.80).contains(&(max / 101.0)), "{max}");
}

/// Karagiannidis C, Strassmann S, Brodie D, et al. Impact of membrane lung surface area and
/// blood flow on extracorporeal CO2 removal during severe respiratory acidosis. Intensive Care
/// Med Exp 2017;5:34. Pigs, 1000 mL/min blood, sweep 8 L/min: maximal CO2 elimination
/// 71.7 mL/min with 0.4 m² and 150.8 mL/min with 1.3 m² (ratio 2.10; inlet PCO2 not given in the
/// abstract, so only the ratio at equal inlet PCO2 is compared); "an increase of the surface area
/// above 1.0 m² did not result in substantially higher CO2 elimination rates".
#[test]
fn karagiannidis_2017_area_dependence() {
    let small = oxy("ecco2r-0.4");
    let by_area = |a: f64| Oxygenator::from_line_l_min(10.0, 0.0, 1.0, a).unwrap();
    let r04 = removal(&small, 1.0, 8.0, P_IN_MMHG);
    let r10 = removal(&by_area(1.0), 1.0, 8.0, P_IN_MMHG);
    let r13 = removal(&by_area(1.3), 1.0, 8.0, P_IN_MMHG);
    let ratio = r13 / r04;
    println!("1000 mL/min, sweep 8: 0.4 m² {r04:.1}, 1.0 m² {r10:.1}, 1.3 m² {r13:.1}; ratio 1.3/0.4 {ratio:.2} (published 2.10)");
    assert!(ratio > 1.4 && ratio < 2.3, "{ratio}");
    // Beyond 1.0 m² the gain is smaller than from 0.4 to 1.0 m² per m² added.
    assert!((r13 - r10) / 0.3 < (r10 - r04) / 0.6);
}

/// The acceptance point of issue 11: at ~1 L/min blood flow CO2 removal gains little above a
/// sweep of 2-4 L/min, while at 4-5 L/min it keeps rising (adult membrane, Quadrox-iD).
#[test]
fn adult_membrane_sweep_gain_depends_on_blood_flow() {
    let o = oxy("quadrox-id");
    let gain = |q: f64| removal(&o, q, 8.0, P_IN_MMHG) / removal(&o, q, 4.0, P_IN_MMHG) - 1.0;
    for q in [1.0, 4.0, 5.0] {
        let row: Vec<String> = [1.0, 2.0, 4.0, 6.0, 8.0, 10.0]
            .iter()
            .map(|&s| format!("{:.0}", removal(&o, q, s, P_IN_MMHG)))
            .collect();
        println!("quadrox-id {q} L/min, sweep 1-10: {}", row.join(" "));
    }
    let (g1, g4, g5) = (gain(1.0), gain(4.0), gain(5.0));
    assert!(g1 < 0.10, "1 L/min: +{:.1} % from sweep 4 to 8", 100.0 * g1);
    assert!(g4 > 0.15 && g5 > g4, "4 and 5 L/min: {g4} {g5}");
}

/// Removal is never more than the blood or the gas can carry and never negative; no sweep or
/// no blood flow removes nothing.
#[test]
fn removal_is_bounded_by_both_streams() {
    for &(name, ..) in OXYGENATOR_TABLE.iter() {
        let o = oxy(name);
        for q in [0.0, 0.2, 1.0, 3.0, 7.0] {
            for s in [0.0, 0.5, 2.0, 8.0, 15.0] {
                let r = removal(&o, q, s, P_IN_MMHG);
                let blood = 1000.0 * q * (4.0 / 6.0) / 100.0 * P_IN_MMHG;
                let gas = 1000.0 * s * P_IN_MMHG / 713.0;
                assert!(
                    r >= 0.0 && r <= blood.min(gas) + 1e-9,
                    "{name} {q} {s}: {r}"
                );
                if q == 0.0 || s == 0.0 {
                    assert!(r == 0.0);
                }
            }
        }
    }
    assert_eq!(counterflow_conductance(1.0, 0.0, 1.0), 0.0);
    let equal = counterflow_conductance(1.0, 1.0, 1.0);
    assert!((equal - 0.5).abs() < 1e-12, "r = 1 limit N/(1+N): {equal}");
}

/// O2 uptake cannot exceed the O2 the sweep brings: at 4 L/min blood from SvO2-like blood, a
/// sweep of 0.1 L/min of O2 caps the uptake at 100 mL/min, while 1 L/min does not bind.
#[test]
fn o2_uptake_is_capped_by_the_sweep() {
    let o = oxy("quadrox-id");
    let q = l_min_to_ml_s(4.0);
    let c_in = c_o2_ml_per_dl(35.0, 12.0);
    let uptake = |s: f64| {
        let out = o.outlet(q, l_min_to_ml_s(s), 1.0, 12.0, c_in, 45.0, 760.0);
        q * (out.c_o2_ml_per_dl - c_in) / 100.0 * 60.0
    };
    let (low, high, higher) = (uptake(0.1), uptake(1.0), uptake(4.0));
    println!("O2 uptake at 4 L/min: sweep 0.1 → {low:.1}, 1 → {high:.1}, 4 → {higher:.1} mL/min");
    assert!((low - 100.0).abs() < 1e-6, "{low}");
    assert!(high > 150.0 && (high - higher).abs() < 1e-9);
}

/// Hospach I, Goldstein J, Harenski K, Laffey JG, Pouchoulin D, Raible M, Votteler S, Storr M.
/// In vitro characterization of PrismaLung+: a novel ECCO2R device. Intensive Care Med Exp
/// 2020;8 (doi 10.1186/s40635-020-00301-7). Bovine blood, 300 mL/min, inlet PCO2 45 mmHg: 44 ± 2.5
/// (0.35 m²), 73 ± 4.0 (0.8 m²) and 72 ± 1.9 mL/min (1.35 m²); the sweep is not given in the
/// abstract (taken as 10 L/min; at 300 mL/min the model gains < 4 % above 4 L/min).
///
/// Known disagreement: with the per-m² conductance calibrated on Strassmann 2019's pigs the
/// model removes about half of what these bench devices remove, and it does not reproduce their
/// plateau above 0.8 m². The bounds record the disagreement so that a change is noticed.
#[test]
fn hospach_2020_bench_devices_at_300_ml_min() {
    let published = [(0.35, 44.0), (0.8, 73.0), (1.35, 72.0)];
    let mut model = Vec::new();
    for (a, p) in published {
        let o = Oxygenator::from_line_l_min(10.0, 0.0, 1.0, a).unwrap();
        let r = removal(&o, 0.3, 10.0, P_IN_MMHG);
        println!("{a} m², 300 mL/min: model {r:.1} mL/min, published {p}");
        assert!((0.35..0.6).contains(&(r / p)), "{a}: {r} vs {p}");
        model.push(r);
    }
    // Larger membranes remove more in the model (the bench plateaus above 0.8 m²).
    assert!(model[0] < model[1] && model[1] < model[2]);
}
