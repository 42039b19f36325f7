// Stock levels per SKU and warehouse (domain.md §2): on hand, committed
// (reserved for placed orders), available, incoming transfers, damaged
// write-offs, forecast, supplier-reported stock with its age, safety stock,
// alert threshold, status, days of cover, reorder suggestion, ABC class,
// and whether the SKU is on sale (`listed`: false while its product is
// delisted).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "spine/projections/read_models.h"

namespace spine::projections {

namespace internal {
class StockBook;
template <typename Row> class TrackedTable;
}

class StockProjection final : public Projection {
 public:
  explicit StockProjection(const domain::Config& config);
  ~StockProjection() override;

  std::string_view name() const override { return "stock"; }
  std::uint32_t version() const override { return 5; }  // 5: own lead times by category
  Status apply(const EventContext& context) override;
  void take_changed_rows(RowSink& sink) override;
  void write_all_rows(RowSink& sink) const override;
  Status load_row(std::string_view key, std::string_view value) override;
  std::unique_ptr<Projection> fresh() const override;

  // One SKU's figures, or null if the SKU was never listed.
  nlohmann::json sku(std::string_view sku_id) const;
  // Which SKUs a list shows: those on sale (the default), those whose
  // product is delisted, or both.
  enum class Listed { kOnSale, kDelisted, kAny };
  // The figures of the SKUs `listed` selects, in SKU order, optionally only
  // those whose status is `status` ("ok", "low", "out").
  nlohmann::json list(std::string_view status, Listed listed = Listed::kOnSale) const;
  // The projection's clock: the latest occurred-at seen ("now" for windows).
  std::int64_t clock_us() const { return clock_us_; }

 private:
  nlohmann::json figures_json(const std::string& sku_id) const;
  domain::Config config_;
  std::unique_ptr<internal::StockBook> book_;
  std::unique_ptr<internal::TrackedTable<std::int64_t>> revenue_;  // sales that stand, per SKU (ABC class)
  // Order -> its lines (SKU, value); "paid/<order>" once paid, dropped when cancelled.
  std::unique_ptr<internal::TrackedTable<std::vector<std::pair<std::string, std::int64_t>>>> order_lines_;
  void apply_sale(const shop::EventBodyUnion& event);
  std::int64_t clock_us_ = 0;
  // ABC classes of every SKU, built on the first read after revenue changed
  // (a read walks no other SKU's revenue). Readers run concurrently under
  // the runner's shared lock, so the table has its own lock.
  char abc_class_of(const std::string& sku_id) const;
  struct AbcTable;
  std::uint64_t revenue_generation_ = 0;  // bumped by every revenue change
  std::unique_ptr<AbcTable> abc_;
};

}  // namespace spine::projections
