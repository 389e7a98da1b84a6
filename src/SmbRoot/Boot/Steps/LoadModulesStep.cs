namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 3: cifs (with its crypto soft dependencies) and loop. NIC drivers are not named here:
/// the network step loads them for the devices that are there (<see cref="ModuleLoader.LoadForDevices"/>).
/// Modules stay loaded on a retry: unloading them buys nothing, and the next attempt needs them again.
/// </summary>
public static class LoadModulesStep
{
    public static void Run(BootContext context) =>
        context.Modules.Load(context.Plan.Root.IsImage ? ["cifs", "loop"] : ["cifs"]);
}
