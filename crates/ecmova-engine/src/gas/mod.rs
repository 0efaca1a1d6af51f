//! Blood gas transport primitives.
//!
//! Pure, allocation-free functions for the O2 dissociation curve
//! ([`dissociation`]) and for O2/CO2 contents, alveolar gas and stream mixing
//! ([`content`]), and ventilation and acid-base ([`acid_base`]). Units are carried in
//! identifiers: partial pressures in mmHg
//! (`_mmhg`), haemoglobin in g/dL (`hb_g_dl`), contents in mL gas per dL of
//! blood (`_ml_per_dl`), saturations as fractions in \[0, 1\].
//!
//! Every function is total: any finite input gives a finite output (inputs
//! outside the physiological domain are clamped, as documented per function).
//! Methodology and validation: `docs/methodology/gas-transport.md`.

pub mod acid_base;
pub mod content;
pub mod dissociation;

pub use acid_base::{
    alveolar_pco2_mmhg, alveolar_ventilation_l_min, bicarbonate_mmol_l, ph_from_pco2,
    ventilation_co2_conductance_ml_s_mmhg, ALVEOLAR_VENTILATION_CONSTANT,
    CO2_SOLUBILITY_MMOL_L_MMHG, PK_BICARBONATE,
};
pub use content::{
    alveolar_po2_mmhg, c_co2_ml_per_dl, c_o2_from_so2_ml_per_dl, c_o2_ml_per_dl, mix_contents,
    pco2_from_c_co2_mmhg, po2_from_c_o2_mmhg, shunt_mixed_content, so2_from_c_o2,
    CO2_CONTENT_INTERCEPT_ML_PER_DL, CO2_CONTENT_SLOPE_ML_PER_DL_MMHG, O2_BINDING_ML_PER_G,
    O2_SOLUBILITY_ML_PER_DL_MMHG, PH2O_37C_MMHG,
};
pub use dissociation::{
    dso2_dpo2_severinghaus, po2_from_so2_severinghaus_mmhg, so2_severinghaus,
    so2_severinghaus_corrected, PO2_CLAMP_MAX_MMHG,
};
pub mod transport;
pub use transport::{GasParams, O2Consumer};
