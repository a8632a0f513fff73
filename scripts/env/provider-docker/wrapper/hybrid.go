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

// route sends a request about a resource to the plugin's own Image
// implementation or to the bridge, by the resource's type token.
func route[Req interface{ GetUrn() string }, Resp any](
	ctx context.Context, req Req,
	image, bridged func(context.Context, Req) (Resp, error),
) (Resp, error) {
	if ownsImage(req.GetUrn()) {
		return image(ctx, req)
	}
	return bridged(ctx, req)
}

func (s *server) Check(ctx context.Context, req *rpc.CheckRequest) (*rpc.CheckResponse, error) {
	return route(ctx, req, s.image.Check, s.ResourceProviderServer.Check)
}

func (s *server) Diff(ctx context.Context, req *rpc.DiffRequest) (*rpc.DiffResponse, error) {
	return route(ctx, req, s.image.Diff, s.ResourceProviderServer.Diff)
}

func (s *server) Create(ctx context.Context, req *rpc.CreateRequest) (*rpc.CreateResponse, error) {
	return route(ctx, req, s.image.Create, s.ResourceProviderServer.Create)
}

func (s *server) Read(ctx context.Context, req *rpc.ReadRequest) (*rpc.ReadResponse, error) {
	return route(ctx, req, s.image.Read, s.ResourceProviderServer.Read)
}

func (s *server) Update(ctx context.Context, req *rpc.UpdateRequest) (*rpc.UpdateResponse, error) {
	return route(ctx, req, s.image.Update, s.ResourceProviderServer.Update)
}

func (s *server) Delete(ctx context.Context, req *rpc.DeleteRequest) (*emptypb.Empty, error) {
	return route(ctx, req, s.image.Delete, s.ResourceProviderServer.Delete)
}
