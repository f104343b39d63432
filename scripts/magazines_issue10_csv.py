"""Writes the Magazine Subscriptions rows of issue 10's diagnosis as plain CSVs (reviews with a
domain column, metadata with a title column), so experiments/diagnosis/magazines-issue10-*.yaml
can read them with the csv reader: exact duplicate ratings dropped, HTML entities in categories
unescaped, domain = category[1] (four sub-categories), title = the title unless it is HTML markup,
else the first 120 characters of the cleaned description; apostrophes removed from title and
publisher (they would end the quoted fields of the prompt).

    python3 scripts/magazines_issue10_csv.py runs/mag     # writes runs/mag/reviews.csv, meta.csv
"""
import gzip, json, csv, html, re, sys
OUT=sys.argv[1]
D='/work/shared/data/amazon/Magazine_Subscriptions/'
doms=['Fashion & Style','Professional & Educational Journals','Sports, Recreation & Outdoors','Home & Garden']
meta={}
for line in gzip.open(D+'meta_Magazine_Subscriptions.json.gz','rt'):
    m=json.loads(line); a=m['asin']
    if a in meta: continue
    cat=[html.unescape(c) for c in m.get('category',[])]
    if len(cat)<2 or cat[1] not in doms: continue
    t=m.get('title','') or ''
    if '<' in t or '>' in t: t=''
    desc=m.get('description',[]); desc=' '.join(desc) if isinstance(desc,list) else str(desc)
    desc=re.sub(r'<[^>]*>',' ',html.unescape(desc)); desc=re.sub(r'\s+',' ',desc).strip()
    if not t: t=desc[:120]
    t=t.replace("'",'')
    b=html.unescape(m.get('brand','') or '').replace("'",'').strip()
    meta[a]=(cat[1],t or 'unknown',b or 'unknown')
seen=set(); n=0
with open(OUT+'/reviews.csv','w',newline='') as f, open(OUT+'/meta.csv','w',newline='') as g:
    w=csv.writer(f); w.writerow(['user','item','rating','time','domain'])
    for row in csv.reader(gzip.open(D+'Magazine_Subscriptions.csv.gz','rt')):
        it,u,r,ts=row
        if it not in meta: continue
        k=(it,u,r,ts)
        if k in seen: continue
        seen.add(k); w.writerow([u,it,r,ts,meta[it][0]]); n+=1
    w2=csv.writer(g); w2.writerow(['item','title','brand','price'])
    for a,(c,t,b) in meta.items(): w2.writerow([a,t,b,''])
print(n)
