"""Independent reference for test/data/real_data.test.ts.

Re-implements the preprocessing of docs/data.md (exact duplicates removed, history strictly earlier) for the four shipped Amazon domains with the
Python standard library only (gzip, json, csv), sharing no code with the TypeScript pipeline,
and prints per-domain split counts and every row's prompt / ids as JSON.

Usage: /usr/bin/python3 independent_amazon.py <shared/data/amazon folder>
"""
import bisect
import csv
import gzip
import json
import math
import re
import sys

root = sys.argv[1].rstrip('/')
DOMAINS = ['Amazon Fashion', 'Musical Instruments', 'Gift Cards', 'All Beauty']
DOLLAR = re.compile(r'^\$([0-9]+(\.[0-9]+)?|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?)$')
PLAIN = re.compile(r'^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$')
BLANK = re.compile(r'^[ \t\n\r\f]*$')


def json_lines(path):
    with gzip.open(path, 'rt', encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def csv_rows(path):
    with gzip.open(path, 'rt', encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f))


def blank(v):
    return v is None or BLANK.match(v) is not None


reviews = []  # (domain, ord, user, item, rating, time)
for d, path in [(0, 'AMAZON_FASHION/AMAZON_FASHION_5.json.gz'), (2, 'Gift_Cards/Gift_Cards_5.json.gz'), (3, 'All_Beauty/All_Beauty_5.json.gz')]:
    for k, r in enumerate(json_lines(f'{root}/{path}')):
        reviews.append((d, k, r['reviewerID'], r['asin'], float(r['overall']), int(r['unixReviewTime'])))
for k, r in enumerate(csv_rows(f'{root}/Musical_Instruments/Musical_instruments_reviews.csv.gz')):
    reviews.append((1, k, r['reviewerID'], r['asin'], float(r['overall']), int(float(r['unixReviewTime']))))

meta = {}  # (domain, asin) -> (title, brand, price text)
for r in json_lines(f'{root}/Gift_Cards/meta_Gift_Cards.json.gz'):
    p = r.get('price')
    if isinstance(p, (int, float)) and not isinstance(p, bool):
        ptxt = json.dumps(p)
    elif isinstance(p, str) and DOLLAR.match(p.strip()):
        ptxt = p.strip().replace('$', '').replace(',', '')
    else:
        ptxt = None
    meta.setdefault((2, r['asin']), (r.get('title'), r.get('brand'), ptxt))
for r in csv_rows(f'{root}/Musical_Instruments/Music_Instruments_meta_5.csv.gz'):
    p = (r['price'] or '').strip()
    ptxt = p if PLAIN.match(p) else (p.replace('$', '').replace(',', '') if DOLLAR.match(p) else None)
    meta.setdefault((1, r['Product ID']), (r['Description'], None, ptxt))

# Exact duplicates (same domain, user, item, rating, time): the first in file order stays.
seen = set()
duplicates = [0] * len(DOMAINS)
unique = []
for rv in reviews:
    key = (rv[0], rv[2], rv[3], rv[4], rv[5])
    if key in seen:
        duplicates[rv[0]] += 1
    else:
        seen.add(key)
        unique.append(rv)
reviews = unique

rows = []
for (d, k, u, i, rating, t) in reviews:
    if rating == 3:
        continue  # default: 3-star rows dropped
    title, brand, ptxt = meta.get((d, i), (None, None, None))  # left join
    rows.append(dict(d=d, k=k, u=u, i=i, rating=rating, t=t, label=1 if rating > 3 else 0,
                     title='unknown' if blank(title) else title, brand='unknown' if blank(brand) else brand, ptxt=ptxt))

priced = [float(r['ptxt']) for r in rows if r['ptxt'] is not None]
mean = sum(priced) / len(priced)
for r in rows:
    r['price'] = float(r['ptxt']) if r['ptxt'] is not None else mean
    r['pshow'] = r['ptxt'] if r['ptxt'] is not None else '%.2f' % mean
lo = min(r['price'] for r in rows)
hi = max(r['price'] for r in rows)


def ids(values, skip_unknown):
    keys = sorted(set(v for v in values if not (skip_unknown and v == 'unknown')))
    out = {k: n + 1 for n, k in enumerate(keys)}
    if skip_unknown:
        out['unknown'] = 0
    return out


uid = ids([r['u'] for r in rows], False)
iid = ids([r['i'] for r in rows], False)
bid = ids([r['brand'] for r in rows], True)
tid = ids([r['title'] for r in rows], True)

rows.sort(key=lambda r: (r['t'], r['d'], r['k']))
# History: the user's positives with a timestamp strictly before the row's (equal times never
# count), last 5 in (time, domain, input order), oldest first. Found per row by bisecting the
# user's sorted positive times, not by a running pass.
positives = {}
for r in rows:
    if r['label'] == 1:
        positives.setdefault(r['u'], []).append(r)
pos_times = {u: [x['t'] for x in ps] for u, ps in positives.items()}
for r in rows:
    cut = bisect.bisect_left(pos_times.get(r['u'], []), r['t'])
    h = positives.get(r['u'], [])[:cut][-5:]
    hist = ' & '.join("product '%s'" % x['title'] for x in h) if h else 'nothing'
    r['hist_ids'] = [iid[x['i']] for x in h]
    r['prompt'] = (f"{DOMAINS[r['d']]}: The user ID is user_{uid[r['u']]}, who clicked {hist} recently. "
                   f"The ID of current product is product_{iid[r['i']]}, the title is '{r['title']}', "
                   f"the brand is '{r['brand']}', the price is {r['pshow']}$.")
    r['bucket'] = 1 if hi <= lo else min(100, 1 + math.floor((r['price'] - lo) / (hi - lo) * 100))

kept = [r for r in rows if len(r['prompt']) < 10000]
out = {'domains': [], 'splits': {'train': [], 'valid': [], 'test': []}, 'mean': mean}
for d, name in enumerate(DOMAINS):
    dr = [r for r in kept if r['d'] == d]  # still in (time, input order)
    n = len(dr)
    trainval = 9 * n // 10
    train = 9 * trainval // 10
    parts = {'train': dr[:train], 'valid': dr[train:trainval], 'test': dr[trainval:]}
    out['domains'].append({'name': name, 'splits': {s: {'rows': len(p), 'positives': sum(r['label'] for r in p)} for s, p in parts.items()},
                           'exact_duplicates': duplicates[d]})
    for s, p in parts.items():
        out['splits'][s].extend({'prompt': r['prompt'], 'user_id': uid[r['u']], 'item_id': iid[r['i']], 'brand_id': bid[r['brand']],
                                 'title_id': tid[r['title']], 'label': r['label'], 'bucket': r['bucket'], 'hist': r['hist_ids']} for r in p)
json.dump(out, sys.stdout)
