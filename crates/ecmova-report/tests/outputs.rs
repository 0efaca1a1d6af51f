//! The outputs of a real simulation: Parquet round trip and the plots' content.

use ecmova_report::spec::{
    flows_spec, pressure_waveforms_spec, pv_loops_spec, saturation_map_spec, PanelContent, Planned,
};
use ecmova_report::{
    axis_range, flows, pressure_waveforms, pv_loops, read_parquet, saturation_map, write_all_plots,
    write_parquet, Columns, PhaseData, ReportError, Table, DEFAULT_SIZE,
};
use ecmova_scenario::series::Series;
use ecmova_scenario::{build, run, RunOptions, Scenario};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn simulate(preset: &str, duration_s: f64) -> Series {
    let scenario = Scenario::from_toml(&format!(
        "[patient]\npreset = \"{preset}\"\n[simulation]\nduration_s = {duration_s}\n"
    ))
    .expect("scenario");
    let built = build(&scenario).expect("build");
    run(
        &built,
        RunOptions {
            record_series: true,
            ..RunOptions::default()
        },
    )
    .expect("run")
    .series
    .expect("series")
}

/// 6 s of the healthy adult, shared by the tests.
fn healthy() -> &'static Series {
    static S: OnceLock<Series> = OnceLock::new();
    S.get_or_init(|| simulate("healthy-adult", 6.0))
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ecmova-report")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("out dir");
    dir
}

fn spec(planned: Planned) -> ecmova_report::PlotSpec {
    match planned {
        Planned::Plot(s) => s,
        Planned::Skip(note) => panic!("unexpected skip: {note}"),
    }
}

fn max_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
fn min_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Decodes a PNG, checks its size and returns the share of pixels differing from the corner
/// (background) pixel.
fn check_png(path: &Path, size: (u32, u32)) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("png file"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!((info.width, info.height), size, "{}", path.display());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let px = &buf[..info.buffer_size()];
    let background = &px[..3];
    let differing = px.chunks(3).filter(|p| *p != background).count();
    differing as f64 / (px.len() / 3) as f64
}

fn svg_text(path: &Path) -> String {
    let s = std::fs::read_to_string(path).expect("svg");
    assert!(s.starts_with("<svg"), "{}", path.display());
    for bad in ["NaN", "inf ", "inf,", "inf\"", "inf<"] {
        assert!(!s.contains(bad), "{bad} in {}", path.display());
    }
    s
}

/// Data lines: the polylines drawn 2 px wide (axes and ticks are 1 px).
fn polylines(svg: &str) -> usize {
    svg.split("<polyline")
        .skip(1)
        .filter(|p| {
            p.split('>')
                .next()
                .is_some_and(|tag| tag.contains("stroke-width=\"2\""))
        })
        .count()
}

#[test]
fn parquet_round_trip_of_a_real_run() {
    let series = healthy();
    let dir = out_dir("parquet");
    let path = dir.join("s.parquet");
    write_parquet(&path, series).expect("write");
    let back = read_parquet(&path).expect("read");
    assert_eq!(back.column_names(), series.columns().to_vec());
    assert_eq!(back.row_count(), series.len());
    assert!(series.len() > 1000);
    for name in series.columns() {
        let a = series.column(name).expect("column");
        let b = back.get(name).expect("column back");
        // Bit for bit, but for a negative zero, which is written 0.
        assert!(
            a.iter()
                .zip(b)
                .all(|(x, y)| (x + 0.0).to_bits() == y.to_bits()),
            "{name}"
        );
    }
}

#[test]
fn parquet_of_an_empty_series_keeps_the_schema() {
    let scenario = Scenario::from_toml(
        "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 1\n",
    )
    .expect("scenario");
    let built = build(&scenario).expect("build");
    let empty = Series::new(&built.model);
    let path = out_dir("parquet-empty").join("empty.parquet");
    write_parquet(&path, &empty).expect("write");
    let back = read_parquet(&path).expect("read");
    assert_eq!(back.column_names(), empty.columns().to_vec());
    assert_eq!(back.row_count(), 0);
}

/// A negative zero (a clamped circuit's CO2 removal) is written 0 in Parquet as in the CSV;
/// every other value keeps its bits.
#[test]
fn parquet_writes_no_negative_zero() {
    let t = Table::new(vec![
        ("time_s".into(), vec![0.0, 0.1, 0.2]),
        (
            "oxygenator_co2_removal_ml_min".into(),
            vec![-0.0, -1.5e-300, 2.0],
        ),
    ])
    .expect("table");
    let path = out_dir("parquet-negzero").join("z.parquet");
    write_parquet(&path, &t).expect("write");
    let back = read_parquet(&path).expect("read");
    let v = back
        .column_values("oxygenator_co2_removal_ml_min")
        .expect("column");
    assert_eq!(v[0].to_bits(), 0.0_f64.to_bits(), "{:?}", v[0]);
    assert_eq!(v[1].to_bits(), (-1.5e-300_f64).to_bits());
    assert_eq!(v[2], 2.0);
}

#[test]
fn parquet_rejects_non_finite_values_naming_column_and_row() {
    let t = Table::new(vec![
        ("time_s".into(), vec![0.0, 0.1, 0.2]),
        ("p_lv_mmhg".into(), vec![1.0, f64::NAN, 3.0]),
    ])
    .expect("table");
    let path = out_dir("parquet-nan").join("nan.parquet");
    let err = write_parquet(&path, &t).expect_err("NaN");
    assert!(matches!(&err, ReportError::NonFinite { column, row: 1, .. } if column == "p_lv_mmhg"));
    assert!(err.to_string().contains("p_lv_mmhg"));
    let err = read_parquet(out_dir("parquet-missing").join("none.parquet")).expect_err("missing");
    assert!(err.to_string().contains("none.parquet"));
}

#[test]
fn pressure_waveforms_show_every_site_with_labelled_axes() {
    let series = healthy();
    let planned = spec(pressure_waveforms_spec(series, 3.0).expect("spec"));
    // LV, aortic root, right radial, femoral on top; PA and CVP below.
    assert_eq!(planned.panels.len(), 2);
    assert_eq!(planned.line_count(), 6);
    let p_lv = series.column("p_lv_mmhg").expect("p_lv");
    let top = &planned.panels[0];
    assert!(top.y_range.start <= 0.0 && top.y_range.end >= max_of(&p_lv));
    let t = series.column("time_s").expect("time");
    let t_end = max_of(&t);
    assert!((top.x_range.end - t_end).abs() < 1e-9);
    assert!((top.x_range.start - (t_end - 3.0)).abs() < 0.01);
    let p_ra = series.column("p_ra_mmhg").expect("p_ra");
    let bottom = &planned.panels[1];
    assert!(bottom.y_range.start <= min_of(&p_ra).min(0.0));

    let dir = out_dir("pressure");
    let out = pressure_waveforms(&dir, series, 3.0, DEFAULT_SIZE).expect("plot");
    assert_eq!(out.files.len(), 2);
    assert!(out.notes.is_empty());
    let svg = svg_text(&dir.join("pressure_waveforms.svg"));
    for label in [
        "Time (s)",
        "Pressure (mmHg)",
        "Right radial",
        "Femoral",
        "Aortic root",
        "LV",
        "Pulmonary artery",
        "CVP (right atrium)",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert_eq!(polylines(&svg), 6);
    assert!(check_png(&dir.join("pressure_waveforms.png"), DEFAULT_SIZE) > 0.02);
    // The LV trace's legend gives its peak and minimum in words: "LV 100/14" reads as
    // systolic/end-diastolic, and the minimum is the early-diastolic pressure (session-7
    // clinical review: the AMI patient on ECMO read "LV 100/14" with an LVEDP of 25 mmHg).
    let PanelContent::Lines(curves) = &top.content else {
        panic!("lines")
    };
    let lv = curves
        .iter()
        .find(|c| c.label.starts_with("LV"))
        .expect("LV line");
    assert!(
        lv.label.starts_with("LV peak ") && lv.label.contains(", minimum "),
        "{}",
        lv.label
    );
}

#[test]
fn flows_in_l_min_with_ecmo_when_present() {
    let series = healthy();
    let planned = spec(flows_spec(series, 2.0).expect("spec"));
    assert!(series.column("q_ecmo_ml_s").is_none());
    assert_eq!(
        planned.line_count(),
        1,
        "no ECMO column in a run without a circuit"
    );
    let q = series.column("q_aortic_valve_ml_s").expect("q_av");
    let panel = &planned.panels[0];
    assert!(panel.y_range.end >= max_of(&q) * 0.06);
    assert!(panel.y_range.start <= 0.0);

    // The same series with an ECMO flow column: two curves.
    let mut columns: Vec<(String, Vec<f64>)> = series
        .columns()
        .iter()
        .map(|c| (c.clone(), series.column(c).expect("column")))
        .collect();
    columns.push(("q_ecmo_ml_s".into(), vec![3.5 / 0.06; series.len()]));
    let with_ecmo = Table::new(columns).expect("table");
    let dir = out_dir("flows");
    let out = flows(&dir, &with_ecmo, 2.0, (900, 600)).expect("plot");
    assert_eq!(out.files.len(), 2);
    let svg = svg_text(&dir.join("flows.svg"));
    for label in [
        "Flow (L/min)",
        "Time (s)",
        "Native (aortic valve)",
        "ECMO circuit",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert_eq!(polylines(&svg), 2);
    assert!(check_png(&dir.join("flows.png"), (900, 600)) > 0.01);
}

#[test]
fn pv_loops_overlay_phases_with_a_legend() {
    let healthy = healthy();
    let shock = simulate("cardiogenic-shock-ami", 6.0);
    let n = healthy.len();
    let phases = [
        ("healthy, first 2 s", PhaseData::Rows(0..n / 3)),
        ("healthy adult", PhaseData::Rows(0..n)),
        ("cardiogenic shock (AMI)", PhaseData::Series(&shock)),
    ];
    let planned = spec(pv_loops_spec(healthy, &phases, None).expect("spec"));
    assert_eq!(planned.panels.len(), 2, "LV and RV");
    assert_eq!(planned.line_count(), 6);
    assert_eq!(planned.legend().len(), 3);
    let lv = &planned.panels[0];
    let PanelContent::Lines(curves) = &lv.content else {
        panic!("lines");
    };
    // Each loop is one beat: 0.8 s at 75 bpm, about the same for the shock preset.
    for c in curves {
        assert!(c.points.len() > 100, "{}", c.label);
    }
    // The LV pressure axis spans 0..max(p_lv) of every loop, the volume axis every volume.
    for c in curves {
        let p: Vec<f64> = c.points.iter().map(|p| p.1).collect();
        let v: Vec<f64> = c.points.iter().map(|p| p.0).collect();
        assert!(lv.y_range.start <= 0.0 && lv.y_range.end >= max_of(&p));
        assert!(lv.x_range.start <= min_of(&v) && lv.x_range.end >= max_of(&v));
    }
    // The loop of the healthy adult reaches its systolic peak.
    let p_lv = healthy.column("p_lv_mmhg").expect("p_lv");
    let last_peak = max_of(&p_lv[n - n / 6..]);
    let healthy_curve = &curves[1];
    assert!(
        (max_of(&healthy_curve.points.iter().map(|p| p.1).collect::<Vec<_>>()) - last_peak).abs()
            < 2.0
    );

    let dir = out_dir("pv");
    let out = pv_loops(&dir, healthy, &phases, None, DEFAULT_SIZE).expect("plot");
    assert_eq!(out.files.len(), 2);
    let svg = svg_text(&dir.join("pv_loops.svg"));
    for label in [
        "Volume (mL)",
        "Pressure (mmHg)",
        "Left ventricle",
        "Right ventricle",
        "healthy adult",
        "cardiogenic shock (AMI)",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert_eq!(polylines(&svg), 6);
    assert!(check_png(&dir.join("pv_loops.png"), DEFAULT_SIZE) > 0.02);

    // A fixed window instead of beat detection.
    let fixed = spec(pv_loops_spec(healthy, &phases[1..2], Some(0.5)).expect("spec"));
    let PanelContent::Lines(curves) = &fixed.panels[0].content else {
        panic!("lines");
    };
    let t = healthy.column("time_s").expect("time");
    let dt = t[t.len() - 1] - t[t.len() - 2];
    assert!(
        (curves[0].points.len() as f64 - (0.5 / dt + 1.0)).abs() <= 1.0,
        "{} points, dt {dt}, last times {:?}",
        curves[0].points.len(),
        &t[t.len() - 3..]
    );
}

#[test]
fn saturation_map_is_skipped_without_so2_columns_and_drawn_with_them() {
    let series = healthy();
    // The run without its saturation columns (if the series has any).
    let without_so2 = Table::new(
        series
            .columns()
            .iter()
            .filter(|c| !c.starts_with("so2_"))
            .map(|c| (c.clone(), series.column(c).expect("column")))
            .collect(),
    )
    .expect("table");
    let dir = out_dir("so2");
    let out = saturation_map(&dir, &without_so2, 2.0, DEFAULT_SIZE).expect("skip");
    assert!(out.files.is_empty());
    assert_eq!(out.notes.len(), 1);
    assert!(out.notes[0].contains("so2_"));
    assert!(std::fs::read_dir(&dir).expect("dir").next().is_none());

    let n = series.len();
    let so2 = [
        ("upper_body_arteries", 97.5),
        ("femoral_arteries", 88.0),
        ("ra", 70.0),
        ("inferior_vena_cava", 65.0),
    ];
    let mut columns = vec![("time_s".to_string(), series.column("time_s").expect("t"))];
    for (c, v) in so2 {
        // The mean over the window is the value: a ramp symmetric around it at the end.
        let col: Vec<f64> = (0..n)
            .map(|i| v + if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        columns.push((format!("so2_{c}_percent"), col));
    }
    let table = Table::new(columns).expect("table");
    let planned = spec(saturation_map_spec(&table, 2.0).expect("spec"));
    let PanelContent::HorizontalBars(bars) = &planned.panels[0].content else {
        panic!("bars");
    };
    assert_eq!(bars.len(), 4);
    for (bar, (_, v)) in bars.iter().zip(so2) {
        assert!((bar.value - v).abs() < 0.01, "{}", bar.label);
    }
    let out = saturation_map(&dir, &table, 2.0, DEFAULT_SIZE).expect("plot");
    assert_eq!(out.files.len(), 2);
    let svg = svg_text(&dir.join("saturation_map.svg"));
    for label in [
        "Oxygen saturation SO2 (%)",
        "upper body arteries (right radial)",
        "femoral arteries",
        "RA",
        "inferior vena cava",
        "97.5 %",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert!(check_png(&dir.join("saturation_map.png"), DEFAULT_SIZE) > 0.02);
}

#[test]
fn write_all_plots_of_a_real_run() {
    let series = healthy();
    let dir = out_dir("all");
    let out = write_all_plots(&dir, series, &[], 3.0).expect("plots");
    let names: Vec<String> = out
        .files
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    let mut expected = vec![
        "pressure_waveforms.svg",
        "pressure_waveforms.png",
        "flows.svg",
        "flows.png",
        "pv_loops.svg",
        "pv_loops.png",
    ];
    let has_so2 = series.columns().iter().any(|c| c.starts_with("so2_"));
    if has_so2 {
        expected.extend(["saturation_map.svg", "saturation_map.png"]);
        assert!(out.notes.is_empty(), "{:?}", out.notes);
    } else {
        assert_eq!(
            out.notes.len(),
            1,
            "saturation map skipped: {:?}",
            out.notes
        );
    }
    assert_eq!(names, expected);
    for f in &out.files {
        assert!(f.exists());
    }
}

#[test]
fn empty_series_and_missing_columns_never_panic() {
    let scenario = Scenario::from_toml(
        "[patient]\npreset = \"healthy-adult\"\n[simulation]\nduration_s = 1\n",
    )
    .expect("scenario");
    let built = build(&scenario).expect("build");
    let empty = Series::new(&built.model);
    let dir = out_dir("empty");
    let out = write_all_plots(&dir, &empty, &[], 3.0).expect("plots");
    assert!(out.files.is_empty());
    assert_eq!(out.notes.len(), 4, "{:?}", out.notes);

    let no_time = Table::new(vec![("p_lv_mmhg".into(), vec![1.0, 2.0])]).expect("table");
    let err = pressure_waveforms(&dir, &no_time, 1.0, DEFAULT_SIZE).expect_err("time_s");
    assert!(err.to_string().contains("time_s"));
    let err = pressure_waveforms(&dir, healthy(), f64::NAN, DEFAULT_SIZE).expect_err("window");
    assert!(err.to_string().contains("window_s"));
    let err = pressure_waveforms(&dir, healthy(), 1.0, (0, 800)).expect_err("size");
    assert!(err.to_string().contains("size"));

    // Only a time column: every figure is skipped with a note.
    let only_time = Table::new(vec![("time_s".into(), vec![0.0, 0.5, 1.0])]).expect("table");
    let out = write_all_plots(&dir, &only_time, &[], 3.0).expect("plots");
    assert!(out.files.is_empty());
    assert_eq!(out.notes.len(), 4);

    // A single saturation column, and one made only of NaN: one bar.
    let one = Table::new(vec![
        ("time_s".into(), vec![0.0, 0.5, 1.0]),
        ("so2_lv_percent".into(), vec![98.0, 97.0, 96.0]),
        ("so2_ra_percent".into(), vec![f64::NAN; 3]),
    ])
    .expect("table");
    let out = saturation_map(&dir, &one, 0.6, (400, 300)).expect("one bar");
    assert_eq!(out.files.len(), 2);
    let svg = svg_text(&dir.join("saturation_map.svg"));
    assert!(svg.contains("96.5 %") && !svg.contains("RA"));
    assert!(check_png(&dir.join("saturation_map.png"), (400, 300)) > 0.01);

    // Non-finite data: gaps in the lines, never NaN in the output.
    let table = Table::new(vec![
        ("time_s".into(), vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5]),
        (
            "p_lv_mmhg".into(),
            vec![5.0, f64::NAN, 100.0, f64::INFINITY, 10.0, 8.0],
        ),
        ("p_ra_mmhg".into(), vec![f64::NAN; 6]),
        (
            "v_lv_ml".into(),
            vec![120.0, 110.0, f64::NAN, 60.0, 70.0, 120.0],
        ),
    ])
    .expect("table");
    let out = write_all_plots(&dir, &table, &[], 10.0).expect("plots");
    assert_eq!(out.files.len(), 4, "pressure waveforms and PV loops");
    for f in out
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "svg"))
    {
        svg_text(f);
    }
}

#[test]
fn axis_range_contains_the_data_and_is_always_finite() {
    let data = [1.0, 5.0, 3.0];
    let r = axis_range([&data[..]], false);
    assert!(r.start <= 1.0 && r.end >= 5.0 && r.start > 0.0);
    let r = axis_range([&data[..]], true);
    assert_eq!(r.start, 0.0);
    assert!(r.end >= 5.0);
    let neg = [-3.0, -1.0];
    let r = axis_range([&neg[..]], true);
    assert!(r.start <= -3.0 && r.end >= 0.0);
    for (values, zero) in [
        (vec![], false),
        (vec![f64::NAN, f64::INFINITY], true),
        (vec![7.0, 7.0], false),
        (vec![0.0], true),
        (vec![f64::MAX, -f64::MAX], false),
    ] {
        let r = axis_range([values.as_slice()], zero);
        assert!(
            r.start.is_finite() && r.end.is_finite() && r.start < r.end,
            "{values:?}"
        );
        for v in values.iter().filter(|v| v.is_finite() && v.abs() < 1e300) {
            assert!(r.contains(v) || r.end == *v);
        }
    }
}

/// A real VA-ECMO run: shock, then the pump starting at 20 s. Skipped (with a message) while
/// the scenario format has no `[ecmo]` table.
#[test]
fn plots_of_a_real_ecmo_run() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ami-femoral-ecmo.toml"),
    );
    let Ok(text) = text else {
        eprintln!("examples/ami-femoral-ecmo.toml absent: ECMO plots not tested");
        return;
    };
    // 40 s: the pump starts at 20 s; the later speed change is dropped.
    let text = match text.find("[[events]]") {
        Some(i) => {
            let rest = &text[i..];
            let end = rest.find("[simulation]").unwrap_or(rest.len());
            format!("{}{}", &text[..i], &rest[end..])
        }
        None => text,
    };
    let text = text.replace("duration_s = 100", "duration_s = 40");
    let Ok(scenario) = Scenario::from_toml(&text) else {
        eprintln!("no [ecmo] in the scenario format yet: ECMO plots not tested");
        return;
    };
    let built = build(&scenario).expect("build");
    let series = run(
        &built,
        RunOptions {
            record_series: true,
            ..RunOptions::default()
        },
    )
    .expect("run")
    .series
    .expect("series");
    let t = series.column("time_s").expect("time");
    let start = t.iter().position(|&x| x >= 20.0).expect("20 s");
    let phases = [
        ("before ECMO", PhaseData::Rows(0..start)),
        ("ECMO 3000 rpm", PhaseData::Rows(start..series.len())),
    ];
    let dir = out_dir("ecmo");
    let out = write_all_plots(&dir, &series, &phases, 3.0).expect("plots");
    assert_eq!(out.files.len(), 8, "{:?}", out.notes);
    let svg = svg_text(&dir.join("flows.svg"));
    assert!(svg.contains("ECMO circuit"));
    assert_eq!(polylines(&svg), 2);
    let svg = svg_text(&dir.join("pv_loops.svg"));
    assert!(svg.contains("before ECMO") && svg.contains("ECMO 3000 rpm"));
    assert_eq!(polylines(&svg), 4);
    let svg = svg_text(&dir.join("saturation_map.svg"));
    assert!(svg.contains("femoral arteries"));
    for f in out
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
    {
        assert!(check_png(f, DEFAULT_SIZE) > 0.02, "{}", f.display());
    }
}

/// The whole-run trend figure plans MAP, LVEDP, flows and SaO2 over every beat of the run,
/// and leaves out a curve that is 0 on every beat (no circuit) (issue 15).
#[test]
fn trends_cover_the_whole_run_beat_by_beat() {
    use ecmova_report::spec::{trends_spec, PanelContent, Planned};
    let text = "[patient]\npreset = \"cardiogenic-shock-ami\"\n[simulation]\nduration_s = 8\n";
    let built =
        ecmova_scenario::build(&ecmova_scenario::Scenario::from_toml(text).unwrap()).unwrap();
    let out = ecmova_scenario::run(&built, ecmova_scenario::RunOptions::default()).unwrap();
    let beats = Series::beat_table(&out.beats, &[0.0], Some(out.final_model.params()));
    assert!(beats.len() >= 5);
    let Planned::Plot(spec) = trends_spec(&beats, &[]).unwrap() else {
        panic!("no trend figure");
    };
    let labels: Vec<String> = spec.legend().into_iter().map(|(l, _)| l).collect();
    for want in [
        "MAP, right radial",
        "LVEDP",
        "Native cardiac output",
        "SaO2, femoral",
    ] {
        assert!(labels.iter().any(|l| l == want), "{want} in {labels:?}");
    }
    assert!(!labels.iter().any(|l| l == "ECMO circuit"), "{labels:?}");
    let first = beats.row(0)[0];
    let last = beats.row(beats.len() - 1)[0];
    for panel in &spec.panels {
        let PanelContent::Lines(curves) = &panel.content else {
            panic!("lines");
        };
        for c in curves {
            assert_eq!(c.points.len(), beats.len(), "{}", c.label);
            assert_eq!(c.points[0].0, first);
            assert_eq!(c.points.last().unwrap().0, last);
        }
    }
    let empty = Series::beat_table(&[], &[0.0], None);
    assert!(matches!(
        trends_spec(&empty, &[]).unwrap(),
        Planned::Skip(_)
    ));
}

/// The trend figure marks the run's events (issue 15: "whole-run trend plots ... with event
/// markers") and shows PaCO2 at both sites when the gases are modelled: the weaning-trial
/// story on femoral VA-ECMO, its phases as the markers, numbered in time order; an event at
/// the run's start or after its end is not marked; labels too long for the legend are cut.
#[test]
fn trends_mark_the_events_and_show_paco2() {
    use ecmova_report::spec::{trends_spec, Planned, MARKER_LABEL_CHARS};
    let text = "[patient]\npreset = \"cardiogenic-shock-ami\"\n[ecmo]\nenabled = true\n\
                pump_rpm = 3000\n[[events]]\nat_s = 4\naction = \"set_pump_rpm\"\nrpm = 3600\n\
                [simulation]\nduration_s = 8\n";
    let built =
        ecmova_scenario::build(&ecmova_scenario::Scenario::from_toml(text).unwrap()).unwrap();
    let out = ecmova_scenario::run(&built, ecmova_scenario::RunOptions::default()).unwrap();
    let starts: Vec<f64> = out.summary.phases.iter().map(|p| p.start_s).collect();
    let beats = Series::beat_table(&out.beats, &starts, Some(out.final_model.params()));
    let long = "a label far longer than any legend column can show without covering the plots";
    let events = [
        (0.0, "baseline"),
        (6.0, long),
        (4.0, "ECMO 3600 rpm"),
        (99.0, "after"),
    ];
    let Planned::Plot(spec) = trends_spec(&beats, &events).unwrap() else {
        panic!("no trend figure");
    };
    let marks: Vec<(f64, &str, &str)> = spec
        .markers
        .iter()
        .map(|m| (m.x, m.tag.as_str(), m.label.as_str()))
        .collect();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert_eq!(marks[0], (4.0, "1", "4 s: ECMO 3600 rpm"));
    assert_eq!((marks[1].0, marks[1].1), (6.0, "2"));
    assert!(marks[1].2.starts_with("6 s: a label far") && marks[1].2.ends_with('…'));
    assert_eq!(marks[1].2.chars().count(), MARKER_LABEL_CHARS);
    let labels: Vec<String> = spec.legend().into_iter().map(|(l, _)| l).collect();
    for want in ["PaCO2, right radial", "PaCO2, femoral", "ECMO circuit"] {
        assert!(labels.iter().any(|l| l == want), "{want} in {labels:?}");
    }
    // Drawn: the dashed markers and their legend entries are in the SVG.
    let dir = std::env::temp_dir().join(format!("ecmova-trends-markers-{}", std::process::id()));
    let plotted =
        ecmova_report::trends(&dir, &beats, &events, ecmova_report::DEFAULT_SIZE).unwrap();
    let svg = std::fs::read_to_string(plotted.files[0].clone()).unwrap();
    assert!(
        svg.contains("4 s: ECMO 3600 rpm"),
        "marker legend in the SVG"
    );
    assert!(svg.contains("PaCO2 (mmHg)"));
    let _ = std::fs::remove_dir_all(&dir);
    // A non-finite event time is refused, naming it.
    let err = trends_spec(&beats, &[(f64::NAN, "x")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("events") && err.contains("NaN"), "{err}");
}
