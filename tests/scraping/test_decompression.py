"""Compressed bodies within the caps: stacked encodings and bombs fail fast and small (issue 12, item 3)."""

import gzip
import time
import tracemalloc
import zlib

import pytest

from scraping.errors import PermanentFetchError
from scraping.fetch import fetch_url, make_client
from tests.pages import OLD_PAGE
from tests.servers import Page

# Compression bombs: zeros gzipped once (level 1 is quick to make), then again for each extra layer.
BOMB_SIZE = 512 * 1024 * 1024
MAX_SECONDS, MAX_EXTRA_MEMORY = 1.0, 50 * 1024 * 1024


@pytest.fixture(scope="module")
def zeros_gzipped() -> bytes:
    compressor, block = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16), bytes(1024 * 1024)
    return b"".join(
        [*(compressor.compress(block) for _ in range(BOMB_SIZE // len(block))), compressor.flush()]
    )


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("gzip, gzip, gzip", "encoded 3 times"),
        ("gzip, gzip", "larger than 10 MB"),
        ("gzip", "larger than 10 MB"),
    ],
)
async def test_a_compression_bomb_fails_within_a_second_and_50_mb(
    page_server, zeros_gzipped, encoding, reason
):
    body = zeros_gzipped
    for _ in range(encoding.count(",")):
        body = gzip.compress(body, 9)
    url = page_server.serve("/bomb", Page(body, headers={"Content-Encoding": encoding}))
    async with make_client(allow_private_networks=True, timeout_seconds=30) as client:
        tracemalloc.start()
        started = time.perf_counter()
        try:
            with pytest.raises(PermanentFetchError, match=reason):
                await fetch_url(client, url)
        finally:
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    print(f"{encoding}: {len(body)} bytes served, failed in {elapsed:.3f} s, peak {peak / 2**20:.1f} MB")
    assert elapsed < MAX_SECONDS and peak < MAX_EXTRA_MEMORY, (elapsed, peak)


def _deflate(data: bytes, *, wrapped: bool) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(OLD_PAGE)),
        ("gzip, gzip", gzip.compress(gzip.compress(OLD_PAGE))),
        ("deflate", _deflate(OLD_PAGE, wrapped=True)),
        ("deflate", _deflate(OLD_PAGE, wrapped=False)),
        ("deflate, gzip", gzip.compress(_deflate(OLD_PAGE, wrapped=True))),
        ("identity", OLD_PAGE),
        ("br-unknown", OLD_PAGE),
    ],
)
async def test_honest_encodings_still_decode(page_server, encoding, body):
    url = page_server.serve("/p", Page(body, headers={"Content-Encoding": encoding}))
    async with make_client(allow_private_networks=True) as client:
        assert (await fetch_url(client, url)).body == OLD_PAGE


async def test_a_corrupt_gzip_body_is_a_failed_fetch_with_a_reason(page_server):
    url = page_server.serve(
        "/p", Page(b"\x1f\x8b\x08\x00 not gzip at all", headers={"Content-Encoding": "gzip"})
    )
    async with make_client(allow_private_networks=True) as client:
        with pytest.raises(PermanentFetchError, match="not valid gzip"):
            await fetch_url(client, url)
