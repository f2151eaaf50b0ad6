"""A plain PyTorch training loop swept by ksweep: a small MLP on scikit-learn's digits.

It uses ksweep's public client only (``ksweep.trial``): it reads its config,
reports each epoch under its own metric names, checkpoints when asked (so a
paused trial exits and frees its memory) and goes on from its checkpoint
when restarted. Run it in a sweep with::

    make sweep RANGE_CONFIG=examples/digits-torch-range
"""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from torch import nn

from ksweep.trial import PAUSE, STOP, Trial

trial = Trial.from_environment(checkpoints=True)
cfg = trial.config
epochs, batch = cfg.int("NUM_EPOCHS"), cfg.int("BATCH_SIZE")
torch.manual_seed(cfg.int("SEED"))
torch.set_num_threads(1)  # results repeat bit for bit on one thread

x, y = load_digits(return_X_y=True)
x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
train, val = order[:1400], order[1400:]

model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=cfg.float("LEARNING_RATE"), momentum=0.9)
shuffle = torch.Generator().manual_seed(cfg.int("SEED"))
loss_fn = nn.CrossEntropyLoss()

saved = trial.restore()
if saved is not None:  # go on where the last process stopped
    state = torch.load(saved.path / "state.pt", weights_only=False)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    shuffle.set_state(state["shuffle"])
first = saved.epoch + 1 if saved else 1


def save(folder) -> None:
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    torch.save({**state, "shuffle": shuffle.get_state()}, folder / "state.pt")


trial.total_epochs = epochs
for epoch in range(first, epochs + 1):
    model.train()
    for step in torch.randperm(len(train), generator=shuffle).split(batch):
        optimizer.zero_grad()
        loss_fn(model(x[train[step]]), y[train[step]]).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        logits = model(x[val])
        val_loss = loss_fn(logits, y[val]).item()
        val_accuracy = 100.0 * (logits.argmax(1) == y[val]).float().mean().item()
    verdict = trial.report(epoch, val_accuracy=val_accuracy, val_loss=val_loss)
    if verdict == STOP:
        break
    if epoch < epochs and (verdict == PAUSE or trial.checkpoint_due(epoch)):
        trial.save_checkpoint(epoch, save)
    if verdict == PAUSE:
        trial.exit_paused()

params = sum(p.numel() for p in model.parameters())
trial.finish(val_accuracy=val_accuracy, val_loss=val_loss, params=params)
