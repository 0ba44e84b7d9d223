"""The epoch loop both trainings share: shuffled batches, optimiser and schedule steps, a
progress line every ``LOG_EVERY`` steps, and an atomic checkpoint after each epoch.

The classifier and the U-Net differ only in how a batch of sample ids becomes a loss, what
validation measures, and what else a checkpoint keeps (a weight average, the best score
so far), so those are what the caller passes. Resuming restores the model, the optimiser
and the schedule and returns the rest of the checkpoint; each epoch's shuffle, and the global
torch and numpy generators the augmentation draws from, are seeded by its number, so a resumed run
draws the batches and augmentations an uninterrupted one would have drawn (a checkpoint does not
hold the generators' state: seeded once at the start, a resumed run replayed epoch 0's draws).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bcds_core.training.run_state import RunState

#: Training steps between two progress lines in the log.
LOG_EVERY = 50


@dataclass
class EpochLoop:
    """The parts of one training run that every epoch touches.

    Args:
        run: the run folder (log, metrics, checkpoint).
        model, optimiser, scheduler: stepped once per batch.
        batch_size: samples per step; an epoch's last partial batch is dropped.
        shuffle_seed: epoch ``e`` shuffles with ``numpy.random.default_rng(shuffle_seed + e)`` and
            seeds the global torch and numpy generators with ``shuffle_seed + e``.
        frozen: modules that are not trained: they stay in eval mode, so their BatchNorm statistics
            are not moved by the training batches either.
    """

    run: RunState
    model: torch.nn.Module
    optimiser: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    batch_size: int
    shuffle_seed: int
    frozen: tuple[torch.nn.Module, ...] = ()

    def resume(self) -> tuple[int, dict]:
        """(the first epoch to train, the checkpoint's other entries); (0, {}) for a fresh run.

        Each start or resume names the CPU in the log: a run may resume on another machine, and
        its epoch times (and whether bfloat16 paid) depend on it.
        """
        self.run.log(f"on {cpu_name()}, {torch.get_num_threads()} threads")
        state = self.run.load()
        if state is None:
            return 0, {}
        self.model.load_state_dict(state.pop("model"))
        self.optimiser.load_state_dict(state.pop("optimiser"))
        self.scheduler.load_state_dict(state.pop("scheduler"))
        start = int(state.pop("epoch")) + 1
        self.run.log(f"resumed after epoch {start - 1}")
        return start, state

    def train_epoch(
        self, epoch: int, samples: np.ndarray, loss_of: Callable[[np.ndarray], torch.Tensor]
    ) -> dict:
        """One pass over ``samples`` (ids, shuffled); ``loss_of(sorted batch ids)`` -> the batch's loss.

        Returns:
            ``epoch``, mean ``loss`` and ``started`` (a ``time.time()``, for ``end_epoch``).
        """
        self.model.train()
        for module in self.frozen:
            module.eval()
        seed = self.shuffle_seed + epoch
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        order = np.random.default_rng(seed).permutation(samples)
        steps = len(samples) // self.batch_size
        started, losses = time.time(), []
        for step in range(steps):
            loss = loss_of(np.sort(order[step * self.batch_size : (step + 1) * self.batch_size]))
            self.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            self.optimiser.step()
            self.scheduler.step()
            losses.append(loss.item())
            if step % LOG_EVERY == 0:
                rate = (step + 1) * self.batch_size / (time.time() - started)
                self.run.log(
                    f"epoch {epoch} step {step}/{steps} loss {np.mean(losses[-LOG_EVERY:]):.4f} {rate:.1f} img/s"
                )
        return {"epoch": epoch, "loss": float(np.mean(losses)), "started": started}

    def end_epoch(self, trained: dict, validation: dict, **kept) -> None:
        """Record and log the epoch's metrics, then checkpoint it with whatever else ``kept`` names."""
        metrics = {
            "epoch": trained["epoch"],
            "loss": trained["loss"],
            "seconds": time.time() - trained["started"],
            **validation,
        }
        self.run.record(metrics)
        self.run.log(
            " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
        )
        self.run.save(
            {
                "model": self.model.state_dict(),
                "optimiser": self.optimiser.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "epoch": trained["epoch"],
                **kept,
            }
        )


def cpu_name() -> str:
    """The CPU's model name as the kernel reports it (the architecture where it does not)."""
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine() or "unknown CPU"
