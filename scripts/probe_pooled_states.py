"""Linear probes on pooled frozen-backbone vectors: how much a logistic regression finds in them,
shared across the training domains (with a domain one-hot) and one model per domain, with and
without per-feature standardisation, over a grid of L2 strengths (scikit-learn, L-BFGS).

    npx tsx scripts/dump-prompts.ts runs/data/magazines /tmp/mag
    for s in train valid test; do
      npx unictr embed --model use-lite --text /tmp/mag-$s.txt --out /tmp/mag-$s.json --format json --max-length 64
    done
    /usr/bin/python3 scripts/probe_pooled_states.py /tmp/mag "Fashion & Style" \\
        "Professional & Educational Journals" "Sports, Recreation & Outdoors"

Prints valid and test AUC per domain (and pooled for the shared model) for every setting.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def load(prefix, split):
    with open(f"{prefix}-{split}.json") as f:
        x = np.array(json.load(f)["embeddings"], dtype=np.float64)
    rows = [line.rstrip("\n").split(",", 1) for line in open(f"{prefix}-{split}.csv")]
    return x, np.array([int(r[0]) for r in rows]), np.array([r[1] for r in rows])


def main(prefix, domains):
    data = {s: load(prefix, s) for s in ("train", "valid", "test")}
    keep = {s: np.isin(d[2], domains) for s, d in data.items()}
    x, y, d = (v[keep["train"]] for v in data["train"])
    scaler = StandardScaler().fit(x)

    def onehot(dom):
        return np.stack([(dom == name).astype(float) for name in domains], 1)

    def split(s, std):
        xs, ys, ds = (v[keep[s]] for v in data[s])
        return (scaler.transform(xs) if std else xs), ys, ds

    for std in (False, True):
        for c in (0.001, 0.01, 0.1, 1.0):
            m = LogisticRegression(C=c, max_iter=3000).fit(np.hstack([split("train", std)[0], onehot(d)]), y)
            out = []
            for s in ("valid", "test"):
                xs, ys, ds = split(s, std)
                p = m.predict_proba(np.hstack([xs, onehot(ds)]))[:, 1]
                per = [roc_auc_score(ys[ds == n], p[ds == n]) for n in domains]
                out.append(f"{s} pooled {roc_auc_score(ys, p):.4f} per domain {' '.join(f'{a:.3f}' for a in per)}")
            print(f"shared     standardise={int(std)} C={c:<6} " + " | ".join(out))
    for std in (False, True):
        for c in (0.001, 0.01, 0.1, 1.0):
            out = {"valid": [], "test": []}
            for n in domains:
                xt, yt, dt = split("train", std)
                m = LogisticRegression(C=c, max_iter=3000).fit(xt[dt == n], yt[dt == n])
                for s in ("valid", "test"):
                    xs, ys, ds = split(s, std)
                    out[s].append(roc_auc_score(ys[ds == n], m.predict_proba(xs[ds == n])[:, 1]))
            print(f"per-domain standardise={int(std)} C={c:<6} " + " | ".join(f"{s} per domain {' '.join(f'{a:.3f}' for a in v)}" for s, v in out.items()))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: probe_pooled_states.py PREFIX DOMAIN [DOMAIN ...]")
    main(sys.argv[1], sys.argv[2:])
