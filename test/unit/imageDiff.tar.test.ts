import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readTar, TarEntry, TarFormatError, TarReader } from "../../core/imageDiff";
import { headerNumber } from "../../core/imageDiff/tar";
import { tarArchive } from "../support/tarWriter";

describe("tar reader", () => {
    /** Every entry of `archive` with its content, fed in chunks of `size` bytes. */
    function entries(archive: Buffer, size = archive.length): Array<TarEntry & { content: string }> {
        const found: Array<TarEntry & { content: string }> = [];
        const reader = new TarReader((entry) => {
            const parts: Buffer[] = [];
            return {
                data: (c) => parts.push(Buffer.from(c)),
                end: () => found.push({ ...entry, content: Buffer.concat(parts).toString() }),
            };
        });
        for (let at = 0; at < archive.length; at += size) {
            reader.push(archive.subarray(at, at + size));
        }
        reader.end();
        return found;
    }

    let dir: string;
    before(function () {
        try {
            if (!execFileSync("tar", ["--version"]).toString().includes("GNU tar")) {
                this.skip();
            }
        } catch {
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-tar-"));
        const deep = path.join(dir, "src", "a-directory-name-of-forty-characters-xxx", "another-directory-of-forty-characters-yy");
        fs.mkdirSync(deep, { recursive: true });
        fs.writeFileSync(path.join(deep, "a-file-name-long-enough-to-need-more.txt"), "deep content\n");
        fs.symlinkSync(
            "a-directory-name-of-forty-characters-xxx/another-directory-of-forty-characters-yy/a-file-name-long-enough-to-need-more.txt",
            path.join(dir, "src", "shortcut"),
        );
        fs.symlinkSync("../etc/hosts", path.join(dir, "src", "hosts"));
        fs.linkSync(path.join(deep, "a-file-name-long-enough-to-need-more.txt"), path.join(dir, "src", "hard"));
    });
    after(() => {
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    const LONG =
        "./a-directory-name-of-forty-characters-xxx/another-directory-of-forty-characters-yy/a-file-name-long-enough-to-need-more.txt";

    /** An archive of the test tree made by GNU tar in `format`, sorted, with fixed owner and time. */
    function gnuTar(format: string, ids = ["--owner=big:3000000", "--group=grp:3000001"], members = ["."]): Buffer {
        return execFileSync("tar", [
            `--format=${format}`,
            "--sort=name",
            ...ids,
            "--mtime=@1700000000",
            "-cf",
            "-",
            "-C",
            path.join(dir, "src"),
            ...members,
        ]);
    }

    it("reads GNU tar's long names (L, K), symlinks, hard links and base-256 ids", () => {
        assert.ok(LONG.length > 100);
        const archive = gnuTar("gnu");
        const found = entries(archive);
        const file = found.find((e) => e.path === LONG);
        assert.ok(file, found.map((e) => e.path).join("\n"));
        assert.deepStrictEqual(
            [file.type, file.size, file.content, file.uid, file.gid, file.uname, file.gname, file.mtime],
            ["file", 13, "deep content\n", 3000000, 3000001, "big", "grp", 1700000000],
        );
        const shortcut = found.find((e) => e.path === "./shortcut");
        assert.deepStrictEqual([shortcut?.type, shortcut?.linkTarget], ["symlink", LONG.slice(2)]);
        const hosts = found.find((e) => e.path === "./hosts");
        assert.deepStrictEqual([hosts?.type, hosts?.linkTarget, hosts?.size], ["symlink", "../etc/hosts", 0]);
        const hard = found.filter((e) => e.type === "hardlink");
        assert.strictEqual(hard.length, 1);
        assert.ok(
            [LONG, "./hard"].includes(hard[0].linkTarget) && [LONG, "./hard"].includes(hard[0].path) && hard[0].path !== hard[0].linkTarget,
        );
        assert.deepStrictEqual(
            found.filter((e) => e.type === "directory").map((e) => e.path),
            [
                "./",
                "./a-directory-name-of-forty-characters-xxx/",
                "./a-directory-name-of-forty-characters-xxx/another-directory-of-forty-characters-yy/",
            ],
        );
        // The same entries whatever the chunk sizes the stream comes in.
        for (const size of [1, 7, 511, 512, 513, 4096]) {
            assert.deepStrictEqual(entries(archive, size), found, `chunks of ${size}`);
        }
    });

    it("reads pax records (path, linkpath, uid) and a ustar prefix", () => {
        const pax = entries(gnuTar("pax"));
        assert.deepStrictEqual(
            [pax.find((e) => e.path === LONG)?.content, pax.find((e) => e.path === "./shortcut")?.linkTarget, pax[0].uid],
            ["deep content\n", LONG.slice(2), 3000000],
        );
        // ustar splits a long path into prefix and name; it holds no long link target or large id, so only the deep file goes in.
        const ustar = gnuTar("ustar", ["--owner=0", "--group=0"], [LONG]);
        assert.strictEqual(ustar.toString("latin1", 345, 347), "./", "the path is split into prefix and name");
        assert.deepStrictEqual(
            entries(ustar).map((e) => [e.path, e.content]),
            [[LONG, "deep content\n"]],
        );
    });

    it("reads the test writer's pax path and base-256 ids", () => {
        const long = `app/${"d".repeat(120)}/file`;
        const found = entries(tarArchive([{ path: long, content: "x", uid: 5_000_000, gid: 7, base256Ids: true }]));
        assert.deepStrictEqual(
            found.map((e) => [e.path, e.uid, e.gid, e.content]),
            [[long, 5_000_000, 7, "x"]],
        );
    });

    it("negative base-256 and octal numbers", () => {
        const h = Buffer.alloc(12);
        h.fill(0xff);
        h[11] = 0x9c;
        assert.strictEqual(headerNumber(h, 0, 12), -100);
        assert.strictEqual(headerNumber(Buffer.from("0000644\0"), 0, 8), 0o644);
        assert.strictEqual(headerNumber(Buffer.from("   755 \0"), 0, 8), 0o755);
        assert.strictEqual(headerNumber(Buffer.from("12x\0\0\0\0\0"), 0, 8), undefined);
    });

    it("a truncated archive and a block that is no header are tar format errors", () => {
        const archive = tarArchive([{ path: "f", content: "y".repeat(2000) }]);
        assert.throws(
            () => readTar(archive.subarray(0, 1200), () => undefined),
            (e: unknown) => e instanceof TarFormatError && /ends inside an entry, at byte 1200/.test(e.message),
        );
        assert.throws(() => readTar(archive.subarray(0, 300), () => undefined), /ends inside an entry, at byte 300/);
        const damaged = Buffer.from(archive);
        damaged[10] ^= 1;
        assert.throws(() => readTar(damaged, () => undefined), /the block at byte 0 is not a tar header/);
        // Missing padding after the last entry is tolerated, as is a missing end-of-archive marker.
        assert.strictEqual(entries(archive.subarray(0, 512 + 2000)).length, 1);
    });
});
