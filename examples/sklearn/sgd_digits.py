"""A scikit-learn model swept by ksweep without importing ksweep: the protocol by hand.

A trial is any command that follows the files-and-exit-statuses contract
(README, "Your own training script"); this one is written the way a script
in any language would do it. It reads ``KSWEEP_TRIAL_CONFIG``, appends one
JSON line per epoch to ``metrics.jsonl``, honours ``stop_request.json`` and
waits at the epochs of ``KSWEEP_PAUSE_AFTER`` (it keeps no checkpoint, so it
waits in its process: ``paused.json``, then ``resume.json`` or a stop), and
writes ``training_metrics.json``. Run it in a sweep with::

    make sweep KCONFIG=examples/sklearn/Kconfig RANGE_CONFIG=examples/sklearn/sgd-range
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import f1_score, log_loss

env = os.environ
folder = Path(env["KSWEEP_TRIAL_DIR"])
config = {}
for line in Path(env["KSWEEP_TRIAL_CONFIG"]).read_text().splitlines():
    if line.startswith("CONFIG_") and "=" in line:
        name, value = line[len("CONFIG_") :].split("=", 1)
        config[name] = value.strip('"')
pauses = {int(e) for e in env.get("KSWEEP_PAUSE_AFTER", "").split(",") if e}
epochs, seed = int(config["NUM_EPOCHS"]), int(config["SEED"])

x, y = load_digits(return_X_y=True)
x = x / 16.0
order = np.random.default_rng(0).permutation(len(y))
train, val = order[:1400], order[1400:]
model = SGDClassifier(
    loss="log_loss", penalty=config["PENALTY"], alpha=10.0 ** int(config["ALPHA_EXP"]),
    random_state=seed,
)  # fmt: skip
shuffle = np.random.default_rng(seed)


def stop_requested() -> bool:
    return (folder / "stop_request.json").exists()


def write_atomic(name: str, data: dict) -> None:
    temporary = folder / f".{name}.tmp"
    temporary.write_text(json.dumps(data))
    os.replace(temporary, folder / name)


(folder / "metrics.jsonl").write_text("")  # no checkpoint: a restart starts over
stopped = None
for epoch in range(1, epochs + 1):
    batch = train[shuffle.permutation(len(train))]
    model.partial_fit(x[batch], y[batch], classes=np.arange(10))
    row = {
        "epoch": epoch,
        "val_f1": 100.0 * f1_score(y[val], model.predict(x[val]), average="macro"),
        "val_log_loss": log_loss(y[val], model.predict_proba(x[val]), labels=np.arange(10)),
    }
    with open(folder / "metrics.jsonl", "a") as log:
        log.write(json.dumps(row) + "\n")
    print(f"epoch {epoch}/{epochs} val_f1 {row['val_f1']:.2f}", flush=True)
    if epoch < epochs and epoch in pauses and not stop_requested():
        write_atomic("paused.json", {"epoch": epoch})
        while not stop_requested():
            resumed = folder / "resume.json"
            if resumed.exists() and json.loads(resumed.read_text()).get("epoch") == epoch:
                break
            time.sleep(0.05)
    if epoch < epochs and stop_requested():
        stopped = {**json.loads((folder / "stop_request.json").read_text()), "epoch": epoch}
        break

write_atomic("training_metrics.json", {**row, "epochs_run": row.pop("epoch"), "stopped": stopped})
