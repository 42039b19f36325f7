// Reading one HTTP/1.1 request within the server's limits (internal): the
// parser's limits, what a failed or untrustworthy read is answered, and the
// request handed to the service. Shared by server_session.cc and the
// HTTP-request fuzzer, so that both read requests the same way.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <optional>
#include <string>

#include "spine/http/server.h"

namespace spine::http::internal {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

struct ReadLimits {
  std::size_t max_body_bytes = 0;
  std::size_t max_header_bytes = 0;
};

// Sets the limits on a fresh parser (a body or header over them ends the read
// with body_limit or header_limit).
void apply_limits(RequestParser& parser, const ReadLimits& limits);

// How a read ended. `request`: a whole request that may be handed on; the
// `refused_*` outcomes are answered (refusal_for) and the connection closed;
// `timed_out` and `ended` close it without an answer.
enum class ReadOutcome { request, refused_too_large, refused_malformed, timed_out, ended };

// `parser` is consulted only when `ec` is no error: a Transfer-Encoding other
// than exactly "chunked" is refused (RFC 9112 section 6.1).
ReadOutcome judge_read(const boost::beast::error_code& ec, const RequestParser& parser);

// The problem document for a refused read: 413 body_too_large, 431
// headers_too_large or 400 bad_request, naming the limit or the rule (no
// error in `ec`: the framing was refused).
HttpResponse refusal_for(const boost::beast::error_code& ec, const ReadLimits& limits);

// The request for the service: method, target, headers (names in lower case),
// body and the request id.
HttpRequest to_request(boost::beast::http::request<boost::beast::http::string_body>&& message, std::string id);

}  // namespace spine::http::internal
