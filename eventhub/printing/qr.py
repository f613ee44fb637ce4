"""QR codes of private links, drawn by the printer's fetcher where the page is laid out.

Templates give the image an address under a host that can never resolve (RFC 2606); the fetcher
(render.StaticOnlyFetcher) draws the code for it. In a batch that happens in the worker processes,
side by side, not in the process that writes the HTML for all of them.
"""
from io import BytesIO
from urllib.parse import quote, unquote

import segno

QR_BASE = "https://qr.eventhub.invalid/"


def qr_source(text: str) -> str:
    """The image address of a QR code holding `text`."""
    return QR_BASE + quote(text, safe="")


def qr_png(url: str) -> bytes | None:
    """The PNG (one pixel per module, cheap to print) of a `qr_source` address; None for any other URL."""
    if not url.startswith(QR_BASE) or len(url) > 2000:
        return None
    buffer = BytesIO()
    segno.make(unquote(url[len(QR_BASE):]), error="m").save(buffer, kind="png", scale=1, border=2, dark="#14305a")
    return buffer.getvalue()
