//! The summary JSON: metrics averaged over the last beats, flat, snake_case, units in names.

use crate::build::Built;
use crate::run::RunOutput;
use serde_json::{Map, Value};

/// Builds the summary object.
///
/// Keys: `ecmova_version`, `preset`, `simulated_s`, `beats_simulated`, `beats_averaged`,
/// `steady_state_beat` (null if not reached), `steady_state_time_s`, `stopped_at_steady`,
/// then every per-beat metric averaged over the last 5 beats (`map_mmhg`, `sbp_mmhg`,
/// `dbp_mmhg` at the right radial artery; `map_femoral_mmhg`, ...; `cvp_mmhg`, `lap_mmhg`,
/// `lvedv_ml`, `lvesv_ml`, `lvef_percent`, `lvedp_mmhg`, `cardiac_output_l_min`, `hr_bpm`,
/// `aortic_valve_opening_fraction`, ...). Non-finite numbers never appear: the run would
/// have failed first.
pub fn summary_json(built: &Built, out: &RunOutput) -> Value {
    let mut m = Map::new();
    m.insert("ecmova_version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("preset".into(), built.preset.clone().into());
    m.insert("simulated_s".into(), num(out.simulated_s));
    m.insert("beats_simulated".into(), (out.beats.len() as u64).into());
    let averaged = out.beats.len().min(RunOutput::SUMMARY_BEATS);
    m.insert("beats_averaged".into(), (averaged as u64).into());
    m.insert(
        "steady_state_beat".into(),
        out.steady_beat.map(Value::from).unwrap_or(Value::Null),
    );
    let steady_time = out
        .steady_beat
        .and_then(|b| out.beats.iter().find(|m| m.beat_index as u64 == b))
        .map(|m| num(m.start_s + m.period_s))
        .unwrap_or(Value::Null);
    m.insert("steady_state_time_s".into(), steady_time);
    m.insert("stopped_at_steady".into(), out.stopped_at_steady.into());
    let params = out.final_model.params();
    m.insert(
        "cannulation".into(),
        params
            .ecmo
            .as_ref()
            .map(|e| Value::from(e.cannulation.name()))
            .unwrap_or(Value::Null),
    );
    m.insert("rhythm".into(), params.rhythm.name().into());
    m.insert("devices".into(), devices_json(params));
    if let Some(avg) = out.summary_metrics() {
        let has_gas = params.gas.is_some();
        for (k, v) in avg.named_values() {
            if matches!(k, "beat_index" | "start_s") || (!has_gas && GAS_KEYS.contains(&k)) {
                continue;
            }
            m.insert(k.into(), num(v));
        }
        m.insert(
            "mixing_zone".into(),
            ecmova_engine::mixing_zone(params, &avg).into(),
        );
        let running = params.ecmo.as_ref().is_some_and(|e| !e.clamped);
        let alarms = crate::alarms::alarms(&avg, running);
        m.insert(
            "alarms".into(),
            Value::Array(alarms.iter().map(|a| Value::from(a.name)).collect()),
        );
        m.insert(
            "alarm_messages".into(),
            serde_json::to_value(&alarms).unwrap_or(Value::Null),
        );
    }
    m.insert("phases".into(), phases_json(out));
    if let Some(trial) = &out.weaning {
        let steps = serde_json::to_value(&trial.steps).unwrap_or(Value::Null);
        let readiness = trial
            .steps
            .last()
            .map(|s| serde_json::to_value(s.verdict.readiness).unwrap_or(Value::Null))
            .unwrap_or(Value::Null);
        m.insert(
            "weaning_trial".into(),
            serde_json::json!({
                "completed": trial.finished(),
                "readiness": readiness,
                "steps": steps,
            }),
        );
    }
    Value::Object(m)
}

/// One summary per phase: from the start to the first event, then from each event to the next
/// (events at the same instant open one phase). Each phase averages its own last 5 complete
/// beats (fewer if it is shorter); a phase too short to hold a complete beat has `beats = 0`
/// and no metrics.
fn phases_json(out: &RunOutput) -> Value {
    let mut bounds: Vec<(f64, String)> = vec![(0.0, "baseline".into())];
    for (t, event) in &out.applied_events {
        let label = format!("{} at {:.3} s", event.action(), t);
        match bounds.last_mut() {
            Some((t0, l)) if (t - *t0).abs() < 1e-9 => {
                if *t0 > 0.0 || l != "baseline" {
                    l.push_str(", ");
                    l.push_str(&label);
                } else {
                    *l = label;
                }
            }
            _ => bounds.push((*t, label)),
        }
    }
    let params = out.final_model.params();
    let phases = bounds.iter().enumerate().map(|(k, (t0, label))| {
        let t1 = bounds.get(k + 1).map_or(out.simulated_s, |b| b.0);
        let beats: Vec<_> = out
            .beats
            .iter()
            .filter(|b| b.start_s >= t0 - 1e-9 && b.start_s + b.period_s <= t1 + 1e-6)
            .cloned()
            .collect();
        let mut p = Map::new();
        p.insert("label".into(), label.clone().into());
        p.insert("start_s".into(), num(*t0));
        p.insert("end_s".into(), num(t1));
        p.insert("beats".into(), (beats.len() as u64).into());
        let last = &beats[beats.len().saturating_sub(RunOutput::SUMMARY_BEATS)..];
        if let Some(avg) = ecmova_engine::BeatMetrics::average(last) {
            let mut metrics = Map::new();
            let has_gas = params.gas.is_some();
            for (key, v) in avg.named_values() {
                if matches!(key, "beat_index" | "start_s") || (!has_gas && GAS_KEYS.contains(&key))
                {
                    continue;
                }
                metrics.insert(key.into(), num(v));
            }
            p.insert("metrics".into(), Value::Object(metrics));
        }
        Value::Object(p)
    });
    Value::Array(phases.collect())
}

/// The unloading devices at the end of the run: kind, whether running, and settings.
pub fn devices_json(params: &ecmova_engine::CirculationParams) -> Value {
    use ecmova_engine::UnloadingDevice as D;
    Value::Array(
        params
            .unloading
            .iter()
            .map(|u| {
                let mut d = Map::new();
                d.insert("kind".into(), u.device.kind_name().into());
                d.insert("active".into(), u.active.into());
                match u.device {
                    D::Iabp {
                        balloon_volume_ml,
                        ratio,
                        ..
                    } => {
                        d.insert("balloon_volume_ml".into(), num(balloon_volume_ml));
                        d.insert("ratio".into(), ratio.into());
                    }
                    D::Impella {
                        performance_level, ..
                    } => {
                        d.insert("performance_level".into(), performance_level.into());
                    }
                    D::AtrialSeptostomy { diameter_mm, .. } => {
                        d.insert("diameter_mm".into(), num(diameter_mm));
                    }
                    D::LvVent { cannula_fr, .. } => {
                        d.insert("cannula_fr".into(), num(cannula_fr));
                    }
                }
                Value::Object(d)
            })
            .collect(),
    )
}

/// Metrics that exist only with a gas-transport model (omitted otherwise, never faked).
pub const GAS_KEYS: &[&str] = &[
    "sao2_right_radial_percent",
    "sao2_coronary_percent",
    "sao2_femoral_percent",
    "svo2_percent",
    "pao2_right_radial_mmhg",
    "post_oxygenator_po2_mmhg",
    "post_oxygenator_pco2_mmhg",
    "do2_ml_min",
    "vo2_ml_min",
    "lung_o2_uptake_ml_min",
    "oxygenator_o2_transfer_ml_min",
    "oxygenator_co2_removal_ml_min",
    "paco2_right_radial_mmhg",
    "paco2_femoral_mmhg",
    "pvco2_mmhg",
    "ph_right_radial",
    "ph_femoral",
    "post_oxygenator_ph",
    "alveolar_pco2_mmhg",
    "lung_co2_output_ml_min",
    "vco2_ml_min",
];

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}
