// Alerts (domain.md §2) with the time and position they were raised and
// cleared: low stock (status low or out after a stock movement), supplier not
// shipped within its agreed hours of a forward, stale supplier stock (no sync
// for `supplier_stale_minutes`), bulk price change by one actor (more than
// `bulk_price_change_skus` in `bulk_price_change_minutes`), price below cost,
// ROI below `min_roi` for a SKU or a channel over the trailing
// `roi_window_days` once their spend there reaches `roi_min_spend` (a channel
// counts all its spend, SKU-tagged or not), a supplier whose ship rate
// (supplier_terms.h) is below `min_supplier_ship_rate` or whose return loss
// rate is above `max_return_loss_rate`, a product on sale whose cheapest SKU
// has no stock while another has (no stock alert, low or stale, for
// a SKU while its product is delisted), an own warehouse that has not
// shipped `own_ship_within_hours` after payment. Time-based alerts arm a
// deadline (due_deadlines lists them for the deadline service) and are
// raised, or for bulk price changes cleared, only by the DeadlinePassed event
// that records it, at the deadline's time; a deadline met or re-armed before
// its event arrives is not acted on. Refused oversells append nothing to the log (promise 6),
// so they are counted by the command path (metrics), not here.
#pragma once

#include <deque>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <string>

#include "spine/domain/deadlines.h"
#include "spine/projections/read_models.h"

namespace spine::projections {

namespace internal {
class StockBook;
struct ForwardTally;
struct ReturnTally;
struct RoiWindow;
struct OrderLines;
template <typename Row> class TrackedTable;
}

struct Alert {
  std::string kind, subject, detail;  // detail: no masked figure (costs go in `cost`)
  std::int64_t price = 0, cost = 0;   // price_below_cost: the new price and the SKU's cost (masked by role)
  std::int64_t raised_at_us = 0, cleared_at_us = 0;     // cleared 0: active
  std::uint64_t raised_position = 0, cleared_position = 0;
};

class AlertProjection final : public Projection {
 public:
  explicit AlertProjection(const domain::Config& config);
  ~AlertProjection() override;
  std::string_view name() const override { return "alerts"; }
  std::uint32_t version() const override { return 6; }  // 6: cheapest SKU out of stock
  Status apply(const EventContext& context) override;
  void take_changed_rows(RowSink& sink) override;
  void write_all_rows(RowSink& sink) const override;
  Status load_row(std::string_view key, std::string_view value) override;
  std::unique_ptr<Projection> fresh() const override;

  // Alerts in the order raised; only active ones when `active_only`.
  nlohmann::json list(bool active_only, std::string_view kind = {}) const;
  std::int64_t clock_us() const { return clock_us_; }
  // Armed deadlines due at or before `now_us`, earliest first, at most `limit`.
  std::vector<domain::Deadline> due_deadlines(std::int64_t now_us, std::size_t limit) const;

 private:
  void deadline_passed(const shop::DeadlinePassedT& e, std::uint64_t position);
  void listing_changed(bool relisted, const EventContext& context);
  void order_placed(const shop::OrderPlacedT& e);
  void order_paid(const std::string& order_id, const EventContext& context);
  void order_cancelled(const std::string& order_id, std::int64_t at_us, std::uint64_t position);
  void order_shipped(const shop::OrderShippedT& e, std::int64_t at_us, std::uint64_t position);
  // "kind/subject", in a buffer reused by every call (valid until the next).
  const std::string& alert_id(std::string_view kind, std::string_view subject);
  bool active(std::string_view kind, std::string_view subject);
  void raise(std::string_view kind, std::string_view subject, std::int64_t at_us, std::uint64_t position,
             std::string detail, std::int64_t price = 0, std::int64_t cost = 0);
  void clear(std::string_view kind, std::string_view subject, std::int64_t at_us, std::uint64_t position);
  void arm(std::string_view kind, std::string_view subject, std::int64_t deadline_us);
  void disarm(std::string_view kind, std::string_view subject);
  void check_stock(const std::string& sku, const EventContext& context);
  // The price-ladder alert (alerts_price_ladder.cc).
  void ladder_listed(const shop::ProductListedT& e, const EventContext& context);
  void ladder_price_changed(const shop::PriceChangedT& e, const EventContext& context);
  void check_cheapest(const std::string& product, const EventContext& context);
  // The ROI alert (alerts_roi.cc).
  void roi_paid(const internal::OrderLines& order, const EventContext& context);
  void roi_refunded(const internal::OrderLines& order, std::int64_t amount, const EventContext& context);
  void roi_spent(const shop::SpendRecordedT& e, const EventContext& context);
  void check_roi(const std::string& subject, std::int64_t day, const EventContext& context);
  std::size_t record_price_change(const std::string& actor, const std::string& sku, std::int64_t at_us,
                                  std::int64_t window_us);
  void check_ship_rate(const std::string& supplier, std::int64_t at_us, std::uint64_t position);
  void forward_overdue(const std::string& subject, std::int64_t at_us, std::uint64_t position);
  void forward_shipped(const std::string& subject, std::int64_t at_us, std::uint64_t position);
  void return_received(const shop::ReturnReceivedT& e, std::int64_t at_us, std::uint64_t position);

  domain::Config config_;
  // State, each table stored as rows under its own prefix (see take_changed_rows).
  std::unique_ptr<internal::StockBook> book_;
  template <typename Row> using Table = std::unique_ptr<internal::TrackedTable<Row>>;
  Table<Alert> alerts_;                              // "kind/subject/position" -> alert
  Table<std::string> active_;                        // "kind/subject" -> its alert's key
  Table<std::int64_t> deadlines_;                    // "kind/subject" -> deadline (armed)
  std::set<std::pair<std::int64_t, std::string>> due_;  // (deadline, "kind/subject"): derived from deadlines_
  Table<std::vector<std::pair<std::string, std::int64_t>>> actor_changes_;  // an actor's price changes in the window: (sku, at)
  Table<internal::RoiWindow> roi_;                   // by SKU, or "channel:<name>"
  Table<internal::OrderLines> orders_;               // order -> channel, lines (sku, value)
  Table<std::int64_t> forwards_;                     // "order:supplier" -> forwarded at (open forwards)
  Table<internal::ForwardTally> ship_rates_;         // by supplier
  Table<internal::ReturnTally> return_losses_;       // by supplier
  Table<std::vector<std::string>> unshipped_;        // order -> own warehouses it awaits (from placement)
  Table<std::vector<std::pair<std::string, std::int64_t>>> ladders_;  // product -> its SKUs' current prices
  std::int64_t clock_us_ = 0;
  std::string id_;  // alert_id's buffer
};

}  // namespace spine::projections
