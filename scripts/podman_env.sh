# Sourced by the container scripts: podman as this machine needs it. The sandbox's cgroup v1/v2 hybrid is
# refused by crun, so runc; it refuses podman's default rlimits, so explicit ones. The machine's CA bundle
# reaches pip inside a build (the network inspects TLS) as a build secret, never stored in a layer.
LOCAL_BASE_IMAGE="localhost/melmastoon/debian:bookworm-slim"
BUILD_CA="${BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}"
PODMAN_FLAGS=(--runtime runc)
LIMITS=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
podman_run() { podman "${PODMAN_FLAGS[@]}" run "${LIMITS[@]}" "$@"; }
podman_build() { podman "${PODMAN_FLAGS[@]}" build "${LIMITS[@]}" "$@"; }
