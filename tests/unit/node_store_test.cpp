// The acceptor's durable state (storage/node_store): what one run saves, the next recovers
// exactly; anything that is not a file of this cluster and this UID, whole but for a torn last
// append, is refused, because an acceptor that trusts a wrong or torn promise silently breaks
// agreement. A torn last append (a crash before its fsync returned, so before its replies left)
// is recovered as the state before it.
#include "storage/node_store.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "wire/bytes.hpp"

using paxos::core::AcceptorState;
using paxos::core::DurableState;
using paxos::storage::NodeStore;
using paxos::storage::StorageError;
namespace fs = std::filesystem;

namespace paxos::test {
namespace {

constexpr uint32_t kUid = 3;
constexpr uint64_t kHostsHash = 0x0123456789abcdef;
// These tests read and cut the file byte by byte: no zeros allocated ahead of the records (one
// test below checks the allocation itself).
constexpr uint64_t kExact = 0;

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
  return NodeStore(dir.str(), uid, hash, true, kExact).state();
}

// Writes the sample state and returns the file's bytes.
std::vector<char> savedSample(const TempDir& dir) {
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(step(sampleChanges()));
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

// The state a new store on `dir` recovers, every part of it.
DurableState recoverAll(const TempDir& dir) {
  return NodeStore(dir.str(), kUid, kHostsHash, true, kExact).durable();
}

void checkSame(const DurableState& got, const DurableState& want) {
  CHECK(got.acceptor == want.acceptor);
  CHECK(got.proposerRound == want.proposerRound);
  CHECK((got.promisedAll == want.promisedAll));
  CHECK(got.trimmedBelow == want.trimmedBelow);
}

// A step with several changes of every kind, to be made durable all together or not at all.
core::Outbox mixedStep() {
  core::Outbox out;
  out.persist = {{1, {.promised = {9, 2}, .acceptedBallot = {9, 2}, .acceptedValue = "nine"}},
                 {77, promiseOnly(9, 2)}};
  out.persistRound = 12;
  out.persistPromisedAll = wire::Ballot{9, 2};
  return out;
}

// A record's first 8 bytes are its length and the length's checksum; its last 4, its checksum.
constexpr size_t kRecordHead = 8;

}  // namespace

TEST_CASE("store: a fresh directory is created, recovers nothing, and has no file until a save") {
  TempDir dir;
  NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
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
  NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
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
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(step({{0, longest}}));
  CHECK(recover(dir) == State{{0, longest}});
}

TEST_CASE("store: a later save of one instance replaces it and keeps the others") {
  TempDir dir;
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(step(sampleChanges()));
  AcceptorState newer{.promised = {8, 0}, .acceptedBallot = {8, 0}, .acceptedValue = "v8"};
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);  // a restarted acceptor
    store.save(step({{1, newer}}));
  }
  State expected = asState(sampleChanges());
  expected[1] = newer;
  CHECK(recover(dir) == expected);
}

TEST_CASE("store: each UID has its own file in a shared directory") {
  TempDir dir;
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(step(sampleChanges()));
  NodeStore(dir.str(), kUid + 1, kHostsHash, true, kExact).save(step({{0, promiseOnly(1, 1)}}));
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
  NodeStore(dir.str(), kUid + 1, kHostsHash, true, kExact).save(step(sampleChanges()));
  fs::copy_file(dir.stateFile(kUid + 1), dir.stateFile(kUid));
  std::string error = refusal(dir);
  CHECK(error.find("written by UID " + std::to_string(kUid + 1)) != std::string::npos);
}

// The first save writes a snapshot and renames it into place whole: no crash tears it.
TEST_CASE("store: a first save's file torn at any length is refused, never read as smaller") {
  TempDir dir;
  std::vector<char> whole = savedSample(dir);
  for (size_t length = 0; length < whole.size(); ++length) {
    writeBytes(dir.stateFile(), {whole.begin(), whole.begin() + length});
    std::string error = refusal(dir);
    CHECK_MESSAGE(!error.empty(), "torn at " << length << " of " << whole.size() << " bytes");
    if (error.empty()) break;  // one report is enough
  }
}

TEST_CASE("store: one changed byte anywhere in a first save's file is refused") {
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

TEST_CASE("store: a later save appends one record and leaves the earlier bytes alone") {
  TempDir dir;
  NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
  store.save(step(sampleChanges()));
  std::vector<char> first = readBytes(dir.stateFile());
  store.save(step({{5, promiseOnly(1, 0)}}));
  std::vector<char> second = readBytes(dir.stateFile());
  REQUIRE(second.size() > first.size());
  CHECK(std::equal(first.begin(), first.end(), second.begin()));
  CHECK(second.size() - first.size() < 100);  // one slot, not the whole state again
}

TEST_CASE("store: an append torn anywhere recovers the state before it, and the next save works") {
  TempDir dir;
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
    store.save(step(sampleChanges()));  // A
  }
  std::vector<char> a = readBytes(dir.stateFile());
  DurableState stateA = recoverAll(dir);
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(mixedStep());  // B, on top of A
  std::vector<char> ab = readBytes(dir.stateFile());
  // C on top of A alone: what a file with a torn B must turn into at C's save.
  core::Outbox c = step({{3, promiseOnly(4, 1)}});
  c.persistTrim = 1;
  writeBytes(dir.stateFile(), a);
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(c);
  std::vector<char> ac = readBytes(dir.stateFile());
  DurableState stateAC = recoverAll(dir);
  REQUIRE(stateAC.acceptor.count(0) == 0);  // the trim erased instance 0

  for (size_t length = a.size(); length < ab.size(); ++length) {
    CAPTURE(length);
    writeBytes(dir.stateFile(), {ab.begin(), ab.begin() + length});
    NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
    checkSame(store.durable(), stateA);  // none of B: it was one step
    store.save(c);
    CHECK(readBytes(dir.stateFile()) == ac);  // the torn bytes were cut, not built upon
    checkSame(recoverAll(dir), stateAC);
  }
  writeBytes(dir.stateFile(), ab);  // and whole, B is there
  DurableState stateAB = stateA;
  core::applyDurable(mixedStep(), stateAB);
  checkSame(recoverAll(dir), stateAB);
}

TEST_CASE("store: an append whose bytes never landed (zeros) is a torn append") {
  TempDir dir;
  std::vector<char> a = savedSample(dir);
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(mixedStep());
  std::vector<char> ab = readBytes(dir.stateFile());
  // The file system grew the file but wrote none, or only the start, of the record.
  for (size_t kept : {size_t(0), kRecordHead, ab.size() - a.size() - 4}) {
    CAPTURE(kept);
    std::vector<char> bytes = ab;
    std::fill(bytes.begin() + long(a.size() + kept), bytes.end(), '\0');
    writeBytes(dir.stateFile(), bytes);
    CHECK(recover(dir) == asState(sampleChanges()));
  }
  // Zeros after a whole file, too, whatever their number.
  writeBytes(dir.stateFile(), ab);
  DurableState stateAB = recoverAll(dir);
  for (size_t zeros : {size_t(1), size_t(7), size_t(8), size_t(4096)}) {
    CAPTURE(zeros);
    std::vector<char> bytes = ab;
    bytes.resize(bytes.size() + zeros, '\0');
    writeBytes(dir.stateFile(), bytes);
    checkSame(recoverAll(dir), stateAB);
  }
}

// A file system may write an append's later page back before its first, and grow the file.
TEST_CASE("store: an append whose start never landed (zeros, then the rest) is a torn append") {
  TempDir dir;
  std::vector<char> a = savedSample(dir);
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(mixedStep());
  std::vector<char> ab = readBytes(dir.stateFile());
  for (size_t lost : {kRecordHead, (ab.size() - a.size()) / 2, ab.size() - a.size() - 1}) {
    CAPTURE(lost);
    std::vector<char> bytes = ab;
    std::fill(bytes.begin() + long(a.size()), bytes.begin() + long(a.size() + lost), '\0');
    writeBytes(dir.stateFile(), bytes);
    CHECK(recover(dir) == asState(sampleChanges()));
  }
  // But zeros with a whole record after them are damage in the middle of the log.
  std::vector<char> bytes = a;
  bytes.resize(a.size() + 64, '\0');
  bytes.insert(bytes.end(), ab.begin() + long(a.size()), ab.end());
  writeBytes(dir.stateFile(), bytes);
  CHECK(refusal(dir).find("bad record length") != std::string::npos);
}

TEST_CASE("store: bytes after the last record that are not the start of one are refused") {
  TempDir dir;
  savedSample(dir);
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(mixedStep());
  std::vector<char> bytes = readBytes(dir.stateFile());
  bytes.insert(bytes.end(), 16, char(0xab));  // a length whose checksum fails, and not zeros
  writeBytes(dir.stateFile(), bytes);
  CHECK(refusal(dir).find("bad record length") != std::string::npos);
}

TEST_CASE("store: one changed byte in the header or any record but the last is refused") {
  TempDir dir;
  std::vector<char> a = savedSample(dir);
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(mixedStep());
  size_t lastStart = readBytes(dir.stateFile()).size();
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(step({{5, promiseOnly(1, 0)}}));
  std::vector<char> whole = readBytes(dir.stateFile());
  DurableState beforeLast = recoverAll(dir);
  beforeLast.acceptor.erase(5);
  for (uint8_t mask : {0x01, 0x80, 0xff}) {
    for (size_t at = 0; at < whole.size(); ++at) {
      CAPTURE(at);
      CAPTURE(int(mask));
      std::vector<char> bytes = whole;
      bytes[at] = char(bytes[at] ^ mask);
      writeBytes(dir.stateFile(), bytes);
      if (at < lastStart + kRecordHead) {
        CHECK_FALSE(refusal(dir).empty());
      } else {
        // The last record's payload or checksum: indistinguishable from an append torn by a
        // crash, so it is dropped, and only it.
        checkSame(recoverAll(dir), beforeLast);
      }
    }
  }
}

TEST_CASE("store: the proposer round, the promise for every slot and the trim survive") {
  TempDir dir;
  core::Outbox out;
  out.persistRound = 41;
  out.persistPromisedAll = wire::Ballot{6, 2};
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
    store.save(out);  // the first save: a snapshot
    store.save(step(sampleChanges()));
  }
  DurableState d = recoverAll(dir);
  CHECK(d.proposerRound == 41);
  CHECK((d.promisedAll == wire::Ballot{6, 2}));
  CHECK(d.trimmedBelow == 0);
  core::Outbox later;
  later.persistRound = 43;
  later.persistPromisedAll = wire::Ballot{7, 0};
  later.persistTrim = 2;
  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(later);  // an append
  d = recoverAll(dir);
  CHECK(d.proposerRound == 43);
  CHECK((d.promisedAll == wire::Ballot{7, 0}));
  CHECK(d.trimmedBelow == 2);
}

TEST_CASE("store: a trim erases the instances below it; a later save below it is kept") {
  TempDir dir;
  State expected = asState(sampleChanges());
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
    store.save(step(sampleChanges()));  // instances 0, 1, 42 and the largest
    core::Outbox trim;
    trim.persistTrim = 42;
    store.save(trim);
    expected.erase(0);
    expected.erase(1);
    CHECK(store.state() == expected);
    CHECK(recover(dir) == expected);
    store.save(step({{7, promiseOnly(3, 0)}}));  // as core::applyDurable does: kept until a trim
    expected[7] = promiseOnly(3, 0);
    CHECK(recover(dir) == expected);
  }
  // The same after a snapshot: replayed, its trim does not erase the slot saved after it.
  DurableState model = recoverAll(dir);
  NodeStore store(dir.str(), kUid, kHostsHash, false);
  for (int i = 0; i < 5000; ++i) {  // ~1.7 MiB of appends: at least one snapshot
    core::Outbox fill = step({{1000 + uint64_t(i) % 10,
                               {.promised = {1, 0},
                                .acceptedBallot = {1, 0},
                                .acceptedValue = std::string(300, char('a' + i % 26))}}});
    store.save(fill);
    core::applyDurable(fill, model);
  }
  CHECK(fs::file_size(dir.stateFile()) < (1 << 20));  // compacted
  checkSame(recoverAll(dir), model);
  CHECK(recover(dir).count(7) == 1);
}

TEST_CASE("store: a long stream of steps is compacted; the file stays bounded, the state exact") {
  TempDir dir;
  std::mt19937_64 random(7);
  DurableState model;
  uint64_t largest = 0;
  uint64_t shrinks = 0;
  {
    NodeStore store(dir.str(), kUid, kHostsHash, false);
    uint64_t previous = 0;
    for (uint64_t slot = 0; slot < 20000; ++slot) {  // multi mode: accept, trim behind
      core::Outbox out;
      std::string value(50 + random() % 200, char('a' + slot % 26));
      out.persist.push_back(
          {slot, {.promised = {3, 1}, .acceptedBallot = {3, 1}, .acceptedValue = value}});
      if (random() % 4 == 0) out.persist.push_back({slot + 1, promiseOnly(3, 1)});
      if (slot % 100 == 99) out.persistTrim = slot - 50;
      if (slot % 1000 == 0) out.persistRound = slot;
      if (slot % 3000 == 0) out.persistPromisedAll = wire::Ballot{slot, 1};
      store.save(out);
      core::applyDurable(out, model);
      uint64_t size = fs::file_size(dir.stateFile());
      largest = std::max(largest, size);
      shrinks += size < previous;
      previous = size;
    }
    checkSame(store.durable(), model);
  }
  CHECK(shrinks >= 3);  // ~4 MB appended in all
  // At most 4x a snapshot of the live state (~150 slots, ~30 KB) plus 1 MiB.
  CHECK(largest < (1 << 20) + 256 * 1024);
  checkSame(recoverAll(dir), model);
  CHECK(recoverAll(dir).acceptor.size() < 200);
  CHECK_FALSE(fs::exists(dir.stateFile() + ".tmp"));
}

TEST_CASE("store: random steps of every kind, with restarts, recover as core::applyDurable says") {
  TempDir dir;
  std::mt19937_64 random(11);
  DurableState model;
  for (int run = 0; run < 5; ++run) {
    NodeStore store(dir.str(), kUid, kHostsHash, false);
    checkSame(store.durable(), model);
    for (int i = 0; i < 3000; ++i) {
      core::Outbox out;
      for (uint64_t n = random() % 4; n > 0; --n) {
        uint64_t instance = model.trimmedBelow + random() % 400;
        if (random() % 10 == 0) instance = random() % (model.trimmedBelow + 1);  // below a trim
        std::string value(random() % 600, char('a' + random() % 26));
        out.persist.push_back({instance,
                               {.promised = {random() % 9 + 1, uint32_t(random() % 3)},
                                .acceptedBallot = {random() % 9, uint32_t(random() % 3)},
                                .acceptedValue = value}});
      }
      if (random() % 20 == 0) out.persistRound = random();
      if (random() % 20 == 0) out.persistPromisedAll = wire::Ballot{random() % 99, 1};
      if (random() % 50 == 0) out.persistTrim = model.trimmedBelow + random() % 100;
      store.save(out);
      core::applyDurable(out, model);
      if (i % 100 == 0) checkSame(recoverAll(dir), model);  // a reader beside the writer
    }
  }
  checkSame(recoverAll(dir), model);
}

TEST_CASE("store: a value longer than a message can carry is refused and nothing is saved") {
  TempDir dir;
  NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
  store.save(step(sampleChanges()));
  AcceptorState tooLong{.promised = {1, 0}, .acceptedBallot = {1, 0}, .acceptedValue = ""};
  tooLong.acceptedValue = std::string(8193, 'x');
  CHECK_THROWS_AS(store.save(step({{9, tooLong}})), StorageError);
  CHECK(store.state() == asState(sampleChanges()));
  CHECK(recover(dir) == asState(sampleChanges()));
}

// Version 3 wrote the whole state, then a CRC-32 of it, at every save.
TEST_CASE("store: a version 3 file is read, and rewritten as version 4 at the next save") {
  TempDir dir;
  fs::create_directories(dir.str());
  std::vector<uint8_t> bytes;
  wire::Writer w(bytes);
  w.u32(0x53415850);
  w.u8(3);
  w.u64(kHostsHash);
  w.u32(kUid);
  w.u64(5);          // proposer round
  w.ballot({4, 1});  // promisedAll
  w.u64(0);          // trimmedBelow
  w.u32(uint32_t(sampleChanges().size()));
  for (const auto& [instance, s] : sampleChanges()) {
    w.u64(instance);
    w.ballot(s.promised);
    w.ballot(s.acceptedBallot);
    w.bytes(s.acceptedValue);
  }
  uint32_t crc = 0xffffffff;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
  }
  w.u32(~crc);
  std::vector<char> v3(bytes.begin(), bytes.end());
  writeBytes(dir.stateFile(), v3);
  DurableState d = recoverAll(dir);
  CHECK(d.acceptor == asState(sampleChanges()));
  CHECK(d.proposerRound == 5);
  CHECK((d.promisedAll == wire::Ballot{4, 1}));

  std::vector<char> flipped = v3;
  flipped[20] ^= 1;
  writeBytes(dir.stateFile(), flipped);
  CHECK(refusal(dir).find("bad checksum") != std::string::npos);
  writeBytes(dir.stateFile(), v3);

  NodeStore(dir.str(), kUid, kHostsHash, true, kExact).save(step({{5, promiseOnly(1, 0)}}));
  CHECK(readBytes(dir.stateFile())[4] == 4);  // the version byte
  State expected = asState(sampleChanges());
  expected[5] = promiseOnly(1, 0);
  d = recoverAll(dir);
  CHECK(d.acceptor == expected);
  CHECK(d.proposerRound == 5);
}

TEST_CASE("store: a file of an unknown version is refused") {
  TempDir dir;
  std::vector<char> bytes = savedSample(dir);
  bytes[4] = 9;
  writeBytes(dir.stateFile(), bytes);
  CHECK(refusal(dir).find("not an acceptor state file") != std::string::npos);
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
    NodeStore store(dir.str(), kUid, kHostsHash, true, kExact);
    CHECK(store.state() == asState(sampleChanges()));
    // The next save removes the leftover rather than appending to it.
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
  CHECK_THROWS_AS(NodeStore(dir.str() + "/file/data", kUid, kHostsHash, true, kExact),
                  StorageError);
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

namespace paxos::test {

TEST_CASE(
    "store: the log is grown ahead of its appends, and zeros after the last record are "
    "neither damage nor cut: the next append goes over them") {
  TempDir dir;
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true);  // the default: a megabyte ahead
    store.save(step(sampleChanges()));
    store.save(step({{5, promiseOnly(1, 0)}}));
  }
  std::vector<char> bytes = readBytes(dir.stateFile());
  REQUIRE(bytes.size() >= NodeStore::kPreallocate);
  DurableState want = recoverAll(dir);
  CHECK(want.acceptor.count(5) == 1);
  {
    NodeStore store(dir.str(), kUid, kHostsHash, true);  // a restart: zeros after the records
    checkSame(store.durable(), want);
    store.save(step({{6, promiseOnly(2, 0)}}));
  }
  CHECK(readBytes(dir.stateFile()).size() == bytes.size());  // appended in place, not cut
  core::applyDurable(step({{6, promiseOnly(2, 0)}}), want);
  checkSame(recoverAll(dir), want);
}

}  // namespace paxos::test
