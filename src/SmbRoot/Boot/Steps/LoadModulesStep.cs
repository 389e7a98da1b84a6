using SmbRoot.Core.Plan;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 3: cifs (its soft dependencies bring cmac, ccm and gcm), loop, and what signing or sealing
/// needs before the mount asks for it. NIC drivers are not named here: the network step loads them
/// for the devices that are there (<see cref="ModuleLoader.LoadForDevices"/>). Modules stay loaded
/// on a retry: unloading them buys nothing, and the next attempt needs them again.
/// </summary>
public static class LoadModulesStep
{
    /// <summary>SMB3 encryption asks for gcm(aes) and ccm(aes), which the kernel builds from ctr and ghash (crypto/gcm.c).</summary>
    private static readonly string[] SealModules = ["ctr", "ghash_generic"];

    /// <summary>The CPU's AES instructions, where it has them; ENODEV elsewhere, which is fine.</summary>
    private static readonly string[] FastAes = ["aesni_intel"];

    public static void Run(BootContext context)
    {
        var plan = context.Plan;
        context.Modules.Load(plan.Root.IsImage ? ["cifs", "loop"] : ["cifs"]);
        if (plan.Integrity == Integrity.Seal) context.Modules.Load(SealModules);
        if (plan.Integrity != Integrity.Off) context.Modules.Load(FastAes, optional: true);
    }
}
