// The embedded Kafka-protocol cluster: librdkafka's mock cluster, listening on
// loopback, so that any Kafka client (kcat, Java, Python) can consume Spine's
// topics with no broker installed. It keeps data in memory only: it is the
// default of `spine serve` and the test cluster, not a production broker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "spine/result.h"

typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace spine::kafka {

struct RelayOptions;

class EmbeddedCluster {
 public:
  // How many produce requests a producer may keep outstanding per broker
  // here. The mock cluster checks an idempotent producer's sequence numbers
  // only when the producer is transactional. With several requests in flight,
  // a batch can then be stored while an earlier one is being retried: the
  // earlier one is retried behind it (out of order) or, once librdkafka
  // counts it as implicitly acknowledged, never stored. A real broker refuses
  // such a batch as out of order. One request at a time keeps retries in
  // order (docs/consumers.md).
  static constexpr int kRequestsInFlight = 1;

  // Starts `brokers` brokers (ids 1..brokers) on ephemeral loopback ports.
  static Result<std::unique_ptr<EmbeddedCluster>> start(int brokers = 3);
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // "127.0.0.1:port,127.0.0.1:port,...".
  std::string bootstrap() const;
  // Points a relay at this cluster: its bootstrap, and kRequestsInFlight.
  void connect(RelayOptions& options) const;
  // Creates `topics` (idempotent: an existing topic is left as it is).
  Status create_topics(const std::vector<std::string>& topics, int partitions, int replication_factor);

  // Fault injection (tests): a broker down or up again; the next `count`
  // requests of protocol `api_key` (0 = Produce) fail with `error` (an
  // rd_kafka_resp_err_t; RD_KAFKA_RESP_ERR__TRANSPORT drops the connection).
  void set_broker_down(int broker_id, bool down);
  void push_request_errors(int api_key, int count, int error);
  int broker_count() const { return brokers_; }

 private:
  struct Handles;
  EmbeddedCluster(std::unique_ptr<Handles> handles, int brokers);
  std::unique_ptr<Handles> handles_;
  int brokers_;
};

}  // namespace spine::kafka
