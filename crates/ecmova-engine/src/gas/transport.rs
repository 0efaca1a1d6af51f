//! Oxygen and CO2 transport parameters of a circulation.
//!
//! Every compartment holds a mass of O2 and of CO2 (mL of gas) as state variables, carried
//! with the blood in the direction it flows (upwind), so that retrograde aortic flow carries
//! oxygenated ECMO blood upward. Contents mix in proportion to flows (contents add, not
//! saturations or partial pressures). Three places change them:
//! - the **lungs**: blood crossing the pulmonary exchange connection leaves it at
//!   `(1 − shunt)·Cc' + shunt·C_in`, with `Cc'` the end-capillary content in equilibrium with
//!   alveolar gas (`PAO2 = FiO2·(Pb − PH2O) − PaCO2/RQ`; alveolar PCO2 fixed by ventilation);
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
    /// Alveolar (and end-capillary) PCO2, mmHg.
    pub alveolar_pco2_mmhg: f64,
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
    /// Normal adult blood gases (Hb 14 g/dL, FiO2 0.21, shunt 3 %, PaCO2 40 mmHg, Pb 760,
    /// RQ 0.8: `../shared/reference/physiology.md`, normal adult table and alveolar gas
    /// equation; physiological shunt 2-5 % of cardiac output, West's Respiratory Physiology).
    pub fn normal(exchange_connection: usize, consumers: Vec<O2Consumer>) -> Self {
        GasParams {
            hemoglobin_g_dl: 14.0,
            fio2: 0.21,
            lung_shunt_fraction: 0.03,
            alveolar_pco2_mmhg: 40.0,
            barometric_pressure_mmhg: 760.0,
            respiratory_quotient: 0.8,
            exchange_connection,
            consumers,
        }
    }

    /// Total resting O2 consumption, mL/min.
    pub fn total_vo2_ml_min(&self) -> f64 {
        self.consumers.iter().map(|c| c.vo2_ml_min).sum()
    }
}
