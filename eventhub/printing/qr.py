"""QR codes of private links, drawn by the printer's fetcher where the page is laid out.

Templates give the image an address under a host that can never resolve (RFC 2606); the fetcher
(render.StaticOnlyFetcher) draws the code for it. In a batch that happens in the worker processes,
side by side, not in the process that writes the HTML for all of them.
"""
from io import BytesIO
from typing import TYPE_CHECKING, cast
from urllib.parse import quote, unquote

import zxingcpp
from PIL import Image

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer from Python 3.12

QR_BASE = "https://qr.eventhub.invalid/"
# Modules of white around the code (the quiet zone), and the two colours: white, the print's navy.
BORDER = 2
PALETTE = [255, 255, 255, 0x14, 0x30, 0x5A]


def qr_source(text: str) -> str:
    """The image address of a QR code holding `text`."""
    return QR_BASE + quote(text, safe="")


def qr_png(url: str) -> bytes | None:
    """The PNG (one pixel per module, cheap to print) of a `qr_source` address; None for any other URL."""
    if not url.startswith(QR_BASE) or len(url) > 2000:
        return None
    # zxing-cpp encodes in C++ (choosing the mask with the lowest penalty, as the standard asks) in
    # well under a millisecond; a pure-Python encoder took a third of each name layer's time.
    modules = zxingcpp.create_barcode(unquote(url[len(QR_BASE):]), zxingcpp.BarcodeFormat.QRCode,
                                      ec_level="M").to_image(scale=1, add_quiet_zones=False)
    size = modules.shape[0]
    image = Image.new("P", (size + 2 * BORDER, size + 2 * BORDER), 0)
    image.putpalette(PALETTE)
    # zxing-cpp's stub leaves out that its Image exposes the buffer protocol (one byte a pixel) at runtime.
    pixels = bytes(cast("Buffer", modules))
    dark = bytes(1 if value < 128 else 0 for value in pixels)  # the image is black on white
    image.paste(Image.frombytes("P", (size, size), dark), (BORDER, BORDER))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
