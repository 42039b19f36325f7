#include "spine/projections/suppliers.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "spine/domain/deadlines.h"

#include "calendar.h"
#include "rows.h"
#include "supplier_terms.h"

namespace spine::projections {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SupplierRecord, name, ship_within_hours, forwards, shipped, shipped_in_time,
                                   ship_time_sum_us, open, overdue, shipped_units, returned_units,
                                   written_off_units)

SupplierProjection::SupplierProjection(const domain::Config& config)
    : config_(config),
      suppliers_(std::make_unique<internal::TrackedTable<SupplierRecord>>()),
      sku_supplier_(std::make_unique<internal::TrackedTable<std::string>>()) {}

SupplierProjection::~SupplierProjection() = default;

Status SupplierProjection::apply(const EventContext& context) {
  if (context.event == nullptr) return *context.decode_error;
  const shop::EventBodyUnion& event = *context.event;
  const std::int64_t at = context.occurred_at_us();
  clock_us_ = std::max(clock_us_, at);
  switch (event.type) {
    case shop::EventBody::SupplierRegistered: {
      const auto& e = *event.AsSupplierRegistered();
      SupplierRecord& s = suppliers_->write(e.supplier_id);
      s.name = e.name;
      s.ship_within_hours = e.ship_within_hours > 0 ? e.ship_within_hours : 48;
      break;
    }
    case shop::EventBody::SkuListed: {
      const auto& e = *event.AsSkuListed();
      if (!e.supplier_id.empty()) sku_supplier_->write(e.sku_id) = e.supplier_id;
      break;
    }
    case shop::EventBody::DropshipForwarded: {
      const auto& e = *event.AsDropshipForwarded();
      SupplierRecord& s = suppliers_->write(e.supplier_id);
      ++s.forwards;
      s.open[e.order_id] = at;
      break;
    }
    case shop::EventBody::OrderShipped: {
      const auto& e = *event.AsOrderShipped();
      if (e.kind != shop::SourceKind::Supplier) break;
      SupplierRecord& s = suppliers_->write(e.source_id);
      auto open = s.open.find(e.order_id);
      if (open == s.open.end()) break;  // shipped without a forward: nothing to time
      const std::int64_t took = at - open->second;
      ++s.shipped;
      s.ship_time_sum_us += took;
      if (internal::shipped_in_time(took, s.ship_within_hours)) ++s.shipped_in_time;
      s.open.erase(open);
      s.overdue.erase(e.order_id);
      break;
    }
    case shop::EventBody::DeadlinePassed: {  // an open forward past its deadline: due, and late
      const auto& e = *event.AsDeadlinePassed();
      if (e.kind != domain::kSupplierNotShipped) break;
      const std::size_t colon = e.subject.rfind(':');
      if (colon == std::string::npos || !suppliers_->contains(e.subject.substr(colon + 1))) break;
      const std::string order = e.subject.substr(0, colon);
      SupplierRecord& s = suppliers_->write(e.subject.substr(colon + 1));
      auto open = s.open.find(order);
      if (open != s.open.end() &&
          open->second + std::int64_t{s.ship_within_hours} * internal::kMicrosPerHour == e.due_at) {
        s.overdue.insert(order);
      }
      break;
    }
    case shop::EventBody::OrderCancelled: {  // a cancelled forward is neither shipped nor open
      const std::string& order = event.AsOrderCancelled()->order_id;
      std::vector<std::string> forwarded_to;
      suppliers_->for_each([&](std::string_view id, const SupplierRecord& s) {
        if (s.open.contains(order)) forwarded_to.emplace_back(id);
      });
      for (const std::string& id : forwarded_to) {
        SupplierRecord& s = suppliers_->write(id);
        s.open.erase(order);
        s.overdue.erase(order);
      }
      break;
    }
    case shop::EventBody::StockShipped: {
      const auto& e = *event.AsStockShipped();
      if (const std::string* owner = sku_supplier_->find(e.sku_id)) suppliers_->write(*owner).shipped_units += e.quantity;
      break;
    }
    case shop::EventBody::ReturnReceived: {
      const auto& e = *event.AsReturnReceived();
      for (const auto& line : e.lines) {
        if (const std::string* owner = sku_supplier_->find(line->sku_id)) {
          SupplierRecord& s = suppliers_->write(*owner);
          s.returned_units += line->quantity;
          if (e.condition == shop::ReturnCondition::Damaged) s.written_off_units += line->quantity;
        }
      }
      break;
    }
    default: break;
  }
  return ok_status();
}

void SupplierProjection::take_changed_rows(RowSink& sink) {
  suppliers_->flush("sup/", sink);
  sku_supplier_->flush("sku/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

void SupplierProjection::write_all_rows(RowSink& sink) const {
  suppliers_->write_all("sup/", sink);
  sku_supplier_->write_all("sku/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

Status SupplierProjection::load_row(std::string_view key, std::string_view value) {
  return internal::load_guarded(key, [&] {
    if (key.starts_with("sup/")) {
      suppliers_->load(key.substr(4), value);
      return true;
    }
    if (key.starts_with("sku/")) {
      sku_supplier_->load(key.substr(4), value);
      return true;
    }
    if (key == "clock") {
      clock_us_ = std::stoll(std::string(value));
      return true;
    }
    return false;
  });
}

nlohmann::json SupplierProjection::performance(std::string_view supplier_id) const {
  const SupplierRecord* found = suppliers_->find(supplier_id);
  if (found == nullptr) return nullptr;
  const SupplierRecord& s = *found;
  const internal::ForwardTally tally{s.shipped, s.shipped_in_time, static_cast<std::int64_t>(s.overdue.size())};
  const std::optional<double> ship_rate = tally.rate();
  auto ratio = [](std::int64_t a, std::int64_t b) {
    return b == 0 ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(a) / static_cast<double>(b));
  };
  nlohmann::json out = {
      {"supplier_id", std::string(supplier_id)},
      {"name", s.name},
      {"ship_within_hours", s.ship_within_hours},
      {"forwards", s.forwards},
      {"shipped", s.shipped},
      {"shipped_in_time", s.shipped_in_time},
      {"open_forwards", static_cast<std::int64_t>(s.open.size())},
      {"overdue_forwards", tally.overdue_open},
      {"ship_rate_48h", ship_rate ? nlohmann::json(*ship_rate) : nlohmann::json(nullptr)},
      {"shipped_units", s.shipped_units},
      {"returned_units", s.returned_units},
      {"written_off_units", s.written_off_units},
      {"return_rate", ratio(s.returned_units, s.shipped_units)},
  };
  out["mean_ship_hours"] = s.shipped == 0 ? nlohmann::json(nullptr)
                                          : nlohmann::json(static_cast<double>(s.ship_time_sum_us) /
                                                           static_cast<double>(s.shipped) / 3.6e9);
  out["meets_ship_rate"] = tally.meets(config_.rules.min_supplier_ship_rate);
  const internal::ReturnTally returns{s.returned_units, s.written_off_units};
  const std::optional<double> loss_rate = returns.loss_rate();
  out["return_loss_rate"] = loss_rate ? nlohmann::json(*loss_rate) : nlohmann::json(nullptr);
  out["meets_return_loss"] = returns.within(config_.rules.max_return_loss_rate);
  return out;
}

nlohmann::json SupplierProjection::list() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [id, s] : suppliers_->sorted()) out.push_back(performance(id));
  return out;
}

}  // namespace spine::projections
