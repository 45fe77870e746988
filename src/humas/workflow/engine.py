"""Content through its SOP: create, edit, submit, approve, reject, cancel.

Every method runs in the caller's transaction, checks everything before it writes anything, and appends each
transition to the audit register. Approvals bind to the content version hash; an edit after approval sends the
content back to the step that owns editing and invalidates every approval after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from humas import authz, limits
from humas.authz import Actor
from humas.env import Env
from humas.errors import (
    AnotherApproverNeeded,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RequirementsNotMet,
)
from humas.notify import Notifier
from humas.sop.model import SOP, Step
from humas.store import audit
from humas.store.models import Content, ContentMedia, ContentStatus, ContentVersion, Decision, StepPeriod, table
from humas.workflow.notices import step_pending

#: ``(content, account names) -> problems``; the publisher's per-platform limits, checked at submit.
PlatformCheck = Callable[[Content, Sequence[str]], list[str]]

EDITABLE_STATUSES = {ContentStatus.DRAFT, ContentStatus.IN_REVIEW, ContentStatus.APPROVED}


@dataclass
class ContentChanges:
    """Fields of an edit; ``None`` leaves a field as it is. ``media`` replaces the whole list when given."""

    title: str | None = None
    text: str | None = None
    caption: str | None = None
    media: list[Path] | None = None
    accounts: list[str] | None = None
    activity: str | None = None
    location: str | None = None
    platform_captions: dict[str, str] | None = None
    set_flags: list[str] = field(default_factory=list)
    clear_flags: list[str] = field(default_factory=list)


def version_hash(title: str, text: str, caption: str, platform_captions: dict[str, Any], media: Sequence[str]) -> str:
    body = {"title": title, "text": text, "caption": caption, "platform_captions": platform_captions,
            "media": list(media)}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def content_hash(c: Content) -> str:
    return version_hash(c.title, c.text, c.caption, dict(c.platform_captions), [m.sha256 for m in c.media])


def snapshot(c: Content) -> dict[str, Any]:
    return {
        "title": c.title, "text": c.text, "caption": c.caption, "platform_captions": dict(c.platform_captions),
        "media": [m.sha256 for m in c.media], "accounts": list(c.accounts), "activity": c.activity,
        "location": c.location, "flags": list(c.flags),
    }


_CONTENTS = table(Content)
_SETTLE = (update(_CONTENTS)  # built once: the send cycle settles contents with every batch
           .where(_CONTENTS.c.id.in_(bindparam("b_ids", expanding=True)),
                  _CONTENTS.c.status == ContentStatus.SCHEDULED)
           .values(status=bindparam("b_status"), updated_at=bindparam("b_now"))
           .returning(_CONTENTS.c.id))


class Workflow:
    """Content through its SOP in one transaction (``session``); see the module docstring.

    ``notifier``: the step's role is told when content enters a step (after the commit). ``platform_check``: the
    target accounts' platform limits, checked when content is submitted to review or approval.
    """

    def __init__(self, env: Env, session: Session, *, notifier: Notifier | None = None,
                 platform_check: PlatformCheck | None = None) -> None:
        self.env = env
        self.s = session
        self.notifier = notifier
        self.platform_check = platform_check

    # --- queries ----------------------------------------------------------------------------------------------

    def get(self, content_id: int) -> Content:
        c = self.s.get(Content, content_id)
        if c is None:
            raise NotFound(f"content {content_id} not found")
        return c

    def sop_of(self, c: Content) -> SOP:
        return self.env.sops.get(c.sop_id)

    def current_step(self, c: Content) -> Step | None:
        return self.sop_of(c).step(c.step_id) if c.step_id else None

    def open_period(self, c: Content) -> StepPeriod | None:
        return self.env.timer.current(self.s, "content", c.id)

    # --- commands ---------------------------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        *,
        sop_id: str,
        title: str,
        text: str,
        caption: str = "",
        media: Sequence[Path] = (),
        accounts: Sequence[str] = (),
        activity: str = "",
        location: str = "",
        flags: Sequence[str] = (),
        platform_captions: dict[str, str] | None = None,
    ) -> Content:
        sop = self.env.sops.get(sop_id)
        first = sop.active_steps(set(flags))[0]
        authz.require_role(actor, first.role, f"create content under SOP '{sop.id}'",
                           self.env.sops.role_label(first.role))
        if not title.strip():
            raise InvalidInput("the title is empty")
        limits.check_texts(title=title, text=text, caption=caption, activity=activity, location=location)
        self._check_inputs(media, accounts, flags, sop, platform_captions)
        now = self.env.clock()
        c = Content(
            sop_id=sop.id, title=title.strip(), text=text, caption=caption, platform_captions=platform_captions or {},
            accounts=list(dict.fromkeys(accounts)), activity=activity, location=location,
            flags=sorted(set(flags)), status=ContentStatus.DRAFT, step_id=first.id, version=1, version_hash="",
            created_by_id=actor.id, created_at=now, updated_at=now,
        )
        self.s.add(c)
        self._set_media(c, media)
        c.version_hash = content_hash(c)
        self.s.flush()
        self._record_version(c, actor)
        self._enter(c, first, now)
        self._audit(actor, c, "content.created", first.role, data={"sop": sop.id, "step": first.id})
        return c

    def edit(self, actor: Actor, content_id: int, changes: ContentChanges) -> Content:
        c = self.get(content_id)
        sop = self.sop_of(c)
        if c.status not in EDITABLE_STATUSES:
            raise InvalidTransition(f"content {c.id} is {c.status} and can no longer be edited"
                                    + (" (cancel its scheduled posts first)" if c.status == "scheduled" else ""))
        owner = self._edit_owner(actor, c, sop)
        flags = set(c.flags) | set(changes.set_flags)
        flags -= set(changes.clear_flags)
        if flags != set(c.flags) and c.status != ContentStatus.DRAFT:
            raise InvalidTransition("conditions (flags) can only change while the content is a draft")
        self._check_inputs(changes.media or (), changes.accounts or (), changes.set_flags, sop,
                           changes.platform_captions)
        if changes.title is not None and not changes.title.strip():
            raise InvalidInput("the title is empty")
        limits.check_texts(title=changes.title, text=changes.text, caption=changes.caption,
                           activity=changes.activity, location=changes.location)
        before_hash = c.version_hash
        for name in ("title", "text", "caption", "activity", "location", "platform_captions"):
            value = getattr(changes, name)
            if value is not None:
                setattr(c, name, value.strip() if name == "title" else value)
        if changes.accounts is not None:
            c.accounts = list(dict.fromkeys(changes.accounts))
        if changes.media is not None:
            c.media.clear()
            self.s.flush()
            self._set_media(c, changes.media)
        c.flags = sorted(flags)
        c.version_hash = content_hash(c)
        now = self.env.clock()
        c.updated_at = now
        data: dict[str, Any] = {"step": c.step_id}
        if c.version_hash != before_hash:
            c.version += 1
            self._record_version(c, actor)
            current = self.current_step(c)
            back = c.status == ContentStatus.APPROVED or (
                current is not None and sop.index(owner.id) < sop.index(current.id)
            )
            if back:
                invalidated = self._invalidate_after(c, sop, sop.index(owner.id), inclusive=False)
                self._close_period(c, now, actor, "returned")
                self._move(c, owner, now)
                data.update({"returned_to": owner.id, "invalidated": invalidated})
        data["version"] = c.version
        self._audit(actor, c, "content.edited", owner.role, data=data)
        return c

    def submit(self, actor: Actor, content_id: int, note: str = "") -> Content:
        limits.check_text("note", note)
        c = self.get(content_id)
        sop = self.sop_of(c)
        step = self.current_step(c)
        if c.status != ContentStatus.DRAFT or step is None or step.action != "submit":
            raise InvalidTransition(
                f"content {c.id} is {c.status} at step {c.step_id or '-'}: there is nothing to submit"
            )
        authz.require_role(actor, step.role, f"submit at step '{step.label}'", self.env.sops.role_label(step.role))
        flags = set(c.flags)
        completing = [step]
        nxt = sop.next_step(step.id, flags)
        while nxt is not None and nxt.action == "submit" and nxt.role == step.role:
            completing.append(nxt)
            nxt = sop.next_step(nxt.id, flags)
        problems: list[str] = []
        for st in completing:
            problems += self.requirement_problems(c, st)
        if nxt is None or nxt.action in ("review", "publish"):
            problems += self._platform_problems(c)
        if problems:
            raise RequirementsNotMet(f"content {c.id} cannot be submitted: " + "; ".join(problems))
        now = self.env.clock()
        for st in completing:
            self.s.add(Decision(content_id=c.id, step_id=st.id, role=st.role, user_id=actor.id, outcome="submitted",
                                version_hash=c.version_hash, note=note, created_at=now))
        self._close_period(c, now, actor, "submitted")
        self._advance(c, nxt, now)
        self._audit(actor, c, "content.submitted", step.role, note,
                    data={"steps": [s.id for s in completing], "next": c.step_id})
        return c

    def approve(self, actor: Actor, content_id: int, note: str = "") -> Content:
        limits.check_text("note", note)
        c, step = self._reviewing(actor, content_id, "approve")
        sop = self.sop_of(c)
        if sop.distinct_approvers:
            self._check_distinct(actor, c, sop, step)
        now = self.env.clock()
        self.s.add(Decision(content_id=c.id, step_id=step.id, role=step.role, user_id=actor.id, outcome="approved",
                            version_hash=c.version_hash, note=note, created_at=now))
        self.s.flush()
        self._close_period(c, now, actor, "approved")
        self._advance(c, sop.next_step(step.id, set(c.flags)), now)
        if c.status == ContentStatus.APPROVED:
            self._check_chain(c, sop)
        self._audit(actor, c, "content.approved", step.role, note,
                    data={"step": step.id, "label": step.approve_label, "next": c.step_id})
        return c

    def reject(self, actor: Actor, content_id: int, note: str) -> Content:
        limits.check_text("note", note)
        c, step = self._reviewing(actor, content_id, "reject")
        if not note.strip():
            raise InvalidInput("a rejection needs a note (--note) saying what to fix")
        if step.on_reject is None:
            raise InvalidTransition(f"step '{step.label}' cannot reject (the SOP names no step to return to)")
        sop = self.sop_of(c)
        target = sop.step(step.on_reject)
        now = self.env.clock()
        self.s.add(Decision(content_id=c.id, step_id=step.id, role=step.role, user_id=actor.id, outcome="rejected",
                            version_hash=c.version_hash, note=note, created_at=now))
        invalidated = self._invalidate_after(c, sop, sop.index(target.id), inclusive=True)
        self._close_period(c, now, actor, "rejected")
        self._move(c, target, now)
        self._audit(actor, c, "content.rejected", step.role, note,
                    data={"step": step.id, "label": step.reject_label, "returned_to": target.id,
                          "invalidated": invalidated})
        return c

    def cancel(self, actor: Actor, content_id: int, note: str) -> Content:
        limits.check_text("note", note)
        c = self.get(content_id)
        if c.status in (ContentStatus.PUBLISHED, ContentStatus.CANCELLED, ContentStatus.SCHEDULED):
            raise InvalidTransition(f"content {c.id} is {c.status} and cannot be cancelled here")
        if not (actor.is_admin or actor.id == c.created_by_id):
            raise PermissionDenied(f"user '{actor.name}' may not cancel content {c.id}: only its author or an admin")
        now = self.env.clock()
        self._close_period(c, now, actor, "cancelled")
        c.status, c.step_id, c.updated_at = ContentStatus.CANCELLED, None, now
        self._audit(actor, c, "content.cancelled", "", note)
        return c

    # --- what the publishing side asks of the workflow ---------------------------------------------------------

    def scheduled(self, c: Content, actor: Actor, data: dict[str, Any]) -> None:
        """Approved content was queued: the publish step is done and the content is ``scheduled``."""
        self._close_period(c, self.env.clock(), actor, "scheduled")
        c.step_id, c.status, c.updated_at = None, ContentStatus.SCHEDULED, self.env.clock()
        audit.append(self.s, actor=actor.name, action="content.scheduled", subject_type="content", subject_id=c.id,
                     version_hash=c.version_hash, data=data, at=c.updated_at)

    def settled(self, contents: Sequence[tuple[int, str]], status: ContentStatus, actor_name: str,
                action: str) -> None:
        """Scheduled contents ((id, version hash)) whose jobs all ended: ``published`` when at least one post went
        out, ``approved`` again when every job was cancelled (so they can be scheduled anew). One update and one
        register insert for all of them; a content no longer ``scheduled`` is left alone."""
        if not contents:
            return
        now = self.env.clock()
        versions = dict(contents)
        moved = self.s.execute(_SETTLE, {"b_ids": list(versions), "b_status": status, "b_now": now}).scalars().all()
        for cid in moved:  # a content this session has loaded sees it too
            loaded = self.s.identity_map.get(identity_key(Content, cid))
            if loaded is not None:
                self.s.expire(loaded, ["status", "updated_at"])
        audit.append_many(self.s, [audit.Entry(actor=actor_name, action=action, subject_type="content",
                                               subject_id=cid, version_hash=versions[cid], at=now)
                                   for cid in sorted(moved)])

    def retrying(self, c: Content) -> None:
        """A person sends a failed job again: the content is scheduled again (unless already published)."""
        if c.status != ContentStatus.PUBLISHED:
            c.status = ContentStatus.SCHEDULED

    def return_to_editor(self, c: Content, actor_name: str, note: str) -> None:
        """A platform rejected the content: back to the step that owns editing, approvals after it invalidated."""
        sop = self.sop_of(c)
        owner = next((s for s in reversed(sop.active_steps(set(c.flags))) if s.editable), sop.steps[0])
        now = self.env.clock()
        self._invalidate_after(c, sop, sop.index(owner.id), inclusive=False)
        self._close_period(c, now, None, "returned")
        self._move(c, owner, now)
        audit.append(self.s, actor=actor_name, action="content.returned", subject_type="content", subject_id=c.id,
                     version_hash=c.version_hash, note=note, data={"returned_to": owner.id}, at=now)

    # --- requirements -----------------------------------------------------------------------------------------

    def requirement_problems(self, c: Content, step: Step) -> list[str]:
        r = step.requires
        out: list[str] = []
        present = {
            "title": bool(c.title.strip()), "text": bool(c.text.strip()), "caption": bool(c.caption.strip()),
            "media": bool(c.media), "accounts": bool(c.accounts), "activity": bool(c.activity.strip()),
            "location": bool(c.location.strip()),
        }
        names = {"title": "judul", "text": "narasi", "caption": "caption", "media": "media",
                 "accounts": "akun tujuan", "activity": "informasi kegiatan", "location": "lokasi kegiatan"}
        for f in r.fields:
            if not present[f]:
                out.append(f"required:{f}: {names[f]} wajib diisi")
        if r.media_min and len(c.media) < r.media_min:
            out.append(f"media_min: minimal {r.media_min} foto/video dokumentasi (ada {len(c.media)})")
        if r.caption_max is not None and len(c.caption) > r.caption_max:
            out.append(f"caption_max: caption maksimal {r.caption_max} karakter (ada {len(c.caption)})")
        if r.text_max is not None and len(c.text) > r.text_max:
            out.append(f"text_max: narasi maksimal {r.text_max} karakter (ada {len(c.text)})")
        return out

    def _platform_problems(self, c: Content) -> list[str]:
        if self.platform_check is None or not c.accounts:
            return []
        return self.platform_check(c, list(c.accounts))

    # --- internals --------------------------------------------------------------------------------------------

    def _check_inputs(self, media: Sequence[Path], accounts: Sequence[str], flags: Sequence[str], sop: SOP,
                      platform_captions: dict[str, str] | None) -> None:
        for p in media:
            self.env.media.check_file(Path(p))
        for name in accounts:
            self.env.settings.account(name)
        known_flags = {s.when for s in sop.steps if s.when}
        for f in flags:
            if f not in known_flags:
                known = ", ".join(sorted(known_flags)) or "none"
                raise InvalidInput(f"unknown condition '{f}' for SOP '{sop.id}' (known: {known})")
        for key, value in (platform_captions or {}).items():
            limits.check_text("platform_caption", value)
            if key not in {"x", "facebook", "instagram", "youtube"}:
                raise InvalidInput(
                    f"unknown platform '{key}' for a per-platform caption (x, facebook, instagram, youtube)"
                )

    def _set_media(self, c: Content, media: Sequence[Path]) -> None:
        for i, p in enumerate(media):
            blob = self.env.media.put(self.s, Path(p))
            c.media.append(ContentMedia(position=i, sha256=blob.sha256, blob=blob))

    def _record_version(self, c: Content, actor: Actor) -> None:
        self.s.add(ContentVersion(content_id=c.id, version=c.version, version_hash=c.version_hash,
                                  snapshot=snapshot(c), created_by_id=actor.id, created_at=self.env.clock()))

    def _edit_owner(self, actor: Actor, c: Content, sop: SOP) -> Step:
        current = self.current_step(c)
        flags = set(c.flags)
        if current is not None and current.action == "submit" and actor.has(current.role):
            return current
        anchor = current.id if current is not None else sop.active_steps(flags)[-1].id
        candidates = [s for role in actor.roles if (s := sop.edit_step_for(role, anchor, flags)) is not None]
        if not candidates:
            owners = sorted({self.env.sops.role_label(s.role) for s in sop.steps if s.editable})
            raise PermissionDenied(
                f"user '{actor.name}' may not edit content {c.id} at step '{current.label if current else c.status}': "
                f"editing belongs to {', '.join(owners) or 'nobody'}"
            )
        return max(candidates, key=lambda s: sop.index(s.id))

    def _reviewing(self, actor: Actor, content_id: int, verb: str) -> tuple[Content, Step]:
        c = self.get(content_id)
        step = self.current_step(c)
        if c.status != ContentStatus.IN_REVIEW or step is None or step.action != "review":
            where = f"at step {c.step_id}" if c.step_id else "with no open step"
            raise InvalidTransition(f"content {c.id} is {c.status} {where}: there is nothing to {verb}")
        authz.require_role(actor, step.role, f"{verb} at step '{step.label}'", self.env.sops.role_label(step.role))
        return c, step

    def _check_distinct(self, actor: Actor, c: Content, sop: SOP, step: Step) -> None:
        """Separation of duties: the author of this version and each approver of it are different people (except
        where the author edited at this very step and now hands the edit on); where the SOP gives one role two steps
        (mojokerto-acc's Tim Reviu checks the draft and then the edit), one member of that role may take both."""
        written = self.s.execute(
            select(ContentVersion.created_by_id, ContentVersion.created_at).where(
                ContentVersion.content_id == c.id, ContentVersion.version == c.version)
        ).one_or_none()
        period = self.open_period(c)
        # at an editable step, the approval of whoever edited there hands the edit on (mojokerto-acc's Tim Editor
        # "menyampaikan hasil editing kepada tim reviu"); it is reviewed at a later step, by someone else
        handing_on = (written is not None and step.editable and period is not None and period.step_id == step.id
                      and written.created_at >= period.entered_at)
        if written is not None and written.created_by_id == actor.id and not handing_on:
            raise AnotherApproverNeeded(
                f"user '{actor.name}' wrote version {c.version} of content {c.id} and may not approve it at step "
                f"'{step.label}': SOP '{sop.id}' requires another person (distinct_approvers)",
                reason="author", step=step.label,
            )
        approved = self.s.execute(
            select(Decision.step_id).where(Decision.content_id == c.id, Decision.valid.is_(True),
                                           Decision.outcome == "approved", Decision.version_hash == c.version_hash,
                                           Decision.user_id == actor.id).order_by(Decision.id)
        ).scalars()
        earlier = next((s for s in approved if _role_of(sop, s) != step.role), None)
        if earlier is not None:
            label = sop.step(earlier).label if _role_of(sop, earlier) else earlier
            raise AnotherApproverNeeded(
                f"user '{actor.name}' already approved step '{label}' of this version of content {c.id} and may "
                f"not also approve step '{step.label}': SOP '{sop.id}' requires another person (distinct_approvers)",
                reason="approved", step=step.label, earlier_step=label,
            )

    def _advance(self, c: Content, nxt: Step | None, now: datetime) -> None:
        if nxt is None or nxt.action == "publish":
            c.status = ContentStatus.APPROVED
            c.step_id = nxt.id if nxt is not None else None
            c.updated_at = now
            if nxt is not None:
                self._enter(c, nxt, now)
            return
        self._move(c, nxt, now)

    def _move(self, c: Content, step: Step, now: datetime) -> None:
        c.step_id = step.id
        c.status = ContentStatus.DRAFT if step.action == "submit" else ContentStatus.IN_REVIEW
        c.updated_at = now
        self._enter(c, step, now)

    def _enter(self, c: Content, step: Step, now: datetime) -> None:
        due = self.env.timer.enter(self.s, "content", c.id, c.sop_id, step, now).due_at
        if self.notifier is None:
            return
        # whoever holds the step's role is told once the move is committed (never about a rolled-back one)
        cid, title, sop_id, notifier, sops, tz = c.id, c.title, c.sop_id, self.notifier, self.env.sops, self.env.tz
        event.listen(self.s, "after_commit", lambda _s: step_pending(notifier, sops, tz, cid, step, title=title,
                                                                     sop_id=sop_id, due_at=due), once=True)

    def _close_period(self, c: Content, now: datetime, actor: Actor | None, outcome: str) -> None:
        self.env.timer.close(self.s, "content", c.id, now, outcome, actor.id if actor else None)

    def _invalidate_after(self, c: Content, sop: SOP, index: int, *, inclusive: bool) -> list[str]:
        steps = [s.id for s in sop.steps if (sop.index(s.id) >= index if inclusive else sop.index(s.id) > index)]
        if not steps:
            return []
        rows = self.s.execute(
            select(Decision.step_id).where(Decision.content_id == c.id, Decision.valid.is_(True),
                                           Decision.step_id.in_(steps))
        ).scalars().all()
        self.s.execute(
            update(Decision).where(Decision.content_id == c.id, Decision.valid.is_(True), Decision.step_id.in_(steps))
            .values(valid=False)
        )
        return sorted(set(rows), key=sop.index)

    def _check_chain(self, c: Content, sop: SOP) -> None:
        """Every review step of the chain holds a valid approval of exactly this version."""
        approved = set(self.s.execute(
            select(Decision.step_id).where(Decision.content_id == c.id, Decision.valid.is_(True),
                                           Decision.outcome == "approved", Decision.version_hash == c.version_hash)
        ).scalars())
        missing = [s.id for s in sop.active_steps(set(c.flags)) if s.action == "review" and s.id not in approved]
        if missing:
            raise InvalidTransition(f"content {c.id} lacks approvals of this version at: {', '.join(missing)}")

    def _audit(self, actor: Actor, c: Content, action: str, role: str, note: str = "",
               data: dict[str, Any] | None = None) -> None:
        audit.append(self.s, actor=actor.name, role=role, action=action, subject_type="content", subject_id=c.id,
                     version_hash=c.version_hash, note=note, data=data, at=self.env.clock())

    # --- views ------------------------------------------------------------------------------------------------

    def describe(self, c: Content) -> dict[str, Any]:
        sop = self.sop_of(c)
        step = self.current_step(c)
        period = self.open_period(c)
        return {
            "id": c.id, "sop": c.sop_id, "title": c.title, "status": c.status, "step": c.step_id,
            "step_label": step.label if step else None,
            "step_role": step.role if step else None,
            "version": c.version, "version_hash": c.version_hash, "text": c.text, "caption": c.caption,
            "platform_captions": dict(c.platform_captions), "accounts": list(c.accounts), "flags": list(c.flags),
            "activity": c.activity, "location": c.location,
            "media": [{"sha256": m.sha256, "mime": m.blob.mime, "size": m.blob.size, "name": m.blob.original_name,
                       "width": m.blob.width, "height": m.blob.height} for m in c.media],
            "created_by": c.created_by.name,
            "created_at": self.env.local(c.created_at).isoformat(timespec="seconds"),
            "updated_at": self.env.local(c.updated_at).isoformat(timespec="seconds"),
            "due_at": self.env.local(period.due_at).isoformat(timespec="seconds") if period and period.due_at else None,
            "approvals": [
                {"step": d.step_id, "role": d.role, "user": d.user.name, "outcome": d.outcome,
                 "at": self.env.local(d.created_at).isoformat(timespec="seconds"),
                 "current_version": d.version_hash == c.version_hash}
                for d in self.s.execute(select(Decision).where(Decision.content_id == c.id, Decision.valid.is_(True))
                                        .order_by(Decision.id)).scalars()
            ],
            "sop_name": sop.name,
        }

    def history(self, c: Content) -> list[dict[str, Any]]:
        out = []
        for e in audit.entries(self.s, subject_type="content", subject_id=str(c.id)):
            out.append({
                "seq": e.seq, "at": self.env.local(e.at).isoformat(timespec="seconds"), "actor": e.actor,
                "role": e.role, "action": e.action, "step": e.data.get("step") or e.data.get("steps"),
                "note": e.note, "version_hash": e.version_hash, "data": e.data,
            })
        return out


def _role_of(sop: SOP, step_id: str) -> str:
    """The role of the SOP's step ``step_id``; empty for a step the SOP no longer has."""
    try:
        return sop.step(step_id).role
    except KeyError:
        return ""
