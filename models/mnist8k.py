"""mnist8k: a CNN under 8,000 parameters (7,604 for 1 channel, 10 classes) for MNIST.

After the "MNIST <8k parameters" playground (seed 003), whose padded
1->10->16->12->14->14->12 network stalled at 99.19%. The changes that take
this budget past 99.4% in 15 epochs (with the recipe in
``defconfigs/mnist8k``) are about where the parameters sit:

- unpadded 3x3 convolutions (28 -> 26 -> 24, then 12 -> 10 -> 8 -> 6): no
  parameters or compute spent on the empty border, and the receptive field
  at the head reaches 22x22 -- a whole digit -- instead of 18x18;
- a 1x1 "transition" (16 -> 10 channels) right before the only max-pool,
  so the widest, most expensive convolutions run after the pool on 10-14
  channels;
- conv -> ReLU -> BatchNorm ordering (the playground found it best), no
  convolution biases (BatchNorm's shift replaces them), and no dense layer:
  global average pooling plus a 1x1 convolution keeps the head at 170
  parameters.

``dropout`` (CONFIG_MNIST8K_DROPOUT) adds element-wise dropout after every
block, as the playground's "BN + Dropout (~0.1)" network had; 0 leaves the
network exactly as above (no module added, the same random draws).
"""

from __future__ import annotations

from torch import Tensor, nn

SPEC = {
    "description": "GAP-headed CNN, <8k parameters",
    "min_image_size": 18,
    "options": {"dropout": "MNIST8K_DROPOUT"},
}


def _block(c_in: int, c_out: int, kernel_size: int = 3, dropout: float = 0.0) -> nn.Sequential:
    block = nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size, bias=False),
        nn.ReLU(inplace=True),
        nn.BatchNorm2d(c_out),
    )
    if dropout:  # appended, so the state-dict keys stay those of the network without it
        block.append(nn.Dropout(dropout))
    return block


class Mnist8k(nn.Module):
    """Two unpadded 3x3 convs, 1x1 transition, max-pool, three 3x3 convs, GAP, 1x1 head."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, dropout: float = 0.0) -> None:
        super().__init__()
        p = dropout
        self.features = nn.Sequential(
            _block(in_channels, 10, dropout=p),  # 28 -> 26, RF 3
            _block(10, 16, dropout=p),  # -> 24, RF 5
            _block(16, 10, kernel_size=1, dropout=p),  # transition: fewer channels before the pool
            nn.MaxPool2d(2),  # -> 12, RF 6
            _block(10, 14, dropout=p),  # -> 10, RF 10
            _block(14, 16, dropout=p),  # -> 8, RF 14
            _block(16, 16, dropout=p),  # -> 6, RF 18 (22 at the pooled head's edge)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Conv2d(16, num_classes, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.pool(self.features(x))).flatten(1)


def build(in_channels: int, num_classes: int, image_size: int, dropout: float = 0.0) -> nn.Module:
    """The registry's entry point; images of 18x18 or more (GAP head)."""
    del image_size  # the GAP head makes the network size-agnostic above the minimum
    return Mnist8k(in_channels, num_classes, dropout=dropout)
