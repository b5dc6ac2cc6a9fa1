"""Shared plumbing of the generated PDFs (letters, class lists): the embedded DejaVu fonts and
the atomic write.

The 14 standard PDF fonts cover cp1252 only (no « Œ » in every viewer, no « Ł », no « ễ »), so
every PDF embeds DejaVuSans from `admints/static/fonts/` (subsetted by ReportLab). A PDF is
written to a temporary file next to its destination and renamed only once complete, so a
failure never leaves a half-written file where the caller (and its database commit) expects one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "static" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


def register_fonts() -> None:
    """Register the TTF fonts once per process (ReportLab's registry is global)."""
    registered = pdfmetrics.getRegisteredFontNames()
    for name in (FONT, FONT_BOLD):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    # so that <b> in Paragraph markup picks the bold face (no italic face is shipped)
    for bold, italic in ((0, 0), (0, 1), (1, 0), (1, 1)):
        addMapping(FONT, bold, italic, FONT_BOLD if bold else FONT)


def accelerated() -> bool:
    """Whether ReportLab found its C accelerator (`rl-accel`: faster widths and escaping)."""
    try:
        from reportlab.lib import rl_accel
    except ImportError:  # pragma: no cover - ReportLab layout change
        return False
    funcs = getattr(rl_accel, "_c_funcs", {})
    return "instanceStringWidthTTF" in funcs


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary file name in the directory of `path`; rename it to `path` on success.

    On any exception the temporary file is removed and `path` is left as it was.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
