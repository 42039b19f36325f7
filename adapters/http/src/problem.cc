#include "spine/http/problem.h"

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

namespace spine::http {

HttpResponse problem(int status, const Error& error) {
  nlohmann::json body = {
      {"type", "https://spine.example/problems/" + error.code},
      {"title", std::string(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status)))},
      {"status", status},
      {"code", error.code},
      {"field", error.field},
      {"detail", error.message},
  };
  if (!error.details.empty()) {
    nlohmann::json details = nlohmann::json::array();
    for (const ErrorDetail& d : error.details) {
      details.push_back({{"subject", d.subject}, {"requested", d.requested}, {"available", d.available}});
    }
    body["details"] = std::move(details);
  }
  if (!error.figures.empty()) {
    nlohmann::json figures = nlohmann::json::object();
    for (const ErrorFigure& f : error.figures) figures[f.name] = f.value;
    body["figures"] = std::move(figures);
  }
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  // Replace, never throw, on text that is not UTF-8 (a refusal may quote input).
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse problem(int status, std::string code, std::string field, std::string detail) {
  return problem(status, Error{std::move(code), std::move(field), std::move(detail)});
}

}  // namespace spine::http
