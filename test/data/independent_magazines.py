"""Independent reference for experiments/magazines.yaml (test/data/real_data.test.ts).

Re-implements, with the Python standard library only (gzip, csv, json, html), the rules of
docs/data.md for the full 2018 Magazine Subscriptions ratings: headerless item,user,rating,time
CSV; domain = HTML-unescaped category[1] of the item's first metadata row; exact duplicates
removed; 3-star rows dropped; left join; HTML-markup titles missing; description cleaned and cut
to a 120-character excerpt; history = last 5 strictly earlier positives; 81/9/10 split. Prints
per-domain split counts and every row's prompt and ids as JSON.

Usage: /usr/bin/python3 independent_magazines.py <shared/data/amazon folder>
"""
import bisect
import csv
import gzip
import html
import json
import re
import sys

root = sys.argv[1].rstrip('/')
DOMAINS = ['Fashion & Style', 'Professional & Educational Journals', 'Sports, Recreation & Outdoors', 'Home & Garden']
TEMPLATE = ("{domain}: The user ID is user_{user_id}, who clicked {history} recently. The ID of current magazine is "
            "product_{item_id}, it is '{name}', the publisher is '{brand}'.")
BLANK = re.compile(r'^[ \t\n\r\f]*$')
MARKUP = re.compile(r'^[ \t\n\r\f]*<[A-Za-z!/]')

meta = {}
with gzip.open(f'{root}/Magazine_Subscriptions/meta_Magazine_Subscriptions.json.gz', 'rt', encoding='utf-8') as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            meta.setdefault(r['asin'], r)  # the first row of an asin wins


def domain_of(asin):
    m = meta.get(asin)
    cat = m.get('category') if m else None
    if not isinstance(cat, list) or len(cat) < 2 or not isinstance(cat[1], str):
        return None
    name = html.unescape(cat[1]).strip()
    return DOMAINS.index(name) if name in DOMAINS else None


def description_of(m):
    d = m.get('description')
    if isinstance(d, list):
        d = ' '.join(x for x in d if isinstance(x, str) and x.strip(' ') != '')
    if not isinstance(d, str) or BLANK.match(d):
        return None
    return d


def excerpt(raw, limit=120):
    text = re.sub(r'\s+', ' ', html.unescape(re.sub(r'<[^>]*>', ' ', raw))).strip()
    if text == '':
        return 'unknown'
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(' ')
    return re.sub(r'[\s,;:.\-–]+$', '', cut[:space] if space > limit / 2 else cut) + '...'


seen = set()
duplicates = [0] * len(DOMAINS)
rows = []
with gzip.open(f'{root}/Magazine_Subscriptions/Magazine_Subscriptions.csv.gz', 'rt', encoding='utf-8', newline='') as f:
    for k, (item, user, rating, t) in enumerate(csv.reader(f)):
        d = domain_of(item)
        if d is None:
            continue
        rating, t = float(rating), int(round(float(t)))
        key = (d, user, item, rating, t)
        if key in seen:
            duplicates[d] += 1
            continue
        seen.add(key)
        if rating == 3:
            continue
        m = meta[item]
        title = m.get('title')
        title = 'unknown' if title is None or BLANK.match(title) or MARKUP.match(title) else title
        brand = m.get('brand')
        brand = 'unknown' if brand is None or BLANK.match(brand) else brand
        desc = description_of(m)
        rows.append(dict(d=d, k=k, u=user, i=item, t=t, label=1 if rating > 3 else 0, title=title, brand=brand,
                         name=title if title != 'unknown' else (excerpt(desc) if desc is not None else 'unknown')))


def ids(values):
    return {v: n + 1 for n, v in enumerate(sorted(set(values)))}


uid = ids(r['u'] for r in rows)
iid = ids(r['i'] for r in rows)
rows.sort(key=lambda r: (r['t'], r['d'], r['k']))
positives = {}
for r in rows:
    if r['label'] == 1:
        positives.setdefault(r['u'], []).append(r)
times = {u: [x['t'] for x in ps] for u, ps in positives.items()}
for r in rows:
    h = positives.get(r['u'], [])[:bisect.bisect_left(times.get(r['u'], []), r['t'])][-5:]
    r['hist'] = [iid[x['i']] for x in h]
    r['prompt'] = TEMPLATE.format(domain=DOMAINS[r['d']], user_id=uid[r['u']], item_id=iid[r['i']], name=r['name'], brand=r['brand'],
                                  history=' & '.join("product '%s'" % x['title'] for x in h) if h else 'nothing')

out = {'domains': [], 'splits': {'train': [], 'valid': [], 'test': []}}
for d, name in enumerate(DOMAINS):
    dr = [r for r in rows if r['d'] == d and len(r['prompt']) < 10000]
    n = len(dr)
    trainval = 9 * n // 10
    train = 9 * trainval // 10
    parts = {'train': dr[:train], 'valid': dr[train:trainval], 'test': dr[trainval:]}
    out['domains'].append({'name': name, 'splits': {s: {'rows': len(p), 'positives': sum(r['label'] for r in p)} for s, p in parts.items()},
                           'exact_duplicates': duplicates[d]})
    for s, p in parts.items():
        out['splits'][s].extend({'prompt': r['prompt'], 'user_id': uid[r['u']], 'item_id': iid[r['i']], 'label': r['label'], 'hist': r['hist']} for r in p)
json.dump(out, sys.stdout)
