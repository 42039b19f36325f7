#include "serve_metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <filesystem>
#include <fstream>

namespace spine::cli {

struct ServeMetrics::Gauges {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Gauge& head = prometheus::BuildGauge()
                                .Name("spine_log_head_position")
                                .Help("Position of the last committed event of the log")
                                .Register(*registry)
                                .Add({});
  prometheus::Family<prometheus::Gauge>& relay_family = prometheus::BuildGauge()
                                                            .Name("spine_relay")
                                                            .Help("Kafka relay: published position, lag (events), rate (events/s), sessions")
                                                            .Register(*registry);
  prometheus::Gauge& published = relay_family.Add({{"figure", "published_position"}});
  prometheus::Gauge& lag = relay_family.Add({{"figure", "lag_events"}});
  prometheus::Gauge& rate = relay_family.Add({{"figure", "events_per_second"}});
  prometheus::Gauge& sessions = relay_family.Add({{"figure", "sessions"}});
  prometheus::Family<prometheus::Gauge>& commands_family = prometheus::BuildGauge()
                                                               .Name("spine_commands_total")
                                                               .Help("Commands handled since start, by outcome")
                                                               .Register(*registry);
  prometheus::Gauge& accepted = commands_family.Add({{"outcome", "accepted"}});
  prometheus::Gauge& refused = commands_family.Add({{"outcome", "refused"}});
  prometheus::Gauge& deduplicated = commands_family.Add({{"outcome", "deduplicated"}});
  prometheus::Gauge& conflicts = commands_family.Add({{"outcome", "conflict_retried"}});
  prometheus::Family<prometheus::Gauge>& store_family = prometheus::BuildGauge()
                                                            .Name("spine_store_writes_total")
                                                            .Help("Store write path since open: appends answered, RocksDB group writes (one fsync each)")
                                                            .Register(*registry);
  prometheus::Gauge& appends = store_family.Add({{"figure", "appends"}});
  prometheus::Gauge& groups = store_family.Add({{"figure", "group_writes"}});
  prometheus::Family<prometheus::Gauge>& http_family = prometheus::BuildGauge()
                                                           .Name("spine_http_server")
                                                           .Help("HTTP connections and refusals since start (open: now)")
                                                           .Register(*registry);
  prometheus::Gauge& open = http_family.Add({{"figure", "connections_open"}});
  prometheus::Gauge& accepted_connections = http_family.Add({{"figure", "connections_total"}});
  prometheus::Gauge& refused_connections = http_family.Add({{"figure", "connections_refused"}});
  prometheus::Gauge& evicted_connections = http_family.Add({{"figure", "connections_evicted"}});
  prometheus::Gauge& internal_errors = http_family.Add({{"figure", "internal_errors"}});
  prometheus::Gauge& too_large = http_family.Add({{"figure", "refused_too_large"}});
  prometheus::Gauge& bad_requests = http_family.Add({{"figure", "refused_bad_request"}});
  prometheus::Gauge& busy = http_family.Add({{"figure", "refused_busy"}});
  prometheus::Gauge& timeouts = http_family.Add({{"figure", "timeouts"}});
};

ServeMetrics::ServeMetrics() : gauges_(std::make_unique<Gauges>()) {}
ServeMetrics::~ServeMetrics() = default;

void ServeMetrics::update(const store::EventStore& log, const commands::CommandHandler& handler,
                          const kafka::Relay* relay, const http::HttpServer* server) {
  const store::WriteStats writes = log.write_stats();
  gauges_->appends.Set(static_cast<double>(writes.appends));
  gauges_->groups.Set(static_cast<double>(writes.groups));
  if (server != nullptr) {
    const http::HttpServerStats s = server->stats();
    gauges_->open.Set(static_cast<double>(s.connections_open));
    gauges_->accepted_connections.Set(static_cast<double>(s.connections_total));
    gauges_->refused_connections.Set(static_cast<double>(s.connections_refused));
    gauges_->evicted_connections.Set(static_cast<double>(s.connections_evicted));
    gauges_->internal_errors.Set(static_cast<double>(s.internal_errors));
    gauges_->too_large.Set(static_cast<double>(s.refused_too_large));
    gauges_->bad_requests.Set(static_cast<double>(s.refused_bad_request));
    gauges_->busy.Set(static_cast<double>(s.refused_busy));
    gauges_->timeouts.Set(static_cast<double>(s.timeouts));
  }
  gauges_->head.Set(static_cast<double>(log.head().position));
  if (relay != nullptr) {
    const kafka::RelayStatus status = relay->status();
    gauges_->published.Set(static_cast<double>(status.published_position));
    gauges_->lag.Set(static_cast<double>(status.lag()));
    gauges_->rate.Set(status.events_per_second);
    gauges_->sessions.Set(static_cast<double>(status.sessions));
  }
  const commands::HandlerStats stats = handler.stats();
  gauges_->accepted.Set(static_cast<double>(stats.accepted));
  gauges_->refused.Set(static_cast<double>(stats.refused));
  gauges_->deduplicated.Set(static_cast<double>(stats.deduplicated));
  gauges_->conflicts.Set(static_cast<double>(stats.conflicts));
}

std::string ServeMetrics::text() const {
  return prometheus::TextSerializer().Serialize(gauges_->registry->Collect());
}

Status ServeMetrics::write_file(const std::string& path) const {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text();
    if (!out) return Error{"io_error", path, "cannot write the metrics file"};
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return Error{"io_error", path, error.message()};
  return ok_status();
}

}  // namespace spine::cli
