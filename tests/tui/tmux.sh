# Set-up and helpers shared by the tmux end-to-end tests (sourced after
# ../lib.sh, with a short name for the tmux server: `. tmux.sh demo`).
# Sanitizer reports of an ASan build go to files under the test's
# directory, where each test looks for them; HT_ASAN_EXTRA adds ASan
# options of the test's own.
command -v tmux >/dev/null || { echo "skip: tmux not installed"; exit 0; }
export LC_ALL=C.UTF-8
export ASAN_OPTIONS="log_path=$T_DIR/asan:detect_leaks=1${HT_ASAN_EXTRA:+:$HT_ASAN_EXTRA}${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$T_DIR/ubsan:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
TM=ht-$1-$$-$RANDOM
SCREEN=$T_DIR/screen.txt

tm() { tmux -f /dev/null -L "$TM" "$@"; }

capture() { tm capture-pane -p -t "${1:-main}" >"$SCREEN" 2>/dev/null; }
keys() { tm send-keys -t main "$@"; }

# wait_screen DESCRIPTION ERE [SECONDS [SESSION]]: passes as soon as the
# screen matches; fails, showing the last screen, only at the deadline
# (T_DEADLINE_S by default), which ends a stuck test and is no bound on
# how fast the screen should change.
wait_screen() {
	local secs=${3:-$T_DEADLINE_S}
	if t_until "$secs" screen_has "$2" "${4:-main}"; then t_ok "$1"; else
		t_fail "$1: expected /$2/ on screen within ${secs}s; it shows:"
		sed 's/^/    | /' "$SCREEN"
		return 1
	fi
}
# wait_screen_gone DESCRIPTION ERE [SECONDS [SESSION]]: the same, until
# the screen no longer matches.
wait_screen_gone() {
	local secs=${3:-$T_DEADLINE_S}
	if t_until "$secs" eval '! screen_has "$2" "${4:-main}"'; then t_ok "$1"; else
		t_fail "$1: expected /$2/ to leave the screen within ${secs}s; it shows:"
		sed 's/^/    | /' "$SCREEN"
		return 1
	fi
}
screen_has() { # ERE [SESSION]
	capture "${2:-main}"
	grep -qE -- "$1" "$SCREEN"
}

# screen_lacks DESCRIPTION ERE [SESSION]: the current screen does not match.
screen_lacks() {
	capture "${3:-main}"
	if grep -qE -- "$2" "$SCREEN"; then
		t_fail "$1: expected no /$2/ on screen; it shows:"
		sed 's/^/    | /' "$SCREEN"
	else t_ok "$1"; fi
}
