import * as crypto from "crypto";
import * as http from "http";
import * as zlib from "zlib";
import { AddressInfo } from "net";
import { ImageDigest, parseImageDigest } from "../../core/imageDigest";

/** A layer to push: its tar, and how to store it. */
export interface TestLayer {
    readonly tar: Buffer;
    /** gzip (level 6 unless given) or the tar as it is. */
    readonly compression?: "gzip" | "none";
    readonly gzipLevel?: number;
}

/** An image to push: layers, and config fields laid over a plain linux/amd64 config. */
export interface TestImage {
    readonly layers: readonly TestLayer[];
    readonly labels?: Record<string, string>;
    readonly created?: string;
    readonly format?: "docker" | "oci";
}

export interface TestRegistry {
    readonly host: string;
    /** Stores the image in `repository` (under this registry) and returns its image digest. */
    push(repository: string, image: TestImage): ImageDigest;
    /** Stores a manifest as given (an index, say) and returns its image digest. */
    putManifest(repository: string, body: string, mediaType: string): ImageDigest;
    /** Serves `data` for blob `digest` of `repository`, whatever its hash: a damaged registry. */
    putBlobAt(repository: string, digest: string, data: Buffer): void;
    /** Request paths served, in order (`/v2/app/blobs/sha256:…`). */
    readonly requests: string[];
    /** Every request's Authorization header, in order, refused ones too ("" when it sent none). */
    readonly authorizations: string[];
    close(): void;
}

export const sha256 = (data: Buffer | string) => `sha256:${crypto.createHash("sha256").update(data).digest("hex")}`;

/**
 * A loopback Distribution API registry serving manifests and blobs by
 * digest, as the real one does, optionally behind Basic auth.
 */
export async function imageRegistry(auth?: { username: string; password: string }): Promise<TestRegistry> {
    const blobs = new Map<string, Buffer>();
    const manifests = new Map<string, { body: Buffer; mediaType: string }>();
    const requests: string[] = [];
    const authorizations: string[] = [];
    const expected = auth && `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
    const server = http.createServer((req, res) => {
        const url = req.url ?? "";
        authorizations.push(req.headers.authorization ?? "");
        if (expected && req.headers.authorization !== expected) {
            res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
            return;
        }
        requests.push(url);
        const m = /^\/v2\/(.+)\/(manifests|blobs)\/(sha256:[0-9a-f]{64})$/.exec(url);
        const manifest = m?.[2] === "manifests" ? manifests.get(`${m[1]}@${m[3]}`) : undefined;
        const blob = m?.[2] === "blobs" ? blobs.get(`${m[1]}@${m[3]}`) : undefined;
        if (manifest) {
            res.writeHead(200, { "content-type": manifest.mediaType, "docker-content-digest": m?.[3] }).end(manifest.body);
        } else if (blob) {
            res.writeHead(200, { "content-type": "application/octet-stream", "docker-content-digest": m?.[3] }).end(blob);
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const putBlob = (repository: string, data: Buffer) => {
        const digest = sha256(data);
        blobs.set(`${repository}@${digest}`, data);
        return digest;
    };
    return {
        host,
        requests,
        authorizations,
        close: () => server.close(),
        putManifest(repository, body, mediaType) {
            const digest = sha256(body);
            manifests.set(`${repository}@${digest}`, { body: Buffer.from(body), mediaType });
            return parseImageDigest(`${host}/${repository}@${digest}`);
        },
        putBlobAt(repository, digest, data) {
            blobs.set(`${repository}@${digest}`, data);
        },
        push(repository, image) {
            const oci = image.format === "oci";
            const layers = image.layers.map((layer) => {
                const gzip = (layer.compression ?? "gzip") === "gzip";
                const blob = gzip ? zlib.gzipSync(layer.tar, { level: layer.gzipLevel ?? 6 }) : layer.tar;
                const mediaType = oci
                    ? `application/vnd.oci.image.layer.v1.tar${gzip ? "+gzip" : ""}`
                    : `application/vnd.docker.image.rootfs.diff.tar${gzip ? ".gzip" : ""}`;
                return { mediaType, digest: putBlob(repository, blob), size: blob.length, diffId: sha256(layer.tar) };
            });
            const config = Buffer.from(
                JSON.stringify({
                    architecture: "amd64",
                    os: "linux",
                    created: image.created ?? "2026-11-27T10:00:00Z",
                    config: { Env: ["PATH=/usr/bin"], Labels: image.labels ?? {} },
                    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
                    history: layers.map((_, i) => ({ created: image.created ?? "2026-11-27T10:00:00Z", created_by: `step ${i + 1}` })),
                }),
            );
            const mediaType = oci ? "application/vnd.oci.image.manifest.v1+json" : "application/vnd.docker.distribution.manifest.v2+json";
            const body = Buffer.from(
                JSON.stringify({
                    schemaVersion: 2,
                    mediaType,
                    config: {
                        mediaType: oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json",
                        digest: putBlob(repository, config),
                        size: config.length,
                    },
                    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
                }),
            );
            const digest = sha256(body);
            manifests.set(`${repository}@${digest}`, { body, mediaType });
            return parseImageDigest(`${host}/${repository}@${digest}`);
        },
    };
}
