//! Oxygen and CO2 transport parameters of a circulation.
//!
//! Every compartment holds a mass of O2 and of CO2 (mL of gas) as state variables, carried
//! with the blood in the direction it flows (upwind), so that retrograde aortic flow carries
//! oxygenated ECMO blood upward. Contents mix in proportion to flows (contents add, not
//! saturations or partial pressures). Three places change them:
//! - the **lungs**: blood crossing the pulmonary exchange connection leaves it at
//!   `(1 − shunt)·Cc' + shunt·C_in`, with `Cc'` the end-capillary content in equilibrium with
//!   alveolar gas. Alveolar PCO2 follows from the CO2 mass balance of the alveolar gas
//!   (alveolar ventilation equation, [`crate::gas::acid_base`]): the capillary blood gives
//!   `Qc·β·(Pv − PA)` of CO2 and the ventilation carries `VA·PA/0.863` away, so
//!   `PA = Qc·β·Pv / (Qc·β + VA/0.863)` (β the slope of the CO2 dissociation line, Pv the
//!   inflowing PCO2). The lungs' CO2 output `VA·PA/0.863` is never negative: the lungs cannot
//!   add CO2 to blood, whatever the oxygenator has done to venous PCO2. Alveolar PO2 follows
//!   from the alveolar gas equation with that PA (`PAO2 = FiO2·(Pb − PH2O) − PA/RQ`);
//! - the **oxygenator** (see [`crate::devices::Oxygenator`]);
//! - the **tissues**: each tissue bed consumes O2 (and produces CO2 = RQ × VO2) in the
//!   compartment its blood drains into. Consumption is supply-limited only as the local
//!   content approaches zero: `VO2·c/(c + K)` with `K` = 0.05 mL/dL, so content never goes
//!   negative (at a normal venous content of 15 mL/dL this takes 0.3 % off the set VO2;
//!   the reported VO2 is the actual consumption).

/// Half-saturation content of the supply limitation of tissue O2 consumption, mL O2/mL blood.
pub const CONSUMPTION_HALF_CONTENT_ML_PER_ML: f64 = 0.0005;

/// A tissue bed that consumes O2.
#[derive(Clone, Debug, PartialEq)]
pub struct O2Consumer {
    /// The connection through which the bed is perfused (its microcirculation); the
    /// consumption takes place in that connection's downstream compartment.
    pub bed_connection: usize,
    /// Resting O2 consumption, mL/min.
    pub vo2_ml_min: f64,
}

/// Blood-gas parameters of a circulation.
#[derive(Clone, Debug, PartialEq)]
pub struct GasParams {
    /// Haemoglobin, g/dL.
    pub hemoglobin_g_dl: f64,
    /// Inspired O2 fraction.
    pub fio2: f64,
    /// Intrapulmonary shunt fraction Qs/Qt.
    pub lung_shunt_fraction: f64,
    /// Minute ventilation, L/min (BTPS).
    pub minute_ventilation_l_min: f64,
    /// Dead-space fraction of each breath, VD/VT.
    pub dead_space_fraction: f64,
    /// Base excess of the blood, mmol/L: fixes the CO2 buffer line used for pH
    /// ([`crate::gas::acid_base::ph_from_pco2`]).
    pub base_excess_mmol_l: f64,
    /// Barometric pressure, mmHg.
    pub barometric_pressure_mmhg: f64,
    /// Respiratory quotient (CO2 produced / O2 consumed).
    pub respiratory_quotient: f64,
    /// The connection where blood meets alveolar gas (pulmonary microcirculation).
    pub exchange_connection: usize,
    /// Tissue beds.
    pub consumers: Vec<O2Consumer>,
}

impl GasParams {
    /// Normal adult blood gases (Hb 14 g/dL, FiO2 0.21, shunt 3 %, Pb 760, RQ 0.8:
    /// `../shared/reference/physiology.md`, normal adult table and alveolar gas equation;
    /// physiological shunt 2-5 % of cardiac output, West's Respiratory Physiology), resting
    /// ventilation 6 L/min with VD/VT 0.3 (tidal volume 500 mL, anatomic dead space 150 mL,
    /// 12 breaths/min: West, Respiratory Physiology, ch. 2), which clears ~200 mL/min of CO2
    /// at an alveolar PCO2 of ~41 mmHg, and a base excess of 0 (normal ±2 mmol/L: Castro D et
    /// al., Arterial Blood Gas, StatPearls 2023, NBK536919).
    pub fn normal(exchange_connection: usize, consumers: Vec<O2Consumer>) -> Self {
        GasParams {
            hemoglobin_g_dl: 14.0,
            fio2: 0.21,
            lung_shunt_fraction: 0.03,
            minute_ventilation_l_min: 6.0,
            dead_space_fraction: 0.3,
            base_excess_mmol_l: 0.0,
            barometric_pressure_mmhg: 760.0,
            respiratory_quotient: 0.8,
            exchange_connection,
            consumers,
        }
    }

    /// Alveolar ventilation `VE·(1 − VD/VT)`, L/min.
    pub fn alveolar_ventilation_l_min(&self) -> f64 {
        crate::gas::acid_base::alveolar_ventilation_l_min(
            self.minute_ventilation_l_min,
            self.dead_space_fraction,
        )
    }

    /// Total resting O2 consumption, mL/min.
    pub fn total_vo2_ml_min(&self) -> f64 {
        self.consumers.iter().map(|c| c.vo2_ml_min).sum()
    }
}
