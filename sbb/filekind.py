"""What a file really holds, from its first bytes, to say so when its name promises something else.

A user who renames a CSV to .xlsx, saves a screenshot under a table's name or picks an empty file
gets one plain sentence ("the file is a PNG image, not an .xlsx workbook") instead of a parser's
internal error. Only the first few bytes are read.
"""

from __future__ import annotations

from pathlib import Path

# leading bytes -> what a person would call the file
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet table"),
    (b"\xff\xfe", "text in UTF-16 ('Unicode Text')"),
    (b"\xfe\xff", "text in UTF-16 ('Unicode Text')"),
)


def head(source: str | Path | bytes, size: int = 8192) -> bytes | None:
    """The first `size` bytes of a path or of bytes; None when the file cannot be read."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:size])
    try:
        with open(source, "rb") as f:
            return f.read(size)
    except OSError:
        return None


def kind(first: bytes) -> str:
    """A person's name for what the bytes `first` (a file's beginning) hold.

    >>> [kind(b''), kind(b"\\x89PNG\\r\\n"), kind(b"a,b\\n1,2\\n"), kind(b"\\x00\\x01\\x02")]
    ['an empty file', 'a PNG image', 'a text file (a CSV?)', 'binary data, not text']
    """
    if not first:
        return "an empty file"
    for magic, name in _MAGIC:
        if first.startswith(magic):
            return name
    if b"\x00" in first:
        return "binary data, not text"
    return "a text file (a CSV?)"


def not_a_workbook(source: str | Path | bytes) -> str:
    """The sentence for a file that should be an .xlsx workbook and could not be opened as one."""
    first = head(source)
    what = "a file that cannot be read" if first is None else kind(first)
    if what.startswith("a zip archive"):
        return "an .xlsx workbook; the file is a zip archive but not a workbook (damaged, or another kind of file)"
    if what.startswith("an Excel 97-2003"):
        return "an .xlsx workbook; the file is an Excel 97-2003 workbook (.xls): open it in Excel and save it as .xlsx"
    if what == "an empty file":
        return "an .xlsx workbook; the file is empty"
    return f"an .xlsx workbook; the file is {what}"


# what a file with each suffix starts with
_EXPECTED = {".xlsx": "a zip archive", ".xlsm": "a zip archive", ".parquet": "a Parquet table", ".pq": "a Parquet table"}


def misnamed(source: str | Path | bytes, suffix: str) -> str | None:
    """'the file is a PNG image' when the file's first bytes contradict its `suffix` (.xlsx, .parquet);
    None when they agree, or for other suffixes.

    >>> misnamed(b"", ".xlsx"), misnamed(b"a,b\\n", ".parquet"), misnamed(b"PK\\x03\\x04", ".xlsx")
    ('the file is empty', 'the file is a text file (a CSV?)', None)
    """
    wanted = _EXPECTED.get(suffix)
    first = head(source)
    if wanted is None or first is None:
        return None
    what = kind(first)
    if what.startswith(wanted):
        return None
    return "the file is empty" if what == "an empty file" else f"the file is {what}"
