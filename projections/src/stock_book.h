// Internal: stock levels of every SKU, folded from the stock streams with the
// domain's own evolve (so the projection and the command side can never
// disagree on what "on hand" means), plus what the read models add: shipped
// units per local day (sales), units written off as damaged on return, and
// each supplier's terms (lead time for safety stock, agreed ship hours) and
// each product's category (own stock's lead time). The stock, alerts and KPI
// projections each own one; its rows ("sku/<id>", "supplier/<id>",
// "delisted/<product>", "category/<product>") go under the owner's prefix.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calendar.h"
#include "rows.h"
#include "spine/domain/config.h"
#include "spine/domain/state.h"
#include "spine/projections/projection.h"

namespace spine::projections::internal {

constexpr std::int64_t kSalesDaysKept = 60;  // days of per-day sales kept per SKU (lead times are clamped to it)

struct SkuLevels {
  domain::StockState stock;
  std::map<std::int64_t, std::int64_t> shipped_by_day;  // local day -> units shipped
  std::int64_t damaged = 0;                             // units returned damaged and written off
};

struct StockFigures {
  std::int64_t on_hand = 0, committed = 0, available = 0, incoming = 0, damaged = 0, forecast = 0;
  bool dropship = false;
  std::int64_t supplier_available = 0, supplier_reported_at_us = 0;
  std::int64_t lead_time_days = 0, sales_over_lead_time = 0, sales_7d = 0;
  std::int64_t safety_stock = 0, alert_threshold = 0, reorder_suggestion = 0;
  bool listed = true;                  // the SKU's product is on sale (not delisted)
  std::string status;                  // ok / low / out
  double days_of_cover = -1;           // -1: no sales in 7 days
  std::int64_t sellable() const { return available + (dropship ? supplier_available : 0); }
};

struct SupplierTerms {
  std::int32_t lead_time_days = 0;
  std::int32_t ship_within_hours = 48;
};

void to_json(nlohmann::json& j, const SkuLevels& levels);
void from_json(const nlohmann::json& j, SkuLevels& levels);
// The rows without a DOM (rows.h, row_text).
void append_json(JsonText& out, const SkuLevels& levels);
void append_json(JsonText& out, const SupplierTerms& terms);

class StockBook {
 public:
  // Lead times come from `config`: own stock's [own_stock] rules, a supplier's
  // registered terms (the supplier defaults for one never registered).
  StockBook(Calendar calendar, const domain::Config& config)
      : calendar_(calendar), rules_(config.rules), own_stock_(config.own_stock),
        supplier_default_lead_days_(config.supplier_defaults.lead_time_days) {}

  // True if `event` concerns stock (the stock streams, supplier terms,
  // damaged returns, a product listed, updated, delisted or relisted).
  static bool concerns(const shop::EventBodyUnion& event);
  // Folds one event in; returns the SKUs it changed (none for a supplier
  // registration, which only updates the supplier's terms; every SKU of the
  // product for a delisting, relisting or change of category).
  std::vector<std::string> apply(const shop::EventBodyUnion& event, std::int64_t occurred_at_us);

  // Figures of one SKU as at `now_us` (sales windows end at now's local day).
  StockFigures figures(const SkuLevels& levels, std::int64_t now_us) const;
  // Days, 0..kSalesDaysKept: the supplier's for dropship, else own stock's by
  // SKU and category.
  std::int32_t lead_time_days(const domain::StockState& stock) const;
  std::int32_t ship_within_hours(const std::string& supplier_id) const;

  const SkuLevels* find(std::string_view sku_id) const { return skus_.find(sku_id); }
  // False while the SKU's product is delisted.
  bool listed(const SkuLevels& levels) const { return !delisted_.contains(levels.stock.product_id); }
  // Every SKU's levels, in SKU order.
  std::vector<std::pair<std::string_view, const SkuLevels*>> skus() const { return skus_.sorted(); }

  // Rows, under `prefix` (see TrackedTable).
  void flush(const std::string& prefix, RowSink& sink);
  void write_all(const std::string& prefix, RowSink& sink) const;
  // Loads a row whose key (without the owner's prefix) is ours; false if not.
  bool load(std::string_view key, std::string_view value);

 private:
  std::vector<std::string> skus_of(const std::string& product) const;

  Calendar calendar_;
  domain::RuleThresholds rules_;
  domain::OwnStockConfig own_stock_;
  std::int32_t supplier_default_lead_days_;
  TrackedTable<SkuLevels> skus_;
  TrackedTable<std::string> categories_;  // product id -> category path
  TrackedTable<SupplierTerms> suppliers_;
  TrackedTable<std::int64_t> delisted_;  // product id -> delisted at (us), while delisted
};

}  // namespace spine::projections::internal
