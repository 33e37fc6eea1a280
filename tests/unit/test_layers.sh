#!/bin/bash
# The header layers (doc/architecture.md, "Layers and headers") hold over
# the tree, and scripts/check_layers.sh catches each way of breaking them:
# it is run on copies of include/ and src/ with one fault put in each.
. "$(dirname "$0")/../lib.sh"

check=$HT_SOURCE_DIR/scripts/check_layers.sh

t_check "the tree keeps its layers" "$check" "$HT_SOURCE_DIR"

# A fresh copy of the tree's include/ and src/ in $T_DIR/NAME.
copy() {
	mkdir -p "$T_DIR/$1"
	cp -r "$HT_SOURCE_DIR/include" "$HT_SOURCE_DIR/src" "$T_DIR/$1/"
}

# faulty NAME EXPECTED: the check fails on tree NAME and says EXPECTED.
faulty() {
	if "$check" "$T_DIR/$1" >"$T_DIR/$1.out" 2>&1; then
		t_fail "$1: check passed a faulty tree"
	else
		t_ok "$1: check fails"
	fi
	t_contains "$1: says why" "$T_DIR/$1.out" "$2"
}

# A view that reaches into a probe kind.
copy ui_probe
echo '#include "probes/targets.h"' >>"$T_DIR/ui_probe/src/ui/grid.c"
faulty ui_probe "src/ui/grid.c includes src/probes/targets.h, private to src/probes/"

# A view that reaches into the config loader's helpers.
copy ui_config
echo '#include "yaml_doc.h"' >>"$T_DIR/ui_config/src/ui/detail.c"
faulty ui_config "src/ui/detail.c includes src/yaml_doc.h, private to src/"

# The public model depending on a private header.
copy public_private
echo '#include "ui/ui.h"' >>"$T_DIR/public_private/include/healthtop/report.h"
faulty public_private "include/healthtop/report.h (public) includes src/ui/ui.h"

# A cycle: history.h already includes ring.h.
copy cycle
echo '#include "healthtop/history.h"' >>"$T_DIR/cycle/include/healthtop/ring.h"
faulty cycle "include cycle among headers"

# An include of a file that does not exist.
copy missing
echo '#include "healthtop/nosuch.h"' >>"$T_DIR/missing/src/util.c"
faulty missing 'src/util.c includes "healthtop/nosuch.h", which is no file'

t_done
