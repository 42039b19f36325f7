"""A deliberately simple reference for Spine's supplier performance
(GET /v1/suppliers/{id}/performance), from the supplier terms of domain.md:
ship within the agreed hours of a forward (48), at least 95 % of the forwards
that are due (shipped, or open when their deadline was recorded) shipped in
time; returned units written off at most 5 % of the units returned.
"""

HOUR_US = 3600 * 10**6


class SuppliersReference:
    def __init__(self, min_ship_rate, max_return_loss):
        self.min_ship_rate = min_ship_rate
        self.max_return_loss = max_return_loss
        self.suppliers = {}
        self.sku_supplier = {}
        self.open = {}  # (order, supplier) -> forwarded at
        self.overdue = set()

    def apply(self, record):
        handler = getattr(self, "on_" + record["type"], None)
        if handler is not None and record.get("event"):
            handler(record["event"]["body"], record["occurred_at_us"])

    def supplier(self, supplier_id):
        return self.suppliers.setdefault(supplier_id, {
            "name": "", "ship_within_hours": 48, "forwards": 0, "shipped": 0, "shipped_in_time": 0,
            "ship_time_us": 0, "shipped_units": 0, "returned_units": 0, "written_off_units": 0})

    def on_SupplierRegistered(self, e, at):
        s = self.supplier(e["supplier_id"])
        s["name"] = e.get("name", "")
        s["ship_within_hours"] = e.get("ship_within_hours", 48)

    def on_SkuListed(self, e, at):
        if e.get("supplier_id"):
            self.sku_supplier[e["sku_id"]] = e["supplier_id"]

    def on_DropshipForwarded(self, e, at):
        self.supplier(e["supplier_id"])["forwards"] += 1
        self.open[(e["order_id"], e["supplier_id"])] = at

    def on_DeadlinePassed(self, e, at):
        if e["kind"] == "supplier_not_shipped":
            order, _, supplier = e["subject"].rpartition(":")
            if (order, supplier) in self.open:
                self.overdue.add((order, supplier))

    def on_OrderShipped(self, e, at):
        key = (e["order_id"], e["source_id"])
        if e["kind"] != "Supplier" or key not in self.open:
            return
        s = self.supplier(e["source_id"])
        took = at - self.open.pop(key)
        self.overdue.discard(key)
        s["shipped"] += 1
        s["ship_time_us"] += took
        s["shipped_in_time"] += 1 if took <= s["ship_within_hours"] * HOUR_US else 0

    def on_StockShipped(self, e, at):
        if e["sku_id"] in self.sku_supplier:
            self.supplier(self.sku_supplier[e["sku_id"]])["shipped_units"] += e["quantity"]

    def on_ReturnReceived(self, e, at):
        for line in e["lines"]:
            if line["sku_id"] not in self.sku_supplier:
                continue
            s = self.supplier(self.sku_supplier[line["sku_id"]])
            s["returned_units"] += line["quantity"]
            if e["condition"] == "Damaged":
                s["written_off_units"] += line["quantity"]

    def rows(self):
        out = {}
        for supplier_id, s in self.suppliers.items():
            open_forwards = sum(1 for (_, sup) in self.open if sup == supplier_id)
            overdue = sum(1 for (_, sup) in self.overdue if sup == supplier_id)
            due = s["shipped"] + overdue
            ship_rate = s["shipped_in_time"] / due if due else None
            loss = s["written_off_units"] / s["returned_units"] if s["returned_units"] else None
            out[supplier_id] = {
                "name": s["name"], "ship_within_hours": s["ship_within_hours"], "forwards": s["forwards"],
                "shipped": s["shipped"], "shipped_in_time": s["shipped_in_time"], "open_forwards": open_forwards,
                "overdue_forwards": overdue, "shipped_units": s["shipped_units"],
                "returned_units": s["returned_units"], "written_off_units": s["written_off_units"],
                "ship_rate_48h": ship_rate, "return_loss_rate": loss,
                "return_rate": s["returned_units"] / s["shipped_units"] if s["shipped_units"] else None,
                "mean_ship_hours": s["ship_time_us"] / s["shipped"] / HOUR_US if s["shipped"] else None,
                "meets_ship_rate": ship_rate is None or ship_rate >= self.min_ship_rate,
                "meets_return_loss": loss is None or loss <= self.max_return_loss,
            }
        return out
