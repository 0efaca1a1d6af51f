//! The caller-owned simulation [`State`] and the fixed-step integrator ([`step`]).

use crate::activation::ScaledActivation;
use crate::model::Model;

/// Everything that changes while a circulation runs, owned by the caller (rapier-style).
///
/// Cloning a `State` is a snapshot; two states stepped with the same model are bit-identical.
/// Besides the state vector and the beat clock it holds the scratch buffers of the
/// integrator, allocated once here, so that [`step`] never allocates.
#[derive(Clone, Debug)]
pub struct State {
    y: Vec<f64>,
    t_s: f64,
    beat_start_s: f64,
    beat_index: u64,
    step_in_beat: u32,
    steps_per_beat: u32,
    period_s: f64,
    h_s: f64,
    steps_taken: u64,
    pub(crate) cache: Cache,
}

#[derive(Clone, Debug)]
pub(crate) struct Cache {
    pub(crate) k: [Vec<f64>; 4],
    pub(crate) ytmp: Vec<f64>,
    pub(crate) p: Vec<f64>,
    pub(crate) q: Vec<f64>,
    pub(crate) act: Vec<f64>,
    table: Vec<f64>,
    table_key: Option<(u64, u32, u64)>,
    pub(crate) scaled: Vec<ScaledActivation>,
    derivative_generation: Option<u64>,
}

/// Steps per beat for a period and a maximal step.
fn steps_for(period_s: f64, max_step_s: f64) -> u32 {
    ((period_s / max_step_s).ceil() as u32).max(1)
}

impl State {
    /// The initial state of a model (its parameters' initial volumes and flows, t = 0).
    pub fn new(model: &Model) -> Self {
        let params = model.params();
        let mut y = vec![0.0; model.n_state()];
        y[..model.n_compartments()].copy_from_slice(&params.initial_volumes_ml);
        for (j, s) in model.link_state.iter().enumerate() {
            if let Some(s) = s {
                y[*s] = params.initial_flows_ml_s[j];
            }
        }
        let period_s = model.period_s();
        let steps_per_beat = steps_for(period_s, model.integration().max_step_s);
        let n_act = params.activations.len();
        let n = y.len();
        let cache = Cache {
            k: [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            ytmp: vec![0.0; n],
            p: vec![0.0; model.n_compartments()],
            q: vec![0.0; model.n_connections()],
            act: vec![0.0; n_act],
            table: Vec::new(),
            table_key: None,
            scaled: Vec::with_capacity(n_act),
            derivative_generation: None,
        };
        let mut state = State {
            y,
            t_s: 0.0,
            beat_start_s: 0.0,
            beat_index: 0,
            step_in_beat: 0,
            steps_per_beat,
            period_s,
            h_s: period_s / steps_per_beat as f64,
            steps_taken: 0,
            cache,
        };
        // Reserve the activation table for the longest allowed beat so that heart-rate
        // changes never allocate inside the step loop.
        let max_steps = steps_for(
            60.0 / crate::model::HEART_RATE_RANGE_BPM.0,
            model.integration().max_step_s,
        ) as usize;
        state.cache.table.reserve((2 * max_steps + 1) * n_act);
        state.refresh(model);
        state
    }

    /// Simulated time, s.
    pub fn time_s(&self) -> f64 {
        self.t_s
    }

    /// Index of the current beat (0 for the first).
    pub fn beat_index(&self) -> u64 {
        self.beat_index
    }

    /// Step index within the current beat.
    pub fn step_in_beat(&self) -> u32 {
        self.step_in_beat
    }

    /// Number of steps in the current beat.
    pub fn steps_per_beat(&self) -> u32 {
        self.steps_per_beat
    }

    /// Length of the current beat, s.
    pub fn period_s(&self) -> f64 {
        self.period_s
    }

    /// Current step, s.
    pub fn step_s(&self) -> f64 {
        self.h_s
    }

    /// Time since the start of the current beat, s.
    pub fn phase_s(&self) -> f64 {
        self.t_s - self.beat_start_s
    }

    /// Number of steps taken since t = 0.
    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// The state vector: compartment volumes (mL), then segment flows (mL/s).
    pub fn vector(&self) -> &[f64] {
        &self.y
    }

    /// Compartment volumes, mL.
    pub fn volumes_ml(&self) -> &[f64] {
        &self.y[..self.cache.p.len()]
    }

    /// Total blood volume, mL.
    pub fn blood_volume_ml(&self) -> f64 {
        self.volumes_ml().iter().sum()
    }

    /// Compartment pressures at the current state, mmHg.
    pub fn pressures_mmhg(&self) -> &[f64] {
        &self.cache.p
    }

    /// Connection flows at the current state, mL/s.
    pub fn flows_ml_s(&self) -> &[f64] {
        &self.cache.q
    }

    /// Activations at the current state (one per activation function, 0..1).
    pub fn activations(&self) -> &[f64] {
        self.row(2 * self.step_in_beat as usize)
    }

    /// Sets a compartment's volume (e.g. a fluid bolus). The derivative cache is refreshed.
    pub fn set_volume_ml(&mut self, model: &Model, compartment: usize, v_ml: f64) {
        self.y[compartment] = v_ml;
        self.cache.derivative_generation = None;
        self.refresh(model);
    }

    /// A copy of this state (same clock) with the state vector replaced by `y`
    /// (e.g. for numerical Jacobians). Panics if `y` has the wrong length: that is a
    /// programming error, not an input error.
    pub fn with_vector(&self, model: &Model, y: &[f64]) -> State {
        assert_eq!(y.len(), self.y.len(), "state vector length");
        let mut s = self.clone();
        s.y.copy_from_slice(y);
        s.cache.derivative_generation = None;
        s.refresh(model);
        s
    }

    /// Whether every state variable is finite.
    pub fn is_finite(&self) -> bool {
        self.y.iter().all(|v| v.is_finite())
    }

    fn row(&self, half_step: usize) -> &[f64] {
        let n_act = self.cache.act.len();
        &self.cache.table[half_step * n_act..(half_step + 1) * n_act]
    }

    /// Brings the activation table and the cached derivative, pressures and flows up to date
    /// with `model` (after a parameter change or a direct state edit).
    pub fn refresh(&mut self, model: &Model) {
        self.ensure_table(model);
        if self.cache.derivative_generation != Some(model.generation) {
            let k = 2 * self.step_in_beat as usize;
            let n_act = self.cache.act.len();
            let Cache {
                k: ks,
                p,
                q,
                act,
                table,
                ..
            } = &mut self.cache;
            act.copy_from_slice(&table[k * n_act..(k + 1) * n_act]);
            rhs(model, act, &self.y, &mut ks[0], p, q);
            self.cache.derivative_generation = Some(model.generation);
        }
    }

    fn ensure_table(&mut self, model: &Model) {
        let key = (
            self.period_s.to_bits(),
            self.steps_per_beat,
            model.generation,
        );
        if self.cache.table_key == Some(key) {
            return;
        }
        let params = model.params();
        self.cache.scaled.clear();
        for a in &params.activations {
            self.cache.scaled.push(ScaledActivation::new(
                a,
                &params.activation_scaling,
                self.period_s,
            ));
        }
        let n_half = 2 * self.steps_per_beat as usize + 1;
        let half = self.h_s * 0.5;
        self.cache.table.clear();
        for k in 0..n_half {
            let phase = k as f64 * half;
            for s in &self.cache.scaled {
                self.cache.table.push(s.eval(phase, self.period_s));
            }
        }
        self.cache.table_key = Some(key);
        self.cache.derivative_generation = None;
    }

    /// Moves the beat clock one step forward; at the end of a beat, starts the next one with
    /// the model's current heart period.
    pub(crate) fn advance_clock(&mut self, model: &Model) {
        self.steps_taken += 1;
        self.step_in_beat += 1;
        if self.step_in_beat >= self.steps_per_beat {
            self.beat_index += 1;
            self.beat_start_s += self.period_s;
            self.step_in_beat = 0;
            let period = model.period_s();
            if period != self.period_s {
                self.period_s = period;
                self.steps_per_beat = steps_for(period, model.integration().max_step_s);
                self.h_s = period / self.steps_per_beat as f64;
            }
            self.t_s = self.beat_start_s;
        } else {
            self.t_s = self.beat_start_s + self.step_in_beat as f64 * self.h_s;
        }
        self.cache.derivative_generation = None;
    }

    pub(crate) fn y_mut(&mut self) -> &mut Vec<f64> {
        &mut self.y
    }
}

/// The right-hand side: compartment pressures `p`, connection flows `q` and the state
/// derivative `dy` for state `y` and chamber activations `act`.
#[inline]
pub(crate) fn rhs(
    model: &Model,
    act: &[f64],
    y: &[f64],
    dy: &mut [f64],
    p: &mut [f64],
    q: &mut [f64],
) {
    let k = &model.kernel;
    for &(i, e, v0) in &k.vessels {
        p[i] = e * (y[i] - v0);
    }
    for &(i, e_pass, e_max, v0, a) in &k.linear_chambers {
        p[i] = (e_pass + act[a] * e_max) * (y[i] - v0);
    }
    for &(i, ees, v0, a, b, ai) in &k.exp_chambers {
        let e = act[ai];
        let dv = y[i] - v0;
        p[i] = e * ees * dv + (1.0 - e) * a * ((b * dv).exp() - 1.0);
    }
    let n = model.nodes.len();
    dy[..n].fill(0.0);
    for &(j, from, to, g) in &k.conductances {
        let f = (p[from] - p[to]) * g;
        q[j] = f;
        dy[from] -= f;
        dy[to] += f;
    }
    for &(j, from, to, g_open, g_leak) in &k.valves {
        let dp = p[from] - p[to];
        let f = if dp > 0.0 { dp * g_open } else { dp * g_leak };
        q[j] = f;
        dy[from] -= f;
        dy[to] += f;
    }
    for &(j, from, to, r, inv_l, s) in &k.inertials {
        let f = y[s];
        q[j] = f;
        dy[from] -= f;
        dy[to] += f;
        dy[s] = (p[from] - p[to] - r * f) * inv_l;
    }
}

/// Writes the time derivative of the state vector at the state's current time into `out`
/// (after bringing the state's cache up to date).
pub fn derivative(model: &Model, state: &mut State, out: &mut [f64]) {
    state.refresh(model);
    out.copy_from_slice(&state.cache.k[0]);
}

/// Advances `state` by one fixed step of the classical 4th-order Runge-Kutta method.
///
/// The step length is the state's current [`State::step_s`]. After the step the state's
/// pressures and flows are those of the new state (the derivative evaluated there is reused
/// as the first stage of the next step, so outputs cost nothing). Never allocates.
pub fn step(model: &Model, state: &mut State) {
    state.refresh(model);
    let h = state.h_s;
    let k0 = 2 * state.step_in_beat as usize;
    let n_act = state.cache.act.len();
    let Cache {
        k,
        ytmp,
        p,
        q,
        act,
        table,
        ..
    } = &mut state.cache;
    let [k1, k2, k3, k4] = k;
    let y = &state.y;
    let row =
        |i: usize, act: &mut Vec<f64>| act.copy_from_slice(&table[i * n_act..(i + 1) * n_act]);

    for ((t, &yi), &d) in ytmp.iter_mut().zip(y.iter()).zip(k1.iter()) {
        *t = yi + 0.5 * h * d;
    }
    row(k0 + 1, act);
    rhs(model, act, ytmp, k2, p, q);
    for ((t, &yi), &d) in ytmp.iter_mut().zip(y.iter()).zip(k2.iter()) {
        *t = yi + 0.5 * h * d;
    }
    rhs(model, act, ytmp, k3, p, q);
    for ((t, &yi), &d) in ytmp.iter_mut().zip(y.iter()).zip(k3.iter()) {
        *t = yi + h * d;
    }
    row(k0 + 2, act);
    rhs(model, act, ytmp, k4, p, q);
    let h6 = h / 6.0;
    for (i, yi) in state.y.iter_mut().enumerate() {
        *yi += h6 * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
    }
    state.advance_clock(model);
    state.refresh(model);
}
