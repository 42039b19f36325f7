// Concurrent command clients for the tests that break `spine serve` under
// load (a full disk, kill -9): each client sends receive-stock and place-order
// in turn, one at a time, each with an Idempotency-Key of its own, and the
// tally keeps every acknowledged command with its answer, so that the test
// can later ask for each again and expect the same bytes.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/http_api_fixture.h"

namespace spine::testing {

struct Command {
  std::string path, body, key;
};

struct Acknowledged {
  Command command;
  std::string answer;  // the 201 body
};

struct Tally {
  std::mutex mutex;
  std::vector<Acknowledged> acknowledged;
  int no_space = 0;                     // 503 no_space
  int lost = 0;                         // no answer: the connection broke
  std::vector<std::string> unexpected;  // any other answer: status and body
};

// SKUs of the sample shop kept in its own warehouses; client c uses the c-th (mod 5).
inline const std::vector<std::string> kOwnStockSkus = {"dress-linen-m", "dress-linen-l", "dress-linen-s", "tee-cotton-m",
                                                       "tee-cotton-l"};

// The `sequence`th command of a client whose keys start with `key_prefix`:
// one unit received, then one unit ordered, so its SKU never runs out.
inline Command command_for(const std::string& key_prefix, const std::string& sku, int sequence) {
  const std::string key = key_prefix + "-" + std::to_string(sequence);
  if (sequence % 2 == 0) {
    const Json body = {{"sku_id", sku}, {"warehouse_id", "wh-shanghai"}, {"quantity", 1}, {"unit_cost", 9000},
                       {"purchase_ref", "po-" + key}};
    return {"/v1/commands/receive-stock", body.dump(), key};
  }
  return {"/v1/commands/place-order", order_body("o-" + key, sku, 1), key};
}

// `clients` threads send commands until `done()`, each waiting `pause`
// after each answer; a client whose connection breaks (the server died)
// counts it as lost and stops.
inline void run_clients(std::uint16_t port, const std::string& token, const std::string& key_prefix, int clients,
                        Tally& tally, const std::function<bool()>& done,
                        std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(port, token);
      const std::string prefix = key_prefix + "-" + std::to_string(c);
      for (int sequence = 0; !done(); ++sequence) {
        const Command command = command_for(prefix, kOwnStockSkus[c % kOwnStockSkus.size()], sequence);
        HttpAnswer answer = client.post(command.path, command.body, {{"Idempotency-Key", command.key}});
        if (pause.count() > 0) std::this_thread::sleep_for(pause);
        std::lock_guard lock(tally.mutex);
        if (answer.status == 201) {
          tally.acknowledged.push_back({command, answer.body});
        } else if (answer.status == 503 && answer.json().value("code", "") == "no_space") {
          ++tally.no_space;
        } else if (answer.status == 0) {
          ++tally.lost;
          return;
        } else {
          tally.unexpected.push_back(std::to_string(answer.status) + " " + answer.body);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Each acknowledged command sent again: answered with its first answer, byte
// for byte, marked Idempotent-Replayed, and nothing appended.
inline void expect_each_replayed(std::uint16_t port, const std::string& token, const std::vector<Acknowledged>& all) {
  HttpClient client(port, token);
  for (const Acknowledged& first : all) {
    HttpAnswer again = client.post(first.command.path, first.command.body, {{"Idempotency-Key", first.command.key}});
    ASSERT_EQ(again.status, 201) << first.command.key << ": " << again.body;
    EXPECT_EQ(again.headers["idempotent-replayed"], "true") << first.command.key;
    EXPECT_EQ(again.body, first.answer) << first.command.key;
  }
}

// The live stock read model at the log's head, then `serve` stopped: the
// chain verifies and a replay of the log computes the same stock.
inline void expect_stock_equals_replay_after_stop(HttpServe& serve, const std::string& data,
                                                  const std::string& auditor_token) {
  HttpClient reader(serve.port, auditor_token);
  const std::uint64_t head = reader.get("/v1/events?limit=1").json().value("position", 0ull);
  HttpAnswer stock = reader.get("/v1/stock?min_position=" + std::to_string(head));
  ASSERT_EQ(stock.status, 200) << stock.body;
  EXPECT_EQ(reader.get("/readyz").status, 200);
  EXPECT_EQ(serve.stop(), 0);
  int verified = -1;
  run_spine("verify --data " + data, &verified);
  EXPECT_EQ(verified, 0);
  const std::string replayed = run_spine("replay --data " + data + " --projection stock");
  const Json replay = Json::parse(replayed, nullptr, false);
  ASSERT_FALSE(replay.is_discarded()) << replayed;
  EXPECT_EQ(replay["head_position"], head);
  EXPECT_EQ(replay["models"]["stock"], stock.json()["data"]);
}

}  // namespace spine::testing
