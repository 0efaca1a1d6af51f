//! Validation of the blood gas primitives against published values
//! (see docs/methodology/gas-transport.md), plus property tests.

use ecmova_engine::gas::{
    alveolar_po2_mmhg, c_co2_ml_per_dl, c_o2_ml_per_dl, mix_contents, pco2_from_c_co2_mmhg,
    po2_from_c_o2_mmhg, po2_from_so2_severinghaus_mmhg, so2_severinghaus,
};
use proptest::prelude::*;

/// Standard human ODC points used to validate Severinghaus (1979): PO2 mmHg,
/// SO2 fraction. 27 -> ~50 % (P50 26.8), 40 -> ~75 %, 100 -> ~97.5 %
/// (brief / standard curve values).
const ODC_POINTS: [(f64, f64, f64); 3] = [
    (27.0, 0.50, 0.01),
    (40.0, 0.75, 0.01),
    (100.0, 0.975, 0.003),
];

#[test]
fn severinghaus_matches_standard_curve() {
    for (p, s, tol) in ODC_POINTS {
        let m = so2_severinghaus(p);
        println!("PO2 {p}: model {:.4}, published {s}", m);
        assert!((m - s).abs() <= tol, "{p}: {m}");
    }
}

#[test]
fn severinghaus_inverse_round_trips_within_2_percent() {
    for s in [0.1, 0.3, 0.5, 0.7, 0.75, 0.9, 0.95] {
        let p = po2_from_so2_severinghaus_mmhg(s);
        let back = so2_severinghaus(p);
        assert!((back - s).abs() < 0.01, "{s}: {back}");
        let exact_p = po2_from_c_o2_mmhg(c_o2_ml_per_dl(p, 15.0), 15.0);
        assert!((exact_p - p).abs() < 1e-6 * p);
    }
}

#[test]
fn content_formula() {
    // 1.34 * 15 * SO2(100) + 0.003 * 100.
    let expected = 1.34 * 15.0 * so2_severinghaus(100.0) + 0.3;
    assert!((c_o2_ml_per_dl(100.0, 15.0) - expected).abs() < 1e-12);
    // Textbook CaO2 ~20 and CvO2 ~15 mL/dL (Hb 15, PO2 100 / 40).
    assert!((c_o2_ml_per_dl(100.0, 15.0) - 20.0).abs() < 0.5);
    assert!((c_o2_ml_per_dl(40.0, 15.0) - 15.2).abs() < 0.5);
}

#[test]
fn alveolar_and_mixing() {
    assert!((alveolar_po2_mmhg(0.21, 760.0, 40.0, 0.8) - 99.73).abs() < 0.01);
    assert!((alveolar_po2_mmhg(1.0, 760.0, 40.0, 0.8) - 663.0).abs() < 1e-9);
    // 4 L/min of 20 mL/dL with 1 L/min of 15: 19.
    assert!((mix_contents(20.0, 4.0, 15.0, 1.0) - 19.0).abs() < 1e-12);
    assert!((c_co2_ml_per_dl(40.0) - 48.0).abs() < 1e-9);
    assert!((pco2_from_c_co2_mmhg(c_co2_ml_per_dl(55.0)) - 55.0).abs() < 1e-9);
}

proptest! {
    #[test]
    fn so2_bounded_and_increasing(p in -100.0f64..6000.0, dp in 0.001f64..100.0) {
        let s = so2_severinghaus(p);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert!(so2_severinghaus(p + dp) >= s);
        if (0.0..4900.0).contains(&p) {
            prop_assert!(so2_severinghaus(p + dp) > s);
        }
    }

    #[test]
    fn content_inverse_round_trips(p in 0.0f64..1000.0, hb in 0.0f64..25.0) {
        let c = c_o2_ml_per_dl(p, hb);
        let back = po2_from_c_o2_mmhg(c, hb);
        prop_assert!((back - p).abs() <= 1e-6 * p.max(1.0));
    }

    #[test]
    fn inverse_total(c in -1e9f64..1e9, hb in -5.0f64..40.0, s in -1.0f64..2.0) {
        prop_assert!(po2_from_c_o2_mmhg(c, hb).is_finite());
        prop_assert!(po2_from_so2_severinghaus_mmhg(s).is_finite());
    }
}
