"""Which head learns from pooled frozen states in a Uni-CTR-sized budget? A PyTorch check, outside
the project's code, of the heads a Uni-CTR domain network ends in, trained on the masked mean of
the last USE-lite layer (`unictr embed`) of the Magazine Subscriptions prompts:

  shared_linear   one logistic regression + domain one-hot (the `pooled_lr` floor)
  domain_linear   one logistic regression per domain
  tower_ln        one MLP tower per domain, [256, 64], LayerNorm + ReLU + dropout 0.1 (the CPU recipe)
  tower_plain     the same tower without LayerNorm
  tower_ln_std    tower_ln on inputs standardised with training statistics
  tower_ln_fast   tower_ln at 4x the learning rate

Budget as in the reproduce grid: a seeded 10,000-row subset of the training rows (per domain in
proportion to size), batch 64 in shuffled order, at most 3 epochs, the epoch with the best pooled
validation AUC kept, AdamW (weight decay 0.01), output bias at the training prior.

    npx tsx scripts/dump-prompts.ts runs/data/magazines /tmp/mag
    for s in train valid test; do
      npx unictr embed --model use-lite --text /tmp/mag-$s.txt --out /tmp/mag-$s.json --format json --max-length 64
    done
    /usr/bin/python3 scripts/probe_heads_torch.py /tmp/mag

Prints, per head, mean ± sd over seeds of the best epoch's valid pooled AUC and the test AUC per
domain and pooled.
"""
import json
import sys

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

DOMAINS = ["Fashion & Style", "Professional & Educational Journals", "Sports, Recreation & Outdoors"]


def load(prefix, split):
    with open(f"{prefix}-{split}.json") as f:
        x = np.array(json.load(f)["embeddings"], dtype=np.float32)
    rows = [line.rstrip("\n").split(",", 1) for line in open(f"{prefix}-{split}.csv")]
    y = np.array([int(r[0]) for r in rows], dtype=np.float32)
    d = np.array([DOMAINS.index(r[1]) if r[1] in DOMAINS else -1 for r in rows])
    keep = d >= 0
    return x[keep], y[keep], d[keep]


class Tower(torch.nn.Module):
    def __init__(self, din, hidden, norm, dropout):
        super().__init__()
        layers = []
        for h in hidden:
            layers += [torch.nn.Linear(din, h)] + ([torch.nn.LayerNorm(h)] if norm else []) + [torch.nn.ReLU(), torch.nn.Dropout(dropout)]
            din = h
        self.body = torch.nn.Sequential(*layers)
        self.out = torch.nn.Linear(din, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


class Head(torch.nn.Module):
    def __init__(self, kind, din, prior):
        super().__init__()
        self.kind = kind
        if kind == "shared_linear":
            self.lin = torch.nn.Linear(din + len(DOMAINS), 1)
            heads = [self.lin]
        elif kind == "domain_linear":
            self.heads = torch.nn.ModuleList(torch.nn.Linear(din, 1) for _ in DOMAINS)
            heads = list(self.heads)
        else:
            norm = kind != "tower_plain"
            self.heads = torch.nn.ModuleList(Tower(din, [256, 64], norm, 0.1) for _ in DOMAINS)
            heads = [h.out for h in self.heads]
        with torch.no_grad():
            for h in heads:
                h.bias.fill_(float(np.log(prior / (1 - prior))))

    def forward(self, x, d):
        if self.kind == "shared_linear":
            return self.lin(torch.cat([x, torch.nn.functional.one_hot(d, len(DOMAINS)).float()], 1)).squeeze(-1)
        out = torch.zeros(x.shape[0])
        for k, h in enumerate(self.heads):
            m = d == k
            if m.any():
                o = h(x[m])
                out = out.index_put((m.nonzero().squeeze(-1),), o.reshape(-1))
        return out


def run(kind, data, seed, rows=10000, epochs=3):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y, d = data["train"]
    # The grid's cap: per domain in proportion to its size, drawn with the seed.
    pick = []
    for k in range(len(DOMAINS)):
        idx = np.flatnonzero(d == k)
        n = round(rows * len(idx) / len(d))
        pick.append(rng.choice(idx, size=min(n, len(idx)), replace=False))
    pick = np.concatenate(pick)
    xs = {s: v[0] for s, v in data.items()}
    if kind.endswith("_std"):
        mu, sd = x[pick].mean(0), x[pick].std(0) + 1e-5
        xs = {s: (v - mu) / sd for s, v in xs.items()}
    lr = {"shared_linear": 3e-3, "domain_linear": 3e-3, "tower_ln_fast": 2e-3}.get(kind, 5e-4)
    model = Head(kind, x.shape[1], float(y[pick].mean()))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    tensors = {s: (torch.tensor(xs[s]), torch.tensor(v[1]), torch.tensor(v[2])) for s, v in data.items()}

    def score(split):
        model.eval()
        with torch.no_grad():
            xx, yy, dd = tensors[split]
            p = model(xx, dd).numpy()
        model.train()
        yy, dd = yy.numpy(), dd.numpy()
        return roc_auc_score(yy, p), [roc_auc_score(yy[dd == k], p[dd == k]) for k in range(len(DOMAINS))]

    best = (-1.0, None)
    xt, yt, dt = tensors["train"]
    for _ in range(epochs):
        order = rng.permutation(pick)
        for b in range(0, len(order), 64):
            i = torch.tensor(order[b : b + 64])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xt[i], dt[i]), yt[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        v, _ = score("valid")
        if v > best[0]:
            best = (v, score("test"))
    return best


def main(prefix):
    torch.set_num_threads(1)
    data = {s: load(prefix, s) for s in ("train", "valid", "test")}
    kinds = sys.argv[2:] or ["shared_linear", "domain_linear", "tower_ln", "tower_plain", "tower_ln_std", "tower_ln_fast"]
    print(f"{'head':<14} valid pooled    test " + " / ".join(DOMAINS) + " / pooled")
    for kind in kinds:
        res = [run(kind, data, seed) for seed in (2012, 2013, 2014)]
        v = np.array([r[0] for r in res])
        t = np.array([r[1][1] + [r[1][0]] for r in res])
        cells = " / ".join(f"{m:.3f}±{s:.3f}" for m, s in zip(t.mean(0), t.std(0, ddof=1)))
        print(f"{kind:<14} {v.mean():.4f}±{v.std(ddof=1):.4f}  {cells}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
