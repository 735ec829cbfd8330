"""The Recurrent Attention Model's networks (Mnih et al., 2014, section 3), one module per job.

Shapes use ``n`` for the batch, ``k`` retina scales of ``g x g`` pixels, ``h`` the core's hidden size.
Locations are ``(x, y)`` in [-1, 1] as in the env.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "CORES",
    "ActionNetwork",
    "BaselineNetwork",
    "CoreNetwork",
    "GlimpseNetwork",
    "LocationNetwork",
    "RecurrentAttentionModel",
]

CORES = ("rnn", "lstm")
# The core's state after a glimpse: the RNN's hidden vector, or the LSTM's (hidden, cell) pair.
NextCoreState = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
CoreState = NextCoreState | None  # None before the first glimpse


class GlimpseNetwork(nn.Module):
    """``f_g``: a glimpse and its location -> the glimpse feature vector ``g_t``.

    ``h_g = ReLU(Linear(glimpse))``, ``h_l = ReLU(Linear(location))``, ``g = ReLU(Linear(h_g) + Linear(h_l))``.

    Args:
        glimpse_pixels: ``k * g * g``, the retina's pixel count.
        glimpse_hidden: width of ``h_g`` (128 in the paper).
        location_hidden: width of ``h_l`` (128 in the paper).
        out_features: width of ``g`` (256 in the paper).
    """

    def __init__(self, glimpse_pixels: int, glimpse_hidden: int, location_hidden: int, out_features: int) -> None:
        super().__init__()
        self.glimpse_fc = nn.Linear(glimpse_pixels, glimpse_hidden)
        self.location_fc = nn.Linear(2, location_hidden)
        self.glimpse_out = nn.Linear(glimpse_hidden, out_features)
        self.location_out = nn.Linear(location_hidden, out_features, bias=False)

    def forward(self, glimpse: torch.Tensor, location: torch.Tensor) -> torch.Tensor:
        """``glimpse``: ``(n, k, g, g)`` in [0, 1]; ``location``: ``(n, 2)``. Returns ``(n, out_features)``."""
        h_g = torch.relu(self.glimpse_fc(glimpse.flatten(1)))
        h_l = torch.relu(self.location_fc(location))
        return torch.relu(torch.addmm(self.glimpse_out(h_g), h_l, self.location_out.weight.t()))


class CoreNetwork(nn.Module):
    """``f_h``: the recurrent core, ``h_t = f_h(h_{t-1}, g_t)``.

    ``"rnn"`` is the paper's: ``h_t = ReLU(Linear(h_{t-1}) + Linear(g_t))``; ``"lstm"`` an LSTM cell.

    Args:
        kind: "rnn" or "lstm".
        in_features: width of ``g_t``.
        hidden_size: width of ``h_t`` (256 in the paper).
    """

    def __init__(self, kind: str, in_features: int, hidden_size: int) -> None:
        super().__init__()
        if kind not in CORES:
            raise ValueError(f"core must be one of {CORES}, got {kind!r}")
        self.kind = kind
        if kind == "rnn":
            self.input_fc = nn.Linear(in_features, hidden_size)
            self.hidden_fc = nn.Linear(hidden_size, hidden_size, bias=False)
        else:
            self.cell = nn.LSTMCell(in_features, hidden_size)

    def forward(self, features: torch.Tensor, state: CoreState) -> tuple[torch.Tensor, NextCoreState]:
        """``features``: ``(n, in_features)``; ``state``: the previous state or None (zeros).

        Returns ``(h_t, state_t)``, ``h_t`` of shape ``(n, hidden_size)``.
        """
        if self.kind == "lstm":
            hidden, cell = self.cell(features, state)
            return hidden, (hidden, cell)
        pre = self.input_fc(features)
        if isinstance(state, torch.Tensor):  # h_0 = 0 (None): the first step skips the recurrent product
            pre = torch.addmm(pre, state, self.hidden_fc.weight.t())
        hidden = torch.relu(pre)
        return hidden, hidden


class LocationNetwork(nn.Module):
    """``f_l``: the location policy, a Gaussian with mean ``tanh(Linear(h_t))`` and std ``std``.

    Args:
        in_features: width of ``h_t``.
        std: the policy's standard deviation on each axis, in location units ([-1, 1] spans the canvas);
            with ``learn_std`` its starting value.
        learn_std: the std is a parameter (``log_std``, a scalar), trained through ``log_prob``; otherwise a
            constant that ``set_std`` may change (an annealing schedule).
    """

    def __init__(self, in_features: int, std: float, learn_std: bool = False) -> None:
        super().__init__()
        if not std > 0:
            raise ValueError(f"location std must be > 0, got {std!r}")
        self.fc = nn.Linear(in_features, 2)
        self.log_std = nn.Parameter(torch.tensor(math.log(std))) if learn_std else None
        self._std = std

    @property
    def std(self) -> float:
        """The current std, a float."""
        return float(self.log_std.detach().exp()) if self.log_std is not None else self._std

    def set_std(self, std: float) -> None:
        """Set a constant std (not for a learned one)."""
        if self.log_std is not None:
            raise RuntimeError("the location std is learned: set_std would be overwritten by training")
        if not std > 0:
            raise ValueError(f"location std must be > 0, got {std!r}")
        self._std = std

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """The policy mean, ``(n, 2)`` in (-1, 1), from ``hidden`` ``(n, in_features)``."""
        return torch.tanh(self.fc(hidden).float())

    def sample(
        self, mean: torch.Tensor, generator: torch.Generator | None = None, rows: tuple[int, int] | None = None
    ) -> torch.Tensor:
        """A location drawn from the policy, ``(n, 2)``, outside the autograd graph.

        ``rows=(first, total)``: the noise is drawn for ``total`` rows and rows ``first .. first + n - 1`` are
        used, as the ``n`` rows of a ``total``-row batch would get them (a distributed worker's shard).
        """
        if rows is None:
            noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        else:
            first, total = rows
            noise = torch.randn((total, 2), generator=generator, device=mean.device, dtype=mean.dtype)
            noise = noise[first : first + len(mean)]
        return mean.detach() + self.std * noise

    def log_prob(self, mean: torch.Tensor, location: torch.Tensor) -> torch.Tensor:
        """``log pi(location | h)``, ``(n,)`` (summed over x and y); differentiable in ``mean`` (and the
        learned std)."""
        if self.log_std is None:
            z = (location - mean) / self._std
            return -0.5 * (z * z).sum(1) - 2.0 * (math.log(self._std) + 0.5 * math.log(2.0 * math.pi))
        z = (location - mean) * torch.exp(-self.log_std)
        return -0.5 * (z * z).sum(1) - 2.0 * (self.log_std + 0.5 * math.log(2.0 * math.pi))


class ActionNetwork(nn.Module):
    """``f_a``: the classifier, class logits ``Linear(h_t)`` (softmax in the loss)."""

    def __init__(self, in_features: int, n_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, n_classes)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(n, in_features)`` -> ``(n, n_classes)`` logits."""
        return self.fc(hidden).float()


class BaselineNetwork(nn.Module):
    """``b_t``: the state-dependent baseline, the expected reward ``Linear(h_t)``, trained by MSE."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, 1)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(n, in_features)`` -> ``(n,)``."""
        return self.fc(hidden).float().squeeze(1)


class RecurrentAttentionModel(nn.Module):
    """The five networks together.

    Args:
        glimpse_shape: ``(k, g, g)``, the env's glimpse shape (``(k * C, g, g)`` for ``C`` channels).
        n_classes: number of classes.
        core: "rnn" (the paper's) or "lstm".
        glimpse_hidden, location_hidden: widths of ``h_g`` and ``h_l``.
        hidden_size: width of ``g_t`` and ``h_t``.
        location_std: the location policy's std (its start, if learned).
        learn_location_std: the location policy's std is a trained parameter.
        full_gradient: the location policy sees ``h_t`` undetached, so that REINFORCE reaches the core
            and glimpse network (``location_mean``).
        learned_start: hold a trained first-glimpse location (``start_mean``).
    """

    def __init__(
        self,
        glimpse_shape: tuple[int, ...],
        n_classes: int,
        *,
        core: str = "rnn",
        glimpse_hidden: int = 128,
        location_hidden: int = 128,
        hidden_size: int = 256,
        location_std: float = 0.1,
        learn_location_std: bool = False,
        full_gradient: bool = False,
        learned_start: bool = False,
    ) -> None:
        super().__init__()
        self.full_gradient = full_gradient
        self.start = nn.Parameter(torch.zeros(2)) if learned_start else None
        self.glimpse = GlimpseNetwork(math.prod(glimpse_shape), glimpse_hidden, location_hidden, hidden_size)
        self.core = CoreNetwork(core, hidden_size, hidden_size)
        self.location = LocationNetwork(hidden_size, location_std, learn_location_std)
        self.action = ActionNetwork(hidden_size, n_classes)
        self.baseline = BaselineNetwork(hidden_size)

    def step(
        self, glimpse: torch.Tensor, location: torch.Tensor, state: CoreState
    ) -> tuple[torch.Tensor, NextCoreState]:
        """Take in one glimpse: ``(n, k, g, g)`` and ``(n, 2)`` -> ``(h_t, state_t)``, ``h_t`` ``(n, hidden)``."""
        return self.core(self.glimpse(glimpse, location), state)

    def start_mean(self, n: int) -> torch.Tensor:
        """The first glimpse's policy mean, ``tanh(start)`` for each of ``n`` episodes, ``(n, 2)``."""
        if self.start is None:
            raise RuntimeError("this model has no learned start (made with learned_start=False)")
        return torch.tanh(self.start).expand(n, 2)

    def location_mean(self, hidden: torch.Tensor) -> torch.Tensor:
        """The location policy's mean from ``h_t``, ``(n, 2)``.

        Unless ``full_gradient``, ``h_t`` is detached: REINFORCE trains the location network only, and the
        core and the glimpse network learn from the classifier's cross-entropy alone. With it, REINFORCE's
        gradient reaches them too, as in the paper's eq. 2 (measured effects: ``docs/results.md``).
        """
        return self.location(hidden if self.full_gradient else hidden.detach())
