//! Validation of the ECMO device models against the published data they cite
//! (see docs/methodology/ecmo-circuit.md), plus property tests.

use ecmova_engine::devices::cannula::{AVALON_WATER_FITS, CANNULA_PRESETS};
use ecmova_engine::devices::oxygenator::{OXYGENATOR_PRESETS, OXYGENATOR_TABLE};
use ecmova_engine::devices::pump::{CENTRIMAG_POINTS, ROTAFLOW_POINTS};
use ecmova_engine::devices::{
    l_min_to_ml_s, Cannula, CannulaKind, CentrifugalPump, Oxygenator, VenousDrainageLimit,
};
use proptest::prelude::*;

fn rel(model: f64, published: f64) -> f64 {
    (model - published) / published
}

#[test]
fn pump_reproduces_each_published_point_within_5_percent() {
    let cases = [
        ("centrimag", &CENTRIMAG_POINTS[..]),
        ("rotaflow", &ROTAFLOW_POINTS[..]),
    ];
    for (name, points) in cases {
        let p = CentrifugalPump::by_name(name).unwrap();
        for &(rpm, q_l_min, h) in points {
            let e = rel(p.head_mmhg(rpm, l_min_to_ml_s(q_l_min)), h);
            println!(
                "{name} {rpm} rpm {q_l_min} L/min: published {h} mmHg, error {:+.2} %",
                e * 100.0
            );
            assert!(e.abs() <= 0.05, "{name} {rpm} {q_l_min}: {e}");
        }
    }
}

#[test]
fn stopped_pump_against_arterial_pressure_flows_backwards() {
    for name in ["centrimag", "rotaflow"] {
        let p = CentrifugalPump::by_name(name).unwrap();
        // Pump outlet at MAP 75, inlet at CVP 5.
        let q = p.flow_ml_s(0.0, 70.0);
        assert!(q < 0.0 && q.is_finite());
    }
}

/// Flow points of a published chart where the chart pressure drop lies in
/// the fitted range (>= 2 L/min, <= `dp_max`).
fn chart_points(a: f64, b: f64, dp_max: f64) -> impl Iterator<Item = (f64, f64)> {
    (2..=8)
        .map(|q| q as f64)
        .map(move |q| (q, a * q * q + b * q))
        .filter(move |&(_, dp)| dp <= dp_max)
}

#[test]
fn cannula_presets_reproduce_water_charts_within_10_percent() {
    for &(name, _kind, a, b) in AVALON_WATER_FITS.iter() {
        let c = Cannula::by_name(name).unwrap().water();
        for (q, dp) in chart_points(a, b, 300.0) {
            let e = rel(c.dp_mmhg(l_min_to_ml_s(q)), dp);
            assert!(e.abs() <= 0.10, "{name} {q}: {e}");
        }
    }
}

#[test]
fn cannula_scaling_law_reproduces_family_within_10_percent() {
    for &(name, kind, a, b) in AVALON_WATER_FITS.iter() {
        let fr: f64 = name.split('-').nth(1).unwrap().parse().unwrap();
        let dp_max = match kind {
            CannulaKind::Drainage => 100.0,
            CannulaKind::Return => 250.0,
        };
        let c = Cannula::from_geometry(kind, fr, 27.0).unwrap().water();
        for (q, dp) in chart_points(a, b, dp_max) {
            let e = rel(c.dp_mmhg(l_min_to_ml_s(q)), dp);
            println!(
                "scaling {name} {q} L/min: chart {dp:.1} mmHg, error {:+.1} %",
                e * 100.0
            );
            assert!(e.abs() <= 0.10, "{name} {q}: {e}");
        }
    }
}

#[test]
fn blood_correction_is_applied_explicitly() {
    let d = Cannula::by_name("avalon-27-drainage").unwrap();
    let q = l_min_to_ml_s(4.0);
    assert!((d.dp_mmhg(q) / d.water().dp_mmhg(q) - 1.3).abs() < 1e-12);
    assert!(CANNULA_PRESETS.iter().all(|n| Cannula::by_name(n).is_ok()));
}

#[test]
fn oxygenator_matches_fried_1998_lines_within_2_percent_at_3_to_6_l_min() {
    for &(name, slope, intercept, _, _) in OXYGENATOR_TABLE.iter().take(2) {
        let o = Oxygenator::by_name(name).unwrap();
        for q in [3.0, 4.0, 5.0, 6.0] {
            let published = slope * q + intercept;
            let e = rel(o.dp_mmhg(l_min_to_ml_s(q)), published);
            println!(
                "{name} {q} L/min: line {published:.1} mmHg, error {:+.2} %",
                e * 100.0
            );
            assert!(e.abs() <= 0.02, "{name} {q}: {e}");
        }
    }
}

#[test]
fn oxygenator_rated_flow_definition() {
    // Inlet SvO2 65 %, Hb 12, FdO2 1: outlet 95 % at rated flow, lower above.
    for name in OXYGENATOR_PRESETS {
        let o = Oxygenator::by_name(name).unwrap();
        let r = o.rated_flow_ml_s;
        let at = o.outlet_from_so2(r, r, 1.0, 12.0, 0.65, 45.0);
        assert!((at.so2 - 0.95).abs() < 0.002, "{name} {}", at.so2);
        let above = o.outlet_from_so2(1.5 * r, r, 1.0, 12.0, 0.65, 45.0);
        let below = o.outlet_from_so2(0.5 * r, r, 1.0, 12.0, 0.65, 45.0);
        assert!(above.so2 < 0.95 && below.so2 > 0.95);
        // Lower FdO2 lowers outlet PO2.
        let low = o.outlet_from_so2(r, r, 0.4, 12.0, 0.65, 45.0);
        assert!(low.po2_mmhg < at.po2_mmhg);
    }
}

#[test]
fn oxygenator_co2_removal_increases_with_sweep() {
    let o = Oxygenator::by_name("quadrox-id").unwrap();
    let q = l_min_to_ml_s(5.0);
    let mut last = 45.0;
    for sweep_l_min in [0.5, 1.0, 2.0, 5.0, 10.0] {
        let out = o.outlet_from_so2(q, l_min_to_ml_s(sweep_l_min), 1.0, 12.0, 0.65, 45.0);
        assert!(out.pco2_mmhg < last);
        last = out.pco2_mmhg;
    }
}

proptest! {
    #[test]
    fn cannula_dp_finite_odd_and_increasing(q1 in -300.0f64..300.0, dq in 0.001f64..50.0, fr in 15.0f64..31.0, l in 15.0f64..60.0) {
        for kind in [CannulaKind::Drainage, CannulaKind::Return] {
            let c = Cannula::from_geometry(kind, fr, l).unwrap();
            let a = c.dp_mmhg(q1);
            let b = c.dp_mmhg(q1 + dq);
            prop_assert!(a.is_finite() && b > a);
            prop_assert!((c.dp_mmhg(-q1) + a).abs() <= 1e-9 * a.abs().max(1.0));
        }
    }

    #[test]
    fn pump_head_monotone(rpm in 0.0f64..6000.0, q in -200.0f64..200.0, dq in 0.01f64..50.0, drpm in 1.0f64..1000.0) {
        for p in [CentrifugalPump::rotaflow(), CentrifugalPump::centrimag()] {
            let h = p.head_mmhg(rpm, q);
            prop_assert!(h.is_finite());
            prop_assert!(p.head_mmhg(rpm, q + dq) <= h);
            if q >= 0.0 {
                prop_assert!(p.head_mmhg(rpm + drpm, q) > h);
            }
            let back = p.flow_ml_s(rpm, h);
            prop_assert!((back - q).abs() < 1e-6 * q.abs().max(1.0));
        }
    }

    #[test]
    fn oxygenator_total(q in -200.0f64..200.0, sweep in -10.0f64..300.0, fdo2 in -0.5f64..1.5, hb in 0.0f64..25.0, c_in in -5.0f64..30.0, pco2 in -10.0f64..150.0) {
        for name in OXYGENATOR_PRESETS {
            let o = Oxygenator::by_name(name).unwrap();
            let out = o.outlet(q, sweep, fdo2, hb, c_in, pco2, 760.0);
            prop_assert!(out.po2_mmhg.is_finite() && out.pco2_mmhg.is_finite() && out.so2.is_finite());
            prop_assert!(out.pco2_mmhg >= 0.0);
            prop_assert!(o.dp_mmhg(q).is_finite());
            prop_assert!(o.dp_mmhg(q + 1.0) > o.dp_mmhg(q));
        }
    }

    #[test]
    fn drainage_multiplier_monotone(p in -1e6f64..1e6, dp in 0.0f64..100.0) {
        let d = VenousDrainageLimit::default();
        let m = d.resistance_multiplier(p);
        prop_assert!(m.is_finite() && m >= 1.0 && m <= d.max_multiplier);
        prop_assert!(d.resistance_multiplier(p + dp) <= m);
    }
}
