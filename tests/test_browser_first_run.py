"""A network's first run, as it happens for real: gunicorn serving an empty database prints the setup code to
its log; in Chromium the first admin signs up with it, names the network, gives it a logo and an accent
colour, and then finds the logo on the home page, in a confirmation email and on the agenda PDF, while the
setup page is gone."""
import email
import email.policy
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfReader

from eventhub.extensions import db
from eventhub.models import NetworkSettings, User

from conftest import STAFF_PASSWORD, chromium_or_skip, chromium_page, free_port

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"setup code ([A-Z2-7]{4}(?:-[A-Z2-7]{1,4})+)")


@pytest.fixture
def server(app, tmp_path):
    """gunicorn on the test database (emptied by `app`), as production runs it; its log in a file."""
    chromium_or_skip()
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": secrets.token_hex(32),
           "FLASK_DEBUG": "0", "SESSION_COOKIE_SECURE": "0", "BASE_URL": f"http://127.0.0.1:{port}",
           "MAIL_DIR": str(tmp_path / "mail"), "MAIL_SERVER": "", "MAIL_SEND_IN_BACKGROUND": "0", "REDIS_URL": "",
           "PRINT_DIR": str(tmp_path / "prints"), "RATELIMIT_STORAGE_URI": "memory://"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    with log.open("wb") as sink:
        process = subprocess.Popen([str(gunicorn), "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:app"],
                                   cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}", log, tmp_path / "mail"
    finally:
        process.terminate()
        process.wait(timeout=10)


def code_in(log: Path) -> str:
    """The setup code the server printed, once it has."""
    for _ in range(50):
        found = CODE.search(log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    pytest.fail(f"no setup code in the server's log:\n{log.read_text()[-2000:]}")


def logo_file(tmp_path: Path) -> Path:
    """A 300 × 120 logo: a dark band on white."""
    image = Image.new("RGB", (300, 120), (255, 255, 255))
    image.paste((11, 93, 122), (0, 40, 300, 80))
    path = tmp_path / "our-logo.png"
    image.save(path)
    return path


def test_a_new_network_sets_itself_up_in_the_browser(server, make_event, tmp_path):
    from playwright.sync_api import expect

    base_url, log, mail = server
    event = make_event()  # a published event with registration open; no account exists
    with chromium_page(base_url) as page:
        page.goto("/admin/login")
        page.get_by_role("link", name=re.compile("first admin", re.I)).click()
        expect(page.get_by_role("heading", name="Create the first admin account")).to_be_visible()
        page.get_by_label("Setup code").fill(code_in(log))
        page.get_by_label("Your name").fill("Ada Admin")
        page.get_by_label("Your email").fill("ada@prairie.org")
        page.locator("#password").fill(STAFF_PASSWORD)
        page.get_by_label("Password again").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Create my admin account").click()
        expect(page.get_by_role("heading", name="Back office")).to_be_visible()

        page.goto("/admin/settings")
        page.get_by_label("Network name").fill("Prairie Schools Network")
        page.get_by_label("Accent colour").fill("#0b5d7a")
        page.get_by_label("Logo").set_input_files(logo_file(tmp_path))
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved.")).to_be_visible()

        page.goto("/")
        logo = page.locator("header img.brand-logo")
        expect(logo).to_be_visible()
        assert logo.evaluate("img => img.naturalWidth") == 300, "the browser loaded and drew it"
        expect(page.locator("header")).to_contain_text("Prairie Schools Network")
        assert page.locator("header").evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(11, 93, 122)"

        page.goto(f"/events/{event.slug}/register")
        page.get_by_label("Legal first name").first.fill("Ana")
        page.get_by_label("Legal last name").first.fill("García")
        page.locator("#email").fill("ana@example.org")
        page.get_by_label("Role").first.select_option(label="Principal")
        page.get_by_label("District").first.select_option(index=1)
        page.get_by_label("No, please do not photograph me").check()
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

        [sent] = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                  for path in mail.glob("*.eml")]
        assert sent["To"].addresses[0].addr_spec == "ana@example.org" and "Prairie Schools Network" in sent["From"]
        html = sent.get_body(("html",)).get_content()
        [src] = re.findall(r'<img src="([^"]+)"', html)
        assert src.startswith(f"{base_url}/network-logo.png?v=")
        served = page.request.get(src)
        assert served.status == 200 and served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert Image.open(BytesIO(served.body())).size == (300, 120)

        agenda = page.request.get(f"/events/{event.slug}/agenda.pdf")
        assert agenda.status == 200
        drawn = [image.image.size for pdf_page in PdfReader(BytesIO(agenda.body())).pages
                 for image in pdf_page.images]
        assert (300, 120) in drawn, "the logo is on the agenda"

        assert page.goto("/admin/setup").status == 404

    db.session.expire_all()
    assert db.session.scalar(sa.select(User.email)) == "ada@prairie.org"
    assert db.session.scalar(sa.select(NetworkSettings.accent)) == "#0b5d7a"
