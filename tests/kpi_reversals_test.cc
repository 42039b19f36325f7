// KPIs when goods or sales come back, and rates over placed orders: a
// cancelled paid order gives back its cost of goods and shows a refund due
// until refunded; a refund takes back its commission; a resellable return
// gives back its cost, a written-off one keeps it; cancellations and payment
// failures count in the order's placement period, once per order. The
// expected figures are worked out by hand from the prices below.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/projected_shop.h"

namespace spine::testing {
namespace {

// A: list price 10,000 fen, cost 5,000 (list_product: cost = price / 2), category
// digital/... (commission 3 %); every order adds a shipping fee of 800.
class KpiReversals : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_warehouse("w-east", "east")));
    run(wrap(list_product("pA", {"A"}, {10'000})));
    run(wrap(receive_stock("A", "w-east", 20)));
  }

  void place_and_pay(const std::string& order_id, int units) {
    run(wrap(place_order(order_id, "east", {{"A", units, 10'000}})));
    order_step<shop::PayOrderT>(order_id, [&](auto& c) { c.amount = units * 10'000 + 800; });
  }
  void refund(const std::string& order_id, const std::string& refund_id, std::int64_t amount,
              const std::string& return_id = "") {
    shop::IssueRefundT c;
    c.order_id = order_id;
    c.refund_id = refund_id;
    c.return_id = return_id;
    c.amount = amount;
    c.reason = "test";
    run(wrap(std::move(c)));
  }
  void ship_and_deliver(const std::string& order_id) {
    order_step<shop::ShipOrderT>(order_id, [](auto& c) {
      c.kind = shop::SourceKind::Warehouse;
      c.source_id = "w-east";
      c.carrier = "SF";
      c.tracking_number = "SF1";
    });
    order_step<shop::DeliverOrderT>(order_id);
  }
  void return_one(const std::string& order_id, const std::string& return_id, shop::ReturnCondition condition) {
    order_step<shop::RequestReturnT>(order_id, [&](auto& c) {
      c.return_id = return_id;
      c.reason = shop::ReturnReason::NoReason7Day;
      auto line = std::make_unique<shop::LineQuantityT>();
      line->sku_id = "A";
      line->quantity = 1;
      c.lines.push_back(std::move(line));
    });
    order_step<shop::ApproveReturnT>(order_id, [&](auto& c) { c.return_id = return_id; });
    order_step<shop::ReceiveReturnT>(order_id, [&](auto& c) {
      c.return_id = return_id;
      c.warehouse_id = "w-east";
      c.condition = condition;
    });
  }
  domain::OrderState order(const std::string& id) {
    auto state = handler->current_state(domain::order_stream(id));
    EXPECT_TRUE(state.ok());
    return std::get<domain::OrderState>(state->state);
  }
};

TEST_F(KpiReversals, ACancelledPaidOrderGivesBackItsCostAndIsOwedUntilRefunded) {
  place_and_pay("o1", 2);  // paid 20,800; cost 10,000; commission 3 % of 20,000 = 600
  auto row = total();
  EXPECT_EQ(counter(row, "cogs"), 10'000);
  EXPECT_EQ(counter(row, "commission"), 600);
  order_step<shop::CancelOrderT>("o1");
  row = total();
  EXPECT_EQ(counter(row, "cogs"), 0) << "the two units are back on sale";
  EXPECT_EQ(counter(row, "commission"), 600) << "the sale stands until the money goes back";
  EXPECT_EQ(row["kpis"]["net_sales"], 20'800);
  EXPECT_EQ(row["kpis"]["refund_due"], 20'800);
  EXPECT_EQ(order("o1").refund_due(), 20'800);
  refund("o1", "f1", 800);
  EXPECT_EQ(total()["kpis"]["refund_due"], 20'000);
  EXPECT_EQ(order("o1").refund_due(), 20'000);
  refund("o1", "f2", 20'000);
  row = total();
  EXPECT_EQ(row["kpis"]["refund_due"], 0);
  EXPECT_EQ(order("o1").refund_due(), 0);
  EXPECT_EQ(row["kpis"]["net_sales"], 0);
  EXPECT_EQ(counter(row, "commission"), 0);
  EXPECT_EQ(row["kpis"]["gross_profit"], 0);
  // The balance is by channel too, and at the end of each day.
  now += 24 * kHourUs;
  place_and_pay("o2", 1);
  order_step<shop::CancelOrderT>("o2");
  const nlohmann::json by_channel = kpis("total", "channel");
  ASSERT_EQ(by_channel.size(), 1u);
  EXPECT_EQ(by_channel[0]["kpis"]["refund_due"], 10'800);
  const nlohmann::json days = kpis("day");
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0]["kpis"]["refund_due"], 0);
  EXPECT_EQ(days[1]["kpis"]["refund_due"], 10'800);
  // Both of the customer's paid orders were cancelled: no purchase stands, so no repurchase.
  EXPECT_TRUE(total()["kpis"]["repurchase_rate"].is_null()) << total()["kpis"]["repurchase_rate"];
}

TEST_F(KpiReversals, AResellableReturnGivesBackItsCostAWrittenOffOneKeepsIt) {
  place_and_pay("o1", 3);  // cost 15,000; commission 900
  ship_and_deliver("o1");
  return_one("o1", "r1", shop::ReturnCondition::Resellable);
  EXPECT_EQ(counter(total(), "cogs"), 10'000) << "one unit back in stock";
  return_one("o1", "r2", shop::ReturnCondition::Damaged);
  EXPECT_EQ(counter(total(), "cogs"), 10'000) << "a written-off unit keeps its cost";
  refund("o1", "f1", 10'000, "r1");
  EXPECT_EQ(counter(total(), "commission"), 600) << "commission on the refunded 10,000 is given back";
  place_and_pay("o2", 1);  // the restocked unit sells again: its cost counts once more, once
  const nlohmann::json row = total();
  EXPECT_EQ(counter(row, "cogs"), 15'000);
  EXPECT_EQ(counter(row, "commission"), 900);
  // net = 30,800 + 10,800 - 10,000; profit = net - cost - commission
  EXPECT_EQ(row["kpis"]["net_sales"], 31'600);
  EXPECT_EQ(row["kpis"]["gross_profit"], 31'600 - 15'000 - 900);
  EXPECT_EQ(row["kpis"]["refund_due"], 0) << "a return is refunded by decision, not owed by cancellation";
}

TEST_F(KpiReversals, RatesOverPlacedOrdersCountInThePlacementDayAndNeverPassOne) {
  run(wrap(place_order("o1", "east", {{"A", 1, 10'000}})));
  run(wrap(place_order("o2", "east", {{"A", 1, 10'000}})));
  now += 24 * kHourUs;  // the next day: both are cancelled, one new order fails twice for the same reason
  order_step<shop::CancelOrderT>("o1");
  order_step<shop::CancelOrderT>("o2");
  run(wrap(place_order("o3", "east", {{"A", 1, 10'000}})));
  for (int attempt = 0; attempt < 2; ++attempt) {
    order_step<shop::FailPaymentT>("o3", [](auto& c) { c.reason = shop::PaymentFailure::CardLimit; });
  }
  const nlohmann::json days = kpis("day");
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0]["kpis"]["cancellation_rate"], 1.0) << "both orders placed on day one were cancelled";
  EXPECT_EQ(days[1]["kpis"]["cancellation_rate"], 0.0) << "the one order placed on day two stands";
  EXPECT_EQ(days[1]["kpis"]["payment_failure_rate"]["card_limit"], 1.0) << "one order, failed twice";
  for (const auto& day : days) {
    EXPECT_LE(day["kpis"]["cancellation_rate"].get<double>(), 1.0);
    for (const auto& [reason, rate] : day["kpis"]["payment_failure_rate"].items()) {
      if (!rate.is_null()) {
        EXPECT_LE(rate.get<double>(), 1.0) << reason;
      }
    }
  }
}

}  // namespace
}  // namespace spine::testing
