"""Memory held by paused trials: a 32-configuration top-k sweep, pauses resident vs exiting.

Top-k makes every configuration train its first epoch and then wait until
all of them have, so with resident pauses (``PAUSE_MODE=wait``, what ksweep
did before checkpointed pauses) all 32 processes are alive at once; with
``PAUSE_MODE=exit`` a paused trial checkpoints and exits. Both sweeps run
here in one run, and the figure is the peak, over the sweep, of the summed
proportional memory (PSS) of every process of the sweep (trials and the fork
server), sampled every 50 ms from /proc. The runner itself is left out: it
is the same in both.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ksweep.launch.child import SWEEP_ENV
from ksweep.launch.containment import processes_with
from ksweep.project import PROJECT_ROOT

RANGE = """\
# 32 configurations for top-k: every one trains an epoch and pauses; a quarter go on.
# ksweep: base={base}
CONFIG_DATA_SUBSET=512
CONFIG_NUM_EPOCHS=2
CONFIG_OPTIMIZER_SELECT=SGD|ADAM
CONFIG_LEARNING_RATE=0.0001|0.0002|0.0005|0.001|0.002|0.003|0.005|0.01
CONFIG_LABEL_SMOOTHING=0|0.1
"""
TOPK = ["--early-stop", "topk", "--es-topk-epochs", "1", "--es-topk-keep", "0.25"]
SAMPLE_SECONDS = 0.05


def _memory_bytes(pid: int) -> int:
    """The process's proportional set size (PSS): its private pages plus its share of pages
    it shares (forked trials share torch's), so summing over processes does not count
    shared pages twice, as summed RSS would."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(mode: str, work: Path, jobs: int) -> tuple[int, int, float]:
    """(peak summed PSS in bytes, peak live processes, wall seconds) of one sweep."""
    out = work / mode
    range_file = work / "topk-32-range"
    args = [sys.executable, "-m", "ksweep", "sweep", str(range_file), "--out"]
    args += [str(work / f"configs-{mode}"), "--output-dir", str(out), "--jobs", str(jobs)]
    args += ["--device", "cpu", "--pause-mode", mode, *TOPK, "--quiet"]
    peak, processes, done = [0], [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            for sweep in out.glob("sweep_*"):
                pids = processes_with(SWEEP_ENV, str(sweep.resolve()))
                processes[0] = max(processes[0], len(pids))
                peak[0] = max(peak[0], sum(_memory_bytes(p) for p in pids))
            done.wait(SAMPLE_SECONDS)

    started = time.monotonic()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        subprocess.run(args, cwd=PROJECT_ROOT, check=True)
    finally:
        done.set()
        watcher.join()
    return peak[0], processes[0], time.monotonic() - started


def run(argv: list[str]) -> int:
    jobs = 2
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-pauses-") as tmp:
        work = Path(tmp)
        base = PROJECT_ROOT / "defconfigs" / "quickstart"
        (work / "topk-32-range").write_text(RANGE.format(base=base), encoding="utf-8")
        rows = [(mode, *measure(mode, work, jobs)) for mode in ("wait", "exit")]
    print(f"\nPaused trials' memory: 32 configurations under top-k, JOBS={jobs} (LeNet-5, digits)")
    print(f"{'pauses':<22} {'peak PSS':>10} {'peak processes':>15} {'wall':>8}")
    for mode, memory, count, wall in rows:
        label = "resident (wait)" if mode == "wait" else "checkpoint + exit"
        print(f"{label:<22} {memory / 2**20:>8.0f} MB {count:>15} {wall:>7.1f}s")
    before, after = rows[0][1], rows[1][1]
    if after:
        print(f"peak memory ratio, resident / exiting: {before / after:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
