//! The debrief report of a live session: the timeline of actions, the alarms with their times,
//! the trends (as charts and as a table) and the weaning verdict, as a self-contained HTML page
//! (no script; styles from the server's own stylesheet, so the page's CSP holds) and as CSV.
//! The content is the [`Debrief`] of `GET /api/v1/sessions/{id}/debrief?format=json`; nothing
//! here computes physiology.

use crate::wire::{Debrief, TrendPoint};
use std::fmt::Write;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(String::new, |x| format!("{x:.decimals$}"))
}

/// The trend columns of the CSV and the HTML table: header and reader.
type Column = (&'static str, fn(&TrendPoint) -> Option<f64>);

const COLUMNS: &[Column] = &[
    ("t_s", |p| Some(p.t_s)),
    ("heart_rate_bpm", |p| Some(p.heart_rate_bpm)),
    ("sbp_mmhg", |p| Some(p.sbp_mmhg)),
    ("dbp_mmhg", |p| Some(p.dbp_mmhg)),
    ("map_mmhg", |p| Some(p.map_mmhg)),
    ("cvp_mmhg", |p| Some(p.cvp_mmhg)),
    ("lvedp_mmhg", |p| Some(p.lvedp_mmhg)),
    ("cardiac_output_l_min", |p| Some(p.cardiac_output_l_min)),
    ("ecmo_flow_l_min", |p| p.ecmo_flow_l_min),
    ("spo2_right_hand_percent", |p| p.spo2_right_hand_percent),
    ("spo2_leg_percent", |p| p.spo2_leg_percent),
    ("sao2_right_radial_percent", |p| p.sao2_right_radial_percent),
    ("sao2_femoral_percent", |p| p.sao2_femoral_percent),
    ("svo2_percent", |p| p.svo2_percent),
    ("paco2_right_radial_mmhg", |p| p.paco2_right_radial_mmhg),
    ("plasma_free_hb_mg_dl", |p| p.plasma_free_hb_mg_dl),
    ("blood_temperature_c", |p| p.blood_temperature_c),
];

/// The trends as CSV (one row per point; an empty cell where the quantity is absent), then
/// the action log and the alarm history as comment-free sections separated by a blank line.
pub fn csv(d: &Debrief) -> String {
    let mut out = String::new();
    out.push_str(
        &COLUMNS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push('\n');
    for p in &d.trends.points {
        let row: Vec<String> = COLUMNS.iter().map(|(_, f)| opt(f(p), 3)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out.push_str("\nt_s,source,action,detail\n");
    for e in &d.log {
        let src = serde_json::to_value(e.source)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:.3},{src},{},\"{}\"",
            e.t_s,
            e.action.name(),
            e.describe().replace('"', "'")
        );
    }
    out.push_str("\nalarm,severity,raised_s,cleared_s,message\n");
    for a in &d.trends.alarm_history {
        let _ = writeln!(
            out,
            "{},{},{:.1},{},\"{}\"",
            a.name,
            a.severity.priority(),
            a.raised_s,
            opt(a.cleared_s, 1),
            a.message.replace('"', "'")
        );
    }
    out
}

/// One trend chart as inline SVG: the series of `pick`, event markers at the logged actions.
fn chart(d: &Debrief, title: &str, unit: &str, pick: fn(&TrendPoint) -> Option<f64>) -> String {
    let (w, h, pad) = (720.0, 160.0, 36.0);
    let pts: Vec<(f64, f64)> = d
        .trends
        .points
        .iter()
        .filter_map(|p| pick(p).filter(|v| v.is_finite()).map(|v| (p.t_s, v)))
        .collect();
    let mut svg = format!(
        "<figure><figcaption>{} ({})</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(unit),
        esc(title)
    );
    if pts.len() >= 2 {
        let t0 = d.trends.points.first().map_or(0.0, |p| p.t_s);
        let t1 = d.trends.points.last().map_or(1.0, |p| p.t_s).max(t0 + 1.0);
        let lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if hi - lo < 1e-6 {
            (lo - 1.0, hi + 1.0)
        } else {
            (lo, hi)
        };
        let x = |t: f64| pad + (w - 2.0 * pad) * (t - t0) / (t1 - t0);
        let y = |v: f64| h - pad - (h - 2.0 * pad) * (v - lo) / (hi - lo);
        for e in d.log.iter().filter(|e| e.t_s >= t0 && e.t_s <= t1) {
            let _ = write!(
                svg,
                "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#888\" stroke-dasharray=\"3 3\"><title>{3}</title></line>",
                x(e.t_s),
                pad / 2.0,
                h - pad,
                esc(&format!("{:.0} s: {}", e.t_s, e.describe()))
            );
        }
        let line: Vec<String> = pts
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"{}\"/>",
            line.join(" ")
        );
        let _ = write!(
            svg,
            "<text x=\"2\" y=\"{:.0}\" font-size=\"11\">{hi:.1}</text><text x=\"2\" y=\"{:.0}\" font-size=\"11\">{lo:.1}</text><text x=\"{pad}\" y=\"{:.0}\" font-size=\"11\">{t0:.0} s</text><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\">{t1:.0} s</text>",
            pad + 4.0,
            h - pad,
            h - 8.0,
            w - pad - 40.0,
            h - 8.0
        );
    } else {
        svg.push_str("<text x=\"10\" y=\"20\" font-size=\"12\">no data</text>");
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The report as a self-contained HTML page.
pub fn html(d: &Debrief) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ecmova debrief {}</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body class=\"debrief\"><main>",
        esc(&d.session_id)
    );
    let _ = write!(
        o,
        "<h1>Debrief</h1><p>Session <code>{}</code>, preset <b>{}</b>, simulated time {:.0} s, {} beats. Research and teaching tool, not a medical device.</p>",
        esc(&d.session_id),
        esc(&d.preset),
        d.summary.simulated_s,
        d.summary.beats_simulated
    );
    o.push_str("<h2>Timeline</h2><table id=\"debrief-log\"><thead><tr><th>t (s)</th><th>source</th><th>action</th></tr></thead><tbody>");
    for e in &d.log {
        let src = match e.source {
            ecmova_scenario::simulation::Source::Timeline => "scenario",
            ecmova_scenario::simulation::Source::Live => "live",
        };
        let _ = write!(
            o,
            "<tr><td>{:.1}</td><td>{src}</td><td>{}</td></tr>",
            e.t_s,
            esc(&e.describe())
        );
    }
    if d.log.is_empty() {
        o.push_str("<tr><td colspan=\"3\">no actions</td></tr>");
    }
    o.push_str("</tbody></table>");
    o.push_str("<h2>Alarms</h2><table id=\"debrief-alarms\"><thead><tr><th>priority</th><th>alarm</th><th>from (s)</th><th>to (s)</th><th>message</th></tr></thead><tbody>");
    for a in &d.trends.alarm_history {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{:.0}</td><td>{}</td><td>{}</td></tr>",
            a.severity.priority(),
            esc(&a.name),
            a.raised_s,
            a.cleared_s
                .map_or("holds".to_string(), |c| format!("{c:.0}")),
            esc(&a.message)
        );
    }
    if d.trends.alarm_history.is_empty() {
        o.push_str("<tr><td colspan=\"5\">no alarms</td></tr>");
    }
    o.push_str("</tbody></table>");
    o.push_str("<h2>Weaning trial</h2>");
    match &d.summary.weaning_trial {
        Some(w) => {
            let verdict = w
                .readiness
                .as_ref()
                .and_then(|r| r.as_str().map(String::from))
                .unwrap_or_else(|| "no step completed yet".into());
            let _ = write!(
                o,
                "<p id=\"debrief-weaning\">Verdict: <b>{}</b> ({} steps{}).</p>",
                esc(&verdict),
                w.steps.len(),
                if w.completed {
                    ", completed"
                } else {
                    ", running"
                }
            );
        }
        None => o.push_str("<p id=\"debrief-weaning\">No weaning trial.</p>"),
    }
    o.push_str("<h2>Trends</h2>");
    o.push_str(&chart(d, "Mean arterial pressure", "mmHg", |p| {
        Some(p.map_mmhg)
    }));
    o.push_str(&chart(d, "ECMO flow", "L/min", |p| p.ecmo_flow_l_min));
    o.push_str(&chart(d, "SpO2 right hand", "%", |p| {
        p.spo2_right_hand_percent
    }));
    o.push_str(&chart(d, "SaO2 femoral", "%", |p| p.sao2_femoral_percent));
    o.push_str(&chart(d, "LVEDP", "mmHg", |p| Some(p.lvedp_mmhg)));
    o.push_str(&chart(d, "Blood temperature", "°C", |p| {
        p.blood_temperature_c
    }));
    if d.trends
        .points
        .iter()
        .any(|p| p.plasma_free_hb_mg_dl.is_some())
    {
        o.push_str(&chart(d, "Plasma free haemoglobin", "mg/dL", |p| {
            p.plasma_free_hb_mg_dl
        }));
    }
    o.push_str("<h2>Trend table</h2><table id=\"debrief-trends\"><thead><tr>");
    for (n, _) in COLUMNS {
        let _ = write!(o, "<th>{n}</th>");
    }
    o.push_str("</tr></thead><tbody>");
    for p in &d.trends.points {
        o.push_str("<tr>");
        for (_, f) in COLUMNS {
            let _ = write!(o, "<td>{}</td>", opt(f(p), 1));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></main></body></html>");
    o
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }
}
