// A disk with a page cache under storage::FileSystem, for power-cut tests, as LevelDB's
// FaultInjectionTestEnv and the ALICE study (Pillai et al., OSDI 2014) model one. Every file has
// durable bytes and a list of writes and truncations made since its last fsync; every directory
// has durable names and current names. fsync of a file makes its writes and size durable; fsync
// of a directory makes the names in it durable (a created, renamed or removed file, or a new
// directory, is durable only then). A power cut keeps what was durable and, depending on the
// Cut, some of the rest: unsynced writes lost, the first half of each kept (a torn append), only
// the second half kept (a later page written back before an earlier one), the file grown by them
// but their bytes zeros, or all kept; unsynced truncations and names lost or all kept.
// Everything lives in memory; nothing touches the real disk.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "storage/file_system.hpp"

namespace paxos::test {

class CrashFileSystem final : public storage::FileSystem {
 public:
  enum class Writes { lost, half, tail, zeros, kept };
  // What of the unsynced survives a power cut.
  struct Cut {
    Writes writes;
    bool metadataKept;  // truncations, created, renamed and removed names
  };
  static const std::vector<Cut> kCuts;  // every combination
  static std::string describe(Cut cut);

  CrashFileSystem();  // an empty disk: "/" alone

  // Called before each operation that changes the disk (open with O_CREAT or O_TRUNC, pwrite,
  // fsync, ftruncate, rename, unlink, mkdir) with its number, 0 first: where a cut can fall.
  std::function<void(int)> beforeChange;
  int changes() const { return changes_; }
  // How many renames and ftruncates there were: what a test may require its run to exercise.
  int renames() const { return renames_; }
  int truncations() const { return truncations_; }

  // The disk as a power cut now would leave it, no file open.
  CrashFileSystem afterPowerCut(Cut cut) const;
  // Whether `path` names a file or directory now.
  bool exists(const std::string& path) const;

  int open(const std::string& path, int flags, mode_t mode) override;
  ssize_t read(int fd, uint8_t* data, size_t size) override;
  ssize_t pwrite(int fd, const uint8_t* data, size_t size, off_t offset) override;
  int fsync(int fd) override;
  // What the model tracks (bytes, size, names) fdatasync makes as durable as fsync does.
  int fdatasync(int fd) override { return fsync(fd); }
  int ftruncate(int fd, off_t size) override;
  // Grows the file with zeros, like a truncation to a larger size (durable at the next fsync).
  int fallocate(int fd, off_t offset, off_t length) override;
  int close(int fd) override;
  int rename(const std::string& from, const std::string& to) override;
  int unlink(const std::string& path) override;
  int mkdir(const std::string& path, mode_t mode) override;

 private:
  struct Change {  // a write, or a truncation (truncate == true)
    bool truncate;
    uint64_t offset;  // where the write goes, or the truncated size
    std::vector<uint8_t> bytes;
  };
  struct Inode {
    bool directory = false;
    std::vector<uint8_t> data;         // what a read sees
    std::vector<uint8_t> durableData;  // what a power cut keeps at least
    std::vector<Change> unsynced;
    std::map<std::string, int> names;  // a directory's, now
    std::map<std::string, int> durableNames;
  };
  struct Open {
    int inode;
    uint64_t offset;  // for read
  };

  static std::vector<uint8_t> surviving(const Inode& inode, Cut cut);
  void change();
  // The directory holding `path` and the last name in it; -1 with errno if there is none.
  int parentOf(const std::string& path, std::string& name) const;
  int lookUp(const std::string& path) const;

  std::map<int, Inode> inodes_;  // 0 is "/"
  std::map<int, Open> open_;
  int nextInode_ = 1;
  int nextFd_ = 3;
  int changes_ = 0;
  int renames_ = 0;
  int truncations_ = 0;
};

}  // namespace paxos::test
