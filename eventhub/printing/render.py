"""HTML in, PDF bytes out: the only module that touches WeasyPrint.

Everything a printout loads (its stylesheet, its fonts) comes from the app's own
`static/` folder through `StaticOnlyFetcher`, and the network's logo from the PNG
the caller hands over, under its one address (PRINT_LOGO_URL); any other address,
`file://` and internal hosts included, is refused, so no field typed by a user can
make the server fetch something.
"""
import logging
import mimetypes
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from eventhub.logo import PRINT_LOGO_URL
from eventhub.printing.qr import qr_png

STATIC_ROOT = Path(__file__).resolve().parent.parent.parent / "static"
# Printouts address the static folder under a host that can never resolve (RFC 2606).
STATIC_BASE = "https://static.eventhub.invalid/"
STYLESHEET = "print/print.css"
PDF_VARIANT = "pdf/ua-1"  # tagged, with title and language: readable by screen readers

log = logging.getLogger(__name__)


class StaticOnlyFetcher(URLFetcher):
    """Serves files of `static/`, the QR codes templates ask for and the network's logo (`logo`, the PNG
    eventhub.logo made), and refuses every other URL."""

    logo: bytes | None = None

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        """Return a static file, or raise ValueError (WeasyPrint then leaves the resource out)."""
        qr = qr_png(url)  # a QR code a template asked for: drawn here, nothing fetched
        if qr is not None:
            return URLFetcherResponse(url, body=qr, headers={"Content-Type": "image/png"})
        if url == PRINT_LOGO_URL and self.logo is not None:
            return URLFetcherResponse(url, body=self.logo, headers={"Content-Type": "image/png"})
        path = static_path(url)
        if path is None:
            log.warning("Printing refused to fetch %r: printouts only use the app's own files.", url[:200])
            raise ValueError(f"refused to fetch {url[:200]!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})


def static_path(url: str) -> Path | None:
    """The file of `static/` a printing URL names, or None when the URL is anything else."""
    if not url.startswith(STATIC_BASE):
        return None
    parts = urlsplit(url)
    path = (STATIC_ROOT / unquote(parts.path).lstrip("/")).resolve()
    if parts.query or not path.is_relative_to(STATIC_ROOT) or not path.is_file():
        return None
    return path


@lru_cache(maxsize=1)
def _toolkit() -> tuple[FontConfiguration, CSS, StaticOnlyFetcher]:
    """Fonts and the print stylesheet, parsed once per process."""
    fonts = FontConfiguration()
    fetcher = StaticOnlyFetcher(timeout=1, allow_redirects=False)
    css = CSS(url=STATIC_BASE + STYLESHEET, url_fetcher=fetcher, font_config=fonts)
    return fonts, css, fetcher


@lru_cache(maxsize=2)
def _fetcher_with(logo: bytes) -> StaticOnlyFetcher:
    """A fetcher that also answers PRINT_LOGO_URL with this logo (kept for the documents that follow)."""
    fetcher = StaticOnlyFetcher(timeout=1, allow_redirects=False)
    fetcher.logo = logo
    return fetcher


# WeasyPrint is not documented as thread-safe; a threaded server prints one document at a time.
_render_lock = threading.Lock()


# Runs of whitespace that templates leave between tags: one space lays out the same and parses faster.
_WHITESPACE = re.compile(r"\s{2,}")


def _layout(html: str, tagged: bool = True, logo: bytes | None = None):
    """Lay out one document (its own page numbers, its own "page N of M"); `logo` is the network's, or None."""
    fonts, css, fetcher = _toolkit()
    if logo is not None:
        fetcher = _fetcher_with(logo)
    html = _WHITESPACE.sub(" ", html)
    return HTML(string=html, base_url=STATIC_BASE, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, pdf_tags=tagged
    )


def _write(documents: Sequence, tagged: bool = True) -> tuple[bytes, int]:
    """One PDF of the pages of every document, in order, fonts embedded once; and its page count."""
    first = documents[0]
    pages = [page for document in documents for page in document.pages]
    # The first document's title and language describe the whole file.
    return first.copy(pages).write_pdf(pdf_variant=PDF_VARIANT if tagged else None), len(pages)


def render_pdf(html: str, logo: bytes | None = None) -> bytes:
    """A single document as PDF bytes; its <title> and <html lang> become the PDF's. `logo`: the network's
    logo, which the document names by PRINT_LOGO_URL (network.logo_png())."""
    with _render_lock:
        return _write([_layout(html, logo=logo)])[0]


def render_pdfs(htmls: Iterable[str], on_document_done: Callable[[], None] | None = None,
                logo: bytes | None = None) -> tuple[bytes, int]:
    """Several documents, each numbered on its own, in one PDF; and its page count."""
    with _render_lock:
        documents = []
        for html in htmls:
            documents.append(_layout(html, logo=logo))
            if on_document_done:
                on_document_done()
        if not documents:
            raise ValueError("nothing to print")
        return _write(documents)


def render_chunk(htmls: list[str], logo: bytes | None = None) -> bytes:
    """Worker-process entry point: a chunk of documents as one PDF."""
    return render_pdfs(htmls, logo=logo)[0]


def render_layer(htmls: list[str], logo: bytes | None = None) -> tuple[bytes, list[int]]:
    """Worker-process entry point: documents that become one layer of a page (printing/layers.py), untagged
    (joining layers keeps no structure tree), in one PDF; and the page count of each document."""
    with _render_lock:
        documents = [_layout(html, tagged=False, logo=logo) for html in htmls]
        return _write(documents, tagged=False)[0], [len(document.pages) for document in documents]


def process_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for laying out documents side by side."""
    # spawn: a fresh interpreter, with no inherited database connections or locks
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


def render_in_processes(chunks: Iterable[list[str]], workers: int,
                        on_chunk_done: Callable[[int, int, bytes], None], logo: bytes | None = None) -> None:
    """Render chunks in `workers` processes while the caller is still producing them; hand each
    finished PDF back in order, with its index and number of documents."""
    with process_pool(workers) as pool:
        futures = [(len(chunk), pool.submit(render_chunk, chunk, logo)) for chunk in chunks]
        for index, (size, future) in enumerate(futures):
            on_chunk_done(index, size, future.result())
