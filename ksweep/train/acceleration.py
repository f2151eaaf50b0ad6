"""Speed-ups: which of them apply to a run, and whole-step CUDA-graph replay.

On the CPU the only one is the channels-last (NHWC) memory format
(CONFIG_CPU_CHANNELS_LAST, on by default for CIFAR): oneDNN runs many
convolutions faster on NHWC tensors, tinycnn's depthwise ones most of all
(the Kconfig help has the measurements). Everything else here is for CUDA.

A ~8k-parameter CNN at batch 128 is launch-bound on a modern GPU: each step
launches a few hundred tiny kernels and the GPU waits on the Python that
launches them. Measured on an H100 (the issue's figures): a DataLoader loop
262 steps/s, GPU-resident tensors 306, bf16 + channels-last 245 (slower),
``torch.compile(mode="reduce-overhead")`` of the model 615. The remaining
lever is to record the *whole* step -- batch gather, forward, loss,
backward, optimizer -- into one CUDA graph and replay it: one launch per
step (plus the index copy), no Python in between.

:class:`CapturedSteps` does that per batch shape (an epoch has at most two:
full batches and the remainder). Each shape first runs WARMUP_STEPS real
steps eagerly on a side stream (that initialises optimizer state, lets
cuDNN pick kernels and ends any lazy initialisation, as CUDA graph capture
requires), is then captured once, and replayed for every later batch of
that shape. Warm-up steps are ordinary training steps, so capture changes
nothing about what is trained. The learning rate lives in a device tensor
that the schedule updates in place between replays (see
:func:`ksweep.train.optim.build_optimizer`).

The CUDA options are guarded by the device: CPU runs never construct a
stream, graph, autocast context or compiled module, and the requested
options are reported as ignored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch
from torch import Tensor

from ksweep.train.settings import TrainSettings
from ksweep.train.step import TrainStep

WARMUP_STEPS = 3  # eager steps per batch shape before it is captured (PyTorch's recipe)


@dataclass(frozen=True)
class Acceleration:
    """The options in effect for one run (on the CPU, at most channels_last)."""

    bf16: bool = False
    channels_last: bool = False
    compile: bool = False
    graphs: bool = False

    def describe(self) -> str:
        on = [name for name, value in vars(self).items() if value]
        return "+".join(on) if on else "eager"


def resolve_acceleration(settings: TrainSettings, device: str) -> tuple[Acceleration, list[str]]:
    """The options that apply on ``device``, and a warning for each one that does not."""
    requested = {
        "CUDA_BF16": settings.cuda_bf16,
        "CUDA_CHANNELS_LAST": settings.cuda_channels_last,
        "CUDA_COMPILE": settings.cuda_compile,
        "CUDA_GRAPHS": settings.cuda_graphs,
    }
    if device != "cuda":
        ignored = [f"CONFIG_{name}=y" for name, on in requested.items() if on]
        notes = [f"{', '.join(ignored)} only apply on CUDA; training eagerly on {device}"]
        return Acceleration(channels_last=settings.cpu_channels_last), notes if ignored else []
    graphs = settings.cuda_graphs
    notes: list[str] = []
    if graphs:
        blockers = graph_blockers(settings)
        if blockers:
            graphs = False
            notes.append(
                f"CONFIG_CUDA_GRAPHS=y needs a step without host-side work, but "
                f"{'; '.join(blockers)}; training with eager steps"
            )
    accel = Acceleration(
        bf16=settings.cuda_bf16,
        channels_last=settings.cuda_channels_last,
        compile=settings.cuda_compile,
        graphs=graphs,
    )
    return accel, notes


def graph_blockers(settings: TrainSettings) -> list[str]:
    """Why the training step cannot be captured in a CUDA graph for these settings."""
    blockers = []
    if settings.pruning_method != "none":
        blockers.append(f'pruning ("{settings.pruning_method}") updates masks on the host')
    if settings.optimizer == "ADAMWPRUNE":
        blockers.append("AdamWPrune's step reads its step count on the host")
    if settings.fault != "none":
        blockers.append(f'the "{settings.fault}" fault is injected on the host')
    return blockers


class CapturedSteps:
    """Runs ``step`` for a batch of indices: eagerly while warming up, then by graph replay."""

    def __init__(self, step: TrainStep, optimizer: torch.optim.Optimizer) -> None:
        self.step = step
        self.optimizer = optimizer
        self.graphs: dict[int, tuple[torch.cuda.CUDAGraph, Tensor]] = {}
        self.seen: Counter[int] = Counter()
        self.side_stream = torch.cuda.Stream()

    def __call__(self, idx: Tensor) -> None:
        size = len(idx)
        entry = self.graphs.get(size)
        if entry is None:
            if self.seen[size] < WARMUP_STEPS:
                self.seen[size] += 1
                self._eager(idx)
                return
            entry = self._capture(idx)
        graph, static_idx = entry
        static_idx.copy_(idx, non_blocking=True)
        graph.replay()

    def _eager(self, idx: Tensor) -> None:
        self.side_stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.side_stream):
            self.optimizer.zero_grad(set_to_none=True)
            self.step(idx)
        torch.cuda.current_stream().wait_stream(self.side_stream)

    def _capture(self, idx: Tensor) -> tuple[torch.cuda.CUDAGraph, Tensor]:
        """Record one step reading a static index buffer; the caller replays it right away."""
        static_idx = idx.clone()
        graph = torch.cuda.CUDAGraph()
        # Gradients allocated during capture live in the graph's pool; replays overwrite them.
        self.optimizer.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph):
            self.step(static_idx)
        self.graphs[len(idx)] = (graph, static_idx)
        return graph, static_idx
