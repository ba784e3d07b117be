package convert

import (
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Service exposure: kompose's Service labels and the Ingress.

// komposeService is what kompose's labels ask of a service's Service.
type komposeService struct {
	typ      corev1.ServiceType
	headless bool
	nodePort int32
}

// komposeServiceLabels reads kompose.service.type and
// kompose.service.nodeport.port, and checks the kompose.service.expose
// labels the Ingress reads later. It records in w what it drops.
func komposeServiceLabels(s *svcCtx, w *warningList) (komposeService, error) {
	var k komposeService
	svc := s.svc
	drop := func(key, format string, args ...any) {
		w.drop(svc.Name, "labels."+key, format, args...)
	}
	for _, key := range slices.Sorted(maps.Keys(svc.Labels)) {
		switch key {
		case komposeServiceType, komposeNodePort, komposeExpose, komposeExposeTLS, komposeExposeClass:
			continue
		}
		for _, p := range networkKompose {
			if strings.HasPrefix(key, p) {
				drop(key, "unknown kompose label, dropped")
				break
			}
		}
	}
	ext := s.ext.Service
	if v, ok := svc.Labels[komposeServiceType]; ok {
		var typ corev1.ServiceType
		headless := false
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "nodeport":
			typ = corev1.ServiceTypeNodePort
		case "clusterip":
			typ = corev1.ServiceTypeClusterIP
		case "loadbalancer":
			typ = corev1.ServiceTypeLoadBalancer
		case "headless":
			typ, headless = corev1.ServiceTypeClusterIP, true
		default:
			return k, invalidf("labels.%s: %q: want nodeport, clusterip, loadbalancer or headless", komposeServiceType, v)
		}
		if ext != nil && ext.Type != "" {
			drop(komposeServiceType, "ignored: %s.service.type is set", ExtensionKey)
		} else {
			k.typ, k.headless = typ, headless
		}
	}
	if v, ok := svc.Labels[komposeNodePort]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n < 1 || n > 65535 {
			return k, invalidf("labels.%s: %q is not a port number", komposeNodePort, v)
		}
		if ext != nil && ext.NodePort != 0 {
			drop(komposeNodePort, "ignored: %s.service.nodePort is set", ExtensionKey)
		} else {
			k.nodePort = int32(n)
		}
	}
	if _, ok := svc.Labels[komposeExpose]; !ok {
		for _, key := range []string{komposeExposeTLS, komposeExposeClass} {
			if _, ok := svc.Labels[key]; ok {
				drop(key, "needs %s, dropped", komposeExpose)
			}
		}
	}
	return k, nil
}

// ingressSpec is the Ingress a service asks for.
type ingressSpec struct {
	key       string // the compose key it comes from
	rules     []ingressRule
	className string
	tls       string
	port      int32 // 0: the first TCP port
}

type ingressRule struct {
	host string // empty: every host
	path string
}

// ingressOf is the service's x-kubernetes.ingress. A project-level
// ingress block only gives defaults (such as className or tls) to the
// services that have a block of their own: an Ingress routes a host to one
// service.
func ingressOf(s *svcCtx) *IngressExtension {
	if m, ok := s.svc.Extensions[ExtensionKey].(map[string]any); ok {
		if _, ok := m["ingress"]; ok {
			return s.ext.Ingress
		}
	}
	return nil
}

// komposeHosts splits kompose.service.expose as kompose does.
var komposeHosts = regexp.MustCompile(`[ ,]*,[ ,]*`)

// ingressSpec reads x-kubernetes.ingress, else kompose.service.expose.
func (c *converter) ingressSpec(s *svcCtx) (*ingressSpec, error) {
	svc := s.svc
	exposed := false
	for _, k := range []string{komposeExpose, komposeExposeTLS, komposeExposeClass} {
		if _, ok := svc.Labels[k]; ok {
			exposed = true
		}
	}
	if e := ingressOf(s); e != nil {
		key := ExtensionKey + ".ingress"
		if exposed {
			c.drop(svc.Name, "labels."+komposeExpose, "ignored: %s is set", key)
		}
		host := strings.TrimSpace(e.Host)
		if host == "" {
			return nil, invalidf("%s.host: required", key)
		}
		host, err := ingressHost(key+".host", host)
		if err != nil {
			return nil, err
		}
		path := strings.TrimSpace(e.Path)
		if path == "" {
			path = "/"
		}
		if !strings.HasPrefix(path, "/") {
			return nil, invalidf("%s.path: %q must start with /", key, e.Path)
		}
		return &ingressSpec{key: key, rules: []ingressRule{{host: host, path: path}}, className: e.ClassName, tls: e.TLS, port: e.Port}, nil
	}
	v, ok := svc.Labels[komposeExpose]
	if !ok {
		return nil, nil
	}
	key := "labels." + komposeExpose
	spec := &ingressSpec{key: key, className: strings.TrimSpace(svc.Labels[komposeExposeClass]), tls: strings.TrimSpace(svc.Labels[komposeExposeTLS])}
	for _, h := range komposeHosts.Split(strings.TrimSpace(v), -1) {
		if h == "" {
			continue
		}
		if strings.EqualFold(h, "true") {
			spec.rules = append(spec.rules, ingressRule{path: "/"})
			continue
		}
		if strings.EqualFold(h, "false") {
			continue
		}
		host, path, hasPath := strings.Cut(h, "/")
		path = "/" + path
		if !hasPath {
			path = "/"
		}
		host, err := ingressHost(key, host)
		if err != nil {
			return nil, err
		}
		spec.rules = append(spec.rules, ingressRule{host: host, path: path})
	}
	if len(spec.rules) == 0 {
		for _, k := range []string{komposeExposeTLS, komposeExposeClass} {
			if _, ok := svc.Labels[k]; ok {
				c.drop(svc.Name, "labels."+k, "%s is %q, dropped", komposeExpose, v)
			}
		}
		return nil, nil
	}
	return spec, nil
}

// ingressHost checks an Ingress rule host: a DNS name, possibly with a
// leading wildcard label, never an IP address.
func ingressHost(key, host string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(h); err == nil {
		return "", invalidf("%s: %q: an Ingress host must be a DNS name, not an IP address", key, host)
	}
	var errs []string
	if strings.HasPrefix(h, "*.") {
		errs = validation.IsWildcardDNS1123Subdomain(h)
	} else {
		errs = validation.IsDNS1123Subdomain(h)
	}
	if len(errs) > 0 {
		return "", invalidf("%s: host %q: %s", key, host, strings.Join(errs, "; "))
	}
	return h, nil
}

// ingress emits the service's Ingress and returns the Service port it
// routes to.
func (c *converter) ingress(s *svcCtx, spec *ingressSpec) (*svcPort, error) {
	var backend *svcPort
	var tcp []string
	for i, p := range s.ports {
		if p.protocol != corev1.ProtocolTCP {
			continue
		}
		tcp = append(tcp, strconv.Itoa(int(p.port)))
		// The port may be given as compose publishes it: the backend is
		// the container port it targets.
		if backend == nil && (spec.port == 0 || spec.port == p.port || slices.ContainsFunc(s.published, func(pp publishedPort) bool {
			return pp.port == spec.port && pp.target == p.target && pp.protocol == p.protocol
		})) {
			backend = &s.ports[i]
		}
	}
	switch {
	case len(s.ports) == 0:
		return nil, invalidf("%s: the service has no ports for the Ingress to route to; add ports or expose", spec.key)
	case backend == nil && spec.port != 0:
		return nil, invalidf("%s.port: %d is not a TCP port of the service's Service (TCP ports: %s)", spec.key, spec.port, strings.Join(tcp, ", "))
	case backend == nil:
		return nil, invalidf("%s: the service has no TCP port for the Ingress to route to", spec.key)
	}
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: c.objectMeta(s, s.name),
	}
	if spec.className != "" {
		cls := spec.className
		ing.Spec.IngressClassName = &cls
	}
	// One rule per host, in the order given, with its paths.
	index := map[string]int{}
	var hosts []string
	for _, r := range spec.rules {
		path := networkingv1.HTTPIngressPath{
			Path:     r.path,
			PathType: &prefix,
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
				Name: s.name,
				Port: networkingv1.ServiceBackendPort{Number: backend.port},
			}},
		}
		i, ok := index[r.host]
		if !ok {
			i = len(ing.Spec.Rules)
			index[r.host] = i
			ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{
				Host:             r.host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}},
			})
			if r.host != "" {
				hosts = append(hosts, r.host)
			}
		}
		http := ing.Spec.Rules[i].HTTP
		if slices.ContainsFunc(http.Paths, func(p networkingv1.HTTPIngressPath) bool { return p.Path == r.path }) {
			continue
		}
		http.Paths = append(http.Paths, path)
	}
	if spec.tls != "" {
		if errs := validation.IsDNS1123Subdomain(spec.tls); len(errs) > 0 {
			return nil, invalidf("%s: TLS Secret name %q: %s", spec.key, spec.tls, strings.Join(errs, "; "))
		}
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: hosts, SecretName: spec.tls}}
	}
	if spec.className != "" {
		if errs := validation.IsDNS1123Subdomain(spec.className); len(errs) > 0 {
			return nil, invalidf("%s: ingress class %q: %s", spec.key, spec.className, strings.Join(errs, "; "))
		}
	}
	c.add(ing)
	return backend, nil
}
