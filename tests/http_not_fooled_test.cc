// What an attacker or a careless integration tries in order to make Spine
// believe something untrue, against the real `spine serve`: a reused
// Idempotency-Key, duplicate JSON keys, cost prices fished out of refusals and
// alerts, banned words in disguise, smuggled requests, impossible times and
// spend for a SKU that does not exist. Each is refused and appends nothing.
#include <gtest/gtest.h>

#include <set>

#include "support/http_api_fixture.h"

namespace spine::testing {
namespace {

using namespace std::chrono_literals;

std::string receive_body(int quantity) {
  return Json{{"sku_id", kSku}, {"warehouse_id", "wh-shanghai"}, {"quantity", quantity}, {"unit_cost", 5000}}.dump();
}

TEST_F(HttpApi, AnIdempotencyKeyReusedForAnotherCommandOrBodyIsRefused) {
  HttpClient admin = as("admin");
  HttpAnswer first = admin.post("/v1/commands/receive-stock", receive_body(3), {{"Idempotency-Key", "k-reuse"}});
  ASSERT_EQ(first.status, 201) << first.body;
  const std::uint64_t after_first = head();
  // Another command under the same key: the client must not believe its order was placed.
  HttpAnswer other_command =
      admin.post("/v1/commands/place-order", order_body("o-reuse", kSku, 1), {{"Idempotency-Key", "k-reuse"}});
  EXPECT_EQ(other_command.status, 422) << other_command.body;
  EXPECT_EQ(other_command.json().value("code", ""), "idempotency_key_reused") << other_command.body;
  EXPECT_EQ(other_command.json().value("field", ""), "idempotency-key");
  // The same command with another body.
  HttpAnswer other_body = admin.post("/v1/commands/receive-stock", receive_body(4), {{"Idempotency-Key", "k-reuse"}});
  EXPECT_EQ(other_body.status, 422) << other_body.body;
  EXPECT_EQ(other_body.json().value("code", ""), "idempotency_key_reused");
  // The exact retry still replays the first answer.
  HttpAnswer retry = admin.post("/v1/commands/receive-stock", receive_body(3), {{"Idempotency-Key", "k-reuse"}});
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true");
  // An empty key is a mistake, not an absent key.
  HttpAnswer empty = admin.post("/v1/commands/receive-stock", receive_body(1), {{"Idempotency-Key", ""}});
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.json().value("field", ""), "idempotency-key");
  EXPECT_EQ(head(), after_first);
  EXPECT_EQ(as("admin").get("/v1/orders/o-reuse").status, 404);
}

TEST_F(HttpApi, DuplicateJsonKeysAreRefusedNamingThePath) {
  const std::uint64_t before = head();
  HttpClient admin = as("admin");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"order_id":"o-dup","amount":1,"amount":10000})", "amount"},
      {R"({"order_id":"o-dup","order_id":"o-dup2"})", "order_id"},
      {R"({"lines":[{"sku_id":"a","quantity":1,"quantity":9}]})", "lines[0].quantity"},
  };
  for (const auto& [body, path] : cases) {
    HttpAnswer answer = admin.post(path == "amount" ? "/v1/commands/pay-order" : "/v1/commands/place-order", body);
    EXPECT_EQ(answer.status, 400) << body << ": " << answer.body;
    EXPECT_EQ(answer.json().value("code", ""), "duplicate_field") << body << ": " << answer.body;
    EXPECT_EQ(answer.json().value("field", ""), path) << body;
  }
  EXPECT_EQ(head(), before);
}

// A product of its own with a cost that appears nowhere else in the shop.
constexpr std::int64_t kSecretCost = 873'519;
constexpr std::int64_t kPrice = 1'299'000;

std::string secret_listing(const std::string& product, const std::string& sku, const std::string& title,
                           const std::vector<std::pair<std::string, std::string>>& attributes = {
                               {"material", "linen"}, {"season", "summer"}, {"sleeve", "short"},
                               {"length", "midi"}, {"style", "casual"}}) {
  Json attrs = Json::array();
  for (const auto& [name, value] : attributes) attrs.push_back({{"name", name}, {"value", value}});
  return Json{{"product_id", product}, {"title", title}, {"category", "apparel/women/dresses"},
              {"attributes", attrs},
              {"skus", {{{"sku_id", sku}, {"list_price", kPrice}, {"cost_price", kSecretCost}, {"weight_grams", 300}}}}}
      .dump();
}

bool leaks(const std::string& body) {
  // The cost, and the unit margin that would give it away.
  for (const std::string& figure : {std::to_string(kSecretCost), std::to_string(kPrice - kSecretCost)}) {
    if (body.find(figure) != std::string::npos) return true;
  }
  return false;
}

TEST_F(HttpApi, NoRoleThatMayNotSeeCostsFindsACostInAnyAnswerRefusalsAndAlertsIncluded) {
  HttpAnswer listed = as("admin").post("/v1/commands/list-product", secret_listing("p-secret", "sku-secret", "Linen dress"));
  ASSERT_EQ(listed.status, 201) << listed.body;
  ASSERT_EQ(as("admin").post("/v1/commands/receive-stock",
                             Json{{"sku_id", "sku-secret"}, {"warehouse_id", "wh-shanghai"}, {"quantity", 50},
                                  {"unit_cost", kSecretCost}}.dump()).status, 201);
  const std::string below_cost_no_reason =
      Json{{"changes", {{{"product_id", "p-secret"}, {"sku_id", "sku-secret"}, {"new_price", 1}}}}}.dump();
  const std::string below_cost =
      Json{{"changes", {{{"product_id", "p-secret"}, {"sku_id", "sku-secret"}, {"new_price", 20000},
                         {"reason", "clearance"}}}}}.dump();
  // Operations may change prices but not see costs: the refusal must not tell it the cost.
  HttpAnswer refused = as("operations").post("/v1/commands/change-prices", below_cost_no_reason);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(refused.json().value("code", ""), "below_cost_needs_reason");
  EXPECT_FALSE(leaks(refused.body)) << refused.body;
  // Admin sees the same refusal with the cost.
  HttpAnswer refused_admin = as("admin").post("/v1/commands/change-prices", below_cost_no_reason);
  EXPECT_EQ(refused_admin.json().value("code", ""), "below_cost_needs_reason");
  EXPECT_TRUE(leaks(refused_admin.body)) << "admin may see the cost: " << refused_admin.body;
  const std::uint64_t changed = as("operations").post("/v1/commands/change-prices", below_cost).json().value("position", 0ull);
  ASSERT_GT(changed, 0u);
  HttpAnswer admin_alerts = as("admin").get("/v1/alerts?min_position=" + std::to_string(changed));
  EXPECT_NE(admin_alerts.body.find("price_below_cost"), std::string::npos) << admin_alerts.body;
  EXPECT_TRUE(leaks(admin_alerts.body)) << "admin's alert names the cost: " << admin_alerts.body;
  const std::vector<std::string> targets = {
      "/v1/stock/sku-secret", "/v1/stock", "/v1/skus/sku-secret/timeline", "/v1/skus/sku-secret/prices",
      "/v1/alerts", "/v1/alerts?active=false", "/v1/actors/admin-person/timeline",
      "/v1/actors/operations-person/timeline", "/v1/kpis?from=2020-01-01&to=2029-12-31&by=sku",
      "/v1/streams/product-p-secret", "/v1/events?limit=1000", "/v1/stock/sku-secret?as_of=" + std::to_string(changed)};
  const std::set<std::string> see_costs = {"admin", "finance", "auditor"};
  for (const std::string& role : kRoles) {
    if (see_costs.contains(role)) continue;
    HttpClient client = as(role);
    int read = 0;
    for (const std::string& target : targets) {
      HttpAnswer answer = client.get(target + (target.find('?') == std::string::npos ? "?" : "&") +
                                     "min_position=" + std::to_string(changed));
      read += answer.status == 200 ? 1 : 0;
      EXPECT_FALSE(leaks(answer.body)) << role << " " << target << ": " << answer.body.substr(0, 400);
    }
    // Its refusals too.
    HttpAnswer refusal = client.post("/v1/commands/change-prices", below_cost_no_reason);
    EXPECT_FALSE(leaks(refusal.body)) << role << ": " << refusal.body;
    if (role == "operations" || role == "warehouse") {
      EXPECT_GT(read, 2) << role;
    }
  }
}

TEST_F(HttpApi, BannedWordsInDisguiseAndEmptyLookingTextAreRefused) {
  const std::uint64_t before = head();
  HttpClient operations = as("operations");
  int n = 0;
  for (const std::string title : {"The \xef\xbd\x82\xef\xbd\x85\xef\xbd\x93\xef\xbd\x94 dress",  // full-width best
                                  "100\xef\xbc\x85 linen",                                       // 100％
                                  "The be\xe2\x80\x8bst dress",                                  // zero-width space
                                  "The BE\xc2\xadST dress",                                      // soft hyphen
                                  "No. 1 dress", "NO 1 dress", "The B\xc3\x89ST"}) {
    HttpAnswer answer = operations.post("/v1/commands/list-product",
                                        secret_listing("p-banned-" + std::to_string(n), "s-banned-" + std::to_string(n), title));
    ++n;
    if (std::string(title) == "The B\xc3\x89ST") {
      EXPECT_EQ(answer.status, 201) << "an accented letter is another word: " << answer.body;
      continue;
    }
    EXPECT_EQ(answer.status, 422) << title << ": " << answer.body;
    EXPECT_EQ(answer.json().value("code", ""), "banned_word") << title << ": " << answer.body;
    EXPECT_EQ(answer.json().value("field", ""), "title");
  }
  // Whitespace is not a value: two of five required attributes blank is over the 20 % allowed.
  HttpAnswer blank = operations.post(
      "/v1/commands/list-product",
      secret_listing("p-blank", "s-blank", "Linen dress",
                     {{"material", "linen"}, {"season", " \t "}, {"sleeve", "\xe3\x80\x80"}, {"length", "midi"}, {"style", "casual"}}));
  EXPECT_EQ(blank.status, 422) << blank.body;
  EXPECT_EQ(blank.json().value("code", ""), "attributes_incomplete") << blank.body;
  // A below-cost reason must say something.
  HttpAnswer empty_reason = as("admin").post(
      "/v1/commands/change-prices",
      Json{{"changes", {{{"product_id", "p-banned-6"}, {"sku_id", "s-banned-6"}, {"new_price", 100}, {"reason", "  \xe2\x80\x8b "}}}}}.dump());
  EXPECT_EQ(empty_reason.status, 422) << empty_reason.body;
  EXPECT_EQ(empty_reason.json().value("code", ""), "below_cost_needs_reason") << empty_reason.body;
  EXPECT_EQ(head(), before + 2) << "only the accented title was listed (ProductListed, SkuListed)";
}

// Sends raw bytes; returns everything the server answers until it closes (or 3 s).
std::string exchange_raw(std::uint16_t port, const std::string& bytes) {
  const int fd = connect_raw(port);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  std::string answer = read_all_raw(fd, 3s);
  close(fd);
  return answer;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(HttpApi, RequestFramingThatCouldSmuggleARequestIsRefusedAndClosed) {
  const std::string smuggled = "GET /v1/stock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token["admin"] + "\r\n\r\n";
  for (const std::string coding : {"gzip", "identity", "chunked, identity", "gzip, chunked", "chunked , chunked", "xchunked"}) {
    const std::string request = "POST /v1/commands/place-order HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                token["admin"] + "\r\nContent-Type: application/json\r\nTransfer-Encoding: " + coding +
                                "\r\n\r\n" + smuggled;
    const std::string answer = exchange_raw(serve.port, request);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << coding << ": " << answer;
    EXPECT_EQ(count_of(answer, "HTTP/1.1 "), 1u) << coding << ": the body ran as a request: " << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << coding << ": " << answer;
  }
  // Two Authorization headers: which one is meant? Neither.
  const std::string twice = "GET /v1/stock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token["admin"] +
                            "\r\nAuthorization: Bearer " + token["storefront"] + "\r\n\r\n";
  const std::string answer = exchange_raw(serve.port, twice);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("authorization"), std::string::npos) << answer;
  // The scheme is case-insensitive (RFC 9110 §11.1).
  HttpClient plain(serve.port);
  for (const std::string scheme : {"bearer ", "BEARER ", "BeArEr "}) {
    EXPECT_EQ(plain.send("GET", "/v1/stock", "", {{"Authorization", scheme + token["admin"]}}).status, 200) << scheme;
  }
}

TEST_F(HttpApi, BusinessTimesOutsideTheWindowAroundNowAreRefusedNamingTheBounds) {
  const std::uint64_t before = head();
  HttpClient admin = as("admin");
  for (const std::string at : {"9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                               "2000-01-01T00:00:00+08:00", "2099-01-01T00:00:00Z"}) {
    HttpAnswer answer = admin.post("/v1/commands/receive-stock", receive_body(1), {{"Occurred-At", at}});
    EXPECT_EQ(answer.status, 400) << at << ": " << answer.body;
    EXPECT_EQ(answer.json().value("code", ""), "time_out_of_window") << at << ": " << answer.body;
    EXPECT_EQ(answer.json().value("field", ""), "occurred-at");
    EXPECT_NE(answer.json().value("detail", "").find("20"), std::string::npos) << "names the bounds: " << answer.body;
  }
  EXPECT_EQ(head(), before);
  // A time inside the window is taken as given.
  HttpAnswer recent = admin.post("/v1/commands/receive-stock", receive_body(1), {{"Occurred-At", "2025-10-02T09:00:00+08:00"}});
  EXPECT_EQ(recent.status, 201) << recent.body;
}

TEST_F(HttpApi, SpendAndTrafficForAnUnknownSkuAreRefused) {
  const std::uint64_t before = head();
  HttpAnswer spend = as("operations").post(
      "/v1/commands/record-spend",
      Json{{"channel", "OwnSite"}, {"sku_id", "no-such-sku"}, {"day", "2025-10-01"}, {"kind", "Ads"}, {"amount", 5000}}.dump());
  EXPECT_EQ(spend.status, 422) << spend.body;
  EXPECT_EQ(spend.json().value("code", ""), "unknown_sku");
  EXPECT_EQ(spend.json().value("field", ""), "sku_id");
  HttpAnswer traffic = as("operations").post(
      "/v1/commands/record-traffic",
      Json{{"channel", "OwnSite"}, {"sku_id", "no-such-sku"}, {"period_start", 1}, {"period_end", 2}}.dump());
  EXPECT_EQ(traffic.status, 422) << traffic.body;
  EXPECT_EQ(traffic.json().value("code", ""), "unknown_sku");
  EXPECT_EQ(head(), before);
  HttpAnswer known = as("operations").post(
      "/v1/commands/record-spend",
      Json{{"channel", "OwnSite"}, {"sku_id", kSku}, {"day", "2025-10-01"}, {"kind", "Ads"}, {"amount", 5000}}.dump());
  EXPECT_EQ(known.status, 201) << known.body;
}

}  // namespace
}  // namespace spine::testing
