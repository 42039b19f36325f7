#!/usr/bin/env python3
"""Generated shops checked against the independent references in this folder
(kpi_, stock_, prices_ and suppliers_reference.py).

For each seed: `spine load` generates a shop through the real command handler,
`spine export` writes its log, and at points of it `spine replay
--until-position P` gives the models as the HTTP API's as_of answers them:
the KPI rows of every `by` at granularity day and total (a quarter, half,
three quarters, the head; hourly rows too at the half and the head), and the stock list (levels and the planning
figures: lead time, sales, safety stock, status, cover, reorder), every
SKU's prices, every
supplier's performance and the low_stock and cheapest_sku_out_of_stock
alerts, raised and cleared at the same positions (40 points, and right
after releases of supplier units). The references fold the same export up to P.
Every disagreement is printed; the exit code is 1 if there is any. KPI rows
are checked counter by counter and figure by figure (rates, AOV, gross
profit, ROI, refund_due balance, repurchase, ship rate and time, and over
SKU-days stockout rate, average inventory value, turnover and slow-moving
ratio). Not yet compared: the other alerts.

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
import prices_reference  # noqa: E402
import skuday_reference  # noqa: E402
import stock_reference  # noqa: E402
import suppliers_reference  # noqa: E402

BYS = ("all", "channel", "region", "device", "category", "sku", "supplier", "rating")


def read_config(path):
    with open(path, "rb") as f:
        toml = tomllib.load(f)
    commission = toml.get("commission", {})
    rates = [{"channel": r.get("channel", ""), "category": r.get("category", ""), "bp": round(r["rate"] * 10000)}
             for r in commission.get("rates", [])]
    rules = toml.get("rules", {})
    own = toml.get("own_stock", {})
    stock_rules = {"low_stock_floor": rules.get("low_stock_floor", 50),
                   "safety_stock_factor": rules.get("safety_stock_factor", 1.5),
                   "own_lead_time_days": own.get("lead_time_days", 7), "own_lead_times": own.get("lead_times", []),
                   "supplier_lead_time_days": toml.get("supplier_defaults", {}).get("lead_time_days", 7)}
    return {"time_zone": toml.get("time_zone", "Asia/Shanghai"), "stock_rules": stock_rules,
            "promo_min_sales": rules.get("promo_min_sales", 50),
            "min_supplier_ship_rate": rules.get("min_supplier_ship_rate", 0.95),
            "max_return_loss_rate": rules.get("max_return_loss_rate", 0.05),
            "default_bp": round(commission.get("default", 0.05) * 10000), "rates": rates}


def run(command, stdout=None):
    done = subprocess.run(command, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return done.stdout


def replay_kpis(spine, data, position, by, granularity):
    out = run([spine, "replay", "--data", data, "--until-position", str(position), "--projection", "kpis",
               "--by", by, "--granularity", granularity])
    counters, figures = {}, {}
    for row in json.loads(out)["models"]["kpis"]["rows"]:
        counters[(row["period"], row["key"])] = row["counters"]
        flat = {}
        for name, value in row["kpis"].items():
            if isinstance(value, dict):
                flat.update({f"{name}.{part}": v for part, v in value.items()})
            else:
                flat[name] = value
        figures[(row["period"], row["key"])] = flat
    return counters, figures


def replay_stock(spine, data, position):
    out = run([spine, "replay", "--data", data, "--until-position", str(position), "--projection", "stock"])
    return {row["sku"]: row for row in json.loads(out)["models"]["stock"]}


def replay_prices_and_suppliers(spine, data, position):
    out = run([spine, "replay", "--data", data, "--until-position", str(position), "--projection", "prices",
               "--projection", "suppliers", "--projection", "alerts"])
    models = json.loads(out)["models"]
    return models["prices"], {row["supplier_id"]: row for row in models["suppliers"]}, models["alerts"]


def compare_alerts(label, kind, expected, alerts, problems):
    """`expected`: [subject, raised position, cleared position or None]; alerts: GET /v1/alerts."""
    want = {tuple(a) for a in expected}
    got = {(a["subject"], a["raised_position"], a["cleared_position"]) for a in alerts if a["kind"] == kind}
    for alert in sorted(want - got, key=str):
        problems.append(f"{label} {kind} {alert}: the reference's only")
    for alert in sorted(got - want, key=str):
        problems.append(f"{label} {kind} {alert}: spine's only")


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def compare_rows(label, expected, actual, problems):
    """Each reference field of each row; a row only one side has is a disagreement."""
    for key in sorted(set(expected) | set(actual)):
        if key not in expected or key not in actual:
            problems.append(f"{label} {key}: only {'the reference' if key in expected else 'spine'} has it")
            continue
        for name, value in expected[key].items():
            if not same(value, actual[key].get(name)):
                problems.append(f"{label} {key} {name}: reference {value}, spine {actual[key].get(name)}")


def compare_stock(label, expected, actual, problems):
    for sku in sorted(set(expected) | set(actual)):
        if sku not in actual or sku not in expected:
            problems.append(f"{label} {sku}: listed on sale by {'the reference' if sku in expected else 'spine'} only")
            continue
        want, got = expected[sku], actual[sku]
        for name, value in want.items():
            if name == "warehouses":
                continue
            if not same(value, got.get(name)):
                problems.append(f"{label} {sku} {name}: reference {value}, spine {got.get(name)}")
        for warehouse in sorted(set(want["warehouses"]) | set(got.get("warehouses", {}))):
            w = want["warehouses"].get(warehouse, {"on_hand": 0, "committed": 0, "available": 0, "incoming": 0})
            g = got.get("warehouses", {}).get(warehouse, {})
            for name, value in w.items():
                if g.get(name, 0) != value:
                    problems.append(f"{label} {sku} {warehouse} {name}: reference {value}, spine {g.get(name, 0)}")


def compare(label, expected, actual, problems):
    for period_key in sorted(set(expected) | set(actual)):
        want = expected.get(period_key, {})
        got = actual.get(period_key, {})
        for name in sorted(set(got) - set(kpi_reference.CHECKED_COUNTERS)):
            problems.append(f"{label} {period_key[0]} {period_key[1]!r} {name}: a counter the reference does not know")
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
    kpi_points = {head * i // args.kpi_points for i in range(1, args.kpi_points + 1)}
    # Stock is cheap to replay: `stock_points` points, and as many right after
    # releases of supplier units (where routed-since-report arithmetic goes wrong).
    releases = [r["position"] for r in records if r["type"] == "StockReleased"
                and any(a["kind"] == "Supplier" for a in r["event"]["body"].get("allocations", []))]
    n = args.stock_points
    stock_points = {head * i // n for i in range(1, n + 1)} | set(releases[:: max(1, len(releases) // n)][:n])
    reference = kpi_reference.Reference(config)
    stock = stock_reference.StockReference(
        config["stock_rules"], lambda micros: skuday_reference.ordinal(reference.day(micros)))
    prices = prices_reference.PricesReference(config["promo_min_sales"])
    suppliers = suppliers_reference.SuppliersReference(config["min_supplier_ship_rate"],
                                                       config["max_return_loss_rate"])
    skudays = skuday_reference.SkuDays(stock, reference.day)
    for record in records:
        for model in (reference, stock, prices, suppliers):
            model.apply(record)
        skudays.after(record)
        position = record["position"]
        if position in stock_points:
            compare_stock(f"seed {seed} @{position} stock", stock.rows(), replay_stock(args.spine, data, position),
                          problems)
            actual_prices, actual_suppliers, alerts = replay_prices_and_suppliers(args.spine, data, position)
            compare_alerts(f"seed {seed} @{position} alerts", "low_stock", stock.low_stock, alerts, problems)
            compare_alerts(f"seed {seed} @{position} alerts", "cheapest_sku_out_of_stock", stock.cheapest_out, alerts,
                           problems)
            compare_rows(f"seed {seed} @{position} prices", prices.rows(), actual_prices, problems)
            compare_rows(f"seed {seed} @{position} suppliers", suppliers.rows(), actual_suppliers, problems)
            # The KPI ship rate counts forwards open past their deadline: rare at the four KPI points.
            expected = kpi_reference.kpi_rows(reference, "supplier", "total")
            actual, actual_figures = replay_kpis(args.spine, data, position, "supplier", "total")
            compare(f"seed {seed} @{position} by=supplier total", expected, actual, problems)
            compare_rows(f"seed {seed} @{position} by=supplier total kpis",
                         kpi_reference.kpi_figures(reference, "supplier", "total", expected), actual_figures, problems)
        if position not in kpi_points:
            continue
        # Hourly rows are many: at the half and the head only.
        hourly = args.hourly and position in (head // 2, head)
        granularities = ("hour", "day", "total") if hourly else ("day", "total")
        for by in BYS:
            for granularity in granularities:
                expected = kpi_reference.kpi_rows(reference, by, granularity)
                actual, actual_figures = replay_kpis(args.spine, data, position, by, granularity)
                label = f"seed {seed} @{position} by={by} {granularity}"
                if not expected or not any(row.get("paid_value") for row in expected.values()):
                    problems.append(f"{label}: the reference has no sales")
                compare(label, expected, actual, problems)
                figures = kpi_reference.kpi_figures(reference, by, granularity, expected, skudays)
                compare_rows(label + " kpis", figures, actual_figures, problems)
    return types


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spine", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--seeds", default="11,12,13")
    parser.add_argument("--orders", type=int, default=800)
    parser.add_argument("--stock-points", type=int, default=40)
    parser.add_argument("--kpi-points", type=int, default=4)
    parser.add_argument("--no-hourly", dest="hourly", action="store_false")
    parser.add_argument("--orders-per-day", type=int, default=20)  # 40 days: past the 30-day price window
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
