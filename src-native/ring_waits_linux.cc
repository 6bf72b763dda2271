#include <errno.h>
#include <stdlib.h>
#include <uv.h>

#include <memory>
#include <unordered_map>

#include "addon_data.h"
#include "completion.h"
#include "futex_ring_linux.h"
#include "ring_waits.h"

namespace shmem {

// Per environment: the ring, its poll handle on the event loop, and the JS
// callbacks of pending waits (JS thread only).
class RingWaits {
 public:
  static RingWaits* For(Napi::Env env) {
    AddonData* data = GetAddonData(env);
    if (data->ring_state == 0) {
      auto* self = new RingWaits(env);
      // SHMEM_NO_IO_URING=1 forces the waiter-thread pool (tests run both paths).
      const char* off = getenv("SHMEM_NO_IO_URING");
      if ((off != nullptr && off[0] != '\0' && off[0] != '0') || !self->Start()) {
        delete self;
        data->ring_state = -1;  // not available: never ask again in this environment
        return nullptr;
      }
      data->ring = self;
      data->ring_state = 1;
    }
    return data->ring_state == 1 ? data->ring : nullptr;
  }

  bool Submit(int32_t* addr, int32_t value, double timeout_ms, Napi::Function callback, uint64_t* id) {
    *id = next_id_++;
    if (ring_.SubmitWait(*id, addr, value, timeout_ms) != 0) return false;
    if (pending_.empty()) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
    pending_.emplace(*id, Napi::Persistent(callback));
    return true;
  }

  bool Cancel(uint64_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return false;
    pending_.erase(it);
    Settled();
    ring_.SubmitCancel(id);  // its completion (-ECANCELED) finds nothing pending
    return true;
  }

 private:
  explicit RingWaits(Napi::Env env) : env_(env) {}

  bool Start() {
    if (!ring_.Open()) return false;
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok || loop == nullptr) return false;
    if (uv_poll_init(loop, &poll_, ring_.fd()) != 0) return false;
    poll_.data = this;
    uv_poll_start(&poll_, UV_READABLE, OnReadable);
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));  // only pending waits keep the loop alive
    context_ = std::make_unique<Napi::AsyncContext>(env_, "shmem.waitAsync");
    napi_add_env_cleanup_hook(env_, OnCleanup, this);
    return true;
  }

  void Settled() {
    if (pending_.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  }

  // A completion for a stopping environment (a worker being terminated) is
  // dropped inside CallCompletion: nothing here may throw.
  static void OnReadable(uv_poll_t* handle, int /*status*/, int /*events*/) {
    auto* self = static_cast<RingWaits*>(handle->data);
    self->ring_.Drain([&](uint64_t id, int32_t res) {
      auto it = self->pending_.find(id);
      if (it == self->pending_.end()) return;  // cancelled: settled in JS already
      Napi::FunctionReference callback = std::move(it->second);
      self->pending_.erase(it);
      self->Settled();
      // Woken, or the word changed after JS compared it (it was equal then): 'ok'.
      // Cancelled by the linked timeout: 'timed-out'. An unexpected error is
      // reported as a wake: callers check the word again.
      double code = (res == -ECANCELED || res == -ETIME) ? 2 : 0;
      // napi_make_callback: runs the microtasks (the promise's continuation) right after.
      CallCompletion(self->env_, callback, Completion::Number(code), *self->context_);
    });
  }

  static void OnCleanup(void* arg) {
    auto* self = static_cast<RingWaits*>(arg);
    for (auto& [id, callback] : self->pending_) callback.Reset();
    self->pending_.clear();
    self->context_.reset();
    AddonData* data = GetAddonData(self->env_);
    if (data != nullptr) {
      data->ring = nullptr;
      data->ring_state = -1;
    }
    uv_poll_stop(&self->poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->poll_),
             [](uv_handle_t* h) { delete static_cast<RingWaits*>(h->data); });  // closes the ring
  }

  Napi::Env env_;
  FutexRing ring_;
  uv_poll_t poll_;
  std::unique_ptr<Napi::AsyncContext> context_;
  std::unordered_map<uint64_t, Napi::FunctionReference> pending_;
  uint64_t next_id_ = 1;
};

bool RingWaitAsync(Napi::Env env, int32_t* addr, int32_t value, double timeout_ms, Napi::Function callback,
                   Napi::Value* request) {
  RingWaits* waits = RingWaits::For(env);
  uint64_t id;
  if (waits == nullptr || !waits->Submit(addr, value, timeout_ms, callback, &id)) return false;
  *request = Napi::Number::New(env, static_cast<double>(id));
  return true;
}

bool RingCancel(Napi::Env env, Napi::Value request) {
  RingWaits* waits = RingWaits::For(env);
  return waits != nullptr && waits->Cancel(static_cast<uint64_t>(request.As<Napi::Number>().DoubleValue()));
}

}  // namespace shmem
