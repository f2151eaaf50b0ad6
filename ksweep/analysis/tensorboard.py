"""TensorBoard event files per trial, from each trial's ``metrics.jsonl``.

``tensorboard --logdir <sweep>`` shows one run per trial folder. The files are
written with tensorboardX, which needs only numpy and protobuf: no TensorFlow,
and no torch in the parent (``torch.utils.tensorboard`` would import it). Each
analysis rewrites a trial's file whole: the writer fills a scratch folder and
the finished file replaces the old one in one step.
"""

from __future__ import annotations

import math
import shutil
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ksweep.sweep.atomic import replacing
from ksweep.sweep.layout import EVENT_FILE

SKIPPED_KEYS = frozenset({"epoch"})


def epoch_scalars(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[int, list[tuple[str, float]]]]:
    """(step, [(tag, value)]) per epoch row: every finite number but the epoch itself."""
    for index, row in enumerate(rows, start=1):
        step = row.get("epoch", index)
        step = int(step) if isinstance(step, int | float) else index
        scalars = [
            (key, float(value))
            for key, value in row.items()
            if key not in SKIPPED_KEYS
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        ]
        if scalars:
            yield step, scalars


def _tensorboardx():
    """tensorboardX, imported without letting it pull torch into the parent.

    tensorboardX imports torch when it can (to accept tensors); the launcher and the
    analysis never hold tensors and must not pay torch's import or cross the boundary that
    keeps torch in the trainer. A ``None`` entry in ``sys.modules`` makes that optional
    import fail the way tensorboardX expects on machines without torch."""
    if "torch" in sys.modules:
        import tensorboardX

        return tensorboardX
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import tensorboardX
    finally:
        del sys.modules["torch"]
    return tensorboardX


def write_trial_events(folder: Path, rows: Sequence[dict[str, Any]]) -> Path | None:
    """Write ``folder``'s event file from its epoch rows; None when there is nothing to log.

    Wall times are reconstructed from the epoch times, ending when metrics.jsonl was last
    written, so TensorBoard's relative-time axis shows how long each trial took."""
    if not rows:
        return None
    source = folder / "metrics.jsonl"
    ended = source.stat().st_mtime if source.exists() else 0.0
    total = sum(
        float(r["epoch_time"]) for r in rows if isinstance(r.get("epoch_time"), int | float)
    )
    clock = max(ended - total, 0.0)
    target = folder / EVENT_FILE
    with tempfile.TemporaryDirectory(prefix=".tensorboard-", dir=folder) as scratch:
        writer = _tensorboardx().SummaryWriter(logdir=scratch)
        for (step, scalars), row in zip(epoch_scalars(rows), rows, strict=False):
            elapsed = row.get("epoch_time")
            clock += float(elapsed) if isinstance(elapsed, int | float) else 1.0
            for tag, value in scalars:
                writer.add_scalar(tag, value, global_step=step, walltime=clock)
        writer.close()
        (written,) = Path(scratch).glob("events.out.tfevents.*")
        with replacing(target) as temporary:
            shutil.copyfile(written, temporary)
    return target


def read_scalars(path: Path) -> list[tuple[int, str, float]]:
    """(step, tag, value) of every scalar in an event file, for tests and a quick look
    without TensorBoard: TFRecord framing (length, CRC, payload, CRC) around Event protos."""
    event_type = _tensorboardx().proto.event_pb2.Event
    data = Path(path).read_bytes()
    out, at = [], 0
    while at < len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        event = event_type.FromString(data[at + 12 : at + 12 + length])
        out.extend((event.step, value.tag, value.simple_value) for value in event.summary.value)
        at += 16 + length
    return out
