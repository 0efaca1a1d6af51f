//! Step-size safety (issue 13): the documented `[simulation] max_step_s` range is honoured on
//! every preset. The engine estimates the model's fastest rate from its parameters
//! (`ecmova_engine::fastest_rate_per_s`) and tightens a step that RK4 could not integrate
//! stably; the summary names the bound it used (`max_step_tightened_to_s`).
//!
//! Before: `max_step_s` ≥ 0.004 s took the healthy adult's cardiac output from 5.6 to
//! 0.4 L/min (the ejecting LV against the aortic root has |λ| ≈ 1031 /s, so a 4 ms step put
//! h·|λ| ≈ 4.1 beyond RK4's real-axis limit of 2.785; Hairer & Wanner, Solving ODEs II, 1996).

use ecmova_engine::presets;
use ecmova_scenario::{build, run, RunOptions, Scenario};

/// The documented maximum of `[simulation] max_step_s`, s (`docs/scenario-format.md`).
const DOCUMENTED_MAX_STEP_S: f64 = 5e-3;

fn summary(preset: &str, max_step_s: Option<f64>) -> serde_json::Value {
    let step = max_step_s.map_or(String::new(), |h| format!("max_step_s = {h}\n"));
    let toml = format!("[patient]\npreset = \"{preset}\"\n[simulation]\nduration_s = 20\n{step}");
    let built = build(&Scenario::from_toml(&toml).expect("parses")).expect("builds");
    run(&built, RunOptions::default())
        .unwrap_or_else(|e| panic!("{preset} at max_step_s {max_step_s:?}: {e}"))
        .summary
        .to_json()
}

#[test]
fn the_documented_max_step_keeps_cardiac_output_on_every_preset() {
    let names: Vec<&str> = presets::NAMES.to_vec();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(names.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for &name in chunk {
                        let reference = summary(name, None);
                        let coarse = summary(name, Some(DOCUMENTED_MAX_STEP_S));
                        let co = |s: &serde_json::Value| {
                            s["cardiac_output_l_min"].as_f64().unwrap_or(f64::NAN)
                        };
                        let (c_ref, c) = (co(&reference), co(&coarse));
                        println!(
                            "{name}: CO {c_ref:.3} L/min at the default step, {c:.3} at {} s \
                             (tightened to {:?})",
                            DOCUMENTED_MAX_STEP_S, coarse["max_step_tightened_to_s"]
                        );
                        let close = (c - c_ref).abs() <= 0.03 * c_ref.abs().max(0.1);
                        if !close {
                            failures.push(format!("{name}: CO {c} vs {c_ref}"));
                        }
                        if reference.get("max_step_tightened_to_s").is_some() {
                            failures.push(format!("{name}: the default step was tightened"));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The summary says when and to what the step was tightened; absent when it was not.
#[test]
fn a_tightened_step_is_reported() {
    let coarse = summary("healthy-adult", Some(DOCUMENTED_MAX_STEP_S));
    let h = coarse["max_step_tightened_to_s"]
        .as_f64()
        .expect("reported when tightened");
    // Healthy adult: estimated fastest rate ≈ 1060 /s, bound 2.0 / 1060 ≈ 1.9 ms.
    assert!(h > 1e-3 && h < 2.5e-3, "bound {h}");
    let fine = summary("healthy-adult", Some(1e-3));
    assert!(fine.get("max_step_tightened_to_s").is_none());
}
