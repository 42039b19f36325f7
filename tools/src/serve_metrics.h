// The metrics of `spine serve` in Prometheus text format (prometheus-cpp):
// log head, relay published position, lag and rate, and the command
// handler's counters, the store's write counters and the HTTP server's
// connection counters. Served at /metrics (after the API's own metrics) and,
// with --metrics-file, written atomically to a file (node_exporter "textfile").
#pragma once

#include <memory>
#include <string>

#include "spine/commands/command_handler.h"
#include "spine/http/server.h"
#include "spine/kafka/relay.h"

namespace spine::cli {

class ServeMetrics {
 public:
  ServeMetrics();
  ~ServeMetrics();
  // Refreshes every gauge from the components (relay and server may be null).
  void update(const store::EventStore& log, const commands::CommandHandler& handler, const kafka::Relay* relay,
              const http::HttpServer* server);
  std::string text() const;
  // Writes text() to `path` through a temporary file and a rename.
  Status write_file(const std::string& path) const;

 private:
  struct Gauges;
  std::unique_ptr<Gauges> gauges_;
};

}  // namespace spine::cli
