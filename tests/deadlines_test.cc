// Time is a fact in the log: a deadline (a supplier that has not shipped 48 h
// after a forward, an own warehouse 24 h after payment, supplier stock not
// reported for 15 minutes) raises its alert only through the DeadlinePassed
// event the deadline service appends when it falls due, in a shop where
// nothing else happens. A deadline met in time is not acted on; the service
// appends each deadline once, also across a restart; a replay of the log
// shows exactly the alerts the live server showed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <thread>

#include "spine/domain/deadlines.h"
#include "spine/domain/streams.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

constexpr std::int64_t kMinuteUs = 60'000'000;


class Deadlines : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_supplier("sup1")));
    run(wrap(register_warehouse("w-north", "north")));
    run(wrap(list_product("pD", {"D"}, {5'000}, "sup1")));
    run(wrap(list_product("pO", {"O"}, {3'000})));
    run(wrap(receive_stock("O", "w-north", 100)));
    report("D");
  }
  void report(const std::string& sku) {
    shop::SyncSupplierStockT c;
    c.supplier_id = "sup1";
    c.sku_id = sku;
    c.available = 1'000;
    c.reported_at = now;
    run(wrap(std::move(c)));
  }
  void place_and_pay(const std::string& order_id, const std::string& sku) {
    run(wrap(place_order(order_id, "north", {{sku, 1, sku == "D" ? 5'000 : 3'000}})));
    auto state = handler->current_state(domain::order_stream(order_id));
    ASSERT_TRUE(state.ok());
    const std::int64_t total = std::get<domain::OrderState>(state->state).total;
    order_step<shop::PayOrderT>(order_id, [&](auto& c) { c.amount = total; });
  }
  void forward(const std::string& order_id) {
    place_and_pay(order_id, "D");
    order_step<shop::ForwardDropshipT>(order_id, [](auto& c) { c.supplier_id = "sup1"; });
  }
  void ship(const std::string& order_id, shop::SourceKind kind, const std::string& source) {
    order_step<shop::ShipOrderT>(order_id, [&](auto& c) {
      c.kind = kind;
      c.source_id = source;
      c.carrier = "SF";
      c.tracking_number = "SF1";
    });
  }
  nlohmann::json alerts(const std::string& kind) {
    return read<projections::AlertProjection>("alerts", [&](const auto& a) { return a.list(false, kind); });
  }
  std::size_t deadline_events() {
    std::size_t n = 0;
    auto records = log->read_all(1, 1'000'000);
    EXPECT_TRUE(records.ok());
    for (const store::RecordView& r : *records) n += r.event_type() == "DeadlinePassed";
    return n;
  }
  Status record(std::string kind, std::string subject, std::int64_t due_at) {
    shop::RecordDeadlineT c;
    c.kind = std::move(kind);
    c.subject = std::move(subject);
    c.due_at = due_at;
    commands::CommandEnvelope envelope;
    envelope.command_id = "manual-" + std::to_string(++commands);
    envelope.actor = "test";
    envelope.body.Set(std::move(c));
    auto done = handler->handle(envelope);
    return done.ok() ? ok_status() : Status(done.error());
  }
};

TEST_F(Deadlines, AQuietShopRaisesTheLateSupplierAlertWhenItsDeadlineIsRecorded) {
  const std::int64_t forwarded = now;
  forward("f1");
  now = forwarded + 48 * kHourUs - 1;
  report("D");  // the supplier keeps reporting stock, but ships nothing
  record_due_deadlines();
  EXPECT_TRUE(alerts("supplier_not_shipped").empty()) << "not yet due";
  now = forwarded + 48 * kHourUs + 1;  // nothing at all happens in the shop
  EXPECT_TRUE(alerts("supplier_not_shipped").empty()) << "time passing alone appends nothing";
  EXPECT_EQ(record_due_deadlines(), 1u);
  const nlohmann::json raised = alerts("supplier_not_shipped");
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0]["subject"], "f1:sup1");
  EXPECT_EQ(raised[0]["raised_at"], rfc3339(forwarded + 48 * kHourUs))
      << "raised at the deadline, not when it was recorded";
  EXPECT_EQ(raised[0]["active"], true);
  ship("f1", shop::SourceKind::Supplier, "sup1");
  EXPECT_EQ(alerts("supplier_not_shipped")[0]["active"], false) << "shipping clears it";
}

TEST_F(Deadlines, ADeadlineMetInTimeIsNeitherDueNorActedOn) {
  const std::int64_t forwarded = now;
  forward("f1");
  now += 10 * kHourUs;
  ship("f1", shop::SourceKind::Supplier, "sup1");
  now = forwarded + 49 * kHourUs;
  report("D");
  EXPECT_EQ(record_due_deadlines(), 0u) << "the forward shipped: its deadline was disarmed";
  // A DeadlinePassed for it recorded anyway changes nothing.
  ASSERT_TRUE(record("supplier_not_shipped", "f1:sup1", forwarded + 48 * kHourUs).ok());
  EXPECT_TRUE(alerts("supplier_not_shipped").empty());
  // Nor does one for a deadline that was never armed, or armed for another time.
  ASSERT_TRUE(record("own_not_shipped", "nothing:w-north", now - 1).ok());
  EXPECT_TRUE(alerts("own_not_shipped").empty());
}

TEST_F(Deadlines, EachDeadlineIsAppendedOnceHoweverOftenTheServiceTicks) {
  forward("f1");
  now += 49 * kHourUs;
  report("D");
  const std::size_t before = deadline_events();
  EXPECT_EQ(record_due_deadlines(), 1u);
  EXPECT_EQ(record_due_deadlines(), 0u);
  // A service that had not yet seen its own append recorded (the projection
  // behind the log) asks again: the command id names the deadline.
  commands::DeadlineService stale_view(
      *handler,
      [&](std::int64_t, std::size_t) {
        return std::vector<domain::Deadline>{{"supplier_not_shipped", "f1:sup1", kNow + 48 * kHourUs}};
      },
      commands::DeadlineServiceOptions{.clock = [this] { return now; }});
  EXPECT_EQ(stale_view.record_due(), 0u);
  EXPECT_EQ(stale_view.stats().deduplicated, 1u);
  EXPECT_EQ(deadline_events(), before + 1);
}

TEST_F(Deadlines, AnOwnWarehouseHasTwentyFourHoursFromPayment) {
  const std::int64_t paid = now;
  place_and_pay("o1", "O");
  place_and_pay("o2", "O");
  now = paid + 24 * kHourUs - 1;
  report("D");
  record_due_deadlines();
  EXPECT_TRUE(alerts("own_not_shipped").empty());
  now = paid + 24 * kHourUs + 1;
  record_due_deadlines();
  nlohmann::json raised = alerts("own_not_shipped");
  ASSERT_EQ(raised.size(), 2u);
  EXPECT_EQ(raised[0]["subject"], "o1:w-north");
  EXPECT_EQ(raised[1]["subject"], "o2:w-north");
  ship("o1", shop::SourceKind::Warehouse, "w-north");
  order_step<shop::CancelOrderT>("o2", [](auto& c) { c.reason = "buyer asked"; });
  raised = alerts("own_not_shipped");
  EXPECT_EQ(raised[0]["active"], false) << "shipped";
  EXPECT_EQ(raised[1]["active"], false) << "cancelled: nothing left to ship";
}

TEST_F(Deadlines, ADropshipSkuThatNeverReportsGoesStaleLikeOneThatStopped) {
  const std::int64_t listed = now;
  run(wrap(list_product("pN", {"N"}, {5'000}, "sup1")));
  now = listed + 15 * kMinuteUs + 1;
  record_due_deadlines();
  const nlohmann::json stale = alerts("stale_supplier_stock");
  ASSERT_EQ(stale.size(), 2u) << stale.dump();  // D's report of SetUp is stale too
  EXPECT_EQ(stale[1]["subject"], "N");
  EXPECT_EQ(stale[1]["detail"], "no supplier stock report since the SKU was listed");
  EXPECT_EQ(stale[0]["subject"], "D");
  EXPECT_EQ(stale[0]["detail"], "no supplier stock report for over 15 minutes");
}

TEST_F(Deadlines, ADeadlineIsRecordedOnlyOnceDueForAKnownKindAndABoundedSubject) {
  const std::uint64_t head = log->head().position;
  auto code = [&](std::string kind, std::string subject, std::int64_t due_at) {
    Status s = record(std::move(kind), std::move(subject), due_at);
    return s.ok() ? std::string("ok") : s.error().code + "/" + s.error().field;
  };
  EXPECT_EQ(code("the_sky_is_falling", "x", now), "unknown_deadline_kind/kind");
  EXPECT_EQ(code("supplier_not_shipped", "", now), "required/subject");
  EXPECT_EQ(code("supplier_not_shipped", std::string(257, 'x'), now), "too_long/subject");
  EXPECT_EQ(code("supplier_not_shipped", "f1:sup1", now + 1), "deadline_not_due/due_at");
  EXPECT_EQ(code("supplier_not_shipped", "f1:sup1", 0), "deadline_not_due/due_at");
  EXPECT_EQ(log->head().position, head);
}

// The service on its own thread, as `spine serve` runs it, on a clock the
// test moves; the handler it uses shares that clock.
class LiveDeadlines : public Deadlines {
 protected:
  void start_live() {
    live_handler = std::make_unique<commands::CommandHandler>(
        *log, domain::default_config(), commands::HandlerOptions{.clock = [this] { return clock.load(); }});
    runner->start();
    service = std::make_unique<commands::DeadlineService>(
        *live_handler, deadline_source(false),
        commands::DeadlineServiceOptions{.interval = std::chrono::milliseconds(50),
                                         .clock = [this] { return clock.load(); }});
    service->start();
  }
  void stop_live() {
    service.reset();
    runner->stop();
    live_handler.reset();
  }
  // Milliseconds until `subject` has a supplier_not_shipped alert (-1: none within `limit`).
  long long wait_for_alert(const std::string& subject, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      nlohmann::json list;
      (void)runner->read("alerts", [&](const projections::Projection& p, std::uint64_t) {
        list = dynamic_cast<const projections::AlertProjection&>(p).list(false, "supplier_not_shipped");
      });
      for (const auto& alert : list) {
        if (alert["subject"] == subject) {
          return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
              .count();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  std::atomic<std::int64_t> clock{0};
  std::unique_ptr<commands::CommandHandler> live_handler;
  std::unique_ptr<commands::DeadlineService> service;
};

TEST_F(LiveDeadlines, RaisedWithinASecondOfItsDueTimeAcrossARestartAndReplayedTheSame) {
  const std::int64_t forwarded = now;
  forward("f1");
  forward("f2");
  clock = forwarded + 48 * kHourUs - kMinuteUs;
  start_live();
  EXPECT_EQ(wait_for_alert("f1:sup1", std::chrono::milliseconds(300)), -1) << "raised a minute early";

  clock = forwarded + 48 * kHourUs + 1;  // falls due now; the shop is silent
  const long long took_ms = wait_for_alert("f1:sup1");
  ASSERT_GE(took_ms, 0) << "never raised";
  EXPECT_LT(took_ms, 1000) << "raised " << took_ms << " ms after it fell due";
  stop_live();

  // f3 falls due while the server is down: recorded on the first tick after it starts.
  now = forwarded + 50 * kHourUs;
  forward("f3");
  ship("f2", shop::SourceKind::Supplier, "sup1");
  open();  // a restart
  clock = now + 48 * kHourUs + 1;
  start_live();
  const long long after_restart_ms = wait_for_alert("f3:sup1");
  ASSERT_GE(after_restart_ms, 0) << "the deadline armed before the restart was lost";
  EXPECT_LT(after_restart_ms, 1000);
  stop_live();
  const nlohmann::json live = read<projections::AlertProjection>("alerts", [](const auto& a) { return a.list(false); });

  // A replay of the log from its start shows exactly what the live server showed.
  auto rebuilt = projections::ProjectionRunner::open(*log, dir.str("replayed"),
                                                     projections::make_read_models(domain::default_config()));
  ASSERT_TRUE(rebuilt.ok());
  ASSERT_TRUE((*rebuilt)->catch_up().ok());
  nlohmann::json replayed;
  ASSERT_TRUE((*rebuilt)->read("alerts", [&](const projections::Projection& p, std::uint64_t) {
                            replayed = dynamic_cast<const projections::AlertProjection&>(p).list(false);
                          }).ok());
  EXPECT_EQ(replayed, live);
  std::set<std::string> late;
  for (const auto& alert : live) {
    if (alert["kind"] == "supplier_not_shipped") late.insert(alert["subject"]);
  }
  EXPECT_EQ(late, (std::set<std::string>{"f1:sup1", "f2:sup1", "f3:sup1"}));
}

}  // namespace
}  // namespace spine::testing
