// The state file's bytes (storage/record_codec) without a disk. Recovery's damage rules are
// tested through the store (node_store_test); here, that every kind of record decodes to what
// core::applyDurable makes of it, and that the size compaction weighs is the snapshot's.
#include "storage/record_codec.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace paxos::test {
namespace {

using core::DurableState;
using core::Outbox;
using storage::decodeFile;
using storage::encodeSnapshot;
using storage::encodeStep;

constexpr uint64_t kHash = 0x0123456789abcdef;
constexpr uint32_t kUid = 3;

TEST_CASE("codec: a snapshot and a step of every kind decode to core::applyDurable's state") {
  DurableState want;
  want.acceptor[4] = {
      .promised = {7, 1}, .acceptedBallot = {5, 0}, .acceptedValue = std::string("a\0b", 3)};
  want.acceptor[9] = {.promised = {8, 2}, .acceptedBallot = {}, .acceptedValue = ""};
  want.proposerRound = 6;
  want.promisedAll = {5, 1};
  want.trimmedBelow = 2;
  std::vector<uint8_t> bytes = encodeSnapshot(want, kHash, kUid);
  CHECK(storage::snapshotSize(want) == bytes.size());

  Outbox step;
  step.persist = {{1, {.promised = {9, 2}, .acceptedBallot = {9, 2}, .acceptedValue = "x"}},
                  {12, {.promised = {9, 2}, .acceptedBallot = {}, .acceptedValue = ""}}};
  step.persistRound = 12;
  step.persistPromisedAll = wire::Ballot{9, 2};
  step.persistTrim = 5;  // erases instance 4 and the 1 just saved, keeps 9 and 12
  std::vector<uint8_t> record = encodeStep(step);
  bytes.insert(bytes.end(), record.begin(), record.end());
  core::applyDurable(step, want);

  storage::DecodedFile got = decodeFile(bytes, kHash, kUid);
  CHECK(got.end == bytes.size());
  CHECK_FALSE(got.previousVersion);
  CHECK(got.state.acceptor == want.acceptor);
  CHECK(got.state.acceptor.size() == 2);
  CHECK(got.state.proposerRound == 12);
  CHECK((got.state.promisedAll == wire::Ballot{9, 2}));
  CHECK(got.state.trimmedBelow == 5);
}

}  // namespace
}  // namespace paxos::test
