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
    this.auto = !!opts.auto; // rescale to the last sweep's range (pleth)
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
    if (this.auto) { this.min = 0; this.max = 1; }
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
  new Trace($("tr-plr"), color("--spo2"), { min: 0, max: 1, auto: true }),
  new Trace($("tr-pll"), color("--spo2leg"), { min: 0, max: 1, auto: true }),
];

// ---------------------------------------------------------------------------------------------
// PV loop

const pv = { canvas: $("pvloop"), points: [], maxPoints: 700, vmax: 250, pmax: 160 };

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

function ecmoRunning(s) {
  return s.ecmo_running === true;
}

function showSummary(s) {
  stats.lastSummary = s;
  setText("v-hr", fmt(s.heart_rate_bpm, 0));
  setText("v-co", fmt(s.cardiac_output_l_min, 1));
  setText("v-abp", `${fmt(s.sbp_mmhg, 0)}/${fmt(s.dbp_mmhg, 0)}`);
  setText("v-map", fmt(s.map_mmhg, 0));
  setText("v-mapfem", fmt(s.map_femoral_mmhg, 0));
  setText("v-pa", `${fmt(s.pa_systolic_mmhg, 0)}/${fmt(s.pa_diastolic_mmhg, 0)}`);
  setText("v-pam", fmt(s.pa_mean_mmhg, 0));
  setText("v-lap", fmt(s.lap_mmhg, 0));
  setText("v-cvp", fmt(s.cvp_mmhg, 0));
  setText("v-lvef", fmt(s.lvef_percent, 0));
  setText("v-spo2r", fmt(s.sao2_right_radial_percent, 0));
  setText("v-spo2l", fmt(s.sao2_femoral_percent, 0));
  setText("v-svo2", fmt(s.svo2_percent, 0));
  const avClosed = Array.isArray(s.alarms) && s.alarms.some((a) => a.name === "aortic_valve_closed");
  setText("v-avo", has(s, "aortic_valve_opening_fraction") ? (avClosed ? "NO" : "yes") : "--");

  const running = ecmoRunning(s);
  const avail = typeof s.ecmo_running === "boolean"; // a circuit is in place
  const st = $("ecmo-state");
  st.textContent = running ? "RUNNING" : avail ? "CLAMPED" : "NO CIRCUIT";
  st.className = "state" + (running ? " on" : "");
  const ev = (k, d) => (running && has(s, k) ? fmt(s[k], d) : "--");
  setText("ecmo-rpm", ev("pump_rpm_setting", 0));
  setText("ecmo-flow", ev("ecmo_flow_l_min", 2));
  setText("ecmo-pven", ev("drainage_pressure_mmhg", 0));
  setText("ecmo-ppre", ev("pre_oxygenator_pressure_mmhg", 0));
  setText("ecmo-ppost", ev("post_oxygenator_pressure_mmhg", 0));
  setText("ecmo-dp", ev("oxygenator_dp_mmhg", 0));
  setText("ecmo-sweep", ev("sweep_l_min", 1));
  setText("ecmo-fdo2", running && has(s, "fdo2") ? fmt(100 * s.fdo2, 0) : "--");
  setText("ecmo-total", running ? fmt(s.total_flow_l_min, 2) : "--");
  setText("ecmo-po2", ev("post_oxygenator_po2_mmhg", 0));
  showAlarms(s);
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
  list.forEach((a) => {
    const d = document.createElement("div");
    d.className = "a " + (a.severity === "warning" ? "warn" : "");
    d.dataset.alarm = a.name;
    d.textContent = "▲ " + a.message;
    el.appendChild(d);
  });
  const raised = (name) => list.some((a) => a.name === name && a.severity === "critical");
  $("box-abp").classList.toggle("alarm", raised("low_map"));
  $("box-spo2r").classList.toggle("alarm", raised("low_sao2_right_radial") || raised("differential_hypoxaemia"));
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
    return r;
  } catch (e) {
    log(`${event.action || event.command}: ${e.message}${e.body && e.body.field ? ` (field ${e.body.field})` : ""}`, "err");
    return null;
  }
}

async function start() {
  const preset = $("preset").value;
  const speed = parseFloat($("speed").value) || 1;
  const old = session;
  try {
    const body = { preset, speed };
    if ($("baroreflex").checked) body.overrides = { baroreflex: true };
    const r = await api("POST", "/sessions", body);
    session = { id: r.id, preset: r.preset, token: r.instructor_token };
    window.ecmova.session = session;
  } catch (e) {
    log(`cannot start ${preset}: ${e.message}`, "err");
    return;
  }
  if (ws) { const w = ws; ws = null; w.close(); }
  if (old) api("DELETE", `/sessions/${old.id}`, undefined, old).catch(() => {});
  traces.forEach((t) => { t.reset(); t.clear(); });
  pv.points = [];
  pv.vmax = 250;
  pv.pmax = 160;
  $("overlay").style.display = "none";
  $("pause").disabled = false;
  setText("st-preset", session.preset);
  setText("st-session", session.id.slice(0, 8));
  log(`started ${session.preset}`, "ok");
  ws = connect(session.id);
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
  $("rpm").onchange = () => send({ action: "set_pump_rpm", rpm: numberOf("rpm") });
  $("sweep-set").onclick = () => send({ action: "set_sweep", sweep_l_min: numberOf("sweep") });
  $("fdo2-set").onclick = () => send({ action: "set_fdo2", fdo2: numberOf("fdo2") });
  $("drug-set").onclick = () => send({ action: "infusion", drug: $("drug").value, dose_ug_kg_min: numberOf("dose") });
  $("device-on").onclick = () => {
    const ev = { action: "set_device", device: $("device").value, active: true };
    if (ev.device === "impella") ev.performance_level = Number($("impella-level").value);
    send(ev);
  };
  $("device-off").onclick = () => send({ action: "set_device", device: $("device").value, active: false });
  $("arrest").onclick = () => send({ action: "arrest", rhythm: "vf" });
  $("asystole").onclick = () => send({ action: "arrest", rhythm: "asystole" });
  $("rosc").onclick = () => send({ action: "rosc" });
  $("wean-set").onclick = () => send({ action: "weaning_trial", flows_l_min: [numberOf("wean")] });
  window.addEventListener("resize", () => { traces.forEach((t) => t.resize()); resizePv(); });
  window.addEventListener("pagehide", () => {
    if (session) fetch(`${API}/sessions/${session.id}`, { method: "DELETE", keepalive: true, headers: authHeaders(session) }).catch(() => {});
  });
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
  window.ecmova.ready = true;
}

init();
