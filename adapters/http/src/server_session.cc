// One HTTP connection (server_internal.h): reads requests within the limits,
// refuses framing that could smuggle a request, hands each request to the
// service and writes the answers while keep-alive lasts.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "request_reading.h"
#include "server_internal.h"
#include "spine/http/problem.h"

namespace spine::http {

namespace {

internal::ReadLimits read_limits(const HttpServerOptions& options) {
  return {options.max_body_bytes, options.max_header_bytes};
}

}  // namespace

Session::Session(tcp::socket socket, std::string client, HttpServer::Impl& server)
    : stream_(std::move(socket)), client_(std::move(client)), server_(server) {
  ++server_.open;
  ++server_.total;
}

Session::~Session() {
  server_.forget_session(registration_, client_);
  --server_.open;
}

void Session::start() {
  registration_ = server_.register_session(client_, weak_from_this());
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
}

void Session::close_if_idle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    }
  });
}

bool Session::evict_if_idle() {
  if (evicting_ || !idle_.load()) return false;
  evicting_ = true;
  close_if_idle();
  return true;
}

void Session::wait_for_request() {
  if (server_.stopping) return close();
  if (buffer_.size() > 0) return read_request();
  // The first request must come within the read timeout; later ones may wait
  // the idle timeout, a short one until a request was authenticated.
  const auto timeout = first_ ? server_.options.read_timeout
                              : (authenticated_ ? server_.options.idle_timeout
                                                : server_.options.unauthenticated_idle_timeout);
  stream_.expires_after(timeout);
  idle_ = !first_;
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->idle_ = false;
    self->buffer_.commit(n);
    if (ec) {
      if (ec == beast::error::timeout) ++self->server_.timeouts;
      return;  // closed, reset or timed out: the session ends
    }
    self->read_request();
  });
}

void Session::read_request() {
  first_ = false;
  parser_.emplace();
  internal::apply_limits(*parser_, read_limits(server_.options));
  stream_.expires_after(server_.options.read_timeout);
  busy_ = true;
  request_id_ = server_.next_request_id();
  bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

void Session::on_read(beast::error_code ec) {
  switch (internal::judge_read(ec, *parser_)) {
    case internal::ReadOutcome::request:
      break;
    case internal::ReadOutcome::refused_too_large:
      ++server_.too_large;
      return refuse(internal::refusal_for(ec, read_limits(server_.options)));
    case internal::ReadOutcome::refused_malformed:
      ++server_.bad;
      return refuse(internal::refusal_for(ec, read_limits(server_.options)));
    case internal::ReadOutcome::timed_out:
      ++server_.timeouts;
      return;  // the stream is closed already
    case internal::ReadOutcome::ended:
      return close();
  }
  ++server_.requests;
  ++server_.in_flight;
  bhttp::request<bhttp::string_body> message = parser_->release();
  keep_alive_ = message.keep_alive();
  dispatch(std::make_shared<HttpRequest>(internal::to_request(std::move(message), request_id_)));
}

// Runs the request here when it cannot block, else on the worker pool.
void Session::dispatch(std::shared_ptr<HttpRequest> request) {
  bool blocks = true;
  try {
    blocks = server_.service.blocks(*request);
  } catch (...) {
    blocks = true;  // let handle_safely answer it
  }
  if (!blocks) return write(server_.handle_safely(*request));
  if (server_.queued.fetch_add(1) >= server_.options.max_queued_requests) {
    --server_.queued;
    ++server_.busy;
    return write(problem(503, "server_busy", "", "too many requests waiting; retry later"));
  }
  asio::post(server_.workers, [self = shared_from_this(), request] {
    HttpResponse response = self->server_.handle_safely(*request);
    --self->server_.queued;
    asio::post(self->stream_.get_executor(),
               [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
  });
}

void Session::write(HttpResponse response) {
  authenticated_ = authenticated_ || response.authenticated;
  auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
  message->version(11);
  message->result(static_cast<unsigned>(response.status));
  message->set(bhttp::field::server, "spine");
  message->set(bhttp::field::content_type, response.content_type);
  message->set("Spine-Request-Id", request_id_);
  for (const auto& [name, value] : response.headers) message->set(name, value);
  message->body() = std::move(response.body);
  message->keep_alive(keep_alive_ && !server_.stopping);
  message->prepare_payload();
  stream_.expires_after(server_.options.read_timeout);  // a client that never reads cannot hold us
  bhttp::async_write(stream_, *message, [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
    --self->server_.in_flight;
    self->busy_ = false;
    if (ec || !message->keep_alive()) return self->close();
    self->wait_for_request();
  });
}

// Answers a request that could not be read whole or trusted, then closes.
void Session::refuse(HttpResponse response) {
  keep_alive_ = false;
  ++server_.in_flight;
  write(std::move(response));
}

// Half-closes, then drains what the client still sends for a moment so that
// it reads our answer instead of a reset (a "lingering close").
void Session::close() {
  busy_ = false;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  linger_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  drain();
}

void Session::drain() {
  if (std::chrono::steady_clock::now() >= linger_until_) return stream_.close();
  stream_.expires_at(linger_until_);
  stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->stream_.close();
    self->drain();
  });
}

}  // namespace spine::http
