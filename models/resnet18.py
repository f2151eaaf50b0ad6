"""ResNet-18 for small images (CIFAR-style stem), built on torchvision's implementation.

torchvision's ``resnet18`` is made for 224x224 ImageNet crops: a 7x7 stride-2
stem followed by a stride-2 max-pool shrinks a 28x28 digit to 7x7 before the
first residual block and to 1x1 by layer4. The usual small-image adaptation
(He et al. 2016, Sec. 4.2; most CIFAR code bases) replaces the stem with a 3x3
stride-1 convolution and drops the max-pool, so layer1..layer4 run at
28, 14, 7, 4 pixels. Everything else -- blocks, init, head -- is torchvision's.
"""

from __future__ import annotations

from torch import nn
from torchvision.models import resnet18

SPEC = {"description": "ResNet-18, small-image stem, ~11.2M parameters", "min_image_size": 8}


def build(in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    """The registry's entry point: ~11.2M parameters for 10 classes."""
    del image_size  # adaptive average pooling in the head accepts any size
    net = resnet18(weights=None, num_classes=num_classes)
    net.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    # Same initialisation torchvision applies to every other convolution of the network.
    nn.init.kaiming_normal_(net.conv1.weight, mode="fan_out", nonlinearity="relu")
    net.maxpool = nn.Identity()
    return net
