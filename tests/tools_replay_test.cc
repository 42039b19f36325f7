// `spine replay`: the read models rebuilt offline as of a time equal the
// HTTP API's as_of answers for the same store; bad flags change nothing and
// exit with the documented codes.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>
#include <nlohmann/json.hpp>

#include "support/http_client.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using Json = nlohmann::json;

std::string spine(const std::string& arguments) { return std::string(SPINE_BINARY) + " " + arguments; }


// The `data` of an HTTP answer, checking its position.
Json http_data(HttpClient& client, const std::string& target, std::uint64_t position) {
  HttpAnswer answer = client.get(target);
  EXPECT_EQ(answer.status, 200) << target << ": " << answer.body;
  Json body = answer.json();
  EXPECT_EQ(body["position"], position) << target;
  return body["data"];
}

TEST(SpineReplay, UntilTimeEqualsTheHttpAsOfAnswers) {
  TempDir dir;
  const std::string data = dir.str("data");
  ASSERT_EQ(run_command(spine("load --orders 800 --seed 11 --data " + data)).exit_code, 0);

  HttpServe serve;
  ASSERT_TRUE(serve.start(data, dir.str("serve.out"), dir.str("serve.err"))) << slurp(dir.str("serve.err"));
  HttpClient client(serve.port, serve.admin_token);
  // The server records the deadlines still pending in the loaded (past) shop
  // as its alert model catches up: wait until the alerts have reached the
  // head and a few deadline ticks append nothing more.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  for (std::uint64_t before = 0;;) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the server's head never settled";
    const std::uint64_t now_head = client.get("/v1/events?limit=1").json()["position"];
    if (now_head == before) break;
    const HttpAnswer caught = client.get("/v1/alerts?min_position=" + std::to_string(now_head));
    if (caught.status == 503) continue;  // the alert model is still catching up (5 s per wait)
    ASSERT_EQ(caught.status, 200) << caught.body;
    before = now_head;
    std::this_thread::sleep_for(std::chrono::milliseconds(1'000));
  }
  // T: the recorded-at of a record in the middle of the log.
  Json head = client.get("/v1/events?limit=1").json();
  const std::uint64_t head_position = head["position"];
  ASSERT_GT(head_position, 5'000u);
  Json middle = client.get("/v1/events?from=" + std::to_string(head_position / 2) + "&limit=1").json();
  const std::string at = rfc3339(middle["data"]["records"][0]["recorded_at_us"].get<std::int64_t>());
  const std::string as_of = "as_of=" + at;
  // The position the API turns T into (every record recorded at or before T).
  const std::uint64_t position = client.get("/v1/alerts?" + as_of).json()["position"];
  ASSERT_GE(position, head_position / 2);
  ASSERT_LT(position, head_position);

  const Json stock = http_data(client, "/v1/stock?" + as_of, position);
  const Json alerts = http_data(client, "/v1/alerts?" + as_of, position);
  const Json kpis =
      http_data(client, "/v1/kpis?from=2025-10-01&to=2025-10-05&granularity=day&by=region&" + as_of, position);
  const Json supplier = http_data(client, "/v1/suppliers/sup-yiwu-home/performance?" + as_of, position);
  const Json prices = http_data(client, "/v1/skus/load-p-0-0/prices?" + as_of, position);
  const Json timeline = http_data(client, "/v1/orders/load-o-5/timeline?" + as_of, position);
  EXPECT_EQ(serve.stop(), 0);

  CommandOutput replayed = run_command(spine("replay --data " + data + " --until-time " + at +
                                             " --kpi-from 2025-10-01 --kpi-to 2025-10-05 --by region"
                                             " --timeline order:load-o-5"));
  ASSERT_EQ(replayed.exit_code, 0);
  const Json out = Json::parse(replayed.out);
  EXPECT_EQ(out["position"], position);
  EXPECT_EQ(out["head_position"], head_position);
  EXPECT_EQ(out["until_time"], at);
  const Json& models = out["models"];
  ASSERT_FALSE(stock.empty());
  EXPECT_EQ(models["stock"], stock);
  EXPECT_EQ(models["alerts"], alerts);
  ASSERT_FALSE(kpis["rows"].empty());
  EXPECT_EQ(models["kpis"], kpis);
  EXPECT_EQ(models["prices"]["load-p-0-0"], prices);
  bool supplier_found = false;
  for (const Json& row : models["suppliers"]) {
    if (row["supplier_id"] == "sup-yiwu-home") {
      EXPECT_EQ(row, supplier);
      supplier_found = true;
    }
  }
  EXPECT_TRUE(supplier_found) << models["suppliers"].dump();
  ASSERT_FALSE(timeline["entries"].empty());
  EXPECT_EQ(models["timeline"]["entries"], timeline["entries"]);

  // A position replay of the same point is the same answer; the head differs.
  CommandOutput by_position = run_command(spine("replay --data " + data + " --until-position " + std::to_string(position) +
                                                " --projection stock --projection alerts"));
  ASSERT_EQ(by_position.exit_code, 0);
  const Json at_position = Json::parse(by_position.out);
  EXPECT_EQ(at_position["models"]["stock"], stock);
  EXPECT_EQ(at_position["models"]["alerts"], alerts);
  EXPECT_FALSE(at_position["models"].contains("kpis"));
  CommandOutput at_head = run_command(spine("replay --data " + data + " --projection stock"));
  ASSERT_EQ(at_head.exit_code, 0);
  EXPECT_EQ(Json::parse(at_head.out)["position"], head_position);
  EXPECT_NE(Json::parse(at_head.out)["models"]["stock"], stock);
}

TEST(SpineReplay, BadFlagsAreRefusedWithTheDocumentedExitCodes) {
  TempDir dir;
  const std::string data = dir.str("data");
  ASSERT_EQ(run_command(spine("load --orders 20 --seed 1 --data " + data)).exit_code, 0);
  const std::string replay = "replay --data " + data;
  EXPECT_EQ(run_command(spine(replay + " --until-position 99999999")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --until-time yesterday")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --until-time 2025-10-01T00:00:00Z --until-position 3")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --projection nonsense")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --timeline order")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --timeline planet:x")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --granularity fortnight")).exit_code, 2);
  EXPECT_EQ(run_command(spine(replay + " --config /nonexistent.toml")).exit_code, 2);
  EXPECT_EQ(run_command(spine("replay --data " + dir.str("missing"))).exit_code, 3);
  // Before the first record: empty models, position 0.
  CommandOutput before = run_command(spine(replay + " --until-time 2000-01-01T00:00:00Z --projection stock"));
  ASSERT_EQ(before.exit_code, 0);
  const Json out = Json::parse(before.out);
  EXPECT_EQ(out["position"], 0);
  EXPECT_EQ(out["models"]["stock"], Json::array());
}

}  // namespace
}  // namespace spine::testing
