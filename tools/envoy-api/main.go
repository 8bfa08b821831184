// Command envoy-api writes a FileDescriptorSet of the Envoy v3 API, for the
// protobuf codec (src/proto) and its cross-check (tests/proto).
//
// The descriptors are those the pinned go-control-plane and cncf/xds modules
// (go.mod) register when linked: imports.go imports every Envoy v3 package and
// every xds/udpa package (regenerate it with gen_imports.sh). The set holds
// each of those files and everything they import (google.protobuf well-known
// types, validate, ...), plus the well-known types the proto3 JSON mapping
// treats specially, each file once and after its imports, in a deterministic
// order (by name where the order is free).
//
//	envoy-api OUT.pb
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// The well-known types, present even where no Envoy file imports them.
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// wellKnown are the well-known type files always in the set.
var wellKnown = []string{"any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"}

// root tells whether a registered file is one the set is made for: the Envoy
// v3 API, xds and udpa, and the well-known types above.
func root(path string) bool {
	if strings.HasPrefix(path, "envoy/") {
		for _, part := range strings.Split(path, "/") {
			if part == "v3" {
				return true
			}
		}
		return false
	}
	if strings.HasPrefix(path, "xds/") || strings.HasPrefix(path, "udpa/") {
		return true
	}
	for _, w := range wellKnown {
		if path == "google/protobuf/"+w+".proto" {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: envoy-api OUT.pb")
		os.Exit(2)
	}
	var roots []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if root(fd.Path()) {
			roots = append(roots, fd)
		}
		return true
	})
	sort.Slice(roots, func(i, j int) bool { return roots[i].Path() < roots[j].Path() })

	seen := map[string]bool{}
	set := &descriptorpb.FileDescriptorSet{}
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			visit(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	for _, fd := range roots {
		visit(fd)
	}
	for _, w := range wellKnown {
		if !seen["google/protobuf/"+w+".proto"] {
			fmt.Fprintf(os.Stderr, "envoy-api: google/protobuf/%s.proto is not linked\n", w)
			os.Exit(1)
		}
	}

	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		fmt.Fprintln(os.Stderr, "envoy-api:", err)
		os.Exit(1)
	}
	tmp := os.Args[1] + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "envoy-api:", err)
		os.Exit(1)
	}
	if err := os.Rename(tmp, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "envoy-api:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "envoy-api: %d files, %d bytes\n", len(set.File), len(data))
}
