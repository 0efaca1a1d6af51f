//! Time series: every pressure, volume and flow, sampled at a fixed interval.

use ecmova_engine::{Model, State};
use std::io::{self, Write};

/// Gas-exchange columns of a series with a gas model, in order (units in the names; pH has
/// none). The `post_oxygenator_*` pair exists only with an ECMO circuit.
pub const GAS_COLUMNS: &[&str] = &[
    "paco2_right_radial_mmhg",
    "paco2_femoral_mmhg",
    "ph_right_radial",
    "ph_femoral",
    "post_oxygenator_pco2_mmhg",
    "post_oxygenator_ph",
    "lung_co2_output_ml_min",
    "vco2_ml_min",
];

/// A recorded time series: named columns (units in the names) and rows.
#[derive(Debug, Clone)]
pub struct Series {
    columns: Vec<String>,
    /// The role signals appended after the other columns (those whose name no compartment
    /// column already has).
    signals: Vec<crate::signals::Signal>,
    /// Row-major values, `columns.len()` per row.
    values: Vec<f64>,
    /// Index of the current phase (into the summary's `phases`), written as `phase_index`.
    phase_index: f64,
}

/// Circuit columns of a series with an ECMO circuit, in order: the settings under the summary's
/// names (`circuit_settings`) and the circuit pressures at the sample under the beat metrics'
/// names (whose beat means the summary reports).
pub const CIRCUIT_COLUMNS: &[&str] = &[
    "pump_rpm_setting",
    "sweep_l_min",
    "fdo2",
    "drainage_pressure_mmhg",
    "pre_oxygenator_pressure_mmhg",
    "post_oxygenator_pressure_mmhg",
];

/// The `rhythm_code` column's value of a rhythm: 0 sinus, 1 ventricular fibrillation,
/// 2 asystole (the summary's `rhythm` gives the name).
pub fn rhythm_code(rhythm: ecmova_engine::Rhythm) -> f64 {
    match rhythm {
        ecmova_engine::Rhythm::Sinus => 0.0,
        ecmova_engine::Rhythm::VentricularFibrillation => 1.0,
        ecmova_engine::Rhythm::Asystole => 2.0,
    }
}

impl Series {
    /// An empty series with a column for time, then each compartment's pressure
    /// (`p_<name>_mmhg`) and volume (`v_<name>_ml`), each connection's flow
    /// (`q_<name>_ml_s`), the ECMO circuit flow (`q_ecmo_ml_s`, with a circuit) and each
    /// compartment's O2 saturation (`so2_<name>_percent`, with a gas model), then the role
    /// signals of [`crate::signals`] (`p_right_radial_mmhg`, `ecmo_flow_l_min`, ...) whose
    /// name is not already a column (`p_lv_mmhg` is both the LV compartment and the LV role).
    pub fn new(model: &Model) -> Self {
        let p = model.params();
        let mut columns = vec!["time_s".to_string()];
        columns.extend(p.compartments.iter().map(|c| format!("p_{}_mmhg", c.name)));
        columns.extend(p.compartments.iter().map(|c| format!("v_{}_ml", c.name)));
        columns.extend(p.connections.iter().map(|c| format!("q_{}_ml_s", c.name)));
        if p.ecmo.is_some() {
            columns.push("q_ecmo_ml_s".into());
        }
        for u in p.unloading.iter().filter(|u| u.device.has_flow()) {
            columns.push(format!("q_{}_ml_s", u.device.kind_name()));
        }
        if p.gas.is_some() {
            columns.extend(
                p.compartments
                    .iter()
                    .map(|c| format!("so2_{}_percent", c.name)),
            );
            for &name in GAS_COLUMNS {
                if p.ecmo.is_some() || !name.starts_with("post_oxygenator") {
                    columns.push(name.into());
                }
            }
        }
        let signals: Vec<crate::signals::Signal> = crate::signals::signals(model)
            .into_iter()
            .filter(|s| !columns.iter().any(|c| c == s.name))
            .collect();
        columns.extend(signals.iter().map(|s| s.name.to_string()));
        // Every flow also in L/min (the ECMO flow in L/min is the role signal
        // `ecmo_flow_l_min`: one name per quantity).
        columns.extend(p.connections.iter().map(|c| format!("q_{}_l_min", c.name)));
        for u in p.unloading.iter().filter(|u| u.device.has_flow()) {
            columns.push(format!("q_{}_l_min", u.device.kind_name()));
        }
        columns.extend(["heart_rate_bpm".to_string(), "rhythm_code".to_string()]);
        if p.ecmo.is_some() {
            columns.extend(CIRCUIT_COLUMNS.iter().map(|c| c.to_string()));
        }
        columns.push("phase_index".into());
        Series {
            columns,
            signals,
            values: Vec::new(),
            phase_index: 0.0,
        }
    }

    /// Sets the phase index written in the following rows (the driver calls it when a phase
    /// opens).
    pub fn set_phase_index(&mut self, index: usize) {
        self.phase_index = index as f64;
    }

    /// The beat-by-beat table: one row per beat, `time_s` (the beat's start, reported like
    /// every time: [`reported_time_s`](crate::simulation::reported_time_s)), `phase_index` (the
    /// phase in which the beat started, into `phase_starts_s`), every other field of
    /// [`BeatMetrics`](ecmova_engine::BeatMetrics) under its own name (its `start_s` is the
    /// `time_s` column: one name per quantity), and `aortic_valve_opened` (1 or 0). With `params` (the patient's model), the metrics the
    /// patient has no values for ([`Metrics::absent_keys`](crate::summary::Metrics::absent_keys):
    /// a circuit's without a circuit, the gases' without a gas model, a device's without it)
    /// are left out, not written as 0. A device counts whether it pumps or is parked (circuits
    /// and devices are fixed when a scenario is built; actions only start, park or clamp them),
    /// so a balloon parked at the run's end keeps the column of its earlier beats. Without
    /// `params`, every column is there (the table's full vocabulary).
    pub fn beat_table(
        beats: &[ecmova_engine::BeatMetrics],
        phase_starts_s: &[f64],
        params: Option<&ecmova_engine::CirculationParams>,
    ) -> Self {
        let absent = params.map(|p| {
            let mut fitted = p.clone();
            for u in &mut fitted.unloading {
                u.active = true;
            }
            crate::summary::Metrics::absent_keys(&fitted)
        });
        // The beat's start is the `time_s` column, not repeated as `start_s`.
        let keep = |n: &str| n != "start_s" && absent.as_ref().is_none_or(|a| !a.contains(&n));
        let mut columns = vec!["time_s".to_string(), "phase_index".to_string()];
        let names = ecmova_engine::BeatMetrics::default().named_values();
        columns.extend(
            names
                .iter()
                .filter(|(n, _)| keep(n))
                .map(|(n, _)| n.to_string()),
        );
        columns.push("aortic_valve_opened".into());
        let mut values = Vec::with_capacity(beats.len() * columns.len());
        for b in beats {
            let phase = phase_starts_s
                .iter()
                .rposition(|&s| s <= b.start_s + 1e-9)
                .unwrap_or(0);
            values.push(crate::simulation::reported_time_s(b.start_s));
            values.push(phase as f64);
            values.extend(
                b.named_values()
                    .iter()
                    .filter(|(n, _)| keep(n))
                    .map(|&(_, v)| v),
            );
            values.push(if b.aortic_valve_opened { 1.0 } else { 0.0 });
        }
        Series {
            columns,
            signals: Vec::new(),
            values,
            phase_index: 0.0,
        }
    }

    /// Appends the state's current values as a row.
    pub fn push(&mut self, model: &Model, state: &State) {
        self.values
            .push(crate::simulation::reported_time_s(state.time_s()));
        self.values.extend_from_slice(state.pressures_mmhg());
        self.values.extend_from_slice(state.volumes_ml());
        self.values.extend_from_slice(state.flows_ml_s());
        if model.params().ecmo.is_some() {
            self.values.push(state.ecmo_flow_ml_s(model));
        }
        for (i, u) in model.params().unloading.iter().enumerate() {
            if u.device.has_flow() {
                self.values.push(state.unloading_flow_ml_s(model, i));
            }
        }
        if let Some(gas) = &model.params().gas {
            for i in 0..model.n_compartments() {
                let c = state.o2_content_ml_per_dl(i);
                self.values
                    .push(100.0 * ecmova_engine::gas::so2_from_c_o2(c, gas.hemoglobin_g_dl));
            }
            self.push_gas_columns(model, state, gas);
        }
        for s in &self.signals {
            self.values.push(s.read(model, state));
        }
        let p = model.params();
        let flows = state.flows_ml_s();
        self.values.extend(
            flows
                .iter()
                .map(|&q| ecmova_engine::units::ml_s_to_l_min(q)),
        );
        for (i, u) in p.unloading.iter().enumerate() {
            if u.device.has_flow() {
                self.values.push(ecmova_engine::units::ml_s_to_l_min(
                    state.unloading_flow_ml_s(model, i),
                ));
            }
        }
        self.values
            .extend_from_slice(&[p.heart_rate_bpm, rhythm_code(p.rhythm)]);
        if let Some(e) = &p.ecmo {
            let c = state.circuit_pressures();
            self.values.extend_from_slice(&[
                e.pump_rpm,
                e.sweep_l_min,
                e.fdo2,
                c.drainage_mmhg,
                c.pre_oxygenator_mmhg,
                c.post_oxygenator_mmhg,
            ]);
        }
        self.values.push(self.phase_index);
    }

    /// The values of [`GAS_COLUMNS`] at the current state (instantaneous, not beat means).
    fn push_gas_columns(
        &mut self,
        model: &Model,
        state: &State,
        gas: &ecmova_engine::gas::GasParams,
    ) {
        use ecmova_engine::gas::{pco2_from_c_co2_mmhg, ph_from_pco2};
        let p = model.params();
        let (hb, be) = (gas.hemoglobin_g_dl, gas.base_excess_mmol_l);
        let radial = pco2_from_c_co2_mmhg(state.co2_content_ml_per_dl(p.sites.right_radial));
        let femoral = pco2_from_c_co2_mmhg(state.co2_content_ml_per_dl(p.sites.femoral));
        self.values.extend_from_slice(&[
            radial,
            femoral,
            ph_from_pco2(radial, be, hb),
            ph_from_pco2(femoral, be, hb),
        ]);
        if let Some(e) = &p.ecmo {
            // Outlet of the oxygenator for the blood entering it now.
            let f = state.ecmo_flow_ml_s(model);
            let src = if f >= 0.0 { e.drain_from } else { e.return_to };
            let (_, post) = e.oxygenator.transfer(
                f.abs(),
                ecmova_engine::units::l_min_to_ml_s(e.sweep_l_min),
                e.fdo2,
                hb,
                state.o2_content_ml_per_dl(src),
                pco2_from_c_co2_mmhg(state.co2_content_ml_per_dl(src)),
                gas.barometric_pressure_mmhg,
            );
            self.values
                .extend_from_slice(&[post, ph_from_pco2(post, be, hb)]);
        }
        let lung =
            ecmova_engine::lung_gas_exchange(model, state).map_or(0.0, |l| l.co2_output_ml_s);
        let (_, vco2) = ecmova_engine::tissue_exchange_ml_s(model, state);
        self.values.extend_from_slice(&[60.0 * lung, 60.0 * vco2]);
    }

    /// Column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.values.len() / self.columns.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let n = self.columns.len();
        &self.values[i * n..(i + 1) * n]
    }

    /// The values of the column named `name`, if it exists.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let j = self.columns.iter().position(|c| c == name)?;
        Some((0..self.len()).map(|i| self.row(i)[j]).collect())
    }

    /// Writes the series as CSV: a header of column names, then one line per row.
    /// Numbers are written in full precision (shortest round-trip form); a negative zero is
    /// written `0` (`+ 0.0` turns −0 into +0 and leaves every other value as it is).
    pub fn write_csv(&self, mut out: impl Write) -> io::Result<()> {
        writeln!(out, "{}", self.columns.join(","))?;
        for i in 0..self.len() {
            let row = self.row(i);
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    out.write_all(b",")?;
                }
                write!(out, "{}", v + 0.0)?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A negative zero (a flow that rounds to −0, a sign kept through a product) is written `0`:
    /// `-0` in a CSV cell reads as text or as a distinct value in some tools.
    #[test]
    fn csv_writes_no_negative_zero() {
        let mut beat = ecmova_engine::BeatMetrics {
            start_s: -0.0,
            ..Default::default()
        };
        beat.map_mmhg = -0.0;
        let table = Series::beat_table(&[beat], &[0.0], None);
        let mut out = Vec::new();
        table.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let cells: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
        assert!(cells.iter().all(|c| *c != "-0"), "{text}");
        assert_eq!(cells[0], "0");
    }
}
