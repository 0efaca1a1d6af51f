//! Direct state edits (`State::set_volume_ml`, used by fluid and bleed events) on every preset,
//! with and without the gas-transport model.
//!
//! Regression (issue 13): a `fluid` event on `regazzoni-2022`, the peer model without gas
//! transport, panicked with "index out of bounds: the len is 12 but the index is 16" because
//! `set_volume_ml` scaled the compartment's O2 and CO2 masses without checking that the
//! model has gas states.

use ecmova_engine::*;

fn model(name: &str) -> Model {
    Model::new(
        presets::by_name(name).unwrap(),
        IntegrationParams::default(),
    )
    .unwrap()
}

#[test]
fn set_volume_ml_on_a_model_without_gas_does_not_index_gas_states() {
    let model = model("regazzoni-2022");
    assert!(
        !model.layout().gas,
        "the regression needs a preset without gas transport"
    );
    let mut state = State::new(&model);
    let v0 = state.blood_volume_ml();
    let before = state.vector().to_vec();
    // 0 mL (the fuzzer's reproducer) and a real bolus into the first compartment.
    state.set_volume_ml(&model, 0, before[0]);
    assert_eq!(state.vector(), &before[..]);
    state.set_volume_ml(&model, 0, before[0] + 100.0);
    assert_eq!(state.vector().len(), before.len());
    assert!((state.blood_volume_ml() - (v0 + 100.0)).abs() < 1e-9);
    // Every other state is untouched.
    for (i, (a, b)) in state.vector().iter().zip(&before).enumerate().skip(1) {
        assert_eq!(a, b, "state {i} changed");
    }
    for _ in 0..2000 {
        step(&model, &mut state);
    }
    assert!(state.is_finite());
}

#[test]
fn set_volume_ml_keeps_gas_concentrations_on_every_preset() {
    for &name in presets::NAMES {
        let model = model(name);
        let mut state = State::new(&model);
        let l = model.layout();
        let i = 0;
        let v = state.volumes_ml()[i];
        let y = state.vector().to_vec();
        state.set_volume_ml(&model, i, v * 1.1);
        let z = state.vector();
        assert!((z[i] - v * 1.1).abs() < 1e-9, "{name}: volume not set");
        if l.gas {
            // Added fluid carries the compartment's contents: concentrations unchanged.
            let c_before = y[l.o2 + i] / y[i];
            let c_after = z[l.o2 + i] / z[i];
            assert!(
                (c_before - c_after).abs() <= 1e-12 * c_before.abs().max(1.0),
                "{name}: O2 concentration {c_before} -> {c_after}"
            );
        } else {
            assert_eq!(z.len(), y.len());
        }
    }
}
