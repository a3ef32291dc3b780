#!/usr/bin/env python3
"""The whole pipeline under load and faults (docs/benchmarks.md, "End to end").

Starts the embedded broker (with fault control), the producer service over a
spool, and two consumer instances of one group running the chain
  enrich -> dedup -> archive-fs + sqlite-fts + forward-kafka
(plugins the build does not have are left out and said so), writes the load
generator's files into the spool at a set rate while a fault schedule kills
and restarts processes and takes the broker down, drains, and checks the end
state against what the generator sent:

  - every uri in the index and the archive at its newest version (0 lost,
    0 version regressions); no killed story searchable (0 resurrections);
  - embargoed stories invisible before release and searchable after;
  - every story searchable, and of every syndicated pair exactly one marked
    as a duplicate of the other (dedup policy mark: the corpus itself holds
    related stories that dedup may rightly mark too, which a drop would
    count as lost);
  - every input file in done/ or failed/ (poison files in failed/ with a
    .error); the dead-letter topic holds no story of the plan;
  - every forwarded uri known, and every searchable one forwarded;
  - each process's peak RSS (printed).

Latency: the harness samples the index every 100 ms and reads the forwarded
messages' own timestamps at the end, and prints p50/p95/p99/max from a file landing in incoming/ to
its story being searchable, and to its being forwarded.

Exit status 0 when every check holds, 1 otherwise, 2 on a setup error.
"""
import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402

PARTITIONS = 6
# Two copies processed by two consumer instances within this many seconds of
# each other can both be judged new: the instances share dedup state through
# the fingerprint topic, which takes a moment to reach the other instance.
RACE_S = 3.0


def log(msg):
    print(f"[e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


class Proc:
    """One supervised process: start, signal, restart; peak RSS sampled."""

    def __init__(self, name, argv, out_dir, stdin=False):
        self.name, self.argv, self.out_dir, self.stdin = name, argv, out_dir, stdin
        self.p = None
        self.starts = 0
        self.peak_rss_kb = 0

    def start(self):
        self.starts += 1
        err = open(os.path.join(self.out_dir, f"{self.name}.log"), "ab")
        self.p = subprocess.Popen(self.argv, stdout=subprocess.PIPE if self.stdin else err,
                                  stderr=err, stdin=subprocess.PIPE if self.stdin else subprocess.DEVNULL)
        err.close()
        return self

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def sample_rss(self):
        if not self.alive():
            return
        try:
            with open(f"/proc/{self.p.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def signal(self, sig, wait=True, timeout=60):
        if not self.alive():
            return None
        self.sample_rss()
        self.p.send_signal(sig)
        if wait:
            try:
                return self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                return self.p.wait()
        return None

    def stop(self):
        return self.signal(signal.SIGTERM)


class Postgres:
    """A throw-away PostgreSQL server: initdb in the run's folder, pg_ctl on
    127.0.0.1 and a free port (as the postgres user when run as root)."""

    def __init__(self, out_dir):
        import glob
        import socket
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise FileNotFoundError("no /usr/lib/postgresql/*/bin/initdb")
        self.bin = os.path.dirname(found[-1])
        self.data = os.path.join(out_dir, "pgdata")
        self.log = os.path.join(out_dir, "postgres.log")
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            self.port = sk.getsockname()[1]
        self.as_user = ["/usr/sbin/runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        os.makedirs(self.data)
        if self.as_user:
            shutil.chown(self.data, "postgres")
            open(self.log, "a").close()
            shutil.chown(self.log, "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "newswire", "--no-sync")
        self.conninfo = f"host=127.0.0.1 port={self.port} dbname=postgres user=newswire"

    def _run(self, tool, *args):
        subprocess.run(self.as_user + [os.path.join(self.bin, tool)] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self):
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def query(self, sql):
        out = subprocess.run([os.path.join(self.bin, "psql"), self.conninfo, "-At", "-F", "\t", "-c", sql],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"psql: {out.stderr.strip()}")
        return [l.split("\t") for l in out.stdout.splitlines() if l]


class Pipeline:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.bin = {
            "newswire": os.path.join(self.build, "producers/newswire"),
            "producer": os.path.join(self.build, "producers/newswire-producer"),
            "consumer": os.path.join(self.build, "consumers/newswire-consumer"),
        }
        for b in self.bin.values():
            if not os.access(b, os.X_OK):
                raise SystemExit(f"e2e: {b} is missing (build first)")
        self.out = os.path.abspath(args.out)
        shutil.rmtree(self.out, ignore_errors=True)
        os.makedirs(self.out)
        self.spool = os.path.join(self.out, "spool")
        os.makedirs(os.path.join(self.spool, "incoming"))
        self.archive = os.path.join(self.out, "archive")
        os.makedirs(self.archive)
        # The archive on a small tmpfs of its own, so the run can fill the
        # disk under a sink for a while (needs root and mount; left out otherwise)
        self.archive_tmpfs = False
        if args.disk_full and os.geteuid() == 0:
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", self.archive],
                               capture_output=True, text=True)
            self.archive_tmpfs = r.returncode == 0
            if not self.archive_tmpfs:
                log(f"disk-full fault left out: mount tmpfs failed: {r.stderr.strip()}")
        self.db = os.path.join(self.out, "search.db")
        self.procs = {}
        self.plugins = self._plugins()
        self.pg = None
        if "postgres" in self.plugins and args.postgres != "off":
            try:
                self.pg = Postgres(self.out)
                self.pg.start()
                log(f"PostgreSQL on port {self.pg.port}")
            except (FileNotFoundError, subprocess.CalledProcessError) as e:
                if args.postgres == "on":
                    raise SystemExit(f"e2e: cannot start PostgreSQL: {e}")
                log(f"PostgreSQL left out: {e}")
                self.pg = None
        self.landed = {}  # uri -> first landing time
        self.searchable = {}  # uri -> first time seen searchable
        self.forwarded = {}  # uri -> first time seen forwarded
        self.events = []
        self.stop_sampling = threading.Event()
        self.raced_pairs = 0

    # --- setup ---------------------------------------------------------
    def _plugins(self):
        out = subprocess.run([self.bin["consumer"], "--list-plugins"], capture_output=True, text=True)
        names = set()
        for line in out.stdout.splitlines():
            w = line.split()
            if w:
                names.add(w[0])
        return names

    def start_broker(self):
        topics = []
        for c in loadgen.CATEGORIES + ["general", "uncategorized"]:
            topics += ["--topic", f"news.{c}", "--topic", f"enriched.{c}"]
        topics += ["--topic", "news.dlq"]
        b = Proc("broker", [self.bin["newswire"], "broker", "--control", "--partitions",
                            str(PARTITIONS)] + topics, self.out, stdin=True).start()
        line = b.p.stdout.readline().decode().strip()
        if not line.startswith("bootstrap="):
            raise SystemExit(f"e2e: broker did not start: {line!r}")
        self.brokers = line[len("bootstrap="):]
        self.procs["broker"] = b
        log(f"broker at {self.brokers}, {PARTITIONS} partitions per topic")

    def broker_control(self, cmd):
        b = self.procs["broker"]
        b.p.stdin.write((cmd + "\n").encode())
        b.p.stdin.flush()
        answer = b.p.stdout.readline().decode().strip()
        log(f"broker control '{cmd}': {answer}")
        return answer

    def write_configs(self):
        prod = f"""
kafka:
  bootstrap.servers: {self.brokers}
  message.timeout.ms: 120000
http:
  listen: 127.0.0.1:0
shutdown_timeout: 10s
log_level: info
routing:
  topic_prefix: "news."
  default_topic: news.uncategorized
spools:
  - name: e2e
    path: {self.spool}
    format: auto
    category: general
    settle_time: 200ms
    scan_interval: 1s
"""
        with open(os.path.join(self.out, "producer.yaml"), "w") as f:
            f.write(prod)
        chain = []
        if "enrich" in self.plugins:
            chain.append("  - plugin: enrich")
        if "dedup" in self.plugins:
            chain += ["  - plugin: dedup", "    policy: mark",
                      "    fingerprint_topic: e2e.dedup.fingerprints",
                      "    kafka:", f"      bootstrap.servers: {self.brokers}"]
        chain += ["  - plugin: archive-fs", f"    root: {self.archive}"]
        if "sqlite-fts" in self.plugins:
            chain += ["  - plugin: sqlite-fts", f"    {self.args.db_key}: {self.db}"]
        if self.pg:
            chain += ["  - plugin: postgres", f'    conninfo: "{self.pg.conninfo}"']
        if "forward-kafka" in self.plugins:
            chain += ["  - plugin: forward-kafka", f"    brokers: {self.brokers}",
                      '    topic_prefix: "enriched."']
        cons = f"""
kafka:
  bootstrap.servers: {self.brokers}
  session.timeout.ms: 6000
  heartbeat.interval.ms: 500
  topic.metadata.refresh.interval.ms: 2000
group: e2e
topics: "^news\\\\..*"
batch:
  max_messages: 500
  max_ms: {self.args.batch_ms}ms
http:
  listen: 127.0.0.1:0
chain:
""" + "\n".join(chain) + "\n"
        with open(os.path.join(self.out, "consumer.yaml"), "w") as f:
            f.write(cons)
        missing = [p for p in ("enrich", "dedup", "sqlite-fts", "forward-kafka") if p not in self.plugins]
        log("chain: " + " -> ".join(l.split(": ")[1] for l in chain if "plugin:" in l)
            + (f" (not in this build: {', '.join(missing)})" if missing else ""))

    def start_producer(self):
        p = self.procs.get("producer") or Proc(
            "producer", [self.bin["producer"], "--config", os.path.join(self.out, "producer.yaml")],
            self.out)
        self.procs["producer"] = p.start()

    def start_consumer(self, i):
        name = f"consumer{i}"
        p = self.procs.get(name) or Proc(
            name, [self.bin["consumer"], "--config", os.path.join(self.out, "consumer.yaml")], self.out)
        self.procs[name] = p.start()

    # --- sampling ------------------------------------------------------
    def sample_index(self):
        """First time each uri is searchable: usable and in the FTS index."""
        while not self.stop_sampling.is_set():
            for p in list(self.procs.values()):
                p.sample_rss()
            now = time.time()
            for uri in self._searchable_now():
                self.searchable.setdefault(uri, now)
            time.sleep(0.1)

    def _searchable_now(self):
        """The uris a search finds now: the SQLite index when the chain has
        it, else the PostgreSQL current view."""
        if "sqlite-fts" in self.plugins:
            if not os.path.exists(self.db):
                return []
            try:
                con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1)
                rows = con.execute("SELECT uri FROM stories WHERE state = 'usable' AND indexed = 1").fetchall()
                con.close()
                return [r[0] for r in rows]
            except sqlite3.Error:
                return []
        if self.pg:
            try:
                return [r[0] for r in self.pg.query("SELECT uri FROM stories_current")]
            except (RuntimeError, subprocess.TimeoutExpired):
                return []
        return []

    def forward_topics(self):
        return [f"enriched.{c}" for c in loadgen.CATEGORIES + ["general", "uncategorized"]]

    # --- the run -------------------------------------------------------
    def faults(self, duration):
        """(time offset, action) pairs spread over the generating period."""
        a = self.args
        acts = []
        if a.faults == "none":
            return acts
        kp, kc = (10, 5) if a.faults == "full" else (3, 1)
        outage = 20 if a.faults == "full" else 5
        for i in range(kp):
            acts.append((duration * (i + 0.5) / kp, "kill producer"))
        for i in range(kc):
            acts.append((duration * (i + 0.3) / kc, "kill consumer0"))
            acts.append((duration * (i + 0.7) / kc, "kill consumer1"))
        acts.append((duration * 0.45, "term consumer1"))
        acts.append((duration * 0.6, f"broker down {outage}"))
        if self.pg:
            acts.append((duration * 0.25, f"postgres down {outage}"))
        if self.archive_tmpfs:
            acts.append((duration * 0.8, f"disk full {outage}"))
        return sorted(acts)

    def apply(self, action):
        words = action.split()
        self.events.append((time.time(), action))
        if words[0] == "kill":
            log(f"fault: SIGKILL {words[1]}")
            self.procs[words[1]].signal(signal.SIGKILL)
            time.sleep(0.5)
            self.procs[words[1]].start()
        elif words[0] == "term":
            log(f"fault: SIGTERM {words[1]} (drain, leave the group), restart in 2 s")
            rc = self.procs[words[1]].stop()
            if rc != 0:
                log(f"  {words[1]} exited {rc} on SIGTERM")
                self.term_failures.append((words[1], rc))
            time.sleep(2)
            self.procs[words[1]].start()
        elif words[0] == "postgres":
            secs = float(words[2])
            log(f"fault: PostgreSQL stopped for {secs:.0f} s")
            self.pg.stop()
            time.sleep(secs)
            self.pg.start()
            log("PostgreSQL started again")
        elif words[0] == "disk":
            secs = float(words[2])
            filler = os.path.join(self.archive, ".filler")
            log(f"fault: the archive's file system full for {secs:.0f} s")
            with open(filler, "wb") as f:
                chunk = b"\0" * (1 << 20)
                try:
                    while True:
                        f.write(chunk)
                        f.flush()
                except OSError:
                    pass  # ENOSPC: full
            time.sleep(secs)
            os.unlink(filler)
            log("the archive's file system has room again")
        elif words[0] == "broker":
            secs = float(words[2])
            log(f"fault: broker down for {secs:.0f} s")
            self.broker_control("down all")
            time.sleep(secs)
            self.broker_control("up all")

    def run(self):
        a = self.args
        total = int(a.rate * a.duration)
        plan = loadgen.Plan(self.bin["newswire"], a.shared, total, a.run_id, seed=a.seed,
                            embargo_s=(a.duration * 0.2, a.duration * 0.6),
                            copy_lag=int(a.rate * min(10, a.duration / 4)))
        self.plan = plan
        self.term_failures = []
        log(f"plan: {json.dumps(plan.summary())}")
        self.start_broker()
        self.write_configs()
        self.start_producer()
        self.start_consumer(0)
        self.start_consumer(1)
        threading.Thread(target=self.sample_index, daemon=True).start()
        self.wait_assigned()

        schedule = self.faults(a.duration)
        fault_thread = threading.Thread(target=self._fault_loop, args=(schedule,), daemon=True)
        t0 = time.time()
        self.t0 = t0
        fault_thread.start()
        sent = 0  # stories written so far: the rate is in stories, a feed file holds several
        for i, f in enumerate(plan.files):
            due = t0 + sent / a.rate
            sent += max(1, len(f["uris"]))
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            landed, uris = plan.write(self.spool, i, time.time())
            for u in uris:
                self.landed.setdefault(u, landed)
        gen_s = time.time() - t0
        log(f"generated {len(plan.files)} files in {gen_s:.1f} s")
        fault_thread.join()
        return self.drain()

    def wait_assigned(self, timeout=45.0, quiet=2.0):
        """Start the clock on a warm pipeline: wait until both consumers hold
        partitions and no rebalance line has been logged for `quiet` seconds
        (the group's first rebalances are start-up, not latency)."""
        pat = re.compile(r"total=(\d+)")
        deadline, last_change, seen = time.time() + timeout, time.time(), -1
        while time.time() < deadline:
            events, holding = 0, 0
            for i in (0, 1):
                try:
                    with open(os.path.join(self.out, f"consumer{i}.log"), errors="replace") as f:
                        lines = [l for l in f if "partitions assigned" in l or "partitions revoked" in l]
                except OSError:
                    lines = []
                events += len(lines)
                totals = [int(m.group(1)) for m in map(pat.search, lines) if m]
                holding += 1 if totals and totals[-1] > 0 else 0
            if events != seen:
                seen, last_change = events, time.time()
            elif holding == 2 and time.time() - last_change >= quiet:
                log(f"group settled: {events} rebalance lines")
                return
            time.sleep(0.2)
        log("group did not settle before the run; starting anyway")

    def _fault_loop(self, schedule):
        for at, action in schedule:
            delay = self.t0 + at - time.time()
            if delay > 0:
                time.sleep(delay)
            self.apply(action)

    def drain(self):
        """Wait until the index matches the plan (or the drain time runs out)."""
        a = self.args
        deadline = time.time() + a.drain
        last_embargo = max([e["until"] or 0 for e in self.plan.expect.values()] + [0])
        while time.time() < deadline:
            if time.time() > last_embargo + 3 and self._incoming_empty() and not self._index_gaps():
                break
            time.sleep(1)
        time.sleep(2)
        self.stop_sampling.set()
        return self.check()

    def _incoming_empty(self):
        return not [n for n in os.listdir(os.path.join(self.spool, "incoming")) if not n.startswith(".")]

    def _index_gaps(self):
        if not os.path.exists(self.db):
            return True
        now = time.time()
        want = {u for u, e in self.plan.expect.items()
                if e["state"] == "usable" or (e["state"] == "embargoed" and e["until"] and e["until"] < now)}
        return bool(want - set(self.searchable))

    # --- checks --------------------------------------------------------
    def check(self):
        plan = self.plan
        failures = []
        now = time.time()
        rows = {}
        if os.path.exists(self.db):
            con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
            for uri, vnum, state, indexed in con.execute(
                    "SELECT uri, version_num, state, indexed FROM stories"):
                rows[uri] = (vnum, state, indexed)
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            con.close()
            if integrity != "ok":
                failures.append(f"index integrity_check: {integrity}")
        elif "sqlite-fts" in self.plugins:
            failures.append("no index database was written")

        lost = regressions = resurrections = embargo_early = 0
        for pair in plan.copies:  # a copy is a new story of its own, version 1
            for u in pair:
                plan.expect.setdefault(u, {"version": 1, "state": "usable", "until": None})
        for uri, e in plan.expect.items():
            if "sqlite-fts" not in self.plugins:
                break  # the postgres check below covers the stories
            r = rows.get(uri)
            searchable = bool(r and r[1] == "usable" and r[2])
            if e["state"] == "canceled":
                if searchable:
                    resurrections += 1
                    failures.append(f"killed story searchable: {uri} {r}")
                continue
            if e["state"] == "embargoed" and e["until"] and e["until"] > now:
                continue  # still under embargo at the end (not expected with the default times)
            if not r:
                lost += 1
                if lost <= 10:
                    failures.append(f"lost: {uri} (want version {e['version']})")
                continue
            if r[0] is not None and r[0] < e["version"]:
                regressions += 1
                failures.append(f"version regression: {uri} has {r[0]}, want {e['version']}")
            if not searchable:
                lost += 1
                if lost <= 10:
                    failures.append(f"not searchable: {uri} {r}")
        if self.pg:
            lost += self._check_postgres(failures)
        # embargo: nothing searchable before its release time
        for uri, e in plan.expect.items():
            if e["state"] == "embargoed" and e["until"] and uri in self.searchable:
                if self.searchable[uri] < e["until"] - 0.5:
                    embargo_early += 1
                    failures.append(f"embargoed story searchable {e['until'] - self.searchable[uri]:.1f} s early: {uri}")
        # dedup: of each syndicated pair, exactly one marked a duplicate of the other
        pairs_bad = 0
        if "dedup" in self.plugins and (os.path.exists(self.db) or self.pg):
            marks = self._duplicate_marks({u for pair in plan.copies for u in pair})
            for a_uri, b_uri in plan.copies:
                # one names the other, or both name the same earlier story
                # (the corpus holds related articles dedup rightly joins)
                n = (marks.get(a_uri) == b_uri) + (marks.get(b_uri) == a_uri)
                if n == 0 and marks.get(a_uri) and marks.get(a_uri) == marks.get(b_uri):
                    n = 1
                ta, tb = self.searchable.get(a_uri), self.searchable.get(b_uri)
                if n == 0 and ta and tb and abs(ta - tb) < RACE_S:
                    # both processed at the same moment, by two instances:
                    # dedup shares its state through Kafka, with a delay
                    # (docs/benchmarks.md); counted, not a failure
                    self.raced_pairs += 1
                    continue
                if n != 1:
                    pairs_bad += 1
                    if pairs_bad <= 5:
                        t = [self._when(u) for u in (a_uri, b_uri)]
                        failures.append(f"syndicated pair {a_uri} / {b_uri}: {n} marked as the other's"
                                        f" duplicate, want 1 (landed/searchable at {t[0]} and {t[1]})")
        # files: every input in done/ or failed/, poison in failed/ with .error
        done = set(os.listdir(os.path.join(self.spool, "done"))) if os.path.isdir(os.path.join(self.spool, "done")) else set()
        failed_dir = os.path.join(self.spool, "failed")
        failed = set(os.listdir(failed_dir)) if os.path.isdir(failed_dir) else set()
        unaccounted = [f["name"] for f in plan.files if f["name"] not in done and f["name"] not in failed]
        if unaccounted:
            failures.append(f"{len(unaccounted)} input files neither in done/ nor failed/ (first: {unaccounted[:3]})")
        for name in plan.poison:
            if name not in failed or name + ".error" not in failed:
                failures.append(f"poison file {name} not in failed/ with a .error")
        wrongly_failed = [n for n in failed if not n.endswith(".error") and n not in plan.poison]
        if wrongly_failed:
            failures.append(f"{len(wrongly_failed)} good files in failed/ (first: {wrongly_failed[:3]})")
        # archive: newest version of every expected uri present
        archived = self._archived()
        if "archive-fs" in self.plugins:
            missing = [u for u, e in plan.expect.items() if archived.get(u, 0) < e["version"]]
            if missing:
                failures.append(f"{len(missing)} uris not archived at their newest version (first: {missing[:3]})")
        # dead letters: none of the plan's stories
        dlq = self._topic_keys("news.dlq")
        planned = set(plan.expect)
        dlq_bad = [k for k in dlq if k in planned]
        if dlq_bad:
            failures.append(f"{len(dlq_bad)} stories of the plan dead-lettered (first: {dlq_bad[:3]})")
        # forwards: every searchable uri forwarded
        if "forward-kafka" in self.plugins and shutil.which("kcat"):
            # when each story was forwarded: the forwarded message's own
            # timestamp (set by forward-kafka's producer when it sent it)
            forwarded = set()
            for t in self.forward_topics():
                for line in self._topic_keys(t, "%k %T"):
                    k, _, ts = line.rpartition(" ")
                    forwarded.add(k)
                    if ts.isdigit():
                        self.forwarded[k] = min(self.forwarded.get(k, 1e18), int(ts) / 1000.0)
            not_fwd = [u for u in self._searchable_now() if u not in forwarded]
            if not_fwd:
                failures.append(f"{len(not_fwd)} searchable stories never forwarded (first: {not_fwd[:3]})")
        for name, rc in self.term_failures:
            failures.append(f"{name} exited {rc} on SIGTERM (want 0)")
        self.plan.save(os.path.join(self.out, "plan.json"))
        return self.report(failures, lost, regressions, resurrections, embargo_early, pairs_bad, dlq)

    def _check_postgres(self, failures):
        """The archive table: one row per uri at its newest version; kills
        kept as canceled records and out of the current view."""
        # a story without a numeric version is stored with none: it counts
        # as 1, as in the plan (loadgen.version_number)
        rows = {r[0]: (int(r[1]) if r[1] else 1, r[2]) for r in
                self.pg.query("SELECT uri, version, state FROM stories")}
        current = {r[0] for r in self.pg.query("SELECT uri FROM stories_current")}
        lost = 0
        for uri, e in self.plan.expect.items():
            r = rows.get(uri)
            if not r:
                lost += 1
                if lost <= 10:
                    failures.append(f"postgres: lost {uri}")
                continue
            if r[0] < e["version"]:
                failures.append(f"postgres: version regression {uri}: {r[0]}, want {e['version']}")
            if e["state"] == "canceled" and (r[1] != "canceled" or uri in current):
                failures.append(f"postgres: killed story not a canceled record or still current: {uri} {r}")
            if e["state"] == "usable" and uri not in current:
                failures.append(f"postgres: {uri} not in the current view {r}")
        return lost

    def _when(self, uri):
        """'+landed/+searchable' seconds since the start, for messages."""
        f = lambda t: f"{t - self.t0:.1f}" if t else "-"
        return f"{f(self.landed.get(uri))}/{f(self.searchable.get(uri))}"

    def _duplicate_marks(self, uris):
        """uri -> the uri its stored version is marked a duplicate of."""
        if os.path.exists(self.db):
            con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
            docs = con.execute("SELECT uri, ninjs FROM stories").fetchall()
            con.close()
        else:
            docs = self.pg.query("SELECT uri, doc::text FROM stories")
        marks = {}
        for uri, text in docs:
            if uri not in uris or not text:
                continue
            for a in json.loads(text).get("associations", []):
                if a.get("rel") == "duplicateOf":
                    marks[uri] = a.get("uri")
        return marks

    def _archived(self):
        best = {}
        for root, _, files in os.walk(self.archive):
            for n in files:
                if not n.endswith(".jsonl"):
                    continue
                with open(os.path.join(root, n), encoding="utf-8", errors="replace") as f:
                    for line in f:
                        try:
                            d = json.loads(line)
                        except ValueError:
                            continue
                        v = loadgen.version_number(d)
                        best[d.get("uri")] = max(best.get(d.get("uri"), 0), v)
        return best

    def _topic_keys(self, topic, fmt="%k"):
        if not shutil.which("kcat"):
            return []
        out = subprocess.run(["kcat", "-b", self.brokers, "-C", "-t", topic, "-e", "-q", "-f", fmt + "\n"],
                             capture_output=True, text=True, timeout=60)
        return [l for l in out.stdout.splitlines() if l]

    def report(self, failures, lost, regressions, resurrections, embargo_early, pairs_bad, dlq):
        lat_s = [self.searchable[u] - t for u, t in self.landed.items()
                 if u in self.searchable and self.plan.expect.get(u, {}).get("state") == "usable"]
        lat_f = [self.forwarded[u] - t for u, t in self.landed.items()
                 if u in self.forwarded and self.plan.expect.get(u, {}).get("state") == "usable"]
        trend = self.lag_trend()
        res = {
            "rate": self.args.rate, "duration_s": self.args.duration, "faults": self.args.faults,
            "plan": self.plan.summary(),
            "lost": lost, "regressions": regressions, "resurrections": resurrections,
            "embargo_early": embargo_early, "dedup_pairs_wrong": pairs_bad,
            "dedup_pairs_raced": self.raced_pairs, "dlq_messages": len(dlq),
            "restarts": {n: p.starts - 1 for n, p in self.procs.items()},
            "peak_rss_mb": {n: round(p.peak_rss_kb / 1024, 1) for n, p in self.procs.items()},
            "landing_to_searchable_s": {
                "n": len(lat_s), "p50": percentile(lat_s, 50), "p95": percentile(lat_s, 95),
                "p99": percentile(lat_s, 99), "max": max(lat_s) if lat_s else float("nan")},
            "landing_to_forwarded_s": {
                "n": len(lat_f), "p50": percentile(lat_f, 50), "p95": percentile(lat_f, 95),
                "p99": percentile(lat_f, 99), "max": max(lat_f) if lat_f else float("nan")},
            "lag_trend": trend,
            "failures": failures,
        }
        with open(os.path.join(self.out, "result.json"), "w") as f:
            json.dump(res, f, indent=2)
        log("result:\n" + json.dumps(res, indent=2))
        ls, lf = res["landing_to_searchable_s"], res["landing_to_forwarded_s"]
        print(f"\nE2E rate={self.args.rate}/s duration={self.args.duration}s faults={self.args.faults}"
              f"  lost={lost} regressions={regressions} resurrections={resurrections}"
              f" embargo_early={embargo_early} dedup_pairs_wrong={pairs_bad}"
              f" dedup_pairs_raced={self.raced_pairs}")
        print(f"E2E landing->searchable p50={ls['p50']:.3f}s p95={ls['p95']:.3f}s p99={ls['p99']:.3f}s max={ls['max']:.3f}s (n={ls['n']})")
        print(f"E2E landing->forwarded  p50={lf['p50']:.3f}s p95={lf['p95']:.3f}s p99={lf['p99']:.3f}s max={lf['max']:.3f}s (n={lf['n']})")
        print(f"E2E sustained={'yes' if trend['sustained'] else 'no'}: landing->searchable p95"
              f" first third={trend['first_p95']:.3f}s last third={trend['last_p95']:.3f}s")
        print("E2E peak RSS MB: " + ", ".join(f"{k}={v}" for k, v in res["peak_rss_mb"].items()))
        print(("E2E FAILED:\n  " + "\n  ".join(failures)) if failures else "E2E OK: every check held")
        return 0 if not failures else 1

    def lag_trend(self):
        """Did the pipeline keep up? Compare landing -> searchable p95 of the
        stories written in the first and in the last third of the run: a rate is
        sustained when the last third's p95 is at most 2 s and at most 1 s above
        the first third's (a backlog that grows shows up as a rising latency)."""
        span = max(self.args.duration, 1e-3)
        thirds = ([], [])
        for u, t in self.landed.items():
            if u not in self.searchable or self.plan.expect.get(u, {}).get("state") != "usable":
                continue
            at = (t - self.t0) / span
            if at < 1 / 3:
                thirds[0].append(self.searchable[u] - t)
            elif at >= 2 / 3:
                thirds[1].append(self.searchable[u] - t)
        first, last = percentile(thirds[0], 95), percentile(thirds[1], 95)
        ok = bool(thirds[0] and thirds[1]) and last <= 2.0 and last <= first + 1.0
        return {"first_p95": first, "last_p95": last, "sustained": ok}

    def shutdown(self):
        self.stop_sampling.set()
        time.sleep(0.2)
        for name in ("producer", "consumer0", "consumer1", "broker"):
            p = self.procs.get(name)
            if p and p.alive():
                p.sample_rss()
                p.stop()
        if self.pg:
            try:
                self.pg.stop()
            except subprocess.CalledProcessError:
                pass
        if self.archive_tmpfs:
            # keep what was archived for a person to read: copy it out first
            keep = self.archive + ".kept"
            shutil.copytree(self.archive, keep, dirs_exist_ok=True)
            subprocess.run(["umount", self.archive], check=False)
            os.rmdir(self.archive)
            os.rename(keep, self.archive)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="CMake build directory")
    ap.add_argument("--shared", default=os.environ.get("NW_SHARED_DIR", "../shared"))
    ap.add_argument("--rate", type=float, default=200, help="stories per second written")
    ap.add_argument("--duration", type=float, default=120, help="seconds of generation")
    ap.add_argument("--drain", type=float, default=120, help="seconds allowed to catch up")
    ap.add_argument("--faults", choices=["full", "short", "none"], default="full")
    ap.add_argument("--batch-ms", type=int, default=200, help="consumer batch.max_ms")
    ap.add_argument("--db-key", default="db", help="the sqlite-fts setting naming the file")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-disk-full", dest="disk_full", action="store_false",
                    help="leave out the disk-full fault (it needs root to mount a small tmpfs)")
    ap.add_argument("--postgres", choices=["auto", "on", "off"], default="auto",
                    help="add the postgres sink (auto: when the build has it and PostgreSQL is installed)")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "nw-e2e"))
    ap.add_argument("--run-id", default=time.strftime("r%H%M%S"))
    a = ap.parse_args()
    schema = os.path.join(a.shared, "datasets/ninjs/iptc-newsinjson/schemas/ninjs-schema_3.1.json")
    if not os.environ.get("NW_NINJS_SCHEMA") and os.path.exists(schema):
        os.environ["NW_NINJS_SCHEMA"] = os.path.abspath(schema)  # the producer checks ninjs input with it
    pipe = Pipeline(a)
    try:
        rc = pipe.run()
    except KeyboardInterrupt:
        rc = 1
    finally:
        pipe.shutdown()
    sys.exit(rc)


if __name__ == "__main__":
    main()
