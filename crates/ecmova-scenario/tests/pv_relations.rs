//! The LV pressure-volume relations served to the PV-loop panel (`ecmova_scenario::pv`).
//!
//! Fixed before running: the ESPVR passes through (V0, 0) with slope Ees (Suga H, Sagawa K,
//! Circ Res 1974); a contractility scale multiplies the slope exactly; the EDPVR rises
//! monotonically; the loop's end-diastolic point (LVEDV, LVEDP) lies on the EDPVR, since the
//! activation is near zero at mitral-valve closure (end diastole), within 2 mmHg.

use ecmova_scenario::pv::{Edpvr, PvRelations};
use ecmova_scenario::wire::Patient;
use ecmova_scenario::{Action, Scenario, Simulation, SimulationOptions};
use serde_json::json;

fn live(preset: &str) -> Simulation {
    let patient: Patient = serde_json::from_value(json!({"preset": preset})).unwrap();
    Simulation::from_scenario(&Scenario::live(patient), SimulationOptions::default()).unwrap()
}

#[test]
fn espvr_scales_with_contractility_and_starts_at_v0() {
    let mut sim = live("cardiogenic-shock-ami");
    let r0 = PvRelations::lv(&sim).expect("an LV chamber");
    assert_eq!(r0.chamber, "lv");
    let first = r0.espvr_points[0];
    assert!((first.volume_ml - r0.v0_ml.max(0.0)).abs() < 1e-9);
    for w in r0.espvr_points.windows(2) {
        let slope = (w[1].pressure_mmhg - w[0].pressure_mmhg) / (w[1].volume_ml - w[0].volume_ml);
        assert!(
            (slope / r0.espvr_slope_mmhg_per_ml - 1.0).abs() < 1e-9,
            "{slope}"
        );
    }
    let a: Action = serde_json::from_value(
        json!({"action": "set_lv_contractility", "lv_contractility_scale": 2.0}),
    )
    .unwrap();
    sim.apply(a).unwrap();
    let r1 = PvRelations::lv(&sim).unwrap();
    assert!((r1.ees_mmhg_per_ml / r0.ees_mmhg_per_ml - 2.0).abs() < 1e-12);
    assert_eq!(r1.edpvr, r0.edpvr, "contractility leaves the EDPVR");
}

#[test]
fn the_end_diastolic_point_lies_on_the_edpvr() {
    for preset in ["healthy-adult", "cardiogenic-shock-ami", "regazzoni-2022"] {
        let mut sim = live(preset);
        sim.advance_to(30.0, &mut ()).unwrap();
        let r = PvRelations::lv(&sim).unwrap();
        for w in r.edpvr_points.windows(2) {
            assert!(
                w[1].pressure_mmhg > w[0].pressure_mmhg,
                "{preset}: EDPVR rises"
            );
        }
        let b = sim.averaged().expect("beats");
        let dv = b.lvedv_ml - r.v0_ml;
        let p = match r.edpvr {
            Edpvr::Exponential { a_mmhg, b_per_ml } => a_mmhg * ((b_per_ml * dv).exp() - 1.0),
            Edpvr::Linear {
                elastance_mmhg_per_ml,
            } => elastance_mmhg_per_ml * dv,
        };
        println!(
            "{preset}: EDPVR({:.1} mL) = {p:.2}, LVEDP {:.2} mmHg",
            b.lvedv_ml, b.lvedp_mmhg
        );
        assert!(
            (p - b.lvedp_mmhg).abs() < 2.0,
            "{preset}: {p} vs {}",
            b.lvedp_mmhg
        );
    }
}
