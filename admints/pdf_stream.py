"""A ReportLab document written to disk page by page (issue 14 point 4: bounded memory).

ReportLab keeps every page object (dictionary and content stream) in memory until `save()`
formats the whole file: memory grows with the number of letters (+6–8 MiB per 1,000). Here the
output file is opened when the canvas is made and, at each `showPage`, the page and its content
stream are formatted and written at once, then dropped; `save()` writes what remains (fonts,
forms, the shared resources, the page tree, the catalog), the cross-reference table (offsets of
objects written in any order, which PDF allows) and the trailer. Object numbers are the ones
ReportLab gives, so the file is a valid PDF read back by pypdf in the tests; what stays in
memory per page is its number, name and offset.

Relies on ReportLab 5 internals (`PDFDocument.format`, `PDFFile`, `PDFIndirectObject`), checked
by tests/test_letters.py and tests/test_letter_layout.py on the version pinned.
"""

from __future__ import annotations

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


class StreamingDocument(pdfdoc.PDFDocument):
    """A `PDFDocument` whose finished pages go to `path` as they end (`attach`, `write_now`)."""

    def attach(self, path) -> None:
        self._out = open(path, "wb")  # closed by save() or close()
        self._sink = _DiskFile(self._out, self._pdfVersion)
        self._written: set[str] = set()

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()

    def write_now(self, name: str) -> None:
        """Format the registered object `name` into the file now and forget it."""
        obj = self.idToObject[name]
        data = pdfdoc.PDFIndirectObject(name, obj).format(self)
        self.idToOffset[name] = self._sink.add(data)
        self.idToObject[name] = None
        self._written.add(name)

    def SaveToFile(self, filename, canvas) -> None:  # ReportLab's name
        try:
            self.GetPDFData(canvas)  # format() below writes into the file
        finally:
            self.close()

    def format(self) -> bytes:
        """ReportLab's final pass (same order, same objects), skipping what was written."""
        self.encrypt.prepare(self)
        cat, info = self.Catalog, self.info
        self.Reference(cat)
        self.Reference(info)
        encryptinfo = self.encrypt.info()
        encryptref = self.Reference(encryptinfo) if encryptinfo else None
        file = self.__accum__ = self._sink
        ids: list[str] = []
        counter = 0
        while True:  # objects may be registered while others are formatted
            counter += 1
            if counter not in self.numberToId:
                break
            oid = self.numberToId[counter]
            ids.append(oid)
            if oid in self._written:
                continue
            obj = self.idToObject[oid]
            data = pdfdoc.PDFIndirectObject(oid, obj).format(self)
            if not rl_config.invariant and rl_config.pdfComments:
                file.add(f"% {ascii(oid)}: class {obj.__class__.__name__[:50]} \n")
            self.idToOffset[oid] = file.add(data)
        del self.__accum__
        xref = pdfdoc.PDFCrossReferenceTable()
        xref.addsection(0, ids)
        offset = file.add(xref.format(self))
        trailer = pdfdoc.PDFTrailer(startxref=offset, Size=len(ids) + 1, Root=self.Reference(cat),
                                    Info=self.Reference(info), Encrypt=encryptref, ID=self.ID())
        file.add(trailer.format(self))
        return b""
