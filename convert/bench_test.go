package convert_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/load"
)

// generateProject writes a compose file with n services of the everyday
// shape (image, ports, environment, healthcheck, resources; every tenth
// autoscaled) and returns its path.
func generateProject(b *testing.B, n int) string {
	b.Helper()
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
      replicas: 2
      resources:
        limits: {cpus: "1", memory: 512M}
        reservations: {cpus: "0.25", memory: 128M}
`, i, i, i%10, 10000+i, i)
		if i%10 == 0 {
			sb.WriteString("    x-kubernetes:\n      autoscale: {min: 2, max: 10, cpu: 70}\n")
		}
	}
	path := filepath.Join(b.TempDir(), "compose.yaml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

func loadBench(b *testing.B, path string) *types.Project {
	b.Helper()
	p, err := load.Project(context.Background(), load.Options{Files: []string{path}, Environ: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkLoad measures compose-go loading: parse, interpolate, merge,
// validate and normalise.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			path := generateProject(b, n)
			b.ReportAllocs()
			for b.Loop() {
				loadBench(b, path)
			}
		})
	}
}

// BenchmarkConvert measures hoist's own part: conversion plus YAML
// serialisation of an already loaded project.
func BenchmarkConvert(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			project := loadBench(b, generateProject(b, n))
			b.ReportAllocs()
			var objects int
			for b.Loop() {
				res, err := convert.Convert(project, convert.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := convert.Marshal(res.Objects, convert.FormatYAML); err != nil {
					b.Fatal(err)
				}
				objects = len(res.Objects)
			}
			b.ReportMetric(float64(objects), "objects")
		})
	}
}
