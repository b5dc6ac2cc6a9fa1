"""Shared plumbing of the generated PDFs (letters, class lists): the embedded DejaVu fonts and
the atomic write.

The 14 standard PDF fonts cover cp1252 only (no « Œ » in every viewer, no « Ł », no « ễ »), so
every PDF embeds DejaVuSans from `admints/static/fonts/` (subsetted by ReportLab). A PDF is
written to a temporary file next to its destination and renamed only once complete, so a
failure never leaves a half-written file where the caller (and its database commit) expects one.
`SharedResourcesCanvas` is the canvas for thousands of near-identical pages (letters).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .pdf_stream import StreamingDocument

FONT_DIR = Path(__file__).resolve().parent / "static" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"  # the letters' « Italique » lines (R-PAR-4)


def register_fonts() -> None:
    """Register the TTF fonts once per process (ReportLab's registry is global)."""
    registered = pdfmetrics.getRegisteredFontNames()
    for name in (FONT, FONT_BOLD, FONT_ITALIC):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    # so that <b> in Paragraph markup picks the bold face (<i> stays upright there)
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


class _RawStream(pdfdoc.PDFObject):
    """An indirect stream object whose bytes are already formatted."""

    __RefOnly__ = 1

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document) -> bytes:
        return self.data


class _FastPage(pdfdoc.PDFPage):
    """A page formatted directly: same dictionary and content stream as ReportLab writes,
    without its generic object formatting (which costs more than drawing the page)."""

    def format(self, document) -> bytes:
        transition = self.Trans.dict if self.Trans is not None else None
        if self.Annots or transition or self.Dur or self.Override_default_compilation:
            return super().format(document)
        data = pdfdoc.pdfdocEnc(self.stream or " ")
        if self.compression:
            data = document.encrypt.encode(zlib.compress(data))
            head = b"<< /Filter /FlateDecode /Length %d >>" % len(data)
        else:
            data = document.encrypt.encode(data)
            head = b"<< /Length %d >>" % len(data)
        contents = document.Reference(_RawStream(head + b"\nstream\n" + data + b"\nendstream\n"))
        parent = document.Reference(document.Pages)
        return b"<<\n/Contents %s /MediaBox [ 0 0 %s ] /Parent %s /Resources %s /Type /Page\n>>" % (
            contents.format(document), fp_str(self.pagewidth, self.pageheight).encode(),
            parent.format(document), self.Resources.format(document))


class SharedResourcesCanvas(Canvas):
    """A canvas for thousands of near-identical pages.

    - All pages point to ONE resource dictionary (fonts + every form): ReportLab otherwise
      writes an inline resource dictionary into each page. Listing every form in a single
      shared dictionary is valid PDF (a page may ignore resources it does not use).
    - Pages are `_FastPage`s, formatted directly.
    - The file is written page by page (`pdf_stream.StreamingDocument`): each page and its
      content stream go to disk at `showPage`, so memory does not grow with the letters.
      `filename` must be a path; `close()` releases the file when `save()` is not reached.
    Relies on ReportLab 5 internals (`_setXObjects`, `_doc`; pinned in requirements.txt); the
    tests read every PDF back with pypdf.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._doc.__class__ = StreamingDocument
        self._doc.attach(self._filename)
        self._all_forms: list[str] = []
        self._page_resources = pdfdoc.PDFResourceDictionary()
        self._page_resources.basicFonts()
        self._page_resources_ref = self._doc.Reference(self._page_resources)

    def beginForm(self, name, *args, **kwargs) -> None:  # ReportLab's name
        self._all_forms.append(name)
        super().beginForm(name, *args, **kwargs)

    def _setXObjects(self, thing) -> None:  # ReportLab's name
        if isinstance(thing, pdfdoc.PDFPage):
            thing.XObjects = None
            thing.Resources = self._page_resources_ref
        else:
            super()._setXObjects(thing)

    def showPage(self) -> None:  # ReportLab's name
        super().showPage()
        doc = self._doc
        page = doc.Pages.pages[-1]
        if type(page) is pdfdoc.PDFPage:
            page.__class__ = _FastPage
        last = doc.objectcounter
        number = doc.write_now(page.__InternalName__)
        for other in range(last + 1, doc.objectcounter + 1):  # its content stream
            oid = doc.numberToId[other]
            if isinstance(doc.idToObject[oid], _RawStream):
                doc.write_now(oid)
        doc.page_written(number)

    def close(self) -> None:
        """Release the output file (after a failure; `save()` closes it itself)."""
        self._doc.close()

    def save(self) -> None:
        self._page_resources.XObject = self._doc.xobjDict(self._all_forms).dict
        super().save()
