"""Executors (local, process, ray): the same rows everywhere, a killed worker retried without
losing or repeating a unit, resuming on Ray, and one clear line for each bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import PARALLEL_LINES

from tokkit.corpora import ParallelCorpus
from tokkit.errors import InvalidValue, MissingExtraError, TokkitError
from tokkit.evaluation import evaluate
from tokkit.executors import EXECUTORS, RayExecutor, get_executor
from tokkit.sweep import Sweep

@pytest.fixture(scope="module")
def toks(bpe_pair):
    return bpe_pair


@pytest.fixture(scope="module")
def parallel():
    return ParallelCorpus.from_lines({lang: lines * 4 for lang, lines in PARALLEL_LINES.items()}, spec="three")


def _rows(table):
    return [(r.tokenizer, r.corpus, r.lang, r.metric, r.value) for r in table.rows if r.metric != "throughput_mb_s"]


def square(offset, x):
    return x * x + offset


def test_the_registry_and_its_refusals():
    assert list(EXECUTORS) == ["local", "process", "ray"]
    assert get_executor(None).name == "local" and get_executor(None, jobs=2).name == "process"
    with pytest.raises(InvalidValue, match="executor must be one of local, process, ray, not 'threads'"):
        get_executor("threads")
    with pytest.raises(InvalidValue, match="address names a Ray cluster"):
        get_executor("process", address="auto")
    with pytest.raises(InvalidValue, match="jobs is how many units run at once"):
        get_executor("local", jobs=2)
    with pytest.raises(InvalidValue, match="jobs must be at least 1, not 0"):
        get_executor("process", jobs=0)
    assert sorted(get_executor("local").map(square, [1, 2, 3], 10)) == [(0, 11), (1, 14), (2, 19)]


def test_the_process_pool_gives_the_rows_of_this_process(toks, parallel):
    local = evaluate(toks, parallel)
    pooled = evaluate(toks, parallel, executor=get_executor("process", jobs=2))
    assert _rows(pooled) == _rows(local) and pooled.header["corpora"] == local.header["corpora"]


def fail_on(bad, x):
    if x == bad:
        raise InvalidValue("size", f"cannot be {x}")
    return x


def test_a_worker_error_comes_back_as_itself(toks):
    with pytest.raises(InvalidValue, match="size cannot be 2") as caught:
        list(get_executor("process", jobs=2).map(fail_on, [1, 2, 3], 2))
    assert caught.value.parameter == "size"


def test_without_ray_the_ray_executor_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails
    with pytest.raises(MissingExtraError, match=r"pip install 'tokkit\[cluster\]'"):
        get_executor("ray")


# -- Ray --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def ray():
    """Ray (conftest switched its token authentication on: the token is the one the first
    runtime made in ~/.ray)."""
    return pytest.importorskip("ray", reason="Ray is not installed (the cluster extra)")


@pytest.fixture(scope="session")
def ray_cluster(ray, tmp_path_factory):
    """A Ray runtime of 2 CPUs for these tests, started by a helper process (so that the
    tests connect to it by address, as to a real cluster) and gone when it exits. Its
    workers carry a marker in their environment, so a test kills only its own."""
    marker = uuid.uuid4().hex
    folder = tmp_path_factory.mktemp("ray")
    script = ("import logging, sys, ray\n"
              f"ray.init(num_cpus=2, object_store_memory=300 << 20, include_dashboard=False, "
              f"logging_level=logging.ERROR, _temp_dir={str(folder)!r})\n"
              "print(ray.get_runtime_context().gcs_address, flush=True)\n"
              "sys.stdin.read()\n")
    head = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "TOKKIT_TEST_RAY": marker})
    address = head.stdout.readline().strip()
    if not address:
        head.kill()
        pytest.fail("the test's Ray runtime did not start")
    yield address, marker
    head.stdin.close()
    head.wait(timeout=120)


@pytest.fixture
def on_cluster(ray_cluster):
    """A Ray executor connected to the tests' runtime, disconnected afterwards."""
    with RayExecutor(address=ray_cluster[0]) as running:
        yield running


def kill_once(marker_dir, x):
    """Kill this worker process the first time it runs unit 2."""
    marker = Path(marker_dir) / f"{x}.died"
    if x == 2 and not marker.exists():
        marker.write_text("once")
        os.kill(os.getpid(), signal.SIGKILL)
    (Path(marker_dir) / f"{x}.{uuid.uuid4().hex}.ran").write_text("")
    return x * x


@pytest.mark.slow
def test_ray_retries_a_unit_whose_worker_was_killed(ray, on_cluster, tmp_path):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test's functions, for the workers
    results = dict(on_cluster.map(kill_once, [0, 1, 2, 3], str(tmp_path)))
    assert results == {0: 0, 1: 1, 2: 4, 3: 9}
    assert (tmp_path / "2.died").exists()  # the worker did die once
    ran = sorted(p.name.split(".")[0] for p in tmp_path.glob("*.ran"))
    assert ran == ["0", "1", "2", "3"]  # every unit finished exactly once


@pytest.mark.slow
def test_ray_gives_the_rows_of_this_process_and_user_errors_as_themselves(ray, on_cluster, toks, parallel):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    assert _rows(evaluate(toks, parallel, executor=on_cluster)) == _rows(evaluate(toks, parallel))
    with pytest.raises(InvalidValue, match="size cannot be 2"):
        list(on_cluster.map(fail_on, [1, 2, 3], 2))


def _ray_workers(marker: str, title: str) -> list[int]:
    """The pids of this test runtime's Ray workers whose process title is ``title``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(title.encode()) and f"TOKKIT_TEST_RAY={marker}".encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.realdata
def test_a_ray_sweep_survives_a_killed_worker_with_the_rows_of_a_local_one(ray_cluster, on_cluster, tmp_path, data_dir):
    _, marker = ray_cluster
    settings = ("bpe", ["tur_Latn", "fin_Latn", "deu_Latn"], [300, 400, 500], "flores200:dev", "flores200:devtest")
    sweep = Sweep(*settings, data_dir=str(data_dir))
    local = sweep.run(tmp_path / "local")
    killed = []

    def kill_one_worker():
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            for pid in _ray_workers(marker, "ray::sweep_unit"):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    table = Sweep(*settings, data_dir=str(data_dir)).run(tmp_path / "ray", executor=on_cluster)
    killer.join()
    assert killed, "no Ray worker was seen running a unit"
    assert _rows(table) == _rows(local)  # nothing lost, nothing twice
    assert len(list((tmp_path / "ray" / "units").glob("*.json"))) == len(sweep.units)
    assert not list((tmp_path / "ray").rglob(".*"))  # no temporary file or folder left behind


@pytest.mark.slow
def test_a_ray_sweep_resumes_what_an_interrupted_one_left(on_cluster, tmp_path, parallel_dir, monkeypatch):
    from tokkit import sweep as sweep_module

    sweep = Sweep("bpe", ["tur_Latn", "fin_Latn"], [262, 280], str(parallel_dir), str(parallel_dir))
    out = tmp_path / "s"
    whole = sweep.run(out, executor=on_cluster)
    (out / "units" / f"{sweep.units[0].id}.json").unlink()  # as if the run stopped before this unit
    written = {p: p.stat().st_mtime_ns for p in (out / "units").glob("*.json")}
    again = sweep.run(out, executor=on_cluster)
    assert _rows(again) == _rows(whole)
    assert all(p.stat().st_mtime_ns == t for p, t in written.items())  # finished units were not redone
    assert (out / "units" / f"{sweep.units[0].id}.json").is_file()


@pytest.mark.slow
def test_without_an_address_a_local_ray_runtime_starts_and_stops(ray, toks, parallel):
    if ray.is_initialized():
        pytest.skip("a Ray runtime is already connected in this process")
    with RayExecutor(jobs=2) as running:
        table = evaluate(toks[0], parallel, metrics=["ctc"], executor=running)
        assert ray.is_initialized() and ray.cluster_resources().get("CPU") == 2
    assert not ray.is_initialized()
    assert _rows(table) == _rows(evaluate(toks[0], parallel, metrics=["ctc"]))


def test_an_address_where_no_ray_answers_is_refused_at_once(ray):
    start = time.monotonic()
    with pytest.raises(TokkitError, match="no Ray cluster answers at 127.0.0.1:9"):
        RayExecutor(address="127.0.0.1:9")
    with pytest.raises(TokkitError, match="no Ray cluster answers at ray://127.0.0.1:9"):
        RayExecutor(address="ray://127.0.0.1:9")
    assert time.monotonic() - start < 60  # Ray alone would retry for minutes
    with pytest.raises(InvalidValue, match="address must be auto, HOST:PORT or ray://HOST:PORT"):
        RayExecutor(address="somewhere")
    with pytest.raises(InvalidValue, match="jobs sets the cores of a Ray runtime started here"):
        RayExecutor(jobs=2, address="auto")


@pytest.mark.slow
def test_a_sweep_has_the_same_rows_on_every_executor(on_cluster, tmp_path, parallel_dir):
    def run(where, executor):
        sweep = Sweep("bpe", ["tur_Latn", "fin_Latn"], [262, 280, 300], str(parallel_dir), str(parallel_dir))
        return _rows(sweep.run(tmp_path / where, executor=executor))

    local = run("local", "local")
    assert run("process", get_executor("process", jobs=2)) == local
    assert run("ray", on_cluster) == local
