"""The final verdict on an uploaded document: libmagic on the whole file, then its structure."""

from __future__ import annotations

import os
import struct
import zipfile

from . import ole
from .errors import InvalidFile, UnsupportedType
from .sniff import DOC, DOCM, DOCX, EMPTY, OLE, PDF, ZIP, describe, sniff_path

MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
_MACROS = "macro-enabled documents are not accepted"
# Directory names that hold VBA in a binary Office file: Word keeps it under "Macros",
# other Office formats under "_VBA_PROJECT_CUR"; "VBA" and "_VBA_PROJECT" sit inside either.
_OLE_MACRO_NAMES = frozenset({"macros", "_vba_project_cur", "_vba_project", "vba"})
# Parts that only a macro-enabled OOXML package has.
_ZIP_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")


def inspect_document(path: str, allowed: frozenset[str]) -> dict[str, str]:
    """Decide whether the file is an accepted, macro-free PDF, DOC or DOCX: ``{"mime": ...}``.

    Raises UnsupportedType for another type and InvalidFile for an empty or damaged one.
    """
    mime = sniff_path(path)
    if mime == EMPTY:
        raise InvalidFile("the file is empty")
    if mime == PDF and PDF in allowed:
        _check_pdf(path)
    elif mime in (DOCX, DOCM, ZIP) and DOCX in allowed:
        mime = _check_docx(path, claimed=mime != ZIP)
    elif mime in (DOC, OLE) and DOC in allowed:
        mime = _check_doc(path, claimed=mime == DOC)
    else:
        raise UnsupportedType(
            f"files of type {mime} are not accepted here (accepted: {describe(allowed)})"
        )
    return {"mime": mime}


def _check_pdf(path: str) -> None:
    # libmagic tolerates leading junk before the header; a PDF we serve back must not have any.
    with open(path, "rb") as f:
        if f.read(5) != b"%PDF-":
            raise InvalidFile("the PDF does not start with a PDF header")


def _zip_entry_count(path: str) -> int:
    """Entry count from the end-of-central-directory record, before zipfile indexes them all."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(max(0, size - (22 + 65535)))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise InvalidFile("the document is truncated or not a whole zip archive")
    (total,) = struct.unpack_from("<H", tail, at + 10)
    # 0xFFFF defers to a ZIP64 record, needed only past 65,535 entries: too many for us anyway.
    return int(total)


def _check_docx(path: str, claimed: bool) -> str:
    """A DOCX is a zip with ``[Content_Types].xml`` and ``word/document.xml`` and no VBA project.

    ``claimed`` says libmagic already named it a Word document, so a missing part is damage, not
    another type.
    """
    if _zip_entry_count(path) > MAX_ZIP_ENTRIES:
        raise InvalidFile("the document holds too many parts")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise InvalidFile("the document holds too many parts")
            if sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise InvalidFile("the document expands to more than 200 MB")
            names = {i.filename for i in infos}
            if any(n.lower().rsplit("/", 1)[-1] in _ZIP_MACRO_PARTS for n in names):
                raise UnsupportedType(_MACROS)
            if "[Content_Types].xml" not in names:
                if claimed:
                    raise InvalidFile("the Word document is missing its content types")
                raise UnsupportedType("plain zip archives are not accepted here")
            if "word/document.xml" not in names:
                if claimed or not any(n.startswith(("xl/", "ppt/")) for n in names):
                    raise InvalidFile("the Word document is missing its main part")
                raise UnsupportedType("only Word documents are accepted among Office files")
            # Reading the two parts checks their CRC; sizes are bounded by the total above.
            content_types = zf.read("[Content_Types].xml")
            zf.read("word/document.xml")
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ):
        raise InvalidFile("the document is truncated or damaged") from None
    if b"macroenabled" in content_types.lower():
        raise UnsupportedType(_MACROS)
    return DOCX


def _check_doc(path: str, claimed: bool) -> str:
    """A DOC is an OLE compound file with a ``WordDocument`` stream and no VBA storage.

    The check reads the compound file's directory (names of its storages and streams), not the
    document text, so a document that merely mentions "Macros" is not refused.
    """
    names = {n.lower() for n in ole.directory_names(path)}
    if names & _OLE_MACRO_NAMES:
        raise UnsupportedType(_MACROS)
    if "worddocument" not in names:
        if claimed:
            raise InvalidFile("the Word document is missing its main stream")
        raise UnsupportedType("only Word documents are accepted among Office files")
    return DOC
