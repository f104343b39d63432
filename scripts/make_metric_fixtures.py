#!/usr/bin/python3
"""Reference values for src/train/metrics.ts, computed with scikit-learn 1.2.

Regenerate the committed fixtures (from the repository root) with exactly:

    /usr/bin/python3 scripts/make_metric_fixtures.py --out test/fixtures/metrics

/usr/bin/python3 is Debian's interpreter with python3-sklearn (1.2.x) and numpy; the `python3` on
PATH may lack them. test/train/metrics.test.ts re-runs this script into a temp folder when that
interpreter can import sklearn and fails if the committed fixtures differ (stale fixtures).

Each case file holds the inputs (labels, scores, optional user ids) and the expected values:
  auc       sklearn.metrics.roc_auc_score (None when one class is present: sklearn raises)
  logloss   sklearn.metrics.log_loss(labels=[0, 1]) with its default eps ("auto" = float64 eps)
            (only when every score is a probability)
  gauc      per-user roc_auc_score weighted by user row count, one-class users skipped
  bootstrap percentile interval of roc_auc_score over resamples drawn with a Python re-implementation
            of src/util/rng.ts (xoshiro128** seeded by splitmix32), so the TypeScript bootstrap can be
            checked draw for draw against sklearn's AUC.
Inputs come from numpy's legacy RandomState, whose streams are stable across numpy versions.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import sklearn
from sklearn.metrics import log_loss, roc_auc_score

M32 = 0xFFFFFFFF


class Xoshiro128ss:
    """Same stream as src/util/rng.ts `Rng` (seeded from a number)."""

    def __init__(self, seed):
        a = seed & M32
        s = []
        for _ in range(4):
            a = (a + 0x9E3779B9) & M32
            z = a
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            s.append((z ^ (z >> 16)) & M32)
        self.s = s

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (32 - k))) & M32

    def next_u32(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & M32, 7) * 9) & M32
        t = (s[1] << 9) & M32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 11)
        return result

    def int(self, n):
        return math.floor((self.next_u32() / 4294967296.0) * n)


def bootstrap_ci(y, s, iterations, alpha, seed):
    rng = Xoshiro128ss(seed)
    n = len(y)
    aucs = []
    redrawn = 0
    while len(aucs) < iterations:
        idx = np.array([rng.int(n) for _ in range(n)], dtype=np.int64)
        yb = y[idx]
        if yb.min() == yb.max():
            redrawn += 1
            continue
        aucs.append(roc_auc_score(yb, s[idx]))
    aucs = np.array(aucs)
    lo, hi = np.percentile(aucs, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return [float(lo), float(hi)], redrawn


def group_auc(y, s, users):
    rows_of = {}
    for i, u in enumerate(users):
        rows_of.setdefault(u, []).append(i)
    total = 0.0
    rows = 0
    kept = 0
    skipped = 0
    for idx in rows_of.values():
        yu = y[idx]
        if yu.min() == yu.max():
            skipped += 1
            continue
        total += roc_auc_score(yu, s[idx]) * len(idx)
        rows += len(idx)
        kept += 1
    return (total / rows if rows else None), kept, skipped


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def make_cases():
    cases = []

    def add(name, description, y, s, users=None, bootstrap=None):
        cases.append(dict(name=name, description=description, y=np.asarray(y, dtype=np.int64),
                          s=np.asarray(s, dtype=np.float64), users=users, bootstrap=bootstrap))

    add('ties_n5', 'five rows, one tie across classes',
        [0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.4, 0.8])
    add('all_tied_n10', 'every score equal: AUC 0.5', [0, 1] * 5, [0.5] * 10)
    add('perfect_n8', 'perfect ranking', [0, 0, 0, 0, 1, 1, 1, 1], [0.1, 0.2, 0.2, 0.3, 0.6, 0.7, 0.7, 0.9])
    add('reversed_n8', 'inverted ranking: AUC 0', [1, 1, 1, 1, 0, 0, 0, 0], [0.1, 0.2, 0.2, 0.3, 0.6, 0.7, 0.7, 0.9])
    add('one_class_n20', 'only positives: AUC undefined, logloss defined',
        [1] * 20, np.linspace(0.05, 0.95, 20))

    rs = np.random.RandomState(2012)
    s = rs.randint(0, 10, size=300).astype(np.float64)
    y = (rs.rand(300) < sigmoid((s - 4.5) / 3)).astype(np.int64)
    add('integer_scores_n300', 'integer scores 0..9 (heavy ties; not probabilities)', y, s)

    s = rs.randint(0, 5, size=400) / 4.0
    y = (rs.rand(400) < 0.2 + 0.6 * s).astype(np.int64)
    add('quarter_probs_n400', 'probabilities in {0, .25, .5, .75, 1} (ties and exact 0/1)', y, s)

    x = rs.randn(5000)
    s = np.round(sigmoid(1.3 * x + 0.4), 2)
    y = (rs.rand(5000) < sigmoid(0.8 * x + 0.4)).astype(np.int64)
    add('many_duplicates_n5000', '5000 rows, probabilities rounded to 2 decimals', y, s)

    x = rs.randn(1500)
    s = np.round(sigmoid(x + 3.0), 3)
    y = (rs.rand(1500) < sigmoid(0.7 * x + 3.5)).astype(np.int64)
    add('imbalanced_n1500', 'few negatives (like the shipped test splits), 3-decimal scores', y, s,
        bootstrap=dict(iterations=200, alpha=0.05, seed=2012))

    y = [1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1]
    s = [0.9, 0.8, 0.8, 0.3, 0.7, 0.6, 0.6, 0.8, 0.2, 0.6, 0.95, 0.4]
    add('two_negatives_n12', 'two negatives: many one-class resamples are redrawn', y, s,
        bootstrap=dict(iterations=300, alpha=0.1, seed=7))

    # float32-rounded values as a model would emit, and values that clipping must catch.
    f32 = [float(np.float32(v)) for v in (0.99999994, 1.1920929e-07, 0.5, 0.1, 0.9)]
    s = [0.0, 1.0, 0.0, 1.0, 1e-300, 5e-324, 1e-17, 1 - 1e-16, 0.9999999999999999, 2.220446049250313e-16,
         1e-7, 1 - 1e-7] + f32
    y = [0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1]
    add('extreme_probs_n17', 'logloss clipping: exact 0/1, subnormals, float32 values', y, s)

    n = 2000
    users = rs.randint(0, 150, size=n)
    bias = rs.randn(150)
    x = rs.randn(n)
    s = np.round(sigmoid(x + bias[users]), 2)
    y = (rs.rand(n) < sigmoid(0.9 * x + bias[users])).astype(np.int64)
    add('gauc_users_n2000', '150 users (string ids), some with one class or one row', y, s,
        users=['u%03d' % u for u in users])

    users = [3, 3, 3, 1, 1, 2, 2, 2, 2, 4, 5, 5]
    y = [1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1]
    s = [0.5, 0.5, 0.7, 0.2, 0.3, 0.4, 0.4, 0.1, 0.9, 0.5, 0.6, 0.6]
    add('gauc_small_n12', 'numeric user ids; users 1 and 4 have one class', y, s, users=users)

    return cases


def num(v):
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def expected_for(case):
    y, s = case['y'], case['s']
    two_classes = y.min() != y.max()
    exp = {'auc': num(roc_auc_score(y, s)) if two_classes else None}
    if np.all((s >= 0) & (s <= 1)):
        exp['logloss'] = num(log_loss(y, s, labels=[0, 1]))
    if case['users'] is not None:
        g, kept, skipped = group_auc(y, s, case['users'])
        exp['gauc'] = num(g)
        exp['gauc_users'] = kept
        exp['gauc_skipped_users'] = skipped
    if case['bootstrap'] is not None:
        b = case['bootstrap']
        ci, redrawn = bootstrap_ci(y, s, b['iterations'], b['alpha'], b['seed'])
        exp['bootstrap'] = dict(b, ci=ci, redrawn=redrawn)
    return exp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='folder for the <case>.json files')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for case in make_cases():
        doc = {
            'name': case['name'],
            'description': case['description'],
            'made_with': 'scikit-learn %s, numpy %s, python %s' % (
                sklearn.__version__, np.__version__, sys.version.split()[0]),
            'labels': [int(v) for v in case['y']],
            'scores': [float(v) for v in case['s']],
        }
        if case['users'] is not None:
            doc['user_ids'] = [u if isinstance(u, str) else int(u) for u in case['users']]
        doc['expected'] = expected_for(case)
        path = os.path.join(args.out, case['name'] + '.json')
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(doc, f, separators=(',', ':'))
            f.write('\n')
        os.replace(tmp, path)


if __name__ == '__main__':
    main()
