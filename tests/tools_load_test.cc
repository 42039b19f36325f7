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
  std::map<std::string, double> placed;
  double total = 0;
  for (const Json& row : (*answer)["rows"]) {
    const double orders = row["counters"]["placed_orders"].get<double>();
    placed[row["key"].get<std::string>()] += orders;
    total += orders;
  }
  ASSERT_GT(total, 2'900);
  const std::map<std::string, double> configured = {{"east", 38}, {"south", 25}, {"north", 22}, {"central_west", 15}};
  for (const auto& [region, share] : configured) {
    EXPECT_NEAR(100 * placed[region] / total, share, 2.0) << region;
  }
}

}  // namespace
}  // namespace spine::testing
