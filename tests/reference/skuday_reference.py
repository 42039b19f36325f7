"""A deliberately simple reference for the KPI figures over SKU-days
(docs/projections.md, "Not sums"): stockout rate, average inventory value,
inventory turnover and slow-moving ratio, over the period's whole local days.

It keeps, per SKU and local day, the end-of-day sellable units and units on
hand (the last movement of the day, carried over days without one), units
shipped that day, and per product the days its listing changed.
"""
import collections
import datetime

SLOW_MOVING_DAYS = 30


def ordinal(day):
    return datetime.date.fromisoformat(day).toordinal()


class SkuDays:
    def __init__(self, stock, day_of):
        self.stock = stock            # a StockReference, already folded up to the record
        self.day_of = day_of          # occurred-at (us) -> local day "YYYY-MM-DD"
        self.series = collections.defaultdict(dict)     # sku -> day ordinal -> (sellable, on hand)
        self.shipped = collections.defaultdict(collections.Counter)  # sku -> day ordinal -> units
        self.listed_day = {}
        self.cost = {}
        self.listing = collections.defaultdict(dict)    # product -> day ordinal -> on sale at its end

    def after(self, record):
        """Call after the StockReference applied `record`."""
        if not record.get("event"):
            return
        body = record["event"]["body"]
        day = ordinal(self.day_of(record["occurred_at_us"]))
        kind = record["type"]
        if kind == "SkuListed":
            self.listed_day[body["sku_id"]] = day
            self.cost[body["sku_id"]] = body.get("cost_price", 0)
        elif kind in ("ProductDelisted", "ProductRelisted"):
            self.listing[body["product_id"]][day] = kind == "ProductRelisted"
            for sku in self.stock.product_skus[body["product_id"]]:
                self.record_levels(sku, day)
        elif kind == "StockShipped":
            self.shipped[body["sku_id"]][day] += body["quantity"]
        if body.get("sku_id") in self.stock.skus:
            self.record_levels(body["sku_id"], day)

    def record_levels(self, sku, day):
        if sku not in self.stock.skus:
            return
        s = self.stock.skus[sku]
        on_hand = sum(w["on_hand"] for w in s["warehouses"].values())
        available = sum(w["on_hand"] - w["committed"] for w in s["warehouses"].values())
        supplier = max(0, s["reported"] - s["routed_since"]) if s["supplier"] else 0
        self.series[sku][day] = (available + supplier, on_hand)

    def levels_at(self, sku, day):
        known = [d for d in self.series[sku] if d <= day]
        return self.series[sku][max(known)] if known else None

    def on_sale(self, sku, day):
        changes = self.listing.get(self.stock.skus[sku]["product"], {})
        known = [d for d in changes if d <= day]
        return changes[max(known)] if known else True

    def figures(self, selected, first_day, end_day, cogs):
        """Over days first_day <= d < end_day (ordinals), for the SKUs `selected` says."""
        listed_days = stockout_days = with_stock = slow = 0
        value_sum = 0
        for sku in self.stock.skus:
            if not selected(sku):
                continue
            for day in range(max(first_day, self.listed_day[sku]), end_day):
                if not self.on_sale(sku, day):
                    continue
                listed_days += 1
                stockout_days += 1 if self.levels_at(sku, day)[0] <= 0 else 0
            for day in range(first_day, end_day):
                levels = self.levels_at(sku, day)
                value_sum += levels[1] * self.cost[sku] if levels else 0
            last = self.levels_at(sku, end_day - 1)
            judged = self.on_sale(sku, end_day - 1) and end_day - self.listed_day[sku] >= SLOW_MOVING_DAYS
            if last is not None and last[1] > 0 and judged:
                with_stock += 1
                sold = sum(n for d, n in self.shipped[sku].items() if end_day - SLOW_MOVING_DAYS <= d < end_day)
                slow += 1 if sold == 0 else 0
        average = value_sum / (end_day - first_day)
        return {"stockout_rate": None if listed_days == 0 else stockout_days / listed_days,
                "average_inventory_value": average,
                "inventory_turnover": None if average <= 0 else cogs / average,
                "slow_moving_ratio": None if with_stock == 0 else slow / with_stock}
