#!/bin/bash
# Checks the header layers of doc/architecture.md ("Layers and headers")
# over the project's own code (include/ and src/; tests, fuzz targets and
# benchmarks may reach inside a subsystem). Exits 1 and names the file on:
#
#   - a header of include/healthtop/ that includes a header from src/:
#     the public model must not depend on anything private;
#   - a header private to one folder of src/ included from another:
#       src/probes/*.h   only from src/probes/, and curl_uv.h also from
#                        src/alerts/http.c (alert deliveries share the
#                        curl-on-libuv driver with the probes)
#       src/alerts/*.h   only from src/alerts/
#       src/ui/*.h       only from src/ui/
#       src/demo/*.h     only from src/demo/ and src/main.c (the demo mode)
#       src/compose/*.h  only from src/compose/ and src/main.c (`lint`)
#       src/*.h          only from src/, src/probes/ (the config loader's
#                        helpers, which the kinds' config parsers share),
#                        src/compose/ (which reads YAML through yaml_doc)
#                        and src/demo/ (the demo's services are served by
#                        the server of --listen: httpd, tcpsrv)
#   - an #include "..." that names no file of the tree;
#   - a cycle among the headers (tsort finds it).
#
#   scripts/check_layers.sh          the checkout this script is in
#   scripts/check_layers.sh DIR      the tree at DIR (the test uses copies)
set -u
root=${1:-"$(dirname "$0")/.."}
cd "$root" || exit 2
failed=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

bad() {
	echo "check_layers: $*"
	failed=1
}

# Sets target to the file an #include "name" in file resolves to,
# searched as the compiler does: the including file's folder, then
# include/, then src/. (Plain bash, no subprocess per include: this runs
# on a busy machine in the unit tests.)
resolve() { # file name
	local d
	for d in "${1%/*}" include src; do
		if [ -f "$d/$2" ]; then
			target=$d/$2
			return 0
		fi
	done
	return 1
}

# Sets tl to the layer of header target: "public" for include/, else its
# folder under src/ ("src", "src/probes", ...).
layer() {
	case $target in
	include/*) tl=public ;;
	*) tl=${target%/*} ;;
	esac
}

# May file f include a header of layer tl?
allowed() {
	local fdir=${f%/*}
	case $tl in
	public) return 0 ;;
	src) [ "$fdir" = src ] || [ "$fdir" = src/probes ] || [ "$fdir" = src/demo ] ||
		[ "$fdir" = src/compose ] ;;
	src/demo | src/compose) [ "$fdir" = "$tl" ] || [ "$f" = src/main.c ] ;;
	src/probes) [ "$fdir" = src/probes ] || { [ "$f" = src/alerts/http.c ] && [ "$target" = src/probes/curl_uv.h ]; } ;;
	*) [ "$fdir" = "$tl" ] ;;
	esac
}

files=$(find include src -name '*.[ch]' 2>/dev/null | sort)
# One grep over every file: "file:#include "name"" per quoted include
# (<...> are system and library headers).
# shellcheck disable=SC2086
while IFS= read -r line; do
	f=${line%%:*}
	name=${line#*\"}
	name=${name%%\"*}
	if ! resolve "$f" "$name"; then
		bad "$f includes \"$name\", which is no file of include/ or src/"
		continue
	fi
	layer
	case $f in
	include/*)
		[ "$tl" = public ] ||
			bad "$f (public) includes $target, private to $tl/"
		;;
	*)
		allowed ||
			bad "$f includes $target, private to $tl/"
		;;
	esac
	case $f in *.h) echo "$f $target" >>"$edges" ;; esac
done < <(grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files)

# tsort prints "input contains a loop" and the headers on it, on stderr.
if ! loop=$(tsort <"$edges" 2>&1 >/dev/null) || [ -n "$loop" ]; then
	bad "include cycle among headers:"
	loop=${loop//tsort: -: /}
	echo "${loop//tsort: /  }"
fi

if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "check_layers: $(echo "$files" | wc -w) files, layers hold, no include cycle"
