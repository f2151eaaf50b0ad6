"""small_resnet: a three-stage ResNet for CIFAR-100 whose widths are hyperparameters.

After the Ray Tune study (seed 004) that tuned ``h_1`` (convolution width)
and ``h_2`` (hidden features of the head) of a small skip-connection CNN:

    3x3 stem (h1) -> BasicBlock(h1) -> BasicBlock(2*h1, /2) -> BasicBlock(4*h1, /2)
    -> global average pool -> [Linear(4*h1, h2) -> ReLU] -> Linear(num_classes)

The residual blocks are torchvision's ``BasicBlock`` (two 3x3 conv+BN, identity
or 1x1-conv shortcut), so only the arrangement is ours. ``h2 = 0`` drops the
hidden layer. ``p_drop`` (CONFIG_SMALL_RESNET_DROPOUT, the study's third tuned
knob) drops pooled features before the head; 0 adds no module. Initialisation
follows torchvision's ResNet (Kaiming fan-out for convolutions, BN scale 1 and
shift 0). Any image size of 8 or more works.
"""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock

SPEC = {
    "description": "3-stage ResNet with widths h1 (conv) and h2 (head)",
    "min_image_size": 8,
    "options": {"h1": "SMALL_RESNET_H1", "h2": "SMALL_RESNET_H2", "p_drop": "SMALL_RESNET_DROPOUT"},
}


def _stage(c_in: int, c_out: int, stride: int) -> BasicBlock:
    downsample = None
    if stride != 1 or c_in != c_out:
        downsample = nn.Sequential(
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(c_out),
        )
    return BasicBlock(c_in, c_out, stride=stride, downsample=downsample)


class SmallResNet(nn.Module):
    """Stem, three residual stages (h1, 2*h1, 4*h1 channels), pooled MLP head."""

    def __init__(
        self, in_channels: int, num_classes: int, h1: int = 32, h2: int = 256, p_drop: float = 0.0
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, h1, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(h1),
            nn.ReLU(inplace=True),
        )
        self.stages = nn.Sequential(
            _stage(h1, h1, 1), _stage(h1, 2 * h1, 2), _stage(2 * h1, 4 * h1, 2)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(p_drop) if p_drop else nn.Identity()
        if h2:
            self.head = nn.Sequential(
                nn.Linear(4 * h1, h2), nn.ReLU(inplace=True), nn.Linear(h2, num_classes)
            )
        else:
            self.head = nn.Linear(4 * h1, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.dropout(self.pool(self.stages(self.stem(x))).flatten(1)))


def build(
    in_channels: int,
    num_classes: int,
    image_size: int,
    h1: int = 32,
    h2: int = 256,
    p_drop: float = 0.0,
) -> nn.Module:
    """The registry's entry point; ``h1``/``h2``/``p_drop`` from Kconfig."""
    del image_size  # global pooling makes the network size-agnostic
    return SmallResNet(in_channels, num_classes, h1=h1, h2=h2, p_drop=p_drop)
