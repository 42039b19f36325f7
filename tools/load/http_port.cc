#include "http_port.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "spine/domain/command_json.h"
#include "spine/domain/event_json.h"
#include "spine/domain/events.h"
#include "spine/domain/state.h"

namespace spine::load {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Json = nlohmann::json;

namespace {

constexpr std::size_t kPageRecords = 1000;      // records per GET /v1/streams page
constexpr std::size_t kMaxCachedStreams = 100'000;  // folded states kept; cleared when full
constexpr std::size_t kMaxResponseBytes = 64 << 20;

struct Endpoint {
  std::string host, port;
};

std::optional<Endpoint> parse_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  if (const std::size_t slash = rest.find('/'); slash != std::string::npos) {
    if (rest.find_first_not_of('/', slash) != std::string::npos) return std::nullopt;  // no path prefix
    rest.resize(slash);
  }
  const std::size_t colon = rest.rfind(':');
  if (rest.empty()) return std::nullopt;
  if (colon == std::string::npos) return Endpoint{rest, "80"};
  return Endpoint{rest.substr(0, colon), rest.substr(colon + 1)};
}

// Percent-encodes one path segment (ids are printable, but not all are URL-safe).
std::string encode_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// RFC 3339 UTC with microseconds: the Occurred-At header.
std::string rfc3339(std::int64_t utc_us) {
  const std::time_t seconds = static_cast<std::time_t>(utc_us / 1'000'000 - (utc_us % 1'000'000 < 0 ? 1 : 0));
  const std::int64_t micros = ((utc_us % 1'000'000) + 1'000'000) % 1'000'000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
  return text;
}

struct Answer {
  int status = 0;
  std::string body;
};

}  // namespace

class HttpPort::Impl {
 public:
  Impl(HttpPortOptions options, Endpoint endpoint, domain::Config config)
      : options_(std::move(options)), endpoint_(std::move(endpoint)), config_(std::move(config)) {}

  const domain::Config& config() const { return config_; }

  // One request on the kept-alive connection; reconnects once if the server closed it.
  Result<Answer> send(bhttp::verb method, const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (!stream_) connect();
        bhttp::request<bhttp::string_body> request{method, target, 11};
        request.set(bhttp::field::host, endpoint_.host);
        request.set(bhttp::field::authorization, "Bearer " + options_.token);
        request.set(bhttp::field::user_agent, "spine-load");
        for (const auto& [name, value] : headers) request.set(name, value);
        request.body() = body;
        request.prepare_payload();
        stream_->expires_after(std::chrono::milliseconds(options_.timeout_ms));
        bhttp::write(*stream_, request);
        beast::flat_buffer buffer;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(kMaxResponseBytes);
        bhttp::read(*stream_, buffer, parser);
        auto response = parser.release();
        if (!response.keep_alive()) stream_.reset();
        return Answer{static_cast<int>(response.result_int()), std::move(response.body())};
      } catch (const boost::system::system_error& error) {
        stream_.reset();
        if (attempt == 1) {
          return Error{"http_error", options_.url, std::string(bhttp::to_string(method)) + " " + target + ": " + error.what()};
        }
      }
    }
    return Error{"http_error", options_.url, "unreachable"};
  }

  Status connect_now() {
    try {
      connect();
      return ok_status();
    } catch (const boost::system::system_error& error) {
      return Error{"http_error", options_.url, std::string("cannot connect: ") + error.what()};
    }
  }

  // A problem+json answer as the domain's Error; server-side and access failures as http_error.
  Error refusal(const Answer& answer, const std::string& what) const {
    const Json problem = Json::parse(answer.body, nullptr, false);
    std::string code = "http_error", field, detail = answer.body.substr(0, 200);
    if (problem.is_object()) {
      code = problem.value("code", code);
      field = problem.value("field", "");
      detail = problem.value("detail", detail);
    }
    const bool no_such_endpoint = answer.status == 404 && (code == "unknown_command" || code == "no_route");
    if (answer.status >= 500 || answer.status == 401 || answer.status == 403 || no_such_endpoint) {
      return Error{"http_error", field, what + ": HTTP " + std::to_string(answer.status) + " " + code + ": " + detail};
    }
    return Error{code, field, detail};
  }

  Status handle(const commands::CommandEnvelope& envelope) {
    auto rendered = domain::command_to_json(envelope.body);
    if (!rendered) return rendered.error();
    const auto& [name, body] = *rendered;
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"}, {"Idempotency-Key", envelope.command_id}};
    if (envelope.occurred_at_us != 0) headers.emplace_back("Occurred-At", rfc3339(envelope.occurred_at_us));
    auto answer = send(bhttp::verb::post, "/v1/commands/" + name, body, headers);
    if (!answer) return answer.error();
    if (answer->status == 201) return ok_status();
    return refusal(*answer, name);
  }

  Result<std::uint64_t> head_position() {
    auto answer = send(bhttp::verb::get, "/v1/events?limit=1", "", {});
    if (!answer) return answer.error();
    if (answer->status != 200) return refusal(*answer, "GET /v1/events");
    const Json page = Json::parse(answer->body, nullptr, false);
    if (!page.is_object() || !page.contains("position")) return Error{"http_error", "/v1/events", "no position"};
    return page["position"].get<std::uint64_t>();
  }

  Result<domain::StreamState> current_state(const std::string& stream_id) {
    if (states_.size() >= kMaxCachedStreams) states_.clear();
    domain::StreamState& state = states_[stream_id];
    for (;;) {
      const std::string target = "/v1/streams/" + encode_segment(stream_id) + "?from_version=" +
                                 std::to_string(state.version + 1) + "&limit=" + std::to_string(kPageRecords);
      auto answer = send(bhttp::verb::get, target, "", {});
      if (!answer) return answer.error();
      if (answer->status != 200) return refusal(*answer, "GET " + target);
      const Json page = Json::parse(answer->body, nullptr, false);
      if (!page.is_object() || !page.contains("data")) return Error{"http_error", target, "not a stream page"};
      const Json& records = page["data"]["records"];
      for (const Json& record : records) {
        if (!record.contains("event") || record["event"].is_null()) {
          return Error{"http_error", target, "a record without its event JSON"};
        }
        auto payload = domain::event_payload_from_json(record["event"].dump());
        if (!payload) return payload.error();
        auto event = domain::decode_event(*payload, record.value("type", ""));
        if (!event) return event.error();
        domain::evolve(state.state, *event);
        state.version = record.value("stream_version", state.version + 1);
      }
      if (page["data"]["next_from_version"].is_null()) return state;
    }
  }

 private:
  void connect() {
    boost::asio::ip::tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(endpoint_.host, endpoint_.port);
    stream_.emplace(io_);
    stream_->expires_after(std::chrono::milliseconds(options_.timeout_ms));
    stream_->connect(endpoints);
  }

  HttpPortOptions options_;
  Endpoint endpoint_;
  domain::Config config_;
  boost::asio::io_context io_;
  std::optional<beast::tcp_stream> stream_;
  std::unordered_map<std::string, domain::StreamState> states_;  // folded so far, by stream
};

Result<std::unique_ptr<HttpPort>> HttpPort::connect(const HttpPortOptions& options, domain::Config config) {
  auto endpoint = parse_url(options.url);
  if (!endpoint) return Error{"invalid_argument", "--url", "must be http://HOST:PORT"};
  auto impl = std::make_unique<Impl>(options, *endpoint, std::move(config));
  if (Status connected = impl->connect_now(); !connected) return connected.error();
  return std::unique_ptr<HttpPort>(new HttpPort(std::move(impl)));
}

HttpPort::HttpPort(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpPort::~HttpPort() = default;
const domain::Config& HttpPort::config() const { return impl_->config(); }
Status HttpPort::handle(const commands::CommandEnvelope& envelope) { return impl_->handle(envelope); }
Result<domain::StreamState> HttpPort::current_state(const std::string& stream_id) {
  return impl_->current_state(stream_id);
}
Result<std::uint64_t> HttpPort::head_position() { return impl_->head_position(); }

}  // namespace spine::load
