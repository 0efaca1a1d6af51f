//! The reference integrator: adaptive Dormand-Prince 5(4) with tight tolerances.
//!
//! Slow and accurate; used by tests as the oracle against which the fixed-step RK4 of
//! [`crate::step`] is measured. It advances exactly over the same step grid as the fixed-step
//! integrator (one beat-synchronous step at a time, with as many adaptive sub-steps inside
//! as the tolerance needs), so both produce samples at identical times and the same per-beat
//! metrics can be computed from either. Activations are evaluated directly in continuous
//! time (no table).
//!
//! Dormand JR, Prince PJ. A family of embedded Runge-Kutta formulae. J Comput Appl Math
//! 1980;6:19-26. Step-size control after Hairer, Nørsett, Wanner, Solving ODEs I, §II.4.

use crate::model::Model;
use crate::sim::{rhs_full, State};

/// Tolerances of the reference integrator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance (mL, mL/s).
    pub atol: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            rtol: 1e-10,
            atol: 1e-10,
        }
    }
}

/// Statistics of the reference integrator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferenceStats {
    /// Accepted sub-steps.
    pub accepted: u64,
    /// Rejected sub-steps.
    pub rejected: u64,
}

const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// 5th-order weights (equal to the last row of A: first same as last).
const B5: [f64; 7] = [
    35.0 / 384.0,
    0.0,
    500.0 / 1113.0,
    125.0 / 192.0,
    -2187.0 / 6784.0,
    11.0 / 84.0,
    0.0,
];
/// 4th-order embedded weights.
const B4: [f64; 7] = [
    5179.0 / 57600.0,
    0.0,
    7571.0 / 16695.0,
    393.0 / 640.0,
    -92097.0 / 339200.0,
    187.0 / 2100.0,
    1.0 / 40.0,
];

/// Scratch buffers of the reference integrator.
#[derive(Clone, Debug)]
pub struct ReferenceIntegrator {
    tol: Tolerance,
    k: Vec<Vec<f64>>,
    ytmp: Vec<f64>,
    ynew: Vec<f64>,
    p: Vec<f64>,
    q: Vec<f64>,
    c: Vec<f64>,
    act: Vec<f64>,
    /// Connection flows of each stage of the current sub-step.
    qs: Vec<Vec<f64>>,
    /// Volume moved through each connection over the current step, mL.
    moved: Vec<f64>,
    h_try: f64,
    /// Sub-step statistics.
    pub stats: ReferenceStats,
}

impl ReferenceIntegrator {
    /// Scratch space for `model`.
    pub fn new(model: &Model, tol: Tolerance) -> Self {
        let n = model.n_state();
        ReferenceIntegrator {
            tol,
            k: vec![vec![0.0; n]; 7],
            ytmp: vec![0.0; n],
            ynew: vec![0.0; n],
            p: vec![0.0; model.n_compartments()],
            q: vec![0.0; model.n_flows()],
            c: vec![0.0; 2 * model.n_compartments()],
            act: vec![0.0; model.n_activation_columns()],
            qs: vec![vec![0.0; model.n_flows()]; 7],
            moved: vec![0.0; model.n_flows()],
            h_try: 1e-4,
            stats: ReferenceStats::default(),
        }
    }

    fn eval(&mut self, model: &Model, state: &State, phase_s: f64, stage: usize, from_tmp: bool) {
        let period = state.period_s();
        let beating = model.params().rhythm.is_beating();
        for (a, s) in self.act.iter_mut().zip(&state.cache.scaled) {
            *a = if beating {
                s.eval(phase_s, period)
            } else {
                0.0
            };
        }
        let n_act = state.cache.scaled.len();
        crate::sim::balloon_row(model, state, phase_s, &mut self.act[n_act..]);
        let y = if from_tmp { &self.ytmp } else { state.vector() };
        rhs_full(
            model,
            &self.act,
            y,
            &mut self.k[stage],
            &mut self.p,
            &mut self.q,
            &mut self.c,
        );
        self.qs[stage].copy_from_slice(&self.q);
    }

    /// Advances `state` over exactly one beat-synchronous step (the same interval
    /// [`crate::step`] would take), adaptively.
    pub fn step(&mut self, model: &Model, state: &mut State) {
        state.refresh(model);
        let phase0 = state.phase_s();
        let h_total = state.step_s();
        let mut t = 0.0;
        let n = state.vector().len();
        self.moved.fill(0.0);
        while t < h_total {
            let mut h = self.h_try.min(h_total - t);
            self.eval(model, state, phase0 + t, 0, false);
            loop {
                // Whether this attempt closes the interval: recomputed on every retry, since a
                // rejected last sub-step is shortened and no longer reaches the end.
                let last = h >= h_total - t;
                for s in 1..7 {
                    for i in 0..n {
                        let mut acc = state.vector()[i];
                        for (j, a) in A[s][..s].iter().enumerate() {
                            acc += h * a * self.k[j][i];
                        }
                        self.ytmp[i] = acc;
                    }
                    let ph = if last && s >= 5 {
                        phase0 + h_total
                    } else {
                        phase0 + t + C[s] * h
                    };
                    self.eval(model, state, ph, s, true);
                }
                let mut err = 0.0;
                for i in 0..n {
                    let mut y5 = state.vector()[i];
                    let mut e = 0.0;
                    for s in 0..7 {
                        y5 += h * B5[s] * self.k[s][i];
                        e += h * (B5[s] - B4[s]) * self.k[s][i];
                    }
                    self.ynew[i] = y5;
                    let sc = self.tol.atol + self.tol.rtol * y5.abs().max(state.vector()[i].abs());
                    err += (e / sc) * (e / sc);
                }
                let err = (err / n as f64).sqrt();
                let factor = if err == 0.0 {
                    5.0
                } else {
                    (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
                };
                if err <= 1.0 || h < 1e-12 {
                    self.stats.accepted += 1;
                    // The volume each connection moved, with the fifth-order weights that
                    // moved the volumes (the mean flows `State::mean_flows_ml_s` reports).
                    for (qs, &b) in self.qs.iter().zip(&B5) {
                        for (v, &x) in self.moved.iter_mut().zip(qs) {
                            *v += h * b * x;
                        }
                    }
                    state.y_mut().copy_from_slice(&self.ynew);
                    t = if last { h_total } else { t + h };
                    self.h_try = (h * factor).max(1e-9);
                    break;
                }
                self.stats.rejected += 1;
                h *= factor.min(0.9);
            }
        }
        state.advance_clock(model);
        state.refresh(model);
        for (b, &v) in state.cache.qbar.iter_mut().zip(&self.moved) {
            *b = v / h_total;
        }
    }
}
