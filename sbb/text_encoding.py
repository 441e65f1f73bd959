"""Text files that are not UTF-8: Excel's "CSV (Comma delimited)" on Windows writes Windows-1252.

The rule: a CSV is read as UTF-8 (with or without Excel's byte-order mark) first; only a file that is
not valid UTF-8 comes here. If it decodes as Windows-1252 (the superset of Latin-1 that Windows
uses), it is read that way, so "École Saint-Jérôme" keeps its accents. A file that is neither, or
that mixes UTF-8 rows with others, is refused with the row where it goes wrong and how to save it as
UTF-8; a file that is not text at all (an image, a workbook, UTF-16) is named for what it is.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from .filekind import kind
from .problems import InputError, Problem, shown

SAVE_AS_UTF8 = ("Save it as UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited)'; in LibreOffice, "
                "File > Save As > 'Text CSV' with the character set 'Unicode (UTF-8)'")

# a well-formed UTF-8 sequence of two to four bytes (a Windows-1252 file almost never holds one)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _raw(source) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if hasattr(source, "getvalue"):
        return source.getvalue()
    if hasattr(source, "read"):
        source.seek(0)
        return source.read()
    return Path(source).read_bytes()


def _row_at(raw: bytes, position: int) -> tuple[int, str]:
    """The line number (the header is row 1) holding byte `position`, and that line as a person sees it."""
    start = raw.rfind(b"\n", 0, position) + 1
    end = raw.find(b"\n", position)
    line = raw[start: end if end >= 0 else len(raw)].rstrip(b"\r")
    return raw.count(b"\n", 0, position) + 1, shown(line.decode("utf-8", errors="replace"), 80)


def utf8_text(source, label: str, wanted: str = "a readable CSV table") -> io.BytesIO:
    """The CSV `source` (a path, bytes or a binary stream) that is not valid UTF-8, as UTF-8 bytes
    decoded from Windows-1252; raises `InputError` naming the file (and the row) when it cannot be.
    `wanted` says what the file should have been, for a file that is not text.

    >>> utf8_text("a,b\\nÉcole,1\\n".encode("cp1252"), "s.csv").getvalue().decode("utf-8")
    'a,b\\nÉcole,1\\n'
    """
    raw = _raw(source)
    what = kind(raw[:8192])
    if what != "a text file (a CSV?)":
        hint = {"text in UTF-16 ('Unicode Text')": f". {SAVE_AS_UTF8}",
                "a zip archive (an .xlsx workbook is one)": ": if it is a workbook, name it .xlsx"}.get(what, "")
        raise InputError([Problem(label, None, None, None, f"{wanted}; the file is {what}{hint}")])
    try:
        raw.decode("utf-8")
        return io.BytesIO(raw)  # valid after all (the reader failed for another reason, which it then names)
    except UnicodeDecodeError as err:
        first_bad = err.start
    if _UTF8_MULTIBYTE.search(raw):
        row, line = _row_at(raw, first_bad)
        raise InputError([Problem(label, row, None, line, "text in one encoding; this row is not UTF-8 but "
                                  f"other rows are (the file mixes encodings). {SAVE_AS_UTF8}")])
    try:
        return io.BytesIO(raw.decode("cp1252").encode("utf-8"))
    except UnicodeDecodeError as err:
        row, line = _row_at(raw, err.start)
        byte = raw[err.start: err.start + 1].hex().upper()
        raise InputError([Problem(label, row, None, line, f"text in UTF-8 or Windows-1252; this row has a byte "
                                  f"(0x{byte}) that is neither. {SAVE_AS_UTF8}")]) from None
