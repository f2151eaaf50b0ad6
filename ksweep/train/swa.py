"""Stochastic weight averaging over the last epochs (CONFIG_SWA), evaluated once, at the end.

SWA (Izmailov et al., 2018) averages the weights the optimizer visits late in
training: the iterates scatter around a wide basin, and their mean sits nearer
its centre, where test error tends to be lower than at any single iterate.
Here the snapshot is the trained network at the end of each of the last
CONFIG_SWA_EPOCHS epochs, averaged with equal weights by
:class:`torch.optim.swa_utils.AveragedModel`; training itself is unchanged.

An average of weights is not an average of networks as far as BatchNorm is
concerned: running statistics collected under the individual iterates do not
fit the averaged weights. So before its one evaluation the average's
BatchNorm statistics are recomputed from scratch with one pass over the
plain (unaugmented) training images (:func:`torch.optim.swa_utils.update_bn`,
a cumulative mean over batches of CONFIG_BATCH_SIZE images). Evaluating the
average earlier, without that refresh, is the playground's "mid-epoch SWA
eval tanks accuracy"; with it, every epoch would pay a pass over the training
set, so the average is evaluated only after the last epoch.

Pruned weights stay pruned: after each snapshot the average is multiplied by
the pruning masks, as the EMA is (:mod:`ksweep.train.ema`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, update_bn

from ksweep.train.data import DataSplits
from ksweep.train.evaluation import Measurement, weights_digest

# How a run evaluates a network on a split (with its TTA, if any); None for an empty split.
Measure = Callable[[Tensor, Tensor, nn.Module], Measurement | None]


class WeightAverage:
    """The SWA average of ``model`` over its last ``epochs`` of ``num_epochs`` epochs."""

    def __init__(self, model: nn.Module, epochs: int, num_epochs: int) -> None:
        self.first_epoch = max(1, num_epochs - epochs + 1)  # 1-based, inclusive
        self.source = model
        self.averaged = AveragedModel(model)
        self.averaged.requires_grad_(False)
        pairs = zip(model.parameters(), self.averaged.module.parameters(), strict=True)
        self._twin = {id(source): target for source, target in pairs}

    @property
    def snapshots(self) -> int:
        """How many epoch-end weights the average holds so far."""
        return int(self.averaged.n_averaged.item())

    @torch.no_grad()
    def after_epoch(self, epoch: int, masks: Mapping[Tensor, Tensor] | None = None) -> None:
        """Add the network's weights at the end of ``epoch`` if it is in the SWA window."""
        if epoch < self.first_epoch:
            return
        self.averaged.update_parameters(self.source)
        for param, mask in (masks or {}).items():
            self._twin[id(param)].mul_(mask)

    def finish(
        self, train_x: Tensor, batch_size: int, *, bf16: bool = False, channels_last: bool = False
    ) -> nn.Module:
        """The averaged network with BatchNorm statistics recomputed on ``train_x``."""

        def batches() -> Iterator[Tensor]:
            for start in range(0, len(train_x), batch_size):
                batch = train_x[start : start + batch_size]
                yield (
                    batch.contiguous(memory_format=torch.channels_last) if channels_last else batch
                )

        with torch.autocast(device_type=train_x.device.type, dtype=torch.bfloat16, enabled=bf16):
            update_bn(batches(), self.averaged)
        return self.averaged.module.eval()


def swa_metrics(
    average: WeightAverage,
    measure: Measure,
    data: DataSplits,
    batch_size: int,
    bf16: bool = False,
    channels_last: bool = False,
) -> dict[str, Any]:
    """The ``swa_*`` metrics of a run: the average, its BatchNorm refreshed, on val and test.

    ``swa_test_acc`` and ``swa_val_acc`` (percent) and their losses follow the
    run's evaluation protocol (TTA's under CONFIG_TTA, with
    ``swa_single_view_test_acc`` beside them); ``swa_time`` is the seconds
    the refresh and the evaluations took, outside ``training_time``.
    """
    window = {"swa_first_epoch": average.first_epoch, "swa_snapshots": average.snapshots}
    if average.snapshots == 0:  # stopped before the SWA window began
        return window
    start = time.perf_counter()
    model = average.finish(data.train_x, batch_size, bf16=bf16, channels_last=channels_last)
    val = measure(data.val_x, data.val_y, model)
    test = measure(data.test_x, data.test_y, model)
    assert test is not None  # every dataset has a test split
    found: dict[str, Any] = {
        "swa_test_acc": test.acc,
        "swa_test_loss": test.loss,
        "swa_val_acc": val.acc if val else None,
        "swa_val_loss": val.loss if val else None,
    }
    if test.single_view_acc is not None:
        found["swa_single_view_test_acc"] = test.single_view_acc
    return {
        **found,
        **window,
        "swa_weights_sha256": weights_digest(model),
        "swa_time": time.perf_counter() - start,
    }
