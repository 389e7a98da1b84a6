using SmbRoot.Core.Plan;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 3: cifs (its soft dependencies bring cmac, ccm and gcm), loop, and what the SMB3 crypto
/// needs before the mount asks for it. NIC drivers are not named here: the network step loads them
/// for the devices that are there (<see cref="ModuleLoader.LoadForDevices"/>). Modules stay loaded
/// on a retry: unloading them buys nothing, and the next attempt needs them again.
/// </summary>
public static class LoadModulesStep
{
    /// <summary>
    /// The SMB 3.1.1 negotiate allocates gcm(aes) and ccm(aes) even for a signed session
    /// (fs/cifs/smb2transport.c, smb3_crypto_aead_allocate), and the kernel builds them from
    /// ctr and ghash (crypto/gcm.c): they must be there before the mount, with on-demand loading off.
    /// </summary>
    private static readonly string[] AeadModules = ["ctr", "ghash_generic"];

    /// <summary>The CPU's AES instructions, where it has them; ENODEV elsewhere, which is fine.</summary>
    private static readonly string[] FastAes = ["aesni_intel"];

    /// <summary>
    /// Switches the kernel's own module requests off (see <see cref="OnDemandModules"/>) until the
    /// switch: loading the crypto modules already makes the kernel ask for more (their self-tests
    /// build templates), and all it could ask for is loaded here by name. Then loads what the boot needs.
    /// </summary>
    public static OnDemandModules Run(BootContext context, Made made)
    {
        var plan = context.Plan;
        var suspended = made.Add(OnDemandModules.Suspend());
        context.Modules.Load(plan.Root.IsImage ? ["cifs", "loop", .. AeadModules] : ["cifs", .. AeadModules]);
        if (plan.Integrity != Integrity.Off) context.Modules.Load(FastAes, optional: true);
        return suspended;
    }
}
