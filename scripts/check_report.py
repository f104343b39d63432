#!/usr/bin/env python3
"""Recompute a run's test metrics from predictions/test.csv with scikit-learn and compare them
with metrics.json and report.md (independent check of the report's numbers).

    /usr/bin/python3 scripts/check_report.py runs/quickstart
"""
import csv, json, sys
from sklearn.metrics import roc_auc_score, log_loss

run = sys.argv[1]
rows = list(csv.DictReader(open(f"{run}/predictions/test.csv")))
metrics = json.load(open(f"{run}/metrics.json"))
report = open(f"{run}/report.md").read()
ok = True
for domain in dict.fromkeys(r["domain"] for r in rows):
    y = [int(r["label"]) for r in rows if r["domain"] == domain]
    p = [float(r["score"]) for r in rows if r["domain"] == domain]
    auc, ll = roc_auc_score(y, p), log_loss(y, p)
    m = metrics["test"][domain]
    same = abs(m["auc"] - auc) < 1e-9 and abs(m["logloss"] - ll) < 1e-9 and m["rows"] == len(y)
    in_report = f"| {domain} | {len(y)} | {sum(y)} | {auc:.4f} |" in report and f"{ll:.4f}" in report
    ok &= same and in_report
    print(f"{domain:22s} rows {len(y):5d}  sklearn AUC {auc:.6f} logloss {ll:.6f}  metrics.json {'==' if same else '!='}  report.md {'==' if in_report else '!='}")
sys.exit(0 if ok else 1)
