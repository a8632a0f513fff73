import * as assert from "assert";
import * as crypto from "crypto";
import * as path from "path";
import { cacheDir, readEnvFile } from "../../pipeline/project/localEnvironment";
import { requireLocalEnv } from "./support/localEnv";

type Login = { user: string; password: string };

/** One Distribution API request to the embedded registry as `login`; its status and headers. */
async function call(server: string, login: Login, method: string, url: string, body?: Buffer, type?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${login.user}:${login.password}`).toString("base64")}` };
    if (type) {
        headers["content-type"] = type;
    }
    return fetch(url.startsWith("http") ? url : `http://${server}${url}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
}

/**
 * The embedded registry tells pulling from pushing: the pull-only login
 * (the one the cluster gets) reads images but cannot upload a blob, put a
 * manifest or delete one; the push login does all of it.
 */
describe("the embedded registry: a pull-only login and a push login (real registry behind its proxy)", function () {
    this.timeout(60_000);
    const repo = `pinned/e2e-access-${process.pid}`;
    let server: string;
    let push: Login;
    let pull: Login;
    let base: { repository: string; digest: string };

    before(() => {
        const env = requireLocalEnv();
        const creds = readEnvFile(path.join(cacheDir(process.env), "registry-credentials")) ?? {};
        if (!creds.REGISTRY_PULL_USER || !creds.REGISTRY_PULL_PASSWORD) {
            throw new Error(
                `${path.join(cacheDir(process.env), "registry-credentials")} holds no pull-only login (REGISTRY_PULL_USER); run: npx pinned env up registry`,
            );
        }
        server = env.registry.server;
        push = { user: env.registry.username, password: env.registry.password };
        pull = { user: creds.REGISTRY_PULL_USER, password: creds.REGISTRY_PULL_PASSWORD };
        const [repository, digest] = env.baseRef.slice(server.length + 1).split("@");
        base = { repository, digest };
    });

    it("the pull-only login reads: /v2/, the base image's manifest and its config blob", async () => {
        assert.notStrictEqual(pull.password, push.password);
        assert.strictEqual((await call(server, pull, "GET", "/v2/")).status, 200);
        const manifest = await call(server, pull, "GET", `/v2/${base.repository}/manifests/${base.digest}`, undefined);
        assert.strictEqual(manifest.status, 200);
        const config = ((await manifest.json()) as { config: { digest: string } }).config.digest;
        assert.strictEqual((await call(server, pull, "HEAD", `/v2/${base.repository}/blobs/${config}`)).status, 200);
    });

    it("the pull-only login cannot push: starting an upload, a monolithic blob upload, a manifest PUT and a DELETE are refused", async () => {
        const blob = Buffer.from(`pull-only ${process.pid}`);
        const digest = `sha256:${crypto.createHash("sha256").update(blob).digest("hex")}`;
        const refused = (status: number) => status === 401 || status === 403;
        const start = await call(server, pull, "POST", `/v2/${repo}/blobs/uploads/`);
        assert.ok(refused(start.status), `POST an upload: ${start.status}`);
        const monolithic = await call(
            server,
            pull,
            "POST",
            `/v2/${repo}/blobs/uploads/?digest=${digest}`,
            blob,
            "application/octet-stream",
        );
        assert.ok(refused(monolithic.status), `POST a blob: ${monolithic.status}`);
        const manifest = await call(
            server,
            pull,
            "PUT",
            `/v2/${base.repository}/manifests/overwritten-by-pull`,
            Buffer.from("{}"),
            "application/vnd.docker.distribution.manifest.v2+json",
        );
        assert.ok(refused(manifest.status), `PUT a manifest: ${manifest.status}`);
        const del = await call(server, pull, "DELETE", `/v2/${base.repository}/manifests/${base.digest}`);
        assert.ok(refused(del.status), `DELETE a manifest: ${del.status}`);
        assert.strictEqual((await call(server, push, "HEAD", `/v2/${repo}/blobs/${digest}`)).status, 404, "no blob was stored");
    });

    it("the push login uploads a blob (start, then PUT with its digest) and reads it back", async () => {
        const blob = Buffer.from(`push ${process.pid} ${Date.now()}`);
        const digest = `sha256:${crypto.createHash("sha256").update(blob).digest("hex")}`;
        const start = await call(server, push, "POST", `/v2/${repo}/blobs/uploads/`);
        assert.strictEqual(start.status, 202);
        const location = start.headers.get("location") ?? "";
        assert.ok(location.startsWith(`http://${server}/v2/${repo}/blobs/uploads/`), `the upload's Location names the proxy: ${location}`);
        const put = await call(server, push, "PUT", `${location}&digest=${digest}`, blob, "application/octet-stream");
        assert.strictEqual(put.status, 201);
        assert.strictEqual((await call(server, pull, "HEAD", `/v2/${repo}/blobs/${digest}`)).status, 200, "the pull-only login reads it");
    });
});
