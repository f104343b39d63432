#!/usr/bin/env python3
"""Uni-CTR head in PyTorch, written from the model definition (docs: /work/shared/docs/uni-ctr-spec.md §3),
for timing against benchmarks/unictr_step.bench.ts on the same shapes.

Frozen backbone states of width d for layers H0..HL are the input (random, like the TypeScript benchmark);
each branch (one per domain plus the general network) is: a ladder of K = L//phi + 1 bottleneck blocks
(block 0 reads H0, block i reads H(i*phi) + the previous block's output; d -> d/4 (Linear, ReLU, Linear),
dropout, 2-head self-attention across the tokens of each sample with padded keys masked, residual +
LayerNorm, d/4 -> d (Linear, ReLU, Linear), dropout, residual + LayerNorm), an attention gate over
ladder output + HL (score_t = q . tanh(W x_t + b), softmax over real tokens) and a tower
[1024, 512, 256] of Linear -> BatchNorm -> ReLU -> Dropout(0.3), then Linear -> 1. Each domain network
runs on its own rows only (rows are grouped by domain); loss = BCE(own logit) + BCE(general logit);
optimiser Adam(1e-3), as in the TypeScript benchmark.

Usage: python3 benchmarks/reference/unictr_torch.py --threads 1 --batch 64 --seq 32 [--reps 3] [--json FILE]
Prints the parameter counts and samples/s (median wall time of --reps steps after one warm-up step).
"""
import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


class BottleneckBlock(nn.Module):
    def __init__(self, d, reduction=4, heads=2, dropout=0.2, eps=1e-5):
        super().__init__()
        w = d // reduction
        self.down = nn.Sequential(nn.Linear(d, w), nn.ReLU(), nn.Linear(w, w))
        self.attn = nn.MultiheadAttention(w, heads, batch_first=True)
        self.attn_norm = nn.LayerNorm(w, eps=eps)
        self.up = nn.Sequential(nn.Linear(w, w), nn.ReLU(), nn.Linear(w, d))
        self.out_norm = nn.LayerNorm(d, eps=eps)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, padding):
        h = self.drop(self.down(x))
        a, _ = self.attn(h, h, h, key_padding_mask=padding, need_weights=False)
        h = self.attn_norm(h + a)
        u = self.drop(self.up(h))
        return self.out_norm(x + u)


class Gate(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.proj = nn.Linear(d, d)
        self.query = nn.Linear(d, 1, bias=False)

    def forward(self, x, padding):
        scores = self.query(torch.tanh(self.proj(x))).squeeze(-1).masked_fill(padding, float('-inf'))
        return torch.einsum('nt,ntd->nd', torch.softmax(scores, dim=1), x)


class Tower(nn.Module):
    def __init__(self, d, hidden=(1024, 512, 256), dropout=0.3):
        super().__init__()
        layers, din = [], d
        for units in hidden:
            layers += [nn.Linear(din, units), nn.BatchNorm1d(units, momentum=0.1, eps=1e-5), nn.ReLU(), nn.Dropout(dropout)]
            din = units
        layers.append(nn.Linear(din, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        return self.mlp(x).squeeze(-1)


class Branch(nn.Module):
    def __init__(self, d, num_layers, frequency=2):
        super().__init__()
        self.reads = list(range(0, num_layers + 1, frequency))
        self.ladder = nn.ModuleList(BottleneckBlock(d) for _ in self.reads)
        self.gate = Gate(d)
        self.tower = Tower(d)

    def forward(self, states, padding):
        # states: dict layer -> [n, t, d]
        prev = None
        for layer, block in zip(self.reads, self.ladder):
            x = states[layer] if prev is None else states[layer] + prev
            prev = block(x, padding)
        hl = states[max(states)]
        return self.tower(self.gate(prev + hl, padding))


class UniCtrHead(nn.Module):
    def __init__(self, d, num_layers, num_domains):
        super().__init__()
        self.general = Branch(d, num_layers)
        self.dsns = nn.ModuleList(Branch(d, num_layers) for _ in range(num_domains))

    def forward(self, states, padding, domain_slices):
        general = self.general(states, padding)
        own = torch.cat([self.dsns[k]({l: s[a:b] for l, s in states.items()}, padding[a:b]) for k, (a, b) in enumerate(domain_slices)])
        return own, general


def param_counts(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    stats = sum(b.numel() for name, b in model.named_buffers() if name.endswith(('running_mean', 'running_var')))
    return trainable, trainable + stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--seq', type=int, default=32)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--json', default=None)
    args = ap.parse_args()
    if args.batch < 3 or args.seq < 1 or args.threads < 1 or args.reps < 1:
        print('error: --batch ≥ 3, --seq ≥ 1, --threads ≥ 1, --reps ≥ 1 expected', file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(args.threads)
    if torch.get_num_threads() != args.threads:
        print(f'error: torch gives {torch.get_num_threads()} threads, {args.threads} requested', file=sys.stderr)
        sys.exit(2)
    torch.manual_seed(1)
    d, num_layers, n, t, domains = 512, 2, args.batch, args.seq, 3
    model = UniCtrHead(d, num_layers, domains)
    trainable, total = param_counts(model)
    print(f'pytorch {torch.__version__} params trainable {trainable} total {total}')

    states = {layer: torch.randn(n, t, d) for layer in (0, num_layers)}
    lengths = [max(1, round(t / 4 + (3 * t / 4) * (i / n))) for i in range(n)]
    padding = torch.arange(t)[None, :] >= torch.tensor(lengths)[:, None]
    # Rows grouped by domain, as the TypeScript trainer orders a batch: domain of row i = floor(3i/n).
    bounds = [next(i for i in range(n + 1) if i == n or (3 * i) // n >= k) for k in range(domains + 1)]
    domain_slices = [(bounds[k], bounds[k + 1]) for k in range(domains)]
    labels = torch.tensor([i % 2 for i in range(n)], dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        model.train()
        opt.zero_grad(set_to_none=True)
        own, general = model(states, padding, domain_slices)
        loss = F.binary_cross_entropy_with_logits(own, labels) + F.binary_cross_entropy_with_logits(general, labels)
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        model.eval()
        with torch.inference_mode():
            own, _ = model(states, padding, domain_slices)
            return own.sum().item()

    def median_seconds(f):
        f()
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    train_s = median_seconds(train_step)
    infer_s = median_seconds(infer)
    out = {
        'side': 'pytorch',
        'version': torch.__version__,
        'params': {'trainable': trainable, 'total': total},
        'threads': torch.get_num_threads(),
        'batch': n,
        'seq': t,
        'train_samples_per_s': n / train_s,
        'infer_samples_per_s': n / infer_s,
    }
    print(f"pytorch threads={out['threads']} n={n} t={t}: train {out['train_samples_per_s']:.1f} samples/s, inference {out['infer_samples_per_s']:.1f} samples/s")
    if args.json:
        with open(args.json + '.tmp', 'w') as fh:
            json.dump(out, fh, indent=2)
        import os
        os.replace(args.json + '.tmp', args.json)


if __name__ == '__main__':
    main()
