// Internal: the ROI alert's trailing window. Net sales and spend of one
// subject (a SKU, or a channel) by shop-local day, only the days a window of
// at most kMaxRoiWindowDays can still reach.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace spine::projections::internal {

constexpr std::int64_t kMaxRoiWindowDays = 60;

struct RoiDay {
  std::int64_t day = 0;  // local day number
  std::int64_t sales = 0, refunds = 0, spend = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoiDay, day, sales, refunds, spend)

struct RoiWindow {
  std::vector<RoiDay> days;  // ascending by day, at most kMaxRoiWindowDays entries

  // The figures of `day` (added if missing); days that fell out of a window
  // ending on `day` are dropped first.
  RoiDay& on(std::int64_t day, std::int64_t window_days);
  // Sums over the days in (last_day - window_days, last_day].
  RoiDay sum(std::int64_t last_day, std::int64_t window_days) const;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoiWindow, days)

// An order's lines as the alerts need them: its channel, each line's SKU and
// value (unit price x quantity - discount).
struct OrderLines {
  std::string channel;
  std::vector<std::pair<std::string, std::int64_t>> lines;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderLines, channel, lines)

}  // namespace spine::projections::internal
