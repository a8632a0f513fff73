import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Release } from "../components/release";
import { localBuilder } from "../core/builder";
import { ConfigError } from "../core/errors";
import { preflight } from "../core/preflight";
import { provenanceOfBuild } from "../core/provenance";
import { recipeBuild } from "../core/recipe";
import { defaultRegistry, registryLogin } from "../core/registryLogin";
import { findReusableBuild } from "../core/reusableBuild";
import { readReleaseConfig } from "./releaseConfig";

/** The stack outputs of a release. */
export interface ReleaseOutputs {
    release: string;
    commit: string;
    imageDigest: pulumi.Output<string>;
    deployment: pulumi.Output<string>;
}

/**
 * The program's entry, as the engine runs it (index.ts): the one place in
 * program/ that reads the process's environment and working directory (the
 * engine starts the program in the project). The settings and the registry
 * a release defaults to are resolved from these copies.
 */
export async function releaseProgram(): Promise<ReleaseOutputs> {
    const env = { ...process.env };
    const projectDir = process.cwd();
    return withoutAmbientKubeconfig(() => registerRelease(env, projectDir));
}

/**
 * The Pulumi program: stack config -> checks -> Release -> outputs.
 *
 * Checks run before any resource is registered, so a refused release
 * changes nothing: a recorded digest must still be in the registry, and a
 * build must come from a clean tree at exactly the release's tagged commit,
 * with a recipe that passes the policy. An identical build already in the
 * registry is deployed instead of building again.
 */
async function registerRelease(env: Readonly<Record<string, string | undefined>>, projectDir: string): Promise<ReleaseOutputs> {
    const config = readReleaseConfig(env, projectDir);
    // Checked before any credential is sent: each password must be bound to
    // this stack's registry (a stack file's pinned:registry is plain text).
    const login = registryLogin(
        config.release,
        {
            registry: config.registry,
            registryUser: config.registryUser,
            registryPassword: config.registryPassword ? await unsecret(config.registryPassword) : undefined,
            registryPullUser: config.registryPullUser,
            registryPullPassword: config.registryPullPassword ? await unsecret(config.registryPullPassword) : undefined,
        },
        defaultRegistry(env),
        config.renderYamlTo === undefined,
    );
    const creds = login.push;

    let commitTime: string | undefined;
    let sourceUrl: string | undefined;
    // The program keeps the tag check off: pinned rollback runs it to
    // redeploy recorded bytes, which needs neither the code nor the tags.
    const plan = await preflight({ release: config.release, settings: config, checkTag: false, registry: creds });
    let digest = plan.kind === "recorded" ? plan.digest : undefined;
    if (plan.kind === "build") {
        commitTime = plan.source.commitTime;
        sourceUrl = plan.source.remoteUrl;
        // The recipe was judged before the registry is asked, so a policy
        // refusal does not depend on what happens to be pushed already.
        const recipe = recipeBuild({
            appDir: config.appDir,
            release: config.release,
            commit: config.commit,
            commitTime: plan.source.commitTime,
            sourceUrl,
            builder: config.builder === "buildah" ? localBuilder()?.label : undefined,
        });
        const reuse = await findReusableBuild(
            `${config.registry}/${config.repository}`,
            config.release,
            recipe,
            provenanceOfBuild(
                config.release,
                plan.source,
                recipe,
                config.builder === "buildah" ? (localBuilder()?.label ?? "buildah") : "docker",
            ),
            creds,
        );
        digest = reuse.digest;
        const refused = reuse.candidate ? ` (${reuse.candidate} has these inputs' label, but ${reuse.reason})` : "";
        if (digest) {
            pulumi.log.info(
                `release ${config.release}: ${digest} in the registry was built from these very inputs and signed by the release key; deploying it, building nothing.`,
            );
        } else if (config.builder === "buildah") {
            // The engine has no reproducible builder (the Docker provider
            // stamps the build's clock), so it does not build at all.
            throw new ConfigError(
                `release ${config.release} has no image signed by the release key yet${refused}, and with pinned:builder buildah (the default) the engine does not build one: ` +
                    "buildah builds it bit for bit reproducibly, outside the engine, and pinned up signs it.",
                `build, sign and deploy it with pinned up --release ${config.release}; a pulumi up --stack ${config.release} after that deploys the recorded digest.`,
            );
        } else if (refused) {
            pulumi.log.warn(`release ${config.release}: building the image here${refused}; an image built by pulumi up is not signed.`);
        }
    }

    const provider = new k8s.Provider("cluster", {
        kubeconfig: config.kubeconfig,
        renderYamlToDirectory: config.renderYamlTo,
        enableServerSideApply: true,
    });
    const release = new Release("release", {
        release: config.release,
        commit: config.commit,
        commitTime,
        sourceUrl,
        digest,
        // The resolved settings as they are: each component reads the ones it uses.
        settings: config,
        registryPassword: creds.password === undefined ? undefined : pulumi.secret(creds.password),
        pullCredentials: login.pull && { username: login.pull.username, password: pulumi.secret(login.pull.password) },
        provider,
    });
    const meta = release.deployment.deployment.metadata;
    return {
        release: config.release,
        commit: config.commit,
        imageDigest: release.imageDigest,
        deployment: pulumi.interpolate`${meta.namespace}/${meta.name}`,
    };
}

/** The registry check runs before resources exist, so it needs the plain value. */
function unsecret(value: pulumi.Output<string>): Promise<string> {
    return new Promise((resolve) => value.apply((v) => resolve(v)));
}

/**
 * Runs the program without $KUBECONFIG in its process's environment, so
 * the Kubernetes SDK does not copy it into the provider's inputs (it fills
 * an unset `kubeconfig` from there): that path differs from machine to
 * machine, so every teammate's update and every pull-request preview would
 * show the provider changing. Left unset, the provider reads the same
 * $KUBECONFIG itself (the engine starts it with that environment), and the
 * stack's state names no machine's file. Put back when the program ends.
 */
async function withoutAmbientKubeconfig<T>(run: () => Promise<T>): Promise<T> {
    const ambient = process.env.KUBECONFIG;
    delete process.env.KUBECONFIG;
    try {
        return await run();
    } finally {
        if (ambient !== undefined) {
            process.env.KUBECONFIG = ambient;
        }
    }
}
