#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, capture,
# API and CLI tests, and the live end-to-end tests (which need root and
# skip with a reason otherwise). Then the Windows build, cross-compiled with
# mingw-w64, and its tests under Wine. Then the unit and integration tests again
# under AddressSanitizer and UndefinedBehaviorSanitizer, with the live
# process-attribution tests (the attribution worker and the eBPF reader
# meet real traffic only there), and each libFuzzer
# target for a fixed time (FUZZ_SECONDS, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage says how long it took: the whole suite must stay under 20 minutes on CI's 2 cores.
stage_start=$SECONDS
stage_done() {
  echo "== $1 took $((SECONDS - stage_start)) s (suite so far: ${SECONDS} s)"
  stage_start=$SECONDS
}
scripts/install-deps.sh
stage_done "installing what is missing"

BUILD_DIR=build scripts/build.sh
stage_done "the build"
(cd build && ctest --output-on-failure -j 2 --timeout 300)
stage_done "ring 1 tests"

if [ "${DNSLEAK_SKIP_WINDOWS:-0}" != 1 ]; then
  echo "== Windows: the portable stages and the Windows parts, cross-built with mingw-w64, tested under Wine"
  cmake -S . -B build-windows -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-windows -j "$(nproc)"
  (cd build-windows && ctest --output-on-failure --timeout 600)
  stage_done "the Windows build and its tests under Wine"
fi

if [ "${DNSLEAK_SKIP_SANITIZERS:-0}" != 1 ]; then
  echo "== again under ASan+UBSan (unit, capture, API and CLI tests; live attribution)"
  BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DDNSLEAK_SANITIZE=ON
  stage_done "the ASan+UBSan build"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j 2 --timeout 300 -R '^(unit|integration)\.|^e2e\.AttributionLiveTest\.')
  stage_done "ASan+UBSan tests"
fi

if [ "${DNSLEAK_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz targets, ${FUZZ_SECONDS:-10} s each"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDNSLEAK_FUZZ=ON \
    -DDNSLEAK_TESTS=OFF -DFUZZ_SECONDS="${FUZZ_SECONDS:-10}" >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target dns_parser_fuzz tls_client_hello_fuzz quic_initial_fuzz packet_fuzz \
    tcp_streams_fuzz config_fuzz pcapng_fuzz api_requests_fuzz attribution_fuzz policy_fuzz quic_frames_fuzz tunnel_fuzz
  stage_done "the fuzz build"
  (cd build-fuzz && ctest --output-on-failure -R '^fuzz\.')
  stage_done "fuzzing"
fi
