"""SOP definitions: an office's written approval chain as data.

An SOP is a TOML file (``presets/*.toml`` ship with humas; offices may write their own, see
``docs/sop-format.md``) read into the frozen pydantic models below. Unknown keys are errors, and every error
names the file and the key path, e.g. ``mojokerto-acc.toml: steps[3].time_standard: invalid duration "10x"
(expected like 10m, 2h, 1d)``. The engine walks :attr:`SOP.steps` for content and :attr:`SOP.response_steps`
for answers to public comments, using the helper methods on :class:`SOP`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from humas.errors import ConfigError
from humas.sop.duration import parse_duration

__all__ = [
    "ADMIN_ROLE",
    "SOP",
    "Action",
    "ContentField",
    "Requirements",
    "SopError",
    "Step",
    "load_presets",
    "load_sop_file",
    "parse_sop",
    "role_catalogue",
]

ContentField = Literal["title", "text", "caption", "media", "accounts", "activity", "location"]
Action = Literal["submit", "review", "publish", "respond"]

ADMIN_ROLE: tuple[str, str] = ("admin", "Administrator")
"""The built-in role every installation has, whatever its SOPs say."""

_SNAKE = r"^[a-z][a-z0-9_]*$"
_KEBAB = r"^[a-z][a-z0-9-]*$"
_PATTERN_RULES = {
    _SNAKE: "a lowercase letter, then lowercase letters, digits or _",
    _KEBAB: "a lowercase letter, then lowercase letters, digits or -",
}
_PRESETS_PACKAGE = "humas.sop"
_PRESETS_DIR = "presets"


class SopError(ConfigError, ValueError):
    """The SOP definition is invalid; fix the file and key named."""


class _Invalid(ValueError):
    """A cross-field check failed at ``loc`` relative to the model being validated."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirements(_Model):
    """What must be present before a step can be completed (the SOP's *kelengkapan*).

    ``"media"`` in ``fields`` means at least one media file; ``media_min`` raises that minimum and applies on its
    own too. ``platform_limits`` asks for the target accounts' platform limits to be checked at this step.
    """

    fields: list[ContentField] = []
    media_min: int = Field(default=0, ge=0)
    caption_max: int | None = Field(default=None, ge=1)
    text_max: int | None = Field(default=None, ge=1)
    platform_limits: bool = False
    description: str = ""

    @field_validator("fields")
    @classmethod
    def _unique_fields(cls, value: list[ContentField]) -> list[ContentField]:
        repeated = sorted({f for f in value if value.count(f) > 1})
        if repeated:
            raise ValueError(f"field listed more than once: {', '.join(repeated)}")
        return value

    @property
    def min_media(self) -> int:
        """The number of media files required: ``media_min``, or 1 when ``"media"`` is listed in ``fields``."""
        return max(self.media_min, 1 if "media" in self.fields else 0)


class Step(_Model):
    """One step of an SOP: who does what, within which time standard, needing what.

    ``action``: ``submit`` is an authoring step finished by submitting the content (status ``draft``);
    ``review`` is finished by approving or rejecting (status ``in_review``); ``publish`` is done by the publishing
    queue after the last review; ``respond`` belongs to the comment-response path only.
    ``on_reject`` names an earlier step of the same list that a rejection returns to (``None``: no rejection).
    ``when`` names a content flag; without it on the content the step is skipped.
    ``editable``: holders of ``role`` may edit the content from a later step, which returns it to this step.
    A zero ``time_standard`` (``"0m"``) means the SOP sets no time for the step.
    """

    id: str = Field(pattern=_SNAKE)
    label: str = Field(min_length=1)
    role: str = Field(pattern=_SNAKE)
    action: Action
    time_standard: str
    requires: Requirements = Requirements()
    on_reject: str | None = None
    when: str | None = Field(default=None, pattern=_SNAKE)
    editable: bool = False
    approve_label: str = Field(default="Setujui", min_length=1)
    reject_label: str = Field(default="Tolak", min_length=1)
    output: str = ""
    description: str = ""

    @field_validator("time_standard")
    @classmethod
    def _valid_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.on_reject is not None and self.action != "review":
            raise _Invalid(("on_reject",), f'only review steps can reject; this step\'s action is "{self.action}"')
        if self.editable and self.action not in ("submit", "review"):
            raise _Invalid(("editable",), f'only submit and review steps can be editable, not "{self.action}"')
        return self

    @property
    def standard(self) -> timedelta:
        """The time standard as a duration."""
        return parse_duration(self.time_standard)

    @property
    def timed(self) -> bool:
        """Whether the SOP sets a time for this step (a zero standard means it does not)."""
        return self.standard > timedelta(0)

    @property
    def can_reject(self) -> bool:
        """Whether this step has a rejection path."""
        return self.on_reject is not None


class SOP(_Model):
    """An office's SOP: its roles, the content chain (``steps``) and the comment-response chain.

    ``direct_reply``: non-negative public comments may be answered by ``response_role`` without approval;
    negative ones go through ``response_steps`` and are escalated to ``escalation_role``.
    ``cadence``: how often the SOP expects a publication, as a duration (``"1w"``), if it says.
    ``distinct_approvers``: separation of duties on the content chain: whoever wrote a version may not approve it,
    and one person may not approve steps of two roles on the same version (two steps of one role, yes).
    ``plan_steps``: the monthly content plan's chain (meeting, proposed items, approval), when the SOP plans a
    month ahead; the approved items become content under ``steps``.
    ``inventory_steps``: the documentation equipment inventory round's chain (assignments, the check, the record),
    when the SOP keeps equipment.
    """

    id: str = Field(pattern=_KEBAB)
    name: str = Field(min_length=1)
    office: str = Field(min_length=1)
    reference: str = ""
    description: str = ""
    cadence: str | None = None
    roles: dict[str, str]
    steps: list[Step]
    response_steps: list[Step] = []
    plan_steps: list[Step] = []
    inventory_steps: list[Step] = []
    direct_reply: bool = True
    response_role: str | None = None
    escalation_role: str | None = None
    distinct_approvers: bool = False

    @field_validator("cadence")
    @classmethod
    def _valid_cadence(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("roles")
    @classmethod
    def _valid_roles(cls, value: dict[str, str]) -> dict[str, str]:
        for role_id, display in value.items():
            if not _is_snake(role_id):
                raise _Invalid((role_id,), f'invalid role id "{role_id}" (lowercase letters, digits and _)')
            if not display.strip():
                raise _Invalid((role_id,), "empty display name")
        if not value:
            raise ValueError("at least one role is required")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SOP:
        seen: dict[str, str] = {}
        for key, chain in self._chains():
            for i, step in enumerate(chain):
                if step.id in seen:
                    raise _Invalid((key, i, "id"), f'duplicate step id "{step.id}" (also {seen[step.id]})')
                seen[step.id] = f"{key}[{i}]"
            self._check_chain(key, chain)
        for key in ("response_role", "escalation_role"):
            role = getattr(self, key)
            if role is not None and role not in self.roles:
                raise _Invalid((key,), f'unknown role "{role}" (not in [roles]: {", ".join(sorted(self.roles))})')
        self._check_content_steps()
        self._check_response_steps()
        self._check_side_chain("plan_steps", self.plan_steps, needs_review=True)
        self._check_side_chain("inventory_steps", self.inventory_steps, needs_review=False)
        return self

    def _chains(self) -> list[tuple[str, list[Step]]]:
        return [("steps", self.steps), ("response_steps", self.response_steps), ("plan_steps", self.plan_steps),
                ("inventory_steps", self.inventory_steps)]

    def _check_side_chain(self, key: str, chain: Sequence[Step], *, needs_review: bool) -> None:
        """A plan or inventory chain: submit and review steps that always run, a submit first; a plan is approved."""
        for i, step in enumerate(chain):
            if step.action not in ("submit", "review"):
                raise _Invalid((key, i, "action"), f'{key} are "submit" or "review", not "{step.action}"')
            if step.when is not None:
                raise _Invalid((key, i, "when"), f"{key} always run (no when)")
        if chain and chain[0].action != "submit":
            raise _Invalid((key, 0, "action"), f'the first of {key} must be "submit"')
        if chain and needs_review and not any(s.action == "review" for s in chain):
            raise _Invalid((key,), f'{key} need a "review" step (the approval)')

    def _check_chain(self, key: str, chain: Sequence[Step]) -> None:
        positions = {step.id: i for i, step in enumerate(chain)}
        for i, step in enumerate(chain):
            if step.role not in self.roles:
                raise _Invalid(
                    (key, i, "role"),
                    f'unknown role "{step.role}" (not in [roles]: {", ".join(sorted(self.roles))})',
                )
            if step.on_reject is None:
                continue
            target = positions.get(step.on_reject)
            if target is None:
                raise _Invalid((key, i, "on_reject"), f'no step "{step.on_reject}" in {key}')
            if target >= i:
                raise _Invalid(
                    (key, i, "on_reject"), f'"{step.on_reject}" is not an earlier step; a rejection can only go back'
                )
            when = chain[target].when
            if when is not None and when != step.when:
                raise _Invalid(
                    (key, i, "on_reject"),
                    f'"{step.on_reject}" only runs when the content is flagged "{when}"; reject to a step that '
                    "always runs",
                )

    def _check_content_steps(self) -> None:
        if not self.steps:
            raise _Invalid(("steps",), "at least one step is required")
        first = self.steps[0]
        if first.action != "submit":
            raise _Invalid(("steps", 0, "action"), f'the first step must be "submit", not "{first.action}"')
        if first.when is not None:
            raise _Invalid(("steps", 0, "when"), "the first step must always run")
        for i, step in enumerate(self.steps):
            if step.action == "respond":
                raise _Invalid(("steps", i, "action"), '"respond" steps belong in response_steps')
        if not any(s.action == "review" and s.when is None for s in self.steps):
            raise _Invalid(("steps",), "at least one review step that always runs is required")
        last = len(self.steps) - 1
        publish = [i for i, s in enumerate(self.steps) if s.action == "publish"]
        if not publish:
            raise _Invalid(("steps",), 'the last step must be the "publish" step')
        if publish != [last]:
            raise _Invalid(
                ("steps", publish[0], "action"),
                'exactly one "publish" step, the last one, after all reviews',
            )
        if self.steps[last].when is not None:
            raise _Invalid(("steps", last, "when"), "the publish step must always run")

    def _check_response_steps(self) -> None:
        for i, step in enumerate(self.response_steps):
            if step.action not in ("respond", "review"):
                raise _Invalid(
                    ("response_steps", i, "action"), f'response steps are "respond" or "review", not "{step.action}"'
                )
        if self.response_steps and self.response_steps[0].action != "respond":
            raise _Invalid(("response_steps", 0, "action"), 'the first response step must be "respond"')

    def step(self, step_id: str) -> Step:
        """The step with this id, from any of the SOP's chains; :class:`KeyError` if there is none."""
        for step in (*self.steps, *self.response_steps, *self.plan_steps, *self.inventory_steps):
            if step.id == step_id:
                return step
        raise KeyError(f'SOP {self.id} has no step "{step_id}"')

    def index(self, step_id: str) -> int:
        """The position of the step within its own list (``steps`` or ``response_steps``)."""
        return self._chain_of(step_id).index(self.step(step_id))

    def active_steps(self, flags: Iterable[str] = (), *, response: bool = False) -> list[Step]:
        """The steps that run for content carrying ``flags`` (a step with ``when`` needs that flag), in order.

        ``response=True`` gives the response path instead of the content chain.
        """
        present = set(flags)
        chain = self.response_steps if response else self.steps
        return [s for s in chain if s.when is None or s.when in present]

    def next_step(self, current_id: str, flags: Iterable[str] = ()) -> Step | None:
        """The step after ``current_id`` in its list that runs under ``flags``; ``None`` after the last one."""
        present = set(flags)
        chain = self._chain_of(current_id)
        for step in chain[self.index(current_id) + 1 :]:
            if step.when is None or step.when in present:
                return step
        return None

    def first_review(self, flags: Iterable[str] = ()) -> Step:
        """The first review step of the content chain that runs under ``flags``."""
        return next(s for s in self.active_steps(flags) if s.action == "review")

    @property
    def publish_step(self) -> Step:
        """The content chain's publish step (always the last)."""
        return self.steps[-1]

    @property
    def publish_role(self) -> str:
        """The role that schedules this SOP's content (its publish step's role)."""
        return self.publish_step.role

    def edit_step_for(self, role: str, current_id: str, flags: Iterable[str] = ()) -> Step | None:
        """The step an edit by ``role`` returns the content to: the latest editable step of ``role`` at or before
        ``current_id`` that runs under ``flags``; ``None`` when ``role`` may not edit at this point."""
        present = set(flags)
        chain = self._chain_of(current_id)
        for step in reversed(chain[: self.index(current_id) + 1]):
            if step.editable and step.role == role and (step.when is None or step.when in present):
                return step
        return None

    def role_ids(self) -> set[str]:
        """The ids of the roles this SOP declares."""
        return set(self.roles)

    def _chain_of(self, step_id: str) -> list[Step]:
        for _, chain in self._chains():
            if any(s.id == step_id for s in chain):
                return chain
        raise KeyError(f'SOP {self.id} has no step "{step_id}"')


def _is_snake(value: str) -> bool:
    return re.fullmatch(_SNAKE, value) is not None


def parse_sop(data: Mapping[str, Any], source: str) -> SOP:
    """Build an :class:`SOP` from parsed TOML ``data``; ``source`` names it in errors (usually the file name).

    Raises :class:`SopError` with one line per problem: ``<source>: <key path>: <message>``.
    """
    try:
        return SOP.model_validate(data)
    except ValidationError as exc:
        raise SopError("\n".join(f"{source}: {line}" for line in _describe(exc))) from None


def load_sop_file(path: str | Path) -> SOP:
    """Read and validate one SOP TOML file; errors are :class:`SopError` naming the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SopError(f"{file}: cannot read: {exc.strerror or exc}") from None
    return _parse_text(text, file.name)


def load_presets() -> dict[str, SOP]:
    """The SOPs shipped in ``humas/sop/presets``, by id; each file's name is its id plus ``.toml``."""
    folder = resources.files(_PRESETS_PACKAGE).joinpath(_PRESETS_DIR)
    presets: dict[str, SOP] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        sop = _parse_text(entry.read_text(encoding="utf-8"), entry.name)
        expected = entry.name.removesuffix(".toml")
        if sop.id != expected:
            raise SopError(f'{entry.name}: id: "{sop.id}" does not match the file name (expected "{expected}")')
        presets[sop.id] = sop
    return presets


def role_catalogue(sops: Iterable[SOP] | Mapping[str, SOP]) -> dict[str, str]:
    """All roles of ``sops`` plus the built-in ``admin``: role id -> display name.

    A role id used by several SOPs is one role, so its display names must agree; a conflict raises
    :class:`SopError` naming both SOPs.
    """
    items = sops.values() if isinstance(sops, Mapping) else sops
    catalogue: dict[str, str] = {ADMIN_ROLE[0]: ADMIN_ROLE[1]}
    origin: dict[str, str] = {ADMIN_ROLE[0]: "built-in"}
    for sop in items:
        for role_id, display in sop.roles.items():
            known = catalogue.get(role_id)
            if known is None:
                catalogue[role_id] = display
                origin[role_id] = sop.id
            elif known != display:
                raise SopError(
                    f'{sop.id}: roles.{role_id}: display name "{display}" differs from "{known}" in '
                    f"{origin[role_id]} (a role id shared by SOPs is one role; use one name or another id)"
                )
    return catalogue


def _parse_text(text: str, source: str) -> SOP:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SopError(f"{source}: invalid TOML: {exc}") from None
    return parse_sop(data, source)


def _describe(exc: ValidationError) -> list[str]:
    lines: list[str] = []
    for error in exc.errors():
        loc: tuple[str | int, ...] = tuple(error["loc"])
        message = str(error["msg"])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _Invalid):
            loc += cause.loc
            message = cause.message
        elif isinstance(cause, ValueError):
            message = str(cause)
        elif error["type"] == "extra_forbidden":
            allowed = _keys_at(loc[:-1])
            message = "unknown key" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] == "string_pattern_mismatch":
            rule = _PATTERN_RULES.get(str(error.get("ctx", {}).get("pattern")), "")
            message = f"invalid value {error['input']!r}" + (f" ({rule})" if rule else "")
        elif "input" in error and not isinstance(error["input"], dict | list):
            message = f"{message} (got {error['input']!r})"
        lines.append(f"{_path(loc)}: {message}" if loc else message)
    return lines


def _path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _keys_at(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] = SOP
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        nested = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)
