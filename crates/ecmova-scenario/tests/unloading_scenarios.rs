//! LV unloading devices on VA-ECMO, through scenario files (`[[devices]]`, `set_device`).
//!
//! Published directions (sources in `docs/methodology/ecmo-circuit.md`, "LV unloading
//! devices"):
//! - Burkhoff D et al., J Am Coll Cardiol 2015;66:2663-74: peripheral VA-ECMO raises LV
//!   afterload, LVEDP and PCWP; an Impella unloads the LV (lower LVEDP and LV volume) and
//!   uncouples LV output from the aortic valve (the LV empties through the pump all through
//!   the cycle: the pressure-volume loop loses its isovolumic phases); an IABP has a small
//!   unloading effect.
//! - Donker DW, Brodie D, Henriques JPS, Broomé M, ASAIO J 2019;65:11-20 (simulation of the
//!   same four strategies on VA-ECMO): Impella, LV vent and atrial septostomy lower LVEDP,
//!   LV volume and PCWP; the septostomy lowers left atrial pressure most; the IABP least.
//!
//! The engine tests (`crates/ecmova-engine/tests/unloading.rs`) check the devices' own laws;
//! these check that a scenario file reaches them and that the effects hold at steady state
//! in the case the devices are for: the AMI preset with a severely failing LV (contractility
//! ×0.4), which distends on ECMO (the afterload regime; the AMI preset's own LV ejects and its
//! preload falls as flow rises, issue 11). Inputs (preset, pump speed, device settings) are chosen, outcomes
//! are not tuned; where a test needs a condition (the aortic valve closed on ECMO alone) the
//! condition is asserted as a precondition.

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use serde_json::Value;

fn summary(toml: &str) -> Value {
    let scenario = Scenario::from_toml(toml).expect("valid scenario");
    let built = build(&scenario).expect("valid model");
    let out = run(&built, RunOptions::default()).expect("run");
    summary_json(&built, &out)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing or not a number in {v}"))
}

/// The AMI patient on femoro-femoral ECMO at `rpm`, with `devices` (TOML), 90 s.
fn ami(patient_extra: &str, rpm: f64, devices: &str) -> Value {
    summary(&format!(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n{patient_extra}\n\
         [ecmo]\nenabled = true\npump_rpm = {rpm}\n{devices}\n\
         [simulation]\nduration_s = 90\n"
    ))
}

const KEYS: [&str; 8] = [
    "lvedp_mmhg",
    "lap_mmhg",
    "lvedv_ml",
    "lv_stroke_volume_ml",
    "aortic_valve_opening_fraction",
    "map_mmhg",
    "ecmo_flow_l_min",
    "total_flow_l_min",
];

fn show(label: &str, s: &Value) {
    let row: Vec<String> = KEYS
        .iter()
        .map(|k| format!("{k} {:.2}", num(s, k)))
        .collect();
    println!("{label:>18}: {}", row.join(", "));
}

/// LV contractility scale of the distended LV the devices are used for.
const SEVERE: &str = "lv_contractility_scale = 0.4";

/// Every device lowers LVEDP, LV volume and PCWP (LA pressure) on top of ECMO in the
/// distended, severely failing LV; the septostomy lowers LA pressure most, the IABP unloads
/// least.
#[test]
fn each_device_unloads_the_lv_on_ecmo() {
    let alone = ami(SEVERE, 3500.0, "");
    show("ECMO alone", &alone);
    let mut drops = Vec::new();
    for (kind, settings) in [
        ("impella", "performance_level = 8"),
        ("lv_vent", "cannula_fr = 15"),
        ("atrial_septostomy", "diameter_mm = 10"),
        ("iabp", "balloon_volume_ml = 40"),
    ] {
        let s = ami(
            SEVERE,
            3500.0,
            &format!("[[devices]]\nkind = \"{kind}\"\n{settings}\n"),
        );
        show(kind, &s);
        let d = |k: &str| num(&alone, k) - num(&s, k);
        assert!(
            d("lvedp_mmhg") > 1.0,
            "{kind}: LVEDP drop {}",
            d("lvedp_mmhg")
        );
        assert!(d("lap_mmhg") > 1.0, "{kind}: LAP drop {}", d("lap_mmhg"));
        assert!(d("lvedv_ml") > 1.0, "{kind}: LVEDV drop {}", d("lvedv_ml"));
        assert_eq!(s["devices"][0]["kind"], kind);
        assert_eq!(s["devices"][0]["active"], true);
        drops.push((kind, d("lvedp_mmhg"), d("lap_mmhg")));
    }
    let lap_best = drops.iter().max_by(|a, b| a.2.total_cmp(&b.2)).unwrap().0;
    assert_eq!(lap_best, "atrial_septostomy", "largest LA pressure drop");
    let least = drops.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap().0;
    assert_eq!(least, "iabp", "smallest LVEDP drop");
    // Flows are reported: the Impella's is part of the systemic flow, the vent's part of
    // the ECMO flow.
    let imp = ami("", 3500.0, "[[devices]]\nkind = \"impella\"\n");
    let q = num(&imp, "impella_flow_l_min");
    assert!(q > 0.5, "Impella flow {q}");
    let total = num(&imp, "cardiac_output_l_min") + q + num(&imp, "ecmo_flow_l_min");
    assert!((num(&imp, "total_flow_l_min") - total).abs() < 1e-9);
}

/// Where ECMO alone has stopped LV ejection (a weaker LV at high flow: the aortic valve stays
/// closed, the blood in the LV stagnates), an Impella at full support empties the LV every
/// beat again and lowers LVEDP. The LV's output leaves through the pump, not the valve: the
/// pump keeps LV pressure below aortic pressure, so the native valve stays closed, as in
/// Burkhoff 2015's Impella loops. (The example "restores aortic valve opening" is
/// therefore read as "restores LV ejection"; see the issue note.)
#[test]
fn impella_restores_lv_ejection_where_ecmo_stopped_it() {
    let weak = SEVERE;
    let alone = ami(weak, 4000.0, "");
    show("weak LV, ECMO", &alone);
    // Precondition: ECMO alone has closed the aortic valve.
    assert!(
        num(&alone, "aortic_valve_opening_fraction") < 0.5,
        "precondition: the valve should stay closed on ECMO alone"
    );
    let imp = ami(weak, 4000.0, "[[devices]]\nkind = \"impella\"\n");
    show("weak LV, + Impella", &imp);
    assert!(num(&imp, "lv_stroke_volume_ml") > num(&alone, "lv_stroke_volume_ml") + 3.0);
    assert!(num(&imp, "impella_flow_l_min") > 0.5);
    assert!(num(&alone, "lvedp_mmhg") - num(&imp, "lvedp_mmhg") > 3.0);
    assert!(num(&imp, "aortic_valve_opening_fraction") < 0.5);
}

/// Devices start late and change by events: the Impella comes on at 120 s at P8, is turned
/// down to P2 at 240 s and stopped at 360 s (two minutes per phase: the AMI patient's venous
/// reservoir settles with a time constant of ~20 s). LVEDP is graded with the support level and
/// returns to the unsupported value when it stops.
#[test]
fn set_device_events_grade_the_support() {
    let s = summary(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n\
         [ecmo]\nenabled = true\npump_rpm = 3500\n\
         [[devices]]\nkind = \"impella\"\nperformance_level = 8\nstart_s = 120\n\
         [[events]]\nat_s = 240\naction = \"set_device\"\ndevice = \"impella\"\nperformance_level = 2\n\
         [[events]]\nat_s = 360\naction = \"set_device\"\ndevice = \"impella\"\nactive = false\n\
         [simulation]\nduration_s = 480\n",
    );
    let lvedp = |k: usize| {
        s["phases"][k]["metrics"]["lvedp_mmhg"]
            .as_f64()
            .unwrap_or_else(|| panic!("phase {k}"))
    };
    let (off, p8, p2, stopped) = (lvedp(0), lvedp(1), lvedp(2), lvedp(3));
    println!("LVEDP: off {off:.2}, P8 {p8:.2}, P2 {p2:.2}, stopped {stopped:.2}");
    assert!(p8 < p2 && p2 < off, "graded: P8 {p8} < P2 {p2} < off {off}");
    assert!(
        (stopped - off).abs() < 0.01 * off,
        "stopped {stopped} vs off {off}"
    );
    assert_eq!(s["devices"][0]["active"], false);
    assert_eq!(s["devices"][0]["performance_level"], 2);
}

/// Bad device tables and events are errors that name the key and the allowed values.
#[test]
fn device_errors_name_the_field() {
    let err = |extra: &str| {
        let toml = format!(
            "[patient]\npreset = \"cardiogenic-shock-ami\"\n{extra}\n[simulation]\nduration_s = 5\n"
        );
        match Scenario::from_toml(&toml) {
            Err(e) => e.to_string(),
            Ok(s) => build(&s).expect_err("must fail").to_string(),
        }
    };
    let cases = [
        ("[[devices]]\nkind = \"ecpella\"\n", "devices[0].kind"),
        (
            "[[devices]]\nkind = \"impella\"\nperformance_level = 12\n",
            "devices[0].performance_level",
        ),
        (
            "[[devices]]\nkind = \"impella\"\ndiameter_mm = 8\n",
            "devices[0].diameter_mm",
        ),
        ("[[devices]]\nkind = \"lv_vent\"\n", "[ecmo]"),
        (
            "[[devices]]\nkind = \"iabp\"\n[[devices]]\nkind = \"iabp\"\n",
            "devices[1].kind",
        ),
        (
            "[[events]]\nat_s = 1\naction = \"set_device\"\ndevice = \"impella\"\nactive = true\n",
            "add it under [[devices]]",
        ),
        (
            "[[devices]]\nkind = \"atrial_septostomy\"\n\
             [[events]]\nat_s = 1\naction = \"set_device\"\ndevice = \"atrial_septostomy\"\ndiameter_mm = 40\n",
            "diameter_mm = 40",
        ),
        ("[[devices]]\nkind = \"iabp\"\nvolume = 40\n", "volume"),
    ];
    for (extra, needle) in cases {
        let e = err(extra);
        println!("{e}");
        assert!(e.contains(needle), "expected {needle:?} in: {e}");
    }
}

/// The IABP's diastolic peak is its own metric, `augmented_diastolic_pressure_mmhg`, not part
/// of the patient's systolic or pulse pressure (issue 11; IABP consoles show the augmented
/// diastolic pressure beside the unassisted systolic one). With the balloon the radial
/// systolic pressure stays the patient's: not above the same patient's without it by more
/// than 10 mmHg (the balloon's peak would be) — it may be lower, the balloon's systolic
/// unloading —, the augmented peak lies above it, and the pulse pressure is systolic minus
/// diastolic.
/// Before, the balloon's peak was the reported systolic pressure.
#[test]
fn iabp_peak_is_reported_as_augmented_diastolic_pressure() {
    let off = ami("", 2600.0, "");
    let on = ami("", 2600.0, "[[devices]]\nkind = \"iabp\"\n");
    let (sbp_off, sbp_on) = (num(&off, "sbp_mmhg"), num(&on, "sbp_mmhg"));
    let aug = num(&on, "augmented_diastolic_pressure_mmhg");
    println!("SBP {sbp_off:.1} -> {sbp_on:.1}, augmented diastolic {aug:.1} mmHg");
    assert!(
        off.get("augmented_diastolic_pressure_mmhg").is_none(),
        "absent without an IABP"
    );
    assert!(sbp_on < sbp_off + 10.0);
    assert!(aug > sbp_on + 10.0);
    let pp = num(&on, "pulse_pressure_mmhg");
    assert!((pp - (sbp_on - num(&on, "dbp_mmhg"))).abs() < 1e-9);
}
