//! A progress bar on standard error for long runs.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Runs expected to take at most this long (wall-clock seconds) show no bar.
pub const MIN_WALL_S: f64 = 1.0;

/// A progress bar of simulated time, drawn on standard error only when it is a terminal and the
/// run is expected to take more than [`MIN_WALL_S`]; otherwise every call does nothing.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    total_s: f64,
}

/// Milliseconds of simulated time: the bar's unit.
fn ms(s: f64) -> u64 {
    if s.is_finite() && s > 0.0 {
        (s * 1000.0).round().min(u64::MAX as f64) as u64
    } else {
        0
    }
}

impl Progress {
    /// A bar for a run of `total_simulated_s` simulated seconds expected to take
    /// `expected_wall_s` wall-clock seconds. Silent when standard error is not a terminal, when
    /// `expected_wall_s` is at most [`MIN_WALL_S`] (or not a number), or when the total is not
    /// positive.
    pub fn new(total_simulated_s: f64, expected_wall_s: f64) -> Self {
        let wanted = std::io::stderr().is_terminal();
        Self::with_terminal(total_simulated_s, expected_wall_s, wanted)
    }

    /// [`Progress::new`] with the terminal test given (`false` always gives a silent bar).
    fn with_terminal(total_simulated_s: f64, expected_wall_s: f64, terminal: bool) -> Self {
        let show = terminal
            && expected_wall_s.is_finite()
            && expected_wall_s > MIN_WALL_S
            && ms(total_simulated_s) > 0;
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(ms(total_simulated_s)),
                ProgressDrawTarget::stderr(),
            );
            let style = ProgressStyle::with_template(
                "simulating [{bar:40}] {msg} simulated, {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        let total_s = if total_simulated_s.is_finite() {
            total_simulated_s.max(0.0)
        } else {
            0.0
        };
        let progress = Progress { bar, total_s };
        progress.update(0.0);
        progress
    }

    /// Whether a bar is drawn.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// Sets the simulated time reached, s (clamped to `0..=total`; NaN counts as 0).
    pub fn update(&self, simulated_s: f64) {
        if let Some(bar) = &self.bar {
            let s = if simulated_s.is_finite() {
                simulated_s.clamp(0.0, self.total_s)
            } else {
                0.0
            };
            bar.set_position(ms(s));
            bar.set_message(format!("{s:.1} / {:.1} s", self.total_s));
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_when_short_or_not_a_terminal() {
        assert!(!Progress::with_terminal(60.0, 0.5, true).is_visible());
        assert!(!Progress::with_terminal(60.0, 5.0, false).is_visible());
        assert!(!Progress::with_terminal(60.0, f64::NAN, true).is_visible());
        assert!(!Progress::with_terminal(0.0, 5.0, true).is_visible());
    }

    #[test]
    fn visible_bar_takes_any_value() {
        let p = Progress::with_terminal(60.0, 5.0, true);
        assert!(p.is_visible());
        for s in [0.0, 30.0, 90.0, -1.0, f64::NAN, f64::INFINITY] {
            p.update(s);
        }
        p.finish();
        p.finish();
    }

    #[test]
    fn silent_bar_accepts_calls() {
        let p = Progress::new(f64::NAN, f64::INFINITY);
        p.update(1.0);
        p.finish();
    }
}
