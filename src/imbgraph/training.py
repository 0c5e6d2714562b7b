"""Training utilities every family shares: device choice, seeding, checkpoints that resume
bit-for-bit (model, optimiser and random generator states), early stopping on a validation
score, and model files that are safe to load and byte-identical for equal weights."""

from __future__ import annotations

import copy
import io
import logging
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imbgraph.errors import InputError
from imbgraph.io.atomic import write_bytes

log = logging.getLogger(__name__)


def default_device() -> torch.device:
    """CUDA when a GPU is visible, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup_torch(threads: int | None = None) -> None:
    """Process-wide torch settings of every training / evaluation job: ``threads`` intra-op
    threads (None: torch's default) and subnormal floats flushed to zero.

    Why flush: weights that drift towards zero over a long run (UniImb's prototype head: 57% of
    all parameters on PROTEINS by epoch 250) become subnormal, and x86 CPUs handle those in
    microcode, 3-7x slower per epoch (benchmarks/bench_denormal.py). Values below 1.2e-38 carry
    no information a float32 network uses; on CUDA the setting is a no-op (GPUs flush anyway
    in the kernels PyTorch uses).
    """
    if threads is not None:
        torch.set_num_threads(int(threads))
    torch.set_flush_denormal(True)


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch's generators (CPU and every GPU) and return a numpy generator of ``seed``.
    Every run starts here, so it also flushes subnormals (:func:`setup_torch`): a library
    caller gets the same speed as a pipeline job.

    Python's and numpy's global generators are left alone: imbgraph draws only from explicit
    generators, so a library that uses the globals cannot shift our draws.
    """
    torch.set_flush_denormal(True)
    torch.manual_seed(int(seed))
    return np.random.default_rng(int(seed))


def pack_numpy_rng(rng: np.random.Generator) -> dict:
    """The state of ``rng`` as plain containers of str/int (loadable with weights_only)."""
    state = rng.bit_generator.state
    return {"bit_generator": state["bit_generator"], "state": dict(state["state"]),
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def restore_numpy_rng(rng: np.random.Generator, packed: dict) -> None:
    rng.bit_generator.state = packed


def torch_bytes(obj: Any) -> bytes:
    """``torch.save`` of ``obj`` as bytes. Saving to a buffer (not a file) keeps the archive's
    record names fixed, so equal contents always give equal bytes."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def save_torch(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (tensors and plain containers) to ``path`` atomically, byte-stable."""
    write_bytes(torch_bytes(obj), path)


def load_torch(path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``: tensors and plain containers only, never
    arbitrary pickled objects. A file that is not such an archive raises :class:`InputError`
    naming it."""
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (pickle.UnpicklingError, RuntimeError, zipfile.BadZipFile, EOFError) as err:
        raise InputError(
            f"{path}: not a torch file of tensors and plain containers (refusing to "
            f"unpickle other objects; delete or regenerate it): {err}"
        ) from None


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Atomically write a training checkpoint (see :func:`load_checkpoint`)."""
    save_torch(state, path)


def load_checkpoint(
    path: str | os.PathLike, fingerprint: str, *, device: torch.device | str = "cpu",
    required: tuple[str, ...] = ("model", "optimizer", "epoch"),
) -> dict | None:
    """The checkpoint at ``path`` when it exists and was written for ``fingerprint`` (the
    run's settings), else None. A checkpoint of other settings is ignored with a warning (the
    method's hyperparameters changed since); a file that is no checkpoint raises
    :class:`InputError`."""
    path = Path(path)
    if not path.exists():
        return None
    state = load_torch(path, map_location=device)
    if not isinstance(state, dict) or not set(required) <= set(state):
        raise InputError(f"{path}: not a training checkpoint (expected a dict with "
                         f"{', '.join(required)}); delete it to start afresh")
    if state.get("fingerprint", "") != fingerprint:
        log.warning("ignoring %s: written for other settings", path)
        return None
    return state


@dataclass
class EarlyStopping:
    """Keep the best epoch by a validation score and say when to stop.

    ``step(score, model, epoch)`` returns True once ``patience`` epochs have passed without
    an improvement larger than ``min_delta``; the best weights (a CPU copy) are in
    ``best_state`` and their epoch in ``best_epoch``. ``mode`` is ``"max"`` (accuracy,
    F1) or ``"min"`` (a loss). Ties keep the earlier epoch.
    """

    patience: int
    mode: str = "max"
    min_delta: float = 0.0
    best_score: float = field(default=float("nan"), init=False)
    best_epoch: int = field(default=-1, init=False)
    best_state: dict | None = field(default=None, init=False, repr=False)
    _since: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("max", "min"):
            raise ValueError(f"mode = {self.mode!r}; expected 'max' or 'min'")
        if int(self.patience) != self.patience or self.patience < 1:
            raise ValueError(f"patience = {self.patience!r}; expected an integer >= 1")

    def improved(self, score: float) -> bool:
        if self.best_epoch < 0:
            return True
        sign = 1.0 if self.mode == "max" else -1.0
        return sign * (score - self.best_score) > self.min_delta

    def step(self, score: float, model: torch.nn.Module | None, epoch: int) -> bool:
        if self.improved(score):
            self.best_score, self.best_epoch, self._since = float(score), int(epoch), 0
            if model is not None:
                self.best_state = {k: v.detach().to("cpu", copy=True)
                                   for k, v in model.state_dict().items()}
            return False
        self._since += 1
        return self._since >= self.patience

    def restore(self, model: torch.nn.Module) -> None:
        """Load the best weights back into ``model`` (no-op before the first step)."""
        if self.best_state is not None:
            model.load_state_dict(copy.deepcopy(self.best_state))


class MomentumSGD:
    """SGD with momentum and L2 weight decay, step for step ``torch.optim.SGD`` (dampening 0,
    no Nesterov; its single-tensor path, bit-identical on the CPU).

    Written out because every ``torch.optim.Optimizer`` imports ``torch._dynamo`` on first
    use (about 1.3 s), a cost paid by each of the hundreds of short training jobs of the
    face path, which imports nothing else that needs it. Families that import PyG (which
    loads ``torch._dynamo`` anyway) use ``torch.optim`` directly.
    """

    def __init__(self, params, *, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            grad = p.grad
            if self.weight_decay != 0:
                grad = grad.add(p, alpha=self.weight_decay)
            if self.momentum != 0:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = grad.detach().clone()
                else:
                    buf.mul_(self.momentum).add_(grad)
                grad = buf
            p.add_(grad, alpha=-self.lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        """Momentum buffers (None before the first step) and the learning rate."""
        return {"lr": self.lr, "buffers": list(self.buffers)}

    def load_state_dict(self, state: dict) -> None:
        if len(state["buffers"]) != len(self.params):
            raise ValueError(f"optimiser state holds {len(state['buffers'])} buffers for "
                             f"{len(self.params)} parameters")
        self.lr = float(state["lr"])
        self.buffers = [None if b is None else b.to(p.device).clone()
                        for b, p in zip(state["buffers"], self.params)]
