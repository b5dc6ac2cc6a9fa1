"""A ReportLab document written to disk page by page (issue 14 point 4: bounded memory).

ReportLab keeps every page object (dictionary and content stream) in memory until `save()`
formats the whole file: memory grows with the number of letters (+6–8 MiB per 1,000). Here the
output file is opened when the canvas is made and, at each `showPage`, the page and its content
stream are formatted and written at once, then dropped; `save()` writes what remains (fonts,
forms, the shared resources, the page tree, the catalog), the cross-reference table (offsets of
objects written in any order, which PDF allows) and the trailer. Object numbers are the ones
ReportLab gives, so the file is a valid PDF read back by pypdf in the tests; what stays in
memory per page is its object number and offsets (two arrays).

Relies on ReportLab 5 internals (`PDFDocument.format`, `PDFFile`, `PDFIndirectObject`), checked
by tests/test_letters.py and tests/test_letter_layout.py on the version pinned.
"""

from __future__ import annotations

from array import array

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc


class _DiskFile(pdfdoc.PDFFile):
    """ReportLab's output collector, writing to an open binary file instead of a list."""

    def __init__(self, out, pdf_version) -> None:
        super().__init__(pdf_version)  # collects the header in self.strings
        out.write(b"".join(self.strings))
        self.strings = []
        self.write = out.write

    def format(self, document) -> bytes:
        return b""


class _Kids(pdfdoc.PDFObject):
    """The page tree's /Kids array, from the object numbers of the pages written."""

    def __init__(self, numbers) -> None:
        self.numbers = numbers

    def format(self, document) -> bytes:
        return b"[ " + b" ".join(b"%d 0 R" % n for n in self.numbers) + b" ]"


class _StreamedPages(pdfdoc.PDFPages):
    """The page tree of a `StreamingDocument`: its pages are already on disk."""

    def check_format(self, document) -> None:
        self.Kids = _Kids(document.page_numbers)
        self.Count = len(document.page_numbers)


class StreamingDocument(pdfdoc.PDFDocument):
    """A `PDFDocument` whose finished pages go to `path` as they end (`attach`, `write_now`,
    `page_written`)."""

    def attach(self, path) -> None:
        self._out = open(path, "wb")  # closed by save() or close()
        self._sink = _DiskFile(self._out, self._pdfVersion)
        self._offsets = array("q")  # by object number; 0: not written yet
        self.page_numbers = array("l")
        self.Pages.__class__ = _StreamedPages

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()

    def write_now(self, name: str) -> int:
        """Format the registered object `name` into the file now, forget it (only its offset is
        kept, by number); returns its number."""
        number = self.idToObjectNumberAndVersion[name][0]
        data = pdfdoc.PDFIndirectObject(name, self.idToObject[name]).format(self)
        self._offset(number, self._sink.add(data))
        del self.idToObject[name], self.idToObjectNumberAndVersion[name]
        del self.numberToId[number]
        return number

    def page_written(self, number: int) -> None:
        """The last page was written (`write_now`): the page tree lists it by number."""
        self.page_numbers.append(number)
        self.Pages.pages.pop()

    def _offset(self, number: int, offset: int) -> None:
        if len(self._offsets) <= number:
            self._offsets.extend([0] * (number + 1024 - len(self._offsets)))
        self._offsets[number] = offset

    def _written(self, number: int) -> bool:
        return number < len(self._offsets) and self._offsets[number] > 0

    def SaveToFile(self, filename, canvas) -> None:  # ReportLab's name
        try:
            self.GetPDFData(canvas)  # format() below writes into the file
        finally:
            self.close()

    def format(self) -> bytes:
        """ReportLab's final pass (same order, same objects), skipping what was written, then
        the cross-reference table and the trailer."""
        self.encrypt.prepare(self)
        cat, info = self.Catalog, self.info
        self.Reference(cat)
        self.Reference(info)
        encryptinfo = self.encrypt.info()
        encryptref = self.Reference(encryptinfo) if encryptinfo else None
        file = self.__accum__ = self._sink
        count = 0
        while True:  # objects may be registered while others are formatted
            number = count + 1
            if not self._written(number):
                if number not in self.numberToId:
                    break
                oid = self.numberToId[number]
                obj = self.idToObject[oid]
                data = pdfdoc.PDFIndirectObject(oid, obj).format(self)
                if not rl_config.invariant and rl_config.pdfComments:
                    file.add(f"% {ascii(oid)}: class {obj.__class__.__name__[:50]} \n")
                self._offset(number, file.add(data))
            count = number
        del self.__accum__
        entries = b"".join(b"%010d 00000 n \n" % self._offsets[n] for n in range(1, count + 1))
        offset = file.add(b"xref\n0 %d\n0000000000 65535 f \n" % (count + 1) + entries)
        trailer = pdfdoc.PDFTrailer(startxref=offset, Size=count + 1, Root=self.Reference(cat),
                                    Info=self.Reference(info), Encrypt=encryptref, ID=self.ID())
        file.add(trailer.format(self))
        return b""
