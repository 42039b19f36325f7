// The metrics of `spine serve` in Prometheus text format (prometheus-cpp):
// log head, relay published position, lag and rate, and the command
// handler's counters. Written atomically to a file (the node_exporter
// "textfile" convention) until the HTTP /metrics endpoint exists (issue 6).
#pragma once

#include <memory>
#include <string>

#include "spine/commands/command_handler.h"
#include "spine/kafka/relay.h"

namespace spine::cli {

class ServeMetrics {
 public:
  ServeMetrics();
  ~ServeMetrics();
  // Refreshes every gauge from the components (relay may be null).
  void update(const store::EventStore& log, const commands::CommandHandler& handler, const kafka::Relay* relay);
  std::string text() const;
  // Writes text() to `path` through a temporary file and a rename.
  Status write_file(const std::string& path) const;

 private:
  struct Gauges;
  std::unique_ptr<Gauges> gauges_;
};

}  // namespace spine::cli
