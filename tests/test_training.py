"""Tests of imbgraph.training: seeding, byte-stable model files, safe loading, checkpoints,
early stopping and the hand-written momentum SGD (bit-identical to torch.optim.SGD)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from imbgraph.errors import InputError
from imbgraph.training import (
    EarlyStopping,
    MomentumSGD,
    load_checkpoint,
    load_torch,
    pack_numpy_rng,
    restore_numpy_rng,
    save_checkpoint,
    save_torch,
    seed_everything,
)


def test_seed_everything_reseeds_torch_and_returns_a_fresh_generator():
    g1 = seed_everything(3)
    a = torch.rand(4), g1.random(4)
    g2 = seed_everything(3)
    b = torch.rand(4), g2.random(4)
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_numpy_rng_state_round_trip():
    rng = np.random.default_rng(5)
    rng.random(10)
    state = pack_numpy_rng(rng)
    expected = rng.random(5)
    other = np.random.default_rng(0)
    restore_numpy_rng(other, state)
    np.testing.assert_array_equal(other.random(5), expected)


def test_model_files_are_byte_identical_for_equal_weights(tmp_path):
    state = {"model": {"w": torch.arange(6.0).reshape(2, 3)}, "in_channels": 3}
    save_torch(state, tmp_path / "a.pt")
    save_torch(state, tmp_path / "b" / "other-name.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b" / "other-name.pt").read_bytes()
    back = load_torch(tmp_path / "a.pt")
    assert torch.equal(back["model"]["w"], state["model"]["w"]) and back["in_channels"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt", "b"]  # no temporaries


class Evil:
    pass


def test_load_torch_refuses_pickled_objects_and_names_the_file(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    with pytest.raises(InputError, match=rf"{path}: not a torch file of tensors"):
        load_torch(path)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a zip archive")
    with pytest.raises(InputError, match=str(garbage)):
        load_torch(garbage)
    with pytest.raises(InputError, match="file not found"):
        load_torch(tmp_path / "absent.pt")


def test_checkpoint_fingerprint_and_shape(tmp_path):
    path = tmp_path / "c.ckpt"
    assert load_checkpoint(path, "x") is None  # none yet
    save_checkpoint(path, {"model": {}, "optimizer": {}, "epoch": 2, "fingerprint": "x"})
    assert load_checkpoint(path, "x")["epoch"] == 2
    assert load_checkpoint(path, "y") is None  # other settings: ignored
    torch.save([1, 2], path)
    with pytest.raises(InputError, match="not a training checkpoint"):
        load_checkpoint(path, "x")


def test_early_stopping_keeps_the_best_epoch_and_stops_after_patience():
    model = torch.nn.Linear(2, 1)
    stop = EarlyStopping(patience=2, mode="max")
    scores = [0.5, 0.7, 0.7, 0.6, 0.9]
    stopped_at = None
    for epoch, score in enumerate(scores):
        with torch.no_grad():
            model.bias.fill_(float(epoch))
        if stop.step(score, model, epoch):
            stopped_at = epoch
            break
    assert stopped_at == 3  # 0.7 (tie) and 0.6 are no improvement
    assert stop.best_epoch == 1 and stop.best_score == 0.7
    stop.restore(model)
    assert model.bias.item() == 1.0


def test_early_stopping_min_mode_and_bad_arguments():
    stop = EarlyStopping(patience=1, mode="min")
    assert not stop.step(1.0, None, 0)
    assert not stop.step(0.5, None, 1)
    assert stop.step(0.6, None, 2)
    assert stop.best_epoch == 1
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(patience=1, mode="up")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)


@pytest.mark.parametrize("momentum, wd", [(0.9, 1e-4), (0.0, 0.0), (0.5, 0.0)])
def test_momentum_sgd_is_bit_identical_to_torch_sgd(momentum, wd):
    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))

    ours, ref = model(), model()
    opt = MomentumSGD(ours.parameters(), lr=0.1, momentum=momentum, weight_decay=wd)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=momentum, weight_decay=wd)
    x = torch.randn(16, 5)
    y = torch.randint(0, 2, (16,))
    for step in range(6):
        for m, o in ((ours, opt), (ref, opt_ref)):
            o.zero_grad()
            torch.nn.functional.cross_entropy(m(x), y).backward()
            o.step()
        opt.lr = opt_ref.param_groups[0]["lr"] = 0.1 * 0.7 ** (step + 1)
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.equal(a, b)


def test_momentum_sgd_state_round_trip():
    p = torch.nn.Parameter(torch.ones(3))
    opt = MomentumSGD([p], lr=0.1, momentum=0.9)
    p.grad = torch.ones(3)
    opt.step()
    state = opt.state_dict()
    q = torch.nn.Parameter(p.detach().clone())
    opt2 = MomentumSGD([q], lr=1.0, momentum=0.9)
    opt2.load_state_dict(state)
    p.grad = q.grad = torch.full((3,), 2.0)
    opt.step()
    opt2.step()
    assert torch.equal(p, q)
    with pytest.raises(ValueError, match="buffers"):
        opt2.load_state_dict({"lr": 0.1, "buffers": []})


def _flushes_in_fresh_process(call: str) -> bool:
    code = ("import torch\nfrom imbgraph import training\n" + call + "\n"
            "print(float(torch.tensor([1e-39]) * torch.tensor([1.0])))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return float(out) == 0.0


def test_setup_torch_and_seeding_flush_subnormals():
    """A subnormal (1e-39 < 1.18e-38) survives a product in a fresh process and is flushed to
    zero once setup_torch or seed_everything has run."""
    assert not _flushes_in_fresh_process("")
    assert _flushes_in_fresh_process("training.setup_torch(1)")
    assert _flushes_in_fresh_process("training.seed_everything(0)")


def test_every_job_script_that_sets_threads_uses_setup_torch():
    root = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
    scripts = [p for p in root.rglob("*.py") if "torch" in p.read_text()]
    assert len(scripts) >= 5
    for p in scripts:  # every script that trains or evaluates a torch model
        text = p.read_text()
        assert "setup_torch(sm.threads)" in text and "set_num_threads" not in text, p
