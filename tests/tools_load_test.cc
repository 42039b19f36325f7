// `spine load`: the same seed gives the same log (every field but the
// wall-clock recorded-at and the hashes that cover it), and the generated
// shop shows the configured shapes in its KPIs.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "spine/projections/kpis.h"
#include "spine/projections/read_models.h"
#include "spine/projections/runner.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using Json = nlohmann::json;

int run(const std::string& command, const std::string& out = "/dev/null") {
  const int status = std::system((command + " >" + out + " 2>/dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The export of a store without what differs between two runs by design:
// recorded-at is the wall clock when the event was stored, and the hashes
// (and the stored envelope) cover it.
std::vector<Json> deterministic_export(const std::string& data, const std::string& file) {
  EXPECT_EQ(run(std::string(SPINE_BINARY) + " export --data " + data, file), 0);
  std::vector<Json> records;
  std::stringstream lines(slurp(file));
  for (std::string line; std::getline(lines, line);) {
    Json record = Json::parse(line);
    if (record.contains("end")) continue;
    for (const char* field : {"recorded_at_us", "prev_hash", "hash", "envelope"}) record.erase(field);
    records.push_back(std::move(record));
  }
  return records;
}

// Region shares of placed orders (KPI rows by region) within 2 points of the
// generator's (east 38, south 25, north 22, central-west 15).
void expect_configured_region_shares(const Json& rows, double at_least_orders) {
  std::map<std::string, double> placed;
  double total = 0;
  for (const Json& row : rows) {
    const double orders = row["counters"]["placed_orders"].get<double>();
    placed[row["key"].get<std::string>()] += orders;
    total += orders;
  }
  ASSERT_GT(total, at_least_orders);
  const std::map<std::string, double> configured = {{"east", 38}, {"south", 25}, {"north", 22}, {"central_west", 15}};
  for (const auto& [region, share] : configured) {
    EXPECT_NEAR(100 * placed[region] / total, share, 2.0) << region;
  }
}

TEST(SpineLoad, TheSameSeedGivesTheSameLogAndTheConfiguredShapes) {
  TempDir dir;
  const std::string load = std::string(SPINE_BINARY) + " load --orders 3000 --seed 7 --data ";
  ASSERT_EQ(run(load + dir.str("a")), 0);
  ASSERT_EQ(run(load + dir.str("b")), 0);
  const std::vector<Json> a = deterministic_export(dir.str("a"), dir.str("a.ndjson"));
  const std::vector<Json> b = deterministic_export(dir.str("b"), dir.str("b.ndjson"));
  ASSERT_GT(a.size(), 10'000u);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "record " << i + 1;
  // Another seed, another shop.
  ASSERT_EQ(run(std::string(SPINE_BINARY) + " load --orders 300 --seed 8 --data " + dir.str("c")), 0);
  EXPECT_NE(deterministic_export(dir.str("c"), dir.str("c.ndjson"))[200], a[200]);

  // Region shares of placed orders within 2 points of the generator's (east 38, south 25, north 22, central-west 15).
  auto store = store::EventStore::open_read_only(dir.str("a"));
  ASSERT_TRUE(store.ok());
  auto models = projections::make_read_models(domain::default_config());
  std::vector<projections::Projection*> raw;
  projections::KpiProjection* kpis = nullptr;
  for (auto& model : models) {
    if (model->name() == "kpis") kpis = dynamic_cast<projections::KpiProjection*>(model.get());
  }
  ASSERT_NE(kpis, nullptr);
  raw.push_back(kpis);
  ASSERT_TRUE(projections::replay_in_memory(**store, raw, 0).ok());
  projections::KpiQuery query;
  query.from_us = 1'700'000'000'000'000;
  query.to_us = 1'800'000'000'000'000;
  query.granularity = "total";
  query.by = "region";
  auto answer = kpis->query(query);
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  expect_configured_region_shares((*answer)["rows"], 2'900);
}

// The scale the issue names: 100,000 orders (about 850,000 events), twice, in
// the release flavour (the sanitizer flavour would take most of CI's time;
// the 3,000-order test above covers it there). --no-sync: a bulk load.
TEST(SpineLoad, AHundredThousandOrdersTwiceGiveIdenticalLogs) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "run in the release flavour (tools/test runs both)";
#endif
  TempDir dir;
  std::vector<pid_t> loads;
  for (const char* name : {"a", "b"}) {
    loads.push_back(spawn({SPINE_BINARY, "load", "--no-sync", "--orders", "100000", "--seed", "7", "--data", dir.str(name)},
                          dir.str(std::string(name) + ".out"), dir.str(std::string(name) + ".err")));
  }
  for (pid_t pid : loads) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir.str("a.err")) << slurp(dir.str("b.err"));
  }
  auto a = store::EventStore::open_read_only(dir.str("a"));
  auto b = store::EventStore::open_read_only(dir.str("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ((*a)->head().position, (*b)->head().position);
  ASSERT_GT((*a)->head().position, 700'000u);
  // Every field but the wall-clock recorded-at and the hashes that cover it.
  std::uint64_t compared = 0;
  std::vector<store::RecordView> other;
  std::size_t next_other = 0;
  Status walked = store::for_each_record(**a, 1, 0, [&](const store::RecordView& r) -> Status {
    if (next_other == other.size()) {
      auto batch = (*b)->read_all(r.position(), 10'000);
      if (!batch) return batch.error();
      other = std::move(*batch);
      next_other = 0;
    }
    const store::RecordView& o = other.at(next_other++);
    const bool same = r.position() == o.position() && r.stream_id() == o.stream_id() &&
                      r.stream_version() == o.stream_version() && r.event_type() == o.event_type() &&
                      r.event_id() == o.event_id() && r.command_id() == o.command_id() &&
                      r.causation_id() == o.causation_id() && r.actor() == o.actor() &&
                      r.occurred_at_us() == o.occurred_at_us() && r.schema_version() == o.schema_version() &&
                      r.payload() == o.payload();
    if (!same) return Error{"differs", "record", "position " + std::to_string(r.position())};
    ++compared;
    return ok_status();
  });
  ASSERT_TRUE(walked.ok()) << walked.error().to_string();
  EXPECT_EQ(compared, (*a)->head().position);
  a->reset();

  // The configured shapes at this scale: region shares of placed orders within 2 points
  // (of 100,000 generated, about 2 % are refused: a supplier that ran dry cannot take them).
  CommandOutput kpis = run_command(std::string(SPINE_BINARY) + " replay --data " + dir.str("a") +
                                   " --projection kpis --granularity total --by region");
  ASSERT_EQ(kpis.exit_code, 0);
  expect_configured_region_shares(Json::parse(kpis.out)["models"]["kpis"]["rows"], 97'000);
}

}  // namespace
}  // namespace spine::testing
