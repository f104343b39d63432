#!/usr/bin/python3
"""Reference forward passes of the domain-conditioned baselines, written from their papers with
NumPy (float64), one sample at a time.

Regenerate the committed fixtures (from the repository root) with exactly:

    /usr/bin/python3 test/reference/zoo_models.py --out test/fixtures/zoo

test/model/zoo/reference.test.ts loads each fixture's weights into the TypeScript model (by
checkpoint name), runs the forward pass on the fixture's batch and compares the logits; it also
re-runs this script into a temp folder when /usr/bin/python3 can import numpy and fails when the
committed fixtures are stale.

Each fixture holds: the registry name and options, the vocabulary, a 7-row batch (domains 0, 1, 2
and one row of an unknown domain, -1), every weight by checkpoint name (values rounded to float32
so that both sides start from the same numbers), and the expected logits: `own` (each row scored
as its own domain, 0 for domain -1) and `heads[k]` (every row scored as domain k).

Only the weight names and the memory layout of generated matrices (row-major [in, out]) are shared
with the TypeScript; the computations are written out here from the papers:
  PEPNet   Chang et al., KDD 2023: Gate NU δ = γ·sigmoid(relu(x W1 + b1) W2 + b2); EPNet
           O_ep = δ(e_d ⊕ sg(E)) ⊗ E; PPNet gates every DNN layer input with δ_l(e_d ⊕ e_user ⊕
           e_item ⊕ e_brand ⊕ sg(O_ep)).
  M2M      Zhang et al., WSDM 2022: scenario representation S = relu(e_d Ws + bs); meta layer with
           W(S) = W0 + reshape(S A), b(S) = b0 + S B; experts on E ⊕ e_d; meta attention over
           expert views with the task embedding; residual meta tower.
  APG      Yan et al., NeurIPS 2022: per-sample kernel W_i = V S_i U, S_i = I + reshape(MLP(z_i)),
           z_i = e_d ⊕ E (built as a full matrix here, the model never builds it); with
           over-parameterisation (case apg_overparam) V = V_l V_r and U = U_l U_r, inner width P.
  AdaSparse Yang et al., CIKM 2022: h_l = relu(h W_l + b_l) ⊙ π_l, π_l = form((e_d ⊕ h) P_l + p_l);
           flexible sparsity regulariser over the rows of known domains (training forward),
           R = Σ_l λ_l · mean(|π_l|), λ_l = λ̂ · (2^(α (r − r_l)) − 1), r_l = share of zero factors
           in layer l; the fixture also holds R (`sparsity_loss`, absent for the scaling form,
           which never prunes) and the share of zero factors over all layers (`pruned_fraction`).
"""
import argparse
import json
import os
import sys

import numpy as np

VOCAB = {'user': 7, 'item': 9, 'brand': 4, 'title': 9, 'price_bucket': 5}
DOMAINS = 3
D = 3  # embedding_dim
FIELDS = 6


def relu(x):
    return np.maximum(x, 0.0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


def make_batch(rs):
    n = 7
    batch = {
        'domain_index': [0, 1, 2, 0, 1, 2, -1],
        'user_id': rs.randint(1, VOCAB['user'], size=n).tolist(),
        'item_id': rs.randint(1, VOCAB['item'], size=n).tolist(),
        'brand_id': rs.randint(1, VOCAB['brand'], size=n).tolist(),
        'title_id': rs.randint(0, VOCAB['title'], size=n).tolist(),
        'price_bucket': rs.randint(1, VOCAB['price_bucket'], size=n).tolist(),
    }
    hist = rs.randint(0, VOCAB['item'], size=(n, 5))
    hist[2, :] = 0  # an empty history: its field is the zero vector
    batch['history'] = hist.tolist()
    return batch


class Weights:
    """Named float32-rounded random weights; records every name so the fixture lists them all."""

    def __init__(self, rs, scale=0.5):
        self.rs = rs
        self.scale = scale
        self.values = {}

    def __call__(self, name, *shape, scale=None):
        v = self.rs.randn(*shape) * (self.scale if scale is None else scale)
        v = v.astype(np.float32).astype(np.float64)
        self.values[name] = v
        return v


def embeddings(w):
    return {t: w('embedding.' + t, VOCAB[t], D) for t in VOCAB}


def field_vectors(tables, batch, r):
    """The six field embeddings of row r: user, item, brand, title, price bucket, history mean."""
    hist = [i for i in batch['history'][r] if i != 0]
    h = np.mean([tables['item'][i] for i in hist], axis=0) if hist else np.zeros(D)
    return [tables['user'][batch['user_id'][r]], tables['item'][batch['item_id'][r]],
            tables['brand'][batch['brand_id'][r]], tables['title'][batch['title_id'][r]],
            tables['price_bucket'][batch['price_bucket'][r]], h]


def mlp_weights(w, prefix, dims):
    return [(w('%s.%d.kernel' % (prefix, i), dims[i], dims[i + 1]), w('%s.%d.bias' % (prefix, i), dims[i + 1]))
            for i in range(len(dims) - 1)]


def mlp(layers, x, relu_last):
    for i, (k, b) in enumerate(layers):
        x = x @ k + b
        if relu_last or i + 1 < len(layers):
            x = relu(x)
    return x


# ---------------------------------------------------------------- PEPNet

def pepnet(rs, options):
    w = Weights(rs)
    tables = embeddings(w)
    dom = w('domain_embedding', DOMAINS, D)
    flat = FIELDS * D
    gh, gamma = options['gate_hidden_units'], options['gate_scale']
    dims = [flat] + options['hidden_units'] + [1]
    ep = mlp_weights(w, 'epnet', [D + flat, gh, flat]) if options['epnet'] else None
    pp = [mlp_weights(w, 'ppnet.%d' % l, [4 * D + flat, gh, dims[l]]) for l in range(len(dims) - 1)] if options['ppnet'] else None
    dnn = [(w('mlp.%d.kernel' % l, dims[l], dims[l + 1]), w('mlp.%d.bias' % l, dims[l + 1])) for l in range(len(dims) - 1)]

    def gate(g, x):
        return gamma * sigmoid(relu(x @ g[0][0] + g[0][1]) @ g[1][0] + g[1][1])

    def score(fields, k):
        e = np.concatenate(fields)
        ed = dom[k]
        o = gate(ep, np.concatenate([ed, e])) * e if ep else e
        prior = np.concatenate([ed, fields[0], fields[1], fields[2], o])
        h = o
        for l, (kern, bias) in enumerate(dnn):
            if pp:
                h = gate(pp[l], prior) * h
            h = h @ kern + bias
            if l + 1 < len(dnn):
                h = relu(h)
        return float(h[0])

    return w, tables, score


# ---------------------------------------------------------------- M2M

def m2m(rs, options):
    w = Weights(rs)
    tables = embeddings(w)
    dom = w('domain_embedding', DOMAINS, D)
    s_dim = options['scenario_dim']
    ws, bs = w('scenario.kernel', D, s_dim), w('scenario.bias', s_dim)
    widths = options['expert_hidden_units']
    experts = [mlp_weights(w, 'expert.%d' % i, [FIELDS * D + D] + widths) for i in range(options['num_experts'])]
    v = widths[-1]
    task = w('task_embedding', 1, v)[0]

    def meta_weights(prefix, n_in, n_out):
        return dict(w0=w(prefix + '.base_kernel', n_in, n_out), b0=w(prefix + '.base_bias', n_out),
                    a=w(prefix + '.kernel_generator', s_dim, n_in * n_out, scale=0.3),
                    b=w(prefix + '.bias_generator', s_dim, n_out), n_in=n_in, n_out=n_out)

    att = meta_weights('attention.meta', 2 * v, v)
    att_score = w('attention.score.kernel', v, 1)
    tower = [meta_weights('tower.%d' % l, v, v) for l in range(options['meta_tower_layers'])]
    out_k, out_b = w('output.kernel', v, 1), w('output.bias', 1)

    def meta(p, x, s):
        kernel = p['w0'] + (s @ p['a']).reshape(p['n_in'], p['n_out'])
        return x @ kernel + p['b0'] + s @ p['b']

    def score(fields, k):
        e = np.concatenate(fields)
        s = relu(dom[k] @ ws + bs)
        views = [mlp(ex, np.concatenate([e, dom[k]]), relu_last=True) for ex in experts]
        a = softmax(np.array([float(relu(meta(att, np.concatenate([ev, task]), s)) @ att_score) for ev in views]))
        h = sum(ai * ev for ai, ev in zip(a, views))
        for p in tower:
            h = relu(meta(p, h, s) + h)
        return float((h @ out_k + out_b)[0])

    return w, tables, score


# ---------------------------------------------------------------- APG

def apg(rs, options):
    w = Weights(rs)
    tables = embeddings(w)
    dom = w('domain_embedding', DOMAINS, D)
    K = options['rank']
    P = options.get('overparam_dim', 0)
    dims = [FIELDS * D] + options['hidden_units']

    def shared(name, rows, cols):
        # Over-parameterised: the matrix is the product of two wider factors, merged before use.
        if P == 0:
            return w(name, rows, cols)
        return w(name + '_left', rows, P) @ w(name + '_right', P, cols)

    layers = []
    for l in range(len(dims) - 1):
        layers.append(dict(v=shared('apg.%d.v' % l, dims[l], K), u=shared('apg.%d.u' % l, K, dims[l + 1]), bias=w('apg.%d.bias' % l, dims[l + 1]),
                           gen=mlp_weights(w, 'apg.%d.generator' % l, [D + FIELDS * D] + options['generator_hidden_units'] + [K * K])))
    out_k, out_b = w('output.kernel', dims[-1], 1), w('output.bias', 1)

    def score(fields, k):
        e = np.concatenate(fields)
        cond = np.concatenate([dom[k], e])
        h = e
        for p in layers:
            s = np.eye(K) + mlp(p['gen'], cond, relu_last=False).reshape(K, K)
            kernel = p['v'] @ s @ p['u']  # this sample's own [in, out] kernel
            h = relu(h @ kernel + p['bias'])
        return float((h @ out_k + out_b)[0])

    return w, tables, score


# ---------------------------------------------------------------- AdaSparse

def adasparse(rs, options):
    w = Weights(rs)
    tables = embeddings(w)
    dom = w('domain_embedding', DOMAINS, D)
    dims = [FIELDS * D] + options['hidden_units']
    layers = [dict(w=w('mlp.%d.kernel' % l, dims[l], dims[l + 1]), b=w('mlp.%d.bias' % l, dims[l + 1]),
                   pw=w('pruner.%d.kernel' % l, D + dims[l], dims[l + 1]), pb=w('pruner.%d.bias' % l, dims[l + 1]))
              for l in range(len(dims) - 1)]
    n = len(dims) - 1
    out_k, out_b = w('mlp.%d.kernel' % n, dims[-1], 1), w('mlp.%d.bias' % n, 1)
    form, beta, eps = options['form'], options['beta'], options['epsilon']
    margins = []
    lam, target, alpha = options['sparsity_weight'], options['sparsity_target'], options['sparsity_alpha']

    def factors(z):
        if form == 'scaling':
            return beta * sigmoid(z)
        if form == 'binarization':
            margins.extend(np.abs(z))
            return (z > 0).astype(np.float64)
        soft = beta * sigmoid(z)
        margins.extend(np.abs(soft - eps))
        return np.where(soft >= eps, soft, 0.0)

    def forward(fields, k):
        h = np.concatenate(fields)
        pis = []
        for p in layers:
            pi = factors(np.concatenate([dom[k], h]) @ p['pw'] + p['pb'])
            pis.append(pi)
            h = relu(h @ p['w'] + p['b']) * pi
        return float((h @ out_k + out_b)[0]), pis

    def score(fields, k):
        return forward(fields, k)[0]

    def train_terms(fields, domain_index):
        # Rows of an unknown domain (-1) take no part; every layer's factors over the known rows.
        per_row = [forward(f, k)[1] for f, k in zip(fields, domain_index) if k >= 0]
        by_layer = [np.stack([row[l] for row in per_row]) for l in range(len(layers))]
        zeros = sum(int(np.sum(pi == 0.0)) for pi in by_layer)
        out = {'pruned_fraction': zeros / sum(pi.size for pi in by_layer)}
        if form != 'scaling' and lam > 0:
            reg = 0.0
            for pi in by_layer:
                r_l = np.mean(pi == 0.0)
                reg += lam * (2.0 ** (alpha * (target - r_l)) - 1.0) * np.mean(np.abs(pi))
            out['sparsity_loss'] = reg
        return out

    score.margins = margins
    score.train_terms = train_terms
    return w, tables, score


CASES = [
    ('pepnet', 'pepnet', dict(hidden_units=[5, 4], gate_hidden_units=6, gate_scale=2, epnet=True, ppnet=True), pepnet),
    ('pepnet_epnet_only', 'pepnet', dict(hidden_units=[5, 4], gate_hidden_units=6, gate_scale=2, epnet=True, ppnet=False), pepnet),
    ('pepnet_ppnet_only', 'pepnet', dict(hidden_units=[5, 4], gate_hidden_units=6, gate_scale=1.5, epnet=False, ppnet=True), pepnet),
    ('m2m', 'm2m', dict(num_experts=2, expert_hidden_units=[5, 4], scenario_dim=3, meta_tower_layers=2), m2m),
    ('apg', 'apg', dict(hidden_units=[5, 4], rank=2, generator_hidden_units=[3]), apg),
    ('adasparse_scaling', 'adasparse', dict(hidden_units=[5, 4], form='scaling', beta=2, epsilon=0.25,
                                            sparsity_weight=0.3, sparsity_target=0.4, sparsity_alpha=2), adasparse),
    ('adasparse_binarization', 'adasparse', dict(hidden_units=[5, 4], form='binarization', beta=2, epsilon=0.25,
                                                 sparsity_weight=0.3, sparsity_target=0.6, sparsity_alpha=2), adasparse),
    ('adasparse_fusion', 'adasparse', dict(hidden_units=[5, 4], form='fusion', beta=2, epsilon=0.9,
                                           sparsity_weight=0.3, sparsity_target=0.1, sparsity_alpha=1.5), adasparse),
    # Appended, so that the cases above keep their seeds.
    ('apg_overparam', 'apg', dict(hidden_units=[5, 4], rank=2, generator_hidden_units=[3], overparam_dim=3), apg),
]


def run_case(case_name, model, options, build, seed):
    rs = np.random.RandomState(seed)
    batch = make_batch(rs)
    w, tables, score = build(rs, options)
    rows = range(len(batch['domain_index']))
    fields = [field_vectors(tables, batch, r) for r in rows]
    heads = [[score(fields[r], k) for r in rows] for k in range(DOMAINS)]
    own = [heads[k][r] if k >= 0 else 0.0 for r, k in enumerate(batch['domain_index'])]
    train_terms = score.train_terms(fields, batch['domain_index']) if hasattr(score, 'train_terms') else {}
    margins = getattr(score, 'margins', [])
    # A hard threshold this close to a value could flip between float32 and float64.
    if margins and min(margins) < 1e-3:
        raise SystemExit('%s: a pruning factor lies within 1e-3 of its threshold; pick another seed' % case_name)
    return {
        'name': case_name,
        'model': model,
        'made_with': 'numpy %s, python %s' % (np.__version__, sys.version.split()[0]),
        'options': dict(options, embedding_dim=D, net_dropout=0, batch_norm=False),
        'vocab': VOCAB,
        'domains': DOMAINS,
        'batch': batch,
        'weights': {k: {'shape': list(v.shape), 'values': [float(x) for x in v.ravel()]} for k, v in w.values.items()},
        'expected': dict({'own': own, 'heads': heads}, **train_terms),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='folder for the <case>.json files')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for i, (case_name, model, options, build) in enumerate(CASES):
        doc = run_case(case_name, model, options, build, seed=2012 + i)
        path = os.path.join(args.out, case_name + '.json')
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(doc, f, separators=(',', ':'))
            f.write('\n')
        os.replace(tmp, path)


if __name__ == '__main__':
    main()
