{
  'targets': [{
    'target_name': 'shmem',
    'sources': [
      'src-native/addon.cc',
      'src-native/errors.cc',
      'src-native/shm_binding.cc',
      'src-native/sem_binding.cc',
      'src-native/async_wait.cc',
    ],
    'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
    # 7: napi_detach_arraybuffer; 8: type tags. Node 20+ has 9.
    'defines': ['NAPI_VERSION=8'],
    'cflags_cc': ['-std=c++17'],
    'xcode_settings': {'CLANG_CXX_LANGUAGE_STANDARD': 'c++17', 'MACOSX_DEPLOYMENT_TARGET': '10.15'},
    'conditions': [
      ['OS=="win"', {'sources': ['src-native/shm_win32.cc', 'src-native/sem_win32.cc']},
                    {'sources': ['src-native/shm_posix.cc', 'src-native/sem_posix.cc']}],
      # Older glibc keeps shm_* in librt and sem_* in libpthread.
      ['OS=="linux"', {'libraries': ['-lrt', '-lpthread'], 'cflags_cc': ['-pthread']}],
    ],
  }]
}
