"""The seller's web view: an ASGI app over a :class:`~leadqual.agent.QualificationAgent`.

Every page is rendered on the server from the agent's public API; the pages work without
JavaScript (one small script only adds a "copy" button). Who a visitor is comes from a signed
session cookie and nothing else: the agent's access rules decide what each seller sees, and a
lead that is not theirs is answered exactly as a lead that does not exist (404).
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from leadqual.agent import Access, QualificationAgent, Role, config_hash, diff_configs
from leadqual.config import AgentConfig
from leadqual.errors import (
    AccessDenied,
    AgentPaused,
    ConfigurationError,
    CrmWriteError,
    LeadqualError,
    RecordNotFound,
    ValidationFailed,
)
from leadqual.insight import FeedbackReason, LeadInsight
from leadqual.web.security import COOKIE, Session, SessionKeys, same_origin, tokens_match
from leadqual.web.settings import SettingsForm, form_groups, initial_values, read_form

__all__ = ["PAGE_SIZE", "Rebuild", "WebState", "create_app"]

logger = logging.getLogger(__name__)

Rebuild = Callable[[AgentConfig], QualificationAgent]
"""Builds the agent anew for a saved configuration (the same source, store and components)."""

PAGE_SIZE = 8
"""Leads on one page of the carousel."""

_MAX_BODY = 256 * 1024
_FEEDBACK_REASONS: tuple[str, ...] = get_args(FeedbackReason)
_CREATE = ("account", "contact", "opportunity")
_NOTICES = {
    "feedback": "Thank you: your feedback on this suggestion is recorded.",
    "processed": "The lead was processed.",
    "saved": "The settings are saved and in use.",
    "activated": "The agent processed the newest leads that meet the selection criteria.",
    "resolved": "The review item is resolved.",
}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class WebState:
    """What the app holds: the agent (replaced when the admin saves settings) and how to sign
    sessions. Kept on the app (``app.state.leadqual``), never in a module."""

    agent: QualificationAgent
    rebuild: Rebuild
    now: Callable[[], datetime]
    keys: SessionKeys
    env: jinja2.Environment
    config_path: Path | None = None
    secure_cookie: bool = False
    writes: threading.Lock = field(default_factory=threading.Lock)


class _Stop(Exception):
    """Ends a request early with a response (an error page, a redirect)."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


@dataclass
class _Ctx:
    request: Request
    state: WebState
    session: Session
    form: dict[str, str]
    agent: QualificationAgent
    _role: Role | None = None

    # -- identity ---------------------------------------------------------------------------

    def access(self) -> Access:
        return Access(self.agent.config.team_access, self.agent.source.sellers())

    def seller(self) -> str:
        """The signed-in seller, or a redirect to sign in."""
        if self.session.seller_id is None:
            raise _Stop(RedirectResponse("/signin", status_code=303))
        if self._role is None:
            try:
                self._role = self.access().role(self.session.seller_id)
            except (AccessDenied, RecordNotFound):
                raise _Stop(
                    self.page(
                        "error.html",
                        title="No access",
                        message="This seller may not use the agent (no role for it, or "
                        "inactive). Sign out and choose another seller.",
                        status=403,
                    )
                ) from None
        return self.session.seller_id

    def role(self) -> Role:
        self.seller()
        assert self._role is not None
        return self._role

    def can_review(self) -> bool:
        seller = self.seller()
        return self.role() == "admin" or seller in self.access().supervisors()

    # -- rendering --------------------------------------------------------------------------

    def page(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        me = None
        role = None
        if self.session.seller_id is not None and self._role is not None:
            try:
                me = self.agent.source.get_seller(self.session.seller_id)
            except RecordNotFound:
                me = None
            role = self._role
        review = False
        if me is not None:
            try:
                review = self.can_review()
            except _Stop:
                review = False
        values.setdefault("section", "")
        html = self.state.env.get_template(template).render(
            csrf=self.session.csrf,
            me=me,
            role=role,
            can_review=review,
            is_admin=role == "admin",
            notice=_NOTICES.get(self.request.query_params.get("notice", "")),
            **values,
        )
        return HTMLResponse(html, status_code=status)

    def not_found(self) -> _Stop:
        return _Stop(
            self.page(
                "error.html",
                title="Not found",
                message="There is no such lead among yours.",
                status=404,
            )
        )

    def forbidden(self, message: str) -> _Stop:
        return _Stop(self.page("error.html", title="Not allowed", message=message, status=403))

    def now(self) -> datetime:
        return self.state.now()


def _seg(value: object) -> str:
    """A value as one URL path segment."""
    return quote(str(value), safe="")


def _safe_href(value: object) -> str | None:
    """A link from data (a news item, a website) only when it is plainly http(s)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(c in text for c in "\"'<> \t\r\n\\"):
        return None
    return text


def _mailto(to: tuple[str, ...] | list[str], subject: str, body: str) -> str:
    """A ``mailto:`` link (RFC 6068) that opens the draft in the seller's mail client."""
    recipients = ",".join(quote(a, safe="@") for a in to)
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return f"mailto:{recipients}?subject={quote(subject, safe='')}&body={quote(crlf, safe='')}"


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "" if value is None else str(value)


def _amount(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return f"{value:,.0f}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("leadqual.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["seg"] = _seg
    env.filters["safe_href"] = _safe_href
    env.filters["when"] = _when
    env.filters["amount"] = _amount
    return env


# -- the pages -------------------------------------------------------------------------------


def _home(ctx: _Ctx) -> Response:
    target = "/leads" if ctx.session.seller_id else "/signin"
    return RedirectResponse(target, status_code=303)


def _signin_form(ctx: _Ctx, *, error: str | None = None, status: int = 200) -> Response:
    access = ctx.access()
    choices = []
    for seller in ctx.agent.source.sellers():
        try:
            role = access.role(seller.id)
        except (AccessDenied, RecordNotFound):
            continue
        choices.append((seller, role))
    return ctx.page("signin.html", title="Sign in", choices=choices, error=error, status=status)


def _signin(ctx: _Ctx) -> Response:
    if ctx.request.method == "GET":
        return _signin_form(ctx)
    chosen = ctx.form.get("seller", "")
    try:
        ctx.access().role(chosen)
    except (AccessDenied, RecordNotFound):
        return _signin_form(ctx, error="Choose one of the sellers listed.", status=422)
    ctx.session = ctx.session.signed_in(chosen)
    return RedirectResponse("/leads", status_code=303)


def _signout(ctx: _Ctx) -> Response:
    ctx.session = Session.new()
    return RedirectResponse("/signin", status_code=303)


def _leads(ctx: _Ctx) -> Response:
    seller = ctx.seller()
    view = ctx.agent.prioritized(seller, now=ctx.now())
    try:
        page = max(1, int(ctx.request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    pages = max(1, -(-len(view.entries) // PAGE_SIZE))
    page = min(page, pages)
    entries = view.entries[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return ctx.page(
        "leads.html",
        title="My leads",
        section="leads",
        view=view,
        entries=entries,
        page=page,
        pages=pages,
        total=len(view.entries),
    )


def _visible(ctx: _Ctx, lead_id: str) -> LeadInsight | None:
    """The lead's insight for the signed-in seller; ``None`` when the lead is theirs but has
    none yet. A lead that is not theirs, or does not exist, ends the request with 404."""
    seller = ctx.seller()
    try:
        return ctx.agent.insight(lead_id, seller=seller)
    except AccessDenied:
        raise ctx.not_found() from None
    except RecordNotFound as err:
        if err.kind == "insight":
            return None
        raise ctx.not_found() from None


def _lead_id(ctx: _Ctx) -> str:
    return str(ctx.request.path_params["lead_id"])


def _insight_page(
    ctx: _Ctx,
    lead_id: str,
    *,
    insight: LeadInsight | None,
    subject: str | None = None,
    body: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    lead = ctx.agent.source.get_lead(lead_id)
    draft = insight.draft if insight is not None else None
    mailto = None
    if draft is not None:
        subject = draft.subject if subject is None else subject
        body = draft.body if body is None else body
        mailto = _mailto(draft.to, subject, body)
    research = insight.research if insight is not None else None
    return ctx.page(
        "insight.html",
        title=(insight.card.name if insight else lead.full_name) or lead.id,
        section="leads",
        lead=lead,
        insight=insight,
        research=research,
        crm=research.crm if research is not None else None,
        draft=draft,
        subject=subject,
        body=body,
        mailto=mailto,
        error=error,
        reasons=_FEEDBACK_REASONS,
        create_default=ctx.agent.config.qualification.create,
        create_kinds=_CREATE,
        status=status,
    )


def _insight(ctx: _Ctx) -> Response:
    lead_id = _lead_id(ctx)
    insight = _visible(ctx, lead_id)
    return _insight_page(ctx, lead_id, insight=insight)


def _draft(ctx: _Ctx) -> Response:
    lead_id = _lead_id(ctx)
    insight = _visible(ctx, lead_id)
    subject = ctx.form.get("subject", "")[:1000]
    body = ctx.form.get("body", "")[:50_000]
    return _insight_page(ctx, lead_id, insight=insight, subject=subject, body=body)


def _process(ctx: _Ctx) -> Response:
    lead_id = _lead_id(ctx)
    _visible(ctx, lead_id)
    with ctx.state.writes:
        ctx.agent.process(lead_id, now=ctx.now())
    return RedirectResponse(f"/leads/{_seg(lead_id)}?notice=processed", status_code=303)


def _feedback(ctx: _Ctx) -> Response:
    lead_id = _lead_id(ctx)
    insight = _visible(ctx, lead_id)
    if insight is None:
        raise ctx.not_found()
    verdict = ctx.form.get("verdict", "")
    reason = ctx.form.get("reason") or None
    comment = (ctx.form.get("comment") or "").strip()[:2000] or None
    if verdict not in ("accepted", "rejected"):
        return _insight_page(
            ctx, lead_id, insight=insight, error="Accept or reject the suggestion.", status=422
        )
    if reason is not None and reason not in _FEEDBACK_REASONS:
        return _insight_page(
            ctx, lead_id, insight=insight, error="Choose a reason from the list.", status=422
        )
    if verdict == "rejected" and reason is None:
        return _insight_page(
            ctx, lead_id, insight=insight, error="Say why you reject it.", status=422
        )
    with ctx.state.writes:
        ctx.agent.give_feedback(
            lead_id,
            seller=ctx.seller(),
            verdict=cast(Literal["accepted", "rejected"], verdict),
            reason=cast(FeedbackReason | None, reason),
            comment=comment,
            now=ctx.now(),
        )
    return RedirectResponse(f"/leads/{_seg(lead_id)}?notice=feedback", status_code=303)


def _qualify(ctx: _Ctx) -> Response:
    lead_id = _lead_id(ctx)
    insight = _visible(ctx, lead_id)
    account_choice = ctx.form.get("account", "")
    contact_choice = ctx.form.get("contact", "")
    confirmed = ctx.form.get("confirm") == "1"
    create: tuple[str, ...] | None = None
    if ctx.form.get("create_given") == "1":
        create = tuple(k for k in _CREATE if ctx.form.get(f"create_{k}"))
    try:
        with ctx.state.writes:
            outcome = ctx.agent.qualify(
                lead_id,
                seller=ctx.seller(),
                account_id=account_choice if account_choice not in ("", "new") else None,
                contact_id=contact_choice if contact_choice not in ("", "new") else None,
                create=cast(Any, create),
                allow_duplicates=confirmed,
                now=ctx.now(),
            )
    except (ValidationFailed, RecordNotFound, ConfigurationError) as err:
        if isinstance(err, RecordNotFound) and err.kind == "lead":
            raise ctx.not_found() from None
        return _insight_page(ctx, lead_id, insight=insight, error=str(err), status=422)
    except CrmWriteError as err:
        return ctx.page(
            "error.html",
            title="The CRM write failed part way",
            message=f"{err} Written before it failed: {', '.join(err.done) or 'nothing'}.",
            status=502,
        )
    if not outcome.qualified:
        return ctx.page(
            "qualify.html",
            title="Before qualifying",
            section="leads",
            outcome=outcome,
            lead=outcome.lead,
            create_default=ctx.agent.config.qualification.create,
            create_kinds=_CREATE,
            status=409,
        )
    return ctx.page("qualified.html", title="Qualified", section="leads", outcome=outcome)


def _disqualify(ctx: _Ctx) -> Response:
    lead_id = _lead_id(ctx)
    insight = _visible(ctx, lead_id)
    reason = ctx.form.get("reason", "").strip()[:2000]
    if not reason:
        return _insight_page(
            ctx, lead_id, insight=insight, error="Disqualifying needs a reason.", status=422
        )
    try:
        with ctx.state.writes:
            lead = ctx.agent.disqualify(lead_id, seller=ctx.seller(), reason=reason, now=ctx.now())
    except (ValidationFailed, ConfigurationError) as err:
        return _insight_page(ctx, lead_id, insight=insight, error=str(err), status=422)
    return ctx.page("disqualified.html", title="Disqualified", section="leads", lead=lead)


def _review(ctx: _Ctx) -> Response:
    seller = ctx.seller()
    if not ctx.can_review():
        raise ctx.forbidden("The review list is for supervisors.")
    try:
        items = ctx.agent.review_list(seller)
    except AccessDenied:
        raise ctx.forbidden("The review list is for supervisors.") from None
    rows = []
    for item in items:
        try:
            lead = ctx.agent.source.get_lead(item.lead_id)
        except RecordNotFound:
            lead = None
        rows.append((item, lead))
    sellers = [s for s in ctx.agent.source.sellers() if s.is_active]
    return ctx.page(
        "review.html", title="Review list", section="review", rows=rows, sellers=sellers
    )


def _resolve(ctx: _Ctx) -> Response:
    seller = ctx.seller()
    if not ctx.can_review():
        raise ctx.forbidden("The review list is for supervisors.")
    decision = ctx.form.get("decision", "")
    if decision not in ("confirmed", "reassigned"):
        raise ctx.forbidden("Confirm or reassign.")
    try:
        with ctx.state.writes:
            ctx.agent.resolve_review(
                _lead_id(ctx),
                seller=seller,
                decision=cast(Literal["confirmed", "reassigned"], decision),
                reassign_to=ctx.form.get("reassign_to") or None,
                now=ctx.now(),
            )
    except AccessDenied:
        raise ctx.forbidden("The review list is for supervisors.") from None
    except (RecordNotFound, ValidationFailed) as err:
        return ctx.page("error.html", title="Not resolved", message=str(err), status=422)
    return RedirectResponse("/review?notice=resolved", status_code=303)


def _require_admin(ctx: _Ctx) -> None:
    if ctx.role() != "admin":
        raise ctx.forbidden("The settings are for admins.")


def _settings_page(ctx: _Ctx, form: SettingsForm, *, status: int = 200, **values: Any) -> Response:
    return ctx.page(
        "settings.html",
        title="Settings",
        section="settings",
        groups=form_groups(form.rows),
        form=form,
        values=form.values,
        errors=form.errors,
        status=status,
        **{"diff": None, "previewed": None, "same": False, "must_preview": False, **values},
    )


def _settings(ctx: _Ctx) -> Response:
    _require_admin(ctx)
    current = ctx.agent.config
    if ctx.request.method == "GET":
        values = initial_values(current)
        return _settings_page(ctx, SettingsForm(values=values, rows=int(values["icp.rows"])))
    form = read_form(ctx.form, current)
    if form.config is None:
        return _settings_page(ctx, form, status=422)
    new = form.config
    digest = config_hash(new)
    if ctx.form.get("action") == "save" and tokens_match(digest, ctx.form.get("previewed")):
        with ctx.state.writes:
            rebuilt = ctx.state.rebuild(new)
            if ctx.state.config_path is not None:
                _write_config(ctx.state.config_path, new)
            ctx.state.agent = rebuilt
        return RedirectResponse("/admin/settings?notice=saved", status_code=303)
    diff = diff_configs(current, new, ctx.agent.source, now=ctx.now())
    return _settings_page(
        ctx,
        form,
        diff=diff,
        previewed=digest,
        same=diff.same,
        must_preview=ctx.form.get("action") == "save",
    )


def _activate(ctx: _Ctx) -> Response:
    _require_admin(ctx)
    try:
        with ctx.state.writes:
            ctx.agent.activate(now=ctx.now())
    except AgentPaused as err:
        return ctx.page("error.html", title="The agent is paused", message=str(err), status=409)
    return RedirectResponse("/admin/settings?notice=activated", status_code=303)


def _write_config(path: Path, config: AgentConfig) -> None:
    """Write the configuration whole or not at all (a temporary file renamed over the old)."""
    text = config.model_dump_json(indent=2) if path.suffix.lower() == ".json" else config.to_yaml()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- the plumbing ----------------------------------------------------------------------------


def _error_page(ctx: _Ctx, err: LeadqualError) -> Response:
    if isinstance(err, AgentPaused):
        return ctx.page("error.html", title="The agent is paused", message=str(err), status=503)
    if isinstance(err, AccessDenied):
        return ctx.page("error.html", title="Not allowed", message=str(err), status=403)
    if isinstance(err, RecordNotFound):
        return ctx.page("error.html", title="Not found", message=str(err), status=404)
    # The message may name a store or a service (a URL, a path): it goes to the log, not the page.
    logger.error("web view: %s on %s: %s", type(err).__name__, ctx.request.url.path, err)
    return ctx.page(
        "error.html",
        title="Something went wrong",
        message=f"The request failed ({type(err).__name__}); the server's log has the details.",
        status=500,
    )


def _plain(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8")


def _endpoint(
    handler: Callable[[_Ctx], Response],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: WebState = request.app.state.leadqual
        loaded = state.keys.load(request.cookies.get(COOKIE))
        session = loaded if loaded is not None else Session.new()
        form: dict[str, str] = {}
        if request.method == "POST":
            response = await _read_post(request, session, form)
            if response is not None:
                return _secured(response)
        ctx = _Ctx(request=request, state=state, session=session, form=form, agent=state.agent)

        def run() -> Response:
            try:
                return handler(ctx)
            except _Stop as stop:
                return stop.response
            except LeadqualError as err:
                return _error_page(ctx, err)

        response = await run_in_threadpool(run)
        if loaded is None or ctx.session != loaded:
            response.set_cookie(
                COOKIE,
                state.keys.dump(ctx.session),
                httponly=True,
                samesite="lax",
                secure=state.secure_cookie,
                path="/",
            )
        return _secured(response)

    return endpoint


async def _read_post(request: Request, session: Session, form: dict[str, str]) -> Response | None:
    """Read a form into ``form``; a response when the request is refused (too large, another
    site's, or without the session's CSRF token)."""
    if not same_origin(
        request.headers.get("origin"), request.url.scheme, request.headers.get("host")
    ):
        return _plain(403, "Refused: the form was sent from another site.")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > _MAX_BODY):
        return _plain(413, "Refused: the form is too large.")
    body = await request.body()
    if len(body) > _MAX_BODY:
        return _plain(413, "Refused: the form is too large.")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and kind != "application/x-www-form-urlencoded":
        return _plain(415, "Refused: send the page's own form.")
    if body:
        data = await request.form(max_files=0, max_fields=2000, max_part_size=_MAX_BODY)
        for key in data:
            value = data.get(key)
            if isinstance(value, str):
                form[key] = value
    if not tokens_match(session.csrf, form.get("csrf")):
        return _plain(
            403, "Refused: the form's security token is missing or stale. Reload the page."
        )
    return None


def _secured(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def create_app(
    agent: QualificationAgent,
    *,
    rebuild: Rebuild | None = None,
    config_path: str | os.PathLike[str] | None = None,
    now: datetime | Callable[[], datetime] | None = None,
    secret: bytes | None = None,
    secure_cookie: bool = False,
) -> Starlette:
    """The web view as an ASGI app (serve it with any ASGI server; test it with Starlette's
    ``TestClient``).

    Args:
        agent: the agent whose public API the pages use.
        rebuild: builds the agent anew when an admin saves settings (give it the same source,
            store and components); default: a :class:`~leadqual.agent.QualificationAgent` over
            ``agent.source`` with ``agent.writer`` and ``agent.store`` and default components.
        config_path: the configuration file saved settings are written to (YAML, or JSON for a
            ``.json`` name); without it saved settings last until the process ends.
        now: the reference time of every page (a fixed time, or a function returning one);
            default: the clock.
        secret: the key sessions are signed with (at least 32 bytes); default: a random one
            per app, so restarting signs everyone out.
        secure_cookie: mark the session cookie ``Secure`` (serve over HTTPS).

    Raises:
        ConfigurationError: ``agent`` is not a QualificationAgent, or the secret is too short.
    """
    if not isinstance(agent, QualificationAgent):
        raise ConfigurationError(
            f"create_app needs a QualificationAgent, got {type(agent).__name__}"
        )
    try:
        keys = SessionKeys(secret if secret is not None else secrets.token_bytes(32))
    except ValueError as err:
        raise ConfigurationError(str(err)) from None
    if rebuild is None:
        source, writer, store = agent.source, agent.writer, agent.store

        def rebuild(config: AgentConfig) -> QualificationAgent:
            return QualificationAgent(config, source, writer=writer, store=store)

    if now is None:

        def clock() -> datetime:
            return datetime.now(UTC)

    elif isinstance(now, datetime):
        fixed = now if now.tzinfo is not None else now.replace(tzinfo=UTC)

        def clock() -> datetime:
            return fixed

    else:
        clock = now
    state = WebState(
        agent=agent,
        rebuild=rebuild,
        now=clock,
        keys=keys,
        env=_environment(),
        config_path=Path(config_path) if config_path is not None else None,
        secure_cookie=secure_cookie,
    )
    static = str(Path(__file__).with_name("static"))
    routes = [
        Route("/", _endpoint(_home), methods=["GET"]),
        Route("/signin", _endpoint(_signin), methods=["GET", "POST"]),
        Route("/signout", _endpoint(_signout), methods=["POST"]),
        Route("/leads", _endpoint(_leads), methods=["GET"]),
        Route("/leads/{lead_id}", _endpoint(_insight), methods=["GET"]),
        Route("/leads/{lead_id}/draft", _endpoint(_draft), methods=["POST"]),
        Route("/leads/{lead_id}/process", _endpoint(_process), methods=["POST"]),
        Route("/leads/{lead_id}/feedback", _endpoint(_feedback), methods=["POST"]),
        Route("/leads/{lead_id}/qualify", _endpoint(_qualify), methods=["POST"]),
        Route("/leads/{lead_id}/disqualify", _endpoint(_disqualify), methods=["POST"]),
        Route("/review", _endpoint(_review), methods=["GET"]),
        Route("/review/{lead_id}", _endpoint(_resolve), methods=["POST"]),
        Route("/admin/settings", _endpoint(_settings), methods=["GET", "POST"]),
        Route("/admin/activate", _endpoint(_activate), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=static), name="static"),
    ]

    async def no_route(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        html = state.env.get_template("error.html").render(
            csrf="",
            me=None,
            role=None,
            can_review=False,
            is_admin=False,
            notice=None,
            section="",
            title="Not found" if status == 404 else "Not allowed",
            message="There is no such page."
            if status == 404
            else "This page takes no such request.",
        )
        return _secured(HTMLResponse(html, status_code=status))

    app = Starlette(routes=routes, exception_handlers={404: no_route, 405: no_route})
    app.state.leadqual = state
    return app
