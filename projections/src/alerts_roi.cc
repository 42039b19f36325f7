// AlertProjection's ROI alert: `roi_below_target` when net sales (paid value
// less refunds) fall below `min_roi` x spend over the trailing
// `roi_window_days` local days, judged only once that spend reaches
// `roi_min_spend`. Subjects are SKUs (spend tagged with the SKU against its
// lines' sales) and channels ("channel:<name>": all the channel's spend,
// tagged or not, against its orders' sales), so spend on no SKU is judged
// too. A subject is judged when a payment, refund or spend of its changes
// its window, over the window ending on that event's local day; sales and
// refunds count on the day they happened, spend on the day it is for.
#include <string>

#include "allocate.h"
#include "calendar.h"
#include "roi_window.h"
#include "rows.h"
#include "spine/projections/alerts.h"

namespace spine::projections {

namespace {
std::string channel_subject(std::string_view channel) { return "channel:" + std::string(channel); }
}  // namespace

void AlertProjection::roi_paid(const internal::OrderLines& order, const EventContext& context) {
  const std::int64_t day = internal::Calendar{config_.time_zone}.day(context.occurred_at_us());
  const std::int64_t window = config_.rules.roi_window_days;
  const std::string channel = channel_subject(order.channel);
  std::int64_t order_value = 0;
  for (const auto& [sku, value] : order.lines) {
    roi_->write(sku).on(day, window).sales += value;
    order_value += value;
  }
  roi_->write(channel).on(day, window).sales += order_value;  // once per order, not per line
  for (const auto& line : order.lines) check_roi(line.first, day, context);
  check_roi(channel, day, context);
}

void AlertProjection::roi_refunded(const internal::OrderLines& order, std::int64_t amount,
                                   const EventContext& context) {
  const std::int64_t day = internal::Calendar{config_.time_zone}.day(context.occurred_at_us());
  const std::int64_t window = config_.rules.roi_window_days;
  std::vector<std::int64_t> weights;
  for (const auto& line : order.lines) weights.push_back(line.second);
  const std::vector<std::int64_t> parts = internal::allocate(amount, weights);
  for (std::size_t i = 0; i < parts.size(); ++i) roi_->write(order.lines[i].first).on(day, window).refunds += parts[i];
  const std::string channel = channel_subject(order.channel);
  roi_->write(channel).on(day, window).refunds += amount;
  for (const auto& line : order.lines) check_roi(line.first, day, context);
  check_roi(channel, day, context);
}

void AlertProjection::roi_spent(const shop::SpendRecordedT& e, const EventContext& context) {
  const internal::Calendar calendar{config_.time_zone};
  const std::int64_t today = calendar.day(context.occurred_at_us());
  std::int64_t day = today;
  if (!internal::parse_day(e.day, day)) day = today;
  const std::int64_t window = config_.rules.roi_window_days;
  const std::string channel = channel_subject(shop::EnumNameChannel(e.channel));
  roi_->write(channel).on(day, window).spend += e.amount;
  if (!e.sku_id.empty()) roi_->write(e.sku_id).on(day, window).spend += e.amount;
  // Judged over the window ending on the later of the spend's day and today.
  const std::int64_t last_day = std::max(day, today);
  if (!e.sku_id.empty()) check_roi(e.sku_id, last_day, context);
  check_roi(channel, last_day, context);
}

void AlertProjection::check_roi(const std::string& subject, std::int64_t day, const EventContext& context) {
  const internal::RoiWindow* window = roi_->find(subject);
  if (window == nullptr) return;
  const internal::RoiDay sum = window->sum(day, config_.rules.roi_window_days);
  const std::int64_t net = sum.sales - sum.refunds;
  if (sum.spend >= config_.rules.roi_min_spend && sum.spend > 0 &&
      static_cast<double>(net) < config_.rules.min_roi * static_cast<double>(sum.spend)) {
    raise("roi_below_target", subject, context.occurred_at_us(), context.position(),
          "net sales " + std::to_string(net) + " over spend " + std::to_string(sum.spend) + " in the " +
              std::to_string(config_.rules.roi_window_days) + " days to " + internal::format_day(day));
  } else {
    clear("roi_below_target", subject, context.occurred_at_us(), context.position());
  }
}

}  // namespace spine::projections
