#!/bin/sh
# Install what healthtop needs from Debian 12's packages, and nothing else.
#
#   scripts/deps.sh          build dependencies (enough for `healthtop --demo`)
#   scripts/deps.sh --test   also what the test suite talks to (redis-server,
#                            PostgreSQL 15, Celery, tmux, Prometheus and
#                            promtool, clang for the fuzz build); their
#                            packaged daemons are kept from starting too
#   scripts/deps.sh --bench  the benchmarks' peers and tools (bench/deps.sh):
#                            check_http, blackbox_exporter, nginx-light, wrk,
#                            hyperfine, gnuplot, perf; their packaged daemons
#                            are kept from starting (the benchmarks start
#                            private instances on free loopback ports)
#
# Idempotent: packages already installed are not touched, and when nothing
# is missing no root rights are needed.
set -eu

BUILD_PKGS="gcc make cmake pkg-config libuv1-dev libcurl4-openssl-dev
libhiredis-dev libncurses-dev libyaml-dev libjansson-dev libcmocka-dev libpq-dev"
TEST_PKGS="redis-server python3 python3-celery python3-redis tmux curl
clang libclang-rt-14-dev clang-tidy clang-format cppcheck valgrind openssl procps
podman podman-compose runc busybox-static postgresql-15 prometheus prometheus-alertmanager
chromium chromium-driver python3-selenium"

BENCH_PKGS="monitoring-plugins-basic prometheus-blackbox-exporter nginx-light wrk
hyperfine gnuplot-nox tmux redis-server redis-tools python3-celery
python3-redis curl procps linux-perf"

pkgs=$BUILD_PKGS
case "${1:-}" in
--test) pkgs="$BUILD_PKGS $TEST_PKGS" ;;
--bench) pkgs=$BENCH_PKGS ;;
"") ;;
*) echo "usage: scripts/deps.sh [--test|--bench]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "healthtop: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
		echo "healthtop: not root, using sudo for apt-get"
	else
		echo "healthtop: these Debian packages are missing:$missing" >&2
		echo "healthtop: run this script as root (or install sudo)." >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian starts packaged daemons on install; the benchmarks want a quiet
# machine and the tests start private instances on free ports (a packaged
# Prometheus would take 9090), so keep them from starting (policy-rc.d),
# when root.
if [ -n "${1:-}" ] && [ -z "$SUDO" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
