"""Reference lists (topics, handling modes, departments) and SLA policies, edited by admins."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.forms import ConfirmForm
from app.extensions import db
from app.models import SLAPolicy, Topic
from app.permissions import ADMINS, roles_required
from app.reference.forms import ENTRY_FORMS, ActiveForm, PolicyForm, PolicyLimitsForm
from app.services import reference as svc
from app.services.reference import LIST_KINDS, ListKind, ReferenceListError

bp = Blueprint("reference", __name__)
#: A policy's scope in the reader's language (the pages and the flashes).
bp.add_app_template_global(svc.scope_text, "policy_scope")


def _kind_or_404(kind: str) -> ListKind:
    if kind not in LIST_KINDS:
        abort(404)
    return LIST_KINDS[kind]


@bp.route("/")
@roles_required(ADMINS)
def index():
    """The four lists: topics, handling modes, departments and SLA policies."""
    lists = [(kind, svc.entries(kind), svc.usage_counts(kind)) for kind in LIST_KINDS.values()]
    return render_template(
        "reference/index.html", lists=lists, policies=svc.policies(), scope_kind=svc.scope_kind,
        scope_kinds=svc.SCOPE_KINDS,
        default_scope=svc.DEFAULT_SCOPE, confirm=ConfirmForm(),
    )


# --- topics, handling modes, departments ----------------------------------------------------


@bp.route("/<kind>/new", methods=["GET", "POST"])
@roles_required(ADMINS)
def entry_new(kind: str):
    """Add a topic, handling mode or department."""
    list_kind = _kind_or_404(kind)
    form = ENTRY_FORMS[kind]()
    if form.validate_on_submit():
        return _save_entry(list_kind, None, form)
    return _entry_page(list_kind, None, form)


@bp.route("/<kind>/<int:entry_id>/edit", methods=["GET", "POST"])
@roles_required(ADMINS)
def entry_edit(kind: str, entry_id: int):
    """Rename an entry (English and Chinese); for a handling mode, also its staged flag."""
    list_kind = _kind_or_404(kind)
    entry = db.get_or_404(list_kind.model, entry_id)
    form = ENTRY_FORMS[kind](obj=entry, entry=entry)
    if form.validate_on_submit():
        return _save_entry(list_kind, entry, form)
    return _entry_page(list_kind, entry, form)


def _entry_page(kind: ListKind, entry, form, status: int = 200):
    used = svc.usage_counts(kind).get(entry.id, 0) if entry is not None else 0
    return render_template("reference/entry_form.html", form=form, kind=kind, entry=entry, used=used,
                           confirm=ConfirmForm()), status


def _save_entry(kind: ListKind, entry, form):
    extra = {}
    if "code" in form:
        extra["code"] = form.code.data
    if "staged" in form:
        extra["staged"] = form.staged.data
    try:
        saved = svc.save_entry(kind.model, entry, name=form.name.data, name_zh=form.name_zh.data, **extra)
    except ReferenceListError as exc:
        form[exc.field or "name"].errors.append(str(exc))
        return _entry_page(kind, entry, form, 422)
    db.session.commit()
    if entry:
        flash(_("Saved the %(noun)s “%(name)s”.", noun=kind.noun, name=saved.name), "success")
    else:
        flash(_("Added the %(noun)s “%(name)s”.", noun=kind.noun, name=saved.name), "success")
    return redirect(url_for("reference.index"))


@bp.route("/<kind>/<int:entry_id>/active", methods=["POST"])
@roles_required(ADMINS)
def entry_active(kind: str, entry_id: int):
    """Deactivate an entry (no longer offered for new requests) or reactivate it."""
    list_kind = _kind_or_404(kind)
    entry = db.get_or_404(list_kind.model, entry_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.set_entry_active(entry, form.active.data == "1")
    except ReferenceListError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reference.index"))  # the top of the page, where the message shows
    db.session.commit()
    if entry.active:
        flash(_("Reactivated the %(noun)s “%(name)s”: new requests can use it again.",
                noun=list_kind.noun, name=entry.name), "success")
    else:
        flash(_("Deactivated the %(noun)s “%(name)s”: new requests can no longer choose it; "
                "existing requests keep it.", noun=list_kind.noun, name=entry.name), "success")
    return redirect(url_for("reference.index", _anchor=list_kind.slug))


# --- SLA policies ---------------------------------------------------------------------------


@bp.route("/sla-policies/new", methods=["GET", "POST"])
@roles_required(ADMINS)
def policy_new():
    """Add an SLA policy for a category and/or topic."""
    form = PolicyForm(obj=svc.default_policy())  # a new form starts from the default's limits
    if form.validate_on_submit():
        topic = db.session.get(Topic, form.topic_id.data) if form.topic_id.data else None
        try:
            policy = svc.add_policy(form.scope_category, topic, form.limits())
        except ReferenceListError as exc:
            form[exc.field or "category"].errors.append(str(exc))
            return render_template("reference/policy_form.html", form=form, policy=None), 422
        db.session.commit()
        flash(_("Added the policy for “%(scope)s”. It applies to requests created from now on.",
                scope=svc.scope_text(policy)), "success")
        return redirect(url_for("reference.index"))
    return render_template("reference/policy_form.html", form=form, policy=None)


@bp.route("/sla-policies/<int:policy_id>/edit", methods=["GET", "POST"])
@roles_required(ADMINS)
def policy_edit(policy_id: int):
    """Edit a policy's limits (its scope is fixed: delete it and add another to change that)."""
    policy = db.get_or_404(SLAPolicy, policy_id)
    form = PolicyLimitsForm(obj=policy)
    page = {"form": form, "policy": policy, "confirm": ConfirmForm(), "is_default": policy.scope_key == svc.DEFAULT_SCOPE}
    if form.validate_on_submit():
        try:
            svc.update_policy(policy, form.limits())
        except ReferenceListError as exc:
            form[exc.field or "respond_minutes"].errors.append(str(exc))
            return render_template("reference/policy_form.html", **page), 422
        db.session.commit()
        flash(_("Saved the policy for “%(scope)s”. Requests created from now on use the new limits; "
                "requests already received keep their due times.", scope=svc.scope_text(policy)), "success")
        return redirect(url_for("reference.index"))
    return render_template("reference/policy_form.html", **page)


@bp.route("/sla-policies/<int:policy_id>/delete", methods=["POST"])
@roles_required(ADMINS)
def policy_delete(policy_id: int):
    """Delete a category/topic policy; the default policy is never deleted."""
    policy = db.get_or_404(SLAPolicy, policy_id)
    scope = svc.scope_text(policy)
    try:
        svc.delete_policy(policy)
    except ReferenceListError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reference.policy_edit", policy_id=policy_id))
    db.session.commit()
    flash(_("Deleted the policy for “%(scope)s”. New requests in that scope fall back to a broader policy.",
            scope=scope), "success")
    return redirect(url_for("reference.index"))
