import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { registryReader } from "../../pipeline/project/releaseRegistry";
import { ReleaseRecord } from "../../pipeline/project/stackFile";

const KNOWN = "registry.test:5000";

/** A stack file's record naming `registry`, with a password only the engine could decrypt. */
function record(registry: string): ReleaseRecord {
    return { release: "2026-12-03-001", file: "stacks/Pulumi.2026-12-03-001.yaml", config: { "pinned:registry": { value: registry } } };
}

describe("registryReader: the login a listing reads a release's registry with", () => {
    let project: string;
    beforeEach(() => (project = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-reader-"))));
    afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

    // No pulumi on PATH and no stack: a call that reached the engine would fail or fall back to the push login.
    const ctx = (env: Record<string, string>) => ({ projectDir: project, env: { PATH: "/nonexistent", ...env }, cacheDir: project });
    const known = { PINNED_REGISTRY: KNOWN, PINNED_REGISTRY_USER: "pusher", PINNED_REGISTRY_PASSWORD: "push-pw" };

    it("the registry this machine knows is read with its pull-only login, without the engine", async () => {
        const login = await registryReader(
            ctx({ ...known, PINNED_REGISTRY_PULL_USER: "puller", PINNED_REGISTRY_PULL_PASSWORD: "pull-pw" }),
            "2026-12-03-001",
            record(KNOWN),
        );
        assert.deepStrictEqual(login, { server: KNOWN, username: "puller", password: "pull-pw" });
    });

    it("without a pull-only login, with its push login", async () => {
        assert.deepStrictEqual(await registryReader(ctx(known), "2026-12-03-001", record(KNOWN)), {
            server: KNOWN,
            username: "pusher",
            password: "push-pw",
        });
    });

    it("a stack naming another registry never gets the known registry's password", async () => {
        const login = await registryReader(ctx(known), "2026-12-03-001", record("elsewhere.test:5000")).catch((err: unknown) => err);
        // Whatever the engine path says here (no pulumi on PATH), it is not the known registry's login.
        assert.ok(!JSON.stringify(login).includes("push-pw"), JSON.stringify(login));
    });
});
