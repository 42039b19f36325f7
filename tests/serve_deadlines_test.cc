// The real `spine serve` records deadlines on its own: supplier stock
// reported 15 minutes minus two seconds ago goes stale two seconds later in a
// server that receives nothing else; a deadline that falls due while the
// server is stopped is recorded when it starts again; `spine replay` of the
// data directory shows exactly the alerts the live server answered.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/http_client.h"
#include "support/process.h"
#include "support/test_support.h"

namespace spine::testing {
namespace {

using Json = nlohmann::json;

constexpr const char* kSupplier = "sup-yiwu-home";  // configured in shop.toml

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void list_dropship_sku(HttpClient& admin, const std::string& sku) {
  const Json listing = {
      {"product_id", "p-" + sku},
      {"title", "Silk pillowcase, queen size"},
      {"description", "Mulberry silk, 22 momme."},
      {"category", "digital/audio/headphones"},
      {"attributes", Json::array({{{"name", "connectivity"}, {"value", "yes"}},
                                  {{"name", "battery_hours"}, {"value", "30"}},
                                  {{"name", "noise_cancelling"}, {"value", "yes"}},
                                  {{"name", "warranty_months"}, {"value", "12"}},
                                  {{"name", "brand"}, {"value", "Yiwu"}}})},
      {"skus", Json::array({{{"sku_id", sku},
                             {"list_price", 5000},
                             {"cost_price", 2500},
                             {"weight_grams", 250},
                             {"spec", Json::array({{{"name", "colour"}, {"value", "black"}}})}}})},
      {"supplier_id", kSupplier}};
  HttpAnswer answer = admin.post("/v1/commands/list-product", listing.dump());
  ASSERT_EQ(answer.status, 201) << answer.body;
}

// A report made `age_us` ago: it goes stale 15 minutes after it was made.
void report(HttpClient& admin, const std::string& sku, std::int64_t age_us) {
  const Json sync = {{"supplier_id", kSupplier}, {"sku_id", sku}, {"available", 40}, {"reported_at", now_us() - age_us}};
  HttpAnswer answer = admin.post("/v1/commands/sync-supplier-stock", sync.dump());
  ASSERT_EQ(answer.status, 201) << answer.body;
}

// Milliseconds until `sku` has a stale_supplier_stock alert (-1: not within `limit`).
long long wait_for_stale(HttpClient& admin, const std::string& sku, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    HttpAnswer answer = admin.get("/v1/alerts?kind=stale_supplier_stock");
    EXPECT_EQ(answer.status, 200) << answer.body;
    if (answer.status == 200) {
      const Json body = answer.json();  // held: a range-for over answer.json()["data"] would dangle
      for (const Json& alert : body["data"]) {
        if (alert["subject"] == sku) {
          return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
              .count();
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

constexpr std::int64_t kStaleUs = 15LL * 60'000'000;

TEST(ServeDeadlines, AQuietServerRecordsADeadlineWhenItFallsDueAndAfterARestartAndReplayAgrees) {
  TempDir dir;
  const std::string data = dir.str("data");
  HttpServe serve;
  ASSERT_TRUE(serve.start(data, dir.str("out1"), dir.str("err1"))) << slurp(dir.str("err1"));
  const std::string token = serve.admin_token;
  {
    HttpClient admin(serve.port, token);
    list_dropship_sku(admin, "X1");
    list_dropship_sku(admin, "X2");
    report(admin, "X1", kStaleUs - 2'000'000);  // stale in 2 s
    EXPECT_EQ(wait_for_stale(admin, "X1", std::chrono::milliseconds(1'000)), -1) << "raised before it was due";
    const long long took = wait_for_stale(admin, "X1", std::chrono::milliseconds(4'000));
    ASSERT_GE(took, 0) << "never raised: " << admin.get("/v1/alerts?kind=stale_supplier_stock").body;
    EXPECT_LT(took, 2'000) << "raised long after it fell due";

    report(admin, "X2", kStaleUs - 2'000'000);  // falls due while the server is down
  }
  ASSERT_EQ(serve.stop(), 0) << slurp(dir.str("err1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2'500));

  HttpServe again;
  ASSERT_TRUE(again.start(data, dir.str("out2"), dir.str("err2"))) << slurp(dir.str("err2"));
  HttpClient admin(again.port, token);
  ASSERT_GE(wait_for_stale(admin, "X2", std::chrono::milliseconds(3'000)), 0)
      << "the deadline armed before the restart was lost: " << admin.get("/v1/alerts").body;
  const Json live = admin.get("/v1/alerts").json()["data"];
  ASSERT_EQ(again.stop(), 0) << slurp(dir.str("err2"));

  CommandOutput replayed = run_command(std::string(SPINE_BINARY) + " replay --data " + data + " --projection alerts");
  ASSERT_EQ(replayed.exit_code, 0);
  EXPECT_EQ(Json::parse(replayed.out)["models"]["alerts"], live);
}

}  // namespace
}  // namespace spine::testing
