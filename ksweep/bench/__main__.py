"""``python -m ksweep.bench [PART ...]``: every benchmark, or the parts named."""

from __future__ import annotations

import sys

from ksweep.bench import (
    early_stop,
    launchers,
    overhead,
    pareto_stop,
    pause_memory,
    ray,
    search,
    trainer,
)

PARTS = {
    "overhead": overhead.run,
    "trainer": trainer.main,
    "search": search.main,
    "early_stop": early_stop.run,
    "pareto_stop": pareto_stop.run,
    "pause_memory": pause_memory.run,
    "ray": ray.run,
    "launchers": launchers.run,
}


def main(argv: list[str]) -> int:
    names = argv or list(PARTS)
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        print(f"error: no benchmark {', '.join(unknown)}; choose from {', '.join(PARTS)}")
        return 2
    for name in names:
        status = PARTS[name]([])
        if status:
            return status
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
