# A real engine for the compose tests (sourced after tests/lib.sh): a
# local busybox-static image and Podman's Docker-compatible API service
# on a socket of the test's own. Not a test itself (no test_ prefix).
#
# podman_setup PROJECT IMAGE: checks that podman, runc and busybox-static
# are here (else says why and exits 0: the machine cannot run containers),
# writes a containers.conf for runc, imports IMAGE and removes the
# project's containers and the image at exit.
# podman_service: starts `podman system service` and exports DOCKER_HOST.

PLOG=$T_DIR/podman.log
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME COMPOSE_PATH_SEPARATOR

podman_setup() {
	PS_PROJECT=$1
	PS_IMAGE=$2
	if ! command -v podman >/dev/null || ! command -v runc >/dev/null || [ ! -x /bin/busybox ]; then
		echo "no real engine here: podman, runc or busybox-static missing; skipped"
		exit 0
	fi
	cat >"$T_DIR/containers.conf" <<'EOF2'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
EOF2
	export CONTAINERS_CONF=$T_DIR/containers.conf
	trap podman_cleanup EXIT
	mkdir -p "$T_DIR/rootfs/bin" && cp /bin/busybox "$T_DIR/rootfs/bin/" &&
		for c in sh sleep true false; do ln -sf busybox "$T_DIR/rootfs/bin/$c"; done &&
		tar -C "$T_DIR/rootfs" -cf "$T_DIR/rootfs.tar" . &&
		podman import "$T_DIR/rootfs.tar" "$PS_IMAGE" >>"$PLOG" 2>&1
}

podman_cleanup() {
	podman ps -aq --filter "label=com.docker.compose.project=$PS_PROJECT" |
		xargs -r podman rm -f -t 0 >>"$PLOG" 2>&1
	podman network rm -f "${PS_PROJECT}_default" >>"$PLOG" 2>&1
	podman rmi -f "$PS_IMAGE" >>"$PLOG" 2>&1
	t_cleanup
}

# Where podman cannot run a container at all, the test says why and stops.
podman_can_run() {
	if ! podman run --rm "$PS_IMAGE" /bin/true >>"$PLOG" 2>&1; then
		echo "no real engine here: podman cannot run a container (see $PLOG); skipped"
		tail -5 "$PLOG" | sed 's/^/    | /'
		exit 0
	fi
}

podman_service() {
	PS_SOCK=$T_DIR/podman.sock
	t_bg podman system service --time=0 "unix://$PS_SOCK"
	t_until "$T_DEADLINE_S" t_unix_up "$PS_SOCK" ||
		{ echo "FAIL - podman system service did not listen on $PS_SOCK"; exit 1; }
	export DOCKER_HOST=unix://$PS_SOCK
}
