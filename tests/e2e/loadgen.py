#!/usr/bin/env python3
"""Load generator for the end-to-end harness (docs/benchmarks.md, "End to end").

Prepares a plan of wire files -- new stories in several input formats, later
versions (some written before the versions they replace), kills, embargoed
stories released during the run, syndicated copies and poison files -- and
writes them into a producer spool at a set rate, each one written beside
incoming/ and renamed in, the way the producer's docs ask writers to.

It records what it sent: for every uri, the newest version by the
story-state rules (docs/story-state.md) and whether it ends killed,
embargoed (until when) or usable; the pairs of syndicated copies; and the
poison files. The harness checks the sinks against that record.

The uris of formats that derive them from content (plain text, NITF, the
feeds) are learnt by running `newswire parse` on each prepared file, so the
record names exactly the uris the producer will publish.
"""
import json
import os
import random
import subprocess
import time
from datetime import datetime, timedelta, timezone

CATEGORIES = ["politics", "business", "sport", "tech", "entertainment"]

WORDS = (
    "minister council harbour strike union market shares grain prices river survey"
    " election budget court ruling talks agreement border trade energy oil gas"
    " storm flood rescue hospital school teachers farmers police inquiry report"
    " company profits losses bank rates inflation exports imports festival film"
    " music album award match final league coach season transfer player goal"
    " software network security data launch satellite research university climate"
).split()


def version_number(doc):
    """The numeric version the harness compares (a missing one counts as 1)."""
    v = str(doc.get("version", "1"))
    return int(v) if v.isdigit() else 1


def rfc3339(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Corpus:
    """Headline + paragraphs: BBC stories when the shared datasets are there,
    otherwise deterministic synthetic prose."""

    def __init__(self, shared, rnd):
        self.rnd = rnd
        self.stories = []
        bbc = os.path.join(shared, "datasets/corpora/bbc-fulltext/bbc") if shared else None
        if bbc and os.path.isdir(bbc):
            # The corpus repeats some articles (within and across categories):
            # leave out the second of every known near-duplicate pair and any
            # repeated headline, so that dedup has nothing to find but the
            # copies the plan makes on purpose.
            skip = set()
            pairs = os.path.join(os.path.dirname(bbc), "DERIVED-near-duplicate-pairs.tsv")
            if os.path.exists(pairs):
                with open(pairs, encoding="utf-8") as f:
                    for line in f:
                        w = line.split("\t")
                        if len(w) > 2 and not line.startswith(("#", "id_a")):
                            skip.add(w[1])
            heads = set()
            for cat in sorted(os.listdir(bbc)):
                d = os.path.join(bbc, cat)
                if not os.path.isdir(d):
                    continue
                for name in sorted(os.listdir(d))[:400]:
                    if f"{cat}/{name}" in skip:
                        continue
                    try:
                        with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                            lines = [l.strip() for l in f.read().split("\n")]
                    except OSError:
                        continue
                    paras = [l for l in lines[1:] if l]
                    key = lines[0].lower() if lines else ""
                    if key and len(paras) >= 3 and key not in heads:
                        heads.add(key)
                        self.stories.append((lines[0], paras))
        self.synthetic = not self.stories
        self.used = 0

    def next(self):
        """A story nobody has used yet in this run (headline, paragraphs)."""
        if not self.synthetic and self.used < len(self.stories):
            s = self.stories[self.used]
            self.used += 1
            # make it unique to this run: the corpus may be replayed by
            # several runs against one broker
            return s[0], list(s[1])
        self.used += 1
        r = self.rnd
        head = " ".join(r.choice(WORDS) for _ in range(7)).capitalize() + f" {self.used}"
        paras = []
        for p in range(r.randint(4, 8)):
            sent = []
            for _ in range(r.randint(2, 4)):
                sent.append(" ".join(r.choice(WORDS) for _ in range(r.randint(8, 16))).capitalize() + ".")
            paras.append(" ".join(sent) + f" ({self.used}.{p})")
        return head, paras


def ninjs(uri, version, created, head, paras, category, status="usable", embargo=None):
    doc = {
        "uri": uri,
        "type": "text",
        "version": str(version),
        "versionCreated": rfc3339(created),
        "firstCreated": rfc3339(created),
        "pubStatus": status,
        "language": "en",
        "headlines": [{"role": "main", "value": head}],
        "subjects": [{"rel": "category", "name": category.title(), "literal": category}],
    }
    if status != "canceled":
        doc["bodies"] = [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(paras)}]
    if embargo:
        doc["embargoedUntil"] = rfc3339(embargo)
    return json.dumps(doc).encode()


def nitf(docid, head, paras):
    body = "\n".join(f"<p>{xml_escape(p)}</p>" for p in paras)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/" version="-//IPTC//DTD NITF 3.6//EN">\n'
        f'<head><title>{xml_escape(head)}</title><docdata><doc-id regsrc="E2E" id-string="{docid}"/>'
        '<du-key key="e2e" version="1"/></docdata></head>\n'
        f"<body><body.head><hedline><hl1>{xml_escape(head)}</hl1></hedline></body.head>\n"
        f"<body.content>{body}</body.content></body></nitf>\n"
    ).encode()


def rss(items):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
           "<title>E2E wire</title><link>http://example.com/</link><description>e2e</description>"]
    for guid, head, paras, cat in items:
        out.append(
            f"<item><title>{xml_escape(head)}</title><guid isPermaLink=\"false\">{guid}</guid>"
            f"<category>{cat}</category><description>{xml_escape(' '.join(paras))}</description></item>")
    out.append("</channel></rss>\n")
    return "".join(out).encode()


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class Plan:
    """Every file the run will write, in order, and the expected end state."""

    def __init__(self, newswire_bin, shared, total, run_id, seed=7, embargo_s=(20, 60),
                 copy_lag=2000):
        self.rnd = random.Random(seed)
        self.corpus = Corpus(shared, self.rnd)
        self.bin = newswire_bin
        self.run = run_id
        self.files = []  # dicts: name, data, uris (list), kind
        self.expect = {}  # uri -> {"version": int, "state": usable|canceled|embargoed, "until": t}
        self.copies = []  # (original uri, copy uri)
        self.poison = []  # file names expected in failed/
        self.embargo_s = embargo_s
        self.total = total
        # A syndicated copy is written this many stories after its original:
        # clients re-send copies minutes later, and dedup shares its state
        # between instances through Kafka, so two copies landing at the same
        # moment on two instances are a race the contract does not cover.
        self.copy_lag = copy_lag
        self._build()

    # --- bookkeeping ---------------------------------------------------
    def _record(self, uri, version, state, until=None):
        cur = self.expect.get(uri)
        if cur and cur["state"] == "canceled":
            return  # a kill is final
        if state == "canceled" or not cur or version > cur["version"]:
            self.expect[uri] = {"version": version, "state": state, "until": until}

    def _add(self, kind, ext, data, uris):
        name = f"{self.run}-{len(self.files):06d}-{kind}{ext}"
        self.files.append({"name": name, "data": data, "uris": uris, "kind": kind})
        return name

    # --- the mix ---------------------------------------------------------
    def _build(self):
        r = self.rnd
        base = time.time() - 3600
        live = []  # ninjs uris that may get versions / kills: (uri, version, head, paras, cat)
        deferred = []  # (due n, copy uri, ninjs bytes)
        n = 0
        while n < self.total:
            while deferred and deferred[0][0] <= n:
                _, b, data = deferred.pop(0)
                self._add("copy", ".json", data, [b])
                n += 1
            roll = r.random()
            cat = r.choice(CATEGORIES)
            created = base + n
            if roll < 0.40 or not live:
                head, paras = self.corpus.next()
                uri = f"urn:e2e:{self.run}:{n}"
                self._add("new", ".json", ninjs(uri, 1, created, head, paras, cat), [uri])
                self._record(uri, 1, "usable")
                live.append([uri, 1, head, paras, cat])
                n += 1
            elif roll < 0.55:
                # an update; one in three written as v+2 then v+1 (out of order)
                s = r.choice(live)
                if r.random() < 0.33:
                    for v in (s[1] + 2, s[1] + 1):
                        paras = s[3] + [f"Update {v}: more details emerged."]
                        self._add("update-ooo", ".json",
                                  ninjs(s[0], v, created + v, s[2], paras, s[4]), [s[0]])
                        self._record(s[0], v, "usable")
                    s[1] += 2
                    n += 2
                else:
                    s[1] += 1
                    paras = s[3] + [f"Update {s[1]}: more details emerged."]
                    self._add("update", ".json", ninjs(s[0], s[1], created, s[2], paras, s[4]), [s[0]])
                    self._record(s[0], s[1], "usable")
                    n += 1
            elif roll < 0.60:
                s = live.pop(r.randrange(len(live)))
                self._add("kill", ".json",
                          ninjs(s[0], s[1] + 1, created, s[2], [], s[4], status="canceled"), [s[0]])
                self._record(s[0], s[1] + 1, "canceled")
                n += 1
            elif roll < 0.65:
                head, paras = self.corpus.next()
                uri = f"urn:e2e:{self.run}:{n}"
                # the release time is set when the file is written (see write_due)
                f = self._add("embargo", ".json", b"", [uri])
                self.files[-1]["embargo"] = (uri, head, paras, cat, created)
                self.expect[uri] = {"version": 1, "state": "embargoed", "until": None}
                n += 1
            elif roll < 0.72:
                # a syndicated copy: another uri, the original's body under a new headline
                head, paras = self.corpus.next()
                a = f"urn:e2e:{self.run}:{n}"
                b = f"urn:e2e:{self.run}:{n}-copy"
                self._add("original", ".json", ninjs(a, 1, created, head, paras, cat), [a])
                deferred.append((n + self.copy_lag,  b,
                                 ninjs(b, 1, created + 1, "Client: " + head, paras, cat)))
                self.copies.append((a, b))
                n += 1
            elif roll < 0.80:
                head, paras = self.corpus.next()
                self._add("webcopy", ".txt",
                          (head + "\n\n" + "\n\n".join(paras) + "\n").encode(), None)
                n += 1
            elif roll < 0.86:
                head, paras = self.corpus.next()
                self._add("nitf", ".xml", nitf(f"E2E-{self.run}-{n}", head, paras), None)
                n += 1
            elif roll < 0.92:
                items = []
                for i in range(3):
                    head, paras = self.corpus.next()
                    items.append((f"urn:e2e:{self.run}:rss:{n}:{i}", head, paras, cat))
                self._add("rss", ".rss", rss(items), None)
                n += 3
            elif roll < 0.94:
                poison = r.choice([b"<nitf><head><title>cut", b"\x00\x01\x02binary\xff\xfe",
                                   b'{"uri": "urn:e2e:bad", "type": 12}'])
                ext = {b"<": ".xml", b"\x00": ".bin", b"{": ".json"}[poison[:1]]
                self.poison.append(self._add("poison", ext, poison, []))
            else:
                s = r.choice(live)
                s[1] += 1
                self._add("update", ".json", ninjs(s[0], s[1], created, s[2], s[3], s[4]), [s[0]])
                self._record(s[0], s[1], "usable")
                n += 1
        # copies that would fall after the end are not sent: written in the
        # last moments they would race their originals (see copy_lag)
        late = {b for _, b, _ in deferred}
        self.copies = [(a, b) for a, b in self.copies if b not in late]
        self._learn_uris()

    def _learn_uris(self):
        """Formats whose uri the parser derives: ask the parser."""
        pending = [f for f in self.files if f["uris"] is None]
        tmp = f"/tmp/nw-e2e-parse-{os.getpid()}"
        os.makedirs(tmp, exist_ok=True)
        for f in pending:
            path = os.path.join(tmp, f["name"])
            with open(path, "wb") as fh:
                fh.write(f["data"])
            out = subprocess.run([self.bin, "parse", path], capture_output=True, timeout=60)
            os.unlink(path)
            if out.returncode != 0:
                raise RuntimeError(f"loadgen: {f['name']} does not parse: {out.stderr.decode()[:300]}")
            f["uris"] = []
            for line in out.stdout.decode().splitlines():
                d = json.loads(line)
                v = version_number(d)
                f["uris"].append(d["uri"])
                self._record(d["uri"], v, "usable")
        os.rmdir(tmp)

    # --- writing -------------------------------------------------------
    def write(self, spool, index, now):
        """Write file `index` into spool/incoming (rename in). Returns the
        landing time and the uris it carries."""
        f = self.files[index]
        data = f["data"]
        if "embargo" in f:
            uri, head, paras, cat, created = f["embargo"]
            # whole seconds: embargoedUntil is written to the second
            until = float(int(now + self.rnd.uniform(*self.embargo_s)) + 1)
            data = ninjs(uri, 1, created, head, paras, cat, embargo=until)
            self.expect[uri] = {"version": 1, "state": "embargoed", "until": until}
        tmp = os.path.join(spool, "." + f["name"] + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.rename(tmp, os.path.join(spool, "incoming", f["name"]))
        return time.time(), f["uris"]

    def save(self, path):
        """What was sent, for a person reading a failed run."""
        with open(path, "w") as fh:
            json.dump({"files": [{"name": f["name"], "kind": f["kind"], "uris": f["uris"]}
                                 for f in self.files],
                       "expect": self.expect, "copies": self.copies, "poison": self.poison}, fh,
                      indent=1)

    def summary(self):
        kinds = {}
        for f in self.files:
            kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
        states = {}
        for e in self.expect.values():
            states[e["state"]] = states.get(e["state"], 0) + 1
        return {"files": len(self.files), "kinds": kinds, "uris": len(self.expect),
                "final_states": states, "copies": len(self.copies), "poison": len(self.poison),
                "synthetic_text": self.corpus.synthetic}
