import { createHash } from "crypto";
import * as fs from "fs";
import { RegistryError } from "./errors";
import { ImageDigest, parseImageDigest, splitImageDigest } from "./imageDigest";

/** Credentials for one registry; username and password absent for an anonymous one. */
export interface RegistryCredentials {
    /**
     * The registry `host[:port]` they belong to (`pinned:registry`): they are
     * sent to this host only, never to another registry a reference names.
     */
    readonly registry: string;
    readonly username?: string;
    readonly password?: string;
}

/** The credentials of a registry as settings and the environment give it (`server`, user, password). */
export function credentialsFor(registry: {
    readonly server: string;
    readonly username?: string;
    readonly password?: string;
}): RegistryCredentials {
    return { registry: registry.server, username: registry.username, password: registry.password };
}

/**
 * Writes `file` (0600) in the Docker client's auth format, with these
 * credentials for their registry only: what buildah (REGISTRY_AUTH_FILE),
 * cosign and syft (DOCKER_CONFIG) read. An anonymous registry gets none.
 */
export function writeAuthFile(file: string, creds: RegistryCredentials): void {
    const auths =
        creds.username !== undefined
            ? { [creds.registry]: { auth: Buffer.from(`${creds.username}:${creds.password ?? ""}`).toString("base64") } }
            : {};
    fs.writeFileSync(file, JSON.stringify({ auths }), { mode: 0o600 });
}

const MANIFEST_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** A repository in a registry: `host[:port]` and the path inside it. */
interface Repository {
    readonly host: string;
    readonly name: string;
}

/** Splits `host[:port]/path`; a reference without a registry host cannot be looked up. */
function repositoryOf(repository: string, shown: string): Repository {
    const slash = repository.indexOf("/");
    const host = repository.slice(0, slash);
    if (slash < 0 || (!/[.:]/.test(host) && host !== "localhost")) {
        throw new RegistryError(
            `"${shown}" names no registry host, so it cannot be looked up.`,
            "record the full reference, e.g. 127.0.0.1:5000/pinned/app@sha256:….",
        );
    }
    return { host, name: repository.slice(slash + 1) };
}

/** `host[:port]` names this machine: localhost, 127.0.0.0/8 or [::1], the whole host (not a prefix of it). */
export function isLoopback(host: string): boolean {
    const m = /^(localhost|127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})|\[::1\])(?::(\d{1,5}))?$/.exec(host);
    return (
        m !== null && [m[2], m[3], m[4]].every((o) => o === undefined || Number(o) <= 255) && (m[5] === undefined || Number(m[5]) <= 65535)
    );
}

/** Loopback registries are spoken to over HTTP, the rest over HTTPS, as the Docker engine does. */
export function registryScheme(host: string): "http" | "https" {
    return isLoopback(host) ? "http" : "https";
}

/**
 * Asks the registry (Distribution API) whether it holds the manifest a
 * image digest names.
 */
export async function manifestExists(ref: ImageDigest, creds: RegistryCredentials): Promise<boolean> {
    const { repository, digest } = splitImageDigest(ref);
    const repo = repositoryOf(repository, ref);
    const response = await get(repo, `manifests/${digest}`, creds, "HEAD", ref);
    return response.status === 200;
}

/**
 * The digest of the manifest `repository:tag` points at (`sha256:…`), from
 * the registry's answer to a HEAD; undefined when the tag does not exist.
 */
export async function tagDigest(repository: string, tag: string, creds: RegistryCredentials): Promise<string | undefined> {
    const shown = `${repository}:${tag}`;
    const response = await get(repositoryOf(repository, shown), `manifests/${tag}`, creds, "HEAD", shown);
    return response.status === 200 ? (response.headers.get("docker-content-digest") ?? undefined) : undefined;
}

/** An image found in the registry under a tag: its image digest and its labels. */
export interface TaggedImage {
    readonly imageDigest: ImageDigest;
    readonly labels: Record<string, string>;
}

/**
 * Reads the image `repository:tag` points at: the manifest's digest and the
 * labels of its config. Undefined when the tag does not exist. Only
 * single-platform images are read (a tag on an index has no one config).
 */
export async function findTaggedImage(repository: string, tag: string, creds: RegistryCredentials): Promise<TaggedImage | undefined> {
    return findImage(repository, tag, creds);
}

/** As findTaggedImage, for a tag or a digest (`sha256:…`). */
export async function findImage(repository: string, reference: string, creds: RegistryCredentials): Promise<TaggedImage | undefined> {
    const shown = `${repository}${reference.startsWith("sha256:") ? "@" : ":"}${reference}`;
    const repo = repositoryOf(repository, shown);
    const manifest = await get(repo, `manifests/${reference}`, creds, "GET", shown);
    if (manifest.status === 404) {
        return undefined;
    }
    const digest = manifest.headers.get("docker-content-digest");
    const body = (await manifest.json()) as { config?: { digest?: string } };
    if (!digest || !body.config?.digest) {
        return undefined;
    }
    const config = await get(repo, `blobs/${body.config.digest}`, creds, "GET", shown);
    const image = (await config.json()) as { config?: { Labels?: Record<string, string> | null } };
    return { imageDigest: parseImageDigest(`${repository}@${digest}`), labels: image.config?.Labels ?? {} };
}

/** The manifest types of a single-platform image: one config and a list of layers. */
const IMAGE_MANIFEST_TYPES = ["application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"];

/** A blob as a manifest names it. */
export interface BlobDescriptor {
    readonly mediaType: string;
    readonly digest: string;
    /** Bytes, as the manifest states them. */
    readonly size: number;
}

/** A single-platform image manifest, checked against the digest it was asked by. */
export interface ImageManifest {
    /** `sha256:…` of the manifest's bytes. */
    readonly digest: string;
    readonly mediaType: string;
    readonly config: BlobDescriptor;
    /** Base layer first, as the runtime stacks them. */
    readonly layers: readonly BlobDescriptor[];
    /** The whole manifest as sent, for fields beyond config and layers (annotations, media types). */
    readonly json: Record<string, unknown>;
}

/**
 * Reads the manifest an image digest names. Refuses a multi-platform index
 * (it has no one config to compare) and a manifest whose bytes do not hash
 * to the digest asked for.
 */
export async function fetchManifest(ref: ImageDigest, creds: RegistryCredentials): Promise<ImageManifest> {
    const { repository, digest } = splitImageDigest(ref);
    const repo = repositoryOf(repository, ref);
    const response = await get(repo, `manifests/${digest}`, creds, "GET", ref);
    if (response.status === 404) {
        throw new RegistryError(`registry ${repo.host} holds no manifest ${ref}.`, "push the image, or check the recorded digest.");
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    checkDigest(bytes, digest, `the manifest of ${ref}`, repo.host);
    const json = parseJson(bytes, `the manifest of ${ref}`, repo.host);
    const mediaType = String(json.mediaType ?? (response.headers.get("content-type") ?? "").split(";")[0].trim());
    if (!IMAGE_MANIFEST_TYPES.includes(mediaType) || !Array.isArray(json.layers)) {
        throw new RegistryError(
            `${ref} is not a single-platform image manifest (media type ${mediaType || "not given"}), so it has no one config and list of layers.`,
            "give the digest of the platform's own manifest (docker buildx imagetools inspect lists them).",
        );
    }
    return { digest, mediaType, config: descriptor(json.config, ref), layers: json.layers.map((l) => descriptor(l, ref)), json };
}

/** Reads and parses the config blob a manifest names, checked against its digest. */
export async function fetchImageConfig(
    repository: string,
    digest: string,
    creds: RegistryCredentials,
): Promise<{ readonly digest: string; readonly json: Record<string, unknown> }> {
    const bytes = await fetchBlob(repository, digest, creds);
    return { digest, json: parseJson(bytes, `config ${digest} of ${repository}`, repository.slice(0, repository.indexOf("/"))) };
}

/** A whole blob in memory, checked against its digest: for configs and small layers. */
export async function fetchBlob(repository: string, digest: string, creds: RegistryCredentials): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await openBlob(repository, digest, creds)) {
        chunks.push(chunk);
    }
    return Buffer.concat(chunks);
}

/**
 * A blob as a stream of chunks, for layers too large to hold. The registry
 * may take longer than REGISTRY_TIMEOUT to send a whole layer, so the
 * timeout applies to each wait for the next chunk instead. The stream's end
 * checks the bytes against the digest and throws when they differ, so a
 * consumer must read to the end to trust what it read.
 */
export async function openBlob(repository: string, digest: string, creds: RegistryCredentials): Promise<AsyncIterable<Buffer>> {
    const shown = `${repository}@${digest}`;
    const repo = repositoryOf(repository, shown);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
        throw new RegistryError(
            `"${digest}" is not a sha256 digest, so no blob of ${repository} can be asked for by it.`,
            "give sha256:<64 hex digits>.",
        );
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
            () => controller.abort(new DOMException(`no data for ${REGISTRY_TIMEOUT.ms} ms`, "TimeoutError")),
            REGISTRY_TIMEOUT.ms,
        );
        // The transfer itself keeps the process alive; a stream nobody reads must not.
        timer.unref();
    };
    arm();
    let response: Response;
    try {
        response = await get(repo, `blobs/${digest}`, creds, "GET", shown, controller.signal);
    } catch (e) {
        clearTimeout(timer);
        throw e;
    }
    const body = response.body;
    if (response.status === 404 || !body) {
        clearTimeout(timer);
        controller.abort();
        throw new RegistryError(
            `registry ${repo.host} holds no blob ${digest} in ${repository}.`,
            "push the image again, or check its digest.",
        );
    }
    return (async function* () {
        const hash = createHash("sha256");
        try {
            for await (const chunk of body) {
                arm();
                hash.update(chunk);
                yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
            }
        } catch (e) {
            if ((e as Error).name === "TimeoutError") {
                throw new RegistryError(
                    `registry ${repo.host} stopped sending blob ${digest} of ${repository} for ${REGISTRY_TIMEOUT.ms / 1000} s.`,
                    "check the registry (pinned env status) and try again.",
                );
            }
            throw new RegistryError(
                `registry ${repo.host} broke off sending blob ${digest} of ${repository} (${(e as Error).message}).`,
                "check the registry (pinned env status) and try again.",
            );
        } finally {
            clearTimeout(timer);
            // Stops the transfer when the consumer leaves early; harmless after the end.
            controller.abort();
        }
        const got = `sha256:${hash.digest("hex")}`;
        if (got !== digest) {
            throw new RegistryError(
                `registry ${repo.host} sent bytes hashing to ${got} for blob ${digest} of ${repository}.`,
                "the registry's storage is damaged or a proxy altered the data: push the image again.",
            );
        }
    })();
}

function checkDigest(bytes: Buffer, digest: string, what: string, host: string): void {
    const got = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (got !== digest) {
        throw new RegistryError(
            `registry ${host} sent bytes hashing to ${got} for ${what}.`,
            "the registry's storage is damaged or a proxy altered the data: push the image again.",
        );
    }
}

function parseJson(bytes: Buffer, what: string, host: string): Record<string, unknown> {
    let value: unknown;
    try {
        value = JSON.parse(bytes.toString("utf8"));
    } catch {
        value = undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new RegistryError(`registry ${host} sent ${what}, which is not a JSON object.`, "check that the image was pushed whole.");
    }
    return value as Record<string, unknown>;
}

function descriptor(value: unknown, ref: string): BlobDescriptor {
    const d = value as Partial<BlobDescriptor> | undefined;
    if (typeof d?.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(d.digest) || typeof d.size !== "number") {
        throw new RegistryError(`the manifest of ${ref} names a blob without a sha256 digest and size.`, "push the image again.");
    }
    return { mediaType: String(d.mediaType ?? ""), digest: d.digest, size: d.size };
}

/**
 * One Distribution API request, authenticated on a 401 challenge; 200 and 404 are answers, the rest errors.
 * `signal` replaces the per-request timeout (a blob's body may take longer than one timeout to arrive).
 */
async function get(
    repo: Repository,
    what: string,
    creds: RegistryCredentials,
    method: "GET" | "HEAD",
    shown: string,
    signal?: AbortSignal,
): Promise<Response> {
    const url = `${registryScheme(repo.host)}://${repo.host}/v2/${repo.name}/${what}`;
    let response = await request(url, method, {}, signal);
    if (response.status === 401) {
        // The credentials are the configured registry's: another host a
        // reference names gets none (and answers as it does to anyone).
        const own = repo.host === creds.registry ? creds : { registry: creds.registry };
        const auth = await authorization(response.headers.get("www-authenticate") ?? "", own, repo.host);
        if (auth) {
            response = await request(url, method, { authorization: auth }, signal);
        }
    }
    if (response.status === 200 || response.status === 404) {
        return response;
    }
    if (response.status === 401 || response.status === 403) {
        if (repo.host !== creds.registry) {
            throw new RegistryError(
                `registry ${repo.host} asks for credentials (HTTP ${response.status}) for ${shown}, but only ${creds.registry} (pinned:registry) gets them.`,
                `use an image in ${creds.registry}, or set pinned:registry to ${repo.host} with its own credentials.`,
            );
        }
        throw new RegistryError(
            `registry ${repo.host} refused the credentials (HTTP ${response.status}) while looking up ${shown}.`,
            "set pinned:registryUser and the secret pinned:registryPassword for this stack.",
        );
    }
    throw new RegistryError(
        `registry ${repo.host} answered HTTP ${response.status} for ${url}.`,
        "check that the registry is healthy (pinned env status).",
    );
}

/**
 * How long one registry request may take: a registry that accepts the
 * connection and never answers would otherwise hold the deploy lock forever.
 */
export const REGISTRY_TIMEOUT = { ms: 30_000 };

async function request(url: string, method: "GET" | "HEAD", headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    try {
        return await fetch(url, {
            method,
            headers: { accept: MANIFEST_TYPES, ...headers },
            signal: signal ?? AbortSignal.timeout(REGISTRY_TIMEOUT.ms),
        });
    } catch (e) {
        const host = new URL(url).host;
        if ((e as Error).name === "TimeoutError") {
            throw new RegistryError(
                `registry ${host} did not answer within ${REGISTRY_TIMEOUT.ms / 1000} s (${method} ${url}).`,
                "check the registry (pinned env status); nothing was changed.",
            );
        }
        throw new RegistryError(
            `registry ${host} cannot be reached (${(e as Error).cause ?? (e as Error).message}).`,
            "start it (pinned env up) or fix pinned:registry.",
        );
    }
}

/**
 * Basic auth, or a bearer token from the realm the registry names (token
 * auth). The realm must be HTTPS (plain HTTP only on loopback), and it gets
 * the credentials only when it is the registry's own host; another token
 * service is asked anonymously.
 */
async function authorization(challenge: string, creds: RegistryCredentials, host: string): Promise<string | undefined> {
    const basic = `Basic ${Buffer.from(`${creds.username ?? ""}:${creds.password ?? ""}`).toString("base64")}`;
    const scheme = /^\s*(\w+)/.exec(challenge)?.[1]?.toLowerCase();
    if (scheme === "basic") {
        // Without credentials there is nothing to answer a Basic challenge with.
        return creds.username === undefined ? undefined : basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    let tokenUrl: URL;
    try {
        if (scheme !== "bearer") {
            throw new Error("not Basic or Bearer");
        }
        tokenUrl = new URL(params.realm);
    } catch {
        throw new RegistryError(
            `registry ${host} answered 401 with a malformed challenge (WWW-Authenticate: ${JSON.stringify(challenge.slice(0, 200))}).`,
            "check that pinned:registry names a Docker Distribution registry, and its auth configuration.",
        );
    }
    if (tokenUrl.protocol !== "https:" && !(tokenUrl.protocol === "http:" && isLoopback(tokenUrl.host))) {
        throw new RegistryError(
            `registry ${host} sends clients for a token to ${tokenUrl.origin}, which is neither HTTPS nor on this machine.`,
            "configure the registry's token service with an https:// realm.",
        );
    }
    for (const key of ["service", "scope"]) {
        if (params[key]) {
            tokenUrl.searchParams.set(key, params[key]);
        }
    }
    const withCreds = creds.username !== undefined && tokenUrl.host === host;
    const res = await fetch(tokenUrl, {
        headers: withCreds ? { authorization: basic } : {},
        signal: AbortSignal.timeout(REGISTRY_TIMEOUT.ms),
    });
    if (!res.ok) {
        throw new RegistryError(`registry ${host} gave no token (HTTP ${res.status}).`, "check the registry credentials.");
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    return `Bearer ${body.token ?? body.access_token ?? ""}`;
}
