#!/usr/bin/env python3
"""Independent reference for src/eval/significance.ts (NumPy + SciPy, no shared code).

DeLong's test is computed from the full m x n matrix of pairwise comparisons psi(X_i, Y_j)
(1 if the positive scores higher, 1/2 on ties) -- the textbook definition, not the midrank
shortcut the TypeScript code uses; p-values from scipy.stats.norm; the paired t-test is
scipy.stats.ttest_rel.

  python3 scripts/significance_reference.py fixtures OUT.json
      writes the fixture test/fixtures/significance/reference.json
  python3 scripts/significance_reference.py delong A.csv B.csv
      DeLong of two runs' predictions/test.csv (rows paired by domain and row_id), as JSON
"""
import csv
import json
import sys

import numpy as np
from scipy import stats


def delong(labels, s1, s2):
    labels = np.asarray(labels)
    out = {}
    v10s, v01s, aucs = [], [], []
    for s in (np.asarray(s1, float), np.asarray(s2, float)):
        pos, neg = s[labels == 1], s[labels == 0]
        psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
        v10s.append(psi.mean(axis=1))
        v01s.append(psi.mean(axis=0))
        aucs.append(psi.mean())
    m, n = len(v10s[0]), len(v01s[0])
    s10 = np.cov(np.vstack(v10s))
    s01 = np.cov(np.vstack(v01s))
    cov = s10 / m + s01 / n
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    diff = aucs[0] - aucs[1]
    se = float(np.sqrt(var))
    z = diff / se
    out.update(auc1=aucs[0], auc2=aucs[1], diff=diff, se=se, z=z, p=float(2 * stats.norm.sf(abs(z))))
    return {k: float(v) for k, v in out.items()}


def fixtures(path):
    rng = np.random.default_rng(20260412)
    cases = []

    def add(name, labels, s1, s2):
        cases.append({"name": name, "labels": [int(x) for x in labels], "scores1": [float(x) for x in s1],
                      "scores2": [float(x) for x in s2], "expected": delong(labels, s1, s2)})

    y = rng.integers(0, 2, 400)
    signal = y + rng.normal(0, 1.2, 400)
    add("continuous_n400", y, 1 / (1 + np.exp(-signal)), 1 / (1 + np.exp(-(signal + rng.normal(0, 1.0, 400)))))
    y = (rng.random(1500) < 0.12).astype(int)
    base = y * 0.6 + rng.normal(0, 1, 1500)
    add("imbalanced_n1500", y, base, base * 0.5 + rng.normal(0, 0.8, 1500))
    y = rng.integers(0, 2, 300)
    add("ties_integer_scores_n300", y, np.clip(np.round(y * 1.5 + rng.normal(0, 1.5, 300)), -2, 3),
        np.clip(np.round(y + rng.normal(0, 1.5, 300)), -2, 3))
    add("small_n9", [1, 0, 1, 1, 0, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3, 0.1],
        [0.2, 0.8, 0.9, 0.4, 0.3, 0.6, 0.7, 0.1, 0.5])

    ttests = []
    for name, a, b in [
        ("three_seeds", [0.712, 0.705, 0.721], [0.698, 0.701, 0.703]),
        ("five_seeds_mixed", [0.61, 0.64, 0.59, 0.66, 0.62], [0.63, 0.60, 0.61, 0.62, 0.60]),
        ("two_seeds", [0.8, 0.75], [0.7, 0.71]),
    ]:
        r = stats.ttest_rel(a, b)
        ttests.append({"name": name, "a": a, "b": b, "t": float(r.statistic), "p": float(r.pvalue)})

    with open(path, "w") as f:
        json.dump({"generator": "scripts/significance_reference.py fixtures", "numpy": np.__version__,
                   "scipy": __import__("scipy").__version__, "delong": cases, "ttest_rel": ttests}, f, indent=1)
        f.write("\n")


def read_predictions(path):
    with open(path) as f:
        return {(r["domain"], int(r["row_id"])): (int(r["label"]), float(r["score"])) for r in csv.DictReader(f)}


def delong_files(a, b):
    pa, pb = read_predictions(a), read_predictions(b)
    if set(pa) != set(pb):
        sys.exit("the two prediction files do not hold the same rows")
    keys = sorted(pa)
    labels = [pa[k][0] for k in keys]
    print(json.dumps(delong(labels, [pa[k][1] for k in keys], [pb[k][1] for k in keys])))


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif sys.argv[1] == "delong":
        delong_files(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
