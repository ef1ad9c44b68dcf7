"""Partial information decomposition of a label between two inputs (Bertschinger et al. 2014).

How much of what two inputs X1, X2 tell about a label Y is redundant (either input gives it),
unique to one input, or synergistic (only both together give it):

    I(Y; X1, X2) = R + U1 + U2 + S,   I(Y; X1) = R + U1,   I(Y; X2) = R + U2.

The BROJA definition fixes the split: over every joint distribution Q with the same (X1, Y) and
(X2, Y) marginals as the data's P, the unique information U1 = min_Q I_Q(Y; X1 | X2). All four
terms follow from the Q* that minimises I_Q(Y; X1, X2), which is the Q* that maximises the
conditional entropy H_Q(Y | X1, X2): a convex program, solved here with cvxpy as in Liang et al.,
"Quantifying & Modeling Multimodal Interactions" (NeurIPS 2023, https://arxiv.org/abs/2302.12247).
Paper: Bertschinger et al., "Quantifying unique information", https://arxiv.org/abs/1311.2852.
"""

from dataclasses import asdict, dataclass
from typing import Dict

import numpy as np
import scipy.sparse as sparse

from .errors import InputError

SOLVER = "CLARABEL"


@dataclass(frozen=True)
class Decomposition:
    """The four PID terms and the mutual informations they add up to, in bits."""

    redundancy: float
    unique_1: float
    unique_2: float
    synergy: float
    total: float  # I(Y; X1, X2)
    label_entropy: float  # H(Y): the most any input could tell

    def as_dict(self) -> Dict[str, float]:
        return {k: round(v, 5) for k, v in asdict(self).items()}


def mutual_information(joint: np.ndarray) -> float:
    """I(A; B) in bits of a 2-D joint distribution P(a, b)."""
    joint = joint / joint.sum()
    outer = joint.sum(axis=1, keepdims=True) * joint.sum(axis=0, keepdims=True)
    mask = joint > 0
    return float((joint[mask] * np.log2(joint[mask] / outer[mask])).sum())


def entropy(p: np.ndarray) -> float:
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())


def joint_from_samples(x1: np.ndarray, x2: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Empirical P(x1, x2, y) from three aligned arrays of non-negative integer codes."""
    x1, x2, y = (np.asarray(a, dtype=np.int64) for a in (x1, x2, y))
    if not len(x1) == len(x2) == len(y) or len(y) == 0:
        raise InputError("the PID needs the same, non-zero number of x1, x2 and y values")
    counts = np.zeros((x1.max() + 1, x2.max() + 1, y.max() + 1))
    np.add.at(counts, (x1, x2, y), 1.0)
    return counts / counts.sum()


def decompose(joint: np.ndarray) -> Decomposition:
    """The BROJA partial information decomposition of P(x1, x2, y) (a 3-D array of probabilities)."""
    import cvxpy as cp  # imported on first use: it takes a second, and only the profile needs it

    p = np.asarray(joint, dtype=np.float64)
    if p.ndim != 3 or (p < 0).any() or p.sum() <= 0:
        raise InputError("the PID needs a joint distribution P(x1, x2, y): a 3-D array of non-negative numbers")
    p = p / p.sum()
    p1y, p2y = p.sum(axis=1), p.sum(axis=0)
    # Q may only put mass where both fixed marginals do; the other cells are 0 in every Q.
    cells = np.argwhere((p1y[:, None, :] > 0) & (p2y[None, :, :] > 0))
    n = len(cells)
    rows1 = cells[:, 0] * p.shape[2] + cells[:, 2]  # index of (x1, y)
    rows2 = cells[:, 1] * p.shape[2] + cells[:, 2]  # index of (x2, y)
    pair = cells[:, 0] * p.shape[1] + cells[:, 1]  # index of (x1, x2)
    ones = np.ones(n)
    to1 = sparse.csr_matrix((ones, (rows1, np.arange(n))), shape=(p1y.size, n))
    to2 = sparse.csr_matrix((ones, (rows2, np.arange(n))), shape=(p2y.size, n))
    to_pair = sparse.csr_matrix((ones, (pair, np.arange(n))), shape=(p.shape[0] * p.shape[1], n))
    q = cp.Variable(n, nonneg=True)
    q_pair = to_pair.T @ (to_pair @ q)  # Q(x1, x2) beside each cell
    # sum Q log(Q / Q(x1, x2)) = -H_Q(Y | X1, X2): minimising it maximises the conditional entropy.
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.rel_entr(q, q_pair))),
        [to1 @ q == p1y.ravel(), to2 @ q == p2y.ravel()],
    )
    problem.solve(solver=SOLVER)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or q.value is None:
        raise RuntimeError(f"the PID optimisation did not converge ({problem.status})")
    optimum = np.zeros_like(p)
    optimum[cells[:, 0], cells[:, 1], cells[:, 2]] = np.clip(q.value, 0.0, None)
    optimum /= optimum.sum()

    def both(d: np.ndarray) -> float:  # I(Y; X1, X2)
        return mutual_information(d.reshape(-1, d.shape[2]))

    i1, i2, i_p, i_q = mutual_information(p1y), mutual_information(p2y), both(p), both(optimum)
    # Tiny negative values are solver tolerance, not information.
    clean = lambda v: max(0.0, v)  # noqa: E731
    return Decomposition(
        redundancy=clean(i1 + i2 - i_q),
        unique_1=clean(i_q - i2),
        unique_2=clean(i_q - i1),
        synergy=clean(i_p - i_q),
        total=i_p,
        label_entropy=entropy(p.sum(axis=(0, 1))),
    )
