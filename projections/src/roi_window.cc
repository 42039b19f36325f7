#include "roi_window.h"

#include <algorithm>
#include <cassert>

namespace spine::projections::internal {

RoiDay& RoiWindow::on(std::int64_t day, std::int64_t window_days) {
  assert(window_days >= 1 && window_days <= kMaxRoiWindowDays);
  // A day older than every window still to come is of no use; a late event
  // for such a day is kept only until the next one drops it.
  const std::int64_t newest = days.empty() ? day : std::max(day, days.back().day);
  std::erase_if(days, [&](const RoiDay& d) { return d.day <= newest - window_days && d.day != day; });
  auto at = std::lower_bound(days.begin(), days.end(), day, [](const RoiDay& d, std::int64_t v) { return d.day < v; });
  if (at == days.end() || at->day != day) at = days.insert(at, RoiDay{day});
  return *at;
}

RoiDay RoiWindow::sum(std::int64_t last_day, std::int64_t window_days) const {
  RoiDay total{last_day};
  for (const RoiDay& d : days) {
    if (d.day <= last_day - window_days || d.day > last_day) continue;
    total.sales += d.sales;
    total.refunds += d.refunds;
    total.spend += d.spend;
  }
  return total;
}

}  // namespace spine::projections::internal
