//! Blood temperature and the circuit's heater-cooler (`set_temperature`), a driver-level state
//! advanced once per beat, and the O2 consumption it scales.
//!
//! The patient is one well-mixed heat store (mass × specific heat); the circuit's heat
//! exchanger brings the blood that passes through it a fraction ε (its effectiveness) of the
//! way to the water temperature, taken equal to the set point. With the blood's specific heat
//! taken equal to the body's mean (3.6 vs 3.47 kJ/(kg·K), a 4 % simplification) the heat
//! capacities cancel and the blood temperature relaxes toward the set point with
//! `τ = m_body / (ρ_blood · Q · ε)`: about 18 min for 71 kg at 4 L/min. Advanced exactly over
//! each beat (`T += (T_set − T)(1 − e^(−dt/τ))`); without forward circuit flow nothing
//! exchanges.
//!
//! Tissue O2 consumption (the gas model's consumers, changed through `Model::update` as the
//! drugs change parameters) scales with `Q10^((T − 37)/10)`.
//!
//! Left out, and so stated in the docs: the patient's own heat production and losses (at
//! normothermia they balance; Br J Anaesth 1977;49:1127, thermal balance during
//! cardiopulmonary bypass with moderate hypothermia in man, measured them), the lag of muscle and skin behind the core (same study: muscle stays warmer during
//! cooling and cooler after rewarming), the heater's power limit, and temperature effects on
//! the O2 dissociation curve, on the heart and on the vessels (the engine takes blood at 37 °C).

/// Normothermia, the starting blood temperature and heater set point, °C.
pub const NORMOTHERMIA_C: f64 = 37.0;

/// Range of `set_temperature` `heater_temperature_c`, °C: an operational range of this project
/// that covers the targeted temperature management targets of 33 and 36 °C (Nielsen N et al.,
/// Targeted temperature management at 33 °C versus 36 °C after cardiac arrest, N Engl J Med
/// 2013) and rewarming to normothermia.
pub const HEATER_RANGE_C: (f64, f64) = (30.0, 39.0);

/// Blood volume per kg of body mass, mL/kg (lean adults: Lemmens HJM, Bernstein DP, Brodsky
/// JB, Estimating blood volume in obese and morbidly obese patients, Obes Surg 2006): gives
/// the body mass from the preset's blood volume (5000 mL: 71 kg).
pub const BLOOD_VOLUME_ML_PER_KG: f64 = 70.0;

/// Mean specific heat of the human body, kJ/(kg·K) (0.83 kcal/(kg·°C): Burton AC, Human
/// calorimetry II. The average temperature of the tissues of the body, J Nutr 1935).
pub const BODY_SPECIFIC_HEAT_KJ_KG_K: f64 = 3.47;

/// Density of blood, kg/L (1.05 g/mL at 37 °C: Trudnowski RJ, Rico RC, Specific gravity of
/// blood and plasma at 4 and 37 °C, Clin Chem 1974).
pub const BLOOD_DENSITY_KG_L: f64 = 1.05;

/// Heat-exchanger effectiveness `(T_blood,out − T_blood,in)/(T_water − T_blood,in)` at 4 and
/// 6 L/min: 0.96 and 0.88, a hollow-fibre heat exchanger of 2.08 m² measured in vitro (Jpn J
/// Artif Organs, vol. 24 no. 2, p. 617, J-STAGE jsao1972/24/2/24_2_617; bench data, one
/// device). Linear in flow between and beyond the two points, within [0.5, 0.99].
pub const EXCHANGER_EFFECTIVENESS: [(f64, f64); 2] = [(4.0, 0.96), (6.0, 0.88)];

/// Temperature coefficient of O2 consumption: 2.8 (Croughwell N, Smith LR, Quill T et al.,
/// The effect of temperature on cerebral metabolism and blood flow in adults during
/// cardiopulmonary bypass, J Thorac Cardiovasc Surg 1992;103:549-554: median Q10 of the
/// cerebral metabolic rate of O2, 37 → 27 °C, 41 patients). A cerebral figure applied to every
/// tissue bed; whole-body figures agree in size (a 40 % fall of whole-body VO2 at 32 °C in a
/// surface-cooled patient, Br J Anaesth 1994;73:418, is a Q10 of 2.8; sheep cooled from 39 to
/// 33 °C on bypass fell from 5.33 to 3.17 mL/kg/min, a Q10 of 2.4).
pub const VO2_Q10: f64 = 2.8;

/// The consumers' VO2 is rewritten when the blood temperature has moved this much since the
/// last rewrite, °C (bounds the `Model::update` calls of a cooling run; 0.05 °C is 0.5 % of
/// VO2).
pub const VO2_UPDATE_STEP_C: f64 = 0.05;

/// Heat-exchanger effectiveness at a circuit flow, see [`EXCHANGER_EFFECTIVENESS`].
pub fn exchanger_effectiveness(flow_l_min: f64) -> f64 {
    let [(q0, e0), (q1, e1)] = EXCHANGER_EFFECTIVENESS;
    (e0 + (e1 - e0) * (flow_l_min - q0) / (q1 - q0)).clamp(0.5, 0.99)
}

/// Time constant of the blood temperature toward the set point, min (infinite without
/// forward flow).
pub fn time_constant_min(body_mass_kg: f64, flow_l_min: f64) -> f64 {
    if flow_l_min <= 0.0 {
        return f64::INFINITY;
    }
    body_mass_kg / (BLOOD_DENSITY_KG_L * flow_l_min * exchanger_effectiveness(flow_l_min))
}

/// The VO2 multiplier at a blood temperature.
pub fn vo2_factor(blood_temperature_c: f64) -> f64 {
    VO2_Q10.powf((blood_temperature_c - NORMOTHERMIA_C) / 10.0)
}

/// The state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Thermal {
    /// Blood temperature, °C.
    pub blood_c: f64,
    /// Heater-cooler set point, °C.
    pub set_point_c: f64,
    /// Blood temperature at which the consumers' VO2 was last written, °C.
    pub applied_c: f64,
    /// Body mass, kg.
    pub body_mass_kg: f64,
    /// The consumers' VO2 at normothermia, mL/min (the model's at the start).
    pub vo2_reference_ml_min: Vec<f64>,
}

impl Thermal {
    /// Normothermic, from the model at the start.
    pub fn new(model: &ecmova_engine::Model) -> Self {
        Thermal {
            blood_c: NORMOTHERMIA_C,
            set_point_c: NORMOTHERMIA_C,
            applied_c: NORMOTHERMIA_C,
            body_mass_kg: model.params().initial_blood_volume_ml() / BLOOD_VOLUME_ML_PER_KG,
            vo2_reference_ml_min: model
                .params()
                .gas
                .as_ref()
                .map(|g| g.consumers.iter().map(|c| c.vo2_ml_min).collect())
                .unwrap_or_default(),
        }
    }

    /// Advances the blood temperature over a beat of `period_s` at circuit flow `flow_l_min`.
    pub fn advance(&mut self, flow_l_min: f64, period_s: f64) {
        let tau_min = time_constant_min(self.body_mass_kg, flow_l_min);
        if !tau_min.is_finite() || period_s <= 0.0 {
            return;
        }
        let next = self.blood_c
            + (self.set_point_c - self.blood_c) * (1.0 - (-period_s / 60.0 / tau_min).exp());
        if next.is_finite() {
            self.blood_c = next;
        }
    }

    /// Whether the consumers' VO2 should be rewritten now.
    pub fn vo2_due(&self) -> bool {
        (self.blood_c - self.applied_c).abs() >= VO2_UPDATE_STEP_C
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_constant_follows_mass_flow_and_effectiveness() {
        // 71.4 kg at 4 L/min, ε 0.96: 71.4 / (1.05 × 4 × 0.96) = 17.7 min.
        let tau = time_constant_min(5000.0 / 70.0, 4.0);
        assert!((tau - 17.71).abs() < 0.05, "{tau}");
        assert!(time_constant_min(70.0, 2.0) > 1.9 * time_constant_min(70.0, 4.0));
        assert!(time_constant_min(70.0, 0.0).is_infinite());
        assert!((exchanger_effectiveness(6.0) - 0.88).abs() < 1e-12);
    }

    #[test]
    fn vo2_falls_by_the_q10() {
        assert!((vo2_factor(27.0) - 1.0 / 2.8).abs() < 1e-12);
        assert!((vo2_factor(37.0) - 1.0).abs() < 1e-12);
        // 33 °C: 2.8^-0.4 = 0.66, a third less.
        assert!((vo2_factor(33.0) - 0.662).abs() < 0.002);
    }
}
