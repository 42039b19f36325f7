"""A deliberately simple reference for Spine's price answers
(GET /v1/skus/{sku}/prices), from domain.md's promotion rule: a SKU may join a
promotion when its product is on sale, its price is at or below the lowest
price of the trailing 30 days, and its historical sales (units shipped less
units returned) reach `promo_min_sales`.
"""

DAY_US = 24 * 3600 * 10**6


class PricesReference:
    def __init__(self, promo_min_sales):
        self.promo_min_sales = promo_min_sales
        self.skus = {}  # sku -> {"product", "history": [(at, price)], "shipped", "returned"}
        self.delisted = set()
        self.clock_us = 0

    def apply(self, record):
        self.clock_us = max(self.clock_us, record["occurred_at_us"])
        handler = getattr(self, "on_" + record["type"], None)
        if handler is not None and record.get("event"):
            handler(record["event"]["body"], record["occurred_at_us"])

    def on_ProductListed(self, e, at):
        for sku in e["skus"]:
            self.skus[sku["sku_id"]] = {"product": e["product_id"], "history": [(at, sku["list_price"])],
                                        "shipped": 0, "returned": 0}

    def on_PriceChanged(self, e, at):
        self.skus[e["sku_id"]]["history"].append((at, e["new_price"]))

    def on_ProductDelisted(self, e, at):
        self.delisted.add(e["product_id"])

    def on_ProductRelisted(self, e, at):
        self.delisted.discard(e["product_id"])

    def on_StockShipped(self, e, at):
        self.skus[e["sku_id"]]["shipped"] += e["quantity"]

    def on_ReturnReceived(self, e, at):
        for line in e["lines"]:
            self.skus[line["sku_id"]]["returned"] += line["quantity"]

    def lowest_30d(self, history):
        """The price in effect when the window opened, and every price set inside it."""
        start = self.clock_us - 30 * DAY_US
        in_effect = [price for at, price in history if at <= start]
        prices = ([in_effect[-1]] if in_effect else []) + [price for at, price in history if at > start]
        return min(prices)

    def rows(self):
        out = {}
        for sku, s in self.skus.items():
            price = s["history"][-1][1]
            lowest = self.lowest_30d(s["history"])
            sales = s["shipped"] - s["returned"]
            listed = s["product"] not in self.delisted
            out[sku] = {"price": price, "lowest_30d": lowest, "shipped_units": s["shipped"],
                        "returned_units": s["returned"], "historical_sales": sales, "listed": listed,
                        "promo_eligible": listed and price <= lowest and sales >= self.promo_min_sales}
        return out
