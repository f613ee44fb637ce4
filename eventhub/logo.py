"""A network's logo made safe to keep and show: PNG or JPEG only, at most 2 MB, its pixel count checked from
the header before anything is decoded, one frame, then drawn again by Pillow into a fresh PNG that carries
no metadata (no EXIF, no text chunks, no colour profile) and is at most LOGO_SIDE pixels on its longer side.
Pages, emails and printouts only ever get that PNG."""
import hashlib
import io
import warnings

from PIL import Image, ImageOps

from eventhub.errors import DomainError

MAX_LOGO_BYTES = 2 * 1024 * 1024
# Decoding costs about 4 bytes a pixel: 16 megapixels is 64 MB, and more than any logo needs.
MAX_LOGO_PIXELS = 16_000_000
LOGO_SIDE = 800  # the stored logo's longer side at most: sharp on a printed page and on a high-density screen
FORMATS = ("PNG", "JPEG")
# The one address printouts name the logo by: the renderer answers it from the PNG it is handed
# (printing/render.py), so a print worker needs no web server and no other URL is ever fetched.
PRINT_LOGO_URL = "https://logo.eventhub.invalid/network-logo.png"
TOO_MANY_PIXELS = (f"A logo may have at most {MAX_LOGO_PIXELS // 1_000_000} million pixels; save it smaller "
                   "(800 pixels across is plenty) and try again.")


class LogoError(DomainError):
    """A file that cannot be the network's logo; the message says why and what to send instead."""

    status = 422
    field = "logo"


def clean_logo(data: bytes) -> bytes:
    """The logo as a fresh PNG without metadata, or LogoError saying why this file cannot be one."""
    if not data:
        raise LogoError("The file is empty. Choose a PNG or JPEG image.")
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"The file is {len(data) / 1024 / 1024:.1f} MB; a logo may be at most 2 MB. Save it "
                        "smaller (a logo needs no more than 800 pixels across) and try again.")
    # Image.open reads the header only; `formats` keeps every other decoder (SVG is not even an image to
    # Pillow; GIF, TIFF, WebP, BMP...) from being tried.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise LogoError(TOO_MANY_PIXELS) from error
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise LogoError("This file is not a PNG or JPEG image. Save the logo as PNG (best for a logo) or "
                        "JPEG; SVG, GIF and other formats are not accepted.") from error
    with image:
        width, height = image.size
        if width * height > MAX_LOGO_PIXELS or width < 1 or height < 1:
            raise LogoError(f"The image is {width:,} × {height:,} pixels. {TOO_MANY_PIXELS}")
        if getattr(image, "n_frames", 1) != 1:
            raise LogoError("The image is animated (it has several frames); a logo must be a still image.")
        try:
            # Decoding alone would not say that a file is cut short once WeasyPrint is loaded in this process:
            # it tells Pillow to fill in what is missing (ImageFile.LOAD_TRUNCATED_IMAGES).
            _check_whole(data, image.format)
            image.load()
            upright = ImageOps.exif_transpose(image)  # a photo's "rotate me" note, applied before it is dropped
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            raise LogoError("The image could not be read: the file is damaged or cut short. Save it again and "
                            "try again.") from error
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        pixels = upright.convert("RGBA" if has_alpha else "RGB")
    pixels.thumbnail((LOGO_SIDE, LOGO_SIDE), Image.Resampling.LANCZOS)
    # A new image holds the pixels alone: nothing of the file's info (EXIF, text, ICC profile) comes along.
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    fresh.save(out, "PNG", optimize=True)
    return out.getvalue()


def _check_whole(data: bytes, kind: str | None) -> None:
    """Raise OSError (or SyntaxError) unless the file is whole: a PNG's every chunk there with its checksum,
    a JPEG's end marker present."""
    if kind == "PNG":
        with Image.open(io.BytesIO(data), formats=["PNG"]) as again:
            again.verify()
    elif not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        raise OSError("the JPEG has no end")


def logo_digest(png: bytes) -> str:
    """A short digest of the stored logo, for its address."""
    return hashlib.sha256(png).hexdigest()[:16]
