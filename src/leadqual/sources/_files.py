"""Reading CRM exports in chunks: CSV (encoding and delimiter detected), Parquet, or a DataFrame.

Every chunk comes with the row number each of its records has in the file (the header is row 1,
as a spreadsheet shows it), so a problem can be reported where the user will look for it.
Malformed input raises typed errors, never a parser traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from leadqual.errors import ConfigurationError, ValidationFailed

__all__ = [
    "Chunk",
    "Engine",
    "TableInput",
    "canonical_columns",
    "check_encoding",
    "iter_chunks",
]

logger = logging.getLogger(__name__)

TableInput = str | Path | pd.DataFrame
"""A table: the path of a CSV or Parquet file, or a DataFrame."""

Engine = Literal["arrow", "pandas"]
"""How a CSV file is split into cells: pyarrow's streaming reader (the default; a file with a
line that does not split into the header's columns is read on by pandas from that point), or
pandas' C parser throughout."""

_SAMPLE_BYTES = 256 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx): save it as CSV first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls): save it as CSV first"),
    (b"PAR1", "a Parquet file: give it a .parquet name"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
)
_BAD_LINE = re.compile(r"Skipping line (\d+): (.*)")


@dataclass(frozen=True)
class Chunk:
    """Part of a table: its cells, and the file row number of each record."""

    frame: pd.DataFrame
    rows: np.ndarray[Any, np.dtype[np.int64]]
    bad_lines: tuple[tuple[int, str], ...] = ()
    """Lines the CSV parser could not split into the header's columns: (row, reason)."""


def canonical_columns(frame: pd.DataFrame, /, *, what: str) -> pd.DataFrame:
    """``frame`` with its column names as text, stripped of BOMs and spaces; a name given twice
    is refused (``frame[name]`` would be a table)."""
    names = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    repeated = sorted(n for n, k in seen.items() if k > 1)
    if repeated:
        raise ValidationFailed(
            f"{what} has the column {repeated[0]!r} more than once; name each column once",
            field=repeated[0],
        )
    if names != list(frame.columns):
        frame = frame.set_axis(names, axis=1)
    return frame


def check_encoding(encoding: object, /) -> str:
    """The canonical name of a text encoding (``"latin-1"`` -> ``"iso8859-1"``).

    Raises:
        ConfigurationError: not a string, not an encoding Python knows, or a codec that does not
            decode bytes to text (``base64``, ``rot13``, ``zlib``).
    """
    if not isinstance(encoding, str):
        raise ConfigurationError(
            f"encoding must be the name of a text encoding, not {type(encoding).__name__}"
        )
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        raise ConfigurationError(
            f"unknown encoding {encoding[:60]!r}: try utf-8, utf-8-sig, cp1252, latin-1 or utf-16"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise ConfigurationError(
            f"{encoding[:60]!r} is not a text encoding (it turns bytes into bytes): try utf-8, "
            "cp1252, latin-1 or utf-16"
        )
    return info.name


def iter_chunks(
    table: TableInput,
    /,
    *,
    chunk_rows: int,
    delimiter: str | None = None,
    encoding: str | None = None,
    engine: Engine = "arrow",
) -> Iterator[Chunk]:
    """The table in chunks of at most ``chunk_rows`` records (a file is streamed, never read whole).

    ``engine`` chooses how a CSV file is split into cells (:data:`Engine`); both give the same
    chunks.

    Raises:
        ConfigurationError: no such file, a format that is not read here, or an ``encoding``
            that is not the name of a text encoding Python knows.
        ValidationFailed: the file is empty, binary, or not a table with the given delimiter.
    """
    if encoding is not None:
        check_encoding(encoding)
    if isinstance(table, pd.DataFrame):
        frame = canonical_columns(table, what="the frame")
        for start in range(0, max(len(frame), 1), chunk_rows):
            part = frame.iloc[start : start + chunk_rows]
            yield Chunk(part, np.arange(start, start + len(part), dtype=np.int64) + 2)
        return
    if not isinstance(table, (str, Path)):
        raise ConfigurationError(
            f"a table is a CSV or Parquet path or a pandas DataFrame, not {type(table).__name__}"
        )
    path = Path(table)
    if not path.is_file():
        raise ConfigurationError(f"no such file: {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        yield from _parquet_chunks(path, chunk_rows)
    elif suffix in (".xlsx", ".xls", ".xlsm"):
        raise ConfigurationError(
            f"{path.name} is an Excel workbook: save it as CSV, or read it with "
            "pandas.read_excel and pass the DataFrame"
        )
    else:
        yield from _csv_chunks(
            path, chunk_rows, delimiter=delimiter, encoding=encoding, engine=engine
        )


# -- Parquet --------------------------------------------------------------------------------------


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    try:
        import pyarrow.parquet as pq  # an optional extra
    except ImportError:
        raise ConfigurationError(
            "reading Parquet needs pyarrow: pip install 'leadqual[parquet]'"
        ) from None
    try:
        reader = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises its own ArrowInvalid, OSError...
        raise ValidationFailed(f"{path.name} is not a readable Parquet file: {err}") from err
    start = 0
    for batch in reader.iter_batches(batch_size=chunk_rows):
        frame = canonical_columns(batch.to_pandas(), what=path.name)
        yield Chunk(frame, np.arange(start, start + len(frame), dtype=np.int64) + 2)
        start += len(frame)
    if start == 0:
        names = reader.schema_arrow.names
        yield Chunk(pd.DataFrame(columns=names), np.arange(0, dtype=np.int64))


# -- CSV ------------------------------------------------------------------------------------------


def _sniff_encoding(path: Path, head: bytes) -> str:
    """utf-8 (with or without BOM), utf-16 by its BOM, else cp1252 with a warning."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                if decoder.getstate()[0] or not block.isascii():
                    decoder.decode(block)  # ASCII needs no decoding to be UTF-8
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        warnings.warn(
            f"{path.name} is not UTF-8: read as Windows-1252 (Latin-1); pass encoding= if "
            "letters look wrong",
            UserWarning,
            stacklevel=5,
        )
        return "cp1252"
    return "utf-8"


def _refuse_binary(path: Path, head: bytes) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ValidationFailed(f"{path.name} is not a CSV file: it looks like {what}")
    sample = head[:8192]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if controls > max(8, 0.05 * len(sample)):  # a stray NUL in a cell is not binary
        raise ValidationFailed(
            f"{path.name} is not a CSV file: it holds binary data ({controls} control bytes in "
            f"its first {len(sample)})"
        )


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the sample's lines into the most columns, consistently."""
    lines = text.splitlines()[:50]
    if len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-line
    best, best_score = ",", (-1.0, 0)
    for candidate in _DELIMITERS:
        try:
            counts = [
                len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=candidate)
            ]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        same = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = (same, counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _csv_chunks(
    path: Path,
    chunk_rows: int,
    *,
    delimiter: str | None,
    encoding: str | None,
    engine: Engine = "arrow",
) -> Iterator[Chunk]:
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationFailed(f"{path.name} is empty: an export has at least a header row")
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _refuse_binary(path, head)
    enc = encoding or _sniff_encoding(path, head)
    text = head.decode(enc, errors="replace")
    sniffed = _sniff_delimiter(text)
    sep = delimiter or sniffed
    header_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if delimiter is not None and delimiter not in header_line and sniffed in header_line:
        raise ValidationFailed(
            f"{path.name} has no {delimiter!r} in its header: it looks {sniffed!r}-separated; "
            f"pass delimiter={sniffed!r}, or leave delimiter out to detect it",
            field="delimiter",
        )
    done = 0
    if engine == "arrow":
        names = _header_names(path, sep, enc)
        try:
            chunks = _arrow_chunks(path, chunk_rows, sep=sep, encoding=enc, names=names)
            for chunk in chunks:
                if done == 0:
                    _check_header(path, chunk.frame, sep, sniffed)
                yield chunk
                done += len(chunk.frame)
            return
        except _NotForArrow:
            # the rows not yet given are read by pandas, which reports its bad lines
            logger.debug("%s: read by pandas from record %d", path.name, done + 1)
    yield from _pandas_chunks(path, chunk_rows, sep=sep, encoding=enc, sniffed=sniffed, skip=done)


def _header_names(path: Path, sep: str, encoding: str) -> list[str]:
    """The column names as pandas reads the header (a name given twice made ``Name.1``, an
    empty one ``Unnamed: 3``), so both readers name the columns alike."""
    try:
        header = pd.read_csv(
            path, sep=sep, encoding=encoding, dtype=str, nrows=0, engine="c", skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise ValidationFailed(f"{path.name} cannot be read as CSV: {_first_line(err)}") from err
    return [str(c) for c in header.columns]


class _NotForArrow(Exception):
    """Raised by :func:`_arrow_chunks` before it gives a chunk it cannot vouch for (a line that
    does not split into the header's columns, or anything Arrow refuses): the caller reads the
    rest with pandas."""


_STR = pd.StringDtype("pyarrow", na_value=np.nan)
"""pandas' ``str`` dtype over Arrow strings: what ``read_csv(dtype=str)`` gives."""


def _arrow_chunks(
    path: Path, chunk_rows: int, *, sep: str, encoding: str, names: list[str]
) -> Iterator[Chunk]:
    """The file's records with pyarrow's streaming CSV reader, every cell as the text written
    (``00123`` stays ``00123``; empty cells are ``""`` as with pandas' ``na_filter=False``).

    Rows are counted by records, a cell with a quoted line break being one row as a spreadsheet
    shows it. A line with more or fewer cells than the header is never dropped: at the first one
    :class:`_NotForArrow` is raised before any chunk holding or following it is given.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    ragged: list[object] = []

    def on_invalid(row: object) -> str:
        ragged.append(row)
        return "skip"

    width = len(names)
    generated = [f"f{i}" for i in range(width)]
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=_ARROW_BLOCK_BYTES,
                autogenerate_column_names=True,
                # Arrow skips a UTF-8 BOM itself; other encodings are decoded by Python's codec
                encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(generated, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        schema = reader.schema
        if schema.names != generated or any(t != pa.string() for t in schema.types):
            raise _NotForArrow  # the header splits otherwise than pandas split it
        header = True  # the first record read is the header
        pending: list[Any] = []
        held = 0
        start = 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            if ragged:
                raise _NotForArrow
            if header and batch.num_rows:
                batch, header = batch.slice(1), False
            pending.append(batch)
            held += batch.num_rows
            while held > chunk_rows:  # the file's last record is checked before it is given
                table = pa.Table.from_batches(pending)
                yield _arrow_chunk(table.slice(0, chunk_rows), names, start, path.name)
                start += chunk_rows
                rest = table.slice(chunk_rows)
                pending, held = rest.to_batches(), rest.num_rows
        if ragged:
            raise _NotForArrow
        table = pa.Table.from_batches(pending, schema=schema)
        if table.num_rows and _ends_in_a_line_break(table.slice(table.num_rows - 1)):
            # A quote left open takes the rest of the file into the last record's cell as
            # Arrow reads it (pandas refuses the file); a real quoted line break in the last
            # record is read as well by pandas.
            raise _NotForArrow
    except (pa.ArrowException, UnicodeError, LookupError, OSError) as err:
        logger.debug("%s: read by pandas (%s)", path.name, _first_line(err))
        raise _NotForArrow from err
    if held or start == 0:
        yield _arrow_chunk(table, names, start, path.name)


def _ends_in_a_line_break(last: Any) -> bool:
    """Whether a cell of the one-row table ``last`` holds a line break."""
    return any("\n" in cell or "\r" in cell for cell in last.to_pylist()[0].values())


_ARROW_BLOCK_BYTES = 1 << 22


def _arrow_chunk(table: Any, names: list[str], start: int, what: str) -> Chunk:
    frame = table.rename_columns(names).to_pandas(types_mapper=lambda _t: _STR)
    frame.index = pd.RangeIndex(start, start + len(frame))
    frame = canonical_columns(frame, what=what)
    return Chunk(frame, np.arange(start, start + len(frame), dtype=np.int64) + 2)


def _pandas_chunks(
    path: Path, chunk_rows: int, *, sep: str, encoding: str, sniffed: str, skip: int
) -> Iterator[Chunk]:
    """The file's records with pandas' C parser (lines that do not split into the header's
    columns reported), the first ``skip`` records left out (already given)."""
    enc = encoding
    try:
        reader = pd.read_csv(
            path,
            sep=sep,
            encoding=enc,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            on_bad_lines="warn",
            chunksize=chunk_rows,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
        raise ValidationFailed(f"{path.name} cannot be read as CSV: {_first_line(err)}") from err
    start = 0
    with reader:
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                try:
                    frame = next(reader)
                except StopIteration:
                    break
                except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
                    raise ValidationFailed(
                        f"{path.name} cannot be read as CSV after row {start + 1}: "
                        f"{_first_line(err)}"
                    ) from err
            bad = tuple(_bad_lines(caught))
            frame = canonical_columns(frame, what=path.name)
            if start == 0 and skip == 0:
                _check_header(path, frame, sep, sniffed)
            rows = np.arange(start, start + len(frame), dtype=np.int64) + 2
            for line, _ in bad:  # rows after a skipped line move down by one
                rows[rows >= line] += 1
            start = int(rows[-1]) - 1 if len(rows) else start + len(bad)
            if skip:
                dropped = min(skip, len(frame))
                skip -= dropped
                frame, rows = frame.iloc[dropped:], rows[dropped:]
                if not len(frame) and not bad:
                    continue
            yield Chunk(frame, rows, bad)


def _bad_lines(caught: list[warnings.WarningMessage]) -> Iterator[tuple[int, str]]:
    for w in caught:
        if not issubclass(w.category, pd.errors.ParserWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            continue
        for match in _BAD_LINE.finditer(str(w.message)):
            yield int(match[1]), f"the line does not split into the header's columns ({match[2]})"


def _check_header(path: Path, frame: pd.DataFrame, sep: str, sniffed: str) -> None:
    if len(frame.columns) == 1:
        name = str(frame.columns[0])
        others = [d for d in _DELIMITERS if d != sep and d in name]
        if others:
            raise ValidationFailed(
                f"{path.name} reads as one column {name[:80]!r} with the delimiter {sep!r}: it "
                f"looks {others[0]!r}-separated; pass delimiter={others[0]!r}",
                field="delimiter",
            )


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
