import { execFileSync } from "child_process";
import * as path from "path";

/** What etcd's v3 JSON gateway answers for a range: keys and values in base64. */
export interface EtcdRange {
    kvs?: { key: string; value: string }[];
}

/**
 * Reads KEY (up to RANGEEND, when given) straight from etcd's v3 JSON
 * gateway at ENDPOINT (host:port), with the API server's own etcd client
 * certificate from the control plane's PKI directory: what the API server
 * stored, before any decryption.
 */
export function etcdRange(pki: string, endpoint: string, key: string, rangeEnd?: string): EtcdRange {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const body = JSON.stringify(rangeEnd ? { key: b64(key), range_end: b64(rangeEnd) } : { key: b64(key) });
    const out = execFileSync(
        "curl",
        [
            "-sS",
            "-m",
            "10",
            "--cacert",
            path.join(pki, "etcd", "ca.crt"),
            "--cert",
            path.join(pki, "apiserver-etcd-client.crt"),
            "--key",
            path.join(pki, "apiserver-etcd-client.key"),
            "-X",
            "POST",
            "-d",
            body,
            `https://${endpoint}/v3/kv/range`,
        ],
        { encoding: "utf8" },
    );
    return JSON.parse(out) as EtcdRange;
}
