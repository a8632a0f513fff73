package docker

import (
	"fmt"

	"github.com/distribution/reference"
	dockerbuild "github.com/docker/docker/api/types/build"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// imageSpec is an Image's inputs, read once: what to build and where to push.
type imageSpec struct {
	Name           string
	SkipPush       bool
	Registry       registrySpec
	Context        string
	Dockerfile     string
	Args           map[string]*string
	Target         string
	Platform       string
	Network        string
	AddHosts       []string
	CacheFrom      []string
	BuilderVersion dockerbuild.BuilderVersion
}

type registrySpec struct {
	Server   string
	Username string
	Password string
}

func imageSpecOf(inputs resource.PropertyMap) (imageSpec, error) {
	spec := imageSpec{
		Name:           stringOf(inputs["imageName"]),
		SkipPush:       skipPush(inputs),
		Registry:       registryOf(inputs),
		BuilderVersion: dockerbuild.BuilderBuildKit,
	}
	if spec.Name == "" {
		return spec, fmt.Errorf("imageName is empty; give the image's fully qualified name with a tag, e.g. 127.0.0.1:5000/app:v1")
	}
	b := objectOf(inputs["build"])
	spec.Context = stringOf(b["context"])
	spec.Dockerfile = stringOf(b["dockerfile"])
	spec.Target = stringOf(b["target"])
	spec.Platform = stringOf(b["platform"])
	spec.Network = stringOf(b["network"])
	spec.AddHosts = stringsOf(b["addHosts"])
	spec.CacheFrom = cacheImages(b)
	if v := stringOf(b["builderVersion"]); v != "" {
		version, err := builderVersionOf(v)
		if err != nil {
			return spec, err
		}
		spec.BuilderVersion = version
	}
	if args := objectOf(b["args"]); len(args) > 0 {
		spec.Args = map[string]*string{}
		for k, v := range args {
			s := stringOf(v)
			spec.Args[string(k)] = &s
		}
	}
	return spec, nil
}

func builderVersionOf(v string) (dockerbuild.BuilderVersion, error) {
	switch v {
	case "BuilderV1":
		return dockerbuild.BuilderV1, nil
	case "BuilderBuildKit":
		return dockerbuild.BuilderBuildKit, nil
	}
	return "", fmt.Errorf("build.builderVersion %q is not one of BuilderV1, BuilderBuildKit", v)
}

func skipPush(inputs resource.PropertyMap) bool { return boolOf(inputs["skipPush"]) }

func buildOnPreview(inputs resource.PropertyMap) bool { return boolOf(inputs["buildOnPreview"]) }

func registryOf(inputs resource.PropertyMap) registrySpec {
	r := objectOf(inputs["registry"])
	return registrySpec{Server: stringOf(r["server"]), Username: stringOf(r["username"]), Password: stringOf(r["password"])}
}

func cacheImages(build resource.PropertyMap) []string {
	return stringsOf(objectOf(build["cacheFrom"])["images"])
}

// registryHost is the registry an image is pushed to: the registry input's
// server when given, else the image name's domain, which must then be
// fully qualified.
func registryHost(server, imageName string) (string, error) {
	if server != "" {
		return hostOf(server), nil
	}
	named, err := reference.ParseNamed(imageName)
	if err != nil {
		return "", fmt.Errorf("imageName %q: %v; this resource needs a fully qualified name when it pushes, e.g. 127.0.0.1:5000/app:v1", imageName, err)
	}
	return reference.Domain(named), nil
}

// hostOf drops a scheme and a path from a registry address.
func hostOf(server string) string {
	for _, scheme := range []string{"https://", "http://"} {
		if len(server) > len(scheme) && server[:len(scheme)] == scheme {
			server = server[len(scheme):]
		}
	}
	for i, c := range server {
		if c == '/' {
			return server[:i]
		}
	}
	return server
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func stringOf(v resource.PropertyValue) string {
	v = unwrap(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func boolOf(v resource.PropertyValue) bool {
	v = unwrap(v)
	return v.IsBool() && v.BoolValue()
}

func objectOf(v resource.PropertyValue) resource.PropertyMap {
	v = unwrap(v)
	if v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

func stringsOf(v resource.PropertyValue) []string {
	v = unwrap(v)
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if s := stringOf(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}
