import * as assert from "assert";
import { finalBase, recipeBases, repinBases } from "../../core/baseImage";

const OLD = `sha256:${"0b".repeat(32)}`;
const NEW = `sha256:${"ff".repeat(32)}`;

describe("recipe bases", () => {
    const recipe = [
        "# syntax comment, not a note",
        "FROM 127.0.0.1:5000/pinned/python:3.11.2-bookworm@" + OLD + " AS build",
        "RUN true",
        "# base: Debian 12.12, packages sha256:0123456789ab… (110 packages)",
        "FROM --platform=linux/amd64 127.0.0.1:5000/pinned/python:3.11.2-bookworm@" + OLD,
        "COPY --from=build /x /x",
        "FROM build AS again",
        "FROM scratch",
        "",
    ].join("\n");

    it("lists each FROM image with its line, parts and the note above it; stages and scratch left out", () => {
        const bases = recipeBases(recipe);
        assert.deepStrictEqual(
            bases.map((b) => [b.line, b.repository, b.tag, b.digest, b.note]),
            [
                [2, "127.0.0.1:5000/pinned/python", "3.11.2-bookworm", OLD, undefined],
                [5, "127.0.0.1:5000/pinned/python", "3.11.2-bookworm", OLD, "Debian 12.12, packages sha256:0123456789ab… (110 packages)"],
            ],
        );
    });

    it("re-pins only the named lines' digests and writes the note above each", () => {
        const out = repinBases(recipe, [
            { line: 2, digest: NEW, note: "Debian 12.15" },
            { line: 5, digest: NEW, note: "Debian 12.15, packages sha256:ffffffffffff… (110 packages)" },
        ]);
        const lines = out.split("\n");
        assert.strictEqual(lines[1], "# base: Debian 12.15");
        assert.strictEqual(lines[2], `FROM 127.0.0.1:5000/pinned/python:3.11.2-bookworm@${NEW} AS build`);
        assert.strictEqual(lines[4], "# base: Debian 12.15, packages sha256:ffffffffffff… (110 packages)");
        assert.strictEqual(lines[5], `FROM --platform=linux/amd64 127.0.0.1:5000/pinned/python:3.11.2-bookworm@${NEW}`);
        // Everything else as it was, in order.
        assert.deepStrictEqual(
            lines.filter((_, i) => ![1, 2, 4, 5].includes(i)),
            recipe.split("\n").filter((_, i) => ![1, 3, 4].includes(i)),
        );
        // Re-pinning again replaces the notes instead of stacking them.
        const again = repinBases(out, [{ line: 6, digest: OLD, note: "Debian 12.12" }]);
        assert.strictEqual(again.split("\n").length, lines.length);
        assert.ok(again.includes(`# base: Debian 12.12\nFROM --platform=linux/amd64 127.0.0.1:5000/pinned/python:3.11.2-bookworm@${OLD}`));
    });

    it("a digest is added to a line that pinned only a tag", () => {
        const out = repinBases("FROM 127.0.0.1:5000/a/b:1.0\n", [{ line: 1, digest: NEW }]);
        assert.strictEqual(out, `FROM 127.0.0.1:5000/a/b:1.0@${NEW}\n`);
    });

    it("the final image's base is followed through stages", () => {
        assert.strictEqual(finalBase("FROM a/b:1@" + OLD + " AS s\nFROM c:2 AS t\nFROM s\n"), "a/b:1@" + OLD);
        assert.strictEqual(finalBase("FROM a:1\nFROM scratch\n"), undefined);
    });
});
