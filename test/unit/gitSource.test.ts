import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GitSourceError } from "../../core/errors";
import { assertReleaseSource, readGitSource } from "../../core/git/gitSource";
import { containerTagFor } from "../../core/git/refTag";
import { parseReleaseName } from "../../core/git/releaseName";
import { makeTempRepo, TempRepo } from "../support/tempRepo";

const R1 = parseReleaseName("2026-11-27-001");

describe("git source (real repositories)", () => {
    let repo: TempRepo;
    beforeEach(async () => {
        repo = await makeTempRepo();
    });
    afterEach(() => repo.remove());

    it("reads commit, commit time, branch and cleanliness", async () => {
        const commit = await repo.commit({ "app/server.py": "print('hi')\n" });
        const src = await readGitSource(path.join(repo.dir, "app"), process.env);
        assert.strictEqual(src.commit, commit);
        assert.match(src.commit, /^[0-9a-f]{40}$/);
        assert.strictEqual(src.root, repo.dir);
        assert.strictEqual(src.branch, "main");
        assert.strictEqual(src.dirty, false);
        assert.ok(!Number.isNaN(Date.parse(src.commitTime)));
        assert.match(src.commitTime, /Z$/);
    });

    it("takes the commit time from git, not the clock", async () => {
        await repo.git.env({ ...process.env, GIT_COMMITTER_DATE: "2020-01-02T03:04:05+02:00" });
        fs.writeFileSync(path.join(repo.dir, "a"), "a");
        await repo.git.add(".");
        await repo.git.env({ ...process.env, GIT_COMMITTER_DATE: "2020-01-02T03:04:05+02:00" }).commit("dated");
        const src = await readGitSource(repo.dir, process.env);
        assert.strictEqual(src.commitTime, "2020-01-02T01:04:05.000Z");
    });

    // Every row of the ref -> container tag table, read from a real checkout.
    const rows: Array<[string, "branch" | "tag", string]> = [
        ["develop", "branch", "latest"],
        ["feature/login", "branch", "feature-login"],
        ["release/2026-11-27-001", "branch", "2026-11-27-001-rc"],
        ["2026-11-27-001", "tag", "2026-11-27-001"],
    ];
    for (const [ref, kind, tag] of rows) {
        it(`checked-out ${kind} ${ref} gives container tag ${tag}`, async () => {
            await repo.commit({ README: "x\n" });
            if (kind === "branch") {
                await repo.git.checkoutLocalBranch(ref);
            } else {
                await repo.git.addTag(ref);
                await repo.git.checkout(["--detach", "HEAD"]);
            }
            const src = await readGitSource(repo.dir, process.env);
            assert.deepStrictEqual(src.ref, { kind, name: ref });
            assert.strictEqual(containerTagFor(src.ref!), tag);
        });
    }

    it("refuses a dirty tree for a release (modified file)", async () => {
        await repo.commit({ "app/server.py": "v1\n" });
        await repo.git.addTag(R1);
        fs.writeFileSync(path.join(repo.dir, "app/server.py"), "v2\n");
        const src = await readGitSource(repo.dir, process.env);
        assert.strictEqual(src.dirty, true);
        await assert.rejects(
            assertReleaseSource(src, R1, undefined, process.env),
            (e: unknown) => e instanceof GitSourceError && /uncommitted changes/.test(e.problem) && /commit or stash/.test(e.fix),
        );
    });

    it("refuses a dirty tree for a release (untracked file)", async () => {
        await repo.commit({ "app/server.py": "v1\n" });
        await repo.git.addTag(R1);
        fs.writeFileSync(path.join(repo.dir, "app/extra.py"), "x\n");
        await assert.rejects(
            assertReleaseSource(await readGitSource(repo.dir, process.env), R1, undefined, process.env),
            /uncommitted changes/,
        );
    });

    it("does not count pinned's own stack files as a dirty tree", async () => {
        const commit = await repo.commit({ "app/server.py": "v1\n" });
        await repo.git.addTag(R1);
        fs.mkdirSync(path.join(repo.dir, "stacks"));
        fs.writeFileSync(path.join(repo.dir, "stacks", `Pulumi.${R1}.yaml`), "config: {}\n");
        const src = await readGitSource(repo.dir, process.env);
        assert.strictEqual(src.dirty, true);
        await assertReleaseSource(src, R1, commit, process.env);
        fs.writeFileSync(path.join(repo.dir, "stacks", "notes.txt"), "x");
        await assert.rejects(assertReleaseSource(await readGitSource(repo.dir, process.env), R1, commit, process.env), /stacks\/notes.txt/);
    });

    it("accepts a clean tree at the release tag, lightweight or annotated", async () => {
        const commit = await repo.commit({ "app/server.py": "v1\n" });
        await repo.git.addAnnotatedTag(R1, "release");
        const src = await readGitSource(repo.dir, process.env);
        assert.deepStrictEqual(src.releases, [R1]);
        await assertReleaseSource(src, R1, commit, process.env);
    });

    it("detects a release tag moved to another commit", async () => {
        const first = await repo.commit({ "app/server.py": "v1\n" });
        await repo.git.addTag(R1);
        await repo.commit({ "app/server.py": "v2\n" });
        await repo.git.tag(["-f", R1]); // moved to the new HEAD
        const src = await readGitSource(repo.dir, process.env);
        await assert.rejects(
            assertReleaseSource(src, R1, first, process.env),
            (e: unknown) => e instanceof GitSourceError && /tag was moved/.test(e.problem) && e.fix.includes(`git tag -f ${R1} ${first}`),
        );
    });

    it("refuses a release with no tag, naming the command that makes one", async () => {
        await repo.commit({ a: "1" });
        await assert.rejects(
            assertReleaseSource(await readGitSource(repo.dir, process.env), R1, undefined, process.env),
            (e: unknown) => e instanceof GitSourceError && e.fix.includes(`git tag ${R1}`),
        );
    });

    it("refuses to build when HEAD is not the tagged commit", async () => {
        const first = await repo.commit({ a: "1" });
        await repo.git.addTag(R1);
        await repo.commit({ a: "2" });
        await assert.rejects(
            assertReleaseSource(await readGitSource(repo.dir, process.env), R1, first, process.env),
            /HEAD is [0-9a-f]{12}, but tag/,
        );
    });

    it("says clearly when the directory is not a repository", async () => {
        const outside = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "pinned-norepo-"));
        try {
            await assert.rejects(readGitSource(outside, process.env), /not inside a git repository/);
        } finally {
            fs.rmSync(outside, { recursive: true, force: true });
        }
    });

    it("strips credentials from the origin URL", async () => {
        await repo.commit({ a: "1" });
        await repo.git.addRemote("origin", "https://user:secret@git.example/team/app.git");
        assert.strictEqual((await readGitSource(repo.dir, process.env)).remoteUrl, "https://git.example/team/app.git");
    });
});
