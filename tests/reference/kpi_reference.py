"""A deliberately simple reference for Spine's KPI counters and stock levels.

Written from the definitions (../shared/domain.md, docs/projections.md), not
from projections/: it reads `spine export`'s NDJSON, keeps plain dictionaries
and computes each figure the most obvious way. It shares no code with Spine.
"""
import bisect
import collections
import datetime
import zoneinfo

ORDER_DIMS = ("all", "channel", "region", "device")
LINE_DIMS = ("category", "sku", "supplier", "rating")
FAILURE_NAMES = {"CardLimit": "card_limit", "VerificationTimeout": "verification_timeout",
                 "CancelledByBuyer": "cancelled_by_buyer", "Other": "other"}
RETURN_NAMES = {"SizeMismatch": "size_mismatch", "QualityProblem": "quality_problem",
                "DamagedInTransit": "damaged_in_transit", "NotAsDescribed": "not_as_described",
                "NoReason7Day": "no_reason_7day"}


def rating_band(tenths):
    if tenths <= 0:
        return "unrated"
    if tenths >= 48:
        return "4.8+"
    if tenths >= 43:
        return "4.3-4.7"
    return "4.2-"


def read_export(path, until_position=None):
    """The records of an export, in log order, up to `until_position`."""
    import json
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if "end" in record:
                break
            if until_position is not None and record["position"] > until_position:
                break
            records.append(record)
    return records


def commission_bp(config, channel, category):
    """The most specific configured rate: channel and category, then category, then channel."""
    best_score, best = -1, config["default_bp"]
    for rate in config["rates"]:
        if rate.get("channel") and rate["channel"] != channel:
            continue
        prefix = rate.get("category")
        if prefix and not (category == prefix or category.startswith(prefix + "/")):
            continue
        score = (2 if prefix else 0) + (1 if rate.get("channel") else 0)
        score = score * 1000 + (len(prefix) if prefix else 0)
        if score > best_score:
            best_score, best = score, rate["bp"]
    return best


def split_by_weight(amount, weights):
    """`amount` over `weights` in proportion; the units rounding leaves go one at a
    time to the largest remainders, earlier first on a tie."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


class Reference:
    """Folds records into counters[(local hour "YYYY-MM-DDTHH", dimension key)][counter]."""

    def __init__(self, config):
        self.config = config
        self.zone = zoneinfo.ZoneInfo(config["time_zone"])
        self.counters = collections.defaultdict(collections.Counter)
        self.orders = {}
        self.products = {}   # product id -> {"category", "rating"}
        self.sku_product = {}
        self.sku_supplier = {}
        self.ship_hours = {}  # supplier -> agreed hours from a forward to its shipment
        self.forwards = {}    # (order, supplier) -> (forwarded at, local hour, dimensions), while open
        self.overdue = set()  # open forwards whose deadline the log recorded
        self.first_day = self.last_day = None  # the local days the records occurred on
        self.now_us = 0

    def hour(self, micros):
        """The local hour bucket of a time: "YYYY-MM-DDTHH"."""
        moment = datetime.datetime.fromtimestamp(micros / 1e6, tz=datetime.timezone.utc)
        return moment.astimezone(self.zone).strftime("%Y-%m-%dT%H")

    def day(self, micros):
        moment = datetime.datetime.fromtimestamp(micros / 1e6, tz=datetime.timezone.utc)
        return moment.astimezone(self.zone).date().isoformat()

    def add(self, hour, dims, counter, value):
        if value == 0:
            return
        for dim in dims:
            self.counters[(hour, dim)][counter] += value

    @staticmethod
    def order_dims(order):
        return ["all", "channel:" + order["channel"], "region:" + order["region"], "device:" + order["device"]]

    @staticmethod
    def line_dims(line):
        """A line of own stock has no supplier to count under."""
        dims = ["category:" + line["category"], "sku:" + line["sku"], "rating:" + line["band"]]
        return dims + (["supplier:" + line["supplier"]] if line["supplier"] else [])

    def count_order(self, hour, order, counter):
        """One for the order under each order dimension and each distinct line dimension."""
        dims = set(self.order_dims(order))
        for line in order["lines"]:
            dims.update(self.line_dims(line))
        self.add(hour, sorted(dims), counter, 1)

    def sku_dims(self, sku):
        product = self.products.get(self.sku_product.get(sku, ""), {"category": "", "rating": 0})
        supplier = self.sku_supplier.get(sku, "")
        dims = ["sku:" + sku, "category:" + product["category"], "rating:" + rating_band(product["rating"])]
        return dims + (["supplier:" + supplier] if supplier else [])

    def apply(self, record):
        body_type = record["type"]
        body = record["event"]["body"] if record.get("event") else {}
        handler = getattr(self, "on_" + body_type, None)
        self.now_us = record["occurred_at_us"]
        day = self.day(record["occurred_at_us"])
        self.first_day = min(self.first_day or day, day)
        self.last_day = max(self.last_day or day, day)
        if handler is not None:
            handler(body, self.hour(record["occurred_at_us"]))

    # --- catalog --------------------------------------------------------------
    def on_ProductListed(self, e, hour):
        self.products[e["product_id"]] = {"category": e["category"], "rating": e.get("rating_tenths", 0)}
        for sku in e["skus"]:
            self.sku_product[sku["sku_id"]] = e["product_id"]

    def on_ProductUpdated(self, e, hour):
        product = self.products[e["product_id"]]
        if e.get("category"):
            product["category"] = e["category"]
        if e.get("rating_tenths", -1) >= 0:
            product["rating"] = e["rating_tenths"]

    def on_SupplierRegistered(self, e, hour):
        self.ship_hours[e["supplier_id"]] = e.get("ship_within_hours", 48)

    def on_SkuListed(self, e, hour):
        self.sku_supplier[e["sku_id"]] = e.get("supplier_id", "")

    # --- orders ---------------------------------------------------------------
    def on_OrderPlaced(self, e, hour):
        lines = []
        for l in e["lines"]:
            own = sum(a["quantity"] for a in l.get("allocations", []) if a["kind"] == "Warehouse")
            product = self.products.get(l["product_id"], {"rating": 0})
            lines.append({"sku": l["sku_id"], "category": l["category"], "supplier": l.get("supplier_id", ""),
                          "band": rating_band(product["rating"]), "quantity": l["quantity"],
                          "value": l["unit_price"] * l["quantity"] - l["discount"], "discount": l["discount"],
                          "cost": l["cost_price"], "own": own, "own_left": own, "refunded": 0})
        order = {"customer": e["customer_id"], "paid_hour": None, "cancelled": False,
                 "channel": e["channel"], "region": e["region"], "device": e["device"], "lines": lines,
                 "placed_hour": hour, "paid": 0, "refunded": 0, "due": 0, "failures": set(), "reasons": {}}
        self.orders[e["order_id"]] = order
        dims = self.order_dims(order)
        self.count_order(hour, order, "placed_orders")
        self.add(hour, dims, "placed_value", sum(l["value"] for l in lines) + e["shipping_fee"])
        self.add(hour, dims, "units", sum(l["quantity"] for l in lines))
        self.add(hour, dims, "discounts", sum(l["discount"] for l in lines) + e["coupon_discount"])
        self.add(hour, dims, "coupon_discounts", e["coupon_discount"])
        for line in lines:
            self.add(hour, self.line_dims(line), "placed_value", line["value"])
            self.add(hour, self.line_dims(line), "units", line["quantity"])
            self.add(hour, self.line_dims(line), "discounts", line["discount"])

    def commission(self, order, line, value):
        return value * commission_bp(self.config, order["channel"], line["category"]) // 10000

    def on_OrderPaid(self, e, hour):
        order = self.orders[e["order_id"]]
        order["paid"] = e["amount"]
        order["paid_hour"] = hour
        dims = self.order_dims(order)
        self.count_order(hour, order, "paid_orders")
        self.add(hour, dims, "paid_value", e["amount"])
        for line in order["lines"]:
            cogs = line["cost"] * line["own"]
            commission = self.commission(order, line, line["value"])
            for target in (dims, self.line_dims(line)):
                self.add(hour, target, "cogs", cogs)
                self.add(hour, target, "commission", commission)
            self.add(hour, self.line_dims(line), "paid_value", line["value"])

    def on_PaymentFailed(self, e, hour):
        order = self.orders[e["order_id"]]
        reason = FAILURE_NAMES.get(e["reason"], "other")
        if reason in order["failures"]:
            return
        order["failures"].add(reason)
        self.count_order(order["placed_hour"], order, "payment_failed_" + reason)

    def on_OrderCancelled(self, e, hour):
        order = self.orders[e["order_id"]]
        order["cancelled"] = True
        self.count_order(order["placed_hour"], order, "cancelled_orders")
        if order["paid"]:  # a refund is owed; the goods go back on sale: their cost comes off
            order["due"] = order["paid"] - order["refunded"]
            self.add(hour, self.order_dims(order), "refund_due", order["due"])
            for line in order["lines"]:
                cogs = line["cost"] * line["own_left"]
                line["own_left"] = 0
                self.add(hour, self.order_dims(order), "cogs", -cogs)
                self.add(hour, self.line_dims(line), "cogs", -cogs)

    def line_of(self, order, sku):
        return next(l for l in order["lines"] if l["sku"] == sku)

    def on_OrderShipped(self, e, hour):
        order = self.orders[e["order_id"]]
        forward = self.forwards.pop((e["order_id"], e["source_id"]), None) if e["kind"] == "Supplier" else None
        self.overdue.discard((e["order_id"], e["source_id"]))
        if forward is not None:  # counted in the forward's hour
            forwarded_at, forward_hour, dims = forward
            took = self.now_us - forwarded_at
            self.add(forward_hour, dims, "forwards_shipped", 1)
            self.add(forward_hour, dims, "ship_time_sum_us", took)
            in_time = took <= self.ship_hours.get(e["source_id"], 48) * 3600 * 10**6
            self.add(forward_hour, dims, "forwards_in_time", 1 if in_time else 0)
        for shipped in e["lines"]:
            line = self.line_of(order, shipped["sku_id"])
            self.add(hour, self.order_dims(order), "shipped_units", shipped["quantity"])
            self.add(hour, self.line_dims(line), "shipped_units", shipped["quantity"])

    def on_DropshipForwarded(self, e, hour):
        order = self.orders[e["order_id"]]
        self.add(hour, self.order_dims(order), "dropship_cost", e["dropship_cost"])
        dims = self.order_dims(order) + ["supplier:" + e["supplier_id"]]
        self.add(hour, dims, "forwards", 1)
        self.forwards[(e["order_id"], e["supplier_id"])] = (self.now_us, hour, dims)
        lines = [self.line_of(order, l["sku_id"]) for l in e["lines"]]
        parts = split_by_weight(e["dropship_cost"], [l["quantity"] for l in e["lines"]])
        for line, part in zip(lines, parts):
            self.add(hour, self.line_dims(line), "dropship_cost", part)

    def on_ReturnRequested(self, e, hour):
        self.orders[e["order_id"]]["reasons"][e["return_id"]] = RETURN_NAMES.get(e["reason"], e["reason"])

    def on_ReturnReceived(self, e, hour):
        order = self.orders[e["order_id"]]
        reason = order["reasons"][e["return_id"]]
        for returned in e["lines"]:
            line = self.line_of(order, returned["sku_id"])
            for target in (self.order_dims(order), self.line_dims(line)):
                self.add(hour, target, "returned_units", returned["quantity"])
                self.add(hour, target, "returned_" + reason, returned["quantity"])

    def on_StockRestocked(self, e, hour):
        order = self.orders.get(e.get("order_id", ""))
        if order is None:
            return
        line = self.line_of(order, e["sku_id"])
        units = min(e["quantity"], line["own_left"])
        line["own_left"] -= units
        self.add(hour, self.order_dims(order), "cogs", -units * line["cost"])
        self.add(hour, self.line_dims(line), "cogs", -units * line["cost"])

    def on_RefundIssued(self, e, hour):
        order = self.orders[e["order_id"]]
        order["refunded"] += e["amount"]
        self.add(hour, self.order_dims(order), "refunds", e["amount"])
        settled = min(e["amount"], order["due"])
        order["due"] -= settled
        self.add(hour, self.order_dims(order), "refund_due", -settled)
        parts = split_by_weight(e["amount"], [l["value"] for l in order["lines"]])
        for line, part in zip(order["lines"], parts):
            self.add(hour, self.line_dims(line), "refunds", part)
            before = min(line["refunded"], line["value"])
            line["refunded"] += part
            after = min(line["refunded"], line["value"])
            reversed_commission = self.commission(order, line, after) - self.commission(order, line, before)
            self.add(hour, self.order_dims(order), "commission", -reversed_commission)
            self.add(hour, self.line_dims(line), "commission", -reversed_commission)

    def on_DeadlinePassed(self, e, hour):
        if e["kind"] != "supplier_not_shipped":
            return
        order, _, supplier = e["subject"].rpartition(":")
        if (order, supplier) in self.forwards:
            self.overdue.add((order, supplier))

    # --- marketing ------------------------------------------------------------
    def marketing_dims(self, e):
        dims = ["all", "channel:" + e["channel"]]
        if e.get("sku_id"):
            dims += self.sku_dims(e["sku_id"])
        return dims

    def on_SpendRecorded(self, e, hour):
        self.add(e["day"] + "T00", self.marketing_dims(e), "spend", e["amount"])

    def on_TrafficRecorded(self, e, hour):
        start = self.hour(e["period_start"])
        for name in ("impressions", "clicks", "visitors", "page_views", "add_to_carts"):
            self.add(start, self.marketing_dims(e), name, e.get(name, 0))


# Every counter of a KPI row, named as domain.md and docs/projections.md name them
# (check_figures.py fails on a counter Spine reports that is not here).
CHECKED_COUNTERS = (
    "placed_orders", "placed_value", "units", "paid_orders", "paid_value", "cancelled_orders",
    "payment_failed_card_limit", "payment_failed_verification_timeout", "payment_failed_cancelled_by_buyer",
    "payment_failed_other", "shipped_units", "returned_units", "returned_size_mismatch",
    "returned_quality_problem", "returned_damaged_in_transit", "returned_not_as_described",
    "returned_no_reason_7day", "refunds", "cogs", "commission", "dropship_cost", "spend", "impressions",
    "clicks", "visitors", "page_views", "add_to_carts", "discounts", "coupon_discounts", "forwards",
    "forwards_shipped", "forwards_in_time", "ship_time_sum_us", "refund_due")


def kpi_rows(reference, by, granularity):
    """{(period, key): {counter: value}} as GET /v1/kpis reports them."""
    rows = collections.defaultdict(collections.Counter)
    prefix = None if by == "all" else by + ":"
    for (hour, dim), counters in reference.counters.items():
        if by == "all":
            if dim != "all":
                continue
            key = "all"
        elif dim.startswith(prefix):
            key = dim[len(prefix):]
        else:
            continue
        period = period_of(hour, granularity)
        for name in CHECKED_COUNTERS:
            rows[(period, key)][name] += counters.get(name, 0)
    return rows


def ratio(numerator, denominator):
    return None if denominator == 0 else numerator / denominator


def period_of(hour, granularity):
    """The row an hour bucket counts in: "total", its day, or itself."""
    return {"total": "total", "day": hour[:10]}.get(granularity, hour)


def repurchase(reference, by, granularity):
    """{(period, key): rate}: customers with 2+ paid orders that stand / customers with 1+."""
    orders = collections.defaultdict(collections.Counter)  # (period, key) -> customer -> paid orders
    for order in reference.orders.values():
        if order["paid_hour"] is None or order["cancelled"]:
            continue
        dims = {"all": "all", "channel": order["channel"], "region": order["region"], "device": order["device"]}
        orders[(period_of(order["paid_hour"], granularity), dims[by])][order["customer"]] += 1
    return {k: ratio(sum(1 for n in c.values() if n >= 2), len(c)) for k, c in orders.items()}


def refund_due_changes(reference):
    """dim -> (hours in order, running balance after each)."""
    changes = collections.defaultdict(list)
    for (hour, dim), counters in reference.counters.items():
        if counters.get("refund_due"):
            changes[dim].append((hour, counters["refund_due"]))
    out = {}
    for dim, entries in changes.items():
        entries.sort()
        running, total = [], 0
        for _, change in entries:
            total += change
            running.append(total)
        out[dim] = ([hour for hour, _ in entries], running)
    return out


def refund_due_balance(balances, dim, period, granularity):
    """The balance owed at the end of the row: every change up to its last hour."""
    hours, running = balances.get(dim, ([], []))
    if granularity == "total":
        return running[-1] if running else 0
    last_hour = period + "T99" if granularity == "day" else period
    count = bisect.bisect_right(hours, last_hour)
    return running[count - 1] if count else 0


def sku_selector(reference, by, key):
    """Whether a SKU is in the row `key` of `by`, by its product's current category and rating."""
    def selected(sku):
        if by == "all":
            return True
        if by == "sku":
            return sku == key
        if by == "supplier":
            return reference.sku_supplier.get(sku, "") == key
        product = reference.products.get(reference.sku_product.get(sku, ""), {"category": "", "rating": 0})
        return product["category"] == key if by == "category" else rating_band(product["rating"]) == key
    return selected


def kpi_figures(reference, by, granularity, rows, skudays=None):
    """The figures GET /v1/kpis derives for each row of `rows` (kpi_rows); with
    `skudays` (skuday_reference.SkuDays) the SKU-day figures too."""
    import skuday_reference
    order_level = by in ORDER_DIMS
    repurchase_rates = repurchase(reference, by, granularity) if order_level else {}
    dim_of = (lambda key: "all") if by == "all" else (lambda key: by + ":" + key)
    balances = refund_due_changes(reference) if order_level else {}
    out = {}
    for (period, key), c in rows.items():
        net = c["paid_value"] - c["refunds"]
        overdue = 0
        for forward_key, (forwarded_at, hour, dims) in reference.forwards.items():
            if forward_key in reference.overdue and dim_of(key) in dims and period_of(hour, granularity) == period:
                overdue += 1
        figures = {
            "gmv": c["placed_value"], "paid_gmv": c["paid_value"], "net_sales": net, "orders": c["placed_orders"],
            "paid_orders": c["paid_orders"], "units": c["units"], "discounts": c["discounts"],
            "refund_total": c["refunds"], "aov": ratio(c["paid_value"], c["paid_orders"]),
            "cancellation_rate": ratio(c["cancelled_orders"], c["placed_orders"]),
            "return_rate": ratio(c["returned_units"], c["shipped_units"]),
            "gross_profit": net - c["cogs"] - c["commission"] - c["dropship_cost"] - c["spend"],
            "roi": ratio(net, c["spend"]), "ctr": ratio(c["clicks"], c["impressions"]),
            "cvr": ratio(c["paid_orders"], c["visitors"]), "add_to_cart_rate": ratio(c["add_to_carts"], c["visitors"]),
            "mean_ship_hours": ratio(c["ship_time_sum_us"], c["forwards_shipped"] * 3600 * 10**6),
            "supplier_ship_rate_48h": ratio(c["forwards_in_time"], c["forwards_shipped"] + overdue),
        }
        for reason in FAILURE_NAMES.values():
            figures["payment_failure_rate." + reason] = ratio(c["payment_failed_" + reason], c["placed_orders"])
        for reason in RETURN_NAMES.values():
            figures["return_rate_by_reason." + reason] = ratio(c["returned_" + reason], c["shipped_units"])
        if order_level:
            figures["repurchase_rate"] = repurchase_rates.get((period, key))
            figures["refund_due"] = refund_due_balance(balances, dim_of(key), period, granularity)
        if skudays is not None and by in ("all",) + LINE_DIMS and granularity != "hour":
            first, last = (reference.first_day, reference.last_day) if period == "total" else (period, period)
            figures.update(skudays.figures(sku_selector(reference, by, key), skuday_reference.ordinal(first),
                                           skuday_reference.ordinal(last) + 1, c["cogs"]))
        out[(period, key)] = figures
    return out
