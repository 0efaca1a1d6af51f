//! The figures: each function writes `<dir>/<name>.svg` and `<dir>/<name>.png`.

use crate::render::{check_size, render, DEFAULT_SIZE};
use crate::spec::{
    flows_spec, pressure_waveforms_spec, pv_loops_spec, saturation_map_spec, PhaseData, Planned,
};
use crate::table::Columns;
use crate::ReportError;
use std::path::{Path, PathBuf};

/// What a plotting call produced: the files written and, for figures skipped because the
/// series lacks their columns (or rows), a note saying why.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plotted {
    /// Files written, SVG then PNG for each figure.
    pub files: Vec<PathBuf>,
    /// One line per skipped figure.
    pub notes: Vec<String>,
}

impl Plotted {
    /// Appends the files and notes of `other`.
    pub fn add(&mut self, other: Plotted) {
        self.files.extend(other.files);
        self.notes.extend(other.notes);
    }
}

fn draw(dir: &Path, planned: Planned, size: (u32, u32)) -> Result<Plotted, ReportError> {
    match planned {
        Planned::Plot(spec) => Ok(Plotted {
            files: render(dir, &spec, size)?,
            notes: Vec::new(),
        }),
        Planned::Skip(note) => Ok(Plotted {
            files: Vec::new(),
            notes: vec![note],
        }),
    }
}

/// `pressure_waveforms.{svg,png}`: arterial pressures at each site present (right radial =
/// `p_right_radial_mmhg`, `p_femoral_mmhg`, `p_aortic_root_mmhg`: by role) with LV pressure, and below pulmonary
/// artery pressure and CVP (`p_ra_mmhg`), over the last `window_s` seconds.
pub fn pressure_waveforms(
    dir: impl AsRef<Path>,
    series: &(impl Columns + ?Sized),
    window_s: f64,
    size: (u32, u32),
) -> Result<Plotted, ReportError> {
    check_size(size)?;
    draw(
        dir.as_ref(),
        pressure_waveforms_spec(series, window_s)?,
        size,
    )
}

/// `flows.{svg,png}`: native flow (`q_aortic_valve_ml_s`) and, when present, ECMO circuit flow
/// (`q_ecmo_ml_s`), in L/min, over the last `window_s` seconds.
pub fn flows(
    dir: impl AsRef<Path>,
    series: &(impl Columns + ?Sized),
    window_s: f64,
    size: (u32, u32),
) -> Result<Plotted, ReportError> {
    check_size(size)?;
    draw(dir.as_ref(), flows_spec(series, window_s)?, size)
}

/// `pv_loops.{svg,png}`: LV and RV pressure-volume loops, the last beat of each phase overlaid,
/// with a legend of the phase labels. `beat_s`: the loop is the last `beat_s` seconds of each
/// phase; `None` detects the last complete beat from the ventricular pressure. See
/// [`pv_loops_spec`].
pub fn pv_loops(
    dir: impl AsRef<Path>,
    series: &(impl Columns + ?Sized),
    phases: &[(&str, PhaseData<'_>)],
    beat_s: Option<f64>,
    size: (u32, u32),
) -> Result<Plotted, ReportError> {
    check_size(size)?;
    draw(dir.as_ref(), pv_loops_spec(series, phases, beat_s)?, size)
}

/// `saturation_map.{svg,png}`: mean oxygen saturation over the last `window_s` seconds of each
/// `so2_<compartment>_percent` column, as horizontal bars. Without such columns nothing is
/// written and the result carries a note.
pub fn saturation_map(
    dir: impl AsRef<Path>,
    series: &(impl Columns + ?Sized),
    window_s: f64,
    size: (u32, u32),
) -> Result<Plotted, ReportError> {
    check_size(size)?;
    draw(dir.as_ref(), saturation_map_spec(series, window_s)?, size)
}

/// `trends.{svg,png}`: the whole run from a beat table (one row per beat): MAP (right radial,
/// femoral) and LVEDP, native and ECMO flow, SaO2 and PaCO2 (right radial, femoral) against
/// time, with a numbered dashed marker at each of `events` (`(time_s, label)`: the run's phase
/// starts) listed in the legend. See [`crate::spec::trends_spec`].
pub fn trends(
    dir: impl AsRef<Path>,
    beats: &(impl Columns + ?Sized),
    events: &[(f64, &str)],
    size: (u32, u32),
) -> Result<Plotted, ReportError> {
    check_size(size)?;
    draw(dir.as_ref(), crate::spec::trends_spec(beats, events)?, size)
}

/// Every figure at [`DEFAULT_SIZE`] (1200×800) into `dir` (created if needed): pressure
/// waveforms, flows and the saturation map over the last `window_s` seconds, and the PV loops
/// of `phases` (the last complete beat of each; the whole series as one phase when `phases` is
/// empty). Figures whose columns are absent are skipped with a note.
pub fn write_all_plots(
    dir: impl AsRef<Path>,
    series: &(impl Columns + ?Sized),
    phases: &[(&str, PhaseData<'_>)],
    window_s: f64,
) -> Result<Plotted, ReportError> {
    let dir = dir.as_ref();
    crate::spec::check_window("window_s", window_s)?;
    let mut out = Plotted::default();
    out.add(pressure_waveforms(dir, series, window_s, DEFAULT_SIZE)?);
    out.add(flows(dir, series, window_s, DEFAULT_SIZE)?);
    out.add(pv_loops(dir, series, phases, None, DEFAULT_SIZE)?);
    out.add(saturation_map(dir, series, window_s, DEFAULT_SIZE)?);
    Ok(out)
}
