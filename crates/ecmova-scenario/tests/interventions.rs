//! Drugs and fluids move the physiology in the published direction with plausible magnitude.
//! Each case compares the phase before the event with the phase after (60 s each).

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use serde_json::Value;

/// Metrics of the phase before and after a single event at 60 s.
fn before_after(preset: &str, event: &str) -> (Value, Value) {
    let text = format!(
        "[patient]\npreset = \"{preset}\"\n[simulation]\nduration_s = 120\n[[events]]\nat_s = 60\n{event}\n"
    );
    let built = build(&Scenario::from_toml(&text).unwrap()).unwrap();
    let out = run(&built, RunOptions::default()).unwrap();
    let s = summary_json(&built, &out);
    let p = s["phases"].as_array().unwrap();
    (p[0]["metrics"].clone(), p[1]["metrics"].clone())
}

fn change(a: &Value, b: &Value, k: &str) -> f64 {
    b[k].as_f64().unwrap() / a[k].as_f64().unwrap() - 1.0
}

/// Dobutamine 10 µg/kg/min in severe heart failure: CO 3.1 → 5.6 L/min (+81 %), HR +7 %,
/// PCWP 27.4 → 21.1 mmHg (Akhtar N et al., Am J Cardiol 1975;36:202). Plausible magnitude:
/// CO +40 to +120 % (the 5-10 µg/kg/min range of published responses), HR +2 to +15 %, PCWP
/// (LA mean) falls.
#[test]
fn dobutamine_raises_output_and_lowers_filling_pressure_in_heart_failure() {
    let (a, b) = before_after(
        "chronic-heart-failure",
        "action = \"infusion\"\ndrug = \"dobutamine\"\ndose_ug_kg_min = 10",
    );
    let (co, hr, lap) = (
        change(&a, &b, "cardiac_output_l_min"),
        change(&a, &b, "heart_rate_bpm"),
        change(&a, &b, "lap_mmhg"),
    );
    println!("dobutamine 10: CO {co:+.2}, HR {hr:+.3}, LAP {lap:+.2}");
    assert!((0.40..=1.20).contains(&co));
    assert!((0.02..=0.15).contains(&hr));
    assert!(lap < 0.0);
}

/// Milrinone 0.5 µg/kg/min in NYHA III-IV: CI +38 %, PCWP −28 % (Can J Cardiol 1991),
/// HR +4 to +13 %, MAP about unchanged or lower. Plausible magnitude: CO +15 to +80 %, LAP
/// −10 % or more, HR +0 to +15 %, MAP within ±15 %.
#[test]
fn milrinone_raises_output_and_lowers_filling_pressure() {
    let (a, b) = before_after(
        "chronic-heart-failure",
        "action = \"infusion\"\ndrug = \"milrinone\"\ndose_ug_kg_min = 0.5",
    );
    let (co, lap, hr, map) = (
        change(&a, &b, "cardiac_output_l_min"),
        change(&a, &b, "lap_mmhg"),
        change(&a, &b, "heart_rate_bpm"),
        change(&a, &b, "map_mmhg"),
    );
    println!("milrinone 0.5: CO {co:+.2}, LAP {lap:+.2}, HR {hr:+.3}, MAP {map:+.2}");
    assert!((0.15..=0.80).contains(&co));
    assert!(lap <= -0.10);
    assert!((0.0..=0.15).contains(&hr));
    assert!(map.abs() <= 0.15);
}

/// Norepinephrine in septic shock: MAP 54 → 76 mmHg with a preserved (slightly higher)
/// cardiac index (Hamzaoui O et al. 2010). Plausible magnitude at 0.3 µg/kg/min: MAP +10 to
/// +30 mmHg, CO within −10 % (the model has no baroreflex or recruitment of β1 reserve beyond
/// its Emax).
#[test]
fn norepinephrine_raises_map_in_septic_shock_and_preserves_output() {
    let (a, b) = before_after(
        "septic-cardiomyopathy",
        "action = \"infusion\"\ndrug = \"norepinephrine\"\ndose_ug_kg_min = 0.3",
    );
    let dmap = b["map_mmhg"].as_f64().unwrap() - a["map_mmhg"].as_f64().unwrap();
    let co = change(&a, &b, "cardiac_output_l_min");
    println!("norepinephrine 0.3: MAP {dmap:+.1} mmHg, CO {co:+.2}");
    assert!((10.0..=30.0).contains(&dmap));
    assert!(co >= -0.10);
}

/// Stopping an infusion restores the state before it (the effects are ratios of the same
/// Emax curve): MAP back within 0.5 %.
#[test]
fn stopping_an_infusion_restores_the_baseline() {
    let text = "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 150\n\
        [[events]]\nat_s = 50\naction = \"infusion\"\ndrug = \"norepinephrine\"\ndose_ug_kg_min = 0.2\n\
        [[events]]\nat_s = 100\naction = \"infusion\"\ndrug = \"norepinephrine\"\ndose_ug_kg_min = 0\n";
    let built = build(&Scenario::from_toml(text).unwrap()).unwrap();
    let s = summary_json(&built, &run(&built, RunOptions::default()).unwrap());
    let p = s["phases"].as_array().unwrap();
    let map = |i: usize| p[i]["metrics"]["map_mmhg"].as_f64().unwrap();
    assert!(map(1) > map(0) + 5.0);
    assert!(
        (map(2) / map(0) - 1.0).abs() < 0.005,
        "{} vs {}",
        map(2),
        map(0)
    );
}

/// A 500 mL fluid bolus raises the filling pressures and the output of a preload-dependent
/// circulation (Frank-Starling; Guyton venous return); a 300 mL bleed lowers MAP and output.
/// Blood volume changes by exactly the volume given. A bleed larger than the stressed volume
/// is refused (veins do not collapse in this model).
#[test]
fn fluids_and_bleeding_move_preload_output_and_volume() {
    let (a, b) = before_after("healthy-adult", "action = \"fluid\"\nvolume_ml = 500");
    assert!(change(&a, &b, "cvp_mmhg") > 0.0 && change(&a, &b, "cardiac_output_l_min") > 0.0);
    let dv = b["blood_volume_ml"].as_f64().unwrap() - a["blood_volume_ml"].as_f64().unwrap();
    assert!((dv - 500.0).abs() < 1e-6, "{dv}");
    let (a, b) = before_after("healthy-adult", "action = \"fluid\"\nvolume_ml = -300");
    println!(
        "bleed 300 mL: MAP {:+.2}, CO {:+.2}",
        change(&a, &b, "map_mmhg"),
        change(&a, &b, "cardiac_output_l_min")
    );
    assert!(change(&a, &b, "map_mmhg") < -0.02 && change(&a, &b, "cardiac_output_l_min") < -0.02);
}

#[test]
fn bad_interventions_are_rejected_naming_the_event() {
    // An unknown drug is refused by the parser, naming it and the modelled drugs.
    let text = "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 10\n[[events]]\n\
                at_s = 1\naction = \"infusion\"\ndrug = \"adrenaline\"\ndose_ug_kg_min = 0.1\n";
    let err = Scenario::from_toml(text).unwrap_err().to_string();
    assert!(
        err.contains("[[events]]") && err.contains("adrenaline") && err.contains("dobutamine"),
        "{err}"
    );
    for (event, needle) in [
        (
            "action = \"infusion\"\ndrug = \"dobutamine\"\ndose_ug_kg_min = 200",
            "dose_ug_kg_min = 200",
        ),
        ("action = \"fluid\"\nvolume_ml = 9000", "volume_ml = 9000"),
        // Beyond the single-removal bound (−400 mL since issue 13's range test).
        ("action = \"fluid\"\nvolume_ml = -1400", "volume_ml = -1400"),
    ] {
        let text = format!(
            "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 10\n[[events]]\nat_s = 1\n{event}\n"
        );
        let err = build(&Scenario::from_toml(&text).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("events[0]") && err.contains(needle), "{err}");
    }
}

/// Regression (issue 13): any `fluid` event on `regazzoni-2022` (no gas transport), even
/// 0 mL, panicked in the engine ("index out of bounds: the len is 12 but the index is 16").
/// A bolus must now run and add its volume to the circulation.
#[test]
fn fluid_event_on_regazzoni_2022_does_not_panic() {
    for volume in ["0", "500", "-200"] {
        let (a, b) = before_after(
            "regazzoni-2022",
            &format!("action = \"fluid\"\nvolume_ml = {volume}"),
        );
        let v: f64 = volume.parse().unwrap();
        let dv = b["blood_volume_ml"].as_f64().unwrap() - a["blood_volume_ml"].as_f64().unwrap();
        println!("regazzoni fluid {volume} mL: blood volume change {dv:.6} mL");
        assert!(
            (dv - v).abs() < 1e-6,
            "blood volume changed by {dv} mL, not {v} mL"
        );
    }
}

/// Removals add up: two removals that each pass alone but together empty a vessel's stressed
/// volume are refused before the run starts, naming the second (issue 13: no late failures).
#[test]
fn cumulative_fluid_removals_are_refused_before_the_run() {
    let text = "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 10\n\
                [[events]]\nat_s = 1\naction = \"fluid\"\nvolume_ml = -400\n\
                [[events]]\nat_s = 2\naction = \"fluid\"\nvolume_ml = -400\n";
    let one = "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 10\n\
               [[events]]\nat_s = 1\naction = \"fluid\"\nvolume_ml = -400\n";
    build(&Scenario::from_toml(one).unwrap()).expect("one removal alone is accepted");
    let err = build(&Scenario::from_toml(text).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("events[1]") && err.contains("given before"),
        "{err}"
    );
}

/// Epinephrine 0.1 µg/kg/min in healthy men (Stratton JR et al., J Appl Physiol
/// 1985;58:1199): cardiac output +74 %, HR +17 bpm, systolic pressure +30 mmHg, SVR −48 %
/// (with the subjects' baroreflex). Plausible magnitude in the model, which carries no
/// baroreflex in the drug effect: CO +25 to +110 %, HR +10 to +40 %, MAP within −10 to +25 %.
#[test]
fn epinephrine_raises_output_and_rate_in_a_healthy_adult() {
    let (a, b) = before_after(
        "healthy-adult",
        "action = \"infusion\"\ndrug = \"epinephrine\"\ndose_ug_kg_min = 0.1",
    );
    let (co, hr, map) = (
        change(&a, &b, "cardiac_output_l_min"),
        change(&a, &b, "heart_rate_bpm"),
        change(&a, &b, "map_mmhg"),
    );
    println!("epinephrine 0.1: CO {co:+.2}, HR {hr:+.3}, MAP {map:+.3}");
    assert!((0.25..=1.10).contains(&co));
    assert!((0.10..=0.40).contains(&hr));
    assert!((-0.10..=0.25).contains(&map));
}

/// Epinephrine at clinical rates in septic shock (Moran JL et al., Crit Care Med 1993;21:70:
/// 3-18 µg/min, HR, MAP and cardiac index rise, SVR index unchanged): at 0.2 µg/kg/min MAP,
/// HR and CO all rise; at 1 µg/kg/min the α1 effect makes MAP rise more than at 0.2.
#[test]
fn epinephrine_raises_map_rate_and_output_in_septic_shock() {
    let (a, b) = before_after(
        "septic-cardiomyopathy",
        "action = \"infusion\"\ndrug = \"epinephrine\"\ndose_ug_kg_min = 0.2",
    );
    let (co, hr, map) = (
        change(&a, &b, "cardiac_output_l_min"),
        change(&a, &b, "heart_rate_bpm"),
        change(&a, &b, "map_mmhg"),
    );
    println!("epinephrine 0.2 (septic): CO {co:+.2}, HR {hr:+.3}, MAP {map:+.3}");
    assert!(co > 0.10 && hr > 0.05 && map > 0.03);
    let (_, high) = before_after(
        "septic-cardiomyopathy",
        "action = \"infusion\"\ndrug = \"epinephrine\"\ndose_ug_kg_min = 1.0",
    );
    assert!(change(&a, &high, "map_mmhg") > map);
}

/// Vasopressin 0.04 U/min in vasodilatory septic shock (Landry DW et al., Circulation
/// 1997;95:1122): arterial pressure 92/52 → 146/66 mmHg, SVR +84 %, no inotropy. Plausible
/// magnitude: MAP +15 to +70 %, HR not raised, CO not raised by more than 5 %.
#[test]
fn vasopressin_raises_map_by_vasoconstriction_in_septic_shock() {
    let (a, b) = before_after(
        "septic-cardiomyopathy",
        "action = \"infusion\"\ndrug = \"vasopressin\"\ndose_u_min = 0.04",
    );
    let (co, hr, map) = (
        change(&a, &b, "cardiac_output_l_min"),
        change(&a, &b, "heart_rate_bpm"),
        change(&a, &b, "map_mmhg"),
    );
    println!("vasopressin 0.04 U/min: CO {co:+.2}, HR {hr:+.3}, MAP {map:+.3}");
    assert!((0.15..=0.70).contains(&map));
    assert!(hr <= 0.005);
    assert!(co <= 0.05);
}

/// Vasopressin is dosed in U/min and the catecholamines in µg/kg/min: the wrong key, a missing
/// rate or a rate above the drug's maximum are refused naming the key.
#[test]
fn infusion_units_are_checked_per_drug() {
    use ecmova_scenario::Action;
    let err = |v: serde_json::Value| {
        let a: Action = serde_json::from_value(v).unwrap();
        a.check().unwrap_err().to_string()
    };
    let e = err(
        serde_json::json!({"action": "infusion", "drug": "vasopressin", "dose_ug_kg_min": 0.04}),
    );
    assert!(
        e.contains("dose_ug_kg_min") && e.contains("dose_u_min"),
        "{e}"
    );
    let e = err(serde_json::json!({"action": "infusion", "drug": "epinephrine"}));
    assert!(e.contains("dose_ug_kg_min"), "{e}");
    let e =
        err(serde_json::json!({"action": "infusion", "drug": "vasopressin", "dose_u_min": 0.5}));
    assert!(e.contains("dose_u_min") && e.contains("0.1"), "{e}");
    let e = err(
        serde_json::json!({"action": "infusion", "drug": "epinephrine", "dose_ug_kg_min": 2.0}),
    );
    assert!(e.contains("dose_ug_kg_min") && !e.contains("U/min"), "{e}");
}
