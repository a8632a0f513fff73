import * as http from "http";
import * as net from "net";

/**
 * A loopback HTTP proxy in front of the registry that can answer 500 to the
 * manifest upload, the last step of a push (the layers go through).
 */
export class RegistryFaultProxy {
    failManifestPush = false;
    /** Manifest uploads it refused. */
    refused = 0;
    private readonly server: http.Server;

    private constructor(upstream: { host: string; port: number }) {
        this.server = http.createServer((req, res) => {
            if (this.failManifestPush && req.method === "PUT" && /^\/v2\/.+\/manifests\//.test(req.url ?? "")) {
                this.refused++;
                req.resume();
                res.writeHead(500, { "content-type": "application/json" });
                res.end('{"errors":[{"code":"UNKNOWN","message":"injected fault: storage unavailable"}]}');
                return;
            }
            const up = http.request(
                { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
                (upRes) => {
                    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
                    upRes.pipe(res);
                },
            );
            up.on("error", () => res.destroy());
            req.pipe(up);
        });
    }

    static async start(upstream: string): Promise<RegistryFaultProxy> {
        const [host, port] = upstream.split(":");
        const proxy = new RegistryFaultProxy({ host, port: Number(port) });
        await new Promise<void>((r) => proxy.server.listen(0, "127.0.0.1", r));
        return proxy;
    }

    /** `127.0.0.1:<port>`, a registry address on loopback (plain HTTP is allowed there). */
    get address(): string {
        return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise((r) => this.server.close(() => r()));
    }
}

/**
 * A loopback TCP proxy in front of the API server (TLS passes through; the
 * server's certificate names 127.0.0.1). `stop()` is what a client sees when
 * the API server dies: every connection reset, every new one refused.
 */
export class ApiServerFaultProxy {
    private server?: net.Server;
    private readonly sockets = new Set<net.Socket>();
    private port = 0;

    constructor(private readonly upstreamPort: number) {}

    async start(): Promise<void> {
        const server = net.createServer((client) => {
            const upstream = net.connect(this.upstreamPort, "127.0.0.1");
            for (const s of [client, upstream]) {
                this.sockets.add(s);
                s.on("close", () => this.sockets.delete(s));
                s.on("error", () => undefined);
            }
            client.pipe(upstream).pipe(client);
            client.on("close", () => upstream.destroy());
            upstream.on("close", () => client.destroy());
        });
        await new Promise<void>((r) => server.listen(this.port, "127.0.0.1", r));
        this.port = (server.address() as net.AddressInfo).port;
        this.server = server;
    }

    async stop(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        for (const s of this.sockets) {
            s.resetAndDestroy();
        }
        await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    }

    get url(): string {
        return `https://127.0.0.1:${this.port}`;
    }
}
