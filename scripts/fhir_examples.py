#!/usr/bin/env python3
"""Builds the example FHIR R4 Bundles in examples/fhir/ from the example patients in
examples/patients/ (synthetic data), following the mapping of docs/fhir-mapping.md in
reverse. Run from the repository root: python3 scripts/fhir_examples.py

The test crates/ecmova-fhir/tests/bundles.rs checks that each Bundle gives the same
assessment as its patient JSON at the assessment time AT below."""
import json
import pathlib

AT = "2026-03-01T12:00:00Z"
AT_Y, AT_MIN = 2026, 12 * 60  # the day is 2026-03-01; times below are minutes before AT

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
ECMOVA = "https://example.invalid/ecmova/fhir/CodeSystem/patient-field"

# field -> (LOINC code, UCUM unit), the first code of the field in mapping.rs
LOINC_OF = {
    "weight_kg": ("29463-7", "kg"), "height_cm": ("8302-2", "cm"), "bmi_kg_m2": ("39156-5", "kg/m2"),
    "heart_rate_bpm": ("8867-4", "/min"), "systolic_bp_mmhg": ("8480-6", "mm[Hg]"),
    "diastolic_bp_mmhg": ("8462-4", "mm[Hg]"), "mean_arterial_pressure_mmhg": ("8478-0", "mm[Hg]"),
    "lactate_mmol_l": ("2524-7", "mmol/L"), "creatinine_umol_l": ("14682-9", "umol/L"),
    "arterial_ph": ("2744-1", "[pH]"), "bilirubin_umol_l": ("14631-6", "umol/L"),
    "alt_u_l": ("1742-6", "U/L"), "ast_u_l": ("1920-8", "U/L"),
    "egfr_ml_min_1_73m2": ("62238-1", "mL/min/{1.73_m2}"), "bicarbonate_mmol_l": ("1963-8", "mmol/L"),
    "pao2_mmhg": ("2703-7", "mm[Hg]"), "sao2_percent": ("2708-6", "%"), "gcs": ("9269-2", "{score}"),
    "lvef_percent": ("10230-1", "%"),
}
# other measured fields: canonical UCUM unit (crates/ecmova-clinical/src/units.rs)
UNIT_OF = {
    "peak_inspiratory_pressure_cmh2o": "cm[H2O]", "pulse_pressure_mmhg": "mm[Hg]",
    "cardiac_index_l_min_m2": "L/min/m2", "pcwp_mmhg": "mm[Hg]", "right_atrial_pressure_mmhg": "mm[Hg]",
    "papi": "1", "cardiac_power_output_w": "W", "prothrombin_activity_percent": "%",
    "expected_transport_minutes": "min", "expected_collapse_to_cath_lab_minutes": "min",
    "expected_collapse_to_cannulation_minutes": "min", "call_to_hospital_minutes": "min",
    "etco2_mmhg": "mm[Hg]", "weaning_flow_l_min": "L/min", "weaning_aortic_vti_cm": "cm",
    "weaning_lvef_percent": "%", "weaning_lateral_tdsa_cm_s": "cm/s", "weaning_map_mmhg": "mm[Hg]",
    "weaning_lactate_mmol_l": "mmol/L", "weaning_tapse_mm": "mm", "weaning_native_pao2_fio2_mmhg": "mm[Hg]",
    # no verified SNOMED CT code for intubation or CPR (docs/fhir-mapping.md): ecmova's own codes
    "intubation_hours_before_ecmo": "h", "low_flow_minutes": "min", "no_flow_minutes": "min",
}
INTEGER = {"vasoactive_drugs_count", "shocks_delivered", "weaning_vasoactive_drugs_count"}
# Only codes verified in docs/fhir-mapping.md (column "verified").
DIAG_CODE = {"myocarditis": (ICD10CM, "I40.9", "Acute myocarditis, unspecified"),
             "refractory_vt_vf": (SNOMED, "71908006", "Ventricular fibrillation"),
             "pulmonary_embolism": (ICD10CM, "I26.99", "Other pulmonary embolism without acute cor pulmonale")}
FLAG_CONDITION = {"malignancy": (SNOMED, "363346000", "Malignant neoplastic disease"),
                  "aortic_dissection": (ICD10, "I71.0", "Dissection of aorta"),
                  "peripheral_arterial_disease": (ICD10, "I73.9", "Peripheral vascular disease, unspecified"),
                  "heparin_induced_thrombocytopenia": (ICD10CM, "D75.82", "Heparin induced thrombocytopenia")}


def t(minutes_before):
    m = AT_MIN - minutes_before
    day = 1
    while m < 0:
        m += 24 * 60
        day -= 1
    assert day >= 1 or True
    if day == 1:
        return f"2026-03-01T{m // 60:02d}:{m % 60:02d}:00Z"
    # previous days fall in February 2026 (28 days)
    return f"2026-02-{28 + day:02d}T{m // 60:02d}:{m % 60:02d}:00Z"


def cc(system, code, display=None):
    c = {"system": system, "code": code}
    if display:
        c["display"] = display
    return {"coding": [c]}


def build(p):
    pid = p["patient_id"]
    subject = {"reference": f"Patient/{pid}"}
    res = []
    n = [0]

    def rid(prefix):
        n[0] += 1
        return f"{prefix}-{n[0]}"

    res.append({"resourceType": "Patient", "id": pid, "gender": p["sex"],
                "birthDate": f"{AT_Y - int(p['age_years'])}-01-15"})

    def obs(code, value, when=30):
        o = {"resourceType": "Observation", "id": rid("obs"), "status": "final", "code": code,
             "subject": subject, "effectiveDateTime": t(when)}
        o.update(value)
        res.append(o)

    def cond(code, verification="confirmed", onset=None):
        c = {"resourceType": "Condition", "id": rid("cond"),
             "clinicalStatus": cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
             "verificationStatus": cc("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification),
             "code": code, "subject": subject}
        if onset is not None:
            c["onsetDateTime"] = t(onset)
        res.append(c)

    def proc(code, display, status, start=None):
        pr = {"resourceType": "Procedure", "id": rid("proc"), "status": status,
              "code": cc(SNOMED, code, display), "subject": subject}
        if start is not None:
            pr["performedDateTime"] = t(start)
        res.append(pr)

    done = {"patient_id", "sex", "age_years"}
    # Diagnoses as conditions.
    for d in p["diagnoses"]:
        if d == "acute_myocardial_infarction":
            if p.get("stemi") is True:
                cond(cc(SNOMED, "401303003", "Acute ST segment elevation myocardial infarction"))
                done.add("stemi")
            else:
                cond(cc(ICD10CM, "I21.9", "Acute myocardial infarction, unspecified"))
        elif d in DIAG_CODE:
            cond(cc(*DIAG_CODE[d]))
        else:
            obs(cc(ECMOVA, "diagnoses"), {"valueString": d})
    done.add("diagnoses")
    # Timepoint and procedure times.
    ecmo_start = None
    if p.get("timepoint") == "on_ecmo":
        ecmo_start = 24 * 60
        proc("233573008", "Extracorporeal membrane oxygenation", "in-progress", ecmo_start)
    elif p.get("timepoint") == "before_cannulation":
        proc("233573008", "Extracorporeal membrane oxygenation", "preparation")
    done.add("timepoint")
    # Intubation, CPR, no-flow and low-flow times travel as ecmova's own codes (below): their
    # SNOMED CT procedure codes are not verified. The arrest itself is a verified condition
    # (410429000); its onset before the hospital arrival (Encounter) gives arrest_location.
    if p.get("cardiac_arrest_before_ecmo") and "low_flow_minutes" in p and "no_flow_minutes" in p:
        cpr = int(p["low_flow_minutes"])
        onset = cpr + int(p["no_flow_minutes"])
        cond(cc(SNOMED, "410429000", "Cardiac arrest"), onset=onset)
        done.add("cardiac_arrest_before_ecmo")
        if p.get("arrest_location") == "out_of_hospital" and "call_to_hospital_minutes" in p:
            arrival = onset - int(p["call_to_hospital_minutes"]) - 2  # arrest, call, arrival
            arrival = min(arrival, cpr - 1)
            res.append({"resourceType": "Encounter", "id": rid("enc"), "status": "in-progress",
                        "subject": subject, "period": {"start": t(arrival)}})
            done.add("arrest_location")
    for f, (system, code, display) in FLAG_CONDITION.items():
        if f in p:
            cond(cc(system, code, display), "confirmed" if p[f] else "refuted")
            done.add(f)
    for k, v in p.items():
        if k in done:
            continue
        if k in LOINC_OF:
            code, unit = LOINC_OF[k]
            obs(cc(LOINC, code), {"valueQuantity": {"value": v, "unit": unit, "system": UCUM, "code": unit}})
        elif k in UNIT_OF:
            u = UNIT_OF[k]
            obs(cc(ECMOVA, k), {"valueQuantity": {"value": v, "unit": u, "system": UCUM, "code": u}})
        elif k in INTEGER:
            obs(cc(ECMOVA, k), {"valueInteger": v})
        elif isinstance(v, bool):
            obs(cc(ECMOVA, k), {"valueBoolean": v})
        elif isinstance(v, str):
            obs(cc(ECMOVA, k), {"valueString": v})
        else:
            raise SystemExit(f"{pid}: no mapping for {k}")
    return {"resourceType": "Bundle", "type": "collection", "timestamp": AT,
            "entry": [{"fullUrl": f"urn:uuid:{pid}-{i}", "resource": r} for i, r in enumerate(res)]}


root = pathlib.Path(__file__).resolve().parent.parent
for name in ["ami_cardiogenic_shock", "ecpr_ohca", "fulminant_myocarditis"]:
    p = json.loads((root / "examples/patients" / f"{name}.json").read_text())
    out = root / "examples/fhir" / f"{name}.bundle.json"
    out.write_text(json.dumps(build(p), indent=1) + "\n")
    print(out.relative_to(root))
