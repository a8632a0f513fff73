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

/** One Distribution API request, authenticated on a 401 challenge; 200 and 404 are answers, the rest errors. */
async function get(repo: Repository, what: string, creds: RegistryCredentials, method: "GET" | "HEAD", shown: string): Promise<Response> {
    const url = `${registryScheme(repo.host)}://${repo.host}/v2/${repo.name}/${what}`;
    let response = await request(url, method, {});
    if (response.status === 401) {
        // The credentials are the configured registry's: another host a
        // reference names gets none (and answers as it does to anyone).
        const own = repo.host === creds.registry ? creds : { registry: creds.registry };
        const auth = await authorization(response.headers.get("www-authenticate") ?? "", own, repo.host);
        if (auth) {
            response = await request(url, method, { authorization: auth });
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

async function request(url: string, method: "GET" | "HEAD", headers: Record<string, string>): Promise<Response> {
    try {
        return await fetch(url, {
            method,
            headers: { accept: MANIFEST_TYPES, ...headers },
            signal: AbortSignal.timeout(REGISTRY_TIMEOUT.ms),
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
