#!/usr/bin/env python3
"""Find the highest sustained rate: run the harness without faults at rising
rates and report the last rate whose landing -> searchable latency did not grow
during the run (harness.py's lag_trend; docs/benchmarks.md).

  python3 tests/e2e/sweep.py --build build --rates 200,400,600,800,1000
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_one(args, rate):
    out = os.path.join(args.out, f"rate{int(rate)}")
    cmd = [sys.executable, os.path.join(HERE, "harness.py"), "--build", args.build,
           "--shared", args.shared, "--rate", str(rate), "--duration", str(args.duration),
           "--drain", str(args.drain), "--faults", "none", "--no-disk-full",
           "--postgres", args.postgres, "--out", out, "--run-id", f"sw{int(rate)}"]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("E2E"):
            print(f"  {line}")
    try:
        with open(os.path.join(out, "result.json")) as f:
            return json.load(f), done.returncode
    except (OSError, ValueError):
        return None, done.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--shared", default=os.environ.get("NW_SHARED_DIR", "../shared"))
    ap.add_argument("--rates", default="200,400,600,800,1000",
                    help="comma-separated stories/s, tried in order")
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--drain", type=float, default=120)
    ap.add_argument("--postgres", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "nw-sweep"))
    args = ap.parse_args()

    best = None
    for rate in [float(r) for r in args.rates.split(",") if r.strip()]:
        print(f"SWEEP rate={rate:g}/s duration={args.duration:g}s", flush=True)
        res, rc = run_one(args, rate)
        if res is None:
            print(f"SWEEP rate={rate:g}/s: no result (harness exit {rc})")
            break
        t = res["lag_trend"]
        ok = t["sustained"] and not res["failures"]
        print(f"SWEEP rate={rate:g}/s sustained={'yes' if ok else 'no'}"
              f" p95 first third={t['first_p95']:.3f}s last third={t['last_p95']:.3f}s"
              f" p99={res['landing_to_searchable_s']['p99']:.3f}s", flush=True)
        if not ok:
            break
        best = rate
    print(f"SWEEP highest sustained rate: {best:g} stories/s" if best
          else "SWEEP no rate was sustained")
    return 0


if __name__ == "__main__":
    sys.exit(main())
