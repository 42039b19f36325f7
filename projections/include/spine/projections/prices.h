// Price history per SKU (domain.md §2): every price in log order with time,
// actor and reason; the lowest price over the trailing 30 days; promotion
// eligibility of the current price, or of a proposed offer price: the SKU is
// on sale, the price is at or below that lowest price, and its historical
// sales (units shipped less units returned) reach `promo_min_sales`.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "spine/projections/read_models.h"

namespace spine::projections {

namespace internal {
template <typename Row> class TrackedTable;
}

struct PricePoint {
  std::uint64_t position = 0;
  std::int64_t at_us = 0;          // occurred-at
  std::int64_t old_price = 0, new_price = 0;
  std::string reason, actor;
  bool below_cost = false;
};

struct SkuPrices {
  std::string product_id;
  std::int64_t cost_price = 0;
  std::vector<PricePoint> changes;  // the listing first, then every change
  std::int64_t shipped_units = 0;
  std::int64_t returned_units = 0;  // received back, whatever their condition
  bool listed = true;               // false while its product is delisted
};

class PriceProjection final : public Projection {
 public:
  explicit PriceProjection(const domain::Config& config);
  ~PriceProjection() override;
  std::string_view name() const override { return "prices"; }
  std::uint32_t version() const override { return 2; }  // 2: returns, listed state
  Status apply(const EventContext& context) override;
  void take_changed_rows(RowSink& sink) override;
  void write_all_rows(RowSink& sink) const override;
  Status load_row(std::string_view key, std::string_view value) override;
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<PriceProjection>(config_); }

  // {sku, price, cost_price, lowest_30d, listed, shipped_units, returned_units,
  //  historical_sales, promo_eligible, changes: [...]}, or null for an unknown
  // SKU; windows end at clock_us(). With an offer price, also
  // offer: {price, eligible, refusals: [{rule, message}]}.
  nlohmann::json history(std::string_view sku, std::optional<std::int64_t> offer = std::nullopt) const;
  // Every SKU with a price, in id order.
  std::vector<std::string> sku_ids() const;
  std::int64_t clock_us() const { return clock_us_; }

 private:
  void set_listed(const std::string& product_id, bool listed);

  domain::Config config_;
  std::unique_ptr<internal::TrackedTable<SkuPrices>> skus_;
  std::int64_t clock_us_ = 0;
};

// The lowest price in effect at any moment of (now - 30 days, now]: the
// price in effect at the window's start (the last change at or before it, in
// log order) and every change inside it.
std::int64_t lowest_price_30d(const std::vector<PricePoint>& changes, std::int64_t now_us);

}  // namespace spine::projections
