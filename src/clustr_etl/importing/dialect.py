"""How a CSV export is written, found by looking at its first lines: encoding, delimiter, header line.

Exports come from tills and from Excel in the retailer's locale: ``;`` or tab instead of ``,``, cp1252
instead of UTF-8, a byte-order mark, UTF-16 from Excel's "Unicode text", a title line above the header.
Each finding can be given instead (``--encoding``, ``--delimiter``, the mapping's ``[options]``).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from clustr_etl.errors import InputFileError

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1 << 16
SAMPLE_LINES = 60
_VALUE = re.compile(r"[-+]?[\d.,:/ ]+")  # a cell that is a number or a date is no column name
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Tried in order on the whole file when no encoding is given and the sample reads as UTF-8.
TEXT_ENCODINGS = ("utf-8", "cp1252", "latin-1")


@dataclass(frozen=True)
class Dialect:
    encodings: tuple[str, ...]  # codecs to try in turn (one when given or found by a BOM)
    delimiter: str
    header_line: int  # 1-based physical line where the header row ends (data starts after it)
    header: list[str]  # the header's names, stripped
    found: dict[str, str]  # what was detected (not given): name -> value, for the report


def shown_delimiter(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _head(path: Path) -> tuple[bytes, bool]:
    """The first bytes of the (decompressed) file and whether that is the whole file."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = handle.read(SAMPLE_BYTES + 1)
        else:
            with path.open("rb") as handle:
                data = handle.read(SAMPLE_BYTES + 1)
    except (gzip.BadGzipFile, EOFError, OSError) as err:
        raise InputFileError(f"cannot read {path}: {err}", "is it a CSV or gzip CSV?") from None
    return data[:SAMPLE_BYTES], len(data) <= SAMPLE_BYTES


def _encodings(name: str, head: bytes, given: str | None) -> tuple[tuple[str, ...], str | None]:
    """Encodings to try, and the one detected (None when given)."""
    if given:
        try:
            codecs.lookup(given)
        except LookupError:
            raise InputFileError(
                f"unknown encoding {given!r}", "e.g. --encoding utf-8, cp1252 or latin-1"
            ) from None
    for bom, codec in _BOMS:
        if head.startswith(bom):
            if given and codecs.lookup(given).name.startswith("utf-16") != (codec == "utf-16"):
                break  # a given encoding that contradicts the mark: trust the user
            return (codec,), None if given else codec
    if given:
        return (given,), None
    if head[:200].count(0) > len(head[:200]) // 4:
        raise InputFileError(
            f"{name} looks like UTF-16 text without a byte-order mark",
            "pass --encoding utf-16-le (or utf-16-be), or save it again as UTF-8",
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return TEXT_ENCODINGS[1:], TEXT_ENCODINGS[1]
    return TEXT_ENCODINGS, "utf-8"


def _sample_lines(head: bytes, whole: bool, encoding: str) -> list[str]:
    text = head.decode(encoding, errors="replace")
    lines = io.StringIO(text, newline="").readlines()  # \r, \n, \r\n only, like the CSV reader
    if not whole and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    return lines[:SAMPLE_LINES]


def _rows(lines: list[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """(last physical line, fields) of each non-blank row of the sample."""
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for fields in reader:
            if any(field.strip() for field in fields):
                rows.append((reader.line_num, fields))
    except csv.Error:
        pass  # a quoted field running past the sample: the rows before it decide
    return rows


def _score(rows: list[tuple[int, list[str]]]) -> tuple[int, int]:
    """(rows x extra columns, width) of the most common row width: a delimiter that splits every
    line alike into many fields wins."""
    widths = Counter(len(fields) for _, fields in rows)
    if not widths:
        return 0, 0
    width, count = max(widths.items(), key=lambda item: (item[1] * (item[0] - 1), item[0]))
    return count * (width - 1), width


def _header(name: str, rows: list[tuple[int, list[str]]], width: int) -> tuple[int, list[str]]:
    """The last physical line of the first row as wide as the data with a name (not a number or
    a date) in every cell (title and blank lines above are skipped), and its names."""
    for line, fields in rows:
        names = [field.strip() for field in fields]
        if len(names) > 2 and names[-1] == "":  # a delimiter after the last name (some tills)
            names = names[:-1]
        if len(fields) == width and all(names) and not any(map(_VALUE.fullmatch, names)):
            return line, names + [""] * (width - len(names))
    raise InputFileError(
        f"{name}: no header row found in its first {SAMPLE_LINES} lines "
        f"(a row of {width} named columns)",
        "remove the lines above the header, or give every column a name",
    )


def header_row(name: str, rows: list[list[str]]) -> int:
    """The 0-based index of the header among the first ``rows`` of a sheet (cells as text, ""
    when empty): the first row naming every column the rows below use."""
    used = [(index + 1, _used(row)) for index, row in enumerate(rows)]
    used = [(line, row) for line, row in used if row]
    width = max((len(row) for _, row in used), default=0)
    return _header(name, used, width)[0] - 1


def _used(row: list[str]) -> list[str]:
    """The row up to its last non-empty cell."""
    filled = [index for index, cell in enumerate(row) if cell.strip()]
    return row[: filled[-1] + 1] if filled else []


def sniff(path: Path, *, encoding: str | None, delimiter: str | None) -> Dialect:
    """The dialect of the CSV at ``path``; ``encoding``/``delimiter`` when given are used as is."""
    head, whole = _head(path)
    if not head.strip():
        raise InputFileError(f"{path.name} is empty", "export the file again with its lines")
    encodings, found_encoding = _encodings(path.name, head, encoding)
    lines = _sample_lines(head, whole, encodings[0])
    found: dict[str, str] = {}
    if found_encoding:
        found["encoding"] = found_encoding
    if delimiter is None:
        scored = {d: _score(_rows(lines, d)) for d in DELIMITERS}
        delimiter = max(DELIMITERS, key=lambda d: scored[d])
        if scored[delimiter][1] < 2:
            raise InputFileError(
                f"{path.name}: cannot find its columns (no delimiter of , ; tab | splits its lines)",
                "pass --delimiter (or delimiter in the mapping's [options])",
            )
        found["delimiter"] = delimiter
    rows = _rows(lines, delimiter)
    width = _score(rows)[1]
    if width < 2:
        raise InputFileError(
            f"{path.name}: the delimiter {shown_delimiter(delimiter)} does not split its lines",
            "check --delimiter or the mapping's delimiter (or leave it out: it is found)",
        )
    header_line, header = _header(path.name, rows, width)
    if header_line > 1:
        found["header_line"] = str(header_line)
    _refuse_repeated(path.name, header)
    return Dialect(encodings, delimiter, header_line, header, found)


def _refuse_repeated(name: str, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if column in seen:
            raise InputFileError(
                f"{name}: the header names column {column!r} twice "
                f"(columns {seen[column]} and {position})",
                "rename one of them in the file",
            )
        seen[column] = position
