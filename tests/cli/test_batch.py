"""cli/batch: many files over forked workers, results in the order of the paths."""

from __future__ import annotations

import os

import pytest

from recipe_studio.cli import batch

def _check(path: str) -> tuple[str, int]:
    return path.upper(), os.getpid()


def test_results_come_back_in_path_order_from_the_workers(tmp_path):
    paths = []
    for i in range(40):  # sizes differ: the workers take them largest first
        p = tmp_path / f"r{i:02d}.yaml"
        p.write_text("x" * ((i * 37) % 11) * 10)
        paths.append(str(p))
    paths.append(str(tmp_path / "missing.yaml"))  # no size: last
    results = batch.run(paths, _check, jobs=2)
    assert [r[0] for r in results] == [p.upper() for p in paths]
    assert results[0][1] == os.getpid()  # the first file is checked before forking
    workers = {pid for _, pid in results[1:]}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2


def test_more_jobs_than_files_and_one_job():
    paths = [f"p{i}" for i in range(3)]
    assert [r[0] for r in batch.run(paths, _check, jobs=8)] == ["P0", "P1", "P2"]
    assert {pid for _, pid in batch.run(paths, _check, jobs=1)} == {os.getpid()}


class Refused(Exception):
    pass


def _refuse(path: str) -> str:
    if path == "p7":
        raise Refused(f"cannot check {path}")
    return path


def test_what_a_worker_raises_is_raised_in_the_parent():
    with pytest.raises(Refused, match="cannot check p7"):
        batch.run([f"p{i}" for i in range(20)], _refuse, jobs=2)


def test_the_collector_settings_are_restored():
    import gc

    before = gc.get_threshold()
    batch.run([f"p{i}" for i in range(20)], _check, jobs=2)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def _die(path: str) -> str:
    if path == "p5":
        os._exit(3)
    return path


def test_a_worker_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="ended without its results"):
        batch.run([f"p{i}" for i in range(20)], _die, jobs=2)
