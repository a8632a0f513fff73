import { RegistryError } from "./errors";
import { ImageDigest, parseImageDigest, splitImageDigest } from "./imageDigest";

/** Credentials for one registry; both absent for an anonymous one. */
export interface RegistryCredentials {
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

/** Loopback registries are spoken to over HTTP, the rest over HTTPS, as the Docker engine does. */
export function registryScheme(host: string): "http" | "https" {
    return /^(127\.|localhost(:|$)|\[::1\])/.test(host) ? "http" : "https";
}

/**
 * Asks the registry (Distribution API) whether it holds the manifest a
 * image digest names.
 */
export async function manifestExists(ref: ImageDigest, creds: RegistryCredentials = {}): Promise<boolean> {
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
export async function findTaggedImage(repository: string, tag: string, creds: RegistryCredentials = {}): Promise<TaggedImage | undefined> {
    const shown = `${repository}:${tag}`;
    const repo = repositoryOf(repository, shown);
    const manifest = await get(repo, `manifests/${tag}`, creds, "GET", shown);
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
        const auth = await authorization(response.headers.get("www-authenticate") ?? "", creds, repo.host);
        response = await request(url, method, { authorization: auth });
    }
    if (response.status === 200 || response.status === 404) {
        return response;
    }
    if (response.status === 401 || response.status === 403) {
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

async function request(url: string, method: "GET" | "HEAD", headers: Record<string, string>): Promise<Response> {
    try {
        return await fetch(url, { method, headers: { accept: MANIFEST_TYPES, ...headers } });
    } catch (e) {
        const host = new URL(url).host;
        throw new RegistryError(
            `registry ${host} cannot be reached (${(e as Error).cause ?? (e as Error).message}).`,
            "start it (pinned env up) or fix pinned:registry.",
        );
    }
}

/** Basic auth, or a bearer token from the realm the registry names (token auth). */
async function authorization(challenge: string, creds: RegistryCredentials, host: string): Promise<string> {
    const basic = `Basic ${Buffer.from(`${creds.username ?? ""}:${creds.password ?? ""}`).toString("base64")}`;
    if (!/^bearer/i.test(challenge)) {
        return basic;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const tokenUrl = new URL(params.realm);
    for (const key of ["service", "scope"]) {
        if (params[key]) {
            tokenUrl.searchParams.set(key, params[key]);
        }
    }
    const res = await fetch(tokenUrl, { headers: creds.username ? { authorization: basic } : {} });
    if (!res.ok) {
        throw new RegistryError(`registry ${host} gave no token (HTTP ${res.status}).`, "check the registry credentials.");
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    return `Bearer ${body.token ?? body.access_token ?? ""}`;
}
