"""LeNet-5 (LeCun et al., 1998) for 1x28x28 (padded to 32) or 32x32 inputs.

The layer sizes are the paper's (6 and 16 5x5 feature maps, 120-84-10 fully
connected), so the parameter count is the familiar 61,706 for 10 classes. Two
modernisations, as in virtually every current re-implementation: ReLU instead
of scaled tanh and max-pooling instead of trainable sub-sampling; both train
markedly faster under plain Adam/SGD and change no parameter count.
"""

from __future__ import annotations

from torch import Tensor, nn

SPEC = {"description": "LeNet-5, ~61.7k parameters", "image_sizes": (28, 32)}


class LeNet5(nn.Module):
    """Two conv/pool stages then three fully connected layers."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> None:
        super().__init__()
        if image_size not in (28, 32):
            raise ValueError(f"LeNet-5 takes 28x28 or 32x32 images, got {image_size}x{image_size}")
        # Pad 28x28 MNIST-style digits to the 32x32 field the architecture was designed for,
        # so the second stage ends on 16 maps of 5x5 exactly as in the paper.
        padding = (32 - image_size) // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding),  # -> 6x28x28
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # -> 6x14x14
            nn.Conv2d(6, 16, kernel_size=5),  # -> 16x10x10
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # -> 16x5x5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def build(in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    """The registry's entry point."""
    return LeNet5(in_channels, num_classes, image_size)
