// The HTTP API against the real binary on loopback: `spine serve` with its
// tokens made by `spine token`, every endpoint, the role x endpoint matrix,
// masking, hostile input, idempotency, read-your-writes, as-of, revocation,
// and a graceful SIGTERM.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <set>

#include "spine/eventstore/event_store.h"
#include "support/http_api_fixture.h"

namespace spine::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(HttpApi, EveryEndpointAnswersWithThePositionItReflects) {
  const std::uint64_t placed = place_order("o-tour");
  HttpClient admin = as("admin");
  const std::vector<std::string> targets = {
      "/v1/stock/" + std::string(kSku), "/v1/stock", "/v1/stock?status=low", "/v1/orders/o-tour",
      "/v1/orders/o-tour/timeline", "/v1/skus/" + std::string(kSku) + "/timeline",
      "/v1/skus/" + std::string(kSku) + "/prices", "/v1/actors/admin-person/timeline",
      "/v1/kpis?from=2020-01-01&to=2029-12-31&granularity=total", "/v1/kpis?from=2020-01-01&to=2029-12-31&by=region",
      "/v1/suppliers/" + std::string(kSupplier) + "/performance", "/v1/suppliers/" + std::string(kSupplier) + "/timeline",
      "/v1/alerts", "/v1/alerts?active=true", "/v1/streams/order-o-tour", "/v1/events?from=1&limit=5"};
  for (const std::string& target : targets) {
    const std::string waited = target + (target.find('?') == std::string::npos ? "?" : "&") +
                               "min_position=" + std::to_string(placed);
    HttpAnswer answer = admin.get(waited);
    ASSERT_EQ(answer.status, 200) << target << ": " << answer.body;
    const Json body = answer.json();
    ASSERT_TRUE(body.is_object()) << target;
    EXPECT_GE(body.value("position", 0ull), placed) << target;
    EXPECT_EQ(answer.headers["spine-position"], std::to_string(body.value("position", 0ull))) << target;
    EXPECT_TRUE(body.contains("data")) << target;
  }
  EXPECT_EQ(admin.get("/v1/orders/o-tour").json()["data"]["status"], "placed");
  EXPECT_EQ(admin.get("/v1/orders/o-tour/timeline").json()["data"]["entries"][0]["type"], "OrderPlaced");
  EXPECT_EQ(admin.get("/v1/streams/order-o-tour").json()["data"]["records"][0]["type"], "OrderPlaced");
  EXPECT_EQ(admin.get("/v1/events?from=1&limit=5").json()["data"]["records"].size(), 5u);
  EXPECT_EQ(admin.get("/v1/orders/no-such-order").status, 404);
  EXPECT_EQ(admin.get("/v1/stock/no-such-sku").json()["code"], "not_found");
  EXPECT_EQ(admin.get("/v1/nothing-here").status, 404);
}

// Which commands each role may run (domain.md §3; docs/api.md has the table).
const std::map<std::string, std::set<std::string>> kCommandsAllowed = {
    {"operations", {"list-product", "update-product", "delist-product", "relist-product", "change-prices",
                    "record-spend", "record-traffic"}},
    {"customer_service", {"cancel-order", "request-return", "approve-return", "reject-return"}},
    {"warehouse", {"receive-stock", "adjust-stock", "transfer-stock", "receive-transfer", "forward-dropship",
                   "ship-order", "deliver-order", "receive-return"}},
    {"finance", {"issue-refund"}},
    {"auditor", {}},
    {"supplier", {"acknowledge-dropship", "ship-order", "sync-supplier-stock"}},
    {"storefront", {"place-order", "pay-order", "fail-payment", "cancel-order", "request-return"}},
};

TEST_F(HttpApi, RolesDecideWhichCommandsRunAndRefusalsAppendNothing) {
  const std::vector<std::string> commands = {
      "register-supplier", "register-warehouse", "list-product", "update-product", "delist-product", "relist-product",
      "change-prices", "receive-stock", "adjust-stock", "transfer-stock", "receive-transfer", "sync-supplier-stock",
      "place-order", "pay-order", "fail-payment", "cancel-order", "forward-dropship", "acknowledge-dropship",
      "ship-order", "deliver-order", "request-return", "approve-return", "reject-return", "receive-return",
      "issue-refund", "record-spend", "record-traffic", "record-deadline"};
  const std::uint64_t before = head();
  for (const std::string& role : kRoles) {
    HttpClient client = as(role);
    for (const std::string& command : commands) {
      // An empty command: allowed ones are refused by the domain (422), the others by the role (403).
      // A supplier's command must name the supplier itself.
      std::string body = "{}";
      if (role == "supplier") {
        body = command == "ship-order" ? R"({"kind":"Supplier","source_id":")" + std::string(kSupplier) + "\"}"
                                       : R"({"supplier_id":")" + std::string(kSupplier) + "\"}";
      }
      HttpAnswer answer = client.post("/v1/commands/" + command, body);
      // record-deadline is the deadline service's alone: no role may run it.
      const bool allowed =
          command != "record-deadline" && (role == "admin" || kCommandsAllowed.at(role).contains(command));
      if (allowed) {
        EXPECT_NE(answer.status, 403) << role << " " << command << ": " << answer.body;
        EXPECT_GE(answer.status, 400) << role << " " << command << ": " << answer.body;
      } else {
        EXPECT_EQ(answer.status, 403) << role << " " << command << ": " << answer.body;
        EXPECT_EQ(answer.json()["code"], "forbidden");
      }
    }
  }
  // A supplier acts only for itself.
  HttpAnswer other = as("supplier").post("/v1/commands/sync-supplier-stock",
                                         R"({"supplier_id":"sup-yiwu-home","sku_id":"sheets-silk-king","available":5})");
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(other.json()["field"], "supplier_id");
  EXPECT_EQ(head(), before);
}

// Which queries each role may make; the rest answer 403.
TEST_F(HttpApi, RolesDecideWhichQueriesAnswer) {
  place_order("o-roles");
  const std::string sku = kSku;
  const std::string supplier = kSupplier;
  struct Endpoint {
    std::string target;
    std::set<std::string> roles;  // besides admin, finance and auditor, who read everything
  };
  const std::vector<Endpoint> endpoints = {
      {"/v1/stock/" + sku, {"operations", "warehouse", "storefront"}},
      {"/v1/stock?status=low", {"operations", "warehouse", "storefront"}},
      {"/v1/orders/o-roles", {"customer_service", "warehouse", "storefront"}},
      {"/v1/orders/o-roles/timeline", {"customer_service", "warehouse"}},
      {"/v1/skus/" + sku + "/timeline", {"operations", "customer_service", "warehouse"}},
      {"/v1/skus/" + sku + "/prices", {"operations"}},
      {"/v1/actors/admin-person/timeline", {"operations", "customer_service"}},
      {"/v1/kpis?from=2020-01-01&to=2029-12-31&granularity=total", {"operations"}},
      {"/v1/suppliers/" + supplier + "/performance", {"supplier"}},
      {"/v1/suppliers/" + supplier + "/timeline", {"supplier"}},
      {"/v1/alerts", {"operations", "warehouse"}},
      {"/v1/streams/order-o-roles", {}},
      {"/v1/events?limit=3", {}},
      {"/metrics", {"operations", "customer_service", "warehouse", "storefront"}},
      {"/readyz", {"operations", "customer_service", "warehouse", "storefront"}},
      {"/v1/openapi.yaml", {"operations", "customer_service", "warehouse", "storefront"}},
  };
  for (const std::string& role : kRoles) {
    HttpClient client = as(role);
    for (const Endpoint& endpoint : endpoints) {
      const bool allowed =
          role == "admin" || role == "finance" || role == "auditor" || endpoint.roles.contains(role);
      const int status = client.get(endpoint.target).status;
      if (allowed) {
        EXPECT_EQ(status, 200) << role << " " << endpoint.target;
      } else {
        EXPECT_EQ(status, 403) << role << " " << endpoint.target;
      }
    }
  }
  // A supplier reads only its own data.
  EXPECT_EQ(as("supplier").get("/v1/suppliers/sup-yiwu-home/performance").status, 403);
  EXPECT_EQ(HttpClient(serve.port).get("/v1/stock").status, 401);
  EXPECT_EQ(HttpClient(serve.port, "spine_not-a-token").get("/v1/stock").status, 401);
  EXPECT_EQ(HttpClient(serve.port).get("/healthz").status, 200);
}

bool has_key(const Json& value, const std::string& key) {
  if (value.is_object()) {
    if (value.contains(key)) return true;
    for (const auto& item : value) {
      if (has_key(item, key)) return true;
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (has_key(item, key)) return true;
    }
  }
  return false;
}

TEST_F(HttpApi, CostPricesAndSupplierTermsAreMaskedForRolesThatMayNotSeeThem) {
  place_order("o-mask");
  const std::set<std::string> see_costs = {"admin", "finance", "auditor"};
  for (const std::string& role : kRoles) {
    HttpClient client = as(role);
    const bool sees = see_costs.contains(role);
    const std::vector<std::string> targets = {"/v1/stock/" + std::string(kSku), "/v1/orders/o-mask",
                                              "/v1/skus/" + std::string(kSku) + "/timeline",
                                              "/v1/skus/" + std::string(kSku) + "/prices",
                                              "/v1/suppliers/" + std::string(kSupplier) + "/performance",
                                              "/v1/kpis?from=2020-01-01&to=2029-12-31&granularity=total"};
    int read = 0;
    for (const std::string& target : targets) {
      HttpAnswer answer = client.get(target);
      if (answer.status != 200) continue;  // not this role's to read (see the matrix test)
      ++read;
      const Json body = answer.json();
      for (const char* key : {"cost_price", "unit_cost", "gross_profit", "cogs", "ship_within_hours",
                              "lead_time_days"}) {
        if (!sees) {
          EXPECT_FALSE(has_key(body, key)) << role << " " << target << " shows " << key;
        }
      }
      if (sees && target.find("/v1/stock/") == 0) {
        EXPECT_TRUE(has_key(body, "cost_price")) << role;
      }
      if (sees && target.find("/v1/orders/") == 0) {
        EXPECT_TRUE(has_key(body, "cost_price")) << role;
      }
      if (sees && target.find("/performance") != std::string::npos) {
        EXPECT_TRUE(has_key(body, "ship_within_hours"));
      }
    }
    EXPECT_GT(read, 0) << role << " can read something to be masked";
  }
}

TEST_F(HttpApi, HostileInputIsRefusedCleanlyAndAppendsNothing) {
  const std::uint64_t before = head();
  HttpClient admin = as("admin");
  struct Case {
    std::string command, body;
    int status;
    std::string code, field;
  };
  const std::vector<Case> cases = {
      {"place-order", "{\"order_id\": ", 400, "invalid_json", "body"},
      {"place-order", "[1,2,3]", 400, "invalid_type", "body"},
      {"place-order", R"({"order_id": 12})", 400, "invalid_type", "order_id"},
      {"place-order", R"({"lines": [{"sku_id": "a", "quantity": "two"}]})", 400, "invalid_type", "lines[0].quantity"},
      {"place-order", R"({"lines": [{"sku_id": "a", "quantity": 1.5}]})", 400, "invalid_type", "lines[0].quantity"},
      {"place-order", R"({"lines": [{"sku_id": "a", "quantity": 3000000000}]})", 400, "out_of_range", "lines[0].quantity"},
      {"place-order", R"({"shipping_fee": 99999999999999999999})", 400, "out_of_range", "shipping_fee"},
      {"place-order", R"({"channel": "Carrier pigeon"})", 400, "invalid_enum", "channel"},
      {"place-order", R"({"order_id": "o", "surprise": true})", 400, "unknown_field", "surprise"},
      {"place-order", "{\"order_id\": \"\xff\xfe\"}", 400, "invalid_json", "body"},
      {"place-order", "{\"order_id\": \"\xc0\xaf\"}", 400, "invalid_json", "body"},
      {"launch-rocket", "{}", 404, "unknown_command", "command"},
      {"place-order", order_body("o-hostile", "no-such-sku", 1), 422, "unknown_sku", "lines[0].sku_id"},
      {"place-order", order_body("o-hostile", kSku, 9000), 409, "insufficient_stock", ""},
  };
  for (const Case& c : cases) {
    HttpAnswer answer = admin.post("/v1/commands/" + c.command, c.body);
    EXPECT_EQ(answer.status, c.status) << c.body << ": " << answer.body;
    EXPECT_EQ(answer.headers["content-type"], "application/problem+json") << c.body;
    const Json problem = answer.json();
    EXPECT_EQ(problem.value("code", ""), c.code) << c.body << ": " << answer.body;
    if (!c.field.empty()) {
      EXPECT_EQ(problem.value("field", ""), c.field) << c.body;
    }
    EXPECT_FALSE(problem.value("detail", "").empty()) << c.body;
  }
  // An oversell names each short SKU with what was asked and what there is.
  const Json oversell = admin.post("/v1/commands/place-order", order_body("o-hostile", kSku, 9000)).json();
  ASSERT_EQ(oversell["details"].size(), 1u) << oversell.dump();
  EXPECT_EQ(oversell["details"][0]["subject"], kSku);
  EXPECT_EQ(oversell["details"][0]["requested"], 9000);
  // Not JSON, wrong parameters, bad targets, oversized bodies and headers.
  EXPECT_EQ(admin.send("POST", "/v1/commands/place-order", "{}", {{"Content-Type", "text/plain"}}).status, 415);
  EXPECT_EQ(admin.get("/v1/stock?status=sideways").json()["field"], "status");
  EXPECT_EQ(admin.get("/v1/stock?listed=maybe").json()["code"], "invalid_parameter");
  EXPECT_EQ(admin.get("/v1/stock?listed=maybe").json()["field"], "listed");
  EXPECT_EQ(admin.get("/v1/stock/" + std::string(kSku) + "?listed=true").json()["code"], "unknown_parameter");
  EXPECT_EQ(admin.get("/v1/stock?listed=any").status, 200);
  EXPECT_EQ(admin.get("/v1/stock?colour=red").json()["code"], "unknown_parameter");
  EXPECT_EQ(admin.get("/v1/stock?min_position=abc").status, 400);
  EXPECT_EQ(admin.get("/v1/stock?min_position=99999999999").json()["code"], "position_out_of_range");
  EXPECT_EQ(admin.get("/v1/stock?as_of=yesterday").json()["field"], "as_of");
  EXPECT_EQ(admin.get("/v1/stock/%zz").json()["code"], "bad_target");
  EXPECT_EQ(admin.get("/v1/stock/%ff%fe").json()["code"], "bad_target");
  EXPECT_EQ(admin.get("/v1/kpis?from=2025-13-45&to=2026-01-01").json()["field"], "from");
  EXPECT_EQ(admin.get("/v1/events?limit=100000").json()["field"], "limit");
  EXPECT_EQ(admin.send("DELETE", "/v1/stock", "", {}).status, 405);
  EXPECT_EQ(admin.post("/v1/commands/place-order", "{}", {{"Idempotency-Key", std::string(300, 'k')}}).status, 400);
  EXPECT_EQ(admin.post("/v1/commands/place-order", "{}", {{"Expected-Versions", "order-x=banana"}}).status, 400);
  EXPECT_EQ(as("operations").post("/v1/commands/list-product", "{}", {{"Occurred-At", "2025-01-01T00:00:00Z"}}).status,
            403);
  const std::string ten_mib(10 << 20, 'x');
  HttpAnswer huge = HttpClient(serve.port, token["admin"]).post("/v1/commands/place-order", ten_mib);
  EXPECT_EQ(huge.status, 413) << huge.body;
  EXPECT_EQ(huge.json()["code"], "body_too_large");
  HttpAnswer big_headers = HttpClient(serve.port, token["admin"]).send("GET", "/v1/stock", "", {{"X-Filler", std::string(40 << 10, 'h')}});
  EXPECT_EQ(big_headers.status, 431);
  // Still serving, and nothing was appended by any of it.
  EXPECT_EQ(as("admin").get("/v1/stock/" + std::string(kSku)).status, 200);
  EXPECT_EQ(head(), before);
}

TEST_F(HttpApi, AnOfferPriceIsJudgedForPromotionWithEachRuleItBreaks) {
  HttpClient ops = as("operations");
  const std::string prices = "/v1/skus/" + std::string(kSku) + "/prices";
  const Json now = ops.get(prices).json()["data"];
  const std::int64_t lowest = now["lowest_30d"];
  ASSERT_GT(lowest, 1);
  auto rules_broken = [&](std::int64_t offer) {
    const Json answer = ops.get(prices + "?offer=" + std::to_string(offer)).json();
    const Json o = answer["data"]["offer"];
    EXPECT_EQ(o["price"], offer);
    std::set<std::string> rules;
    for (const auto& refusal : o["refusals"]) rules.insert(refusal["rule"].get<std::string>());
    EXPECT_EQ(o["eligible"], rules.empty());
    return rules;
  };
  // The sample has far fewer than 50 historical sales.
  EXPECT_LT(now["historical_sales"].get<std::int64_t>(), 50);
  EXPECT_EQ(rules_broken(lowest), std::set<std::string>{"too_few_sales"});
  EXPECT_EQ(rules_broken(lowest + 1), (std::set<std::string>{"above_lowest_30d", "too_few_sales"}));
  for (const char* bad : {"0", "-5", "abc", "1.5", "10000000000001", ""}) {
    const Json problem = ops.get(prices + "?offer=" + bad).json();
    EXPECT_EQ(problem["code"], "invalid_parameter") << bad;
    EXPECT_EQ(problem["field"], "offer") << bad;
  }
  EXPECT_EQ(ops.get(prices + "?discount=5").json()["code"], "unknown_parameter");
}

TEST_F(HttpApi, GarbageAndNeverFinishedRequestsAreClosedWhileOthersAreServed) {
  const int garbage = connect_raw(serve.port);
  const std::string noise = "\x16\x03\x01 not http at all\r\n\r\n";
  ASSERT_EQ(send(garbage, noise.data(), noise.size(), 0), static_cast<ssize_t>(noise.size()));
  EXPECT_NE(read_all_raw(garbage, 5s).find("400"), std::string::npos);
  close(garbage);
  // Headers that never end: the read timeout (1.5 s here) closes the connection.
  const int slow = connect_raw(serve.port);
  const std::string partial = "GET /v1/stock HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token["admin"] + "\r\n";
  ASSERT_EQ(send(slow, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  EXPECT_EQ(as("admin").get("/v1/stock").status, 200);  // served meanwhile
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = read_all_raw(slow, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 8s) << "closed by the read timeout, not by ours";
  EXPECT_EQ(answer.find("200 OK"), std::string::npos);
  close(slow);
  EXPECT_EQ(as("admin").get("/v1/stock").status, 200);
}

class HttpApiLimits : public HttpApi {
 protected:
  void SetUp() override { start({"--http-max-connections", "1000"}); }
};

TEST_F(HttpApiLimits, ThousandsOfConnectionsAreRefusedCleanlyAndServiceResumes) {
  std::vector<int> sockets;
  for (int i = 0; i < 2000; ++i) {
    const int fd = connect_raw(serve.port);
    ASSERT_GE(fd, 0) << "connection " << i;
    sockets.push_back(fd);
  }
  // Past the limit: a 503 and a close, not a hang.
  const std::string refused = read_all_raw(sockets.back(), 5s);
  EXPECT_NE(refused.find("503"), std::string::npos) << refused;
  EXPECT_NE(refused.find("too_many_connections"), std::string::npos);
  for (int fd : sockets) close(fd);
  // The server lets go of the closed ones and serves again.
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    std::this_thread::sleep_for(50ms);
    status = as("admin").get("/v1/stock").status;
  }
  EXPECT_EQ(status, 200);
  const std::string metrics = as("admin").get("/metrics").body;
  EXPECT_NE(metrics.find("spine_http_server{figure=\"connections_refused\"}"), std::string::npos);
}

TEST_F(HttpApi, AnIdempotencyKeyReplayedReturnsTheFirstResultAndAppendsNothing) {
  HttpClient admin = as("admin");
  const std::string body = order_body("o-idem", kSku, 1);
  HttpAnswer first = admin.post("/v1/commands/place-order", body, {{"Idempotency-Key", "cart-42"}});
  ASSERT_EQ(first.status, 201) << first.body;
  const std::uint64_t after_first = head();
  HttpAnswer again = admin.post("/v1/commands/place-order", body, {{"Idempotency-Key", "cart-42"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(head(), after_first);
  // Another actor's same key is another command (keys are per actor).
  HttpAnswer storefront = as("storefront").post("/v1/commands/place-order", order_body("o-idem-2", kSku, 1),
                                                {{"Idempotency-Key", "cart-42"}});
  EXPECT_EQ(storefront.status, 201) << storefront.body;
  EXPECT_GT(head(), after_first);
}

TEST_F(HttpApi, MinPositionSeesTheWriteThatReturnedThatPosition) {
  HttpClient admin = as("admin");
  for (int i = 0; i < 20; ++i) {
    const Json before = admin.get("/v1/stock/" + std::string(kSku)).json();
    const std::uint64_t position = place_order("o-ryw-" + std::to_string(i), 2);
    const Json after = admin.get("/v1/stock/" + std::string(kSku) + "?min_position=" + std::to_string(position)).json();
    ASSERT_GE(after.value("position", 0ull), position);
    EXPECT_EQ(after["data"]["committed"].get<std::int64_t>(), before["data"]["committed"].get<std::int64_t>() + 2) << i;
    const Json order = admin.get("/v1/orders/o-ryw-" + std::to_string(i) + "/timeline?min_position=" +
                                 std::to_string(position)).json();
    EXPECT_EQ(order["data"]["entries"].size(), 2u) << i << ": OrderPlaced and StockReserved";
  }
}

TEST_F(HttpApi, AsOfAnswersFromThePastByPositionAndByTime) {
  HttpClient admin = as("admin");
  const Json then = admin.get("/v1/stock/" + std::string(kSku)).json();
  const std::uint64_t then_position = then["position"];
  std::this_thread::sleep_for(20ms);
  const Json event = admin.get("/v1/events?from=" + std::to_string(then_position) + "&limit=1").json();
  const std::int64_t then_recorded = event["data"]["records"][0]["recorded_at_us"];
  place_order("o-past", 3);
  const Json by_position = admin.get("/v1/stock/" + std::string(kSku) + "?as_of=" + std::to_string(then_position)).json();
  EXPECT_EQ(by_position["position"], then_position);
  EXPECT_EQ(by_position["data"], then["data"]);
  // As of a time: what Spine had recorded then.
  const std::time_t seconds = static_cast<std::time_t>(then_recorded / 1'000'000);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", std::gmtime(&seconds));
  const std::string at = std::string(text) + "." + std::to_string(1'000'000 + then_recorded % 1'000'000).substr(1) + "Z";
  const Json by_time = admin.get("/v1/stock/" + std::string(kSku) + "?as_of=" + at).json();
  EXPECT_EQ(by_time["position"], then_position) << at;
  EXPECT_EQ(by_time["data"], then["data"]);
  EXPECT_EQ(admin.get("/v1/orders/o-past?as_of=" + std::to_string(then_position)).status, 404);
  EXPECT_EQ(admin.get("/v1/orders/o-past/timeline?as_of=" + std::to_string(then_position)).json()["data"]["entries"].size(), 0u);
}

TEST_F(HttpApi, ARevokedTokenStopsWorkingAtOnce) {
  HttpClient operations = as("operations");
  ASSERT_EQ(operations.get("/v1/stock").status, 200);
  int exit_code = -1;
  run_spine("token revoke --data " + dir.str("data") + " operations-person", &exit_code);
  EXPECT_EQ(exit_code, 0);
  HttpAnswer after = operations.get("/v1/stock");
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.json()["code"], "unauthenticated");
  run_spine("token revoke --data " + dir.str("data") + " operations-person", &exit_code);
  EXPECT_EQ(exit_code, 5) << "nothing left to revoke";
  const std::string listed = run_spine("token list --data " + dir.str("data") + " --json");
  EXPECT_EQ(listed.find("spine_"), std::string::npos) << "secrets are never listed";
  EXPECT_NE(listed.find("operations-person"), std::string::npos);
}

TEST_F(HttpApi, OperationsEndpointsReportHealthReadinessAndMetrics) {
  HttpClient admin = as("admin");
  place_order("o-ops");
  HttpAnswer ready = admin.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["projections"].size(), 6u);
  const std::string metrics = admin.get("/metrics").body;
  for (const char* name : {"spine_http_requests_total", "spine_http_request_duration_seconds_bucket",
                           "spine_projection_lag_events", "spine_log_head_position", "spine_relay",
                           "spine_store_writes_total", "spine_commands_total"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }
  HttpAnswer openapi = admin.get("/v1/openapi.yaml");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_NE(openapi.body.find("/v1/commands/{name}"), std::string::npos);
}

TEST_F(HttpApi, SigtermFinishesInFlightCommandsAndEveryAcknowledgedOneIsStored) {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      HttpClient client(serve.port, token["admin"]);
      for (int i = 0; !stop; ++i) {
        const std::string key = "term-" + std::to_string(t) + "-" + std::to_string(i);
        HttpAnswer answer = client.post("/v1/commands/receive-stock",
                                        R"({"sku_id":"dress-linen-m","warehouse_id":"wh-shanghai","quantity":1,"unit_cost":9000})",
                                        {{"Idempotency-Key", key}});
        if (answer.status == 201) {
          std::lock_guard lock(mutex);
          acknowledged.push_back("admin-person:" + key);
        } else if (answer.status == 0) {
          return;  // the server is gone
        }
      }
    });
  }
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(serve.stop(), 0);
  stop = true;
  for (std::thread& client : clients) client.join();
  EXPECT_NE(slurp(serve.err).find("SIGTERM received"), std::string::npos);
  ASSERT_GT(acknowledged.size(), 10u);
  auto store = store::EventStore::open_read_only(dir.str("data"));
  ASSERT_TRUE(store.ok());
  for (const std::string& command_id : acknowledged) {
    auto found = (*store)->find_command(command_id);
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->has_value()) << command_id;
  }
}

}  // namespace
}  // namespace spine::testing
