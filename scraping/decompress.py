"""Undoing a body's Content-Encoding within a budget: every layer's output is counted as it streams.

httpx decodes each received chunk whole, layer after layer, so a few KB of ``gzip, gzip, gzip`` grow to
gigabytes before any size cap can look at them. Here zlib never produces more than a piece at a time,
each piece goes on to the next layer at once, and the wire and every layer are counted against the cap.
"""

import zlib
from collections.abc import Callable, Iterable, Iterator

from scraping.errors import PermanentFetchError

MAX_CODINGS = 2
_PIECE = 64 * 1024  # the most one layer inflates in one step
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class _Layer:
    """One zlib layer: gzip, or deflate with its zlib wrapper or (as servers often send it) without."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._inflater = zlib.decompressobj(_WBITS[coding])
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``; what follows the end of the stream is ignored."""
        while data and not self._inflater.eof:
            piece = self._inflate(data)
            data = self._inflater.unconsumed_tail
            if not piece:
                break
            yield piece

    def flush(self) -> bytes:
        """What the layer still holds once its input has ended (at most a few hundred bytes)."""
        return self._guarded(self._inflater.flush)

    def _inflate(self, data: bytes) -> bytes:
        first, self._fed = not self._fed, True
        if first and self.coding == "deflate":
            try:
                return self._inflater.decompress(data, _PIECE)
            except zlib.error:
                self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._guarded(lambda: self._inflater.decompress(data, _PIECE))

    def _guarded(self, step: Callable[[], bytes]) -> bytes:
        try:
            return step()
        except zlib.error as error:
            raise PermanentFetchError(f"the body is not valid {self.coding}: {error}") from None


class BoundedDecoder:
    """Decodes up to two content codings lazily; fails once the wire or any layer passes ``limit`` bytes."""

    def __init__(self, content_encodings: Iterable[str], limit: int) -> None:
        codings = [coding.strip().lower() for coding in content_encodings]
        known = [coding for coding in codings if coding in _WBITS]  # like httpx, unknown codings pass as is
        if len(known) > MAX_CODINGS:
            raise PermanentFetchError(
                f"the body is encoded {len(known)} times ({', '.join(known)}); "
                f"at most {MAX_CODINGS} encodings are accepted"
            )
        self._layers = [_Layer(coding) for coding in reversed(known)]
        self._counts = [0] * (len(self._layers) + 1)
        self._limit = limit

    def decode(self, raw: bytes) -> Iterator[bytes]:
        """The decoded pieces of the next chunk from the wire."""
        return self._through(0, raw)

    def finish(self) -> Iterator[bytes]:
        """What the layers still hold once the wire has ended."""
        for depth, layer in enumerate(self._layers):
            yield from self._through(depth + 1, layer.flush())

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        """``data`` (the wire's, or layer ``depth - 1``'s) counted, then decoded by the layers below."""
        self._counts[depth] += len(data)
        if self._counts[depth] > self._limit:
            raise PermanentFetchError(f"the body is larger than {self._limit // (1024 * 1024)} MB")
        if depth == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[depth].feed(data):
            yield from self._through(depth + 1, piece)
