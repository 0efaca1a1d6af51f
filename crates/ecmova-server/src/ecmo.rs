//! The hooks through which the ECMO circuit (and the other events still being built in the
//! engine) reach live sessions.
//!
//! Everything else in the server is ready for them: the event types exist in the wire format
//! ([`SessionEvent`]), the page shows the ECMO console and SpO2 as soon as the summary (or the
//! stream's channels, see [`crate::stream::channels`]) carry their keys, and
//! `GET /api/v1/capabilities` reports [`ECMO_AVAILABLE`] so that clients (and the browser test)
//! know whether to expect them.

use crate::error::ApiError;
use crate::session::SimCore;
use crate::wire::SessionEvent;
use axum::http::StatusCode;
use ecmova_engine::devices::{CentrifugalPump, Oxygenator};
use ecmova_engine::{Cannulation, EcmoCircuit, Model};
use ecmova_scenario::build::{
    DEFAULT_DRAINAGE_CANNULA_FR, DEFAULT_PUMP_RPM, DEFAULT_RETURN_CANNULA_FR,
};

/// Whether [`apply_ecmo_event`] is implemented in this build (reported by
/// `GET /api/v1/capabilities` as `ecmo`).
pub const ECMO_AVAILABLE: bool = true;

/// Connects a parked (clamped) VA-ECMO circuit and the four LV unloading devices (off) to a
/// model whose preset has cannulation sites, so that starting ECMO or a device in a live
/// session is a parameter change, not a change of the model's layout. Models without cannulation sites (`regazzoni-2022`) are returned as they
/// are. Defaults as in a scenario's `[ecmo]` table: femoro-femoral, Rotaflow at 3000 rpm, 25 Fr
/// drainage, 17 Fr return, Quadrox-iD, FdO2 1.0, sweep 4 L/min.
pub fn with_parked_circuit(model: Model) -> Result<Model, ApiError> {
    let mut params = model.params().clone();
    if params.ecmo.is_some() {
        return Ok(model);
    }
    let Some(anatomy) = params.anatomy.clone() else {
        return Ok(model);
    };
    let (drain, ret) = anatomy.cannulation_sites(Cannulation::FemoroFemoral, params.sites.ra);
    let oxygenator = Oxygenator::by_name("quadrox-id").map_err(internal)?;
    let mut circuit = EcmoCircuit::new(
        Cannulation::FemoroFemoral,
        drain,
        ret,
        CentrifugalPump::rotaflow(),
        DEFAULT_PUMP_RPM,
        DEFAULT_DRAINAGE_CANNULA_FR,
        DEFAULT_RETURN_CANNULA_FR,
        oxygenator,
    )
    .map_err(internal)?;
    circuit.clamped = true;
    params.ecmo = Some(circuit);
    // The four unloading devices, parked (off), so that switching one on is a parameter
    // change (defaults as in a scenario's `[[devices]]`).
    use ecmova_engine::{Unloading, UnloadingDevice};
    use ecmova_scenario::build::{DEFAULT_IMPELLA_LEVEL, DEFAULT_SEPTOSTOMY_MM, DEFAULT_VENT_FR};
    for device in [
        UnloadingDevice::iabp(&params),
        UnloadingDevice::impella(&params, DEFAULT_IMPELLA_LEVEL),
        UnloadingDevice::atrial_septostomy(&params, DEFAULT_SEPTOSTOMY_MM),
        UnloadingDevice::lv_vent(&params, DEFAULT_VENT_FR),
    ] {
        params.unloading.push(Unloading {
            device: device.map_err(internal)?,
            active: false,
        });
    }
    Model::new(params, model.integration().clone()).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        None,
        e.to_string(),
    )
}

/// Applies an ECMO event (`start_ecmo`, `stop_ecmo`, `set_rpm`, `set_sweep`, `set_fdo2`) to a
/// live session. Called with the session's simulation locked, between two steps. Returns a
/// short description of what changed, or an error naming the field (the model is then
/// unchanged).
pub fn apply_ecmo_event(sim: &mut SimCore, event: &SessionEvent) -> Result<String, ApiError> {
    if sim.model.params().ecmo.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_available",
            Some("type"),
            format!(
                "preset {} has no cannulation sites: ECMO needs an adult preset",
                sim.preset
            ),
        ));
    }
    let (field, description) = match *event {
        SessionEvent::StartEcmo { rpm } => (
            "rpm",
            match rpm {
                Some(r) => format!("ECMO started at {r:.0} rpm"),
                None => "ECMO started".to_string(),
            },
        ),
        SessionEvent::StopEcmo {} => ("type", "ECMO stopped (lines clamped)".to_string()),
        SessionEvent::SetRpm { rpm } => ("rpm", format!("pump speed {rpm:.0} rpm")),
        SessionEvent::SetSweep { l_min } => ("l_min", format!("sweep {l_min} L/min")),
        SessionEvent::SetFdo2 { fdo2 } => ("fdo2", format!("FdO2 {fdo2}")),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_event",
                Some("type"),
                "not an ECMO event",
            ))
        }
    };
    let result = sim.model.update(|p| {
        let Some(e) = p.ecmo.as_mut() else {
            return;
        };
        match *event {
            SessionEvent::StartEcmo { rpm } => {
                e.clamped = false;
                if let Some(r) = rpm {
                    e.pump_rpm = r;
                }
            }
            SessionEvent::StopEcmo {} => e.clamped = true,
            SessionEvent::SetRpm { rpm } => e.pump_rpm = rpm,
            SessionEvent::SetSweep { l_min } => e.sweep_l_min = l_min,
            SessionEvent::SetFdo2 { fdo2 } => e.fdo2 = fdo2,
            _ => {}
        }
    });
    result.map_err(|err| ApiError::unprocessable("out_of_range", Some(field), err.to_string()))?;
    if matches!(event, SessionEvent::StopEcmo {}) {
        sim.state.set_ecmo_flow_ml_s(&sim.model, 0.0);
    }
    sim.state.refresh(&sim.model);
    Ok(description)
}

/// Keys derived from the averaged metrics: the mixing zone and the alarms, as in a scenario
/// summary.
pub fn averaged_summary(
    sim: &SimCore,
    avg: &ecmova_engine::BeatMetrics,
    summary: &mut serde_json::Map<String, serde_json::Value>,
) {
    let params = sim.model.params();
    let running = params.ecmo.as_ref().is_some_and(|e| !e.clamped);
    summary.insert(
        "mixing_zone".into(),
        ecmova_engine::mixing_zone(params, avg).into(),
    );
    let alarms = ecmova_scenario::alarms::alarms(avg, running);
    summary.insert(
        "alarms".into(),
        serde_json::Value::Array(
            alarms
                .iter()
                .map(|a| serde_json::json!({"name": a.name, "message": a.message}))
                .collect(),
        ),
    );
}

/// Applies the events other than ECMO's: `weaning_trial` (a one-step trial at the requested
/// flow, driven by the scenario layer's flow controller), `drug`, `unloading`, `arrest` and
/// `rosc` (the scenario layer's events, applied now).
pub fn apply_pending_event(sim: &mut SimCore, event: &SessionEvent) -> Result<String, ApiError> {
    use ecmova_scenario::wire::Event;
    let at_s = sim.state.time_s();
    match event {
        SessionEvent::WeaningTrial { flow_l_min } => {
            let flow_l_min = *flow_l_min;
            let running = sim.model.params().ecmo.as_ref().is_some_and(|e| !e.clamped);
            if !running {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "ecmo_not_running",
                    Some("type"),
                    "a weaning trial needs ECMO running: send start_ecmo first",
                ));
            }
            crate::error::check("flow_l_min", flow_l_min, 0.3, 7.0, "L/min")?;
            // One step to the requested flow, 30 s, then the echo indices and the verdict.
            sim.weaning = Some(ecmova_scenario::weaning::WeaningTrial::new(
                vec![flow_l_min],
                30.0,
                sim.state.time_s(),
            ));
            Ok(format!(
                "weaning trial: ECMO flow to {flow_l_min} L/min for 30 s, then the verdict"
            ))
        }
        SessionEvent::Drug { name, dose } => {
            use ecmova_scenario::interventions::Drug;
            let drug = Drug::from_name(name).ok_or_else(|| {
                ApiError::unprocessable(
                    "invalid_choice",
                    Some("name"),
                    format!(
                        "name = \"{name}\" is not a modelled drug: allowed are {}",
                        Drug::ALL.map(|d| d.name()).join(", ")
                    ),
                )
            })?;
            let max = drug.profile().max_dose_ug_kg_min;
            crate::error::check("dose", *dose, 0.0, max, "µg/kg/min")?;
            sim.apply_scenario_event(
                &Event::Infusion {
                    at_s,
                    drug: drug.name().into(),
                    dose_ug_kg_min: *dose,
                },
                "dose",
            )?;
            Ok(if *dose == 0.0 {
                format!("{} stopped", drug.name())
            } else {
                format!("{} at {dose} µg/kg/min", drug.name())
            })
        }
        SessionEvent::Unloading {
            device,
            on,
            performance_level,
            diameter_mm,
            ratio,
        } => {
            if !ecmova_scenario::build::DEVICE_KINDS.contains(&device.as_str()) {
                return Err(ApiError::unprocessable(
                    "invalid_choice",
                    Some("device"),
                    format!(
                        "device = \"{device}\" is not allowed: allowed are {}",
                        ecmova_scenario::build::DEVICE_KINDS.join(", ")
                    ),
                ));
            }
            if !sim
                .model
                .params()
                .unloading
                .iter()
                .any(|u| u.device.kind_name() == device)
            {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "not_available",
                    Some("device"),
                    format!(
                        "preset {} has no sites for an {device}: unloading devices need an adult preset",
                        sim.preset
                    ),
                ));
            }
            let field = if performance_level.is_some() {
                "performance_level"
            } else if diameter_mm.is_some() {
                "diameter_mm"
            } else if ratio.is_some() {
                "ratio"
            } else {
                "device"
            };
            sim.apply_scenario_event(
                &Event::SetDevice {
                    at_s,
                    device: device.clone(),
                    active: Some(*on),
                    performance_level: *performance_level,
                    diameter_mm: *diameter_mm,
                    balloon_volume_ml: None,
                    ratio: *ratio,
                },
                field,
            )?;
            Ok(format!("{device} {}", if *on { "on" } else { "off" }))
        }
        SessionEvent::Arrest { rhythm } => {
            let rhythm = rhythm.clone().unwrap_or_else(|| "vf".into());
            sim.apply_scenario_event(
                &Event::Arrest {
                    at_s,
                    rhythm: rhythm.clone(),
                },
                "rhythm",
            )?;
            Ok(format!("cardiac arrest ({rhythm}): no contraction"))
        }
        SessionEvent::Rosc {} => {
            sim.apply_scenario_event(&Event::Rosc { at_s }, "type")?;
            Ok("return of spontaneous circulation (sinus rhythm)".into())
        }
        _ => Err(ApiError::bad_request(
            "invalid_event",
            Some("type"),
            "not an event of this hook",
        )),
    }
}

/// Adds summary keys that are not per-beat metrics of the engine (e.g. `pump_rpm`,
/// `sweep_l_min`, `fdo2`) to a live session's summary. Keys the engine's `BeatMetrics` carry
/// (e.g. `ecmo_flow_l_min`) appear without any change here.
pub fn extra_summary(sim: &SimCore, summary: &mut serde_json::Map<String, serde_json::Value>) {
    let Some(e) = &sim.model.params().ecmo else {
        return;
    };
    summary.insert("ecmo_running".into(), (!e.clamped).into());
    summary.insert("cannulation".into(), e.cannulation.name().into());
    // The model's current speed (the averaged metric lags a beat behind a change).
    summary.insert("pump_rpm".into(), e.pump_rpm.into());
    summary.insert("sweep_l_min".into(), e.sweep_l_min.into());
    summary.insert("fdo2".into(), e.fdo2.into());
    if let Some(trial) = &sim.weaning {
        summary.insert(
            "weaning_trial".into(),
            serde_json::json!({
                "completed": trial.finished(),
                "readiness": trial.steps.last().map(|s| s.verdict.readiness),
                "steps": trial.steps,
            }),
        );
    }
}
