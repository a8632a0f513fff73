import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RegistryError } from "./errors";
import { assertReleaseSource, readGitSource } from "./git/gitSource";
import { manifestExists } from "./registry";
import { Release } from "./release";
import { readReleaseConfig } from "./releaseConfig";

/** The stack outputs of a release. */
export interface ReleaseOutputs {
    release: string;
    commit: string;
    digestReference: pulumi.Output<string>;
    deployment: pulumi.Output<string>;
}

/**
 * The Pulumi program: stack config -> checks -> Release -> outputs.
 *
 * Checks run before any resource is registered, so a refused release
 * changes nothing: a recorded digest must still be in the registry, and a
 * build must come from a clean tree at exactly the release's tagged commit.
 */
export async function releaseProgram(): Promise<ReleaseOutputs> {
    const config = readReleaseConfig();
    const password = config.registryPassword ? await unsecret(config.registryPassword) : undefined;

    let commitTime: string | undefined;
    let sourceUrl: string | undefined;
    if (config.imageDigest) {
        const found = await manifestExists(config.imageDigest, { username: config.registryUser, password });
        if (!found) {
            throw new RegistryError(
                `release ${config.release} recorded ${config.imageDigest}, but the registry no longer has it.`,
                "restore the image to the registry (or pick another release); rebuilding would not give the same bytes.",
            );
        }
    } else {
        const source = await readGitSource(config.appDir);
        await assertReleaseSource(source, config.release, config.commit);
        commitTime = source.commitTime;
        sourceUrl = source.remoteUrl;
    }

    const provider = new k8s.Provider("cluster", {
        kubeconfig: config.kubeconfig,
        renderYamlToDirectory: config.renderYamlTo,
        enableServerSideApply: true,
    });
    const release = new Release(config.release, {
        release: config.release,
        commit: config.commit,
        commitTime,
        sourceUrl,
        recordedDigest: config.imageDigest,
        appDir: config.appDir,
        registry: {
            server: config.registry,
            repository: config.repository,
            username: config.registryUser,
            password: config.registryPassword,
        },
        strictPolicy: config.strictPolicy,
        appName: config.appName,
        namespace: config.namespace,
        port: config.port,
        replicas: config.replicas,
        provider,
    });
    const meta = release.deployment.deployment.metadata;
    return {
        release: config.release,
        commit: config.commit,
        digestReference: release.digestReference,
        deployment: pulumi.interpolate`${meta.namespace}/${meta.name}`,
    };
}

/** The registry check runs before resources exist, so it needs the plain value. */
function unsecret(value: pulumi.Output<string>): Promise<string> {
    return new Promise((resolve) => value.apply((v) => resolve(v)));
}
