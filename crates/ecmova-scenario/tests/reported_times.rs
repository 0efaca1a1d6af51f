//! Times as the outputs report them (issue 15, research outputs): the engine's beat-synchronous
//! clock accumulates one rounding per beat, so after 70 beats at 105 /min the 40 s mark read
//! `40.00000000000001` and the 60 s mark `59.999999999999936` in phases, series and beat tables.
//! Every reported time is the clock to the nanosecond ([`reported_time_s`]).

use ecmova_scenario::series::Series;
use ecmova_scenario::simulation::reported_time_s;
use ecmova_scenario::{build, run, RunOptions, Scenario};

#[test]
fn the_reported_clock_drops_accumulated_rounding_only() {
    assert_eq!(reported_time_s(59.999_999_999_999_936), 60.0);
    assert_eq!(reported_time_s(40.000_000_000_000_01), 40.0);
    // A genuine fraction keeps nine decimals (a nanosecond).
    assert_eq!(reported_time_s(60.0 / 105.0), 0.571_428_571);
    assert_eq!(reported_time_s(1.0e-5), 1.0e-5);
    // No negative zero, nothing non-finite invented, beyond 2⁵³ ns the clock as it is.
    assert!(reported_time_s(-0.0).is_sign_positive());
    assert!(reported_time_s(f64::NAN).is_nan());
    assert_eq!(reported_time_s(1.0e8 + 0.1), 1.0e8 + 0.1);
}

fn run_weaning_example(series_interval_s: f64) -> ecmova_scenario::RunOutput {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ami-weaning-trial.toml"
    );
    let text = std::fs::read_to_string(path).expect("example file");
    let mut scenario = Scenario::from_toml(&text).expect("parses");
    scenario.simulation.series_interval_s = Some(series_interval_s);
    let built = build(&scenario).expect("builds");
    run(
        &built,
        RunOptions {
            record_series: true,
            ..Default::default()
        },
    )
    .expect("runs")
}

/// The weaning example: a trial at 40 s with 20 s steps, 110 s in all, at 105 /min (a grid
/// point falls on every scheduled time). Its phases start and end at the scheduled seconds,
/// and every series and beat-table time has at most nine decimals.
#[test]
fn phases_series_and_beats_report_the_scheduled_times() {
    let out = run_weaning_example(1.0);
    let phases: Vec<(f64, f64)> = out
        .summary
        .phases
        .iter()
        .map(|p| (p.start_s, p.end_s))
        .collect();
    assert_eq!(
        phases,
        vec![
            (0.0, 40.0),
            (40.0, 60.0),
            (60.0, 80.0),
            (80.0, 100.0),
            (100.0, 110.0)
        ],
        "{:?}",
        out.summary.phases
    );
    assert_eq!(out.summary.simulated_s, 110.0);
    assert_eq!(out.simulated_s, 110.0);
    let series = out.series.as_ref().expect("series");
    let times = series.column("time_s").expect("time column");
    assert!(times.len() > 100);
    for &t in &times {
        assert_eq!(reported_time_s(t), t, "series time {t}");
        // 1 s samples on a grid that meets every whole second.
        assert_eq!(t.fract(), 0.0, "series time {t}");
    }
    let starts: Vec<f64> = out.summary.phases.iter().map(|p| p.start_s).collect();
    let beats = Series::beat_table(&out.beats, &starts, Some(out.final_model.params()));
    let beat_times = beats.column("time_s").expect("time column");
    assert!(beat_times.len() > 150);
    for &t in &beat_times {
        assert_eq!(reported_time_s(t), t, "beat time {t}");
    }
    // One name per quantity: the beat's start is `time_s` only.
    assert!(beats.column("start_s").is_none());
}
