//! The arterial baroreflex switched on from a scenario file (`[patient] baroreflex = true`).
//!
//! The reflex itself (Ursino 1998) is validated in `crates/ecmova-engine/tests/baroreflex.rs`
//! (static curve, delays and time constants, haemorrhage against human data). These tests
//! check the coupling in scenario runs: the set point is the patient's own resting pressure
//! (so switching the reflex on leaves a resting patient where it was), the reflex opposes an
//! acute fall (bleeding) and an acute rise (starting VA-ECMO) of arterial pressure, and bad
//! keys are errors naming the key.

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use serde_json::Value;

fn summary(toml: &str) -> Value {
    let scenario = Scenario::from_toml(toml).expect("valid scenario");
    let built = build(&scenario).expect("valid model");
    let out = run(&built, RunOptions::default()).expect("run");
    summary_json(&built, &out)
}

fn phase(s: &Value, k: usize, key: &str) -> f64 {
    s["phases"][k]["metrics"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("phase {k}: {key}"))
}

/// At rest the reflex is at its equilibrium: the steady state with the reflex on equals the
/// steady state without it (tolerance 0.5 % of MAP and 0.5 bpm: the reflex is proportional,
/// so the closed loop's fixed point is the open loop's; the tolerance covers what is left of
/// the start-up transient after 120 s).
#[test]
fn a_resting_patient_is_at_the_reflex_equilibrium() {
    for preset in ["healthy-adult", "cardiogenic-shock-ami"] {
        let run = |reflex: bool| {
            summary(&format!(
                "[patient]\npreset = \"{preset}\"\nbaroreflex = {reflex}\n\
                 [simulation]\nduration_s = 120\n"
            ))
        };
        let (off, on) = (run(false), run(true));
        let f = |s: &Value, k: &str| s[k].as_f64().unwrap();
        println!(
            "{preset}: MAP {:.2} / {:.2}, HR {:.2} / {:.2}",
            f(&off, "map_mmhg"),
            f(&on, "map_mmhg"),
            f(&off, "heart_rate_bpm"),
            f(&on, "heart_rate_bpm")
        );
        assert!((f(&on, "map_mmhg") - f(&off, "map_mmhg")).abs() < 0.005 * f(&off, "map_mmhg"));
        assert!((f(&on, "heart_rate_bpm") - f(&off, "heart_rate_bpm")).abs() < 0.5);
    }
}

/// Peak-to-peak swing of MAP over the last 60 beats of a run (0 at a steady state, large in a
/// limit cycle). The loop is kicked by a 100 mL infusion at 60 s: a stable loop returns to a
/// steady state, an unstable one grows into its limit cycle (without a kick the loop sits at
/// its equilibrium, where the reflex's effects are exactly zero).
fn map_swing(preset: &str, gain: Option<f64>) -> f64 {
    let gain = gain.map_or(String::new(), |g| format!("baroreflex_gain = {g}\n"));
    let scenario = Scenario::from_toml(&format!(
        "[patient]\npreset = \"{preset}\"\nbaroreflex = true\n{gain}\
         [[events]]\nat_s = 60\naction = \"fluid\"\nvolume_ml = 100\n\
         [simulation]\nduration_s = 400\n"
    ))
    .expect("valid");
    let out = run(&build(&scenario).expect("builds"), RunOptions::default()).expect("runs");
    let last = &out.beats[out.beats.len() - 60..];
    let max = last.iter().map(|b| b.map_mmhg).fold(f64::MIN, f64::max);
    let min = last.iter().map(|b| b.map_mmhg).fold(f64::MAX, f64::min);
    max - min
}

/// At the default gain the closed loop is stable in every preset it applies to: after 400 s
/// the MAP swings by less than 0.5 mmHg. At Ursino's full gains the healthy adult's loop
/// settles into a limit cycle (why the default is half: `CLOSED_LOOP_GAIN_SCALE`).
#[test]
fn the_closed_loop_is_stable_at_the_default_gain() {
    for preset in ecmova_engine::presets::NAMES
        .iter()
        .filter(|p| **p != "regazzoni-2022")
    {
        let swing = map_swing(preset, None);
        println!("{preset}: MAP swing {swing:.4} mmHg");
        assert!(
            swing < 0.5,
            "{preset}: MAP swing {swing} mmHg at the default gain"
        );
    }
    let full = map_swing("healthy-adult", Some(1.0));
    println!("healthy-adult at Ursino's gains: MAP swing {full:.2} mmHg");
    assert!(
        full > 5.0,
        "the documented limit cycle at gain 1 ({full} mmHg)"
    );
}

/// A 300 mL bleed (scenario `fluid` event): with the reflex the heart rate rises and the
/// arterial pressure falls less (Ursino 1998; the magnitudes against human data are checked
/// in the engine's test).
#[test]
fn the_reflex_defends_pressure_after_a_bleed() {
    let run = |reflex: bool| {
        summary(&format!(
            "[patient]\npreset = \"healthy-adult\"\nbaroreflex = {reflex}\n\
             [[events]]\nat_s = 60\naction = \"fluid\"\nvolume_ml = -300\n\
             [simulation]\nduration_s = 150\n"
        ))
    };
    let (off, on) = (run(false), run(true));
    let drop = |s: &Value| phase(s, 0, "map_mmhg") - phase(s, 1, "map_mmhg");
    let dhr = phase(&on, 1, "heart_rate_bpm") - phase(&on, 0, "heart_rate_bpm");
    println!(
        "bleed 300 mL: MAP drop {:.1} (reflex off) vs {:.1} (on); HR {:+.1} bpm",
        drop(&off),
        drop(&on),
        dhr
    );
    assert!(
        drop(&on) < 0.6 * drop(&off),
        "the reflex offsets part of the fall"
    );
    assert!(dhr > 2.0, "tachycardia {dhr}");
    assert!((phase(&off, 1, "heart_rate_bpm") - phase(&off, 0, "heart_rate_bpm")).abs() < 1e-6);
}

/// Starting VA-ECMO in the AMI patient raises arterial pressure; the reflex answers with a
/// lower heart rate and pulls the pressure back toward its set point.
#[test]
fn the_reflex_opposes_the_pressure_rise_on_ecmo() {
    let run = |reflex: bool| {
        summary(&format!(
            "[patient]\npreset = \"cardiogenic-shock-ami\"\nbaroreflex = {reflex}\n\
             [ecmo]\nenabled = true\npump_rpm = 3500\nstart_s = 60\n\
             [simulation]\nduration_s = 180\n"
        ))
    };
    let (off, on) = (run(false), run(true));
    let rise = |s: &Value| phase(s, 1, "map_mmhg") - phase(s, 0, "map_mmhg");
    println!(
        "ECMO start: MAP rise {:.1} (off) vs {:.1} (on); HR {:.1} -> {:.1}",
        rise(&off),
        rise(&on),
        phase(&on, 0, "heart_rate_bpm"),
        phase(&on, 1, "heart_rate_bpm")
    );
    assert!(rise(&off) > 5.0, "precondition: ECMO raises MAP");
    assert!(rise(&on) < rise(&off));
    assert!(phase(&on, 1, "heart_rate_bpm") < phase(&on, 0, "heart_rate_bpm") - 2.0);
}

/// Bad baroreflex keys name the key and the allowed range.
#[test]
fn baroreflex_errors_name_the_key() {
    let err = |patient: &str| {
        build(
            &Scenario::from_toml(&format!(
                "[patient]\n{patient}\n[simulation]\nduration_s = 5\n"
            ))
            .expect("parses"),
        )
        .expect_err("must fail")
        .to_string()
    };
    for (patient, needle) in [
        (
            "preset = \"regazzoni-2022\"\nbaroreflex = true",
            "patient.baroreflex",
        ),
        (
            "preset = \"healthy-adult\"\nbaroreflex = true\nbaroreflex_gain = 3",
            "patient.baroreflex_gain = 3",
        ),
        (
            "preset = \"healthy-adult\"\nbaroreflex = true\nbaroreflex_set_point_mmhg = 500",
            "patient.baroreflex_set_point_mmhg = 500",
        ),
        (
            "preset = \"healthy-adult\"\nbaroreflex_gain = 0.5",
            "baroreflex = true",
        ),
    ] {
        let e = err(patient);
        println!("{e}");
        assert!(e.contains(needle), "expected {needle:?} in {e}");
    }
}
