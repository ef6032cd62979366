// Reads lines from a file descriptor (clidriver: stdin) as they arrive and hands them, in order,
// to the io_context's thread, never more than `capacity` lines ahead of the one taking them: a
// taker that takes only when it has room keeps memory bounded however long the input is.
//
// Why a thread that blocks in read(), and not asio's posix::stream_descriptor: stdin may be a
// pipe, a tty, a regular file or /dev/null. epoll refuses regular files and /dev/null, so
// stream_descriptor cannot wait on them, and on a tty it would set O_NONBLOCK on the file
// description the shell shares (the shell's next read then fails). A blocking read() works on
// all of them alike, and a full queue that the thread waits on is the back-pressure.
//
// Lines are split as std::getline splits them: each '\n' ends a value (an empty line is an
// empty value), a last line without '\n' is a value too, and a trailing '\n' adds none.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace paxos::net {

class LineReader {
 public:
  // Starts reading fd on a thread of its own. `onReady` runs on the io_context's thread (posted
  // to it) each time lines, the end of the input, or an error have come. A line longer than
  // maxLine bytes ends the input with an error naming it (the lines before it are delivered).
  LineReader(asio::io_context& io, int fd, size_t maxLine, size_t capacity,
             std::function<void()> onReady);
  // Stops posting. A thread still blocked in read() (a tty or a pipe that has not ended) is
  // left to the process's exit: it touches nothing but its own shared state.
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  struct Taken {
    std::vector<std::string> lines;
    bool ended = false;                // the input ended and every line is taken
    std::optional<std::string> error;  // with ended: why it ended early (else it ended at EOF)
  };
  // Up to `most` of the lines read so far, oldest first. Call from the io_context's thread.
  Taken take(size_t most);

 private:
  struct State;  // shared with the reading thread, which may outlive this object
  static void readLines(const std::shared_ptr<State>& state, int fd, size_t maxLine);
  std::shared_ptr<State> state_;
};

}  // namespace paxos::net
