import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { useNoopProject } from "../support/noopProject";

/**
 * The no-op proof's record cannot be forged by editing it. Files in a
 * temporary project, plugin cache and pinned cache; a stand-in kubectl
 * answers with the recorded objects.
 */
describe("the no-op record: sealed (noopRecord)", () => {
    const { cache, inputs, proof, recordFile, write } = useNoopProject();

    it("a record edited by hand to name the changed inputs is not trusted", async () => {
        assert.deepStrictEqual(await proof(), { unchanged: true });
        write("components/release.ts", "export const x = 2;\n");
        // What a forger does: record the present inputs as if an update had run with them.
        const record = JSON.parse(fs.readFileSync(recordFile(), "utf8")) as { inputs: string };
        fs.writeFileSync(recordFile(), JSON.stringify({ ...record, inputs: inputs() }));
        const result = await proof();
        assert.strictEqual(result.unchanged, false, "a forged record proved a no-op");
        assert.match((result as { why: string }).why, /does not verify under this machine's key/);
    });

    it("a record sealed under another key, or with no seal, is not trusted; the key file is 0600", async () => {
        assert.strictEqual(fs.statSync(path.join(cache(), "noop-record.key")).mode & 0o777, 0o600);
        fs.writeFileSync(path.join(cache(), "noop-record.key"), Buffer.alloc(32, 7), { mode: 0o600 });
        assert.deepStrictEqual(await proof(), {
            unchanged: false,
            why: "the record of the last update does not verify under this machine's key (edited, or written elsewhere)",
        });
        const { inputs: recorded, checkpoint } = JSON.parse(fs.readFileSync(recordFile(), "utf8")) as {
            inputs: string;
            checkpoint: string;
        };
        fs.writeFileSync(recordFile(), JSON.stringify({ inputs: recorded, checkpoint }));
        assert.match(((await proof()) as { why: string }).why, /carries no seal/);
    });
});
