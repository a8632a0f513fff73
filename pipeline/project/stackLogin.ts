import { ConfigMap } from "@pulumi/pulumi/automation";
import { Env } from "../../core/env";
import { defaultRegistry, registryLogin, RegistryLogin } from "../../core/registryLogin";

/**
 * The registry login a release's stack config allows (its secrets as the
 * engine decrypted them), checked before any credential is sent: see
 * core/registryLogin. `pullNeeded`: the cluster gets a pull Secret. `env`
 * names the default registry (PINNED_REGISTRY, else the embedded one).
 */
export function stackLogin(release: string, config: ConfigMap, pullNeeded: boolean, env: Env): RegistryLogin {
    const value = (key: string) => config[`pinned:${key}`]?.value || undefined;
    return registryLogin(
        release,
        {
            registry: value("registry") ?? "",
            registryUser: value("registryUser"),
            registryPassword: value("registryPassword"),
            registryPullUser: value("registryPullUser"),
            registryPullPassword: value("registryPullPassword"),
        },
        defaultRegistry(env),
        pullNeeded,
    );
}
