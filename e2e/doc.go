// Package e2e holds hoist's end-to-end tests on the local cluster's real
// node (kubelet + containerd + CNI + kube-proxy + CoreDNS + metrics-server,
// started by hack/local-cluster.sh start --real-node): each test drives the
// hoist binary on a compose project from testdata/ and checks, from the
// node and from inside the cluster, that the project behaves as it does
// under docker compose.
//
// The tests use only images the node has locally (busybox:1.37.0 and the
// pause image, built by hack/images.sh), and TestImagesBuild the images
// hoist up --build builds with buildah and pushes to a registry of the
// test's own on 127.0.0.1, which the node pulls from. They need root; outside CI a
// machine that cannot run the node skips them with one message, and with
// CI=true anything missing fails the run.
package e2e
