// Supplier performance (domain.md §2): dropship forwards, the share shipped
// within the agreed hours (48), mean ship time, overdue forwards, and the
// return loss rate (units of the supplier's SKUs returned / shipped).
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <memory>
#include <set>
#include <string>

#include "spine/projections/read_models.h"

namespace spine::projections {

namespace internal {
template <typename Row> class TrackedTable;
}

struct SupplierRecord {
  std::string name;
  std::int32_t ship_within_hours = 48;
  std::int64_t forwards = 0, shipped = 0, shipped_in_time = 0, ship_time_sum_us = 0;
  std::map<std::string, std::int64_t> open;  // order id -> forwarded at (us)
  std::set<std::string> overdue;             // open orders whose deadline the log recorded
  std::int64_t shipped_units = 0, returned_units = 0;
  std::int64_t written_off_units = 0;  // returned units received damaged
};

class SupplierProjection final : public Projection {
 public:
  explicit SupplierProjection(const domain::Config& config);
  ~SupplierProjection() override;
  std::string_view name() const override { return "suppliers"; }
  std::uint32_t version() const override { return 3; }  // 3: overdue from DeadlinePassed
  Status apply(const EventContext& context) override;
  void take_changed_rows(RowSink& sink) override;
  void write_all_rows(RowSink& sink) const override;
  Status load_row(std::string_view key, std::string_view value) override;
  std::unique_ptr<Projection> fresh() const override { return std::make_unique<SupplierProjection>(config_); }

  // Null for a supplier never seen. ship_rate_48h = shipped in time /
  // (forwards that are shipped or past their deadline); forwards still
  // within their time do not count yet. Windows end at clock_us().
  nlohmann::json performance(std::string_view supplier_id) const;
  nlohmann::json list() const;
  std::int64_t clock_us() const { return clock_us_; }

 private:
  domain::Config config_;
  std::unique_ptr<internal::TrackedTable<SupplierRecord>> suppliers_;
  std::unique_ptr<internal::TrackedTable<std::string>> sku_supplier_;  // dropship SKU -> its supplier
  std::int64_t clock_us_ = 0;
};

}  // namespace spine::projections
