//! The validation table of `docs/methodology/validation.md`, one test per row.
//!
//! Each test runs the scenario of its row, prints ecmova's value next to the published one,
//! and asserts the row's verdict: `inside` rows assert that the model is inside the published
//! mean ± 2 SD (or range); `outside` rows assert that it is outside, i.e. they pin a known
//! gap, so that a change of the model that closes (or opens) a gap fails here and the table
//! must be updated with it. Published numbers are copied here with their source; the tests
//! read nothing outside the repository.

use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use serde_json::Value;

/// Summary JSON (last 5 beats) of a scenario.
fn summary(toml: &str) -> Value {
    let built = build(&Scenario::from_toml(toml).expect("scenario")).expect("model");
    let out = run(&built, RunOptions::default()).expect("run");
    summary_json(&built, &out)
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Body surface area of the presets' 70 kg, 175 cm adult, m² (as in `normal_ranges.rs`).
const BSA_M2: f64 = 1.9;

/// A preset without support, 60 s.
fn unsupported(preset: &str, extra: &str) -> Value {
    summary(&format!(
        "[patient]\npreset = \"{preset}\"\n{extra}\n[simulation]\nduration_s = 60\n"
    ))
}

/// A preset on femoro-femoral VA-ECMO at the pump speed that gives `flow_l_min` (found by
/// bisection: the flow is the input the studies set, so it is asserted, not tuned), 90 s.
fn on_ecmo_at_flow(preset: &str, extra: &str, flow_l_min: f64) -> Value {
    on_ecmo_at_flow_with_rpm(preset, extra, flow_l_min).0
}

/// A preset on femoro-femoral VA-ECMO at `rpm` with extra scenario text after `[ecmo]`.
fn on_ecmo_at_rpm(preset: &str, extra: &str, rpm: f64, after: &str) -> Value {
    summary(&format!(
        "[patient]\npreset = \"{preset}\"\n{extra}\n[ecmo]\nenabled = true\n\
         cannulation = \"femoro-femoral\"\npump_rpm = {rpm}\n{after}[simulation]\nduration_s = 90\n"
    ))
}

/// [`on_ecmo_at_flow`] with the pump speed found.
fn on_ecmo_at_flow_with_rpm(preset: &str, extra: &str, flow_l_min: f64) -> (Value, f64) {
    let at = |rpm: f64| on_ecmo_at_rpm(preset, extra, rpm, "");
    let (mut lo, mut hi) = (1200.0, 5000.0);
    let mut best_rpm = 0.5 * (lo + hi);
    let mut best = at(best_rpm);
    for _ in 0..9 {
        let mid = 0.5 * (lo + hi);
        best = at(mid);
        best_rpm = mid;
        if num(&best, "ecmo_flow_l_min") < flow_l_min {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let q = num(&best, "ecmo_flow_l_min");
    assert!((q - flow_l_min).abs() < 0.1, "flow {q} for {flow_l_min}");
    (best, best_rpm)
}

/// Kalra R et al., "Left ventricular hemodynamics with veno-arterial extracorporeal membrane
/// oxygenation", Catheter Cardiovasc Interv 2024;103:472-481: 20 patients on peripheral
/// VA-ECMO for refractory cardiogenic shock (SCAI D-E, LVEF 20 %), invasive LV
/// catheterisation and 3D echo at the highest (4.0 ± 0.6) and lowest tolerated (1.5 ± 0.6
/// L/min) flows.
mod kalra_2024 {
    pub const FLOW_LOW: f64 = 1.5;
    pub const FLOW_HIGH: f64 = 4.0;
    /// LVEDP, mmHg (mean, SD) at low and high flow.
    pub const LVEDP: [(f64, f64); 2] = [(19.0, 9.0), (14.0, 9.0)];
    /// LVEDV, mL.
    pub const LVEDV: [(f64, f64); 2] = [(134.0, 93.0), (109.0, 81.0)];
    /// MAP, mmHg.
    pub const MAP: [(f64, f64); 2] = [(75.0, 14.0), (80.0, 16.0)];
    /// LVEF at full support, % (median, IQR 15-27).
    pub const LVEF_RANGE: (f64, f64) = (15.0, 27.0);
}

fn kalra_pair() -> (Value, Value) {
    (
        on_ecmo_at_flow("cardiogenic-shock-ami", "", kalra_2024::FLOW_LOW),
        on_ecmo_at_flow("cardiogenic-shock-ami", "", kalra_2024::FLOW_HIGH),
    )
}

/// Row 1: CI of AMI shock against the Critical Care Cardiology Trials Network registry
/// (Berg DD et al., 1473 cardiogenic-shock admissions with a PA catheter within 24 h: median
/// CI 1.9, IQR 1.6-2.4 L/min/m²). Inside.
#[test]
fn row01_ami_cardiac_index_ccctn() {
    let s = unsupported("cardiogenic-shock-ami", "");
    let ci = num(&s, "cardiac_output_l_min") / BSA_M2;
    println!("CI {ci:.2} L/min/m² vs 1.9 (1.6-2.4)");
    assert!((1.6..=2.4).contains(&ci));
}

/// Row 2: MAP of AMI shock against the same registry (median 74, IQR 66-86 mmHg). Inside.
#[test]
fn row02_ami_map_ccctn() {
    let s = unsupported("cardiogenic-shock-ami", "");
    let map = num(&s, "map_mmhg");
    println!("MAP {map:.1} mmHg vs 74 (66-86)");
    assert!((66.0..=86.0).contains(&map));
}

/// Row 3: left and right filling pressures of AMI shock together: PCWP 20-25 and RAP 12-15
/// mmHg (the targets of issue 11 for AMI-shock cohorts), and RAP/PCWP < 0.8 (no SCAI RV
/// criterion: an LV-dominant shock). Inside.
#[test]
fn row03_ami_filling_pressures() {
    let s = unsupported("cardiogenic-shock-ami", "");
    let (lap, cvp) = (num(&s, "lap_mmhg"), num(&s, "cvp_mmhg"));
    println!(
        "PCWP {lap:.1} (20-25), RAP {cvp:.1} (12-15), RAP/PCWP {:.2}",
        cvp / lap
    );
    assert!((20.0..=25.0).contains(&lap) && (12.0..=15.0).contains(&cvp));
    assert!(cvp / lap < 0.8);
}

/// Row 4: Kalra 2024, LVEDP from 1.5 to 4.0 L/min: published 19 ± 9 → 14 ± 9 mmHg (falls,
/// p < 0.001). Inside: the model's LVEDP falls (the preload regime: venous drainage lowers
/// the RV's output more than the higher afterload raises the LV's end-systolic volume), and
/// both values lie inside mean ± 2 SD.
#[test]
fn row04_kalra_lvedp_falls_with_flow() {
    let (lo, hi) = kalra_pair();
    let (a, b) = (num(&lo, "lvedp_mmhg"), num(&hi, "lvedp_mmhg"));
    println!(
        "LVEDP {a:.1} -> {b:.1} mmHg vs {:?} -> {:?}",
        kalra_2024::LVEDP[0],
        kalra_2024::LVEDP[1]
    );
    assert!(b < a, "LVEDP must fall as flow rises: {a} -> {b}");
    for (x, (m, sd)) in [(a, kalra_2024::LVEDP[0]), (b, kalra_2024::LVEDP[1])] {
        assert!((x - m).abs() <= 2.0 * sd, "{x} vs {m} ± 2·{sd}");
    }
}

/// Row 5: Kalra 2024, LVEDV from 1.5 to 4.0 L/min: 134 ± 93 → 109 ± 81 mL (falls by 19 %,
/// p = 0.001). Direction inside (the model's LVEDV falls); size outside: the model's stiff
/// acute LV (EDPVR B 0.064 /mL) changes its volume by under 5 % for the same fall in
/// pressure (row 4), against 19 % in the patients.
#[test]
fn row05_kalra_lvedv_falls_with_flow() {
    let (lo, hi) = kalra_pair();
    let (a, b) = (num(&lo, "lvedv_ml"), num(&hi, "lvedv_ml"));
    println!(
        "LVEDV {a:.1} -> {b:.1} mL vs {:?} -> {:?}",
        kalra_2024::LVEDV[0],
        kalra_2024::LVEDV[1]
    );
    assert!(b < a, "LVEDV must fall as flow rises: {a} -> {b}");
    let fall = 100.0 * (1.0 - b / a);
    println!("fall {fall:.1} % vs 19 %");
    assert!(
        fall < 5.0,
        "known gap (size) closed? update validation.md: {fall} %"
    );
}

/// Row 6: Kalra 2024, MAP at 1.5 and 4.0 L/min: 75 ± 14 and 80 ± 16 mmHg (stable, p =
/// 0.08). The model's values at each flow are inside mean ± 2 SD, but its rise is larger
/// than the published 5 mmHg (printed; the rise is the lever of the afterload regime).
#[test]
fn row06_kalra_map_at_both_flows() {
    let (lo, hi) = kalra_pair();
    let (a, b) = (num(&lo, "map_mmhg"), num(&hi, "map_mmhg"));
    println!(
        "MAP {a:.1} -> {b:.1} mmHg (rise {:.1}) vs {:?} -> {:?}",
        b - a,
        kalra_2024::MAP[0],
        kalra_2024::MAP[1]
    );
    for (x, (m, sd)) in [(a, kalra_2024::MAP[0]), (b, kalra_2024::MAP[1])] {
        assert!((x - m).abs() <= 2.0 * sd, "{x} vs {m} ± 2·{sd}");
    }
    assert!(b - a > 5.0, "known gap closed? update validation.md");
}

/// Row 7: Kalra 2024, LVEF at full support (4 L/min): median 20 %, IQR 15-27 %. Inside: the
/// LV keeps ejecting every beat.
#[test]
fn row07_kalra_lvef_at_full_flow() {
    let (_, hi) = kalra_pair();
    let ef = num(&hi, "lvef_percent");
    let opens = num(&hi, "aortic_valve_opening_fraction");
    println!("LVEF {ef:.1} % (valve opens in {opens:.0} of beats) vs 20 (15-27)");
    assert!(
        (kalra_2024::LVEF_RANGE.0..=kalra_2024::LVEF_RANGE.1).contains(&ef),
        "{ef}"
    );
    assert!(opens > 0.99, "the LV still ejects at 4 L/min");
}

/// Row 8: ECPR patients after ROSC on VA-ECMO ("Left ventricular energetics in patients
/// receiving veno-arterial extracorporeal membrane oxygenation for extracorporeal
/// cardiopulmonary resuscitation", 15 patients, invasive LV catheter + 3D echo): from 4.0
/// to 2.0 L/min LVEDV rose 85 → 106 mL and LVEDP 14 → 17 mmHg (medians). The AMI heart on
/// ECMO: direction inside (the LV grows as flow falls), size outside (+1-2 % against +25 %,
/// the stiff acute LV of row 5).
#[test]
fn row08_ecpr_lvedv_rises_as_flow_falls() {
    let lo = on_ecmo_at_flow("cardiogenic-shock-ami", "", 2.0);
    let hi = on_ecmo_at_flow("cardiogenic-shock-ami", "", 4.0);
    let (a, b) = (num(&hi, "lvedv_ml"), num(&lo, "lvedv_ml"));
    println!("LVEDV at 4.0 L/min {a:.1}, at 2.0 L/min {b:.1} mL vs 85 -> 106");
    assert!(b > a, "LVEDV must rise as flow falls: {a} -> {b}");
    assert!(
        b / a < 1.10,
        "known gap (size) closed? update validation.md: {a} -> {b}"
    );
}

/// Row 9: severe-failure regime (LV contractility ×0.4) against heart-failure swine (Hala P
/// et al., J Transl Med 2020;18:75): raising ECMO flow raises LVEDP (7 ± 2 → 15 ± 3 mmHg)
/// and LVEDV (189 ± 26 → 218 ± 30 mL). Direction reproduced (inside).
#[test]
fn row09_severe_failure_lv_distends_with_flow() {
    let weak = "lv_contractility_scale = 0.4";
    let lo = on_ecmo_at_flow("cardiogenic-shock-ami", weak, 1.5);
    let hi = on_ecmo_at_flow("cardiogenic-shock-ami", weak, 4.0);
    let (p0, p1) = (num(&lo, "lvedp_mmhg"), num(&hi, "lvedp_mmhg"));
    let (v0, v1) = (num(&lo, "lvedv_ml"), num(&hi, "lvedv_ml"));
    println!("severe failure: LVEDP {p0:.1} -> {p1:.1} mmHg, LVEDV {v0:.1} -> {v1:.1} mL");
    assert!(p1 > p0 && v1 > v0);
}

/// Row 10: severe-failure regime against acute cardiogenic-shock swine (Ostadal P et al., J
/// Transl Med 2015;13:266): raising ECMO flow from 1 to 5 L/min raised SBP (60 ± 7 → 97 ± 8
/// mmHg) and lowered LV stroke volume and ejection fraction. Direction reproduced (inside).
#[test]
fn row10_severe_failure_sbp_rises_stroke_volume_falls() {
    let weak = "lv_contractility_scale = 0.4";
    let lo = on_ecmo_at_flow("cardiogenic-shock-ami", weak, 1.5);
    let hi = on_ecmo_at_flow("cardiogenic-shock-ami", weak, 4.0);
    let (s0, s1) = (num(&lo, "sbp_mmhg"), num(&hi, "sbp_mmhg"));
    let (sv0, sv1) = (
        num(&lo, "lv_stroke_volume_ml"),
        num(&hi, "lv_stroke_volume_ml"),
    );
    println!("severe failure: SBP {s0:.1} -> {s1:.1} mmHg, SV {sv0:.1} -> {sv1:.1} mL");
    assert!(s1 > s0 && sv1 < sv0);
}

/// Row 11: severe-failure regime against heart-failure swine (Physiol Res 2020;69:609,
/// table 2): CVP fell 7.5 → 5.1 mmHg as ECMO flow rose from 1 to 4 L/min. Direction
/// reproduced (inside); the model's fall is smaller.
#[test]
fn row11_severe_failure_cvp_falls_with_flow() {
    let weak = "lv_contractility_scale = 0.4";
    let lo = on_ecmo_at_flow("cardiogenic-shock-ami", weak, 1.5);
    let hi = on_ecmo_at_flow("cardiogenic-shock-ami", weak, 4.0);
    let (c0, c1) = (num(&lo, "cvp_mmhg"), num(&hi, "cvp_mmhg"));
    println!("severe failure: CVP {c0:.1} -> {c1:.1} mmHg vs 7.5 -> 5.1");
    assert!(c1 < c0);
}

/// Row 12: healthy LVEDV against CMR in men (Hudsmith LE et al., J Cardiovasc Magn Reson
/// 2005;7:775: 160 ± 29 mL). Inside mean ± 2 SD.
#[test]
fn row12_healthy_lvedv_hudsmith() {
    let s = unsupported("healthy-adult", "");
    let v = num(&s, "lvedv_ml");
    println!("LVEDV {v:.1} mL vs 160 ± 29");
    assert!((v - 160.0).abs() <= 2.0 * 29.0);
}

/// Row 13: induced VF in patients (Schipke JD et al., Am J Physiol Heart Circ Physiol
/// 2003;285:H2510, 82 patients): arterial pressure after 13 s of VF 24.2 ± 5.3 mmHg.
/// Outside: no critical closing pressure in the model's systemic beds (docs).
#[test]
fn row13_schipke_arterial_pressure_after_13_s_of_vf() {
    let s = summary(
        "[patient]\npreset = \"healthy-adult\"\n[[events]]\nat_s = 40\naction = \"arrest\"\n\
         rhythm = \"vf\"\n[simulation]\nduration_s = 53\n",
    );
    // The last 5 analysis windows (beats of 0.86 s) end at 53 s: ~9-13 s of VF.
    let map = num(&s, "map_mmhg");
    println!("arterial pressure 9-13 s into VF {map:.1} mmHg vs 24.2 ± 5.3");
    assert!(
        map < 24.2 - 2.0 * 5.3,
        "known gap closed? update validation.md: {map}"
    );
}

/// Row 14: VF on full femoral VA-ECMO fills the arrested LV over minutes (LV distension,
/// the commonest ECPR complication: Burkhoff D et al., J Am Coll Cardiol 2015;66:2663;
/// bronchial return ~1 % of CO, Deffebach ME et al., Am Rev Respir Dis 1987;135:463): LAP
/// above 15 mmHg after 5 minutes (issue 11 criterion). Inside.
#[test]
fn row14_vf_on_ecmo_distends_the_lv() {
    let s = summary(
        "[patient]\npreset = \"refractory-vf-arrest\"\n[ecmo]\nenabled = true\n\
         cannulation = \"femoro-femoral\"\npump_rpm = 3500\n[simulation]\nduration_s = 300\n",
    );
    let lap = num(&s, "lap_mmhg");
    println!("LAP after 5 min of VF on ECMO {lap:.1} mmHg (> 15)");
    assert!(lap > 15.0);
}

/// Row 15: IABP 1:1 on VA-ECMO (Fister M, Goslar T, Radsel P, Noc M, J Clin Med
/// 2025;14:3687: 26 patients with cardiogenic shock on VA-ECMO, IABP 1:1 against no
/// augmentation at the same ECMO settings): LV velocity-time integral +8.1 % (p = 0.023), LV
/// diameters unchanged. Same pump speed (the one giving 3.0 L/min without the balloon), 40 mL
/// balloon in the thoracic aorta. The LV size is unchanged and the stroke-volume gain is of
/// the published size (inside: within a factor of two of +8.1 %, the abstract gives no
/// spread). It was +35 % before R-wave deflation and 100 ms ramps removed the ringing of the
/// lumped aorta (`ecmo-circuit.md`), and +18.7 % with the first AMI recalibration, whose
/// LV ejected little and lost 1.4 mL of stroke volume per mmHg of afterload; the session-3
/// AMI LV (steeper ESPVR) loses less. The balloon's peak is reported as
/// `augmented_diastolic_pressure_mmhg`, above the patient's own systolic pressure, and is
/// absent without a balloon.
#[test]
fn row15_fister_iabp_on_ecmo() {
    let (off, rpm) = on_ecmo_at_flow_with_rpm("cardiogenic-shock-ami", "", 3.0);
    let on = on_ecmo_at_rpm(
        "cardiogenic-shock-ami",
        "",
        rpm,
        "[[devices]]\nkind = \"iabp\"\n",
    );
    let sv = |v: &Value| num(v, "lv_stroke_volume_ml");
    let gain = 100.0 * (sv(&on) / sv(&off) - 1.0);
    let dv = 100.0 * (num(&on, "lvedv_ml") / num(&off, "lvedv_ml") - 1.0);
    let (aug, sbp) = (
        num(&on, "augmented_diastolic_pressure_mmhg"),
        num(&on, "sbp_mmhg"),
    );
    println!(
        "IABP at {rpm:.0} rpm: LV SV {:.1} -> {:.1} mL ({gain:+.1} % vs +8.1 %), LVEDV \
         {dv:+.1} % (unchanged), SBP {:.1} -> {sbp:.1}, augmented diastolic {aug:.1} mmHg",
        sv(&off),
        sv(&on),
        num(&off, "sbp_mmhg")
    );
    assert!(dv.abs() < 5.0, "LV size: {dv} %");
    assert!(gain > 8.1 / 2.0 && gain < 8.1 * 2.0, "SV gain {gain} %");
    assert!(aug > sbp && off.get("augmented_diastolic_pressure_mmhg").is_none());
}

/// Row 18: the RV with the IABP on VA-ECMO (Fister M, Goslar T, Radsel P, Noc M, J Clin Med
/// 2025;14:3687, 26 patients, IABP 1:1 against no augmentation at the same ECMO settings):
/// right-ventricular end-diastolic base diameter −4.7 % (p = 0.05). ecmova gives RVEDV; the
/// diameter change is taken as the cube root of the volume ratio (a sphere's, an
/// approximation for the crescent RV). Verdict: inside if the RV gets smaller by at least half
/// the published mean (no SD in the abstract); it does not (outside, a pinned gap).
#[test]
fn row18_fister_iabp_rv_diameter_on_ecmo() {
    const PUBLISHED_PERCENT: f64 = -4.7;
    let (off, rpm) = on_ecmo_at_flow_with_rpm("cardiogenic-shock-ami", "", 3.0);
    let on = on_ecmo_at_rpm(
        "cardiogenic-shock-ami",
        "",
        rpm,
        "[[devices]]\nkind = \"iabp\"\n",
    );
    let ratio = num(&on, "rvedv_ml") / num(&off, "rvedv_ml");
    let d = 100.0 * (ratio.cbrt() - 1.0);
    println!(
        "IABP at {rpm:.0} rpm: RVEDV {:.1} -> {:.1} mL, diameter {d:+.2} % vs {PUBLISHED_PERCENT} %; \
         CVP {:.1} -> {:.1} mmHg",
        num(&off, "rvedv_ml"),
        num(&on, "rvedv_ml"),
        num(&off, "cvp_mmhg"),
        num(&on, "cvp_mmhg")
    );
    // Outside: the model's RV does not get smaller (its filling is set by the venous return
    // and the ECMO drainage, which the balloon does not change; in patients the better LV
    // output and the lower PCWP may lower the RV's afterload and size).
    assert!(
        d > 0.5 * PUBLISHED_PERCENT,
        "known gap closed? update validation.md: {d} %"
    );
}

/// Row 16: where the native and the ECMO streams meet (Stevens MC, Callaghan FM, Forrest P,
/// Bannon PG, Grieve SM, "A computational fluid dynamics study of the extracorporeal membrane
/// oxygenation-failing heart circulation", ASAIO J 2017;63:624: idealised adult aorta with
/// branches, femoral return to the iliac artery): with ECMO at 90 % or more of total flow the
/// watershed is in the aortic arch; at 75 % and 50 % it is in the thoracic aorta. ecmova, the
/// AMI patient on femoro-femoral ECMO over a pump-speed scan, pooled with the same scan of the
/// severely failing LV (contractility ×0.4; the AMI LV keeps ejecting, so its ECMO share stops
/// near 75 %): the zone is reported in the descending thoracic aorta (`thoracic_aorta`) only
/// in a narrow window of ECMO share (about 70-75 %), in the arch above it (holds at 90 %),
/// and in the abdominal aorta below it (the CFD's 50 % case: outside). The lumped tree has no
/// branches on its thoracic compartment but the small bronchial return, so the native stream
/// either stops above it or passes it.
#[test]
fn row16_stevens_watershed_position() {
    let mut zones: Vec<(f64, String)> = Vec::new();
    for patient in ["", "lv_contractility_scale = 0.4"] {
        for rpm in (1800..=4400).step_by(40) {
            let s = on_ecmo_at_rpm("cardiogenic-shock-ami", patient, rpm as f64, "");
            let qe = num(&s, "ecmo_flow_l_min");
            let share = qe / (qe + num(&s, "cardiac_output_l_min"));
            zones.push((share, s["mixing_zone"].as_str().unwrap_or("").to_string()));
        }
    }
    let at = |target: f64| {
        zones
            .iter()
            .min_by(|a, b| (a.0 - target).abs().total_cmp(&(b.0 - target).abs()))
            .map(|z| (z.0, z.1.clone()))
            .unwrap()
    };
    let thoracic: Vec<f64> = zones
        .iter()
        .filter(|z| z.1 == "thoracic_aorta")
        .map(|z| z.0)
        .collect();
    let (s50, z50) = at(0.5);
    let (s90, z90) = at(0.9);
    println!(
        "thoracic aorta reported at ECMO shares {:?}; at {:.2}: {z50}; at {:.2}: {z90}",
        thoracic, s50, s90
    );
    assert!(
        !thoracic.is_empty(),
        "the watershed can be reported in the thoracic aorta"
    );
    assert!(
        (s90 - 0.9).abs() < 0.03,
        "the scan must reach a 90 % share: {s90}"
    );
    assert!(z90 == "aortic_arch" || z90 == "aortic_root", "{z90}");
    assert_eq!(
        z50, "abdominal_aorta",
        "known gap closed? update validation.md"
    );
}

/// Row 19: the venous return of patients in acute circulatory failure (Guérin L, Teboul JL,
/// Persichini R et al., "Effects of passive leg raising and volume expansion on mean systemic
/// pressure and venous return in shock in humans", Crit Care 2015;19:411; 30 patients):
/// mean systemic pressure 25 ± 13 mmHg (fluid responders before leg raising) and resistance
/// to venous return 5.1 ± 2.6 mmHg·min·m²/L (intra-abdominal-hypertension subgroup; the
/// abstract prints the unit as "mmHg/min/m2/mL", read here as indexed mmHg·min/L). ecmova: the
/// AMI patient's mean systemic filling pressure is the pressure of its venous reservoir 40 s
/// into VF without flow (the `refractory-vf-arrest` preset: the same patient, arrested), and
/// its resistance to venous return (Pmsf − RAP)/CO, indexed to 1.9 m², with the beating
/// heart. Inside, both. (The spread is wide: the healthy adult's venous return, which the
/// other shock presets keep, gives 1.2 mmHg·min·m²/L, also inside 2 SD but at a quarter of the
/// mean; presets.md.)
#[test]
fn row19_guerin_venous_return_in_shock() {
    let arrested =
        summary("[patient]\npreset = \"refractory-vf-arrest\"\n[simulation]\nduration_s = 40\n");
    let beating = unsupported("cardiogenic-shock-ami", "");
    let pmsf = num(&arrested, "cvp_mmhg");
    let rvr_indexed =
        (pmsf - num(&beating, "cvp_mmhg")) / num(&beating, "cardiac_output_l_min") * BSA_M2;
    println!("Pmsf {pmsf:.1} mmHg vs 25 ± 13; Rvr {rvr_indexed:.2} mmHg·min·m²/L vs 5.1 ± 2.6");
    assert!((pmsf - 25.0).abs() <= 2.0 * 13.0, "{pmsf}");
    assert!((rvr_indexed - 5.1).abs() <= 2.0 * 2.6, "{rvr_indexed}");
}

/// Row 20: resting coronary blood flow in the healthy adult averages about 225 mL/min, 4-5 %
/// of the cardiac output (Guyton AC, Hall JE, Textbook of Medical Physiology, chapter "Muscle
/// blood flow and cardiac output during exercise; the coronary circulation"). A textbook
/// figure without an SD: asserted as the published share ± 10 % (3.6-5.5 %) and the flow
/// within 150-300 mL/min. The preset's coronary resistance (23.6 mmHg·s/mL) was set from the
/// resting distribution of cardiac output, so this row checks that calibration through the
/// new metric (the mean of the step-mean coronary flows), not an independent prediction.
#[test]
fn row20_healthy_coronary_flow_guyton() {
    let s = unsupported("healthy-adult", "");
    let q = num(&s, "coronary_flow_ml_min");
    let share = q / (1000.0 * num(&s, "cardiac_output_l_min"));
    println!(
        "coronary flow {q:.0} mL/min, {:.2} % of CO vs ~225 mL/min, 4-5 %",
        100.0 * share
    );
    assert!((150.0..=300.0).contains(&q), "{q}");
    assert!((0.036..=0.055).contains(&share), "{share}");
}
