//! Counter-based sampling: patient `i`'s parameters are a function of `(seed, i)` alone.
//!
//! The generator is ChaCha8 (Bernstein 2008) keyed by the cohort's seed, with the patient
//! index as its 64-bit stream number (`rand_chacha`'s `set_stream`): patient `i` reads stream
//! `i` from its start, so which machine, thread or shard runs it, and in which order, cannot
//! change what it draws. Each parameter takes one uniform draw, in file order, turned into a
//! standard normal score by the inverse normal CDF; correlations act on these scores (a
//! Gaussian copula: `y = L z` with `L` the Cholesky factor of the correlation matrix, Nelsen
//! 2006, *An Introduction to Copulas*, Springer); each score then goes through its marginal's
//! quantile function, truncated marginals by inverse-CDF truncation. The maths uses `libm`
//! (pure Rust), so the same draws come out on every platform.

use crate::spec::{Cohort, Marginal, Parameter};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// Standard normal CDF, Φ(x) = erfc(−x/√2)/2.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Standard normal quantile Φ⁻¹(p) for p in (0, 1): the rational approximation of
/// Abramowitz & Stegun (1964), *Handbook of Mathematical Functions*, 26.2.23 (|error| <
/// 4.5e-4), refined by three Halley steps on Φ(x) − p, which takes it to double precision.
/// Returns ±infinity at p = 0 or 1.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p.min(1.0 - p);
    let t = libm::sqrt(-2.0 * libm::log(q));
    let approx = t
        - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    let mut x = if p < 0.5 { -approx } else { approx };
    let sqrt_2pi = libm::sqrt(2.0 * std::f64::consts::PI);
    for _ in 0..3 {
        let e = normal_cdf(x) - p;
        let u = e * sqrt_2pi * libm::exp(0.5 * x * x);
        let next = x - u / (1.0 + 0.5 * x * u);
        if !next.is_finite() {
            break;
        }
        x = next;
    }
    x
}

/// Cholesky factor (lower triangular, row-major) of the symmetric `n × n` matrix `m`, or
/// `None` if it is not positive definite.
pub fn cholesky(m: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = m[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-12 {
                    return None;
                }
                l[i * n + i] = libm::sqrt(s);
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Uniform in the open interval (0, 1) from 53 random bits.
fn open_unit(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// The generator of patient `index` of a cohort seeded `seed`.
pub fn patient_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// The sampled values of patient `index`, one per parameter, in file order.
pub fn sample_patient(cohort: &Cohort, index: u64) -> Vec<Value> {
    let mut rng = patient_rng(cohort.seed, index);
    let n = cohort.parameters.len();
    let z: Vec<f64> = (0..n)
        .map(|_| normal_quantile(open_unit(&mut rng)))
        .collect();
    let y: Vec<f64> = match &cohort.cholesky {
        None => z,
        Some(l) => (0..n)
            .map(|i| (0..=i).map(|k| l[i * n + k] * z[k]).sum())
            .collect(),
    };
    cohort
        .parameters
        .iter()
        .zip(y)
        .map(|(p, score)| quantile(p, normal_cdf(score)))
        .collect()
}

/// Value of parameter `p` at probability `u` (its marginal's quantile, truncated to its
/// bounds).
pub fn quantile(p: &Parameter, u: f64) -> Value {
    let u = u.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
    let clamp = |x: f64| {
        x.max(p.lower.unwrap_or(f64::MIN))
            .min(p.upper.unwrap_or(f64::MAX))
    };
    match &p.marginal {
        Marginal::Normal { mean, sd } => {
            let to_z = |b: Option<f64>, inf: f64| b.map_or(inf, |x| (x - mean) / sd);
            let x = mean
                + sd * truncated_score(
                    u,
                    to_z(p.lower, f64::NEG_INFINITY),
                    to_z(p.upper, f64::INFINITY),
                );
            Value::from(clamp(x))
        }
        Marginal::LogNormal { median, sigma_log } => {
            let ln_m = libm::log(*median);
            let to_z = |b: Option<f64>, inf: f64| {
                b.map_or(inf, |x| {
                    if x <= 0.0 {
                        f64::NEG_INFINITY
                    } else {
                        (libm::log(x) - ln_m) / sigma_log
                    }
                })
            };
            let s = truncated_score(
                u,
                to_z(p.lower, f64::NEG_INFINITY),
                to_z(p.upper, f64::INFINITY),
            );
            Value::from(clamp(libm::exp(ln_m + sigma_log * s)))
        }
        Marginal::Uniform { min, max } => Value::from(min + (max - min) * u),
        Marginal::Discrete { values, cumulative } => {
            let k = cumulative
                .iter()
                .position(|c| u <= *c)
                .unwrap_or(values.len() - 1);
            values[k].clone()
        }
    }
}

/// Standard normal score at probability `u` of the normal truncated to `[lo, hi]` (scores).
fn truncated_score(u: f64, lo: f64, hi: f64) -> f64 {
    if lo == f64::NEG_INFINITY && hi == f64::INFINITY {
        return normal_quantile(u);
    }
    let (a, b) = (normal_cdf(lo), normal_cdf(hi));
    let p = a + u * (b - a);
    let x = normal_quantile(p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0));
    x.max(lo).min(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_the_cdf_and_matches_tabulated_values() {
        // Φ⁻¹(0.975) = 1.959963984540054 (Abramowitz & Stegun 1964, Table 26.5).
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.5)).abs() < 1e-15);
        for &p in &[1e-12, 1e-6, 0.01, 0.2, 0.5, 0.7, 0.99, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!(
                ((normal_cdf(x) - p) / p.min(1.0 - p)).abs() < 1e-9,
                "p = {p}"
            );
        }
    }

    #[test]
    fn cholesky_refuses_a_matrix_that_is_not_positive_definite() {
        // rho(a,b) = rho(b,c) = 0.9, rho(a,c) = -0.9 is not a correlation matrix.
        let m = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        assert!(cholesky(&m, 3).is_none());
        let ok = [1.0, 0.5, 0.5, 1.0];
        let l = cholesky(&ok, 2).unwrap();
        assert!((l[2] - 0.5).abs() < 1e-15 && (l[3] - 0.75f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn a_patients_stream_does_not_depend_on_other_patients() {
        let mut a = patient_rng(7, 5);
        let mut fresh = patient_rng(7, 5);
        let mut other = patient_rng(7, 6);
        let _ = other.next_u64();
        assert_eq!(a.next_u64(), fresh.next_u64());
        assert_ne!(patient_rng(7, 5).next_u64(), patient_rng(7, 6).next_u64());
        assert_ne!(patient_rng(7, 5).next_u64(), patient_rng(8, 5).next_u64());
    }
}
