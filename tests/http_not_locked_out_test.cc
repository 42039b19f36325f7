// One client must not lock the others out of the real `spine serve`: a flood
// of idle keep-alive connections from one address, the first requests just
// after start, and bodies built to blow up the parser's memory.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "support/http_api_fixture.h"

namespace spine::testing {
namespace {

using namespace std::chrono_literals;

// The peak resident memory of a process (VmHWM), in bytes.
std::size_t peak_memory(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

TEST_F(HttpApi, AFloodOfIdleConnectionsFromOneAddressDoesNotLockOthersOut) {
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<int> flood;
  for (int i = 0; i < 4096; ++i) {
    const int fd = connect_raw(serve.port, "127.0.0.1");
    if (fd < 0) continue;
    send(fd, healthz.data(), healthz.size(), MSG_NOSIGNAL);
    flood.push_back(fd);
  }
  ASSERT_GT(flood.size(), 4000u);
  // Meanwhile a second client, from an address of its own, is answered every time.
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    const int fd = connect_raw(serve.port, "127.0.0.2");
    ASSERT_GE(fd, 0);
    const std::string request = "GET /v1/stock/" + std::string(kSku) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                token["warehouse"] + "\r\nConnection: close\r\n\r\n";
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    const std::string answer = read_all_raw(fd, 5s);
    close(fd);
    answered += answer.rfind("HTTP/1.1 200", 0) == 0 ? 1 : 0;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(answered, 20);
  // The flooding address is bounded: most of its idle connections were let go.
  HttpAnswer metrics = as("admin").get("/metrics");
  EXPECT_NE(metrics.body.find("connections_evicted"), std::string::npos) << metrics.body.substr(0, 2000);
  for (int fd : flood) close(fd);
}

TEST_F(HttpApi, UnauthenticatedIdleConnectionsAreClosedSoon) {
  const int fd = connect_raw(serve.port, "127.0.0.3");
  ASSERT_GE(fd, 0);
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  send(fd, healthz.data(), healthz.size(), MSG_NOSIGNAL);
  const auto started = std::chrono::steady_clock::now();
  const std::string answer = read_all_raw(fd, 30s);  // returns when the server closes
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s) << "not the 60 s keep-alive of a signed-in client";
}

class HttpApiRestarts : public HttpApi {
 protected:
  void SetUp() override {}
};

TEST_F(HttpApiRestarts, ValidTokensAreAcceptedFromTheVeryFirstRequest) {
  int refused = 0;
  for (int start_number = 0; start_number < 6; ++start_number) {
    if (start_number == 0) {
      start({"--http-workers", "64"});
    } else {
      const std::string err = serve.err;
      ASSERT_EQ(serve.stop(), 0) << slurp(err);
      // Output files of their own: the last start's "ready" must not be read as this one's.
      const std::string run = std::to_string(start_number);
      ASSERT_TRUE(serve.start(dir.str("data"), dir.str("serve" + run + ".out"), dir.str("serve" + run + ".err"),
                              {"--http-workers", "64"}));
    }
    std::atomic<int> unauthorized{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 48; ++i) {
      clients.emplace_back([&, i] {
        const std::string& role = kRoles[static_cast<std::size_t>(i) % kRoles.size()];
        HttpClient client(serve.port, token[role == "supplier" ? "admin" : role]);  // a supplier may not read it
        if (client.get("/v1/openapi.yaml").status == 401) ++unauthorized;
      });
    }
    for (std::thread& t : clients) t.join();
    refused += unauthorized.load();
  }
  EXPECT_EQ(refused, 0) << "valid tokens answered 401 just after start";
}

TEST_F(HttpApi, BodiesBuiltToBlowUpTheParserStayWithinTheStatedMemory) {
#ifdef SPINE_SANITIZED
  GTEST_SKIP() << "ASan's quarantine holds freed memory; the release build measures this";
#endif
  // 1 MiB of the cheapest values to write and the dearest to hold.
  std::vector<std::string> bodies;
  std::string zeros = "[";
  while (zeros.size() < (1u << 20) - 2) zeros += "0,";
  zeros += "0]";
  std::string members = "{";
  for (int i = 0; members.size() < (1u << 20) - 20; ++i) members += "\"" + std::to_string(i) + "\":{},";
  members += "\"end\":0}";
  bodies.push_back(zeros);
  bodies.push_back(members);
  const std::size_t before = peak_memory(serve.pid);
  ASSERT_GT(before, 0u);
  for (const std::string& body : bodies) {
    std::vector<std::thread> clients;
    std::atomic<int> refused{0};
    for (int i = 0; i < 64; ++i) {
      clients.emplace_back([&] {
        HttpAnswer answer = as("admin").post("/v1/commands/place-order", body);
        if (answer.status == 400 || answer.status == 413) ++refused;
      });
    }
    for (std::thread& t : clients) t.join();
    EXPECT_EQ(refused.load(), 64);
  }
  const std::size_t grown = peak_memory(serve.pid) - before;
  // docs/operations.md: at most (max body + parse budget) per worker; 64 workers, 1 MiB + 1 MiB each.
  EXPECT_LT(grown, std::size_t{200} << 20) << "peak grew " << (grown >> 20) << " MiB";
  EXPECT_EQ(as("admin").get("/healthz").status, 200);
}

}  // namespace
}  // namespace spine::testing
