package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/streaming/pkg/httpstream"
)

// Forward is one published port: compose's "8080:80" is Local 8080,
// Remote 80.
type Forward struct {
	Service string
	// Local is the published (host) port, on 127.0.0.1.
	Local int
	// Remote is the container's (target) port.
	Remote int
}

func (f Forward) String() string { return fmt.Sprintf("%d:%d", f.Local, f.Remote) }

// Forwards lists the published TCP ports of the services, in service then
// port order. A UDP port cannot be port-forwarded (Kubernetes forwards TCP
// only) and a port published without a host port has no fixed local
// address; both are left out with a warning.
func Forwards(project *types.Project, services []string) ([]Forward, []string) {
	var out []Forward
	var warnings []string
	for _, name := range services {
		svc := project.Services[name]
		for _, p := range svc.Ports {
			if p.Published == "" {
				warnings = append(warnings, fmt.Sprintf("service %q: port %d publishes no host port; not forwarded", name, p.Target))
				continue
			}
			if p.Protocol != "" && !strings.EqualFold(p.Protocol, "tcp") {
				warnings = append(warnings, fmt.Sprintf("service %q: port %s:%d/%s: Kubernetes forwards TCP only; not forwarded", name, p.Published, p.Target, p.Protocol))
				continue
			}
			// A published range ("8000-8010:80") forwards its first port.
			lo, _, _ := strings.Cut(p.Published, "-")
			l, err := strconv.Atoi(lo)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("service %q: published port %q is not a number; not forwarded", name, p.Published))
				continue
			}
			out = append(out, Forward{Service: name, Local: l, Remote: int(p.Target)})
		}
	}
	return out, warnings
}

// CheckPorts fails when a local port is taken, naming the port and the
// service that publishes it.
func CheckPorts(fws []Forward) error {
	for _, f := range fws {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(f.Local)))
		if err != nil {
			return fmt.Errorf("port %d on 127.0.0.1 is in use: service %q publishes %s; stop what listens there or change the published port", f.Local, f.Service, f)
		}
		_ = l.Close()
	}
	return nil
}

// PortForward forwards 127.0.0.1:Local to the Remote port of a ready pod
// of the target for every forward, until ctx ends. When the pod goes away
// or stops being ready (a restart, a rollout) it forwards to the next
// ready pod, waiting for one; it says so on progress. It returns nil when
// ctx ends, and an error when a local port cannot be listened on.
func (c *Client) PortForward(ctx context.Context, t Target, fws []Forward, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	var ports []string
	for _, f := range fws {
		ports = append(ports, f.String())
	}
	waiting := false
	failures := 0 // setups in a row that failed before forwarding
	for ctx.Err() == nil {
		pod, err := c.ReadyPod(ctx, t, 0)
		if err != nil {
			if ctx.Err() != nil {
				return nil //nolint:nilerr // Ctrl-C ends forwarding; that is no failure
			}
			if !waiting {
				fmt.Fprintf(progress, "service %q: waiting for a ready pod (%v)\n", t.Service, err)
				waiting = true
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		waiting = false
		forwarded, setupErr, err := c.forwardTo(ctx, t, pod, ports, progress)
		if err != nil {
			return err
		}
		switch {
		case ctx.Err() != nil:
		case setupErr != nil && !forwarded:
			// The pod may have gone before the stream was set up: try
			// again, but a refusal (RBAC), or one that repeats (a node
			// that cannot forward), ends it.
			failures++
			if failures >= maxSetupFailures || apierrors.IsForbidden(setupErr) {
				return fmt.Errorf("service %q: forwarding to pod %s: %w", t.Service, pod.Name, setupErr)
			}
			fmt.Fprintf(progress, "service %q: forwarding to pod %s: %v; trying again\n", t.Service, pod.Name, setupErr)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		default:
			failures = 0
			fmt.Fprintf(progress, "service %q: pod %s went away; forwarding to the next ready pod\n", t.Service, pod.Name)
		}
	}
	return nil
}

// maxSetupFailures is how many times in a row port forwarding may fail to
// start before PortForward gives up.
const maxSetupFailures = 3

// forwardTo forwards ports to one pod until the pod goes away, stops
// being ready, the connection is lost, or ctx ends. forwarded says the
// ports were forwarded at some point; setupErr is why forwarding could not
// start (the caller decides whether to try again); err ends forwarding.
func (c *Client) forwardTo(ctx context.Context, t Target, pod *corev1.Pod, ports []string, progress io.Writer) (forwarded bool, setupErr, err error) {
	req := c.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(c.Namespace).Name(pod.Name).SubResource("portforward")
	transport, upgrader, err := spdy.RoundTripperFor(c.cfg)
	if err != nil {
		return false, nil, fmt.Errorf("forwarding ports of pod %s: %w", pod.Name, err)
	}
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	if ws, err := portforward.NewSPDYOverWebsocketDialer(req.URL(), c.cfg); err == nil {
		dialer = portforward.NewFallbackDialer(ws, dialer, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
	}
	stop := make(chan struct{})
	var once sync.Once
	stopNow := func() { once.Do(func() { close(stop) }) }
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = c.waitPod(pctx, pod.Name, func(p *corev1.Pod) (bool, error) {
			return p.DeletionTimestamp != nil || !ready(p), nil
		})
		stopNow()
	}()
	readyCh := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, ports, stop, readyCh, progress, io.Discard)
	if err != nil {
		return false, nil, fmt.Errorf("forwarding ports of pod %s: %w", pod.Name, err)
	}
	err = pf.ForwardPorts()
	stopNow()
	select {
	case <-readyCh:
		forwarded = true
	default:
	}
	switch {
	case err == nil, ctx.Err() != nil, errors.Is(err, portforward.ErrLostConnectionToPod):
		return forwarded, nil, nil
	case strings.Contains(err.Error(), "unable to listen"):
		return forwarded, nil, fmt.Errorf("service %q: listening on 127.0.0.1 ports %s: %w", t.Service, strings.Join(ports, ", "), err)
	}
	return forwarded, err, nil
}
