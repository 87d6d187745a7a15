"""The bounded cache of diff views: least recently used out first, never over its size, each key made once."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from web.cache import BoundedCache


def test_the_least_recently_used_values_go_first_when_it_is_full():
    cache: BoundedCache[str, str] = BoundedCache(10, len)
    for key in "abc":
        cache.get_or_make(key, lambda key=key: key * 3)
    cache.get_or_make("a", lambda: "unused")  # a is used again: b is now the oldest
    assert cache.get_or_make("d", lambda: "ddd") == "ddd"
    assert (len(cache), cache.size) == (3, 9)
    assert cache.get_or_make("b", lambda: "new") == "new"  # b had gone
    assert cache.get_or_make("a", lambda: "unused") == "aaa"


def test_a_value_larger_than_the_cache_is_returned_but_not_kept():
    cache: BoundedCache[str, str] = BoundedCache(10, len)
    cache.get_or_make("small", lambda: "x")
    assert cache.get_or_make("big", lambda: "y" * 11) == "y" * 11
    assert (len(cache), cache.size) == (1, 1)


def test_a_burst_of_requests_for_one_new_key_makes_it_once():
    cache: BoundedCache[str, str] = BoundedCache(100, len)
    made = []
    lock = threading.Lock()

    def make() -> str:
        with lock:
            made.append(1)
        time.sleep(0.2)  # the others arrive while it is being made
        return "view"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: cache.get_or_make("pair", make), range(8)))
    assert results == ["view"] * 8 and made == [1]
