// The generator's commands over HTTP (`spine load --url`): each command is
// POSTed to /v1/commands/<name> of a running Spine with its command id as the
// Idempotency-Key and its simulated time as Occurred-At (an admin token is
// needed for that), and states are folded from GET /v1/streams/{id}, so the
// server's own command path and rules decide everything.
#pragma once

#include <memory>
#include <string>

#include "shop_generator.h"

namespace spine::load {

struct HttpPortOptions {
  std::string url;    // http://HOST:PORT (plain HTTP; put TLS in front with a proxy)
  std::string token;  // bearer token of an admin
  int timeout_ms = 30'000;  // per request
};

class HttpPort final : public CommandPort {
 public:
  // Connects to the server; error "http_error" if it cannot be reached.
  static Result<std::unique_ptr<HttpPort>> connect(const HttpPortOptions& options, domain::Config config);
  ~HttpPort() override;

  const domain::Config& config() const override;
  // A refusal (4xx with the domain's code) comes back as that Error; a
  // transport failure, 401/403 or 5xx as "http_error" (the load stops).
  Status handle(const commands::CommandEnvelope& envelope) override;
  Result<domain::StreamState> current_state(const std::string& stream_id) override;
  bool records_deadlines() const override { return false; }  // the server's deadline service does
  // The server's log head.
  Result<std::uint64_t> head_position();

  class Impl;

 private:
  explicit HttpPort(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spine::load
