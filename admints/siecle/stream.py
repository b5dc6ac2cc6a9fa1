"""Bounded, defused streaming of SIECLE XML files (R-DAT-1): the bytes of each file (plain, or a
member of a .zip inflated as it is read) are fed in chunks to two expat parsers in step:

- a guard with only defusedxml's handlers set (any DOCTYPE, entity declaration or external
  reference raises defusedxml's own exceptions), which sees every chunk *before* the tree
  parser does: an entity-expansion bomb or a `file:///etc/passwd` entity is refused before any
  expansion, and malformed XML fails here too;
- the C ElementTree pull parser building the tree. After each chunk, the complete records
  (BEE_x/DONNEES/SECTION/RECORD: an ELEVE, a PERSONNE, a MEF…) go to their handler and out of
  the tree, so the memory used does not grow with the file; Python does no work per element
  (only the number of start events is read), which keeps it as fast as a whole-tree parse.

The work per file is bounded (`Limits`, from the SIECLE_* configuration keys): inflated bytes,
elements, records read; plus what no real export does — a record (or any run of bytes without
a new element) over 1 MB, fewer than 10 bytes per element on average. A real export of a
20,000-pupil establishment (~25 MB of pupils, ~1.3 million elements with addresses; ~100,000
records in its responsables file) passes; a 60 KB zip inflating to 60 MB of `<a/>` is refused
after its first 0.5 MB. Chunks start at 64 KB and double while no element starts: expat before
2.6 parses an unfinished token again at each feed, so a huge tag or comment would otherwise
cost quadratic time. Broken archives (corrupted deflate stream, encrypted or unsupported
member, bad CRC) are refused too. Every refusal is an `ImportRefused` with a French message
naming the file.
"""

from __future__ import annotations

import io
import lzma
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, XMLPullParser
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.common import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from ..errors import ImportRefused

CHUNK = 64 * 1024
DENSITY_AFTER, MIN_BYTES_PER_ELEMENT = 100_000, 10
ZIP_MAX_MEMBERS = 20
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What reading a broken member raises: bad CRC or header, corrupted deflate/bzip2/lzma stream,
# and NotImplementedError, zipfile's own answer to a compression method it cannot read (a
# hostile archive's, refused in French like the others; nothing here is left unwritten).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError, EOFError,
               OSError, NotImplementedError)


@dataclass(frozen=True)
class Limits:
    """The work one XML file may cost (defaults = the configuration's defaults)."""

    max_bytes: int = 150 * 1024 * 1024  # SIECLE_MAX_XML_BYTES, inflated
    max_elements: int = 3_000_000  # SIECLE_MAX_ELEMENTS
    max_records: int = 300_000  # SIECLE_MAX_RECORDS (pupils, persons, links, addresses…)
    max_record_bytes: int = 1024 * 1024  # one record, open: a real ELEVE is ~3 KB

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(max_bytes=int(config.get("SIECLE_MAX_XML_BYTES", cls.max_bytes)),
                   max_elements=int(config.get("SIECLE_MAX_ELEMENTS", cls.max_elements)),
                   max_records=int(config.get("SIECLE_MAX_RECORDS", cls.max_records)))


def _mo(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} Mo"


# -- where the bytes come from ----------------------------------------------------------------

Upload = bytes | BinaryIO | os.PathLike  # bytes, an open binary file, or a file's path


def is_zip(name: str, data: bytes) -> bool:
    return name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"


Reader = Callable[[int], bytes]  # read(n): at most n bytes, b"" at the end


def sources(name: str, data: Upload, limits: Limits) -> Iterator[tuple[str, Reader]]:
    """(file name, its reader) of each XML file in an upload: itself, or the archive's XML
    members, inflated as they are read. `data` may be a file (an upload spooled to disk by
    the server, a kept file): it is read as it is parsed, never whole in memory (issue 14)."""
    if isinstance(data, os.PathLike):
        with open(data, "rb") as fh:
            yield from sources(name, fh, limits)
        return
    if isinstance(data, bytes | bytearray | memoryview):
        size, head, fh = len(data), bytes(data[:4]), io.BytesIO(data)
    else:
        fh = data
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(0)
        head = fh.read(4)
        fh.seek(0)
    if not is_zip(name, head):
        if size > limits.max_bytes:
            raise ImportRefused(f"Le fichier « {name} » dépasse la taille maximale de "
                                f"{_mo(limits.max_bytes)} : il est refusé.")
        yield name, fh.read
        return
    try:
        archive = zipfile.ZipFile(fh)
        infos = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise ImportRefused(f"L'archive « {name} » est illisible ou corrompue.") from exc
    members = [i for i in infos if not i.is_dir() and i.filename.lower().endswith(".xml")
               and not i.filename.startswith("__MACOSX/")]
    if not members:
        raise ImportRefused(f"L'archive « {name} » ne contient aucun fichier XML.")
    if len(members) > ZIP_MAX_MEMBERS:
        raise ImportRefused(f"L'archive « {name} » contient plus de {ZIP_MAX_MEMBERS} fichiers "
                            "XML : elle est refusée.")
    for info in members:
        shown = f"{name}:{info.filename.rsplit('/', 1)[-1]}"
        if info.flag_bits & 0x1:
            raise ImportRefused(f"Le fichier « {shown} » de l'archive est chiffré (protégé par un "
                                "mot de passe) : déposez une archive sans mot de passe.")
        if info.compress_type not in _COMPRESSIONS:
            raise ImportRefused(f"Le fichier « {shown} » de l'archive utilise une méthode de "
                                "compression non prise en charge : l'archive est refusée.")
        if info.file_size > limits.max_bytes:
            raise ImportRefused(f"L'archive « {name} » est trop volumineuse une fois décompressée "
                                f"(plus de {_mo(limits.max_bytes)} pour « {shown} »).")
    for info in members:
        yield f"{name}:{info.filename.rsplit('/', 1)[-1]}", _Member(name, archive, info, limits)


class _Member:
    """read(n) of one archive member, inflated as it is read; bounded; errors in French."""

    def __init__(self, name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                 limits: Limits):
        self.name, self.archive, self.info, self.limits = name, archive, info, limits
        self.member = None
        self.total = 0

    def __call__(self, n: int) -> bytes:
        try:
            if self.member is None:
                self.member = self.archive.open(self.info)
            # zipfile stops at the announced size (checked above) and checks the CRC there:
            # a lying header cannot inflate past it. Counted anyway.
            chunk = self.member.read(n)
        except _ZIP_ERRORS as exc:
            raise ImportRefused(f"L'archive « {self.name} » est illisible ou corrompue.") from exc
        self.total += len(chunk)
        if self.total > self.limits.max_bytes:
            raise ImportRefused(f"L'archive « {self.name} » est trop volumineuse une fois "
                                "décompressée.")
        if not chunk:
            self.member.close()
        return chunk


# -- the guard --------------------------------------------------------------------------------

def _forbid_dtd(name, sysid, pubid, _has_internal_subset):
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name, _is_pe, value, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _forbid_unparsed(name, base, sysid, pubid, notation_name):
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _forbid_external(context, base, sysid, pubid):
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _guard():
    """defusedxml's policy (forbid_dtd, forbid_entities, forbid_external) at C speed: no element
    handler is set, so expat only checks well-formedness and calls these on a declaration."""
    guard = expat.ParserCreate()
    guard.StartDoctypeDeclHandler = _forbid_dtd
    guard.EntityDeclHandler = _forbid_entity
    guard.UnparsedEntityDeclHandler = _forbid_unparsed
    guard.ExternalEntityRefHandler = _forbid_external
    return guard


# -- the walk ---------------------------------------------------------------------------------

@dataclass
class Walk:
    """What the walk saw besides the records: the root, PARAMETRES' fields, DONNEES."""

    root: str | None = None
    params: dict = field(default_factory=dict)
    donnees: bool = False
    records: int = 0
    blank: bool = True  # nothing but white space so far
    handlers: dict = field(default_factory=dict)  # what on_root returned


Handlers = dict[tuple[str, str], Callable[[Element], None]]


def walk(filename: str, read: Reader, limits: Limits,
         on_root: Callable[[str], Handlers]) -> Walk:
    """Parse one file, calling `on_root(root tag)` at the first element (it refuses or returns
    the record handlers by (section tag, record tag)), then each handler with each record."""
    seen = Walk()
    try:
        _walk(filename, read, limits, on_root, seen)
    except DefusedXmlException as exc:
        raise ImportRefused(
            f"Le fichier « {filename} » contient une DTD ou des entités XML, interdites par "
            "sécurité (un export SIECLE n'en contient pas) : il est refusé.") from exc
    except (ParseError, expat.ExpatError) as exc:
        if seen.blank:
            raise ImportRefused(f"Le fichier « {filename} » est vide.") from exc
        line = getattr(exc, "lineno", None) or (getattr(exc, "position", None) or (None,))[0]
        where = f" (ligne {line})" if line else ""
        raise ImportRefused(
            f"Le fichier « {filename} » n'est pas un XML valide{where} : il est refusé.") from exc
    except (LookupError, UnicodeError, ValueError) as exc:
        raise ImportRefused(
            f"Le fichier « {filename} » déclare un encodage illisible : il est refusé.") from exc
    return seen


def _walk(filename, read: Reader, limits: Limits, on_root, seen: Walk) -> None:
    guard, pull = _guard(), XMLPullParser(events=("start",))
    # Only the number of start events is needed (and the first, the root): the queue is read
    # directly when it is there, rather than one Python step per element.
    queue = getattr(pull, "_events_queue", None)
    root: Element | None = None
    count = total = 0  # elements and bytes so far
    span = quiet = 0  # bytes while `holder` stayed open; bytes without a new element
    holder = None
    size = CHUNK
    while True:
        chunk = read(size)
        final = not chunk
        if final:
            guard.Parse(b"", True)
            pull.close()
        else:
            if seen.blank and bytes(chunk).strip():
                seen.blank = False
            guard.Parse(chunk, False)  # the guard first: a DTD never reaches the tree parser
            pull.feed(chunk)
        started = len(queue) if queue is not None else 0
        if queue is not None:
            if root is None and queue:
                root = queue[0][1]
            count += started
            queue.clear()
        else:  # pragma: no cover - a Python without the private queue
            for _event, el in pull.read_events():
                root = el if root is None else root
                started += 1
            count += started
        # expat (before 2.6) parses an unfinished token again at each feed: while no element
        # starts, the chunks double, so that a long token costs linear time; and a real
        # export never goes a record's length without starting an element.
        size, quiet = (CHUNK, 0) if started else (size * 2, quiet + len(chunk))
        if quiet > limits.max_record_bytes:
            raise _odd(filename, f"plus de {_n(limits.max_record_bytes // 1024)} Ko sans nouvel "
                       "élément")
        total += len(chunk)
        # SIECLE elements are named and filled (~45 bytes each in real exports): millions of
        # tiny ones are a bomb, refused without waiting for the element bound.
        if count > DENSITY_AFTER and total < MIN_BYTES_PER_ELEMENT * count:
            raise _odd(filename, f"{_n(count)} éléments minuscules en {_n(total // 1024)} Ko")
        if root is not None:
            if seen.root is None:
                seen.root = root.tag
                seen.handlers = on_root(root.tag)
            if count > limits.max_elements:
                raise _too_big(filename, f"plus de {_n(limits.max_elements)} éléments")
            open_el = _prune(filename, root, seen, limits, final)
            span = span + len(chunk) if open_el is holder else len(chunk)
            holder = open_el
            if holder is not None and span > limits.max_record_bytes:
                raise _odd(filename, f"un élément <{holder.tag[:40]}> de plus de "
                           f"{_n(limits.max_record_bytes // 1024)} Ko")
        if final:
            return


def _prune(filename, root: Element, seen: Walk, limits: Limits, final: bool):
    """Read what is complete under the root and take it out of the tree; return the element
    still open whose size is bounded (a record, PARAMETRES or an unknown root child)."""
    kids = root[:]
    last, holder, done = len(kids) - 1, None, 0
    for i, child in enumerate(kids):
        is_open = not final and i == last
        if child.tag == "DONNEES":
            seen.donnees = True
            holder = _records(filename, child, seen, limits, is_open)
        elif is_open:
            holder = child
        elif child.tag == "PARAMETRES" and not seen.params:
            seen.params = {field.tag: field.text for field in child}
        if not is_open:
            done += 1
    if done:
        del root[:done]
    return holder


def _records(filename, donnees: Element, seen: Walk, limits: Limits, is_open: bool):
    """Every complete record of DONNEES/SECTION/RECORD to its handler, then out of the tree;
    the last record of the last section may still be open: returned, read next time."""
    handlers, sections = seen.handlers, donnees[:]
    last, holder, done = len(sections) - 1, None, 0
    for j, section in enumerate(sections):
        section_open = is_open and j == last
        records = section[:]
        n = len(records) - 1 if section_open else len(records)
        tag = section.tag
        for record in records[:n] if section_open else records:
            handler = handlers.get((tag, record.tag))
            if handler is not None:
                handler(record)
                seen.records += 1
        if seen.records > limits.max_records:
            raise _too_big(filename, f"plus de {_n(limits.max_records)} enregistrements")
        if n > 0:
            del section[:n]
        if section_open:
            holder = records[-1] if records else None
        else:
            done += 1
    if done:
        del donnees[:done]
    return holder


def _n(number: int) -> str:
    """« 3 000 000 »: French digit grouping (narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


def _too_big(filename: str, what: str) -> ImportRefused:
    return ImportRefused(f"Le fichier « {filename} » est trop volumineux pour un export SIECLE "
                         f"({what}) : il est refusé.")


def _odd(filename: str, what: str) -> ImportRefused:
    return ImportRefused(f"Le fichier « {filename} » n'a pas la forme d'un export SIECLE "
                         f"({what}) : il est refusé.")
