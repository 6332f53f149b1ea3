# The Windows build, cross-compiled with mingw-w64 (cmake/mingw-w64.cmake)
# or native with a toolchain that has the libraries (docs/windows.md).
#
# Built here: the portable stages (cmake/stages.cmake) with the libraries
# this toolchain has; the Windows platform parts (service control manager,
# Event Log, the main loop's wake-ups, adapters, live capture through Npcap, the
# API socket's directory and its ACL, flow owners from the IP helper
# tables, file reading, thread names); dnsleakctl's platform half; and
# their tests: windows_tests.exe, run by ctest under Wine when
# cross-compiling.
#
# Not built yet: the daemon and dnsleakctl's commands, which need gRPC,
# protobuf, spdlog and yaml-cpp; Debian has none of them for mingw-w64.
# docs/windows.md says what a vcpkg build needs.

find_package(Threads REQUIRED)
find_package(OpenSSL QUIET)
find_package(absl CONFIG QUIET)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(NGHTTP2 QUIET IMPORTED_TARGET libnghttp2)
  pkg_check_modules(PSL QUIET IMPORTED_TARGET libpsl)
endif()

# Windows 10 1803 (AF_UNIX) and later.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 UNICODE _UNICODE NOMINMAX WIN32_LEAN_AND_MEAN)

include(cmake/stages.cmake)

# Process attribution: the seam, its worker and the IP helper tables.
add_library(dnsleak_attribution STATIC ${D}/attribution/attributor.cc ${D}/attribution/table_owners.cc
  ${D}/attribution/local_addresses.cc ${D}/attribution/windows_flow_owners.cc)
target_link_libraries(dnsleak_attribution PUBLIC dnsleak_core Threads::Threads PRIVATE iphlpapi ws2_32)

# The Windows platform parts behind the seams the Linux build fills with
# systemd, netlink and a Unix socket's mode.
add_library(dnsleak_windows STATIC
  ${D}/app/service_windows.cc ${D}/app/daemon_events_windows.cc
  ${D}/capture/adapters.cc ${D}/capture/adapters_windows.cc
  ${D}/api/socket_directory_windows.cc)
target_link_libraries(dnsleak_windows PUBLIC dnsleak_core dnsleak_windows_text
  PRIVATE iphlpapi ws2_32 advapi32)

# Live capture through Npcap, built where libpcap's headers are: the Npcap
# SDK's (DNSLEAK_PCAP_INCLUDE), else, cross-compiling on Debian, libpcap's
# own from /usr/include (platform-neutral; they declare Npcap's Windows
# calls). wpcap.dll is loaded at run time (capture/npcap_windows.h), so no
# import library is needed and the daemon says when Npcap is missing.
set(DNSLEAK_PCAP_INCLUDE "" CACHE PATH "a directory holding pcap/pcap.h (the Npcap SDK's Include)")
if(NOT DNSLEAK_PCAP_INCLUDE AND CMAKE_CROSSCOMPILING AND EXISTS /usr/include/pcap/pcap.h)
  # Only libpcap's headers, not the rest of the build machine's /usr/include.
  set(DNSLEAK_PCAP_INCLUDE ${CMAKE_BINARY_DIR}/pcap-include)
  file(MAKE_DIRECTORY ${DNSLEAK_PCAP_INCLUDE})
  file(CREATE_LINK /usr/include/pcap ${DNSLEAK_PCAP_INCLUDE}/pcap SYMBOLIC)
endif()
if(DNSLEAK_PCAP_INCLUDE)
  add_library(dnsleak_capture_windows STATIC ${D}/capture/npcap_windows.cc ${D}/capture/npcap_source_windows.cc
    ${D}/capture/live_filter.cc)
  target_include_directories(dnsleak_capture_windows PUBLIC ${DNSLEAK_PCAP_INCLUDE})
  target_link_libraries(dnsleak_capture_windows PUBLIC dnsleak_windows)
  message(STATUS "Npcap capture: built, with libpcap's headers from ${DNSLEAK_PCAP_INCLUDE}")
else()
  message(STATUS "Npcap capture: not built (set DNSLEAK_PCAP_INCLUDE to the Npcap SDK's Include)")
endif()

# dnsleakctl's platform half (the connection's check, terminals, the
# private daemon); the commands themselves need gRPC.
add_library(dnsleak_client_windows STATIC ${PROJECT_SOURCE_DIR}/client/platform_windows.cc)
target_include_directories(dnsleak_client_windows PUBLIC ${PROJECT_SOURCE_DIR}/client)
target_link_libraries(dnsleak_client_windows PUBLIC dnsleak_windows_text PRIVATE ws2_32 advapi32)

if(DNSLEAK_TESTS)
  enable_testing()
  # GoogleTest as the toolchain has it (MSYS2), else built from source, as
  # Debian's googletest package ships it for cross-builds.
  find_package(GTest CONFIG QUIET)
  if(TARGET GTest::gtest)
    set(DNSLEAK_GTEST GTest::gtest)
  else()
    set(DNSLEAK_GTEST_SOURCE /usr/src/googletest CACHE PATH "GoogleTest's source tree")
    if(NOT EXISTS ${DNSLEAK_GTEST_SOURCE}/CMakeLists.txt)
      message(FATAL_ERROR "GoogleTest's source is not at ${DNSLEAK_GTEST_SOURCE}: install Debian's googletest "
        "(scripts/install-deps.sh) or set DNSLEAK_GTEST_SOURCE")
    endif()
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
    add_subdirectory(${DNSLEAK_GTEST_SOURCE} googletest EXCLUDE_FROM_ALL)
    set(DNSLEAK_GTEST gtest)
  endif()

  set(T ${PROJECT_SOURCE_DIR}/tests)
  # The portable stages' unit tests that need no library this build lacks:
  # not the HTTP/2 and QUIC ones (nghttp2, OpenSSL), not those held to
  # glibc (inet_pton, fnmatch) or reading the source tree.
  set(WINDOWS_PORTABLE_TESTS
    ${T}/unit/core/resolver_list_test.cc ${T}/unit/core/thread_name_test.cc
    ${T}/unit/decode/decoder_test.cc ${T}/unit/decode/fragments_test.cc
    ${T}/unit/classify/dns_parser_test.cc ${T}/unit/classify/local_link_test.cc
    ${T}/unit/classify/tcp_dns_streams_test.cc ${T}/unit/classify/tls_client_hello_test.cc
    ${T}/unit/classify/tls_flows_test.cc ${T}/unit/classify/tls_shape_test.cc
    ${T}/unit/config/bounded_file_test.cc
    ${T}/unit/policy/correlator_test.cc ${T}/unit/policy/policy_test.cc ${T}/unit/policy/profiles_test.cc
    ${T}/unit/policy/tunnel_test.cc
    ${T}/unit/store/event_store_test.cc ${T}/unit/store/fifo_bytes_test.cc
    ${T}/unit/capture/adapters_test.cc
    ${T}/unit/app/daemon_events_test.cc)
  add_executable(windows_tests ${T}/windows/main.cc ${T}/windows/service_test.cc ${T}/windows/adapters_test.cc
    ${T}/windows/socket_directory_test.cc ${T}/windows/flow_owners_test.cc ${T}/windows/client_test.cc
    ${T}/windows/daemon_events_test.cc
    ${T}/tools/packet_builder.cc ${WINDOWS_PORTABLE_TESTS})
  target_include_directories(windows_tests PRIVATE ${T}/tools)
  if(TARGET dnsleak_capture_windows)
    target_sources(windows_tests PRIVATE ${T}/windows/npcap_capture_test.cc)
    target_link_libraries(windows_tests PRIVATE dnsleak_capture_windows)
  endif()
  target_link_libraries(windows_tests PRIVATE dnsleak_classify dnsleak_policy dnsleak_store dnsleak_attribution
    dnsleak_windows dnsleak_client_windows ${DNSLEAK_GTEST} ws2_32 iphlpapi advapi32)
  target_compile_definitions(windows_tests PRIVATE DNSLEAK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # Under Wine: headless (no display), quiet, in a prefix of the build's own.
  add_test(NAME windows.tests COMMAND windows_tests --gtest_brief=1)
  set_tests_properties(windows.tests PROPERTIES TIMEOUT 600)
  if(CMAKE_CROSSCOMPILING)
    set_tests_properties(windows.tests PROPERTIES
      ENVIRONMENT "WINEDEBUG=-all;WINEPREFIX=${CMAKE_BINARY_DIR}/wineprefix;DISPLAY=;WINEDLLOVERRIDES=mscoree,mshtml=")
  endif()
endif()
