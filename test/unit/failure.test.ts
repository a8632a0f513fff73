import * as assert from "assert";
import { describeOutcome } from "../../pipeline/engine/failure";

describe("what a failed engine run did", () => {
    it("what an engine run did before it failed is said step by step", () => {
        assert.strictEqual(
            describeOutcome({ finished: ["applying Service web"], failed: ["rolling out Deployment web"], unfinished: [] }),
            "What the engine did before it stopped: done: applying Service web; failed: rolling out Deployment web.",
        );
        assert.strictEqual(
            describeOutcome({ finished: [], failed: [], unfinished: ["applying Secret web-registry"] }),
            "What the engine did before it stopped: started, outcome unknown: applying Secret web-registry.",
        );
        assert.strictEqual(describeOutcome({ finished: [], failed: [], unfinished: [] }), "The engine changed nothing before it stopped.");
    });
});
