"""The process-wide result cache: bounded by the bytes of its arrays, a copy for every caller."""

import threading
from dataclasses import dataclass

import numpy as np

from bcds_core.result_cache import ResultCache, nbytes_of


@dataclass
class Result:
    image: np.ndarray
    notes: list


def _result(kilobytes: int) -> Result:
    return Result(np.zeros(kilobytes * 1024, np.uint8), [np.zeros(10, np.uint8)])


def test_nbytes_counts_arrays_inside_dataclasses_lists_and_dicts():
    assert nbytes_of(_result(3)) == 3 * 1024 + 10
    assert nbytes_of({"a": _result(1), "b": "text"}) == 1024 + 10


def test_least_recently_used_results_go_once_the_budget_is_passed():
    cache = ResultCache(max_bytes=3 * 1024 + 100)
    for key in "abc":
        cache.put(key, _result(1))
    cache.get("a")  # "a" is now the most recently used
    cache.put("d", _result(1))
    assert cache.get("b") is None
    assert all(cache.get(k) is not None for k in "acd")
    assert cache.nbytes <= cache.max_bytes


def test_a_result_larger_than_the_budget_is_computed_but_not_kept():
    cache = ResultCache(max_bytes=1024)
    value = cache.get_or_compute("big", lambda: _result(4))
    assert value.image.nbytes == 4 * 1024 and len(cache) == 0


def test_every_caller_gets_its_own_copy():
    cache = ResultCache(max_bytes=2**20)
    first = cache.get_or_compute("a", lambda: _result(1))
    first.image[:] = 7
    first.notes.append("changed in one session")
    second = cache.get("a")
    assert int(second.image.max()) == 0 and len(second.notes) == 1


def test_threads_sharing_the_cache_keep_its_byte_count_right():
    cache = ResultCache(max_bytes=20 * 1024)

    def work(offset: int) -> None:
        for i in range(50):
            cache.get_or_compute((offset, i % 30), lambda: _result(1))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.nbytes == len(cache) * nbytes_of(_result(1))
    assert cache.nbytes <= cache.max_bytes
