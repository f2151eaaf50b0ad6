"""TensorBoard event files per trial, written without TensorBoard, TensorFlow or torch.

``tensorboard --logdir <sweep>`` shows one run per trial folder. The event
file format is small and stable: TFRecord framing (length, masked CRC-32C,
payload, masked CRC-32C) around ``Event`` protocol buffers holding scalar
summaries. Writing those few fields by hand keeps the analyzer free of a
heavy dependency (the ``tensorboard`` package pulls in grpcio, protobuf and
werkzeug; ``torch.utils.tensorboard`` would import torch into the parent),
and the file is rewritten whole, atomically, on every analysis.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ksweep.store import write_bytes_atomic

# TensorBoard reads any file whose name contains "tfevents"; a fixed name makes reruns
# replace the file instead of adding another one next to it.
EVENT_FILE = "events.out.tfevents.ksweep"
FILE_VERSION = b"brain.Event:2"
SKIPPED_KEYS = frozenset({"epoch"})


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum TFRecord uses."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(payload: bytes) -> bytes:
    """One TFRecord: length, its masked CRC, the payload, the payload's masked CRC."""
    length = struct.pack("<Q", len(payload))
    return (
        length
        + struct.pack("<I", masked_crc(length))
        + payload
        + struct.pack("<I", masked_crc(payload))
    )


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _field(number: int, wire: int) -> bytes:
    return _varint((number << 3) | wire)


def _bytes_field(number: int, data: bytes) -> bytes:
    return _field(number, 2) + _varint(len(data)) + data


def event(
    wall_time: float,
    step: int = 0,
    scalars: Sequence[tuple[str, float]] = (),
    file_version: bytes | None = None,
) -> bytes:
    """An ``Event`` message: wall_time (1, double), step (2, int64), file_version (3) or a
    ``Summary`` (5) of ``Value``s with tag (1) and simple_value (2, float)."""
    out = _field(1, 1) + struct.pack("<d", wall_time) + _field(2, 0) + _varint(step)
    if file_version is not None:
        out += _bytes_field(3, file_version)
    if scalars:
        values = b"".join(
            _bytes_field(1, _bytes_field(1, tag.encode()) + _field(2, 5) + struct.pack("<f", v))
            for tag, v in scalars
        )
        out += _bytes_field(5, values)
    return out


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


def event_file_bytes(rows: Sequence[dict[str, Any]], start_time: float) -> bytes:
    """A whole event file for one trial; each epoch's wall time adds its ``epoch_time``."""
    out = [record(event(start_time, file_version=FILE_VERSION))]
    clock = start_time
    for (step, scalars), row in zip(epoch_scalars(rows), rows, strict=False):
        elapsed = row.get("epoch_time")
        clock += float(elapsed) if isinstance(elapsed, int | float) else 1.0
        out.append(record(event(clock, step, scalars)))
    return b"".join(out)


def write_trial_events(folder: Path, rows: Sequence[dict[str, Any]]) -> Path | None:
    """Write ``folder``'s event file from its epoch rows; None when there is nothing to log."""
    if not rows:
        return None
    source = folder / "metrics.jsonl"
    ended = source.stat().st_mtime if source.exists() else 0.0
    total = sum(
        float(r["epoch_time"]) for r in rows if isinstance(r.get("epoch_time"), int | float)
    )
    target = folder / EVENT_FILE
    write_bytes_atomic(target, event_file_bytes(rows, max(ended - total, 0.0)))
    return target


def read_scalars(path: Path) -> list[tuple[int, str, float]]:
    """(step, tag, value) from an event file written here, checking every CRC. For tests and
    for a quick look without TensorBoard."""
    data = Path(path).read_bytes()
    out, at = [], 0
    while at < len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        (length_crc,) = struct.unpack_from("<I", data, at + 8)
        if length_crc != masked_crc(data[at : at + 8]):
            raise ValueError(f"{path}: bad length CRC at byte {at}")
        payload = data[at + 12 : at + 12 + length]
        (payload_crc,) = struct.unpack_from("<I", data, at + 12 + length)
        if payload_crc != masked_crc(payload):
            raise ValueError(f"{path}: bad payload CRC at byte {at}")
        out.extend(_scalars_of(payload))
        at += 16 + length
    return out


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> Iterator[tuple[int, Any]]:
    at = 0
    while at < len(data):
        key, at = _read_varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _read_varint(data, at)
        elif wire == 1:
            value, at = data[at : at + 8], at + 8
        elif wire == 5:
            value, at = data[at : at + 4], at + 4
        elif wire == 2:
            length, at = _read_varint(data, at)
            value, at = data[at : at + length], at + length
        else:
            raise ValueError(f"unexpected wire type {wire}")
        yield number, value


def _scalars_of(payload: bytes) -> list[tuple[int, str, float]]:
    step, found = 0, []
    for number, value in _fields(payload):
        if number == 2:
            step = value
        elif number == 5:
            for _, item in _fields(value):
                parts = dict(_fields(item))
                tag = parts.get(1, b"").decode()
                (number_value,) = struct.unpack("<f", parts.get(2, b"\0\0\0\0"))
                found.append((tag, number_value))
    return [(step, tag, value) for tag, value in found]
