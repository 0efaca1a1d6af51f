//! Built-in patients: complete, cited parameter sets (see `docs/methodology/cardiovascular.md`
//! for the tables, sources and calibration notes).
//!
//! - `regazzoni-2022`: exactly the peer model of Regazzoni et al. (J Comput Phys
//!   2022;457:111083) as shipped with svZeroDSolver (`closed_loop_two_hill.json`, commit
//!   c7b0ca0): four linear-elastance chambers, two-Hill activation, piecewise valves, four
//!   R-L vessels with the compliance at their inlet.
//! - `healthy-adult`: a 70 kg adult at rest with the systemic arterial tree split at the
//!   sites clinicians measure and ECMO cannulae attach.
//! - `cardiogenic-shock-ami`: the same adult with a failing left ventricle after acute
//!   myocardial infarction (SCAI stage C haemodynamics).
//! - the other VA-ECMO indications (`fulminant-myocarditis`, `massive-pulmonary-embolism`,
//!   `post-cardiotomy`, `chronic-heart-failure`, `septic-cardiomyopathy`, `drug-intoxication`):
//!   the same adult with the changes of each disease, sources and calibration in
//!   `docs/methodology/presets.md`.
//! - `refractory-vf-arrest`: the AMI patient's heart in ventricular fibrillation (no
//!   contraction), the ECPR case: ECMO is the circulation until return of spontaneous
//!   circulation, which a scenario gives as a `rosc` event.

use crate::activation::{ActivationScaling, TwoHill};
use crate::components::*;
use crate::gas::{GasParams, O2Consumer};
use crate::model::{Anatomy, CirculationParams, Sites};
use crate::units::*;

/// Names of the built-in presets.
pub const NAMES: &[&str] = &[
    "healthy-adult",
    "regazzoni-2022",
    "cardiogenic-shock-ami",
    "fulminant-myocarditis",
    "massive-pulmonary-embolism",
    "post-cardiotomy",
    "chronic-heart-failure",
    "septic-cardiomyopathy",
    "drug-intoxication",
    "refractory-vf-arrest",
];

/// An unknown preset name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown preset \"{name}\": allowed presets are {}", NAMES.join(", "))]
pub struct UnknownPreset {
    /// The name asked for.
    pub name: String,
}

/// The parameter set of a built-in preset.
pub fn by_name(name: &str) -> Result<CirculationParams, UnknownPreset> {
    match name {
        "healthy-adult" => Ok(healthy_adult()),
        "regazzoni-2022" => Ok(regazzoni_2022()),
        "cardiogenic-shock-ami" => Ok(cardiogenic_shock_ami()),
        "fulminant-myocarditis" => Ok(AdultSpec::fulminant_myocarditis().build()),
        "massive-pulmonary-embolism" => Ok(AdultSpec::massive_pulmonary_embolism().build()),
        "post-cardiotomy" => Ok(AdultSpec::post_cardiotomy().build()),
        "chronic-heart-failure" => Ok(AdultSpec::chronic_heart_failure().build()),
        "septic-cardiomyopathy" => Ok(AdultSpec::septic_cardiomyopathy().build()),
        "drug-intoxication" => Ok(AdultSpec::drug_intoxication().build()),
        "refractory-vf-arrest" => Ok(refractory_vf_arrest()),
        _ => Err(UnknownPreset { name: name.into() }),
    }
}

/// Refractory ventricular fibrillation (the ECPR patient): the `cardiogenic-shock-ami`
/// patient (an acute coronary occlusion is the usual cause of refractory VF: ARREST trial,
/// Yannopoulos, Lancet 2020) in ventricular fibrillation from t = 0, so no chamber contracts.
/// After a `rosc` event the heart beats again with the AMI heart's stunned contractility.
pub fn refractory_vf_arrest() -> CirculationParams {
    let mut p = cardiogenic_shock_ami();
    p.rhythm = crate::model::Rhythm::VentricularFibrillation;
    p
}

/// Initial O2 content of oxygenated blood, mL/dL: the presets' Hb 14 g/dL at SaO2 97 % and
/// PaO2 95 mmHg (within the normal adult SaO2 95-100 % of the project's physiology reference
/// table, with the PaO2 of that saturation on a standard dissociation curve), `1.34 mL/g × 14 × 0.97 + 0.003
/// mL/dL/mmHg × 95 = 18.5` (the O2 capacity and solubility the gas model uses, `gas/content.rs`). It was 19.5, more than that blood holds saturated
/// (18.8 + dissolved), so runs started at SaO2 ~100 % and PaO2 160-250 mmHg on room air and
/// took minutes to come down (found by the session-7 clinical review).
const INITIAL_ARTERIAL_O2_ML_PER_DL: f64 = 18.5;
/// Initial O2 content of venous blood, mL/dL (CvO2 ~15 mL/dL).
const INITIAL_VENOUS_O2_ML_PER_DL: f64 = 14.5;
/// Initial CO2 contents, mL/dL (arterial PCO2 40, venous 46 mmHg on the linear CO2 curve).
const INITIAL_ARTERIAL_CO2_ML_PER_DL: f64 = 48.0;
const INITIAL_VENOUS_CO2_ML_PER_DL: f64 = 52.0;

/// Initial gas contents: oxygenated blood in `arterial` compartments, venous elsewhere. The
/// contents relax to their own steady state within a few circulation times.
fn initial_gas(compartments: &[Compartment], arterial: &[usize]) -> (Vec<f64>, Vec<f64>) {
    (0..compartments.len())
        .map(|i| {
            if arterial.contains(&i) {
                (
                    INITIAL_ARTERIAL_O2_ML_PER_DL,
                    INITIAL_ARTERIAL_CO2_ML_PER_DL,
                )
            } else {
                (INITIAL_VENOUS_O2_ML_PER_DL, INITIAL_VENOUS_CO2_ML_PER_DL)
            }
        })
        .unzip()
}

/// Assembles a circulation compartment by compartment.
struct Builder {
    compartments: Vec<Compartment>,
    connections: Vec<Connection>,
    volumes: Vec<f64>,
    flows: Vec<f64>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            compartments: Vec::new(),
            connections: Vec::new(),
            volumes: Vec::new(),
            flows: Vec::new(),
        }
    }

    /// A vessel starting at pressure `p0_mmhg`.
    fn vessel(&mut self, name: &str, c_ml_per_mmhg: f64, v0_ml: f64, p0_mmhg: f64) -> usize {
        self.compartments.push(Compartment {
            name: name.into(),
            kind: CompartmentKind::Vessel(Vessel {
                compliance_ml_per_mmhg: c_ml_per_mmhg,
                unstressed_volume_ml: v0_ml,
            }),
        });
        self.volumes.push(v0_ml + c_ml_per_mmhg * p0_mmhg);
        self.compartments.len() - 1
    }

    fn chamber(&mut self, name: &str, chamber: Chamber, v_init_ml: f64) -> usize {
        self.compartments.push(Compartment {
            name: name.into(),
            kind: CompartmentKind::Chamber(chamber),
        });
        self.volumes.push(v_init_ml);
        self.compartments.len() - 1
    }

    fn connect(
        &mut self,
        name: &str,
        from: usize,
        to: usize,
        kind: ConnectionKind,
        q0: f64,
    ) -> usize {
        self.connections.push(Connection {
            name: name.into(),
            from,
            to,
            kind,
        });
        self.flows.push(q0);
        self.connections.len() - 1
    }

    fn resistor(&mut self, name: &str, from: usize, to: usize, r: f64) -> usize {
        self.bed(name, from, to, r, None)
    }

    /// A tissue bed: a resistor with an optional critical closing pressure (waterfall).
    fn bed(&mut self, name: &str, from: usize, to: usize, r: f64, pcc: Option<f64>) -> usize {
        self.connect(
            name,
            from,
            to,
            ConnectionKind::Resistor(Resistor {
                resistance_mmhg_s_per_ml: r,
                critical_closing_pressure_mmhg: pcc,
            }),
            0.0,
        )
    }

    fn segment(&mut self, name: &str, from: usize, to: usize, r: f64, l: f64, q0: f64) -> usize {
        self.connect(
            name,
            from,
            to,
            ConnectionKind::Segment(VesselSegment {
                resistance_mmhg_s_per_ml: r,
                inertance_mmhg_s2_per_ml: l,
            }),
            q0,
        )
    }

    fn valve(&mut self, name: &str, from: usize, to: usize, r_open: f64, g_leak: f64) -> usize {
        self.connect(
            name,
            from,
            to,
            ConnectionKind::Valve(Valve {
                open_resistance_mmhg_s_per_ml: r_open,
                regurgitant_conductance_ml_per_s_mmhg: g_leak,
            }),
            0.0,
        )
    }
}

/// Regazzoni 2022 as in the svZeroDSolver peer file (SI values converted exactly).
pub fn regazzoni_2022() -> CirculationParams {
    let mut b = Builder::new();
    let e = elastance_si_to_mmhg_ml;
    let linear = |emax: f64, epass: f64, vrest_m3: f64, act: usize| Chamber {
        ees_mmhg_per_ml: e(emax),
        v0_ml: m3_to_ml(vrest_m3),
        passive: Passive::Linear {
            elastance_mmhg_per_ml: e(epass),
        },
        activation: act,
    };
    let la = b.chamber(
        "la",
        linear(2.666e7, 2.0449931e7, 4.0e-6, 0),
        m3_to_ml(5.624441188959639e-5),
    );
    let lv = b.chamber(
        "lv",
        linear(3.33878537e8, 1.2605372e7, 1.9763060505362944e-6, 1),
        m3_to_ml(8.142759737438905e-5),
    );
    let ra = b.chamber(
        "ra",
        linear(7.999343e6, 4.932281e6, 4.0e-6, 0),
        m3_to_ml(8.913584459023032e-5),
    );
    let rv = b.chamber(
        "rv",
        linear(6.5719659e7, 5.406837e6, 54.31634509432495e-6, 1),
        m3_to_ml(1.1868964658139649e-4),
    );
    let c = compliance_si_to_ml_mmhg;
    let ar_sys = b.vessel("ar_sys", c(6.93626e-9), 0.0, pa_to_mmhg(9926.031159725162));
    let ven_sys = b.vessel("ven_sys", c(4.5004e-7), 0.0, pa_to_mmhg(1358.6946929956583));
    let ar_pul = b.vessel("ar_pul", c(7.5006e-8), 0.0, pa_to_mmhg(2075.062641303878));
    let ven_pul = b.vessel("ven_pul", c(1.2001e-7), 0.0, pa_to_mmhg(1744.2583185734634));
    let r = resistance_si_to_mmhg_s_ml;
    let l = inertance_si_to_mmhg_s2_ml;
    let q = m3_s_to_ml_s;
    let (rmin, gleak) = (r(6.666e5), 1.0 / r(6.666e9));
    let mitral = b.valve("mitral_valve", la, lv, rmin, gleak);
    let aortic = b.valve("aortic_valve", lv, ar_sys, rmin, gleak);
    let systemic = b.segment(
        "ar_sys",
        ar_sys,
        ven_sys,
        r(9.0219259e7),
        l(6.66611e5),
        q(96.12211741415929e-6),
    );
    b.segment(
        "ven_sys",
        ven_sys,
        ra,
        r(8.506913e6),
        l(6.66611e4),
        q(110.34140583655498e-6),
    );
    let tricuspid = b.valve("tricuspid_valve", ra, rv, rmin, gleak);
    let pulmonary = b.valve("pulmonary_valve", rv, ar_pul, rmin, gleak);
    b.segment(
        "ar_pul",
        ar_pul,
        ven_pul,
        r(4.266316e6),
        l(6.66611e4),
        q(79.3375172471186e-6),
    );
    b.segment(
        "ven_pul",
        ven_pul,
        la,
        r(4.666283e6),
        l(6.66611e4),
        q(46.21258343525287e-6),
    );
    let atrial = TwoHill {
        t_shift_s: 0.025,
        tau1_s: 0.07586206896551724,
        tau2_s: 0.12413793103448276,
        m1: 1.32,
        m2: 13.1,
    };
    let ventricular = TwoHill {
        t_shift_s: 0.207,
        tau1_s: 0.18551724137931036,
        tau2_s: 0.31172413793103454,
        m1: 1.32,
        m2: 27.4,
    };
    let (o2, co2) = initial_gas(&b.compartments, &[la, lv, ar_sys, ven_pul]);
    CirculationParams {
        compartments: b.compartments,
        connections: b.connections,
        activations: vec![atrial, ventricular],
        activation_scaling: ActivationScaling::Fixed,
        heart_rate_bpm: 60.0 / 0.689655,
        initial_o2_ml_per_dl: o2,
        initial_co2_ml_per_dl: co2,
        systemic_beds: vec![systemic],
        // The peer model has no blood gases.
        gas: None,
        anatomy: None,
        ecmo: None,
        unloading: Vec::new(),
        pericardium: None,
        rhythm: crate::model::Rhythm::Sinus,
        sites: Sites {
            lv,
            rv,
            la,
            ra,
            aortic_root: ar_sys,
            right_radial: ar_sys,
            femoral: ar_sys,
            pulmonary_artery: ar_pul,
            aortic_valve: aortic,
            mitral_valve: mitral,
            tricuspid_valve: tricuspid,
            pulmonary_valve: pulmonary,
        },
        initial_volumes_ml: b.volumes,
        initial_flows_ml_s: b.flows,
    }
}

/// Blood viscosity for Poiseuille resistances, P (g/(cm·s)): 3.5 mPa·s.
const BLOOD_VISCOSITY_POISE: f64 = 0.035;
/// Blood density, g/cm³.
const BLOOD_DENSITY_G_CM3: f64 = 1.06;
/// dyn·s/cm⁵ per mmHg·s/mL.
const CGS_PER_MMHG_S_ML: f64 = 1333.22;

/// Damping ratio of each arterial inertance-compliance stage.
const ARTERIAL_DAMPING_RATIO: f64 = 0.1;

/// Resistance and inertance of `count` parallel arterial tubes of length `l_cm` and radius
/// `r_cm` draining into a compartment of compliance `c_down_ml_per_mmhg`.
///
/// Inertance is ρl/(πr²). Resistance is the larger of Poiseuille's 8μl/(πr⁴) and the value
/// that gives the L-C stage a damping ratio ζ = R/2·√(C/L) of [`ARTERIAL_DAMPING_RATIO`]:
/// a lumped tree has no wave dissipation, viscoelastic wall losses or impedance matching,
/// and with Poiseuille resistance alone it rings at its L-C resonance, which the real
/// distributed tree does not (Westerhof, Stergiopulos, Noble, Snapshots of Hemodynamics,
/// 2nd ed. 2010, ch. 21-23 on lumped models and wall viscosity).
fn arterial_segment(l_cm: f64, r_cm: f64, count: f64, c_down_ml_per_mmhg: f64) -> (f64, f64) {
    let pi = std::f64::consts::PI;
    let r_poiseuille =
        8.0 * BLOOD_VISCOSITY_POISE * l_cm / (pi * r_cm.powi(4)) / CGS_PER_MMHG_S_ML / count;
    let l = BLOOD_DENSITY_G_CM3 * l_cm / (pi * r_cm * r_cm) / CGS_PER_MMHG_S_ML / count;
    let r_damping = 2.0 * ARTERIAL_DAMPING_RATIO * (l / c_down_ml_per_mmhg).sqrt();
    (r_poiseuille.max(r_damping), l)
}

/// Compliances of the systemic arterial compartments, mL/mmHg (total 1.6).
const C_ROOT: f64 = 0.25;
const C_ARCH: f64 = 0.25;
const C_THORACIC: f64 = 0.30;
const C_ABDOMINAL: f64 = 0.20;
const C_UPPER: f64 = 0.35;
const C_FEMORAL: f64 = 0.25;

/// Resistance of the bronchial and Thebesian return to the left heart, mmHg·s/mL (see
/// `AdultSpec::build`): 85 mmHg / (2 % × 5.6 L/min).
const BRONCHIAL_RESISTANCE: f64 = 45.0;

/// The healthy adult at rest (70 kg, HR 70 bpm).
pub fn healthy_adult() -> CirculationParams {
    AdultSpec::healthy().build()
}

/// Acute-MI cardiogenic shock (SCAI stage C).
pub fn cardiogenic_shock_ami() -> CirculationParams {
    AdultSpec::cardiogenic_shock_ami().build()
}

/// The knobs that distinguish the adult presets.
struct AdultSpec {
    heart_rate_bpm: f64,
    lv_ees: f64,
    lv_v0: f64,
    lv_edpvr_a: f64,
    lv_edpvr_b: f64,
    /// Initial LV volume, mL: the state's starting point only (the steady state depends on the
    /// total blood volume), but the step-size bound reads the EDPVR's slope there
    /// (`fastest_rate_per_s`), so it should lie near the preset's working end-diastolic volume.
    lv_initial_volume_ml: f64,
    rv_ees: f64,
    rv_v0: f64,
    rv_edpvr_a: f64,
    rv_edpvr_b: f64,
    svr_scale: f64,
    /// Extra factor on the three tissue beds (upper body, splanchnic, lower body) on top of
    /// `svr_scale`: where a preset gives the beds a critical closing pressure, the part of the
    /// arterial pressure above it drives the same flow through a smaller resistance.
    tissue_bed_scale: f64,
    /// Critical closing pressure of the three tissue beds (vascular waterfall), mmHg; `None`
    /// for none.
    tissue_bed_critical_closing_pressure_mmhg: Option<f64>,
    /// Factor on the venous outflow resistances of the upper body, splanchnic and lower body
    /// veins (resistance to venous return).
    venous_return_resistance_scale: f64,
    /// Pulmonary microcirculation resistance, mmHg·s/mL (0.08 in the healthy adult).
    pulmonary_resistance: f64,
    venous_unstressed_scale: f64,
    blood_volume_ml: f64,
}

impl AdultSpec {
    fn healthy() -> Self {
        AdultSpec {
            heart_rate_bpm: 70.0,
            lv_ees: 2.21,
            lv_v0: 5.0,
            lv_edpvr_a: 0.34,
            lv_edpvr_b: 0.025,
            lv_initial_volume_ml: 120.0,
            rv_ees: 0.5,
            rv_v0: 10.0,
            rv_edpvr_a: 0.25,
            rv_edpvr_b: 0.024,
            svr_scale: 1.0,
            tissue_bed_scale: 1.0,
            tissue_bed_critical_closing_pressure_mmhg: None,
            venous_return_resistance_scale: 1.0,
            pulmonary_resistance: 0.08,
            venous_unstressed_scale: 0.88,
            blood_volume_ml: 5000.0,
        }
    }

    /// Acute-MI cardiogenic shock calibrated to human AMI-shock haemodynamics (issue 11;
    /// targets, sources and the fit in `docs/methodology/presets.md`): PCWP ~22 and RAP ~13
    /// mmHg together, CI ~1.9 L/min/m², MAP ~70 mmHg, LVEF ~30 %, and the venous return of
    /// patients (mean systemic filling pressure ~22 mmHg, resistance to venous return ~2.6
    /// mmHg·min/L: Guérin L et al., Crit Care 2015;19:411).
    /// - LV: regional infarction shifts the end-systolic pressure-volume relation to the
    ///   right (V0 10 → 20 mL with a coronary occlusion in chronically instrumented dogs; the
    ///   shift grows with the ischaemic bed: Kass DA, Marino P, Maughan WL, Sagawa K), so V0
    ///   40 mL with Ees 2.1 mmHg/mL; a stiff, non-dilated acute LV (EDPVR B 0.064 /mL about
    ///   V0, LVEDV ~110 mL).
    /// - RV involvement: Ees 0.2 mmHg/mL, EDPVR B 0.025 /mL.
    /// - Venous outflow resistances ×12 of the healthy adult's (which give a resistance to
    ///   venous return of 0.65 mmHg·min/L, a quarter of patients'), venous unstressed volumes
    ///   ×0.30 (venoconstriction) and 6450 mL of blood (fluid given): Pmsf 22 mmHg.
    /// - Tissue beds with a 45 mmHg critical closing pressure (Maas JJ et al., Anesth Analg
    ///   2012;114:803: 45.5 ± 11.1 mmHg in ICU patients), their resistances scaled so that
    ///   the pressure above the waterfall drives the flows; coronary bed ×1.03.
    fn cardiogenic_shock_ami() -> Self {
        AdultSpec {
            heart_rate_bpm: 105.0,
            lv_ees: 2.1,
            lv_v0: 40.0,
            lv_edpvr_b: 0.064,
            lv_initial_volume_ml: 100.0,
            rv_ees: 0.2,
            rv_edpvr_b: 0.025,
            svr_scale: 1.03,
            // 0.88 (fit) × 31/63 (the driving pressure above a 45 mmHg waterfall at MAP 76
            // against the former 63 mmHg to the venous side), relative to svr_scale.
            tissue_bed_scale: 0.88 * (31.0 / 63.0) / 1.03,
            tissue_bed_critical_closing_pressure_mmhg: Some(45.0),
            venous_return_resistance_scale: 12.0,
            venous_unstressed_scale: 0.30,
            blood_volume_ml: 6450.0,
            ..Self::healthy()
        }
    }

    /// Biventricular inflammatory depression, non-dilated oedematous (stiffer) ventricles.
    fn fulminant_myocarditis() -> Self {
        AdultSpec {
            heart_rate_bpm: 115.0,
            lv_ees: 0.55,
            lv_edpvr_b: 0.030,
            rv_ees: 0.22,
            svr_scale: 1.2,
            venous_unstressed_scale: 0.68,
            ..Self::healthy()
        }
    }

    /// Acute pressure overload of a previously normal right ventricle.
    fn massive_pulmonary_embolism() -> Self {
        AdultSpec {
            heart_rate_bpm: 115.0,
            rv_ees: 0.18,
            pulmonary_resistance: 0.45,
            svr_scale: 1.2,
            venous_unstressed_scale: 0.68,
            blood_volume_ml: 5500.0,
            ..Self::healthy()
        }
    }

    /// Stunned LV after cardiopulmonary bypass: low Ees, stiffer (oedematous) EDPVR.
    fn post_cardiotomy() -> Self {
        AdultSpec {
            heart_rate_bpm: 95.0,
            lv_ees: 0.55,
            lv_edpvr_b: 0.032,
            rv_ees: 0.35,
            svr_scale: 1.1,
            venous_unstressed_scale: 0.7,
            ..Self::healthy()
        }
    }

    /// Dilated, compliant LV of chronic systolic heart failure, volume-expanded.
    fn chronic_heart_failure() -> Self {
        AdultSpec {
            heart_rate_bpm: 95.0,
            lv_ees: 0.3,
            lv_v0: 40.0,
            lv_edpvr_b: 0.016,
            rv_ees: 0.35,
            pulmonary_resistance: 0.16,
            svr_scale: 1.1,
            venous_unstressed_scale: 0.8,
            blood_volume_ml: 5600.0,
            ..Self::healthy()
        }
    }

    /// Septic myocardial depression with vasoplegia (low SVR, venodilation).
    fn septic_cardiomyopathy() -> Self {
        AdultSpec {
            heart_rate_bpm: 120.0,
            lv_ees: 0.45,
            rv_ees: 0.3,
            svr_scale: 0.55,
            venous_unstressed_scale: 0.85,
            ..Self::healthy()
        }
    }

    /// Beta-blocker / calcium-channel-blocker poisoning: bradycardia, negative inotropy,
    /// arteriolar and venous dilation without sympathetic compensation.
    fn drug_intoxication() -> Self {
        AdultSpec {
            heart_rate_bpm: 40.0,
            lv_ees: 0.8,
            rv_ees: 0.3,
            svr_scale: 0.8,
            venous_unstressed_scale: 0.88,
            ..Self::healthy()
        }
    }

    fn build(&self) -> CirculationParams {
        let mut b = Builder::new();
        let exp_chamber = |ees: f64, v0: f64, a: f64, bb: f64, act: usize| Chamber {
            ees_mmhg_per_ml: ees,
            v0_ml: v0,
            passive: Passive::Exponential {
                a_mmhg: a,
                b_per_ml: bb,
            },
            activation: act,
        };
        let atrium = |emax: f64, epass: f64| Chamber {
            ees_mmhg_per_ml: emax,
            v0_ml: 4.0,
            passive: Passive::Linear {
                elastance_mmhg_per_ml: epass,
            },
            activation: 0,
        };
        // Heart. Atria: Regazzoni 2022 linear elastances. Ventricles: Burkhoff/Sunagawa-type
        // time-varying elastance with exponential EDPVR (see methodology table).
        let la = b.chamber("la", atrium(0.2, 0.153), 60.0);
        let lv = b.chamber(
            "lv",
            exp_chamber(self.lv_ees, self.lv_v0, self.lv_edpvr_a, self.lv_edpvr_b, 1),
            self.lv_initial_volume_ml,
        );
        let ra = b.chamber("ra", atrium(0.06, 0.037), 70.0);
        let rv = b.chamber(
            "rv",
            exp_chamber(self.rv_ees, self.rv_v0, self.rv_edpvr_a, self.rv_edpvr_b, 1),
            140.0,
        );
        // Systemic arteries (compliance mL/mmHg, unstressed volume mL, initial pressure).
        let root = b.vessel("aortic_root", C_ROOT, 60.0, 90.0);
        let arch = b.vessel("aortic_arch", C_ARCH, 60.0, 90.0);
        let thoracic = b.vessel("thoracic_aorta", C_THORACIC, 120.0, 90.0);
        let abdominal = b.vessel("abdominal_aorta", C_ABDOMINAL, 150.0, 90.0);
        let upper_a = b.vessel("upper_body_arteries", C_UPPER, 200.0, 90.0);
        let femoral = b.vessel("femoral_arteries", C_FEMORAL, 125.0, 90.0);
        // Systemic veins (Heldt 2002 / CVSim compliances and zero-pressure volumes, lumped).
        let vu = self.venous_unstressed_scale;
        let upper_v = b.vessel("upper_body_veins", 10.0, 660.0 * vu, 5.0);
        let splanchnic_v = b.vessel("splanchnic_veins", 60.0, 1450.0 * vu, 6.0);
        let lower_v = b.vessel("lower_body_veins", 20.0, 350.0 * vu, 6.0);
        let ivc = b.vessel("inferior_vena_cava", 40.0, 325.0 * vu, 4.0);
        // Pulmonary circulation (Heldt 2002).
        let pa = b.vessel("pulmonary_arteries", 4.3, 90.0, 15.0);
        let pv = b.vessel("pulmonary_veins", 8.4, 490.0, 8.0);

        let mitral = b.valve("mitral_valve", la, lv, 0.005, 0.0);
        let aortic = b.valve("aortic_valve", lv, root, 0.006, 0.0);
        let tricuspid = b.valve("tricuspid_valve", ra, rv, 0.003, 0.0);
        let pulmonary = b.valve("pulmonary_valve", rv, pa, 0.003, 0.0);
        // Aortic segments from adult aortic dimensions (length cm, radius cm).
        let (r, l) = arterial_segment(5.0, 1.45, 1.0, C_ARCH);
        let asc = b.segment("ascending_aorta", root, arch, r, l, 60.0);
        let (r, l) = arterial_segment(6.0, 1.2, 1.0, C_THORACIC);
        let arch_seg = b.segment("aortic_arch_segment", arch, thoracic, r, l, 60.0);
        let (r, l) = arterial_segment(18.0, 1.0, 1.0, C_ABDOMINAL);
        let desc = b.segment("descending_thoracic_aorta", thoracic, abdominal, r, l, 60.0);
        let (r, l) = arterial_segment(25.0, 0.45, 2.0, C_FEMORAL);
        let iliac = b.segment("iliac_arteries", abdominal, femoral, r, l, 20.0);
        let (r, l) = arterial_segment(10.0, 0.6, 1.0, C_UPPER);
        let brachio = b.segment("brachiocephalic_arteries", arch, upper_a, r, l, 22.0);
        // Peripheral beds: resistances from the resting distribution of cardiac output.
        let s = self.svr_scale;
        let coronary = b.resistor("coronary_circulation", root, ra, 23.6 * s);
        let st = s * self.tissue_bed_scale;
        let pcc = self.tissue_bed_critical_closing_pressure_mmhg;
        let upper_bed = b.bed(
            "upper_body_microcirculation",
            upper_a,
            upper_v,
            3.8 * st,
            pcc,
        );
        let splanchnic_bed = b.bed(
            "splanchnic_microcirculation",
            abdominal,
            splanchnic_v,
            1.82 * st,
            pcc,
        );
        let lower_bed = b.bed(
            "lower_body_microcirculation",
            femoral,
            lower_v,
            4.0 * st,
            pcc,
        );
        let kv = self.venous_return_resistance_scale;
        b.resistor("superior_vena_cava", upper_v, ra, 0.06 * kv);
        b.resistor("splanchnic_venous_return", splanchnic_v, ivc, 0.05 * kv);
        b.resistor("lower_body_venous_return", lower_v, ivc, 0.1 * kv);
        b.resistor("inferior_vena_cava_return", ivc, ra, 0.015);
        let lung_bed = b.resistor(
            "pulmonary_microcirculation",
            pa,
            pv,
            self.pulmonary_resistance,
        );
        b.resistor("pulmonary_venous_return", pv, la, 0.01);
        // Bronchial and Thebesian return: systemic arterial blood that reaches the left heart
        // without crossing the pulmonary capillaries (bronchial arteries from the descending
        // thoracic aorta draining through the pulmonary veins; Thebesian veins of the
        // myocardium). About 1 % of the cardiac output for the bronchial circulation
        // (Deffebach ME et al., Am Rev Respir Dis 1987;135:463-81) plus a smaller Thebesian
        // share: lumped as one resistance giving ~2 % of the resting output (1.9 mL/s at
        // 85 mmHg of driving pressure). It is what fills the left heart of an arrested,
        // non-ejecting heart on peripheral VA-ECMO.
        b.resistor(
            "bronchial_thebesian_return",
            thoracic,
            pv,
            BRONCHIAL_RESISTANCE,
        );

        let (o2, co2) = initial_gas(
            &b.compartments,
            &[
                la, lv, root, arch, thoracic, abdominal, upper_a, femoral, pv,
            ],
        );
        let atrial = TwoHill {
            t_shift_s: 0.0,
            tau1_s: 0.07586206896551724,
            tau2_s: 0.12413793103448276,
            m1: 1.32,
            m2: 13.1,
        };
        let ventricular = TwoHill {
            t_shift_s: 0.16,
            tau1_s: 0.18551724137931036,
            tau2_s: 0.31172413793103454,
            m1: 1.32,
            m2: 27.4,
        };
        let mut params = CirculationParams {
            compartments: b.compartments,
            connections: b.connections,
            activations: vec![atrial, ventricular],
            activation_scaling: ActivationScaling::SqrtPeriod {
                reference_period_s: 0.689655,
            },
            heart_rate_bpm: self.heart_rate_bpm,
            initial_o2_ml_per_dl: o2,
            initial_co2_ml_per_dl: co2,
            // Organ O2 consumption at rest (Albanese A et al., 2016, as gathered in
            // ../shared/reference/physiology.md): coronary 24, brain 47.5 + extrasplanchnic
            // 14.7 (upper body), splanchnic 108.4, muscle 51.6 (lower body) mL/min.
            systemic_beds: vec![coronary, upper_bed, splanchnic_bed, lower_bed],
            gas: Some(GasParams::normal(
                lung_bed,
                vec![
                    O2Consumer {
                        bed_connection: coronary,
                        vo2_ml_min: 24.0,
                    },
                    O2Consumer {
                        bed_connection: upper_bed,
                        vo2_ml_min: 47.5 + 14.7,
                    },
                    O2Consumer {
                        bed_connection: splanchnic_bed,
                        vo2_ml_min: 108.4,
                    },
                    O2Consumer {
                        bed_connection: lower_bed,
                        vo2_ml_min: 51.6,
                    },
                ],
            )),
            anatomy: Some(Anatomy {
                femoral_venous_drainage: ivc,
                aortic_compartments: vec![root, arch, thoracic, abdominal, femoral],
                aortic_connections: vec![asc, arch_seg, desc, iliac],
                brachiocephalic_connection: brachio,
                coronary_connection: coronary,
                upper_body_arteries: upper_a,
            }),
            ecmo: None,
            unloading: Vec::new(),
            pericardium: None,
            rhythm: crate::model::Rhythm::Sinus,
            sites: Sites {
                lv,
                rv,
                la,
                ra,
                aortic_root: root,
                right_radial: upper_a,
                femoral,
                pulmonary_artery: pa,
                aortic_valve: aortic,
                mitral_valve: mitral,
                tricuspid_valve: tricuspid,
                pulmonary_valve: pulmonary,
            },
            initial_volumes_ml: b.volumes,
            initial_flows_ml_s: b.flows,
        };
        // The total blood volume is exact: the difference from the initial guesses is spread
        // over the vessels in proportion to their compliance (one common pressure shift).
        params.set_initial_blood_volume_ml(self.blood_volume_ml);
        params
    }
}
