// POST /v1/commands/<name>: JSON in, the command handler, positions out.
#include <openssl/rand.h>

#include "api_internal.h"
#include "spine/domain/command_json.h"
#include "spine/domain/events.h"
#include "spine/http/problem.h"
#include "spine/http/time_text.h"
#include "spine/http/tokens.h"

namespace spine::http {

namespace {

constexpr std::size_t kMaxIdempotencyKey = 200;
constexpr std::size_t kMaxExpectations = 64;

bool printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

Result<std::string> random_command_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Error{"io_error", "command_id", "no randomness available"};
  return "http:" + store::to_hex(bytes, sizeof bytes);
}

// What a retry under the same Idempotency-Key must repeat exactly: the
// command, its body (as the schema encodes it, so spacing and key order do
// not matter) and its Occurred-At.
std::string request_digest(const std::string& name, const shop::CommandBodyUnion& body, std::int64_t occurred_at_us) {
  return sha256_hex(name + '\n' + domain::encode_command(body) + '\n' + std::to_string(occurred_at_us));
}

// "order-o1=3, stock-s1=any, product-p=none"
Result<std::vector<store::StreamExpectation>> parse_expectations(std::string_view header) {
  std::vector<store::StreamExpectation> out;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const std::size_t equals = item.rfind('=');
    if (equals == std::string_view::npos || equals == 0) {
      return Error{"invalid_header", "expected-versions", "each item is stream=version, stream=any or stream=none"};
    }
    const std::string_view value = item.substr(equals + 1);
    store::StreamExpectation expectation{std::string(item.substr(0, equals)), store::ExpectedVersion::any()};
    if (value == "none") {
      expectation.expected = store::ExpectedVersion::no_stream();
    } else if (value != "any") {
      auto version = internal::parse_unsigned(value);
      if (!version) return Error{"invalid_header", "expected-versions", "a version is an unsigned integer, any or none"};
      expectation.expected = store::ExpectedVersion::exact(*version);
    }
    out.push_back(std::move(expectation));
    if (out.size() > kMaxExpectations) {
      return Error{"invalid_header", "expected-versions", "at most " + std::to_string(kMaxExpectations) + " streams"};
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

bool json_content_type(std::string_view type) {
  const std::string_view kJson = "application/json";
  if (type.size() < kJson.size()) return false;
  std::string lowered(type.substr(0, kJson.size()));
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered == kJson && (type.size() == kJson.size() || type[kJson.size()] == ';' || type[kJson.size()] == ' ');
}

}  // namespace

// An admin's Occurred-At: RFC 3339, within the configured window around now.
Result<std::int64_t> Api::Impl::occurred_at(std::string_view text) const {
  auto at = internal::parse_rfc3339(text);
  if (!at) return Error{"invalid_header", "occurred-at", "must be an RFC 3339 time"};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t earliest = now - std::chrono::duration_cast<std::chrono::microseconds>(options_.occurred_at_max_past).count();
  const std::int64_t latest = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.occurred_at_max_future).count();
  if (*at < earliest || *at > latest) {
    return Error{"time_out_of_window", "occurred-at",
                 "must lie from " + format_rfc3339(earliest) + " to " + format_rfc3339(latest) +
                     " (the configured window around the recorded time)"};
  }
  return *at;
}

HttpResponse Api::Impl::run_command(Call& call, const std::string& name) {
  const Principal& who = call.principal;
  const auto& names = domain::command_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return problem(404, "unknown_command", "command", "no command named '" + name + "' (see docs/api.md)");
  }
  if (!may_run_command(who.role, name)) {
    return problem(403, "forbidden", "role", std::string(role_name(who.role)) + " may not run " + name);
  }
  if (!call.target.parameters.empty()) {
    return problem(400, "unknown_parameter", call.target.parameters.begin()->first, "commands take no query parameters");
  }
  if (!json_content_type(call.request.header("content-type"))) {
    return problem(415, "unsupported_media_type", "content-type", "send the command as application/json");
  }
  commands::CommandEnvelope envelope;
  envelope.actor = who.name;
  if (count_headers(call.request, "idempotency-key") > 0) {
    const std::string_view key = call.request.header("idempotency-key");
    if (count_headers(call.request, "idempotency-key") > 1 || key.empty() || key.size() > kMaxIdempotencyKey ||
        !printable_ascii(key)) {
      return problem(400, "invalid_header", "idempotency-key",
                     "one header of 1-" + std::to_string(kMaxIdempotencyKey) + " printable ASCII characters");
    }
    // Keys are per actor: two integrations cannot collide on the same key.
    envelope.command_id = who.name + ":" + std::string(key);
  } else {
    auto id = random_command_id();
    if (!id) return problem(503, id.error());
    envelope.command_id = std::move(*id);
  }
  if (const std::string_view expected = call.request.header("expected-versions"); !expected.empty()) {
    auto expectations = parse_expectations(expected);
    if (!expectations) return problem(400, expectations.error());
    envelope.expectations = std::move(*expectations);
  }
  if (count_headers(call.request, "occurred-at") > 0) {
    if (who.role != Role::kAdmin) {
      return problem(403, "forbidden", "occurred-at", "only admin may set the time of a command (imports, loads)");
    }
    auto at = occurred_at(call.request.header("occurred-at"));
    if (!at) return problem(400, at.error());
    envelope.occurred_at_us = *at;
  }
  auto body = domain::command_from_json(name, call.request.body);
  if (!body) return problem(status_for(body.error()), body.error());
  envelope.body = std::move(*body);
  envelope.request_digest = request_digest(name, envelope.body, envelope.occurred_at_us);
  if (const std::string field = supplier_scope_violation(who, envelope.body); !field.empty()) {
    return problem(403, "forbidden", field, "a supplier acts only on its own forwards, shipments and stock");
  }
  auto outcome = handler_.handle(envelope);
  if (!outcome && outcome.error().code == "idempotency_key_reused") {
    return problem(422, "idempotency_key_reused", "idempotency-key",
                   "this Idempotency-Key was used before for another command or body; nothing was appended "
                   "(a retry repeats the command, body and Occurred-At exactly)");
  }
  if (!outcome) return problem(status_for(outcome.error()), outcome.error());
  const store::AppendResult& appended = outcome->append;
  Json streams = Json::array();
  for (const store::StreamWrite& write : appended.streams) {
    streams.push_back({{"stream", write.stream_id}, {"first_version", write.first_version},
                       {"last_version", write.last_version}});
  }
  Json types = Json::array();
  if (appended.deduplicated) {
    // The first answer named its events' types: read them back so a replay answers the same.
    for (std::uint64_t p = appended.first_position; p != 0 && p <= appended.last_position; ++p) {
      auto record = store_.read_at(p);
      if (record) types.push_back(record->event_type());
    }
  } else {
    for (const std::string& type : outcome->event_types) types.push_back(type);
  }
  HttpResponse response;
  response.status = 201;
  response.headers.emplace_back("Spine-Position", std::to_string(appended.last_position));
  if (appended.deduplicated) response.headers.emplace_back("Idempotent-Replayed", "true");
  response.body = Json{{"command_id", envelope.command_id},
                       {"position", appended.last_position},
                       {"first_position", appended.first_position},
                       {"last_position", appended.last_position},
                       {"streams", std::move(streams)},
                       {"events", std::move(types)}}
                      .dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

}  // namespace spine::http
