//! Sources. Every rule and number of the library points to one of these, and the output carries
//! the citation text (short reference + year).
//!
//! The figures themselves are those of the project's clinical reference
//! (`shared/reference/clinical.md`), which names the papers.

use serde::Serialize;

/// A published source: a short reference with its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Short reference, e.g. "Schmidt et al., Eur Heart J 2015;36:2246".
    pub reference: &'static str,
    /// Year of publication, when the source names one.
    pub year: Option<u16>,
}

impl Source {
    /// The citation text printed in outputs.
    pub fn cite(&self) -> String {
        self.reference.to_string()
    }
}

macro_rules! source {
    ($(#[$doc:meta])* $name:ident, $text:expr, $year:expr) => {
        $(#[$doc])*
        pub const $name: Source = Source { reference: $text, year: Some($year) };
    };
}

source!(
    /// SAVE score: Schmidt M et al., Predicting survival after ECMO for refractory cardiogenic shock.
    SAVE, "Schmidt et al., Eur Heart J 2015;36:2246 (SAVE score)", 2015);
source!(
    /// ENCOURAGE score: Muller G et al., AMI cardiogenic shock on VA-ECMO (138 patients).
    ENCOURAGE, "Muller et al., Intensive Care Med 2016;42:370 (ENCOURAGE score)", 2016);
source!(
    /// CardShock risk score: Harjola VP et al.
    CARDSHOCK, "Harjola et al., Eur J Heart Fail 2015 (CardShock risk score)", 2015);
source!(
    /// TiPS65 score for ECPR candidates: Okada Y et al.
    TIPS65, "Okada et al. 2020 (TiPS65 score)", 2020);
source!(
    /// SCAI shock classification, 2019 definitions.
    SCAI_2019, "Baran et al., SCAI clinical expert consensus statement 2019 (SCAI SHOCK stages)", 2019);
source!(
    /// SCAI SHOCK stage classification expert consensus update 2022.
    SCAI_2022, "Naidu et al., SCAI SHOCK Stage Classification Expert Consensus Update 2022", 2022);
source!(
    /// Mortality by SCAI stage in a cardiac ICU population.
    JENTZER_2019, "Jentzer et al., J Am Coll Cardiol 2019 (mortality by SCAI stage)", 2019);
source!(
    /// ESC 2021 heart failure guidelines.
    ESC_HF_2021, "McDonagh et al., 2021 ESC Guidelines for heart failure, Eur Heart J 2021", 2021);
source!(
    /// ESC 2023 acute coronary syndrome guidelines.
    ESC_ACS_2023, "Byrne et al., 2023 ESC Guidelines for acute coronary syndromes, Eur Heart J 2023", 2023);
source!(
    /// ESC 2019 acute pulmonary embolism guidelines.
    ESC_PE_2019, "Konstantinides et al., 2019 ESC Guidelines for acute pulmonary embolism, Eur Heart J 2020", 2019);
source!(
    /// Contraindication table: Chung M, Shiloh AL, Carlese A, Sci World J 2014;2014:393258,
    /// Table 2 ("absolute" contraindications and "other considerations"; a review, not ELSO).
    CHUNG_2014, "Chung, Shiloh, Carlese, Sci World J 2014;2014:393258, Table 2 (VA-ECMO contraindications)", 2014);
source!(
    /// ELSO interim guideline for adult VA-ECMO in cardiac patients: Lorusso R et al.
    ELSO_VA_LORUSSO_2021, "Lorusso et al., ELSO interim guidelines for venoarterial ECMO in adult cardiac patients, ASAIO J 2021;67:827", 2021);
source!(
    /// ELSO interim guideline for ECPR: Richardson AC et al.
    ELSO_ECPR_RICHARDSON_2021, "Richardson et al., ECPR in adults: interim guideline consensus statement from ELSO, ASAIO J 2021;67:221", 2021);
source!(
    /// ECLS-SHOCK at one year.
    ECLS_SHOCK_1Y, "Desch et al., Eur Heart J 2024 (ECLS-SHOCK one-year outcomes)", 2024);
source!(
    /// ECMO-CS trial.
    ECMO_CS, "Ostadal et al., Circulation 2023 (ECMO-CS trial)", 2023);
source!(
    /// Individual-patient meta-analysis of early VA-ECMO in infarct-related cardiogenic shock.
    ZEYMER_2023, "Zeymer et al., Lancet 2023 (individual-patient meta-analysis of 4 RCTs of VA-ECMO in infarct-related cardiogenic shock)", 2023);
source!(
    /// DanGer Shock trial.
    DANGER_SHOCK, "Moller et al., N Engl J Med 2024 (DanGer Shock trial)", 2024);
source!(
    /// 2025 ACC/AHA/ACEP/NAEMSP/SCAI ACS guideline (wording not verified against the primary text).
    ACC_AHA_ACS_2025, "Rao et al., 2025 ACC/AHA/ACEP/NAEMSP/SCAI guideline for acute coronary syndromes (UNVERIFIED: wording not checked against the primary text)", 2025);
source!(
    /// 2025 ESC guideline for myocarditis and pericarditis.
    ESC_MYOCARDITIS_2025, "2025 ESC Guidelines for the management of myocarditis and pericarditis, Eur Heart J 2025 (MCS recommendation UNVERIFIED)", 2025);
source!(
    /// Post-cardiotomy ECLS expert consensus.
    POSTCARDIOTOMY_CONSENSUS_2020, "Lorusso et al., 2020 EACTS/ELSO/STS/AATS expert consensus on post-cardiotomy ECLS in adult patients, Ann Thorac Surg / ASAIO J 2021", 2020);
source!(
    /// WHO obesity classification (class III obesity, BMI >= 40 kg/m2).
    WHO_OBESITY_2000, "WHO Technical Report Series 894, 2000 (obesity class III: BMI >= 40 kg/m2)", 2000);
source!(
    /// ARREST trial.
    ARREST, "Yannopoulos et al., Lancet 2020 (ARREST trial)", 2020);
source!(
    /// Prague OHCA trial.
    PRAGUE_OHCA, "Belohlavek et al., JAMA 2022 (Prague OHCA trial)", 2022);
source!(
    /// INCEPTION trial.
    INCEPTION, "Suverein et al., N Engl J Med 2023 (INCEPTION trial)", 2023);
source!(
    /// ELSO interim guideline on ECPR.
    ELSO_ECPR_2021, "ELSO interim guideline for ECPR, 2021", 2021);
source!(
    /// ELSO registry, ECPR discharge survival.
    ELSO_REGISTRY_2022, "ELSO registry report 2022 (ECPR survival to discharge 29.5%)", 2022);
source!(
    /// ECLS-SHOCK trial.
    ECLS_SHOCK, "Thiele et al., N Engl J Med 2023 (ECLS-SHOCK trial)", 2023);
source!(
    /// Fulminant myocarditis on VA-ECMO.
    LORUSSO_2016, "Lorusso et al. 2016 (fulminant myocarditis on VA-ECMO, 75.5% weaned)", 2016);
source!(
    /// Post-cardiotomy VA-ECMO, meta-analysis of 1,926 patients.
    POSTCARDIOTOMY_META, "Meta-analysis of post-cardiotomy VA-ECMO, 1,926 patients (Khorsandi et al., J Cardiothorac Surg 2017)", 2017);
source!(
    /// Drug intoxication on ECLS, 17 cases.
    DAUBIN_2009, "Daubin et al., Crit Care 2009 (ECLS in drug intoxication, 13/17 survived)", 2009);
source!(
    /// Septic cardiomyopathy on VA-ECMO.
    BRECHOT_2020, "Brechot et al., Lancet 2020 (VA-ECMO in septic cardiomyopathy)", 2020);
source!(
    /// Outcomes and complications of VA-ECMO, meta-analysis n=12,756.
    RAJSIC_2022, "Rajsic et al. 2022 (VA-ECMO meta-analysis, n=12,756)", 2022);
source!(
    /// Lower-limb complications of peripheral VA-ECMO, meta-analysis.
    CHENG_2014, "Cheng et al., Ann Thorac Surg 2014 (limb complications of VA-ECMO)", 2014);
source!(
    /// ELSO oxygenation target (post-oxygenator PO2 about 150 mmHg) in differential hypoxaemia.
    ELSO_VA_2021, "ELSO interim guideline for adult VA-ECMO, 2021 (post-oxygenator PO2 target ~150 mmHg)", 2021);
source!(
    /// Weaning predictors at minimal flow.
    AISSAOUI_2011, "Aissaoui et al., Intensive Care Med 2011;37:1738 (echocardiographic weaning predictors)", 2011);
source!(
    /// Weaning test protocol.
    CUSANNO_2022, "Cusanno et al. 2022 (weaning test at flow < 2 L/min for >= 60 min)", 2022);
source!(
    /// Echocardiographic chamber quantification (TAPSE < 17 mm abnormal RV systolic function).
    LANG_2015, "Lang et al., J Am Soc Echocardiogr 2015;28:1 (chamber quantification; TAPSE < 17 mm abnormal)", 2015);
source!(
    /// Berlin definition of ARDS (severe: PaO2/FiO2 <= 100 mmHg).
    BERLIN_ARDS_2012, "ARDS Definition Task Force, JAMA 2012;307:2526 (Berlin definition; severe ARDS PaO2/FiO2 <= 100 mmHg)", 2012);
