"""Fetch hardening: HTML parse time against page size for hostile nesting, and the peak memory of
one compression-bomb fetch against its size cap.

Parse time is reported per KB at several sizes up to the fetcher's 2 MB cap: a linear parser keeps
that figure flat as pages grow (a quadratic one doubles it with every doubling of size). Memory is
the tracemalloc peak of one fetch of a stacked gzip bomb (a few hundred bytes that decode to
100 MB) through ``SafeFetcher``, beside the peak of decoding the same body the way httpx does by
itself (each chunk inflated whole), measured in the same process.

Run: ``.venv/bin/python benchmarks/fetch_hardening.py``
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import median_seconds, write_results

from leadqual.errors import ResponseTooLarge
from leadqual.research.http import FetchPolicy
from leadqual.research.website import parse_html
from leadqual.testing.research import mock_fetcher

CAP = FetchPolicy().max_bytes
SIZES_KB = (64, 256, 1024, CAP // 1000)

SHAPES: dict[str, Callable[[int], str]] = {
    # each repeats one hostile unit up to the size asked for
    "nested <div>x, never closed": lambda n: "<div>x" * (n // 6),
    "nested <div>x, then closed": lambda n: "<div>x" * (n // 12) + "</div>" * (n // 12),
    "unmatched </span>": lambda n: "<div>" * (n // 12) + "</span>" * (n // 14),
    "nested <p>x": lambda n: "<p>x" * (n // 4),
    "nested <a href=x>y": lambda n: "<a href=x>y" * (n // 11),
    "unclosed <!--": lambda n: "<p>a</p>" + "<!--" * (n // 4),
    "a real page, repeated": lambda n: (
        (
            '<div class="card"><h2>Widgets</h2><p>We make <b>fine</b> widgets &amp; gadgets.</p>'
            '<a href="/about">About us</a></div>\n'
        )
        * (n // 117)
    ),
}


class Chunks(httpx.AsyncByteStream):
    """A body streamed in 16 KB pieces, as a network would deliver it."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.body), 16_384):
            yield self.body[i : i + 16_384]


def parse_rows(repeats: int) -> tuple[list[str], float]:
    lines = [
        "| shape | " + " | ".join(f"{kb} KB" for kb in SIZES_KB) + " | µs per KB at "
        f"{SIZES_KB[0]} KB → {SIZES_KB[-1]} KB |",
        "|---|" + "---:|" * (len(SIZES_KB) + 1),
    ]
    slowest_cap = 0.0
    for name, make in SHAPES.items():
        cells, per_kb = [], []
        for kb in SIZES_KB:
            page = make(kb * 1000)
            seconds = median_seconds(lambda page=page: parse_html(page), repeats=repeats)
            cells.append(f"{seconds * 1000:.0f} ms")
            per_kb.append(seconds * 1e6 / (len(page) / 1000))
            if kb == SIZES_KB[-1]:
                slowest_cap = max(slowest_cap, seconds)
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {per_kb[0]:.1f} → {per_kb[-1]:.1f} |"
        )
        print(lines[-1], flush=True)
    return lines, slowest_cap


def stacked_bomb(decoded: int) -> bytes:
    return gzip.compress(gzip.compress(b"\0" * decoded, 9), 9)


def fetch_peak(bomb: bytes) -> tuple[int, str]:
    fetcher = mock_fetcher(
        lambda request: httpx.Response(
            200,
            stream=Chunks(bomb),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"},
        )
    )
    small = gzip.compress(b"<p>warm-up</p>")
    warm = mock_fetcher(
        lambda request: httpx.Response(
            200,
            stream=Chunks(small),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )
    )
    asyncio.run(warm.fetch("https://www.example.com/"))  # lazily loaded tables, not the body
    tracemalloc.start()
    try:
        asyncio.run(fetcher.fetch("https://www.example.com/"))
        outcome = "read (should not happen)"
    except ResponseTooLarge:
        outcome = "ResponseTooLarge"
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, outcome


def httpx_decoding_peak(bomb: bytes) -> int:
    """The same body read through httpx's own decoding, stopped at the cap as soon as it can."""

    async def read() -> None:
        response = httpx.Response(
            200,
            stream=Chunks(bomb),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"},
        )
        seen = 0
        async for chunk in response.aiter_bytes():
            seen += len(chunk)
            if seen > CAP:
                break

    tracemalloc.start()
    try:
        asyncio.run(read())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bomb-mb", type=int, default=100, help="decoded size of the bomb")
    args = parser.parse_args()

    print("HTML parse time against size (median of", args.repeats, "runs)")
    table, slowest_cap = parse_rows(args.repeats)

    bomb = stacked_bomb(args.bomb_mb * 1_000_000)
    started = time.perf_counter()
    peak, outcome = fetch_peak(bomb)
    fetch_seconds = time.perf_counter() - started
    httpx_peak = httpx_decoding_peak(bomb)
    memory = [
        "| read through | body on the wire | decodes to | cap | outcome | peak memory | peak / cap |",
        "|---|---:|---:|---:|---|---:|---:|",
        f"| SafeFetcher.fetch | {len(bomb)} B | {args.bomb_mb} MB | {CAP / 1e6:.0f} MB | "
        f"{outcome} in {fetch_seconds:.2f} s | {peak / 1e6:.1f} MB | {peak / CAP:.2f} |",
        f"| httpx's own decoding (reference) | {len(bomb)} B | {args.bomb_mb} MB | "
        f"{CAP / 1e6:.0f} MB | stopped at the first chunk past the cap | {httpx_peak / 1e6:.1f} MB "
        f"| {httpx_peak / CAP:.2f} |",
    ]
    print("\n".join(memory))

    body = (
        "## HTML parse time against page size\n\n"
        "`parse_html` on pages made of one hostile unit repeated; the last column is the time per "
        "KB at the smallest and at the largest size (flat means linear).\n\n"
        + "\n".join(table)
        + f"\n\nSlowest shape at the {SIZES_KB[-1]} KB cap: {slowest_cap:.2f} s (target: under 2 s)."
        "\n\n## One compression-bomb fetch against its size cap\n\n"
        "A stacked gzip body (`Content-Encoding: gzip, gzip`), streamed in 16 KB pieces; peak "
        "memory by tracemalloc over the single fetch (target: under 4x the cap).\n\n"
        + "\n".join(memory)
    )
    path = write_results("fetch_hardening", body)
    print(
        f"\nwritten to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
    )


if __name__ == "__main__":
    main()
