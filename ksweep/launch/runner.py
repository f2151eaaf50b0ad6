"""Running a folder of configs as one sweep, into a fresh results folder.

Trials run one after another here; the loop is the seam where a scheduler
with several slots (GPUs, Ray workers) will plug in. After every trial the
summary and the analysis are rewritten atomically, so an interrupted sweep
keeps everything that finished.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ksweep.analyze import analysis_text, ranked
from ksweep.collect import summary_record
from ksweep.configfile import quote, set_config_value
from ksweep.launch.trial import CONFIG_FILE, run_trial
from ksweep.launch.trials import TrialSpec, load_trials
from ksweep.manifest import finish_manifest, start_manifest
from ksweep.store import write_json_atomic, write_text_atomic

SUMMARY_FILE = "sweep_summary.json"
ANALYSIS_FILE = "sweep_analysis.txt"
MANIFEST_FILE = "manifest.json"
DEVICES = ("auto", "cpu", "cuda")


class SweepError(Exception):
    """The sweep cannot start (nothing to run, bad option); nothing was written."""


@dataclass
class SweepResult:
    sweep_dir: Path
    records: list[dict]
    interrupted: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for r in self.records if r["status"] != "completed")

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


def new_sweep_dir(output_root: Path) -> Path:
    """A results folder no other sweep has: ``mkdir`` fails if it exists, so we count up."""
    output_root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("sweep_%Y%m%d_%H%M%S")
    for attempt in range(1, 1000):
        candidate = output_root / (stamp if attempt == 1 else f"{stamp}_{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise SweepError(f"cannot create a new sweep folder under {output_root}")


def trial_config_text(trial: TrialSpec, device: str | None) -> str:
    """The exact config the trial runs: the generated one, with the DEVICE override applied."""
    if device is None:
        return trial.config_text
    return set_config_value(trial.config_text, "DEVICE", f"CONFIG_DEVICE={quote(device)}")


def run_sweep(
    config_dir: str | Path,
    output_root: str | Path,
    device: str | None = None,
    verbose: bool = True,
) -> SweepResult:
    """Run every config in ``config_dir``; return the records and where they are."""
    config_dir, output_root = Path(config_dir), Path(output_root)
    if device is not None and device not in DEVICES:
        raise SweepError(f"DEVICE={device} is not one of {', '.join(DEVICES)}")
    if not config_dir.is_dir():
        raise SweepError(
            f"{config_dir} does not exist; generate it first with "
            "`make sweep-generate RANGE_CONFIG=<range file>`"
        )
    trials, plan = load_trials(config_dir)
    if not trials:
        raise SweepError(
            f"{config_dir} holds no config_* files; generate them with "
            "`make sweep-generate RANGE_CONFIG=<range file>`"
        )
    varying_symbols = plan["varying_symbols"] if plan else list(trials[0].varying)
    sweep_dir = new_sweep_dir(output_root)
    manifest = start_manifest(config_dir, plan, device)
    write_json_atomic(sweep_dir / MANIFEST_FILE, manifest)
    say = print if verbose else (lambda *_: None)
    say(f"ksweep: {len(trials)} configurations -> {sweep_dir}")
    records: list[dict] = []
    started = time.monotonic()
    interrupted = False
    try:
        for position, trial in enumerate(trials, start=1):
            records.append(_run_one(sweep_dir, trial, device, position, len(trials), say))
            _write_results(sweep_dir, records, varying_symbols)
    except KeyboardInterrupt:
        interrupted = True
        say("\nksweep: interrupted; the summary keeps the trials that finished.")
    finally:
        _write_results(sweep_dir, records, varying_symbols)
        counts = {
            "configurations": len(trials),
            "completed": sum(1 for r in records if r["status"] == "completed"),
            "failed": sum(1 for r in records if r["status"] != "completed"),
        }
        state = "interrupted" if interrupted else "finished"
        write_json_atomic(
            sweep_dir / MANIFEST_FILE,
            finish_manifest(manifest, state, counts, time.monotonic() - started),
        )
    result = SweepResult(sweep_dir, records, interrupted)
    _report(result, varying_symbols, say)
    return result


def _run_one(
    sweep_dir: Path, trial: TrialSpec, device: str | None, position: int, total: int, say
) -> dict:
    trial_dir = sweep_dir / trial.test_name
    trial_dir.mkdir()
    write_text_atomic(trial_dir / CONFIG_FILE, trial_config_text(trial, device))
    say(f"[{position}/{total}] {trial.test_name}")
    outcome = run_trial(trial_dir, echo=lambda line: say(f"    {line}"))
    record = summary_record(trial, outcome)
    if outcome.status == "completed":
        say(
            f"[{position}/{total}] {trial.config_name} completed: test_acc "
            f"{record['test_acc']:.2f}% in {outcome.wall_time:.1f}s"
        )
    else:
        say(f"[{position}/{total}] {trial.config_name} FAILED: {outcome.error}")
    return record


def _write_results(sweep_dir: Path, records: list[dict], varying_symbols: list[str]) -> None:
    write_json_atomic(sweep_dir / SUMMARY_FILE, records)
    write_text_atomic(sweep_dir / ANALYSIS_FILE, analysis_text(records, varying_symbols))


def _report(result: SweepResult, varying_symbols: list[str], say) -> None:
    best = ranked(result.records)
    say("")
    say(f"Results: {result.sweep_dir}")
    say(f"  summary:  {result.sweep_dir / SUMMARY_FILE}")
    say(f"  analysis: {result.sweep_dir / ANALYSIS_FILE}")
    if best:
        top = best[0]
        values = " ".join(f"{n}={top.get(n)}" for n in varying_symbols)
        say(f"Best: {top['config_file']} test_acc {top['test_acc']:.2f}% {values}".rstrip())
    else:
        say("Best: none (no configuration completed)")
    if result.failed:
        say(f"{result.failed} of {len(result.records)} trials failed; see the analysis file.")
    if result.interrupted:
        say("The sweep was interrupted before every configuration ran.")
