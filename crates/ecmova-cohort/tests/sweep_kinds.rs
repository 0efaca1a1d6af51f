//! Every kind of intervention issue 15 names can be a sweep axis, and each swept value
//! reaches the run: ECMO pump speed and ECMO flow, cannulation, sweep gas, devices and drugs
//! (docs/cohort-format.md, "Sweeps"). Also the uniform and discrete (string, weighted)
//! marginals. Short runs (a few simulated seconds each, 2 ms step): well under a second in
//! release.
//!
//! Each assertion is a physical direction or a presence, never a number copied from a run.

use ecmova_cohort::sample::sample_patient;
use ecmova_cohort::{run_patients, Cohort, Row, Status};

/// A cohort of 2 AMI-shock patients on femoral VA-ECMO, one sweep axis `path` over
/// `values`, `extra` added to the base scenario, `duration_s` simulated seconds each.
fn cohort(extra: &str, duration_s: f64, path: &str, values: &str) -> Cohort {
    let text = format!(
        r#"
[cohort]
name = "sweep-kinds"
seed = 5
size = 2
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[base.ecmo]
enabled = true
cannulation = "femoro-femoral"
pump_rpm = 3000
sweep_l_min = 3.0
{extra}

[base.simulation]
duration_s = {duration_s}
max_step_s = 0.002

[[parameter]]
path = "patient.hemoglobin_g_dl"
distribution = "uniform"
min = 9.0
max = 12.0

[[sweep]]
path = "{path}"
values = {values}

[output]
metrics = ["map_mmhg", "ecmo_flow_l_min", "pump_rpm", "q_descending_thoracic_aorta_ml_s",
           "post_oxygenator_pco2_mmhg", "oxygenator_co2_removal_ml_min", "impella_flow_l_min",
           "augmented_diastolic_pressure_mmhg"]
"#
    );
    Cohort::from_toml(&text, |_| unreachable!("no base file"))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Metric `name` of `row` (by its position in `output.metrics`).
fn metric(c: &Cohort, row: &Row, name: &str) -> Option<f64> {
    let k = c.metrics.iter().position(|m| m == name).unwrap();
    row.metrics[k]
}

/// Runs both patients; returns, per patient, its rows at sweep points 0 and 1.
fn pairs(c: &Cohort) -> Vec<(Row, Row)> {
    let rows = run_patients(c, &[0, 1]);
    assert_eq!(rows.len(), 4, "2 patients × 2 points, none dropped");
    let mut it = rows.into_iter();
    let mut out = Vec::new();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        assert_eq!((a.sweep_index, b.sweep_index), (0, 1));
        assert_eq!(a.patient_index, b.patient_index);
        for r in [&a, &b] {
            // Short runs need not reach the steady state; nothing else may fail.
            assert!(
                matches!(r.status, Status::Ok | Status::NotSteady),
                "{:?}: {:?}",
                r.status,
                r.status_detail
            );
        }
        out.push((a, b));
    }
    out
}

#[test]
fn a_pump_speed_sweep_raises_the_circuit_flow() {
    let c = cohort("", 6.0, "ecmo.pump_rpm", "[2500, 3500]");
    for (low, high) in pairs(&c) {
        let f = |r: &Row| metric(&c, r, "ecmo_flow_l_min").unwrap();
        assert!(f(&high) > f(&low) + 0.5, "{} vs {}", f(&high), f(&low));
    }
}

#[test]
fn an_ecmo_flow_sweep_holds_each_target_flow() {
    // A flow sweep: a one-step weaning trial whose step outlasts the run holds the circuit
    // at the swept target flow (the controller sets the pump speed each beat).
    let c = cohort(
        "[[base.events]]\nat_s = 1\naction = \"weaning_trial\"\nflows_l_min = [3.0]\nstep_s = 600",
        20.0,
        "events.0.flows_l_min.0",
        "[2.0, 4.0]",
    );
    for (low, high) in pairs(&c) {
        for (row, target) in [(&low, 2.0), (&high, 4.0)] {
            let flow = metric(&c, row, "ecmo_flow_l_min").unwrap();
            assert!(
                (flow - target).abs() < 0.1 * target,
                "target {target} L/min, flow {flow}"
            );
        }
        let rpm = |r: &Row| metric(&c, r, "pump_rpm").unwrap();
        assert!(rpm(&high) > rpm(&low), "more flow takes more speed");
    }
}

#[test]
fn a_cannulation_sweep_moves_the_return_site() {
    // Femoral return pushes blood up the descending aorta against the heart's output;
    // central return into the ascending aorta sends it down with the native flow, so the
    // forward flow in the descending thoracic aorta is larger with central cannulation.
    let c = cohort(
        "",
        6.0,
        "ecmo.cannulation",
        r#"["femoro-femoral", "central"]"#,
    );
    for (femoral, central) in pairs(&c) {
        assert_eq!(femoral.sweep[0], "femoro-femoral");
        assert_eq!(central.sweep[0], "central");
        let q = |r: &Row| metric(&c, r, "q_descending_thoracic_aorta_ml_s").unwrap();
        assert!(
            q(&central) > q(&femoral),
            "{} vs {}",
            q(&central),
            q(&femoral)
        );
    }
}

#[test]
fn a_sweep_gas_sweep_changes_co2_removal() {
    // More sweep gas through the membrane removes more CO2 and lowers the post-oxygenator
    // PCO2 (Fick's law across the membrane, docs/methodology/ecmo-circuit.md).
    let c = cohort("", 6.0, "ecmo.sweep_l_min", "[0.5, 6.0]");
    for (low, high) in pairs(&c) {
        let removal = |r: &Row| metric(&c, r, "oxygenator_co2_removal_ml_min").unwrap();
        let pco2 = |r: &Row| metric(&c, r, "post_oxygenator_pco2_mmhg").unwrap();
        assert!(removal(&high) > removal(&low));
        assert!(pco2(&high) < pco2(&low));
    }
}

#[test]
fn a_device_sweep_runs_each_device() {
    let c = cohort(
        "[[base.devices]]\nkind = \"impella\"",
        6.0,
        "devices.0.kind",
        r#"["impella", "iabp"]"#,
    );
    for (impella, iabp) in pairs(&c) {
        // Each device's own metric is present with it and absent without it.
        assert!(metric(&c, &impella, "impella_flow_l_min").is_some_and(|q| q > 0.5));
        assert_eq!(
            metric(&c, &impella, "augmented_diastolic_pressure_mmhg"),
            None
        );
        assert_eq!(metric(&c, &iabp, "impella_flow_l_min"), None);
        assert!(metric(&c, &iabp, "augmented_diastolic_pressure_mmhg").is_some());
    }
}

#[test]
fn a_drug_dose_sweep_reaches_the_patient() {
    // Norepinephrine raises the arterial pressure (an alpha-1 vasoconstrictor:
    // docs/methodology/interventions.md).
    let c = cohort(
        "[[base.events]]\nat_s = 1\naction = \"infusion\"\ndrug = \"norepinephrine\"\ndose_ug_kg_min = 0.1",
        10.0,
        "events.0.dose_ug_kg_min",
        "[0.0, 0.5]",
    );
    for (none, dose) in pairs(&c) {
        let map = |r: &Row| metric(&c, r, "map_mmhg").unwrap();
        assert!(
            map(&dose) > map(&none) + 5.0,
            "{} vs {}",
            map(&dose),
            map(&none)
        );
    }
    // The drug itself can be the axis (strings).
    let c = cohort(
        "[[base.events]]\nat_s = 1\naction = \"infusion\"\ndrug = \"norepinephrine\"\ndose_ug_kg_min = 0.3",
        10.0,
        "events.0.drug",
        r#"["norepinephrine", "dobutamine"]"#,
    );
    for (ne, dobutamine) in pairs(&c) {
        assert_eq!(dobutamine.sweep[0], "dobutamine");
        assert_ne!(
            metric(&c, &ne, "map_mmhg"),
            metric(&c, &dobutamine, "map_mmhg")
        );
    }
}

#[test]
fn uniform_and_weighted_discrete_marginals_have_their_shape() {
    let text = r#"
[cohort]
name = "marginals"
seed = 11
size = 20000

[base.patient]
preset = "cardiogenic-shock-ami"
[base.ecmo]
enabled = true
[base.simulation]
duration_s = 1

[[parameter]]
path = "patient.hemoglobin_g_dl"
distribution = "uniform"
min = 8.0
max = 13.0

[[parameter]]
path = "ecmo.pump"
distribution = "discrete"
values = ["rotaflow", "centrimag"]
weights = [3, 1]
"#;
    let c = Cohort::from_toml(text, |_| unreachable!()).unwrap();
    let n = 20_000;
    let (mut sum, mut below_middle, mut rotaflow) = (0.0, 0, 0);
    for i in 0..n {
        let v = sample_patient(&c, i);
        let hb = v[0].as_f64().unwrap();
        assert!((8.0..=13.0).contains(&hb), "{hb}");
        sum += hb;
        below_middle += usize::from(hb < 10.5);
        match v[1].as_str().unwrap() {
            "rotaflow" => rotaflow += 1,
            "centrimag" => {}
            other => panic!("{other} was not listed"),
        }
    }
    // Uniform: mean at the midpoint, half below it; discrete: 3 of 4 draws are the first
    // value. Tolerances are several binomial standard errors at n = 20,000.
    let mean = sum / n as f64;
    assert!((mean - 10.5).abs() < 0.05, "{mean}");
    assert!(
        (below_middle as f64 / n as f64 - 0.5).abs() < 0.02,
        "{below_middle}"
    );
    assert!(
        (rotaflow as f64 / n as f64 - 0.75).abs() < 0.02,
        "{rotaflow}"
    );
}

#[test]
fn a_run_that_leaves_the_physical_range_is_kept_as_diverged_with_the_time_it_reached() {
    // An almost non-contracting LV behind a near-occluded ascending aorta, with 1.5 × the
    // blood volume: the LV fills until its pressure passes what any circulation can have
    // (the engine's plausibility guard), a few seconds in. The open aorta runs normally.
    let text = r#"
[cohort]
name = "diverged"
seed = 1
size = 1
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"
blood_volume_scale = 1.5

[base.patient.chamber.lv]
ees_mmhg_per_ml = 1e-6

[base.simulation]
duration_s = 6

[[sweep]]
path = "patient.connection.ascending_aorta.resistance_mmhg_s_per_ml"
values = [0.01, 1000]

[output]
metrics = ["map_mmhg"]
"#;
    let c = Cohort::from_toml(text, |_| unreachable!()).unwrap();
    let rows = run_patients(&c, &[0]);
    assert_eq!(rows.len(), 2, "the diverged run is a row, not dropped");
    assert_ne!(
        rows[0].status,
        Status::Diverged,
        "{:?}",
        rows[0].status_detail
    );
    let d = &rows[1];
    assert_eq!(d.status, Status::Diverged, "{:?}", d.status_detail);
    assert!(d
        .status_detail
        .as_deref()
        .is_some_and(|s| s.contains("diverged")));
    assert_eq!(d.metrics, vec![None], "no metric of a run that diverged");
    // `simulated_s` is the time it reached (after the first beat, before the end), not 0.
    assert!(
        d.simulated_s > 0.5 && d.simulated_s < 6.0,
        "{}",
        d.simulated_s
    );
}

#[test]
fn a_discrete_parameter_can_set_an_integer_key() {
    // Impella P-levels are whole numbers: a discrete draw from [2, 8] reaches the device
    // (it was refused as "floating point 2.0, expected u8"), and P8 pumps more than P2.
    let text = r#"
[cohort]
name = "p-level"
seed = 3
size = 8
mode = "duration"

[base.patient]
preset = "cardiogenic-shock-ami"

[[base.devices]]
kind = "impella"

[base.simulation]
duration_s = 4
max_step_s = 0.002

[[parameter]]
path = "devices.0.performance_level"
distribution = "discrete"
values = [2, 8]

[output]
metrics = ["impella_flow_l_min"]
"#;
    let c = Cohort::from_toml(text, |_| unreachable!()).unwrap_or_else(|e| panic!("{e}"));
    let rows = run_patients(&c, &(0..8).collect::<Vec<_>>());
    let mut flows = [Vec::new(), Vec::new()];
    for r in &rows {
        assert!(
            matches!(r.status, Status::Ok | Status::NotSteady),
            "{:?}",
            r.status_detail
        );
        let level = r.params[0].as_f64().unwrap();
        let q = r.metrics[0].unwrap();
        flows[usize::from(level == 8.0)].push(q);
    }
    assert!(
        !flows[0].is_empty() && !flows[1].is_empty(),
        "both levels drawn"
    );
    let max_p2 = flows[0].iter().cloned().fold(f64::MIN, f64::max);
    let min_p8 = flows[1].iter().cloned().fold(f64::MAX, f64::min);
    assert!(min_p8 > max_p2, "P8 {min_p8} vs P2 {max_p2} L/min");

    // A continuous distribution over that key is refused at load, naming the field (its
    // whole-number centre, 5, would otherwise load and nearly every draw be refused).
    let uniform = text.replace(
        "distribution = \"discrete\"\nvalues = [2, 8]",
        "distribution = \"uniform\"\nmin = 2.0\nmax = 8.0",
    );
    let e = Cohort::from_toml(&uniform, |_| unreachable!())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("parameter[0].distribution: devices.0.performance_level takes whole numbers")
            && e.contains("discrete"),
        "{e}"
    );
}
