"""The directory's back-office pages (organizers): the districts list, a district's page, and creating,
editing, archiving, restoring and deleting districts and their schools."""
import re
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from eventhub.accounts.access import organizer_required
from eventhub.bounds import allow_body, parse_id
from eventhub.directory import bp
from eventhub.directory.exports import csv_lines, directory_rows
from eventhub.directory.forms import LOCALE_CHOICES, DistrictForm, ImportForm, SchoolForm
from eventhub.directory.imports import commit_import, file_digest, preview_import
from eventhub.directory.likeness import districts_like, similarity
from eventhub.directory.queries import (
    SIZE_BANDS,
    SORTS,
    DirectoryFilter,
    district_overview,
    district_page,
    district_references,
    search_words,
    states_in_use,
)
from eventhub.directory.services import (
    STATES,
    archive,
    create_district,
    create_school,
    delete_district,
    delete_school,
    restore,
    update_district,
    update_school,
)
from eventhub.extensions import db
from eventhub.models import District, School
from eventhub.web import refusal


def _filter_from_args() -> DirectoryFilter:
    """The list's filters from the query string; a value the page never offers is a 400 saying which."""
    args = request.args

    def offered(name: str, allowed) -> str:
        value = args.get(name, "").strip()
        if value and value not in allowed:
            abort(400, f"“{value[:40]}” is not one of the choices for {name}; use the form on the page.")
        return value

    page = args.get("page", "1").strip()
    return DirectoryFilter(
        query=search_words(args.get("q")),
        member=offered("member", ("yes", "no")), state=offered("state", STATES),
        locale=offered("locale", [c.value for c in LOCALE_CHOICES if c.value]),
        size=offered("size", SIZE_BANDS), archived=offered("archived", ("yes",)) == "yes",
        sort=offered("sort", SORTS) or "name",
        page=parse_id(page) or abort(400, "The page is a whole number from 1."))


@bp.get("/admin/districts")
@organizer_required
def districts():
    """Every district of the directory: search, filters, sort, 50 a page."""
    selection = _filter_from_args()
    listing = district_page(selection)
    kept: dict[str, Any] = {name: value for name in ("q", "member", "state", "locale", "size", "archived", "sort")
            if (value := request.args.get(name, "").strip())}
    return render_template("directory/districts.html", selection=selection, listing=listing,
                           states=states_in_use(), sizes=SIZE_BANDS, sorts=SORTS, locales=LOCALE_CHOICES[1:],
                           page_url=lambda n: url_for("directory.districts", page=n, **kept))


def _district_or_404(district_id: int) -> District:
    return db.session.get(District, district_id) or abort(404, "There is no such district.")


def _school_or_404(school_id: int) -> School:
    return db.session.get(School, school_id) or abort(404, "There is no such school.")


def _form_page(template: str, form, refused=None, **context):
    """A district's or school's form again: a refused change's message on its field (422) or above the form
    (its own status), else 422 for the form's own errors."""
    status = 422 if form.errors else 200
    if refused:
        field = getattr(refused.error, "field", None)
        if field and hasattr(form, field):
            getattr(form, field).errors.append(refused.message)
            status = 422
        else:
            flash(refused.message, "error")
            status = refused.status
    return render_template(template, form=form, **context), status


@bp.get("/admin/districts.csv")
@organizer_required
def export_districts():
    """The districts in use as CSV, in the columns the import reads."""
    return _csv_download(schools=False)


@bp.get("/admin/schools.csv")
@organizer_required
def export_schools():
    """The schools in use as CSV, with their districts' LEAIDs."""
    return _csv_download(schools=True)


def _csv_download(schools: bool) -> Response:
    # Built whole (some megabytes for a national directory) before the response: the rows are read while
    # the request's database session is still there; `flask directory export` streams to a file instead.
    response = Response("".join(csv_lines(directory_rows(schools))), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{"schools" if schools else "districts"}.csv"'
    return response


# An upload up to this size; every other form keeps MAX_CONTENT_LENGTH.
IMPORT_BODY = 50 * 1024 * 1024
IMPORT_KEPT = timedelta(days=1)
DIGEST = re.compile(r"[0-9a-f]{64}")


def _import_dir() -> Path:
    folder = Path(current_app.config["IMPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(upload) -> Path:
    """Save an uploaded file under its digest (the preview names it so), dropping uploads older than a day."""
    folder = _import_dir()
    cutoff = time.time() - IMPORT_KEPT.total_seconds()
    for old in folder.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    partial = folder / f"upload-{secrets.token_hex(8)}.part"
    upload.save(partial)
    with partial.open("rb") as stream:
        digest = file_digest(stream)
    kept = folder / f"{digest}.csv"
    partial.replace(kept)
    return kept


@bp.route("/admin/districts/import", methods=["GET", "POST"])
@allow_body(IMPORT_BODY + 64 * 1024, "The file is larger than 50 MB. Split it (districts and schools apart, or "
                                     "by state) and import each part.")
@organizer_required
def import_directory():
    """Upload a directory file and see what importing it would do; nothing changes until the commit."""
    form = ImportForm()
    plan = None
    if form.validate_on_submit():
        if not form.file.data:
            form.file.errors.append("Choose a CSV file of districts or schools.")
        else:
            kept = _keep_upload(form.file.data)
            with refusal() as refused, kept.open("rb") as stream:
                plan = preview_import(stream, members=form.members.data)
            if refused:
                kept.unlink(missing_ok=True)
                form.file.errors.append(refused.message)
    status = 422 if form.errors else 200
    return render_template("directory/import.html", form=form, plan=plan), status


@bp.post("/admin/districts/import/commit")
@organizer_required
def commit_directory_import():
    """Apply exactly the import previewed; refused when the file or the directory changed since."""
    digest = request.form.get("digest", "")
    version = parse_id(request.form.get("version")) if request.form.get("version") != "0" else 0
    if not DIGEST.fullmatch(digest) or version is None:
        abort(400, "This commit does not come from a preview: upload the file again.")
    kept = _import_dir() / f"{digest}.csv"
    if not kept.is_file():
        abort(409, "The previewed file is no longer kept (a day at most): upload it again.")
    with refusal() as refused, kept.open("rb") as stream:
        done = commit_import(stream, digest=digest, version=version, members=request.form.get("members") == "y")
    if refused:
        return render_template("directory/refused.html", message=refused.message,
                               back=url_for("directory.import_directory")), refused.status
    db.session.commit()
    kept.unlink(missing_ok=True)
    flash(f"Imported: {done.added:,} {done.kind} added, {done.updated:,} updated, {done.unchanged:,} unchanged"
          + (f"; {done.error_count:,} rows not imported" if done.error_count else "") + ".", "success")
    return redirect(url_for("directory.districts"))


@bp.route("/admin/districts/new", methods=["GET", "POST"])
@organizer_required
def new_district():
    """Add a district to the directory."""
    form = DistrictForm()
    if form.validate_on_submit():
        with refusal() as refused:
            district = create_district(form.details())
        if not refused:
            db.session.commit()
            flash(f"{district.label} is in the directory.", "success")
            return redirect(url_for("directory.district", district_id=district.id))
        return _form_page("directory/district_form.html", form, refused, district=None)
    return _form_page("directory/district_form.html", form, district=None)


@bp.get("/admin/districts/<int:district_id>")
@organizer_required
def district(district_id: int):
    """A district: its schools and host coordinators, the events it hosted, its people's registrations and
    commitments event by event."""
    found = _district_or_404(district_id)
    alike = [(other, similarity(found, other)[1]) for other in districts_like(found)]
    return render_template("directory/district.html", district=found, overview=district_overview(found),
                           references=district_references(found), alike=alike)


@bp.route("/admin/districts/<int:district_id>/edit", methods=["GET", "POST"])
@organizer_required
def edit_district(district_id: int):
    """Change a district's details; every change is in the audit log."""
    found = _district_or_404(district_id)
    form = DistrictForm() if request.method == "POST" else DistrictForm.showing(found)
    form.offer_zone(form.timezone.data or found.timezone)
    if form.validate_on_submit():
        with refusal() as refused:
            changes = update_district(found, form.details())
        if not refused:
            db.session.commit()
            flash("Saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("directory.district", district_id=found.id))
        return _form_page("directory/district_form.html", form, refused, district=found)
    return _form_page("directory/district_form.html", form, district=found)


@bp.post("/admin/districts/<int:district_id>/<any(archive, restore, delete):action>")
@organizer_required
def district_action(district_id: int, action: str):
    """Archive, restore or delete a district (deleting only what nothing refers to)."""
    found = _district_or_404(district_id)
    label = found.label
    with refusal() as refused:
        {"archive": archive, "restore": restore, "delete": delete_district}[action](found)
    if refused:
        return render_template("directory/refused.html", message=refused.message,
                               back=url_for("directory.district", district_id=district_id)), refused.status
    db.session.commit()
    flash({"archive": f"{label} is archived: it is in no list of districts to choose from.",
           "restore": f"{label} is back in use.", "delete": f"{label} is deleted."}[action], "success")
    if action == "delete":
        return redirect(url_for("directory.districts"))
    return redirect(url_for("directory.district", district_id=district_id))


@bp.route("/admin/districts/<int:district_id>/schools/new", methods=["GET", "POST"])
@organizer_required
def new_school(district_id: int):
    """Add a school to a district; its visitor rules are set on their own page next."""
    found = _district_or_404(district_id)
    form = SchoolForm()
    if form.validate_on_submit():
        with refusal() as refused:
            school = create_school(found, form.details())
        if not refused:
            db.session.commit()
            flash(f"{school.name} is added. Now set the rules it asks of visitors.", "success")
            back = url_for("directory.district", district_id=found.id)
            return redirect(url_for("visits.school_rules", school_id=school.id, back=back))
        return _form_page("directory/school_form.html", form, refused, district=found, school=None)
    return _form_page("directory/school_form.html", form, district=found, school=None)


@bp.route("/admin/schools/<int:school_id>/edit", methods=["GET", "POST"])
@organizer_required
def edit_school(school_id: int):
    """Change a school's details."""
    school = _school_or_404(school_id)
    form = SchoolForm() if request.method == "POST" else SchoolForm.showing(school)
    if form.validate_on_submit():
        with refusal() as refused:
            changes = update_school(school, form.details())
        if not refused:
            db.session.commit()
            flash("Saved." if changes else "Nothing changed.", "success")
            return redirect(url_for("directory.district", district_id=school.district_id))
        return _form_page("directory/school_form.html", form, refused, district=school.district, school=school)
    return _form_page("directory/school_form.html", form, district=school.district, school=school)


@bp.post("/admin/schools/<int:school_id>/<any(archive, restore, delete):action>")
@organizer_required
def school_action(school_id: int, action: str):
    """Archive, restore or delete a school (deleting only one no visit refers to)."""
    school = _school_or_404(school_id)
    name, district_id = school.name, school.district_id
    with refusal() as refused:
        {"archive": archive, "restore": restore, "delete": delete_school}[action](school)
    back = url_for("directory.district", district_id=district_id)
    if refused:
        return render_template("directory/refused.html", message=refused.message, back=back), refused.status
    db.session.commit()
    flash({"archive": f"{name} is archived: new visits cannot be set there.", "restore": f"{name} is back in use.",
           "delete": f"{name} is deleted."}[action], "success")
    return redirect(back)

