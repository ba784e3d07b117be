//go:build integration

package testcluster

// Integration reports whether the test binary was built with -tags
// integration, the tag of every test file whose tests need the cluster.
// Main starts the cluster only then.
const Integration = true
