using SmbRoot.Fencing;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot;

/// <summary>
/// One step of the boot, as data: its name on the console, whether a retry may repeat it, and what
/// it does with the attempt so far. The runner (<see cref="BootRunner"/>) runs the list in order;
/// <see cref="BootSteps"/> is the boot's own list.
/// </summary>
public sealed record BootStep(string Name, bool Retryable, Action<BootAttempt> Run);

/// <summary>
/// What one attempt has built so far. A step reads what the steps before it made, and records each
/// resource on <see cref="Built"/> the moment it exists, before anything else in the step can fail
/// (the network before its address is set, a claim before the image's loop device), so the
/// runner's undo of a failed attempt gives back exactly what was made.
/// </summary>
public sealed class BootAttempt
{
    public ResourceStack Built { get; } = new();
    public OnDemandModules? OnDemand { get; set; }
    public RootNetwork? Network { get; set; }
    public ShareMount? Share { get; set; }
    public LoopAttachment? Image { get; set; }
    public Steps.LayerStep.Result? Layer { get; set; }

    /// <summary>The holder record of what this machine holds alone: the read-write image's, or the persistent layer's.</summary>
    public HolderGuard? Claim { get; set; }

    public RootMount? Root { get; set; }
}
