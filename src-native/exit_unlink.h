// Names that an environment (the main thread or a worker) removes when it
// ends: what create({ unlinkOnExit: true }) registers.
#pragma once
#include <map>
#include <string>

namespace shmem {

class ExitUnlinks {
 public:
  enum Kind { kSegment = 0, kSemaphore = 1 };

  ExitUnlinks() = default;
  ExitUnlinks(const ExitUnlinks&) = delete;
  ExitUnlinks& operator=(const ExitUnlinks&) = delete;
  // Environment teardown: a worker that ends or is terminated, or the main
  // thread's normal end. (process.exit() and a fatal uncaught error skip the
  // teardown; lib/ runs RunAll() from the 'exit' event for those.)
  ~ExitUnlinks() { RunAll(); }

  int Add(Kind kind, const std::string& os_name) {
    int id = ++last_id_;
    entries_[id] = Entry{kind, os_name};
    return id;
  }
  // The name was removed by hand (or must stay): forget every entry for it.
  void Forget(Kind kind, const std::string& os_name);
  // Removes every registered name that still exists; missing ones are fine.
  void RunAll();

 private:
  struct Entry {
    Kind kind;
    std::string os_name;
  };
  std::map<int, Entry> entries_;  // by registration order
  int last_id_ = 0;
};

}  // namespace shmem
