# The portable pipeline stages: core, decode, classify, the config's values,
# policy and store. They include no POSIX or Linux header (held by
# tests/unit/core/portable_headers_test.cc) and build for Linux and, with
# mingw-w64, for Windows. What differs is chosen here and nowhere else:
#
#   the platform     config/bounded_file_{posix,windows}.cc, core/thread_name_{linux,windows}.cc
#   OpenSSL          classify/quic_crypto_{openssl,none}.cc   QUIC Initial decryption
#   nghttp2          classify/hpack_{nghttp2,none}.cc         DNS over cleartext HTTP/2
#   libpsl           policy/suffix_list_{psl,none}.cc         registrable domains
#   Abseil           the store's flat fold map, else std::unordered_map
#
# The Linux build requires all four libraries; a cross-build takes those it
# finds and says which it went without.

set(D ${PROJECT_SOURCE_DIR}/daemon)
if(WIN32)
  set(DNSLEAK_PLATFORM_FILES windows)
  set(DNSLEAK_THREAD_NAMES windows)
else()
  set(DNSLEAK_PLATFORM_FILES posix)
  set(DNSLEAK_THREAD_NAMES linux)
endif()
set(DNSLEAK_WITHOUT "")

add_library(dnsleak_core STATIC ${D}/core/ip_address.cc ${D}/core/event.cc ${D}/core/resolver_list.cc
  ${D}/core/glob.cc ${D}/core/thread_name_${DNSLEAK_THREAD_NAMES}.cc)
target_include_directories(dnsleak_core PUBLIC ${D})
# The packet path's hash tables (core/hash_map.h).
if(TARGET absl::flat_hash_map AND TARGET absl::node_hash_map)
  target_link_libraries(dnsleak_core PUBLIC absl::flat_hash_map absl::node_hash_map absl::hash)
else()
  target_compile_definitions(dnsleak_core PUBLIC DNSLEAK_STD_MAPS)
  list(APPEND DNSLEAK_WITHOUT "Abseil (hash tables are std::unordered_map)")
endif()

add_library(dnsleak_decode STATIC ${D}/decode/decoder.cc ${D}/decode/fragments.cc)
target_link_libraries(dnsleak_decode PUBLIC dnsleak_core)

add_library(dnsleak_classify STATIC ${D}/classify/dns_parser.cc ${D}/classify/tcp_dns_streams.cc ${D}/classify/http_dns.cc
  ${D}/classify/tls_client_hello.cc ${D}/classify/tls_flows.cc ${D}/classify/quic_initial.cc
  ${D}/classify/classifier.cc)
target_link_libraries(dnsleak_classify PUBLIC dnsleak_decode)
if(TARGET OpenSSL::Crypto)
  target_sources(dnsleak_classify PRIVATE ${D}/classify/quic_crypto_openssl.cc)
  target_link_libraries(dnsleak_classify PRIVATE OpenSSL::Crypto)
else()
  target_sources(dnsleak_classify PRIVATE ${D}/classify/quic_crypto_none.cc)
  list(APPEND DNSLEAK_WITHOUT "OpenSSL (QUIC Initials are not decrypted)")
endif()
if(TARGET PkgConfig::NGHTTP2)
  target_sources(dnsleak_classify PRIVATE ${D}/classify/hpack_nghttp2.cc)
  target_link_libraries(dnsleak_classify PRIVATE PkgConfig::NGHTTP2)
else()
  target_sources(dnsleak_classify PRIVATE ${D}/classify/hpack_none.cc)
  list(APPEND DNSLEAK_WITHOUT "nghttp2 (DNS over cleartext HTTP/2 is not read)")
endif()

add_library(dnsleak_config_values STATIC ${D}/config/values.cc
  ${D}/config/bounded_file_${DNSLEAK_PLATFORM_FILES}.cc)
target_link_libraries(dnsleak_config_values PUBLIC dnsleak_core)
if(WIN32)
  # UTF-8 and UTF-16, and the system's error sentences, for every Windows file.
  add_library(dnsleak_windows_text STATIC ${D}/platform/windows_text.cc)
  target_include_directories(dnsleak_windows_text PUBLIC ${D})
  target_link_libraries(dnsleak_config_values PRIVATE dnsleak_windows_text)
endif()

add_library(dnsleak_policy STATIC ${D}/policy/policy.cc ${D}/policy/privacy.cc ${D}/policy/correlator.cc
  ${D}/policy/tunnel.cc)
target_link_libraries(dnsleak_policy PUBLIC dnsleak_config_values dnsleak_core)
if(TARGET PkgConfig::PSL)
  target_sources(dnsleak_policy PRIVATE ${D}/policy/suffix_list_psl.cc)
  target_link_libraries(dnsleak_policy PRIVATE PkgConfig::PSL)
else()
  target_sources(dnsleak_policy PRIVATE ${D}/policy/suffix_list_none.cc)
  list(APPEND DNSLEAK_WITHOUT "libpsl (registrable domains are the last two labels)")
endif()

add_library(dnsleak_store STATIC ${D}/store/event_codec.cc ${D}/store/event_store.cc)
target_link_libraries(dnsleak_store PUBLIC dnsleak_core)

foreach(missing IN LISTS DNSLEAK_WITHOUT)
  message(STATUS "portable stages built without ${missing}")
endforeach()
