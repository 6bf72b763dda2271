// A name argument from JS as a NUL-terminated UTF-8 string.
#pragma once
#include <napi.h>

#include <string>

namespace shmem {

// Names are short (lib/ checks them: at most 255 bytes on Linux), so they are
// copied into a buffer on the stack: create, open and unlink then allocate
// nothing for the name, which was a measurable part of a cycle's own cost
// (two passes over the string and a heap copy). A longer string is copied
// to the heap instead.
class NameArg {
 public:
  explicit NameArg(Napi::Value value) {
    size_t len = 0;
    if (napi_get_value_string_utf8(value.Env(), value, buf_, sizeof buf_, &len) == napi_ok && len + 1 < sizeof buf_) {
      ptr_ = buf_;
    } else {  // maybe cut short (or not a string: Utf8Value throws then)
      heap_ = value.As<Napi::String>().Utf8Value();
      ptr_ = heap_.c_str();
    }
  }
  NameArg(const NameArg&) = delete;
  NameArg& operator=(const NameArg&) = delete;

  const char* c_str() const { return ptr_; }
  std::string str() const { return ptr_; }

 private:
  char buf_[512];
  std::string heap_;
  const char* ptr_;
};

}  // namespace shmem
