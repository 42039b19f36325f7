#include "spine/kafka/relay.h"

#include <fmt/core.h>
#include <librdkafka/rdkafka.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "spine/eventstore/subscription.h"

namespace spine::kafka {

namespace {

using Clock = std::chrono::steady_clock;

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

Error kafka_error(const std::string& what, const std::string& detail) {
  return Error{"kafka_error", "", what + ": " + detail};
}

Result<KafkaHandle> make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings,
                                void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr,
                                void* opaque = nullptr) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return kafka_error("configuring " + key, error);
    }
  }
  if (on_delivery != nullptr) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  if (opaque != nullptr) rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return kafka_error("creating a Kafka client", error);
  }
  return KafkaHandle(rk);
}

std::optional<std::uint64_t> header_u64(const rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || value == nullptr) {
    return std::nullopt;
  }
  std::uint64_t result = 0;
  const auto* text = static_cast<const char*>(value);
  for (size_t i = 0; i < size; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    result = result * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  return result;
}

// The topics of `names` the cluster does not list. Asks for every topic's
// metadata, which (unlike asking for one by name) auto-creates nothing.
Result<std::vector<std::string>> missing_topics(rd_kafka_t* rk, const std::vector<std::string>& names) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &metadata, 5'000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error("listing topics", rd_kafka_err2str(err));
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    bool listed = false;
    for (int t = 0; t < metadata->topic_cnt && !listed; ++t) {
      listed = name == metadata->topics[t].topic && metadata->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    if (!listed) missing.push_back(name);
  }
  rd_kafka_metadata_destroy(metadata);
  return missing;
}

// Creates `names` through the Admin API (CreateTopics); an existing one is no error.
Status create_topics(rd_kafka_t* rk, const RelayOptions& options, const std::vector<std::string>& names) {
  std::vector<rd_kafka_NewTopic_t*> topics;
  char error[512];
  for (const std::string& name : names) {
    topics.push_back(rd_kafka_NewTopic_new(name.c_str(), options.partitions, options.replication_factor, error,
                                           sizeof(error)));
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, topics.data(), topics.size(), nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 10'000);
  Status status = ok_status();
  if (event == nullptr) {
    status = kafka_error("creating topics", "no answer within 10 s");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = kafka_error("creating topics", rd_kafka_event_error_string(event));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count && status.ok(); ++i) {
      const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = kafka_error(std::string("creating ") + rd_kafka_topic_result_name(results[i]), rd_kafka_err2str(err));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  for (rd_kafka_NewTopic_t* topic : topics) rd_kafka_NewTopic_destroy(topic);
  return status;
}

std::uint64_t read_checkpoint(const std::string& path) {
  if (path.empty()) return 0;
  std::ifstream in(path);
  std::uint64_t position = 0;
  if (in >> position) return position;
  return 0;
}

void write_checkpoint(const std::string& path, std::uint64_t position) {
  if (path.empty()) return;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << position << "\n";
    out.close();  // a full disk shows here: a short file must not replace the checkpoint
    if (!out) return;
  }
  std::error_code ignored;
  std::filesystem::rename(temporary, path, ignored);  // atomic replace
}

}  // namespace

Result<PartitionTails> read_partition_tails(const std::string& bootstrap, const std::vector<std::string>& topics,
                                            std::chrono::milliseconds timeout) {
  auto consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                  {"group.id", "spine-relay-tails"},
                                                  {"enable.auto.commit", "false"},
                                                  {"enable.partition.eof", "false"},
                                                  {"log_level", "3"}});
  if (!consumer) return consumer.error();
  rd_kafka_t* rk = consumer->get();
  const int timeout_ms = static_cast<int>(timeout.count());
  PartitionTails tails;
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(16);
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> wanted_offsets;
  Status status = ok_status();
  for (const std::string& topic : topics) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &metadata, timeout_ms);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        metadata->topics[0].partition_cnt > 0) {
      tails.partition_counts[topic] = metadata->topics[0].partition_cnt;
    } else if (status.ok()) {
      const rd_kafka_resp_err_t cause = err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : metadata->topics[0].err;
      status = kafka_error("reading metadata of " + topic, rd_kafka_err2str(cause));
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
    if (!status.ok()) break;
    for (std::int32_t p = 0; p < tails.partition_counts[topic]; ++p) {
      std::int64_t low = 0, high = 0;
      err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = kafka_error("reading offsets of " + topic + "/" + std::to_string(p), rd_kafka_err2str(err));
        break;
      }
      tails.last_position[{topic, p}] = 0;
      if (high > low) {
        rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = high - 1;
        wanted_offsets[{topic, p}] = high - 1;
      }
    }
    if (!status.ok()) break;
  }
  if (status.ok() && !wanted_offsets.empty()) {
    rd_kafka_assign(rk, assignment);
    const auto deadline = Clock::now() + timeout;
    while (!wanted_offsets.empty() && Clock::now() < deadline) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::pair<std::string, std::int32_t> key{rd_kafka_topic_name(message->rkt), message->partition};
        auto it = wanted_offsets.find(key);
        if (it != wanted_offsets.end() && message->offset >= it->second) {
          auto position = header_u64(message, kHeaderPosition);
          if (!position) {
            status = kafka_error("reading " + key.first + "/" + std::to_string(key.second),
                                 "its last message has no spine.position header");
          } else {
            tails.last_position[key] = *position;
          }
          wanted_offsets.erase(it);
        }
      }
      rd_kafka_message_destroy(message);
      if (!status.ok()) break;
    }
    if (status.ok() && !wanted_offsets.empty()) status = kafka_error("reading partition tails", "timed out");
    rd_kafka_assign(rk, nullptr);
  }
  rd_kafka_topic_partition_list_destroy(assignment);
  rd_kafka_consumer_close(rk);
  if (!status.ok()) return status.error();
  return tails;
}

// What the relay thread shares with readers of its status.
struct Relay::Shared {
  mutable std::mutex mutex;
  mutable std::condition_variable published_changed;
  RelayStatus status;
};

// One producer session: from the partition tails and the checkpoint to a
// failure or a stop. Positions are handed to librdkafka in log order; the
// published position advances over the contiguous acknowledged prefix.
class Relay::Session {
 public:
  Session(Relay& relay) : relay_(relay) {}

  Status run() {
    const RelayOptions& options = relay_.options_;
    std::vector<std::pair<std::string, std::string>> settings = {
        {"bootstrap.servers", options.bootstrap},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"enable.gapless.guarantee", "true"},
        {"message.timeout.ms", "0"},  // never give up on a message: outages only delay
        {"queue.buffering.max.messages", std::to_string(options.max_in_flight + 1000)},
        {"max.in.flight.requests.per.connection", std::to_string(options.requests_in_flight_per_broker)},
        {"linger.ms", "5"},
        {"reconnect.backoff.max.ms", "5000"},
        {"log_level", "3"}};
    if (const char* debug = std::getenv("SPINE_KAFKA_DEBUG"); debug != nullptr && *debug != '\0') {
      settings.insert(settings.end(), {{"debug", debug}, {"log_level", "7"}});  // librdkafka's lines, on stderr
    }
    auto producer = make_client(RD_KAFKA_PRODUCER, settings, &Session::on_delivery, this);
    if (!producer) return producer.error();
    rd_kafka_t* rk = producer->get();
    if (options.create_topics) {
      // Not fatal: a cluster may forbid clients to create topics (or, like the
      // mock cluster, lack the Admin API) and have them already; a topic that
      // is really missing fails the tails read below, naming it.
      // Only missing topics are created: the mock cluster, which never answers
      // CreateTopics, then costs no wait when its topics exist.
      auto missing = missing_topics(rk, options.naming.all());
      Status created = missing ? ok_status() : Status(missing.error());
      if (missing && !missing->empty()) created = create_topics(rk, options, *missing);
      if (!created) relay_.log("relay: " + created.error().to_string() + " (continuing with the existing topics)");
    }
    auto tails = read_partition_tails(options.bootstrap, options.naming.all(), std::chrono::milliseconds(3000));
    if (!tails) return tails.error();
    tails_ = std::move(*tails);
    if (Status warmed = warm_up(rk); !warmed) return warmed;

    watermark_ = read_checkpoint(options.checkpoint_path);
    std::uint64_t highest_tail = 0;
    for (const auto& [key, position] : tails_.last_position) highest_tail = std::max(highest_tail, position);
    relay_.log(fmt::format("relay: session started at position {} (checkpoint), partitions hold up to {}",
                           watermark_ + 1, highest_tail));
    publish_status("running");
    auto subscription = relay_.store_.subscribe(watermark_ + 1);
    auto last_status = Clock::now();
    std::uint64_t published_at_last_status = published_total_;

    while (!relay_.stopping_.load()) {
      if (!session_error_.empty()) return kafka_error("delivery failed", session_error_);
      char fatal[512];
      if (rd_kafka_fatal_error(rk, fatal, sizeof(fatal)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return kafka_error("the producer failed", fatal);
      }
      const std::size_t in_flight = pending_.size();
      std::size_t handed = 0;
      if (in_flight < options.max_in_flight) {
        const std::size_t room = std::min(options.read_batch, options.max_in_flight - in_flight);
        auto records = subscription->next(room, std::chrono::milliseconds(in_flight == 0 ? 100 : 0));
        if (!records) return records.error();
        for (const store::RecordView& record : *records) {
          if (Status produced = produce(rk, record); !produced) return produced;
          ++handed;
        }
      }
      rd_kafka_poll(rk, handed == 0 && in_flight > 0 ? 10 : 0);
      advance();
      if (Clock::now() - last_status >= options.status_interval) {
        const double seconds = std::chrono::duration<double>(Clock::now() - last_status).count();
        const double rate = static_cast<double>(published_total_ - published_at_last_status) / seconds;
        last_status = Clock::now();
        published_at_last_status = published_total_;
        write_checkpoint(options.checkpoint_path, watermark_);
        const std::uint64_t head = relay_.store_.head().position;
        relay_.log(fmt::format("relay: published {} of {} (lag {}), {:.0f} events/s", watermark_, head,
                               head > watermark_ ? head - watermark_ : 0, rate));
        std::lock_guard lock(relay_.shared_->mutex);
        relay_.shared_->status.events_per_second = rate;
      }
    }
    rd_kafka_flush(rk, static_cast<int>(relay_.flush_timeout_.count()));
    advance();
    write_checkpoint(options.checkpoint_path, watermark_);
    return ok_status();
  }

 private:
  // Makes the producer learn every topic's partitions and leaders before the
  // first message, rather than on it (a first produce to an unknown topic
  // waits for the producer's own metadata round, about a second).
  Status warm_up(rd_kafka_t* rk) {
    for (const std::string& topic : relay_.options_.naming.all()) {
      topic_handles_.emplace_back(rd_kafka_topic_new(rk, topic.c_str(), nullptr), &rd_kafka_topic_destroy);
      const rd_kafka_metadata_t* metadata = nullptr;
      const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic_handles_.back().get(), &metadata, 3'000);
      if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return kafka_error("reading metadata of " + topic, rd_kafka_err2str(err));
    }
    return ok_status();
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* session = static_cast<Session*>(opaque);
    const auto position = reinterpret_cast<std::uintptr_t>(message->_private);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (session->session_error_.empty()) {
        session->session_error_ = fmt::format("position {}: {}", position, rd_kafka_err2str(message->err));
      }
      return;
    }
    session->mark_done(position);
    ++session->published_total_;
  }

  Status produce(rd_kafka_t* rk, const store::RecordView& record) {
    const std::uint64_t position = record.position();
    const std::string topic =
        relay_.options_.naming.topic(family_of(record.event_type(), record.stream_id()));
    auto count = tails_.partition_counts.find(topic);
    if (count == tails_.partition_counts.end()) return kafka_error("routing", "topic " + topic + " does not exist");
    const std::int32_t partition = partition_for(record.stream_id(), count->second);
    pending_.push_back(false);
    if (position <= tails_.last_position[{topic, partition}]) {  // already in Kafka (an earlier session)
      mark_done(position);
      std::lock_guard lock(relay_.shared_->mutex);
      ++relay_.shared_->status.skipped_total;
      return ok_status();
    }
    const std::string position_text = std::to_string(position);
    const std::string version_text = std::to_string(record.stream_version());
    const std::string schema_text = std::to_string(record.schema_version());
    const std::string event_id = store::to_hex(record.event_id());
    const std::string_view type = record.event_type();
    const std::string_view key = record.stream_id();
    for (;;) {
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.bytes().data()), record.bytes().size()),
          RD_KAFKA_V_HEADER(kHeaderType, type.data(), static_cast<ssize_t>(type.size())),
          RD_KAFKA_V_HEADER(kHeaderPosition, position_text.data(), static_cast<ssize_t>(position_text.size())),
          RD_KAFKA_V_HEADER(kHeaderStreamVersion, version_text.data(), static_cast<ssize_t>(version_text.size())),
          RD_KAFKA_V_HEADER(kHeaderEventId, event_id.data(), static_cast<ssize_t>(event_id.size())),
          RD_KAFKA_V_HEADER(kHeaderSchemaVersion, schema_text.data(), static_cast<ssize_t>(schema_text.size())),
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(position))), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return ok_status();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return kafka_error("producing position " + position_text, rd_kafka_err2str(err));
      rd_kafka_poll(rk, 100);  // the local queue is full: wait for acknowledgements
      if (relay_.stopping_.load()) return kafka_error("producing", "stopped while the queue was full");
    }
  }

  // pending_[i] is position watermark_ + 1 + i: handed out, acknowledged or not.
  void mark_done(std::uint64_t position) {
    assert(position > watermark_ && position - watermark_ <= pending_.size());
    pending_[position - watermark_ - 1] = true;
  }

  void advance() {
    std::uint64_t advanced = 0;
    while (!pending_.empty() && pending_.front()) {
      pending_.pop_front();
      ++advanced;
    }
    if (advanced == 0) return;
    watermark_ += advanced;
    {
      std::lock_guard lock(relay_.shared_->mutex);
      relay_.shared_->status.published_position = watermark_;
      relay_.shared_->status.published_total = published_total_;
    }
    relay_.shared_->published_changed.notify_all();
  }

  void publish_status(const std::string& state) {
    std::lock_guard lock(relay_.shared_->mutex);
    relay_.shared_->status.state = state;
    relay_.shared_->status.published_position = watermark_;
  }

  Relay& relay_;
  std::vector<std::unique_ptr<rd_kafka_topic_t, void (*)(rd_kafka_topic_t*)>> topic_handles_;
  PartitionTails tails_;
  std::uint64_t watermark_ = 0;
  std::deque<bool> pending_;
  std::uint64_t published_total_ = 0;
  std::string session_error_;
};

Relay::Relay(store::EventStore& store, RelayOptions options)
    : store_(store), options_(std::move(options)), shared_(std::make_unique<Shared>()) {
  shared_->status.state = "starting";
}

Relay::~Relay() { stop(); }

void Relay::log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    fmt::print(stderr, "{}\n", line);
  }
}

void Relay::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Relay::stop(std::chrono::milliseconds flush_timeout) {
  flush_timeout_ = flush_timeout;
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(shared_->mutex);
  shared_->status.state = "stopped";
}

void Relay::run() {
  std::chrono::milliseconds backoff = options_.backoff_min;
  while (!stopping_.load()) {
    {
      std::lock_guard lock(shared_->mutex);
      ++shared_->status.sessions;
    }
    Session session(*this);
    const auto started = Clock::now();
    Status ended = session.run();
    if (ended.ok() || stopping_.load()) break;
    log("relay: " + ended.error().to_string() + fmt::format("; retrying in {} ms", backoff.count()));
    {
      std::lock_guard lock(shared_->mutex);
      shared_->status.state = "retrying";
      shared_->status.last_error = ended.error().to_string();
    }
    if (Clock::now() - started > std::chrono::seconds(30)) backoff = options_.backoff_min;  // it ran a while: reset
    const auto until = Clock::now() + backoff;
    while (!stopping_.load() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

RelayStatus Relay::status() const {
  std::lock_guard lock(shared_->mutex);
  RelayStatus status = shared_->status;
  status.head_position = store_.head().position;
  return status;
}

bool Relay::wait_published(std::uint64_t position, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(shared_->mutex);
  return shared_->published_changed.wait_for(lock, timeout,
                                             [&] { return shared_->status.published_position >= position; });
}

}  // namespace spine::kafka
