#!/bin/bash
# A relocatable install: `cmake --install` into a temporary prefix, the
# prefix moved elsewhere, the binary run from a third directory. It must
# find its themes under the moved prefix's share/healthtop/themes (worked
# out from its own location, never from a path fixed at build time or
# from the source tree), and `man healthtop` must work with the prefix's
# share/man on MANPATH. Then the counter-check: with the installed theme
# removed, the same binary says where it looked, which proves the first
# half found the file it was meant to find.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/tmux.sh" install
trap 'tm kill-server 2>/dev/null; t_cleanup' EXIT
command -v cmake >/dev/null || { echo "skip: cmake not installed"; exit 0; }

cmake --install "$HT_BUILD_DIR" --prefix "$T_DIR/staged" >"$T_DIR/install.log" 2>&1
t_check "cmake --install into a temporary prefix" [ -x "$T_DIR/staged/bin/healthtop" ]
mv "$T_DIR/staged" "$T_DIR/moved"
P=$T_DIR/moved
mkdir -p "$T_DIR/elsewhere" "$T_DIR/home"
t_check "the themes are installed under share/healthtop/themes" \
	[ -f "$P/share/healthtop/themes/light.theme" ]
if grep -qF "$HT_SOURCE_DIR/themes" "$P/bin/healthtop"; then
	t_fail "the installed binary names the source tree's themes/ ($HT_SOURCE_DIR/themes)"
else
	t_ok "the installed binary holds no path to the source tree's themes/"
fi

# Colour on (lib.sh sets NO_COLOR), no user theme directory in the way.
dash() { # extra healthtop arguments; runs the moved binary in the session "main"
	tm kill-session -t main 2>/dev/null
	tm new-session -d -s main -x 120 -y 32 -c "$T_DIR/elsewhere" \
		"env -u NO_COLOR -u XDG_CONFIG_HOME HOME=$T_DIR/home TERM=screen-256color $P/bin/healthtop --demo $*; sleep 600"
}

dash --theme light
wait_screen "the moved binary draws the dashboard" "SERVICE"
screen_lacks "the light theme is found under the moved prefix" "not found"
tm send-keys -t main T
# T cycles in name order: default, high-contrast, light, mono, ...
wait_screen "T cycles from light to the next installed theme" "theme: mono"

rm "$P/share/healthtop/themes/light.theme"
dash --theme light
wait_screen "without the file, the binary says where it looked" \
	"theme 'light' not found \(looked in [^ ]*/moved/bin/share/healthtop/themes"

if command -v man >/dev/null; then
	MANPATH=$P/share/man man -w healthtop >"$T_DIR/man.path" 2>&1
	t_contains "man -w finds the page under the moved prefix" "$T_DIR/man.path" \
		"$P/share/man/man1/healthtop.1"
	MANPATH=$P/share/man MANWIDTH=80 man -P cat healthtop >"$T_DIR/man.txt" 2>/dev/null
	t_contains "man healthtop renders the page" "$T_DIR/man.txt" "healthtop"
else
	echo "skip: man is not installed"
fi
t_done
