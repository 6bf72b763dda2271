{
  'targets': [{
    'target_name': 'shmem',
    'sources': [
      'src-native/addon.cc',
      'src-native/errors.cc',
      'src-native/shm_binding.cc',
      'src-native/sem_binding.cc',
      'src-native/async_wait.cc',
      'src-native/completion.cc',
      'src-native/mutex_binding.cc',
      'src-native/mutex_core.cc',
      'src-native/exit_unlink.cc',
    ],
    'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
    # NAPI_VERSION 7: napi_detach_arraybuffer; 8: type tags. Node 20+ has 9.
    # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: a Node-API call that fails because the
    # environment is going away (a worker being terminated) must not turn into an
    # uncaught C++ exception; node-addon-api then drops the JS exception it cannot
    # throw instead of calling std::terminate.
    'defines': ['NAPI_VERSION=8', 'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS'],
    'cflags_cc': ['-std=c++17'],
    'xcode_settings': {'CLANG_CXX_LANGUAGE_STANDARD': 'c++17', 'MACOSX_DEPLOYMENT_TARGET': '10.15'},
    'conditions': [
      ['OS=="win"', {'sources': ['src-native/shm_win32.cc', 'src-native/sem_win32.cc',
                                 'src-native/futex_win32.cc', 'src-native/owner_win32.cc']},
                    {'sources': ['src-native/shm_posix.cc', 'src-native/sem_posix.cc']}],
      ['OS=="linux"', {'sources': ['src-native/futex_linux.cc', 'src-native/owner_linux.cc',
                                   'src-native/futex_ring_linux.cc', 'src-native/ring_waits_linux.cc',
                                   'src-native/unused_linux.cc', 'src-native/unused_binding.cc']},
                      {'sources': ['src-native/ring_waits_other.cc']}],
      ['OS=="mac"', {'sources': ['src-native/futex_darwin.cc', 'src-native/owner_darwin.cc']}],
      # Older glibc keeps shm_* in librt and sem_* in libpthread.
      ['OS=="linux"', {'libraries': ['-lrt', '-lpthread'], 'cflags_cc': ['-pthread']}],
    ],
  }]
}
