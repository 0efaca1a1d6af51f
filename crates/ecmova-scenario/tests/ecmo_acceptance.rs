//! VA-ECMO acceptance: the circuit's physiology against the published directions.
//!
//! Each test runs whole scenarios through the public API (`build`, `run`, `summary_json`); one
//! `summary` helper is the only place that does, so the tests read as tables of cases.
//! Sources are cited per test. Where a test picks a pump speed to obtain a flow ("about 1
//! L/min"), the flow is asserted as a precondition: inputs are chosen, outcomes are not tuned.

use ecmova_engine::devices::{cannula::femoral, Cannula, CannulaKind};
use ecmova_scenario::summary::summary_json;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use serde_json::Value;

/// Runs a scenario and returns its summary JSON (last 5 beats).
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

fn alarms(v: &Value) -> Vec<String> {
    v["alarms"]
        .as_array()
        .expect("alarms")
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

/// A cardiogenic-shock-ami patient on ECMO, 60 s (enough for the haemodynamics and the gases
/// of the 5 averaged beats to settle: the steady-state detector reports beat ~40-70).
fn ami_on_ecmo(patient_extra: &str, rpm: f64, cannulation: &str) -> Value {
    summary(&format!(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\n{patient_extra}\n\
         [ecmo]\nenabled = true\npump_rpm = {rpm}\ncannulation = \"{cannulation}\"\n\
         [simulation]\nduration_s = 60\n"
    ))
}

/// Single-lumen femoral cannulae reproduce the whole-blood bench data they were built from
/// (Noe MA et al., J Extra Corpor Technol 1989;21(Suppl):67-75) within 10 % (issue tolerance
/// for cannulae): the two reference points, and the flow ratio of the same-manufacturer pair
/// that fixes the French-size exponent (16 vs 19 Fr at the same 200 mmHg drop).
#[test]
fn femoral_cannulae_reproduce_their_blood_data() {
    for (kind, fr, q_l_min, dp_mmhg) in femoral::REFERENCES {
        let k = if kind == "return" {
            CannulaKind::Return
        } else {
            CannulaKind::Drainage
        };
        let model = Cannula::femoral(k, fr).unwrap().dp_mmhg(q_l_min / 0.06);
        let err = (model - dp_mmhg).abs() / dp_mmhg;
        println!(
            "{kind} {fr} Fr at {q_l_min} L/min: model {model:.1} vs {dp_mmhg} mmHg ({:.1} %)",
            100.0 * err
        );
        assert!(err <= 0.10, "{kind} {fr} Fr: {model} vs {dp_mmhg}");
    }
    let [(fr_a, q_a), (fr_b, q_b)] = femoral::EXPONENT_PAIR;
    let flow_at_200 = |fr: f64| {
        Cannula::femoral(CannulaKind::Return, fr)
            .unwrap()
            .flow_ml_s(200.0)
            * 0.06
    };
    let (ratio_model, ratio_data) = (flow_at_200(fr_a) / flow_at_200(fr_b), q_a / q_b);
    println!(
        "flow ratio {fr_a}/{fr_b} Fr at 200 mmHg: model {ratio_model:.3} vs data {ratio_data:.3}"
    );
    assert!((ratio_model / ratio_data - 1.0).abs() <= 0.10);
}

/// Raising ECMO flow from about 1 to about 4.5 L/min raises MAP and total flow and lowers LV
/// stroke volume and aortic pulse pressure in both regimes (Burkhoff D et al., J Am Coll
/// Cardiol 2015;66:2663; Ostadal P et al., J Transl Med 2015;13:266, swine: SBP 60 → 97
/// mmHg, SV 48 → 40 mL, LVESV 64 → 83 mL); what happens to LV preload depends on the heart
/// (issue 11):
/// - the acute-MI patient (`cardiogenic-shock-ami`), whose LV still ejects against the
///   higher afterload and whose RV output falls as the circuit drains the veins: LVEDP and
///   LVEDV fall (the preload regime of patients: Kalra R et al., Catheter Cardiovasc Interv
///   2024;103:472, LVEDP 19 → 14 mmHg, LVEDV 134 → 109 mL from 1.5 to 4.0 L/min);
/// - a severely failing LV (contractility ×0.4): LVEDP and LVEDV rise (the afterload regime
///   of animal models: Hala P et al., J Transl Med 2020;18:75).
#[test]
fn raising_ecmo_flow_unloads_the_ami_lv_and_loads_a_severely_failing_one() {
    for (patient, preload_rises) in [("", false), ("lv_contractility_scale = 0.4", true)] {
        let low = ami_on_ecmo(patient, 1650.0, "femoro-femoral");
        let high = ami_on_ecmo(patient, 3500.0, "femoro-femoral");
        let (ql, qh) = (num(&low, "ecmo_flow_l_min"), num(&high, "ecmo_flow_l_min"));
        assert!(
            (0.6..=1.7).contains(&ql),
            "precondition: about 1 L/min, got {ql}"
        );
        assert!(
            (4.0..=5.0).contains(&qh),
            "precondition: about 4.5 L/min, got {qh}"
        );
        for (key, rises) in [
            ("map_mmhg", true),
            ("total_flow_l_min", true),
            ("lv_stroke_volume_ml", false),
            ("pulse_pressure_aortic_root_mmhg", false),
            ("pulse_pressure_mmhg", false),
            ("lvesv_ml", true),
            ("lvedp_mmhg", preload_rises),
            ("lvedv_ml", preload_rises),
        ] {
            let (a, b) = (num(&low, key), num(&high, key));
            println!("[{patient}] {key}: {a:.2} at {ql:.2} L/min -> {b:.2} at {qh:.2} L/min");
            assert!(
                if rises { b > a } else { b < a },
                "[{patient}] {key} should {} with ECMO flow: {a} -> {b}",
                if rises { "rise" } else { "fall" }
            );
        }
    }
}

/// At low pump speed the head cannot hold the arterial pressure and the circuit flows
/// backwards, from the femoral artery into the vein; the model says so.
#[test]
fn low_rpm_gives_retrograde_circuit_flow_and_its_alarm() {
    let s = ami_on_ecmo("", 1000.0, "femoro-femoral");
    let q = num(&s, "ecmo_flow_l_min");
    println!(
        "1000 rpm: circuit flow {q:.2} L/min, alarms {:?}",
        alarms(&s)
    );
    assert!(q < -0.05, "flow should be retrograde, got {q}");
    assert!(alarms(&s).contains(&"retrograde_circuit_flow".to_string()));
    // And at a normal speed it is forward, without that alarm.
    let s = ami_on_ecmo("", 3000.0, "femoro-femoral");
    assert!(num(&s, "ecmo_flow_l_min") > 2.0);
    assert!(!alarms(&s).contains(&"retrograde_circuit_flow".to_string()));
}

/// Excessive speed with a low blood volume collapses the drained vein: the suction alarm
/// fires and flow stops rising with rpm while the drainage pressure plunges (venous collapse
/// limits drainage: `../shared/reference/physiology.md`, "drainage is limited when vena cava /
/// right atrial pressure approaches zero; the drainage line pressure then falls steeply").
#[test]
fn excessive_rpm_with_low_volume_raises_suction_and_flow_stops_rising() {
    // Half the preset's blood volume (2750 mL). The input puts the patient into suction (the
    // alarms below are the precondition). It was 0.75 of the preset before issue 11; the
    // recalibrated `cardiogenic-shock-ami` holds ~1 L more stressed volume (venous unstressed
    // volumes ×0.40, 5500 mL), so 0.75 of it no longer drains the vein to collapse.
    let hypovolaemic = "blood_volume_scale = 0.5";
    let a = ami_on_ecmo(hypovolaemic, 3500.0, "femoro-femoral");
    let b = ami_on_ecmo(hypovolaemic, 5000.0, "femoro-femoral");
    let normal_a = ami_on_ecmo("", 3000.0, "femoro-femoral");
    let normal_b = ami_on_ecmo("", 4000.0, "femoro-femoral");
    let gain_low = num(&b, "ecmo_flow_l_min") - num(&a, "ecmo_flow_l_min");
    let gain_normal = num(&normal_b, "ecmo_flow_l_min") - num(&normal_a, "ecmo_flow_l_min");
    let drop = num(&a, "drainage_pressure_mmhg") - num(&b, "drainage_pressure_mmhg");
    println!(
        "low volume: +1500 rpm buys {gain_low:.2} L/min (drainage pressure falls {drop:.0} mmHg); \
         normal volume: +1000 rpm buys {gain_normal:.2} L/min"
    );
    for s in [&a, &b] {
        assert!(
            alarms(s).contains(&"drainage_suction".to_string()),
            "{:?}",
            alarms(s)
        );
    }
    assert!(!alarms(&normal_a).contains(&"drainage_suction".to_string()));
    // Flow has stopped rising: per 1000 rpm it gains less than a third of what it gains with a
    // normal volume, under 0.5 L/min in all, while the suction deepens by > 100 mmHg.
    let (per_krpm_low, per_krpm_normal) = (gain_low / 1.5, gain_normal / 1.0);
    assert!(
        gain_low < 0.5 && per_krpm_low < per_krpm_normal / 3.0,
        "{per_krpm_low} vs {per_krpm_normal} L/min per 1000 rpm"
    );
    assert!(drop > 100.0, "drainage pressure fell only {drop} mmHg");
}

/// Preload-limited flow plateaus with rpm (issue 11). Once the drained vein collapses at the
/// cannula tip it behaves as a Starling resistor (vascular waterfall: Permutt S, Riley RL,
/// J Appl Physiol 1963;18:924-32; flow limitation in collapsible tubes: Shapiro AH, J Biomech
/// Eng 1977;99:126-47): the flow is set by what the veins deliver at the collapse pressure,
/// not by the suction behind it, so more pump speed deepens the drainage pressure (the
/// bedside "chatter" and plunging inlet pressure, `../shared/reference/physiology.md`, venous
/// collapse) and buys almost no flow. Hypovolaemic AMI patients on femoro-femoral ECMO,
/// 2000-5000 rpm in 500 rpm steps, blood volume ×0.7 down to ×0.5. Collapse onset is the
/// lowest speed at which the drained vein's pressure has reached the point where its collapse
/// doubles the drainage cannula's resistance (read from the engine's law, not from a run).
///
/// The plateau is asserted for the largest blood volume whose collapse starts inside the scan
/// (open at 2000 rpm, collapsed by 4000 rpm, so the flow at the onset is known and at least
/// 1000 rpm lie beyond it; the choice
/// follows the preset's calibration, not a number of it): from the onset to 5000 rpm the
/// flow rises by less than X = 0.5 L/min, the step in which flow is titrated at the bedside.
/// An ideal waterfall gives 0; the smoothed law lets the drained pressure move a few tenths
/// of a mmHg more (it spans ~6 × its 0.1 mmHg width), which the venous-return curve turns
/// into a few tenths of a L/min (measured: +0.38 L/min, +11 %, at ×0.7 with the session-3
/// AMI patient, against +2.2-fold before the fix).
/// Before the fix (width 0.5 mmHg) the vein was "collapsing" (resistance ×2) from 3 mmHg and
/// the flow at blood volume ×0.6 rose 2.2-fold over 2000-5000 rpm (1.24 → 2.77 L/min at
/// −660 mmHg). Every case, collapsed or not, keeps a bounded drainage pressure.
///
/// Not asserted (a known gap, `ecmo-circuit.md`): with the vein collapsed from the lowest
/// speed (×0.5-0.55) the flow still rises 30-50 % to 5000 rpm, with the drained pressure
/// pinned within 0.2 mmHg: the circuit takes over the RV's preload through the low-resistance
/// IVC-RA junction of the presets, a few hundredths of a mmHg at a time.
#[test]
fn preload_limited_flow_plateaus_with_rpm_once_the_drained_vein_collapses() {
    use ecmova_engine::devices::VenousDrainageLimit;
    const X_L_MIN: f64 = 0.5;
    let law = VenousDrainageLimit::DEFAULT;
    // m(p) = 1 + (m_max − 1)/(1 + exp((p − p_c)/w)) = 2  ⇔  p = p_c + w·ln(m_max − 2).
    let p_onset = law.p_collapse_mmhg + law.width_mmhg * (law.max_multiplier - 2.0).ln();
    let mut asserted = false;
    for scale in [0.7, 0.65, 0.6, 0.55, 0.5] {
        let runs: Vec<(f64, Value)> = (2000..=5000)
            .step_by(500)
            .map(|rpm| {
                let rpm = f64::from(rpm);
                let patient = format!("blood_volume_scale = {scale}");
                (rpm, ami_on_ecmo(&patient, rpm, "femoro-femoral"))
            })
            .collect();
        for (rpm, s) in &runs {
            let d = num(s, "drainage_pressure_mmhg");
            println!(
                "blood volume ×{scale}, {rpm:.0} rpm: flow {:.2} L/min (native {:.2}), drainage \
                 {d:.0} mmHg, drained vein min {:.2} mmHg",
                num(s, "ecmo_flow_l_min"),
                num(s, "cardiac_output_l_min"),
                num(s, "drained_vein_pressure_min_mmhg")
            );
            // Bounded: the pump inlet cannot fall below the drained vein minus the pump's
            // whole head (the pre-oxygenator pressure stays above the arterial pressure).
            assert!(
                d.is_finite() && d > -num(s, "pump_head_mmhg") - 20.0,
                "×{scale} {rpm} rpm: drainage pressure {d}"
            );
        }
        let collapsed = |s: &Value| num(s, "drained_vein_pressure_min_mmhg") <= p_onset;
        let Some(i) = runs.iter().position(|(_, s)| collapsed(s)) else {
            continue;
        };
        let (rpm_on, on) = &runs[i];
        let (_, top) = runs.last().unwrap();
        let (q_on, q_top) = (num(on, "ecmo_flow_l_min"), num(top, "ecmo_flow_l_min"));
        println!(
            "×{scale}: collapse at {rpm_on:.0} rpm; flow {q_on:.2} -> {q_top:.2} L/min at 5000 \
             rpm ({:+.1} %)",
            100.0 * (q_top / q_on - 1.0)
        );
        // At least 1000 rpm of collapsed range, and an open vein at the lowest speed.
        if asserted || i == 0 || *rpm_on > 4000.0 {
            continue;
        }
        asserted = true;
        assert!(
            q_top - q_on < X_L_MIN,
            "×{scale}: {q_on} L/min at the onset ({rpm_on} rpm) -> {q_top} L/min at 5000 rpm"
        );
        if *rpm_on < 5000.0 {
            // The extra speed goes into suction, not flow.
            assert!(num(top, "drainage_pressure_mmhg") < num(on, "drainage_pressure_mmhg"));
        }
    }
    assert!(
        asserted,
        "no blood volume collapsed the drained vein inside 2000-5000 rpm (onset {p_onset:.2} mmHg)"
    );
}

/// Femoral return with a recovering LV and lungs with a large shunt gives a right-radial
/// SaO2 well below the femoral SaO2 (differential hypoxaemia: the heart ejects native,
/// poorly oxygenated blood into the coronaries and the arch); the same patient with central
/// or axillary return does not. Published: femoral return with severe respiratory failure,
/// radial vs femoral 73 vs 99 % (n = 5), axillary/central 99/99 (J Extra Corpor Technol
/// 2013;45:183-6, PMC4557538, table 2);
/// the watershed sits in the arch when native output is modest (Stevens 2017, ASAIO J).
#[test]
fn femoral_return_gives_differential_hypoxaemia_central_and_axillary_do_not() {
    // Recovering LV (2.4 × the shock preset's Ees: 1.2 mmHg/mL) and a 50 % shunt.
    let patient = "lv_contractility_scale = 2.4\nlung_shunt_fraction = 0.5";
    let femoral = ami_on_ecmo(patient, 2800.0, "femoro-femoral");
    let radial = num(&femoral, "sao2_right_radial_percent");
    let leg = num(&femoral, "sao2_femoral_percent");
    println!(
        "femoro-femoral: right radial {radial:.1} %, femoral {leg:.1} %, mixing zone {}, alarms {:?}",
        femoral["mixing_zone"],
        alarms(&femoral)
    );
    assert!(leg - radial >= 5.0 && radial < 90.0);
    assert!(alarms(&femoral).contains(&"differential_hypoxaemia".to_string()));
    // The coronaries are perfused by the same native blood (Prisco 2021).
    assert!(num(&femoral, "sao2_coronary_percent") < 90.0);
    for cannulation in ["central", "femoro-axillary"] {
        let s = ami_on_ecmo(patient, 2800.0, cannulation);
        let radial = num(&s, "sao2_right_radial_percent");
        println!(
            "{cannulation}: right radial {radial:.1} %, femoral {:.1} %, alarms {:?}",
            num(&s, "sao2_femoral_percent"),
            alarms(&s)
        );
        assert!(!alarms(&s).contains(&"differential_hypoxaemia".to_string()));
        assert!(radial > num(&femoral, "sao2_right_radial_percent") + 3.0);
    }
}

/// Oxygen (and CO2) is conserved: what the lungs and the oxygenator add equals what the
/// tissues consume plus the change in the O2 stored in the blood, at every beat. Tolerance
/// 1e-9 of the stored O2 (~800 mL): rounding over ~10⁵ steps, far below any physiological
/// quantity.
#[test]
fn oxygen_is_conserved_on_ecmo() {
    use ecmova_engine::model::accumulator as acc;
    use ecmova_engine::{step, State};
    let scenario = Scenario::from_toml(
        "[patient]\npreset = \"cardiogenic-shock-ami\"\nlung_shunt_fraction = 0.3\n\
         [ecmo]\nenabled = true\npump_rpm = 3000\n[simulation]\nduration_s = 60\n",
    )
    .unwrap();
    let built = build(&scenario).unwrap();
    let model = &built.model;
    let l = model.layout();
    let mut state = State::new(model);
    let stored0: f64 = state.stored_o2_ml(model);
    let co2_0: f64 = state.vector()[l.co2..l.co2 + l.compartments].iter().sum();
    let mut worst: f64 = 0.0;
    while state.time_s() < 60.0 {
        step(model, &mut state);
        let a = state.gas_accumulators(model);
        let stored = state.stored_o2_ml(model);
        let balance =
            stored - stored0 - (a[acc::LUNG_O2] + a[acc::OXYGENATOR_O2] - a[acc::CONSUMED_O2]);
        let co2: f64 = state.vector()[l.co2..l.co2 + l.compartments].iter().sum();
        let balance_co2 =
            co2 - co2_0 - (a[acc::LUNG_CO2] + a[acc::OXYGENATOR_CO2] + a[acc::PRODUCED_CO2]);
        worst = worst
            .max(balance.abs() / stored0)
            .max(balance_co2.abs() / co2_0);
    }
    let a = state.gas_accumulators(model);
    println!(
        "60 s: lungs {:.1} mL, oxygenator {:.1} mL, consumed {:.1} mL O2; worst relative imbalance {worst:.2e}",
        a[acc::LUNG_O2],
        a[acc::OXYGENATOR_O2],
        a[acc::CONSUMED_O2]
    );
    assert!(
        a[acc::OXYGENATOR_O2] > 50.0,
        "the oxygenator must be doing work"
    );
    assert!(worst < 1e-9, "imbalance {worst}");
}

/// Sanity of the gas model without ECMO (normal adult values in
/// `../shared/reference/physiology.md`: SaO2 95-100 %, SvO2 65-75 %, VO2 ~250, DO2 ~1000
/// mL/min).
#[test]
fn healthy_adult_blood_gases_are_normal() {
    let s = summary("[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 120\n");
    for (key, lo, hi) in [
        ("sao2_right_radial_percent", 95.0, 100.0),
        ("svo2_percent", 65.0, 75.0),
        ("vo2_ml_min", 230.0, 260.0),
        ("do2_ml_min", 800.0, 1200.0),
    ] {
        let v = num(&s, key);
        println!("{key} = {v:.1} (normal {lo}-{hi})");
        assert!((lo..=hi).contains(&v), "{key} = {v}");
    }
    // Without a circuit there is no mixing zone and no circuit key at all.
    let obj = s.as_object().expect("object");
    assert!(!obj.contains_key("mixing_zone") && !obj.contains_key("cannulation"));
}

/// The summary holds one entry per phase (between events), each averaging its own last beats:
/// the story of `examples/ami-femoral-ecmo.toml` (shock, pump started at 20 s, speed raised at
/// 60 s) reads as three phases with rising circuit flow and MAP.
#[test]
fn summary_has_one_entry_per_phase() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ami-femoral-ecmo.toml"
    ))
    .unwrap();
    let s = summary(&text);
    let phases = s["phases"].as_array().expect("phases");
    let labels: Vec<&str> = phases
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    println!("{labels:?}");
    assert_eq!(phases.len(), 3);
    assert_eq!(labels[0], "baseline");
    assert_eq!(labels[1], "ECMO started");
    assert!(
        labels[2].starts_with("ECMO ") && labels[2].ends_with(" rpm"),
        "{}",
        labels[2]
    );
    assert_eq!(phases[1]["start_s"].as_f64().map(f64::round), Some(20.0));
    assert_eq!(phases[2]["start_s"].as_f64().map(f64::round), Some(60.0));
    let metric = |i: usize, k: &str| phases[i]["metrics"][k].as_f64().unwrap();
    assert_eq!(metric(0, "ecmo_flow_l_min"), 0.0);
    assert!(metric(1, "ecmo_flow_l_min") > 2.0);
    assert!(metric(2, "ecmo_flow_l_min") > metric(1, "ecmo_flow_l_min"));
    assert!(
        metric(2, "map_mmhg") > metric(1, "map_mmhg")
            && metric(1, "map_mmhg") > metric(0, "map_mmhg")
    );
    // The last phase's averages are the summary's own.
    assert_eq!(metric(2, "map_mmhg"), num(&s, "map_mmhg"));
}

/// Mixed venous saturation is the venous blood the heart and the circuit carry away, not a
/// stagnant pulmonary artery: with a severely failing LV on full ECMO the RV stops ejecting and
/// the pulmonary artery fills with oxygenated blood from the lungs (its saturation near the
/// arterial one), while the blood drained from the veins stays desaturated. Found in review
/// (session 3): the monitor read 99 % there. Expected from the Fick principle: VO2 ~245 mL/min
/// on ~3.7 L/min of total flow leaves the venous blood ~30 % less saturated than the arterial.
#[test]
fn svo2_is_the_drained_venous_blood_when_the_rv_stops_ejecting() {
    let s = ami_on_ecmo("lv_contractility_scale = 0.4", 2800.0, "femoro-femoral");
    let (svo2, sao2) = (num(&s, "svo2_percent"), num(&s, "sao2_femoral_percent"));
    println!(
        "RV output {:.2} L/min, ECMO {:.2} L/min: SvO2 {svo2:.1} %, femoral SaO2 {sao2:.1} %",
        num(&s, "rv_output_l_min"),
        num(&s, "ecmo_flow_l_min")
    );
    assert!(
        num(&s, "rv_output_l_min") < 0.1,
        "precondition: the RV does not eject"
    );
    assert!(svo2 < sao2 - 15.0, "SvO2 {svo2} vs SaO2 {sao2}");
    assert!((55.0..=85.0).contains(&svo2), "{svo2}");
}
