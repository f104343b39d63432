#!/usr/bin/python3
"""Reference forward passes of SAR-Net, DFFM, IntTower and DIEN's auxiliary loss, written in NumPy
from the papers (and the choices recorded in docs/baselines.md), independently of the TypeScript.

Regenerate the committed fixtures (from the repository root) with exactly:

    /usr/bin/python3 test/reference/table3_models.py --out test/fixtures/zoo_table3

/usr/bin/python3 is Debian's interpreter with python3-numpy. Each fixture holds the model options,
the vocabulary, the domains, every weight by its checkpoint name (row-major values and shape), the
input batch and the expected outputs; test/model/zoo/table3_reference.test.ts loads the weights into the
TypeScript model and compares (tolerance 1e-5 relative). Weights and inputs come from numpy's
legacy RandomState, whose streams are stable across numpy versions.

Papers:
  SAR-Net   Shen et al., "SAR-Net: A Scenario-Aware Ranking Network for Personalized Fair
            Recommendation in Hundreds of Travel Scenarios", CIKM 2021.
  DFFM      Guan et al., "DFFM: Domain Facilitated Feature Modeling for CTR Prediction", CIKM 2023.
  IntTower  Li et al., "IntTower: the Next Generation of Two-Tower Model for Pre-Ranking System",
            CIKM 2022.
  DIEN      Zhou et al., "Deep Interest Evolution Network for Click-Through Rate Prediction",
            AAAI 2019 (auxiliary loss, eq. 5).
"""
import argparse
import json
import os

import numpy as np

VOCAB = {"user": 7, "item": 11, "brand": 5, "title": 9, "price_bucket": 6}
D = 4  # embedding width
T = 5  # history slots


class Weights:
    """Named float32 weights drawn from one RandomState."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.w = {}

    def __call__(self, name, *shape, scale=0.5, offset=0.0):
        v = (self.rng.randn(*shape) * scale + offset).astype(np.float32)
        self.w[name] = v
        return v.astype(np.float64)

    def dump(self):
        return {k: {"shape": list(v.shape), "values": [float(x) for x in v.ravel()]} for k, v in self.w.items()}


def embeddings(w):
    return {k: w(f"embedding.{k}", n, D) for k, n in VOCAB.items()}


def batch(seed, n, domains):
    rng = np.random.RandomState(seed)
    b = {
        "user": rng.randint(1, VOCAB["user"], n),
        "item": rng.randint(1, VOCAB["item"], n),
        "brand": rng.randint(1, VOCAB["brand"], n),
        "title": rng.randint(1, VOCAB["title"], n),
        "price_bucket": rng.randint(1, VOCAB["price_bucket"], n),
        "domain": np.arange(n) % max(domains, 1),
        "labels": (rng.rand(n) < 0.5).astype(np.float64),
    }
    hist = np.zeros((n, T), dtype=np.int64)
    for r in range(n):
        k = [T, 2, 0, 1, 3, T][r % 6]  # full, partial, empty and in between, left-aligned
        hist[r, :k] = rng.randint(1, VOCAB["item"], k)
    b["history"] = hist
    b["labels"][:2] = [1, 0]  # both classes present
    return b


def relu(x):
    return np.maximum(x, 0)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def mlp(x, layers, out=True):
    """layers: (kernel, bias) pairs; ReLU after every layer except an output layer."""
    for i, (k, b) in enumerate(layers):
        x = x @ k + b
        if not (out and i == len(layers) - 1):
            x = relu(x)
    return x


def attend(keys, values, query, mask):
    """Scaled dot-product attention of one query over the real steps; zeros when there are none."""
    if mask.sum() == 0:
        return np.zeros(values.shape[1])
    s = keys @ query / np.sqrt(keys.shape[1])
    s = np.where(mask > 0, s, -np.inf)
    a = np.exp(s - s[mask > 0].max())
    a = np.where(mask > 0, a, 0)
    return (a / a.sum()) @ values


def id_fields(E, b, r):
    return [E["user"][b["user"][r]], E["item"][b["item"][r]], E["brand"][b["brand"][r]], E["title"][b["title"][r]], E["price_bucket"][b["price_bucket"][r]]]


def mlp_weights(w, prefix, dims, out=True):
    layers = []
    for i in range(len(dims) - 1):
        layers.append((w(f"{prefix}.{i}.kernel", dims[i], dims[i + 1]), w(f"{prefix}.{i}.bias", dims[i + 1], scale=0.1)))
    return layers


# ---------------------------------------------------------------- SAR-Net
def sarnet_case():
    m, ns, np_, eh, th = 3, 2, 2, [6], [5]
    w = Weights(101)
    E = embeddings(w)
    S = w("scenario_embedding", m, D)
    Wk, Wqs, Wqi = w("attention.key.kernel", D, D), w("attention.scenario_query.kernel", D, D), w("attention.item_query.kernel", D, D)
    width = 8 * D
    gamma = w("transform.gamma", m, width, scale=0.3, offset=1.0)
    beta = w("transform.beta", m, width, scale=0.3)
    shared = [mlp_weights(w, f"shared_expert.{j}", [width] + eh) for j in range(ns)]
    specific = [[mlp_weights(w, f"specific_expert.{k}.{j}", [width] + eh) for j in range(np_)] for k in range(m)]
    Wg, bg = w("gate.kernel", width, np_ + ns), w("gate.bias", np_ + ns, scale=0.1)
    tower = mlp_weights(w, "tower", [eh[-1]] + th + [1])
    b = batch(7, 8, m)

    def logit(r, k):
        beh = E["item"][b["history"][r]]
        mask = (b["history"][r] > 0).astype(float)
        keys = beh @ Wk
        s = S[k]
        f = id_fields(E, b, r)
        by_s = attend(keys, beh, s @ Wqs, mask)
        by_i = attend(keys, beh, f[1] @ Wqi, mask)
        x = np.concatenate(f + [by_s, by_i, s]) * gamma[k] + beta[k]
        experts = [mlp(x, e, out=False) for e in specific[k]] + [mlp(x, e, out=False) for e in shared]
        g = softmax(x @ Wg + bg)
        fused = sum(gj * ej for gj, ej in zip(g, experts))
        return float(mlp(fused, tower)[0])

    n = len(b["user"])
    dom = b["domain"].copy()
    dom[-1] = -1  # a row of no training domain: logit 0
    own = [logit(r, dom[r]) if dom[r] >= 0 else 0.0 for r in range(n)]
    heads = [[logit(r, k) for r in range(n)] for k in range(m)]
    opts = {"embedding_dim": D, "num_shared_experts": ns, "num_specific_experts": np_, "expert_hidden_units": eh, "tower_hidden_units": th, "net_dropout": 0}
    return "sarnet", opts, m, w, b, dom, {"logits": own, "head_logits": heads}


# ---------------------------------------------------------------- DFFM
def dffm_case():
    m, hidden = 2, [7, 5]
    w = Weights(202)
    E = embeddings(w)
    Dm = w("domain_embedding", m, D)
    Wq = w("dfub.query.kernel", 2 * D, D)
    Kb, Kg = w("dfub.key.base", D, D), w("dfub.key.generator", D, D * D, scale=0.3)
    Fb, Fg = w("dffi.base", D, D), w("dffi.generator", D, D * D, scale=0.3)
    layers = mlp_weights(w, "mlp", [6 * D + 15] + hidden + [1])
    b = batch(8, 7, m)

    def logit(r, k):
        delta = Dm[k]
        beh = E["item"][b["history"][r]]
        mask = (b["history"][r] > 0).astype(float)
        Wkey = Kb + (delta @ Kg).reshape(D, D)
        f = id_fields(E, b, r)
        interest = attend(beh @ Wkey, beh, np.concatenate([f[1], delta]) @ Wq, mask)
        fields = f + [interest]
        Wf = Fb + (delta @ Fg).reshape(D, D)
        pairs = [fields[i] @ Wf @ fields[j] for i in range(6) for j in range(i + 1, 6)]
        return float(mlp(np.concatenate(fields + [np.array(pairs)]), layers)[0])

    n = len(b["user"])
    dom = b["domain"].copy()
    dom[-1] = -1
    own = [logit(r, dom[r]) if dom[r] >= 0 else 0.0 for r in range(n)]
    heads = [[logit(r, k) for r in range(n)] for k in range(m)]
    opts = {"embedding_dim": D, "hidden_units": hidden, "net_dropout": 0}
    return "dffm", opts, m, w, b, dom, {"logits": own, "head_logits": heads}


# ---------------------------------------------------------------- IntTower
def inttower_case():
    uh, ih, H, K, tau, cw = [6, 5], [7, 5], 3, 2, 0.2, 0.7
    w = Weights(303)
    E = embeddings(w)
    use_k, use_b = w("user_se.kernel", 2, 2), w("user_se.bias", 2, scale=0.1)
    ise_k, ise_b = w("item_se.kernel", 4, 4), w("item_se.bias", 4, scale=0.1)
    user_layers = []
    dims = [2 * D] + uh
    for l in range(len(uh)):
        user_layers.append((w(f"user_tower.{l}.0.kernel", dims[l], dims[l + 1]), w(f"user_tower.{l}.0.bias", dims[l + 1], scale=0.1)))
    item_tower = mlp_weights(w, "item_tower", [4 * D] + ih)
    fe_user = [w(f"fe.user.{l}.kernel", uh[l], H * K) for l in range(len(uh))]
    fe_item = w("fe.item.kernel", ih[-1], H * K)
    fe_bias = w("fe.bias", 1)
    b = batch(9, 8, 1)

    def light_se(fields, k, bias):
        Ef = np.stack(fields)
        a = softmax(Ef.mean(axis=1) @ k + bias)
        return (Ef * a[:, None]).ravel()

    us, vs, logits = [], [], []
    for r in range(len(b["user"])):
        h = b["history"][r]
        hist = E["item"][h[h > 0]].mean(axis=0) if (h > 0).any() else np.zeros(D)
        u = light_se([E["user"][b["user"][r]], hist], use_k, use_b)
        outs = []
        for k, bias in user_layers:
            u = relu(u @ k + bias)
            outs.append(u)
        f = id_fields(E, b, r)
        v = mlp(light_se(f[1:5], ise_k, ise_b), item_tower, out=False)
        V = (v @ fe_item).reshape(H, K)
        score = float(fe_bias[0])  # scalar bias: the base click rate
        for l, ul in enumerate(outs):
            U = (ul @ fe_user[l]).reshape(H, K)
            score += (U @ V.T).max(axis=1).sum()
        logits.append(float(score))
        us.append(outs[-1])
        vs.append(v)
    U = np.stack([x / np.linalg.norm(x) for x in us])
    Vn = np.stack([x / np.linalg.norm(x) for x in vs])
    sim = U @ Vn.T / tau
    terms = [-(sim[i, i] - np.log(np.exp(sim[i]).sum())) for i in range(len(us)) if b["labels"][i] == 1]
    cir = cw * float(np.mean(terms))
    opts = {"embedding_dim": D, "user_hidden_units": uh, "item_hidden_units": ih, "fe_heads": H, "fe_head_dim": K, "cir_temperature": tau, "cir_weight": cw, "net_dropout": 0}
    return "inttower", opts, 1, w, b, np.zeros(len(b["user"]), dtype=np.int64), {"logits": logits, "aux_loss": cir}


# ---------------------------------------------------------------- DIEN auxiliary loss
def dien_aux_case():
    Hd = D  # inner product of interest state and item embedding: GRU width = embedding width
    w = Weights(404)
    E = embeddings(w)
    Wx, Wh, bias = w("interest_gru.input.kernel", D, 3 * Hd), w("interest_gru.recurrent.kernel", Hd, 3 * Hd), w("interest_gru.bias", 3 * Hd, scale=0.1)
    b = batch(10, 8, 1)
    rng = np.random.RandomState(11)
    n_items = VOCAB["item"] - 1
    pos = b["history"][:, 1:]
    neg = 1 + (pos - 1 + rng.randint(1, n_items, pos.shape)) % n_items  # never the positive

    sig = lambda z: 1 / (1 + np.exp(-z))
    total, pairs = 0.0, 0
    for r in range(len(b["user"])):
        h = np.zeros(Hd)
        states = []
        for t in range(T):
            item = b["history"][r, t]
            if item > 0:  # GRU step (update, reset, candidate); padding keeps the state
                gx, gh = E["item"][item] @ Wx + bias, h @ Wh
                z = sig(gx[:Hd] + gh[:Hd])
                rr = sig(gx[Hd:2 * Hd] + gh[Hd:2 * Hd])
                c = np.tanh(gx[2 * Hd:] + rr * gh[2 * Hd:])
                h = (1 - z) * h + z * c
            states.append(h)
        for t in range(T - 1):
            if b["history"][r, t] > 0 and b["history"][r, t + 1] > 0:
                e_pos, e_neg = E["item"][b["history"][r, t + 1]], E["item"][neg[r, t]]
                total += -np.log(sig(states[t] @ e_pos)) - np.log(1 - sig(states[t] @ e_neg))
                pairs += 1
    # The rest of DIEN is not needed for L_aux; its other weights stay at the model's own init.
    opts = {"embedding_dim": D, "gru_units": Hd, "hidden_units": [3], "net_dropout": 0}
    return "dien", opts, 1, w, b, np.zeros(len(b["user"]), dtype=np.int64), {"aux_loss": total / pairs, "negatives": neg.tolist()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for case in (sarnet_case, dffm_case, inttower_case, dien_aux_case):
        name, opts, m, w, b, dom, expected = case()
        fixture = {
            "generator": "test/reference/table3_models.py (numpy %s)" % np.__version__,
            "model": name,
            "options": opts,
            "vocab": VOCAB,
            "domains": ["d%d" % k for k in range(m)],
            "weights": w.dump(),
            "batch": {
                "user_id": b["user"].tolist(),
                "item_id": b["item"].tolist(),
                "brand_id": b["brand"].tolist(),
                "title_id": b["title"].tolist(),
                "price_bucket": b["price_bucket"].tolist(),
                "history": b["history"].tolist(),
                "domain_index": [int(x) for x in dom],
                "labels": b["labels"].tolist(),
            },
            "expected": expected,
        }
        path = os.path.join(args.out, name + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump(fixture, f, indent=1)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print("wrote", path)


if __name__ == "__main__":
    main()
