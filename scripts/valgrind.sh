#!/bin/sh
# Runs the cmocka tests (unit and integration) under valgrind memcheck:
# zero errors and zero definite leaks, or exit 1. A plain build of its
# own (no sanitizers: valgrind and ASan do not mix).
#
#   scripts/valgrind.sh           the C tests
#   scripts/valgrind.sh --binary  also the shell tests, with the healthtop
#                                 binary itself under valgrind (slow: some
#                                 timing checks of those tests may fail
#                                 under valgrind's 20-50x slowdown; the
#                                 memcheck verdicts are what counts here)
#   VG_BUILD=dir                  the build directory (build-valgrind)
#
# valgrind.supp holds the suppressions, each with the reason.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${VG_BUILD:-build-valgrind}
jobs=$(nproc 2>/dev/null || echo 2)
binary=""
[ "${1:-}" = "--binary" ] && binary=1

cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHT_SANITIZE=OFF >/dev/null
cmake --build "$dir" -j"$jobs" >/dev/null

logs=$dir/valgrind
rm -rf "$logs"
mkdir -p "$logs"
vg="valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite"
vg="$vg --error-exitcode=99 --suppressions=$root/scripts/valgrind.supp"

export HEALTHTOP="$root/$dir/healthtop" HT_BUILD_DIR="$root/$dir" HT_SOURCE_DIR="$root" \
	HT_FIXTURE_DIR="$root/$dir/tests" NO_COLOR=
failed=""
pass=0
for t in "$dir"/tests/unit_test_* "$dir"/tests/integration_test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	# shellcheck disable=SC2086
	if $vg --log-file="$logs/$name.log" "$t" >"$logs/$name.out" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		echo "FAIL $name (exit $?)"
		cat "$logs/$name.log"
		tail -n 20 "$logs/$name.out"
		failed="$failed $name"
	fi
done

if [ -n "$binary" ]; then
	# The binary under valgrind for the shell tests: one log per process;
	# exit codes pass through (the tests check them), and the verdict
	# comes from the logs.
	wrap=$logs/healthtop
	cat >"$wrap" <<EOF
#!/bin/sh
exec $vg --log-file=$root/$logs/bin.%p.log "$HEALTHTOP" "\$@"
EOF
	chmod +x "$wrap"
	for t in tests/integration/test_*.sh tests/tui/test_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		if HEALTHTOP=$root/$wrap bash "$t" >"$logs/$name.sh.out" 2>&1; then
			echo "ok   $name (binary under valgrind)"
		else
			echo "note $name: the test itself failed under valgrind (timing?):"
			grep -E '^FAIL' "$logs/$name.sh.out" | head -n 10
		fi
	done
	nlogs=$(find "$logs" -name 'bin.*.log' | wc -l)
	bad=$(find "$logs" -name 'bin.*.log' -size +0 | sort)
	if [ -n "$bad" ]; then
		for f in $bad; do
			echo "--- $f"
			cat "$f"
		done
		failed="$failed binary"
	else
		echo "ok   $nlogs healthtop runs under valgrind, no error and no definite leak"
	fi
fi

echo "valgrind: $pass C test programs clean"
if [ -n "$failed" ]; then
	echo "valgrind: FAILED:$failed"
	exit 1
fi
