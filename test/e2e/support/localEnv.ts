import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { engineEnv } from "../../../pipeline/engine/environment";
import { cacheDir, localRegistry, readEnvFile } from "../../../pipeline/project/localEnvironment";
import { PROJECT_DIR } from "../../../pipeline/project/projectDir";
import { testContext } from "../../support/context";

/** The embedded environment's facts the end-to-end tests need. */
export interface LocalEnv {
    /** The embedded registry: its push login, and its pull-only login (the one the cluster gets). */
    readonly registry: { server: string; username: string; password: string; pullUsername?: string; pullPassword?: string };
    /** `127.0.0.1:5000/pinned/python@sha256:…`, the base the app builds on. */
    readonly baseRef: string;
    /** `127.0.0.1:5000/pinned/python:3.11.2-bookworm`, the same base by its tag. */
    readonly baseTagged: string;
    readonly env: Record<string, string>;
}

/**
 * Fails (never skips) when a part is missing, naming the command that
 * provides it: an end-to-end claim needs the real thing.
 */
export function requireLocalEnv(): LocalEnv {
    const status = spawnSync(path.join(PROJECT_DIR, "bin", "pinned"), ["env", "status"], { encoding: "utf8" });
    if (status.status !== 0) {
        throw new Error(`the local environment is not ready:\n${status.stdout}${status.stderr}\nrun: npx pinned env up`);
    }
    const registry = localRegistry(cacheDir(process.env));
    const base = readEnvFile(path.join(cacheDir(process.env), "base-image.env"));
    if (!registry || !base?.BASE_REF || !base.BASE_IMAGE) {
        throw new Error("registry credentials or base image missing; run: npx pinned env up");
    }
    return {
        registry,
        baseRef: base.BASE_REF,
        baseTagged: base.BASE_IMAGE,
        env: { ...(process.env as Record<string, string>), ...engineEnv(testContext()) },
    };
}

/** The digest the registry holds for `repository:reference` (Distribution API). */
export async function registryDigest(env: LocalEnv, repository: string, reference: string): Promise<string | undefined> {
    const auth = Buffer.from(`${env.registry.username}:${env.registry.password}`).toString("base64");
    const res = await fetch(`http://${env.registry.server}/v2/${repository}/manifests/${reference}`, {
        method: "HEAD",
        headers: {
            authorization: `Basic ${auth}`,
            accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json",
        },
    });
    return res.status === 200 ? (res.headers.get("docker-content-digest") ?? undefined) : undefined;
}

/** Runs the docker client against the embedded engine, returning stdout. */
export function docker(env: LocalEnv, args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", env: env.env });
}
