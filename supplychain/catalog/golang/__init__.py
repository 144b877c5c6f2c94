"""Go: go.mod/go.sum/go.work/vendor readers, Minimal Version Selection over the module graph,
and the build info embedded in Go binaries (SBOM.md §C.1, §E)."""
