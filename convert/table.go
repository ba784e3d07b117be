package convert

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// extensionKeys says what each x-kubernetes key does in this version.
var extensionKeys = []struct {
	key string
	keyRule
}{
	{"autoscale", keyRule{keyMapped, "HorizontalPodAutoscaler `{min, max, cpu, memory}` (percent utilization)"}},
	{"service.type", keyRule{keyMapped, "type of the Service `<service>-published` that publishes the published ports (wins over `--service-type`; the named Service stays headless)"}},
	{"service.annotations", keyRule{keyMapped, "annotations of the service's Services"}},
	{"service.nodePort", keyRule{keyMapped, "`nodePort` of the first published port (NodePort/LoadBalancer only)"}},
	{"serviceAccount", keyRule{keyMapped, "pod `serviceAccountName` (kompose's `kompose.serviceaccount-name` label too)"}},
	{"imagePullSecrets", keyRule{keyMapped, "pod `imagePullSecrets`"}},
	{"nodeSelector", keyRule{keyMapped, "pod `nodeSelector`"}},
	{"tolerations", keyRule{keyMapped, "pod `tolerations`"}},
	{"labels", keyRule{keyMapped, "workload and pod labels"}},
	{"annotations", keyRule{keyMapped, "workload and pod annotations"}},
	{"probes", keyRule{keyMapped, "`readiness`/`liveness: false` turn a probe off; `httpGet`, `tcpSocket` or `grpc` replaces the healthcheck's test"}},
	{"workload", keyRule{keyMapped, "`deployment`, `statefulset` (with a headless governing Service), `daemonset`, `job` or `cronjob`"}},
	{"schedule", keyRule{keyMapped, "a CronJob with this cron `schedule`"}},
	{"ingress", keyRule{keyMapped, "Ingress (`networking.k8s.io/v1`) `{host, path, className, tls, port}`: pathType Prefix to the named Service's container `port` (a published port is accepted too; default the first TCP port); `tls` names the certificate Secret; a project-level block gives defaults only to services with their own"}},
}

// volumeExtensionKeys says what each key of a top-level volume's
// x-kubernetes block does.
var volumeExtensionKeys = []struct {
	key string
	keyRule
}{
	{"size", keyRule{keyMapped, "claim `resources.requests.storage` (default `1Gi`, with a warning naming this key; kompose's `kompose.volume.size` label too)"}},
	{"storageClass", keyRule{keyMapped, "claim `storageClassName` (kompose's `kompose.volume.storage-class-name` service label too)"}},
	{"accessMode", keyRule{keyMapped, "claim `accessModes` (default `ReadWriteOnce`, `ReadWriteMany` with a warning when several pods mount it); on an external volume it declares the existing claim's mode (ReadWriteMany lets its pods roll; else they are updated with Recreate)"}},
}

// MappingTable renders, as Markdown, what this version does with every
// compose service key and x-kubernetes key. The README embeds it, and a
// test keeps the two equal.
func MappingTable() string {
	var b strings.Builder
	row := func(key string, r keyRule) {
		to := r.to
		if to == "" {
			to = "warning, dropped"
		} else if r.status != keyMapped {
			to += "; warning, dropped"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", key, r.status, to)
	}
	b.WriteString("| compose service key | status | Kubernetes |\n|---|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(serviceKeys)) {
		row(k, serviceKeys[k])
	}
	b.WriteString("\n| `x-kubernetes` key | status | Kubernetes |\n|---|---|---|\n")
	for _, e := range extensionKeys {
		row(e.key, e.keyRule)
	}
	b.WriteString("\n| top-level volume `x-kubernetes` key | status | Kubernetes |\n|---|---|---|\n")
	for _, e := range volumeExtensionKeys {
		row(e.key, e.keyRule)
	}
	return b.String()
}
