//! What a live session streams: the sampled channels and the binary frame that carries them.
//!
//! ## Frame format (WebSocket binary message, little-endian)
//!
//! | offset | type | meaning |
//! |---|---|---|
//! | 0 | u8 | frame kind: 1 = samples |
//! | 1 | u8 | format version: 1 |
//! | 2 | u16 | number of channels C (as announced by the last `hello`/`channels` text message) |
//! | 4 | u32 | number of samples N |
//! | 8 | u32 | frame sequence number (per session, wraps) |
//! | 12 | u32 | reserved (0) |
//! | 16 | f64 | t0: simulated time of the first sample, s |
//! | 24 | f32 × N·C | samples, sample-major: sample 0 channels 0..C, sample 1, ... |
//!
//! Channel 0 is always `t_offset_s`: the sample's time minus t0 (so that f32 keeps
//! microsecond precision however long the session runs). The others are named with their
//! unit, as the series column of the same quantity (`p_right_radial_mmhg`, ...); the page looks
//! channels up by name, so channels added later appear without a format change.

use ecmova_engine::{CompartmentKind, Model, State};

/// Frame kind byte of a samples frame.
pub const FRAME_SAMPLES: u8 = 1;
/// Format version byte.
pub const FRAME_VERSION: u8 = 1;
/// Header length, bytes.
pub const HEADER_BYTES: usize = 24;

/// One streamed channel: the time offset, the synthetic ECG, or one of the scenario layer's
/// role signals (the same name as the series column of that quantity).
#[derive(Debug, Clone)]
pub enum Channel {
    /// Channel 0: the sample's time minus the frame's t0, s.
    TimeOffset,
    /// The synthetic ECG, mV.
    Ecg,
    /// A role signal (`p_right_radial_mmhg`, `ecmo_flow_l_min`, ...).
    Signal(ecmova_scenario::signals::Signal),
}

impl Channel {
    /// Name with unit.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::TimeOffset => "t_offset_s",
            Channel::Ecg => "ecg_mv",
            Channel::Signal(s) => s.name,
        }
    }

    /// What it is.
    pub fn label(&self) -> &'static str {
        match self {
            Channel::TimeOffset => "time since t0",
            Channel::Ecg => "ECG (synthetic, from the beat clock)",
            Channel::Signal(s) => s.label,
        }
    }

    /// The value now (the time offset is filled in by the caller).
    pub fn read(&self, model: &Model, state: &State, ecg: &EcgClock) -> f64 {
        match self {
            Channel::TimeOffset => 0.0,
            Channel::Ecg => synthetic_ecg_mv(model, state, ecg),
            Channel::Signal(s) => s.read(model, state),
        }
    }
}

/// Timing of the synthetic ECG: the phase (s after the beat start) at which the ventricles'
/// activation began in the last beat. The ECG is a drawing aid derived from the beat clock
/// (P, QRS and T waves placed around the ventricular activation onset), not a model of the
/// heart's electrical activity.
#[derive(Debug, Clone, Copy)]
pub struct EcgClock {
    /// Phase of the ventricular activation onset, s.
    pub qrs_phase_s: f64,
    /// Whether the heart beats (no ECG complexes otherwise).
    pub beating: bool,
}

impl Default for EcgClock {
    fn default() -> Self {
        EcgClock {
            qrs_phase_s: 0.16,
            beating: true,
        }
    }
}

fn gauss(x: f64, mu: f64, sigma: f64) -> f64 {
    let z = (x - mu) / sigma;
    (-0.5 * z * z).exp()
}

/// Synthetic ECG (lead II look), mV: sinus complexes from the beat clock, a coarse
/// fibrillation wave (irregular 4-7 Hz undulations, no complexes) in ventricular
/// fibrillation, a flat line in asystole.
pub fn synthetic_ecg_mv(model: &Model, state: &State, clock: &EcgClock) -> f64 {
    match model.params().rhythm {
        ecmova_engine::Rhythm::Asystole => return 0.0,
        ecmova_engine::Rhythm::VentricularFibrillation => {
            let t = state.time_s();
            let tau = std::f64::consts::TAU;
            let envelope = 0.75 + 0.25 * (tau * 0.27 * t).sin();
            return envelope
                * (0.30 * (tau * 5.3 * t).sin()
                    + 0.18 * (tau * 3.9 * t + 1.1).sin()
                    + 0.12 * (tau * 6.8 * t + 2.3).sin());
        }
        ecmova_engine::Rhythm::Sinus => {}
    }
    if !clock.beating {
        return 0.0;
    }
    let period = state.period_s();
    // Phase relative to the R wave, wrapped into (-period/2, period/2].
    let r = clock.qrs_phase_s + 0.01;
    let mut x = state.phase_s() - r;
    if x > 0.5 * period {
        x -= period;
    } else if x <= -0.5 * period {
        x += period;
    }
    let qt = 0.26 * (period).sqrt(); // Bazett-like: T wave peak moves with the period
    0.12 * gauss(x, -0.13, 0.022) - 0.08 * gauss(x, -0.022, 0.007) + 1.1 * gauss(x, 0.0, 0.009)
        - 0.25 * gauss(x, 0.022, 0.008)
        + 0.28 * gauss(x, qt, 0.045)
}

/// The channels of a model, in stream order: the time offset, the ECG, then the role signals
/// of [`ecmova_scenario::signals`] (the circuit's only with a circuit).
pub fn channels(model: &Model) -> Vec<Channel> {
    let mut out = vec![Channel::TimeOffset, Channel::Ecg];
    out.extend(
        ecmova_scenario::signals::signals(model)
            .into_iter()
            .map(Channel::Signal),
    );
    out
}

/// Index of the activation function that drives the LV, if the LV is a chamber.
pub fn lv_activation(model: &Model) -> Option<usize> {
    match &model
        .params()
        .compartments
        .get(model.params().sites.lv)?
        .kind
    {
        CompartmentKind::Chamber(c) => Some(c.activation),
        CompartmentKind::Vessel(_) => None,
    }
}

/// Encodes a samples frame (see the module documentation).
pub fn encode_frame(seq: u32, t0_s: f64, n_channels: usize, samples: &[f32]) -> Vec<u8> {
    let n = samples.len().checked_div(n_channels).unwrap_or(0);
    let mut out = Vec::with_capacity(HEADER_BYTES + 4 * samples.len());
    out.push(FRAME_SAMPLES);
    out.push(FRAME_VERSION);
    out.extend_from_slice(&(n_channels as u16).to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&t0_s.to_le_bytes());
    for v in &samples[..n * n_channels] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// A decoded samples frame (used by tests and the load test).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFrame {
    /// Sequence number.
    pub seq: u32,
    /// Time of the first sample, s.
    pub t0_s: f64,
    /// Number of channels.
    pub n_channels: usize,
    /// Samples, sample-major.
    pub samples: Vec<f32>,
}

impl DecodedFrame {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len().checked_div(self.n_channels).unwrap_or(0)
    }

    /// Whether the frame has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Simulated time of the last sample, s.
    pub fn last_time_s(&self) -> Option<f64> {
        let n = self.len();
        (n > 0).then(|| self.t0_s + self.samples[(n - 1) * self.n_channels] as f64)
    }
}

/// Decodes a samples frame; `None` if it is not one.
pub fn decode_frame(bytes: &[u8]) -> Option<DecodedFrame> {
    if bytes.len() < HEADER_BYTES || bytes[0] != FRAME_SAMPLES || bytes[1] != FRAME_VERSION {
        return None;
    }
    let u16at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or([0; 4]));
    let n_channels = u16at(2) as usize;
    let n = u32at(4) as usize;
    let seq = u32at(8);
    let t0_s = f64::from_le_bytes(bytes[16..24].try_into().ok()?);
    let body = &bytes[HEADER_BYTES..];
    if body.len() != 4 * n * n_channels {
        return None;
    }
    let samples = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(DecodedFrame {
        seq,
        t0_s,
        n_channels,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip() {
        let samples = [0.0f32, 1.0, 2.0, 0.004, 3.0, 4.0];
        let bytes = encode_frame(7, 12.5, 3, &samples);
        assert_eq!(bytes.len(), HEADER_BYTES + 24);
        let d = decode_frame(&bytes).expect("decodes");
        assert_eq!(d.seq, 7);
        assert_eq!(d.t0_s, 12.5);
        assert_eq!(d.len(), 2);
        assert_eq!(d.samples, samples);
        assert!((d.last_time_s().unwrap() - 12.504).abs() < 1e-6);
        assert!(decode_frame(&bytes[..10]).is_none());
    }
}
