"""Bridge tests run in a temporary working directory: SparseML writes into the cwd."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    # the bridge routes SparseML's modifier logs away from its default `sparse_logs/`
    assert not (tmp_path / "sparse_logs").exists()


@pytest.fixture
def tiny():
    """A tiny conv/BN/linear model under `model` (SparseML's QAT recipes name it)."""
    import torch
    from torch import nn

    def make(seed: int = 0, conv_bias: bool = False):
        torch.manual_seed(seed)

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = nn.Sequential(
                    nn.Conv2d(1, 8, 3, bias=conv_bias), nn.BatchNorm2d(8), nn.ReLU(),
                    nn.Flatten(), nn.Linear(8 * 6 * 6, 10))

            def forward(self, x):
                return self.model(x)

        return Tiny()

    return make
