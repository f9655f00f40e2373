"""Benchmark: one vocabulary-size sweep on every executor (local, process, ray), same rows.

A sweep of 8 languages (and the pivot, eng_Latn) x 6 small sizes: BPE trained on
FLORES-200 dev, evaluated on devtest (the largest size, 2,000, stays below the 2,025
tokens that BPE reaches on hin_Deva's dev text, the fewest of the nine: the cl100k
regex cuts Devanagari words before every vowel sign and virama), run once with each
executor into a fresh folder; prints each wall time and checks that every executor's
rows (throughput aside) equal the local executor's. ``ray`` starts a local Ray runtime with ``--jobs`` CPUs (its start is
timed apart) and, with ``--kill``, a thread kills (SIGKILL) the first Ray worker it sees
running a unit, which Ray retries.

    TOKKIT_DATA_DIR=../shared/data python bench/bench_sweep.py --jobs 2 --kill
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path

LANGS = ["tur_Latn", "fin_Latn", "deu_Latn", "swh_Latn", "zho_Hans", "arb_Arab", "hin_Deva", "rus_Cyrl"]
SIZES = [500, 750, 1000, 1250, 1500, 2000]


def rows(table):
    return [(r.tokenizer, r.lang, r.metric, r.value) for r in table.rows if r.metric != "throughput_mb_s"]


def kill_first_worker(marker: str, killed: list, stop: threading.Event) -> None:
    """SIGKILL the first process titled ``ray::sweep_unit`` whose environment holds ``marker``."""
    while not stop.is_set() and not killed:
        for entry in Path("/proc").iterdir():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"ray::sweep_unit") and \
                        marker.encode() in (entry / "environ").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed.append(int(entry.name))
                    return
            except (OSError, ValueError):
                continue
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("TOKKIT_DATA_DIR", "../shared/data"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kill", action="store_true", help="Kill one Ray worker during the ray run.")
    args = parser.parse_args()
    marker = f"TOKKIT_BENCH_RAY={uuid.uuid4().hex}"
    os.environ[marker.split("=")[0]] = marker.split("=")[1]  # Ray's workers inherit it

    from tokkit.executors import RayExecutor, get_executor
    from tokkit.sweep import Sweep

    def sweep():
        return Sweep("bpe", LANGS, SIZES, "flores200:dev", "flores200:devtest", data_dir=args.data_dir)

    print(f"sweep: bpe, {len(LANGS)} languages + eng_Latn, sizes {SIZES}; {os.cpu_count()} CPUs (shared machine)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("local", "process", "ray"):
            killed: list[int] = []
            stop = threading.Event()
            start = time.perf_counter()
            if name == "ray":
                executor = RayExecutor(jobs=args.jobs)
                executor.start()  # here, to time the runtime's start apart
                started = time.perf_counter() - start
                if args.kill:
                    threading.Thread(target=kill_first_worker, args=(marker, killed, stop), daemon=True).start()
            else:
                executor = get_executor(name, jobs=args.jobs if name == "process" else None)
                started = 0.0
            with executor:
                table = sweep().run(Path(tmp) / name, executor=executor)
            stop.set()
            seconds = time.perf_counter() - start
            results[name] = rows(table)
            same = results[name] == results["local"]
            extra = f" (runtime start {started:.1f} s)" if name == "ray" else ""
            extra += f"; killed worker {killed[0]}, retried" if killed else ""
            print(f"{name:8s} {seconds:7.1f} s{extra}; {len(results[name])} rows, same as local: {same}")


if __name__ == "__main__":
    main()
