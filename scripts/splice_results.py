"""Copy the tables of `unictr reproduce` outputs into docs/results.md.

Each `### <title>` section under a dataset's `## ...` part of docs/results.md takes the body of the
`## <title>` section of that dataset's tables.md (its table, caption and the paper's numbers);
figure links are made relative to docs/. Prose outside those sections is left as written.

    python3 scripts/splice_results.py            # magazines and amazon-local
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / 'docs' / 'results.md'
# docs/results.md part (its `## ` heading starts with this) -> results folder
PARTS = {'Magazine Subscriptions': 'magazines', 'Amazon 5-core files': 'amazon-local'}


def sections(text, level):
    """{title: body} of the headings of exactly `level` #'s; a body ends at the next heading of that level or above."""
    out = {}
    heads = list(re.finditer(rf'^#{{1,{level}}} (.+)$', text, re.M))
    for i, h in enumerate(heads):
        if len(h.group(0)) - len(h.group(0).lstrip('#')) != level:
            continue
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        out[h.group(1).strip()] = text[h.end():end]
    return out


def main():
    doc = DOC.read_text()
    changed = 0
    parts = list(re.finditer(r'^## (.+)$', doc, re.M))
    pieces = []
    last = 0
    for i, p in enumerate(parts):
        name = next((v for k, v in PARTS.items() if p.group(1).startswith(k)), None)
        end = parts[i + 1].start() if i + 1 < len(parts) else len(doc)
        if name is None:
            continue
        tables = sections((ROOT / 'results' / name / 'tables.md').read_text(), 2)
        part = doc[p.start():end]
        for title, body in tables.items():
            m = re.search(rf'^### {re.escape(title)}$', part, re.M)
            if not m:
                continue
            nxt = re.search(r'^#{2,3} ', part[m.end():], re.M)
            stop = m.end() + (nxt.start() if nxt else len(part) - m.end())
            body = re.sub(r'\]\(figures/', f'](../results/{name}/figures/', body)
            part = part[:m.end()] + body.rstrip('\n') + '\n\n' + part[stop:]
            changed += 1
        pieces.append(doc[last:p.start()] + part)
        last = end
    pieces.append(doc[last:])
    DOC.write_text(''.join(pieces))
    print(f'{DOC}: {changed} sections copied from results/*/tables.md', file=sys.stderr)


if __name__ == '__main__':
    main()
