"""What the equipment, inventory and agenda services share: the words (codes and their Indonesian labels), the roles
the SOP gives, refusals that carry an Indonesian message for the pages, text limits, times and people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas import authz
from humas.authz import Actor
from humas.env import Env
from humas.errors import ConfigError, InvalidInput, InvalidTransition, NotFound, TooLong
from humas.sop.model import SOP, Step
from humas.store.models import User, UserRole

#: equipment kinds (code -> label); the SOPs name cameras, drones, studio and audio gear and graphics computers
KINDS: dict[str, str] = {
    "kamera": "Kamera", "drone": "Drone", "lensa": "Lensa", "baterai": "Baterai", "kartu_memori": "Kartu memori",
    "studio_audio": "Peralatan studio/audio", "komputer_grafis": "Komputer grafis", "lainnya": "Lainnya",
}
CONDITIONS: dict[str, str] = {"baik": "Baik", "rusak_ringan": "Rusak ringan", "rusak_berat": "Rusak berat"}
READINESS: dict[str, str] = {"siap": "Siap", "perlu_perhatian": "Perlu perhatian", "tidak_siap": "Tidak siap"}
#: readiness from best to worst
READINESS_ORDER = ("siap", "perlu_perhatian", "tidak_siap")
LEADERS: dict[str, str] = {"bupati": "Bupati", "wakil_bupati": "Wakil Bupati", "sekda": "Sekretaris Daerah",
                           "lainnya": "Lainnya"}
#: storage places the SOP names (suggestions; any other text is allowed)
STORAGE_PLACES = ("Lemari terkunci", "Filing kabinet terkunci", "Dry cabinet terkunci")
ROUND_STATUS: dict[str, str] = {"open": "Berjalan", "finished": "Selesai", "cancelled": "Dibatalkan"}
AGENDA_STATUS: dict[str, str] = {"planned": "Terencana", "cancelled": "Dibatalkan"}

#: field -> (most characters, Indonesian name) for the texts only this package takes
TEXT: dict[str, tuple[int, str]] = {
    "name": (200, "Nama alat"), "serial": (100, "Nomor seri"), "storage": (200, "Tempat penyimpanan"),
    "leader_name": (200, "Nama pimpinan"), "activity": (2_000, "Kegiatan"), "place": (300, "Tempat"),
    "note": (2_000, "Catatan"), "title": (300, "Judul"),
}


class Invalid(InvalidInput):
    """Refused input; ``indonesian`` is what the pages show."""

    def __init__(self, message: str, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


class Missing(NotFound):
    """Not found; ``indonesian`` is what the pages show."""

    def __init__(self, message: str, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


class Conflict(InvalidTransition):
    """Not possible in the current state; ``indonesian`` is what the pages show."""

    def __init__(self, message: str, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


def check_text(field: str, value: str | None) -> None:
    """``TooLong`` (rule ``limit.<field>``) when ``value`` is longer than the field takes."""
    if value is None:
        return
    most, name = TEXT[field]
    if len(value) > most:
        raise TooLong(f"{field.replace('_', ' ')} too long: {len(value):,} characters, at most {most:,} "
                      f"(rule limit.{field})", rule=f"limit.{field}",
                      indonesian=f"{name} terlalu panjang: {len(value):,} karakter, paling banyak {most:,} "
                                 f"(aturan limit.{field})")


def one_of(value: str, allowed: dict[str, str], what: str, apa: str) -> str:
    """``value`` when it is a code of ``allowed``; refused naming the codes otherwise."""
    if value not in allowed:
        codes = ", ".join(allowed)
        raise Invalid(f"unknown {what} '{value}' (one of: {codes})", f"{apa} '{value}' tidak dikenal (pilih: {codes})")
    return value


def required(value: str, what: str, apa: str) -> str:
    text = value.strip()
    if not text:
        raise Invalid(f"the {what} is empty", f"{apa} wajib diisi")
    return text


@dataclass(frozen=True)
class DocRoles:
    """The roles and the inventory chain of the documentation SOP (``[documentation] sop``).

    The inventory chain is read by position: every step before the last two is a disposition that names the person
    for the step after it; the second to last is the check of every item; the last records and reports the round.
    ``head`` (the first step's role) starts rounds; ``coordinator`` (the role of the last disposition) and ``head``
    manage the agenda and the equipment; ``staff`` (the check step's role) documents the leaders' activities.
    """

    sop: SOP

    @property
    def chain(self) -> list[Step]:
        return self.sop.inventory_steps

    @property
    def dispositions(self) -> list[Step]:
        return self.chain[:-2]

    @property
    def check_step(self) -> Step:
        return self.chain[-2]

    @property
    def record_step(self) -> Step:
        return self.chain[-1]

    @property
    def head(self) -> str:
        return self.chain[0].role

    @property
    def coordinator(self) -> str:
        return self.dispositions[-1].role if self.dispositions else self.head

    @property
    def staff(self) -> str:
        return self.check_step.role

    @property
    def managers(self) -> set[str]:
        return {self.head, self.coordinator}

    @property
    def all_roles(self) -> set[str]:
        return {s.role for s in self.chain}

    def is_disposition(self, step_id: str) -> bool:
        return any(s.id == step_id for s in self.dispositions)

    def may_view(self, actor: Actor) -> bool:
        """Seeing the equipment, the rounds and the agenda: the SOP's inventory roles, or an admin."""
        return authz.may_view(actor, self.all_roles)

    def require_view(self, actor: Actor) -> None:
        authz.require_view(actor, self.all_roles, "see the documentation equipment and the leaders' agenda")

    def may_manage_items(self, actor: Actor) -> bool:
        """Adding, editing and retiring items: the head, the coordinator, or an admin."""
        return actor.is_admin or bool(actor.roles & self.managers)

    def require_manage_items(self, actor: Actor) -> None:
        if not actor.is_admin:
            authz.require_any(actor, self.managers, "manage the documentation equipment")

    def may_manage_agenda(self, actor: Actor) -> bool:
        """Agenda entries, their staff and cancelling them: the head or the coordinator (SOP roles, never by rank)."""
        return bool(actor.roles & self.managers)

    def require_manage_agenda(self, actor: Actor) -> None:
        authz.require_any(actor, self.managers, "manage the leaders' agenda")

    def role_label(self, role: str) -> str:
        return self.sop.roles.get(role, role)


def doc_roles(env: Env) -> DocRoles:
    """The documentation SOP's roles; a :class:`ConfigError` when the SOP named has no inventory chain."""
    sop_id = env.settings.documentation.sop
    try:
        sop = env.sops.get(sop_id)
    except NotFound as exc:
        raise ConfigError(f"[documentation] sop: {exc.message}") from None
    if len(sop.inventory_steps) < 2:
        raise ConfigError(f"[documentation] sop = '{sop_id}': that SOP has no inventory chain ([[inventory_steps]], "
                          "at least the check and the record steps)")
    return DocRoles(sop)


# --- times ---------------------------------------------------------------------------------------------------------

_DISPLAYED = re.compile(r"(\d{2})-(\d{2})-(\d{4})[ T](\d{2}):(\d{2})")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def parse_time(env: Env, text: str, what: str = "time") -> datetime:
    """``YYYY-MM-DD HH:MM`` (or the browser's ``YYYY-MM-DDTHH:MM``) or ``DD-MM-YYYY HH:MM`` in the configured time
    zone, or ISO 8601 with an offset; years 1970-9998."""
    t = text.strip()
    shown = _DISPLAYED.fullmatch(t)
    if shown is not None:
        day, month, year, hour, minute = shown.groups()
        t = f"{year}-{month}-{day} {hour}:{minute}"
    elif not _ISO.fullmatch(t):
        raise Invalid(f"invalid {what} '{text}' (expected 'YYYY-MM-DD HH:MM' or 'DD-MM-YYYY HH:MM' in "
                      f"{env.settings.time.timezone})",
                      f"waktu '{text}' tidak valid (contoh: 2026-12-01 09:00 atau 01-12-2026 09:00)")
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"invalid {what} '{text}' (no such date or time)",
                      f"waktu '{text}' tidak ada (tanggal atau jam salah)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=env.tz)
    if not 1970 <= dt.year <= 9998 or not 1970 <= dt.astimezone(UTC).year <= 9998:
        raise Invalid(f"invalid {what} '{text}' (the year must be 1970-9998)",
                      f"waktu '{text}' tidak valid (tahun 1970-9998)")
    return dt


def local_text(env: Env, dt: datetime | None) -> str:
    """``dt`` as people read it (``DD-MM-YYYY HH:MM`` in the configured zone); ``—`` for none."""
    return env.local(dt).strftime("%d-%m-%Y %H:%M") if dt is not None else "—"


# --- people ------------------------------------------------------------------------------------------------------


def user_holding(s: Session, name: str, role: str, role_label: str) -> User:
    """The active user ``name``, who must hold ``role``."""
    wanted = name.strip()
    if not wanted:
        raise Invalid(f"name the person ({role_label})", f"pilih orangnya ({role_label})")
    user = s.execute(select(User).where(User.name == wanted)).scalar_one_or_none()
    if user is None or not user.active:  # named in the input: invalid input, not a missing path object
        raise Invalid(f"no active user '{wanted}'", f"pengguna aktif '{wanted}' tidak ada")
    if role not in user.role_ids:
        raise Invalid(f"user '{wanted}' does not hold the role {role_label}",
                      f"pengguna '{wanted}' tidak memegang peran {role_label}")
    return user


def holders(s: Session, role: str) -> list[User]:
    """The active users holding ``role``, by name (the choices of an assignment)."""
    return list(s.execute(select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True))
                          .order_by(User.name)).scalars())


def user_names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in s.execute(select(User).where(User.id.in_(sorted(ids)))).scalars()}
