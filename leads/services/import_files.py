"""Reading an uploaded CSV or XLSX file without trusting it.

Everything here streams: a file is never read into memory whole, so a million-row file
costs the same memory as a ten-row one. Limits (size, rows, columns, cell length, the
unpacked size of an XLSX) are checked before anything is imported; an XLSX is read with
openpyxl in read-only mode (XML parsed through defusedxml), formulas are never evaluated
— a cell holding "=SUM(A1:A9)" is imported as that text."""

import codecs
import contextlib
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

CSV_DELIMITERS = ",;\t|"
# Tried in order; latin-1 decodes any byte sequence, so it is the last resort.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
# Encodings a person may pick on the mapping page when the guess was wrong.
ENCODING_CHOICES = [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("utf-16", "UTF-16"),
    ("cp1252", "Windows Western (cp1252)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("cp1250", "Windows Central European (cp1250)"),
    ("cp1251", "Windows Cyrillic (cp1251)"),
    ("mac_roman", "Mac Roman"),
    ("shift_jis", "Shift JIS"),
]
_CHUNK = 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class SheetInfo:
    """What sniffing a file found: its format, how to read it, its header and size."""

    file_format: str  # csv | xlsx
    encoding: str
    delimiter: str
    headers: list[str]
    total_rows: int


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]}, code="invalid_file")


# --- CSV ------------------------------------------------------------------------------


def detect_encoding(stream: IO[bytes]) -> str:
    """The file's text encoding: a byte-order mark says it; otherwise UTF-8 if every
    byte of the file decodes as UTF-8, else Windows-1252, else Latin-1. Reads the whole
    file once, a chunk at a time."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", *FALLBACK_ENCODINGS):
        decoder = codecs.getincrementaldecoder(encoding)()
        stream.seek(0)
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(0)
        return encoding
    return "latin-1"


def _text(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    stream.seek(0)
    # errors="replace": a wrong manual encoding choice shows as � in the preview instead
    # of failing the import half-way.
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the csv module's sniffer among , ; tab |, else the
    separator that occurs most in the first line."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in CSV_DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _csv_reader(text: io.TextIOWrapper, delimiter: str) -> Any:
    return csv.reader(text, delimiter=delimiter, strict=False)


def _csv_rows(stream: IO[bytes], encoding: str, delimiter: str) -> Iterator[list[str]]:
    text = _text(stream, encoding)
    try:
        yield from _csv_reader(text, delimiter)
    except csv.Error as err:
        raise _refuse(f"This CSV file cannot be read: {err}.") from None
    finally:
        # Hand the file back to its owner, who closes it (it may already have).
        with contextlib.suppress(ValueError):
            text.detach()


# --- XLSX -----------------------------------------------------------------------------


def _check_xlsx(stream: IO[bytes]) -> None:
    """Refuse what is not a workbook, and zip bombs: the unpacked size is capped."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse("This file is not a readable XLSX workbook.") from None
    finally:
        stream.seek(0)
    if "xl/workbook.xml" not in names:
        raise _refuse("This file is not an XLSX workbook (an .xls, .ods or other zip?).")
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise _refuse("This workbook is too large once unpacked.")


def xlsx_cell(value: Any) -> str:
    """A cell as text: numbers without a spurious ".0" (phone numbers are often stored
    as numbers), dates as ISO dates, formulas as their text (never evaluated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    text = getattr(value, "text", None)  # openpyxl's ArrayFormula keeps its text here
    return str(text if isinstance(text, str) else value)


def _xlsx_rows_stated(stream: IO[bytes]) -> int | None:
    """The number of rows the first sheet says it has (its dimension), or None."""
    from openpyxl import load_workbook

    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=False, keep_links=False)
        try:
            sheet = workbook.worksheets[0] if workbook.worksheets else None
            return sheet.max_row if sheet is not None and sheet.max_row else None
        finally:
            workbook.close()
    except Exception:  # an unsized or odd sheet: count its rows instead
        return None
    finally:
        stream.seek(0)


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    stream.seek(0)
    try:
        # read_only streams the sheet; data_only=False keeps a formula's text instead of
        # a cached result, and openpyxl never calculates anything.
        workbook = load_workbook(stream, read_only=True, data_only=False, keep_links=False)
    except Exception as err:  # openpyxl raises many types for a malformed workbook
        raise _refuse(f"This workbook cannot be read ({type(err).__name__}).") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for row in sheet.iter_rows(values_only=True):
            yield [xlsx_cell(value) for value in row]
    except ValidationError:
        raise
    except Exception as err:
        raise _refuse(f"This workbook cannot be read ({type(err).__name__}).") from None
    finally:
        workbook.close()


# --- Both -----------------------------------------------------------------------------


def file_format_of(stream: IO[bytes], name: str) -> str:
    """xlsx for a zip (whatever the name says), csv for text; .xls is refused."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _refuse("Old Excel files (.xls) are not supported: save it as .xlsx or CSV.")
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise _refuse("This file is not a readable XLSX workbook.")
    return "csv"


def iter_file_rows(
    stream: IO[bytes], *, file_format: str, encoding: str = "", delimiter: str = ","
) -> Iterator[list[str]]:
    """Every row of the file (header first), each a list of stripped strings. Cells
    longer than IMPORT_MAX_CELL_CHARS fail the file."""
    rows = (
        _xlsx_rows(stream)
        if file_format == "xlsx"
        else _csv_rows(stream, encoding or "utf-8", delimiter or ",")
    )
    limit = settings.IMPORT_MAX_CELL_CHARS
    for row in rows:
        cells = [cell.strip() if isinstance(cell, str) else xlsx_cell(cell) for cell in row]
        if any(len(cell) > limit for cell in cells):
            raise _refuse(f"A cell is longer than {limit:,} characters.")
        yield cells


def _trim(row: list[str]) -> list[str]:
    """Without trailing empty cells (spreadsheets pad rows to the widest one)."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]


def sniff_file(stream: IO[bytes], *, name: str) -> SheetInfo:
    """Check an uploaded file against every limit and learn how to read it: format,
    encoding, delimiter, header, number of data rows. Raises ValidationError({"file":
    …}) saying what is wrong."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise _refuse("The file is empty.")
    if size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES / 1e6
        raise _refuse(f"The file is {size / 1e6:.1f} MB; the limit is {limit:.0f} MB.")
    file_format = file_format_of(stream, name)
    encoding, delimiter = "", ""
    if file_format == "xlsx":
        _check_xlsx(stream)
    else:
        head = stream.read(64 * 1024)
        stream.seek(0)
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise _refuse("This does not look like a CSV file (it contains binary data).")
        encoding = detect_encoding(stream)
        sample = head.decode(encoding if encoding != "utf-16" else "utf-16", errors="replace")
        delimiter = sniff_delimiter(sample.lstrip("\ufeff"))
    rows = iter_file_rows(stream, file_format=file_format, encoding=encoding, delimiter=delimiter)
    header: list[str] | None = None
    count = 0
    max_rows = settings.IMPORT_MAX_ROWS
    max_columns = settings.IMPORT_MAX_COLUMNS
    # A workbook states its size: reading a million rows of XML just to count them would
    # outlast the upload request. The import still stops at the limit should it lie.
    sized = _xlsx_rows_stated(stream) if file_format == "xlsx" else None
    with contextlib.closing(rows):
        for number, row in enumerate(rows, start=1):
            if header is None:
                header = _trim(row)
                if not header:
                    continue  # blank lines above the header
                if len(header) > max_columns:
                    raise _refuse(
                        f"The file has {len(header)} columns; the limit is {max_columns}."
                    )
                if sized is not None:
                    count = sized - number
                    break
                continue
            if len(row) > max_columns and any(row[max_columns:]):
                raise _refuse(f"A row has more than {max_columns} columns.")
            count += 1
            if count > max_rows:
                break
    if count > max_rows:
        raise _refuse(f"The file has more than {max_rows:,} rows; split it into parts.")
    if header is None:
        raise _refuse("The file has no header row.")
    if not count:
        raise _refuse("The file has a header but no rows to import.")
    headers = [cell or f"Column {i + 1}" for i, cell in enumerate(header)]
    return SheetInfo(
        file_format=file_format,
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        total_rows=count,
    )


def data_rows(
    stream: IO[bytes], *, file_format: str, encoding: str, delimiter: str, start: int = 0
) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of every data row after the header, from the
    `start`-th data row on (0: the first). Row numbers count the header as 1, as a
    spreadsheet does, so "row 7" in an error report is row 7 on screen."""
    rows = iter_file_rows(stream, file_format=file_format, encoding=encoding, delimiter=delimiter)
    seen_header = False
    index = 0
    number = 0
    for row in rows:
        number += 1
        if not seen_header:
            if _trim(row):
                seen_header = True
            continue
        if index >= settings.IMPORT_MAX_ROWS:
            raise _refuse(
                f"The file has more than {settings.IMPORT_MAX_ROWS:,} rows; split it into parts."
            )
        if index >= start:
            yield number, row
        index += 1
