import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lastUpdatesFromBackendFiles, stackInBackendFiles } from "../../pipeline/engine/backendFiles";

describe("last updates read from a file:// backend", () => {
    let dir: string;
    const checkpoint = (time?: string) => JSON.stringify({ version: 3, checkpoint: { latest: time ? { manifest: { time } } : undefined } });
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-backend-"));
        fs.mkdirSync(path.join(dir, ".pulumi", "stacks", "pinned"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml"), "version: 1\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads each stack's latest manifest time, as pulumi stack ls reports it, and skips backups and never-updated stacks", () => {
        const stacks = path.join(dir, ".pulumi", "stacks", "pinned");
        fs.writeFileSync(path.join(stacks, "2026-11-27-001.json"), checkpoint("2026-11-28T13:29:26.441997119Z"));
        fs.writeFileSync(path.join(stacks, "2026-11-27-001.json.bak"), checkpoint("2026-11-01T00:00:00Z"));
        fs.writeFileSync(path.join(stacks, "2026-11-27-001.json.attrs"), "{}");
        fs.writeFileSync(path.join(stacks, "2026-12-04-001.json"), checkpoint());
        assert.deepStrictEqual(
            [...(lastUpdatesFromBackendFiles(`file://${dir}`, "pinned") ?? [])],
            [["2026-11-27-001", "2026-11-28T13:29:26.441Z"]],
        );
    });

    it("leaves other backends, other layouts and compressed checkpoints to the engine", () => {
        assert.strictEqual(lastUpdatesFromBackendFiles("s3://bucket", "pinned"), undefined);
        fs.writeFileSync(path.join(dir, ".pulumi", "stacks", "pinned", "2026-11-27-001.json.gz"), "");
        assert.strictEqual(lastUpdatesFromBackendFiles(`file://${dir}`, "pinned"), undefined);
        fs.writeFileSync(path.join(dir, ".pulumi", "meta.yaml"), "version: 0\n");
        assert.strictEqual(lastUpdatesFromBackendFiles(`file://${dir}`, "pinned"), undefined);
    });

    it("a backend directory not made yet has no updates", () => {
        assert.deepStrictEqual(lastUpdatesFromBackendFiles(`file://${path.join(dir, "nothing")}`, "pinned"), new Map());
    });

    it("says whether the backend holds a stack from its checkpoint file, and leaves other backends to the engine", () => {
        fs.writeFileSync(path.join(dir, ".pulumi", "stacks", "pinned", "2026-11-27-001.json"), checkpoint());
        assert.strictEqual(stackInBackendFiles(`file://${dir}`, "pinned", "2026-11-27-001"), true);
        assert.strictEqual(stackInBackendFiles(`file://${dir}`, "pinned", "2026-12-04-001"), false);
        assert.strictEqual(stackInBackendFiles(`file://${path.join(dir, "nothing")}`, "pinned", "2026-11-27-001"), false);
        assert.strictEqual(stackInBackendFiles("s3://bucket", "pinned", "2026-11-27-001"), undefined);
    });
});
