// `spine tail`: reads Spine's Kafka topics and prints each event as one JSON
// object per line (NDJSON): Kafka coordinates, the envelope's fields and hashes,
// and the payload rendered through FlatBuffers reflection.
#include <fmt/core.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "spine/domain/event_json.h"
#include "spine/eventstore/record.h"
#include "spine/kafka/topics.h"

namespace spine::cli {

namespace {

std::atomic<bool> interrupted{false};

std::string header(const rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  return std::string(static_cast<const char*>(value), size);
}

nlohmann::json render(const rd_kafka_message_t* message) {
  nlohmann::json out{{"topic", rd_kafka_topic_name(message->rkt)},
                     {"partition", message->partition},
                     {"offset", message->offset},
                     {"key", std::string(static_cast<const char*>(message->key), message->key_len)}};
  const std::string position_text = header(message, kafka::kHeaderPosition);
  std::uint64_t position = 0;
  try {
    position = std::stoull(position_text);
  } catch (const std::exception&) {
    out["error"] = "no spine.position header";
    return out;
  }
  auto record = store::RecordView::parse(std::string(static_cast<const char*>(message->payload), message->len), position);
  if (!record) {
    out["error"] = record.error().to_string();
    return out;
  }
  out["position"] = record->position();
  out["stream"] = std::string(record->stream_id());
  out["stream_version"] = record->stream_version();
  out["type"] = std::string(record->event_type());
  out["event_id"] = store::to_hex(record->event_id());
  out["command_id"] = std::string(record->command_id());
  out["actor"] = std::string(record->actor());
  out["occurred_at_us"] = record->occurred_at_us();
  out["recorded_at_us"] = record->recorded_at_us();
  out["schema_version"] = record->schema_version();
  out["prev_hash"] = store::to_hex(record->prev_hash());
  out["hash"] = store::to_hex(record->hash());
  out["hash_ok"] = record->compute_hash() == record->hash();
  auto event = domain::event_payload_to_json(record->payload());
  if (event) {
    out["event"] = nlohmann::json::parse(*event, nullptr, false);
  } else {
    out["payload_bytes"] = record->payload().size();  // not a shop event: left opaque
  }
  return out;
}

}  // namespace

int run_tail(const TailArgs& args) {
  signal(SIGINT, [](int) { interrupted = true; });
  signal(SIGTERM, [](int) { interrupted = true; });
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {{"bootstrap.servers", args.kafka},
                                                          {"group.id", "spine-tail"},
                                                          {"enable.auto.commit", "false"},
                                                          {"enable.partition.eof", "true"},
                                                          {"log_level", "3"}};
  for (const auto& [key, value] : settings) rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof(error));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (rk == nullptr) {
    fmt::print(stderr, "error: {}\n", error);
    return kExitIoError;
  }
  kafka::TopicNaming naming;
  naming.prefix = args.topic_prefix;
  std::vector<std::string> topics = args.topics.empty() ? naming.all() : std::vector<std::string>{};
  for (const std::string& t : args.topics) topics.push_back(t.starts_with(args.topic_prefix) ? t : args.topic_prefix + t);

  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(64);
  for (const std::string& topic : topics) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &metadata, 10'000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 ||
        metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fmt::print(stderr, "error: topic {}: {}\n", topic,
                 rd_kafka_err2str(err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : metadata->topics[0].err));
      if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
      rd_kafka_topic_destroy(handle);
      rd_kafka_topic_partition_list_destroy(assignment);
      rd_kafka_destroy(rk);
      return kExitIoError;
    }
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset =
          args.from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
  }
  const int partitions = assignment->cnt;
  rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);

  std::set<std::pair<std::string, int>> at_end;
  int status = kExitOk;
  while (!interrupted.load()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 200);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert({rd_kafka_topic_name(message->rkt), message->partition});
      rd_kafka_message_destroy(message);
      if (args.exit_at_end && static_cast<int>(at_end.size()) == partitions) break;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fmt::print(stderr, "error: {}\n", rd_kafka_message_errstr(message));
      rd_kafka_message_destroy(message);
      status = kExitIoError;
      break;
    }
    fmt::print("{}\n", render(message).dump());
    rd_kafka_message_destroy(message);
  }
  std::fflush(stdout);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return status;
}

}  // namespace spine::cli
