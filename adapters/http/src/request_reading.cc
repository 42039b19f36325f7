// Reading one request within the limits (request_reading.h).
#include "request_reading.h"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include <string_view>

#include "spine/http/problem.h"

namespace spine::http::internal {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

// RFC 9112 §6.1: a request whose Transfer-Encoding is not exactly "chunked"
// has no length a server can trust (what follows would be read as the next
// request).
bool framing_is_trusted(const RequestParser& parser) {
  const auto& header = parser.get();
  const auto codings = header.count(bhttp::field::transfer_encoding);
  if (codings == 0) return true;
  const auto value = header[bhttp::field::transfer_encoding];
  return codings == 1 && lower(trimmed(std::string_view(value.data(), value.size()))) == "chunked";
}

}  // namespace

void apply_limits(RequestParser& parser, const ReadLimits& limits) {
  parser.body_limit(limits.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
}

ReadOutcome judge_read(const beast::error_code& ec, const RequestParser& parser) {
  if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) return ReadOutcome::refused_too_large;
  if (ec == beast::error::timeout) return ReadOutcome::timed_out;
  if (ec && is_parse_error(ec) && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return ReadOutcome::refused_malformed;
  }
  if (ec) return ReadOutcome::ended;  // closed or reset by the client, or cut short
  return framing_is_trusted(parser) ? ReadOutcome::request : ReadOutcome::refused_malformed;
}

HttpResponse refusal_for(const beast::error_code& ec, const ReadLimits& limits) {
  if (ec == bhttp::error::body_limit) {
    return problem(413, "body_too_large", "body", "the body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    return problem(431, "headers_too_large", "headers",
                   "the headers exceed " + std::to_string(limits.max_header_bytes) + " bytes");
  }
  if (ec) return problem(400, "bad_request", "request", "malformed HTTP request: " + ec.message());
  return problem(400, "bad_request", "transfer-encoding",
                 "only 'Transfer-Encoding: chunked' is accepted (RFC 9112 section 6.1)");
}

HttpRequest to_request(bhttp::request<bhttp::string_body>&& message, std::string id) {
  HttpRequest request;
  request.id = std::move(id);
  request.method = std::string(message.method_string().data(), message.method_string().size());
  request.target = std::string(message.target().data(), message.target().size());
  for (const auto& field : message) {
    request.headers.emplace_back(lower(std::string_view(field.name_string().data(), field.name_string().size())),
                                 std::string(field.value().data(), field.value().size()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace spine::http::internal
