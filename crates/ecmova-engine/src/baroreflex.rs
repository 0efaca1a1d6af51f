//! The arterial (carotid-sinus) baroreflex of Ursino (Am J Physiol 1998;275:H1733), as a
//! self-contained controller advanced once per beat by the caller.
//!
//! The reflex is slow (time constants 1.5–20 s, delays 0.2–5 s), so it lives outside the
//! integrator's step loop. After each completed beat the caller feeds it the beat's carotid
//! pressure proxy (the beat-mean right-radial pressure, [`crate::BeatMetrics::map_mmhg`]) and
//! the beat length, reads the [`AutonomicEffects`] and applies their change to the model's
//! parameters through [`BaroreflexTargets::apply_change`]:
//!
//! ```
//! # use ecmova_engine::*;
//! # use ecmova_engine::baroreflex::*;
//! # let params = presets::healthy_adult();
//! # let mut model = Model::new(params.clone(), IntegrationParams::default()).unwrap();
//! # let mut state = State::new(&model);
//! # let mut recorder = BeatRecorder::new(&model, &state);
//! let targets = BaroreflexTargets::from_params(&params)?;
//! let mut reflex = Baroreflex::new(BaroreflexParams::ursino_1998(93.0))?;
//! let mut applied = AutonomicEffects::NONE;
//! while state.time_s() < 5.0 {
//!     step(&model, &mut state);
//!     if let Some(beat) = recorder.record(&model, &state) {
//!         reflex.advance(beat.map_mmhg, beat.period_s);
//!         let next = reflex.effects();
//!         model.update(|p| targets.apply_change(&applied, &next, p))?;
//!         applied = next;
//!     }
//! }
//! # Ok::<(), ParamError>(())
//! ```
//!
//! ## Model (Ursino 1998, equations of the afferent, efferent and effector parts)
//! - Afferent: `τp dP̃/dt = P + τz dP/dt − P̃`, then the sigmoid
//!   `f_cs = (f_min + f_max e^((P̃−Pn)/ka)) / (1 + e^((P̃−Pn)/ka))`.
//! - Efferent: sympathetic `f_es = f_es,∞ + (f_es,0 − f_es,∞) e^(−k_es f_cs)`; vagal
//!   `f_ev = (f_ev,0 + f_ev,∞ e^((f_cs−f_cs,0)/k_ev)) / (1 + e^((f_cs−f_cs,0)/k_ev))`.
//! - Effectors: `σθ(t) = Gθ ln(f_es(t−Dθ) − f_es,min + 1)` if `f_es ≥ f_es,min`, else 0
//!   (vagal heart period: `σ_Tv = G_Tv f_ev(t−D_Tv)`), and `τθ dΔθ/dt = −Δθ + σθ`,
//!   `θ = θ0 + Δθ` (for the heart period `T = T0 + ΔT_s + ΔT_v`).
//!
//! The sigmoid centre `Pn` is the caller's set point (the patient's own resting carotid
//! pressure), so the reflex is exactly at equilibrium there and acts only against acute
//! changes: the presets are calibrated without a reflex.
//!
//! ## Numerics
//! The input is piecewise linear in time: over each `advance` the pressure moves linearly from
//! the previous input value to the new one (the beat mean is taken as the value at the end
//! of the beat: a lag of half a beat, small against the 2–5 s delays). The afferent filter
//! is integrated exactly (closed form for a linear input) over every input segment and up to
//! every point of a fixed internal grid of [`SUB_STEP_S`] = 0.05 s anchored at the reflex's
//! own start, whatever the beat length. At each grid point the efferent activities are
//! stored in a fixed-size ring buffer ([`HISTORY_LEN`] samples, enough for the longest
//! allowed delay [`MAX_DELAY_S`]); the delayed effector inputs are read from it by linear
//! interpolation, and each effector's first-order equation is integrated exactly for an
//! input linear over the sub-step (first-order hold). The result therefore does not depend on
//! the beat length (0.2–3 s) beyond rounding, the integration is unconditionally stable,
//! and nothing is allocated after [`Baroreflex::new`].
//!
//! ## Effects
//! [`Baroreflex::effects`] returns deviations from the equilibrium at the set point (exactly
//! zero, bit for bit, while the input stays at the set point): the heart-period change in
//! seconds (Ursino's absolute seconds, `ΔT_s + ΔT_v`), and for every other effector the
//! change relative to Ursino's *resting* value of that parameter, `θ_rest = θ0 + Gθ·σ_rest`
//! (the value at the set-point equilibrium, which is what a preset's own parameter stands
//! for). Dividing by Ursino's `θ0` (the value without sympathetic drive) instead would
//! misstate the reflex range: at full constriction (`f_cs = f_min`) Ursino's
//! extrasplanchnic resistance is `2.11/1.36 = 1.55` times its resting value, which a factor
//! `1 + ΔR/R0` would report as `1.96`.
//!
//! No I/O, no clock, no global state: a run is a deterministic function of the inputs.

use crate::components::{CompartmentKind, ConnectionKind};
use crate::model::{check_range, CirculationParams, ParamError, HEART_RATE_RANGE_BPM};

/// Fixed internal sub-step of the delay lines and effectors, s. Small against the shortest
/// effector time constant (1.5 s, vagal heart period) and the shortest delay (0.2 s): the
/// linear interpolation of the efferent activities between grid points is the only
/// approximation (error ~ h²/8 · |σ''|, below 1e-3 of the response for these time scales).
pub const SUB_STEP_S: f64 = 0.05;

/// Gain multiplier for the reflex closed around this engine's circulation (the default of
/// scenario runs and live sessions): 0.5.
///
/// Ursino's gains were identified with his own circulation. Closed around the
/// `healthy-adult` preset, whose output follows heart rate more steeply, the loop becomes
/// unstable from a gain multiplier of about 0.75: a self-sustained oscillation of about 27 s
/// period and ±10 mmHg (measured: peak-to-peak MAP swing 0.07 mmHg at 0.7, 11 mmHg at 0.8,
/// 22 mmHg at 1.0 after 400 s), far beyond the few-mmHg Mayer waves of healthy people. The
/// failing-heart presets are stable at 1. Half of Ursino's gains keeps a gain margin of 1.5
/// in the most sensitive preset; it is a calibration of this model, stated as such, and
/// `gain_scale` remains adjustable (0–2). Tested in `crates/ecmova-scenario/tests/baroreflex.rs`.
pub const CLOSED_LOOP_GAIN_SCALE: f64 = 0.5;
/// Shortest allowed effector delay, s (Ursino's shortest, the vagal heart period, is 0.2 s).
/// Must exceed [`SUB_STEP_S`] so that every delayed input is already in the history.
pub const MIN_DELAY_S: f64 = 0.2;
/// Longest allowed effector delay, s (Ursino's longest, the venous unstressed volumes, is 5 s).
pub const MAX_DELAY_S: f64 = 5.0;
/// Length of the ring buffer of efferent activities: `MAX_DELAY_S / SUB_STEP_S` = 100
/// samples, plus the two needed to interpolate at the start of a sub-step, rounded up.
pub const HISTORY_LEN: usize = 104;
/// Bounds of a multiplicative effect at full saturation of the reflex (validation only: a
/// factor must stay positive for [`BaroreflexTargets::apply_change`] to scale by ratios).
const FACTOR_RANGE: (f64, f64) = (0.1, 10.0);

/// One effector: gain, pure delay and time constant (Ursino 1998, `Gθ`, `Dθ`, `τθ`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effector {
    /// Gain `G`, in the effector's unit per unit of `ln(spikes/s)` (sympathetic effectors)
    /// or per spikes/s (vagal heart period).
    pub gain: f64,
    /// Pure delay `D`, s ([`MIN_DELAY_S`] to [`MAX_DELAY_S`]).
    pub delay_s: f64,
    /// Time constant `τ`, s.
    pub tau_s: f64,
}

/// Which effectors act. Switching one off makes its effect exactly neutral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffectorSwitches {
    /// Heart period (sympathetic and vagal).
    pub heart_period: bool,
    /// LV and RV end-systolic elastance.
    pub contractility: bool,
    /// Splanchnic and extrasplanchnic peripheral resistance.
    pub resistance: bool,
    /// Splanchnic and extrasplanchnic venous unstressed volume.
    pub venous_tone: bool,
}

impl EffectorSwitches {
    /// Every effector on.
    pub const ALL: EffectorSwitches = EffectorSwitches {
        heart_period: true,
        contractility: true,
        resistance: true,
        venous_tone: true,
    };
}

/// Parameters of the baroreflex (Ursino 1998 notation in the docs; frequencies in spikes/s).
#[derive(Clone, Debug, PartialEq)]
pub struct BaroreflexParams {
    /// Set point: the carotid pressure at which the reflex is at equilibrium (it replaces
    /// Ursino's sigmoid centre `Pn` = 92 mmHg), mmHg.
    pub set_point_mmhg: f64,
    /// Afferent time constant `τp`, s.
    pub tau_p_s: f64,
    /// Afferent derivative (rate-sensitivity) time constant `τz`, s.
    pub tau_z_s: f64,
    /// Afferent sigmoid slope parameter `ka`, mmHg.
    pub k_a_mmhg: f64,
    /// Lowest afferent (carotid sinus nerve) activity `f_min`, spikes/s.
    pub f_min_spikes_s: f64,
    /// Highest afferent activity `f_max`, spikes/s.
    pub f_max_spikes_s: f64,
    /// Sympathetic activity at infinite afferent activity `f_es,∞`, spikes/s.
    pub f_es_inf_spikes_s: f64,
    /// Sympathetic activity at zero afferent activity `f_es,0`, spikes/s.
    pub f_es_0_spikes_s: f64,
    /// Sympathetic exponential constant `k_es`, s.
    pub k_es_s: f64,
    /// Sympathetic threshold of the effectors `f_es,min`, spikes/s.
    pub f_es_min_spikes_s: f64,
    /// Vagal activity at zero afferent activity `f_ev,0`, spikes/s.
    pub f_ev_0_spikes_s: f64,
    /// Vagal activity at infinite afferent activity `f_ev,∞`, spikes/s.
    pub f_ev_inf_spikes_s: f64,
    /// Vagal sigmoid slope `k_ev`, spikes/s.
    pub k_ev_spikes_s: f64,
    /// Vagal sigmoid centre `f_cs,0`, spikes/s.
    pub f_cs_0_spikes_s: f64,
    /// LV end-systolic elastance effector (gain in mmHg/mL).
    pub emax_lv: Effector,
    /// RV end-systolic elastance effector (gain in mmHg/mL).
    pub emax_rv: Effector,
    /// Splanchnic peripheral resistance effector (gain in mmHg·s/mL).
    pub r_sp: Effector,
    /// Extrasplanchnic peripheral resistance effector (gain in mmHg·s/mL).
    pub r_ep: Effector,
    /// Splanchnic venous unstressed volume effector (gain in mL).
    pub vu_sv: Effector,
    /// Extrasplanchnic venous unstressed volume effector (gain in mL).
    pub vu_ev: Effector,
    /// Sympathetic heart-period effector (gain in s).
    pub t_s: Effector,
    /// Vagal heart-period effector (gain in s per spikes/s).
    pub t_v: Effector,
    /// LV end-systolic elastance without sympathetic drive `Emax,lv,0`, mmHg/mL.
    pub emax_lv_0_mmhg_per_ml: f64,
    /// RV end-systolic elastance without sympathetic drive `Emax,rv,0`, mmHg/mL.
    pub emax_rv_0_mmhg_per_ml: f64,
    /// Splanchnic peripheral resistance without sympathetic drive `Rsp,0`, mmHg·s/mL.
    pub r_sp_0_mmhg_s_per_ml: f64,
    /// Extrasplanchnic peripheral resistance without sympathetic drive `Rep,0`, mmHg·s/mL.
    pub r_ep_0_mmhg_s_per_ml: f64,
    /// Splanchnic venous unstressed volume without sympathetic drive `Vu,sv,0`, mL.
    pub vu_sv_0_ml: f64,
    /// Extrasplanchnic venous unstressed volume without sympathetic drive `Vu,ev,0`, mL.
    pub vu_ev_0_ml: f64,
    /// Heart period without autonomic drive `T0`, s.
    pub t_0_s: f64,
    /// Overall scale of every effect (1 = Ursino's healthy-subject gains; below 1 for a
    /// blunted reflex, e.g. in shock, sedation or autonomic failure; 0 to 2).
    pub gain_scale: f64,
    /// Which effectors act.
    pub switches: EffectorSwitches,
}

impl BaroreflexParams {
    /// Ursino's parameter set (Ursino M, Am J Physiol 1998;275:H1733; the values as in the
    /// code copies and the Albanese et al. 2016 parameter file gathered in
    /// `shared/reference/physiology.md`, "Ursino 1998 baroreflex"), with the sigmoid centre
    /// `Pn` (92 mmHg in Ursino) replaced by `set_point_mmhg`. Every effector on, gain scale 1.
    pub fn ursino_1998(set_point_mmhg: f64) -> Self {
        let eff = |gain: f64, delay_s: f64, tau_s: f64| Effector {
            gain,
            delay_s,
            tau_s,
        };
        BaroreflexParams {
            set_point_mmhg,
            // Afferent pathway (Ursino 1998): τp 2.076 s, τz 6.37 s, ka 11.758 mmHg,
            // f_min 2.52, f_max 47.78 spikes/s.
            tau_p_s: 2.076,
            tau_z_s: 6.37,
            k_a_mmhg: 11.758,
            f_min_spikes_s: 2.52,
            f_max_spikes_s: 47.78,
            // Sympathetic efferent (Ursino 1998): f_es,∞ 2.10, f_es,0 16.11 spikes/s,
            // k_es 0.0675 s, f_es,min 2.66 spikes/s.
            f_es_inf_spikes_s: 2.10,
            f_es_0_spikes_s: 16.11,
            k_es_s: 0.0675,
            f_es_min_spikes_s: 2.66,
            // Vagal efferent (Ursino 1998): f_ev,0 3.2, f_ev,∞ 6.3, k_ev 7.06, f_cs,0 25
            // spikes/s.
            f_ev_0_spikes_s: 3.2,
            f_ev_inf_spikes_s: 6.3,
            k_ev_spikes_s: 7.06,
            f_cs_0_spikes_s: 25.0,
            // Effectors, gain / delay s / τ s (Ursino 1998).
            emax_lv: eff(0.475, 2.0, 8.0),
            emax_rv: eff(0.282, 2.0, 8.0),
            r_sp: eff(0.695, 2.0, 6.0),
            r_ep: eff(0.53, 2.0, 6.0),
            vu_sv: eff(-265.4, 5.0, 20.0),
            vu_ev: eff(-132.5, 5.0, 20.0),
            t_s: eff(-0.13, 2.0, 2.0),
            t_v: eff(0.09, 0.2, 1.5),
            // Values without autonomic drive (Ursino 1998): Emax,lv,0 2.392, Emax,rv,0 1.412
            // mmHg/mL; Rsp,0 2.49, Rep,0 0.78 mmHg·s/mL; Vu,sv,0 1435.4, Vu,ev,0 1537 mL;
            // T0 0.58 s.
            emax_lv_0_mmhg_per_ml: 2.392,
            emax_rv_0_mmhg_per_ml: 1.412,
            r_sp_0_mmhg_s_per_ml: 2.49,
            r_ep_0_mmhg_s_per_ml: 0.78,
            vu_sv_0_ml: 1435.4,
            vu_ev_0_ml: 1537.0,
            t_0_s: 0.58,
            gain_scale: 1.0,
            switches: EffectorSwitches::ALL,
        }
    }

    /// Checks every number (finite, in range) and that the effects stay usable at full
    /// saturation: resting values positive, multiplicative effects within 0.1–10. The
    /// ranges bound plausible values; they are not physiological limits.
    pub fn validate(&self) -> Result<(), ParamError> {
        let f = |k: &'static str| move || format!("baroreflex.{k}");
        check_range(
            f("set_point_mmhg"),
            self.set_point_mmhg,
            20.0,
            250.0,
            "mmHg",
        )?;
        check_range(f("tau_p_s"), self.tau_p_s, 0.05, 60.0, "s")?;
        check_range(f("tau_z_s"), self.tau_z_s, 0.0, 60.0, "s")?;
        check_range(f("k_a_mmhg"), self.k_a_mmhg, 1.0, 100.0, "mmHg")?;
        check_range(
            f("f_min_spikes_s"),
            self.f_min_spikes_s,
            0.0,
            200.0,
            "spikes/s",
        )?;
        check_range(
            f("f_max_spikes_s"),
            self.f_max_spikes_s,
            self.f_min_spikes_s,
            200.0,
            "spikes/s",
        )?;
        let spikes = [
            ("f_es_inf_spikes_s", self.f_es_inf_spikes_s),
            ("f_es_0_spikes_s", self.f_es_0_spikes_s),
            ("f_es_min_spikes_s", self.f_es_min_spikes_s),
            ("f_ev_0_spikes_s", self.f_ev_0_spikes_s),
            ("f_ev_inf_spikes_s", self.f_ev_inf_spikes_s),
            ("f_cs_0_spikes_s", self.f_cs_0_spikes_s),
        ];
        for (k, v) in spikes {
            check_range(f(k), v, 0.0, 200.0, "spikes/s")?;
        }
        check_range(f("k_es_s"), self.k_es_s, 0.0, 1.0, "s")?;
        check_range(
            f("k_ev_spikes_s"),
            self.k_ev_spikes_s,
            0.01,
            100.0,
            "spikes/s",
        )?;
        for (i, e) in self.effectors().iter().enumerate() {
            let name = EFFECTOR_NAMES[i];
            let (lo, hi, unit) = GAIN_RANGES[i];
            check_range(|| format!("baroreflex.{name}.gain"), e.gain, lo, hi, unit)?;
            check_range(
                || format!("baroreflex.{name}.delay_s"),
                e.delay_s,
                MIN_DELAY_S,
                MAX_DELAY_S,
                "s",
            )?;
            check_range(
                || format!("baroreflex.{name}.tau_s"),
                e.tau_s,
                0.1,
                120.0,
                "s",
            )?;
        }
        check_range(
            f("emax_lv_0_mmhg_per_ml"),
            self.emax_lv_0_mmhg_per_ml,
            0.0,
            20.0,
            "mmHg/mL",
        )?;
        check_range(
            f("emax_rv_0_mmhg_per_ml"),
            self.emax_rv_0_mmhg_per_ml,
            0.0,
            20.0,
            "mmHg/mL",
        )?;
        check_range(
            f("r_sp_0_mmhg_s_per_ml"),
            self.r_sp_0_mmhg_s_per_ml,
            0.0,
            100.0,
            "mmHg·s/mL",
        )?;
        check_range(
            f("r_ep_0_mmhg_s_per_ml"),
            self.r_ep_0_mmhg_s_per_ml,
            0.0,
            100.0,
            "mmHg·s/mL",
        )?;
        check_range(f("vu_sv_0_ml"), self.vu_sv_0_ml, 0.0, 10_000.0, "mL")?;
        check_range(f("vu_ev_0_ml"), self.vu_ev_0_ml, 0.0, 10_000.0, "mL")?;
        check_range(f("t_0_s"), self.t_0_s, 0.0, 3.0, "s")?;
        check_range(f("gain_scale"), self.gain_scale, 0.0, 2.0, "")?;
        // Derived: resting values must be positive (they divide the relative effects), and
        // the multiplicative effects must stay positive at both saturations.
        let eq = self.sigma_at(self.set_point_mmhg);
        let rest = self.resting_values(&eq);
        for (i, r) in rest.iter().enumerate() {
            let name = EFFECTOR_NAMES[i];
            check_range(
                || format!("baroreflex.{name}.resting_value (theta_0 + G·sigma_rest)"),
                *r,
                1e-3,
                f64::INFINITY,
                BASE_UNITS[i],
            )?;
        }
        let resting_period = self.t_0_s + eq[T_S] + eq[T_V];
        check_range(
            || "baroreflex.resting_heart_period_s (t_0_s + ΔT_s + ΔT_v)".into(),
            resting_period,
            0.2,
            3.0,
            "s",
        )?;
        for f_cs in [self.f_min_spikes_s, self.f_max_spikes_s] {
            let sat = self.sigma_from_activity(f_cs);
            let e = self.effects_from(&sat, &eq, &rest);
            let factors = [
                ("emax_lv", e.lv_contractility_factor),
                ("emax_rv", e.rv_contractility_factor),
                ("r_sp", e.splanchnic_resistance_factor),
                ("r_ep", e.extrasplanchnic_resistance_factor),
                ("vu_sv", 1.0 + e.splanchnic_unstressed_volume_change),
                ("vu_ev", 1.0 + e.extrasplanchnic_unstressed_volume_change),
            ];
            for (name, v) in factors {
                check_range(
                    || format!("baroreflex.{name}.factor_at_saturation"),
                    v,
                    FACTOR_RANGE.0,
                    FACTOR_RANGE.1,
                    "",
                )?;
            }
        }
        Ok(())
    }

    /// The open-loop steady state: the effects after a constant carotid pressure has acted
    /// long enough for every transient to vanish (then `P̃ = P`).
    pub fn static_effects(&self, carotid_pressure_mmhg: f64) -> AutonomicEffects {
        let eq = self.sigma_at(self.set_point_mmhg);
        let rest = self.resting_values(&eq);
        let s = self.sigma_at(carotid_pressure_mmhg);
        self.effects_from(&s, &eq, &rest)
    }

    fn effectors(&self) -> [Effector; N_EFF] {
        [
            self.emax_lv,
            self.emax_rv,
            self.r_sp,
            self.r_ep,
            self.vu_sv,
            self.vu_ev,
            self.t_s,
            self.t_v,
        ]
    }

    fn baselines(&self) -> [f64; N_EFF] {
        [
            self.emax_lv_0_mmhg_per_ml,
            self.emax_rv_0_mmhg_per_ml,
            self.r_sp_0_mmhg_s_per_ml,
            self.r_ep_0_mmhg_s_per_ml,
            self.vu_sv_0_ml,
            self.vu_ev_0_ml,
            // The heart period has one baseline for two effectors; the relative value is not
            // used for it (its effect is additive, in seconds).
            self.t_0_s,
            self.t_0_s,
        ]
    }

    /// Afferent activity `f_cs(P̃)`, spikes/s, in the overflow-free logistic form.
    fn afferent(&self, p_tilde_mmhg: f64) -> f64 {
        let x = (p_tilde_mmhg - self.set_point_mmhg) / self.k_a_mmhg;
        self.f_min_spikes_s + (self.f_max_spikes_s - self.f_min_spikes_s) / (1.0 + (-x).exp())
    }

    /// Sympathetic drive `ln(f_es − f_es,min + 1)` (0 below threshold) and vagal activity
    /// `f_ev`, from the afferent activity.
    fn efferent(&self, f_cs: f64) -> (f64, f64) {
        let f_es = self.sympathetic(f_cs);
        let drive = if f_es >= self.f_es_min_spikes_s {
            (f_es - self.f_es_min_spikes_s + 1.0).ln()
        } else {
            0.0
        };
        (drive, self.vagal(f_cs))
    }

    fn sympathetic(&self, f_cs: f64) -> f64 {
        self.f_es_inf_spikes_s
            + (self.f_es_0_spikes_s - self.f_es_inf_spikes_s) * (-self.k_es_s * f_cs).exp()
    }

    fn vagal(&self, f_cs: f64) -> f64 {
        let x = (f_cs - self.f_cs_0_spikes_s) / self.k_ev_spikes_s;
        self.f_ev_0_spikes_s + (self.f_ev_inf_spikes_s - self.f_ev_0_spikes_s) / (1.0 + (-x).exp())
    }

    /// Effector inputs `σθ` for a constant filtered pressure.
    fn sigma_at(&self, p_tilde_mmhg: f64) -> [f64; N_EFF] {
        self.sigma_from_activity(self.afferent(p_tilde_mmhg))
    }

    fn sigma_from_activity(&self, f_cs: f64) -> [f64; N_EFF] {
        let (drive, f_ev) = self.efferent(f_cs);
        let eff = self.effectors();
        std::array::from_fn(|i| eff[i].gain * if i == T_V { f_ev } else { drive })
    }

    /// Ursino's resting values `θ0 + Gθ·σ_rest` (the heart period's two entries hold
    /// `T0 + ΔT_s,rest + ΔT_v,rest`).
    fn resting_values(&self, eq: &[f64; N_EFF]) -> [f64; N_EFF] {
        let base = self.baselines();
        let mut rest: [f64; N_EFF] = std::array::from_fn(|i| base[i] + eq[i]);
        rest[T_S] = self.t_0_s + eq[T_S] + eq[T_V];
        rest[T_V] = rest[T_S];
        rest
    }

    /// Effects of effector states `y` relative to the equilibrium `eq`.
    fn effects_from(
        &self,
        y: &[f64; N_EFF],
        eq: &[f64; N_EFF],
        rest: &[f64; N_EFF],
    ) -> AutonomicEffects {
        let g = self.gain_scale;
        let sw = self.switches;
        let dev = |i: usize, on: bool| if on { g * (y[i] - eq[i]) } else { 0.0 };
        let rel = |i: usize, on: bool| dev(i, on) / rest[i];
        AutonomicEffects {
            heart_period_delta_s: dev(T_S, sw.heart_period) + dev(T_V, sw.heart_period),
            lv_contractility_factor: 1.0 + rel(EMAX_LV, sw.contractility),
            rv_contractility_factor: 1.0 + rel(EMAX_RV, sw.contractility),
            splanchnic_resistance_factor: 1.0 + rel(R_SP, sw.resistance),
            extrasplanchnic_resistance_factor: 1.0 + rel(R_EP, sw.resistance),
            splanchnic_unstressed_volume_change: rel(VU_SV, sw.venous_tone),
            extrasplanchnic_unstressed_volume_change: rel(VU_EV, sw.venous_tone),
        }
    }
}

const N_EFF: usize = 8;
const EMAX_LV: usize = 0;
const EMAX_RV: usize = 1;
const R_SP: usize = 2;
const R_EP: usize = 3;
const VU_SV: usize = 4;
const VU_EV: usize = 5;
const T_S: usize = 6;
const T_V: usize = 7;
const EFFECTOR_NAMES: [&str; N_EFF] = [
    "emax_lv", "emax_rv", "r_sp", "r_ep", "vu_sv", "vu_ev", "t_s", "t_v",
];
const BASE_UNITS: [&str; N_EFF] = [
    "mmHg/mL",
    "mmHg/mL",
    "mmHg·s/mL",
    "mmHg·s/mL",
    "mL",
    "mL",
    "s",
    "s",
];
/// Allowed gain ranges (plausibility bounds, generous around Ursino's values).
const GAIN_RANGES: [(f64, f64, &str); N_EFF] = [
    (-20.0, 20.0, "mmHg/mL"),
    (-20.0, 20.0, "mmHg/mL"),
    (-100.0, 100.0, "mmHg·s/mL"),
    (-100.0, 100.0, "mmHg·s/mL"),
    (-5000.0, 5000.0, "mL"),
    (-5000.0, 5000.0, "mL"),
    (-3.0, 3.0, "s"),
    (-3.0, 3.0, "s/(spikes/s)"),
];

// The ring buffer must hold the longest delay plus the two interpolation neighbours.
const _: () = assert!(HISTORY_LEN as f64 * SUB_STEP_S >= MAX_DELAY_S + 2.0 * SUB_STEP_S);
const _: () = assert!(MIN_DELAY_S > SUB_STEP_S);

/// The reflex's effects on the circulation, as deviations from its equilibrium at the set
/// point ([`AutonomicEffects::NONE`] there).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutonomicEffects {
    /// Heart-period change `ΔT_s + ΔT_v`, s (additive, Ursino's absolute seconds).
    pub heart_period_delta_s: f64,
    /// LV end-systolic elastance factor `1 + ΔEmax,lv / Emax,lv,rest`.
    pub lv_contractility_factor: f64,
    /// RV end-systolic elastance factor `1 + ΔEmax,rv / Emax,rv,rest`.
    pub rv_contractility_factor: f64,
    /// Splanchnic peripheral resistance factor `1 + ΔRsp / Rsp,rest`.
    pub splanchnic_resistance_factor: f64,
    /// Extrasplanchnic peripheral resistance factor `1 + ΔRep / Rep,rest`.
    pub extrasplanchnic_resistance_factor: f64,
    /// Relative change of the splanchnic venous unstressed volume `ΔVu,sv / Vu,sv,rest`.
    pub splanchnic_unstressed_volume_change: f64,
    /// Relative change of the extrasplanchnic venous unstressed volume `ΔVu,ev / Vu,ev,rest`.
    pub extrasplanchnic_unstressed_volume_change: f64,
}

impl AutonomicEffects {
    /// No effect (the equilibrium at the set point).
    pub const NONE: AutonomicEffects = AutonomicEffects {
        heart_period_delta_s: 0.0,
        lv_contractility_factor: 1.0,
        rv_contractility_factor: 1.0,
        splanchnic_resistance_factor: 1.0,
        extrasplanchnic_resistance_factor: 1.0,
        splanchnic_unstressed_volume_change: 0.0,
        extrasplanchnic_unstressed_volume_change: 0.0,
    };

    /// Largest difference between two sets of effects, each in its own dimensionless scale:
    /// factors and relative volume changes as they are, the heart period in seconds (so
    /// 1e-5 is a 0.001 % change of a resistance or 10 µs of heart period). Callers skip
    /// applying changes below a tolerance, sparing a model update for nothing.
    pub fn max_difference(&self, other: &AutonomicEffects) -> f64 {
        [
            self.heart_period_delta_s - other.heart_period_delta_s,
            self.lv_contractility_factor - other.lv_contractility_factor,
            self.rv_contractility_factor - other.rv_contractility_factor,
            self.splanchnic_resistance_factor - other.splanchnic_resistance_factor,
            self.extrasplanchnic_resistance_factor - other.extrasplanchnic_resistance_factor,
            self.splanchnic_unstressed_volume_change - other.splanchnic_unstressed_volume_change,
            self.extrasplanchnic_unstressed_volume_change
                - other.extrasplanchnic_unstressed_volume_change,
        ]
        .into_iter()
        .fold(0.0, |m, d| m.max(d.abs()))
    }
}

impl Default for AutonomicEffects {
    fn default() -> Self {
        Self::NONE
    }
}

/// Neural activities of the reflex at its current time (diagnostics).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuralActivity {
    /// Filtered carotid pressure `P̃`, mmHg.
    pub filtered_pressure_mmhg: f64,
    /// Afferent (carotid sinus nerve) activity `f_cs`, spikes/s.
    pub afferent_spikes_s: f64,
    /// Sympathetic efferent activity `f_es`, spikes/s.
    pub sympathetic_spikes_s: f64,
    /// Vagal efferent activity `f_ev`, spikes/s.
    pub vagal_spikes_s: f64,
}

/// The baroreflex controller: afferent filter, delay lines and effector states.
///
/// Fixed size (two ring buffers of [`HISTORY_LEN`] samples); never allocates.
#[derive(Clone, Debug)]
pub struct Baroreflex {
    params: BaroreflexParams,
    /// Effector gains, in effector order.
    gains: [f64; N_EFF],
    /// Delays in sub-steps.
    delay_steps: [f64; N_EFF],
    /// Time constants, s.
    tau_s: [f64; N_EFF],
    /// `e^(−h/τ)` and `τ/h·(1 − e^(−h/τ))` per effector for a full sub-step.
    decay: [f64; N_EFF],
    hold: [f64; N_EFF],
    /// Effector states at equilibrium and Ursino's resting values.
    eq: [f64; N_EFF],
    rest: [f64; N_EFF],
    /// Carotid pressure input at the current time, mmHg.
    p_in: f64,
    /// Filtered carotid pressure `P̃` at the current time, mmHg.
    p_tilde: f64,
    /// Effector states `Δθ` at the last grid point.
    y: [f64; N_EFF],
    /// Ring buffers: sympathetic drive and vagal activity at the grid points.
    drive: [f64; HISTORY_LEN],
    vagal: [f64; HISTORY_LEN],
    /// Index of the newest sample.
    head: usize,
    /// Grid points passed since the start.
    grid_steps: u64,
    /// Time since the last grid point, s (0 to [`SUB_STEP_S`]).
    since_grid_s: f64,
}

impl Baroreflex {
    /// A reflex at equilibrium at its set point, with a history of equilibrium activity.
    pub fn new(params: BaroreflexParams) -> Result<Self, ParamError> {
        params.validate()?;
        let eff = params.effectors();
        let eq = params.sigma_at(params.set_point_mmhg);
        let rest = params.resting_values(&eq);
        let (drive_eq, vagal_eq) = params.efferent(params.afferent(params.set_point_mmhg));
        let h = SUB_STEP_S;
        Ok(Baroreflex {
            gains: std::array::from_fn(|i| eff[i].gain),
            delay_steps: std::array::from_fn(|i| delay_in_steps(eff[i].delay_s)),
            tau_s: std::array::from_fn(|i| eff[i].tau_s),
            decay: std::array::from_fn(|i| (-h / eff[i].tau_s).exp()),
            hold: std::array::from_fn(|i| hold_factor(h, eff[i].tau_s)),
            eq,
            rest,
            p_in: params.set_point_mmhg,
            p_tilde: params.set_point_mmhg,
            y: eq,
            drive: [drive_eq; HISTORY_LEN],
            vagal: [vagal_eq; HISTORY_LEN],
            head: 0,
            grid_steps: 0,
            since_grid_s: 0.0,
            params,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &BaroreflexParams {
        &self.params
    }

    /// Time advanced since [`Baroreflex::new`], s.
    pub fn time_s(&self) -> f64 {
        self.grid_steps as f64 * SUB_STEP_S + self.since_grid_s
    }

    /// Advances the reflex by `duration_s` during which the carotid pressure moved linearly
    /// from the previous input to `carotid_pressure_mmhg` (per beat: the beat-mean pressure
    /// and the beat length). Calls with a non-finite pressure or a non-finite or non-positive
    /// duration are ignored (the engine reports divergence itself). Cost is proportional to
    /// `duration_s / SUB_STEP_S`.
    pub fn advance(&mut self, carotid_pressure_mmhg: f64, duration_s: f64) {
        if !carotid_pressure_mmhg.is_finite() || !duration_s.is_finite() || duration_s <= 0.0 {
            return;
        }
        let slope = (carotid_pressure_mmhg - self.p_in) / duration_s;
        let mut left = duration_s;
        while self.since_grid_s + left >= SUB_STEP_S {
            let d = SUB_STEP_S - self.since_grid_s;
            self.afferent_step(slope, d);
            left -= d;
            self.since_grid_s = 0.0;
            self.grid_step();
        }
        self.afferent_step(slope, left);
        self.since_grid_s += left;
        self.p_in = carotid_pressure_mmhg;
    }

    /// The current effects (deviations from the equilibrium at the set point).
    pub fn effects(&self) -> AutonomicEffects {
        let y = self.effector_states_now();
        self.params.effects_from(&y, &self.eq, &self.rest)
    }

    /// The filtered carotid pressure and neural activities now.
    pub fn activity(&self) -> NeuralActivity {
        let f_cs = self.params.afferent(self.p_tilde);
        NeuralActivity {
            filtered_pressure_mmhg: self.p_tilde,
            afferent_spikes_s: f_cs,
            sympathetic_spikes_s: self.params.sympathetic(f_cs),
            vagal_spikes_s: self.params.vagal(f_cs),
        }
    }

    /// Exact afferent filter over `d` seconds of an input with slope `slope`:
    /// `τp dP̃/dt = u − P̃`, `u = P + τz·slope` linear in time, so
    /// `P̃(d) = u(d) − τp·slope + (P̃(0) − u(0) + τp·slope)·e^(−d/τp)`.
    fn afferent_step(&mut self, slope: f64, d: f64) {
        if d <= 0.0 {
            return;
        }
        let (tp, tz) = (self.params.tau_p_s, self.params.tau_z_s);
        let u0 = self.p_in + tz * slope;
        let p1 = self.p_in + slope * d;
        let u1 = p1 + tz * slope;
        self.p_tilde = u1 - tp * slope + (self.p_tilde - u0 + tp * slope) * (-d / tp).exp();
        self.p_in = p1;
    }

    /// At a new grid point: store the efferent activities, then advance every effector over
    /// the sub-step that just ended.
    fn grid_step(&mut self) {
        let (drive, vagal) = self.params.efferent(self.params.afferent(self.p_tilde));
        self.head = (self.head + 1) % HISTORY_LEN;
        self.drive[self.head] = drive;
        self.vagal[self.head] = vagal;
        self.grid_steps += 1;
        for i in 0..N_EFF {
            // Input at the start of the sub-step (one sample further back) and at its end.
            let s0 = self.gains[i] * self.delayed(i, self.delay_steps[i] + 1.0);
            let s1 = self.gains[i] * self.delayed(i, self.delay_steps[i]);
            self.y[i] = first_order_hold(self.y[i], s0, s1, self.decay[i], self.hold[i]);
        }
    }

    /// Effector states at the current time: advanced from the last grid point without
    /// committing (their delayed inputs are already in the history, since every delay is
    /// longer than a sub-step).
    fn effector_states_now(&self) -> [f64; N_EFF] {
        let d = self.since_grid_s;
        if d <= 0.0 {
            return self.y;
        }
        std::array::from_fn(|i| {
            let s0 = self.gains[i] * self.delayed(i, self.delay_steps[i]);
            let s1 = self.gains[i] * self.delayed(i, self.delay_steps[i] - d / SUB_STEP_S);
            let tau = self.tau_s[i];
            first_order_hold(self.y[i], s0, s1, (-d / tau).exp(), hold_factor(d, tau))
        })
    }

    /// Effector `i`'s efferent activity `lag` sub-steps before the newest sample (linear
    /// interpolation between samples; `a + (b − a)·frac` keeps a constant history exact).
    fn delayed(&self, i: usize, lag: f64) -> f64 {
        let lag = lag.max(0.0);
        let n = lag.floor();
        let frac = lag - n;
        let n = (n as usize).min(HISTORY_LEN - 2);
        let buf = if i == T_V { &self.vagal } else { &self.drive };
        let a = buf[(self.head + HISTORY_LEN - n) % HISTORY_LEN];
        let b = buf[(self.head + HISTORY_LEN - n - 1) % HISTORY_LEN];
        a + (b - a) * frac
    }
}

/// A delay in sub-steps, snapped to the nearest whole number when it is one up to rounding
/// (Ursino's delays 0.2, 2 and 5 s are 4, 40 and 100 sub-steps): the delayed input is then
/// read exactly at grid samples, and a history that is still at equilibrium reads exactly.
fn delay_in_steps(delay_s: f64) -> f64 {
    let q = delay_s / SUB_STEP_S;
    if (q - q.round()).abs() < 1e-9 {
        q.round()
    } else {
        q
    }
}

/// `τ/d·(1 − e^(−d/τ))`, accurate for small `d/τ`.
fn hold_factor(d: f64, tau: f64) -> f64 {
    -(tau / d) * (-d / tau).exp_m1()
}

/// Exact solution of `τ dy/dt = −y + σ(t)` over a sub-step with `σ` linear from `s0` to
/// `s1`: `y(d) = s1 + (y0 − s0)·e^(−d/τ) − (s1 − s0)·τ/d·(1 − e^(−d/τ))`.
fn first_order_hold(y0: f64, s0: f64, s1: f64, decay: f64, hold: f64) -> f64 {
    s1 + (y0 - s0) * decay - (s1 - s0) * hold
}

/// Name of the splanchnic peripheral bed connection in the adult presets.
pub const SPLANCHNIC_BED: &str = "splanchnic_microcirculation";
/// Names of the extrasplanchnic peripheral bed connections in the adult presets (not the
/// coronary circulation: coronary tone is regulated metabolically, not by the baroreflex).
pub const EXTRASPLANCHNIC_BEDS: [&str; 2] =
    ["upper_body_microcirculation", "lower_body_microcirculation"];
/// Name of the splanchnic venous compartment in the adult presets.
pub const SPLANCHNIC_VEINS: &str = "splanchnic_veins";
/// Names of the extrasplanchnic venous compartments in the adult presets.
pub const EXTRASPLANCHNIC_VEINS: [&str; 2] = ["upper_body_veins", "lower_body_veins"];

/// Where the reflex acts in a circulation: Ursino's effectors mapped onto the lumped anatomy
/// of the adult presets (see the module docs and `docs/methodology/baroreflex.md`).
#[derive(Clone, Debug, PartialEq)]
pub struct BaroreflexTargets {
    lv: usize,
    rv: usize,
    splanchnic_bed: usize,
    extrasplanchnic_beds: [usize; 2],
    splanchnic_veins: usize,
    extrasplanchnic_veins: [usize; 2],
}

impl BaroreflexTargets {
    /// Finds the effector sites by name ([`SPLANCHNIC_BED`], [`EXTRASPLANCHNIC_BEDS`],
    /// [`SPLANCHNIC_VEINS`], [`EXTRASPLANCHNIC_VEINS`]) and the ventricles from the site
    /// table. A circulation without them (e.g. the `regazzoni-2022` peer model) is an error
    /// naming what is missing.
    pub fn from_params(params: &CirculationParams) -> Result<Self, ParamError> {
        let missing = |what: String| {
            ParamError::Topology(format!(
                "the baroreflex needs {what} (it acts on the lumped anatomy of the adult \
                 presets)"
            ))
        };
        let bed = |name: &str| -> Result<usize, ParamError> {
            let j = params
                .connections
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| missing(format!("a connection named `{name}`")))?;
            match params.connections[j].kind {
                ConnectionKind::Resistor(_) | ConnectionKind::Segment(_) => Ok(j),
                ConnectionKind::Valve(_) => Err(missing(format!(
                    "connection `{name}` to be a resistor or vessel segment, not a valve"
                ))),
            }
        };
        let vein = |name: &str| -> Result<usize, ParamError> {
            let i = params
                .compartments
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| missing(format!("a compartment named `{name}`")))?;
            match params.compartments[i].kind {
                CompartmentKind::Vessel(_) => Ok(i),
                CompartmentKind::Chamber(_) => Err(missing(format!(
                    "compartment `{name}` to be a vessel, not a chamber"
                ))),
            }
        };
        let chamber = |i: usize, site: &str| -> Result<usize, ParamError> {
            match params.compartments.get(i).map(|c| &c.kind) {
                Some(CompartmentKind::Chamber(_)) => Ok(i),
                _ => Err(missing(format!("site `{site}` to be a chamber"))),
            }
        };
        Ok(BaroreflexTargets {
            lv: chamber(params.sites.lv, "lv")?,
            rv: chamber(params.sites.rv, "rv")?,
            splanchnic_bed: bed(SPLANCHNIC_BED)?,
            extrasplanchnic_beds: [bed(EXTRASPLANCHNIC_BEDS[0])?, bed(EXTRASPLANCHNIC_BEDS[1])?],
            splanchnic_veins: vein(SPLANCHNIC_VEINS)?,
            extrasplanchnic_veins: [
                vein(EXTRASPLANCHNIC_VEINS[0])?,
                vein(EXTRASPLANCHNIC_VEINS[1])?,
            ],
        })
    }

    /// Applies the change from the effects applied so far (`prev`) to `next` to `params`:
    /// factors by their ratio `next / prev`, the heart period by the difference
    /// `next − prev` (converted to heart rate and clamped to
    /// [`HEART_RATE_RANGE_BPM`]), the venous unstressed volumes by the ratio of
    /// `1 + change`. Changes made to the same parameters by other events since the last call
    /// (a drug raising Ees, a heart-rate event) are thereby kept, not overwritten. A
    /// parameter whose effect did not change is left untouched, bit for bit.
    ///
    /// Meant to run inside [`crate::Model::update`], which validates the result. Sites that
    /// no longer hold the expected kind of element are skipped (never a panic).
    pub fn apply_change(
        &self,
        prev: &AutonomicEffects,
        next: &AutonomicEffects,
        params: &mut CirculationParams,
    ) {
        let dt = next.heart_period_delta_s - prev.heart_period_delta_s;
        if dt != 0.0 && dt.is_finite() {
            let (lo, hi) = HEART_RATE_RANGE_BPM;
            let period = 60.0 / params.heart_rate_bpm + dt;
            let hr = if period > 0.0 { 60.0 / period } else { hi };
            params.heart_rate_bpm = hr.clamp(lo, hi);
        }
        let ratio = |a: f64, b: f64| {
            let r = b / a;
            (r.is_finite() && r > 0.0 && r != 1.0).then_some(r)
        };
        if let Some(r) = ratio(prev.lv_contractility_factor, next.lv_contractility_factor) {
            scale_ees(params, self.lv, r);
        }
        if let Some(r) = ratio(prev.rv_contractility_factor, next.rv_contractility_factor) {
            scale_ees(params, self.rv, r);
        }
        if let Some(r) = ratio(
            prev.splanchnic_resistance_factor,
            next.splanchnic_resistance_factor,
        ) {
            scale_resistance(params, self.splanchnic_bed, r);
        }
        if let Some(r) = ratio(
            prev.extrasplanchnic_resistance_factor,
            next.extrasplanchnic_resistance_factor,
        ) {
            for &j in &self.extrasplanchnic_beds {
                scale_resistance(params, j, r);
            }
        }
        if let Some(r) = ratio(
            1.0 + prev.splanchnic_unstressed_volume_change,
            1.0 + next.splanchnic_unstressed_volume_change,
        ) {
            scale_unstressed(params, self.splanchnic_veins, r);
        }
        if let Some(r) = ratio(
            1.0 + prev.extrasplanchnic_unstressed_volume_change,
            1.0 + next.extrasplanchnic_unstressed_volume_change,
        ) {
            for &i in &self.extrasplanchnic_veins {
                scale_unstressed(params, i, r);
            }
        }
    }
}

fn scale_ees(params: &mut CirculationParams, i: usize, r: f64) {
    if let Some(CompartmentKind::Chamber(ch)) = params.compartments.get_mut(i).map(|c| &mut c.kind)
    {
        ch.ees_mmhg_per_ml *= r;
    }
}

fn scale_resistance(params: &mut CirculationParams, j: usize, r: f64) {
    match params.connections.get_mut(j).map(|c| &mut c.kind) {
        Some(ConnectionKind::Resistor(res)) => res.resistance_mmhg_s_per_ml *= r,
        Some(ConnectionKind::Segment(seg)) => seg.resistance_mmhg_s_per_ml *= r,
        _ => {}
    }
}

fn scale_unstressed(params: &mut CirculationParams, i: usize, r: f64) {
    if let Some(CompartmentKind::Vessel(v)) = params.compartments.get_mut(i).map(|c| &mut c.kind) {
        v.unstressed_volume_ml *= r;
    }
}
