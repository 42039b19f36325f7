// decide for stock: receive, adjust, transfer, and supplier stock sync.
#include "decide_internal.h"
#include "spine/domain/rules.h"

namespace spine::domain::detail {

Status check_listed_sku(const std::string& sku_id, const Context& ctx) {
  if (Status s = check_id(sku_id, "sku_id"); !s) return s;
  if (!ctx.loaded.stock(sku_id).exists) return refuse("unknown_sku", "sku_id", "SKU '" + sku_id + "' has not been listed");
  return ok_status();
}

namespace {

Result<const WarehouseState*> registered_warehouse(const std::string& id, const std::string& field, const Context& ctx) {
  if (Status s = check_id(id, field); !s) return s.error();
  const WarehouseState& warehouse = ctx.loaded.warehouse(id);
  if (!warehouse.exists) return refuse("unknown_warehouse", field, "warehouse '" + id + "' is not registered");
  return &warehouse;
}

Result<Decision> receive_stock(const shop::ReceiveStockT& c, const Context& ctx) {
  if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  Result<const WarehouseState*> warehouse = registered_warehouse(c.warehouse_id, "warehouse_id", ctx);
  if (!warehouse) return warehouse.error();
  if (Status s = check_quantity(c.quantity, "quantity", 10'000'000); !s) return s.error();
  if (Status s = check_amount(c.unit_cost, "unit_cost", true); !s) return s.error();
  if (Status s = check_text(c.purchase_ref, "purchase_ref", 256, false); !s) return s.error();
  Decision decision;
  shop::StockReceivedT received;
  received.sku_id = c.sku_id;
  received.warehouse_id = c.warehouse_id;
  received.region = (*warehouse)->region;
  received.quantity = c.quantity;
  received.unit_cost = c.unit_cost;
  received.purchase_ref = c.purchase_ref;
  emit(decision, stock_stream(c.sku_id), std::move(received));
  return decision;
}

Result<Decision> adjust_stock(const shop::AdjustStockT& c, const Context& ctx) {
  if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  Result<const WarehouseState*> warehouse = registered_warehouse(c.warehouse_id, "warehouse_id", ctx);
  if (!warehouse) return warehouse.error();
  if (c.delta == 0 || c.delta < -10'000'000 || c.delta > 10'000'000) {
    return refuse("invalid_quantity", "delta", "delta must be non-zero and within +/-10,000,000");
  }
  if (c.reason < shop::AdjustReason::MIN || c.reason > shop::AdjustReason::MAX) {
    return refuse("invalid_reason", "reason", "reason must be StockCount, Damage or Loss");
  }
  if (Status s = check_text(c.note, "note", 1024, false); !s) return s.error();
  const StockState& stock = ctx.loaded.stock(c.sku_id);
  auto it = stock.warehouses.find(c.warehouse_id);
  const WarehouseStock current = it == stock.warehouses.end() ? WarehouseStock{} : it->second;
  if (current.on_hand + c.delta < 0) {
    return refuse("below_zero", "delta",
                  "on hand at '" + c.warehouse_id + "' is " + std::to_string(current.on_hand) + "; an adjustment of " +
                      std::to_string(c.delta) + " would take it below zero");
  }
  if (current.on_hand + c.delta < current.reserved) {
    return refuse("below_reserved", "delta",
                  std::to_string(current.reserved) + " units at '" + c.warehouse_id +
                      "' are reserved for orders; on hand may not fall below that (cancel or ship those orders first)");
  }
  Decision decision;
  shop::StockAdjustedT adjusted;
  adjusted.sku_id = c.sku_id;
  adjusted.warehouse_id = c.warehouse_id;
  adjusted.delta = c.delta;
  adjusted.reason = c.reason;
  adjusted.note = c.note;
  emit(decision, stock_stream(c.sku_id), std::move(adjusted));
  return decision;
}

Result<Decision> transfer_stock(const shop::TransferStockT& c, const Context& ctx) {
  if (Status s = check_id(c.transfer_id, "transfer_id"); !s) return s.error();
  if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  Result<const WarehouseState*> from = registered_warehouse(c.from_warehouse, "from_warehouse", ctx);
  if (!from) return from.error();
  Result<const WarehouseState*> to = registered_warehouse(c.to_warehouse, "to_warehouse", ctx);
  if (!to) return to.error();
  if (c.from_warehouse == c.to_warehouse) return refuse("same_warehouse", "to_warehouse", "a transfer needs two different warehouses");
  if (Status s = check_quantity(c.quantity, "quantity", 10'000'000); !s) return s.error();
  const StockState& stock = ctx.loaded.stock(c.sku_id);
  if (stock.transfers.contains(c.transfer_id)) {
    return refuse("transfer_exists", "transfer_id", "transfer '" + c.transfer_id + "' is already in flight");
  }
  auto it = stock.warehouses.find(c.from_warehouse);
  const std::int64_t available = it == stock.warehouses.end() ? 0 : it->second.available();
  if (c.quantity > available) {
    Error error = refuse("insufficient_stock", "quantity",
                         "'" + c.from_warehouse + "' has " + std::to_string(available) + " available; cannot transfer " +
                             std::to_string(c.quantity));
    error.details.push_back({c.sku_id, c.quantity, available});
    return error;
  }
  Decision decision;
  shop::StockTransferredT transferred;
  transferred.transfer_id = c.transfer_id;
  transferred.sku_id = c.sku_id;
  transferred.from_warehouse = c.from_warehouse;
  transferred.to_warehouse = c.to_warehouse;
  transferred.to_region = (*to)->region;
  transferred.quantity = c.quantity;
  emit(decision, stock_stream(c.sku_id), std::move(transferred));
  return decision;
}

Result<Decision> receive_transfer(const shop::ReceiveTransferT& c, const Context& ctx) {
  if (Status s = check_id(c.transfer_id, "transfer_id"); !s) return s.error();
  if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  const StockState& stock = ctx.loaded.stock(c.sku_id);
  auto it = stock.transfers.find(c.transfer_id);
  if (it == stock.transfers.end()) {
    return refuse("unknown_transfer", "transfer_id", "no transfer '" + c.transfer_id + "' of SKU '" + c.sku_id + "' is in flight");
  }
  Decision decision;
  shop::TransferReceivedT received;
  received.transfer_id = c.transfer_id;
  received.sku_id = c.sku_id;
  received.to_warehouse = it->second.to_warehouse;
  received.quantity = static_cast<std::int32_t>(it->second.quantity);
  emit(decision, stock_stream(c.sku_id), std::move(received));
  return decision;
}

Result<Decision> sync_supplier_stock(const shop::SyncSupplierStockT& c, const Context& ctx) {
  if (Status s = check_id(c.supplier_id, "supplier_id"); !s) return s.error();
  if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  if (!ctx.loaded.supplier(c.supplier_id).exists) {
    return refuse("unknown_supplier", "supplier_id", "supplier '" + c.supplier_id + "' is not registered");
  }
  const StockState& stock = ctx.loaded.stock(c.sku_id);
  if (stock.supplier_id != c.supplier_id) {
    return refuse("not_supplier_sku", "sku_id", "SKU '" + c.sku_id + "' is not dropshipped by '" + c.supplier_id + "'");
  }
  if (c.available < 0 || c.available > 100'000'000) {
    return refuse("invalid_quantity", "available", "available must be 0 to 100,000,000");
  }
  constexpr std::int64_t kFutureTolerance = 5LL * 60 * 1'000'000;  // clocks differ; five minutes ahead at most
  if (c.reported_at <= 0 || c.reported_at > ctx.now_us + kFutureTolerance) {
    return refuse("invalid_time", "reported_at", "reported_at must be a UTC time in microseconds, not in the future");
  }
  if (c.reported_at < stock.supplier_reported_at_us) {
    return refuse("report_out_of_order", "reported_at",
                  "a newer report (" + std::to_string(stock.supplier_reported_at_us) + ") is already recorded");
  }
  Decision decision;
  shop::SupplierStockSyncedT synced;
  synced.sku_id = c.sku_id;
  synced.supplier_id = c.supplier_id;
  synced.available = c.available;
  synced.reported_at = c.reported_at;
  emit(decision, stock_stream(c.sku_id), std::move(synced));
  return decision;
}

}  // namespace

void stock_streams(const shop::CommandBodyUnion& command, const LoadedStreams&, std::vector<std::string>& out) {
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::ReceiveStock: {
      const auto& c = *command.AsReceiveStock();
      out.push_back(stock_stream(c.sku_id));
      out.push_back(warehouse_stream(c.warehouse_id));
      break;
    }
    case CommandBody::AdjustStock: {
      const auto& c = *command.AsAdjustStock();
      out.push_back(stock_stream(c.sku_id));
      out.push_back(warehouse_stream(c.warehouse_id));
      break;
    }
    case CommandBody::TransferStock: {
      const auto& c = *command.AsTransferStock();
      out.push_back(stock_stream(c.sku_id));
      out.push_back(warehouse_stream(c.from_warehouse));
      out.push_back(warehouse_stream(c.to_warehouse));
      break;
    }
    case CommandBody::ReceiveTransfer: out.push_back(stock_stream(command.AsReceiveTransfer()->sku_id)); break;
    // Spend and traffic name a SKU that must exist (read, not written).
    case CommandBody::RecordSpend:
      if (!command.AsRecordSpend()->sku_id.empty()) out.push_back(stock_stream(command.AsRecordSpend()->sku_id));
      break;
    case CommandBody::RecordTraffic: out.push_back(stock_stream(command.AsRecordTraffic()->sku_id)); break;
    case CommandBody::SyncSupplierStock: {
      const auto& c = *command.AsSyncSupplierStock();
      out.push_back(stock_stream(c.sku_id));
      out.push_back(supplier_stream(c.supplier_id));
      break;
    }
    default:
      break;
  }
}

Result<Decision> decide_stock(const shop::CommandBodyUnion& command, const Context& ctx) {
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::ReceiveStock: return receive_stock(*command.AsReceiveStock(), ctx);
    case CommandBody::AdjustStock: return adjust_stock(*command.AsAdjustStock(), ctx);
    case CommandBody::TransferStock: return transfer_stock(*command.AsTransferStock(), ctx);
    case CommandBody::ReceiveTransfer: return receive_transfer(*command.AsReceiveTransfer(), ctx);
    case CommandBody::SyncSupplierStock: return sync_supplier_stock(*command.AsSyncSupplierStock(), ctx);
    default: break;
  }
  return refuse("unknown_command", "command", "not a stock command");
}

}  // namespace spine::domain::detail
