// A small HTTP/1.1 server on Boost.Beast: keep-alive, bounded everything.
//
// Contract: the server owns sockets, parsing and limits; it knows nothing of
// Spine's routes. Each complete request is handed to the HttpService, on an
// I/O thread when service.blocks(request) is false, else on a bounded worker
// pool (commands wait for fsync). Limits, each refused cleanly and counted:
// a body over max_body_bytes (413), headers over max_header_bytes (431), a
// request not fully received within read_timeout or a keep-alive connection
// idle past idle_timeout (closed; unauthenticated_idle_timeout while no
// request on it was authenticated), connections over max_connections or over
// max_connections_per_client from one address (the oldest idle keep-alive
// connection, of that address or of all, is closed to make room; when none is
// idle, 503 and close), requests waiting for a worker over
// max_queued_requests (503), a Transfer-Encoding other than exactly
// "chunked" (400 and close, RFC 9112 §6.1). Whatever the service throws is
// answered 500 "internal" with the request's id and logged to stderr: no
// exception leaves a request. Every answer carries Spine-Request-Id.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spine/result.h"

namespace spine::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string id;  // set by the server: unique per request, in logs and the Spine-Request-Id header
  // The value of header `name` (lower case), or empty.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool authenticated = false;  // the request carried a valid credential: the connection keeps the long idle timeout
};

class HttpService {
 public:
  virtual ~HttpService() = default;
  virtual HttpResponse handle(const HttpRequest& request) = 0;
  // True when handling may wait (disk sync, read-your-writes): run it on a worker.
  virtual bool blocks(const HttpRequest& request) const = 0;
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;                 // 0: any free port (see HttpServer::port)
  int io_threads = 2;
  int worker_threads = 64;                   // blocking requests at once (group commit wants many)
  std::size_t max_queued_requests = 4096;    // blocking requests waiting for a worker
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_client = 128;     // from one client address
  std::chrono::milliseconds unauthenticated_idle_timeout{5'000};
  std::chrono::milliseconds read_timeout{10'000};   // to receive one whole request
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive between requests
};

struct HttpServerStats {
  std::uint64_t connections_open = 0, connections_total = 0, connections_refused = 0, connections_evicted = 0;
  std::uint64_t requests = 0, refused_too_large = 0, refused_bad_request = 0, refused_busy = 0, timeouts = 0;
  std::uint64_t internal_errors = 0;
};

class HttpServer {
 public:
  // Binds and starts serving at once. Errors: "http_bind" naming the address.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options, HttpService& service);
  ~HttpServer();  // shutdown() with a short drain if not called
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  HttpServerStats stats() const;
  // Graceful stop: no new connections, in-flight requests finish (up to
  // `drain`), keep-alive connections are closed after their current response.
  void shutdown(std::chrono::milliseconds drain = std::chrono::seconds(10));

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace spine::http
