"""Reading an HTTP body under a size cap, with its content encodings undone step by step.

httpx decodes a compressed chunk in one go, so a few hundred bytes of stacked gzip can become
hundreds of megabytes before a caller's size check sees them. Here the raw bytes are read and
every decoding step yields at most :data:`CHUNK` bytes at a time: the decoded bytes are counted
against the cap as they appear, and memory stays near the cap whatever the compression ratio.

Used by the research fetcher and the LLM client (both below the components that share it).

Examples:
    >>> import gzip
    >>> decoder = BodyDecoder("gzip, gzip", provider="docs", source="example.org")
    >>> b"".join(decoder.decode(gzip.compress(gzip.compress(b"hello"))))
    b'hello'
    >>> decoder.finish()
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

from leadqual.errors import MalformedResponse, ResponseTooLarge

__all__ = ["CHUNK", "MAX_CODINGS", "SUPPORTED_CODINGS", "BodyDecoder", "read_capped"]

CHUNK = 64 * 1024
"""The most one decoding step yields at a time."""
MAX_CODINGS = 2
"""Content codings a body may stack (``gzip, gzip`` is two); more is refused."""
SUPPORTED_CODINGS = ("gzip", "x-gzip", "deflate")
"""What :class:`BodyDecoder` undoes (the standard library's zlib; brotli and zstd are not
requested in ``Accept-Encoding`` and are refused when sent anyway)."""


class _Inflate:
    """One gzip or deflate step, its output bounded per call."""

    def __init__(self, coding: str, *, provider: str, source: str) -> None:
        self.gzip = coding in ("gzip", "x-gzip")
        self._provider = provider
        self._source = source
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS) if self.gzip else None
        self._head = b""  # deflate: the first bytes, until the zlib header can be recognised
        self.fed = False

    def _fail(self, what: str) -> MalformedResponse:
        coding = "gzip" if self.gzip else "deflate"
        return MalformedResponse(
            f"{self._provider}: the {coding} body from {self._source} {what}",
            provider=self._provider,
        )

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self.fed = True
        if self._d is None:
            # "deflate" means zlib-wrapped (RFC 9110), but servers often send raw deflate
            data = self._head + data
            if len(data) < 2:
                self._head = data
                return
            self._head = b""
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        d = self._d
        while True:
            if d.eof:
                if not data:
                    return
                if not self.gzip:
                    return  # bytes after a deflate stream's end are not part of the body
                d = self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the next gzip member
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as err:
                raise self._fail(f"is not valid ({err})") from None
            if out:
                yield out
            data = d.unused_data if d.eof else d.unconsumed_tail
            # a full chunk with no input left may still have output pending inside zlib
            if not data and (d.eof or len(out) < CHUNK):
                return

    def finish(self) -> None:
        if self.fed and (self._d is None or not self._d.eof):
            raise self._fail("ends before its compressed stream does")


class BodyDecoder:
    """Undoes a ``Content-Encoding`` chain incrementally, every step's output bounded.

    Args:
        content_encoding: the header's value (``None`` or ``identity`` for a plain body).
        provider: named in errors.
        source: where the body comes from (a host), named in errors.

    Raises:
        MalformedResponse: an unsupported coding, more than :data:`MAX_CODINGS` stacked, or
            (from :meth:`decode` and :meth:`finish`) a body that does not decompress.
    """

    def __init__(self, content_encoding: str | None, /, *, provider: str, source: str) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > MAX_CODINGS:
            raise MalformedResponse(
                f"{provider}: {source} stacked {len(codings)} content encodings "
                f"({', '.join(codings)}); at most {MAX_CODINGS} are read",
                provider=provider,
            )
        for coding in codings:
            if coding not in SUPPORTED_CODINGS:
                raise MalformedResponse(
                    f"{provider}: {source} sent content encoding {coding!r}, which was not "
                    f"asked for (supported: {', '.join(SUPPORTED_CODINGS)})",
                    provider=provider,
                )
        # the coding applied last is undone first
        self._steps = [_Inflate(c, provider=provider, source=source) for c in reversed(codings)]

    def decode(self, data: bytes, /) -> Iterator[bytes]:
        """The decoded bytes of the next raw chunk, in pieces of at most :data:`CHUNK` bytes."""
        return self._through(0, data)

    def _through(self, step: int, data: bytes) -> Iterator[bytes]:
        if step == len(self._steps):
            if data:
                yield data
            return
        for out in self._steps[step].feed(data):
            yield from self._through(step + 1, out)

    def finish(self) -> None:
        """Check that every compressed stream ended (a truncated one is malformed)."""
        for step in self._steps:
            step.finish()


async def read_capped(
    response: httpx.Response, /, *, cap: int, provider: str, source: str
) -> bytes:
    """The decoded body of a streamed ``response``, refused once it passes ``cap`` bytes.

    Raises:
        ResponseTooLarge: more than ``cap`` decoded bytes (or a raw body far larger than that).
        MalformedResponse: an unsupported, over-stacked or invalid content encoding.
    """
    if response.is_stream_consumed:
        # a response built in memory (a test double's ``content=``): httpx decoded it already
        content = response.content
        if len(content) > cap:
            raise ResponseTooLarge(
                f"{provider}: body from {source} passed the {cap}-byte cap", provider=provider
            )
        return content
    decoder = BodyDecoder(
        response.headers.get("content-encoding"), provider=provider, source=source
    )
    raw_cap = cap + max(1024, cap // 64)  # stored (incompressible) blocks add a little
    raw_seen = 0
    body = bytearray()
    async for raw in response.aiter_raw():
        raw_seen += len(raw)
        if raw_seen > raw_cap:
            raise ResponseTooLarge(
                f"{provider}: body from {source} passed the {cap}-byte cap", provider=provider
            )
        for piece in decoder.decode(raw):
            body += piece
            if len(body) > cap:
                raise ResponseTooLarge(
                    f"{provider}: body from {source} passed the {cap}-byte cap once decoded",
                    provider=provider,
                )
    decoder.finish()
    return bytes(body)
