//! Peer comparison: the `regazzoni-2022` preset against svZeroDSolver.
//!
//! Source: svZeroDSolver 3.2 (SimVascular, BSD-3-Clause), test case
//! `closed_loop_two_hill.json` at commit c7b0ca0, i.e. the closed-loop model of Regazzoni et
//! al. (J Comput Phys 2022;457:111083), run for 87 cycles (60.0 s) with only the last cycle
//! written out (`tests/data/peers/README.md`, vendored with its BSD-3-Clause licence). The file
//! holds 689 samples per variable over one period T = 0.689655 s, with times measured from the
//! start of that cycle (t = 86T in absolute time).
//!
//! We run the preset with the default fixed step from t = 0 to 87T, keep every step of the
//! last beat (beat index 86, which starts exactly at 86T because the integrator is
//! beat-synchronous), interpolate linearly to the peer's sample times, and compare LV
//! pressure, LV volume and aortic (`ar_sys`) pressure.
//!
//! Acceptance (issue): at every peer sample, |ours − peer| ≤ 1 % of the peer's range
//! (max − min over the cycle) of that variable.

use ecmova_engine::*;

/// The peer's output (the three compared series), vendored in this crate.
const PEER_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/peers/svzerod-closed-loop-two-hill.60s-last-cycle.lv-aorta.csv"
);

/// Pa per mmHg (the conversion stated in the peer README).
const PA_PER_MMHG: f64 = 133.322;
/// mL per m³.
const ML_PER_M3: f64 = 1e6;
/// Cycles the peer ran; the file holds the last one.
const CYCLES: u64 = 87;
/// Acceptance tolerance, fraction of the peer's range over the cycle (issue acceptance
/// point; fixed a priori, not tuned). 1 % of range is about 1 mmHg for the LV and aortic
/// pressures and 0.7 mL for the LV volume: well above what two correct solvers of the same
/// ODE should differ by (integration error of RK4 at 1 ms and of the peer's implicit
/// generalised-α scheme at T/689, plus linear interpolation between samples ~1 ms apart), and
/// well below any modelling difference (a wrong parameter, valve law or activation phase
/// shifts the waveforms by several percent of range).
const TOLERANCE_OF_RANGE: f64 = 0.01;

/// One peer series: (time within the cycle, value) in SI units.
fn peer_series(csv: &str, name: &str) -> Vec<(f64, f64)> {
    let series: Vec<(f64, f64)> = csv
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut parts = line.split(',');
            let n = parts.next()?;
            if n != name {
                return None;
            }
            let t: f64 = parts.next()?.trim().parse().ok()?;
            let y: f64 = parts.next()?.trim().parse().ok()?;
            Some((t, y))
        })
        .collect();
    assert_eq!(
        series.len(),
        689,
        "peer series {name}: expected 689 samples"
    );
    series
}

/// Linear interpolation of `ys` sampled at increasing `ts`, at `t` (clamped to the ends).
fn interpolate(ts: &[f64], ys: &[f64], t: f64) -> f64 {
    let i = ts.partition_point(|&x| x <= t);
    if i == 0 {
        return ys[0];
    }
    if i >= ts.len() {
        return ys[ts.len() - 1];
    }
    let (t0, t1) = (ts[i - 1], ts[i]);
    let w = (t - t0) / (t1 - t0);
    ys[i - 1] + w * (ys[i] - ys[i - 1])
}

/// Worst error over the cycle, in % of the peer's range; also returns (peer min, peer max)
/// and the phase of the worst sample.
fn worst_error_percent(
    peer: &[(f64, f64)],
    peer_scale: f64,
    ours_t: &[f64],
    ours_y: &[f64],
) -> (f64, f64, f64, f64) {
    let values: Vec<f64> = peer.iter().map(|&(_, y)| y * peer_scale).collect();
    let lo = values.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = values.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    let mut worst = 0.0;
    let mut worst_t = 0.0;
    for (&(t, _), &p) in peer.iter().zip(&values) {
        let o = interpolate(ours_t, ours_y, t);
        let e = (o - p).abs() / range * 100.0;
        if e > worst {
            worst = e;
            worst_t = t;
        }
    }
    (worst, lo, hi, worst_t)
}

#[test]
fn regazzoni_matches_svzerodsolver_last_cycle_after_60_s() {
    let csv = std::fs::read_to_string(PEER_CSV)
        .unwrap_or_else(|e| panic!("cannot read peer data {PEER_CSV}: {e}"));
    let p_lv_peer = peer_series(&csv, "pressure:LV:AV");
    let v_lv_peer = peer_series(&csv, "Vc:LV");
    let p_ar_peer = peer_series(&csv, "pressure:AV:AR_SYS");

    let params = presets::by_name("regazzoni-2022").unwrap();
    let lv = params.compartment_index("lv").unwrap();
    let ar = params.compartment_index("ar_sys").unwrap();
    let model = Model::new(params, IntegrationParams::default()).unwrap();
    let mut state = State::new(&model);
    let period = model.period_s();
    let last_start = (CYCLES - 1) as f64 * period;

    // Samples of the last beat, phase measured from its start; the beat's first sample is
    // the state at the end of beat 85 (t = 86T exactly).
    let (mut t, mut p_lv, mut v_lv, mut p_ar) = (vec![], vec![], vec![], vec![]);
    let mut push = |state: &State, phase: f64| {
        t.push(phase);
        p_lv.push(state.pressures_mmhg()[lv]);
        v_lv.push(state.volumes_ml()[lv]);
        p_ar.push(state.pressures_mmhg()[ar]);
    };
    while state.beat_index() < CYCLES - 1 {
        step(&model, &mut state);
    }
    assert_eq!(state.step_in_beat(), 0);
    assert!((state.time_s() - last_start).abs() < 1e-9 * last_start);
    push(&state, 0.0);
    while state.beat_index() < CYCLES {
        step(&model, &mut state);
        // At the end of the beat the state's clock has rolled over to the next beat; its
        // phase within the last beat is then the full period.
        let phase = if state.beat_index() == CYCLES {
            state.period_s()
        } else {
            state.phase_s()
        };
        push(&state, phase);
    }
    assert!(state.is_finite());

    let cases = [
        ("LV pressure", &p_lv_peer, 1.0 / PA_PER_MMHG, &p_lv, "mmHg"),
        ("LV volume", &v_lv_peer, ML_PER_M3, &v_lv, "mL"),
        (
            "aortic pressure",
            &p_ar_peer,
            1.0 / PA_PER_MMHG,
            &p_ar,
            "mmHg",
        ),
    ];
    let mut failures = Vec::new();
    for (name, peer, scale, ours, unit) in cases {
        let (worst, lo, hi, at) = worst_error_percent(peer, scale, &t, ours);
        println!(
            "{name}: peer range {lo:.2}..{hi:.2} {unit}; worst |ours - peer| = {worst:.4} % of \
             range at phase {at:.4} s"
        );
        if worst > TOLERANCE_OF_RANGE * 100.0 {
            failures.push(format!("{name}: {worst:.3} % of range"));
        }
    }
    assert!(
        failures.is_empty(),
        "outside {} % of range: {failures:?}",
        TOLERANCE_OF_RANGE * 100.0
    );
}
