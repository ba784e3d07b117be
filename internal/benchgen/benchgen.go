// Package benchgen writes generated compose projects for benchmarks.
package benchgen

import (
	"fmt"
	"strings"
)

// Options shape the generated services.
type Options struct {
	// Replicas of every service.
	Replicas int
	// NoResources leaves out limits and reservations (which become
	// requests), so that the pods of many projects fit on one simulated
	// node.
	NoResources bool
}

// Compose returns a compose file with n services of the everyday shape:
// image, a published port and an exposed one, environment, command,
// healthcheck, limits and reservations; every tenth is autoscaled. It
// converts to 2n objects plus one HPA per ten services.
func Compose(n int, o Options) string {
	var sb strings.Builder
	sb.WriteString("name: bench\nservices:\n")
	for i := range n {
		fmt.Fprintf(&sb, `  svc-%04d:
    image: registry.example.com/team/svc-%04d:1.%d.0
    ports: ["%d:8080"]
    expose: ["9090"]
    environment:
      SERVICE_NAME: svc-%04d
      LOG_LEVEL: info
      DATABASE_URL: postgres://db:5432/app
      CACHE_HOST: cache
      FEATURE_FLAGS: "a,b,c"
    command: ["serve", "--port", "8080"]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:8080/healthz"]
      interval: 10s
      timeout: 2s
      retries: 3
      start_period: 20s
    deploy:
      replicas: %d
`, i, i, i%10, 10000+i, i, o.Replicas)
		if !o.NoResources {
			sb.WriteString("      resources:\n        limits: {cpus: \"1\", memory: 512M}\n        reservations: {cpus: \"0.25\", memory: 128M}\n")
		}
		if i%10 == 0 {
			sb.WriteString("    x-kubernetes:\n      autoscale: {min: 2, max: 10, cpu: 70}\n")
		}
	}
	return sb.String()
}
