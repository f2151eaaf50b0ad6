"""TensorBoard event files per trial, from each trial's ``metrics.jsonl`` and record.

``tensorboard --logdir <sweep>`` shows one run per trial folder: its epochs as
scalars, and for the HParams dashboard a *session* per trial (the hparams
plugin's session start and end summaries) holding its swept values, its
seed, configuration and status, with its final metrics as ``final/...``
scalars. No experiment summary is written: TensorBoard then builds the
HParams table from every session it finds, so every trial is listed, failed
ones included (with their status).

The files are written with tensorboardX, which needs only numpy and
protobuf: no TensorFlow, and no torch in the parent
(``torch.utils.tensorboard`` would import it). Each analysis rewrites a
trial's file whole: the writer fills a scratch folder and the finished file
replaces the old one in one step.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ksweep.sweep.atomic import replacing
from ksweep.sweep.layout import EVENT_FILE

SKIPPED_KEYS = frozenset({"epoch"})
FINAL_PREFIX = "final/"  # the record's final metrics, as the HParams table's metric columns
SESSION_END_TAG = "_hparams_/session_end_info"  # the hparams plugin's tag


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


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def hparam_value(value: Any) -> str | float | bool | None:
    """A value as the HParams dashboard takes it: number, bool or text (None: left out)."""
    if value is None or isinstance(value, bool | str):
        return value
    number = _finite(value)
    return number if number is not None else str(value)


def _end_summary(succeeded: bool):
    """The session end summary, with STATUS_FAILURE for a trial that failed (tensorboardX's
    own always says success)."""
    from tensorboardX.proto.api_pb2 import Status
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata

    status = Status.Value("STATUS_SUCCESS" if succeeded else "STATUS_FAILURE")
    content = HParamsPluginData(session_end_info=SessionEndInfo(status=status), version=0)
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(
            plugin_name="hparams", content=content.SerializeToString()
        )
    )
    return Summary(value=[Summary.Value(tag=SESSION_END_TAG, metadata=metadata)])


def _session(writer, hparams: Mapping[str, Any], final: Mapping[str, Any], step: int, clock):
    """The trial's HParams session: start info with its hyperparameters, its final metrics
    as scalars, and the end info with its status."""
    from tensorboardX.summary import hparams as hparams_summary

    values = {k: v for k, v in ((k, hparam_value(v)) for k, v in hparams.items()) if v is not None}
    metrics = {
        f"{FINAL_PREFIX}{k}": v for k, raw in final.items() if (v := _finite(raw)) is not None
    }
    _experiment, start, _end = hparams_summary(values, metrics)
    writer.file_writer.add_summary(start, walltime=clock)
    for tag, value in metrics.items():
        writer.add_scalar(tag, value, global_step=step, walltime=clock)
    succeeded = hparams.get("status") in ("completed", "pruned")
    writer.file_writer.add_summary(_end_summary(succeeded), walltime=clock)


def write_trial_events(
    folder: Path,
    rows: Sequence[dict[str, Any]],
    hparams: Mapping[str, Any] | None = None,
    final: Mapping[str, Any] | None = None,
) -> Path | None:
    """Write ``folder``'s event file from its epoch rows and, for the HParams dashboard,
    its ``hparams`` (swept values, seed, status) and ``final`` metrics; None when there is
    nothing to log.

    Wall times are reconstructed from the epoch times, ending when metrics.jsonl was last
    written, so TensorBoard's relative-time axis shows how long each trial took."""
    if not rows and not hparams:
        return None
    source = folder / "metrics.jsonl"
    ended = source.stat().st_mtime if source.exists() else 0.0
    total = sum(
        float(r["epoch_time"]) for r in rows if isinstance(r.get("epoch_time"), int | float)
    )
    clock = max(ended - total, 0.0)
    target = folder / EVENT_FILE
    last_step = 0
    with tempfile.TemporaryDirectory(prefix=".tensorboard-", dir=folder) as scratch:
        writer = _tensorboardx().SummaryWriter(logdir=scratch)
        for (step, scalars), row in zip(epoch_scalars(rows), rows, strict=False):
            elapsed = row.get("epoch_time")
            clock += float(elapsed) if isinstance(elapsed, int | float) else 1.0
            last_step = step
            for tag, value in scalars:
                writer.add_scalar(tag, value, global_step=step, walltime=clock)
        if hparams:
            _session(writer, hparams, final or {}, last_step, clock)
        writer.close()
        (written,) = Path(scratch).glob("events.out.tfevents.*")
        with replacing(target) as temporary:
            shutil.copyfile(written, temporary)
    return target


def launch_line(logdir: str) -> str:
    """How to open the sweep in TensorBoard, as the report says it: the interpreter's own
    ``tensorboard`` script (the project's .venv/bin/tensorboard) when it has one."""
    if importlib.util.find_spec("tensorboard") is None:
        return (
            f"`pip install tensorboard`, then `tensorboard --logdir {logdir}`: Scalars shows "
            "every trial's epochs, HParams lists every trial with its swept values"
        )
    script = Path(sys.executable).parent / "tensorboard"
    command = "tensorboard"
    if script.is_file():
        try:
            command = os.path.relpath(script)
        except ValueError:  # another drive (Windows)
            command = str(script)
        if command.startswith(".."):
            command = str(script)
    return (
        f"`{command} --logdir {logdir}`: Scalars shows every trial's epochs, HParams lists "
        "every trial with its swept values, seed, status and final metrics"
    )


def read_scalars(path: Path) -> list[tuple[int, str, float]]:
    """(step, tag, value) of every scalar in an event file, for tests and a quick look
    without TensorBoard: TFRecord framing (length, CRC, payload, CRC) around Event protos."""
    event_type = _tensorboardx().proto.event_pb2.Event
    data = Path(path).read_bytes()
    out, at = [], 0
    while at < len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        event = event_type.FromString(data[at + 12 : at + 12 + length])
        out.extend(
            (event.step, value.tag, value.simple_value)
            for value in event.summary.value
            if value.WhichOneof("value") == "simple_value"  # not the hparams plugin's entries
        )
        at += 16 + length
    return out
