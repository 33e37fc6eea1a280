/* Where the Docker engine is, found as the docker CLI finds it, and how
 * a curl handle reaches it.
 *
 * An engine address is a string: an absolute path (a unix socket) or
 * "tcp://HOST:PORT". It is found in this order:
 *
 *   DOCKER_HOST      unix:///path or tcp://host:port
 *   DOCKER_CONTEXT   a context name, else the currentContext of
 *                    $DOCKER_CONFIG/config.json (~/.docker/config.json);
 *                    the context's meta.json under contexts/meta/ gives
 *                    Endpoints.docker.Host ("default" means no context)
 *   the usual sockets /var/run/docker.sock, then Podman's
 *                    $XDG_RUNTIME_DIR/podman/podman.sock and
 *                    /run/podman/podman.sock, the first that exists
 *                    (/var/run/docker.sock when none does)
 *
 * A tcp:// engine is spoken to over TLS when DOCKER_TLS_VERIFY is set to
 * anything but the empty string: ca.pem, cert.pem and key.pem of
 * DOCKER_CERT_PATH (~/.docker when unset), as the docker CLI does. */
#ifndef HEALTHTOP_DOCKER_HOST_H
#define HEALTHTOP_DOCKER_HOST_H

#include <curl/curl.h>
#include <stddef.h>

#define DOCKER_HOST_DEFAULT "/var/run/docker.sock"

/* The engine's address, allocated into *out; or -1 with err filled
 * ("DOCKER_HOST=ftp://x is not supported: ..."), *out NULL. */
int docker_host_resolve(char **out, char *err, size_t n);

/* The address of one DOCKER_HOST-style value: 0 and *out allocated, or
 * -1 (a scheme other than unix:// and tcp://). */
int docker_host_parse(const char *value, char **out);

/* Points easy at path (such as "/v1.41/events?...") on the engine at
 * addr: the unix socket, or http(s)://host:port with the TLS files. */
void docker_host_setup(CURL *easy, const char *addr, const char *path);

#endif
