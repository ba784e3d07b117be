package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
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
	// RequestTimeout bounds each request but watches (kubectl's
	// --request-timeout); 0 means DefaultRequestTimeout, negative none.
	RequestTimeout time.Duration
	// RetryFor is how long a request failing for a transient reason is
	// retried; 0 means DefaultRetryFor.
	RetryFor time.Duration
}

// Client reaches one cluster.
type Client struct {
	rest rest.Interface
	dyn  dynamic.Interface
	// watchDyn has no request timeout, for watches.
	watchDyn  dynamic.Interface
	retryFor  time.Duration
	mapper    meta.RESTMapper
	discovery discovery.CachedDiscoveryInterface
	// Namespace is the namespace of objects that name none.
	Namespace string
	// Server is the API server's address, for error messages.
	Server string
	// cfg has no request timeout, for streams (logs, exec, port-forward).
	cfg *rest.Config
}

// RESTConfig returns a copy of the client's configuration without a
// request timeout, for long-lived streams: logs, exec, attach and
// port-forward, whose context bounds them.
func (c *Client) RESTConfig() *rest.Config { return rest.CopyConfig(c.cfg) }

// ResolveNamespace returns the namespace a Connect with these options
// would use, reading only the kubeconfig.
func ResolveNamespace(o ConnectOptions) (string, error) {
	cc, err := clientConfig(o)
	if err != nil {
		return "", err
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return "", kubeconfigError(o, err)
	}
	return ns, nil
}

// kubeconfigError names the kubeconfig files that were read when they give
// no usable cluster, instead of client-go's advice about
// KUBERNETES_MASTER (missing files in KUBECONFIG are skipped silently).
func kubeconfigError(o ConnectOptions, err error) error {
	if !clientcmd.IsEmptyConfig(err) {
		return fmt.Errorf("reading kubeconfig: %w", err)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	paths := rules.GetLoadingPrecedence()
	if o.Kubeconfig != "" {
		paths = []string{o.Kubeconfig}
	}
	return optionErrorf("reading kubeconfig: no cluster configured in %s (set %v, KUBECONFIG or %v)", strings.Join(paths, ", "), OptionKubeconfig, OptionContext)
}

// MaxKubeconfigSize is the largest kubeconfig file hoist reads (16 MiB:
// far above a kubeconfig with many clusters and embedded certificates).
const MaxKubeconfigSize = 16 << 20

// clientConfig is client-go's deferred kubeconfig loading for o, once the
// kubeconfig files it would read are checked: each that exists must be a
// regular file (also through a symlink) of at most MaxKubeconfigSize, so
// that a FIFO, a device such as /dev/zero or a huge file is a one-line
// error instead of a read that blocks or fills memory.
func clientConfig(o ConnectOptions) (clientcmd.ClientConfig, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	for _, path := range rules.GetLoadingPrecedence() {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && path != o.Kubeconfig:
			// client-go skips missing files of KUBECONFIG and the default.
		case err != nil:
			return nil, fmt.Errorf("reading kubeconfig: %w", err)
		case !fi.Mode().IsRegular():
			return nil, fmt.Errorf("reading kubeconfig %s: not a regular file", path)
		case fi.Size() > MaxKubeconfigSize:
			return nil, fmt.Errorf("reading kubeconfig %s: %d bytes, over the limit of %d", path, fi.Size(), MaxKubeconfigSize)
		}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	if o.Namespace != "" {
		overrides.Context.Namespace = o.Namespace
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides), nil
}

// Retry policy of every request to the API server (the README's "On a
// cluster" section documents these figures):
//   - DefaultRequestTimeout bounds each request (rest.Config.Timeout), so a
//     frozen server cannot hold one forever;
//   - a request that fails for a transient reason (see transient) is
//     retried with backoff (retryBackoff: 0.25 s doubling, jittered, capped
//     at 4 s) for up to DefaultRetryFor from its first attempt, then gives
//     up with an *UnreachableError;
//   - the first request, Connect's, is retried for pingRetryFor only: when
//     the server cannot be reached before anything was applied, waiting
//     longer helps nobody.
const (
	DefaultRequestTimeout = 15 * time.Second
	DefaultRetryFor       = 30 * time.Second
	pingRetryFor          = 5 * time.Second
)

var retryBackoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 10, Cap: 4 * time.Second}

// Connect builds a client from the kubeconfig and checks that the API
// server answers, retrying with backoff for a few seconds.
func Connect(ctx context.Context, o ConnectOptions) (*Client, error) {
	cc, err := clientConfig(o)
	if err != nil {
		return nil, err
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, kubeconfigError(o, err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	// Concurrency is bounded by the caller's workers, not by a client-side
	// rate limiter tuned for controllers. A negative QPS turns client-go's
	// limiter off (rest.Config.QPS): with one, a request sent just before a
	// deadline fails with the limiter's "would exceed context deadline"
	// instead of the context's own error, and --wait reported that as a
	// failure rather than as its timeout.
	cfg.QPS = -1
	cfg.UserAgent = o.UserAgent
	if o.Warnings != nil {
		cfg.WarningHandler = rest.NewWarningWriter(o.Warnings, rest.WarningWriterOptions{Deduplicate: true})
	} else {
		cfg.WarningHandler = rest.NoWarnings{}
	}
	// Watches last as long as their caller's context allows; every other
	// request is bounded on its own.
	watchCfg := rest.CopyConfig(cfg)
	cfg.Timeout = o.RequestTimeout
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRequestTimeout
	} else if cfg.Timeout < 0 {
		cfg.Timeout = 0
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", cfg.Host, err)
	}
	watchDyn, err := dynamic.NewForConfig(watchCfg)
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
		watchDyn:  watchDyn,
		mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
		discovery: cached,
		Namespace: ns,
		Server:    cfg.Host,
		retryFor:  o.RetryFor,
		cfg:       watchCfg,
	}
	if c.retryFor <= 0 {
		c.retryFor = DefaultRetryFor
	}
	if err := c.ping(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// ping asks for the server version, retrying transient failures for
// pingRetryFor, each attempt bounded to 5 s. Ctrl-C stops it at once.
func (c *Client) ping(ctx context.Context) error {
	err := c.retryWithin(ctx, pingRetryFor, "reading the server version", func(ctx context.Context) error {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return c.rest.Get().AbsPath("/version").Do(actx).Error()
	})
	if err == nil || errors.Is(err, ErrUnreachable) || ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("cannot reach the cluster at %s: %w", c.Server, err)
}

// retry runs fn until it succeeds or fails for good, retrying transient
// failures with retryBackoff for the client's retry window (DefaultRetryFor
// unless ConnectOptions.RetryFor); op says what fn does, for the error.
// It returns fn's last error when that is not transient, ctx's error when
// ctx ends with no transient failure seen, and an *UnreachableError when
// the window, or ctx, ends while the server does not answer.
func (c *Client) retry(ctx context.Context, op string, fn func(context.Context) error) error {
	return c.retryWithin(ctx, c.retryFor, op, fn)
}

func (c *Client) retryWithin(ctx context.Context, window time.Duration, op string, fn func(context.Context) error) error {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	var last, final error
	err := retryBackoff.DelayFunc().Until(wctx, true, true, func(actx context.Context) (bool, error) {
		attempt := time.Now()
		err := fn(actx)
		switch {
		case err == nil:
			return true, nil
		case actx.Err() != nil:
			// The window or ctx ended during the attempt: a server that
			// had not answered for a while (not one cut short by Ctrl-C
			// or a deadline that came as it was sent) is unreachable.
			if !errors.Is(actx.Err(), context.Canceled) && time.Since(attempt) > time.Second {
				last = errNoAnswer
			}
			return false, actx.Err()
		case transient(err):
			last = err
			return false, nil
		}
		final = err
		return false, err
	})
	switch {
	case err == nil:
		return nil
	case final != nil:
		return final
	case ctx.Err() != nil && last == nil:
		return ctx.Err()
	}
	if last == nil {
		last = errNoAnswer
	}
	return &UnreachableError{Server: c.Server, Op: op, For: time.Since(start), Err: last}
}

// transient reports whether a request that failed with err may succeed
// when sent again: the server refused or dropped the connection, did not
// answer in time, is overloaded or unavailable.
func transient(err error) bool {
	var netErr net.Error
	// client-go wraps a body cut short ("unexpected error when reading
	// response body. Please retry"), which utilnet.IsProbableEOF does not
	// unwrap: a server restarting mid-response is as transient as one that
	// refuses the connection, and server-side apply is idempotent.
	var streamErr http2.StreamError
	return utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &streamErr) ||
		utilnet.IsHTTP2ConnectionLost(err) || utilnet.IsTimeout(err) || errors.As(err, &netErr) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err)
}

// where is " in namespace NS", or " (cluster-scoped)" when ns is empty,
// for messages that name an object or a resource.
func where(ns string) string {
	if ns == "" {
		return " (cluster-scoped)"
	}
	return " in namespace " + ns
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

// watcher is resource's counterpart for watches: its requests have no
// timeout of their own, their context bounds them.
func (c *Client) watcher(m *meta.RESTMapping, ns string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		return c.watchDyn.Resource(m.Resource)
	}
	return c.watchDyn.Resource(m.Resource).Namespace(ns)
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
