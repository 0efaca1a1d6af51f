//! Volume extremes: 50 % to 150 % of the preset's blood volume, with and without the VA-ECMO
//! circuit at any pump speed, never diverges and never leaves a compartment with a negative
//! volume (vessels and chambers collapse along the tube law below their unstressed volume,
//! `ecmova_engine::components::vessel_pressure_mmhg`; Shapiro AH, J Biomech Eng
//! 1977;99:126-47). Before the collapse law a 30 % blood loss (`blood_volume_scale = 0.7`,
//! class III haemorrhage) diverged at t = 0.57 s on every adult preset.

use ecmova_scenario::{build, run, RunOptions, Scenario};

const ADULT_PRESETS: &[&str] = &[
    "healthy-adult",
    "cardiogenic-shock-ami",
    "fulminant-myocarditis",
    "massive-pulmonary-embolism",
    "post-cardiotomy",
    "chronic-heart-failure",
    "septic-cardiomyopathy",
    "drug-intoxication",
    "refractory-vf-arrest",
];

fn run_case(preset: &str, scale: f64, rpm: Option<f64>) -> Result<(), String> {
    let ecmo = rpm.map_or(String::new(), |r| {
        format!("[ecmo]\nenabled = true\ncannulation = \"femoro-femoral\"\npump_rpm = {r}\n")
    });
    let text = format!(
        "[patient]\npreset = \"{preset}\"\nblood_volume_scale = {scale}\n{ecmo}\
         [simulation]\nduration_s = 20\n"
    );
    let built = build(&Scenario::from_toml(&text).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let out = run(&built, RunOptions::default()).map_err(|e| e.to_string())?;
    let v = out.final_state.volumes_ml();
    if let Some((i, x)) = v.iter().enumerate().find(|(_, x)| x.is_nan() || **x <= 0.0) {
        return Err(format!("compartment {i} holds {x} mL"));
    }
    let m = out.summary_metrics().ok_or("no beats")?;
    if !m.named_values().iter().all(|(_, x)| x.is_finite()) {
        return Err("non-finite metric".into());
    }
    Ok(())
}

#[test]
fn blood_volume_50_to_150_percent_runs_on_every_adult_preset_at_any_rpm() {
    let mut failures = Vec::new();
    for preset in ADULT_PRESETS {
        for scale in [0.5, 0.7, 1.5] {
            for rpm in [None, Some(0.0), Some(2500.0), Some(5000.0)] {
                if let Err(e) = run_case(preset, scale, rpm) {
                    failures.push(format!("{preset} × {scale} rpm {rpm:?}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
