// The acceptor's durable state (storage/node_store): what one run saves, the next recovers
// exactly; anything that is not a whole file of this cluster and this UID is refused, because
// an acceptor that trusts a wrong or torn promise silently breaks agreement.
#include "storage/node_store.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

using paxos::core::AcceptorState;
using paxos::storage::NodeStore;
using paxos::storage::StorageError;
namespace fs = std::filesystem;

namespace paxos::test {
namespace {

constexpr uint32_t kUid = 3;
constexpr uint64_t kHostsHash = 0x0123456789abcdef;

// A directory name per test, unique across processes and tests, removed afterwards. The
// directory is not created here: the store must create it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("paxos-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
             "-" + std::to_string(std::random_device{}()));
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string str() const { return path_.string(); }
  std::string stateFile(uint32_t uid = kUid) const {
    return str() + "/node-" + std::to_string(uid) + ".state";
  }

 private:
  fs::path path_;
};

using State = std::map<uint64_t, AcceptorState>;
using Changes = std::vector<std::pair<uint64_t, AcceptorState>>;

// A promise without an acceptance.
AcceptorState promiseOnly(uint64_t round, uint32_t uid) {
  return {.promised = {round, uid}, .acceptedBallot = {}, .acceptedValue = ""};
}

std::string binaryValue() {
  std::string value;
  for (int b = 0; b < 256; ++b) value.push_back(char(b));  // NUL, newline, 0xff: all of them
  return value;
}

// Several instances: an accepted binary value, a promise only, an accepted empty value, and
// the largest instance and ballot. Small, so that every byte of its file can be torn or flipped.
Changes sampleChanges() {
  return {
      {0, {.promised = {7, 1}, .acceptedBallot = {5, 0}, .acceptedValue = binaryValue()}},
      {1, promiseOnly(2, 0)},
      {42, {.promised = {3, 1}, .acceptedBallot = {3, 1}, .acceptedValue = ""}},
      {~uint64_t{0},
       {.promised = {~uint64_t{0}, ~uint32_t{0}}, .acceptedBallot = {9, 1}, .acceptedValue = "z"}},
  };
}

// One step that persists `changes`, as an acceptor's Outbox would.
core::Outbox step(Changes changes) {
  core::Outbox out;
  out.persist = std::move(changes);
  return out;
}

State asState(const Changes& changes) {
  return State(changes.begin(), changes.end());
}

std::vector<char> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeBytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
}

// The state a new store on `dir` recovers, as a fresh process would.
State recover(const TempDir& dir, uint32_t uid = kUid, uint64_t hash = kHostsHash) {
  return NodeStore(dir.str(), uid, hash, true).state();
}

// Writes the sample state and returns the file's bytes.
std::vector<char> savedSample(const TempDir& dir) {
  NodeStore(dir.str(), kUid, kHostsHash, true).save(step(sampleChanges()));
  return readBytes(dir.stateFile());
}

// The error a new store on `dir` refuses to start with ("" if it starts).
std::string refusal(const TempDir& dir) {
  try {
    recover(dir);
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("store: a fresh directory is created, recovers nothing, and has no file until a save") {
  TempDir dir;
  NodeStore store(dir.str(), kUid, kHostsHash, true);
  CHECK(fs::is_directory(dir.str()));
  CHECK(store.state().empty());
  CHECK(store.path() == dir.stateFile());
  CHECK_FALSE(fs::exists(store.path()));
  store.save(step({{0, promiseOnly(1, 0)}}));
  CHECK(fs::exists(store.path()));
  CHECK_FALSE(fs::exists(store.path() + ".tmp"));  // renamed into place, not left behind
}

TEST_CASE("store: a new store on the same directory recovers exactly what was saved") {
  TempDir dir;
  NodeStore store(dir.str(), kUid, kHostsHash, true);
  store.save(step(sampleChanges()));
  CHECK(store.state() == asState(sampleChanges()));
  State recovered = recover(dir);
  CHECK(recovered == asState(sampleChanges()));
  CHECK(recovered.at(0).acceptedValue.size() == 256);  // NUL bytes did not end the value
}

TEST_CASE("store: the longest value a message can carry is recovered") {
  TempDir dir;
  AcceptorState longest{.promised = {1, 0}, .acceptedBallot = {1, 0}, .acceptedValue = ""};
  longest.acceptedValue = std::string(8192, '\xff');  // wire::kMaxBytes
  NodeStore(dir.str(), kUid, kHostsHash, true).save(step({{0, longest}}));
  CHECK(recover(dir) == State{{0, longest}});
}

TEST_CASE("store: a later save of one instance replaces it and keeps the others") {
  TempDir dir;
  NodeStore(dir.str(), kUid, kHostsHash, true).save(step(sampleChanges()));
  AcceptorState newer{.promised = {8, 0}, .acceptedBallot = {8, 0}, .acceptedValue = "v8"};
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true);  // a restarted acceptor
    store.save(step({{1, newer}}));
  }
  State expected = asState(sampleChanges());
  expected[1] = newer;
  CHECK(recover(dir) == expected);
}

TEST_CASE("store: each UID has its own file in a shared directory") {
  TempDir dir;
  NodeStore(dir.str(), kUid, kHostsHash, true).save(step(sampleChanges()));
  NodeStore(dir.str(), kUid + 1, kHostsHash, true).save(step({{0, promiseOnly(1, 1)}}));
  CHECK(recover(dir) == asState(sampleChanges()));
  CHECK(recover(dir, kUid + 1) == State{{0, promiseOnly(1, 1)}});
}

TEST_CASE("store: a file written by another cluster (hosts hash) is refused") {
  TempDir dir;
  NodeStore(dir.str(), kUid, kHostsHash + 1, true).save(step(sampleChanges()));
  std::string error = refusal(dir);
  CHECK(error.find("another cluster") != std::string::npos);
  CHECK(error.find(dir.stateFile()) != std::string::npos);  // says which file
  CHECK(error.find('\n') == std::string::npos);             // one line
}

TEST_CASE("store: another UID's file copied to this UID's name is refused") {
  TempDir dir;
  NodeStore(dir.str(), kUid + 1, kHostsHash, true).save(step(sampleChanges()));
  fs::copy_file(dir.stateFile(kUid + 1), dir.stateFile(kUid));
  std::string error = refusal(dir);
  CHECK(error.find("written by UID " + std::to_string(kUid + 1)) != std::string::npos);
}

TEST_CASE("store: a file torn at any length is refused, never read as a smaller state") {
  TempDir dir;
  std::vector<char> whole = savedSample(dir);
  for (size_t length = 0; length < whole.size(); ++length) {
    writeBytes(dir.stateFile(), {whole.begin(), whole.begin() + length});
    std::string error = refusal(dir);
    CHECK_MESSAGE(!error.empty(), "torn at " << length << " of " << whole.size() << " bytes");
    if (error.empty()) break;  // one report is enough
  }
}

TEST_CASE("store: one changed byte anywhere in the file is refused") {
  TempDir dir;
  std::vector<char> whole = savedSample(dir);
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (size_t at = 0; at < whole.size(); ++at) {
      std::vector<char> bytes = whole;
      bytes[at] = char(bytes[at] ^ mask);
      writeBytes(dir.stateFile(), bytes);
      std::string error = refusal(dir);
      CHECK_MESSAGE(!error.empty(), "byte " << at << " xor " << int(mask));
      if (error.empty()) return;
    }
  }
  writeBytes(dir.stateFile(), whole);  // and the untouched file is still fine
  CHECK(recover(dir) == asState(sampleChanges()));
}

TEST_CASE("store: trailing bytes after a whole file are refused") {
  TempDir dir;
  std::vector<char> bytes = savedSample(dir);
  bytes.push_back('\0');
  writeBytes(dir.stateFile(), bytes);
  CHECK_FALSE(refusal(dir).empty());
}

TEST_CASE("store: a leftover .tmp from a crash in the middle of a save is ignored") {
  TempDir dir;
  std::vector<char> old = savedSample(dir);
  // The crash came while writing the next state: the temporary holds half of it (or all of
  // it, not yet renamed); either way the old state is what was promised.
  for (size_t length : {size_t(0), old.size() / 2, old.size()}) {
    std::vector<char> partial(old.begin(), old.begin() + length);
    if (!partial.empty()) partial.back() ^= 1;
    writeBytes(dir.stateFile() + ".tmp", partial);
    NodeStore store(dir.str(), kUid, kHostsHash, true);
    CHECK(store.state() == asState(sampleChanges()));
    // The next save overwrites the leftover rather than appending to it.
    store.save(step({{5, promiseOnly(1, 0)}}));
    CHECK_FALSE(fs::exists(dir.stateFile() + ".tmp"));
    State expected = asState(sampleChanges());
    expected[5] = promiseOnly(1, 0);
    CHECK(recover(dir) == expected);
    writeBytes(dir.stateFile(), old);  // back to the sample for the next length
  }
}

TEST_CASE("store: without sync the state is still written and recovered") {
  TempDir dir;
  NodeStore store(dir.str(), kUid, kHostsHash, false);
  store.save(step(sampleChanges()));
  CHECK(fs::exists(dir.stateFile()));
  CHECK(NodeStore(dir.str(), kUid, kHostsHash, false).state() == asState(sampleChanges()));
  CHECK(recover(dir) == asState(sampleChanges()));  // the same format as with fsync
}

TEST_CASE("store: a directory that cannot be created is a StorageError") {
  TempDir dir;
  fs::create_directories(dir.str());
  std::ofstream(dir.str() + "/file") << "not a directory";
  CHECK_THROWS_AS(NodeStore(dir.str() + "/file/data", kUid, kHostsHash, true), StorageError);
}

TEST_CASE("store: a state file that exists but cannot be read is refused, not taken as empty") {
  TempDir dir;
  savedSample(dir);
  fs::permissions(dir.stateFile(), fs::perms::none);
  if (::geteuid() == 0) {
    MESSAGE("running as root: permissions do not stop reading; case skipped");
    return;
  }
  CHECK(refusal(dir).find("cannot read") != std::string::npos);
}

}  // namespace paxos::test
