"""SOPs and their steps as plain rows, for ``humas sop show --json`` and the API alike."""

from __future__ import annotations

from typing import Any

from humas.sop.model import SOP, Step


def step_dict(st: Step) -> dict[str, Any]:
    return {
        "id": st.id, "label": st.label, "role": st.role, "action": st.action, "time_standard": st.time_standard,
        "requires": st.requires.model_dump(), "on_reject": st.on_reject, "when": st.when, "editable": st.editable,
        "approve_label": st.approve_label, "reject_label": st.reject_label, "output": st.output,
    }


def sop_dict(sop: SOP) -> dict[str, Any]:
    return {
        "id": sop.id, "name": sop.name, "office": sop.office, "reference": sop.reference,
        "description": sop.description, "cadence": sop.cadence, "roles": dict(sop.roles),
        "steps": [step_dict(s) for s in sop.steps], "response_steps": [step_dict(s) for s in sop.response_steps],
        "direct_reply": sop.direct_reply,
    }


def sop_summary(sop: SOP) -> dict[str, Any]:
    return {"id": sop.id, "name": sop.name, "office": sop.office, "steps": len(sop.steps)}
