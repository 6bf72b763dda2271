// What CPython's multiprocessing.shared_memory.SharedMemory does on Windows
// (Lib/multiprocessing/shared_memory.py, 3.8-3.13), call for call, so that the
// smoke suite can check that shmem and Python attach to each other's blocks
// by name on Windows without a Windows Python here.
//
//   python-like create NAME SIZE TEXT  SharedMemory(name, create=True, size):
//                                      CreateFileMapping(INVALID_HANDLE_VALUE,
//                                      PAGE_READWRITE, size, name), then
//                                      mmap.mmap(-1, size, tagname=name); writes
//                                      TEXT at 0, prints "ready <size>", keeps the
//                                      block until stdin closes
//   python-like read NAME N            SharedMemory(name): OpenFileMapping(
//                                      FILE_MAP_READ), MapViewOfFile, VirtualQuery
//                                      for the size, then mmap.mmap(-1, size,
//                                      tagname=name); prints "<size> <first N bytes>"
// Exit codes: 0 fine, 2 usage, 3 FileExistsError, 4 FileNotFoundError, 5 other.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static std::wstring Wide(const char* s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, nullptr, 0);
  std::wstring w(n, L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s, -1, &w[0], n);
  w.resize(n - 1);
  return w;
}

// mmap.mmap(-1, size, tagname=name): CreateFileMapping on the paging file with
// the tag name (opens the existing section of that name), then a view.
static void* MmapTagname(const std::wstring& name, size_t size, HANDLE* out) {
  HANDLE h = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, static_cast<DWORD>(size >> 32),
                                static_cast<DWORD>(size & 0xffffffff), name.c_str());
  if (h == nullptr) return nullptr;
  void* p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, size);
  *out = h;
  return p;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  std::wstring name = Wide(argv[2]);
  if (strcmp(argv[1], "create") == 0 && argc == 5) {
    size_t size = strtoull(argv[3], nullptr, 10);
    HANDLE h_map = CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, static_cast<DWORD>(size >> 32),
                                      static_cast<DWORD>(size & 0xffffffff), name.c_str());
    if (h_map == nullptr) return 5;
    if (GetLastError() == ERROR_ALREADY_EXISTS) {
      CloseHandle(h_map);
      return 3;
    }
    HANDLE h_mmap;
    char* p = static_cast<char*>(MmapTagname(name, size, &h_mmap));
    CloseHandle(h_map);
    if (p == nullptr) return 5;
    memcpy(p, argv[4], strlen(argv[4]));
    printf("ready %zu\n", size);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) != nullptr) {
    }
    UnmapViewOfFile(p);
    CloseHandle(h_mmap);
    return 0;
  }
  if (strcmp(argv[1], "read") == 0) {
    size_t n = strtoull(argv[3], nullptr, 10);
    HANDLE h_map = OpenFileMappingW(FILE_MAP_READ, FALSE, name.c_str());
    if (h_map == nullptr) return GetLastError() == ERROR_FILE_NOT_FOUND ? 4 : 5;
    void* p_buf = MapViewOfFile(h_map, FILE_MAP_READ, 0, 0, 0);
    CloseHandle(h_map);
    if (p_buf == nullptr) return 5;
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(p_buf, &info, sizeof info) == 0) return 5;
    size_t size = info.RegionSize;
    UnmapViewOfFile(p_buf);
    HANDLE h_mmap;
    char* p = static_cast<char*>(MmapTagname(name, size, &h_mmap));
    if (p == nullptr) return 5;
    if (n > size) n = size;
    printf("%zu %.*s\n", size, static_cast<int>(n), p);
    UnmapViewOfFile(p);
    CloseHandle(h_mmap);
    return 0;
  }
  return 2;
}
