import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { recordImageDigest } from "../../pipeline/project/stackFile";

const R = "2026-11-27-001";
const DIGEST = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
const FILE = `encryptionsalt: v1:3+piNr4Mel4=:v1:duM+0yANW+9du46Y:QdIV3sxWmaUxDkVCR1CzT5xmyTDWVA==
config:
  pinned:commit: dca9bfadd7ee855d944d941f0199783d60fb3c3d
  pinned:registry: 127.0.0.1:5000
  pinned:registryUser: pinned
  pinned:registryPassword:
    secure: v1:foDEbVyOCk1hY2kQ:Nct/AjRJqa1pzUBPBzYjOdqsqt4wDMR7uk+9cnHU6sIFQeA1YXbjnNOcggVLveH5NQEbifjLAr9do/6tnixLiA==
`;

describe("recording the digest in a stack file", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-stackfile-"));
        fs.mkdirSync(path.join(dir, "stacks"));
        fs.writeFileSync(path.join(dir, "stacks", `Pulumi.${R}.yaml`), FILE, { mode: 0o640 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("adds pinned:imageDigest and keeps every other key, the secret's ciphertext and the file mode", () => {
        recordImageDigest(R, DIGEST, dir);
        const file = path.join(dir, "stacks", `Pulumi.${R}.yaml`);
        const before = yaml.load(FILE) as { config: Record<string, unknown> };
        const after = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
        assert.deepStrictEqual(after, { ...before, config: { ...before.config, "pinned:imageDigest": DIGEST } });
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o640);
        assert.deepStrictEqual(fs.readdirSync(path.join(dir, "stacks")), [`Pulumi.${R}.yaml`], "no temporary file left");
    });

    it("a write that fails leaves the old content whole and no temporary file", () => {
        const stacks = path.join(dir, "stacks");
        // A directory where the temporary file would go makes the write fail, as a full disk would.
        fs.mkdirSync(path.join(stacks, `Pulumi.${R}.yaml.${process.pid}.tmp`));
        assert.throws(() => recordImageDigest(R, DIGEST, dir), /EISDIR/);
        assert.strictEqual(fs.readFileSync(path.join(stacks, `Pulumi.${R}.yaml`), "utf8"), FILE);
    });
});
