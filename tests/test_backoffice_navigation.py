"""The back office's navigation names only pages that exist, and every page it names opens."""
import re
from pathlib import Path

from eventhub.backoffice.navigation import EVENT_NAV

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_navigation_link_names_an_endpoint_that_exists(app):
    missing = [endpoint for endpoint, _ in EVENT_NAV if endpoint not in app.view_functions]
    assert missing == []


def test_every_page_marks_a_navigation_link_as_current():
    """A page names the link it is under (aria-current); a name that is not in the list marks nothing."""
    named = {endpoint for endpoint, _ in EVENT_NAV}
    found = {}
    for path in TEMPLATES.rglob("*.html"):
        for current in re.findall(r"""event_nav\(event, ["']([^"']+)["']\)""", path.read_text(encoding="utf-8")):
            found[f"{path.relative_to(TEMPLATES)}: {current}"] = current in named
    assert len(found) >= 10, "the scan found the pages that show the navigation"
    assert [page for page, ok in found.items() if not ok] == []


def test_the_navigation_opens_every_page_it_links(organizer_client, make_event):
    event = make_event()
    page = organizer_client.get(f"/admin/events/{event.slug}").get_data(as_text=True)
    nav = page[page.index('<nav class="admin-nav"'):]
    nav = nav[:nav.index("</nav>")]
    links = re.findall(r'href="([^"]+)"', nav)
    assert len(links) == len(EVENT_NAV) + 1  # and the back office's home
    assert 'aria-current="page"' in nav
    for link in links:
        assert organizer_client.get(link.replace("&amp;", "&")).status_code == 200, link
