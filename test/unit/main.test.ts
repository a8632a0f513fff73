import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/main";
import { defaultRegistry } from "../../pipeline/project/localEnvironment";
import { parseUpArgs } from "../../cli/commands/up";
import { parseRollbackArgs } from "../../cli/commands/rollback";
import { COMMANDS } from "../../cli/commands";
import { baseImagesOf } from "../../core/policy/recipePolicy";

/** Runs the CLI in-process, capturing what it writes. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const write = (sink: "out" | "err") => (chunk: string | Uint8Array) => {
        if (sink === "out") {
            out += String(chunk);
        } else {
            err += String(chunk);
        }
        return true;
    };
    const saved = [process.stdout.write, process.stderr.write];
    process.stdout.write = write("out") as typeof process.stdout.write;
    process.stderr.write = write("err") as typeof process.stderr.write;
    try {
        return { code: await main(argv), out, err };
    } finally {
        [process.stdout.write, process.stderr.write] = saved;
    }
}

describe("pinned CLI", () => {
    it("tag prints the container tag", async () => {
        assert.deepStrictEqual(await run(["tag", "release/2026-11-27-001"]), { code: 0, out: "2026-11-27-001-rc\n", err: "" });
    });

    it("tag refuses other refs with exit 2 and the accepted forms", async () => {
        const r = await run(["tag", "main"]);
        assert.strictEqual(r.code, 2);
        assert.match(r.err, /follows none of the release conventions/);
        assert.match(r.err, /release\/yyyy-mm-dd-NNN\s+-> yyyy-mm-dd-NNN-rc/);
    });

    /** A Dockerfile in a directory of its own, removed after the test. */
    const dirs: string[] = [];
    afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
    const dockerfile = (): string => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-cli-"));
        dirs.push(dir);
        return path.join(dir, "Dockerfile");
    };

    it("lint exits 1 on errors and names file and line", async () => {
        const file = dockerfile();
        fs.writeFileSync(file, "FROM python\nRUN pip install numpy\n");
        const r = await run(["lint", file]);
        assert.strictEqual(r.code, 1);
        assert.match(r.out, new RegExp(`${file}:1: base-unversioned: \\[error\\]`));
        assert.match(r.out, new RegExp(`${file}:2: pip-unpinned: \\[error\\]`));
    });

    it("lint --strict passes the example app", async () => {
        const r = await run(["lint", "--strict", path.join(__dirname, "..", "..", "app", "Dockerfile")]);
        assert.strictEqual(r.code, 0, r.out);
        assert.match(r.out, /0 errors, 0 warnings/);
    });

    it("lint turns a warning into an error only with --strict", async () => {
        const file = dockerfile();
        fs.writeFileSync(file, "FROM python:3.11.7-bookworm\nARG git_hash\nLABEL git_hash=$git_hash\nUSER 65534\n");
        assert.strictEqual((await run(["lint", file])).code, 0);
        assert.strictEqual((await run(["lint", "--strict", file])).code, 1);
    });

    it("usage errors exit 2", async () => {
        assert.strictEqual((await run([])).code, 2);
        assert.strictEqual((await run(["nonsense"])).code, 2);
        assert.strictEqual((await run(["lint"])).code, 2);
        assert.strictEqual((await run(["env", "sideways"])).code, 2);
        assert.strictEqual((await run(["up", "--bogus"])).code, 2);
        for (const argv of [
            ["preview", "--bogus"],
            ["rollback", "--to"],
            ["status", "x"],
            ["releases", "--yaml"],
        ]) {
            const r = await run(argv);
            assert.strictEqual(r.code, 2, argv.join(" "));
            assert.match(r.err, new RegExp(`^usage: pinned ${argv[0]}`), argv.join(" "));
        }
    });

    it("COMMAND --help prints that command's usage on stdout and exits 0", async () => {
        for (const command of ["env", "lint", "tag", "up", "preview", "rollback", "status", "releases"]) {
            const r = await run([command, "--help"]);
            assert.strictEqual(r.code, 0, command);
            assert.match(r.out, new RegExp(`^usage: pinned ${command}`), command);
            assert.strictEqual(r.err, "");
        }
    });

    it("help lists every command", async () => {
        const r = await run(["--help"]);
        assert.strictEqual(r.code, 0);
        for (const command of ["env", "lint", "tag", "up", "preview", "rollback", "status", "releases"]) {
            assert.match(r.out, new RegExp(`^  ${command} `, "m"), command);
        }
    });

    it("the top-level usage lists each command's synopsis, as its --help shows it, and its summary", async () => {
        assert.strictEqual(
            (await run(["--help"])).out,
            `usage: pinned COMMAND [ARGS]

commands:
  env up|status|down|shell [PART...]
                               the embedded local environment (engine, registry, …)
  lint [--strict] DOCKERFILE...
                               check a recipe for unpinned inputs
  base [--commit] update [DOCKERFILE]
                               re-pin the recipe's base images to the registry's current digests
  tag REF                      print the container tag for a git ref
  release                      tag HEAD as the next release of today and deploy it
  up [--release R]             build (once) and deploy a release by digest
  preview [--release R] [--markdown]
                               what an up would change: the engine's preview, digests, policy
  rollback [--to R]            redeploy an earlier release's digest (no build)
  status                       live Deployment vs the recorded digest (drift)
  releases [--json]            every release: commit, digest, deployed at, verified, live
  verify R                     rebuild release R and compare it with its recorded digest
  registry-password --release R [--pull]
                               set R's registry password from stdin, bound to its registry

Run "pinned COMMAND --help" for details.
`,
        );
    });

    it("each entry of the command list names the command its module declares, once", async () => {
        for (const entry of COMMANDS) {
            assert.strictEqual((await entry.load()).command.spec.name, entry.name);
        }
        assert.strictEqual(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length);
    });

    it("the registry for new releases: PINNED_REGISTRY when set, else the embedded one", () => {
        assert.deepStrictEqual(
            defaultRegistry({
                PINNED_REGISTRY: "10.0.0.5:5000",
                PINNED_REGISTRY_USER: "ci",
                PINNED_REGISTRY_PASSWORD: "s",
                PINNED_REGISTRY_PULL_USER: "ci-pull",
                PINNED_REGISTRY_PULL_PASSWORD: "p",
            }),
            {
                server: "10.0.0.5:5000",
                username: "ci",
                password: "s",
                pullUsername: "ci-pull",
                pullPassword: "p",
            },
        );
        assert.deepStrictEqual(defaultRegistry({ PINNED_REGISTRY: "127.0.0.1:5001" }), {
            server: "127.0.0.1:5001",
            username: undefined,
            password: undefined,
            pullUsername: undefined,
            pullPassword: undefined,
        });
    });

    it("base images of a recipe, stages left out", () => {
        const text = "FROM a/b:1@sha256:x AS build\nRUN true\nFROM build\nFROM c:2\n";
        assert.deepStrictEqual(baseImagesOf(text), ["a/b:1@sha256:x", "c:2"]);
    });

    it("up takes --release R or --release=R and nothing else", () => {
        assert.deepStrictEqual(parseUpArgs([]), {});
        assert.deepStrictEqual(parseUpArgs(["--release", "2026-11-27-001"]), { release: "2026-11-27-001" });
        assert.deepStrictEqual(parseUpArgs(["--release=2026-11-27-001"]), { release: "2026-11-27-001" });
        assert.strictEqual(parseUpArgs(["--release"]), undefined);
        assert.strictEqual(parseUpArgs(["2026-11-27-001"]), undefined);
    });

    it("rollback takes --to R or --to=R and nothing else", () => {
        assert.deepStrictEqual(parseRollbackArgs([]), {});
        assert.deepStrictEqual(parseRollbackArgs(["--to", "2026-11-01-001"]), { to: "2026-11-01-001" });
        assert.deepStrictEqual(parseRollbackArgs(["--to=2026-11-01-001"]), { to: "2026-11-01-001" });
        for (const bad of [["--to"], ["2026-11-01-001"], ["--to", "a", "b"], ["--release", "x"], ["--to="]]) {
            assert.strictEqual(parseRollbackArgs(bad), undefined, bad.join(" "));
        }
    });
});
