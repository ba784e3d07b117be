// Package images builds a compose project's images and pushes them to a
// registry by driving a builder's own CLI: docker, podman or buildah. It
// does not reimplement a builder: it maps every compose build key to the
// builder's flags (or to a warning naming the service and key when the
// builder has no such flag), runs the builder, and reads back the image ID
// and the pushed manifest digest, so the caller can deploy exactly what
// was built (registry/name@sha256:...).
//
// Credentials come only from the builder's own login state (docker login,
// podman login, buildah login); hoist never passes or logs them. The
// builder inherits hoist's environment, so its own configuration variables
// (DOCKER_HOST, DOCKER_CONFIG, CONTAINERS_STORAGE_CONF,
// CONTAINERS_REGISTRIES_CONF, REGISTRY_AUTH_FILE, BUILDAH_ISOLATION, ...)
// apply to hoist's builds as they do to the builder run by hand.
package images
