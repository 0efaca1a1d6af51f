//! Drawing [`PlotSpec`]s with `plotters`: SVG (text left to the viewer's sans-serif font) and
//! PNG (in-memory bitmap, text rasterised with the embedded Noto Sans Regular, encoded with the
//! `png` crate). No system font is ever looked up.

use crate::spec::{Bar, Layout, Marker as EventMarker, Panel, PanelContent, PlotSpec, Rgb};
use crate::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Default image size, pixels (width, height).
pub const DEFAULT_SIZE: (u32, u32) = (1200, 800);
/// Smallest accepted width or height, pixels.
pub const MIN_SIDE: u32 = 300;
/// Largest accepted width or height, pixels.
pub const MAX_SIDE: u32 = 8000;

/// The font family every text uses; registered once with the embedded Noto Sans.
const FAMILY: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by `ttf-noto-sans`; on the impossible
        // failure text would be missing and drawing reports an error, never a panic.
        for style in [FontStyle::Normal, FontStyle::Bold] {
            let _ = plotters::style::register_font(FAMILY, style, ttf_noto_sans::REGULAR);
        }
    });
}

/// Checks an image size argument.
pub(crate) fn check_size(size: (u32, u32)) -> Result<(), ReportError> {
    let ok = |s: u32| (MIN_SIDE..=MAX_SIDE).contains(&s);
    if ok(size.0) && ok(size.1) {
        Ok(())
    } else {
        Err(ReportError::InvalidArgument {
            name: "size",
            value: format!("{}x{}", size.0, size.1),
            reason: "width and height must be within 300..=8000 pixels",
        })
    }
}

fn check_spec(spec: &PlotSpec) -> Result<(), ReportError> {
    let valid =
        |r: &std::ops::Range<f64>| r.start.is_finite() && r.end.is_finite() && r.start < r.end;
    if let Some(mk) = spec.markers.iter().find(|mk| !mk.x.is_finite()) {
        return Err(ReportError::InvalidArgument {
            name: "markers",
            value: format!("{} at {} in `{}`", mk.label, mk.x, spec.name),
            reason: "a marker's position must be finite",
        });
    }
    for panel in &spec.panels {
        for (name, r) in [("x_range", &panel.x_range), ("y_range", &panel.y_range)] {
            if !valid(r) {
                return Err(ReportError::InvalidArgument {
                    name,
                    value: format!("{r:?} in panel `{}` of `{}`", panel.title, spec.name),
                    reason: "axis ranges must be finite with start < end",
                });
            }
        }
        if let PanelContent::HorizontalBars(bars) = &panel.content {
            if let Some(b) = bars.iter().find(|b| !b.value.is_finite()) {
                return Err(ReportError::NonFinite {
                    column: b.label.clone(),
                    row: 0,
                    value: b.value,
                });
            }
        }
    }
    Ok(())
}

/// Writes `spec` as `<dir>/<name>.svg` and `<dir>/<name>.png` of `size` pixels; returns both
/// paths (SVG first). Creates `dir` if needed.
pub fn render(dir: &Path, spec: &PlotSpec, size: (u32, u32)) -> Result<Vec<PathBuf>, ReportError> {
    check_size(size)?;
    check_spec(spec)?;
    if spec.name.is_empty() || spec.name.contains(['/', '\\']) || spec.name.starts_with('.') {
        return Err(ReportError::InvalidArgument {
            name: "spec.name",
            value: spec.name.clone(),
            reason: "must be a plain, non-empty file stem",
        });
    }
    register_font();
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let svg_path = dir.join(format!("{}.svg", spec.name));
    let png_path = dir.join(format!("{}.png", spec.name));

    let mut svg = String::new();
    guarded(&svg_path, || {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_figure(&root, spec, size)?;
        root.present().map_err(|e| e.to_string())
    })?;
    std::fs::write(&svg_path, svg).map_err(|e| ReportError::io(&svg_path, e))?;

    let mut pixels = vec![255u8; size.0 as usize * size.1 as usize * 3];
    guarded(&png_path, || {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        draw_figure(&root, spec, size)?;
        root.present().map_err(|e| e.to_string())
    })?;
    write_png(&png_path, &pixels, size)?;
    Ok(vec![svg_path, png_path])
}

/// Runs a drawing closure, turning its error and any panic inside the plotting library into a
/// [`ReportError::Render`] naming the file.
fn guarded(path: &Path, f: impl FnOnce() -> Result<(), String>) -> Result<(), ReportError> {
    let render = |message: String| ReportError::Render {
        path: path.to_path_buf(),
        message,
    };
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(render(message)),
        Err(_) => Err(render("the plotting library panicked".into())),
    }
}

fn write_png(path: &Path, rgb: &[u8], (w, h): (u32, u32)) -> Result<(), ReportError> {
    let render = |message: String| ReportError::Render {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::create(path).map_err(|e| ReportError::io(path, e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| render(e.to_string()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| render(e.to_string()))?;
    writer.finish().map_err(|e| render(e.to_string()))
}

fn color(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Pixel sizes scaled to the image: 1.0 at 1200×800.
struct Metrics {
    k: f64,
}

impl Metrics {
    fn px(&self, base: f64) -> u32 {
        (base * self.k).round().max(1.0) as u32
    }
    fn font(&self, base: f64) -> f64 {
        (base * self.k).max(8.0)
    }
}

fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &PlotSpec,
    size: (u32, u32),
) -> Result<(), String> {
    let m = Metrics {
        // Text stays legible on small images: never below 0.6 of the 1200x800 sizes.
        k: (f64::from(size.0) / 1200.0)
            .min(f64::from(size.1) / 800.0)
            .max(0.6),
    };
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let body = root
        .titled(
            &spec.title,
            (FAMILY, m.font(30.0), FontStyle::Bold)
                .into_font()
                .color(&BLACK),
        )
        .map_err(err)?;
    let legend = spec.legend();
    let marker_entries: Vec<String> = spec
        .markers
        .iter()
        .map(|mk| format!("{}  {}", mk.tag, mk.label))
        .collect();
    let (plots, legend_area) = if legend.is_empty() && marker_entries.is_empty() {
        (body, None)
    } else {
        let longest = legend
            .iter()
            .map(|(l, _)| l)
            .chain(&marker_entries)
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        let width = (m.font(20.0) * (0.55 * longest as f64 + 3.5)).round() as u32 + m.px(24.0);
        let width = width.max(m.px(140.0)).min(size.0 / 3);
        let (w, _) = body.dim_in_pixel();
        let (a, b) = body.split_horizontally(w.saturating_sub(width));
        (a, Some(b))
    };
    let n = spec.panels.len().max(1);
    let areas = match spec.layout {
        Layout::Rows => plots.split_evenly((n, 1)),
        Layout::Columns => plots.split_evenly((1, n)),
    };
    for (k, (panel, area)) in spec.panels.iter().zip(&areas).enumerate() {
        match &panel.content {
            PanelContent::Lines(_) => draw_lines(area, panel, &spec.markers, k == 0, &m)?,
            PanelContent::HorizontalBars(bars) => draw_bars(area, panel, bars, &m)?,
        }
    }
    if let Some(area) = legend_area {
        let text = (FAMILY, m.font(20.0))
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let x0 = m.px(10.0) as i32;
        let sample = m.px(36.0) as i32;
        let half = (m.px(5.0) as i32).max(2) / 2 + 1;
        for (i, (label, c)) in legend.iter().enumerate() {
            let y = m.px(60.0) as i32 + i as i32 * m.px(34.0) as i32;
            area.draw(&Rectangle::new(
                [(x0, y - half), (x0 + sample, y + half)],
                color(*c).filled(),
            ))
            .map_err(err)?;
            area.draw(&Text::new(
                label.clone(),
                (x0 + sample + m.px(10.0) as i32, y),
                text.clone(),
            ))
            .map_err(err)?;
        }
        // Event markers after the curves, each with its tag and label beside a dashed sample.
        let small = (FAMILY, m.font(17.0))
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let first = m.px(60.0) as i32 + legend.len() as i32 * m.px(34.0) as i32 + m.px(10.0) as i32;
        for (i, entry) in marker_entries.iter().enumerate() {
            let y = first + i as i32 * m.px(28.0) as i32;
            area.draw(&PathElement::new(
                vec![(x0, y), (x0 + sample, y)],
                MARKER_COLOR.stroke_width(m.px(1.5).max(1)),
            ))
            .map_err(err)?;
            area.draw(&Text::new(
                entry.clone(),
                (x0 + sample + m.px(10.0) as i32, y),
                small.clone(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// Event markers' colour (mid grey: visible on white, never mistaken for a curve).
const MARKER_COLOR: RGBColor = RGBColor(110, 110, 110);

/// At most about `max_points` points of a line that looks the same at plot resolution: the
/// points are cut into consecutive buckets, each kept as its first, lowest, highest and last
/// point (in their original order). Lines short enough are returned unchanged.
fn thin(points: Vec<(f64, f64)>, max_points: usize) -> Vec<(f64, f64)> {
    let buckets = (max_points / 4).max(1);
    if points.len() <= max_points {
        return points;
    }
    let size = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(4 * buckets);
    for chunk in points.chunks(size) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let mut keep = [0, lo, hi, chunk.len() - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(chunk[k]);
                last = k;
            }
        }
    }
    out
}

/// A tick label with as many decimals as the axis step needs.
fn tick(v: f64, span: f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else if span >= 0.2 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    // Avoid "-0".
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    markers: &[EventMarker],
    tags: bool,
    m: &Metrics,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let PanelContent::Lines(curves) = &panel.content else {
        return Ok(());
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(m.px(12.0))
        .x_label_area_size(m.px(60.0))
        .y_label_area_size(m.px(80.0));
    if !panel.title.is_empty() {
        builder.caption(
            &panel.title,
            (FAMILY, m.font(22.0)).into_font().color(&BLACK),
        );
    }
    let mut chart = builder
        .build_cartesian_2d(panel.x_range.clone(), panel.y_range.clone())
        .map_err(err)?;
    let x_span = panel.x_range.end - panel.x_range.start;
    let y_span = panel.y_range.end - panel.y_range.start;
    let x_fmt = |v: &f64| tick(*v, x_span);
    let y_fmt = |v: &f64| tick(*v, y_span);
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FAMILY, m.font(17.0)).into_font().color(&BLACK))
        .axis_desc_style((FAMILY, m.font(20.0)).into_font().color(&BLACK))
        .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
        .light_line_style(RGBColor(242, 242, 242).stroke_width(1))
        .max_light_lines(4)
        .axis_style(RGBColor(90, 90, 90).stroke_width(1))
        .draw()
        .map_err(err)?;
    let stroke = m.px(2.0).max(1);
    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let max_points = 4 * plot_width.max(100) as usize;
    for curve in curves {
        for segment in curve.segments() {
            chart
                .draw_series(LineSeries::new(
                    thin(segment, max_points),
                    color(curve.color).stroke_width(stroke),
                ))
                .map_err(err)?;
        }
    }
    let (y0, y1) = (panel.y_range.start, panel.y_range.end);
    for mk in markers
        .iter()
        .filter(|mk| mk.x >= panel.x_range.start && mk.x <= panel.x_range.end)
    {
        let dash = f64::from(m.px(6.0));
        chart
            .draw_series(DashedLineSeries::new(
                [(mk.x, y0), (mk.x, y1)],
                dash,
                dash,
                MARKER_COLOR.stroke_width(m.px(1.5).max(1)),
            ))
            .map_err(err)?;
        if tags {
            // Beside the line, not on it (a "1" on a dashed line disappears).
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((mk.x, y1))
                        + Text::new(
                            mk.tag.clone(),
                            (m.px(4.0) as i32, m.px(2.0) as i32),
                            (FAMILY, m.font(16.0), FontStyle::Bold)
                                .into_font()
                                .color(&MARKER_COLOR)
                                .pos(Pos::new(HPos::Left, VPos::Top)),
                        ),
                ))
                .map_err(err)?;
        }
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    bars: &[Bar],
    m: &Metrics,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = bars.len();
    if n == 0 {
        return Ok(());
    }
    let longest = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_width = (m.font(17.0) * 0.55 * longest as f64).round() as u32 + m.px(30.0);
    let (w, _) = area.dim_in_pixel();
    let label_width = label_width.min(w / 2);
    // Bar k (from the top) sits in segment top-k of the vertical axis; at least two segments
    // (a single segment has no extent in plotters), so a single bar leaves an empty row below.
    let n_i32 = i32::try_from(n).map_err(|_| "too many bars".to_string())?;
    let top = (n_i32 - 1).max(1);
    let segment = |k: usize| top - k as i32;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(m.px(12.0))
        .margin_right(m.px(80.0))
        .x_label_area_size(m.px(60.0))
        .y_label_area_size(label_width);
    if !panel.title.is_empty() {
        builder.caption(
            &panel.title,
            (FAMILY, m.font(22.0)).into_font().color(&BLACK),
        );
    }
    let mut chart = builder
        .build_cartesian_2d(panel.x_range.clone(), (0..top).into_segmented())
        .map_err(err)?;
    let x_span = panel.x_range.end - panel.x_range.start;
    let x_fmt = |v: &f64| tick(*v, x_span);
    let y_fmt = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) if (0..n_i32).contains(&(top - i)) => {
            bars[(top - i) as usize].label.clone()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_labels(11)
        .y_labels(n + 1)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FAMILY, m.font(17.0)).into_font().color(&BLACK))
        .axis_desc_style((FAMILY, m.font(20.0)).into_font().color(&BLACK))
        .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
        .light_line_style(RGBColor(242, 242, 242).stroke_width(1))
        .max_light_lines(1)
        .axis_style(RGBColor(90, 90, 90).stroke_width(1))
        .draw()
        .map_err(err)?;
    let base = panel.x_range.start.max(0.0).min(panel.x_range.end);
    let value_style = (FAMILY, m.font(16.0))
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (k, bar) in bars.iter().enumerate() {
        let i = segment(k);
        let mut rect = Rectangle::new(
            [
                (base, SegmentValue::Exact(i + 1)),
                (bar.value, SegmentValue::Exact(i)),
            ],
            color(bar.color).filled(),
        );
        let gap = m.px(5.0);
        rect.set_margin(gap, gap, 0, 0);
        chart.draw_series(std::iter::once(rect)).map_err(err)?;
        let label = EmptyElement::at((bar.value, SegmentValue::CenterOf(i)))
            + Text::new(
                format!("{:.1} %", bar.value),
                (m.px(6.0) as i32, 0),
                value_style.clone(),
            );
        chart.draw_series(std::iter::once(label)).map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_extremes_ends_and_order() {
        let points: Vec<(f64, f64)> = (0..100_000)
            .map(|i| (i as f64, ((i as f64) * 0.01).sin()))
            .collect();
        let thin = thin(points.clone(), 4000);
        assert!(thin.len() <= 4000 && thin.len() > 1000);
        assert_eq!(thin.first(), points.first());
        assert_eq!(thin.last(), points.last());
        assert!(thin.windows(2).all(|w| w[0].0 < w[1].0));
        let max = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert_eq!(max(&thin), max(&points));
        let short = vec![(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(super::thin(short.clone(), 4000), short);
    }

    #[test]
    fn tick_labels_have_no_negative_zero() {
        assert_eq!(tick(-0.0001, 100.0), "0");
        assert_eq!(tick(2.5, 10.0), "2.5");
        assert_eq!(tick(0.123, 0.5), "0.12");
    }
}
