package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// imageProvider implements docker:index/image:Image with the lifecycle of
// the official plugin 4.6.2:
//
//   - Check fills in the defaults (context ".", Dockerfile
//     "<context>/Dockerfile", the host's platform), refuses a Dockerfile that
//     is not there, and records a digest of the build context
//     (build.contextDigest), so that editing a file in the context is a
//     change and a fresh checkout of the same files is not.
//   - Diff compares the new inputs with the ones recorded at the last build;
//     any change is an update, never a replacement. The registry's user name
//     and password are left out: rotating them rebuilds nothing.
//   - Create and Update build, tag and (unless skipPush) push; during a
//     preview they do nothing unless buildOnPreview.
//   - Read returns the recorded state; Delete leaves the image where it is,
//     in the registry and on the daemon.
type imageProvider struct {
	mu      sync.Mutex
	host    *provider.HostClient
	version string
	config  map[string]string
}

func newImageProvider(host *provider.HostClient, version string) *imageProvider {
	return &imageProvider{host: host, version: version, config: map[string]string{}}
}

func (p *imageProvider) attach(address string) error {
	host, err := provider.NewHostClient(address)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.host = host
	p.mu.Unlock()
	return nil
}

// configure keeps the provider's settings the image build needs (host and
// TLS material), from the variables or, with newer engines, the arguments.
func (p *imageProvider) configure(req *rpc.ConfigureRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range req.GetVariables() {
		p.config[trimConfigPrefix(k)] = v
	}
	if args := req.GetArgs(); args != nil {
		m, err := plugin.UnmarshalProperties(args, plugin.MarshalOptions{SkipNulls: true})
		if err != nil {
			return err
		}
		for k, v := range m {
			if v.IsString() {
				p.config[string(k)] = v.StringValue()
			}
		}
	}
	return nil
}

func trimConfigPrefix(key string) string {
	const prefix = "docker:config:"
	if len(key) > len(prefix) && key[:len(prefix)] == prefix {
		return key[len(prefix):]
	}
	return key
}

func (p *imageProvider) log(ctx context.Context, sev diag.Severity, urn resource.URN, msg string) {
	p.mu.Lock()
	host := p.host
	p.mu.Unlock()
	if host != nil {
		_ = host.Log(ctx, sev, urn, msg)
	}
}

func (p *imageProvider) status(ctx context.Context, urn resource.URN, msg string) {
	p.mu.Lock()
	host := p.host
	p.mu.Unlock()
	if host != nil {
		_ = host.LogStatus(ctx, diag.Info, urn, msg)
	}
}

var keepUnknowns = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func (p *imageProvider) Check(ctx context.Context, req *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	urn := resource.URN(req.GetUrn())
	news, err := plugin.UnmarshalProperties(req.GetNews(), plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true, KeepSecrets: true})
	if err != nil {
		return nil, err
	}
	if failures := checkRequired(news); len(failures) > 0 {
		return &rpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
	}
	build := news["build"]
	if build.IsNull() {
		build = resource.NewObjectProperty(resource.PropertyMap{})
	}
	if !build.IsObject() {
		return &rpc.CheckResponse{Inputs: req.GetNews(), Failures: []*rpc.CheckFailure{{Property: "build", Reason: "build must be an object"}}}, nil
	}
	b := build.ObjectValue()
	if b["context"].IsNull() {
		b["context"] = resource.NewStringProperty(".")
	}
	if b["dockerfile"].IsNull() && b["context"].IsString() {
		b["dockerfile"] = resource.NewStringProperty(filepath.Join(b["context"].StringValue(), "Dockerfile"))
	}
	if b["platform"].IsNull() {
		platform := "linux/" + runtime.GOARCH
		b["platform"] = resource.NewStringProperty(platform)
		p.log(ctx, diag.Info, urn, fmt.Sprintf("Building for %s (the host's platform); set build.platform to choose another.", platform))
	}
	if b["builderVersion"].IsString() {
		if _, err := builderVersionOf(b["builderVersion"].StringValue()); err != nil {
			return &rpc.CheckResponse{Inputs: req.GetNews(), Failures: []*rpc.CheckFailure{{Property: "build.builderVersion", Reason: err.Error()}}}, nil
		}
	}
	if b["context"].IsString() && b["dockerfile"].IsString() {
		contextDir, dockerfile := b["context"].StringValue(), b["dockerfile"].StringValue()
		if err := checkDockerfile(contextDir, dockerfile); err != nil {
			return nil, err
		}
		digest, err := hashContext(contextDir, dockerfile)
		if err != nil {
			return nil, err
		}
		b["contextDigest"] = resource.NewStringProperty(digest)
	}
	news["build"] = resource.NewObjectProperty(b)

	if name := news["imageName"]; name.IsString() && (!skipPush(news) || len(cacheImages(b)) > 0) {
		if _, err := registryHost(registryOf(news).Server, name.StringValue()); err != nil {
			return nil, err
		}
	}
	inputs, err := plugin.MarshalProperties(news, plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true, KeepSecrets: true})
	if err != nil {
		return nil, err
	}
	return &rpc.CheckResponse{Inputs: inputs}, nil
}

func checkRequired(news resource.PropertyMap) []*rpc.CheckFailure {
	if name, ok := news["imageName"]; !ok || name.IsNull() {
		return []*rpc.CheckFailure{{Property: "imageName", Reason: "missing required property 'imageName'"}}
	}
	return nil
}

// checkDockerfile refuses a Dockerfile that is not there, and says where it
// is when the path was meant relative to the context.
func checkDockerfile(contextDir, dockerfile string) error {
	if _, err := os.Stat(dockerfile); err == nil {
		return nil
	} else if filepath.IsAbs(dockerfile) {
		return fmt.Errorf("build.dockerfile %q: %v", dockerfile, err)
	}
	inContext := filepath.Join(contextDir, dockerfile)
	if _, err := os.Stat(inContext); err == nil {
		return fmt.Errorf("build.dockerfile %q does not exist (paths are relative to the program's directory); set it to %q", dockerfile, inContext)
	}
	return fmt.Errorf("build.dockerfile %q does not exist (paths are relative to the program's directory, not to the context)", dockerfile)
}

func (p *imageProvider) Diff(_ context.Context, req *rpc.DiffRequest) (*rpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOlds(), keepUnknowns)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), keepUnknowns)
	if err != nil {
		return nil, err
	}
	d := recordedInputs(olds).Diff(news)
	if d == nil {
		return &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_NONE}, nil
	}
	detailed := map[string]*rpc.PropertyDiff{}
	for k := range d.Adds {
		detailed[string(k)] = &rpc.PropertyDiff{Kind: rpc.PropertyDiff_ADD}
	}
	for k := range d.Deletes {
		detailed[string(k)] = &rpc.PropertyDiff{Kind: rpc.PropertyDiff_DELETE}
	}
	for k, v := range d.Updates {
		if k == "registry" && v.Object != nil {
			if _, serverChanged := v.Object.Updates["server"]; !serverChanged && len(v.Object.Adds) == 0 && len(v.Object.Deletes) == 0 {
				continue // only the credentials changed
			}
		}
		detailed[string(k)] = &rpc.PropertyDiff{Kind: rpc.PropertyDiff_UPDATE}
	}
	if len(detailed) == 0 {
		return &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_NONE}, nil
	}
	return &rpc.DiffResponse{Changes: rpc.DiffResponse_DIFF_SOME, DetailedDiff: detailed, HasDetailedDiff: true}, nil
}

func (p *imageProvider) Create(ctx context.Context, req *rpc.CreateRequest) (*rpc.CreateResponse, error) {
	id, state, err := p.build(ctx, resource.URN(req.GetUrn()), req.GetProperties(), req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &rpc.CreateResponse{Id: id, Properties: state}, nil
}

func (p *imageProvider) Update(ctx context.Context, req *rpc.UpdateRequest) (*rpc.UpdateResponse, error) {
	_, state, err := p.build(ctx, resource.URN(req.GetUrn()), req.GetNews(), req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &rpc.UpdateResponse{Properties: state}, nil
}

func (p *imageProvider) Read(_ context.Context, req *rpc.ReadRequest) (*rpc.ReadResponse, error) {
	return &rpc.ReadResponse{Id: req.GetId(), Inputs: req.GetInputs(), Properties: req.GetProperties()}, nil
}

func (p *imageProvider) Delete(context.Context, *rpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// build runs (or, in a preview without buildOnPreview, skips) the build and
// push, and returns the ID and the state: the outputs plus the inputs they
// came from (kept secret, as they may hold the registry password).
func (p *imageProvider) build(ctx context.Context, urn resource.URN, props *structpb.Struct, preview bool) (string, *structpb.Struct, error) {
	inputs, err := plugin.UnmarshalProperties(props, keepUnknowns)
	if err != nil {
		return "", nil, err
	}
	if preview && (!buildOnPreview(inputs) || inputs.ContainsUnknowns()) {
		return "", props, nil
	}
	spec, err := imageSpecOf(inputs)
	if err != nil {
		return "", nil, err
	}
	p.mu.Lock()
	config := make(map[string]string, len(p.config))
	for k, v := range p.config {
		config[k] = v
	}
	p.mu.Unlock()
	outputs, err := buildAndPush(ctx, spec, config, preview, func(msg string) { p.status(ctx, urn, msg) })
	if err != nil {
		return "", nil, err
	}
	state := resource.NewPropertyMapFromMap(outputs)
	state["__inputs"] = resource.MakeSecret(resource.NewObjectProperty(inputs))
	out, err := plugin.MarshalProperties(state, plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true, KeepSecrets: true})
	if err != nil {
		return "", nil, err
	}
	return spec.Name, out, nil
}

// recordedInputs are the inputs of the last build, as kept in the state.
func recordedInputs(state resource.PropertyMap) resource.PropertyMap {
	v, ok := state["__inputs"]
	if !ok {
		return resource.PropertyMap{}
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsObject() {
		return resource.PropertyMap{}
	}
	return v.ObjectValue()
}
