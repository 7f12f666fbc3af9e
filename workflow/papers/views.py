from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from workflow.extensions import limiter
from workflow.models import PaperKind, PaperStatus
from workflow.papers import services
from workflow.papers.forms import AttachProtocolForm, VerifyCodeForm, VerifyFileForm
from workflow.permissions import public, requires
from workflow.refusal import Refusal
from workflow.refusal import show as show_refusal

bp = Blueprint("papers", __name__)

# Where a refusal sends the person back to: the paper's object.
OBJECT_PAGES = {
    PaperKind.SESSION_AGENDA: ("sessions.detail", "session_id"),
    PaperKind.SESSION_PROTOCOL: ("sessions.detail", "session_id"),
    PaperKind.COUNCIL_AGENDA: ("council.meeting", "meeting_id"),
    PaperKind.COUNCIL_MINUTES: ("council.meeting", "meeting_id"),
    PaperKind.ORDER_EXTRACT: ("orders.detail", "order_id"),
    PaperKind.CERTIFICATE: ("members.detail", "membership_id"),
    PaperKind.ACKNOWLEDGEMENT: ("nominations.detail", "nomination_id"),
}


def object_page(kind: str, subject_id: int) -> str:
    endpoint, argument = OBJECT_PAGES[kind]
    return url_for(endpoint, **{argument: subject_id})


def send_paper(paper):
    """The sealed file as issued, shown in the browser."""
    path = services.file_path(paper)
    if not path.exists():
        abort(404)
    name = f"{paper.kind}-{paper.number or paper.id}-{paper.language}.pdf".replace("+", "-")
    response = send_file(path, mimetype="application/pdf", as_attachment=False,
                         download_name="".join(c if c.isalnum() or c in "-._" else "-"
                                               for c in name), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def deliver(kind: str, subject_id: int, language: str | None = None):
    """Issue the paper (or find it again): the file when ready, else its progress page."""
    language = language or services.languages(kind)[0]
    try:
        paper = services.request_paper(current_user, kind, subject_id, language)
    except Refusal as refusal:
        if refusal.status == 404:
            abort(404)
        show_refusal(refusal)
        return redirect(object_page(kind, subject_id))
    if paper.status == PaperStatus.READY:
        return send_paper(paper)
    return redirect(url_for("papers.show", paper_id=paper.id))


@bp.route("/papers/<kind>/<int:subject_id>")
@requires("papers.view")
def issue(kind: str, subject_id: int):
    """Open the paper of a session, meeting, order or membership (made from the record)."""
    if kind not in services.SUBJECTS:
        abort(404)
    return deliver(kind, subject_id, request.args.get("lang"))


def _paper_or_404(paper_id: int):
    paper = services.get_paper(current_user, paper_id)
    if paper is None:
        abort(404)
    return paper


@bp.route("/papers/<int:paper_id>")
@requires("papers.view")
def show(paper_id: int):
    """Show a paper's verification code and its progress while it is being made."""
    paper = _paper_or_404(paper_id)
    return render_template("papers/paper.html", paper=paper, state=services.progress(paper),
                           label=services.KIND_LABELS[paper.kind],
                           back=object_page(paper.kind, paper.subject_id),
                           verify=services.verify_url(paper.code),
                           qr=services.qr_svg(services.verify_url(paper.code)))


@bp.route("/papers/<int:paper_id>/progress")
@requires("papers.view")
def progress(paper_id: int):
    """Return how far the paper is made, as JSON (polled by its page)."""
    paper = _paper_or_404(paper_id)
    state = services.progress(paper)
    state["file"] = url_for(".file", paper_id=paper.id) if state["ready"] else None
    return jsonify(state)


@bp.route("/papers/<int:paper_id>/file")
@requires("papers.view")
def file(paper_id: int):
    """Send the sealed paper."""
    paper = _paper_or_404(paper_id)
    if paper.status != PaperStatus.READY:
        return redirect(url_for(".show", paper_id=paper.id))
    return send_paper(paper)


@bp.route("/papers/session/<int:session_id>/attach", methods=["POST"])
@requires("sessions.manage")
def attach_protocol(session_id: int):
    """Make the generated, sealed protocol the session's protocol."""
    if services.subject_for(current_user, PaperKind.SESSION_PROTOCOL, session_id) is None:
        abort(404)
    form = AttachProtocolForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.attach_generated_protocol(current_user, session_id, form.language.data)
    except Refusal as refusal:
        if refusal.status == 404:
            abort(404)
        show_refusal(refusal)
    else:
        flash(_("The protocol generated from the record is now the session's protocol. "
                "Print it for signature; you may close the session."), "success")
    return redirect(url_for("sessions.detail", session_id=session_id))


# --- public verification ---------------------------------------------------------------------


def _code_key() -> str:
    """Rate-limit key for the code asked about: every spelling of one code counts as one."""
    return "verify-code:" + services.normalise_code((request.view_args or {}).get("code"))


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["STATUS_CHECK_RATE_LIMIT"], methods=["POST"])
@public
def verify():
    """Check a paper by its verification code or by its PDF file."""
    code_form = VerifyCodeForm(request.args, meta={"csrf": False})
    file_form = VerifyFileForm()
    result = None
    if request.method == "GET" and request.args.get("code") and code_form.validate():
        return redirect(url_for(".verify_code", code=services.normalise_code(code_form.code.data)))
    status = 200
    if request.method == "POST":
        if file_form.validate_on_submit():
            data = file_form.document.data.stream.read(
                current_app.config["MAX_DOCUMENT_BYTES"] + 1)
            result = services.check_upload(data)
        else:
            status = 422
    response = make_response(render_template(
        "papers/verify.html", code_form=code_form, file_form=file_form, upload=result), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verify/<code>")
@limiter.limit(lambda: current_app.config["STATUS_CHECK_RATE_LIMIT"])
@limiter.limit(lambda: current_app.config["STATUS_CHECK_CODE_RATE_LIMIT"], key_func=_code_key)
@public
def verify_code(code: str):
    """Say what the paper with this code is, when it was issued and whether it still holds."""
    found = services.find_by_code(code)
    response = make_response(render_template(
        "papers/verify.html", code_form=VerifyCodeForm(data={"code": code}, meta={"csrf": False}),
        file_form=VerifyFileForm(), found=found, asked=services.normalise_code(code)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def paper_languages(kind: str) -> tuple[str, ...]:
    """The languages a paper of ``kind`` is printed in (a global: imported macros see it)."""
    return services.languages(kind)


@bp.app_template_global()
def paper_protocol(session):
    """The state of a session's protocol: generated and sealed, or an uploaded scan."""
    return services.protocol_state(session)


@bp.app_template_global()
def attach_protocol_form() -> AttachProtocolForm:
    return AttachProtocolForm()


@bp.cli.command("dev-seal")
def dev_seal() -> None:
    """Create the development seal (self-signed, named DEVELOPMENT ONLY) unless it exists."""
    from pathlib import Path

    import click

    from workflow.papers.seal import create_development_seal

    config = current_app.config
    if not config.get("SEAL_DEVELOPMENT"):
        raise click.ClickException("only development makes its own seal: set SEAL_PKCS12_PATH "
                                   "to the organisation's PKCS#12 file")
    path = Path(config["SEAL_PKCS12_PATH"])
    if create_development_seal(path, config.get("SEAL_PKCS12_PASSWORD") or ""):
        click.echo(f"Created a DEVELOPMENT-ONLY seal (self-signed, not valid): {path}")
    else:
        click.echo(f"Seal: {path}")
