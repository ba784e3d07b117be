package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// refused is the error client-go returns when nothing listens: a url.Error
// around a dial net.OpError around ECONNREFUSED.
func refused() error {
	return &url.Error{Op: "Patch", URL: "https://127.0.0.1:6443/apis/apps/v1/namespaces/x/deployments/web?fieldManager=hoist",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
}

func TestTransient(t *testing.T) {
	t.Parallel()
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "connection refused", err: refused(), want: true},
		{name: "connection reset", err: &url.Error{Op: "Get", URL: "https://x", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, want: true},
		{name: "server gone mid-response", err: &url.Error{Op: "Get", URL: "https://x", Err: errors.New("unexpected EOF")}, want: true},
		{name: "response body cut short", err: fmt.Errorf("unexpected error when reading response body. Please retry. Original error: %w", io.ErrUnexpectedEOF), want: true},
		{name: "HTTP/2 stream reset", err: fmt.Errorf("stream error when reading response body, may be caused by closed connection. Please retry. Original error: %w", http2.StreamError{StreamID: 3, Code: http2.ErrCodeInternal}), want: true},
		{name: "server timeout", err: apierrors.NewServerTimeout(gr, "patch", 1), want: true},
		{name: "too many requests", err: apierrors.NewTooManyRequests("slow down", 1), want: true},
		{name: "service unavailable", err: apierrors.NewServiceUnavailable("starting"), want: true},
		{name: "forbidden", err: apierrors.NewForbidden(gr, "web", errors.New("no")), want: false},
		{name: "invalid", err: apierrors.NewBadRequest("bad"), want: false},
		{name: "not found", err: apierrors.NewNotFound(gr, "web"), want: false},
		{name: "conflict", err: apierrors.NewConflict(gr, "web", errors.New("managed by other")), want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := transient(tc.err); got != tc.want {
				t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	c := &Client{Server: "https://127.0.0.1:6443", retryFor: 2 * time.Second}
	op := "applying deployment.apps/web in namespace x"

	t.Run("transient failures are retried until success", func(t *testing.T) {
		t.Parallel()
		calls := 0
		err := c.retry(context.Background(), op, func(context.Context) error {
			if calls++; calls < 3 {
				return refused()
			}
			return nil
		})
		if err != nil || calls != 3 {
			t.Errorf("err = %v after %d calls, want nil after 3", err, calls)
		}
	})
	t.Run("a permanent failure is returned at once", func(t *testing.T) {
		t.Parallel()
		calls := 0
		forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "x", errors.New("no"))
		err := c.retry(context.Background(), op, func(context.Context) error { calls++; return forbidden })
		if !errors.Is(err, forbidden) || calls != 1 {
			t.Errorf("err = %v after %d calls, want the forbidden error after 1", err, calls)
		}
	})
	t.Run("a server that never answers gives up after the window, in one line", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		calls := 0
		err := c.retry(context.Background(), op, func(context.Context) error { calls++; return refused() })
		elapsed := time.Since(start)
		var ue *UnreachableError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnreachable) {
			t.Fatalf("err = %v, want an *UnreachableError", err)
		}
		want := "cannot reach the cluster at https://127.0.0.1:6443: applying deployment.apps/web in namespace x, retried for 2s: dial tcp: connect: connection refused"
		if got := err.Error(); got != want {
			t.Errorf("err = %q\nwant %q", got, want)
		}
		if elapsed < 2*time.Second || elapsed > 3*time.Second || calls < 3 {
			t.Errorf("gave up after %s and %d calls, want about 2s and several calls", elapsed, calls)
		}
	})
	t.Run("a request that hangs gives up with the window", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		err := c.retry(context.Background(), op, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		if !errors.Is(err, ErrUnreachable) || !strings.HasSuffix(err.Error(), ": no answer in time") {
			t.Errorf("err = %v, want cannot reach ...: no answer in time", err)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("gave up after %s, want about 2s", elapsed)
		}
	})
	t.Run("Ctrl-C stops the retries at once", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := c.retry(ctx, op, func(ctx context.Context) error { return ctx.Err() })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestObjectErrorNamesVerbObjectAndNamespace(t *testing.T) {
	t.Parallel()
	forbidden := errors.New(`namespaces "shop" is forbidden: User "nobody" cannot patch resource "namespaces" in API group "" at the cluster scope`)
	tests := []struct {
		err  *ObjectError
		want string
	}{
		{&ObjectError{Ref: Ref{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespace: "shop", Name: "web"}, Err: errors.New("boom")},
			"applying deployment.apps/web in namespace shop: boom"},
		{&ObjectError{Ref: Ref{GroupKind: schema.GroupKind{Kind: "Namespace"}, Name: "shop"}, Err: forbidden},
			"applying namespace/shop (cluster-scoped): " + forbidden.Error()},
		{&ObjectError{Ref: Ref{GroupKind: schema.GroupKind{Kind: "Service"}, Namespace: "shop", Name: "web"}, Verb: "pruning", Err: errors.New("boom")},
			"pruning service/web in namespace shop: boom"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	a := Origin{Dir: "/src/a/shop", Files: []string{"/src/a/shop/compose.yaml"}}
	b := Origin{Dir: "/src/b/shop", Files: []string{"/src/b/shop/compose.yaml"}}
	prod := Origin{Dir: "/src/a/shop", Files: []string{"/src/a/shop/compose.yaml", "/src/a/shop/compose.prod.yaml"}}
	if a.ID() == "" || a.ID() != (Origin{Dir: a.Dir, Files: []string{a.Files[0]}}).ID() || len(a.ID()) != 32 {
		t.Errorf("ID() = %q: want 32 hex characters, the same for equal origins", a.ID())
	}
	if a.ID() == b.ID() || a.ID() == prod.ID() {
		t.Error("another directory or other files must give another ID")
	}
	if (Origin{}).ID() != "" {
		t.Error("a zero Origin must have no ID")
	}
	if x, y := describeOrigins(a, b); x != a.Dir || y != b.Dir {
		t.Errorf("describeOrigins(a, b) = %q, %q, want the directories", x, y)
	}
	if x, y := describeOrigins(a, prod); x != "/src/a/shop (files compose.yaml)" || y != "/src/a/shop (files compose.yaml, compose.prod.yaml)" {
		t.Errorf("describeOrigins(a, prod) = %q, %q, want the files", x, y)
	}
	set := newApplySet("shop", "shop", "hoist/v1.0.0", "hoist")
	set.origin = b
	if !set.foreign(parentState{exists: true, originID: a.ID(), origin: a}) {
		t.Error("a parent applied from a is foreign to b")
	}
	if set.foreign(parentState{exists: true}) || set.foreign(parentState{exists: true, originID: b.ID()}) {
		t.Error("a parent without an origin, or with b's, is not foreign to b")
	}
}
