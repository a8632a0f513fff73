import * as assert from "assert";
import { judgeLease, LeaseView, leaseSeconds } from "../../release/clusterLease";

const NOW = Date.parse("2026-11-28T12:00:00Z");
const held: LeaseView = {
    resourceVersion: "7",
    holderIdentity: "machine-a/42/abc",
    durationSeconds: 30,
    renewTime: "2026-11-28T11:59:55.000000Z",
    command: "pinned up --release 2026-11-28-001",
    host: "machine-a",
    pid: 42,
};
const here = { host: "machine-b", now: NOW, unchangedSinceMs: NOW, isAlive: () => true };

describe("cluster lease: when a Lease is stale", () => {
    it("a Lease renewed within its duration is held", () => {
        assert.strictEqual(judgeLease(held, here), "held");
    });
    it("a Lease with no holder is free to take", () => {
        assert.strictEqual(judgeLease({ ...held, holderIdentity: undefined }, here), "stale");
    });
    it("a holder on this host whose process is gone left it stale at once", () => {
        assert.strictEqual(judgeLease(held, { ...here, host: "machine-a", isAlive: () => false }), "stale");
        assert.strictEqual(judgeLease(held, { ...here, host: "machine-a", isAlive: () => true }), "held");
    });
    it("a process id on another host says nothing about this one's processes", () => {
        assert.strictEqual(judgeLease(held, { ...here, isAlive: () => false }), "held");
    });
    it("a renewTime older than duration plus the clock margin is stale; within the margin it is held", () => {
        assert.strictEqual(judgeLease({ ...held, renewTime: "2026-11-28T11:59:19.000000Z" }, here), "stale");
        assert.strictEqual(judgeLease({ ...held, renewTime: "2026-11-28T11:59:25.000000Z" }, here), "held");
    });
    it("a Lease watched unchanged for its whole duration is stale, whatever its renewTime says", () => {
        const future = { ...held, renewTime: "2026-11-28T13:00:00.000000Z" };
        assert.strictEqual(judgeLease(future, { ...here, unchangedSinceMs: NOW - 29_000 }), "held");
        assert.strictEqual(judgeLease(future, { ...here, unchangedSinceMs: NOW - 31_000 }), "stale");
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
