// `spine load --url`: the generator's commands through a running server's
// HTTP API give the same events as through a local store's handler (the
// server's rules decide); the actor is the token's; a token that may not set
// the time, a missing token or a bad URL stop the load with nothing written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/http_client.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using Json = nlohmann::json;

std::string spine(const std::string& arguments) { return std::string(SPINE_BINARY) + " " + arguments; }

// The shop's events (registrations aside: serve registers the configured
// suppliers and warehouses itself at start; deadlines aside: a local load
// records them in simulated time, a server's deadline service on its own
// clock) as what they say and when.
std::vector<Json> shop_events(const std::string& data, const std::string& file) {
  EXPECT_EQ(std::system((spine("export --data " + data) + " >" + file + " 2>/dev/null").c_str()), 0);
  std::vector<Json> events;
  std::stringstream lines(slurp(file));
  for (std::string line; std::getline(lines, line);) {
    Json record = Json::parse(line);
    if (record.contains("end")) continue;
    const std::string stream = record["stream"];
    if (stream.rfind("supplier-", 0) == 0 || stream.rfind("warehouse-", 0) == 0) continue;
    if (stream.rfind("deadline-", 0) == 0) continue;
    events.push_back(Json{{"stream", stream}, {"stream_version", record["stream_version"]}, {"type", record["type"]},
                          {"occurred_at_us", record["occurred_at_us"]}, {"event", record["event"]},
                          {"actor", record["actor"]}, {"command_id", record["command_id"]}});
  }
  return events;
}

TEST(SpineLoadUrl, CommandsOverHttpGiveTheSameEventsAsThroughAStore) {
  TempDir dir;
  HttpServe serve;
  ASSERT_TRUE(serve.start(dir.str("served"), dir.str("serve.out"), dir.str("serve.err"))) << slurp(dir.str("serve.err"));
  const std::string url = "http://127.0.0.1:" + std::to_string(serve.port);
  CommandOutput over_http =
      run_command(spine("load --url " + url + " --token " + serve.admin_token + " --orders 150 --seed 4 --json"));
  ASSERT_EQ(over_http.exit_code, 0);
  const Json http_figures = Json::parse(over_http.out);
  // The answer's head is the server's (which may have grown since: the
  // server records the loaded shop's past deadlines as they come due).
  HttpClient client(serve.port, serve.admin_token);
  EXPECT_LE(http_figures["head_position"].get<std::uint64_t>(),
            client.get("/v1/events?limit=1").json()["position"].get<std::uint64_t>());
  EXPECT_GT(http_figures["head_position"].get<std::uint64_t>(), 1'000u);
  EXPECT_EQ(serve.stop(), 0);

  CommandOutput local = run_command(spine("load --data " + dir.str("local") + " --orders 150 --seed 4 --json"));
  ASSERT_EQ(local.exit_code, 0);
  const Json local_figures = Json::parse(local.out);
  EXPECT_EQ(http_figures["accepted"], local_figures["accepted"]);
  EXPECT_EQ(http_figures["refused"], local_figures["refused"]);
  EXPECT_EQ(http_figures["commands"], local_figures["commands"]);
  EXPECT_EQ(http_figures["deadlines"], 0) << "the server records its own";
  EXPECT_GT(local_figures["deadlines"], 0);

  const std::vector<Json> served = shop_events(dir.str("served"), dir.str("served.ndjson"));
  const std::vector<Json> stored = shop_events(dir.str("local"), dir.str("local.ndjson"));
  ASSERT_GT(served.size(), 1000u);
  ASSERT_EQ(served.size(), stored.size());
  for (std::size_t i = 0; i < served.size(); ++i) {
    Json a = served[i], b = stored[i];
    // Over HTTP the actor is the token's and command ids are scoped by it.
    EXPECT_EQ(a["actor"], "admin");
    EXPECT_EQ(a["command_id"], "admin:" + b["command_id"].get<std::string>());
    for (Json* side : {&a, &b}) {
      side->erase("actor");
      side->erase("command_id");
    }
    ASSERT_EQ(a, b) << "event " << i;
  }
}

TEST(SpineLoadUrl, ATokenThatMayNotSetTheTimeStopsTheLoadWithNothingWritten) {
  TempDir dir;
  HttpServe serve;
  ASSERT_TRUE(serve.start(dir.str("data"), dir.str("serve.out"), dir.str("serve.err"))) << slurp(dir.str("serve.err"));
  const std::string url = "http://127.0.0.1:" + std::to_string(serve.port);
  HttpClient admin(serve.port, serve.admin_token);
  const std::uint64_t head = admin.get("/v1/events?limit=1").json()["position"];
  CommandOutput created =
      run_command(spine("token create --data " + dir.str("data") + " --role operations --name olga --json"));
  ASSERT_EQ(created.exit_code, 0);
  const std::string operations = Json::parse(created.out)["token"];

  EXPECT_EQ(run_command(spine("load --url " + url + " --token " + operations + " --orders 5")).exit_code, 3);
  EXPECT_EQ(run_command(spine("load --url " + url + " --token spine_wrong --orders 5")).exit_code, 3);
  EXPECT_EQ(run_command("env -u SPINE_TOKEN " + spine("load --url " + url + " --orders 5")).exit_code, 2);
  EXPECT_EQ(run_command(spine("load --url ftp://example --token x --orders 5")).exit_code, 2);
  EXPECT_EQ(run_command(spine("load --url " + url + " --data " + dir.str("d") + " --token x")).exit_code, 2);
  EXPECT_EQ(run_command(spine("load --orders 5")).exit_code, 2);
  EXPECT_EQ(admin.get("/v1/events?limit=1").json()["position"], head) << "nothing appended";
  EXPECT_EQ(serve.stop(), 0);
  // Nobody listening: exit 3.
  EXPECT_EQ(run_command(spine("load --url " + url + " --token x --orders 5")).exit_code, 3);
}

}  // namespace
}  // namespace spine::testing
