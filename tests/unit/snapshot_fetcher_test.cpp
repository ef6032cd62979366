// SnapshotFetcher's reading of a peer's GET /v1/snapshot answer (docs/KV.md#snapshots-and-
// compaction): only a whole 200 response is a snapshot; anything cut short or refused is an error
// that sends the replica to the next peer.
#include "service/snapshot_fetcher.hpp"

#include <doctest/doctest.h>

using paxos::service::SnapshotFetcher;

TEST_CASE(
    "snapshot fetcher: a whole 200 answer is the body; a short, refused or chunked one is "
    "an error") {
  std::string body, error;
  CHECK(SnapshotFetcher::parse(
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Snapshot-Slot: 40\r\n\r\nabc", body, error));
  CHECK(body == "abc");
  // Without Content-Length the body runs to the end of the stream (Connection: close).
  CHECK(SnapshotFetcher::parse("HTTP/1.1 200 OK\r\n\r\n\x01\x02", body, error));
  CHECK(body == "\x01\x02");
  // The connection broke before the whole body came.
  CHECK_FALSE(
      SnapshotFetcher::parse("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nabc", body, error));
  CHECK(body.empty());
  CHECK_FALSE(SnapshotFetcher::parse("HTTP/1.1 503 Service Unavailable\r\n\r\n", body, error));
  CHECK(error == "answered 503 Service Unavailable");
  CHECK_FALSE(SnapshotFetcher::parse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", body, error));
  CHECK_FALSE(SnapshotFetcher::parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", body, error));
  CHECK_FALSE(SnapshotFetcher::parse("SSH-2.0-OpenSSH\r\n\r\n", body, error));
}
