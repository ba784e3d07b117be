package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// ConnectOptions are kubectl's connection flags.
type ConnectOptions struct {
	// Kubeconfig is --kubeconfig; empty means KUBECONFIG, else ~/.kube/config.
	Kubeconfig string
	// Context is --context; empty means the current context.
	Context string
	// Namespace is -n; empty means the context's namespace, else "default".
	Namespace string
	// UserAgent identifies hoist to the API server.
	UserAgent string
	// Warnings receives the API server's warnings; nil discards them.
	Warnings io.Writer
}

// Client reaches one cluster.
type Client struct {
	rest      rest.Interface
	dyn       dynamic.Interface
	mapper    meta.RESTMapper
	discovery discovery.CachedDiscoveryInterface
	// Namespace is the namespace of objects that name none.
	Namespace string
	// Server is the API server's address, for error messages.
	Server string
}

// ResolveNamespace returns the namespace a Connect with these options
// would use, reading only the kubeconfig.
func ResolveNamespace(o ConnectOptions) (string, error) {
	ns, _, err := clientConfig(o).Namespace()
	if err != nil {
		return "", fmt.Errorf("reading kubeconfig: %w", err)
	}
	return ns, nil
}

func clientConfig(o ConnectOptions) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	if o.Namespace != "" {
		overrides.Context.Namespace = o.Namespace
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// Connect builds a client from the kubeconfig and checks that the API
// server answers, retrying with backoff for a few seconds.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	cc := clientConfig(o)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	// Concurrency is bounded by the caller's workers, not by a client-side
	// rate limiter tuned for controllers.
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.UserAgent = o.UserAgent
	if o.Warnings != nil {
		cfg.WarningHandler = rest.NewWarningWriter(o.Warnings, rest.WarningWriterOptions{Deduplicate: true})
	} else {
		cfg.WarningHandler = rest.NoWarnings{}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", cfg.Host, err)
	}
	cached := memory.NewMemCacheClient(disc)
	c := &Client{
		rest:      disc.RESTClient(),
		dyn:       dyn,
		mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
		discovery: cached,
		Namespace: ns,
		Server:    cfg.Host,
	}
	if err := c.ping(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// ping asks for the server version, each attempt bounded to 5 s, retrying
// connection failures with backoff (0.25 s doubling, 4 attempts), then
// gives up naming the server. Ctrl-C stops it at once.
func (c *Client) ping(ctx context.Context) error {
	delay := 250 * time.Millisecond
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = c.rest.Get().AbsPath("/version").Do(actx).Error()
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retriable(err) && !errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if attempt < 3 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay):
			}
			delay *= 2
		}
	}
	return fmt.Errorf("cannot reach the cluster at %s: %w", c.Server, err)
}

func retriable(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) || apierrors.IsServerTimeout(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsTooManyRequests(err) || strings.Contains(err.Error(), "connection refused")
}

// mapping finds the resource of obj's kind.
func (c *Client) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("finding the resource for %s: %w", gvk, err)
	}
	return m, nil
}

// resource is the dynamic client of an object's resource in its namespace.
func (c *Client) resource(m *meta.RESTMapping, ns string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		return c.dyn.Resource(m.Resource)
	}
	return c.dyn.Resource(m.Resource).Namespace(ns)
}

// Ref names an object the way kubectl prints it: "deployment.apps/web".
type Ref struct {
	GroupKind schema.GroupKind
	Namespace string
	Name      string
}

func refOf(u *unstructured.Unstructured) Ref {
	return Ref{GroupKind: u.GroupVersionKind().GroupKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

func (r Ref) String() string {
	kind := strings.ToLower(r.GroupKind.Kind)
	if r.GroupKind.Group != "" {
		kind += "." + r.GroupKind.Group
	}
	return kind + "/" + r.Name
}
