// Order, stock and return rules of domain.md §1: no oversell, routing,
// legal transitions, refunds never above what was paid, return cost split.
#include <gtest/gtest.h>

#include "support/shop.h"

namespace spine::testing {
namespace {

class OrderRules : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [id, region] : std::vector<std::pair<const char*, const char*>>{
             {"w-east-1", "east"}, {"w-east-2", "east"}, {"w-north", "north"}, {"w-cw", "central_west"}}) {
      ASSERT_TRUE(world.run(register_warehouse(id, region)).ok());
    }
    ASSERT_TRUE(world.run(register_supplier("sup1", 6000)).ok());
    ASSERT_TRUE(world.run(list_product("p1", {"A", "B"}, {10000, 10000})).ok());
    ASSERT_TRUE(world.run(list_product("p2", {"D"}, {5000}, "sup1")).ok());
  }

  void stock(const std::string& sku, const std::string& warehouse, int quantity) {
    ASSERT_TRUE(world.run(receive_stock(sku, warehouse, quantity)).ok());
  }
  void supplier_reports(const std::string& sku, int available) {
    shop::SyncSupplierStockT sync;
    sync.supplier_id = "sup1";
    sync.sku_id = sku;
    sync.available = available;
    sync.reported_at = kNow - 1'000'000;
    ASSERT_TRUE(world.run(sync).ok());
  }
  template <typename T>
  T order_command(const std::string& order_id) {
    T c;
    c.order_id = order_id;
    return c;
  }
  Result<domain::Decision> pay(const std::string& id) {
    shop::PayOrderT c;
    c.order_id = id;
    c.amount = world.order(id).total;
    return world.run(c);
  }
  Result<domain::Decision> ship(const std::string& id, shop::SourceKind kind, const std::string& source) {
    shop::ShipOrderT c;
    c.order_id = id;
    c.kind = kind;
    c.source_id = source;
    c.carrier = "SF Express";
    c.tracking_number = "SF123";
    return world.run(c);
  }
  std::vector<std::pair<std::string, int>> allocations(const domain::Decision& d, std::size_t line = 0) {
    std::vector<std::pair<std::string, int>> out;
    for (const auto& a : d.events[0].event.AsOrderPlaced()->lines[line]->allocations) out.emplace_back(a->source_id, a->quantity);
    return out;
  }
  World world;
};

TEST_F(OrderRules, PlacingAnOrderReservesStock) {
  stock("A", "w-east-1", 10);
  EXPECT_ACCEPTED(world.run(place_order("o1", "east", {{"A", 4, 10000}})));
  EXPECT_EQ(world.stock("A").on_hand(), 10);
  EXPECT_EQ(world.stock("A").reserved(), 4);
  EXPECT_EQ(world.stock("A").available(), 6);
  EXPECT_EQ(world.order("o1").total, 4 * 10000 + 800);
}

TEST_F(OrderRules, AnOrderThatWouldOversellIsRefusedNamingEachShortSkuAndQuantity) {
  stock("A", "w-east-1", 2);
  stock("B", "w-north", 1);
  auto refused = world.run(place_order("o1", "east", {{"A", 5, 10000}, {"B", 1, 10000}, {"D", 3, 5000}}));
  EXPECT_REFUSED(refused, "insufficient_stock", "lines");
  ASSERT_EQ(refused.error().details.size(), 2u);
  EXPECT_EQ(refused.error().details[0].subject, "A");
  EXPECT_EQ(refused.error().details[0].requested, 5);
  EXPECT_EQ(refused.error().details[0].available, 2);
  EXPECT_EQ(refused.error().details[1].subject, "D");
  EXPECT_EQ(refused.error().details[1].available, 0);
  EXPECT_NE(refused.error().message.find("'A' is short by 3"), std::string::npos);
  EXPECT_EQ(world.stock("A").reserved(), 0);  // nothing changed
  EXPECT_FALSE(world.stream("order-o1").version);
}

TEST_F(OrderRules, RoutingPrefersTheBuyersRegionThenNeighboursThenTheSupplier) {
  stock("A", "w-east-1", 3);
  stock("A", "w-east-2", 5);
  stock("A", "w-north", 10);
  stock("A", "w-cw", 10);
  // East buyer: the east warehouse with most available fills the line alone.
  auto east = world.run(place_order("o1", "east", {{"A", 4, 10000}}));
  EXPECT_ACCEPTED(east);
  EXPECT_EQ(allocations(*east), (std::vector<std::pair<std::string, int>>{{"w-east-2", 4}}));
  // South buyer (no south warehouse): neighbours in configured order, central_west first.
  auto south = world.run(place_order("o2", "south", {{"A", 2, 10000}}));
  EXPECT_ACCEPTED(south);
  EXPECT_EQ(allocations(*south), (std::vector<std::pair<std::string, int>>{{"w-cw", 2}}));
  // East buyer needing more than the region holds (3 + 1 left): east first, then central_west.
  auto split = world.run(place_order("o3", "east", {{"A", 6, 10000}}));
  EXPECT_ACCEPTED(split);
  EXPECT_EQ(allocations(*split), (std::vector<std::pair<std::string, int>>{{"w-east-1", 3}, {"w-east-2", 1}, {"w-cw", 2}}));
}

TEST_F(OrderRules, DropshipSkusGoToTheSupplierWithinItsReportedStock) {
  supplier_reports("D", 5);
  auto placed = world.run(place_order("o1", "north", {{"D", 3, 5000}}));
  EXPECT_ACCEPTED(placed);
  const auto& a = placed->events[0].event.AsOrderPlaced()->lines[0]->allocations;
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->kind, shop::SourceKind::Supplier);
  EXPECT_EQ(a[0]->source_id, "sup1");
  EXPECT_EQ(world.stock("D").supplier_available(), 2);
  EXPECT_REFUSED(world.run(place_order("o2", "north", {{"D", 3, 5000}})), "insufficient_stock", "lines");
  // A dropship SKU with own stock uses the warehouse first.
  stock("D", "w-north", 1);
  auto mixed = world.run(place_order("o3", "north", {{"D", 3, 5000}}));
  EXPECT_ACCEPTED(mixed);
  EXPECT_EQ(allocations(*mixed), (std::vector<std::pair<std::string, int>>{{"w-north", 1}, {"sup1", 2}}));
}

// A report counts what the supplier holds then: units reserved before it are
// not in it, so releasing them must not make room under it.
TEST_F(OrderRules, ReleasingAReservationMadeBeforeTheLatestReportFreesNothingUnderIt) {
  supplier_reports("D", 5);
  ASSERT_TRUE(world.run(place_order("o1", "north", {{"D", 2, 5000}})).ok());  // under the first report
  supplier_reports("D", 5);                                                   // the supplier holds 5 now
  ASSERT_TRUE(world.run(place_order("o2", "north", {{"D", 3, 5000}})).ok());  // 3 of those 5
  EXPECT_EQ(world.stock("D").supplier_available(), 2);
  EXPECT_ACCEPTED(world.run(order_command<shop::CancelOrderT>("o1")));       // made under the old report
  EXPECT_EQ(world.stock("D").supplier_available(), 2);
  EXPECT_REFUSED(world.run(place_order("o3", "north", {{"D", 3, 5000}})), "insufficient_stock", "lines");
  // Releasing one made under this report gives its units back.
  EXPECT_ACCEPTED(world.run(order_command<shop::CancelOrderT>("o2")));
  EXPECT_EQ(world.stock("D").supplier_available(), 5);
}

TEST_F(OrderRules, CancellingReleasesTheReservation) {
  stock("A", "w-east-1", 5);
  ASSERT_TRUE(world.run(place_order("o1", "east", {{"A", 5, 10000}})).ok());
  EXPECT_EQ(world.stock("A").available(), 0);
  auto cancel = order_command<shop::CancelOrderT>("o1");
  EXPECT_ACCEPTED(world.run(cancel));
  EXPECT_EQ(world.stock("A").available(), 5);
  EXPECT_REFUSED(world.run(cancel), "invalid_transition", "order_id");
  EXPECT_REFUSED(pay("o1"), "invalid_transition", "order_id");
}

TEST_F(OrderRules, TransitionsOnlyInTheLegalOrder) {
  stock("A", "w-east-1", 5);
  EXPECT_REFUSED(world.run(order_command<shop::PayOrderT>("nope")), "unknown_order", "order_id");
  ASSERT_TRUE(world.run(place_order("o1", "east", {{"A", 1, 10000}})).ok());
  EXPECT_REFUSED(ship("o1", shop::SourceKind::Warehouse, "w-east-1"), "invalid_transition", "order_id");  // not paid
  EXPECT_REFUSED(world.run(order_command<shop::DeliverOrderT>("o1")), "invalid_transition", "order_id");
  shop::PayOrderT wrong_amount = order_command<shop::PayOrderT>("o1");
  wrong_amount.amount = 1;
  EXPECT_REFUSED(world.run(wrong_amount), "amount_mismatch", "amount");
  shop::FailPaymentT failed = order_command<shop::FailPaymentT>("o1");
  failed.reason = shop::PaymentFailure::CardLimit;
  EXPECT_ACCEPTED(world.run(failed));
  EXPECT_ACCEPTED(pay("o1"));
  EXPECT_REFUSED(pay("o1"), "invalid_transition", "order_id");
  EXPECT_REFUSED(ship("o1", shop::SourceKind::Warehouse, "w-north"), "unknown_source", "source_id");
  EXPECT_ACCEPTED(ship("o1", shop::SourceKind::Warehouse, "w-east-1"));
  EXPECT_EQ(world.stock("A").on_hand(), 4);
  EXPECT_EQ(world.stock("A").reserved(), 0);
  EXPECT_REFUSED(world.run(order_command<shop::CancelOrderT>("o1")), "invalid_transition", "order_id");
  EXPECT_ACCEPTED(world.run(order_command<shop::DeliverOrderT>("o1")));
  EXPECT_EQ(world.order("o1").status, domain::OrderStatus::kDelivered);
}

TEST_F(OrderRules, DropshipLinesAreForwardedAcknowledgedAndShippedBySupplier) {
  supplier_reports("D", 10);
  stock("A", "w-east-1", 5);
  ASSERT_TRUE(world.run(place_order("o1", "east", {{"A", 1, 10000}, {"D", 2, 5000}})).ok());
  ASSERT_TRUE(pay("o1").ok());
  EXPECT_REFUSED(ship("o1", shop::SourceKind::Supplier, "sup1"), "not_forwarded", "source_id");
  shop::ForwardDropshipT forward = order_command<shop::ForwardDropshipT>("o1");
  forward.supplier_id = "sup1";
  auto forwarded = world.run(forward);
  EXPECT_ACCEPTED(forwarded);
  EXPECT_EQ(forwarded->events[0].event.AsDropshipForwarded()->dropship_cost, 2 * 2500);
  EXPECT_REFUSED(world.run(forward), "already_forwarded", "supplier_id");
  shop::AcknowledgeDropshipT ack = order_command<shop::AcknowledgeDropshipT>("o1");
  ack.supplier_id = "sup1";
  ack.tracking_number = "YT1";
  EXPECT_ACCEPTED(world.run(ack));
  EXPECT_ACCEPTED(ship("o1", shop::SourceKind::Supplier, "sup1"));
  EXPECT_EQ(world.order("o1").status, domain::OrderStatus::kPartiallyShipped);
  EXPECT_ACCEPTED(ship("o1", shop::SourceKind::Warehouse, "w-east-1"));
  EXPECT_EQ(world.order("o1").status, domain::OrderStatus::kShipped);
  EXPECT_EQ(world.stock("D").supplier_open, 0);
}

class ReturnRules : public OrderRules {
 protected:
  void SetUp() override {
    OrderRules::SetUp();
    supplier_reports("D", 10);
    stock("A", "w-east-1", 5);
    ASSERT_TRUE(world.run(place_order("o1", "east", {{"A", 2, 10000}, {"D", 2, 5000}})).ok());
    ASSERT_TRUE(pay("o1").ok());
    shop::ForwardDropshipT forward = order_command<shop::ForwardDropshipT>("o1");
    forward.supplier_id = "sup1";
    ASSERT_TRUE(world.run(forward).ok());
    ASSERT_TRUE(ship("o1", shop::SourceKind::Supplier, "sup1").ok());
    ASSERT_TRUE(ship("o1", shop::SourceKind::Warehouse, "w-east-1").ok());
  }
  shop::RequestReturnT request(const std::string& return_id, const std::vector<std::pair<std::string, int>>& lines) {
    shop::RequestReturnT c = order_command<shop::RequestReturnT>("o1");
    c.return_id = return_id;
    c.reason = shop::ReturnReason::SizeMismatch;
    for (const auto& [sku, quantity] : lines) {
      auto l = std::make_unique<shop::LineQuantityT>();
      l->sku_id = sku;
      l->quantity = quantity;
      c.lines.push_back(std::move(l));
    }
    return c;
  }
  Result<domain::Decision> approve(const std::string& return_id, std::int64_t shipping_cost) {
    shop::ApproveReturnT c = order_command<shop::ApproveReturnT>("o1");
    c.return_id = return_id;
    c.shipping_cost = shipping_cost;
    return world.run(c);
  }
  Result<domain::Decision> refund(const std::string& refund_id, std::int64_t amount) {
    shop::IssueRefundT c = order_command<shop::IssueRefundT>("o1");
    c.refund_id = refund_id;
    c.amount = amount;
    return world.run(c);
  }
};

TEST_F(ReturnRules, AReturnNeedsADeliveredOrderAndNoMoreThanWasDelivered) {
  EXPECT_REFUSED(world.run(request("r1", {{"A", 1}})), "invalid_transition", "order_id");
  ASSERT_TRUE(world.run(order_command<shop::DeliverOrderT>("o1")).ok());
  EXPECT_REFUSED(world.run(request("r1", {{"A", 3}})), "invalid_quantity", "lines[0].quantity");
  EXPECT_REFUSED(world.run(request("r1", {{"B", 1}})), "unknown_line", "lines[0].sku_id");
  EXPECT_ACCEPTED(world.run(request("r1", {{"A", 1}})));
  EXPECT_REFUSED(world.run(request("r1", {{"A", 1}})), "return_exists", "return_id");
  EXPECT_ACCEPTED(world.run(request("r2", {{"A", 1}})));
  EXPECT_REFUSED(world.run(request("r3", {{"A", 1}})), "return_exceeds_delivered", "lines[0].quantity");
}

TEST_F(ReturnRules, ANoReasonReturnIsAskedWithinSevenDaysOfDelivery) {
  constexpr std::int64_t kDay = 86'400'000'000LL;
  auto delivered = world.run(wrap(order_command<shop::DeliverOrderT>("o1")), kNow);
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(delivered->events[0].event.AsOrderDelivered()->delivered_at, kNow);
  auto no_reason = [&](const std::string& id) {
    shop::RequestReturnT c = request(id, {{"A", 1}});
    c.reason = shop::ReturnReason::NoReason7Day;
    return c;
  };
  EXPECT_REFUSED(world.run(wrap(no_reason("r1")), kNow + 7 * kDay + 1), "return_window_closed", "reason");
  EXPECT_ACCEPTED(world.run(wrap(no_reason("r1")), kNow + 7 * kDay));  // the seventh day still counts
  EXPECT_ACCEPTED(world.run(wrap(request("r2", {{"A", 1}})), kNow + 20 * kDay));  // a return with a reason has no such window
}

TEST_F(ReturnRules, ReturnShippingCostIsSplitByTheSuppliersRatio) {
  ASSERT_TRUE(world.run(order_command<shop::DeliverOrderT>("o1")).ok());
  ASSERT_TRUE(world.run(request("r1", {{"D", 2}})).ok());  // all dropship: 60 % supplier
  auto approved = approve("r1", 1000);
  EXPECT_ACCEPTED(approved);
  EXPECT_EQ(approved->events[0].event.AsReturnApproved()->supplier_share, 600);
  EXPECT_EQ(approved->events[0].event.AsReturnApproved()->shop_share, 400);
  // Own stock only: the shop carries all of it.
  ASSERT_TRUE(world.run(request("r2", {{"A", 1}})).ok());
  auto approved_own = approve("r2", 900);
  EXPECT_EQ(approved_own->events[0].event.AsReturnApproved()->supplier_share, 0);
  EXPECT_REFUSED(approve("r2", 900), "invalid_transition", "return_id");
}

TEST_F(ReturnRules, AMixedReturnSplitsInProportionToValue) {
  ASSERT_TRUE(world.run(order_command<shop::DeliverOrderT>("o1")).ok());
  ASSERT_TRUE(world.run(request("r1", {{"A", 1}, {"D", 2}})).ok());  // 10000 own + 10000 dropship
  auto approved = approve("r1", 1000);
  EXPECT_EQ(approved->events[0].event.AsReturnApproved()->supplier_share, 300);  // 1000 x 1/2 x 60 %
  EXPECT_EQ(approved->events[0].event.AsReturnApproved()->shop_share, 700);
}

TEST_F(ReturnRules, ResellableReturnsGoBackToStockAndDamagedAreWrittenOff) {
  ASSERT_TRUE(world.run(order_command<shop::DeliverOrderT>("o1")).ok());
  ASSERT_TRUE(world.run(request("r1", {{"A", 1}})).ok());
  shop::ReceiveReturnT receive = order_command<shop::ReceiveReturnT>("o1");
  receive.return_id = "r1";
  receive.warehouse_id = "w-east-1";
  EXPECT_REFUSED(world.run(receive), "invalid_transition", "return_id");  // not approved yet
  ASSERT_TRUE(approve("r1", 0).ok());
  const std::int64_t before = world.stock("A").on_hand();
  EXPECT_ACCEPTED(world.run(receive));
  EXPECT_EQ(world.stock("A").on_hand(), before + 1);

  ASSERT_TRUE(world.run(request("r2", {{"A", 1}})).ok());
  ASSERT_TRUE(approve("r2", 0).ok());
  receive.return_id = "r2";
  receive.condition = shop::ReturnCondition::Damaged;
  EXPECT_ACCEPTED(world.run(receive));
  EXPECT_EQ(world.stock("A").on_hand(), before + 1);
}

TEST_F(ReturnRules, RefundsNeverExceedWhatWasPaid) {
  const std::int64_t paid = world.order("o1").paid;
  EXPECT_EQ(paid, 2 * 10000 + 2 * 5000 + 800);
  EXPECT_ACCEPTED(refund("f1", paid - 100));
  auto over = refund("f2", 101);
  EXPECT_REFUSED(over, "refund_exceeds_paid", "amount");
  EXPECT_ACCEPTED(refund("f2", 100));
  EXPECT_REFUSED(refund("f3", 1), "refund_exceeds_paid", "amount");
  EXPECT_REFUSED(refund("f1", 1), "refund_exists", "refund_id");
  EXPECT_REFUSED(refund("f4", 0), "invalid_amount", "amount");
}

TEST_F(ReturnRules, AnUnpaidOrderCannotBeRefunded) {
  ASSERT_TRUE(world.run(place_order("o2", "east", {{"A", 1, 10000}})).ok());
  shop::IssueRefundT c = order_command<shop::IssueRefundT>("o2");
  c.refund_id = "f1";
  c.amount = 1;
  EXPECT_REFUSED(world.run(c), "not_paid", "order_id");
}

class StockRules : public OrderRules {};

TEST_F(StockRules, AdjustmentsNeverTakeOnHandBelowZeroOrBelowReserved) {
  stock("A", "w-east-1", 5);
  shop::AdjustStockT adjust;
  adjust.sku_id = "A";
  adjust.warehouse_id = "w-east-1";
  adjust.reason = shop::AdjustReason::Damage;
  adjust.delta = -6;
  EXPECT_REFUSED(world.run(adjust), "below_zero", "delta");
  ASSERT_TRUE(world.run(place_order("o1", "east", {{"A", 3, 10000}})).ok());
  adjust.delta = -3;
  EXPECT_REFUSED(world.run(adjust), "below_reserved", "delta");
  adjust.delta = -2;
  EXPECT_ACCEPTED(world.run(adjust));
  EXPECT_EQ(world.stock("A").available(), 0);
  adjust.delta = 0;
  EXPECT_REFUSED(world.run(adjust), "invalid_quantity", "delta");
}

TEST_F(StockRules, TransfersMoveAvailableStockThroughIncoming) {
  stock("A", "w-east-1", 5);
  shop::TransferStockT transfer;
  transfer.transfer_id = "t1";
  transfer.sku_id = "A";
  transfer.from_warehouse = "w-east-1";
  transfer.to_warehouse = "w-north";
  transfer.quantity = 6;
  EXPECT_REFUSED(world.run(transfer), "insufficient_stock", "quantity");
  transfer.quantity = 4;
  EXPECT_ACCEPTED(world.run(transfer));
  EXPECT_EQ(world.stock("A").warehouses.at("w-north").incoming, 4);
  EXPECT_EQ(world.stock("A").on_hand(), 1);
  shop::ReceiveTransferT arrive;
  arrive.transfer_id = "t1";
  arrive.sku_id = "A";
  EXPECT_ACCEPTED(world.run(arrive));
  EXPECT_EQ(world.stock("A").warehouses.at("w-north").on_hand, 4);
  EXPECT_EQ(world.stock("A").warehouses.at("w-north").incoming, 0);
  EXPECT_REFUSED(world.run(arrive), "unknown_transfer", "transfer_id");
  transfer.to_warehouse = "w-nowhere";
  EXPECT_REFUSED(world.run(transfer), "unknown_warehouse", "to_warehouse");
}

TEST_F(StockRules, ReceivingNeedsAListedSkuAndARegisteredWarehouse) {
  EXPECT_REFUSED(world.run(receive_stock("Z", "w-east-1", 1)), "unknown_sku", "sku_id");
  EXPECT_REFUSED(world.run(receive_stock("A", "w-mars", 1)), "unknown_warehouse", "warehouse_id");
  EXPECT_REFUSED(world.run(receive_stock("A", "w-east-1", 0)), "invalid_quantity", "quantity");
  EXPECT_REFUSED(world.run(register_warehouse("w-moon", "moon")), "unknown_region", "region");
  EXPECT_REFUSED(world.run(register_warehouse("w-east-1", "east")), "warehouse_exists", "warehouse_id");
}

TEST_F(StockRules, SupplierReportsMustComeFromTheSkusSupplierInOrder) {
  shop::SyncSupplierStockT sync;
  sync.supplier_id = "sup1";
  sync.sku_id = "A";  // not a dropship SKU
  sync.available = 5;
  sync.reported_at = kNow;
  EXPECT_REFUSED(world.run(sync), "not_supplier_sku", "sku_id");
  sync.sku_id = "D";
  EXPECT_ACCEPTED(world.run(sync));
  sync.reported_at = kNow - 1;
  EXPECT_REFUSED(world.run(sync), "report_out_of_order", "reported_at");
  sync.reported_at = kNow + 3'600'000'000LL;
  EXPECT_REFUSED(world.run(sync), "invalid_time", "reported_at");
}

TEST_F(OrderRules, MalformedOrdersAreRefusedWithTheField) {
  stock("A", "w-east-1", 5);
  EXPECT_REFUSED(world.run(place_order("o1", "mars", {{"A", 1, 10'000}})), "unknown_region", "region");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {})), "required", "lines");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 0, 10'000}})), "invalid_quantity", "lines[0].quantity");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 10001, 10'000}})), "invalid_quantity", "lines[0].quantity");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 1, -1}})), "invalid_amount", "lines[0].unit_price");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"Z", 1, 10'000}})), "unknown_sku", "lines[0].sku_id");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 1, 10'000}, {"A", 1, 10'000}})), "duplicate_line", "lines[1].sku_id");
  auto bad_channel = place_order("o1", "east", {{"A", 1, 10'000}});
  bad_channel.channel = static_cast<shop::Channel>(42);
  EXPECT_REFUSED(world.run(std::move(bad_channel)), "invalid_channel", "channel");
  ASSERT_TRUE(world.run(place_order("o1", "east", {{"A", 1, 10'000}})).ok());
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 1, 10'000}})), "order_exists", "order_id");
  shop::DelistProductT delist;
  delist.product_id = "p1";
  ASSERT_TRUE(world.run(delist).ok());
  EXPECT_REFUSED(world.run(place_order("o2", "east", {{"A", 1, 10'000}})), "product_delisted", "lines[0].sku_id");
}

// A line is sold at the SKU's list price of the moment; whatever is given
// away is a discount the log names (the line's, or a named coupon's).
TEST_F(OrderRules, AUnitPriceOtherThanTheListPriceIsRefusedADiscountExplainsALowerOne) {
  stock("A", "w-east-1", 5);
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 1, 9'000}})), "not_list_price", "lines[0].unit_price");
  EXPECT_REFUSED(world.run(place_order("o1", "east", {{"A", 1, 10'001}})), "not_list_price", "lines[0].unit_price");
  auto discounted = place_order("o1", "east", {{"A", 2, 10'000}});
  discounted.lines[0]->discount = 2'000;
  ASSERT_TRUE(world.run(discounted).ok()) << "the same 9,000 a unit, as a discount";
  shop::ChangePricesT change;
  change.changes.push_back(std::make_unique<shop::PriceChangeT>());
  change.changes[0]->product_id = "p1";
  change.changes[0]->sku_id = "A";
  change.changes[0]->new_price = 8'000;
  change.changes[0]->reason = "campaign";
  ASSERT_TRUE(world.run(change).ok());
  EXPECT_REFUSED(world.run(place_order("o2", "east", {{"A", 1, 10'000}})), "not_list_price", "lines[0].unit_price");
  EXPECT_TRUE(world.run(place_order("o2", "east", {{"A", 1, 8'000}})).ok()) << "the new list price";
  auto unnamed_coupon = place_order("o3", "east", {{"A", 1, 8'000}});
  unnamed_coupon.coupon_discount = 500;
  EXPECT_REFUSED(world.run(unnamed_coupon), "required", "coupon");
  unnamed_coupon.coupon = "WINTER5";
  EXPECT_TRUE(world.run(unnamed_coupon).ok());
}

}  // namespace
}  // namespace spine::testing
