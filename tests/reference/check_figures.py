#!/usr/bin/env python3
"""Generated shops checked against the independent reference (kpi_reference.py).

For each seed: `spine load` generates a shop through the real command handler,
`spine export` writes its log, and at several points of it (a quarter, half,
three quarters, the head) `spine replay --until-position P` gives the KPI rows
of every `by` at granularity day and total, as the HTTP API's as_of answers
them. The reference folds the same export up to P. Every disagreement is
printed; the exit code is 1 if there is any.

  check_figures.py --spine BUILD/tools/spine --config domain/config/shop.toml --work DIR [--seeds 11,12,13]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kpi_reference  # noqa: E402

BYS = ("all", "channel", "region", "device", "category", "sku", "supplier", "rating")


def read_config(path):
    with open(path, "rb") as f:
        toml = tomllib.load(f)
    commission = toml.get("commission", {})
    rates = [{"channel": r.get("channel", ""), "category": r.get("category", ""), "bp": round(r["rate"] * 10000)}
             for r in commission.get("rates", [])]
    return {"time_zone": toml.get("time_zone", "Asia/Shanghai"),
            "default_bp": round(commission.get("default", 0.05) * 10000), "rates": rates}


def run(command, stdout=None):
    done = subprocess.run(command, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return done.stdout


def replay_kpis(spine, data, position, by, granularity):
    out = run([spine, "replay", "--data", data, "--until-position", str(position), "--projection", "kpis",
               "--by", by, "--granularity", granularity])
    rows = {}
    for row in json.loads(out)["models"]["kpis"]["rows"]:
        rows[(row["period"], row["key"])] = row["counters"]
    return rows


def compare(label, expected, actual, problems):
    for period_key in sorted(set(expected) | set(actual)):
        want = expected.get(period_key, {})
        got = actual.get(period_key, {})
        for name in kpi_reference.CHECKED_COUNTERS:
            if want.get(name, 0) != got.get(name, 0):
                problems.append(f"{label} {period_key[0]} {period_key[1]!r} {name}: "
                                f"reference {want.get(name, 0)}, spine {got.get(name, 0)}")


def check_seed(args, config, seed, problems):
    data = os.path.join(args.work, f"shop-{seed}")
    export = os.path.join(args.work, f"shop-{seed}.ndjson")
    shutil.rmtree(data, ignore_errors=True)  # a fresh shop each run
    run([args.spine, "load", "--data", data, "--no-sync", "--orders", str(args.orders),
         "--orders-per-day", str(args.orders_per_day), "--seed", str(seed)])
    with open(export, "wb") as f:
        run([args.spine, "export", "--data", data], stdout=f)
    records = kpi_reference.read_export(export)
    types = {r["type"] for r in records}
    head = records[-1]["position"]
    for position in sorted({head // 4, head // 2, 3 * head // 4, head}):
        reference = kpi_reference.Reference(config)
        for record in records:
            if record["position"] > position:
                break
            reference.apply(record)
        for by in BYS:
            for granularity in ("day", "total"):
                expected = kpi_reference.kpi_rows(reference, by, granularity)
                actual = replay_kpis(args.spine, data, position, by, granularity)
                if not expected or not any(row.get("paid_value") for row in expected.values()):
                    problems.append(f"seed {seed} @{position} by={by} {granularity}: the reference has no sales")
                compare(f"seed {seed} @{position} by={by} {granularity}", expected, actual, problems)
    return types


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spine", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--seeds", default="11,12,13")
    parser.add_argument("--orders", type=int, default=800)
    parser.add_argument("--orders-per-day", type=int, default=40)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    config = read_config(args.config)
    problems, types = [], set()
    for seed in (int(s) for s in args.seeds.split(",")):
        types |= check_seed(args, config, seed, problems)
    if len(types) < 33:
        problems.append(f"the generated shops hold {len(types)} event types, not every one: {sorted(types)}")
    for problem in problems[:200]:
        print(problem)
    print(f"{len(problems)} disagreements" + (" (first 200 shown)" if len(problems) > 200 else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
