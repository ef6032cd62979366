#include "net/line_reader.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace paxos::net {

struct LineReader::State {
  std::mutex mutex;
  std::condition_variable room;  // the taker took lines: the reader may read again
  std::deque<std::string> lines;
  bool ended = false;
  std::optional<std::string> error;
  bool closed = false;  // the LineReader is gone: the io_context may be too, post nothing
  bool posted = false;  // a wake-up is queued on the io_context and has not run yet
  size_t capacity = 0;
  asio::io_context* io = nullptr;
  std::function<void()> onReady;
};

namespace {

constexpr size_t kChunk = 64 * 1024;  // one read(); at most this many lines beyond capacity

// Splits what read() returns into lines, as std::getline would; a line over maxLine bytes is
// counted to its end (to name its length) but not kept.
class Splitter {
 public:
  explicit Splitter(size_t maxLine) : maxLine_(maxLine) {}

  // Appends the complete lines of `bytes` to `lines`; false (and `error` set) at a long line.
  bool feed(const char* bytes, size_t size, std::vector<std::string>& lines,
            std::optional<std::string>& error) {
    while (size > 0) {
      const char* newline = static_cast<const char*>(std::memchr(bytes, '\n', size));
      size_t length = newline ? size_t(newline - bytes) : size;
      lineBytes_ += length;
      if (lineBytes_ <= maxLine_)
        partial_.append(bytes, length);
      else
        std::string().swap(partial_);
      if (!newline) return true;
      if (!endLine(lines, error)) return false;
      bytes = newline + 1;
      size -= length + 1;
    }
    return true;
  }

  // At the end of the input: the last line, if it has no '\n'.
  bool finish(std::vector<std::string>& lines, std::optional<std::string>& error) {
    return lineBytes_ == 0 || endLine(lines, error);
  }

 private:
  bool endLine(std::vector<std::string>& lines, std::optional<std::string>& error) {
    ++lineNumber_;
    if (lineBytes_ > maxLine_) {
      error = fmt::format("stdin line {} is {} bytes; at most {} fit a message", lineNumber_,
                          lineBytes_, maxLine_);
      return false;
    }
    lines.push_back(std::move(partial_));
    partial_.clear();
    lineBytes_ = 0;
    return true;
  }

  size_t maxLine_;
  std::string partial_;
  size_t lineBytes_ = 0;  // of the line being read, kept or not
  size_t lineNumber_ = 0;
};

}  // namespace

void LineReader::readLines(const std::shared_ptr<State>& s, int fd, size_t maxLine) {
  Splitter splitter(maxLine);
  std::vector<char> buffer(kChunk);
  for (;;) {
    {
      std::unique_lock lock(s->mutex);
      s->room.wait(lock, [&] { return s->closed || s->lines.size() < s->capacity; });
      if (s->closed) return;
    }
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    std::vector<std::string> fresh;
    std::optional<std::string> error;
    bool end = n <= 0;
    if (n < 0)
      error = fmt::format("cannot read stdin: {}", std::strerror(errno));
    else if (n > 0)
      end = !splitter.feed(buffer.data(), size_t(n), fresh, error);
    else
      splitter.finish(fresh, error);
    std::lock_guard lock(s->mutex);
    if (s->closed) return;
    for (auto& line : fresh) s->lines.push_back(std::move(line));
    if (end) {
      s->ended = true;
      s->error = std::move(error);
    }
    if ((end || !fresh.empty()) && !s->posted) {
      s->posted = true;
      asio::post(*s->io, [s] {
        {
          std::lock_guard lock(s->mutex);
          s->posted = false;
          if (s->closed) return;
        }
        s->onReady();
      });
    }
    if (end) return;
  }
}

LineReader::LineReader(asio::io_context& io, int fd, size_t maxLine, size_t capacity,
                       std::function<void()> onReady)
    : state_(std::make_shared<State>()) {
  state_->capacity = std::max<size_t>(capacity, 1);
  state_->io = &io;
  state_->onReady = std::move(onReady);
  // The thread takes no signals: SIGINT/SIGTERM stay with the io_context's thread (asio's
  // signal_set), and read() is not interrupted.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  std::thread(readLines, state_, fd, maxLine).detach();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

LineReader::~LineReader() {
  {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
  }
  state_->room.notify_one();
}

LineReader::Taken LineReader::take(size_t most) {
  Taken taken;
  bool room = false;
  {
    std::lock_guard lock(state_->mutex);
    auto& lines = state_->lines;
    while (taken.lines.size() < most && !lines.empty()) {
      taken.lines.push_back(std::move(lines.front()));
      lines.pop_front();
    }
    taken.ended = state_->ended && lines.empty();
    if (taken.ended) taken.error = state_->error;
    // Only a queue below capacity lets the thread read on: waking it for less costs the taker
    // a system call and the thread a wake-up for every line taken.
    room = !taken.lines.empty() && lines.size() < state_->capacity;
  }
  if (room) state_->room.notify_one();
  return taken;
}

}  // namespace paxos::net
