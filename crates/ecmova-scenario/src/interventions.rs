//! Drug infusions and fluids: the acute interventions of a scenario, with their dose-effect
//! models.
//!
//! A drug acts on up to four model parameters, each through an Emax model of the infusion rate
//! `D` (µg/kg/min; vasopressin in U/min, as it is dosed at the bedside):
//! `factor(D) = 1 + Emax·D/(ED50 + D)` (the classical hyperbolic
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
    /// Epinephrine: β1 inotropy and chronotropy; β2 vasodilation at low rates, overtaken by
    /// α1 vasoconstriction at higher rates.
    Epinephrine,
    /// Vasopressin: V1 vasoconstriction without inotropy; dosed in U/min (`dose_u_min`).
    Vasopressin,
}

/// How a drug's rate is given: the action key and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseUnit {
    /// `dose_ug_kg_min`, µg/kg/min (catecholamines, milrinone).
    UgPerKgPerMin,
    /// `dose_u_min`, U/min (vasopressin).
    UnitsPerMin,
}

impl DoseUnit {
    /// Both units.
    pub const ALL: [DoseUnit; 2] = [DoseUnit::UgPerKgPerMin, DoseUnit::UnitsPerMin];

    /// The action key carrying the rate.
    pub fn key(self) -> &'static str {
        match self {
            DoseUnit::UgPerKgPerMin => "dose_ug_kg_min",
            DoseUnit::UnitsPerMin => "dose_u_min",
        }
    }

    /// The unit.
    pub fn unit(self) -> &'static str {
        match self {
            DoseUnit::UgPerKgPerMin => "µg/kg/min",
            DoseUnit::UnitsPerMin => "U/min",
        }
    }
}

/// Emax and ED50 (in the drug's dose unit, [`Drug::dose_unit`]) of one effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Emax {
    /// Maximal fractional change (negative: decrease).
    pub emax: f64,
    /// Infusion rate giving half the maximal effect, in the drug's dose unit.
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
    /// A second, multiplicative effect on the same resistances (epinephrine's α1
    /// vasoconstriction overtaking its β2 vasodilation as the rate rises; none for the other
    /// drugs).
    pub resistance_high_dose: Emax,
    /// Unstressed volume of the systemic veins (negative Emax: venoconstriction).
    pub venous_unstressed_volume: Emax,
    /// Highest infusion rate accepted, in the drug's dose unit (the top of the usual clinical
    /// range).
    pub max_dose: f64,
}

impl Drug {
    /// All drugs.
    pub const ALL: [Drug; 5] = [
        Drug::Norepinephrine,
        Drug::Dobutamine,
        Drug::Milrinone,
        Drug::Epinephrine,
        Drug::Vasopressin,
    ];

    /// The key and unit of its rate.
    pub fn dose_unit(self) -> DoseUnit {
        match self {
            Drug::Vasopressin => DoseUnit::UnitsPerMin,
            _ => DoseUnit::UgPerKgPerMin,
        }
    }

    /// The scenario-file name.
    pub fn name(self) -> &'static str {
        match self {
            Drug::Norepinephrine => "norepinephrine",
            Drug::Dobutamine => "dobutamine",
            Drug::Milrinone => "milrinone",
            Drug::Epinephrine => "epinephrine",
            Drug::Vasopressin => "vasopressin",
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
                resistance_high_dose: Emax::NONE,
                max_dose: 1.0,
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
                resistance_high_dose: Emax::NONE,
                venous_unstressed_volume: Emax::NONE,
                max_dose: 20.0,
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
                resistance_high_dose: Emax::NONE,
                max_dose: 0.75,
            },
            // Stratton JR et al., J Appl Physiol 1985;58:1199 (10 healthy men, 25/50/100
            // ng/kg/min = 0.025/0.05/0.1 µg/kg/min): HR +8/+12/+17 bpm, stroke volume
            // +26/+31/+40 % at an unchanged end-diastolic volume (ejection fraction +0.10 to
            // +0.16: inotropy), cardiac output +41/+58/+74 %, SVR −31/−42/−48 %. Moran JL et
            // al., Crit Care Med 1993;21:70 (18 patients in septic shock, 3-18 µg/min ≈
            // 0.04-0.25 µg/kg/min): linear rises of HR, MAP, cardiac index and stroke volume
            // index with no change of SVR index, i.e. the β2 dilation of the low rates is
            // offset by α1 constriction at the clinical rates. Usual range 0.01-0.5 µg/kg/min
            // (up to ~1). Contractility Emax 0.8 / ED50 0.05 and HR Emax 0.45 / ED50 0.1
            // (+22 % at 0.1, +17 bpm from ~75) follow Stratton; the resistance is the product of
            // a β2 term (Emax −0.4, ED50 0.03: −31 % at 0.1) and an α1 term (Emax 1.5, ED50
            // 0.5: +30 % at 0.1, ×2 at 1) so that the net SVR falls ~10-15 % at 0.05-0.1,
            // is about flat over 0.2-0.3 (Moran) and rises above. Stratton's larger SVR fall
            // includes the baroreflex withdrawal of vasoconstriction, which the drug's effect
            // does not carry (the optional baroreflex loop does). Venoconstriction as for
            // norepinephrine (α1; Emax −0.3, ED50 0.3). The ED50 and Emax values are estimates
            // fitted by hand to these directions and magnitudes.
            Drug::Epinephrine => DrugProfile {
                contractility: Emax {
                    emax: 0.8,
                    ed50: 0.05,
                },
                heart_rate: Emax {
                    emax: 0.45,
                    ed50: 0.1,
                },
                resistance: Emax {
                    emax: -0.4,
                    ed50: 0.03,
                },
                resistance_high_dose: Emax {
                    emax: 1.5,
                    ed50: 0.5,
                },
                venous_unstressed_volume: Emax {
                    emax: -0.3,
                    ed50: 0.3,
                },
                max_dose: 1.0,
            },
            // Landry DW et al., Circulation 1997;95:1122 (vasodilatory septic shock on
            // catecholamines): 0.04 U/min raised arterial pressure from 92/52 to 146/66 mmHg
            // through vasoconstriction, SVR 644 → 1187 dyn·s/cm⁵ (+84 %); 0.01 U/min raised
            // systolic pressure from 83 to 115 mmHg. No inotropic effect; cardiac output
            // unchanged or lower (Holmes CL et al., Crit Care 2003;7:427). Usual range
            // 0.01-0.04 U/min (Russell JA et al., NEJM 2008;358:877, VASST: 0.01-0.03 U/min;
            // up to 0.067 U/min in Dünser MW et al., Circulation 2003;107:2313). Resistance
            // Emax 1.2 / ED50 0.015 U/min gives +48 % at 0.01 and +87 % at 0.04 U/min. It is a
            // weak pressor in healthy people (Landry 1997): the model applies the
            // vasodilatory-shock response in every preset, a limitation stated in the docs.
            Drug::Vasopressin => DrugProfile {
                contractility: Emax::NONE,
                heart_rate: Emax::NONE,
                resistance: Emax {
                    emax: 1.2,
                    ed50: 0.015,
                },
                resistance_high_dose: Emax::NONE,
                venous_unstressed_volume: Emax::NONE,
                max_dose: 0.1,
            },
        }
    }
}

/// Applies a change of infusion rate of `drug` from `old` to `new` (in its dose unit) to
/// `params`.
pub fn apply_dose_change(params: &mut CirculationParams, drug: Drug, old: f64, new: f64) {
    let p = drug.profile();
    let ratio = |e: Emax| e.factor(new) / e.factor(old);
    let (lv, rv) = (params.sites.lv, params.sites.rv);
    params.scale_contractility(lv, ratio(p.contractility));
    params.scale_contractility(rv, ratio(p.contractility));
    params.heart_rate_bpm *= ratio(p.heart_rate);
    params.scale_systemic_resistance(ratio(p.resistance) * ratio(p.resistance_high_dose));
    let venous = ratio(p.venous_unstressed_volume);
    for &j in &params.systemic_beds.clone() {
        let vein = params.connections[j].to;
        if let CompartmentKind::Vessel(v) = &mut params.compartments[vein].kind {
            v.unstressed_volume_ml *= venous;
        }
    }
}

/// The current infusion rates of every drug, each in its dose unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Infusions {
    rates: [f64; 5],
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
