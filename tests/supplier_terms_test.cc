// A supplier's terms, each figure with one definition (supplier_terms.h) in
// the suppliers read model, the KPIs and the alerts. The ship rate: forwards
// shipped within the agreed 48 hours over the forwards that are due, i.e.
// shipped or still open past their deadline (a forward not yet due is
// neither); under 95 % raises an alert. The return loss rate: returned units
// written off over returned units; over 5 % raises an alert. Both clear when
// the figure recovers.
#include <gtest/gtest.h>

#include "spine/projections/alerts.h"
#include "spine/projections/suppliers.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

class SupplierTerms : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_supplier("sup1")));
    run(wrap(register_warehouse("w-north", "north")));
    run(wrap(list_product("pD", {"D"}, {5'000}, "sup1")));
    shop::SyncSupplierStockT report;
    report.supplier_id = "sup1";
    report.sku_id = "D";
    report.available = 1'000;
    report.reported_at = now;
    run(wrap(std::move(report)));
  }

  // A paid dropship order forwarded to sup1 at `now`.
  void forward(const std::string& order_id) {
    run(wrap(place_order(order_id, "north", {{"D", 1, 5'000}})));
    order_step<shop::PayOrderT>(order_id, [](auto& c) { c.amount = 5'800; });
    order_step<shop::ForwardDropshipT>(order_id, [](auto& c) { c.supplier_id = "sup1"; });
  }
  void ship(const std::string& order_id) {
    order_step<shop::ShipOrderT>(order_id, [](auto& c) {
      c.kind = shop::SourceKind::Supplier;
      c.source_id = "sup1";
      c.carrier = "SF";
      c.tracking_number = "SF9";
    });
  }
  // Forwarded, shipped and delivered, `units` units of D.
  void delivered(const std::string& order_id, int units) {
    run(wrap(place_order(order_id, "north", {{"D", units, 5'000}})));
    order_step<shop::PayOrderT>(order_id, [&](auto& c) { c.amount = units * 5'000 + 800; });
    order_step<shop::ForwardDropshipT>(order_id, [](auto& c) { c.supplier_id = "sup1"; });
    ship(order_id);
    order_step<shop::DeliverOrderT>(order_id);
  }
  void returned(const std::string& order_id, int units, shop::ReturnCondition condition) {
    order_step<shop::RequestReturnT>(order_id, [&](auto& c) {
      c.return_id = "r";
      c.reason = shop::ReturnReason::QualityProblem;
      auto line = std::make_unique<shop::LineQuantityT>();
      line->sku_id = "D";
      line->quantity = units;
      c.lines.push_back(std::move(line));
    });
    order_step<shop::ApproveReturnT>(order_id, [](auto& c) { c.return_id = "r"; });
    order_step<shop::ReceiveReturnT>(order_id, [&](auto& c) {
      c.return_id = "r";
      c.warehouse_id = "w-north";
      c.condition = condition;
    });
  }
  nlohmann::json loss_alerts(bool active_only) {
    return read<projections::AlertProjection>(
        "alerts", [&](const auto& a) { return a.list(active_only, "supplier_return_loss_above_limit"); });
  }
  nlohmann::json performance() {
    return read<projections::SupplierProjection>("suppliers", [](const auto& s) { return s.performance("sup1"); });
  }
  nlohmann::json rate_alerts(bool active_only) {
    return read<projections::AlertProjection>(
        "alerts", [&](const auto& a) { return a.list(active_only, "supplier_ship_rate_below_target"); });
  }
};

TEST_F(SupplierTerms, OneDefinitionInSupplierFiguresKpisAndAlerts) {
  const std::int64_t start = now;
  forward("f1");
  forward("f2");
  now = start + 10 * kHourUs;
  ship("f1");  // in time
  now = start + 49 * kHourUs;
  forward("f3");  // f3 is not due
  EXPECT_EQ(performance()["overdue_forwards"], 0) << "late only once the log records f2's deadline";
  EXPECT_EQ(record_due_deadlines(), 2u) << "f2's 48 hours, and the 15 minutes of the supplier's report";
  nlohmann::json figures = performance();
  EXPECT_EQ(figures["forwards"], 3);
  EXPECT_EQ(figures["overdue_forwards"], 1);
  EXPECT_EQ(figures["ship_rate_48h"], 0.5) << "f1 in time, f2 late, f3 neither";
  EXPECT_EQ(figures["meets_ship_rate"], false);
  EXPECT_EQ(total()["kpis"]["supplier_ship_rate_48h"], 0.5);
  const nlohmann::json by_supplier = kpis("total", "supplier");
  ASSERT_EQ(by_supplier.size(), 1u);
  EXPECT_EQ(by_supplier[0]["kpis"]["supplier_ship_rate_48h"], 0.5);
  nlohmann::json alerts = rate_alerts(true);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["subject"], "sup1");

  now = start + 60 * kHourUs;
  ship("f2");  // late
  ship("f3");  // 11 hours: in time
  EXPECT_EQ(performance()["ship_rate_48h"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(rate_alerts(true).size(), 1u) << "2 of 3 is still below 95 %";
  for (int i = 0; i < 18; ++i) {  // 20 of 21 in time: 95.2 %
    forward("g" + std::to_string(i));
    now += kHourUs;
    ship("g" + std::to_string(i));
  }
  figures = performance();
  EXPECT_EQ(figures["ship_rate_48h"].get<double>(), 20.0 / 21.0);
  EXPECT_EQ(figures["meets_ship_rate"], true);
  EXPECT_EQ(total()["kpis"]["supplier_ship_rate_48h"].get<double>(), 20.0 / 21.0);
  EXPECT_TRUE(rate_alerts(true).empty());
  alerts = rate_alerts(false);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_FALSE(alerts[0]["cleared_position"].is_null());
}

TEST_F(SupplierTerms, NoForwardDueMeansNoRate) {
  forward("f1");
  EXPECT_TRUE(performance()["ship_rate_48h"].is_null());
  EXPECT_TRUE(total()["kpis"]["supplier_ship_rate_48h"].is_null());
  EXPECT_TRUE(rate_alerts(false).empty());
}

TEST_F(SupplierTerms, ReturnLossIsWrittenOffUnitsOverReturnedUnits) {
  delivered("o1", 1);
  delivered("o2", 1);
  delivered("o3", 19);
  returned("o1", 1, shop::ReturnCondition::Resellable);
  nlohmann::json figures = performance();
  EXPECT_EQ(figures["return_rate"].get<double>(), 1.0 / 21.0) << "returned over shipped units";
  EXPECT_EQ(figures["return_loss_rate"], 0.0) << "nothing written off";
  EXPECT_TRUE(loss_alerts(false).empty());
  returned("o2", 1, shop::ReturnCondition::Damaged);
  figures = performance();
  EXPECT_EQ(figures["written_off_units"], 1);
  EXPECT_EQ(figures["return_loss_rate"], 0.5);
  EXPECT_EQ(figures["meets_return_loss"], false);
  nlohmann::json alerts = loss_alerts(true);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["subject"], "sup1");
  returned("o3", 18, shop::ReturnCondition::Resellable);  // 1 of 20: 5 %, at the limit
  figures = performance();
  EXPECT_EQ(figures["return_loss_rate"], 0.05);
  EXPECT_EQ(figures["meets_return_loss"], true);
  EXPECT_TRUE(loss_alerts(true).empty());
  EXPECT_EQ(loss_alerts(false).size(), 1u);
}

TEST_F(SupplierTerms, NothingReturnedMeansNoLossRate) {
  delivered("o1", 2);
  EXPECT_TRUE(performance()["return_loss_rate"].is_null());
  EXPECT_EQ(performance()["meets_return_loss"], true);
}

}  // namespace
}  // namespace spine::testing
