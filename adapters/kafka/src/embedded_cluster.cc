#include "spine/kafka/embedded_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <vector>

#include "spine/kafka/relay.h"

namespace spine::kafka {

struct EmbeddedCluster::Handles {
  rd_kafka_t* owner = nullptr;  // the client instance the mock cluster is bound to
  rd_kafka_mock_cluster_t* cluster = nullptr;
  ~Handles() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (owner != nullptr) rd_kafka_destroy(owner);
  }
};

EmbeddedCluster::EmbeddedCluster(std::unique_ptr<Handles> handles, int brokers)
    : handles_(std::move(handles)), brokers_(brokers) {}

EmbeddedCluster::~EmbeddedCluster() = default;

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::start(int brokers) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  auto handles = std::make_unique<Handles>();
  handles->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (handles->owner == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error{"kafka_error", "", std::string("cannot create the mock cluster's client: ") + error};
  }
  handles->cluster = rd_kafka_mock_cluster_new(handles->owner, brokers);
  if (handles->cluster == nullptr) return Error{"kafka_error", "", "cannot start the embedded Kafka cluster"};
  return std::unique_ptr<EmbeddedCluster>(new EmbeddedCluster(std::move(handles), brokers));
}

std::string EmbeddedCluster::bootstrap() const { return rd_kafka_mock_cluster_bootstraps(handles_->cluster); }

void EmbeddedCluster::connect(RelayOptions& options) const {
  options.bootstrap = bootstrap();
  options.requests_in_flight_per_broker = kRequestsInFlight;
}

Status EmbeddedCluster::create_topics(const std::vector<std::string>& topics, int partitions, int replication_factor) {
  for (const std::string& topic : topics) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(handles_->cluster, topic.c_str(), partitions, replication_factor);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return Error{"kafka_error", "topic", "creating " + topic + ": " + rd_kafka_err2str(err)};
    }
  }
  return ok_status();
}

void EmbeddedCluster::set_broker_down(int broker_id, bool down) {
  if (down) {
    rd_kafka_mock_broker_set_down(handles_->cluster, broker_id);
  } else {
    rd_kafka_mock_broker_set_up(handles_->cluster, broker_id);
  }
}

void EmbeddedCluster::push_request_errors(int api_key, int count, int error) {
  std::vector<rd_kafka_resp_err_t> errors(static_cast<std::size_t>(count), static_cast<rd_kafka_resp_err_t>(error));
  rd_kafka_mock_push_request_errors_array(handles_->cluster, static_cast<int16_t>(api_key), errors.size(),
                                          errors.data());
}

}  // namespace spine::kafka
