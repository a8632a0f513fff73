package docker

import (
	"context"

	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	rpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// NewServer returns the plugin's gRPC server: the bridged Terraform provider
// for every token but docker:index/image:Image, which the plugin implements
// itself. Everything not overridden below (schema, config, invokes, …) is
// the bridge's.
func NewServer(bridged rpc.ResourceProviderServer, host *provider.HostClient, version string) rpc.ResourceProviderServer {
	return &server{ResourceProviderServer: bridged, image: newImageProvider(host, version)}
}

type server struct {
	rpc.ResourceProviderServer
	image *imageProvider
}

func ownsImage(urn string) bool { return resource.URN(urn).Type().String() == imageToken }

func (s *server) Attach(ctx context.Context, req *rpc.PluginAttach) (*emptypb.Empty, error) {
	if err := s.image.attach(req.GetAddress()); err != nil {
		return nil, err
	}
	return s.ResourceProviderServer.Attach(ctx, req)
}

func (s *server) Configure(ctx context.Context, req *rpc.ConfigureRequest) (*rpc.ConfigureResponse, error) {
	if err := s.image.configure(req); err != nil {
		return nil, err
	}
	return s.ResourceProviderServer.Configure(ctx, req)
}

func (s *server) Check(ctx context.Context, req *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	if ownsImage(req.GetUrn()) {
		return s.image.Check(ctx, req)
	}
	return s.ResourceProviderServer.Check(ctx, req)
}

func (s *server) Diff(ctx context.Context, req *rpc.DiffRequest) (*rpc.DiffResponse, error) {
	if ownsImage(req.GetUrn()) {
		return s.image.Diff(ctx, req)
	}
	return s.ResourceProviderServer.Diff(ctx, req)
}

func (s *server) Create(ctx context.Context, req *rpc.CreateRequest) (*rpc.CreateResponse, error) {
	if ownsImage(req.GetUrn()) {
		return s.image.Create(ctx, req)
	}
	return s.ResourceProviderServer.Create(ctx, req)
}

func (s *server) Read(ctx context.Context, req *rpc.ReadRequest) (*rpc.ReadResponse, error) {
	if ownsImage(req.GetUrn()) {
		return s.image.Read(ctx, req)
	}
	return s.ResourceProviderServer.Read(ctx, req)
}

func (s *server) Update(ctx context.Context, req *rpc.UpdateRequest) (*rpc.UpdateResponse, error) {
	if ownsImage(req.GetUrn()) {
		return s.image.Update(ctx, req)
	}
	return s.ResourceProviderServer.Update(ctx, req)
}

func (s *server) Delete(ctx context.Context, req *rpc.DeleteRequest) (*emptypb.Empty, error) {
	if ownsImage(req.GetUrn()) {
		return s.image.Delete(ctx, req)
	}
	return s.ResourceProviderServer.Delete(ctx, req)
}
