// Stress test of Windows wait/notify (src-native/futex_win32.cc) on the OS
// layer alone, in two processes, built with mingw-w64 and run under wine by
// scripts/test-windows.sh. Waiter threads in both processes wait on one word
// with timeouts of 0 to 1.5 ms, and notifier threads in both processes notify
// it. Nobody changes the word, so a wait returns 0 only when a notify woke it.
// The sum of the numbers notify returned must therefore equal the number of
// waits that returned 0. That covers wakes racing with timeouts, late signals,
// and wakes across processes. Then a thread in each process plays ping-pong
// on another word with waits that have no timeout: a lost wake-up hangs (the
// script's timeout fails it).
//   futex-stress.exe              parent: creates the segment, starts the child
//   futex-stress.exe child NAME   child: attaches to NAME
#include <windows.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "futex.h"
#include "shm.h"

using namespace shmem;

namespace {

constexpr int kWaiters = 3;  // per process
constexpr int kRounds = 2000;  // waits per waiter
constexpr int kPingPong = 5000;

// Words of the segment.
enum { kWord = 0, kLeft = 1, kOks = 2, kCounted = 3, kBall = 8 };

volatile LONG* At(void* base, int i) { return static_cast<volatile LONG*>(base) + i; }

void Run(void* base, bool parent) {
  int32_t* word = static_cast<int32_t*>(base) + kWord;
  std::atomic<long> oks{0}, counted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; i++) {
    threads.emplace_back([&, i] {
      std::mt19937 rng(i + (parent ? 0 : 100));
      for (int r = 0; r < kRounds; r++) {
        int rc = WaitOnAddress32(word, 0, (rng() % 4) * 0.5);
        if (rc == 0) {
          oks++;
        } else if (rc != kErrTimedOut) {
          std::printf("wait returned %d\n", rc);
          std::exit(3);
        }
      }
      InterlockedDecrement(At(base, kLeft));
    });
  }
  for (int i = 0; i < 2; i++) {
    threads.emplace_back([&, i] {
      std::mt19937 rng(i + (parent ? 10 : 110));
      while (InterlockedCompareExchange(At(base, kLeft), 0, 0) > 0) {
        int32_t n = rng() % 3 == 0 ? INT32_MAX : 1 + static_cast<int32_t>(rng() % 2);
        int woken = WakeAddress32(word, n);
        if (woken < 0 || woken > n) {
          std::printf("notify(%d) returned %d\n", n, woken);
          std::exit(3);
        }
        counted += woken;
        if (rng() % 4 == 0) SwitchToThread();
      }
    });
  }
  for (auto& t : threads) t.join();
  InterlockedAdd(At(base, kOks), oks.load());
  InterlockedAdd(At(base, kCounted), counted.load());

  // Ping-pong: the parent owns even values of the ball, the child odd ones.
  int32_t* ball = static_cast<int32_t*>(base) + kBall;
  for (int i = 0; i < kPingPong; i++) {
    const int32_t mine = 2 * i + (parent ? 0 : 1);
    for (int32_t v; (v = InterlockedCompareExchange(At(base, kBall), 0, 0)) != mine;) WaitOnAddress32(ball, v, -1);
    InterlockedExchange(At(base, kBall), mine + 1);
    WakeAddress32(ball, 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ShmMapping m;
  if (argc == 3 && std::string(argv[1]) == "child") {
    if (!ShmOpen(argv[2], &m).ok()) return 4;
    Run(m.addr, false);
    ShmUnmap(&m);
    return 0;
  }
  const std::string name = "futex_stress_" + std::to_string(GetCurrentProcessId());
  if (!ShmCreate(name.c_str(), 4096, 0600, &m).ok()) return 4;
  *At(m.addr, kLeft) = 2 * kWaiters;
  char self[MAX_PATH];
  GetModuleFileNameA(nullptr, self, MAX_PATH);
  std::string cmd = "\"" + std::string(self) + "\" child " + name;
  STARTUPINFOA si = {sizeof si};
  PROCESS_INFORMATION pi;
  if (!CreateProcessA(nullptr, &cmd[0], nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi)) return 5;
  Run(m.addr, true);
  WaitForSingleObject(pi.hProcess, INFINITE);
  DWORD child_status = 1;
  GetExitCodeProcess(pi.hProcess, &child_status);
  const LONG oks = *At(m.addr, kOks), counted = *At(m.addr, kCounted);
  const bool exact = oks == counted && child_status == 0;
  std::printf("futex-stress: %d waits, %ld woken, notify counted %ld: %s; %d round trips across processes\n",
              2 * kWaiters * kRounds, static_cast<long>(oks), static_cast<long>(counted), exact ? "exact" : "MISMATCH",
              kPingPong);
  ShmUnmap(&m);
  return exact ? 0 : 2;
}
