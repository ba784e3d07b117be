package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSelfHealing: a service with a healthcheck is restarted by the kubelet
// when its main process dies and when its healthcheck (the liveness probe)
// starts failing, and a deleted pod is replaced.
func TestSelfHealing(t *testing.T) {
	p := newProject(t, "heal")
	p.up()
	pod := p.onePod("web")

	// The main process dies: the kubelet restarts the container.
	pid := p.containerPID(pod)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing pid %d of pod %s: %v", pid, pod, err)
	}
	p.eventually("the killed container to be restarted and ready", time.Minute, func() (bool, string) {
		n := p.restarts(pod)
		return n >= 1 && slices.Contains(p.readyPods("web"), pod), fmt.Sprintf("restarts %d, ready %v", n, p.readyPods("web"))
	})

	// The healthcheck starts failing: the liveness probe restarts the
	// container (whose command makes the health file again).
	before := p.restarts(pod)
	p.mustKubectl("exec", pod, "--", "rm", "/www/health")
	p.eventually("the unhealthy container to be restarted by its liveness probe", 2*time.Minute, func() (bool, string) {
		n := p.restarts(pod)
		return n > before && slices.Contains(p.readyPods("web"), pod), fmt.Sprintf("restarts %d (was %d)", n, before)
	})
	events := p.mustKubectl("get", "events", "--field-selector", "involvedObject.name="+pod, "-o", "jsonpath={.items[*].message}")
	if !strings.Contains(events, "failed liveness probe") {
		t.Errorf("no 'failed liveness probe' event for pod %s: %s", pod, events)
	}

	// The pod is deleted: the Deployment replaces it.
	p.mustKubectl("delete", "pod", pod, "--wait=false")
	p.eventually("the deleted pod to be replaced by a ready one", time.Minute, func() (bool, string) {
		ready := p.readyPods("web")
		return len(ready) == 1 && ready[0] != pod, fmt.Sprintf("ready %v", ready)
	})
}

// TestHorizontalScaling: a CPU-bound service with x-kubernetes.autoscale
// scales out under load and back in when the load stops (the test cluster's
// HPA downscale window is 20 s instead of 5 min).
func TestHorizontalScaling(t *testing.T) {
	p := newProject(t, "autoscale")
	p.up("--profile", "load")
	replicas := func() (int, string) {
		n, _ := strconv.Atoi(p.get("deployment/cpu", "{.status.readyReplicas}"))
		return n, fmt.Sprintf("%d ready; hpa: %s", n, p.get("hpa/cpu", "{.status.currentMetrics[0].resource.current.averageUtilization}% of 50%, desired {.status.desiredReplicas}"))
	}
	p.eventually("cpu to scale out to more than one ready pod", 4*time.Minute, func() (bool, string) {
		n, why := replicas()
		return n > 1, why
	})
	// Without the profile the load generator is pruned.
	p.up()
	if got := p.pods("load"); len(got) != 0 {
		p.eventually("the load generator to be gone", time.Minute, func() (bool, string) {
			got := p.pods("load")
			return len(got) == 0, fmt.Sprint(got)
		})
	}
	p.eventually("cpu to scale back in to one pod", 4*time.Minute, func() (bool, string) {
		n, why := replicas()
		spec := p.get("deployment/cpu", "{.spec.replicas}")
		return n == 1 && spec == "1", why + ", spec " + spec
	})
}

// TestReachByName: a client reaches a two-replica service by its compose
// name through the Service's virtual IP (kube-proxy; both replicas answer),
// the name is in cluster DNS, and the client's depends_on wait ends once the
// service is healthy.
func TestReachByName(t *testing.T) {
	p := newProject(t, "proxy")
	p.up()
	webPods := p.readyPods("web")
	if len(webPods) != 2 {
		t.Fatalf("web has %d ready pods after up --wait, want 2", len(webPods))
	}
	client := p.onePod("client")
	var ips []string
	for _, w := range webPods {
		ips = append(ips, p.get("pod/"+w, "{.status.podIP}"))
	}
	p.eventually("the client to be answered by both web pods through the Service", time.Minute, func() (bool, string) {
		logs := p.logs(client, "client")
		var seen []string
		for _, ip := range ips {
			if regexp.MustCompile(`(?m)^reply: ` + regexp.QuoteMeta(ip) + `\s*$`).MatchString(logs) {
				seen = append(seen, ip)
			}
		}
		return len(seen) == len(ips), fmt.Sprintf("answered by %v of %v; logs end:\n%s", seen, ips, tail(logs, 5))
	})
	logs := p.logs(client, "client")
	vip := p.get("service/web", "{.spec.clusterIP}")
	if !strings.Contains(logs, "dns-ok") || !strings.Contains(logs, "Address: "+vip) {
		t.Errorf("client did not find web's virtual IP %s in cluster DNS:\n%s", vip, tail(logs, 20))
	}
}

// TestExamplesComeUp: each example of examples/ has a runtime analogue in
// testdata/example-* (the same services, keys and dependencies, on the
// node's local image), and hoist up --wait brings it up on the real node.
func TestExamplesComeUp(t *testing.T) {
	for _, name := range []string{"shop", "voting", "blog"} {
		t.Run(name, func(t *testing.T) {
			p := newProject(t, "example-"+name)
			p.up()
			out := p.mustKubectl("get", "pods", "-o",
				`jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				f := strings.Fields(line)
				if len(f) == 3 && f[1] == "Running" && f[2] != "True" {
					t.Errorf("pod %s is running but not ready after up --wait", f[0])
				}
			}
			t.Logf("pods:\n%s", out)
		})
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
