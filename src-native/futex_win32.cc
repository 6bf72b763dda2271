// Windows: wait on a shared 32-bit word, woken from any process.
//
// WaitOnAddress/WakeByAddress* wake threads of the calling process only, so
// a wake that must cross processes needs kernel objects. The design:
//
// - Per segment, a wait table: a 64 KiB named section "Local\shmem.w1.<segment
//   name>" ("Global\…" for a segment named "Global\…"), mapped by every process
//   that waits or notifies on the segment. It has one slot per sleeping thread:
//   {state, byte offset of the word, thread id, nonce, ticket}. So a word's key
//   is (segment name, byte offset), the same in every process wherever each maps
//   the segment. shm_win32.cc reports each mapped view's name (futex_win32.h).
//   The table is opened on first use and cached per view, and closed when the
//   view is unmapped. The section goes away with the last process that has it.
// - Per thread, an auto-reset event "Local\shmem.t.<tid>.<nonce>", created on
//   the thread's first wait and kept until the thread ends. A waiter sleeps on
//   its own event; a notifier opens the event of each waiter it wakes, by name,
//   and sets it.
//
// Why not a named semaphore per word plus a waiter count: a semaphore's units
// are not addressed to anyone. A thread that starts to wait just after
// notify(1) released a unit, while the waiter the unit was meant for has not
// yet reached WaitForSingleObject, takes the unit. The count then says nobody
// is waiting while that first waiter sleeps on, and a later notify wakes
// nobody: a lost wake-up. With a slot per waiter, like the kernel's futex
// queue (or the per-thread wait blocks inside WaitOnAddress), every wake goes to
// one named waiter.
//
// A slot's state is free -> claimed -> waiting -> woken -> free. It also holds a
// generation number, bumped at every claim, so a compare-and-swap (CAS) on a
// state read earlier fails once the slot has been freed and reused (no ABA).
//   wait:   check the word. Claim a free slot, count it in `waiting`, fill it in,
//           and publish it as waiting (a seq_cst exchange). Check the word again,
//           then sleep on the thread's event (alertable, for the cancel APC of
//           async_wait.cc). On a signal: if the slot says woken, free it and
//           return 0. Otherwise the signal is a late one from an earlier wait (see
//           below): sleep again. On a timeout or a cancel: CAS waiting -> free. If
//           that fails, a notifier has already taken this waiter: free the slot
//           and return 0 (woken), so the wake it counted is not thrown away.
//   notify: (usually after the caller changed the word) if `waiting` is 0, return
//           0. Otherwise collect the slots waiting on this offset, oldest ticket
//           first (FIFO, as Atomics.notify). For up to `count` of them: CAS
//           waiting -> woken, then set that thread's event.
// Why no wake-up is lost: the waiter's publish and the caller's store to the
// word are sequentially consistent, and each side then reads the other's
// location (the waiter the word, the notifier `waiting` and the slots). So
// either the waiter sees the new value and does not sleep, or the notifier sees
// the slot and wakes it. A wake is a change of the slot's state made before the
// event is set, so it is never lost, in whatever order the waiter wakes, times
// out or is cancelled. A signal that arrives after its waiter has left (it timed
// out just as it was woken) stays on that thread's own event. The thread's next
// wait sees it, finds its new slot still waiting, and goes back to sleep.
// How exact notify's count is: it is the number of waiters it moved to woken.
// Each of them returns from its wait as woken ('ok'), never 'timed-out', and no
// waiter is counted twice. As on Linux, one exception: a wait that is cancelled
// (abort, close) at that same moment drops the wake. A waiter whose process was
// killed is found out when its event no longer exists: its slot is freed and it
// is not counted.
// Limits: 2047 threads may sleep on one segment at the same time (one table).
// One more polls the word with a capped backoff instead: notify does not count
// it, and it sees only wakes that change the word. A notifier killed between
// its CAS and its SetEvent would leave a waiter asleep, so a sleeping waiter
// also looks at its slot once a second.
#ifndef NOMINMAX
#define NOMINMAX  // std::min, not windows.h's macro (MSVC)
#endif
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "futex.h"
#include "futex_win32.h"
#include "win32_errors.h"

namespace shmem {

const int kErrAgain = -4088;     // UV_EAGAIN
const int kErrTimedOut = -4039;  // UV_ETIMEDOUT

namespace {

using Clock = std::chrono::steady_clock;

// ---- The wait table (in a section shared by every process) ----------------

enum Phase : int32_t { kFree = 0, kClaimed = 1, kWaiting = 2, kWoken = 3 };
constexpr int32_t kPhaseMask = 3;
constexpr uint32_t kGenerationStep = 4;  // the generation sits above the phase bits

struct Slot {
  std::atomic<int32_t> state;   // generation | phase
  std::atomic<int32_t> ticket;  // arrival order, for FIFO wakes
  std::atomic<uint32_t> tid;    // the sleeping thread; with nonce, its event's name
  std::atomic<uint32_t> nonce;
  std::atomic<int64_t> offset;  // the word's byte offset in the segment
  int64_t reserved;
};

struct Header {
  std::atomic<int32_t> waiting;  // slots that are not free
  std::atomic<int32_t> high;     // only slots below this index were ever used
  std::atomic<int32_t> next_ticket;
  int32_t reserved[5];
};

// The layout has a version in the name (w1): a different layout needs another name.
constexpr DWORD kTableBytes = 64 * 1024;
constexpr int32_t kSlots = static_cast<int32_t>((kTableBytes - sizeof(Header)) / sizeof(Slot));

struct Table {
  Header header;
  Slot slots[kSlots];
};

// A new section is zero-filled: every slot is free, every counter 0. The atomics
// work across processes because they are lock-free, and so address-free.
static_assert(sizeof(Slot) == 32 && sizeof(Header) == 32, "table layout");
static_assert(sizeof(Table) <= kTableBytes, "table size");
static_assert(std::atomic<int32_t>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free,
              "atomics in shared memory must be lock-free");

inline int32_t PhaseOf(int32_t state) { return state & kPhaseMask; }
inline int32_t GenerationOf(int32_t state) { return state & ~kPhaseMask; }
inline int32_t NextGeneration(int32_t state) {
  return static_cast<int32_t>(static_cast<uint32_t>(GenerationOf(state)) + kGenerationStep);
}

// ---- Names ----------------------------------------------------------------

// "Global\x" lives in the global namespace; "Local\x" and "x" in the session's.
// After the namespace, object names may not contain '\'; segment names cannot
// contain '/', so replacing one with the other keeps names distinct.
std::wstring TableName(const std::string& segment, bool* global) {
  std::string rest = segment;
  *global = rest.rfind("Global\\", 0) == 0;
  if (*global) {
    rest.erase(0, 7);
  } else if (rest.rfind("Local\\", 0) == 0) {
    rest.erase(0, 6);
  }
  std::replace(rest.begin(), rest.end(), '\\', '/');
  const std::wstring prefix = *global ? L"Global\\shmem.w1." : L"Local\\shmem.w1.";
  std::wstring name = prefix + Widen(rest);
  if (name.size() < MAX_PATH) return name;
  // Too long for an object name: two 64-bit FNV-1a hashes, of the name and of
  // the name reversed.
  uint64_t a = 0xcbf29ce484222325ULL, b = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < rest.size(); i++) {
    a = (a ^ static_cast<unsigned char>(rest[i])) * 0x100000001b3ULL;
    b = (b ^ static_cast<unsigned char>(rest[rest.size() - 1 - i])) * 0x100000001b3ULL;
  }
  const wchar_t* digits = L"0123456789abcdef";
  std::wstring hashed = prefix + L"#";
  for (uint64_t h : {a, b})
    for (int shift = 60; shift >= 0; shift -= 4) hashed += digits[(h >> shift) & 0xf];
  return hashed;
}

std::wstring Hex32(uint32_t v) {
  const wchar_t* digits = L"0123456789abcdef";
  std::wstring s(8, L'0');
  for (int i = 7; i >= 0; i--, v >>= 4) s[static_cast<size_t>(i)] = digits[v & 0xf];
  return s;
}

std::wstring EventName(bool global, uint32_t tid, uint32_t nonce) {
  return (global ? L"Global\\shmem.t." : L"Local\\shmem.t.") + Hex32(tid) + L"." + Hex32(nonce);
}

// ---- The calling thread's event -------------------------------------------

struct ThreadEvent {
  HANDLE handle = nullptr;
  uint32_t nonce = 0;
};

// One per namespace, created on the first wait in it and closed when the thread
// ends (a process that is killed closes them with everything else).
struct ThreadEvents {
  ThreadEvent local, global;
  ~ThreadEvents() {
    if (local.handle != nullptr) CloseHandle(local.handle);
    if (global.handle != nullptr) CloseHandle(global.handle);
  }
};
thread_local ThreadEvents thread_events;

// The thread id alone would do while the thread lives; the nonce keeps a
// notifier that still holds an old slot from signalling a later thread that
// got the same id.
uint32_t NewNonce() {
  static std::atomic<uint32_t> counter{0};
  LARGE_INTEGER t;
  QueryPerformanceCounter(&t);
  return static_cast<uint32_t>(t.QuadPart) ^ (counter.fetch_add(1) * 0x9e3779b9u) ^
         (GetCurrentProcessId() * 0x85ebca6bu);
}

const ThreadEvent* EventOfThisThread(bool global) {
  ThreadEvent& e = global ? thread_events.global : thread_events.local;
  if (e.handle != nullptr) return &e;
  const uint32_t tid = GetCurrentThreadId();
  for (int attempt = 0; attempt < 8; attempt++) {
    uint32_t nonce = NewNonce();
    HANDLE h = CreateEventW(nullptr, FALSE, FALSE, EventName(global, tid, nonce).c_str());
    if (h == nullptr) return nullptr;
    if (GetLastError() == ERROR_ALREADY_EXISTS) {  // someone still holds an old one by that name
      CloseHandle(h);
      continue;
    }
    e.handle = h;
    e.nonce = nonce;
    return &e;
  }
  return nullptr;
}

// ---- Mapped views and their tables ------------------------------------------

class View {
 public:
  View(char* base, size_t size, const std::string& name)
      : base_(base), size_(size), table_name_(TableName(name, &global_)) {}
  ~View() {
    if (Table* t = table_.load()) UnmapViewOfFile(t);
    if (section_ != nullptr) CloseHandle(section_);
  }
  View(const View&) = delete;
  View& operator=(const View&) = delete;

  char* base() const { return base_; }
  size_t size() const { return size_; }
  bool global() const { return global_; }

  // The segment's wait table, created or opened on first use; null if that fails.
  Table* table() {
    Table* t = table_.load(std::memory_order_acquire);
    if (t != nullptr) return t;
    std::lock_guard<std::mutex> lock(mu_);
    if (table_.load() == nullptr) {
      HANDLE h =
          CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, kTableBytes, table_name_.c_str());
      if (h == nullptr) return nullptr;
      void* p = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, kTableBytes);
      if (p == nullptr) {
        CloseHandle(h);
        return nullptr;
      }
      section_ = h;
      table_.store(static_cast<Table*>(p), std::memory_order_release);
    }
    return table_.load();
  }

 private:
  char* const base_;
  const size_t size_;
  bool global_ = false;  // set by the constructor, with the name
  const std::wstring table_name_;
  std::mutex mu_;
  HANDLE section_ = nullptr;
  std::atomic<Table*> table_{nullptr};
};

// Every view shm_win32.cc has mapped, by base address. Never destroyed: views
// may still be forgotten while the process exits.
struct Registry {
  std::mutex mu;
  std::map<uintptr_t, std::shared_ptr<View>> views;
};
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

std::shared_ptr<View> FindView(const void* addr) {
  const auto p = reinterpret_cast<uintptr_t>(addr);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.views.upper_bound(p);
  if (it == r.views.begin()) return nullptr;
  --it;
  return p - it->first < it->second->size() ? it->second : nullptr;
}

// ---- Waiting and waking -----------------------------------------------------

inline int32_t LoadWord(int32_t* addr) {
  return InterlockedCompareExchange(reinterpret_cast<volatile LONG*>(addr), 0, 0);
}

// A sleeper that is not signalled (see the top) looks at its slot this often.
constexpr DWORD kRecheckMs = 1000;

// The fallback for memory that has no table (it could not be created, or all
// its slots are taken): poll the word with a backoff capped at 2 ms.
int PollWait(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel) {
  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  if (LoadWord(addr) != expected) return kErrAgain;
  auto delay = std::chrono::microseconds(1000);
  for (;;) {
    if (!forever && Clock::now() >= deadline) return kErrTimedOut;
    if (cancel != nullptr && cancel->load() != 0) return 0;
    SleepEx(static_cast<DWORD>((delay.count() + 999) / 1000), TRUE);  // alertable: a cancel's APC ends it
    if (LoadWord(addr) != expected) return 0;
    delay = std::min(delay * 2, std::chrono::microseconds(2000));
  }
}

// Claims a free slot for this thread; -1 if all are taken.
int32_t Claim(Table* t, int32_t* generation) {
  for (int32_t i = 0; i < kSlots; i++) {
    Slot& s = t->slots[i];
    int32_t v = s.state.load();
    if (PhaseOf(v) != kFree) continue;
    const int32_t g = NextGeneration(v);
    if (!s.state.compare_exchange_strong(v, g | kClaimed)) continue;
    t->header.waiting.fetch_add(1);
    int32_t high = t->header.high.load();
    while (high < i + 1 && !t->header.high.compare_exchange_weak(high, i + 1)) {
    }
    *generation = g;
    return i;
  }
  return -1;
}

// Frees a slot in state `from` (only one party can succeed).
void Free(Table* t, Slot& s, int32_t from) {
  if (s.state.compare_exchange_strong(from, GenerationOf(from) | kFree)) t->header.waiting.fetch_sub(1);
}

// This thread stops waiting: true if a notifier had woken it meanwhile.
bool Leave(Table* t, Slot& s, int32_t generation) {
  int32_t v = generation | kWaiting;
  if (s.state.compare_exchange_strong(v, generation | kFree)) {
    t->header.waiting.fetch_sub(1);
    return false;
  }
  Free(t, s, generation | kWoken);
  return true;
}

// Sets the event of a thread that a notifier has just moved to woken. *gone:
// the event no longer exists (its process was killed while it waited).
bool Signal(bool global, uint32_t tid, uint32_t nonce, bool* gone) {
  HANDLE h = OpenEventW(EVENT_MODIFY_STATE, FALSE, EventName(global, tid, nonce).c_str());
  if (h == nullptr) {
    *gone = GetLastError() == ERROR_FILE_NOT_FOUND;
    return false;
  }
  BOOL ok = SetEvent(h);
  CloseHandle(h);
  return ok != 0;
}

}  // namespace

void FutexTrackView(void* addr, size_t size, const std::string& name) {
  try {
    auto view = std::make_shared<View>(static_cast<char*>(addr), size, name);
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    r.views[reinterpret_cast<uintptr_t>(addr)] = std::move(view);
  } catch (const std::bad_alloc&) {
    // Untracked: waits on this view poll.
  }
}

void FutexForgetView(void* addr) {
  std::shared_ptr<View> view;  // closed here, outside the lock
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.views.find(reinterpret_cast<uintptr_t>(addr));
  if (it == r.views.end()) return;
  view = std::move(it->second);
  r.views.erase(it);
}

int WaitOnAddress32(int32_t* addr, int32_t expected, double timeout_ms, const std::atomic<int>* cancel) {
  if (LoadWord(addr) != expected) return kErrAgain;
  std::shared_ptr<View> view = FindView(addr);
  Table* t = view ? view->table() : nullptr;
  const ThreadEvent* event = t != nullptr ? EventOfThisThread(view->global()) : nullptr;
  int32_t generation = 0;
  const int32_t index = event != nullptr ? Claim(t, &generation) : -1;
  if (index < 0) return PollWait(addr, expected, timeout_ms, cancel);

  Slot& s = t->slots[index];
  s.tid.store(GetCurrentThreadId(), std::memory_order_relaxed);
  s.nonce.store(event->nonce, std::memory_order_relaxed);
  s.offset.store(reinterpret_cast<char*>(addr) - view->base(), std::memory_order_relaxed);
  s.ticket.store(t->header.next_ticket.fetch_add(1), std::memory_order_relaxed);
  s.state.exchange(generation | kWaiting);  // seq_cst: before the second look at the word
  if (LoadWord(addr) != expected) return Leave(t, s, generation) ? 0 : kErrAgain;

  const bool forever = timeout_ms < 0;
  const auto deadline =
      Clock::now() + std::chrono::microseconds(forever ? 0 : static_cast<int64_t>(timeout_ms * 1000.0));
  for (;;) {
    if (cancel != nullptr && cancel->load() != 0) {
      Leave(t, s, generation);
      return 0;  // the caller looks at the cancel
    }
    DWORD ms = kRecheckMs;
    if (!forever) {
      int64_t left_us = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
      if (left_us <= 0) return Leave(t, s, generation) ? 0 : kErrTimedOut;
      ms = static_cast<DWORD>(std::min<int64_t>((left_us + 999) / 1000, kRecheckMs));
    }
    DWORD rc = WaitForSingleObjectEx(event->handle, ms, TRUE);
    if (rc == WAIT_OBJECT_0 || rc == WAIT_TIMEOUT) {
      if (s.state.load() == (generation | kWoken)) {
        Free(t, s, generation | kWoken);
        return 0;
      }
      continue;  // a late signal from an earlier wait, or a slice of a long one
    }
    if (rc == WAIT_IO_COMPLETION) continue;  // an APC: a cancel is seen at the top
    DWORD e = GetLastError();
    return Leave(t, s, generation) ? 0 : UvErrorFromWin32(e);
  }
}

int WakeAddress32(int32_t* addr, int32_t count) {
  if (count <= 0) return 0;
  std::shared_ptr<View> view = FindView(addr);
  Table* t = view ? view->table() : nullptr;
  if (t == nullptr) return 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the caller's store to the word comes first
  if (t->header.waiting.load() == 0) return 0;

  struct Candidate {
    int32_t index, state, ticket;
    uint32_t tid, nonce;
  };
  const int64_t offset = reinterpret_cast<char*>(addr) - view->base();
  const int32_t high = std::min(t->header.high.load(), kSlots);
  std::vector<Candidate> found;
  for (int32_t i = 0; i < high; i++) {
    Slot& s = t->slots[i];
    int32_t v = s.state.load();
    if (PhaseOf(v) != kWaiting || s.offset.load() != offset) continue;
    // Read after the state: if the CAS below succeeds, the slot was not reused
    // in between, so these belong to that waiter.
    found.push_back({i, v, s.ticket.load(), s.tid.load(), s.nonce.load()});
  }
  if (found.size() > static_cast<size_t>(count)) {
    // Oldest first. Tickets wrap; every one of them was drawn before `next`.
    const uint32_t next = static_cast<uint32_t>(t->header.next_ticket.load());
    auto age = [next](const Candidate& c) { return static_cast<int32_t>(static_cast<uint32_t>(c.ticket) - next); };
    std::sort(found.begin(), found.end(), [&](const Candidate& a, const Candidate& b) { return age(a) < age(b); });
  }
  int woken = 0;
  for (const Candidate& c : found) {
    if (woken == count) break;
    Slot& s = t->slots[c.index];
    int32_t v = c.state;
    const int32_t woken_state = GenerationOf(v) | kWoken;
    if (!s.state.compare_exchange_strong(v, woken_state)) continue;  // it left: timed out, cancelled, saw the word
    bool gone = false;
    if (Signal(view->global(), c.tid, c.nonce, &gone)) {
      woken++;
    } else if (gone) {
      Free(t, s, woken_state);  // its process died while it waited: nobody to wake
    } else {
      woken++;  // alive but cannot be signalled: it sees its slot within kRecheckMs
    }
  }
  return woken;
}

}  // namespace shmem
