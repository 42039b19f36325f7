"""A deliberately simple reference for Spine's stock levels (GET /v1/stock).

From domain.md's stock rules: on hand moves with receipts, adjustments,
transfers out, transfers received, shipments from a warehouse and resellable
returns put back; committed is what placed orders reserved and have neither
shipped nor released; available = on hand - committed; incoming is what is in
transit to a warehouse. A dropship SKU's supplier can take its latest report
less the units routed to it since that report (a release gives back only what
was routed under the current report). Damaged counts units returned damaged.
"""
import collections
import math

WEEK_DAYS = 7


class StockReference:
    """`rules`: low_stock_floor, safety_stock_factor, own lead time default and
    rules ({"sku"|"category", "days"}), the supplier default lead time;
    `day_of`: occurred-at (us) -> local day ordinal."""

    def __init__(self, rules=None, day_of=None):
        self.rules = rules
        self.day_of = day_of
        self.skus = {}              # sku -> figures
        self.product_skus = collections.defaultdict(list)
        self.product_category = {}
        self.supplier_lead_days = {}
        self.delisted = set()
        self.routed_under = {}      # (order, sku) -> report number its supplier units were routed under
        self.sales = collections.defaultdict(collections.Counter)  # sku -> local day -> units shipped
        self.clock_us = 0
        self.low_stock = []         # [sku, raised at position, cleared at position or None]
        self.low_active = {}        # sku -> its open entry in low_stock
        self.price = {}             # sku -> current price
        self.cheapest_out = []      # [product, raised at, cleared at or None]
        self.cheapest_active = {}

    def sku(self, sku_id):
        return self.skus[sku_id]

    def warehouse(self, sku_id, warehouse_id):
        return self.skus[sku_id]["warehouses"].setdefault(
            warehouse_id, {"on_hand": 0, "committed": 0, "incoming": 0})

    def apply(self, record):
        self.clock_us = max(self.clock_us, record["occurred_at_us"])
        self.now_day = self.day_of(record["occurred_at_us"]) if self.day_of else 0
        handler = getattr(self, "on_" + record["type"], None)
        if handler is None or not record.get("event"):
            return
        body = record["event"]["body"]
        category_before = self.product_category.get(body.get("product_id"))
        handler(body)
        if self.rules is None:
            return
        products = set()
        for sku in self.moved_skus(record["type"], body, category_before):
            self.judge_low_stock(sku, record["position"])
            if sku in self.skus:
                products.add(self.skus[sku]["product"])
        if record["type"] in ("ProductListed", "PriceChanged"):
            products.add(body["product_id"])
        for product in sorted(products):
            self.judge_cheapest(product, record["position"])

    def judge_cheapest(self, product, position):
        """cheapest_sku_out_of_stock: on sale, the cheapest SKUs have nothing sellable, another SKU has."""
        skus = self.product_skus[product]
        low = min(self.price[sku] for sku in skus)

        def sellable(sku):
            if sku not in self.skus:
                return 0
            row = self.sku_row(sku, self.skus[sku])
            return row["available"] + row["supplier_available"]
        bad = (product not in self.delisted and any(sellable(sku) > 0 for sku in skus)
               and not any(sellable(sku) > 0 for sku in skus if self.price[sku] == low))
        if bad and product not in self.cheapest_active:
            self.cheapest_active[product] = [product, position, None]
            self.cheapest_out.append(self.cheapest_active[product])
        elif not bad and product in self.cheapest_active:
            self.cheapest_active.pop(product)[2] = position

    def moved_skus(self, kind, body, category_before):
        """The SKUs whose stock figures an event can change: its own on a stock
        stream, those of a damaged return, all of a product delisted, relisted
        or moved to another category."""
        if kind in ("ProductDelisted", "ProductRelisted"):
            return list(self.product_skus[body["product_id"]])
        if kind == "ProductUpdated":
            moved = body.get("category") and body["category"] != category_before
            return list(self.product_skus[body["product_id"]]) if moved else []
        if kind == "ReturnReceived":
            return [line["sku_id"] for line in body["lines"]] if body["condition"] == "Damaged" else []
        if kind in ("SkuListed", "StockReceived", "StockAdjusted", "StockTransferred", "TransferReceived",
                    "SupplierStockSynced", "StockReserved", "StockReleased", "StockShipped", "StockRestocked"):
            return [body["sku_id"]]
        return []

    def judge_low_stock(self, sku_id, position):
        """low_stock: raised when a movement leaves a SKU on sale low or out, cleared when ok or delisted."""
        if sku_id not in self.skus:
            return
        s = self.skus[sku_id]
        row = self.sku_row(sku_id, s)
        bad = s["product"] not in self.delisted and row["status"] != "ok"
        if bad and sku_id not in self.low_active:
            self.low_active[sku_id] = [sku_id, position, None]
            self.low_stock.append(self.low_active[sku_id])
        elif not bad and sku_id in self.low_active:
            self.low_active.pop(sku_id)[2] = position

    def on_ProductListed(self, e):
        self.product_category[e["product_id"]] = e["category"]
        for sku in e["skus"]:
            self.price[sku["sku_id"]] = sku["list_price"]
            self.product_skus[e["product_id"]].append(sku["sku_id"])

    def on_PriceChanged(self, e):
        self.price[e["sku_id"]] = e["new_price"]

    def on_ProductUpdated(self, e):
        if e.get("category"):
            self.product_category[e["product_id"]] = e["category"]

    def on_SupplierRegistered(self, e):
        self.supplier_lead_days[e["supplier_id"]] = e.get("lead_time_days", 0)

    def on_ProductDelisted(self, e):
        self.delisted.add(e["product_id"])

    def on_ProductRelisted(self, e):
        self.delisted.discard(e["product_id"])

    def on_SkuListed(self, e):
        self.skus[e["sku_id"]] = {"product": e["product_id"], "supplier": e.get("supplier_id", ""),
                                  "warehouses": {}, "damaged": 0, "reported": 0, "routed_since": 0, "reports": 0}

    def on_StockReceived(self, e):
        self.warehouse(e["sku_id"], e["warehouse_id"])["on_hand"] += e["quantity"]

    def on_StockAdjusted(self, e):
        self.warehouse(e["sku_id"], e["warehouse_id"])["on_hand"] += e["delta"]

    def on_StockTransferred(self, e):
        self.warehouse(e["sku_id"], e["from_warehouse"])["on_hand"] -= e["quantity"]
        self.warehouse(e["sku_id"], e["to_warehouse"])["incoming"] += e["quantity"]

    def on_TransferReceived(self, e):
        to = self.warehouse(e["sku_id"], e["to_warehouse"])
        to["incoming"] -= e["quantity"]
        to["on_hand"] += e["quantity"]

    def on_SupplierStockSynced(self, e):
        sku = self.sku(e["sku_id"])
        sku["reported"] = e["available"]
        sku["routed_since"] = 0
        sku["reports"] += 1

    def on_StockReserved(self, e):
        sku = self.sku(e["sku_id"])
        for a in e.get("allocations", []):
            if a["kind"] == "Warehouse":
                self.warehouse(e["sku_id"], a["source_id"])["committed"] += a["quantity"]
            else:
                sku["routed_since"] += a["quantity"]
                self.routed_under[(e["order_id"], e["sku_id"])] = sku["reports"]

    def on_StockReleased(self, e):
        sku = self.sku(e["sku_id"])
        for a in e.get("allocations", []):
            if a["kind"] == "Warehouse":
                self.warehouse(e["sku_id"], a["source_id"])["committed"] -= a["quantity"]
            elif self.routed_under.get((e["order_id"], e["sku_id"])) == sku["reports"]:
                sku["routed_since"] -= a["quantity"]

    def on_StockShipped(self, e):
        self.sales[e["sku_id"]][self.now_day] += e["quantity"]
        if e["kind"] == "Warehouse":
            w = self.warehouse(e["sku_id"], e["source_id"])
            w["on_hand"] -= e["quantity"]
            w["committed"] -= e["quantity"]

    def on_StockRestocked(self, e):
        self.warehouse(e["sku_id"], e["warehouse_id"])["on_hand"] += e["quantity"]

    def on_ReturnReceived(self, e):
        if e["condition"] == "Damaged":
            for line in e["lines"]:
                if line["sku_id"] in self.skus:
                    self.skus[line["sku_id"]]["damaged"] += line["quantity"]

    def lead_time_days(self, sku_id, s):
        if s["supplier"]:
            days = self.supplier_lead_days.get(s["supplier"], self.rules["supplier_lead_time_days"])
        else:
            days, best = self.rules["own_lead_time_days"], -1
            category = self.product_category.get(s["product"], "")
            for rule in self.rules["own_lead_times"]:
                if rule.get("sku") == sku_id:
                    days, best = rule["days"], 10**6
                    break
                prefix = rule.get("category")
                if prefix and (category == prefix or category.startswith(prefix + "/")) and len(prefix) > best:
                    days, best = rule["days"], len(prefix)
        return min(max(days, 0), 60)

    def planning(self, sku_id, s, sellable, forecast):
        """Safety stock, threshold, status, cover and the reorder suggestion as at the clock's day."""
        today = self.day_of(self.clock_us)
        lead = self.lead_time_days(sku_id, s)
        over_lead = sum(n for day, n in self.sales[sku_id].items() if today - lead < day <= today)
        week = sum(n for day, n in self.sales[sku_id].items() if today - WEEK_DAYS < day <= today)
        safety = math.ceil(self.rules["safety_stock_factor"] * over_lead - 1e-9)
        threshold = max(safety, self.rules["low_stock_floor"])
        status = "out" if sellable <= 0 else ("low" if sellable < threshold else "ok")
        reorder = 2 * threshold - forecast if not s["supplier"] and forecast < threshold else 0
        return {"lead_time_days": lead, "sales_over_lead_time": over_lead, "sales_7d": week,
                "safety_stock": safety, "alert_threshold": threshold, "status": status,
                "days_of_cover": math.floor(sellable * 700 / week + 0.5) / 100 if week else None, "reorder_suggestion": reorder}

    def sku_row(self, sku_id, s):
        warehouses = {w: {"on_hand": f["on_hand"], "committed": f["committed"],
                          "available": f["on_hand"] - f["committed"], "incoming": f["incoming"]}
                      for w, f in s["warehouses"].items()}
        dropship = bool(s["supplier"])
        row = {
            "on_hand": sum(w["on_hand"] for w in warehouses.values()),
            "committed": sum(w["committed"] for w in warehouses.values()),
            "available": sum(w["available"] for w in warehouses.values()),
            "incoming": sum(w["incoming"] for w in warehouses.values()),
            "damaged": s["damaged"],
            "dropship": dropship,
            "supplier_available": max(0, s["reported"] - s["routed_since"]) if dropship else 0,
            "listed": s["product"] not in self.delisted,
            "warehouses": warehouses,
        }
        row["forecast"] = row["on_hand"] + row["incoming"] - row["committed"]
        if self.rules is not None:
            row.update(self.planning(sku_id, s, row["available"] + row["supplier_available"], row["forecast"]))
        return row

    def rows(self):
        """{sku: figures} of the SKUs on sale, as GET /v1/stock lists them."""
        return {sku_id: self.sku_row(sku_id, s) for sku_id, s in self.skus.items() if s["product"] not in self.delisted}
