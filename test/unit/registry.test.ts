import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { RegistryError } from "../../core/errors";
import { parseImageDigest } from "../../core/imageDigest";
import { isLoopback, manifestExists, openBlob, REGISTRY_TIMEOUT, registryScheme } from "../../core/registry";
import { sha256 } from "../support/imageRegistry";

const DIGEST = `sha256:${"ab".repeat(32)}`;

/** A loopback server answering every request with `reply`; records the Authorization headers it got. */
async function serve(reply: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    const auths: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
        auths.push(req.headers.authorization);
        reply(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, auths, close: () => server.close() };
}

describe("registry client", () => {
    it("speaks plain HTTP only to a whole loopback host", () => {
        for (const host of ["127.0.0.1:5000", "127.1.2.3", "localhost", "localhost:5000", "[::1]:5000"]) {
            assert.ok(isLoopback(host), host);
            assert.strictEqual(registryScheme(host), "http", host);
        }
        for (const host of [
            "localhost.other.example",
            "127.0.0.1.other.example",
            "127.0.0.1.nip.io:5000",
            "127.300.0.1",
            "10.0.0.1:5000",
            "[::2]",
        ]) {
            assert.ok(!isLoopback(host), host);
            assert.strictEqual(registryScheme(host), "https", host);
        }
    });

    it("a malformed WWW-Authenticate is a registry error, not a TypeError", async () => {
        for (const challenge of ["Bearer", 'Bearer service="x"', 'Bearer realm="not a url"', "Negotiate abc", ""]) {
            const reg = await serve((_req, res) => res.writeHead(401, { "www-authenticate": challenge }).end());
            try {
                await assert.rejects(
                    manifestExists(parseImageDigest(`${reg.host}/app@${DIGEST}`), { registry: reg.host, username: "u", password: "p" }),
                    (e: unknown) => e instanceof RegistryError && /malformed challenge/.test(e.problem),
                    challenge,
                );
            } finally {
                reg.close();
            }
        }
    });

    it("a token realm over plain HTTP off this machine is refused before anything is sent to it", async () => {
        const reg = await serve((_req, res) =>
            res.writeHead(401, { "www-authenticate": 'Bearer realm="http://auth.example/token"' }).end(),
        );
        try {
            await assert.rejects(
                manifestExists(parseImageDigest(`${reg.host}/app@${DIGEST}`), { registry: reg.host, username: "u", password: "p" }),
                (e: unknown) => e instanceof RegistryError && /neither HTTPS nor on this machine/.test(e.problem),
            );
        } finally {
            reg.close();
        }
    });

    it("a token realm on another host is asked without the credentials", async () => {
        const realm = await serve((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"token":"t"}'));
        const reg = await serve((req, res) => {
            if (req.headers.authorization === "Bearer t") {
                res.writeHead(200).end();
            } else {
                // "localhost" is another host name than 127.0.0.1, though the same machine.
                res.writeHead(401, {
                    "www-authenticate": `Bearer realm="http://${realm.host.replace("127.0.0.1", "localhost")}/token"`,
                }).end();
            }
        });
        try {
            assert.ok(
                await manifestExists(parseImageDigest(`${reg.host}/app@${DIGEST}`), { registry: reg.host, username: "u", password: "p" }),
            );
            assert.deepStrictEqual(realm.auths, [undefined], "the token service got no credentials");
        } finally {
            reg.close();
            realm.close();
        }
    });

    it("a registry that accepts the connection and never answers is a registry error after the timeout", async () => {
        const reg = await serve(() => undefined); // never answers
        const saved = REGISTRY_TIMEOUT.ms;
        REGISTRY_TIMEOUT.ms = 300;
        try {
            await assert.rejects(
                manifestExists(parseImageDigest(`${reg.host}/app@${DIGEST}`), { registry: reg.host }),
                (e: unknown) => e instanceof RegistryError && /did not answer within 0\.3 s/.test(e.problem),
            );
        } finally {
            REGISTRY_TIMEOUT.ms = saved;
            reg.close();
        }
    });

    it("the configured registry gets Basic credentials; another registry gets none", async () => {
        const reg = await serve((req, res) =>
            res.writeHead(req.headers.authorization ? 200 : 401, { "www-authenticate": 'Basic realm="r"' }).end(),
        );
        try {
            const ref = parseImageDigest(`${reg.host}/app@${DIGEST}`);
            assert.ok(await manifestExists(ref, { registry: reg.host, username: "u", password: "p" }));
            assert.strictEqual(reg.auths[1], `Basic ${Buffer.from("u:p").toString("base64")}`);
            await assert.rejects(
                manifestExists(ref, { registry: "127.0.0.1:5000", username: "u", password: "p" }),
                (e: unknown) => e instanceof RegistryError && /only 127\.0\.0\.1:5000 \(pinned:registry\) gets them/.test(e.problem),
            );
            assert.deepStrictEqual(reg.auths.slice(2), [undefined], "one anonymous request, no credentials");
        } finally {
            reg.close();
        }
    });
});

describe("layer blobs from the registry", () => {
    it("a registry that stops sending a blob midway is a registry error after the timeout, not a hang", async () => {
        const digest = sha256("never sent whole");
        const server = http.createServer((_req, res) => {
            res.writeHead(200, { "content-length": "1000" });
            res.write(Buffer.alloc(100)); // and nothing more
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        const saved = REGISTRY_TIMEOUT.ms;
        REGISTRY_TIMEOUT.ms = 300;
        try {
            let got = 0;
            await assert.rejects(
                (async () => {
                    for await (const chunk of await openBlob(`${host}/app`, digest, { registry: host })) {
                        got += chunk.length;
                    }
                })(),
                (e: unknown) => e instanceof RegistryError && /stopped sending blob .* for 0\.3 s/.test(e.problem),
            );
            assert.strictEqual(got, 100);
        } finally {
            REGISTRY_TIMEOUT.ms = saved;
            server.closeAllConnections();
            server.close();
        }
    });
});
