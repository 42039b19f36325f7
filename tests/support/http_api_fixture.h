// The fixture of the HTTP tests: `spine serve` (the real binary, sample shop)
// on loopback with one token per role, and raw sockets for what a
// well-behaved client never does.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <map>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/test_support.h"

namespace spine::testing {

using Json = nlohmann::json;

inline const std::vector<std::string> kRoles = {"admin",   "operations", "customer_service", "warehouse",
                                                "finance", "auditor",    "supplier",         "storefront"};
inline constexpr const char* kSupplier = "sup-shenzhen-audio";  // a dropship supplier of the sample shop
inline constexpr const char* kSku = "dress-linen-m";

inline std::string run_spine(const std::string& arguments, int* exit_code = nullptr) {
  CommandOutput run = run_command(std::string(SPINE_BINARY) + " " + arguments);
  if (exit_code != nullptr) *exit_code = run.exit_code;
  while (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
  return run.out;
}

// The sample shop's list prices (tools/src/sample_shop.cc): an order line
// must carry its SKU's.
inline std::int64_t sample_list_price(const std::string& sku) {
  static const std::map<std::string, std::int64_t> prices = {
      {"dress-linen-s", 19900},     {"dress-linen-m", 19900},     {"dress-linen-l", 21900},
      {"tee-cotton-m", 5900},       {"tee-cotton-l", 5900},       {"earbuds-anc-black", 39900},
      {"earbuds-anc-white", 41900}, {"sheets-silk-queen", 89900}, {"sheets-silk-king", 99900}};
  auto found = prices.find(sku);
  return found == prices.end() ? 19900 : found->second;
}

inline std::string order_body(const std::string& order_id, const std::string& sku, int quantity) {
  return Json{{"order_id", order_id}, {"customer_id", "c-" + order_id}, {"channel", "OwnSite"}, {"device", "Mobile"},
              {"region", "east"},
              {"lines", {{{"sku_id", sku}, {"quantity", quantity}, {"unit_price", sample_list_price(sku)}}}}}
      .dump();
}

class HttpApi : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(const std::vector<std::string>& extra) {
    for (const std::string& role : kRoles) {
      const std::string name = role == "supplier" ? kSupplier : role + "-person";
      token[role] = run_spine("token create --data " + dir.str("data") + " --role " + role + " --name " + name);
      ASSERT_EQ(token[role].rfind("spine_", 0), 0u) << role << ": " << token[role];
    }
    std::vector<std::string> arguments = {"--sample-orders", "20", "--http-read-timeout-ms", "1500"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    ASSERT_TRUE(serve.start(dir.str("data"), dir.str("serve.out"), dir.str("serve.err"), arguments))
        << slurp(dir.str("serve.out")) << slurp(dir.str("serve.err"));
    EXPECT_TRUE(serve.admin_token.empty()) << "tokens existed: no bootstrap token is printed";
  }

  HttpClient as(const std::string& role) { return HttpClient(serve.port, token[role]); }

  std::uint64_t head() {
    HttpAnswer answer = as("auditor").get("/v1/events?limit=1");
    EXPECT_EQ(answer.status, 200) << answer.body;
    return answer.json().value("position", 0ull);
  }

  std::uint64_t place_order(const std::string& order_id, int quantity = 1) {
    HttpAnswer answer = as("admin").post("/v1/commands/place-order", order_body(order_id, kSku, quantity));
    EXPECT_EQ(answer.status, 201) << answer.body;
    return answer.json().value("position", 0ull);
  }

  TempDir dir;
  HttpServe serve;
  std::map<std::string, std::string> token;
};

// A TCP connection to 127.0.0.1:port, from `source` when given (any
// 127.x.y.z: a client address of its own); -1 on failure.
inline int connect_raw(std::uint16_t port, const char* source = nullptr) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (source != nullptr) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      close(fd);
      return -1;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline std::string read_all_raw(int fd, std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}


}  // namespace spine::testing
