//! Conservation of blood volume and determinism, for every built-in preset.
//!
//! - Volume: the circulation is closed (every connection removes from one compartment what it
//!   adds to another) and RK4 preserves linear invariants exactly in exact arithmetic, so the
//!   total blood volume may drift only by floating-point rounding. Checked at every beat and
//!   at the end of 10 simulated minutes.
//! - Determinism: the engine has no global state, clock or randomness (crate docs, "runs are
//!   pure functions of the parameters"), so two runs of the same preset must agree bit for
//!   bit, state vector and every beat metric.

use ecmova_engine::*;

/// Allowed relative volume drift (issue acceptance point). Rounding alone gives far less:
/// each step adds at most a few ulps of the largest compartment volume (~1e-16 × 3000 mL),
/// and 600 000 steps of random-walk rounding accumulate ~1e-13 relative; 1e-9 leaves four
/// orders of magnitude of margin, yet any real leak (a flow added without being removed,
/// ~1e-6 mL/s or more) would exceed it within the run.
const VOLUME_RTOL: f64 = 1e-9;
/// Simulated duration of the volume test, s.
const VOLUME_RUN_S: f64 = 600.0;
/// Simulated duration of the determinism test, s.
const REPEAT_RUN_S: f64 = 60.0;

fn model(name: &str) -> Model {
    Model::new(
        presets::by_name(name).unwrap(),
        IntegrationParams::default(),
    )
    .unwrap()
}

#[test]
fn blood_volume_is_conserved_over_10_minutes() {
    for &name in presets::NAMES {
        let model = model(name);
        let mut state = State::new(&model);
        let mut rec = BeatRecorder::new(&model, &state);
        let v0 = state.blood_volume_ml();
        let mut worst: f64 = 0.0;
        let mut beats = 0;
        while state.time_s() < VOLUME_RUN_S {
            step(&model, &mut state);
            if let Some(beat) = rec.record(&model, &state) {
                beats += 1;
                let drift = (beat.blood_volume_ml - v0).abs() / v0;
                worst = worst.max(drift);
                assert!(
                    drift <= VOLUME_RTOL,
                    "{name}: beat {}: volume {} mL vs {v0} mL (relative drift {drift:e})",
                    beat.beat_index,
                    beat.blood_volume_ml
                );
            }
        }
        assert!(state.is_finite(), "{name}: state not finite");
        let end = (state.blood_volume_ml() - v0).abs() / v0;
        worst = worst.max(end);
        println!(
            "{name}: V0 = {v0:.3} mL, {beats} beats over {:.1} s, final relative drift {end:.3e}, \
             worst {worst:.3e}",
            state.time_s()
        );
        assert!(end <= VOLUME_RTOL, "{name}: final relative drift {end:e}");
    }
}

/// Runs `name` for `REPEAT_RUN_S` and returns the final state and every beat's metrics.
fn run(name: &str) -> (State, Vec<BeatMetrics>) {
    let model = model(name);
    let mut state = State::new(&model);
    let mut rec = BeatRecorder::new(&model, &state);
    let mut beats = Vec::new();
    while state.time_s() < REPEAT_RUN_S {
        step(&model, &mut state);
        if let Some(beat) = rec.record(&model, &state) {
            beats.push(beat);
        }
    }
    (state, beats)
}

#[test]
fn repeated_runs_are_bit_identical() {
    for &name in presets::NAMES {
        let (a, beats_a) = run(name);
        let (b, beats_b) = run(name);
        assert_eq!(a.steps_taken(), b.steps_taken(), "{name}: step counts");
        assert_eq!(a.time_s().to_bits(), b.time_s().to_bits(), "{name}: time");
        for (i, (x, y)) in a.vector().iter().zip(b.vector()).enumerate() {
            assert_eq!(
                x.to_bits(),
                y.to_bits(),
                "{name}: state[{i}] differs: {x:e} vs {y:e}"
            );
        }
        assert_eq!(beats_a.len(), beats_b.len(), "{name}: beat counts");
        for (ba, bb) in beats_a.iter().zip(&beats_b) {
            assert_eq!(ba.aortic_valve_opened, bb.aortic_valve_opened);
            for ((field, x), (_, y)) in ba.named_values().into_iter().zip(bb.named_values()) {
                assert_eq!(
                    x.to_bits(),
                    y.to_bits(),
                    "{name}: beat {}: {field} differs: {x:e} vs {y:e}",
                    ba.beat_index
                );
            }
        }
        println!(
            "{name}: {} beats, {} state variables, bit-identical",
            beats_a.len(),
            a.vector().len()
        );
    }
}
