//! Drug infusions and fluids: the acute interventions of a scenario, with their dose-effect
//! models.
//!
//! A drug acts on up to four model parameters, each through an Emax model of the infusion rate
//! `D` (µg/kg/min): `factor(D) = 1 + Emax·D/(ED50 + D)` (the classical hyperbolic
//! dose-response; no hysteresis: catecholamines and milrinone reach their effect within
//! minutes, much faster than the scenarios' phases). The four parameters are the end-systolic
//! elastance of both ventricles (contractility), the heart rate, the systemic tissue-bed
//! resistances and the unstressed volume of the systemic veins (venous tone). A change of
//! dose multiplies each parameter by `factor(D_new)/factor(D_old)`, so drugs compose with each
//! other and with the other events.
//!
//! Each Emax and ED50 below is chosen so that the model reproduces the direction and order of
//! magnitude of the cited human data; where no source fixes a value it is marked as an
//! estimate. The tests (`tests/interventions.rs`) check the published directions.

use ecmova_engine::{CirculationParams, CompartmentKind};

/// The drugs of the model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Drug {
    /// Norepinephrine: α1 vasoconstriction of resistance and capacitance vessels, mild β1.
    Norepinephrine,
    /// Dobutamine: β1 inotropy and chronotropy, mild β2 vasodilation.
    Dobutamine,
    /// Milrinone: PDE3 inhibition, inotropy and arterial and venous dilation.
    Milrinone,
}

/// Emax and ED50 (µg/kg/min) of one effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Emax {
    /// Maximal fractional change (negative: decrease).
    pub emax: f64,
    /// Infusion rate giving half the maximal effect, µg/kg/min.
    pub ed50: f64,
}

impl Emax {
    const NONE: Emax = Emax {
        emax: 0.0,
        ed50: 1.0,
    };

    /// The multiplier at infusion rate `dose`.
    pub fn factor(self, dose: f64) -> f64 {
        1.0 + self.emax * dose / (self.ed50 + dose)
    }
}

/// A drug's effects on contractility, heart rate, resistance and venous unstressed volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrugProfile {
    /// Ventricular end-systolic elastance.
    pub contractility: Emax,
    /// Heart rate.
    pub heart_rate: Emax,
    /// Systemic tissue-bed resistances.
    pub resistance: Emax,
    /// Unstressed volume of the systemic veins (negative Emax: venoconstriction).
    pub venous_unstressed_volume: Emax,
    /// Highest infusion rate accepted, µg/kg/min (the top of the usual clinical range).
    pub max_dose_ug_kg_min: f64,
}

impl Drug {
    /// All drugs.
    pub const ALL: [Drug; 3] = [Drug::Norepinephrine, Drug::Dobutamine, Drug::Milrinone];

    /// The scenario-file name.
    pub fn name(self) -> &'static str {
        match self {
            Drug::Norepinephrine => "norepinephrine",
            Drug::Dobutamine => "dobutamine",
            Drug::Milrinone => "milrinone",
        }
    }

    /// Parses a scenario-file name.
    pub fn from_name(name: &str) -> Option<Drug> {
        Drug::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The dose-effect profile.
    pub fn profile(self) -> DrugProfile {
        match self {
            // Hamzaoui O et al. 2010 (septic shock): MAP 54 → 76 mmHg, CI 3.2 → 3.6 L/min/m²,
            // SVI 34 → 39 mL/m²; Adda I et al. 2021 (PMC8379760): norepinephrine recruits
            // stressed volume (venoconstriction) as well as raising SVR. Usual range 0.01-0.4
            // µg/kg/min (up to ~1 in refractory shock). ED50 0.3 and the Emax values are
            // estimates chosen to give a MAP rise of that order at 0.3 µg/kg/min with a
            // preserved cardiac output (venoconstriction and β1 offsetting the afterload).
            Drug::Norepinephrine => DrugProfile {
                contractility: Emax {
                    emax: 0.3,
                    ed50: 0.3,
                },
                heart_rate: Emax::NONE,
                resistance: Emax {
                    emax: 1.0,
                    ed50: 0.3,
                },
                venous_unstressed_volume: Emax {
                    emax: -0.3,
                    ed50: 0.3,
                },
                max_dose_ug_kg_min: 1.0,
            },
            // Akhtar N et al., Am J Cardiol 1975;36:202 (severe heart failure, 10 µg/kg/min):
            // CO 3.1 → 5.6 L/min, HR 98.5 → 105.2 bpm (+7 %), MAP 93 → 98 mmHg, PCWP 27.4 →
            // 21.1 mmHg; 5 µg/kg/min had a smaller effect. Usual range 2.5-20 µg/kg/min.
            // Contractility Emax 0.9 / ED50 5 reproduces the CO rise; the resistance falls 40 %
            // at 10 µg/kg/min (Emax −0.6), the SVR fall implied by CO +81 % at MAP +5 %: in the
            // patients part of it is the baroreflex withdrawal of vasoconstriction, which this
            // model (no baroreflex yet) must carry in the drug's effect. HR Emax 0.15 / ED50 10
            // gives the measured +7 % at 10.
            Drug::Dobutamine => DrugProfile {
                contractility: Emax {
                    emax: 0.9,
                    ed50: 5.0,
                },
                heart_rate: Emax {
                    emax: 0.15,
                    ed50: 10.0,
                },
                resistance: Emax {
                    emax: -0.6,
                    ed50: 5.0,
                },
                venous_unstressed_volume: Emax::NONE,
                max_dose_ug_kg_min: 20.0,
            },
            // Canadian multicentre study, Can J Cardiol 1991 (50 µg/kg load + 0.5 µg/kg/min in
            // NYHA III-IV): CI +38 %, PCWP −28 %, SVI +34 %; SVR −15 to −31 %, HR +4 to +13 %
            // (trial summaries); venous volume +17 % at 30 min (venodilation, limb
            // plethysmography); Cusick DA et al., Am J Cardiol 1998;82:1060: SVR 1809 → 891
            // dyn·s/cm⁵. Usual range 0.375-0.75 µg/kg/min. Emax values are estimates chosen to
            // reproduce that response at 0.5 µg/kg/min (resistance −35 %, within the published
            // −15 to −51 %).
            Drug::Milrinone => DrugProfile {
                contractility: Emax {
                    emax: 0.5,
                    ed50: 0.5,
                },
                heart_rate: Emax {
                    emax: 0.1,
                    ed50: 0.5,
                },
                resistance: Emax {
                    emax: -0.7,
                    ed50: 0.5,
                },
                venous_unstressed_volume: Emax {
                    emax: 0.1,
                    ed50: 0.5,
                },
                max_dose_ug_kg_min: 0.75,
            },
        }
    }
}

/// Applies a change of infusion rate of `drug` from `old` to `new` µg/kg/min to `params`.
pub fn apply_dose_change(params: &mut CirculationParams, drug: Drug, old: f64, new: f64) {
    let p = drug.profile();
    let ratio = |e: Emax| e.factor(new) / e.factor(old);
    let (lv, rv) = (params.sites.lv, params.sites.rv);
    params.scale_contractility(lv, ratio(p.contractility));
    params.scale_contractility(rv, ratio(p.contractility));
    params.heart_rate_bpm *= ratio(p.heart_rate);
    params.scale_systemic_resistance(ratio(p.resistance));
    let venous = ratio(p.venous_unstressed_volume);
    for &j in &params.systemic_beds.clone() {
        let vein = params.connections[j].to;
        if let CompartmentKind::Vessel(v) = &mut params.compartments[vein].kind {
            v.unstressed_volume_ml *= venous;
        }
    }
}

/// The current infusion rates of every drug, µg/kg/min.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Infusions {
    rates: [f64; 3],
}

impl Infusions {
    /// The current rate of `drug`.
    pub fn rate(&self, drug: Drug) -> f64 {
        self.rates[drug as usize]
    }

    /// Sets the rate of `drug`, returning the previous one.
    pub fn set(&mut self, drug: Drug, rate: f64) -> f64 {
        std::mem::replace(&mut self.rates[drug as usize], rate)
    }
}
