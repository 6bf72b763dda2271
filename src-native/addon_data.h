// Per-environment state of the addon (the main thread and each worker have
// their own), kept as Node-API instance data: node-addon-api deletes it when
// the environment is torn down.
#pragma once
#include <napi.h>

#include <memory>

#include "exit_unlink.h"

namespace shmem {

class WaitService;
class RingWaits;

struct AddonData {
  // lib/errors.ts's factory (errno, syscall, path) => Error.
  Napi::FunctionReference error_factory;
  // Threads and the thread-safe function that settle asynchronous waits.
  std::shared_ptr<WaitService> waits;
  // waitAsync() through io_uring (ring_waits.h): 0 not tried yet, 1 in use, -1 unavailable.
  RingWaits* ring = nullptr;
  int ring_state = 0;
  // Names to remove when this environment ends (unlinkOnExit).
  ExitUnlinks exit_unlinks;
};

inline AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace shmem
