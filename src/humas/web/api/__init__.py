"""``/api/v1``: the REST API. Personal tokens (``Authorization: Bearer``), the same services and rules as the CLI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

#: FastAPI's own validation answer, replaced everywhere: the app answers a refused parameter or body with 400.
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_COMMON = {
    400: "Invalid input: a parameter or body the schema refuses, or a value the service refuses",
    413: "The request body is larger than 1 MiB (rule limit.body_size), or an uploaded file than its limit",
    500: "An unexpected server error (logged on the server)",
}


def router() -> APIRouter:
    from humas.web.api import agenda, content, equipment, misc, plan, records, responses

    r = APIRouter()
    r.include_router(misc.router)
    r.include_router(content.router)
    r.include_router(plan.router)
    r.include_router(records.router)
    r.include_router(responses.router)
    r.include_router(equipment.router)
    r.include_router(agenda.router)
    return r


def finish_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """Document what every operation may answer besides its own errors, in place: 400 where it takes parameters
    or a body (a value the schema refuses: ids beyond 2^63-1, unknown enum values, unknown body keys), 413 where it
    takes a body, 500 everywhere; all with :class:`~humas.web.api.schemas.ErrorOut`. FastAPI's 422
    ``HTTPValidationError`` goes: the app never answers it (422 means a broken limit, with ``rule``). An upload's
    file field also gets ``format: binary`` (FastAPI writes only ``contentMediaType``, which openapi-python-client
    0.29 sends as a text field)."""
    for ops in spec.get("paths", {}).values():
        for method, op in ops.items():
            responses: dict[str, Any] = op.setdefault("responses", {})
            default = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if default.get("$ref", "").rsplit("/", 1)[-1] in _FASTAPI_VALIDATION:
                del responses["422"]
            codes = [500]
            if op.get("parameters") or op.get("requestBody"):
                codes.append(400)
            if method in ("post", "put", "patch"):
                codes.append(413)
            for code in codes:
                responses.setdefault(str(code), {"description": _COMMON[code],
                                                 "content": {"application/json": {"schema": _ERROR_REF}}})
            op["responses"] = dict(sorted(responses.items()))
    schemas = spec.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    for schema in schemas.values():  # uploads: OpenAPI 3.0's spelling too, which client generators know
        for prop in schema.get("properties", {}).values():
            if prop.get("type") == "string" and "contentMediaType" in prop:
                prop.setdefault("format", "binary")
    return spec
