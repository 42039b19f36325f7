#include "spine/projections/stock.h"

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "allocate.h"
#include "rows.h"
#include "stock_book.h"

namespace spine::projections {

using internal::StockBook;
using internal::StockFigures;

struct StockProjection::AbcTable {
  std::shared_mutex mutex;
  std::uint64_t built_for = UINT64_MAX;  // the revenue generation the classes are of
  std::unordered_map<std::string, char> classes;
};

StockProjection::StockProjection(const domain::Config& config)
    : config_(config),
      book_(std::make_unique<StockBook>(internal::Calendar{config.time_zone}, config)),
      revenue_(std::make_unique<internal::TrackedTable<std::int64_t>>()),
      order_lines_(std::make_unique<internal::TrackedTable<std::vector<std::pair<std::string, std::int64_t>>>>()),
      abc_(std::make_unique<AbcTable>()) {}

StockProjection::~StockProjection() = default;

std::unique_ptr<Projection> StockProjection::fresh() const { return std::make_unique<StockProjection>(config_); }

Status StockProjection::apply(const EventContext& context) {
  if (context.event == nullptr) return *context.decode_error;
  const shop::EventBodyUnion& event = *context.event;
  clock_us_ = std::max(clock_us_, context.occurred_at_us());
  apply_sale(event);
  if (StockBook::concerns(event)) book_->apply(event, context.occurred_at_us());
  return ok_status();
}

// Revenue for the ABC classes: the line value of paid orders, taken back when
// a paid order is cancelled, less refunds of orders that stand (split over
// the lines by value). Placed but unpaid orders count nothing.
void StockProjection::apply_sale(const shop::EventBodyUnion& event) {
  using Lines = std::vector<std::pair<std::string, std::int64_t>>;
  auto add = [&](const Lines& lines, const std::vector<std::int64_t>& amounts, int sign) {
    for (std::size_t i = 0; i < lines.size(); ++i) revenue_->write(lines[i].first) += sign * amounts[i];
    ++revenue_generation_;
  };
  auto values = [](const Lines& lines) {
    std::vector<std::int64_t> out;
    for (const auto& line : lines) out.push_back(line.second);
    return out;
  };
  if (const auto* placed = event.AsOrderPlaced()) {
    Lines& lines = order_lines_->write(placed->order_id);
    lines.clear();
    for (const auto& line : placed->lines) lines.emplace_back(line->sku_id, line->unit_price * line->quantity - line->discount);
  } else if (const auto* paid = event.AsOrderPaid()) {
    const Lines* lines = order_lines_->find(paid->order_id);
    if (lines == nullptr) return;
    Lines copy = *lines;
    add(copy, values(copy), +1);
    order_lines_->erase(paid->order_id);
    order_lines_->write("paid/" + paid->order_id) = std::move(copy);
  } else if (const auto* cancelled = event.AsOrderCancelled()) {
    const Lines* lines = order_lines_->find("paid/" + cancelled->order_id);
    if (lines != nullptr) add(*lines, values(*lines), -1);
    order_lines_->erase("paid/" + cancelled->order_id);
    order_lines_->erase(cancelled->order_id);
  } else if (const auto* refund = event.AsRefundIssued()) {
    const Lines* lines = order_lines_->find("paid/" + refund->order_id);
    if (lines != nullptr) add(*lines, internal::allocate(refund->amount, values(*lines)), -1);
  }
}

// Rows: book/... (the stock book), revenue/<sku>, order/<id> and
// order/paid/<id> (lines), clock.
void StockProjection::take_changed_rows(RowSink& sink) {
  book_->flush("book/", sink);
  revenue_->flush("revenue/", sink);
  order_lines_->flush("order/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

void StockProjection::write_all_rows(RowSink& sink) const {
  book_->write_all("book/", sink);
  revenue_->write_all("revenue/", sink);
  order_lines_->write_all("order/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

Status StockProjection::load_row(std::string_view key, std::string_view value) {
  return internal::load_guarded(key, [&] {
    if (key.starts_with("book/")) return book_->load(key.substr(5), value);
    if (key.starts_with("revenue/")) {
      revenue_->load(key.substr(8), value);
      ++revenue_generation_;
      return true;
    }
    if (key.starts_with("order/")) {
      order_lines_->load(key.substr(6), value);
      return true;
    }
    if (key == "clock") {
      clock_us_ = std::stoll(std::string(value));
      return true;
    }
    return false;
  });
}

namespace {
// A: the SKUs making the first 80 % of revenue, B: the next 15 %, C: the rest
// (ranked by revenue, then SKU id; a SKU's class is decided by the revenue
// share ranked before it).
// ABC classes by placed revenue: rank SKUs by revenue (highest first, ties by
// id); a SKU whose higher-ranked SKUs hold under 80 % of all revenue is A,
// under 95 % B, else C (and C without revenue).
std::unordered_map<std::string, char> abc_classes(const internal::TrackedTable<std::int64_t>& revenue) {
  std::vector<std::pair<std::int64_t, std::string_view>> ranked;
  ranked.reserve(revenue.size());
  std::int64_t total = 0;
  revenue.for_each([&](std::string_view sku, std::int64_t value) {
    const std::int64_t counted = std::max<std::int64_t>(value, 0);  // refunds of shipping can pass a SKU's sales
    ranked.emplace_back(counted, sku);
    total += counted;
  });
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::unordered_map<std::string, char> classes;
  classes.reserve(ranked.size());
  std::int64_t before = 0;
  for (const auto& [value, sku] : ranked) {
    char c = 'C';
    if (value > 0 && total > 0) c = before * 100 < total * 80 ? 'A' : before * 100 < total * 95 ? 'B' : 'C';
    classes.emplace(std::string(sku), c);
    before += value;
  }
  return classes;
}
}  // namespace

char StockProjection::abc_class_of(const std::string& sku_id) const {
  {
    std::shared_lock lock(abc_->mutex);
    if (abc_->built_for == revenue_generation_) {
      auto it = abc_->classes.find(sku_id);
      return it == abc_->classes.end() ? 'C' : it->second;
    }
  }
  std::unique_lock lock(abc_->mutex);
  if (abc_->built_for != revenue_generation_) {
    abc_->classes = abc_classes(*revenue_);
    abc_->built_for = revenue_generation_;
  }
  auto it = abc_->classes.find(sku_id);
  return it == abc_->classes.end() ? 'C' : it->second;
}

nlohmann::json StockProjection::figures_json(const std::string& sku_id) const {
  const internal::SkuLevels* found = book_->find(sku_id);
  if (found == nullptr || !found->stock.exists) return nullptr;
  const internal::SkuLevels& levels = *found;
  const StockFigures f = book_->figures(levels, clock_us_);
  nlohmann::json warehouses = nlohmann::json::object();
  for (const auto& [id, w] : levels.stock.warehouses) {
    warehouses[id] = {{"region", w.region}, {"on_hand", w.on_hand}, {"committed", w.reserved},
                      {"available", w.available()}, {"incoming", w.incoming}};
  }
  nlohmann::json out = {
      {"sku", sku_id},
      {"product_id", levels.stock.product_id},
      {"supplier_id", levels.stock.supplier_id},
      {"dropship", f.dropship},
      {"listed", f.listed},
      {"cost_price", levels.stock.cost_price},
      {"on_hand", f.on_hand},
      {"committed", f.committed},
      {"available", f.available},
      {"incoming", f.incoming},
      {"damaged", f.damaged},
      {"forecast", f.forecast},
      {"supplier_available", f.supplier_available},
      {"lead_time_days", f.lead_time_days},
      {"sales_over_lead_time", f.sales_over_lead_time},
      {"sales_7d", f.sales_7d},
      {"safety_stock", f.safety_stock},
      {"alert_threshold", f.alert_threshold},
      {"status", f.status},
      {"reorder_suggestion", f.reorder_suggestion},
      {"abc_class", std::string(1, abc_class_of(sku_id))},
      {"warehouses", std::move(warehouses)},
  };
  out["days_of_cover"] = f.days_of_cover < 0 ? nlohmann::json(nullptr) : nlohmann::json(std::round(f.days_of_cover * 100) / 100);
  if (f.dropship) {
    out["supplier_reported_at"] = f.supplier_reported_at_us;
    out["supplier_report_age_seconds"] =
        f.supplier_reported_at_us == 0 ? nlohmann::json(nullptr) : nlohmann::json((clock_us_ - f.supplier_reported_at_us) / 1'000'000);
  }
  return out;
}

nlohmann::json StockProjection::sku(std::string_view sku_id) const { return figures_json(std::string(sku_id)); }

nlohmann::json StockProjection::list(std::string_view status, Listed listed) const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [sku, levels] : book_->skus()) {
    const bool on_sale = book_->listed(*levels);
    if ((listed == Listed::kOnSale && !on_sale) || (listed == Listed::kDelisted && on_sale)) continue;
    nlohmann::json figures = figures_json(std::string(sku));
    if (figures.is_null()) continue;
    if (!status.empty() && figures["status"] != status) continue;
    out.push_back(std::move(figures));
  }
  return out;
}

}  // namespace spine::projections
