"""A small CMA-ES (Hansen's (mu/mu_w, lambda) evolution strategy with rank-one and rank-mu covariance
updates and cumulative step-size adaptation), in numpy: the gradient-free way to fit a style when
only ONNX Runtime is there. The formulas and default constants follow Hansen, "The CMA Evolution
Strategy: A Tutorial" (2016), table 1.

    es = CMAES(x0, sigma=0.5, seed=0)
    for _ in range(generations):
        xs = es.ask()
        es.tell(xs, [loss(x) for x in xs])
    es.best_x, es.best_loss
"""
from __future__ import annotations

import numpy as np


class CMAES:
    def __init__(self, x0, sigma: float, population: int | None = None, seed: int | None = 0):
        self.mean = np.asarray(x0, np.float64).copy()
        n = self.n = len(self.mean)
        self.sigma = float(sigma)
        self.rng = np.random.default_rng(seed)
        self.population = population or 4 + int(3 * np.log(n))
        mu = self.population // 2
        w = np.log((self.population + 1) / 2) - np.log(np.arange(1, mu + 1))
        self.weights = w / w.sum()
        self.mu_eff = 1.0 / np.sum(self.weights ** 2)
        self.c_sigma = (self.mu_eff + 2) / (n + self.mu_eff + 5)
        self.d_sigma = 1 + 2 * max(0.0, np.sqrt((self.mu_eff - 1) / (n + 1)) - 1) + self.c_sigma
        self.c_c = (4 + self.mu_eff / n) / (n + 4 + 2 * self.mu_eff / n)
        self.c_1 = 2 / ((n + 1.3) ** 2 + self.mu_eff)
        self.c_mu = min(1 - self.c_1, 2 * (self.mu_eff - 2 + 1 / self.mu_eff) / ((n + 2) ** 2 + self.mu_eff))
        self.chi_n = np.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n ** 2))
        self.p_sigma = np.zeros(n)
        self.p_c = np.zeros(n)
        self.C = np.eye(n)
        self.generation = 0
        self.best_x, self.best_loss = self.mean.copy(), np.inf
        self._decompose()

    def _decompose(self) -> None:
        self.C = (self.C + self.C.T) / 2
        eigenvalues, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(eigenvalues, 1e-20))

    def ask(self) -> np.ndarray:
        """`population` candidates (rows), drawn from N(mean, sigma^2 C)."""
        z = self.rng.standard_normal((self.population, self.n))
        return self.mean + self.sigma * (z * self.D) @ self.B.T

    def tell(self, xs: np.ndarray, losses) -> None:
        """Update from the candidates `ask` gave and their losses (lower is better)."""
        xs, losses = np.asarray(xs, np.float64), np.asarray(losses, np.float64)
        order = np.argsort(losses)
        if losses[order[0]] < self.best_loss:
            self.best_loss, self.best_x = float(losses[order[0]]), xs[order[0]].copy()
        selected = xs[order[: len(self.weights)]]
        old = self.mean
        self.mean = self.weights @ selected
        y = (self.mean - old) / self.sigma
        c_inv_sqrt = self.B @ np.diag(1 / self.D) @ self.B.T
        self.p_sigma = ((1 - self.c_sigma) * self.p_sigma
                        + np.sqrt(self.c_sigma * (2 - self.c_sigma) * self.mu_eff) * c_inv_sqrt @ y)
        self.generation += 1
        norm = np.linalg.norm(self.p_sigma)
        corrected = norm / np.sqrt(1 - (1 - self.c_sigma) ** (2 * self.generation))
        h_sigma = corrected < (1.4 + 2 / (self.n + 1)) * self.chi_n
        self.p_c = (1 - self.c_c) * self.p_c + h_sigma * np.sqrt(self.c_c * (2 - self.c_c) * self.mu_eff) * y
        steps = (selected - old) / self.sigma
        rank_mu = (steps * self.weights[:, None]).T @ steps
        self.C = ((1 - self.c_1 - self.c_mu) * self.C
                  + self.c_1 * (np.outer(self.p_c, self.p_c) + (not h_sigma) * self.c_c * (2 - self.c_c) * self.C)
                  + self.c_mu * rank_mu)
        self.sigma *= np.exp((self.c_sigma / self.d_sigma) * (norm / self.chi_n - 1))
        self._decompose()
