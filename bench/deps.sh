#!/bin/sh
# Install the benchmarks' peers and tools from Debian 12's packages.
#
#   bench/deps.sh
#
# The peers: monitoring-plugins-basic (check_http), prometheus-blackbox-
# exporter, nginx-light (the fast target of scenario 2), wrk (the loopback
# floor), redis-tools (redis-cli), python3-celery (celery inspect ping),
# curl (the seed-style shell script), procps (watch). The tools: hyperfine,
# gnuplot-nox (the plots), tmux (scenario 4), linux-perf (profiles).
# healthtop's own build and test dependencies come from scripts/deps.sh.
#
# Idempotent: packages already installed are not touched, and when nothing
# is missing no root rights are needed. The packages' own services
# (nginx, blackbox exporter) are not used: the scripts start private
# instances on free loopback ports.
set -eu

PKGS="monitoring-plugins-basic prometheus-blackbox-exporter nginx-light wrk
hyperfine gnuplot-nox tmux redis-server redis-tools python3-celery
python3-redis curl procps linux-perf"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "bench: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "bench: these Debian packages are missing:$missing" >&2
		echo "bench: run this script as root (or install sudo)." >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian starts the packaged daemons on install; the benchmarks want a
# quiet machine, so keep them from starting (policy-rc.d), when root.
if [ -z "$SUDO" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
