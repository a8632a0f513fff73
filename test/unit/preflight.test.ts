import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseImageDigest } from "../../core/imageDigest";
import { GitSourceError, RecipePolicyError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { preflight } from "../../core/preflight";
import { makeTempRepo, STRICT_DOCKERFILE, TempRepo } from "../support/tempRepo";

const R = parseReleaseName("2026-11-27-001");
const DIGEST = parseImageDigest(`127.0.0.1:5000/pinned/app@sha256:${"cd".repeat(32)}`);

describe("preflight: deploy the recorded digest or build from this commit", function () {
    this.timeout(20_000);
    let repo: TempRepo;
    let commit: string;
    const settings = (over: object = {}) => ({ appDir: path.join(repo.dir, "app"), strictPolicy: true, commit, ...over });

    beforeEach(async () => {
        repo = await makeTempRepo();
        commit = await repo.commit({ "app/Dockerfile": STRICT_DOCKERFILE, "app/server.py": "print(1)\n" });
        await repo.git.addTag(R);
    });
    afterEach(() => repo.remove());

    it("a recorded digest is deployed as it is, without reading the recipe", async () => {
        const plan = await preflight({ release: R, settings: settings({ imageDigest: DIGEST }), checkTag: true, env: process.env });
        assert.deepStrictEqual(plan, { kind: "recorded", digest: DIGEST });
    });

    it("a moved tag refuses a recorded release, unless the tag check is off (rollback)", async () => {
        await repo.commit({ "app/server.py": "print(2)\n" });
        await repo.git.tag(["-f", R]);
        await assert.rejects(
            preflight({ release: R, settings: settings({ imageDigest: DIGEST }), checkTag: true, env: process.env }),
            /tag was moved/,
        );
        assert.strictEqual(
            (await preflight({ release: R, settings: settings({ imageDigest: DIGEST }), checkTag: false, env: process.env })).kind,
            "recorded",
        );
    });

    it("a build needs a clean tree at the tag, and a recipe that passes the policy", async () => {
        const plan = await preflight({ release: R, settings: settings(), checkTag: true, env: process.env });
        assert.strictEqual(plan.kind, "build");
        fs.writeFileSync(path.join(repo.dir, "app", "server.py"), "dirty\n");
        await assert.rejects(preflight({ release: R, settings: settings(), checkTag: true, env: process.env }), GitSourceError);
    });

    it("a policy-breaking recipe is refused, or reported with project-relative names", async () => {
        await repo.git.tag(["-d", R]);
        commit = await repo.commit({ "app/Dockerfile": "FROM python\n" });
        await repo.git.addTag(R);
        await assert.rejects(
            preflight({ release: R, settings: settings(), checkTag: true, env: process.env, relativeTo: repo.dir }),
            (e: unknown) => e instanceof RecipePolicyError && /app\/Dockerfile:1: base-unversioned/.test(e.problem),
        );
        const plan = await preflight({
            release: R,
            settings: settings(),
            checkTag: true,
            env: process.env,
            relativeTo: repo.dir,
            policy: "report",
        });
        assert.ok(plan.kind === "build" && plan.findings.some((f) => f.file === "app/Dockerfile" && f.rule === "base-unversioned"));
    });
});
