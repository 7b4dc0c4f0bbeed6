"""Issue 5: the FHIR export with calls and callbacks validates with fhir.resources."""

from __future__ import annotations

import json
from datetime import timedelta

from fhir.resources.R4B.bundle import Bundle

from coordtui.interop.fhir import export_bundle
from coordtui.service import Service


def test_export_with_calls_and_callbacks_validates(builder, db_path):
    dr = builder.provider("Dr Okafor")
    ada = builder.patient("Ada", "Lovelace", phone="+16172531000")
    appt = builder.appointment(ada, dr, start=builder.now + timedelta(hours=2))
    svc = Service(db_path, actor="desk1")
    try:
        first = svc.log_call(
            ada,
            "in",
            "relative",
            "daughter",
            "Results",
            "callback needed",
            "[b]wants[/b] results \x1b[2J",
            appointment_id=appt,
            callback_due=svc.now() + timedelta(hours=1),
        )
        svc.amend_call(first["call_id"], "results are ready")
        svc.log_call(ada, "out", "patient", "", "Appointment reminder", "left message", "")
        done = svc.log_call(
            ada,
            "in",
            "pharmacy",
            "CVS",
            "Prescription",
            "callback needed",
            "refill",
            callback_due=svc.now(),
        )
        svc.complete_callback(done["callback_id"])
    finally:
        svc.close()
    text = export_bundle(db_path)
    Bundle.model_validate_json(text)
    resources = [e["resource"] for e in json.loads(text)["entry"]]
    comms = [r for r in resources if r["resourceType"] == "Communication"]
    tasks = [r for r in resources if r["resourceType"] == "Task"]
    assert len(comms) == 4 and len(tasks) == 2
    assert {t["status"] for t in tasks} == {"requested", "completed"}
    notes = [p["contentString"] for c in comms for p in c.get("payload", [])]
    assert "[b]wants[/b] results \x1b[2J" in notes  # data, kept exactly
