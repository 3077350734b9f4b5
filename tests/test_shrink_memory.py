"""A remembered shrink gives exactly what a fresh Hypothesis search gives, with fewer searches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from grader import hypo

SEED = 1234
STRATEGY = st.lists(st.integers(0, 1000), max_size=8)


def sum_over(limit: int) -> Any:
    def probe(example: list[int]) -> str | None:
        return f"sum {sum(example)} > {limit}" if sum(example) > limit else None

    return probe


def counting(probe: Any) -> tuple[Any, list[Any]]:
    asked: list[Any] = []

    def wrapped(example: Any) -> Any:
        asked.append(list(example))
        return probe(example)

    return wrapped, asked


def fresh(probe: Any) -> tuple[Any, Any] | None:
    return hypo.shrink(STRATEGY, SEED, 50, probe, budget_seconds=60)


def test_a_remembered_path_asks_the_same_probes_and_gives_the_same_counterexample(tmp_path: Path) -> None:
    memory = hypo.ShrinkMemory(tmp_path / "paths.json")
    first_probe, first_asked = counting(sum_over(100))
    first = hypo.shrink(STRATEGY, SEED, 50, first_probe, 60, memory=memory)
    assert first == fresh(sum_over(100))
    assert first is not None and sum(first[0]) == 101  # Hypothesis's minimal failure

    again_probe, again_asked = counting(sum_over(100))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hypo, "_run_hypothesis", lambda *_, **__: pytest.fail("searched again"))
        again = hypo.shrink(STRATEGY, SEED, 50, again_probe, 60, memory=memory)
    assert again == first
    assert again_asked == first_asked


def test_another_behaviour_leaves_the_path_and_gets_its_own_search(tmp_path: Path) -> None:
    memory = hypo.ShrinkMemory(tmp_path / "paths.json")
    hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, memory=memory)
    other = hypo.shrink(STRATEGY, SEED, 50, sum_over(500), 60, memory=memory)
    assert other == fresh(sum_over(500))
    assert other is not None and sum(other[0]) == 501


def test_a_probe_that_never_fails_is_remembered_as_no_counterexample(tmp_path: Path) -> None:
    memory = hypo.ShrinkMemory(tmp_path / "paths.json")
    assert hypo.shrink(STRATEGY, SEED, 20, lambda _: None, 60, memory=memory) is None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hypo, "_run_hypothesis", lambda *_, **__: pytest.fail("searched again"))
        assert hypo.shrink(STRATEGY, SEED, 20, lambda _: None, 60, memory=memory) is None


def test_the_probe_bound_ends_a_remembered_path_where_it_ended_the_search(tmp_path: Path) -> None:
    memory = hypo.ShrinkMemory(tmp_path / "paths.json")
    bounded = hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, max_probes=5, memory=memory)
    assert bounded == hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, max_probes=5)
    probe, asked = counting(sum_over(100))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hypo, "_run_hypothesis", lambda *_, **__: pytest.fail("searched again"))
        assert hypo.shrink(STRATEGY, SEED, 50, probe, 60, max_probes=5, memory=memory) == bounded
    assert len(asked) <= 5


def test_paths_survive_on_disk(tmp_path: Path) -> None:
    file = tmp_path / "paths.json"
    first = hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, memory=hypo.ShrinkMemory(file))
    assert file.exists()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hypo, "_run_hypothesis", lambda *_, **__: pytest.fail("searched again"))
        assert hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, memory=hypo.ShrinkMemory(file)) == first


@pytest.mark.parametrize("damage", ["{not json", "[[[1, true]]]", '{"a": 1}', "",
                                    '{"paths": [[[1, true]]], "sha256": "0"}'])
def test_a_damaged_file_is_only_a_cold_cache(tmp_path: Path, damage: str) -> None:
    file = tmp_path / "paths.json"
    file.write_text(damage)
    memory = hypo.ShrinkMemory(file)
    assert hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, memory=memory) == fresh(sum_over(100))


def test_a_path_another_worker_found_is_taken_in_before_searching(tmp_path: Path) -> None:
    file = tmp_path / "paths.json"
    mine, theirs = hypo.ShrinkMemory(file), hypo.ShrinkMemory(file)  # two workers, one cache file
    found = hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, memory=theirs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hypo, "_run_hypothesis", lambda *_, **__: pytest.fail("searched again"))
        assert hypo.shrink(STRATEGY, SEED, 50, sum_over(100), 60, memory=mine) == found
    hypo.shrink(STRATEGY, SEED, 50, sum_over(500), 60, memory=mine)  # a path of its own, written ...
    stored = json.loads(file.read_text())
    assert len(stored) == 2  # ... next to the other worker's, not over it
