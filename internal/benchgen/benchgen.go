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
	// Rich adds what issue-3 projects carry on every service: a named
	// volume, two networks, a config, a secret-looking variable,
	// depends_on the previous service, and a hardened security context.
	Rich bool
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
      API_TOKEN: not-a-real-token
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
		if o.Rich {
			fmt.Fprintf(&sb, `    volumes: ["data-%04d:/data"]
    networks: [front, back]
    configs: [{source: app, target: /etc/app.conf}]
    user: "1000:1000"
    read_only: true
    cap_drop: [ALL]
    security_opt: [no-new-privileges:true]
`, i)
			fmt.Fprintf(&sb, "    labels: {team: t%d}\n", i%7)
			if i > 0 {
				fmt.Fprintf(&sb, "    depends_on: {svc-%04d: {condition: service_healthy}}\n", i-1)
			}
		}
		if i%10 == 0 {
			sb.WriteString("    x-kubernetes:\n      autoscale: {min: 2, max: 10, cpu: 70}\n")
		}
	}
	if o.Rich {
		sb.WriteString("networks:\n  front:\n  back:\nconfigs:\n  app:\n    content: \"listen 8080\"\nvolumes:\n")
		for i := range n {
			fmt.Fprintf(&sb, "  data-%04d:\n", i)
		}
	}
	return sb.String()
}
