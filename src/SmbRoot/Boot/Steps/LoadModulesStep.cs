namespace SmbRoot.Boot.Steps;

/// <summary>Step 3: the NIC drivers that are present, cifs (with its crypto soft dependencies) and loop.</summary>
public sealed class LoadModulesStep(IReadOnlyList<string> nicDrivers) : IBootStep
{
    public string Name => "modules";
    public bool Retryable => false;

    public void Run(BootContext context)
    {
        context.Modules.Load(nicDrivers, optional: true);
        context.Modules.Load(context.Plan.Root.IsImage ? ["cifs", "loop"] : ["cifs"]);
    }

    /// <summary>Modules stay loaded: unloading them buys nothing, and the root will need them again.</summary>
    public void Undo(BootContext context) { }
}
