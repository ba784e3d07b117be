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

// keyCode is where each key of the mapping table is implemented: paths
// from the repository root, linked from the README's table so that a
// newcomer finds the code of any row in one hop. Dropped keys are dropped
// by checkKeys with the reason keys.go gives; keys compose-go resolves at
// load are in load/. TestKeyCodeComplete keeps it complete and existing.
var keyCode = map[string][]string{
	// Compose service keys.
	"annotations":       {"convert/convert.go"},
	"build":             {"convert/container.go"},
	"cap_add":           {"convert/security.go"},
	"cap_drop":          {"convert/security.go"},
	"command":           {"convert/container.go"},
	"configs":           {"convert/configs.go"},
	"container_name":    {"convert/network.go", "convert/network_dns.go"},
	"cpus":              {"convert/resources.go"},
	"depends_on":        {"convert/depends.go"},
	"deploy":            {"convert/workload_kind.go", "convert/workload_update.go", "convert/workload_pod.go", "convert/resources.go"},
	"dns":               {"convert/network_dns.go"},
	"dns_opt":           {"convert/network_dns.go"},
	"dns_search":        {"convert/network_dns.go"},
	"dockerfile":        {"convert/container.go"},
	"domainname":        {"convert/network_dns.go"},
	"entrypoint":        {"convert/container.go"},
	"env_file":          {"load/load.go", "convert/container.go"},
	"environment":       {"convert/container.go", "convert/env_secrets.go"},
	"expose":            {"convert/service.go"},
	"extends":           {"load/load.go"},
	"extra_hosts":       {"convert/network_dns.go"},
	"gpus":              {"convert/resources.go"},
	"group_add":         {"convert/security.go"},
	"healthcheck":       {"convert/probes.go"},
	"hostname":          {"convert/network_dns.go"},
	"image":             {"convert/container.go"},
	"ipc":               {"convert/workload_pod.go"},
	"label_file":        {"load/load.go"},
	"labels":            {"convert/convert.go", "convert/kompose.go"},
	"links":             {"convert/network.go"},
	"mem_limit":         {"convert/resources.go"},
	"mem_reservation":   {"convert/resources.go"},
	"network_mode":      {"convert/workload_sidecar.go", "convert/workload_pod.go"},
	"networks":          {"convert/network.go", "convert/network_policy.go"},
	"pid":               {"convert/workload_pod.go"},
	"platform":          {"convert/workload_pod.go"},
	"ports":             {"convert/service.go"},
	"post_start":        {"convert/workload_hooks.go"},
	"pre_start":         {"convert/workload_hooks.go"},
	"pre_stop":          {"convert/workload_hooks.go"},
	"privileged":        {"convert/security.go"},
	"profiles":          {"load/load.go"},
	"pull_policy":       {"convert/container.go"},
	"read_only":         {"convert/security.go"},
	"restart":           {"convert/workload_kind.go"},
	"scale":             {"convert/convert.go"},
	"secrets":           {"convert/configs.go"},
	"security_opt":      {"convert/security.go"},
	"shm_size":          {"convert/storage_mounts.go"},
	"stdin_open":        {"convert/container.go"},
	"stop_grace_period": {"convert/convert.go"},
	"sysctls":           {"convert/security.go"},
	"tmpfs":             {"convert/storage_mounts.go"},
	"tty":               {"convert/container.go"},
	"user":              {"convert/security.go"},
	"volumes":           {"convert/storage_mounts.go", "convert/storage_claims.go", "convert/storage_bind.go"},
	"volumes_from":      {"convert/storage_mounts.go"},
	"working_dir":       {"convert/container.go"},

	// Service and project x-kubernetes keys.
	"x-kubernetes.autoscale":           {"convert/resources.go"},
	"x-kubernetes.service.type":        {"convert/service.go"},
	"x-kubernetes.service.annotations": {"convert/service.go"},
	"x-kubernetes.service.nodePort":    {"convert/service.go"},
	"x-kubernetes.serviceAccount":      {"convert/security.go"},
	"x-kubernetes.imagePullSecrets":    {"convert/convert.go"},
	"x-kubernetes.nodeSelector":        {"convert/convert.go"},
	"x-kubernetes.tolerations":         {"convert/convert.go"},
	"x-kubernetes.labels":              {"convert/convert.go"},
	"x-kubernetes.annotations":         {"convert/convert.go"},
	"x-kubernetes.probes":              {"convert/probes.go"},
	"x-kubernetes.workload":            {"convert/workload_kind.go"},
	"x-kubernetes.schedule":            {"convert/workload_kind.go"},
	"x-kubernetes.ingress":             {"convert/ingress.go"},

	// Top-level volume x-kubernetes keys.
	"volumes.x-kubernetes.size":         {"convert/storage_claims.go"},
	"volumes.x-kubernetes.storageClass": {"convert/storage_claims.go"},
	"volumes.x-kubernetes.accessMode":   {"convert/storage_claims.go"},
}

// droppedKeyCode is where dropped keys' reasons live.
const droppedKeyCode = "convert/keys.go"

// codeLinks renders the files of a row as relative Markdown links: the
// file name for convert's own files, the path for others.
func codeLinks(files []string) string {
	links := make([]string, len(files))
	for i, f := range files {
		links[i] = fmt.Sprintf("[%s](%s)", strings.TrimPrefix(f, "convert/"), f)
	}
	return strings.Join(links, ", ")
}

// MappingTable renders, as Markdown, what this version does with every
// compose service key and x-kubernetes key, and which file does it. The
// README embeds it, and a test keeps the two equal.
func MappingTable() string {
	var b strings.Builder
	row := func(key, code string, r keyRule) {
		to := r.to
		if to == "" {
			to = "warning, dropped"
		} else if r.status != keyMapped {
			to += "; warning, dropped"
		}
		files := keyCode[code]
		if r.status == keyDropped {
			files = []string{droppedKeyCode}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", key, r.status, to, codeLinks(files))
	}
	b.WriteString("| compose service key | status | Kubernetes | code |\n|---|---|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(serviceKeys)) {
		row(k, k, serviceKeys[k])
	}
	b.WriteString("\n| `x-kubernetes` key | status | Kubernetes | code |\n|---|---|---|---|\n")
	for _, e := range extensionKeys {
		row(e.key, ExtensionKey+"."+e.key, e.keyRule)
	}
	b.WriteString("\n| top-level volume `x-kubernetes` key | status | Kubernetes | code |\n|---|---|---|---|\n")
	for _, e := range volumeExtensionKeys {
		row(e.key, "volumes."+ExtensionKey+"."+e.key, e.keyRule)
	}
	return b.String()
}
