import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";

/** Runs `file` through bin/register.js in a fresh Node, with its own transpile cache. */
function run(file: string, cache: string): { out: string; cached: string[] } {
    const r = spawnSync(
        process.execPath,
        ["-e", `require(${JSON.stringify(path.join(PROJECT_DIR, "bin", "register.js"))}); require(${JSON.stringify(file)});`],
        {
            encoding: "utf8",
            env: { ...process.env, PINNED_CACHE: cache },
        },
    );
    assert.strictEqual(r.status, 0, r.stderr);
    return {
        out: r.stdout + r.stderr,
        cached: fs.existsSync(path.join(cache, "transpiled")) ? fs.readdirSync(path.join(cache, "transpiled")) : [],
    };
}

describe("bin/register.js: the sources as checked in, transpiled once per content", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-register-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs a TypeScript file, keeps its transpiled copy, and runs a changed file as changed (never a stale copy)", () => {
        const file = path.join(dir, "hello.ts");
        fs.writeFileSync(file, 'const who: string = "one";\nconsole.log(`hello ${who}`);\n');
        const first = run(file, dir);
        assert.strictEqual(first.out, "hello one\n");
        assert.strictEqual(first.cached.length, 1);
        assert.strictEqual(run(file, dir).out, "hello one\n", "from the kept copy");
        fs.writeFileSync(file, 'const who: string = "two";\nconsole.log(`hello ${who}`);\n');
        const changed = run(file, dir);
        assert.strictEqual(changed.out, "hello two\n");
        assert.strictEqual(changed.cached.length, 2, "a new copy for the new content");
    });

    it("stack traces name the TypeScript line", () => {
        const file = path.join(dir, "boom.ts");
        fs.writeFileSync(
            file,
            'interface X {\n    a: number;\n}\nconst x: X = { a: 1 };\ntry {\n    throw new Error(`boom ${x.a}`);\n} catch (e) {\n    console.log((e as Error).stack?.split("\\n")[1]);\n}\n',
        );
        assert.match(run(file, dir).out, new RegExp(`boom\\.ts:6:11`));
    });
});
