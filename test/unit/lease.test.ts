import * as assert from "assert";
import * as os from "os";
import { judgeLease, LeaseView, leaseSeconds } from "../../pipeline/cluster/lease";
import { Liveness } from "../../pipeline/locks/liveness";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const held: LeaseView = {
    resourceVersion: "7",
    holderIdentity: "0123456789abcdef",
    durationSeconds: 30,
    renewTime: "2026-11-28T11:59:55.000000Z",
    command: "pinned up --release 2026-11-28-001",
    host: "machine-a",
    pid: 42,
};
const here = { now: NOW, unchangedSinceMs: NOW, liveness: (): Liveness => "unknown" };

describe("cluster lease: when a Lease is stale", () => {
    it("a Lease just seen, renewed or not, is held", () => {
        assert.strictEqual(judgeLease(held, here), "held");
        assert.strictEqual(judgeLease({ ...held, renewTime: "2026-11-28T10:00:00.000000Z" }, here), "held");
    });
    it("a Lease with no holder is free to take", () => {
        assert.strictEqual(judgeLease({ ...held, holderIdentity: undefined }, here), "stale");
    });
    it("a holder the kernel says is gone (its liveness file unlocked) left it stale at once; alive or unknown, it is held", () => {
        const asked: string[] = [];
        const says = (l: Liveness) => (token: string) => (asked.push(token), l);
        assert.strictEqual(judgeLease(held, { ...here, liveness: says("gone") }), "stale");
        assert.strictEqual(judgeLease(held, { ...here, liveness: says("alive") }), "held");
        assert.strictEqual(judgeLease(held, { ...here, liveness: says("unknown") }), "held");
        assert.deepStrictEqual(
            asked,
            [held.holderIdentity, held.holderIdentity, held.holderIdentity],
            "asked by token, not by host or PID",
        );
    });
    it("the host and PID it names count for nothing: another PID namespace may share both", () => {
        const sameHostDeadPid = { ...held, host: os.hostname(), pid: 4194305 };
        assert.strictEqual(judgeLease(sameHostDeadPid, here), "held");
    });
    it("stale only once this observer has watched it unchanged for its whole duration, whatever its renewTime says", () => {
        const future = { ...held, renewTime: "2026-11-28T13:00:00.000000Z" };
        assert.strictEqual(judgeLease(future, { ...here, unchangedSinceMs: NOW - 29_000 }), "held");
        assert.strictEqual(judgeLease(future, { ...here, unchangedSinceMs: NOW - 31_000 }), "stale");
        const ancient = { ...held, renewTime: "2026-11-28T11:00:00.000000Z" };
        assert.strictEqual(judgeLease(ancient, { ...here, unchangedSinceMs: NOW - 29_000 }), "held");
        assert.strictEqual(judgeLease(ancient, { ...here, unchangedSinceMs: NOW - 31_000 }), "stale");
    });
    it("PINNED_LEASE_SECONDS: 30 by default, 5 to 300, anything else refused naming the variable", () => {
        assert.strictEqual(leaseSeconds({}), 30);
        assert.strictEqual(leaseSeconds({ PINNED_LEASE_SECONDS: "5" }), 5);
        for (const bad of ["4", "301", "1.5", "-10", "ten"]) {
            assert.throws(
                () => leaseSeconds({ PINNED_LEASE_SECONDS: bad }),
                /PINNED_LEASE_SECONDS="[^"]*" is not a whole number of seconds from 5 to 300/,
            );
        }
    });
});
