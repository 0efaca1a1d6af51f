// ecmova web simulator: bedside monitor, ECMO console, PV loop and event controls.
// Hand-written, no build step, no dependencies. Talks to the JSON API under /api/v1 and to the
// session's WebSocket stream (JSON text messages + binary sample frames, see docs/api.md).
"use strict";

const API = "/api/v1";
const $ = (id) => document.getElementById(id);

// What the tests and curious users can inspect.
const stats = { frames: 0, samples: 0, drawn: {}, beats: 0, statuses: 0, lastSummary: null, errors: 0 };
window.ecmova = { stats, caps: null, session: null };

let caps = null;
let session = null; // { id, preset, token }: the token is the session's instructor token
// The server's own auth token (`ecmova serve --auth-token`), if the page was opened with
// `#auth=<token>` (a fragment never leaves the browser); kept for this tab only.
const AUTH = (() => {
  const m = /(?:^#|&)auth=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("ecmova-auth", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("ecmova-auth");
})();
let ws = null;
let channels = []; // names, index = position in a sample
let paused = false;

// ---------------------------------------------------------------------------------------------
// Formatting

function fmt(v, digits) {
  if (v === undefined || v === null || typeof v !== "number" || !isFinite(v)) return "--";
  return v.toFixed(digits);
}
function has(s, k) { return s && typeof s[k] === "number" && isFinite(s[k]); }

function log(text, cls) {
  const el = $("log");
  const line = document.createElement("div");
  if (cls) line.className = cls;
  const t = session && isFinite(stats.lastTime) ? `[${fmt(stats.lastTime, 1)} s] ` : "";
  line.textContent = t + text;
  el.appendChild(line);
  while (el.childNodes.length > 60) el.removeChild(el.firstChild);
  el.scrollTop = el.scrollHeight;
}

// ---------------------------------------------------------------------------------------------
// Sweeping traces

const ERASE_PX = 14;

class Trace {
  constructor(canvas, color, opts) {
    this.canvas = canvas;
    this.channel = canvas.dataset.channel;
    this.color = color;
    this.min = opts.min;
    this.max = opts.max;
    this.auto = !!opts.auto; // rescale to the last sweep's range
    // Pleth: the span is fixed at the first full sweep (2.5 × the pulse seen then) and only the
    // centre follows, so the wave's height is proportional to the arterial pulse volume: a
    // flat arterial line draws a flat pleth (no auto-gain).
    this.fixedSpan = !!opts.fixedSpan;
    this.grow = !!opts.grow; // widen the range when exceeded (pressures)
    this.baseMax = opts.max;
    this.scaleEl = opts.scaleEl || null;
    this.unit = opts.unit || "";
    this.window = opts.window || 6;
    this.ctx = canvas.getContext("2d");
    this.reset();
    this.resize();
  }
  reset() {
    this.lastX = null;
    this.lastY = null;
    this.seenMin = Infinity;
    this.seenMax = -Infinity;
    this.sweep = -1;
    this.autoInit = false;
    this.span = null;
    if (this.auto || this.fixedSpan) { this.min = 0; this.max = 1; }
  }
  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(20, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.clear();
    }
  }
  clear() {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.lastX = null;
  }
  rescale() {
    if (this.fixedSpan && isFinite(this.seenMin) && isFinite(this.seenMax)) {
      if (this.span === null && this.seenMax > this.seenMin) this.span = 2.5 * (this.seenMax - this.seenMin);
      const c = 0.5 * (this.seenMin + this.seenMax);
      const half = 0.5 * (this.span || Math.max(1e-3, 1e-3 * Math.abs(c)));
      this.min = c - half;
      this.max = c + half;
      this.seenMin = Infinity;
      this.seenMax = -Infinity;
      return;
    }
    if (!(this.seenMax > this.seenMin)) return;
    if (this.auto) {
      const pad = 0.12 * (this.seenMax - this.seenMin);
      this.min = this.seenMin - pad;
      this.max = this.seenMax + pad;
    } else if (this.grow) {
      const want = Math.max(this.baseMax, Math.ceil((this.seenMax + 5) / 20) * 20);
      if (want !== this.max) {
        this.max = want;
        if (this.scaleEl) this.scaleEl.textContent = `${this.min}-${this.max} ${this.unit}`;
      }
    }
    this.seenMin = Infinity;
    this.seenMax = -Infinity;
  }
  y(v) {
    const h = this.canvas.height;
    const m = 3;
    const f = (v - this.min) / (this.max - this.min || 1);
    return Math.min(h - 1, Math.max(1, h - m - f * (h - 2 * m)));
  }
  push(t, v) {
    if (!isFinite(v)) return;
    this.seenMin = Math.min(this.seenMin, v);
    this.seenMax = Math.max(this.seenMax, v);
    if (this.fixedSpan && this.span === null && !this.autoInit) {
      // First sweep: centre on the first value until the span is known.
      this.autoInit = true;
      this.min = v - 1e-3 * Math.abs(v) - 1e-6;
      this.max = v + 1e-3 * Math.abs(v) + 1e-6;
    }
    if (this.auto && (v < this.min || v > this.max)) {
      // Out of range (first sweep, or a step change): widen at once around what was seen.
      const span = Math.max(this.seenMax - this.seenMin, 1e-3 * Math.abs(v) + 1e-6);
      this.min = Math.min(this.min, this.seenMin - 0.12 * span);
      this.max = Math.max(this.max, this.seenMax + 0.12 * span);
      if (!this.autoInit) {
        this.autoInit = true;
        this.min = this.seenMin - 0.12 * span;
        this.max = this.seenMax + 0.12 * span;
      }
    }
    const W = this.canvas.width;
    const H = this.canvas.height;
    const sweep = Math.floor(t / this.window);
    const x = ((t - sweep * this.window) / this.window) * W;
    const y = this.y(v);
    const ctx = this.ctx;
    if (sweep !== this.sweep || this.lastX === null || x < this.lastX) {
      if (sweep !== this.sweep) this.rescale();
      this.sweep = sweep;
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, Math.min(W, x + ERASE_PX), H);
      this.lastX = x;
      this.lastY = this.y(v);
      return;
    }
    ctx.fillStyle = "#000";
    ctx.fillRect(x + 2, 0, ERASE_PX, H);
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 1.6 * (window.devicePixelRatio || 1);
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(this.lastX, this.lastY);
    ctx.lineTo(x, y);
    ctx.stroke();
    this.lastX = x;
    this.lastY = y;
    stats.drawn[this.channel] = (stats.drawn[this.channel] || 0) + 1;
  }
}

const css = getComputedStyle(document.documentElement);
const color = (name) => css.getPropertyValue(name).trim() || "#fff";
const traces = [
  new Trace($("tr-ecg"), color("--ecg"), { min: -0.45, max: 1.25 }),
  new Trace($("tr-abp"), color("--abp"), { min: 0, max: 160, grow: true, scaleEl: $("sc-abp"), unit: "mmHg" }),
  new Trace($("tr-pa"), color("--pa"), { min: 0, max: 60, grow: true, scaleEl: $("sc-pa"), unit: "mmHg" }),
  new Trace($("tr-cvp"), color("--cvp"), { min: 0, max: 25, grow: true, scaleEl: $("sc-cvp"), unit: "mmHg" }),
  new Trace($("tr-plr"), color("--spo2"), { min: 0, max: 1, fixedSpan: true }),
  new Trace($("tr-pll"), color("--spo2leg"), { min: 0, max: 1, fixedSpan: true }),
];

// ---------------------------------------------------------------------------------------------
// PV loop

// `rel`: the LV's ESPVR and EDPVR in force, from the server (GET .../pv_relations: the
// engine's chamber law sampled with its current parameters; no physiology here).
const pv = { canvas: $("pvloop"), points: [], ref: null, rel: null, maxPoints: 700, vmax: 250, pmax: 160 };
stats.pvDrawn = { espvr: 0, edpvr: 0, ref: 0 };

async function refreshPvRelations() {
  if (!session) return;
  try {
    pv.rel = await api("GET", `/sessions/${session.id}/pv_relations`, undefined, session);
    window.ecmova.pvRelations = pv.rel;
  } catch (e) { /* the session may have ended, or the patient has no LV chamber */ }
}

function resizePv() {
  const dpr = window.devicePixelRatio || 1;
  pv.canvas.width = Math.round(pv.canvas.clientWidth * dpr);
  pv.canvas.height = Math.round(pv.canvas.clientHeight * dpr);
}

function drawPv() {
  const c = pv.canvas;
  const ctx = c.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  const W = c.width;
  const H = c.height;
  const L = 38 * dpr;
  const B = 24 * dpr;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, W, H);
  // Axes with ticks.
  ctx.strokeStyle = "#26303a";
  ctx.fillStyle = "#6f7d8b";
  ctx.lineWidth = 1;
  ctx.font = `${10 * dpr}px sans-serif`;
  const px = (v) => L + (v / pv.vmax) * (W - L - 8 * dpr);
  const py = (p) => H - B - (p / pv.pmax) * (H - B - 8 * dpr);
  for (let v = 0; v <= pv.vmax; v += 50) {
    ctx.beginPath(); ctx.moveTo(px(v), py(0)); ctx.lineTo(px(v), py(pv.pmax)); ctx.stroke();
    ctx.fillText(String(v), px(v) - 8 * dpr, H - 8 * dpr);
  }
  for (let p = 0; p <= pv.pmax; p += 40) {
    ctx.beginPath(); ctx.moveTo(px(0), py(p)); ctx.lineTo(px(pv.vmax), py(p)); ctx.stroke();
    ctx.fillText(String(p), 4 * dpr, py(p) + 3 * dpr);
  }
  ctx.fillText("LV volume, mL", W - 90 * dpr, H - 8 * dpr);
  ctx.fillText("LV pressure, mmHg", L + 4 * dpr, 16 * dpr);
  // ESPVR and EDPVR in force (dashed), clipped to the plot.
  ctx.save();
  ctx.beginPath(); ctx.rect(px(0), py(pv.pmax), px(pv.vmax) - px(0), py(0) - py(pv.pmax)); ctx.clip();
  const relation = (pts, col, label, dx, dy) => {
    if (!pts || pts.length < 2) return 0;
    ctx.strokeStyle = col;
    ctx.fillStyle = col;
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([6 * dpr, 4 * dpr]);
    ctx.beginPath();
    ctx.moveTo(px(pts[0].volume_ml), py(pts[0].pressure_mmhg));
    let shown = 0, end = pts[0];
    pts.forEach((q, i) => {
      if (i > 0) ctx.lineTo(px(q.volume_ml), py(q.pressure_mmhg));
      if (q.volume_ml <= pv.vmax && q.pressure_mmhg <= pv.pmax) { shown += 1; end = q; }
    });
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillText(label, px(end.volume_ml) + dx * dpr, py(end.pressure_mmhg) + dy * dpr);
    return shown;
  };
  const rel = pv.rel;
  stats.pvDrawn.espvr = rel ? relation(rel.espvr_points, "#e8dc6a", "ESPVR", 6, 14) : 0;
  stats.pvDrawn.edpvr = rel ? relation(rel.edpvr_points, "#7fb8e8", "EDPVR", -34, -4) : 0;
  ctx.restore();
  // The captured reference loop (grey), for before/after comparison.
  stats.pvDrawn.ref = pv.ref ? pv.ref.length : 0;
  if (pv.ref && pv.ref.length > 1) {
    ctx.strokeStyle = "rgba(190,190,190,0.55)";
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    ctx.moveTo(px(pv.ref[0][0]), py(pv.ref[0][1]));
    for (let i = 1; i < pv.ref.length; i++) ctx.lineTo(px(pv.ref[i][0]), py(pv.ref[i][1]));
    ctx.stroke();
  }
  // The loop, fading with age.
  const n = pv.points.length;
  if (n < 2) return;
  ctx.lineWidth = 2 * dpr;
  for (let i = 1; i < n; i++) {
    const a = 0.15 + 0.85 * (i / n);
    ctx.strokeStyle = `rgba(255,157,46,${a.toFixed(3)})`;
    ctx.beginPath();
    ctx.moveTo(px(pv.points[i - 1][0]), py(pv.points[i - 1][1]));
    ctx.lineTo(px(pv.points[i][0]), py(pv.points[i][1]));
    ctx.stroke();
  }
  const last = pv.points[n - 1];
  ctx.fillStyle = "#fff";
  ctx.beginPath(); ctx.arc(px(last[0]), py(last[1]), 3 * dpr, 0, 2 * Math.PI); ctx.fill();
}

function pushPv(v, p) {
  pv.points.push([v, p]);
  if (pv.points.length > pv.maxPoints) pv.points.splice(0, pv.points.length - pv.maxPoints);
  if (v > pv.vmax - 10) pv.vmax = Math.ceil((v + 20) / 50) * 50;
  if (p > pv.pmax - 5) pv.pmax = Math.ceil((p + 10) / 40) * 40;
}

// ---------------------------------------------------------------------------------------------
// Trends (kept by the server: GET .../trends; a reload shows them again)

const trend = { canvas: $("trends"), points: [], log: [] };

function drawTrends() {
  const c = trend.canvas;
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.round(c.clientWidth * dpr);
  c.height = Math.round(c.clientHeight * dpr);
  const ctx = c.getContext("2d");
  const W = c.width, H = c.height;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, W, H);
  const pts = trend.points;
  if (pts.length < 2) return;
  const t0 = pts[0].t_s, t1 = Math.max(pts[pts.length - 1].t_s, t0 + 1);
  const x = (t) => 30 * dpr + (W - 36 * dpr) * (t - t0) / (t1 - t0);
  const y = (v) => H - 12 * dpr - (H - 20 * dpr) * Math.min(1, Math.max(0, v / 120));
  ctx.fillStyle = "#6f7d8b";
  ctx.font = `${9 * dpr}px sans-serif`;
  [0, 60, 120].forEach((v) => ctx.fillText(String(v), 2, y(v) + 3 * dpr));
  ctx.strokeStyle = "#555";
  ctx.setLineDash([3 * dpr, 3 * dpr]);
  trend.log.forEach((e) => {
    if (e.t_s < t0 || e.t_s > t1) return;
    ctx.beginPath(); ctx.moveTo(x(e.t_s), 0); ctx.lineTo(x(e.t_s), H); ctx.stroke();
  });
  ctx.setLineDash([]);
  const line = (key, scale, col) => {
    ctx.strokeStyle = col;
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    let pen = false;
    pts.forEach((p) => {
      const v = p[key];
      if (typeof v !== "number") { pen = false; return; }
      if (pen) ctx.lineTo(x(p.t_s), y(v * scale)); else ctx.moveTo(x(p.t_s), y(v * scale));
      pen = true;
    });
    ctx.stroke();
  };
  line("map_mmhg", 1, color("--abp"));
  line("ecmo_flow_l_min", 10, "#35d07f");
  line("spo2_right_hand_percent", 1, color("--spo2"));
}

async function refreshTrends() {
  if (!session) return;
  try {
    const t = await api("GET", `/sessions/${session.id}/trends`, undefined, session);
    trend.points = t.points;
    window.ecmova.trends = t;
    drawTrends();
  } catch (e) { /* the session may have ended */ }
}

// ---------------------------------------------------------------------------------------------
// Stream

function onFrame(buf) {
  const dv = new DataView(buf);
  if (dv.byteLength < 24 || dv.getUint8(0) !== 1) return;
  const C = dv.getUint16(2, true);
  const N = dv.getUint32(4, true);
  const t0 = dv.getFloat64(16, true);
  if (C !== channels.length || dv.byteLength !== 24 + 4 * N * C) return;
  const f = new Float32Array(buf, 24, N * C);
  const idx = traces.map((tr) => channels.indexOf(tr.channel));
  const iv = channels.indexOf("v_lv_ml");
  const ip = channels.indexOf("p_lv_mmhg");
  for (let i = 0; i < N; i++) {
    const row = i * C;
    const t = t0 + f[row];
    for (let k = 0; k < traces.length; k++) {
      if (idx[k] >= 0) traces[k].push(t, f[row + idx[k]]);
    }
    if (iv >= 0 && ip >= 0 && i % 2 === 0) pushPv(f[row + iv], f[row + ip]);
    stats.lastTime = t;
  }
  stats.frames += 1;
  stats.samples += N;
  $("st-frames").textContent = String(stats.frames);
  $("simtime").textContent = fmt(stats.lastTime, 1);
}

function onText(msg) {
  let m;
  try { m = JSON.parse(msg); } catch (e) { return; }
  if (m.type === "hello" || m.type === "channels") {
    channels = m.channels.map((c) => c.name);
    traces.forEach((t) => t.clear());
  } else if (m.type === "status") {
    stats.statuses += 1;
    paused = !!m.paused;
    $("pause").textContent = paused ? "Resume" : "Pause";
    $("st-ratio").textContent = m.realtime_ratio == null ? "--" : fmt(m.realtime_ratio, 2);
    showSummary(m.summary || {});
  } else if (m.type === "beat") {
    stats.beats += 1;
  } else if (m.type === "closed") {
    $("st-stream").textContent = "closed";
  }
}

function connect(id) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  let q = `?token=${encodeURIComponent(session.token)}`;
  if (AUTH) q += `&auth=${encodeURIComponent(AUTH)}`;
  const sock = new WebSocket(`${proto}//${location.host}${API}/sessions/${id}/stream${q}`);
  sock.binaryType = "arraybuffer";
  sock.onopen = () => { $("st-stream").textContent = "live"; };
  sock.onmessage = (ev) => {
    if (typeof ev.data === "string") onText(ev.data);
    else onFrame(ev.data);
  };
  sock.onclose = () => {
    if (ws === sock) {
      $("st-stream").textContent = "disconnected";
      // Reconnect while the session exists.
      setTimeout(() => { if (ws === sock && session && session.id === id) ws = connect(id); }, 1500);
    }
  };
  return sock;
}

// ---------------------------------------------------------------------------------------------
// Numbers, ECMO console, alarms

function setText(id, text) { const el = $(id); if (el.textContent !== text) el.textContent = text; }

// The alarm limits in force (the driver's `alarm_limits`); the inputs follow them unless the
// user is editing one. The page never compares a value with a limit: the alarms come from Rust.
const LIMIT_INPUTS = [
  ["lim-map-low", "map_low_mmhg"], ["lim-map-high", "map_high_mmhg"],
  ["lim-hr-low", "heart_rate_low_bpm"], ["lim-hr-high", "heart_rate_high_bpm"],
  ["lim-spo2", "spo2_low_percent"], ["lim-flow", "ecmo_flow_low_l_min"],
];
function showLimits(l) {
  if (!l) return;
  LIMIT_INPUTS.forEach(([id, key]) => {
    const el = $(id);
    if (document.activeElement !== el && el.dataset.edited !== "1") el.value = String(l[key]);
  });
  setText("lim-now", `MAP ${l.map_low_mmhg}-${l.map_high_mmhg}, HR ${l.heart_rate_low_bpm}-${l.heart_rate_high_bpm}, SpO2 ≥ ${l.spo2_low_percent}, flow ≥ ${l.ecmo_flow_low_l_min}`);
}

function ecmoRunning(s) {
  return s.ecmo_running === true;
}

function showSummary(s) {
  stats.lastSummary = s;
  setText("v-hr", fmt(s.heart_rate_bpm, 0));
  setText("v-co", fmt(s.cardiac_output_l_min, 1));
  // The rhythm as the driver reports it (a shock's outcome shows here and in the alarms).
  setText("v-rhythm", ({ sinus: "sinus", vf: "VF", asystole: "asystole" })[s.rhythm] || "--");
  showLimits(s.alarm_limits);
  $("cpr").textContent = s.cpr_in_progress ? "Stop CPR" : "Start CPR";
  setText("cpr-state", s.cpr_in_progress ? "compressions 110/min" : "");
  setText("v-abp", `${fmt(s.sbp_mmhg, 0)}/${fmt(s.dbp_mmhg, 0)}`);
  setText("v-map", fmt(s.map_mmhg, 0));
  setText("v-mapfem", fmt(s.map_femoral_mmhg, 0));
  setText("v-pa", `${fmt(s.pa_systolic_mmhg, 0)}/${fmt(s.pa_diastolic_mmhg, 0)}`);
  setText("v-pam", fmt(s.pa_mean_mmhg, 0));
  setText("v-lap", fmt(s.lap_mmhg, 0));
  setText("v-cvp", fmt(s.cvp_mmhg, 0));
  setText("v-lvef", fmt(s.lvef_percent, 0));
  // SpO2 is what a pulse oximeter reads: null (no usable pulse) is shown as "?", not 100 %.
  const spo2 = (k, q) => {
    const noPulse = s[k] === null;
    setText(q, noPulse ? "no pulse" : "");
    return noPulse ? "?" : fmt(s[k], 0);
  };
  setText("v-spo2r", spo2("spo2_right_hand_percent", "q-spo2r"));
  setText("v-spo2l", spo2("spo2_leg_percent", "q-spo2l"));
  setText("v-svo2", fmt(s.svo2_percent, 0));
  const avClosed = Array.isArray(s.alarms) && s.alarms.some((a) => a.name === "aortic_valve_closed");
  setText("v-avo", has(s, "aortic_valve_opening_fraction") ? (avClosed ? "NO" : "yes") : "--");

  const running = ecmoRunning(s);
  const avail = typeof s.ecmo_running === "boolean"; // a circuit is in place
  const failures = Array.isArray(s.circuit_failures) ? s.circuit_failures : [];
  const st = $("ecmo-state");
  st.textContent = !avail ? "NO CIRCUIT" : failures.length ? "FAILURE" : running ? "RUNNING" : "CLAMPED";
  st.className = "state" + (running && !failures.length ? " on" : failures.length || (avail && !running) ? " off" : "");
  // A circuit in place reads its sensors whether it runs or not: clamped is 0 L/min, not "--".
  const ev = (k, d) => (avail && has(s, k) ? fmt(s[k], d) : "--");
  setText("ecmo-rpm", ev("pump_rpm_setting", 0));
  setText("ecmo-flow", ev("ecmo_flow_l_min", 2));
  setText("ecmo-pven", ev("drainage_pressure_mmhg", 0));
  setText("ecmo-ppre", ev("pre_oxygenator_pressure_mmhg", 0));
  setText("ecmo-ppost", ev("post_oxygenator_pressure_mmhg", 0));
  setText("ecmo-dp", ev("oxygenator_dp_mmhg", 0));
  setText("ecmo-sweep", ev("sweep_l_min", 1));
  setText("ecmo-fdo2", avail && has(s, "fdo2") ? fmt(100 * s.fdo2, 0) : "--");
  setText("ecmo-total", fmt(s.total_flow_l_min, 2));
  setText("ecmo-po2", ev("post_oxygenator_po2_mmhg", 0));
  setText("ecmo-svo2", fmt(s.svo2_percent, 0));
  setText("ecmo-hb", fmt(s.hemoglobin_g_dl, 1));
  // Plasma free haemoglobin (a lab value the driver models; absent without a running circuit).
  setText("ecmo-pfhb", fmt(s.plasma_free_hb_mg_dl, 0));
  setText("ecmo-temp", has(s, "blood_temperature_c") ? fmt(s.blood_temperature_c, 1) + (avail && has(s, "heater_temperature_c") ? " / " + fmt(s.heater_temperature_c, 1) : "") : "--");
  setText("ecmo-cann", avail ? s.cannulation || "--" : "--");
  const bleed = typeof s.bleeding_ml_min === "number" ? `; bleeding ${fmt(s.bleeding_ml_min, 0)} mL/min, lost ${fmt(s.blood_lost_ml, 0)} mL` : "";
  setText("ecmo-fail", (failures.length ? failures.join(", ").replace(/_/g, " ") : "none") + bleed);
  // Inputs show the circuit's actual settings: each is rewritten when the setting changes on
  // the server (an action from any screen, the end of a weaning trial), never while typed in.
  const sync = (id, v) => {
    const el = $(id);
    if ((typeof v !== "number" || !isFinite(v)) && typeof v !== "string") return;
    if (synced[id] === v || document.activeElement === el) return;
    synced[id] = v;
    el.value = String(v);
  };
  if (avail) {
    sync("rpm", Math.round(s.pump_rpm_setting));
    sync("sweep", Math.round(10 * s.sweep_l_min) / 10);
    sync("heater", s.heater_temperature_c);
    sync("fdo2", Math.round(100 * s.fdo2));
    if (s.cannulation) sync("cannulation", s.cannulation);
  }
  if (has(s, "hemoglobin_g_dl")) sync("hb", s.hemoglobin_g_dl);
  showDevices(s);
  showWeaning(s);
  showAlarms(s);
}

const synced = {};

function showDevices(s) {
  const el = $("devices");
  const list = (Array.isArray(s.devices) ? s.devices : []).filter((d) => d.active);
  const parts = list.map((d) => {
    if (d.kind === "impella") return `IMPELLA P${d.performance_level} ${fmt(s.impella_flow_l_min, 1)} L/min`;
    if (d.kind === "iabp") return `IABP 1:${d.ratio} aug ${fmt(s.augmented_diastolic_pressure_mmhg, 0)} mmHg`;
    if (d.kind === "lv_vent") return `LV VENT ${fmt(s.lv_vent_flow_l_min, 2)} L/min`;
    if (d.kind === "atrial_septostomy") return `SEPTOSTOMY ${fmt(d.diameter_mm, 0)} mm ${fmt(s.septostomy_flow_l_min, 2)} L/min`;
    return d.kind;
  });
  const text = parts.length ? parts.join(" · ") : "no LV unloading device running";
  setText("devices", text);
}

function showWeaning(s) {
  const w = s.weaning_trial;
  const el = $("weaning");
  if (!w) { setText("weaning", ""); return; }
  const steps = (w.steps || []).map((st) => `${fmt(st.flow_l_min, 1)} L/min: ${st.verdict && st.verdict.readiness ? st.verdict.readiness : "?"}`);
  const verdict = w.readiness ? String(w.readiness).replace(/_/g, " ") : "running";
  el.dataset.verdict = w.readiness || "";
  setText("weaning", `Verdict: ${verdict}${w.completed ? " (trial completed)" : ""}. ${steps.join("; ")}`);
}

// Alarms are decided once, in Rust (the simulation's alarm objects, critical first): the page
// only renders what the server sends.
function showAlarms(s) {
  const list = Array.isArray(s.alarms) ? s.alarms : [];
  const el = $("alarms");
  el.innerHTML = "";
  if (s.stopped) {
    const d = document.createElement("div");
    d.className = "a";
    d.textContent = "▲ SIMULATION STOPPED: " + s.stopped;
    el.appendChild(d);
  }
  if (list.length === 0 && !s.stopped) {
    el.innerHTML = '<span class="none">No alarm</span>';
  }
  const acked = Array.isArray(s.acknowledged_alarms) ? s.acknowledged_alarms : [];
  // IEC 60601-1-8 colours: high red, medium yellow, low cyan; the server's order (priority).
  list.forEach((a) => {
    const d = document.createElement("div");
    d.className = "a " + (a.severity === "warning" ? "warn" : a.severity === "advisory" ? "advisory" : "crit");
    if (acked.includes(a.name)) d.className += " acked";
    d.dataset.alarm = a.name;
    d.dataset.severity = a.severity;
    const mark = a.severity === "critical" ? "▲▲▲ " : a.severity === "warning" ? "▲▲ " : "▲ ";
    d.textContent = mark + a.message;
    if (!acked.includes(a.name)) {
      const b = document.createElement("button");
      b.textContent = "ack";
      b.className = "ack";
      b.onclick = () => api("POST", `/sessions/${session.id}/alarms`, { command: "acknowledge", name: a.name }, session).catch((e) => log(e.message, "err"));
      d.appendChild(b);
    }
    el.appendChild(d);
  });
  setText("audio-state", typeof s.audio_paused_until_s === "number" ? `audio paused until ${fmt(s.audio_paused_until_s, 0)} s` : "");
  const raised = (name) => list.some((a) => a.name === name && a.severity === "critical");
  $("box-abp").classList.toggle("alarm", raised("low_map"));
  $("box-spo2r").classList.toggle("alarm", raised("low_sao2_right_radial") || raised("differential_hypoxaemia"));
  $("box-hr").classList.toggle("alarm", raised("ventricular_fibrillation") || raised("asystole"));
}

// ---------------------------------------------------------------------------------------------
// API calls

// Headers of every API request: the server's auth token, and the token of `s` (a session).
function authHeaders(s) {
  const h = {};
  if (AUTH) h["X-Ecmova-Auth"] = AUTH;
  if (s && s.token) h["Authorization"] = `Bearer ${s.token}`;
  return h;
}

async function api(method, path, body, s) {
  const opts = { method, headers: authHeaders(s) };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(API + path, opts);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) {
    stats.errors += 1;
    const err = new Error(j && j.message ? j.message : `HTTP ${r.status}`);
    err.body = j;
    err.status = r.status;
    throw err;
  }
  return j;
}

async function send(event) {
  if (!session) { log("start a scenario first", "err"); return null; }
  try {
    const path = event.command ? "clock" : "events";
    const r = await api("POST", `/sessions/${session.id}/${path}`, event, session);
    log(r.detail || r.applied, "ok");
    if (event.action) { trend.log.push({ t_s: r.t_s, action: event }); refreshPvRelations(); }
    return r;
  } catch (e) {
    log(`${event.action || event.command}: ${e.message}${e.body && e.body.field ? ` (field ${e.body.field})` : ""}`, "err");
    return null;
  }
}

// The session lives in the URL fragment (#session=<id>&token=<token>&role=...): a fragment never
// leaves the browser, a reload re-attaches to the running session, and a second screen opens
// the learner's URL to attach to the same session with the learner's token.
function fragment() {
  const out = {};
  location.hash.replace(/^#/, "").split("&").forEach((kv) => {
    const i = kv.indexOf("=");
    if (i > 0) out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
  });
  return out;
}

function setRole(role) {
  window.ecmova.role = role;
  document.body.classList.toggle("learner", role === "learner");
  setText("role", role);
}

async function attach(id, token, role, learnerToken) {
  if (ws) { const w = ws; ws = null; w.close(); }
  session = { id, token, role, learnerToken };
  window.ecmova.session = session;
  setRole(role);
  history.replaceState(null, "", `${location.pathname}${location.search}#session=${id}&token=${encodeURIComponent(token)}&role=${role}` + (learnerToken ? `&learner=${encodeURIComponent(learnerToken)}` : ""));
  traces.forEach((t) => { t.reset(); t.clear(); });
  pv.points = [];
  pv.vmax = 250;
  pv.pmax = 160;
  $("overlay").style.display = "none";
  $("pause").disabled = false;
  let info;
  try {
    info = await api("GET", `/sessions/${id}`, undefined, session);
  } catch (e) {
    log(`cannot attach to session ${id.slice(0, 8)}: ${e.message}`, "err");
    session = null;
    window.ecmova.session = null;
    $("overlay").style.display = "";
    return false;
  }
  setText("st-preset", info.preset);
  setText("st-session", id.slice(0, 8));
  if (learnerToken) {
    const url = `${location.origin}/#session=${id}&token=${encodeURIComponent(learnerToken)}&role=learner`;
    $("learner-link").value = url;
    $("learner-open").href = url;
  }
  // The event log survives a reload: it is the driver's action log, kept by the server.
  try {
    const l = await api("GET", `/sessions/${id}/log`, undefined, session);
    trend.log = l.actions;
    $("log").innerHTML = "";
    l.actions.forEach((a) => log(`[${fmt(a.t_s, 1)} s] ${a.action.action} (${a.source})`, "ok"));
  } catch (e) { /* ignore */ }
  refreshTrends();
  pv.rel = null;
  refreshPvRelations();
  ws = connect(id);
  return true;
}

// `replace`: Start deletes the running session after a confirmation (a second click within
// 5 s); a file upload (scenario, snapshot) is an explicit choice and leaves the old session
// running (it expires when idle), so nothing is deleted without asking.
async function create(body, what, replace) {
  if (replace && session && !confirmReplace()) return;
  const old = replace ? session : null;
  let r;
  try {
    r = await api("POST", "/sessions", body);
  } catch (e) {
    log(`cannot start ${what}: ${e.message}${e.body && e.body.field ? ` (field ${e.body.field})` : ""}`, "err");
    return;
  }
  if (old && old.role === "instructor") api("DELETE", `/sessions/${old.id}`, undefined, old).catch(() => {});
  await attach(r.id, r.instructor_token, "instructor", r.learner_token);
  log(`started ${what}`, "ok");
}

let replaceArmed = 0;
function confirmReplace() {
  const now = Date.now();
  if (now - replaceArmed < 5000) { replaceArmed = 0; $("start").textContent = "Start"; return true; }
  replaceArmed = now;
  $("start").textContent = "Replace session?";
  log("a session is running: press Start again within 5 s to replace it (it will be deleted)", "err");
  setTimeout(() => { if (Date.now() - replaceArmed >= 5000) $("start").textContent = "Start"; }, 5100);
  return false;
}

async function start() {
  const preset = $("preset").value;
  const speed = parseFloat($("speed").value) || 1;
  // Sessions start from the preset's settled state (the server runs to steady state first).
  const body = { preset, speed, settle: true };
  if ($("baroreflex").checked) body.overrides = { baroreflex: true };
  await create(body, preset, true);
}

async function download(path, name, type) {
  if (!session) { log("start a scenario first", "err"); return; }
  try {
    const r = await fetch(API + path, { headers: authHeaders(session) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const blob = new Blob([await r.text()], { type });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    window.ecmova.lastDownload = { path, name, size: blob.size };
    log(`downloaded ${name}`, "ok");
  } catch (e) {
    log(`cannot download ${name}: ${e.message}`, "err");
  }
}

function readFile(input) {
  return new Promise((resolve, reject) => {
    const f = input.files && input.files[0];
    if (!f) { reject(new Error("no file")); return; }
    const rd = new FileReader();
    rd.onload = () => resolve({ name: f.name, text: String(rd.result) });
    rd.onerror = () => reject(rd.error);
    rd.readAsText(f);
  });
}

async function loadScenario() {
  const f = await readFile($("scenario-file"));
  let body;
  if (/\.json$/i.test(f.name)) {
    try { body = { scenario: JSON.parse(f.text) }; } catch (e) { log(`${f.name}: not JSON (${e.message})`, "err"); return; }
  } else {
    body = { scenario_toml: f.text };
  }
  body.speed = parseFloat($("speed").value) || 1;
  await create(body, f.name, false);
}

async function restoreSnapshot() {
  const f = await readFile($("snap-file"));
  let snap;
  try { snap = JSON.parse(f.text); } catch (e) { log(`${f.name}: not JSON (${e.message})`, "err"); return; }
  await create({ snapshot: snap, speed: parseFloat($("speed").value) || 1 }, `snapshot ${f.name}`, false);
}

function numberOf(id) {
  const v = parseFloat($(id).value);
  return isFinite(v) ? v : NaN;
}

function wire() {
  $("start").onclick = start;
  $("pause").onclick = () => send({ command: paused ? "resume" : "pause" }).then((r) => {
    if (r) { paused = !paused; $("pause").textContent = paused ? "Resume" : "Pause"; }
  });
  $("speed").onchange = () => { if (session) send({ command: "set_speed", speed: numberOf("speed") }); };
  $("hr-set").onclick = () => send({ action: "set_heart_rate", heart_rate_bpm: numberOf("hr") });
  $("contr-set").onclick = () => send({ action: "set_lv_contractility", lv_contractility_scale: numberOf("contr") });
  $("rv-contr-set").onclick = () => send({ action: "set_rv_contractility", rv_contractility_scale: numberOf("rv-contr") });
  $("svr-set").onclick = () => send({ action: "set_svr", svr_scale: numberOf("svr") });
  $("fluid-250").onclick = () => send({ action: "fluid", volume_ml: 250 });
  $("fluid-500").onclick = () => send({ action: "fluid", volume_ml: 500 });
  $("fluid-m250").onclick = () => send({ action: "fluid", volume_ml: -250 });
  $("fluid-set").onclick = () => send({ action: "fluid", volume_ml: numberOf("fluid") });
  $("ecmo-start").onclick = async () => {
    if (await send({ action: "set_pump_rpm", rpm: numberOf("rpm") })) send({ action: "start_ecmo" });
  };
  $("ecmo-stop").onclick = () => send({ action: "stop_ecmo" });
  const rpmStep = (d) => {
    // No range here: the server checks the pump's own maximum and names it in its error.
    const v = (numberOf("rpm") || 0) + d;
    $("rpm").value = String(v);
    send({ action: "set_pump_rpm", rpm: v });
  };
  $("rpm-up").onclick = () => rpmStep(250);
  $("rpm-down").onclick = () => rpmStep(-250);
  $("rpm").onchange = () => { if (isFinite(numberOf("rpm"))) send({ action: "set_pump_rpm", rpm: numberOf("rpm") }); };
  $("sweep-set").onclick = () => send({ action: "set_sweep", sweep_l_min: numberOf("sweep") });
  $("heater-set").onclick = () => send({ action: "set_temperature", heater_temperature_c: numberOf("heater") });
  // Vasopressin is dosed in U/min, the others in µg/kg/min (the driver checks which key).
  const doseKey = () => ($("drug").value === "vasopressin" ? "dose_u_min" : "dose_ug_kg_min");
  $("drug").onchange = () => { setText("dose-unit", doseKey() === "dose_u_min" ? "U/min" : "µg/kg/min"); };
  $("drug-set").onclick = () => send({ action: "infusion", drug: $("drug").value, [doseKey()]: numberOf("dose") });
  $("defib").onclick = () => send({ action: "defibrillate" });
  $("cpr").onclick = () => {
    const on = !(stats.lastSummary && stats.lastSummary.cpr_in_progress);
    send({ action: "cpr", active: on });
  };
  // A limit the user touches stops following the driver until it is sent.
  LIMIT_INPUTS.forEach(([id]) => { $(id).onfocus = $(id).oninput = () => { $(id).dataset.edited = "1"; }; });
  $("lim-set").onclick = async () => {
    const ev = { action: "set_alarm_limits" };
    LIMIT_INPUTS.forEach(([id, key]) => { if ($(id).dataset.edited === "1" && isFinite(numberOf(id))) ev[key] = numberOf(id); });
    if (Object.keys(ev).length === 1) { log("change a limit first", "err"); return; }
    if (await send(ev)) LIMIT_INPUTS.forEach(([id]) => { delete $(id).dataset.edited; });
  };
  $("device-on").onclick = () => {
    const ev = { action: "set_device", device: $("device").value, active: true };
    if (ev.device === "impella") ev.performance_level = Number($("impella-level").value);
    send(ev);
  };
  $("device-off").onclick = () => send({ action: "set_device", device: $("device").value, active: false });
  $("arrest").onclick = () => send({ action: "arrest", rhythm: "vf" });
  $("asystole").onclick = () => send({ action: "arrest", rhythm: "asystole" });
  $("rosc").onclick = () => send({ action: "rosc" });
  $("wean-set").onclick = () => send({
    action: "weaning_trial",
    flows_l_min: $("wean").value.split(/[ ,;]+/).filter((x) => x).map(Number),
    step_s: numberOf("wean-step"),
  });
  $("fdo2-set").onclick = () => send({ action: "set_fdo2", fdo2: numberOf("fdo2") / 100 });
  $("fio2-set").onclick = () => send({ action: "set_fio2", fio2: numberOf("fio2") / 100 });
  $("shunt-set").onclick = () => send({ action: "set_lung_shunt", lung_shunt_fraction: numberOf("shunt") / 100 });
  $("hb-set").onclick = () => send({ action: "set_hemoglobin", hemoglobin_g_dl: numberOf("hb") });
  $("cann-set").onclick = () => send({ action: "set_cannulation", cannulation: $("cannulation").value });
  $("circuit-set").onclick = () => send({
    action: "set_circuit",
    drainage_cannula_fr: numberOf("drain-fr"),
    return_cannula_fr: numberOf("return-fr"),
    pump: $("pump-model").value,
    oxygenator: $("oxy-model").value,
  });
  $("fail-set").onclick = () => send({ action: "circuit_failure", failure: $("failure").value });
  $("repair").onclick = () => send({ action: "circuit_repair" });
  $("silence").onclick = () => { if (session) api("POST", `/sessions/${session.id}/alarms`, { command: "silence" }, session).then((r) => log(r.detail, "ok")).catch((e) => log(e.message, "err")); };
  $("pv-ref").onclick = () => { pv.ref = pv.points.slice(-Math.min(pv.points.length, 400)); };
  $("pv-ref-clear").onclick = () => { pv.ref = null; };
  $("scenario-file").onchange = () => loadScenario().catch((e) => log(e.message, "err"));
  $("snap-file").onchange = () => restoreSnapshot().catch((e) => log(e.message, "err"));
  $("snap-save").onclick = () => session && download(`/sessions/${session.id}/snapshot`, `ecmova-snapshot-${session.id.slice(0, 8)}.json`, "application/json");
  $("debrief-html").onclick = () => session && download(`/sessions/${session.id}/debrief`, `ecmova-debrief-${session.id.slice(0, 8)}.html`, "text/html");
  $("debrief-json").onclick = () => session && download(`/sessions/${session.id}/debrief?format=json`, `ecmova-debrief-${session.id.slice(0, 8)}.json`, "application/json");
  $("debrief-csv").onclick = () => session && download(`/sessions/${session.id}/debrief?format=csv`, `ecmova-debrief-${session.id.slice(0, 8)}.csv`, "text/csv");
  // Keyboard shortcuts for the common actions (not while typing).
  document.addEventListener("keydown", (e) => {
    const tag = (document.activeElement && document.activeElement.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
    const instructor = !session || session.role === "instructor";
    if (e.key === "m") $("silence").click();
    else if (e.key === " " && instructor && session) { e.preventDefault(); $("pause").click(); }
    else if (e.key === "s" && instructor) $("start").click();
    else if (e.key === "v" && instructor) $("arrest").click();
    else if (e.key === "d") $("defib").click();
    else if (e.key === "+") $("rpm-up").click();
    else if (e.key === "-") $("rpm-down").click();
  });
  window.addEventListener("resize", () => { traces.forEach((t) => t.resize()); resizePv(); drawTrends(); });
  // Leaving or reloading the page does not delete the session: it stays until deleted or
  // idle-expired, and a reload (the URL keeps it) re-attaches.
  setInterval(refreshTrends, 5000);
  // The relations change with drugs and the baroreflex too, not only with actions.
  setInterval(refreshPvRelations, 5000);
}

function applyCaps() {
  // Every control sends an action the server lists; anything else is disabled.
  const actions = (caps && caps.actions) || [];
  document.querySelectorAll("[data-action]").forEach((b) => {
    if (!actions.includes(b.dataset.action)) { b.disabled = true; b.title = "not available in this build"; }
  });
}

async function init() {
  wire();
  resizePv();
  (function loop() { drawPv(); requestAnimationFrame(loop); })();
  try {
    caps = await api("GET", "/capabilities");
    window.ecmova.caps = caps;
    applyCaps();
    const p = await api("GET", "/presets");
    const sel = $("preset");
    sel.innerHTML = "";
    p.presets.forEach((x) => {
      const o = document.createElement("option");
      o.value = x.name;
      o.textContent = x.name;
      o.title = x.description;
      if (x.name === "cardiogenic-shock-ami") o.selected = true;
      sel.appendChild(o);
    });
    const max = caps.limits && caps.limits.max_speed;
    Array.from($("speed").options).forEach((o) => { if (max && parseFloat(o.value) > max) o.disabled = true; });
  } catch (e) {
    log(`cannot reach the server: ${e.message}`, "err");
  }
  const f = fragment();
  if (f.session && f.token) {
    await attach(f.session, f.token, f.role === "learner" ? "learner" : "instructor", f.learner);
  } else {
    setRole("instructor");
  }
  window.ecmova.ready = true;
}

init();
