package convert

// MaxContent is the most a bind mount may hold to become a ConfigMap; the
// API server limits an object to about 1.5 MiB.
const MaxContent = 1 << 20

// HostPath is what load found at one host path the project references.
type HostPath struct {
	// InProject is true when the path, with symlinks resolved, is inside
	// the project directory.
	InProject bool
	// Exists is false for a missing path.
	Exists bool
	// Dir is true for a directory.
	Dir bool
	// Size is the total size of the regular files, following no symlink
	// that leaves the project. Counting stops once it exceeds MaxContent,
	// so a large data directory is not walked to its end.
	Size int64
	// Files are the regular files, sorted by Path, with Path relative to
	// the host path ("" for a file mount). Nil when Size > MaxContent or
	// the path is outside the project.
	Files []HostFile
	// Skipped are paths, relative to the host path, of symlinks that
	// resolve outside the project (or nowhere) and were not followed.
	Skipped []string
}

// HostFile is one regular file under a HostPath.
type HostFile struct {
	Path string
	Data []byte
	Mode uint32
}
