// The native state behind one SharedMemory: a mapping with several owners.
//
// Exactly one external ArrayBuffer is ever created over a mapping; JS views
// (Buffer, subarray, typed arrays) all go through it, and lib/ passes that
// ArrayBuffer back as the handle: the native side finds the state from the
// buffer's data pointer in a process-wide table (MappingState::Find). No separate
// handle object (a napi External with its own reference and finalizer) is
// made, which keeps create/open/close cheap. Owners:
//   - the ArrayBuffer's backing store,
//   - each pending asynchronous wait on a word in the mapping (an async
//     Mutex.lock() or waitAsync()): its thread, and its undo after a cancel,
//     must not see the memory unmapped.
// The memory is unmapped as soon as no JS object can reach it and no thread
// uses it:
//   - close() detaches the ArrayBuffer if it is still attached (every view
//     drops to length 0), which leaves no JS path to the memory; unmapping at
//     once keeps a create/close loop from piling up live mappings
//     (vm.max_map_count) while it waits for the GC;
//   - the backing store's finalizer covers a handle dropped without close(),
//     environment teardown (worker exit), and an ArrayBuffer that was moved
//     away (ab.transfer(), a transfer list) before close(): its new owner
//     still points at the memory, so close() must leave it mapped;
//   - if a pending wait still uses the memory then, the last such wait
//     unmaps it when it is freed.
// The state block is freed when every owner is gone.
#pragma once
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "shm.h"

namespace shmem {

class MappingState;

namespace mapping_table {
// Base address -> state of every live mapping in the process (all Node
// environments: a worker's mappings have addresses of their own). An entry
// goes when its memory is unmapped, before the address can be reused.
// Leaked on purpose: waiter threads may still unmap during process exit.
inline std::mutex& Mutex() {
  static auto* mu = new std::mutex();
  return *mu;
}
inline std::unordered_map<void*, MappingState*>& Table() {
  static auto* table = new std::unordered_map<void*, MappingState*>();
  return *table;
}
}  // namespace mapping_table

class MappingState {
 public:
  explicit MappingState(const ShmMapping& map) : map_(map) {
    std::lock_guard<std::mutex> lock(mapping_table::Mutex());
    mapping_table::Table()[map_.addr] = this;
  }

  // Number of live mappings made by the addon in this process.
  static size_t LiveCount() {
    std::lock_guard<std::mutex> lock(mapping_table::Mutex());
    return mapping_table::Table().size();
  }

  // The state of the mapping whose ArrayBuffer data starts at `data`, or
  // nullptr. The caller holds that (attached) ArrayBuffer, which owns the
  // state, so the state stays alive while the caller uses it.
  static MappingState* Find(void* data) {
    if (data == nullptr) return nullptr;
    std::lock_guard<std::mutex> lock(mapping_table::Mutex());
    auto it = mapping_table::Table().find(data);
    return it == mapping_table::Table().end() ? nullptr : it->second;
  }

  void* addr() const { return map_.addr; }
  size_t size() const { return map_.size; }
  bool mapped() {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.addr != nullptr && !unmap_wanted_;
  }

  // No JS object can reach the memory any more: unmap now, or when the last
  // pending wait is freed.
  void RequestUnmap() {
    std::lock_guard<std::mutex> lock(mu_);
    unmap_wanted_ = true;
    if (users_ == 0) Unmap();
  }

  // What this mapping told V8 it costs (external memory): set once by the
  // binding, taken back once, on the JS thread, by whichever comes first of
  // close() and the backing store's finalizer. Returns 0 the second time.
  void SetCharge(int64_t bytes) { charge_ = bytes; }
  int64_t TakeCharge() {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t c = charge_;
    charge_ = 0;
    return c;
  }

  // A pending wait starts using the memory. False if it is already going away.
  bool AddUser() {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.addr == nullptr || unmap_wanted_) return false;
    users_++;
    owners_++;
    return true;
  }
  void DropUser() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      users_--;
      if (unmap_wanted_ && users_ == 0) Unmap();
    }
    Release();
  }

  // Drops one owner (the backing store, or a pending wait); frees at the last.
  void Release() {
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last = --owners_ == 0;
      if (last) Unmap();
    }
    if (last) delete this;
  }

 private:
  // With mu_ held.
  void Unmap() {
    if (map_.addr == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(mapping_table::Mutex());
      mapping_table::Table().erase(map_.addr);
    }
    ShmUnmap(&map_);
  }

  ShmMapping map_;
  std::mutex mu_;
  int owners_ = 1;  // the ArrayBuffer's backing store
  int users_ = 0;
  bool unmap_wanted_ = false;
  int64_t charge_ = 0;
};

}  // namespace shmem
