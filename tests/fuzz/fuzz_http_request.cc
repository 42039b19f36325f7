// libFuzzer: reading HTTP/1.1 requests as the server does (Beast's parser
// with the server's limits, adapters/http/src/request_reading.cc), then the
// target parser on each request read. The bytes are one connection's input;
// requests are read one after another while they come whole, as keep-alive
// does. Invariants: a request handed on never has a body or headers over the
// limits nor an untrusted Transfer-Encoding; every refusal is a 4xx problem
// with a code; nothing throws.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "request_reading.h"
#include "target.h"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using spine::http::internal::ReadOutcome;

// Small limits, so that inputs of a few KiB reach them.
constexpr spine::http::internal::ReadLimits kLimits{1024, 512};
constexpr int kMaxRequestsPerInput = 64;

void check_refusal(const beast::error_code& ec) {
  const spine::http::HttpResponse refusal = spine::http::internal::refusal_for(ec, kLimits);
  if (refusal.status < 400 || refusal.status > 499) std::abort();
  const auto body = nlohmann::json::parse(refusal.body, nullptr, false);
  if (body.is_discarded() || !body.contains("code") || body["code"].get<std::string>().empty()) std::abort();
}

void check_request(spine::http::internal::RequestParser& parser) {
  std::size_t header_bytes = 0;
  for (const auto& field : parser.get()) header_bytes += field.name_string().size() + field.value().size();
  if (header_bytes > kLimits.max_header_bytes) std::abort();
  spine::http::HttpRequest request = spine::http::internal::to_request(parser.release(), "fuzz-1");
  if (request.body.size() > kLimits.max_body_bytes) std::abort();
  for (const auto& [name, value] : request.headers) {
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') std::abort();  // names reach the service in lower case
    }
  }
  auto target = spine::http::internal::parse_target(request.target);
  if (!target && target.error().code.empty()) std::abort();
}

// Feeds the buffer to a fresh parser as a socket read would, then judges the
// read; false when the connection would be closed.
bool read_one(beast::flat_buffer& input) {
  spine::http::internal::RequestParser parser;
  spine::http::internal::apply_limits(parser, kLimits);
  beast::error_code ec;
  while (!ec && !parser.is_done()) {
    const std::size_t used = parser.put(input.data(), ec);
    input.consume(used);
    if (ec == bhttp::error::need_more) ec = {};
    if (!ec && !parser.is_done() && used == 0) parser.put_eof(ec);  // the client stopped sending
    if (!ec && !parser.is_done() && used == 0) ec = bhttp::error::partial_message;
  }
  switch (spine::http::internal::judge_read(ec, parser)) {
    case ReadOutcome::request:
      check_request(parser);
      return true;
    case ReadOutcome::refused_too_large:
    case ReadOutcome::refused_malformed:
      check_refusal(ec);
      return false;
    case ReadOutcome::timed_out:
    case ReadOutcome::ended:
      return false;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  beast::flat_buffer input;
  auto room = input.prepare(size);
  std::memcpy(room.data(), data, size);
  input.commit(size);
  for (int i = 0; i < kMaxRequestsPerInput && input.size() > 0; ++i) {
    if (!read_one(input)) break;
  }
  return 0;
}
