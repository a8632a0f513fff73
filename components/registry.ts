import { RegistryError } from "./errors";
import { DigestReference, splitDigestReference } from "./digestReference";

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

/**
 * Asks the registry (Distribution API) whether it holds the manifest a
 * digest reference names. Loopback registries are spoken to over HTTP, the
 * rest over HTTPS, as the Docker engine does.
 */
export async function manifestExists(ref: DigestReference, creds: RegistryCredentials = {}): Promise<boolean> {
    const { repository, digest } = splitDigestReference(ref);
    const slash = repository.indexOf("/");
    const host = repository.slice(0, slash);
    const name = repository.slice(slash + 1);
    if (slash < 0 || !/[.:]/.test(host) && host !== "localhost") {
        throw new RegistryError(
            `"${ref}" names no registry host, so its digest cannot be checked.`,
            "record the full reference, e.g. 127.0.0.1:5000/pinned/app@sha256:….",
        );
    }
    const scheme = /^(127\.|localhost|\[::1\])/.test(host) ? "http" : "https";
    const url = `${scheme}://${host}/v2/${name}/manifests/${digest}`;
    let response = await request(url, {});
    if (response.status === 401) {
        const auth = await authorization(response.headers.get("www-authenticate") ?? "", creds, host);
        response = await request(url, { authorization: auth });
    }
    if (response.status === 200) {
        return true;
    }
    if (response.status === 404) {
        return false;
    }
    if (response.status === 401 || response.status === 403) {
        throw new RegistryError(
            `registry ${host} refused the credentials (HTTP ${response.status}) while checking ${ref}.`,
            "set pinned:registryUser and the secret pinned:registryPassword for this stack.",
        );
    }
    throw new RegistryError(`registry ${host} answered HTTP ${response.status} for ${url}.`, "check that the registry is healthy (pinned env status).");
}

async function request(url: string, headers: Record<string, string>): Promise<Response> {
    try {
        return await fetch(url, { method: "HEAD", headers: { accept: MANIFEST_TYPES, ...headers } });
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
