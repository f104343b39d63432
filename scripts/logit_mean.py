"""Test AUC of score files of the same rows and of their logit mean: a run's domain networks and its
general network (docs/training.md, finding 12), runs of different prompt templates (finding 19), or
Uni-CTR and the floor (finding 25); and the Spearman rank correlation of each file with the first.
Each file is `domain,label,score,row_id` (a run's predictions/test.csv, or `unictr predict`'s output):

    unictr predict --run RUN --split test --out own.csv
    unictr predict --run RUN --split test --head general --out general.csv
    /usr/bin/python3 scripts/logit_mean.py own.csv general.csv -- "Fashion & Style" "Sports, Recreation & Outdoors" ...

The domains after `--` are the training domains: per-domain AUCs and the pooled AUC over them.
"""
import csv
import sys

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score


def read(path):
    try:
        f = open(path, newline='')
    except OSError as e:
        sys.exit(f'{path}: {e.strerror}')
    with f:
        rows = list(csv.DictReader(f))
    return (
        [r['row_id'] for r in rows],
        np.array([r['domain'] for r in rows]),
        np.array([int(r['label']) for r in rows]),
        np.array([float(r['score']) for r in rows]),
    )


def logit(p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def main():
    args = sys.argv[1:]
    if '--' not in args or args.index('--') < 2 or args.index('--') == len(args) - 1:
        sys.exit(__doc__)
    files, domains = args[: args.index('--')], args[args.index('--') + 1 :]
    ids, domain, label, first = read(files[0])
    scores = [first]
    for f in files[1:]:
        other_ids, _, _, s = read(f)
        if other_ids != ids:
            sys.exit(f'{files[0]} and {f} do not score the same rows in the same order')
        scores.append(s)
    for d in domains:
        if not np.any(domain == d):
            sys.exit(f'{files[0]}: no rows of domain "{d}" (it holds: {", ".join(sorted(set(domain)))})')
    pooled = np.isin(domain, domains)
    mean = 1 / (1 + np.exp(-np.mean([logit(s) for s in scores], axis=0)))
    for name, p in [*zip(files, scores), ('logit mean', mean)]:
        per = ' / '.join(f'{roc_auc_score(label[domain == d], p[domain == d]):.4f}' for d in domains)
        print(f'{name}: {per}, pooled {roc_auc_score(label[pooled], p[pooled]):.4f}')
    # Models that rank the rows alike cannot gain much from their average.
    for name, p in zip(files[1:], scores[1:]):
        per = ' / '.join(f'{spearmanr(first[domain == d], p[domain == d])[0]:.3f}' for d in domains)
        print(f'rank correlation of {name} with {files[0]}: {per}, pooled {spearmanr(first[pooled], p[pooled])[0]:.3f}')


if __name__ == '__main__':
    main()
