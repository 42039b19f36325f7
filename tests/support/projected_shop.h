// A small shop for read-model tests: a real store, the command handler on a
// clock the test moves, and the projection runner over the read models.
// Commands go through the handler; reads catch the runner up first.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "spine/commands/command_handler.h"
#include "spine/commands/deadline_service.h"
#include "spine/projections/alerts.h"
#include "spine/projections/kpis.h"
#include "spine/projections/runner.h"
#include "support/shop.h"
#include "support/test_support.h"

namespace spine::testing {

constexpr std::int64_t kHourUs = 3'600'000'000LL;

class ProjectedShop : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  // Opens the store, the handler and the runner on `dir` with `config`; again
  // after a close (a restart) they find what was written before.
  void open() {
    runner.reset();
    handler.reset();
    log.reset();
    store::Options options;
    options.sync = false;
    log = open_store(dir.str("log"), options);
    handler = std::make_unique<commands::CommandHandler>(
        *log, config, commands::HandlerOptions{.clock = [this] { return now; }});
    auto opened = projections::ProjectionRunner::open(*log, dir.str("projections"),
                                                      projections::make_read_models(config));
    ASSERT_TRUE(opened.ok()) << opened.error().to_string();
    runner = std::move(*opened);
  }

  // Runs a command at `now`; the test fails when it is refused.
  void run(shop::CommandBodyUnion body) {
    commands::CommandEnvelope c;
    c.command_id = "c" + std::to_string(++commands);
    c.actor = "test";
    c.body = std::move(body);
    auto done = handler->handle(c);
    ASSERT_TRUE(done.ok()) << domain::command_name(c.body) << ": " << done.error().to_string();
  }
  template <typename T>
  void order_step(const std::string& order_id, const std::function<void(T&)>& fill = {}) {
    T c;
    c.order_id = order_id;
    if (fill) fill(c);
    run(wrap(std::move(c)));
  }

  // The deadline service's source, as `spine serve` wires it: the alert
  // projection's due deadlines (caught up first when `catch_up`; a started
  // runner follows the log by itself).
  commands::DeadlineSource deadline_source(bool catch_up) {
    return [this, catch_up](std::int64_t now_us, std::size_t limit) {
      if (catch_up) {
        EXPECT_TRUE(runner->catch_up().ok());
      }
      std::vector<domain::Deadline> due;
      EXPECT_TRUE(runner->read("alerts", [&](const projections::Projection& p, std::uint64_t) {
                    due = dynamic_cast<const projections::AlertProjection&>(p).due_deadlines(now_us, limit);
                  }).ok());
      return due;
    };
  }
  // What the deadline service does on one tick at `now`: records every
  // deadline the alert projection armed that is due. Returns how many.
  std::size_t record_due_deadlines() {
    commands::DeadlineService service(*handler, deadline_source(true),
                                      commands::DeadlineServiceOptions{.clock = [this] { return now; }});
    return service.record_due();
  }

  // One read model, caught up to the log's head.
  template <typename Model>
  nlohmann::json read(const std::string& name, const std::function<nlohmann::json(const Model&)>& query) {
    EXPECT_TRUE(runner->catch_up().ok());
    nlohmann::json out;
    EXPECT_TRUE(runner->read(name, [&](const projections::Projection& p, std::uint64_t) {
                  out = query(dynamic_cast<const Model&>(p));
                }).ok());
    return out;
  }
  // KPI rows from two days before kNow to ten days after.
  nlohmann::json kpis(const std::string& granularity = "total", const std::string& by = "all") {
    projections::KpiQuery q;
    q.from_us = kNow - 48 * kHourUs;
    q.to_us = kNow + 10 * 24 * kHourUs;
    q.granularity = granularity;
    q.by = by;
    return read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); })["rows"];
  }
  // The one row of a total over all.
  nlohmann::json total() {
    nlohmann::json rows = kpis();
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? nlohmann::json::object() : rows[0];
  }
  static std::int64_t counter(const nlohmann::json& row, const char* name) {
    return row["counters"].value(name, std::int64_t{0});
  }

  // The shop's configuration; a fixture's constructor may change it.
  domain::Config config = domain::default_config();
  std::int64_t now = kNow;
  TempDir dir;
  std::unique_ptr<store::EventStore> log;
  std::unique_ptr<commands::CommandHandler> handler;
  std::unique_ptr<projections::ProjectionRunner> runner;
  int commands = 0;
};

}  // namespace spine::testing
