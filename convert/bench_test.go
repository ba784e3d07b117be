package convert_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoist-dev/hoist/convert"
	"github.com/hoist-dev/hoist/internal/benchgen"
	"github.com/hoist-dev/hoist/load"
	"github.com/hoist-dev/hoist/output"
)

// generateProject writes benchgen's n-service compose file and returns
// its path.
func generateProject(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "compose.yaml")
	if err := os.WriteFile(path, []byte(benchgen.Compose(n, benchgen.Options{Replicas: 2, Rich: true})), 0o644); err != nil {
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
				if _, err := output.Marshal(res.Objects, output.FormatYAML); err != nil {
					b.Fatal(err)
				}
				objects = len(res.Objects)
			}
			b.ReportMetric(float64(objects), "objects")
		})
	}
}
