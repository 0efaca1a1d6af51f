//! External chest compressions (`Model::set_chest_compressions`): they move blood forward
//! through the valves only while the heart does not beat, conserve blood volume, and leave a
//! beating heart unchanged.

use ecmova_engine::model::ChestCompressions;
use ecmova_engine::*;

fn run(model: &Model, state: &mut State, seconds: f64) -> Vec<BeatMetrics> {
    let mut rec = BeatRecorder::new(model, state);
    let end = state.time_s() + seconds;
    let mut beats = Vec::new();
    while state.time_s() < end {
        step(model, state);
        if let Some(b) = rec.record(model, state) {
            beats.push(b);
        }
    }
    beats
}

fn last_map(beats: &[BeatMetrics]) -> (f64, f64) {
    let b = beats.last().expect("a beat");
    (b.map_mmhg, b.cardiac_output_l_min)
}

const SQUEEZE: ChestCompressions = ChestCompressions {
    elastance_mmhg_per_ml: 0.07,
    duty_fraction: 0.5,
};

#[test]
fn compressions_move_blood_only_without_a_beating_rhythm() {
    let mut params = presets::healthy_adult();
    params.rhythm = Rhythm::VentricularFibrillation;
    params.heart_rate_bpm = 110.0;
    let mut model = Model::new(params, IntegrationParams::default()).unwrap();
    let mut state = State::new(&model);
    let v0 = state.blood_volume_ml();
    let (map_vf, co_vf) = last_map(&run(&model, &mut state, 20.0));
    model.set_chest_compressions(Some(SQUEEZE));
    assert_eq!(model.chest_compressions(), Some(SQUEEZE));
    state.refresh(&model);
    let (map_cpr, co_cpr) = last_map(&run(&model, &mut state, 20.0));
    println!("VF: MAP {map_vf:.1} CO {co_vf:.2}; CPR: MAP {map_cpr:.1} CO {co_cpr:.2}");
    assert!(co_vf < 0.2, "VF ejects nothing: {co_vf}");
    assert!(co_cpr > 0.5 && map_cpr > map_vf + 10.0);
    assert!((state.blood_volume_ml() - v0).abs() / v0 < 1e-9);
    assert!(state.is_finite());

    // A beating heart: the compressions are ignored (the same beats bit for bit).
    let beating = Model::new(presets::healthy_adult(), IntegrationParams::default()).unwrap();
    let mut squeezed = beating.clone();
    squeezed.set_chest_compressions(Some(SQUEEZE));
    let (mut a, mut b) = (State::new(&beating), State::new(&squeezed));
    let ra = run(&beating, &mut a, 5.0);
    let rb = run(&squeezed, &mut b, 5.0);
    assert_eq!(a.vector(), b.vector());
    assert_eq!(ra.len(), rb.len());
}

#[test]
fn the_waveform_is_a_half_sine_over_the_compression_phase() {
    let t = 60.0 / 110.0;
    assert_eq!(SQUEEZE.waveform(0.0, t), 0.0);
    assert!((SQUEEZE.waveform(0.25 * t, t) - 1.0).abs() < 1e-12);
    assert_eq!(SQUEEZE.waveform(0.6 * t, t), 0.0);
}
