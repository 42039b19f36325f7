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
};

ServeMetrics::ServeMetrics() : gauges_(std::make_unique<Gauges>()) {}
ServeMetrics::~ServeMetrics() = default;

void ServeMetrics::update(const store::EventStore& log, const commands::CommandHandler& handler,
                          const kafka::Relay* relay) {
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
