// Spin-wait helpers shared by the OS layers.
#pragma once

#if defined(_MSC_VER)
#include <intrin.h>
#endif

namespace shmem {

// How many times a blocking wait polls before it sleeps in the kernel.
constexpr int kSpinTries = 100;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#elif defined(_MSC_VER)
  _mm_pause();
#endif
}

}  // namespace shmem
