// HttpServer (server.h): binding, accepting within the connection limits,
// the exception barrier around the service, statistics and shutdown. One
// connection's life is in server_session.cc.
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <openssl/rand.h>

#include <cstdio>

#include "server_internal.h"
#include "spine/http/problem.h"

namespace spine::http {

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

namespace {

std::string random_prefix() {
  unsigned char bytes[4] = {};
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    for (std::size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(now >> (8 * i));
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out + "-";
}

// Written raw: a refused connection gets no session.
const std::string& too_many_connections() {
  static const std::string text = [] {
    const std::string body = problem(503, "too_many_connections", "", "the server is at its connection limit; retry").body;
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nConnection: close\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return text;
}

}  // namespace

HttpServer::Impl::Impl(HttpServerOptions opts, HttpService& svc)
    : options(std::move(opts)),
      service(svc),
      request_id_prefix(random_prefix()),
      contexts(make_contexts(options.io_threads)),
      acceptor(*contexts.front()),
      accept_retry(*contexts.front()),
      workers(static_cast<std::size_t>(options.worker_threads)) {
  for (auto& context : contexts) guards.emplace_back(asio::make_work_guard(*context));
}

std::vector<std::unique_ptr<asio::io_context>> HttpServer::Impl::make_contexts(int threads) {
  std::vector<std::unique_ptr<asio::io_context>> out;
  for (int i = 0; i < std::max(1, threads); ++i) out.push_back(std::make_unique<asio::io_context>(1));
  return out;
}

HttpResponse HttpServer::Impl::handle_safely(const HttpRequest& request) noexcept {
  std::string reason;
  try {
    return service.handle(request);
  } catch (const std::exception& error) {
    reason = error.what();
  } catch (...) {
    reason = "an exception of unknown type";
  }
  ++internal_errors;
  std::fprintf(stderr, "spine http: request %s (%s %.200s) failed: %s\n", request.id.c_str(), request.method.c_str(),
               request.target.c_str(), reason.c_str());
  try {
    return problem(500, "internal", "", "the request failed unexpectedly; it is logged as request " + request.id);
  } catch (...) {
    return HttpResponse{500, "application/problem+json", {}, R"({"code":"internal","status":500})"};
  }
}

HttpServer::Impl::SessionList::iterator HttpServer::Impl::register_session(const std::string& client,
                                                                          std::weak_ptr<Session> session) {
  std::lock_guard lock(sessions_mutex);
  ++per_client[client];
  return sessions.insert(sessions.end(), std::move(session));
}

void HttpServer::Impl::forget_session(SessionList::iterator where, const std::string& client) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(where);
  if (auto it = per_client.find(client); it != per_client.end() && --it->second == 0) per_client.erase(it);
}

bool HttpServer::Impl::make_room(const std::string& client) {
  // Sessions locked here are let go after the mutex: a last reference would
  // run ~Session, which takes the mutex.
  std::vector<std::shared_ptr<Session>> held;
  std::lock_guard lock(sessions_mutex);
  const auto mine = per_client.find(client);
  const bool client_full = mine != per_client.end() && mine->second >= options.max_connections_per_client;
  const bool server_full = open.load() >= options.max_connections;
  if (!client_full && !server_full) return true;
  for (const std::weak_ptr<Session>& weak : sessions) {  // oldest first
    auto session = weak.lock();
    if (!session || (client_full && session->client() != client)) continue;
    held.push_back(session);
    if (session->evict_if_idle()) {
      ++evicted;
      return true;
    }
  }
  return false;
}

void HttpServer::Impl::refuse_connection(tcp::socket socket) {
  ++refused;
  auto held = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*held, asio::buffer(too_many_connections()), [held](beast::error_code, std::size_t) {
    beast::error_code ignored;
    held->shutdown(tcp::socket::shutdown_both, ignored);
    held->close(ignored);
  });
}

void HttpServer::Impl::on_accepted(tcp::socket socket) {
  beast::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;  // gone already
  std::string client = peer.address().to_string();
  if (!make_room(client)) return refuse_connection(std::move(socket));
  std::make_shared<Session>(std::move(socket), std::move(client), *this)->start();
}

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(next_context(), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors or the like: back off instead of spinning.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) do_accept();
      });
      return;
    }
    on_accepted(std::move(socket));
    do_accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { shutdown(std::chrono::seconds(2)); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options, HttpService& service) {
  auto impl = std::make_unique<Impl>(std::move(options), service);
  const std::string where = impl->options.address + ":" + std::to_string(impl->options.port);
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(impl->options.address, ec);
  if (ec) return Error{"http_bind", "--http", "not an IP address: " + impl->options.address};
  const tcp::endpoint endpoint(address, impl->options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{"http_bind", "--http", "cannot listen on " + where + ": " + ec.message()};
  Impl* raw = impl.get();
  raw->do_accept();
  for (auto& context : raw->contexts) {
    raw->threads.emplace_back([context = context.get()] { context->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats s;
  s.connections_open = impl_->open;
  s.connections_total = impl_->total;
  s.connections_refused = impl_->refused;
  s.connections_evicted = impl_->evicted;
  s.requests = impl_->requests;
  s.refused_too_large = impl_->too_large;
  s.refused_bad_request = impl_->bad;
  s.refused_busy = impl_->busy;
  s.timeouts = impl_->timeouts;
  s.internal_errors = impl_->internal_errors;
  return s;
}

void HttpServer::shutdown(std::chrono::milliseconds drain) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  asio::post(*impl_->contexts.front(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (const std::weak_ptr<Session>& weak : impl_->sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (const auto& session : live) session->close_if_idle();
  live.clear();
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->workers.join();
  impl_->guards.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (std::thread& thread : impl_->threads) thread.join();
}

}  // namespace spine::http
