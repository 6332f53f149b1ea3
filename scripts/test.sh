#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, capture,
# API and CLI tests, and the live end-to-end tests (which need root and
# skip with a reason otherwise). Then the Windows build, cross-compiled with
# mingw-w64, and its tests under Wine. Then the unit and integration tests again
# under AddressSanitizer and UndefinedBehaviorSanitizer, with the live
# process-attribution tests (the attribution worker and the eBPF reader
# meet real traffic only there), and each libFuzzer
# target for a fixed time (FUZZ_SECONDS, default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

BUILD_DIR=build scripts/build.sh
(cd build && ctest --output-on-failure -j 2 --timeout 300)

if [ "${DNSLEAK_SKIP_WINDOWS:-0}" != 1 ]; then
  echo "== Windows: the portable stages and the Windows parts, cross-built with mingw-w64, tested under Wine"
  cmake -S . -B build-windows -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-windows -j "$(nproc)"
  (cd build-windows && ctest --output-on-failure --timeout 600)
fi

if [ "${DNSLEAK_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== again under ASan+UBSan (unit, capture, API and CLI tests; live attribution)"
  BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DDNSLEAK_SANITIZE=ON
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j 2 --timeout 300 -R '^(unit|integration)\.|^e2e\.AttributionLiveTest\.')
fi

if [ "${DNSLEAK_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz targets, ${FUZZ_SECONDS:-15} s each"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDNSLEAK_FUZZ=ON \
    -DDNSLEAK_TESTS=OFF -DFUZZ_SECONDS="${FUZZ_SECONDS:-15}" >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target dns_parser_fuzz tls_client_hello_fuzz quic_initial_fuzz packet_fuzz \
    tcp_streams_fuzz config_fuzz pcapng_fuzz api_requests_fuzz attribution_fuzz policy_fuzz quic_frames_fuzz tunnel_fuzz
  (cd build-fuzz && ctest --output-on-failure -R '^fuzz\.')
fi
