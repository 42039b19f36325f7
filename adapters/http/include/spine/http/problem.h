// RFC 9457 problem details (application/problem+json), the one shape of every
// error Spine's HTTP API returns: the stable code, the field and the rule.
#pragma once

#include <string>
#include <string_view>

#include "spine/http/server.h"
#include "spine/result.h"

namespace spine::http {

// {"type": "https://spine.example/problems/<code>", "title", "status",
//  "code", "field", "detail" [, "details": [{subject, requested, available}]]}
HttpResponse problem(int status, const Error& error);
HttpResponse problem(int status, std::string code, std::string field, std::string detail);

}  // namespace spine::http
