//! Helpers shared by the engine's integration tests (a test file that needs them declares
//! `mod common;`). Each test file is its own crate and uses only some of the helpers, so dead
//! code is allowed here (and in the submodules) rather than warned about in every other file.
#![allow(dead_code)]

pub mod oracle;

use ecmova_engine::devices::{CentrifugalPump, Oxygenator};
use ecmova_engine::*;
use nalgebra::{Complex, DMatrix};

/// Acute-MI shock on femoro-femoral VA-ECMO (Rotaflow at `rpm`, 25/17 Fr, Quadrox-iD) with
/// the gas model: the engine model of the cohort benchmark.
pub fn shock_on_ecmo(rpm: f64) -> CirculationParams {
    let mut p = presets::by_name("cardiogenic-shock-ami").unwrap();
    let anatomy = p.anatomy.clone().unwrap();
    let (drain, ret) = anatomy.cannulation_sites(Cannulation::FemoroFemoral, p.sites.ra);
    p.ecmo = Some(
        EcmoCircuit::new(
            Cannulation::FemoroFemoral,
            drain,
            ret,
            CentrifugalPump::rotaflow(),
            rpm,
            25.0,
            17.0,
            Oxygenator::by_name("quadrox-id").unwrap(),
        )
        .unwrap(),
    );
    p
}

/// The RK4 stability function R(z) = 1 + z + z²/2 + z³/6 + z⁴/24.
pub fn rk4_amplification(z: Complex<f64>) -> f64 {
    let one = Complex::new(1.0, 0.0);
    (one + z * (one + z * (one / 2.0 + z * (one / 6.0 + z / 24.0)))).norm()
}

/// Central-difference Jacobian of the right-hand side at `state` (the activations frozen at
/// the state's phase).
pub fn jacobian(model: &Model, state: &State) -> DMatrix<f64> {
    let y0 = state.vector().to_vec();
    let n = y0.len();
    let mut jac = DMatrix::zeros(n, n);
    let (mut fp, mut fm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        // Relative perturbation ~ cube root of machine epsilon (optimal for central
        // differences), with a floor of 1 mL or 1 mL/s for variables near zero.
        let eps = 6e-6 * y0[j].abs().max(1.0);
        let mut y = y0.clone();
        y[j] = y0[j] + eps;
        derivative(model, &mut state.with_vector(model, &y), &mut fp);
        y[j] = y0[j] - eps;
        derivative(model, &mut state.with_vector(model, &y), &mut fm);
        for i in 0..n {
            jac[(i, j)] = (fp[i] - fm[i]) / (2.0 * eps);
        }
    }
    jac
}
