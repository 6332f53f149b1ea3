#!/usr/bin/env bash
# Builds with ThreadSanitizer (clang, build-tsan/) and runs the unit tests
# and the capture, API, service and fault tests under it; the daemon those
# tests start is the TSan build too, and a race it reports fails the test
# (TSan's exit code). Not part of .ci/run: the build and the slowed tests
# would take the suite past its 20 minutes. Debian's gRPC, protobuf and
# abseil are not built with TSan: tests/tsan-ignore.txt and tests/tsan.supp
# say what that hides and why.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo scripts/build.sh -DDNSLEAK_TSAN=ON
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=0 second_deadlock_stack=1"
build-tsan/tests/unit_tests
build-tsan/tests/integration_tests --gtest_filter='CaptureTest.*:ApiTest.*:ServiceTest.*:FaultTest.*'
