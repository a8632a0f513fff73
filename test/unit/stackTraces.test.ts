import * as assert from "assert";
import * as util from "util";
import { breaksInspect, repairStackFormatter } from "../../core/stackTraces";

/** A CallSite stand-in: only toString is used for repaired frames. */
const site = (text: string) => ({ toString: () => text }) as unknown as NodeJS.CallSite;

describe("stack trace repair (Node 20 util.inspect loop)", () => {
    it("finds the lines whose node_modules colouring would never end", () => {
        for (const broken of [
            "    at f (/p/node_modules/@pulumi/resource.ts:1598:22)",
            "    at f (/p/node_modules/left-pad)",
            "    at f (C:\\p\\node_modules\\@pulumi\\run.ts:1:2)",
        ]) {
            assert.strictEqual(breaksInspect(broken), true, broken);
        }
        for (const fine of [
            "    at f (/p/node_modules/@pulumi/pulumi/resource.js:637:22)",
            "    at f (/p/node_modules/@pulumi/cmd/run/run.ts:577:70)",
            "    at f (/p/node_modules/ts-node/dist/index.js:1:2)",
            "    at f (/tmp/app/index.ts:3:30)",
            "    at f (/p/my_node_modules/@x)",
            "Error: node_modules/@pulumi",
        ]) {
            assert.strictEqual(breaksInspect(fine), false, fine);
        }
    });

    it("prints those frames unmapped and leaves the others as the formatter made them", () => {
        const format = () => "Error: two\nline message\n    at a (/app/index.ts:1:1)\n    at b (/p/node_modules/@pulumi/resource.ts:9:9)";
        const repaired = repairStackFormatter(format)(new Error("x"), [
            site("a (/app/index.js:1:1)"),
            site("b (/p/node_modules/@pulumi/pulumi/resource.js:5:5)"),
        ]);
        assert.strictEqual(
            repaired,
            "Error: two\nline message\n    at a (/app/index.ts:1:1)\n    at b (/p/node_modules/@pulumi/pulumi/resource.js:5:5)",
        );
    });

    it("with the repair, colourful inspect of such an error finishes and names the real file", () => {
        const original = Error.prepareStackTrace;
        try {
            Error.prepareStackTrace = repairStackFormatter(
                (e, frames) =>
                    `${String(e)}\n${frames.map((_f, i) => (i === 0 ? "    at g (/p/node_modules/@pulumi/resource.ts:1:1)" : `    at ${_f.toString()}`)).join("\n")}`,
            ) as typeof Error.prepareStackTrace;
            const err = new Error("boom");
            assert.ok(!breaksInspect(String(err.stack)), String(err.stack));
            const text = util.inspect(err, { colors: true });
            assert.match(text, /boom/);
        } finally {
            Error.prepareStackTrace = original;
        }
    });
});
