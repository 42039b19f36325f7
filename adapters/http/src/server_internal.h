// HttpServer's implementation, shared by server.cc (accepting, connection
// accounting, shutdown) and server_session.cc (one connection) (internal).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "spine/http/server.h"

namespace spine::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

class Session;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions opts, HttpService& svc);

  // One io_context per I/O thread (concurrency hint 1: no scheduler locking
  // between threads); each connection lives on one of them, so its handlers
  // never run concurrently and need no strand.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int threads);
  asio::io_context& next_context() { return *contexts[next_context_index++ % contexts.size()]; }

  void do_accept();
  void on_accepted(tcp::socket socket);
  // Makes room for one more connection from `client` within both limits by
  // closing the oldest idle connection (of that client, else of all); false
  // when every connection that would have to go is busy.
  bool make_room(const std::string& client);
  void refuse_connection(tcp::socket socket);

  // Connection accounting, under sessions_mutex. Sessions are kept oldest first.
  using SessionList = std::list<std::weak_ptr<Session>>;
  SessionList::iterator register_session(const std::string& client, std::weak_ptr<Session> session);
  void forget_session(SessionList::iterator where, const std::string& client);

  // The service's answer, or 500 "internal" for whatever it throws.
  HttpResponse handle_safely(const HttpRequest& request) noexcept;
  std::string next_request_id() { return request_id_prefix + std::to_string(++request_counter); }

  HttpServerOptions options;
  HttpService& service;
  std::atomic<bool> stopping{false};
  bool stopped = false;
  std::atomic<std::uint64_t> open{0}, total{0}, refused{0}, evicted{0}, requests{0}, too_large{0}, bad{0}, busy{0},
      timeouts{0}, internal_errors{0};
  std::atomic<std::size_t> queued{0};     // blocking requests waiting for or on a worker
  std::atomic<std::size_t> in_flight{0};  // requests read and not yet answered
  std::string request_id_prefix;          // random per process: ids stay unique across restarts
  std::atomic<std::uint64_t> request_counter{0};

  std::mutex sessions_mutex;
  SessionList sessions;                                      // oldest first
  std::unordered_map<std::string, std::size_t> per_client;  // open connections by client address

  // Declared last, so destroyed first: sessions still held by pending
  // handlers end (and unregister above) while the accounting still exists.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;  // run() until shutdown
  std::size_t next_context_index = 0;  // only the accepting handler (context 0) touches it
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::thread_pool workers;
  std::vector<std::thread> threads;
};

// One connection: wait for a request, read it within the limits, hand it to
// the service, write the answer, and again while keep-alive lasts.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::string client, HttpServer::Impl& server);
  ~Session();

  void start();
  // Closes at once when idle; a busy session closes after its answer (shutdown).
  void close_if_idle();
  // From make_room(): true when this session is waiting between requests and
  // not already being evicted; it is then closed on its own thread.
  bool evict_if_idle();
  const std::string& client() const { return client_; }

 private:
  void wait_for_request();
  void read_request();
  void on_read(beast::error_code ec);
  void dispatch(std::shared_ptr<HttpRequest> request);
  void write(HttpResponse response);
  void refuse(HttpResponse response);
  void close();
  void drain();

  beast::tcp_stream stream_;
  std::string client_;
  HttpServer::Impl& server_;
  HttpServer::Impl::SessionList::iterator registration_;
  beast::flat_buffer buffer_{64 * 1024};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::array<char, 4096> scratch_{};
  std::chrono::steady_clock::time_point linger_until_{};
  std::string request_id_;
  bool first_ = true;
  bool busy_ = false;
  bool keep_alive_ = false;
  bool authenticated_ = false;    // some request on this connection carried a valid credential
  std::atomic<bool> idle_{false};  // waiting between requests (read by make_room on the accept thread)
  bool evicting_ = false;          // under the server's sessions_mutex
};

}  // namespace spine::http
