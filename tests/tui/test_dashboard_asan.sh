#!/bin/bash
# The dashboard's end-to-end test once more with the ASan/UBSan build of
# the binary (build-asan/ in the source tree, or HT_ASAN_HEALTHTOP), so
# that memory errors in the terminal paths (resize, quit, signals) show.
# Skips when there is no such build, or when HEALTHTOP already is one
# (test_dashboard.sh then covers it).
: "${HEALTHTOP:?HEALTHTOP must name the binary (ctest sets it)}"
: "${HT_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
ASAN_BIN=${HT_ASAN_HEALTHTOP:-$HT_SOURCE_DIR/build-asan/healthtop}

if grep -q __asan_init "$HEALTHTOP" 2>/dev/null; then
	echo "skip: $HEALTHTOP is already a sanitizer build"
	exit 0
fi
if [ ! -x "$ASAN_BIN" ] || ! grep -q __asan_init "$ASAN_BIN"; then
	echo "skip: no ASan build at $ASAN_BIN"
	exit 0
fi
HEALTHTOP=$ASAN_BIN exec bash "$(dirname "$0")/test_dashboard.sh"
