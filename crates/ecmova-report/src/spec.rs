//! What a plot shows, as plain data: [`PlotSpec`]s are built from a series by pure functions
//! (testable without drawing anything) and drawn by [`crate::render`].

use crate::table::Columns;
use crate::ReportError;
use std::ops::Range;

/// An RGB colour.
pub type Rgb = (u8, u8, u8);

/// mL/s to L/min.
pub const ML_S_TO_L_MIN: f64 = 60.0 / 1000.0;

/// One line of a chart: `(x, y)` points joined in order. Non-finite points are never drawn
/// (they split the line).
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Legend label.
    pub label: String,
    /// Line colour.
    pub color: Rgb,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// The runs of consecutive finite points: each is drawn as one line (an SVG `polyline`).
    pub fn segments(&self) -> Vec<Vec<(f64, f64)>> {
        let mut out = Vec::new();
        let mut current = Vec::new();
        for &(x, y) in &self.points {
            if x.is_finite() && y.is_finite() {
                current.push((x, y));
            } else if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
        out
    }
}

/// One horizontal bar of a bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Category label, shown on the vertical axis.
    pub label: String,
    /// Bar length (finite).
    pub value: f64,
    /// Fill colour.
    pub color: Rgb,
}

/// What a panel draws.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelContent {
    /// Lines in data coordinates.
    Lines(Vec<Curve>),
    /// Horizontal bars, one per category, from the top; the value axis is horizontal.
    HorizontalBars(Vec<Bar>),
}

/// One chart with its own axes.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Caption above the chart.
    pub title: String,
    /// Horizontal axis label, with units.
    pub x_label: String,
    /// Vertical axis label, with units.
    pub y_label: String,
    /// Horizontal axis range (finite, non-empty).
    pub x_range: Range<f64>,
    /// Vertical axis range (finite, non-empty); ignored for bars (one row per bar).
    pub y_range: Range<f64>,
    /// The lines or bars.
    pub content: PanelContent,
}

impl Panel {
    /// The number of drawn lines (SVG `polyline`s) this panel produces.
    pub fn line_count(&self) -> usize {
        match &self.content {
            PanelContent::Lines(curves) => curves.iter().map(|c| c.segments().len()).sum(),
            PanelContent::HorizontalBars(_) => 0,
        }
    }
}

/// How the panels of a figure are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Stacked top to bottom.
    Rows,
    /// Side by side, left to right.
    Columns,
}

/// An event marker: a dashed vertical line across every line panel of a figure at `x`, tagged
/// at its top, and listed with its label in the legend column (where a long label never covers
/// data).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Position on the horizontal axis, in its units (s for the trends).
    pub x: f64,
    /// Short tag drawn at the top of the line (`1`, `2`, ...).
    pub tag: String,
    /// What happened (`40 s: weaning step 1: 3 L/min`), listed in the legend after its tag.
    pub label: String,
}

/// A whole figure: a title, panels and a legend column on the right listing every distinct
/// curve label and every event marker (outside the plotting areas, so it never covers data).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSpec {
    /// File stem: the figure is written as `<name>.svg` and `<name>.png`.
    pub name: String,
    /// Figure title.
    pub title: String,
    /// The panels.
    pub panels: Vec<Panel>,
    /// Panel arrangement.
    pub layout: Layout,
    /// Event markers across the line panels (empty for most figures).
    pub markers: Vec<Marker>,
}

impl PlotSpec {
    /// The legend: each distinct `(label, colour)` of the figure's curves, in first-seen order.
    pub fn legend(&self) -> Vec<(String, Rgb)> {
        let mut out: Vec<(String, Rgb)> = Vec::new();
        for panel in &self.panels {
            if let PanelContent::Lines(curves) = &panel.content {
                for c in curves {
                    if !out.iter().any(|(l, col)| *l == c.label && *col == c.color) {
                        out.push((c.label.clone(), c.color));
                    }
                }
            }
        }
        out
    }

    /// The number of drawn lines (SVG `polyline`s) of the whole figure.
    pub fn line_count(&self) -> usize {
        self.panels.iter().map(Panel::line_count).sum()
    }
}

/// A plan for one figure: draw it, or skip it and say why.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    /// Draw this figure.
    Plot(PlotSpec),
    /// Nothing to draw; the note says why (for example: no `so2_*_percent` column).
    Skip(String),
}

/// An axis range holding every finite value of `values` (and 0 when `include_zero`), padded by
/// 5 % of the span on each side. A span of zero is widened to ±1 (or ±5 % of the value);
/// no finite value gives `0..1` (or `0..1` around zero). Always finite with `start < end`.
pub fn axis_range<'a>(
    values: impl IntoIterator<Item = &'a [f64]>,
    include_zero: bool,
) -> Range<f64> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values.into_iter().flatten().filter(|v| v.is_finite()) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return 0.0..1.0;
    }
    let span = hi - lo;
    let pad = if span > 0.0 && span.is_finite() {
        0.05 * span
    } else {
        (0.05 * hi.abs()).max(1.0)
    };
    // Do not pad below zero when the data start at zero (pressures, flows from 0).
    let start = if include_zero && lo == 0.0 {
        0.0
    } else {
        lo - pad
    };
    let end = hi + pad;
    if start.is_finite() && end.is_finite() && start < end {
        start..end
    } else {
        // Values near f64::MAX: give up padding.
        lo.max(-f64::MAX / 4.0)..hi.min(f64::MAX / 4.0).max(lo.max(-f64::MAX / 4.0) + 1.0)
    }
}

/// The rows whose time lies in the last `window_s` seconds of `time` (`t >= t_last - window_s`,
/// with a 1 µs tolerance). Non-finite times are ignored; empty when no time is finite.
pub fn last_window(time: &[f64], window_s: f64) -> Range<usize> {
    let Some(last) = time.iter().rposition(|t| t.is_finite()) else {
        return 0..0;
    };
    let t_end = time[last];
    let from = t_end - window_s - 1e-6;
    let start = time[..=last]
        .iter()
        .position(|t| t.is_finite() && *t >= from)
        .unwrap_or(last);
    start..last + 1
}

/// The rows of the last complete beat of a ventricular pressure trace `p`, both ends
/// included. Beats are found by the upward crossings of the mid-level (halfway between the
/// trace's minimum and maximum); each beat starts at the steepest rise (maximum dP/dt) of its
/// upstroke, that is during isovolumic contraction, so a PV loop drawn over these rows starts
/// and ends at end-diastole and closes along the isovolumic line.
/// `None` when there are fewer than two upstrokes (flat or too short a trace).
pub fn last_beat(time: &[f64], p: &[f64]) -> Option<Range<usize>> {
    let n = time.len().min(p.len());
    let ok = |i: usize| p[i].is_finite() && time[i].is_finite();
    let (lo, hi) = (0..n)
        .filter(|&i| ok(i))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
            (lo.min(p[i]), hi.max(p[i]))
        });
    let span = hi - lo;
    if !span.is_finite() || span <= 1e-9 {
        return None;
    }
    let mid = 0.5 * (lo + hi);
    let ups: Vec<usize> = (1..n)
        .filter(|&i| ok(i - 1) && ok(i) && p[i - 1] < mid && p[i] >= mid)
        .collect();
    let [.., a, b] = ups.as_slice() else {
        return None;
    };
    Some(steepest_rise(time, p, *a)..steepest_rise(time, p, *b) + 1)
}

/// The sample of maximum dP/dt on the upstroke that crosses the mid-level at `c`: searched
/// backwards from `c` while the pressure keeps rising.
fn steepest_rise(time: &[f64], p: &[f64], c: usize) -> usize {
    let slope = |i: usize| {
        let dt = time[i] - time[i - 1];
        let dp = p[i] - p[i - 1];
        if dt > 0.0 && dp.is_finite() {
            dp / dt
        } else {
            f64::NEG_INFINITY
        }
    };
    let mut best = c;
    let mut best_slope = if c >= 1 { slope(c) } else { f64::NEG_INFINITY };
    let mut i = c;
    while i >= 2 && p[i - 1].is_finite() && p[i - 1] > p[i - 2] {
        i -= 1;
        let s = slope(i);
        if s > best_slope {
            best_slope = s;
            best = i;
        }
    }
    // The sample before the steepest step: the loop starts just before the fast rise.
    best.saturating_sub(1)
}

/// Checks a time window argument: finite and positive.
pub(crate) fn check_window(name: &'static str, window_s: f64) -> Result<(), ReportError> {
    if window_s.is_finite() && window_s > 0.0 {
        Ok(())
    } else {
        Err(ReportError::InvalidArgument {
            name,
            value: format!("{window_s}"),
            reason: "must be a finite number of seconds > 0",
        })
    }
}

/// The time column, required by every time plot.
pub(crate) fn time_column(
    series: &(impl Columns + ?Sized),
    needed_for: &'static str,
) -> Result<Vec<f64>, ReportError> {
    series
        .column_values("time_s")
        .ok_or_else(|| ReportError::MissingColumn {
            column: "time_s".into(),
            needed_for,
        })
}

/// What a legend label says about a trace over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// Nothing.
    None,
    /// Systolic/diastolic (mean), as on a monitor: `120/80 (93)`.
    SysDiaMean,
    /// The mean: `mean 3`.
    Mean,
    /// Peak and minimum: `peak 120, minimum 5`. Not `120/5`: for a ventricle a clinician
    /// reads "systolic/end-diastolic", and the minimum is the early-diastolic pressure, not
    /// the end-diastolic one (the summary's `lvedp_mmhg`).
    MaxMin,
}

impl Summary {
    /// The label with its summary of the finite `values` in `unit` (the bare label when none
    /// is finite).
    pub fn label(self, label: &str, values: &[f64], unit: &str) -> String {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return label.to_string();
        }
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = finite.iter().sum::<f64>() / finite.len() as f64;
        let r = |v: f64| {
            let s = format!("{v:.0}");
            if s == "-0" {
                "0".to_string()
            } else {
                s
            }
        };
        match self {
            Summary::None => label.to_string(),
            Summary::SysDiaMean => {
                format!("{label} {}/{} ({}) {unit}", r(max), r(min), r(mean))
            }
            Summary::Mean => format!("{label}, mean {mean:.1} {unit}"),
            Summary::MaxMin => format!("{label} peak {}, minimum {} {unit}", r(max), r(min)),
        }
    }
}

/// The curve of trace `t` over `rows`, scaled by `scale`, if its column exists; its label
/// carries the trace's summary of the plotted values in `unit`.
fn time_curve(
    series: &(impl Columns + ?Sized),
    time: &[f64],
    rows: &Range<usize>,
    t: &Trace,
    scale: f64,
    unit: &str,
) -> Option<Curve> {
    let values = series.column_values(t.column)?;
    let points: Vec<(f64, f64)> = rows
        .clone()
        .filter_map(|i| Some((*time.get(i)?, values.get(i)? * scale)))
        .collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    Some(Curve {
        label: t.summary.label(t.label, &ys, unit),
        color: t.color,
        points,
    })
}

fn lines_panel(
    title: &str,
    x_label: &str,
    y_label: &str,
    curves: Vec<Curve>,
    include_zero_y: bool,
) -> Panel {
    let xs: Vec<Vec<f64>> = curves
        .iter()
        .map(|c| c.points.iter().map(|p| p.0).collect())
        .collect();
    let ys: Vec<Vec<f64>> = curves
        .iter()
        .map(|c| c.points.iter().map(|p| p.1).collect())
        .collect();
    Panel {
        title: title.to_string(),
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        x_range: axis_range(xs.iter().map(Vec::as_slice), false),
        y_range: axis_range(ys.iter().map(Vec::as_slice), include_zero_y),
        content: PanelContent::Lines(curves),
    }
}

/// Time axis ranges hug the data: no padding on a time axis.
fn tight_time_axis(panel: &mut Panel) {
    if let PanelContent::Lines(curves) = &panel.content {
        let xs: Vec<f64> = curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite())
            .collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi.is_finite() && hi > lo {
            panel.x_range = lo..hi;
        }
    }
}

/// One trace a figure draws when its column is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// Series column.
    pub column: &'static str,
    /// Legend label (before the summary).
    pub label: &'static str,
    /// Line colour.
    pub color: Rgb,
    /// What the legend adds about the window.
    pub summary: Summary,
}

const fn trace(column: &'static str, label: &'static str, color: Rgb, summary: Summary) -> Trace {
    Trace {
        column,
        label,
        color,
        summary,
    }
}

/// Systemic pressure traces, by clinical role (`ecmova_scenario::signals`: the same names in
/// every preset; in the `regazzoni-2022` peer model the three arterial roles are its single
/// systemic artery).
pub const SYSTEMIC_PRESSURES: &[Trace] = &[
    trace("p_lv_mmhg", "LV", (40, 40, 40), Summary::MaxMin),
    trace(
        "p_aortic_root_mmhg",
        "Aortic root",
        (230, 110, 0),
        Summary::SysDiaMean,
    ),
    trace(
        "p_right_radial_mmhg",
        "Right radial",
        (200, 0, 0),
        Summary::SysDiaMean,
    ),
    trace(
        "p_femoral_mmhg",
        "Femoral",
        (150, 0, 110),
        Summary::SysDiaMean,
    ),
];

/// Right-heart and pulmonary pressure traces, by role.
pub const RIGHT_PRESSURES: &[Trace] = &[
    trace(
        "p_pulmonary_artery_mmhg",
        "Pulmonary artery",
        (190, 140, 0),
        Summary::SysDiaMean,
    ),
    trace(
        "p_ra_mmhg",
        "CVP (right atrium)",
        (0, 90, 200),
        Summary::Mean,
    ),
];

/// Native (aortic valve) and ECMO circuit flow, drawn when present.
pub const FLOWS: &[Trace] = &[
    trace(
        "q_aortic_valve_ml_s",
        "Native (aortic valve)",
        (200, 0, 0),
        Summary::Mean,
    ),
    trace("q_ecmo_ml_s", "ECMO circuit", (0, 140, 70), Summary::Mean),
];

const TIME_LABEL: &str = "Time (s)";
const PRESSURE_LABEL: &str = "Pressure (mmHg)";

/// The pressure waveform figure over the last `window_s` seconds: systemic pressures (LV,
/// aortic root, right radial, femoral) on top, pulmonary artery and CVP below. Missing columns
/// are skipped; no pressure column or no row gives [`Planned::Skip`].
pub fn pressure_waveforms_spec(
    series: &(impl Columns + ?Sized),
    window_s: f64,
) -> Result<Planned, ReportError> {
    check_window("window_s", window_s)?;
    let time = time_column(series, "pressure_waveforms")?;
    let rows = last_window(&time, window_s);
    if rows.is_empty() {
        return Ok(Planned::Skip(
            "pressure_waveforms: the series has no rows".into(),
        ));
    }
    let mut panels = Vec::new();
    for (title, set) in [
        ("Systemic arterial and LV pressure", SYSTEMIC_PRESSURES),
        (
            "Pulmonary artery and central venous pressure",
            RIGHT_PRESSURES,
        ),
    ] {
        let mut curves: Vec<Curve> = Vec::new();
        let mut drawn: Vec<&str> = Vec::new();
        for t in set {
            if drawn.contains(&t.label) {
                continue;
            }
            let curve = time_curve(series, &time, &rows, t, 1.0, "mmHg");
            if let Some(c) = curve {
                drawn.push(t.label);
                curves.push(c);
            }
        }
        if !curves.is_empty() {
            let mut panel = lines_panel(title, TIME_LABEL, PRESSURE_LABEL, curves, true);
            tight_time_axis(&mut panel);
            panels.push(panel);
        }
    }
    if panels.is_empty() {
        return Ok(Planned::Skip(
            "pressure_waveforms: no pressure column (p_*_mmhg) to plot".into(),
        ));
    }
    Ok(Planned::Plot(PlotSpec {
        name: "pressure_waveforms".into(),
        title: format!("Pressure waveforms, last {} s", fmt_seconds(window_s)),
        panels,
        layout: Layout::Rows,
        markers: Vec::new(),
    }))
}

/// The flow figure over the last `window_s` seconds: native flow through the aortic valve and,
/// when the series has `q_ecmo_ml_s`, the ECMO circuit flow, in L/min.
pub fn flows_spec(series: &(impl Columns + ?Sized), window_s: f64) -> Result<Planned, ReportError> {
    check_window("window_s", window_s)?;
    let time = time_column(series, "flows")?;
    let rows = last_window(&time, window_s);
    if rows.is_empty() {
        return Ok(Planned::Skip("flows: the series has no rows".into()));
    }
    let curves: Vec<Curve> = FLOWS
        .iter()
        .filter_map(|t| time_curve(series, &time, &rows, t, ML_S_TO_L_MIN, "L/min"))
        .collect();
    if curves.is_empty() {
        return Ok(Planned::Skip(
            "flows: neither q_aortic_valve_ml_s nor q_ecmo_ml_s in the series".into(),
        ));
    }
    let mut panel = lines_panel(
        "Native and ECMO circuit flow",
        TIME_LABEL,
        "Flow (L/min)",
        curves,
        true,
    );
    tight_time_axis(&mut panel);
    Ok(Planned::Plot(PlotSpec {
        name: "flows".into(),
        title: format!("Flows, last {} s", fmt_seconds(window_s)),
        panels: vec![panel],
        layout: Layout::Rows,
        markers: Vec::new(),
    }))
}

/// Whole-run trend panels of the beat table (`ecmova_scenario::series::Series::beat_table`):
/// title, y label, whether the y axis includes 0, and the per-beat columns drawn.
pub const TRENDS: &[(&str, &str, bool, &[Trace])] = &[
    (
        "Pressures (beat means)",
        "Pressure (mmHg)",
        true,
        &[
            trace("map_mmhg", "MAP, right radial", (200, 0, 0), Summary::None),
            trace(
                "map_femoral_mmhg",
                "MAP, femoral",
                (150, 0, 110),
                Summary::None,
            ),
            trace("lvedp_mmhg", "LVEDP", (40, 40, 40), Summary::None),
        ],
    ),
    (
        "Flows (beat means)",
        "Flow (L/min)",
        true,
        &[
            trace(
                "cardiac_output_l_min",
                "Native cardiac output",
                (200, 0, 0),
                Summary::None,
            ),
            trace(
                "ecmo_flow_l_min",
                "ECMO circuit",
                (0, 140, 70),
                Summary::None,
            ),
        ],
    ),
    (
        "Arterial O2 saturation (beat means)",
        "SaO2 (%)",
        false,
        &[
            trace(
                "sao2_right_radial_percent",
                "SaO2, right radial",
                (200, 0, 0),
                Summary::None,
            ),
            trace(
                "sao2_femoral_percent",
                "SaO2, femoral",
                (150, 0, 110),
                Summary::None,
            ),
        ],
    ),
    (
        "Arterial PCO2 (beat means)",
        "PaCO2 (mmHg)",
        false,
        &[
            trace(
                "paco2_right_radial_mmhg",
                "PaCO2, right radial",
                (200, 0, 0),
                Summary::None,
            ),
            trace(
                "paco2_femoral_mmhg",
                "PaCO2, femoral",
                (150, 0, 110),
                Summary::None,
            ),
        ],
    ),
];

/// Longest event label a figure's legend shows, in characters (longer ones end in `…`).
pub const MARKER_LABEL_CHARS: usize = 44;

/// The whole-run trend figure from a beat table (one row per beat, `time_s` the beat's start):
/// MAP at both sites and LVEDP, native and ECMO flow, SaO2 and PaCO2 at both sites, each
/// against time over the whole run, with a [`Marker`] at each event: `events` are
/// `(time_s, label)` pairs (the run's phase starts); those after the first beat and up to the
/// last are marked, numbered from 1 in time order. Missing columns, and curves that are 0 on
/// every beat (the beat metrics' "no circuit" or "no gas model"), are skipped; a panel with no
/// curve is left out, and no row or no curve gives [`Planned::Skip`]. A non-finite event time
/// is an error naming it.
pub fn trends_spec(
    beats: &(impl Columns + ?Sized),
    events: &[(f64, &str)],
) -> Result<Planned, ReportError> {
    if let Some(&(t, label)) = events.iter().find(|(t, _)| !t.is_finite()) {
        return Err(ReportError::InvalidArgument {
            name: "events",
            value: format!("{t} s ({label})"),
            reason: "event times must be finite",
        });
    }
    let time = time_column(beats, "trends")?;
    if time.is_empty() {
        return Ok(Planned::Skip("trends: the beat table has no rows".into()));
    }
    let rows = 0..time.len();
    let mut panels = Vec::new();
    for (title, y_label, zero, traces) in TRENDS {
        let curves: Vec<Curve> = traces
            .iter()
            .filter(|t| {
                beats
                    .column_values(t.column)
                    .is_some_and(|v| v.iter().any(|&x| x != 0.0))
            })
            .filter_map(|t| time_curve(beats, &time, &rows, t, 1.0, ""))
            .collect();
        if curves.is_empty() {
            continue;
        }
        let mut panel = lines_panel(title, TIME_LABEL, y_label, curves, *zero);
        tight_time_axis(&mut panel);
        panels.push(panel);
    }
    if panels.is_empty() {
        return Ok(Planned::Skip(
            "trends: no MAP, LVEDP, flow, SaO2 or PaCO2 column in the beat table".into(),
        ));
    }
    let (first, last) = (time[0], time[time.len() - 1]);
    let mut shown: Vec<(f64, &str)> = events
        .iter()
        .copied()
        .filter(|&(t, _)| t > first && t <= last)
        .collect();
    shown.sort_by(|a, b| a.0.total_cmp(&b.0));
    let markers = shown
        .iter()
        .enumerate()
        .map(|(k, &(t, label))| {
            let full = format!("{}: {label}", marker_time(t));
            let label = if full.chars().count() > MARKER_LABEL_CHARS {
                let cut: String = full.chars().take(MARKER_LABEL_CHARS - 1).collect();
                format!("{}…", cut.trim_end())
            } else {
                full
            };
            Marker {
                x: t,
                tag: (k + 1).to_string(),
                label,
            }
        })
        .collect();
    Ok(Planned::Plot(PlotSpec {
        name: "trends".into(),
        title: "Whole run, beat by beat".into(),
        panels,
        layout: Layout::Rows,
        markers,
    }))
}

/// An event time as the legend shows it: whole seconds when it is one, else to the millisecond.
fn marker_time(t: f64) -> String {
    if (t - t.round()).abs() < 5e-4 {
        format!("{:.0} s", t.round())
    } else {
        format!("{t:.3} s")
    }
}

/// One phase of a pressure-volume loop figure: a label and where its data are.
#[derive(Clone)]
pub enum PhaseData<'a> {
    /// A separate series (for example a second run).
    Series(&'a dyn Columns),
    /// Rows of the main series passed to [`pv_loops_spec`] (clamped to it).
    Rows(Range<usize>),
}

impl std::fmt::Debug for PhaseData<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhaseData::Series(s) => write!(f, "Series({} rows)", s.row_count()),
            PhaseData::Rows(r) => write!(f, "Rows({r:?})"),
        }
    }
}

/// Categorical colours for phases (Okabe-Ito, colour-blind safe, darkest first).
pub const PHASE_COLORS: &[Rgb] = &[
    (0, 0, 0),
    (213, 94, 0),
    (0, 114, 178),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
];

/// The pressure-volume loop figure: LV and (when present) RV loops side by side, one curve per
/// phase, overlaid. For each phase the loop is the last `beat_s` seconds of its data, or with
/// `beat_s = None` the last complete beat detected from the ventricle's pressure (the last
/// second when no beat is found). An empty `phases` plots the whole `series` as one phase.
pub fn pv_loops_spec(
    series: &(impl Columns + ?Sized),
    phases: &[(&str, PhaseData<'_>)],
    beat_s: Option<f64>,
) -> Result<Planned, ReportError> {
    if let Some(b) = beat_s {
        check_window("beat_s", b)?;
    }
    let main: &dyn Columns = &crate::table::Table::from_columns(series);
    let whole = [("", PhaseData::Rows(0..usize::MAX))];
    let phases = if phases.is_empty() {
        &whole[..]
    } else {
        phases
    };
    let mut panels = Vec::new();
    for (chamber, v_col, p_col) in [
        ("Left ventricle", "v_lv_ml", "p_lv_mmhg"),
        ("Right ventricle", "v_rv_ml", "p_rv_mmhg"),
    ] {
        let mut curves = Vec::new();
        for (k, (label, data)) in phases.iter().enumerate() {
            let color = PHASE_COLORS[k % PHASE_COLORS.len()];
            let (source, range): (&dyn Columns, Range<usize>) = match data {
                PhaseData::Series(s) => (*s, 0..s.row_count()),
                PhaseData::Rows(r) => (main, r.start..r.end.min(main.row_count())),
            };
            let (Some(v), Some(p)) = (source.column_values(v_col), source.column_values(p_col))
            else {
                continue;
            };
            let time = time_column(source, "pv_loops")?;
            let n = v.len().min(p.len()).min(time.len());
            let range = range.start.min(n)..range.end.min(n);
            let t = &time[range.clone()];
            let local = match beat_s {
                Some(b) => last_window(t, b),
                None => last_beat(t, &p[range.clone()]).unwrap_or_else(|| last_window(t, 1.0)),
            };
            let rows = range.start + local.start..range.start + local.end;
            if rows.is_empty() {
                continue;
            }
            let mut points: Vec<(f64, f64)> = rows.map(|i| (v[i], p[i])).collect();
            close_loop(&mut points);
            curves.push(Curve {
                label: if label.is_empty() {
                    "last beat".to_string()
                } else {
                    label.to_string()
                },
                color,
                points,
            });
        }
        if !curves.is_empty() {
            panels.push(lines_panel(
                chamber,
                "Volume (mL)",
                PRESSURE_LABEL,
                curves,
                true,
            ));
        }
    }
    if panels.is_empty() {
        return Ok(Planned::Skip(
            "pv_loops: no phase has v_lv_ml/p_lv_mmhg or v_rv_ml/p_rv_mmhg rows".into(),
        ));
    }
    // Volume axes do not need zero, but the pressure axes do (already included).
    for panel in &mut panels {
        if let PanelContent::Lines(curves) = &panel.content {
            let xs: Vec<Vec<f64>> = curves
                .iter()
                .map(|c| c.points.iter().map(|p| p.0).collect())
                .collect();
            panel.x_range = axis_range(xs.iter().map(Vec::as_slice), false);
        }
    }
    Ok(Planned::Plot(PlotSpec {
        name: "pv_loops".into(),
        title: "Pressure-volume loops, last beat".into(),
        panels,
        layout: Layout::Columns,
        markers: Vec::new(),
    }))
}

/// Joins the end of a loop to its start when they are close (within 5 % of the loop's extent
/// on both axes): a beat starts and ends at end-diastole, and the small difference left by a
/// run not yet at steady state would otherwise show as a break in the isovolumic line.
fn close_loop(points: &mut Vec<(f64, f64)>) {
    let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
        return;
    };
    let extent = |f: fn(&(f64, f64)) -> f64| {
        let (lo, hi) = points
            .iter()
            .map(f)
            .filter(|x| x.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
        hi - lo
    };
    let (dx, dy) = (extent(|p| p.0), extent(|p| p.1));
    let near = (first.0 - last.0).abs() <= 0.05 * dx && (first.1 - last.1).abs() <= 0.05 * dy;
    if points.len() > 2 && first != last && near {
        points.push(first);
    }
}

/// The compartment of an `so2_<compartment>_percent` column.
pub fn saturation_compartment(column: &str) -> Option<&str> {
    column
        .strip_prefix("so2_")?
        .strip_suffix("_percent")
        .filter(|c| !c.is_empty())
}

/// A bar colour for a saturation: blue (venous, ≤ 60 %) to red (arterial, ≥ 100 %).
pub fn saturation_color(so2_percent: f64) -> Rgb {
    let f = ((so2_percent - 60.0) / 40.0).clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    (lerp(40.0, 200.0), lerp(80.0, 30.0), lerp(200.0, 40.0))
}

/// The saturation figure: one horizontal bar per `so2_<compartment>_percent` column, the mean
/// over the last `window_s` seconds. No such column gives [`Planned::Skip`].
pub fn saturation_map_spec(
    series: &(impl Columns + ?Sized),
    window_s: f64,
) -> Result<Planned, ReportError> {
    check_window("window_s", window_s)?;
    let names = series.column_names();
    let so2: Vec<(&str, &str)> = names
        .iter()
        .filter_map(|n| Some((n.as_str(), saturation_compartment(n)?)))
        .collect();
    if so2.is_empty() {
        return Ok(Planned::Skip(
            "saturation_map: no so2_<compartment>_percent column in the series".into(),
        ));
    }
    let time = time_column(series, "saturation_map")?;
    let rows = last_window(&time, window_s);
    let mut bars = Vec::new();
    for (column, compartment) in so2 {
        let Some(values) = series.column_values(column) else {
            continue;
        };
        let window: Vec<f64> = rows
            .clone()
            .filter_map(|i| values.get(i).copied())
            .filter(|v| v.is_finite())
            .collect();
        if window.is_empty() {
            continue;
        }
        let mean = window.iter().sum::<f64>() / window.len() as f64;
        if !mean.is_finite() {
            continue;
        }
        bars.push(Bar {
            label: compartment_label(compartment),
            value: mean,
            color: saturation_color(mean),
        });
    }
    if bars.is_empty() {
        return Ok(Planned::Skip(
            "saturation_map: the so2 columns have no finite value in the window".into(),
        ));
    }
    let max = bars.iter().map(|b| b.value).fold(100.0, f64::max);
    let min = bars.iter().map(|b| b.value).fold(0.0, f64::min);
    Ok(Planned::Plot(PlotSpec {
        name: "saturation_map".into(),
        title: format!(
            "Oxygen saturation by compartment, mean of the last {} s",
            fmt_seconds(window_s)
        ),
        panels: vec![Panel {
            title: String::new(),
            x_label: "Oxygen saturation SO2 (%)".into(),
            y_label: String::new(),
            x_range: min..max,
            y_range: 0.0..bars.len() as f64,
            content: PanelContent::HorizontalBars(bars),
        }],
        layout: Layout::Rows,
        markers: Vec::new(),
    }))
}

/// A readable name for a compartment identifier (`upper_body_arteries` → "upper body arteries
/// (right radial)"; ventricles and atria in capitals).
pub fn compartment_label(compartment: &str) -> String {
    match compartment {
        "la" | "lv" | "ra" | "rv" => compartment.to_uppercase(),
        "upper_body_arteries" => "upper body arteries (right radial)".into(),
        other => other.replace('_', " "),
    }
}

/// Seconds for a title: no trailing zeros.
pub(crate) fn fmt_seconds(s: f64) -> String {
    let r = (s * 1000.0).round() / 1000.0;
    format!("{r}")
}
