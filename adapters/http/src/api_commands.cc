// POST /v1/commands/<name>: JSON in, the command handler, positions out.
#include <openssl/rand.h>

#include "api_internal.h"
#include "spine/domain/command_json.h"
#include "spine/http/problem.h"

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

std::string random_command_id() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  return "http:" + store::to_hex(bytes, sizeof bytes);
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
  const std::string_view key = call.request.header("idempotency-key");
  if (!key.empty()) {
    if (key.size() > kMaxIdempotencyKey || !printable_ascii(key)) {
      return problem(400, "invalid_header", "idempotency-key",
                     "1-" + std::to_string(kMaxIdempotencyKey) + " printable ASCII characters");
    }
    // Keys are per actor: two integrations cannot collide on the same key.
    envelope.command_id = who.name + ":" + std::string(key);
  } else {
    envelope.command_id = random_command_id();
  }
  if (const std::string_view expected = call.request.header("expected-versions"); !expected.empty()) {
    auto expectations = parse_expectations(expected);
    if (!expectations) return problem(400, expectations.error());
    envelope.expectations = std::move(*expectations);
  }
  if (const std::string_view occurred = call.request.header("occurred-at"); !occurred.empty()) {
    if (who.role != Role::kAdmin) {
      return problem(403, "forbidden", "occurred-at", "only admin may set the time of a command (imports, loads)");
    }
    auto at = internal::parse_rfc3339(occurred);
    if (!at) return problem(400, "invalid_header", "occurred-at", "must be an RFC 3339 time");
    envelope.occurred_at_us = *at;
  }
  auto body = domain::command_from_json(name, call.request.body);
  if (!body) return problem(status_for(body.error()), body.error());
  envelope.body = std::move(*body);
  if (const std::string field = supplier_scope_violation(who, envelope.body); !field.empty()) {
    return problem(403, "forbidden", field, "a supplier acts only on its own forwards, shipments and stock");
  }
  auto outcome = handler_.handle(envelope);
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
