"""Test AUC of a Uni-CTR run's own domain networks, its general network, and their logit mean
(docs/training.md, finding 12). Needs two score files of the same split from `unictr predict`:

    unictr predict --run RUN --split test --out own.csv
    unictr predict --run RUN --split test --head general --out general.csv
    /usr/bin/python3 scripts/mean_of_heads.py own.csv general.csv "Fashion & Style" "Sports, Recreation & Outdoors" ...

The domains named are the training domains: per-domain AUCs and the pooled AUC over them.
"""
import csv
import sys

import numpy as np
from sklearn.metrics import roc_auc_score


def read(path):
    with open(path, newline='') as f:
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
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    own_ids, domain, label, own = read(sys.argv[1])
    gen_ids, _, _, general = read(sys.argv[2])
    if own_ids != gen_ids:
        sys.exit(f'{sys.argv[1]} and {sys.argv[2]} do not score the same rows in the same order')
    domains = sys.argv[3:]
    pooled = np.isin(domain, domains)
    mean = 1 / (1 + np.exp(-(logit(own) + logit(general)) / 2))
    for name, p in (('own domain network', own), ('general network', general), ('logit mean', mean)):
        per = ' / '.join(f'{roc_auc_score(label[domain == d], p[domain == d]):.4f}' for d in domains)
        print(f'{name}: {per}, pooled {roc_auc_score(label[pooled], p[pooled]):.4f}')


if __name__ == '__main__':
    main()
