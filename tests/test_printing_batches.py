"""Print batches: progress, failure without a partial file, worker processes, the thread and RQ runners,
the `flask print` commands, and who may print what in the back office."""
import time
import uuid
from io import BytesIO

import pytest
from pypdf import PdfReader

from eventhub.accounts.services import create_user
from eventhub.extensions import db
from eventhub.models import PrintBatch, PrintKind, PrintStatus, UserRole
from eventhub.printing import batches, documents
from eventhub.printing.batches import batch_path, create_batch, launch, run_batch
from eventhub.registration.services import register

from conftest import PRODUCTION_SECRET, attendee

PASSWORD = "correct horse battery"


@pytest.fixture
def crowd(make_event, make_agenda_item):
    """An event with an agenda and five confirmed attendees, Person0 to Person4."""
    event = make_event(title="Fall Convening")
    make_agenda_item(event, event.starts_on, "09:00", "10:00", title="Opening plenary")
    for n in range(5):
        register(event, attendee(f"p{n}@example.org", legal_last_name=f"Person{n}"))
    db.session.commit()
    return event


def page_numbers(data: bytes) -> list[str]:
    """The "Page N of M" footer of each page."""
    footers = []
    for page in PdfReader(BytesIO(data)).pages:
        words = page.extract_text().split()
        at = max(i for i, w in enumerate(words[:-2]) if w == "Page" and words[i + 2] == "of")
        footers.append(" ".join(words[at:at + 4]))
    return footers


def test_a_batch_reports_progress_then_keeps_its_file(crowd, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = create_batch(crowd, PrintKind.AGENDAS)
    db.session.commit()
    seen = []
    batch = run_batch(batch.id, on_progress=lambda b: seen.append((b.status, b.done, b.total)))
    assert seen == [(PrintStatus.RUNNING, 2, 5), (PrintStatus.RUNNING, 4, 5), (PrintStatus.RUNNING, 5, 5)]
    assert batch.status is PrintStatus.DONE and batch.done == batch.total == 5 and batch.percent == 100
    data = batch_path(batch).read_bytes()
    assert len(PdfReader(BytesIO(data)).pages) == batch.pages == 5
    assert page_numbers(data) == ["Page 1 of 1"] * 5
    # Every agenda carries a private link that works.
    link = documents.private_url("x").rsplit("/", 1)[0]
    text = PdfReader(BytesIO(data)).pages[0].extract_text()
    token = text.split(link + "/", 1)[1].split()[0]
    from eventhub.registration.links import registration_for_token

    assert registration_for_token(token).legal_last_name == "Person0"


@pytest.mark.parametrize("way", ["one document each", "in layers"])
def test_a_failed_batch_says_why_and_leaves_no_file(crowd, monkeypatch, client, organizer, way):
    from eventhub.printing import layers

    calls = []
    # One document per attendee (too few share a programme), or the shared programme and name layers.
    monkeypatch.setattr(layers, "MIN_SHARING", 10**6 if way == "one document each" else 1)
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    name = "personal_agenda_html" if way == "one document each" else "names_layer_html"
    real = getattr(documents, name)

    def breaks_on_the_third(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the printer caught fire")
        return real(*args, **kw)

    monkeypatch.setattr(documents, name, breaks_on_the_third)
    batch = create_batch(crowd, PrintKind.AGENDAS)
    db.session.commit()
    batch = run_batch(batch.id)
    assert batch.status is PrintStatus.FAILED
    assert "the printer caught fire" in batch.error and "Nothing was saved" in batch.error
    assert not batch_path(batch).exists() and not batch_path(batch).with_suffix(".part").exists()
    sign_in(client, organizer)
    page = client.get(f"/admin/print/{batch.id}").get_data(as_text=True)
    assert "could not be printed" in page and "the printer caught fire" in page and "Download" not in page
    assert client.get(f"/admin/print/{batch.id}/download").status_code == 409


def test_a_batch_with_nothing_to_print_fails_with_a_reason(make_event):
    batch = create_batch(make_event(), PrintKind.BADGES)
    db.session.commit()
    batch = run_batch(batch.id)
    assert batch.status is PrintStatus.FAILED and "nothing to print" in batch.error


def test_worker_processes_print_chunks_that_are_joined_in_order(crowd, monkeypatch):
    monkeypatch.setattr(batches, "CHUNK_SIZE", 2)
    batch = create_batch(crowd, PrintKind.SHEETS)
    db.session.commit()
    batch = run_batch(batch.id, workers=2)
    assert batch.status is PrintStatus.DONE, batch.error
    data = batch_path(batch).read_bytes()
    reader = PdfReader(BytesIO(data))
    assert reader.metadata.title == "Fall Convening: commitment sheets"
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(texts) == 10
    assert [next(f"Person{n}" for n in range(5) if f"Person{n}" in t) for t in texts[::2]] == \
        [f"Person{n}" for n in range(5)]
    assert page_numbers(data) == ["Page 1 of 2", "Page 2 of 2"] * 5


def wait_for(batch_id: int, seconds: float = 60) -> PrintBatch:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        batch = db.session.get(PrintBatch, batch_id)
        if batch.status in (PrintStatus.DONE, PrintStatus.FAILED):
            return batch
        time.sleep(0.1)
    raise AssertionError("the batch did not finish")


def test_without_redis_a_batch_runs_in_a_background_thread(crowd, app):
    batch = create_batch(crowd, PrintKind.BADGES)
    db.session.commit()
    assert launch(app, batch.id) == "thread"
    batch = wait_for(batch.id)
    assert batch.status is PrintStatus.DONE and batch.pages == 1


def test_with_redis_a_worker_prints_the_batch(crowd, make_app, redis_url, monkeypatch, database_url,
                                               tmp_path):
    from redis import Redis

    from eventhub import jobs
    from eventhub.worker import AppSimpleWorker

    queue_name = f"eventhub-test-{uuid.uuid4().hex[:8]}"
    app = make_app(REDIS_URL=redis_url, RQ_QUEUE=queue_name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("PRINT_DIR", app.config["PRINT_DIR"])
    monkeypatch.setenv("PRINT_WORKERS", "1")
    event_id = crowd.id
    with app.app_context():
        from eventhub.models import Event

        batch = create_batch(db.session.get(Event, event_id), PrintKind.ROSTERS)
        db.session.commit()
        assert launch(app, batch.id) == "queue"
        assert db.session.get(PrintBatch, batch.id).status is PrintStatus.QUEUED
        queue = jobs.queue_for(app.config)
        AppSimpleWorker([queue], connection=Redis.from_url(redis_url)).work(burst=True)
        queue.delete(delete_jobs=True)
        db.session.expire_all()
        batch = db.session.get(PrintBatch, batch.id)
        # The crowd's event has no visits: the worker ran the job and recorded why there is no file.
        assert batch.status is PrintStatus.FAILED and "nothing to print" in batch.error


def test_the_print_command_writes_the_batch_with_a_progress_bar(crowd, runner, tmp_path):
    out = tmp_path / "agendas.pdf"
    result = runner.invoke(args=["print", "agendas", "--event", crowd.slug, "--out", str(out), "--order", "visit"])
    assert result.exit_code == 0, result.output
    assert "Personal agendas" in result.output and "5 documents, 5 pages written to" in result.output
    assert len(PdfReader(out).pages) == 5
    result = runner.invoke(args=["print", "badges", "--event", "no-such-event", "--out", str(out)])
    assert result.exit_code == 2 and "no event with the slug 'no-such-event'" in result.output
    result = runner.invoke(args=["print", "agenda", "--event", crowd.slug, "--out", str(tmp_path / "a.pdf")])
    assert result.exit_code == 0 and "Opening plenary" in PdfReader(tmp_path / "a.pdf").pages[1].extract_text()


# --- the back office ------------------------------------------------------------------------------


@pytest.fixture
def organizer(app):
    user = create_user(email="org@example.org", role=UserRole.ORGANIZER, password=PASSWORD)
    db.session.commit()
    return user


def sign_in(client, user, password: str = PASSWORD):
    return client.post("/admin/login", data={"email": user.email, "password": password})


def test_sign_in_with_a_wrong_password_says_so_without_saying_which(client, organizer):
    response = sign_in(client, organizer, "wrong password!")
    assert response.status_code == 422
    assert "do not match an active account" in response.get_data(as_text=True)
    response = client.post("/admin/login", data={"email": "nobody@example.org", "password": "x" * 12})
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_sign_in_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    statuses = [client.post("/admin/login", data={"email": f"a{n}@example.org", "password": "nope"}).status_code
                for n in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429  # per client; per account: tests/test_limits.py


def test_sign_in_only_redirects_within_the_site(client, organizer):
    response = client.post("/admin/login?next=https://evil.example/", data={"email": organizer.email,
                                                                            "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_organizers_start_a_batch_watch_it_and_download_it(crowd, client, organizer, app, monkeypatch):
    ran = []
    monkeypatch.setattr("eventhub.printing.views.launch", lambda app, batch_id: ran.append(batch_id))
    assert client.get(f"/admin/events/{crowd.slug}/print").status_code == 302  # to sign-in
    sign_in(client, organizer)
    page = client.get(f"/admin/events/{crowd.slug}/print").get_data(as_text=True)
    assert "Personal agendas" in page and "5 confirmed attendees" in page
    assert client.post(f"/admin/events/{crowd.slug}/print", data={"kind": "posters"}).status_code == 400
    response = client.post(f"/admin/events/{crowd.slug}/print", data={"kind": "badges", "order": "name"})
    batch_id = ran[0]
    assert response.headers["Location"] == f"/admin/print/{batch_id}"
    waiting = client.get(f"/admin/print/{batch_id}").get_data(as_text=True)
    assert "Waiting for a printing worker" in waiting and 'http-equiv="refresh"' in waiting
    assert client.get(f"/admin/print/{batch_id}/download").status_code == 409
    run_batch(batch_id)
    done = client.get(f"/admin/print/{batch_id}").get_data(as_text=True)
    assert "Done: 1 documents, 1 pages" in done and 'http-equiv="refresh"' not in done
    assert client.get(f"/admin/print/{batch_id}.json").json["status"] == "done"
    download = client.get(f"/admin/print/{batch_id}/download")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    registration_id = crowd_registration_id(crowd)
    for document in ("agenda", "badge", "sheet"):
        response = client.get(f"/admin/registrations/{registration_id}/{document}.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert client.get(f"/admin/registrations/{registration_id}/poster.pdf").status_code == 404


def crowd_registration_id(event) -> int:
    return documents.attendees(event)[0].registration.id


def test_host_coordinators_print_only_the_rosters_of_their_schools(make_event, make_district, make_visit, client):
    host, other = make_district(name="Host District"), make_district(name="Other District")
    event = make_event(hosts=[host, other])
    ours = make_visit(event, school=host.schools[0], title="Our visit")
    theirs = make_visit(event, school=other.schools[0], title="Their visit")
    coordinator = create_user(email="host@example.org", role=UserRole.HOST_COORDINATOR, password=PASSWORD,
                              district=host)
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get(f"/admin/events/{event.slug}/print").get_data(as_text=True)
    assert "Our visit" in page and "Their visit" not in page and "Personal agendas" not in page
    assert client.get(f"/admin/visits/{ours.id}/roster.pdf").status_code == 200
    assert client.get(f"/admin/visits/{theirs.id}/roster.pdf").status_code == 403
    assert client.post(f"/admin/events/{event.slug}/print", data={"kind": "badges"}).status_code == 403
    registration_id = register(event, attendee("x@example.org")).lead.id
    db.session.commit()
    assert client.get(f"/admin/registrations/{registration_id}/agenda.pdf").status_code == 403


def test_a_batch_is_printed_by_one_runner_only(crowd):
    batch = create_batch(crowd, PrintKind.BADGES)
    db.session.commit()
    assert run_batch(batch.id).status is PrintStatus.DONE
    finished_at = batch.finished_at
    again = run_batch(batch.id)  # a second runner (a retried job) finds it taken and does nothing
    assert again.status is PrintStatus.DONE and again.finished_at == finished_at


def _commitments(event, each: int) -> None:
    """`each` commitments for every attendee of the event, each with two check-ins."""
    import sqlalchemy as sa

    from eventhub.followup.services import (
        CommitmentDetails,
        add_update,
        create_commitment,
    )
    from eventhub.models import Registration

    for registration in db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id)):
        for n in range(each):
            commitment = create_commitment(registration, CommitmentDetails(
                change_idea=f"Idea {n} of {registration.legal_last_name}"))
            add_update(commitment, tried=f"Tried {n}", learned="Learned", decision=None)
            add_update(commitment, tried=f"Again {n}", learned="Learned more", decision=None)
    db.session.commit()


def test_the_sheets_batch_prints_filled_sheets_for_those_with_commitments(crowd):
    from eventhub.followup.services import (
        CommitmentDetails,
        add_update,
        create_commitment,
    )
    from eventhub.models import Decision

    person = documents.attendees(crowd)[1].registration  # Person1
    commitment = create_commitment(person, CommitmentDetails(change_idea="Bell-to-bell advisory in grade 9"))
    add_update(commitment, tried="Three weeks of advisory", learned="Students asked for it", decision=Decision.SCALE)
    db.session.commit()
    batch = create_batch(crowd, PrintKind.SHEETS)
    db.session.commit()
    batch = run_batch(batch.id)
    assert batch.status is PrintStatus.DONE and batch.total == 5, batch.error
    texts = [" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(batch_path(batch).read_bytes())).pages]
    filled = [t for t in texts if "Person1" in t]
    assert any("Bell-to-bell advisory in grade 9" in t for t in filled)
    assert any("Three weeks of advisory Students asked for it Scale" in t for t in filled)
    blank = [t for t in texts if "Person0" in t]
    assert len(blank) == 2 and "What I saw" in blank[0] and "Bell-to-bell" not in " ".join(blank)


def test_the_sheets_batch_reads_everyone_s_commitments_in_two_queries(make_event, make_agenda_item, monkeypatch):
    import sqlalchemy as sa

    from eventhub.printing import render

    rendered: list[str] = []
    monkeypatch.setattr(render, "render_pdfs", lambda htmls, on_document_done=None, logo=None: (
        rendered.extend(htmls) or b"%PDF", len(rendered)))
    for people, each in ((2, 1), (6, 3)):
        event = make_event(title="Fall Convening")
        for n in range(people):
            register(event, attendee(f"p{n}-{people}@example.org", legal_last_name=f"Person{n}"))
        db.session.commit()
        _commitments(event, each)
        batch = create_batch(event, PrintKind.SHEETS)
        db.session.commit()
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert run_batch(batch.id).status is PrintStatus.DONE
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        about_commitments = [s for s in statements if "commitment" in s.lower()]
        assert len(about_commitments) == 2, (people, each, about_commitments)
        last = rendered[-1]
        assert f"Idea {each - 1} of Person{people - 1}" in last and f"Again {each - 1}" in last
