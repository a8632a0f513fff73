import * as assert from "assert";
import { CommandSpec, parseCommandLine, usageOf } from "../../cli/args";

const SPEC: CommandSpec = {
    name: "demo",
    options: { to: { type: "string", value: "R", help: "where to" }, json: { type: "boolean", help: "as JSON" } },
    positionals: { name: "FILE", min: 0, max: 2 },
    description: "Does a demo.",
};

describe("command lines (util.parseArgs)", () => {
    it("reads options in either form and positionals within their count", () => {
        assert.deepStrictEqual(parseCommandLine(SPEC, ["--to", "x", "a", "--json"]), {
            values: { to: "x", json: true },
            positionals: ["a"],
        });
        assert.deepStrictEqual(parseCommandLine(SPEC, ["--to=x"])?.values, { to: "x" });
    });
    for (const bad of [["--to"], ["--to="], ["--to", "a", "--to", "b"], ["--json", "--json"], ["--nope"], ["a", "b", "c"], ["-x"]]) {
        it(`refuses ${JSON.stringify(bad)}`, () => assert.strictEqual(parseCommandLine(SPEC, bad), undefined));
    }
    it("makes the usage text from the spec", () => {
        assert.strictEqual(
            usageOf(SPEC),
            "usage: pinned demo [--to R] [--json] [FILE...]\n\nDoes a demo.\n\n  --to R           where to\n  --json           as JSON",
        );
    });
    it("a required option: refused when absent, shown first and without brackets", () => {
        const spec: CommandSpec = {
            name: "demo",
            options: { json: { type: "boolean", help: "as JSON" }, release: { type: "string", value: "R", help: "which", required: true } },
            description: "Does a demo.",
        };
        assert.strictEqual(parseCommandLine(spec, ["--json"]), undefined);
        assert.deepStrictEqual(parseCommandLine(spec, ["--release", "r"])?.values, { release: "r" });
        assert.match(usageOf(spec), /^usage: pinned demo --release R \[--json\]\n/);
    });
});
