// ecmova assessment page: a form for the patient fields of the clinical library (FIELDS below,
// from docs/patient-format.md; a test checks it lists every key the library accepts), posted
// to POST /api/v1/assess; shows the verdict with its reasons and the evidence date first, then
// the SCAI stage (findings vs stage, three axes), evidence, contraindications, SAVE/ENCOURAGE
// with item points, ECPR criteria, with the citations. Hand-written, no dependencies.
"use strict";

// Every patient key with its kind, grouped as on the form (generated once from docs/patient-format.md).
const FIELDS = [
  { "group": "Patient", "fields": [
    {"key": "patient_id", "type": "text", "label": "Free identifier, copied to the output"},
    {"key": "age_years", "type": "number", "label": "Age in years (completed years are used: 38.9 counts as 38)", "range": "0.0 to 120.0 years"},
    {"key": "sex", "type": "enum", "label": "`female` or `male`", "options": ["female", "male"]},
    {"key": "weight_kg", "type": "number", "label": "Body weight, kg", "range": "0.3 to 400.0 kg"},
    {"key": "height_cm", "type": "number", "label": "Height, cm", "range": "20.0 to 272.0 cm"},
    {"key": "bmi_kg_m2", "type": "number", "label": "Body-mass index, kg/m2 (computed from weight and height when absent)", "range": "5.0 to 150.0 kg/m2"},
    {"key": "diagnoses", "type": "list", "label": "Diagnoses leading to the shock (one or more)"},
    {"key": "timepoint", "type": "enum", "label": "The moment assessed: `before_cannulation` or `on_ecmo`", "options": ["before_cannulation", "on_ecmo"]},
    {"key": "contraindication_source", "type": "enum", "label": "Contraindication list: `chung_2014` (default) or `elso_2021`", "options": ["chung_2014", "elso_2021"]},
    {"key": "stemi", "type": "bool", "label": "The infarction is an ST-elevation MI (DanGer Shock selection)"},
    {"key": "rv_failure", "type": "bool", "label": "Overt right-ventricular failure (DanGer Shock exclusion)"},
  ] },
  { "group": "Haemodynamics", "fields": [
    {"key": "systolic_bp_mmhg", "type": "number", "label": "Systolic blood pressure, mmHg", "range": "0.0 to 300.0 mmHg"},
    {"key": "diastolic_bp_mmhg", "type": "number", "label": "Diastolic blood pressure, mmHg (SAVE: worst value in the 6 h before cannulation)", "range": "0.0 to 200.0 mmHg"},
    {"key": "pulse_pressure_mmhg", "type": "number", "label": "Pulse pressure, mmHg (SAVE: worst value in the 6 h before cannulation)", "range": "0.0 to 250.0 mmHg"},
    {"key": "mean_arterial_pressure_mmhg", "type": "number", "label": "Mean arterial pressure, mmHg", "range": "0.0 to 250.0 mmHg"},
    {"key": "heart_rate_bpm", "type": "number", "label": "Heart rate, beats/min", "range": "0.0 to 350.0 beats/min"},
    {"key": "cardiac_index_l_min_m2", "type": "number", "label": "Cardiac index, L/min/m2", "range": "0.0 to 10.0 L/min/m2"},
    {"key": "pcwp_mmhg", "type": "number", "label": "Pulmonary capillary wedge pressure, mmHg", "range": "0.0 to 80.0 mmHg"},
    {"key": "right_atrial_pressure_mmhg", "type": "number", "label": "Right atrial pressure, mmHg", "range": "-10.0 to 60.0 mmHg"},
    {"key": "papi", "type": "number", "label": "Pulmonary artery pulsatility index (dimensionless)", "range": "0.0 to 50.0"},
    {"key": "cardiac_power_output_w", "type": "number", "label": "Cardiac power output, W", "range": "0.0 to 10.0 W"},
    {"key": "lvef_percent", "type": "number", "label": "Left-ventricular ejection fraction before ECMO, %", "range": "0.0 to 100.0 %"},
    {"key": "vasoactive_drugs_count", "type": "integer", "label": "Number of vasopressors/inotropes running", "range": "0.0 to 10.0 drugs"},
    {"key": "mechanical_support_in_place", "type": "bool", "label": "A mechanical circulatory support device is in place"},
    {"key": "escalating_support", "type": "bool", "label": "Support is being escalated (more drugs, or MCS added) because of deterioration"},
  ] },
  { "group": "Organs and labs", "fields": [
    {"key": "lactate_mmol_l", "type": "number", "label": "Arterial lactate, mmol/L", "range": "0.0 to 50.0 mmol/L"},
    {"key": "lactate_rising", "type": "bool", "label": "Lactate is rising despite treatment"},
    {"key": "arterial_ph", "type": "number", "label": "Arterial pH", "range": "6.0 to 8.0"},
    {"key": "bicarbonate_mmol_l", "type": "number", "label": "Bicarbonate, mmol/L", "range": "0.0 to 60.0 mmol/L"},
    {"key": "creatinine_umol_l", "type": "number", "label": "Serum creatinine, umol/L", "range": "0.0 to 3000.0 umol/L"},
    {"key": "creatinine_doubled", "type": "bool", "label": "Creatinine doubled or GFR fell by > 50% (SCAI stage C criterion)"},
    {"key": "egfr_ml_min_1_73m2", "type": "number", "label": "eGFR, mL/min/1.73 m2", "range": "0.0 to 250.0 mL/min/1.73m2"},
    {"key": "acute_renal_failure", "type": "bool", "label": "Acute renal failure (SAVE: creatinine > 1.5 mg/dL, with or without RRT)"},
    {"key": "chronic_renal_failure", "type": "bool", "label": "Chronic renal failure (SAVE: GFR < 60 mL/min for >= 3 months)"},
    {"key": "bilirubin_umol_l", "type": "number", "label": "Total bilirubin, umol/L", "range": "0.0 to 1500.0 umol/L"},
    {"key": "alt_u_l", "type": "number", "label": "Alanine aminotransferase, U/L", "range": "0.0 to 50000.0 U/L"},
    {"key": "ast_u_l", "type": "number", "label": "Aspartate aminotransferase, U/L", "range": "0.0 to 50000.0 U/L"},
    {"key": "liver_failure", "type": "bool", "label": "Liver failure (SAVE definition: bilirubin >= 33 umol/L or ALT/AST > 70 U/L)"},
    {"key": "prothrombin_activity_percent", "type": "number", "label": "Prothrombin activity, %", "range": "0.0 to 150.0 %"},
    {"key": "gcs", "type": "integer", "label": "Glasgow coma scale, 3 to 15", "range": "3.0 to 15.0 points"},
    {"key": "confusion", "type": "bool", "label": "Confusion or altered mental status (CardShock)"},
    {"key": "cns_dysfunction", "type": "bool", "label": "CNS dysfunction (neurotrauma, stroke, encephalopathy, cerebral embolism, seizure)"},
    {"key": "prior_mi_or_cabg", "type": "bool", "label": "Previous myocardial infarction or CABG (CardShock)"},
    {"key": "intubation_hours_before_ecmo", "type": "number", "label": "Hours of mechanical ventilation before ECMO; absent if not intubated", "range": "0.0 to 8760.0 h"},
    {"key": "peak_inspiratory_pressure_cmh2o", "type": "number", "label": "Peak inspiratory pressure, cmH2O", "range": "0.0 to 100.0 cmH2O"},
    {"key": "pao2_mmhg", "type": "number", "label": "Arterial PO2, mmHg", "range": "0.0 to 800.0 mmHg"},
    {"key": "sao2_percent", "type": "number", "label": "Arterial O2 saturation, %", "range": "0.0 to 100.0 %"},
  ] },
  { "group": "Cardiac arrest and ECPR", "fields": [
    {"key": "cardiac_arrest_before_ecmo", "type": "bool", "label": "Cardiac arrest before ECMO (or ongoing)"},
    {"key": "arrest_location", "type": "enum", "label": "`out_of_hospital` or `in_hospital`", "options": ["out_of_hospital", "in_hospital"]},
    {"key": "witnessed_arrest", "type": "bool", "label": "The arrest was witnessed"},
    {"key": "bystander_cpr", "type": "bool", "label": "Bystander CPR was given"},
    {"key": "initial_rhythm", "type": "enum", "label": "First recorded rhythm: `vf`, `pulseless_vt`, `pea`, `asystole`", "options": ["vf", "pulseless_vt", "pea", "asystole"]},
    {"key": "rhythm_on_arrival", "type": "enum", "label": "Rhythm on hospital arrival (TiPS65), same values", "options": ["vf", "pulseless_vt", "pea", "asystole"]},
    {"key": "presumed_cardiac_cause", "type": "bool", "label": "Presumed cardiac cause of the arrest"},
    {"key": "rosc_achieved", "type": "bool", "label": "Sustained return of spontaneous circulation was achieved"},
    {"key": "ongoing_cpr", "type": "bool", "label": "CPR is ongoing now"},
    {"key": "shocks_delivered", "type": "integer", "label": "Defibrillation shocks delivered", "range": "0.0 to 100.0 shocks"},
    {"key": "mechanical_cpr", "type": "bool", "label": "A mechanical CPR device is in use"},
    {"key": "unconscious", "type": "bool", "label": "The patient is unconscious"},
    {"key": "no_flow_minutes", "type": "number", "label": "Minutes from collapse to the start of CPR (no flow)", "range": "0.0 to 120.0 min"},
    {"key": "low_flow_minutes", "type": "number", "label": "Minutes of CPR without sustained ROSC (low flow) so far", "range": "0.0 to 600.0 min"},
    {"key": "expected_transport_minutes", "type": "number", "label": "Expected transport time to the ECPR centre, minutes", "range": "0.0 to 1440.0 min"},
    {"key": "expected_collapse_to_cath_lab_minutes", "type": "number", "label": "Expected time from collapse to arrival in the cath lab, minutes", "range": "0.0 to 1440.0 min"},
    {"key": "expected_collapse_to_cannulation_minutes", "type": "number", "label": "Expected time from collapse to ECMO cannulation, minutes"},
    {"key": "call_to_hospital_minutes", "type": "number", "label": "Time from emergency call to hospital arrival, minutes (TiPS65)", "range": "0.0 to 1440.0 min"},
    {"key": "etco2_mmhg", "type": "number", "label": "End-tidal CO2, mmHg", "range": "0.0 to 150.0 mmHg"},
  ] },
  { "group": "Contraindications", "fields": [
    {"key": "uncontrolled_bleeding", "type": "bool", "label": "Uncontrolled bleeding"},
    {"key": "anticoagulation_contraindicated", "type": "bool", "label": "Anticoagulation is contraindicated"},
    {"key": "irreversible_without_exit_strategy", "type": "bool", "label": "Irreversible disease with no transplant or durable VAD option"},
    {"key": "poor_baseline_function", "type": "bool", "label": "Poor baseline functional status"},
    {"key": "established_multiorgan_failure", "type": "bool", "label": "Established multi-organ failure"},
    {"key": "aortic_dissection", "type": "bool", "label": "Aortic dissection"},
    {"key": "severe_aortic_regurgitation", "type": "bool", "label": "Severe aortic regurgitation"},
    {"key": "malignancy", "type": "bool", "label": "Active malignancy"},
    {"key": "peripheral_arterial_disease", "type": "bool", "label": "Peripheral arterial disease"},
    {"key": "heparin_induced_thrombocytopenia", "type": "bool", "label": "Heparin-induced thrombocytopenia"},
    {"key": "cannulation", "type": "enum", "label": "Cannulation: `peripheral_femoral`, `central` or `other`", "options": ["peripheral_femoral", "central", "other"]},
  ] },
  { "group": "Weaning trial", "fields": [
    {"key": "weaning_flow_l_min", "type": "number", "label": "ECMO flow during the weaning trial, L/min", "range": "0.0 to 10.0 L/min"},
    {"key": "weaning_aortic_vti_cm", "type": "number", "label": "Aortic velocity-time integral at minimal flow, cm", "range": "0.0 to 60.0 cm"},
    {"key": "weaning_lvef_percent", "type": "number", "label": "LVEF at minimal flow, %", "range": "0.0 to 100.0 %"},
    {"key": "weaning_lateral_tdsa_cm_s", "type": "number", "label": "Lateral mitral annulus peak systolic velocity (TDSa) at minimal flow, cm/s", "range": "0.0 to 30.0 cm/s"},
    {"key": "weaning_map_mmhg", "type": "number", "label": "Mean arterial pressure at minimal flow, mmHg", "range": "0.0 to 250.0 mmHg"},
    {"key": "weaning_pulsatile", "type": "bool", "label": "The arterial trace is pulsatile on support (prerequisite)"},
    {"key": "weaning_vasoactive_drugs_count", "type": "integer", "label": "Vasoactive drugs running during the weaning assessment (prerequisite)", "range": "0.0 to 10.0 drugs"},
    {"key": "weaning_lactate_mmol_l", "type": "number", "label": "Arterial lactate at the weaning assessment, mmol/L (prerequisite)", "range": "0.0 to 30.0 mmol/L"},
    {"key": "weaning_lactate_rising", "type": "bool", "label": "Lactate is rising at the weaning assessment"},
    {"key": "weaning_tapse_mm", "type": "number", "label": "TAPSE at minimal flow, mm (RV function, checked where given)", "range": "1.0 to 50.0 mm"},
    {"key": "weaning_native_pao2_fio2_mmhg", "type": "number", "label": "Native-lung PaO2/FiO2, mmHg (checked where given)", "range": "20.0 to 700.0 mmHg"},
  ] },
];

const $ = (id) => document.getElementById(id);
const DIAGNOSES = [
  "acute_myocardial_infarction", "myocarditis", "refractory_vt_vf", "post_transplant",
  "congenital_heart_disease", "post_cardiotomy", "drug_intoxication", "pulmonary_embolism",
  "chronic_heart_failure", "septic_cardiomyopathy", "other",
];
const UNITS = [
  ["_mmhg", "mmHg"], ["_umol_l", "µmol/L"], ["_mmol_l", "mmol/L"], ["_u_l", "U/L"], ["_kg_m2", "kg/m²"],
  ["_kg", "kg"], ["_cm_s", "cm/s"], ["_cm", "cm"], ["_years", "years"], ["_bpm", "bpm"],
  ["_l_min_m2", "L/min/m²"], ["_l_min", "L/min"], ["_ml_min_1_73m2", "mL/min/1.73m²"], ["_percent", "%"],
  ["_cmh2o", "cmH₂O"], ["_minutes", "min"], ["_hours_before_ecmo", "h before ECMO"], ["_w", "W"], ["_mm", "mm"],
];

const ACRONYMS = {
  bmi: "BMI", pcwp: "PCWP", papi: "PAPI", lvef: "LVEF", gcs: "GCS", alt: "ALT", ast: "AST",
  egfr: "eGFR", ecmo: "ECMO", cpr: "CPR", vti: "VTI", tdsa: "TDSa", map: "MAP", etco2: "EtCO2",
  pao2: "PaO2", sao2: "SaO2", mi: "MI", cabg: "CABG", cns: "CNS", ph: "pH", bp: "BP", id: "ID",
  vf: "VF", vt: "VT", cath: "cath", stemi: "STEMI", rv: "RV", tapse: "TAPSE", fio2: "FiO2",
};

function labelOf(key) {
  let unit = "";
  let base = key;
  for (const [suffix, u] of UNITS) {
    if (key.endsWith(suffix)) { base = key.slice(0, -suffix.length); unit = u; break; }
  }
  let text = base.split("_").map((w) => ACRONYMS[w] || w).join(" ");
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return unit ? `${text} (${unit})` : text;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return e;
}

function buildForm() {
  const form = $("form");
  for (const g of FIELDS) {
    const box = el("div", { class: "form-group" });
    box.appendChild(el("h3", { text: g.group }));
    const grid = el("div", { class: "fields" });
    for (const f of g.fields) {
      const title = f.label.replace(/`/g, "") + (f.range ? ` Allowed: ${f.range}.` : "");
      if (f.type === "list") {
        const wrap = el("div", { class: "diagnoses", "data-key": f.key, title });
        wrap.appendChild(el("span", { text: "Diagnoses (one or more)" }));
        for (const d of DIAGNOSES) {
          const cb = el("input", { type: "checkbox", name: "diagnoses", value: d, id: `dx-${d}` });
          wrap.appendChild(el("label", { for: `dx-${d}` }, cb, d.replace(/_/g, " ")));
        }
        grid.appendChild(wrap);
        continue;
      }
      let input;
      if (f.type === "bool") {
        input = el("select", { id: `f-${f.key}`, name: f.key });
        input.appendChild(el("option", { value: "", text: "—" }));
        input.appendChild(el("option", { value: "true", text: "yes" }));
        input.appendChild(el("option", { value: "false", text: "no" }));
      } else if (f.type === "enum") {
        input = el("select", { id: `f-${f.key}`, name: f.key });
        input.appendChild(el("option", { value: "", text: "—" }));
        for (const o of f.options) input.appendChild(el("option", { value: o, text: o.replace(/_/g, " ") }));
      } else {
        input = el("input", {
          id: `f-${f.key}`, name: f.key,
          type: f.type === "text" ? "text" : "number",
          step: f.type === "integer" ? "1" : "any",
        });
      }
      const field = el("label", { class: "field", "data-key": f.key, title, for: `f-${f.key}` }, labelOf(f.key), input);
      if (f.range) field.appendChild(el("span", { class: "hint", text: f.range }));
      grid.appendChild(field);
    }
    box.appendChild(grid);
    form.appendChild(box);
  }
}

function allFields() { return FIELDS.flatMap((g) => g.fields); }

function readForm() {
  const out = {};
  for (const f of allFields()) {
    if (f.type === "list") {
      const v = Array.from(document.querySelectorAll('input[name="diagnoses"]:checked')).map((c) => c.value);
      if (v.length) out[f.key] = v;
      continue;
    }
    const raw = $(`f-${f.key}`).value.trim();
    if (raw === "") continue;
    if (f.type === "bool") out[f.key] = raw === "true";
    else if (f.type === "number" || f.type === "integer") out[f.key] = Number(raw);
    else out[f.key] = raw;
  }
  return out;
}

function fillForm(p) {
  clearForm();
  for (const [k, v] of Object.entries(p)) {
    if (k === "diagnoses") {
      for (const d of v) { const cb = $(`dx-${d}`); if (cb) cb.checked = true; }
      continue;
    }
    const input = $(`f-${k}`);
    if (input && input.tagName === "SELECT" && typeof v === "boolean") { input.value = String(v); continue; }
    if (input) input.value = typeof v === "boolean" ? String(v) : String(v);
  }
}

function clearForm() {
  document.querySelectorAll("#form input, #form select").forEach((i) => {
    if (i.type === "checkbox") i.checked = false;
    else i.value = "";
  });
  document.querySelectorAll("[data-key].bad").forEach((f) => f.classList.remove("bad"));
}

// ---------------------------------------------------------------------------------------------
// Results

const fmt = (x) => (typeof x === "number" ? String(Math.round(x * 10) / 10) : "--");
const cite = (c) => el("div", { class: "cite", text: c });

function card(title, id) {
  const c = el("div", { class: "result-card", id });
  c.appendChild(el("h3", { text: title }));
  return c;
}

function notComputed(c, section) {
  c.appendChild(el("div", { class: "muted", text: `Not computed: ${section.reason || "-"}` }));
  return c;
}

function scoreCard(title, section, id) {
  const c = card(title, id);
  if (!section || !section.result) return notComputed(c, section || {});
  const r = section.result;
  const outcome = r.survival_percent ?? r.survival_6m_percent ?? r.in_hospital_mortality_percent ?? r.cpc_1_2_30d_percent;
  c.appendChild(el("div", { class: "headline" },
    el("span", { text: `${r.score} points · class ` }),
    el("span", { id: `${id}-class`, text: r.class }),
    el("span", { class: "muted", text: outcome != null ? ` · ${fmt(outcome)} %` : "" })));
  c.appendChild(el("div", { class: "muted", text: `range ${r.range[0]} to ${r.range[1]}; ${r.outcome}` }));
  const t = el("table", { class: "items" });
  t.appendChild(el("tr", {}, el("th", { text: "Item" }), el("th", { text: "Value" }), el("th", { text: "Criterion" }), el("th", { text: "Points" })));
  for (const i of r.items) {
    const pts = el("td", { class: "pts " + (i.points > 0 ? "pos" : i.points < 0 ? "neg" : ""), text: (i.points > 0 ? "+" : "") + i.points });
    t.appendChild(el("tr", {}, el("td", { text: i.item }), el("td", { text: i.value }), el("td", { text: i.criterion }), pts));
  }
  c.appendChild(t);
  for (const d of r.derived || []) c.appendChild(el("div", { class: "muted", text: `Derived ${d.field} = ${d.value} from ${d.derived_from}` }));
  for (const w of r.warnings || []) c.appendChild(el("div", { class: "neg", text: `Warning: ${w}` }));
  c.appendChild(cite(r.citation));
  return c;
}

const words = (x) => String(x).replace(/_/g, " ");

function render(a) {
  const res = $("results");
  res.innerHTML = "";
  // The verdict, its reasons and the evidence date first.
  const v = card("Verdict", "verdict-card");
  v.appendChild(el("div", { class: `headline verdict verdict-${a.verdict}`, id: "indication-verdict", text: words(a.verdict) }));
  v.appendChild(el("div", { class: "muted", id: "evidence-as-of", text: `evidence as of ${a.evidence_as_of} · timepoint ${words(a.timepoint.value)} (${a.timepoint.basis})` }));
  v.appendChild(el("div", { text: a.indication.summary }));
  const rl = el("ul", { class: "tight" });
  for (const r of a.indication.reasons) rl.appendChild(el("li", {}, `${r.text} `, el("span", { class: "cite", text: r.citation })));
  v.appendChild(rl);
  if (a.indication.what_would_have_to_change.length) {
    v.appendChild(el("b", { text: "What would have to change" }));
    const cl = el("ul", { class: "tight" });
    for (const c of a.indication.what_would_have_to_change) cl.appendChild(el("li", { text: c }));
    v.appendChild(cl);
  }
  if (a.conflicts.length) {
    v.appendChild(el("b", { class: "neg", text: "Conflicts between given values and labs" }));
    const cl = el("ul", { class: "tight" });
    for (const c of a.conflicts) cl.appendChild(el("li", { text: `given ${c.given}; labs: ${c.labs}; used: ${c.used}` }));
    v.appendChild(cl);
  }
  if (a.unit_conversions && a.unit_conversions.length) v.appendChild(el("div", { class: "muted", text: `Units converted: ${a.unit_conversions.join("; ")}` }));
  v.appendChild(el("div", { class: "cite", text: a.disclaimer }));
  res.appendChild(v);

  const head = card("Summary", "summary");
  head.appendChild(el("div", { text: a.summary }));
  res.appendChild(head);

  const scai = card("SCAI SHOCK stage", "scai");
  if (a.scai.result) {
    const s = a.scai.result;
    scai.appendChild(el("div", { class: "headline" },
      el("span", { class: `stage stage-${s.stage}`, id: "scai-stage", text: s.display }),
      el("span", { text: s.label })));
    const ul = el("ul", { class: "tight" });
    for (const c of s.criteria_met) ul.appendChild(el("li", {}, `${c.stage}: ${c.criterion} `, el("span", { class: "cite", text: `(${c.citation})` })));
    if (!s.criteria_met.length) ul.appendChild(el("li", { text: "no combination of stage B-E findings" }));
    scai.appendChild(ul);
    if (s.findings.length) {
      scai.appendChild(el("div", { class: "muted", text: "Findings (single values, not a stage by themselves):" }));
      const fl = el("ul", { class: "tight" });
      for (const f of s.findings) fl.appendChild(el("li", { text: `${f.finding} (typical of stage ${f.typical_of})` }));
      scai.appendChild(fl);
    }
    scai.appendChild(el("div", { class: "muted", text: `Phenotype/aetiology: ${s.phenotype.join("; ")}. Risk modifiers: ${s.risk_modifiers.join("; ")}.` }));
    if (s.not_assessed && s.not_assessed.length) scai.appendChild(el("div", { class: "muted", text: `Not assessed: ${s.not_assessed.join(", ")}` }));
    scai.appendChild(el("div", { class: "muted", text: `Stage mortality ${fmt(s.stage_mortality.percent)} % in-hospital: ${s.stage_mortality.caveat}` }));
    scai.appendChild(cite(`${s.citation}; mortality: ${s.stage_mortality.citation}`));
  } else notComputed(scai, a.scai);
  res.appendChild(scai);

  const ind = card("Recommendations and evidence", "indication");
  const ul = el("ul", { class: "tight" });
  for (const r of a.indication.recommendations) ul.appendChild(el("li", {}, `${r.applies_to}: ${r.statement} (class ${r.class}, level ${r.level}) `, el("span", { class: "cite", text: r.citation })));
  for (const n of a.indication.notes) ul.appendChild(el("li", {}, `${n.text} `, el("span", { class: "cite", text: n.citation })));
  ind.appendChild(ul);
  if (a.indication.microaxial_pump_option) ind.appendChild(trialBox(a.indication.microaxial_pump_option));
  res.appendChild(ind);

  const scores = el("div", { class: "scores" });
  scores.appendChild(scoreCard("SAVE score", a.save, "save"));
  scores.appendChild(scoreCard("ENCOURAGE score", a.encourage, "encourage"));
  res.appendChild(scores);

  const ci = card("Contraindications", "contraindications");
  const t = el("table", { class: "items" });
  t.appendChild(el("tr", {}, el("th", { text: "Kind" }), el("th", { text: "Contraindication" }), el("th", { text: "Status" }), el("th", { text: "Evidence" })));
  for (const c of a.contraindications.items) {
    t.appendChild(el("tr", {}, el("td", { text: words(c.kind) }), el("td", { text: c.name }),
      el("td", {}, el("span", { class: `tag ${c.status}`, text: c.status })), el("td", { text: c.evidence })));
  }
  ci.appendChild(t);
  ci.appendChild(cite(a.contraindications.source_citation));
  res.appendChild(ci);

  const ecpr = card("ECPR criteria", "ecpr");
  if (!a.ecpr.applicable) ecpr.appendChild(el("div", { class: "muted", text: "Not applicable: no cardiac arrest." }));
  else ecpr.appendChild(el("div", { class: "muted", text: `ROSC status: ${words(a.ecpr.rosc_status)}` }));
  for (const tr of a.ecpr.trials) ecpr.appendChild(trialBox(tr));
  const nl = el("ul", { class: "tight" });
  for (const n of a.ecpr.notes) nl.appendChild(el("li", {}, `${n.text} `, el("span", { class: "cite", text: n.citation })));
  ecpr.appendChild(nl);
  res.appendChild(ecpr);

  const more = el("div", { class: "scores" });
  more.appendChild(scoreCard("CardShock", a.cardshock, "cardshock"));
  more.appendChild(scoreCard("TiPS65", a.tips65, "tips65"));
  res.appendChild(more);

  const surv = card("Expected survival by aetiology", "survival");
  const sl = el("ul", { class: "tight" });
  for (const f of a.expected_survival.figures) sl.appendChild(el("li", {}, `${words(f.etiology)}: ${fmt(f.percent)} % ${f.measure}${f.control_arm ? "; control arm: " + f.control_arm : ""} `, el("span", { class: "cite", text: f.citation })));
  surv.appendChild(sl);
  res.appendChild(surv);

  const comp = card("Complications to anticipate", "complications");
  for (const c of a.complications) {
    comp.appendChild(el("div", {}, el("b", { text: `${c.complication} ` }), el("span", { class: "muted", text: `(${c.concern})` })));
    const l = el("ul", { class: "tight" });
    for (const f of c.patient_factors) l.appendChild(el("li", { text: `patient factor: ${f}` }));
    for (const n of c.facts) l.appendChild(el("li", {}, `${n.text} `, el("span", { class: "cite", text: n.citation })));
    comp.appendChild(l);
  }
  res.appendChild(comp);

  const wean = card("Weaning readiness", "weaning");
  if (a.weaning.result) {
    const w = a.weaning.result;
    wean.appendChild(el("div", { class: "headline", text: words(w.readiness) }));
    const wt = el("table", { class: "items" });
    for (const c of w.criteria) wt.appendChild(el("tr", {}, el("td", { text: c.kind }), el("td", { text: c.criterion }), el("td", { text: String(c.value) }), el("td", { text: c.threshold }), el("td", { text: String(c.result) + (c.verified ? "" : " (UNVERIFIED)") })));
    wean.appendChild(wt);
    const wl = el("ul", { class: "tight" });
    for (const r of w.reasons) wl.appendChild(el("li", { text: r }));
    wean.appendChild(wl);
    wean.appendChild(cite(w.citation));
  } else notComputed(wean, a.weaning);
  res.appendChild(wean);
  for (const l of a.left_out || []) res.appendChild(el("div", { class: "muted", text: `${l.score} left out: ${l.reason}` }));
}

function trialBox(tr) {
  const box = el("div", { class: "trial" });
  box.appendChild(el("div", {}, el("b", { text: `${tr.trial} ` }), el("span", { class: `tag ${tr.eligibility}`, text: tr.label })));
  const l = el("ul", { class: "tight" });
  for (const f of tr.failed) l.appendChild(el("li", { class: "neg", text: `fails: ${f}` }));
  for (const u of tr.unknown) l.appendChild(el("li", { class: "muted", text: `not given: ${u}` }));
  for (const m of tr.met) l.appendChild(el("li", { text: `meets: ${m}` }));
  if (tr.not_checked.length) l.appendChild(el("li", { class: "muted", text: `never checked (not in the patient format): ${tr.not_checked.join("; ")}` }));
  box.appendChild(l);
  box.appendChild(cite(tr.citation));
  return box;
}

function showError(e) {
  const res = $("results");
  res.innerHTML = "";
  const box = el("div", { class: "error-box", id: "error" });
  box.appendChild(el("b", { text: e.field ? `${e.field}: ` : "" }));
  box.appendChild(document.createTextNode(e.message || e.error || "error"));
  res.appendChild(box);
  if (e.field) {
    for (const key of String(e.field).split(",")) {
      const f = document.querySelector(`[data-key="${key.replace(/\[.*$/, "")}"]`);
      if (f) { f.classList.add("bad"); f.scrollIntoView({ block: "center" }); }
    }
  }
}

async function submit() {
  document.querySelectorAll("[data-key].bad").forEach((f) => f.classList.remove("bad"));
  const patient = readForm();
  const headers = { "Content-Type": "application/json" };
  // The server's auth token, if the monitor page was opened with `#auth=<token>` in this tab.
  const auth = sessionStorage.getItem("ecmova-auth");
  if (auth) headers["X-Ecmova-Auth"] = auth;
  const r = await fetch("/api/v1/assess", { method: "POST", headers, body: JSON.stringify(patient) });
  let j = null;
  try { j = await r.json(); } catch (e) { j = { error: "invalid_response", message: `HTTP ${r.status}` }; }
  window.ecmovaAssess.last = j;
  if (!r.ok) showError(j);
  else render(j);
  window.ecmovaAssess.done += 1;
}

async function loadExample(name) {
  if (!name) { clearForm(); return; }
  const r = await fetch(`/assets/example-${name}.json`);
  if (r.ok) fillForm(await r.json());
}

window.ecmovaAssess = { done: 0, last: null, fill: fillForm, read: readForm };
buildForm();
$("form").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
$("submit").onclick = submit;
$("clear").onclick = clearForm;
$("load").onclick = () => loadExample($("example").value);
loadExample($("example").value).then(() => { window.ecmovaAssess.ready = true; });
