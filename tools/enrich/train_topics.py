#!/usr/bin/env python3
"""Train the enrich plugin's topic keyword model from tagged ninjs.

Reads stories (JSON Lines, one ninjs object per line, or a JSON array per
file) whose subjects carry IPTC Media Topic uris
(http://cv.iptc.org/newscodes/mediatopic/CODE), and writes a keyword file in
the format of topic_keywords.tsv (code <TAB> weight <TAB> words) for the
top-level topics: the words most typical of each topic against the others
(smoothed log-odds of document frequency), weighted 0.5 to 2. Point the
plugin's data_dir at a copy of the data directory holding the result as
topic_keywords.tsv to use it.

usage: train_topics.py --mediatopics mediatopics.tsv OUT.tsv STORIES.jsonl...
       train_topics.py --bbc BBC_DIR OUT.tsv    (the BBC corpus's training part:
                                                 articles whose number is not a
                                                 multiple of 5)
"""
import collections
import json
import math
import os
import re
import sys

URI = "http://cv.iptc.org/newscodes/mediatopic/"
BBC_TOPICS = {"business": "04000000", "entertainment": "01000000", "politics": "11000000",
              "sport": "15000000", "tech": "13000000"}
WORD = re.compile(r"[a-z][a-z'-]{2,}")
STOP = set("""the and for that with this from have has had was were are been its his her their they
said says will would could should also about after before more most than into over other which who
what when where while there here them then some such only just very much many one two three new
year years last first not but can may might our out all any per mr mrs ms""".split())


def top_of(code, tops):
    return tops.get(code, code[:2] + "000000")


def load_tops(path):
    tops = {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) >= 3:
            tops[f[0]] = f[2]
    return tops


def story_text(s):
    parts = []
    for k in ("headline", "body_text", "body_html"):
        if isinstance(s.get(k), str):
            parts.append(s[k])
    for k in ("headlines", "bodies"):
        for v in s.get(k) or []:
            if isinstance(v, dict) and isinstance(v.get("value"), str):
                parts.append(v["value"])
    return re.sub(r"<[^>]*>", " ", " ".join(parts))


def stories_from_files(paths):
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if text.lstrip().startswith("["):
            yield from json.loads(text)
            continue
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def stories_from_bbc(root):
    for cat, code in sorted(BBC_TOPICS.items()):
        d = os.path.join(root, cat)
        for name in sorted(os.listdir(d)):
            if not name[:3].isdigit() or int(name[:3]) % 5 == 0:
                continue
            text = open(os.path.join(d, name), encoding="utf-8", errors="replace").read()
            yield {"body_text": text, "subjects": [{"uri": URI + code}]}


def main():
    args = sys.argv[1:]
    tops = {}
    if "--mediatopics" in args:
        i = args.index("--mediatopics")
        tops = load_tops(args[i + 1])
        del args[i:i + 2]
    if "--bbc" in args:
        i = args.index("--bbc")
        stories = stories_from_bbc(args[i + 1])
        del args[i:i + 2]
        out, inputs = args[0], []
    elif len(args) >= 2:
        out, inputs = args[0], args[1:]
        stories = stories_from_files(inputs)
    else:
        sys.exit(__doc__)

    df = collections.defaultdict(collections.Counter)  # topic -> word -> documents
    ndocs = collections.Counter()
    total = 0
    for s in stories:
        codes = {top_of(x["uri"][len(URI):], tops) for x in s.get("subjects") or []
                 if isinstance(x, dict) and str(x.get("uri", "")).startswith(URI)}
        if not codes:
            continue
        words = set(w for w in WORD.findall(story_text(s).lower()) if w not in STOP)
        total += 1
        for c in codes:
            ndocs[c] += 1
            df[c].update(words)
    if total == 0:
        sys.exit("train_topics: no story with a Media Topic subject")
    all_df = collections.Counter()
    for c in df:
        all_df.update(df[c])
    with open(out, "w", encoding="utf-8") as f:
        f.write("# topic keyword model trained by tools/enrich/train_topics.py from %d stories\n"
                % total)
        for c in sorted(df):
            n_in, n_out = ndocs[c], total - ndocs[c]
            scored = []
            for w, k in df[c].items():
                if k < 5 or n_out == 0:
                    continue
                rest = all_df[w] - k
                lo = math.log((k + 0.5) / (n_in + 1)) - math.log((rest + 0.5) / (n_out + 1))
                if lo > 1.0:
                    scored.append((lo * math.log(k), lo, w))
            scored.sort(reverse=True)
            buckets = collections.defaultdict(list)
            for _, lo, w in scored[:200]:
                buckets[round(min(2.0, max(0.5, lo / 2)), 1)].append(w)
            for weight in sorted(buckets, reverse=True):
                f.write("%s\t%.1f\t%s\n" % (c, weight, "|".join(sorted(buckets[weight]))))
    print("train_topics: %d stories, %d topics -> %s" % (total, len(df), out))


if __name__ == "__main__":
    main()
