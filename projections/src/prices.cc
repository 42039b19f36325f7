#include "spine/projections/prices.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "calendar.h"
#include "rows.h"

namespace spine::projections {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PricePoint, position, at_us, old_price, new_price, reason, actor, below_cost)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SkuPrices, product_id, cost_price, changes, shipped_units, returned_units, listed)

PriceProjection::PriceProjection(const domain::Config& config)
    : config_(config), skus_(std::make_unique<internal::TrackedTable<SkuPrices>>()) {}

PriceProjection::~PriceProjection() = default;

Status PriceProjection::apply(const EventContext& context) {
  if (context.event == nullptr) return *context.decode_error;
  const shop::EventBodyUnion& event = *context.event;
  clock_us_ = std::max(clock_us_, context.occurred_at_us());
  const std::string actor(context.record.actor());
  switch (event.type) {
    case shop::EventBody::ProductListed: {
      const auto& e = *event.AsProductListed();
      for (const auto& sku : e.skus) {
        SkuPrices& prices = skus_->write(sku->sku_id);
        prices.product_id = e.product_id;
        prices.cost_price = sku->cost_price;
        prices.changes.push_back(PricePoint{context.position(), context.occurred_at_us(), 0, sku->list_price,
                                            "listed", actor, sku->list_price < sku->cost_price});
      }
      break;
    }
    case shop::EventBody::PriceChanged: {
      const auto& e = *event.AsPriceChanged();
      skus_->write(e.sku_id).changes.push_back(PricePoint{context.position(), context.occurred_at_us(), e.old_price,
                                                          e.new_price, e.reason, actor, e.below_cost});
      break;
    }
    case shop::EventBody::StockShipped: {
      const auto& e = *event.AsStockShipped();
      skus_->write(e.sku_id).shipped_units += e.quantity;
      break;
    }
    case shop::EventBody::ReturnReceived: {
      for (const auto& line : event.AsReturnReceived()->lines) skus_->write(line->sku_id).returned_units += line->quantity;
      break;
    }
    case shop::EventBody::ProductDelisted: set_listed(event.AsProductDelisted()->product_id, false); break;
    case shop::EventBody::ProductRelisted: set_listed(event.AsProductRelisted()->product_id, true); break;
    default: break;
  }
  return ok_status();
}

void PriceProjection::set_listed(const std::string& product_id, bool listed) {
  std::vector<std::string> skus;  // delistings are rare: a walk over the SKUs is fine
  for (const auto& [sku, prices] : skus_->sorted()) {
    if (prices->product_id == product_id) skus.emplace_back(sku);
  }
  for (const std::string& sku : skus) skus_->write(sku).listed = listed;
}

void PriceProjection::take_changed_rows(RowSink& sink) {
  skus_->flush("sku/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

void PriceProjection::write_all_rows(RowSink& sink) const {
  skus_->write_all("sku/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

Status PriceProjection::load_row(std::string_view key, std::string_view value) {
  return internal::load_guarded(key, [&] {
    if (key.starts_with("sku/")) {
      skus_->load(key.substr(4), value);
      return true;
    }
    if (key == "clock") {
      clock_us_ = std::stoll(std::string(value));
      return true;
    }
    return false;
  });
}

std::int64_t lowest_price_30d(const std::vector<PricePoint>& changes, std::int64_t now_us) {
  const std::int64_t window_start = now_us - 30 * internal::kMicrosPerDay;
  std::int64_t lowest = INT64_MAX;
  const PricePoint* at_start = nullptr;
  for (const PricePoint& change : changes) {
    if (change.at_us <= window_start) {
      at_start = &change;
    } else if (change.at_us <= now_us) {
      lowest = std::min(lowest, change.new_price);
    }
  }
  if (at_start != nullptr) lowest = std::min(lowest, at_start->new_price);
  return lowest == INT64_MAX ? 0 : lowest;
}

std::vector<std::string> PriceProjection::sku_ids() const {
  std::vector<std::string> ids;
  for (const auto& [sku, prices] : skus_->sorted()) {
    if (!prices->changes.empty()) ids.emplace_back(sku);
  }
  return ids;
}

namespace {
// Why `price` may not join a platform promotion (domain.md: at or below the
// 30-day low, at least `min_sales` historical sales, on sale); empty if it may.
nlohmann::json promotion_refusals(const SkuPrices& prices, std::int64_t price, std::int64_t lowest,
                                  std::int64_t min_sales) {
  nlohmann::json refusals = nlohmann::json::array();
  const std::int64_t sales = prices.shipped_units - prices.returned_units;
  if (!prices.listed) refusals.push_back({{"rule", "delisted"}, {"message", "the product is delisted"}});
  if (price > lowest) {
    refusals.push_back({{"rule", "above_lowest_30d"},
                        {"message", "price " + std::to_string(price) + " is above the 30-day lowest price " +
                                        std::to_string(lowest)}});
  }
  if (sales < min_sales) {
    refusals.push_back({{"rule", "too_few_sales"},
                        {"message", std::to_string(sales) + " historical sales (shipped less returned), " +
                                        std::to_string(min_sales) + " needed"}});
  }
  return refusals;
}
}  // namespace

nlohmann::json PriceProjection::history(std::string_view sku, std::optional<std::int64_t> offer) const {
  const SkuPrices* found = skus_->find(sku);
  if (found == nullptr || found->changes.empty()) return nullptr;
  const SkuPrices& prices = *found;
  const std::int64_t price = prices.changes.back().new_price;
  const std::int64_t lowest = lowest_price_30d(prices.changes, clock_us_);
  const std::int64_t min_sales = config_.rules.promo_min_sales;
  nlohmann::json changes = nlohmann::json::array();
  for (const PricePoint& change : prices.changes) {
    changes.push_back({{"position", change.position}, {"at", internal::format_time(change.at_us)},
                       {"old_price", change.old_price}, {"new_price", change.new_price}, {"reason", change.reason},
                       {"actor", change.actor}, {"below_cost", change.below_cost}});
  }
  nlohmann::json out = {{"sku", std::string(sku)},
                        {"product_id", prices.product_id},
                        {"price", price},
                        {"cost_price", prices.cost_price},
                        {"lowest_30d", lowest},
                        {"listed", prices.listed},
                        {"shipped_units", prices.shipped_units},
                        {"returned_units", prices.returned_units},
                        {"historical_sales", prices.shipped_units - prices.returned_units},
                        {"promo_eligible", promotion_refusals(prices, price, lowest, min_sales).empty()},
                        {"changes", std::move(changes)}};
  if (offer) {
    nlohmann::json refusals = promotion_refusals(prices, *offer, lowest, min_sales);
    const bool eligible = refusals.empty();
    out["offer"] = {{"price", *offer}, {"eligible", eligible}, {"refusals", std::move(refusals)}};
  }
  return out;
}

}  // namespace spine::projections
