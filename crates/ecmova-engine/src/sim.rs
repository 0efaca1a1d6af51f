//! The caller-owned simulation [`State`] and the fixed-step integrator ([`step`]).

use crate::activation::ScaledActivation;
use crate::ecmo::CircuitPressures;
use crate::model::{ElastanceSource, MergeKernel, Model};

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
    /// O2 then CO2 contents of every compartment, mL/mL.
    pub(crate) c: Vec<f64>,
    /// Mean connection flows over the last step (the weighted stage flows), mL/s.
    pub(crate) qbar: Vec<f64>,
    /// How the last step was taken.
    last_step: StepKind,
    /// Merged steps attempted and rejected since the start.
    rejected_merges: u64,
    /// The state vector before a merged step (restored if the step is rejected).
    y_save: Vec<f64>,
    /// Stage increments of a Rosenbrock-W step ([`ros_w`]).
    kw: [Vec<f64>; 4],
    /// Derivative at a Rosenbrock-W stage.
    fw: Vec<f64>,
    /// Activations at a Rosenbrock-W stage (interpolated in the table).
    act_w: Vec<f64>,
    /// When each heart valve was last seen open, s (merged steps; see [`step`]).
    valve_seen_open_s: Vec<f64>,
    /// Each heart valve's pressure difference (from − to, mmHg) at the start of the last
    /// step, in the order of the merge kernel's valves, and (that time, s; the model's
    /// generation) (merged steps: [`steps_to_predicted_valve_event`]).
    valve_dp_prev_mmhg: Vec<f64>,
    valve_dp_prev_at: Option<(f64, u64)>,
    /// Circuit pressures of the last evaluation (at the current state after `refresh`).
    pub(crate) circuit: CircuitPressures,
    pub(crate) act: Vec<f64>,
    table: Vec<f64>,
    table_key: Option<(u64, u32, u64)>,
    /// Which beats the balloons assist (see `State::balloon_key`) in the current table.
    balloon_key: u64,
    /// Balloon timing of the current table: (deflated by, inflation starts), s into the beat.
    pub(crate) iabp_timing: (f64, f64),
    /// Number of connections (the flows after them belong to unloading devices).
    n_connections: usize,
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
        let layout = model.layout();
        if layout.gas {
            for i in 0..model.n_compartments() {
                let v = params.initial_volumes_ml[i];
                y[layout.o2 + i] = v * params.initial_o2_ml_per_dl[i] / 100.0;
                y[layout.co2 + i] = v * params.initial_co2_ml_per_dl[i] / 100.0;
            }
        }
        let period_s = model.period_s();
        let steps_per_beat = steps_for(period_s, model.effective_max_step_s());
        let n_act = model.n_activation_columns();
        let n = y.len();
        let cache = Cache {
            k: [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            ytmp: vec![0.0; n],
            p: vec![0.0; model.n_compartments()],
            q: vec![0.0; model.n_flows()],
            c: vec![0.0; 2 * model.n_compartments()],
            qbar: vec![0.0; model.n_flows()],
            last_step: StepKind::Fine,
            rejected_merges: 0,
            y_save: vec![0.0; n],
            kw: [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            fw: vec![0.0; n],
            act_w: vec![0.0; n_act],
            valve_seen_open_s: vec![f64::NEG_INFINITY; model.params().connections.len()],
            valve_dp_prev_mmhg: vec![0.0; model.params().connections.len()],
            valve_dp_prev_at: None,
            circuit: CircuitPressures::default(),
            act: vec![0.0; n_act],
            table: Vec::new(),
            table_key: None,
            balloon_key: 0,
            iabp_timing: (0.0, 0.0),
            n_connections: model.n_connections(),
            scaled: Vec::with_capacity(params.activations.len()),
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
        // changes never allocate inside the step loop. (A later parameter update that
        // tightens the step below this one may grow it once, at a beat boundary.)
        let max_steps = steps_for(
            60.0 / crate::model::HEART_RATE_RANGE_BPM.0,
            model.effective_max_step_s(),
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

    /// How the last step was taken (fine, merged, or merged through ejection); for
    /// diagnostics and the integrator's tests.
    pub fn last_step(&self) -> StepKind {
        self.cache.last_step
    }

    /// Number of steps taken since t = 0.
    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// Merged steps attempted and rejected (each then retaken as a fine step) since t = 0: a
    /// throughput diagnostic of [`crate::IntegrationParams::max_step_multiple`] (see [`step`]).
    pub fn merged_steps_rejected(&self) -> u64 {
        self.cache.rejected_merges
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

    /// Mean connection flows over the last step, mL/s: the flows the integrator actually moved
    /// volume with (RK4's weighted stage flows, or a Rosenbrock-W step's with its implicit
    /// valve transfers), so `mean flow × step` is exactly the volume that crossed each
    /// connection. The per-beat recorder integrates valve and aortic flows with them: at a
    /// long step the flow at the step's end is a poor sample of a fast-changing (or, through an
    /// open valve, stiff) flow. Zero before the first step.
    pub fn mean_flows_ml_s(&self) -> &[f64] {
        &self.cache.qbar[..self.cache.n_connections]
    }

    /// Connection flows at the current state, mL/s.
    pub fn flows_ml_s(&self) -> &[f64] {
        &self.cache.q[..self.cache.n_connections]
    }

    /// Flow of unloading device `i` at the current state, mL/s (positive from its `from` to
    /// its `to` compartment; for a vent, from the LV into the circuit's drained compartment;
    /// 0 for a balloon or a missing device).
    pub fn unloading_flow_ml_s(&self, model: &Model, i: usize) -> f64 {
        model
            .unloading_flow_slot(i)
            .map_or(0.0, |s| self.cache.q[s])
    }

    /// Balloon inflation of IABP column `b` (0 deflated … 1 inflated) at the current state
    /// (the `b`-th IABP among the unloading devices).
    pub fn balloon_inflation(&self, model: &Model, b: usize) -> f64 {
        let col = model.params().activations.len() + b;
        self.row(2 * self.step_in_beat as usize)
            .get(col)
            .copied()
            .unwrap_or(0.0)
    }

    /// ECMO circuit flow, mL/s (0 without a circuit; negative when retrograde).
    pub fn ecmo_flow_ml_s(&self, model: &Model) -> f64 {
        model.layout().circuit_flow.map_or(0.0, |i| self.y[i])
    }

    /// O2 content of compartment `i` at the current state, mL O2/dL (0 without a gas model).
    pub fn o2_content_ml_per_dl(&self, i: usize) -> f64 {
        100.0 * self.cache.c[i]
    }

    /// CO2 content of compartment `i` at the current state, mL CO2/dL (0 without a gas
    /// model).
    pub fn co2_content_ml_per_dl(&self, i: usize) -> f64 {
        let n = self.cache.p.len();
        100.0 * self.cache.c[n + i]
    }

    /// Total O2 stored in the blood, mL (0 without a gas model).
    pub fn stored_o2_ml(&self, model: &Model) -> f64 {
        let l = model.layout();
        if !l.gas {
            return 0.0;
        }
        self.y[l.o2..l.o2 + l.compartments].iter().sum()
    }

    /// Total CO2 stored in the blood, mL (0 without a gas model).
    pub fn stored_co2_ml(&self, model: &Model) -> f64 {
        let l = model.layout();
        if !l.gas {
            return 0.0;
        }
        self.y[l.co2..l.co2 + l.compartments].iter().sum()
    }

    /// Cumulative gas exchange since t = 0, mL (indices in [`crate::model::accumulator`]);
    /// empty without a gas model.
    pub fn gas_accumulators(&self, model: &Model) -> &[f64] {
        let l = model.layout();
        if !l.gas {
            return &[];
        }
        &self.y[l.accumulators..l.len]
    }

    /// Sets the ECMO circuit flow (e.g. to zero when the lines are clamped).
    pub fn set_ecmo_flow_ml_s(&mut self, model: &Model, q_ml_s: f64) {
        if let Some(i) = model.layout().circuit_flow {
            self.y[i] = q_ml_s;
            self.cache.derivative_generation = None;
            self.refresh(model);
        }
    }

    /// Pressures along the ECMO circuit at the current state (all zero without a circuit).
    pub fn circuit_pressures(&self) -> CircuitPressures {
        self.cache.circuit
    }

    /// Activations at the current state (one per activation function, 0..1, then one
    /// balloon inflation per IABP).
    pub fn activations(&self) -> &[f64] {
        self.row(2 * self.step_in_beat as usize)
    }

    /// Sets a compartment's volume (e.g. a fluid bolus or a bleed). The added or removed
    /// volume carries the compartment's current gas contents (blood-like fluid), so contents
    /// are unchanged; a model without gas transport has no gas states to scale. The
    /// derivative cache is refreshed.
    pub fn set_volume_ml(&mut self, model: &Model, compartment: usize, v_ml: f64) {
        let l = model.layout();
        let old = self.y[compartment];
        if l.gas && old > 0.0 {
            let r = v_ml / old;
            self.y[l.o2 + compartment] *= r;
            self.y[l.co2 + compartment] *= r;
        }
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
    #[inline(always)]
    pub fn refresh(&mut self, model: &Model) {
        self.ensure_table(model);
        if self.cache.derivative_generation != Some(model.generation) {
            let k = 2 * self.step_in_beat as usize;
            let n_act = self.cache.act.len();
            let Cache {
                k: ks,
                p,
                q,
                c,
                act,
                table,
                circuit,
                ..
            } = &mut self.cache;
            act.copy_from_slice(&table[k * n_act..(k + 1) * n_act]);
            rhs(model, act, &self.y, &mut ks[0], p, q, circuit);
            contents(model, &self.y, c);
            self.cache.derivative_generation = Some(model.generation);
        }
    }

    fn ensure_table(&mut self, model: &Model) {
        let key = (
            self.period_s.to_bits(),
            self.steps_per_beat,
            model.table_generation,
        );
        if self.cache.table_key == Some(key) {
            if model.iabp_ratios.is_empty() {
                return;
            }
            let bkey = self.balloon_key(model);
            if self.cache.balloon_key != bkey {
                self.fill_balloons(model, bkey);
                self.cache.derivative_generation = None;
            }
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
        let n_balloons = model.iabp_ratios.len();
        // Without a beating rhythm no chamber is activated (the chambers are passive), unless
        // chest compressions squeeze the ventricles through their activation columns: the
        // column of each ventricle holds the compression waveform times the fraction of its
        // Ees that gives the compression elastance (`crate::model::ChestCompressions`).
        let beating = params.rhythm.is_beating();
        let mut squeeze: Vec<f64> = Vec::new();
        if let (false, Some(c)) = (beating, model.compressions) {
            squeeze.resize(self.cache.scaled.len(), 0.0);
            for site in [params.sites.lv, params.sites.rv] {
                if let crate::CompartmentKind::Chamber(ch) = &params.compartments[site].kind {
                    if ch.activation < squeeze.len() && ch.ees_mmhg_per_ml > 0.0 {
                        let f = (c.elastance_mmhg_per_ml / ch.ees_mmhg_per_ml).min(1.0);
                        squeeze[ch.activation] = squeeze[ch.activation].max(f);
                    }
                }
            }
        }
        self.cache.table.clear();
        for k in 0..n_half {
            let phase = k as f64 * half;
            let wave = model
                .compressions
                .map_or(0.0, |c| c.waveform(phase, self.period_s));
            for (col, s) in self.cache.scaled.iter().enumerate() {
                self.cache.table.push(if beating {
                    s.eval(phase, self.period_s)
                } else {
                    squeeze.get(col).map_or(0.0, |f| f * wave)
                });
            }
            for _ in 0..n_balloons {
                self.cache.table.push(0.0);
            }
        }
        let bkey = self.balloon_key(model);
        self.fill_balloons(model, bkey);
        self.cache.table_key = Some(key);
        self.cache.derivative_generation = None;
    }

    /// Which of this beat and the previous one each balloon assists, as bits (two per IABP).
    fn balloon_key(&self, model: &Model) -> u64 {
        let mut key = 0;
        for (b, &r) in model.iabp_ratios.iter().enumerate() {
            let (prev, cur) = balloon_gates(model, self.beat_index, r);
            key |= (u64::from(cur) | u64::from(prev) << 1) << (2 * b);
        }
        key
    }

    /// Fills the balloon columns of the activation table for the current beat.
    fn fill_balloons(&mut self, model: &Model, bkey: u64) {
        self.cache.balloon_key = bkey;
        let n_balloons = model.iabp_ratios.len();
        if n_balloons == 0 {
            return;
        }
        let n_cols = self.cache.act.len();
        let n_act = n_cols - n_balloons;
        let n_half = 2 * self.steps_per_beat as usize + 1;
        let half = self.h_s * 0.5;
        let lv = model.lv_activation;
        // Inflation starts at the end of ejection (the peak of the LV activation, on the
        // half-step grid); deflation starts at the onset of ventricular activation (R wave).
        let mut best = (0, f64::NEG_INFINITY);
        for k in 0..n_half - 1 {
            let v = self.cache.table[k * n_cols + lv];
            if v > best.1 {
                best = (k, v);
            }
        }
        let t_close = best.0 as f64 * half;
        let t_onset = self.cache.scaled[lv].shape.t_shift_s % self.period_s;
        self.cache.iabp_timing = (t_onset, t_close);
        for (b, &r) in model.iabp_ratios.iter().enumerate() {
            let (prev, cur) = balloon_gates(model, self.beat_index, r);
            for k in 0..n_half {
                self.cache.table[k * n_cols + n_act + b] = crate::unloading::balloon_fraction(
                    k as f64 * half,
                    t_onset,
                    t_close,
                    prev,
                    cur,
                );
            }
        }
    }

    /// Moves the beat clock one step forward; at the end of a beat, starts the next one with
    /// the model's current heart period.
    pub(crate) fn advance_clock(&mut self, model: &Model) {
        self.advance_clock_by(model, 1);
    }

    /// Moves the beat clock `m` fine steps forward (one merged step; `m > 1` never reaches the
    /// end of the beat, see [`merge_multiple`]).
    fn advance_clock_by(&mut self, model: &Model, m: u32) {
        self.steps_taken += 1;
        self.step_in_beat += m;
        if self.step_in_beat >= self.steps_per_beat {
            self.beat_index += 1;
            self.beat_start_s += self.period_s;
            self.step_in_beat = 0;
            let period = model.period_s();
            let steps = steps_for(period, model.effective_max_step_s());
            if period != self.period_s || steps != self.steps_per_beat {
                self.period_s = period;
                self.steps_per_beat = steps;
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
#[inline(always)]
pub(crate) fn rhs(
    model: &Model,
    act: &[f64],
    y: &[f64],
    dy: &mut [f64],
    p: &mut [f64],
    q: &mut [f64],
    cp: &mut CircuitPressures,
) {
    let k = &model.kernel;
    let n = model.nodes.len();
    let nh = model.layout.o2;
    // Every index stored in the kernel was checked against these lengths when the model was
    // compiled (`Model::compile` from validated parameters: compartments < n, connections < m,
    // state indices < nh, activations < act.len()). Checking the slices' lengths once here
    // makes the unchecked accesses below sound; they remove ~40 % of the instructions of this,
    // the hottest function of the engine.
    assert!(
        p.len() == n
            && q.len() == k.n_flows
            && y.len() >= nh
            && dy.len() >= nh
            && act.len() == k.n_activations
    );
    // SAFETY: see the assertion above.
    unsafe {
        for (i, e, v0, kc) in &k.vessels {
            let (i, e, v0) = (*i, *e, *v0);
            *p.get_unchecked_mut(i) =
                crate::components::vessel_pressure_mmhg(*y.get_unchecked(i), e, v0, kc);
        }
        // Chambers: below V0 the passive part follows the same collapse law as the vessels
        // (never reached by the peer model, whose chambers stay far above their V0).
        for (i, e_pass, e_max, v0, a, kc) in &k.linear_chambers {
            let (i, e_pass, e_max, v0, a) = (*i, *e_pass, *e_max, *v0, *a);
            let v = *y.get_unchecked(i);
            let passive = crate::components::vessel_pressure_mmhg(v, e_pass, v0, kc);
            *p.get_unchecked_mut(i) = passive + act.get_unchecked(a) * e_max * (v - v0);
        }
        for (i, ees, v0, a, b, ai, kc) in &k.exp_chambers {
            let (i, ees, v0, a, b, ai) = (*i, *ees, *v0, *a, *b, *ai);
            let e = *act.get_unchecked(ai);
            let v = *y.get_unchecked(i);
            let dv = v - v0;
            let passive = if dv >= 0.0 || kc.k_mmhg <= 0.0 {
                a * ((b * dv).exp() - 1.0)
            } else {
                crate::components::collapsed_pressure_mmhg(v, v0, kc)
            };
            *p.get_unchecked_mut(i) = e * ees * dv + (1.0 - e) * passive;
        }
        if let Some((chambers, a, b, v_ref)) = k.pericardium {
            let v: f64 = chambers.iter().map(|&c| *y.get_unchecked(c)).sum();
            let pp = crate::model::pericardial_pressure_mmhg(v, a, b, v_ref);
            for &c in &chambers {
                *p.get_unchecked_mut(c) += pp;
            }
        }
        if !k.iabps.is_empty() {
            balloon_pressures(model, act, p);
        }
        dy[..n].fill(0.0);
        for &(j, from, to, g) in &k.conductances {
            let f = (p.get_unchecked(from) - p.get_unchecked(to)) * g;
            *q.get_unchecked_mut(j) = f;
            *dy.get_unchecked_mut(from) -= f;
            *dy.get_unchecked_mut(to) += f;
        }
        for &(j, from, to, g, pcc) in &k.waterfalls {
            let (pf, pt) = (*p.get_unchecked(from), *p.get_unchecked(to));
            let f = waterfall_flow(pf, pt, g, pcc);
            *q.get_unchecked_mut(j) = f;
            *dy.get_unchecked_mut(from) -= f;
            *dy.get_unchecked_mut(to) += f;
        }
        for &(j, from, to, g_open, g_leak) in &k.valves {
            let dp = p.get_unchecked(from) - p.get_unchecked(to);
            let f = if dp > 0.0 { dp * g_open } else { dp * g_leak };
            *q.get_unchecked_mut(j) = f;
            *dy.get_unchecked_mut(from) -= f;
            *dy.get_unchecked_mut(to) += f;
        }
        for &(j, from, to, r, inv_l, s) in &k.inertials {
            let f = *y.get_unchecked(s);
            *q.get_unchecked_mut(j) = f;
            *dy.get_unchecked_mut(from) -= f;
            *dy.get_unchecked_mut(to) += f;
            *dy.get_unchecked_mut(s) =
                (p.get_unchecked(from) - p.get_unchecked(to) - r * f) * inv_l;
        }
    }
    if let Some((circuit, s)) = &k.circuit {
        let f = y[*s];
        let (d, r) = (circuit.drain_from, circuit.return_to);
        dy[d] -= f;
        dy[r] += f;
        let (dq, pressures) = circuit.flow_derivative_and_pressures(p[d], p[r], f);
        dy[*s] = dq;
        *cp = pressures;
    }
    if k.n_flows > model.links.len() {
        unloading_flows(model, y, dy, p, q, cp);
    }
}

/// Flow through a vascular waterfall (see [`crate::Resistor`]): driven by the upstream
/// pressure above `max(p_to, pcc)`; backward only when the downstream pressure is above both.
#[inline(always)]
pub(crate) fn waterfall_flow(p_from: f64, p_to: f64, g: f64, pcc: f64) -> f64 {
    let back = p_to.max(pcc);
    if p_from > back {
        (p_from - back) * g
    } else if p_to > pcc && p_to > p_from {
        (p_from - p_to) * g
    } else {
        0.0
    }
}

/// An inflated IABP occupies `balloon volume × inflation` of its vessel: the wall is
/// stretched by blood and balloon, `p = E(V + Vb·b − V0)` (a time-varying unstressed volume
/// `V0 − Vb·b`); the blood volume itself is untouched.
#[cold]
#[inline(never)]
fn balloon_pressures(model: &Model, act: &[f64], p: &mut [f64]) {
    for &(i, e_vb, col) in &model.kernel.iabps {
        p[i] += e_vb * act[col];
    }
}

/// Flows of the Impellas, septostomies and LV vents (all indices validated at compile).
#[cold]
#[inline(never)]
fn unloading_flows(
    model: &Model,
    y: &[f64],
    dy: &mut [f64],
    p: &[f64],
    q: &mut [f64],
    cp: &CircuitPressures,
) {
    use crate::unloading::{impella_flow_from_curve, inflow_factor, septostomy_flow_ml_s};
    let k = &model.kernel;
    for &(s, from, to, q0, dp0, v0) in &k.impellas {
        let f = impella_flow_from_curve(q0, dp0, p[to] - p[from]) * inflow_factor(y[from], v0);
        q[s] = f;
        dy[from] -= f;
        dy[to] += f;
    }
    for &(s, from, to, c) in &k.orifices {
        let f = septostomy_flow_ml_s(c, p[from] - p[to]);
        q[s] = f;
        dy[from] -= f;
        dy[to] += f;
    }
    for &(s, from, to, ref cannula, v0, on) in &k.vents {
        // Driven by the pump-inlet ("drainage") pressure of the circuit.
        let f = on * cannula.flow_ml_s(p[from] - cp.drainage_mmhg) * inflow_factor(y[from], v0);
        q[s] = f;
        dy[from] -= f;
        dy[to] += f;
    }
}

/// (previous beat assisted, this beat assisted) for an assist ratio `ratio` (beat 0 is
/// assisted; the beat before it counts as assisted at 1:1 only). Without a beating rhythm the
/// console has no trigger and the balloon stays deflated.
fn balloon_gates(model: &Model, beat_index: u64, ratio: u32) -> (bool, bool) {
    if !model.params().rhythm.is_beating() {
        return (false, false);
    }
    let r = u64::from(ratio.max(1));
    ((beat_index + r - 1) % r == 0, beat_index % r == 0)
}

/// The balloon inflation of every IABP at `phase_s` into the state's current beat (for the
/// reference integrator, which evaluates off the step grid).
pub(crate) fn balloon_row(model: &Model, state: &State, phase_s: f64, out: &mut [f64]) {
    let (t_onset, t_close) = state.cache.iabp_timing;
    for (o, &r) in out.iter_mut().zip(&model.iabp_ratios) {
        let (prev, cur) = balloon_gates(model, state.beat_index(), r);
        *o = crate::unloading::balloon_fraction(phase_s, t_onset, t_close, prev, cur);
    }
}

/// The whole right-hand side, haemodynamics and gases, with instantaneous flows (for the
/// reference integrator and for Jacobians).
#[allow(clippy::too_many_arguments)]
pub(crate) fn rhs_full(
    model: &Model,
    act: &[f64],
    y: &[f64],
    dy: &mut [f64],
    p: &mut [f64],
    q: &mut [f64],
    c: &mut [f64],
) {
    rhs(model, act, y, dy, p, q, &mut CircuitPressures::default());
    if model.layout().gas {
        let q_circuit = model.layout().circuit_flow.map_or(0.0, |i| y[i]);
        contents(model, y, c);
        gas_derivative(model, q, q_circuit, c, dy);
    }
}

/// O2 and CO2 contents (mL/mL) of every compartment from the state's masses and volumes.
#[inline(always)]
pub(crate) fn contents(model: &Model, y: &[f64], c: &mut [f64]) {
    let Some(g) = &model.kernel.gas else {
        return;
    };
    let n = model.nodes.len();
    let (co, cc) = c.split_at_mut(n);
    // Five slices of length `n` (slicing panics as indexing did): the zipped loop has no
    // bounds checks and the compiler vectorises it, lane by lane the same operations.
    let (cc, v) = (&mut cc[..n], &y[..n]);
    let (m_o2, m_co2) = (&y[g.o2..g.o2 + n], &y[g.co2..g.co2 + n]);
    for ((((o, k), &v), &mo), &mc) in co.iter_mut().zip(cc).zip(v).zip(m_o2).zip(m_co2) {
        // Volumes stay positive for validated parameters; the floor only guards the division.
        let inv_v = 1.0 / v.max(1e-9);
        *o = mo * inv_v;
        *k = mc * inv_v;
    }
}

/// Rates of change of the O2 and CO2 masses and of the exchange accumulators, for
/// connection flows `q`, circuit flow `q_circuit` and contents `c` (see
/// [`crate::gas::transport`]): upwind transport, lungs, oxygenator, tissues. Writes
/// `dy[layout.o2..]`.
#[inline(always)]
pub(crate) fn gas_derivative(model: &Model, q: &[f64], q_circuit: f64, c: &[f64], dy: &mut [f64]) {
    use crate::model::accumulator as acc;
    let Some(g) = &model.kernel.gas else {
        return;
    };
    let n = model.nodes.len();
    let (co, cc) = c.split_at(n);
    let m = q.len();
    assert!(
        m == model.kernel.n_flows
            && g.exchange < m
            && co.len() == n
            && cc.len() == n
            && g.co2 == g.o2 + n
            && g.acc == g.co2 + n
    );
    // The O2 masses, the CO2 masses and the accumulators: three slices of lengths n, n and
    // `acc::COUNT` (the layout asserted above), zeroed, then summed into.
    let gas = &mut dy[g.o2..g.acc + acc::COUNT];
    gas.fill(0.0);
    let (dyo, rest) = gas.split_at_mut(n);
    let (dyc, dya) = rest.split_at_mut(n);
    let dya: &mut [f64; acc::COUNT] = dya.try_into().expect("asserted layout");
    // SAFETY (every `get_unchecked` below): each compartment index the gas kernel holds (the
    // lung exchange's and every other connection's ends, the tissue beds' compartments) and the
    // circuit's drainage and return compartments are < n, validated with the parameters
    // before the model compiles; `co`, `cc`, `dyo`, `dyc` have length n (asserted and split
    // above); every flow index is < m, the flow count, asserted above.
    //
    // The lungs: blood crossing the exchange connection leaves at the end-capillary content,
    // mixed with the shunted fraction; alveolar PCO2 from the CO2 balance of the alveolar gas.
    let (from, to) = g.exchange_ends;
    let f = q[g.exchange];
    unsafe {
        if f > 0.0 {
            let (cin_o2, cin_co2) = (*co.get_unchecked(from), *cc.get_unchecked(from));
            let lung = lung_exchange(g, f, cin_o2, cin_co2);
            let out_o2 = f * cin_o2 + lung.o2_uptake_ml_s;
            let out_co2 = f * cin_co2 - lung.co2_output_ml_s;
            *dyo.get_unchecked_mut(from) -= f * cin_o2;
            *dyo.get_unchecked_mut(to) += out_o2;
            *dyc.get_unchecked_mut(from) -= f * cin_co2;
            *dyc.get_unchecked_mut(to) += out_co2;
            dya[acc::LUNG_O2] += lung.o2_uptake_ml_s;
            dya[acc::LUNG_CO2] -= lung.co2_output_ml_s;
        } else {
            // Backflow through the lungs carries the downstream content unchanged.
            let (c_o2, c_co2) = (*co.get_unchecked(to), *cc.get_unchecked(to));
            *dyo.get_unchecked_mut(from) -= f * c_o2;
            *dyo.get_unchecked_mut(to) += f * c_o2;
            *dyc.get_unchecked_mut(from) -= f * c_co2;
            *dyc.get_unchecked_mut(to) += f * c_co2;
        }
    }
    // Every other connection carries the upstream contents, in the kernel's order (two per
    // pass: the same operations in the same order, half the loop overhead).
    let mut carry = |&(j, from, to): &(usize, usize, usize)| unsafe {
        let f = *q.get_unchecked(j);
        let up = if f >= 0.0 { from } else { to };
        let (mo, mc) = (f * co.get_unchecked(up), f * cc.get_unchecked(up));
        *dyo.get_unchecked_mut(from) -= mo;
        *dyo.get_unchecked_mut(to) += mo;
        *dyc.get_unchecked_mut(from) -= mc;
        *dyc.get_unchecked_mut(to) += mc;
    };
    let mut pairs = g.ends.chunks_exact(2);
    for pair in &mut pairs {
        carry(&pair[0]);
        carry(&pair[1]);
    }
    pairs.remainder().iter().for_each(&mut carry);
    if let Some((circuit, _)) = &model.kernel.circuit {
        let f = q_circuit;
        if f != 0.0 {
            let (src, dst) = if f > 0.0 {
                (circuit.drain_from, circuit.return_to)
            } else {
                (circuit.return_to, circuit.drain_from)
            };
            let af = f.abs();
            let (c_o2, c_co2) = unsafe { (*co.get_unchecked(src), *cc.get_unchecked(src)) };
            // Clamped to [0, 200] mmHg and never NaN, as the transfer requires.
            let pco2_in = crate::gas::pco2_from_c_co2_mmhg(100.0 * c_co2);
            let (out_o2_dl, pco2_out) =
                circuit
                    .oxygenator
                    .transfer_with_settings(af, &g.oxygenator, 100.0 * c_o2, pco2_in);
            let out_o2 = out_o2_dl / 100.0;
            let out_co2 = crate::gas::c_co2_ml_per_dl(pco2_out) / 100.0;
            unsafe {
                *dyo.get_unchecked_mut(src) -= af * c_o2;
                *dyo.get_unchecked_mut(dst) += af * out_o2;
                *dyc.get_unchecked_mut(src) -= af * c_co2;
                *dyc.get_unchecked_mut(dst) += af * out_co2;
            }
            dya[acc::OXYGENATOR_O2] += af * (out_o2 - c_o2);
            dya[acc::OXYGENATOR_CO2] += af * (out_co2 - c_co2);
        }
    }
    // The two tissue accumulators are touched by nothing else, so they are summed in
    // registers, in the same order, from their current values.
    let (mut consumed, mut produced) = (dya[acc::CONSUMED_O2], dya[acc::PRODUCED_CO2]);
    for &(k, vo2) in &g.consumers {
        unsafe {
            let r = consumption_ml_s(vo2, *co.get_unchecked(k));
            *dyo.get_unchecked_mut(k) -= r;
            *dyc.get_unchecked_mut(k) += g.rq * r;
            consumed += r;
            produced += g.rq * r;
        }
    }
    dya[acc::CONSUMED_O2] = consumed;
    dya[acc::PRODUCED_CO2] = produced;
}

/// Supply-limited O2 consumption of a tissue bed, mL/s: `VO2·c/(c + K)` (see
/// [`crate::gas::transport`]) for a resting `vo2_ml_s` and the local content `c_ml_per_ml`.
#[inline]
fn consumption_ml_s(vo2_ml_s: f64, c_ml_per_ml: f64) -> f64 {
    use crate::gas::transport::CONSUMPTION_HALF_CONTENT_ML_PER_ML as K_HALF;
    let c = c_ml_per_ml.max(0.0);
    vo2_ml_s * c / (c + K_HALF)
}

/// O2 consumption and CO2 production of the tissue beds at the state's current contents,
/// mL/s (`(0, 0)` without a gas model).
pub fn tissue_exchange_ml_s(model: &Model, state: &State) -> (f64, f64) {
    let Some(g) = &model.kernel.gas else {
        return (0.0, 0.0);
    };
    let vo2: f64 = g
        .consumers
        .iter()
        .map(|&(k, v)| consumption_ml_s(v, state.cache.c[k]))
        .sum();
    (vo2, g.rq * vo2)
}

/// Gas exchange of the lungs for one flow through the pulmonary exchange connection.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LungExchange {
    /// Alveolar (and end-capillary) PCO2, mmHg.
    pub alveolar_pco2_mmhg: f64,
    /// Alveolar PO2 (alveolar gas equation with that PCO2), mmHg.
    pub alveolar_po2_mmhg: f64,
    /// CO2 the ventilation carries out, mL/s (never negative).
    pub co2_output_ml_s: f64,
    /// O2 taken up by the capillary blood, mL/s.
    pub o2_uptake_ml_s: f64,
}

/// The lungs' exchange for a forward flow `f_ml_s` (> 0) entering with contents `cin_o2`,
/// `cin_co2` (mL/mL); see [`crate::gas::transport`].
///
/// The non-shunted flow `Qc` equilibrates with alveolar gas. The CO2 balance of the alveolar gas,
/// `Qc·β·(Pv − PA) = G·PA` (`G` the ventilation's CO2 conductance, `β` the slope of the linear
/// CO2 dissociation line), gives `PA = Qc·β·Pv / (Qc·β + G)` and an output `G·PA ≥ 0`: the
/// lungs never add CO2, even when the inflowing PCO2 is below any fixed alveolar value.
#[inline]
pub(crate) fn lung_exchange(
    g: &crate::model::GasKernel,
    f_ml_s: f64,
    cin_o2: f64,
    cin_co2: f64,
) -> LungExchange {
    use crate::gas::{CO2_CONTENT_INTERCEPT_ML_PER_DL as A, CO2_CONTENT_SLOPE_ML_PER_DL_MMHG as B};
    let qc = (1.0 - g.shunt) * f_ml_s.max(0.0);
    let beta = B / 100.0;
    // Inflowing PCO2 (contents below the line's intercept read as 0 mmHg).
    let pv = ((cin_co2 - A / 100.0) / beta).max(0.0);
    let kb = qc * beta;
    let den = kb + g.vent_co2_ml_s_mmhg;
    let pa = if den > 1e-15 { kb * pv / den } else { pv };
    let pao2 = (g.pio2_mmhg - pa / g.rq).max(0.0);
    let c_cap_o2 =
        crate::gas::content::c_o2_with_capacity_ml_per_dl(pao2, g.o2_capacity_ml_per_dl) / 100.0;
    LungExchange {
        alveolar_pco2_mmhg: pa,
        alveolar_po2_mmhg: pao2,
        co2_output_ml_s: g.vent_co2_ml_s_mmhg * pa,
        o2_uptake_ml_s: qc * (c_cap_o2 - cin_o2),
    }
}

/// The lungs' gas exchange at the state's current flows and contents (`None` without a gas
/// model or while no blood flows forward through the lungs).
pub fn lung_gas_exchange(model: &Model, state: &State) -> Option<LungExchange> {
    let g = model.kernel.gas.as_ref()?;
    let f = state.cache.q[g.exchange];
    if f <= 0.0 {
        return None;
    }
    let n = model.nodes.len();
    let from = g.exchange_ends.0;
    Some(lung_exchange(
        g,
        f,
        state.cache.c[from],
        state.cache.c[n + from],
    ))
}

/// Writes the time derivative of the state vector at the state's current time into `out`
/// (after bringing the state's cache up to date).
///
/// The gas part is the instantaneous rate (the fixed-step integrator advances it with the
/// step's mean flows, see [`step`]).
pub fn derivative(model: &Model, state: &mut State, out: &mut [f64]) {
    state.refresh(model);
    let nh = model.layout().o2;
    out[..nh].copy_from_slice(&state.cache.k[0][..nh]);
    let q_circuit = state.ecmo_flow_ml_s(model);
    gas_derivative(model, &state.cache.q, q_circuit, &state.cache.c, out);
}

/// Advances `state` by one fixed step, or by a merged step of several fixed steps where the
/// model allows it ([`crate::IntegrationParams::max_step_multiple`]).
///
/// The haemodynamic states (volumes, segment and circuit flows) take one step of the
/// classical 4th-order Runge-Kutta method. The gas masses are then advanced once, by
/// conservative upwind transport with the step's RK4-weighted mean flows (the same flows that
/// moved the volumes, so a uniform content stays exactly uniform) and contents at the start of
/// the step (operator splitting: gas transport is three orders of magnitude slower than the
/// stiffest haemodynamic mode, and its explicit update is stable while `h·q/V < 1` in every
/// compartment, ~0.01 here). Every exchange is a transfer between two masses or a logged
/// source/sink, so O2 and CO2 are conserved to rounding.
///
/// The step length is the state's current [`State::step_s`]. After the step the state's
/// pressures, flows and contents are those of the new state (the derivative evaluated there
/// is reused as the first stage of the next step, so outputs cost nothing). Never allocates.
///
/// **Merged steps.** The stiffest mode of the circulation, the ejecting ventricle coupled to
/// the aortic root through the open aortic valve (`tests/stability.rs`), sets the fixed step,
/// but it exists only while that valve is open (about a third of a beat); with the valves
/// closed, or only the atrio-ventricular valves open, the fastest rate is 2-8 times lower.
/// When `max_step_multiple` > 1, each step first takes the local rate `λ`: the largest pair
/// rate `(E_from + E_to)·G_open` over the valves counted as open (open at the step's start, or
/// held open for [`MERGE_VALVE_HOLD_S`] after a reopening rejected a merged step), with the
/// chamber elastances at the current activation and volume, and the compile-time bound of
/// every other connection. It then takes `m = ⌊STABLE_H_LAMBDA / (h·λ)⌋` fine steps as one
/// RK4 step of length `m·h`, with the activations tabulated at the fine-grid times
/// `t + m·h/2` and `t + m·h`. While a contracting chamber ejects through an open valve into a
/// vessel (ventricular ejection: activation above [`MERGE_MAX_EJECTING_ACTIVATION`]) the
/// ejecting valves are left out of `λ` and up to [`MERGE_MAX_EJECTION_MULTIPLE`] fine steps
/// are taken as one Rosenbrock-W step that treats them linearly implicitly ([`ros_w`]), with
/// the limit [`W_STABLE_H_LAMBDA`]. `m` is at most `max_step_multiple`, never reaches the
/// beat's end, stops short of the first valve event that the valves' pressure differences,
/// extrapolated linearly from the last step, predict ([`steps_to_predicted_valve_event`]),
/// takes the chambers' EDPVR slopes at the volumes the step would fill them to, and is 1 (a
/// fine step) while an ECMO drainage cannula's vein is collapsing, while a volume is below its
/// unstressed volume, and during chest compressions. A merged step is rejected, and the fine
/// step taken instead, when a valve not counted as open opens during it (at a stage: its fast
/// mode would be integrated explicitly beyond its bound; or at its end), an unheld open valve
/// is closed at its end (closures mark end-diastole and end-systole, which the per-beat
/// metrics read; a closure seen only at an inner stage, whose state is not a solution value,
/// does not reject), the local rate at its end exceeds the bound, the drainage vein starts to
/// collapse, or a volume ends below its unstressed volume. The time grid stays the fine one, so beat
/// boundaries, the activation table and the per-beat metrics keep their meaning; the rules
/// are deterministic, so runs stay bit-identical. Accuracy and stability:
/// `tests/merged_steps.rs`.
///
/// **Instruction sets.** On x86-64 the step is compiled twice, for the baseline instruction
/// set and for x86-64-v3 (AVX2, FMA, BMI), and the CPU picks one at run time (~10 % fewer
/// instructions). Both run the same floating-point operations in the same order (Rust never
/// fuses a multiply and an add, nor reassociates, unless the code asks for it), so the
/// results are bit-identical whichever runs (`tests/merged_steps.rs`,
/// `both_instruction_sets_give_identical_states`).
pub fn step(model: &Model, state: &mut State) {
    #[cfg(target_arch = "x86_64")]
    if model.x86_64_v3 {
        // SAFETY: the model was built on this CPU, which has every feature the function is
        // compiled for (`cpu_has_x86_64_v3`).
        return unsafe { step_x86_64_v3(model, state) };
    }
    step_impl(model, state);
}

/// Whether this CPU has every feature of the x86-64-v3 versions of [`step`] and
/// [`crate::BeatRecorder::record`] (always `false` on other architectures).
pub(crate) fn cpu_has_x86_64_v3() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx")
            && has!("avx2")
            && has!("fma")
            && has!("bmi1")
            && has!("bmi2")
            && has!("lzcnt")
            && has!("movbe")
            && has!("popcnt")
            && has!("sse3")
            && has!("ssse3")
            && has!("sse4.1")
            && has!("sse4.2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`step`] compiled for the x86-64-v3 instruction set (the same operations in the same
/// order; everything it calls is inlined into it, so it is compiled for that set too).
///
/// # Safety
/// The CPU must have every feature enabled here ([`cpu_has_x86_64_v3`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,avx2,fma,bmi1,bmi2,lzcnt,movbe,popcnt,sse3,ssse3,sse4.1,sse4.2")]
unsafe fn step_x86_64_v3(model: &Model, state: &mut State) {
    step_impl(model, state);
}

/// [`step`] compiled for the baseline instruction set whatever the CPU (for the test that the
/// instruction sets give identical results).
#[doc(hidden)]
pub fn step_baseline_isa(model: &Model, state: &mut State) {
    step_impl(model, state);
}

/// The body of [`step`]; `inline(always)` (with everything on its hot path) so that each
/// instruction-set version compiles all of it.
#[inline(always)]
fn step_impl(model: &Model, state: &mut State) {
    state.refresh(model);
    let (m, open) = merge_multiple(model, state);
    remember_valve_pressures(model, state);
    if m > 1 {
        let start = (state.step_in_beat, state.steps_taken, state.t_s);
        state.cache.y_save.copy_from_slice(&state.y);
        let done = if open.implicit != 0 {
            ros_w(model, state, m, open)
        } else {
            rk4(model, state, m, Some(open))
        };
        if done {
            state.advance_clock_by(model, m);
            state.refresh(model);
            if merged_end_ok(model, state, open) && merged_end_rate_ok(model, state, m, open) {
                state.cache.last_step = if open.implicit != 0 {
                    StepKind::MergedImplicit { multiple: m }
                } else {
                    StepKind::Merged { multiple: m }
                };
                return;
            }
        }
        state.cache.rejected_merges += 1;
        // Rejected: back to the start (a valve that opened without being counted as open
        // counts as open from now on), and the fine step.
        let y_save = std::mem::take(&mut state.cache.y_save);
        state.y.copy_from_slice(&y_save);
        state.cache.y_save = y_save;
        (state.step_in_beat, state.steps_taken, state.t_s) = start;
        note_reopened_valves(model, state, open);
        state.cache.derivative_generation = None;
        state.refresh(model);
    }
    rk4(model, state, 1, None);
    state.advance_clock(model);
    state.refresh(model);
    state.cache.last_step = StepKind::Fine;
}

/// How [`step`] advanced the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StepKind {
    /// One RK4 step on the fine grid.
    #[default]
    Fine,
    /// `multiple` fine steps as one RK4 step.
    Merged {
        /// Fine steps merged.
        multiple: u32,
    },
    /// `multiple` fine steps through ventricular ejection as one Rosenbrock-W step with the
    /// ejecting valves treated linearly implicitly.
    MergedImplicit {
        /// Fine steps merged.
        multiple: u32,
    },
}

/// Largest drainage-collapse resistance multiplier at which a merged step is allowed: the
/// vein is open (the multiplier is 1 + 399/(1 + e^(p/0.1)) for the default limit, so 1.01 is
/// reached ~1.06 mmHg above the collapse pressure).
const MERGE_MAX_COLLAPSE_MULTIPLIER: f64 = 1.01;

/// How long a heart valve whose opening rejected a merged step keeps counting as open for the
/// merged-step rules, s. Near-zero flows (diastasis) make the atrio-ventricular valves open
/// and close several times a beat; counting such a valve as open for a while bounds the steps
/// by its rate instead of rejecting a merged step each time it reopens. A choice for
/// throughput: the rules stay safe whatever its value.
const MERGE_VALVE_HOLD_S: f64 = 0.03;

/// Largest multiple of a merged step through ventricular ejection (a Rosenbrock-W step,
/// [`ros_w`]). At ×3 the per-beat metrics left the convergence bound (peak-sampled pulse
/// pressures and the ascending aortic flow, up to 1.3 times the bound); at ×2 every preset
/// stays within it (`tests/merged_steps.rs`).
const MERGE_MAX_EJECTION_MULTIPLE: u32 = 2;

/// Largest `h·λ` of the explicitly treated modes in a Rosenbrock-W step. With `W = 0` the
/// method below is an explicit third-order Runge-Kutta method whose stability polynomial
/// `1 + z + z²/2 + z³/6 + c₄z⁴` (`c₄ = b₄·α₄₃·α₃₂·α₂₁ ≈ −0.0429`) reaches −1 at `z ≈ −1.99` on
/// the negative real axis; 1.4 keeps the margin that [`crate::STABLE_H_LAMBDA`] keeps for
/// RK4 (2.0 of 2.785, ~28 %).
const W_STABLE_H_LAMBDA: f64 = 1.4;

/// Largest activation (0-1) of a chamber with an open outflow valve at which a step may
/// merge explicitly: above it the chamber is ejecting (see [`merge_multiple`]).
const MERGE_MAX_EJECTING_ACTIVATION: f64 = 0.05;

/// Marks the valves that opened without being counted as open, at the flows of the stage that
/// rejected a merged step (still cached), as seen open at the state's (restored) time.
#[inline(always)]
fn note_reopened_valves(model: &Model, state: &mut State, open: ValveBits) {
    let Some(mk) = &model.kernel.merge else {
        return;
    };
    let t = state.t_s;
    for (v, &(j, ..)) in mk.valves.iter().enumerate() {
        if state.cache.q[j] > 0.0 && open.counted & (1 << v) == 0 {
            if let Some(seen) = state.cache.valve_seen_open_s.get_mut(v) {
                *seen = t;
            }
        }
    }
}

/// How many fine steps the next step may merge (1: a fine step), and the valves counted as
/// open (one bit per valve of the merge kernel). See [`step`].
#[inline(always)]
fn merge_multiple(model: &Model, state: &State) -> (u32, ValveBits) {
    let Some(mk) = &model.kernel.merge else {
        return (1, ValveBits::default());
    };
    let remaining = state.steps_per_beat - state.step_in_beat - 1;
    let cap = mk.max_multiple.min(remaining);
    if cap < 2 || model.compressions.is_some() {
        return (1, ValveBits::default());
    }
    if model.kernel.circuit.is_some()
        && state.cache.circuit.collapse_multiplier > MERGE_MAX_COLLAPSE_MULTIPLIER
    {
        return (1, ValveBits::default());
    }
    let y = &state.y;
    let n_act = state.cache.act.len();
    let k0 = 2 * state.step_in_beat as usize;
    let (table, last) = (&state.cache.table, k0 + 2 * cap as usize);
    let act = &table[k0 * n_act..(k0 + 1) * n_act];
    let q = &state.cache.q;
    // First the valves counted as open, and ventricular ejection, which needs no rate: a
    // contracting chamber ejecting through an open valve into a vessel has the
    // fastest-changing flows of the beat and is kept on the fine grid.
    let mut open = ValveBits::default();
    for (v, &(j, from, to, _)) in mk.valves.iter().enumerate() {
        let seen = state
            .cache
            .valve_seen_open_s
            .get(v)
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        let held = state.t_s - seen < MERGE_VALVE_HOLD_S;
        if q[j] > 0.0 && !held {
            open.open_unheld |= 1 << v;
        }
        if q[j] > 0.0 || held {
            open.counted |= 1 << v;
            if let (Some(col), None) = (from.activation_column(), to.activation_column()) {
                let end = last * n_act + col;
                if act[col] > MERGE_MAX_EJECTING_ACTIVATION
                    || table[end] > MERGE_MAX_EJECTING_ACTIVATION
                {
                    open.implicit |= 1 << v;
                }
            }
        }
    }
    if mk.v0.iter().any(|&(i, v0)| y[i] < v0) {
        return (1, ValveBits::default());
    }
    // Then the local rate over the counted valves.
    // Chamber slopes at the volumes the largest step would fill them to: the filling steepens
    // an exponential EDPVR, and a step that ends above the bound is rejected
    // ([`merged_end_rate_ok`]).
    let fill = Some((&state.cache.k[0][..], state.h_s * f64::from(cap)));
    let elastance = |src: ElastanceSource| chamber_elastance(src, y, fill, table, n_act, k0, last);
    let mut rate = mk.floor_rate_per_s;
    for (v, &(_, from, to, g_open)) in mk.valves.iter().enumerate() {
        if open.counted & !open.implicit & (1 << v) != 0 {
            rate = rate.max((elastance(from) + elastance(to)) * g_open);
        }
    }
    let (limit, cap) = if open.implicit != 0 {
        (W_STABLE_H_LAMBDA, cap.min(MERGE_MAX_EJECTION_MULTIPLE))
    } else {
        (crate::model::STABLE_H_LAMBDA, cap)
    };
    let m = (limit / (state.h_s * rate))
        .min(steps_to_predicted_valve_event(model, mk, state, open))
        .floor();
    if m >= 2.0 && cap >= 2 {
        // `m` may be infinite (no rate at all): `min` and the cast saturate.
        (m.min(f64::from(cap)) as u32, open)
    } else {
        (1, open)
    }
}

/// How many fine steps (fractional, possibly infinite) ahead the first valve event of a
/// step starting now is predicted: each valve whose opening (closed, not counted as open)
/// or closure (open, not held) would reject a merged step has its pressure difference
/// extrapolated linearly from the start of the last step. Merged steps stop short of the
/// prediction instead of being attempted, rejected and retaken fine (a throughput choice:
/// a wrong prediction costs a rejected step or a fine step, never accuracy, which the
/// rejection rules keep).
#[inline(always)]
fn steps_to_predicted_valve_event(
    model: &Model,
    mk: &MergeKernel,
    state: &State,
    open: ValveBits,
) -> f64 {
    let Some((t_prev, generation)) = state.cache.valve_dp_prev_at else {
        return f64::INFINITY;
    };
    let dt = state.t_s - t_prev;
    if generation != model.generation || dt.is_nan() || dt <= 0.0 {
        return f64::INFINITY;
    }
    let p = &state.cache.p;
    let mut first = f64::INFINITY;
    for ((v, &(a, b)), &prev) in mk
        .valve_ends
        .iter()
        .enumerate()
        .zip(&state.cache.valve_dp_prev_mmhg)
    {
        let bit = 1 << v;
        let dp = p[a] - p[b];
        let watched = if dp > 0.0 {
            open.open_unheld & bit != 0
        } else {
            open.counted & bit == 0
        };
        let slope = (dp - prev) / dt;
        if watched && dp * slope < 0.0 {
            first = first.min(-dp / slope);
        }
    }
    first / state.h_s
}

/// Stores each valve's pressure difference at the start of this step for
/// [`steps_to_predicted_valve_event`].
#[inline(always)]
fn remember_valve_pressures(model: &Model, state: &mut State) {
    let Some(mk) = &model.kernel.merge else {
        return;
    };
    let Cache {
        p,
        valve_dp_prev_mmhg,
        ..
    } = &mut state.cache;
    for (prev, &(a, b)) in valve_dp_prev_mmhg.iter_mut().zip(&mk.valve_ends) {
        *prev = p[a] - p[b];
    }
    state.cache.valve_dp_prev_at = Some((state.t_s, model.generation));
}

/// The elastance (mmHg/mL) of one end of a valve for the merged-step rules: a vessel's `1/C`;
/// a chamber's slope at volume `y[i] + max(0, fill[i])` and the activation range over the
/// table rows `r0..=r1` (the interval of the step; the slope is linear in the activation, so
/// its largest value is at one end of the range). `fill` is the filling expected over the
/// step (its rate times the step) or `None`.
#[inline(always)]
fn chamber_elastance(
    src: ElastanceSource,
    y: &[f64],
    fill: Option<(&[f64], f64)>,
    table: &[f64],
    n_act: usize,
    r0: usize,
    r1: usize,
) -> f64 {
    let range = |col: usize| {
        (r0..=r1)
            .map(|r| table[r * n_act + col])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
                (lo.min(e), hi.max(e))
            })
    };
    match src {
        ElastanceSource::Constant(e) => e,
        ElastanceSource::Linear(e_pass, e_max, a) => e_pass + range(a).1.max(0.0) * e_max,
        ElastanceSource::Exponential(i, ees, v0, a, b, col) => {
            let v = match fill {
                Some((dy, t)) => y[i] + (dy[i] * t).max(0.0),
                None => y[i],
            };
            let slope = a * b * (b * (v - v0)).clamp(0.0, 50.0).exp();
            let (lo, hi) = range(col);
            (lo * ees + (1.0 - lo) * slope).max(hi * ees + (1.0 - hi) * slope)
        }
    }
}

/// Whether the merged step of `m` fine steps that just ended was within the stability bound
/// at its end too (volumes at the end, activations over the step): the filling during the
/// step steepens an exponential EDPVR.
#[inline(always)]
fn merged_end_rate_ok(model: &Model, state: &State, m: u32, open: ValveBits) -> bool {
    let Some(mk) = &model.kernel.merge else {
        return true;
    };
    let n_act = state.cache.act.len();
    let k_end = 2 * state.step_in_beat as usize;
    let k0 = k_end - 2 * m as usize;
    let table = &state.cache.table;
    let mut rate = mk.floor_rate_per_s;
    for (v, &(_, from, to, g_open)) in mk.valves.iter().enumerate() {
        if open.counted & !open.implicit & (1 << v) != 0 {
            let e = chamber_elastance(from, &state.y, None, table, n_act, k0, k_end)
                + chamber_elastance(to, &state.y, None, table, n_act, k0, k_end);
            rate = rate.max(e * g_open);
        }
    }
    let limit = if open.implicit != 0 {
        W_STABLE_H_LAMBDA
    } else {
        crate::model::STABLE_H_LAMBDA
    };
    state.h_s * f64::from(m) * rate <= limit
}

/// Whether flows `q` change a heart valve in a way the merged step must resolve on the fine
/// grid: a valve opens that the step did not count as open (its fast mode), or a valve that
/// was open at the start and not held closes (valve closure marks end-diastole and
/// end-systole, which the per-beat metrics read).
#[inline(always)]
fn valve_event(model: &Model, q: &[f64], valves: ValveBits) -> bool {
    model.kernel.merge.as_ref().is_some_and(|mk| {
        mk.valves.iter().enumerate().any(|(v, &(j, ..))| {
            let bit = 1 << v;
            if q[j] > 0.0 {
                valves.counted & bit == 0
            } else {
                valves.open_unheld & bit != 0
            }
        })
    })
}

/// The valves a merged step started with, one bit per valve of the merge kernel.
#[derive(Clone, Copy, Debug, Default)]
struct ValveBits {
    /// Counted as open (open, or held after a recent reopening).
    counted: u64,
    /// Outflow valves of ejecting ventricles, treated linearly implicitly (a Rosenbrock-W
    /// step, [`ros_w`]); the rate rules leave them out.
    implicit: u64,
    /// Open at the start and not held.
    open_unheld: u64,
}

/// Whether the end of a merged step keeps the rules of [`step`] (no valve opened that was
/// not counted as open, the drainage vein open, every volume above its unstressed volume).
#[inline(always)]
fn merged_end_ok(model: &Model, state: &State, open: ValveBits) -> bool {
    let Some(mk) = &model.kernel.merge else {
        return true;
    };
    !valve_event(model, &state.cache.q, open)
        && (model.kernel.circuit.is_none()
            || state.cache.circuit.collapse_multiplier <= MERGE_MAX_COLLAPSE_MULTIPLIER)
        && mk.v0.iter().all(|&(i, v0)| state.y[i] >= v0)
}

/// One RK4 step of `m` fine steps from the cached start (stage 1 in `k[0]`), writing the new
/// state vector; the clock is not moved. With `check = Some(signature)` (a merged step) it
/// stops and returns `false`, leaving the state vector untouched, as soon as a stage finds
/// a valve open that was not counted as open, or the drainage vein collapsing (closures are
/// read at the step's end, see [`step`]).
#[inline(always)]
fn rk4(model: &Model, state: &mut State, m: u32, check: Option<ValveBits>) -> bool {
    let h = state.h_s * f64::from(m);
    let k0 = 2 * state.step_in_beat as usize;
    let (mid, end) = (k0 + m as usize, k0 + 2 * m as usize);
    let n_act = state.cache.act.len();
    let layout = model.layout();
    let nh = layout.o2;
    let Cache {
        k,
        ytmp,
        p,
        q,
        c,
        qbar,
        table,
        circuit: cp,
        ..
    } = &mut state.cache;
    let [k1, k2, k3, k4] = k;
    let y = &state.y;
    let row = |i: usize| &table[i * n_act..(i + 1) * n_act];
    let circuit = layout.circuit_flow;
    let circuit_flow = |v: &[f64]| circuit.map_or(0.0, |i| v[i]);
    let stage_ok = |q: &[f64], cp: &CircuitPressures| match check {
        None => true,
        Some(open) => {
            !valve_event(
                model,
                q,
                ValveBits {
                    open_unheld: 0,
                    ..open
                },
            ) && (circuit.is_none() || cp.collapse_multiplier <= MERGE_MAX_COLLAPSE_MULTIPLIER)
        }
    };
    // The cached stage-1 flows are those of the current state.
    for (b, &qj) in qbar.iter_mut().zip(q.iter()) {
        *b = qj / 6.0;
    }
    let mut q_circuit = circuit_flow(y) / 6.0;

    for ((t, &yi), &d) in ytmp[..nh].iter_mut().zip(&y[..nh]).zip(&k1[..nh]) {
        *t = yi + 0.5 * h * d;
    }
    rhs(model, row(mid), ytmp, k2, p, q, cp);
    if !stage_ok(q, cp) {
        return false;
    }
    accumulate(qbar, q, 2.0 / 6.0);
    q_circuit += circuit_flow(ytmp) * 2.0 / 6.0;
    for ((t, &yi), &d) in ytmp[..nh].iter_mut().zip(&y[..nh]).zip(&k2[..nh]) {
        *t = yi + 0.5 * h * d;
    }
    rhs(model, row(mid), ytmp, k3, p, q, cp);
    if !stage_ok(q, cp) {
        return false;
    }
    accumulate(qbar, q, 2.0 / 6.0);
    q_circuit += circuit_flow(ytmp) * 2.0 / 6.0;
    for ((t, &yi), &d) in ytmp[..nh].iter_mut().zip(&y[..nh]).zip(&k3[..nh]) {
        *t = yi + h * d;
    }
    rhs(model, row(end), ytmp, k4, p, q, cp);
    if !stage_ok(q, cp) {
        return false;
    }
    accumulate(qbar, q, 1.0 / 6.0);
    q_circuit += circuit_flow(ytmp) / 6.0;

    // Gases: contents at the start of the step (still cached in `c`), mean flows.
    if layout.gas {
        gas_derivative(model, qbar, q_circuit, c, k2);
    }
    let h6 = h / 6.0;
    let (yh, yg) = state.y.split_at_mut(nh);
    // Equal-length slices: the compiler drops the bounds checks from these loops.
    for ((((yi, &a), &b), &c2), &d) in yh
        .iter_mut()
        .zip(&k1[..nh])
        .zip(&k2[..nh])
        .zip(&k3[..nh])
        .zip(&k4[..nh])
    {
        *yi += h6 * (a + 2.0 * (b + c2) + d);
    }
    for (yi, &g) in yg.iter_mut().zip(&k2[nh..layout.len]) {
        *yi += h * g;
    }
    true
}

/// ROS34PW2, the Rosenbrock-W method of Rang & Angermann (BIT Numer Math 2005;45:761-787):
/// four stages, order 3 for any approximation `W` of the Jacobian, L-stable with the exact
/// one. Stage coupling `α`, stage Jacobian coefficients `γᵢⱼ`, diagonal `γ`, weights `b`
/// (`bᵢ = α₄ᵢ + γ₄ᵢ`, stiffly accurate) and stage times `cᵢ = Σⱼ αᵢⱼ`.
const W_GAMMA: f64 = 0.435_866_521_508_459;
const W_ALPHA: [[f64; 3]; 4] = [
    [0.0, 0.0, 0.0],
    [0.871_733_043_016_918, 0.0, 0.0],
    [0.844_570_600_153_694_2, -0.112_990_642_364_841_85, 0.0],
    [0.0, 0.0, 1.0],
];
const W_GAMMA_OFF: [[f64; 3]; 4] = [
    [0.0, 0.0, 0.0],
    [-0.871_733_043_016_918, 0.0, 0.0],
    [-0.903_380_570_130_440_8, 0.054_180_672_388_095_326, 0.0],
    [
        0.242_123_807_060_953_46,
        -1.223_250_583_904_514_7,
        0.545_260_255_335_102_1,
    ],
];
const W_B: [f64; 4] = [
    0.242_123_807_060_953_46,
    -1.223_250_583_904_514_7,
    1.545_260_255_335_102,
    0.435_866_521_508_459,
];
const W_C: [f64; 4] = [0.0, 0.871_733_043_016_918, 0.731_579_957_788_852_4, 1.0];

/// One merged step of `m` fine steps through ventricular ejection: a Rosenbrock-W step
/// ([`W_GAMMA`]) whose `W` is the stiff part of the right-hand side, the flow through each
/// open outflow valve of an ejecting ventricle (`open.implicit`).
///
/// A valve joining compartments `a` → `b` with open conductance `G` carries
/// `q = G·(p_a − p_b)`, so its part of the Jacobian is the rank-one `−G·u·wᵀ` (`u = e_a − e_b`
/// moves volume from `a` to `b`; `w = E_a·e_a − E_b·e_b` is the gradient of the pressure
/// difference, with the elastances at the step's start). Its eigenvalue `−G·(E_a + E_b)`
/// (~1000 /s for the LV against the aortic root) is what keeps RK4 on the fine grid through
/// ejection. `(I − γhW)⁻¹` is applied by the Sherman-Morrison formula, and it touches only
/// `a` and `b`; two valves (aortic and pulmonary) join disjoint compartments, so their
/// corrections apply one after the other. Stage activations are interpolated linearly between
/// the table's half-step rows (the stage times `cᵢ·h` fall between them).
///
/// The mean flows (`qbar`, for the gases and [`State::mean_flows_ml_s`]) are the `b`-weighted
/// stage flows plus each valve's implicit transfer, so they move exactly the volume the step
/// moves. Like [`rk4`] with a check, it returns `false`, leaving the state vector untouched,
/// when a stage opens a valve not counted as open or collapses the drainage vein (closures
/// are read at the step's end, see [`step`]).
#[inline(always)]
fn ros_w(model: &Model, state: &mut State, m: u32, open: ValveBits) -> bool {
    let Some(mk) = &model.kernel.merge else {
        return false;
    };
    let h = state.h_s * f64::from(m);
    let k0 = 2 * state.step_in_beat as usize;
    let n_act = state.cache.act.len();
    let layout = model.layout();
    let nh = layout.o2;
    let circuit = layout.circuit_flow;
    // The implicit valves: (from, to, connection, G, E_from, E_to) at the step's start.
    let mut blocks = [(0_usize, 0_usize, 0_usize, 0.0_f64, 0.0_f64, 0.0_f64); 4];
    let mut n_blocks = 0;
    for (v, &(j, from, to, g_open)) in mk.valves.iter().enumerate() {
        if open.implicit & (1 << v) == 0 || n_blocks == blocks.len() {
            continue;
        }
        let (a, b) = mk.valve_ends[v];
        let table = &state.cache.table;
        let e_a = chamber_elastance(from, &state.y, None, table, n_act, k0, k0);
        let e_b = chamber_elastance(to, &state.y, None, table, n_act, k0, k0);
        blocks[n_blocks] = (a, b, j, g_open, e_a, e_b);
        n_blocks += 1;
    }
    let blocks = &blocks[..n_blocks];
    // Inner stages check every valve event but an implicit valve's closure.
    let stage_bits = ValveBits {
        open_unheld: 0,
        ..open
    };
    let Cache {
        k,
        kw,
        fw,
        act_w,
        ytmp,
        p,
        q,
        c,
        qbar,
        table,
        circuit: cp,
        ..
    } = &mut state.cache;
    let y = &state.y;
    let circuit_flow = |v: &[f64]| circuit.map_or(0.0, |i| v[i]);
    qbar.fill(0.0);
    let mut q_circuit = 0.0;
    for i in 0..4 {
        if i > 0 {
            // The stage state y + Σⱼ αᵢⱼ·Kⱼ (α₄ = (0, 0, 1)).
            let (yt, yh) = (&mut ytmp[..nh], &y[..nh]);
            match i {
                1 => {
                    for ((t, &a), &k0) in yt.iter_mut().zip(yh).zip(&kw[0][..nh]) {
                        *t = a + W_ALPHA[1][0] * k0;
                    }
                }
                2 => {
                    for (((t, &a), &k0), &k1) in
                        yt.iter_mut().zip(yh).zip(&kw[0][..nh]).zip(&kw[1][..nh])
                    {
                        *t = a + W_ALPHA[2][0] * k0 + W_ALPHA[2][1] * k1;
                    }
                }
                _ => {
                    for ((t, &a), &k2) in yt.iter_mut().zip(yh).zip(&kw[2][..nh]) {
                        *t = a + k2;
                    }
                }
            }
            let pos = k0 as f64 + W_C[i] * 2.0 * f64::from(m);
            let r0 = pos as usize;
            let frac = pos - r0 as f64;
            for (col, a) in act_w.iter_mut().enumerate() {
                let a0 = table[r0 * n_act + col];
                *a = if frac > 0.0 {
                    a0 + frac * (table[(r0 + 1) * n_act + col] - a0)
                } else {
                    a0
                };
            }
            rhs(model, act_w, ytmp, fw, p, q, cp);
            if valve_event(model, q, stage_bits)
                || (circuit.is_some() && cp.collapse_multiplier > MERGE_MAX_COLLAPSE_MULTIPLIER)
            {
                return false;
            }
        }
        let stage_y: &[f64] = if i == 0 { y } else { ytmp };
        q_circuit += W_B[i] * circuit_flow(stage_y);
        accumulate(qbar, q, W_B[i]);
        let (done, rest) = kw.split_at_mut(i);
        let ki = &mut rest[0];
        // Stage 1 is the start: its derivative (and flows, above) are cached.
        let f: &[f64] = if i == 0 { &k[0][..nh] } else { &fw[..nh] };
        for (kt, &f) in ki[..nh].iter_mut().zip(f) {
            *kt = h * f;
        }
        for &(a, b, j, g, e_a, e_b) in blocks {
            // h·W·Σⱼ γᵢⱼ·Kⱼ moves `h·G·wᵀd` from `a` to `b`.
            let (mut d_a, mut d_b) = (0.0, 0.0);
            for (jj, kj) in done.iter().enumerate() {
                d_a += W_GAMMA_OFF[i][jj] * kj[a];
                d_b += W_GAMMA_OFF[i][jj] * kj[b];
            }
            let lagged = h * g * (e_a * d_a - e_b * d_b);
            ki[a] -= lagged;
            ki[b] += lagged;
            // (I + γ·h·G·u·wᵀ)⁻¹ by Sherman-Morrison.
            let hg = W_GAMMA * h * g;
            let s = hg * (e_a * ki[a] - e_b * ki[b]) / (1.0 + hg * (e_a + e_b));
            ki[a] -= s;
            ki[b] += s;
            qbar[j] += W_B[i] * (lagged + s) / h;
        }
    }
    // Gases: contents at the start of the step (still cached in `c`), mean flows.
    if layout.gas {
        gas_derivative(model, qbar, q_circuit, c, &mut k[1]);
    }
    let (yh, yg) = state.y.split_at_mut(nh);
    let [k1, k2, k3, k4] = kw;
    for ((((yi, &a), &b), &c2), &d) in yh
        .iter_mut()
        .zip(&k1[..nh])
        .zip(&k2[..nh])
        .zip(&k3[..nh])
        .zip(&k4[..nh])
    {
        *yi += W_B[0] * a + W_B[1] * b + W_B[2] * c2 + W_B[3] * d;
    }
    for (yi, &g) in yg.iter_mut().zip(&k[1][nh..layout.len]) {
        *yi += h * g;
    }
    true
}

#[inline(always)]
fn accumulate(acc: &mut [f64], q: &[f64], w: f64) {
    for (a, &x) in acc.iter_mut().zip(q) {
        *a += w * x;
    }
}

#[cfg(test)]
mod waterfall_tests {
    use super::waterfall_flow;

    #[test]
    fn no_flow_below_the_closing_pressure() {
        assert_eq!(waterfall_flow(40.0, 5.0, 0.5, 45.0), 0.0);
        assert_eq!(waterfall_flow(45.0, 5.0, 0.5, 45.0), 0.0);
    }

    #[test]
    fn flow_is_driven_by_the_pressure_above_the_closing_pressure() {
        assert_eq!(waterfall_flow(95.0, 5.0, 0.5, 45.0), 25.0);
        // Venous pressure above Pcc: a plain resistance again.
        assert_eq!(waterfall_flow(95.0, 55.0, 0.5, 45.0), 20.0);
    }

    #[test]
    fn backward_only_when_the_outlet_is_above_the_closing_pressure() {
        assert_eq!(waterfall_flow(10.0, 30.0, 0.5, 45.0), 0.0);
        assert_eq!(waterfall_flow(50.0, 60.0, 0.5, 45.0), -5.0);
    }
}
