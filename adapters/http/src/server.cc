#include "spine/http/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "spine/http/problem.h"

namespace spine::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

namespace {

class Session;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions opts, HttpService& svc)
      : options(std::move(opts)),
        service(svc),
        contexts(make_contexts(options.io_threads)),
        acceptor(*contexts.front()),
        accept_retry(*contexts.front()),
        workers(static_cast<std::size_t>(options.worker_threads)) {
    for (auto& context : contexts) guards.emplace_back(asio::make_work_guard(*context));
  }

  // One io_context per I/O thread (concurrency hint 1: no scheduler locking
  // between threads); each connection lives on one of them, so its handlers
  // never run concurrently and need no strand.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < std::max(1, threads); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }
  asio::io_context& next_context() { return *contexts[next_context_index++ % contexts.size()]; }

  void do_accept();
  void register_session(Session* session, std::weak_ptr<Session> weak) {
    std::lock_guard lock(sessions_mutex);
    sessions.emplace(session, std::move(weak));
  }
  void forget_session(Session* session) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(session);
  }
  void refuse_connection(tcp::socket socket);

  HttpServerOptions options;
  HttpService& service;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;  // run() until shutdown
  std::size_t next_context_index = 0;  // only the accepting handler (context 0) touches it
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::thread_pool workers;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  bool stopped = false;
  std::atomic<std::uint64_t> open{0}, total{0}, refused{0}, requests{0}, too_large{0}, bad{0}, busy{0}, timeouts{0};
  std::atomic<std::size_t> queued{0};     // blocking requests waiting for or on a worker
  std::atomic<std::size_t> in_flight{0};  // requests read and not yet answered
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

namespace {

// One connection: wait for a request, read it within the limits, hand it to
// the service, write the answer, and again while keep-alive lasts.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    ++server_.open;
    ++server_.total;
  }
  ~Session() {
    server_.forget_session(this);
    --server_.open;
  }

  void start() {
    server_.register_session(this, weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // From shutdown(): close at once when idle; a busy session closes after its answer.
  void close_if_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->stream_.close();
      }
    });
  }

 private:
  void wait_for_request() {
    if (server_.stopping) return close();
    if (buffer_.size() > 0) return read_request();
    // The first request must come within the read timeout; later ones may wait the idle timeout.
    stream_.expires_after(first_ ? server_.options.read_timeout : server_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec) {
        if (ec == beast::error::timeout) ++self->server_.timeouts;
        return;  // closed, reset or timed out: the session ends
      }
      self->read_request();
    });
  }

  void read_request() {
    first_ = false;
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
    stream_.expires_after(server_.options.read_timeout);
    busy_ = true;
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      ++server_.too_large;
      return refuse(problem(413, "body_too_large", "body",
                            "the body exceeds " + std::to_string(server_.options.max_body_bytes) + " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      ++server_.too_large;
      return refuse(problem(431, "headers_too_large", "headers",
                            "the headers exceed " + std::to_string(server_.options.max_header_bytes) + " bytes"));
    }
    if (ec == beast::error::timeout) {
      ++server_.timeouts;
      return;  // the stream is closed already
    }
    if (ec && is_parse_error(ec) && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      ++server_.bad;
      return refuse(problem(400, "bad_request", "request", "malformed HTTP request: " + ec.message()));
    }
    if (ec) return close();
    ++server_.requests;
    ++server_.in_flight;
    bhttp::request<bhttp::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    auto request = std::make_shared<HttpRequest>();
    request->method = std::string(message.method_string().data(), message.method_string().size());
    request->target = std::string(message.target().data(), message.target().size());
    for (const auto& field : message) {
      request->headers.emplace_back(lower(std::string_view(field.name_string().data(), field.name_string().size())), std::string(field.value().data(), field.value().size()));
    }
    request->body = std::move(message.body());
    if (!server_.service.blocks(*request)) {
      return write(server_.service.handle(*request));
    }
    if (server_.queued.fetch_add(1) >= server_.options.max_queued_requests) {
      --server_.queued;
      ++server_.busy;
      return write(problem(503, "server_busy", "", "too many requests waiting; retry later"));
    }
    asio::post(server_.workers, [self = shared_from_this(), request] {
      HttpResponse response = self->server_.service.handle(*request);
      --self->server_.queued;
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
    });
  }

  void write(HttpResponse response) {
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    message->version(11);
    message->result(static_cast<unsigned>(response.status));
    message->set(bhttp::field::server, "spine");
    message->set(bhttp::field::content_type, response.content_type);
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

  // Answers a request that could not be read whole, then closes.
  void refuse(HttpResponse response) {
    keep_alive_ = false;
    ++server_.in_flight;
    write(std::move(response));
  }

  // Half-closes, then drains what the client still sends for a moment so that
  // it reads our answer instead of a reset (a "lingering close").
  void close() {
    busy_ = false;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    linger_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    drain();
  }

  void drain() {
    if (std::chrono::steady_clock::now() >= linger_until_) return stream_.close();
    stream_.expires_at(linger_until_);
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->stream_.close();
      self->drain();
    });
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_{64 * 1024};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::array<char, 4096> scratch_{};
  std::chrono::steady_clock::time_point linger_until_{};
  bool first_ = true;
  bool busy_ = false;
  bool keep_alive_ = false;
};

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

void HttpServer::Impl::refuse_connection(tcp::socket socket) {
  ++refused;
  auto held = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*held, asio::buffer(too_many_connections()),
                    [held](beast::error_code, std::size_t) {
                      beast::error_code ignored;
                      held->shutdown(tcp::socket::shutdown_both, ignored);
                      held->close(ignored);
                    });
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
    if (open.load() >= options.max_connections) {
      refuse_connection(std::move(socket));
    } else {
      std::make_shared<Session>(std::move(socket), *this)->start();
    }
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
  s.requests = impl_->requests;
  s.refused_too_large = impl_->too_large;
  s.refused_bad_request = impl_->bad;
  s.refused_busy = impl_->busy;
  s.timeouts = impl_->timeouts;
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
    for (auto& [raw, weak] : impl_->sessions) {
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
