// KPIs (domain.md §2) by hour, day, week, month or the whole range, and by
// channel, region, device, category, SKU, supplier or rating band. The state
// is additive counters per local hour and dimension value; every ratio is
// derived at query time from the summed counters, so any range and
// granularity is exact. Figures that are not sums (stockout rate, inventory
// turnover, slow-moving ratio, repurchase rate) are computed at query time
// from per-SKU daily stock series and per-customer paid orders.
// Definitions: docs/projections.md.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>
#include <vector>

#include "spine/projections/read_models.h"

namespace spine::projections {

namespace internal { class StockBook; struct KpiState; }

struct KpiQuery {
  std::int64_t from_us = 0;   // inclusive, UTC microseconds
  std::int64_t to_us = 0;     // exclusive
  std::string granularity = "day";  // hour, day, week, month, total
  std::string by = "all";           // all, channel, region, device, category, sku, supplier, rating
};

class KpiProjection final : public Projection {
 public:
  explicit KpiProjection(const domain::Config& config);
  ~KpiProjection() override;
  std::string_view name() const override { return "kpis"; }
  std::uint32_t version() const override { return 6; }  // 6: product updates move SKUs' category and rating; discounts
  Status apply(const EventContext& context) override;
  void take_changed_rows(RowSink& sink) override;
  void write_all_rows(RowSink& sink) const override;
  Status load_row(std::string_view key, std::string_view value) override;
  std::unique_ptr<Projection> fresh() const override;

  // {"granularity", "by", "from", "to", "rows": [{period, start, key,
  // counters, kpis}], "hourly_profile": [24 paid values] (by=all)}.
  // Errors: invalid_argument naming the field.
  Result<nlohmann::json> query(const KpiQuery& query) const;

 private:
  domain::Config config_;
  std::unique_ptr<internal::KpiState> state_;
};

// The names of the additive counters, in row order (docs/projections.md).
const std::vector<std::string>& kpi_counter_names();

}  // namespace spine::projections
