namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 3: cifs (with its crypto soft dependencies) and loop. NIC drivers are not named here:
/// the network step loads them for the devices that are there (<see cref="ModuleLoader.LoadForDevices"/>).
/// </summary>
public sealed class LoadModulesStep : IBootStep
{
    public string Name => "modules";
    public bool Retryable => false;

    public void Run(BootContext context)
    {
        context.Modules.Load(context.Plan.Root.IsImage ? ["cifs", "loop"] : ["cifs"]);
    }

    /// <summary>Modules stay loaded: unloading them buys nothing, and the root will need them again.</summary>
    public void Undo(BootContext context) { }
}
